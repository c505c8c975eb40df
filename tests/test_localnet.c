/* SPDX-License-Identifier: BSD-3-Clause */
/* --local-net (lib/fp_localnet.c): lists parsed and refused, membership at each prefix's edges
 * (IPv4, IPv6, /0, whole and partial bytes), the four directions, the search index against a
 * plain scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "fp_localnet.h"

static int has(const struct fp_localnets *l, const char *text)
{
	uint8_t a[16] = {0};
	int v6 = strchr(text, ':') != NULL;
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, text, a), 1);
	return fp_localnets_has(l, v6 ? 6 : 4, a);
}

static void test_parse(void **state)
{
	(void)state;
	struct fp_localnets l = {0};
	char err[256];
	assert_int_equal(fp_localnets_add(&l, "198.18.0.0/24, 198.18.128.0/17", err, sizeof(err)),
			 0);
	assert_int_equal(fp_localnets_add(&l, "198.19.200.1", err, sizeof(err)), 0);
	assert_int_equal(fp_localnets_add(&l, "2001:db8:1::/48", err, sizeof(err)), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.net[2].len, 32);
	static const char *const bad[] = {"198.18.1.0/16",
					  "198.18.0.0/33",
					  "2001:db8::/129",
					  "nonsense",
					  "198.18.0.0/",
					  "198.18.0.0/x",
					  "",
					  "198.18.0.0/24,",
					  "2001:db8::1/64"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fp_localnets b = {0};
		err[0] = '\0';
		assert_int_equal(fp_localnets_add(&b, bad[i], err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
	}
	struct fp_localnets full = {.n = FP_LOCALNET_MAX};
	assert_int_equal(fp_localnets_add(&full, "198.18.0.0/15", err, sizeof(err)), -1);
}

static void test_membership(void **state)
{
	(void)state;
	struct fp_localnets l = {0};
	char err[256];
	assert_int_equal(
	    fp_localnets_add(&l, "198.18.0.0/24,198.18.128.0/17,198.19.200.1", err, sizeof(err)),
	    0);
	assert_int_equal(
	    fp_localnets_add(&l, "2001:db8:1::/48,2001:db8:ff00::/40", err, sizeof(err)), 0);
	static const char *const in[] = {"198.18.0.0",
					 "198.18.0.255",
					 "198.18.128.0",
					 "198.18.255.255",
					 "198.19.200.1",
					 "2001:db8:1::",
					 "2001:db8:1:ffff:ffff:ffff:ffff:ffff",
					 "2001:db8:ff00::",
					 "2001:db8:ffff::1"};
	static const char *const out[] = {
	    "198.18.1.0",	"198.18.127.255", "198.19.200.0",      "198.19.200.2",
	    "0.0.0.0",		"2001:db8:2::",	  "2001:db8:0:ffff::", "2001:db8:feff:ffff::",
	    "::ffff:198.18.0.1"};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_true(has(&l, in[i]));
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		assert_false(has(&l, out[i]));
	struct fp_localnets all = {0};
	assert_int_equal(fp_localnets_add(&all, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_true(has(&all, "203.0.113.9"));
	assert_false(has(&all, "2001:db8::1")); /* an IPv4 network holds no IPv6 address */
}

static void test_direction(void **state)
{
	(void)state;
	struct fp_localnets l = {0};
	char err[256];
	assert_int_equal(fp_localnets_add(&l, "198.18.0.0/24", err, sizeof(err)), 0);
	struct fp_flow_key k = {.ipver = 4, .proto = 17};
	static const uint8_t local[4] = {198, 18, 0, 7}, remote[4] = {198, 19, 0, 7};
	const struct {
		const uint8_t *s, *d;
		enum fp_direction want;
		const char *name;
		uint8_t ie61;
	} cases[] = {{remote, local, FP_DIR_INBOUND, "inbound", 0},
		     {local, remote, FP_DIR_OUTBOUND, "outbound", 1},
		     {local, local, FP_DIR_INTERNAL, "internal", 255},
		     {remote, remote, FP_DIR_EXTERNAL, "external", 255}};
	for (size_t i = 0; i < 4; i++) {
		memcpy(k.src, cases[i].s, 4);
		memcpy(k.dst, cases[i].d, 4);
		enum fp_direction d = fp_localnets_direction(&l, &k);
		assert_int_equal(d, cases[i].want);
		assert_string_equal(fp_direction_name(d), cases[i].name);
		assert_int_equal(fp_flow_direction(d), cases[i].ie61);
	}
	assert_null(fp_direction_name(FP_DIR_NONE));
}

/* The search index against a plain scan of the prefixes as given: random sets of 200 networks
 * (IPv4 /12-/32, IPv6 /40-/128), and addresses drawn at them or a few bits away. */
static int naive_has(const struct fp_localnets *l, int ipver, const uint8_t *a)
{
	for (unsigned i = 0; i < l->n; i++) {
		const struct fp_localnet *n = &l->net[i];
		if (n->ipver != ipver)
			continue;
		unsigned whole = n->len / 8, rest = n->len % 8;
		if (memcmp(n->addr, a, whole) == 0 &&
		    (rest == 0 || ((a[whole] ^ n->addr[whole]) & (0xff00 >> rest)) == 0))
			return 1;
	}
	return 0;
}

static uint64_t rng = 88172645463325252ull;
static unsigned next_rand(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)rng;
}

static void test_against_scan(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		struct fp_localnets l = {0};
		char text[128], err[256];
		for (int i = 0; i < 200; i++) {
			int v6 = next_rand() % 2;
			/* lengths at which a network holds few of the others' addresses */
			unsigned max = v6 ? 128 : 32;
			unsigned len = v6 ? 40 + next_rand() % 89 : 12 + next_rand() % 21;
			uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
			for (unsigned b = v6 ? 4 : 0; b < (v6 ? 16u : 4u); b++)
				a[b] = (uint8_t)next_rand();
			for (unsigned bit = len; bit < max; bit++)
				a[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
			char addr[64];
			inet_ntop(v6 ? AF_INET6 : AF_INET, a, addr, sizeof(addr));
			snprintf(text, sizeof(text), "%s/%u", addr, len);
			assert_int_equal(fp_localnets_add(&l, text, err, sizeof(err)), 0);
		}
		int in = 0;
		for (int k = 0; k < 20000; k++) {
			const struct fp_localnet *near = &l.net[next_rand() % l.n];
			int v6 = near->ipver == 6;
			uint8_t a[16];
			memcpy(a, near->addr, 16);
			unsigned flips = next_rand() % 4; /* near a network, or inside it */
			for (unsigned f = 0; f < flips; f++) {
				unsigned bit = next_rand() % (v6 ? 128 : 32);
				a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
			}
			int want = naive_has(&l, v6 ? 6 : 4, a);
			assert_int_equal(fp_localnets_has(&l, v6 ? 6 : 4, a), want);
			in += want;
		}
		assert_true(in > 4000 && in < 16000); /* both answers, many times */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_membership),
	    cmocka_unit_test(test_direction),
	    cmocka_unit_test(test_against_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
