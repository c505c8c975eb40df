/* SPDX-License-Identifier: BSD-3-Clause */
/* The packet store's index (lib/fp_pcapidx.c): a packet's key (both directions one), groups
 * written and found again by Community ID, a file that is no index refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_cid.h"
#include "fp_pcapidx.h"
#include "pktbuild.h"
#include "tmpdir.h"

/* A UDP frame 198.18.0.1:sport → 198.18.0.2:dport, or the other way with `back`. */
static void frame(struct pb *p, uint16_t sport, uint16_t dport, int back)
{
	p->len = 0;
	pb_eth(p, 0x0800);
	unsigned at = pb_ipv4(p, 17, 0);
	if (back) { /* swap the addresses */
		uint8_t t[4];
		memcpy(t, p->b + at + 12, 4);
		memcpy(p->b + at + 12, p->b + at + 16, 4);
		memcpy(p->b + at + 16, t, 4);
	}
	pb_udp(p, sport, dport);
	pb_zero(p, 8);
	pb_ipv4_fix(p, at);
}

static void test_packet_key(void **state)
{
	(void)state;
	struct pb p;
	struct fp_flow_key a, b;
	frame(&p, 5353, 53, 0);
	assert_int_equal(fp_pcapidx_packet_key(FP_LINK_ETHERNET, 0, p.b, p.len, p.len, &a), 0);
	frame(&p, 53, 5353, 1);
	assert_int_equal(fp_pcapidx_packet_key(FP_LINK_ETHERNET, 0, p.b, p.len, p.len, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a)); /* canonical: both directions one key */
	assert_int_equal(a.vlan, 0);
	/* headers cut short: not indexed */
	assert_int_equal(fp_pcapidx_packet_key(FP_LINK_ETHERNET, 0, p.b, 20, p.len, &b), -1);
}

/* Three flows' packets interleaved: each flow's positions come back in file order. */
static void test_write_find(void **state)
{
	(void)state;
	struct fp_pcapidx_builder bld;
	fp_pcapidx_builder_init(&bld);
	struct fp_flow_key k[3];
	struct pb p;
	for (int f = 0; f < 3; f++) {
		frame(&p, (uint16_t)(1000 + f), 53, 0);
		assert_int_equal(
		    fp_pcapidx_packet_key(FP_LINK_ETHERNET, 0, p.b, p.len, p.len, &k[f]), 0);
	}
	/* packet i belongs to flow i % 3 (flow 2 has one packet fewer), at offset 24 + 100 i */
	for (uint64_t i = 0; i < 29; i++)
		assert_int_equal(fp_pcapidx_builder_add(&bld, &k[i % 3], 24 + 100 * i,
							1767225600000000000ull + i * 1000),
				 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/pcap.202601010000.0.idx", dir);
	assert_int_equal(fp_pcapidx_builder_write(&bld, path, 1, 0, 0, 24 + 100 * 29), 0);
	fp_pcapidx_builder_free(&bld);

	struct fp_pcapidx x;
	assert_int_equal(fp_pcapidx_open(&x, path), 0);
	assert_int_equal(x.h->flows, 3);
	assert_int_equal(x.h->packets, 29);
	assert_int_equal(x.h->first_ns, 1767225600000000000ull);
	for (int f = 0; f < 3; f++) {
		uint8_t md[FP_CID_DIGEST];
		fp_cid_v1_digest(&k[f], 0, md);
		size_t first;
		size_t n = fp_pcapidx_find(&x, fp_cid_key64(md), &first);
		assert_int_equal(n, 1);
		const struct fp_pcapidx_flow *g = &x.flows[first];
		assert_int_equal(g->count, f == 2 ? 9 : 10);
		for (uint32_t j = 0; j < g->count; j++)
			assert_int_equal(x.pos[g->first + j], 24 + 100 * (3 * j + (unsigned)f));
	}
	size_t first;
	assert_int_equal(fp_pcapidx_find(&x, 12345, &first), 0);
	fp_pcapidx_close(&x);
}

static void test_not_an_index(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/junk.idx", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 200; i++)
		fputc('x', f);
	fclose(f);
	struct fp_pcapidx x;
	assert_int_equal(fp_pcapidx_open(&x, path), -EINVAL);
	snprintf(path, sizeof(path), "%s/none.idx", dir);
	assert_int_equal(fp_pcapidx_open(&x, path), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packet_key),
	    cmocka_unit_test(test_write_find),
	    cmocka_unit_test(test_not_an_index),
	};
	return cmocka_run_group_tests(tests, tmpdir_make, tmpdir_remove);
}
