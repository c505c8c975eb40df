/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design
 * - Every read goes through struct rd (a cursor over bytes that are there): a field that runs
 *   past its enclosing length makes the message malformed, never a read out of bounds.
 * - JA3 strings are hashed as they are written (EVP digest updates), so no list length bounds a
 *   fingerprint; JA4's sorted lists are bounded by what FP_TLS_BUF can hold (2-byte entries).
 * - A certificate is read only as far as its subject: a long chain never has to fit.
 */
#include "fp_tls.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h> /* qsort */
#include <string.h>

struct rd {
	const uint8_t *p;
	uint32_t n;
	int bad;
};

static uint32_t rd_u(struct rd *r, unsigned len)
{
	uint32_t v = 0;
	if (r->bad || r->n < len) {
		r->bad = 1;
		return 0;
	}
	for (unsigned i = 0; i < len; i++)
		v = v << 8 | r->p[i];
	r->p += len;
	r->n -= len;
	return v;
}

/* A sub-cursor over the next `len` bytes (a vector's body); the parent moves past them. */
static struct rd rd_sub(struct rd *r, uint32_t len)
{
	struct rd s = {r->p, len, r->bad || r->n < len};
	if (s.bad) {
		r->bad = 1;
		s.n = 0;
		return s;
	}
	r->p += len;
	r->n -= len;
	return s;
}

static int grease(uint32_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* One digest context per thread, and the algorithms fetched once (as fp_cid.c does): no
 * allocation and no lookup under OpenSSL's lock per handshake. */
static EVP_MD *md5_alg, *sha256_alg;
static pthread_key_t ctx_key;
static int ctx_key_ok;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void md_fetch(void)
{
	md5_alg = EVP_MD_fetch(NULL, "MD5", NULL);
	sha256_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
	ctx_key_ok = pthread_key_create(&ctx_key, ctx_free) == 0;
}

/* This thread's context, started for MD5 (`sha` 0) or SHA-256; NULL when OpenSSL has neither. */
static EVP_MD_CTX *md_start(int sha)
{
	pthread_once(&md_once, md_fetch);
	EVP_MD_CTX *c = ctx_key_ok ? pthread_getspecific(ctx_key) : NULL;
	if (c == NULL && ctx_key_ok && (c = EVP_MD_CTX_new()) != NULL &&
	    pthread_setspecific(ctx_key, c) != 0) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	const EVP_MD *alg = sha ? sha256_alg : md5_alg;
	if (c == NULL || alg == NULL || !EVP_DigestInit_ex2(c, alg, NULL))
		return NULL;
	return c;
}

/* Text from the wire into dst[cap]: as it is, cut to fit, NUL-terminated. */
static void copy_text(char *dst, size_t cap, const uint8_t *src, uint32_t n)
{
	if (n >= cap)
		n = (uint32_t)cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* JA3's strings are hashed as they are written. */
struct md {
	EVP_MD_CTX *c;
	int first; /* no value written yet in the current list */
};

static void md_put(struct md *m, const char *s)
{
	if (m->c)
		EVP_DigestUpdate(m->c, s, strlen(s));
}

/* The digest into out[16]; zeros when there was no context. */
static void md_end(struct md *m, uint8_t out[16])
{
	unsigned hl = 0;
	memset(out, 0, 16);
	if (m->c)
		EVP_DigestFinal_ex(m->c, out, &hl);
}

static void md_num(struct md *m, uint32_t v)
{
	char b[16];
	int i = sizeof(b);
	do { /* decimal, written backwards: no printf per value */
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (!m->first)
		b[--i] = '-';
	m->first = 0;
	if (m->c)
		EVP_DigestUpdate(m->c, b + i, sizeof(b) - (size_t)i);
}

static void md_list_end(struct md *m, int last)
{
	if (!last)
		md_put(m, ",");
	m->first = 1;
}

/* The next extension of `ex` that is not GREASE: its type into *type (and into JA3's or JA3S's
 * digest), its body into *e; 0 when none is left or the list is malformed. */
static int ext_next(struct rd *ex, struct md *m, uint32_t *type, struct rd *e)
{
	while (ex->n >= 4 && !ex->bad) {
		uint32_t t = rd_u(ex, 2);
		*e = rd_sub(ex, rd_u(ex, 2));
		if (e->bad)
			return 0;
		if (grease(t))
			continue;
		md_num(m, t);
		*type = t;
		return 1;
	}
	return 0;
}

/* --- ClientHello ------------------------------------------------------------------------ */

#define LIST_MAX (FP_TLS_BUF / 2)

struct hello {
	uint16_t ciphers[LIST_MAX], exts[LIST_MAX], sigalgs[LIST_MAX];
	uint32_t nciphers, nexts, nsigalgs, nexts_all;
	uint16_t version, best_supported;
	const uint8_t *alpn;
	uint32_t alpn_len;
	int sni;
};

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* A list as JA4 writes it: 4-digit lowercase hex, comma-separated, into the digest. */
static void hex_list(EVP_MD_CTX *c, const uint16_t *v, uint32_t n)
{
	static const char hexd[] = "0123456789abcdef";
	char b[5 * 64];
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (k + 5 > sizeof(b)) {
			EVP_DigestUpdate(c, b, k);
			k = 0;
		}
		if (i)
			b[k++] = ',';
		b[k++] = hexd[v[i] >> 12];
		b[k++] = hexd[v[i] >> 8 & 15];
		b[k++] = hexd[v[i] >> 4 & 15];
		b[k++] = hexd[v[i] & 15];
	}
	EVP_DigestUpdate(c, b, k);
}

/* The first 12 hex digits of SHA-256 over the lists, comma-joined in 4-digit hex, the lists
 * joined by '_' (JA4's b and c parts); twelve zeros when there is nothing to hash. */
static void ja4_hash(char out[13], const uint16_t *a, uint32_t na, const uint16_t *b, uint32_t nb)
{
	if (na == 0 && nb == 0) {
		memcpy(out, "000000000000", 13);
		return;
	}
	EVP_MD_CTX *c = md_start(1);
	unsigned char h[32];
	unsigned hl = 0;
	if (c == NULL) {
		memcpy(out, "000000000000", 13);
		return;
	}
	hex_list(c, a, na);
	if (nb)
		EVP_DigestUpdate(c, "_", 1);
	hex_list(c, b, nb);
	EVP_DigestFinal_ex(c, h, &hl);
	static const char hexd[] = "0123456789abcdef";
	for (int i = 0; i < 6; i++) {
		out[2 * i] = hexd[h[i] >> 4];
		out[2 * i + 1] = hexd[h[i] & 15];
	}
	out[12] = '\0';
}

static int alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void ja4_make(struct hello *h, int quic, char out[40])
{
	static const char hexd[] = "0123456789abcdef";
	uint16_t v = h->best_supported ? h->best_supported : h->version;
	const char *ver = "00";
	switch (v) {
	case 0x0304:
		ver = "13";
		break;
	case 0x0303:
		ver = "12";
		break;
	case 0x0302:
		ver = "11";
		break;
	case 0x0301:
		ver = "10";
		break;
	case 0x0300:
		ver = "s3";
		break;
	case 0x0200:
		ver = "s2";
		break;
	case 0x0100:
		ver = "s1";
		break;
	}
	char a1 = '0', a2 = '0';
	if (h->alpn_len) {
		uint8_t f = h->alpn[0], l = h->alpn[h->alpn_len - 1];
		if (alnum(f) && alnum(l)) {
			a1 = (char)f;
			a2 = (char)l;
		} else { /* FoxIO: the first and last hex digits of the value */
			a1 = hexd[f >> 4];
			a2 = hexd[l & 15];
		}
	}
	/* the extension hash leaves out the server name and ALPN, counted in the first part */
	uint32_t k = 0;
	for (uint32_t i = 0; i < h->nexts; i++)
		if (h->exts[i] != 0x0000 && h->exts[i] != 0x0010)
			h->exts[k++] = h->exts[i];
	qsort(h->ciphers, h->nciphers, sizeof(uint16_t), cmp_u16);
	qsort(h->exts, k, sizeof(uint16_t), cmp_u16);
	char hc[13], he[13];
	ja4_hash(hc, h->ciphers, h->nciphers, NULL, 0);
	if (k == 0 && h->nsigalgs == 0)
		memcpy(he, "000000000000", 13);
	else if (h->nsigalgs == 0)
		ja4_hash(he, h->exts, k, NULL, 0);
	else
		ja4_hash(he, h->exts, k, h->sigalgs, h->nsigalgs);
	snprintf(out, 40, "%c%s%c%02u%02u%c%c_%s_%s", quic ? 'q' : 't', ver, h->sni ? 'd' : 'i',
		 h->nciphers > 99 ? 99 : h->nciphers, h->nexts_all > 99 ? 99 : h->nexts_all, a1, a2,
		 hc, he);
}

/* One ClientHello extension: into JA3 (its type, its curves and point formats kept aside) and
 * what JA4 and the record want. */
static void client_ext(struct hello *h, uint32_t type, struct rd e, struct fp_tls_info *info,
		       struct rd *groups, struct rd *formats)
{
	switch (type) {
	case 0x0000: { /* server_name: the first host_name */
		h->sni = 1;
		struct rd l = rd_sub(&e, rd_u(&e, 2));
		while (l.n && !l.bad) {
			uint32_t t = rd_u(&l, 1);
			struct rd name = rd_sub(&l, rd_u(&l, 2));
			if (t == 0 && !name.bad) {
				copy_text(info->sni, sizeof(info->sni), name.p, name.n);
				break;
			}
		}
		break;
	}
	case 0x000a: /* supported_groups: JA3's curves */
		*groups = rd_sub(&e, rd_u(&e, 2));
		break;
	case 0x000b: /* ec_point_formats */
		*formats = rd_sub(&e, rd_u(&e, 1));
		break;
	case 0x000d: { /* signature_algorithms, in their order */
		struct rd l = rd_sub(&e, rd_u(&e, 2));
		while (l.n >= 2 && h->nsigalgs < LIST_MAX) {
			uint32_t s = rd_u(&l, 2);
			if (!grease(s))
				h->sigalgs[h->nsigalgs++] = (uint16_t)s;
		}
		break;
	}
	case 0x0010: { /* ALPN: the first protocol */
		struct rd l = rd_sub(&e, rd_u(&e, 2));
		struct rd first = rd_sub(&l, rd_u(&l, 1));
		if (!first.bad && first.n) {
			h->alpn = first.p;
			h->alpn_len = first.n;
			copy_text(info->alpn_offered, sizeof(info->alpn_offered), first.p, first.n);
		}
		break;
	}
	case 0x002b: { /* supported_versions: the highest */
		struct rd l = rd_sub(&e, rd_u(&e, 1));
		while (l.n >= 2) {
			uint32_t v = rd_u(&l, 2);
			if (!grease(v) && v > h->best_supported)
				h->best_supported = (uint16_t)v;
		}
		break;
	}
	}
}

static void ja3_u16_list(struct md *m, struct rd l, int skip_grease)
{
	while (l.n >= 2) {
		uint32_t v = rd_u(&l, 2);
		if (!skip_grease || !grease(v))
			md_num(m, v);
	}
}

int fp_tls_client_hello(const uint8_t *p, uint32_t n, int quic, struct fp_tls_info *info)
{
	struct hello hb; /* on the stack: no allocation on a worker; the lists need no zeroing */
	struct hello *h = &hb;
	struct rd r = {p, n, 0}, groups = {0}, formats = {0};
	h->nciphers = h->nexts = h->nsigalgs = h->nexts_all = 0;
	h->best_supported = 0;
	h->alpn = NULL;
	h->alpn_len = 0;
	h->sni = 0;
	h->version = (uint16_t)rd_u(&r, 2);
	rd_sub(&r, 32);		 /* random */
	rd_sub(&r, rd_u(&r, 1)); /* session id */
	struct rd cs = rd_sub(&r, rd_u(&r, 2));
	rd_sub(&r, rd_u(&r, 1)); /* compression methods */
	struct rd ex = {0};
	if (r.n >= 2)
		ex = rd_sub(&r, rd_u(&r, 2));
	if (r.bad || cs.bad || ex.bad)
		return -1;
	info->sni[0] = info->alpn_offered[0] = '\0';

	struct md m = {md_start(0), 1};
	md_num(&m, h->version);
	md_list_end(&m, 0);
	for (struct rd c = cs; c.n >= 2;) {
		uint32_t v = rd_u(&c, 2);
		if (grease(v))
			continue;
		md_num(&m, v);
		if (h->nciphers < LIST_MAX)
			h->ciphers[h->nciphers++] = (uint16_t)v;
	}
	md_list_end(&m, 0);
	uint32_t type;
	struct rd e;
	while (ext_next(&ex, &m, &type, &e)) {
		h->nexts_all++;
		if (h->nexts < LIST_MAX)
			h->exts[h->nexts++] = (uint16_t)type;
		client_ext(h, type, e, info, &groups, &formats);
	}
	md_list_end(&m, 0);
	ja3_u16_list(&m, groups, 1);
	md_list_end(&m, 0);
	while (formats.n >= 1)
		md_num(&m, rd_u(&formats, 1));
	md_end(&m, info->ja3);
	ja4_make(h, quic, info->ja4);
	info->have |= FP_TLS_HAVE_CLIENT;
	return 0;
}

/* --- ServerHello ------------------------------------------------------------------------ */

int fp_tls_server_hello(const uint8_t *p, uint32_t n, struct fp_tls_info *info)
{
	struct rd r = {p, n, 0};
	uint32_t version = rd_u(&r, 2);
	rd_sub(&r, 32);
	rd_sub(&r, rd_u(&r, 1));
	uint32_t cipher = rd_u(&r, 2);
	rd_u(&r, 1); /* compression */
	struct rd ex = {0};
	if (r.n >= 2)
		ex = rd_sub(&r, rd_u(&r, 2));
	if (r.bad || ex.bad)
		return -1;
	struct md m = {md_start(0), 1};
	md_num(&m, version);
	md_list_end(&m, 0);
	md_num(&m, cipher);
	md_list_end(&m, 0);
	info->version = (uint16_t)version;
	info->alpn[0] = '\0';
	uint32_t type;
	struct rd e;
	while (ext_next(&ex, &m, &type, &e)) {
		if (type == 0x002b && e.n >= 2) /* supported_versions: the one chosen */
			info->version = (uint16_t)rd_u(&e, 2);
		else if (type == 0x0010) {
			struct rd l = rd_sub(&e, rd_u(&e, 2));
			struct rd v = rd_sub(&l, rd_u(&l, 1));
			if (!v.bad)
				copy_text(info->alpn, sizeof(info->alpn), v.p, v.n);
		}
	}
	md_end(&m, info->ja3s);
	info->cipher = (uint16_t)cipher;
	info->have |= FP_TLS_HAVE_SERVER;
	return 0;
}

/* --- Certificate ------------------------------------------------------------------------ */

/* A DER element's tag and its contents. -1 malformed, 0 not all there yet, 1 read. */
static int der(struct rd *r, uint8_t *tag, struct rd *body)
{
	if (r->n < 2)
		return 0;
	*tag = r->p[0];
	uint32_t len = r->p[1], hdr = 2;
	if (len & 0x80) {
		unsigned k = len & 0x7f;
		if (k == 0 || k > 3)
			return -1;
		if (r->n < 2 + k)
			return 0;
		len = 0;
		for (unsigned i = 0; i < k; i++)
			len = len << 8 | r->p[2 + i];
		hdr += k;
	}
	if (r->n - hdr < len)
		return 0;
	body->p = r->p + hdr;
	body->n = len;
	body->bad = 0;
	r->p += hdr + len;
	r->n -= hdr + len;
	return 1;
}

/* RFC 4514's short names of the attributes certificates use. */
static const char *attr_name(const uint8_t *oid, uint32_t n)
{
	static const struct {
		uint8_t len;
		uint8_t oid[10];
		const char *name;
	} names[] = {
	    {3, {0x55, 0x04, 0x03}, "CN"},
	    {3, {0x55, 0x04, 0x06}, "C"},
	    {3, {0x55, 0x04, 0x07}, "L"},
	    {3, {0x55, 0x04, 0x08}, "ST"},
	    {3, {0x55, 0x04, 0x09}, "street"},
	    {3, {0x55, 0x04, 0x0a}, "O"},
	    {3, {0x55, 0x04, 0x0b}, "OU"},
	    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, "DC"},
	    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, "UID"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].len == n && memcmp(names[i].oid, oid, n) == 0)
			return names[i].name;
	return NULL;
}

struct dn {
	char *s;
	size_t cap, len;
};

static void dn_put(struct dn *d, const char *s, size_t n)
{
	if (d->len + n >= d->cap)
		n = d->cap - 1 - d->len;
	memcpy(d->s + d->len, s, n);
	d->len += n;
	d->s[d->len] = '\0';
}

/* An OID in dotted decimal (an attribute without a short name). */
static void dn_oid(struct dn *d, const uint8_t *p, uint32_t n)
{
	char b[32];
	uint64_t v = 0;
	int first = 1;
	for (uint32_t i = 0; i < n; i++) {
		v = v << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first) { /* the first two arcs share one number */
			unsigned a = v < 80 ? (unsigned)(v / 40) : 2;
			snprintf(b, sizeof(b), "%u.%llu", a, (unsigned long long)(v - 40ull * a));
			first = 0;
		} else {
			snprintf(b, sizeof(b), ".%llu", (unsigned long long)v);
		}
		dn_put(d, b, strlen(b));
		v = 0;
	}
}

/* An attribute's value, escaped as RFC 4514 says; a string type we do not decode as '#' and
 * its DER in hex. BMPString keeps its ASCII characters ('?' for the rest). */
static void dn_value(struct dn *d, uint8_t tag, const uint8_t *p, uint32_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	int bmp = tag == 0x1e;
	if (tag != 0x0c && tag != 0x13 && tag != 0x16 && tag != 0x14 && !bmp) {
		char b[3] = {'#', 0, 0};
		dn_put(d, b, 1);
		for (uint32_t i = 0; i < n && i < 64; i++) {
			b[0] = hexd[p[i] >> 4];
			b[1] = hexd[p[i] & 15];
			dn_put(d, b, 2);
		}
		return;
	}
	uint32_t step = bmp ? 2 : 1;
	for (uint32_t i = 0; i + step <= n; i += step) {
		uint32_t c = bmp ? (uint32_t)p[i] << 8 | p[i + 1] : p[i];
		char b[2] = {(char)(c < 0x80 || !bmp ? c : '?'), 0};
		int esc = strchr(",+\"\\<>;", b[0]) != NULL && b[0] != '\0';
		if ((i == 0 && (b[0] == '#' || b[0] == ' ')) || (i + step >= n && b[0] == ' '))
			esc = 1;
		if (esc)
			dn_put(d, "\\", 1);
		dn_put(d, b, 1);
	}
}

/* A Name (SEQUENCE OF SET OF AttributeTypeAndValue), last RDN first, into out[cap]. */
static int dn_write(struct rd name, char *out, size_t cap)
{
	struct rd rdns[64];
	unsigned k = 0;
	uint8_t tag;
	struct rd set;
	int st;
	while (name.n && (st = der(&name, &tag, &set)) == 1 && k < 64) {
		if (tag != 0x31)
			return -1;
		rdns[k++] = set;
	}
	if (name.n && k < 64)
		return -1;
	struct dn d = {out, cap, 0};
	out[0] = '\0';
	while (k--) {
		int first = 1;
		for (struct rd s = rdns[k]; s.n;) {
			struct rd atv, oid, val;
			uint8_t t1, t2, t3;
			if (der(&s, &t1, &atv) != 1 || t1 != 0x30 || der(&atv, &t2, &oid) != 1 ||
			    t2 != 0x06 || der(&atv, &t3, &val) != 1)
				return -1;
			if (!first)
				dn_put(&d, "+", 1);
			else if (d.len)
				dn_put(&d, ",", 1);
			first = 0;
			const char *nm = attr_name(oid.p, oid.n);
			if (nm)
				dn_put(&d, nm, strlen(nm));
			else
				dn_oid(&d, oid.p, oid.n);
			dn_put(&d, "=", 1);
			dn_value(&d, t3, val.p, val.n);
		}
	}
	return 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) in seconds since 1970. */
static int der_time(uint8_t tag, struct rd t, int64_t *out)
{
	unsigned yd = tag == 0x17 ? 2 : 4;
	if ((tag != 0x17 && tag != 0x18) || t.n < yd + 10 || t.p[yd + 10] != 'Z')
		return -1;
	unsigned v[7] = {0};
	unsigned w[7] = {yd, 2, 2, 2, 2, 2, 0};
	const uint8_t *c = t.p;
	for (int i = 0; i < 6; i++)
		for (unsigned j = 0; j < w[i]; j++, c++) {
			if (*c < '0' || *c > '9')
				return -1;
			v[i] = v[i] * 10 + (unsigned)(*c - '0');
		}
	if (yd == 2)
		v[0] += v[0] >= 50 ? 1900 : 2000;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	*out = days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
	return 0;
}

int fp_tls_certificate(const uint8_t *p, uint32_t n, struct fp_tls_info *info)
{
	struct rd r = {p, n, 0};
	if (n < 6)
		return 0;
	uint32_t list = rd_u(&r, 3), first = rd_u(&r, 3);
	if (list < 3 || first > list - 3 || first == 0)
		return -1;
	/* the first certificate as far as it is there */
	struct rd c = {r.p, first < r.n ? first : r.n, 0};
	/* Certificate and TBSCertificate: read their headers only (their ends may be missing) */
	for (int level = 0; level < 2; level++) {
		if (c.n < 4)
			return 0;
		if (c.p[0] != 0x30)
			return -1;
		uint32_t l = c.p[1], hdr = 2;
		if (l & 0x80) {
			hdr += l & 0x7f;
			if ((l & 0x7f) == 0 || (l & 0x7f) > 3)
				return -1;
		}
		if (c.n < hdr)
			return 0;
		c.p += hdr;
		c.n -= hdr;
	}
	uint8_t tag;
	struct rd e, issuer, validity, subject;
	int st;
	if (c.n && c.p[0] == 0xa0 && (st = der(&c, &tag, &e)) != 1) /* version */
		return st;
	if ((st = der(&c, &tag, &e)) != 1 || tag != 0x02) /* serial */
		return st == 1 ? -1 : st;
	if ((st = der(&c, &tag, &e)) != 1 || tag != 0x30) /* signature algorithm */
		return st == 1 ? -1 : st;
	if ((st = der(&c, &tag, &issuer)) != 1 || tag != 0x30)
		return st == 1 ? -1 : st;
	if ((st = der(&c, &tag, &validity)) != 1 || tag != 0x30)
		return st == 1 ? -1 : st;
	if ((st = der(&c, &tag, &subject)) != 1 || tag != 0x30)
		return st == 1 ? -1 : st;
	struct rd nb, na;
	uint8_t tb, ta;
	if (der(&validity, &tb, &nb) != 1 || der(&validity, &ta, &na) != 1 ||
	    der_time(ta, na, &info->not_after) != 0)
		return -1;
	if (dn_write(issuer, info->issuer, sizeof(info->issuer)) != 0 ||
	    dn_write(subject, info->subject, sizeof(info->subject)) != 0)
		return -1;
	info->have |= FP_TLS_HAVE_CERT;
	return 1;
}

/* --- the stream ------------------------------------------------------------------------- */

/* One complete (or, for a certificate, partial) handshake message at buf: what it tells. */
static enum fp_tls_step message(struct fp_tls_dir *d, const uint8_t *m, uint32_t have, uint32_t len,
				struct fp_tls_info *info)
{
	uint8_t type = m[0];
	const uint8_t *body = m + 4;
	uint32_t n = have - 4 < len ? have - 4 : len;
	if (!d->server)
		return type == 1 && fp_tls_client_hello(body, n, 0, info) == 0 ? FP_TLS_DONE
									       : FP_TLS_NOT_TLS;
	if (!d->seen_hello) {
		if (type != 2 || fp_tls_server_hello(body, n, info) != 0)
			return FP_TLS_NOT_TLS;
		d->seen_hello = 1;
		/* TLS 1.3 encrypts the rest */
		return info->version >= 0x0304 ? FP_TLS_DONE : FP_TLS_MORE;
	}
	if (type != 11)
		return FP_TLS_DONE; /* no certificate (a resumed session, PSK) */
	int st = fp_tls_certificate(body, n, info);
	if (st < 0)
		return FP_TLS_NOT_TLS;
	return st ? FP_TLS_DONE : FP_TLS_MORE;
}

/* Read what the buffer holds; consumed messages leave it. */
static enum fp_tls_step drain(struct fp_tls_dir *d, uint8_t *buf, struct fp_tls_info *info)
{
	uint32_t off = 0;
	enum fp_tls_step st = FP_TLS_MORE;
	while (d->len - off >= 4) {
		const uint8_t *m = buf + off;
		uint32_t len = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		int whole = d->len - off - 4 >= len;
		/* a certificate is read as far as it is there; every other message whole */
		if (!whole && !(d->server && d->seen_hello && m[0] == 11))
			break;
		st = message(d, m, d->len - off, len, info);
		if (st != FP_TLS_MORE || !whole)
			break;
		off += 4 + len;
	}
	if (st != FP_TLS_MORE)
		return st;
	if (off) { /* what is left of a message goes to the front */
		memmove(buf, buf + off, d->len - off);
		d->len -= off;
	}
	return d->len == FP_TLS_BUF ? FP_TLS_TOO_LONG : FP_TLS_MORE;
}

enum fp_tls_step fp_tls_feed(struct fp_tls_dir *d, uint8_t *buf, const uint8_t *data, uint32_t n,
			     struct fp_tls_info *info)
{
	while (n) {
		if (d->rec_left == 0) { /* a record header, perhaps split */
			while (n && d->hdr_have < 5) {
				d->hdr[d->hdr_have++] = *data++;
				n--;
			}
			if (d->hdr_have < 5)
				return FP_TLS_MORE;
			d->hdr_have = 0;
			uint32_t rl = (uint32_t)d->hdr[3] << 8 | d->hdr[4];
			if (d->hdr[0] != 22 || d->hdr[1] != 3 || rl == 0 || rl > 18432)
				return d->seen_hello ? FP_TLS_DONE : FP_TLS_NOT_TLS;
			d->rec_left = (uint16_t)rl;
			continue;
		}
		uint32_t k = n < d->rec_left ? n : d->rec_left;
		uint32_t room = FP_TLS_BUF - d->len;
		uint32_t take = k < room ? k : room;
		memcpy(buf + d->len, data, take);
		d->len += take;
		d->rec_left = (uint16_t)(d->rec_left - k);
		data += k;
		n -= k;
		enum fp_tls_step st = drain(d, buf, info);
		if (st != FP_TLS_MORE)
			return st;
		if (take < k)
			return FP_TLS_TOO_LONG;
	}
	return FP_TLS_MORE;
}

/* --- names ------------------------------------------------------------------------------ */

const char *fp_tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300:
		return "3.0";
	case 0x0301:
		return "1.0";
	case 0x0302:
		return "1.1";
	case 0x0303:
		return "1.2";
	case 0x0304:
		return "1.3";
	default:
		return NULL;
	}
}

const char *fp_tls_cipher_name(uint16_t c)
{
	/* the suites of current clients and servers (IANA's TLS Cipher Suites registry) */
	static const struct {
		uint16_t id;
		const char *name;
	} t[] = {
	    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	    {0x1301, "TLS_AES_128_GCM_SHA256"},
	    {0x1302, "TLS_AES_256_GCM_SHA384"},
	    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	    {0x1304, "TLS_AES_128_CCM_SHA256"},
	    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
	    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].id == c)
			return t[i].name;
	return NULL;
}
