/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_cid.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

/* OpenSSL 3 looks the algorithm up (under a lock) on every EVP_sha1() digest; one lookup for
 * the process instead (a flow file of a million flows hashes a million keys). EVP_Digest() also
 * allocates, sets up and frees a context per call: each thread keeps one context instead (111 →
 * 80 ns a digest here; a packet store's index of a million flows takes a million). */
static EVP_MD *sha1;
static pthread_key_t ctx_key;
static int ctx_key_ok;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void sha1_fetch(void)
{
	sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	ctx_key_ok = pthread_key_create(&ctx_key, ctx_free) == 0;
}

/* SHA-1 of `n` bytes into `out` (20 bytes and more room: EVP_MAX_MD_SIZE). */
static void sha1_digest(const uint8_t *in, size_t n, uint8_t *out)
{
	unsigned mdlen = 0;
	pthread_once(&sha1_once, sha1_fetch);
	EVP_MD_CTX *ctx = ctx_key_ok ? pthread_getspecific(ctx_key) : NULL;
	if (ctx == NULL && ctx_key_ok && sha1 && (ctx = EVP_MD_CTX_new()) != NULL &&
	    pthread_setspecific(ctx_key, ctx) != 0) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	if (ctx && EVP_DigestInit_ex2(ctx, sha1, NULL) && EVP_DigestUpdate(ctx, in, n) &&
	    EVP_DigestFinal_ex(ctx, out, &mdlen))
		return;
	EVP_Digest(in, n, out, &mdlen, sha1 ? sha1 : EVP_sha1(), NULL);
}

/* ICMP message types that answer one another (and so make a two-way conversation), as the
 * Community ID spec takes them from Zeek; 0 = none. */
static uint8_t icmp_counterpart(int v6, uint8_t type)
{
	static const uint8_t v4[][2] = {{8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};
	static const uint8_t v6p[][2] = {{128, 129}, {133, 134}, {135, 136},
					 {130, 131}, {139, 140}, {144, 145}};
	const uint8_t(*t)[2] = v6 ? v6p : v4;
	unsigned n = v6 ? sizeof(v6p) / sizeof(v6p[0]) : sizeof(v4) / sizeof(v4[0]);
	for (unsigned i = 0; i < n; i++) {
		if (t[i][0] == type)
			return t[i][1];
		if (t[i][1] == type)
			return t[i][0];
	}
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void fp_cid_v1_digest(const struct fp_flow_key *k, uint16_t seed, uint8_t md[FP_CID_DIGEST])
{
	int v6 = k->ipver == 6;
	size_t alen = v6 ? 16 : 4;
	const uint8_t *sa = k->src, *da = k->dst;
	uint16_t sp = k->sport, dp = k->dport;
	int ports = k->proto == 6 || k->proto == 17 || k->proto == 132;
	int one_way = 0;

	if (k->proto == 1 || k->proto == 58) {
		uint8_t type = (uint8_t)(k->dport >> 8), code = (uint8_t)k->dport;
		uint8_t other = icmp_counterpart(k->proto == 58, type);
		/* echo reply (0) is a counterpart too: tell "none" from it by the table */
		int has = other != 0 || (k->proto == 1 && type == 8);
		sp = type;
		dp = has ? other : code;
		one_way = !has;
		ports = 1;
	}
	/* the smaller (address, port) end first; a one-way ICMP message keeps its direction */
	int c = memcmp(sa, da, alen);
	if (!one_way && (c > 0 || (c == 0 && ports && sp > dp))) {
		const uint8_t *t = sa;
		sa = da;
		da = t;
		uint16_t p = sp;
		sp = dp;
		dp = p;
	}
	uint8_t buf[2 + 16 + 16 + 2 + 4], *p = buf;
	put16(p, seed);
	p += 2;
	memcpy(p, sa, alen);
	p += alen;
	memcpy(p, da, alen);
	p += alen;
	*p++ = k->proto;
	*p++ = 0;
	if (ports) {
		put16(p, sp);
		put16(p + 2, dp);
		p += 4;
	}
	uint8_t full[EVP_MAX_MD_SIZE];
	sha1_digest(buf, (size_t)(p - buf), full);
	memcpy(md, full, FP_CID_DIGEST);
}

void fp_cid_v1(const struct fp_flow_key *k, uint16_t seed, char out[FP_CID_LEN])
{
	uint8_t md[FP_CID_DIGEST];
	fp_cid_v1_digest(k, seed, md);
	out[0] = '1';
	out[1] = ':';
	EVP_EncodeBlock((unsigned char *)out + 2, md, FP_CID_DIGEST);
}

int fp_cid_parse(const char *s, uint8_t md[FP_CID_DIGEST])
{
	unsigned char raw[24];
	if (strncmp(s, "1:", 2) != 0 || strlen(s) != FP_CID_LEN - 1)
		return -1;
	/* 28 characters decode to 21 bytes, the last of them the padding's zero */
	if (EVP_DecodeBlock(raw, (const unsigned char *)s + 2, FP_CID_LEN - 3) != 21 ||
	    s[FP_CID_LEN - 2] != '=')
		return -1;
	memcpy(md, raw, FP_CID_DIGEST);
	return 0;
}

uint64_t fp_cid_key64(const uint8_t md[FP_CID_DIGEST])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	return v;
}
