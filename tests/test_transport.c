/* SPDX-License-Identifier: BSD-3-Clause */
/* Collectors' transport (lib/fp_transport.c): specs parsed or refused with a reason, UDP
 * datagrams as sent, a TCP stream that starts with its greeting and carries every message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_transport.h"

static void test_parse(void **state)
{
	(void)state;
	struct fp_collector c;
	char err[256];
	memset(&c, 0, sizeof(c));
	assert_int_equal(fp_collector_parse("127.0.0.1:4739", &c, err, sizeof(err)), 0);
	assert_int_equal(c.proto, FP_PROTO_UDP);
	assert_int_equal(ntohs(((struct sockaddr_in *)&c.addr)->sin_port), 4739);
	memset(&c, 0, sizeof(c));
	assert_int_equal(fp_collector_parse("tcp://[::1]:4740", &c, err, sizeof(err)), 0);
	assert_int_equal(c.proto, FP_PROTO_TCP);
	assert_int_equal(c.addr.ss_family, AF_INET6);
	memset(&c, 0, sizeof(c));
	err[0] = '\0';
	assert_true(fp_collector_parse("127.0.0.1:99999", &c, err, sizeof(err)) < 0);
	assert_true(err[0] != '\0');
	err[0] = '\0';
	assert_true(fp_collector_parse("sctp://127.0.0.1:4739", &c, err, sizeof(err)) < 0);
	assert_true(err[0] != '\0');
}

static int bound(int type, struct sockaddr_in *a)
{
	int fd = socket(AF_INET, type, 0);
	socklen_t len = sizeof(*a);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

/* UDP: each message one datagram, as it was handed over, once flushed. */
static void test_udp(void **state)
{
	(void)state;
	struct sockaddr_in a;
	int rx = bound(SOCK_DGRAM, &a);
	char spec[64], err[256];
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(a.sin_port));
	static struct fp_collector c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(fp_collector_parse(spec, &c, err, sizeof(err)), 0);
	assert_int_equal(fp_collector_open(&c, 0, NULL, NULL), 0);
	uint8_t msg[3][100];
	for (int i = 0; i < 3; i++) {
		memset(msg[i], 'a' + i, sizeof(msg[i]));
		struct fp_msg_meta meta = {.records = 1};
		fp_collector_send(&c, msg[i], sizeof(msg[i]) - (size_t)i, &meta, 1);
	}
	fp_collector_flush(&c);
	for (int i = 0; i < 3; i++) {
		uint8_t got[200];
		ssize_t n = recv(rx, got, sizeof(got), 0);
		assert_int_equal(n, 100 - i);
		assert_memory_equal(got, msg[i], (size_t)n);
	}
	assert_int_equal(c.sent_msgs, 3);
	assert_int_equal(c.send_errors, 0);
	fp_collector_close(&c);
	close(rx);
}

static size_t greeter(void *ctx, uint8_t *buf, size_t cap)
{
	(void)ctx;
	(void)cap;
	memcpy(buf, "HELLO", 5);
	return 5;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* TCP: the greeting first, then every message whole, in order. */
static void test_tcp(void **state)
{
	(void)state;
	struct sockaddr_in a;
	int ls = bound(SOCK_STREAM, &a);
	assert_int_equal(listen(ls, 1), 0);
	char spec[64], err[256];
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%u", ntohs(a.sin_port));
	static struct fp_collector c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(fp_collector_parse(spec, &c, err, sizeof(err)), 0);
	assert_int_equal(fp_collector_open(&c, 1 << 20, greeter, NULL), 0);
	int peer = -1; /* the connection comes as the collector is pumped */
	for (uint64_t end = mono_ms() + 3000; peer < 0 && mono_ms() < end;) {
		fp_collector_pump(&c, mono_ms());
		struct pollfd pfd = {.fd = ls, .events = POLLIN};
		if (poll(&pfd, 1, 10) == 1)
			peer = accept(ls, NULL, NULL);
	}
	assert_true(peer >= 0);
	/* IPFIX messages: version 10, length 20, export time, sequence (the exporter's count of
	 * records before, from 100), domain 1, 4 bytes. A stream counts from its own session's
	 * start (RFC 7011 §10.4.2): the collector sees 0, 1, 2, 3. */
	uint8_t msg[20] = {0, 10, 0, 20, 0x69, 0x55, 0xb8, 0x00, 0,   0,
			   0, 0,  0, 0,	 0,    1,    'm',  'm',	 'm', 'm'};
	for (int i = 0; i < 4; i++) {
		struct fp_msg_meta meta = {.records = 1};
		msg[11] = (uint8_t)(100 + i);
		fp_collector_send(&c, msg, sizeof(msg), &meta, 1);
		fp_collector_pump(&c, mono_ms());
	}
	for (uint64_t end = mono_ms() + 3000; fp_collector_pending(&c) && mono_ms() < end;) {
		fp_collector_pump(&c, mono_ms());
		usleep(1000);
	}
	assert_int_equal(fp_collector_pending(&c), 0);
	uint8_t got[256];
	size_t n = 0;
	while (n < 5 + 4 * sizeof(msg)) {
		struct pollfd pfd = {.fd = peer, .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, 3000), 1);
		ssize_t r = read(peer, got + n, sizeof(got) - n);
		assert_true(r > 0);
		n += (size_t)r;
	}
	assert_int_equal(n, 5 + 4 * sizeof(msg));
	assert_memory_equal(got, "HELLO", 5);
	for (int i = 0; i < 4; i++) {
		const uint8_t *m = got + 5 + i * sizeof(msg);
		assert_memory_equal(m, msg, 8);
		assert_int_equal(m[8] << 24 | m[9] << 16 | m[10] << 8 | m[11],
				 i); /* records before */
		assert_memory_equal(m + 12, msg + 12, sizeof(msg) - 12);
	}
	assert_int_equal(c.sent_msgs, 4);
	assert_int_equal(c.state, FP_TCP_UP);
	fp_collector_close(&c);
	close(peer);
	close(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_tcp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
