/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP export backlog: order across the wrap, oldest dropped first and counted, oversize
 * messages, and a long random run checked against a simple model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
// cmocka must come after the headers above
#include <cmocka.h>

#include "fp_backlog.h"

/* A message of `len` bytes whose bytes all equal `tag`, meta records = tag. */
static void push_tagged(struct fp_backlog *b, uint8_t tag, size_t len)
{
	uint8_t m[4096];
	struct fp_msg_meta meta = {.records = tag, .packets = 10u * tag, .octets = len};
	memset(m, tag, len);
	fp_backlog_push(b, m, len, &meta);
}

static uint8_t pop_tagged(struct fp_backlog *b, size_t want_len)
{
	size_t len;
	struct fp_msg_meta meta;
	const uint8_t *m = fp_backlog_peek(b, &len, &meta);
	assert_non_null(m);
	assert_int_equal(len, want_len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(m[i], m[0]);
	assert_int_equal(meta.records, m[0]);
	uint8_t tag = m[0];
	fp_backlog_pop(b);
	return tag;
}

static void order_and_drop_oldest(void **state)
{
	(void)state;
	struct fp_backlog b;
	assert_int_equal(fp_backlog_init(&b, 1024), 0);
	/* 300-byte messages take 328 bytes each: three fit in 1024. */
	for (uint8_t t = 1; t <= 3; t++)
		push_tagged(&b, t, 300);
	assert_int_equal(b.msgs, 3);
	assert_int_equal(b.dropped_msgs, 0);
	assert_false(fp_backlog_fits(&b, 300));
	push_tagged(&b, 4, 300); /* drops 1 */
	assert_int_equal(b.dropped_msgs, 1);
	assert_int_equal(b.dropped.records, 1);
	assert_int_equal(b.dropped.packets, 10);
	assert_int_equal(pop_tagged(&b, 300), 2);
	push_tagged(&b, 5, 300); /* wraps */
	assert_int_equal(pop_tagged(&b, 300), 3);
	assert_int_equal(pop_tagged(&b, 300), 4);
	assert_int_equal(pop_tagged(&b, 300), 5);
	assert_null(fp_backlog_peek(&b, &(size_t){0}, NULL));
	assert_int_equal(b.used, 0);
	fp_backlog_free(&b);
}

static void oversize_and_drop_all(void **state)
{
	(void)state;
	struct fp_backlog b;
	assert_int_equal(fp_backlog_init(&b, 1024), 0);
	push_tagged(&b, 7, 100);
	push_tagged(&b, 8, 2000); /* larger than the whole backlog: dropped itself */
	assert_int_equal(b.msgs, 1);
	assert_int_equal(b.dropped_msgs, 1);
	assert_int_equal(b.dropped.records, 8);
	fp_backlog_drop_all(&b);
	assert_int_equal(b.msgs, 0);
	assert_int_equal(b.dropped_msgs, 2);
	assert_int_equal(b.dropped.records, 15);
	assert_int_equal(b.dropped.octets, 2100);
	fp_backlog_free(&b);
}

/* Random sizes and push/pop mixes against a FIFO model: every message comes out whole, in
 * order, and pushed = popped + dropped + held. */
static void random_against_model(void **state)
{
	(void)state;
	struct fp_backlog b;
	enum { N = 200000, CAP = 16384 };
	static uint8_t model_tag[N];
	static size_t model_len[N];
	size_t mhead = 0, mtail = 0;
	uint64_t pushed = 0, popped = 0;
	assert_int_equal(fp_backlog_init(&b, CAP), 0);
	srand(7);
	for (int i = 0; i < N; i++) {
		if (rand() % 3 != 0) {
			size_t len = 1 + (size_t)rand() % 3000;
			uint8_t tag = (uint8_t)(1 + i % 250);
			uint64_t before = b.dropped_msgs;
			push_tagged(&b, tag, len);
			mhead += b.dropped_msgs - before; /* the oldest left the model too */
			model_tag[mtail] = tag;
			model_len[mtail++] = len;
			pushed++;
		} else if (b.msgs) {
			assert_true(mhead < mtail);
			assert_int_equal(pop_tagged(&b, model_len[mhead]), model_tag[mhead]);
			mhead++;
			popped++;
		}
		assert_int_equal(b.msgs, mtail - mhead);
		assert_true(b.used <= b.cap);
	}
	assert_int_equal(pushed, popped + b.dropped_msgs + b.msgs);
	fp_backlog_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(order_and_drop_oldest),
	    cmocka_unit_test(oversize_and_drop_all),
	    cmocka_unit_test(random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
