/* SPDX-License-Identifier: BSD-3-Clause */
/* Fragment cache: ports for later fragments, holding and releasing, expiry, a full cache, and a
 * long random run against a model (the index deletes by backward shift). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
// cmocka must come after the headers above
#include <cmocka.h>

#include "fp_frag.h"

static struct fp_pkt frag(uint32_t src, uint32_t id, int first, uint16_t sport)
{
	struct fp_pkt p;
	memset(&p, 0, sizeof(p));
	p.key.ipver = 4;
	p.key.proto = 17;
	p.key.src[0] = 198, p.key.src[1] = 18, p.key.src[2] = (uint8_t)(src >> 8);
	p.key.src[3] = (uint8_t)src;
	p.key.dst[0] = 198, p.key.dst[1] = 19, p.key.dst[3] = 1;
	p.frag_id = id;
	p.octets = 1000;
	if (first) {
		p.frag_first = 1;
		p.key.sport = sport;
		p.key.dport = 53;
	} else {
		p.is_fragment = 1;
	}
	return p;
}

static void in_order_and_reversed(void **state)
{
	(void)state;
	struct fp_frag_config c = {.max_entries = 16, .timeout_ms = 1000};
	struct fp_frag *f = fp_frag_create(&c);
	struct fp_pkt out[FP_FRAG_HOLD * 2];
	assert_non_null(f);
	/* in order: the first teaches the ports */
	struct fp_pkt p = frag(1, 7, 1, 4000);
	assert_int_equal(fp_frag_first(f, &p, 100, out), 0);
	p = frag(1, 7, 0, 0);
	assert_int_equal(fp_frag_other(f, &p, 101), 1);
	assert_int_equal(p.key.sport, 4000);
	assert_int_equal(p.key.dport, 53);
	assert_int_equal(p.is_fragment, 0);
	/* reversed: two held, released with ports by the first */
	p = frag(2, 7, 0, 0);
	assert_int_equal(fp_frag_other(f, &p, 102), 0);
	p = frag(2, 7, 0, 0);
	assert_int_equal(fp_frag_other(f, &p, 103), 0);
	p = frag(2, 7, 1, 4001);
	assert_int_equal(fp_frag_first(f, &p, 104, out), 2);
	assert_int_equal(out[0].key.sport, 4001);
	assert_int_equal(out[1].octets, 1000);
	/* first never comes: released without ports at the timeout, not before */
	p = frag(3, 9, 0, 0);
	assert_int_equal(fp_frag_other(f, &p, 200), 0);
	assert_int_equal(fp_frag_expire(f, 1150, out, FP_FRAG_HOLD * 2), 0);
	unsigned n = fp_frag_expire(f, 1300, out, FP_FRAG_HOLD * 2);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].key.sport, 0);
	assert_int_equal(out[0].is_fragment, 1);
	struct fp_frag_stats st;
	fp_frag_stats_read(f, &st);
	assert_int_equal(st.matched, 1);
	assert_int_equal(st.held, 3);
	assert_int_equal(st.released, 2);
	assert_int_equal(st.unmatched, 1);
	fp_frag_destroy(f);
}

static void full_cache(void **state)
{
	(void)state;
	struct fp_frag_config c = {.max_entries = 4, .timeout_ms = 1000};
	struct fp_frag *f = fp_frag_create(&c);
	struct fp_pkt out[FP_FRAG_HOLD * 2];
	for (uint32_t i = 0; i < 4; i++) {
		struct fp_pkt p = frag(10 + i, i, 1, 1000);
		fp_frag_first(f, &p, 0, out);
	}
	struct fp_pkt p = frag(99, 99, 0, 0);
	assert_int_equal(fp_frag_other(f, &p, 1), -1); /* no room: accounted as it is */
	for (int i = 0; i < FP_FRAG_HOLD; i++) {
		p = frag(10, 0, 0, 0);
		assert_int_equal(fp_frag_other(f, &p, 1), 1);
	}
	struct fp_frag_stats st;
	fp_frag_stats_read(f, &st);
	assert_int_equal(st.full, 1);
	fp_frag_destroy(f);
}

/* Random datagrams, expiry as time moves: the cache answers like a model that remembers each
 * datagram's ports from its first fragment until the timeout. */
static void random_against_model(void **state)
{
	(void)state;
	enum { N = 200000, IDS = 3000 };
	struct fp_frag_config c = {.max_entries = 1024, .timeout_ms = 50};
	struct fp_frag *f = fp_frag_create(&c);
	static uint64_t first_seen[IDS]; /* 0: not remembered */
	static uint16_t ports[IDS];
	struct fp_pkt out[FP_FRAG_HOLD * 2];
	srand(11);
	uint64_t now = 1;
	for (int i = 0; i < N; i++) {
		now += (uint64_t)(rand() % 3);
		while (fp_frag_expire(f, now, out, FP_FRAG_HOLD * 2) > 0)
			;
		for (int d = 0; d < IDS; d++)
			if (first_seen[d] && now - first_seen[d] >= 50)
				first_seen[d] = 0;
		uint32_t d = (uint32_t)rand() % IDS;
		if (rand() % 2) {
			if (first_seen[d] == 0) {
				struct fp_pkt p = frag(d, d, 1, (uint16_t)(1 + d));
				fp_frag_first(f, &p, now, out);
				first_seen[d] = now;
				ports[d] = (uint16_t)(1 + d);
			}
		} else if (first_seen[d]) {
			struct fp_pkt p = frag(d, d, 0, 0);
			assert_int_equal(fp_frag_other(f, &p, now), 1);
			assert_int_equal(p.key.sport, ports[d]);
		}
	}
	fp_frag_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(in_order_and_reversed),
	    cmocka_unit_test(full_cache),
	    cmocka_unit_test(random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
