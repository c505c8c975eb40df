/* SPDX-License-Identifier: BSD-3-Clause */
/* Community ID v1 (lib/fp_cid.c): the specification's example, both directions one value, the
 * seed, ICMP's type pairs, the text parsed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "fp_cid.h"

static struct fp_flow_key key4(const uint8_t s[4], const uint8_t d[4], uint8_t proto,
			       uint16_t sport, uint16_t dport)
{
	struct fp_flow_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, s, 4);
	memcpy(k.dst, d, 4);
	k.proto = proto;
	k.sport = sport;
	k.dport = dport;
	k.ipver = 4;
	return k;
}

/* The example of the specification (corelight/community-id-spec: tcp 128.232.110.120:34855 →
 * 66.35.250.204:80, seed 0), and one computed for these addresses with Python's hashlib from
 * the specification's definition (SHA-1 of seed, addresses, protocol, 0, ports; base64). */
static void test_known_values(void **state)
{
	(void)state;
	char out[FP_CID_LEN];
	struct fp_flow_key k = key4((const uint8_t[]){128, 232, 110, 120},
				    (const uint8_t[]){66, 35, 250, 204}, 6, 34855, 80);
	fp_cid_v1(&k, 0, out);
	assert_string_equal(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	k = key4((const uint8_t[]){198, 18, 0, 1}, (const uint8_t[]){198, 19, 0, 2}, 17, 40000,
		 443);
	fp_cid_v1(&k, 7, out);
	assert_string_equal(out, "1:SVWUYCLkvqyD4Vo3VRL2EPewohQ=");
}

/* Both directions of a connection, one value; another seed, another value. */
static void test_direction_and_seed(void **state)
{
	(void)state;
	const uint8_t a[4] = {198, 18, 0, 1}, b[4] = {198, 18, 0, 2};
	char x[FP_CID_LEN], y[FP_CID_LEN], z[FP_CID_LEN];
	struct fp_flow_key k = key4(a, b, 6, 40000, 443), r = key4(b, a, 6, 443, 40000);
	fp_cid_v1(&k, 0, x);
	fp_cid_v1(&r, 0, y);
	fp_cid_v1(&k, 1, z);
	assert_string_equal(x, y);
	assert_string_not_equal(x, z);
	/* IPv6 too */
	struct fp_flow_key k6 = {.proto = 17, .ipver = 6, .sport = 5353, .dport = 53};
	k6.src[0] = 0x20, k6.src[1] = 0x01, k6.src[2] = 0x0d, k6.src[3] = 0xb8, k6.src[15] = 1;
	struct fp_flow_key r6 = k6;
	memcpy(r6.src, k6.dst, 16);
	memcpy(r6.dst, k6.src, 16);
	r6.sport = 53, r6.dport = 5353;
	fp_cid_v1(&k6, 0, x);
	fp_cid_v1(&r6, 0, y);
	assert_string_equal(x, y);
}

/* ICMP: an echo request and its reply are one flow; the type and code travel in dport. */
static void test_icmp_pairs(void **state)
{
	(void)state;
	const uint8_t a[4] = {198, 18, 0, 1}, b[4] = {198, 18, 0, 2};
	char req[FP_CID_LEN], rep[FP_CID_LEN], unreach[FP_CID_LEN];
	struct fp_flow_key k = key4(a, b, 1, 0, 8 << 8), r = key4(b, a, 1, 0, 0 << 8);
	struct fp_flow_key u = key4(a, b, 1, 0, 3 << 8 | 1);
	fp_cid_v1(&k, 0, req);
	fp_cid_v1(&r, 0, rep);
	fp_cid_v1(&u, 0, unreach);
	assert_string_equal(req, rep);
	assert_string_not_equal(req, unreach);
}

/* The text back to its digest; what is not one is refused. */
static void test_parse(void **state)
{
	(void)state;
	const uint8_t a[4] = {198, 18, 0, 1}, b[4] = {198, 18, 0, 2};
	struct fp_flow_key k = key4(a, b, 6, 1, 2);
	char text[FP_CID_LEN];
	uint8_t md[FP_CID_DIGEST], back[FP_CID_DIGEST];
	fp_cid_v1(&k, 0, text);
	fp_cid_v1_digest(&k, 0, md);
	assert_int_equal(fp_cid_parse(text, back), 0);
	assert_memory_equal(md, back, FP_CID_DIGEST);
	uint64_t want = 0;
	for (int i = 0; i < 8; i++)
		want = want << 8 | md[i];
	assert_true(fp_cid_key64(md) == want || fp_cid_key64(md) == __builtin_bswap64(want));
	assert_int_equal(fp_cid_parse("2:LQU9qZlK+B5F3KDmev6m5PMibrg=", back), -1);
	assert_int_equal(fp_cid_parse("1:LQU9qZlK", back), -1);
	assert_int_equal(fp_cid_parse("1:LQU9qZlK+B5F3KDmev6m5PMib!g=", back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_values),
	    cmocka_unit_test(test_direction_and_seed),
	    cmocka_unit_test(test_icmp_pairs),
	    cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
