/* SPDX-License-Identifier: BSD-3-Clause */
/* SPSC ring: capacity, order, and a producer and consumer on two threads losing nothing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
// cmocka must come after the headers above
#include <cmocka.h>

#include "fp_ring.h"

static void capacity_and_order(void **state)
{
	(void)state;
	struct fp_ring r;
	struct fp_record rec, out[16];
	assert_int_equal(fp_ring_init(&r, 5), 0); /* rounded up to 8 */
	memset(&rec, 0, sizeof(rec));
	for (int i = 0; i < 8; i++) {
		rec.packets = (uint64_t)i;
		assert_int_equal(fp_ring_push(&r, &rec), 0);
	}
	assert_int_equal(fp_ring_push(&r, &rec), -1);
	assert_int_equal(fp_ring_count(&r), 8);
	assert_int_equal(fp_ring_pop_burst(&r, out, 3), 3);
	assert_int_equal(out[0].packets, 0);
	assert_int_equal(out[2].packets, 2);
	assert_int_equal(fp_ring_push(&r, &rec), 0);
	assert_int_equal(fp_ring_pop_burst(&r, out, 16), 6);
	assert_int_equal(out[5].packets, 7);
	assert_int_equal(fp_ring_pop_burst(&r, out, 16), 0);
	fp_ring_fini(&r);
	assert_int_equal(fp_ring_init(&r, 0), -22);
}

#define N 2000000

static void *producer(void *arg)
{
	struct fp_ring *r = arg;
	struct fp_record rec;
	memset(&rec, 0, sizeof(rec));
	for (uint64_t i = 1; i <= N; i++) {
		rec.packets = i;
		rec.octets = i * 3;
		while (fp_ring_push(r, &rec) != 0)
			;
	}
	return NULL;
}

static void two_threads(void **state)
{
	(void)state;
	struct fp_ring r;
	static struct fp_record out[64];
	pthread_t th;
	assert_int_equal(fp_ring_init(&r, 1024), 0);
	pthread_create(&th, NULL, producer, &r);
	uint64_t next = 1;
	while (next <= N) {
		unsigned n = fp_ring_pop_burst(&r, out, 64);
		for (unsigned i = 0; i < n; i++, next++) {
			if (out[i].packets != next || out[i].octets != next * 3)
				fail_msg("record %lu arrived as %lu", (unsigned long)next,
					 (unsigned long)out[i].packets);
		}
	}
	pthread_join(th, NULL);
	assert_int_equal(fp_ring_count(&r), 0);
	fp_ring_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(capacity_and_order),
	    cmocka_unit_test(two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
