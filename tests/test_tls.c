/* SPDX-License-Identifier: BSD-3-Clause */
/* --fields tls's reader (lib/fp_tls.c) on ClientHellos built here from published fingerprints:
 * FoxIO's JA4 specification example (technical_details/JA4.md: its ciphers, extensions and
 * signature algorithms give t13d1516h2_8daaf6152771_e5627efa2ab1) and a Chrome handshake whose
 * JA3 string, JA3 hash, JA4 and raw JA4 were published together (browserleaks' output), with
 * GREASE values added where browsers put them; the same bytes split at every point; and what
 * must not be read. Real handshakes against tshark's JA3/JA3S: tests/e2e_tlsfp.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fp_tls.h"

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void u8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;
	put(b, &x, 1);
}

static void u16(struct buf *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v & 0xff);
}

static void u24(struct buf *b, unsigned v)
{
	u8(b, v >> 16);
	u16(b, v & 0xffff);
}

/* An extension `type` whose body is `body` */
static void ext(struct buf *b, unsigned type, const struct buf *body)
{
	u16(b, type);
	u16(b, (unsigned)body->n);
	put(b, body->b, body->n);
}

static void u16_list(struct buf *b, unsigned lenbytes, const unsigned *v, size_t n)
{
	if (lenbytes == 1)
		u8(b, (unsigned)(2 * n));
	else
		u16(b, (unsigned)(2 * n));
	for (size_t i = 0; i < n; i++)
		u16(b, v[i]);
}

static const unsigned sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};

/* The body of extension `type` as a browser sends it (empty where no reader looks inside) */
static void ext_body(struct buf *e, unsigned type, const unsigned *groups, size_t ngroups)
{
	static const unsigned versions[] = {0x3a3a, 0x0304, 0x0303};
	e->n = 0;
	switch (type) {
	case 0x0000:
		u16(e, 14);
		u8(e, 0);
		u16(e, 11);
		put(e, "web.example", 11);
		break;
	case 0x0010:
		u16(e, 12);
		u8(e, 2);
		put(e, "h2", 2);
		u8(e, 8);
		put(e, "http/1.1", 8);
		break;
	case 0x000d:
		u16_list(e, 2, sigalgs, 8);
		break;
	case 0x002b:
		u16_list(e, 1, versions, 3);
		break;
	case 0x000a:
		u16_list(e, 2, groups, ngroups);
		break;
	case 0x000b:
		u8(e, 1);
		u8(e, 0);
		break;
	}
}

/* A ClientHello message (type 1 and its length first) with these ciphers and extensions, in
 * this order. */
static void client_hello(struct buf *m, const unsigned *ciphers, size_t nc, const unsigned *exts,
			 size_t ne, const unsigned *groups, size_t ng)
{
	struct buf body = {.n = 0}, e, all = {.n = 0};
	u16(&body, 0x0303);
	for (int i = 0; i < 32; i++)
		u8(&body, (unsigned)i);
	u8(&body, 32);
	for (int i = 0; i < 32; i++)
		u8(&body, 0xee);
	u16_list(&body, 2, ciphers, nc);
	u8(&body, 1);
	u8(&body, 0);
	for (size_t i = 0; i < ne; i++) {
		ext_body(&e, exts[i], groups, ng);
		ext(&all, exts[i], &e);
	}
	u16(&body, (unsigned)all.n);
	put(&body, all.b, all.n);
	m->n = 0;
	u8(m, 1);
	u24(m, (unsigned)body.n);
	put(m, body.b, body.n);
}

static void hex(const uint8_t *h, char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* FoxIO's example: 15 ciphers, 16 extensions, the eight signature algorithms */
static void test_ja4_spec_example(void **state)
{
	(void)state;
	static const unsigned ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					   0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
					   0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
	static const unsigned exts[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017,
					0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
					0xff01, 0x000b, 0x000a, 0x0015};
	static const unsigned groups[] = {0x001d, 0x0017};
	struct buf m;
	client_hello(&m, ciphers, 15, exts, 16, groups, 2);
	struct fp_tls_info info = {0};
	assert_int_equal(fp_tls_client_hello(m.b + 4, (uint32_t)m.n - 4, 0, &info), 0);
	assert_string_equal(info.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_string_equal(info.sni, "web.example");
	assert_string_equal(info.alpn_offered, "h2");
	assert_true(info.have & FP_TLS_HAVE_CLIENT);
	memset(&info, 0, sizeof(info));
	assert_int_equal(fp_tls_client_hello(m.b + 4, (uint32_t)m.n - 4, 1, &info), 0);
	assert_string_equal(info.ja4, "q13d1516h2_8daaf6152771_e5627efa2ab1");
}

/* Chrome's, published with its JA3 string and hash and its JA4 (raw and hashed) */
static const unsigned chrome_ciphers[] = {0x4a4a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					  0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
					  0x009c, 0x009d, 0x002f, 0x0035};
static const unsigned chrome_exts[] = {0x2a2a, 0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017,
				       0x44cd, 0x0000, 0x000b, 0x000a, 0x002b, 0xff01,
				       0x0023, 0x0012, 0x0005, 0x000d, 0x001b, 0x5a5a};
static const unsigned chrome_groups[] = {0x8a8a, 0x11ec, 0x001d, 0x0017, 0x0018};

static void test_chrome(void **state)
{
	(void)state;
	struct buf m;
	client_hello(&m, chrome_ciphers, 16, chrome_exts, 18, chrome_groups, 5);
	struct fp_tls_info info = {0};
	char h[33];
	assert_int_equal(fp_tls_client_hello(m.b + 4, (uint32_t)m.n - 4, 0, &info), 0);
	hex(info.ja3, h);
	/* MD5 of 771,4865-...-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,
	 * 4588-29-23-24,0 */
	assert_string_equal(h, "98487aa16281980e7d1120d399efb6a4");
	assert_string_equal(info.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
}

/* The same ClientHello in TLS records split at every byte: one feed at a time */
static void test_split_everywhere(void **state)
{
	(void)state;
	struct buf m, rec = {.n = 0};
	client_hello(&m, chrome_ciphers, 16, chrome_exts, 18, chrome_groups, 5);
	/* two records: the handshake message split between them too */
	size_t half = m.n / 2;
	u8(&rec, 22);
	u16(&rec, 0x0301);
	u16(&rec, (unsigned)half);
	put(&rec, m.b, half);
	u8(&rec, 22);
	u16(&rec, 0x0301);
	u16(&rec, (unsigned)(m.n - half));
	put(&rec, m.b + half, m.n - half);
	static uint8_t hbuf[FP_TLS_BUF];
	for (size_t cut = 1; cut < rec.n; cut++) {
		struct fp_tls_dir d = {0};
		struct fp_tls_info info = {0};
		assert_int_equal(fp_tls_feed(&d, hbuf, rec.b, (uint32_t)cut, &info), FP_TLS_MORE);
		assert_int_equal(fp_tls_feed(&d, hbuf, rec.b + cut, (uint32_t)(rec.n - cut), &info),
				 FP_TLS_DONE);
		assert_string_equal(info.ja4, "t13d1516h2_8daaf6152771_d8a2da3f94cd");
	}
}

/* Anything else is not read, and nothing is read out of bounds (ASan) */
static void test_refused(void **state)
{
	(void)state;
	struct buf m;
	client_hello(&m, chrome_ciphers, 16, chrome_exts, 18, chrome_groups, 5);
	struct fp_tls_info info = {0};
	for (size_t n = 0; n < m.n - 4; n++) /* every cut of the body is malformed or short */
		(void)fp_tls_client_hello(m.b + 4, (uint32_t)n, 0, &info);
	assert_int_equal(fp_tls_client_hello(m.b + 4, 20, 0, &info), -1);
	static uint8_t hbuf[FP_TLS_BUF];
	struct fp_tls_dir d = {0};
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	assert_int_equal(fp_tls_feed(&d, hbuf, http, sizeof(http) - 1, &info), FP_TLS_NOT_TLS);
	/* a handshake record whose message is not a ClientHello */
	static const uint8_t other[] = {22, 3, 1, 0, 5, 2, 0, 0, 1, 0};
	memset(&d, 0, sizeof(d));
	assert_int_equal(fp_tls_feed(&d, hbuf, other, sizeof(other), &info), FP_TLS_NOT_TLS);
	/* a message longer than the buffer */
	uint8_t big[5 + 4];
	memcpy(big, (uint8_t[]){22, 3, 1, 0x40, 0x00, 1, 0x00, 0x80, 0x00}, 9);
	memset(&d, 0, sizeof(d));
	enum fp_tls_step st = fp_tls_feed(&d, hbuf, big, 9, &info);
	static uint8_t zeros[16384];
	st = fp_tls_feed(&d, hbuf, zeros, 0x4000 - 4, &info);
	assert_int_equal(st, FP_TLS_TOO_LONG);
	assert_true(fp_tls_starts((const uint8_t[]){22, 3, 1, 0, 9, 1}, 6, 0));
	assert_false(fp_tls_starts((const uint8_t[]){22, 3, 1, 0, 9, 1}, 6, 1));
	assert_false(fp_tls_starts((const uint8_t[]){23, 3, 3, 0, 9, 1}, 6, 0));
	assert_true(fp_tls_starts((const uint8_t[]){22, 3}, 2, 1)); /* a short first segment */
	assert_false(fp_tls_starts((const uint8_t[]){22, 4}, 2, 1));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(fp_tls_version_name(0x0304), "1.3");
	assert_null(fp_tls_version_name(0x7f1c));
	assert_string_equal(fp_tls_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
	assert_string_equal(fp_tls_cipher_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_null(fp_tls_cipher_name(0xfefe));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ja4_spec_example),
	    cmocka_unit_test(test_chrome),
	    cmocka_unit_test(test_split_everywhere),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
