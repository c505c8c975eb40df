/* SPDX-License-Identifier: BSD-3-Clause */
/* --fields tcp's analysis (lib/fp_tcpa.c) on made-up segment sequences, one case per kind of
 * Wireshark's tcp.analysis flags it counts: what each segment is marked. Real connections with
 * loss against tshark's own analysis: tests/e2e_tcphealth.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fp_tcpa.h"

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define FIN 0x01

struct conn {
	struct fp_tcpa_dir c, s; /* the client's direction, the server's */
	uint32_t irtt;
};

static unsigned seg(struct conn *k, int from_server, uint32_t seq, uint32_t ack, uint32_t len,
		    uint8_t flags, uint16_t win, uint64_t ts)
{
	struct fp_tcp_seg s = {.seq = seq,
			       .ack = ack,
			       .len = len,
			       .caplen = len,
			       .window = win,
			       .flags = flags,
			       .ok = 1};
	return from_server ? fp_tcpa_segment(&k->s, &k->c, &s, ts, k->irtt)
			   : fp_tcpa_segment(&k->c, &k->s, &s, ts, k->irtt);
}

/* a handshake at t = 0, 100, 200 µs: client ISN 1000, server ISN 5000 */
static void open_conn(struct conn *k)
{
	fp_tcpa_dir_init(&k->c);
	fp_tcpa_dir_init(&k->s);
	k->irtt = 200;
	assert_int_equal(seg(k, 0, 1000, 0, 0, SYN, 64240, 0), 0);
	assert_int_equal(seg(k, 1, 5000, 1001, 0, SYN | ACK, 65160, 100), 0);
	assert_int_equal(seg(k, 0, 1001, 5001, 0, ACK, 502, 200), 0);
}

static void test_clean(void **state)
{
	(void)state;
	struct conn k;
	open_conn(&k);
	uint32_t s = 5001;
	for (int i = 0; i < 10; i++, s += 1000) {
		assert_int_equal(seg(&k, 1, s, 1001, 1000, ACK | PSH, 509, 1000 + i * 10), 0);
		assert_int_equal(seg(&k, 0, 1001, s + 1000, 0, ACK, 502 + i, 1005 + i * 10), 0);
	}
	assert_int_equal(seg(&k, 1, s, 1001, 0, FIN | ACK, 509, 2000), 0);
}

static void test_retransmission(void **state)
{
	(void)state;
	struct conn k;
	open_conn(&k);
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 1000), 0);
	assert_int_equal(seg(&k, 1, 6001, 1001, 1000, ACK, 509, 1010), 0);
	/* the first again, 200 ms later (an RTO): not acked yet, long after nextseq grew */
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 201000), FP_TCPA_RETRANSMISSION);
}

static void test_fast_retransmission(void **state)
{
	(void)state;
	struct conn k;
	open_conn(&k);
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 1000), 0); /* lost later */
	assert_int_equal(seg(&k, 1, 6001, 1001, 1000, ACK, 509, 1010), 0);
	assert_int_equal(seg(&k, 1, 7001, 1001, 1000, ACK, 509, 1020), 0);
	/* the handshake's ACK again and again: nothing new acknowledged */
	assert_int_equal(seg(&k, 0, 1001, 5001, 0, ACK, 502, 1100), FP_TCPA_DUPLICATE_ACK);
	assert_int_equal(seg(&k, 0, 1001, 5001, 0, ACK, 502, 1110), FP_TCPA_DUPLICATE_ACK);
	assert_int_equal(seg(&k, 0, 1001, 5001, 0, ACK, 502, 1120), FP_TCPA_DUPLICATE_ACK);
	/* within 20 ms of the last duplicate ACK, at the sequence number they ask for */
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 1200), FP_TCPA_FAST_RETRANSMISSION);
}

static void test_out_of_order(void **state)
{
	(void)state;
	struct conn k;
	open_conn(&k);
	assert_int_equal(seg(&k, 1, 6001, 1001, 1000, ACK, 509, 1000), 0); /* 5001 comes late */
	/* within the initial round trip (200 µs) of the highest segment */
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 1050), FP_TCPA_OUT_OF_ORDER);
	open_conn(&k);
	k.irtt = 0; /* unknown: Wireshark's 3 ms */
	assert_int_equal(seg(&k, 1, 6001, 1001, 1000, ACK, 509, 1000), 0);
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 3900), FP_TCPA_OUT_OF_ORDER);
}

static void test_spurious(void **state)
{
	(void)state;
	struct conn k;
	open_conn(&k);
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 1000), 0);
	assert_int_equal(seg(&k, 0, 1001, 6001, 0, ACK, 502, 1100), 0);
	/* data the client has acknowledged, sent again */
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 300000),
			 FP_TCPA_SPURIOUS_RETRANSMISSION);
}

static void test_zero_window_and_keep_alive(void **state)
{
	(void)state;
	struct conn k;
	open_conn(&k);
	assert_int_equal(seg(&k, 1, 5001, 1001, 1000, ACK, 509, 1000), 0);
	assert_int_equal(seg(&k, 0, 1001, 6001, 0, ACK, 0, 1100), FP_TCPA_ZERO_WINDOW);
	/* the server's one-byte probe at nextseq while the window is closed: not a retransmission
	 */
	assert_int_equal(seg(&k, 1, 6001, 1001, 1, ACK, 509, 200000), FP_TCPA_ZERO_WINDOW_PROBE);
	/* its ACK repeats the zero window: not a duplicate ACK */
	assert_int_equal(seg(&k, 0, 1001, 6001, 0, ACK, 0, 200100), FP_TCPA_ZERO_WINDOW);
	/* the window opens; a keep-alive (one byte before nextseq) is never a retransmission */
	assert_int_equal(seg(&k, 0, 1001, 6001, 0, ACK, 502, 300000), 0);
	assert_int_equal(seg(&k, 1, 6000, 1001, 0, ACK, 509, 400000), FP_TCPA_KEEP_ALIVE);
	/* SYN, FIN and RST segments never report a zero window */
	assert_int_equal(seg(&k, 0, 1001, 6001, 0, FIN | ACK, 0, 500000) & FP_TCPA_ZERO_WINDOW, 0);
}

static void test_wraparound(void **state)
{
	(void)state;
	struct conn k;
	fp_tcpa_dir_init(&k.c);
	fp_tcpa_dir_init(&k.s);
	k.irtt = 100;
	/* sequence numbers across 2^32 compare modulo 2^32 */
	assert_int_equal(seg(&k, 1, 0xfffffc00u, 1, 1000, ACK, 509, 1000), 0);
	assert_int_equal(seg(&k, 1, 0xfffffc00u + 1000, 1, 1000, ACK, 509, 1010), 0);
	assert_int_equal(seg(&k, 1, 0xfffffc00u, 1, 1000, ACK, 509, 500000),
			 FP_TCPA_RETRANSMISSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_retransmission),
	    cmocka_unit_test(test_fast_retransmission),
	    cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_spurious),
	    cmocka_unit_test(test_zero_window_and_keep_alive),
	    cmocka_unit_test(test_wraparound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
