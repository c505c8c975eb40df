/* SPDX-License-Identifier: BSD-3-Clause */
/* --dedup (lib/fp_dedup.h): a packet again within the window is a duplicate, once it has left
 * the window it is not; one byte or the length apart is another packet; the window's bounds;
 * the same bytes more than FP_DEDUP_AGE_US apart are traffic that repeats, not a copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "fp_dedup.h"

#define T0 1767225600000000ull /* 2026-01-01, µs */

static void packet(uint8_t *p, unsigned i)
{
	memset(p, 0, 60);
	p[0] = 0x45;
	p[4] = (uint8_t)(i >> 8);
	p[5] = (uint8_t)i;
}

static void test_window(void **state)
{
	(void)state;
	struct fp_dedup d;
	uint8_t p[60];
	fp_dedup_init(&d, 4);
	for (unsigned i = 0; i < 4; i++) {
		packet(p, i);
		assert_false(fp_dedup_seen(&d, p, 60, 60, T0));
	}
	for (unsigned i = 0; i < 4; i++) { /* each of the last 4 again: duplicates */
		packet(p, i);
		assert_true(fp_dedup_seen(&d, p, 60, 60, T0));
	}
	packet(p, 4); /* a new one pushes packet 0 out */
	assert_false(fp_dedup_seen(&d, p, 60, 60, T0));
	packet(p, 0);
	assert_false(fp_dedup_seen(&d, p, 60, 60, T0));
	packet(p, 2);
	assert_true(fp_dedup_seen(&d, p, 60, 60, T0));
}

static void test_differences(void **state)
{
	(void)state;
	struct fp_dedup d;
	uint8_t p[1500], q[1500];
	fp_dedup_init(&d, 8);
	for (unsigned i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)(i * 7 + 3);
	assert_false(fp_dedup_seen(&d, p, 1500, 1500, T0));
	/* one bit anywhere, the bytes captured or the IP length: another packet */
	for (unsigned at = 0; at < 1500; at += 37) {
		memcpy(q, p, sizeof(q));
		q[at] ^= 1;
		assert_int_not_equal(fp_dedup_hash(q, 1500, 1500), fp_dedup_hash(p, 1500, 1500));
	}
	assert_int_not_equal(fp_dedup_hash(p, 1499, 1500), fp_dedup_hash(p, 1500, 1500));
	assert_int_not_equal(fp_dedup_hash(p, 256, 1500), fp_dedup_hash(p, 256, 1400));
	for (unsigned n = 1; n < 16; n++) /* short tails */
		assert_int_not_equal(fp_dedup_hash(p, n, n), fp_dedup_hash(p, n + 1, n + 1));
	/* words 64 bytes apart swapped (the constants repeat every 8 words): another packet */
	memcpy(q, p, sizeof(q));
	memcpy(q, p + 64, 8);
	memcpy(q + 64, p, 8);
	assert_int_not_equal(fp_dedup_hash(q, 1500, 1500), fp_dedup_hash(p, 1500, 1500));
	assert_true(fp_dedup_seen(&d, p, 1500, 1500, T0));
}

static void test_bounds(void **state)
{
	(void)state;
	struct fp_dedup d;
	uint8_t p[60];
	fp_dedup_init(&d, 0);
	assert_int_equal(d.window, 1);
	packet(p, 1);
	assert_false(fp_dedup_seen(&d, p, 60, 60, T0));
	assert_true(fp_dedup_seen(&d, p, 60, 60, T0));
	fp_dedup_init(&d, 1000);
	assert_int_equal(d.window, FP_DEDUP_MAX);
	for (unsigned i = 0; i < 3 * FP_DEDUP_MAX; i++) {
		packet(p, i);
		assert_false(fp_dedup_seen(&d, p, 60, 60, T0));
	}
	packet(p, 2 * FP_DEDUP_MAX); /* FP_DEDUP_MAX back: still in */
	assert_true(fp_dedup_seen(&d, p, 60, 60, T0));
	packet(p, 2 * FP_DEDUP_MAX - 1); /* one more back: out */
	assert_false(fp_dedup_seen(&d, p, 60, 60, T0));
}

static void test_age(void **state)
{
	(void)state;
	struct fp_dedup d;
	uint8_t p[60];
	fp_dedup_init(&d, 8);
	packet(p, 7);
	assert_false(fp_dedup_seen(&d, p, 60, 60, T0));
	assert_true(fp_dedup_seen(&d, p, 60, 60, T0 + FP_DEDUP_AGE_US)); /* a late copy */
	assert_true(fp_dedup_seen(&d, p, 60, 60, T0 - 5000)); /* the other port's clock */
	/* a second later (a VRRP advertisement, byte for byte the last): traffic, counted */
	assert_false(fp_dedup_seen(&d, p, 60, 60, T0 + 1000000));
	assert_true(fp_dedup_seen(&d, p, 60, 60, T0 + 1000300)); /* ... and its copy is one */
	assert_false(fp_dedup_seen(&d, p, 60, 60, T0 + 1000000 + FP_DEDUP_AGE_US + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_differences),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_age),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
