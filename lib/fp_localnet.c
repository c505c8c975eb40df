/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_localnet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One "ADDR[/LEN]" of `n` bytes into `out`. */
static int parse_one(const char *s, size_t n, struct fp_localnet *out, char *err, size_t errlen)
{
	char text[INET6_ADDRSTRLEN + 8];
	if (n == 0 || n >= sizeof(text)) {
		snprintf(err, errlen, "'%.*s' is not a network (ADDR/LEN)", (int)n, s);
		return -1;
	}
	memcpy(text, s, n);
	text[n] = '\0';
	char *slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->ipver = 4;
	} else if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->ipver = 6;
	} else {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", text);
		return -1;
	}
	unsigned max = out->ipver == 4 ? 32 : 128;
	unsigned long len = max;
	if (slash) {
		char *end;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || len > max) {
			snprintf(err, errlen, "'%s/%s': the prefix length is 0 to %u", text,
				 slash + 1, max);
			return -1;
		}
	}
	out->len = (uint8_t)len;
	for (unsigned bit = (unsigned)len; bit < max; bit++)
		if (out->addr[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(err, errlen,
				 "'%.*s' has host bits set beyond /%lu (did you mean another "
				 "prefix?)",
				 (int)n, s, len);
			return -1;
		}
	return 0;
}

/* An address (4 or 16 bytes) as a 128-bit number, IPv4 in the top 32 bits. */
static struct fp_localnet_key key_of(int ipver, const uint8_t *a)
{
	struct fp_localnet_key k = {0, 0};
	for (int i = 0; i < 8 && i < (ipver == 4 ? 4 : 8); i++)
		k.hi |= (uint64_t)a[i] << (56 - 8 * i);
	for (int i = 8; ipver == 6 && i < 16; i++)
		k.lo |= (uint64_t)a[i] << (120 - 8 * i);
	return k;
}

static struct fp_localnet_key masked(struct fp_localnet_key k, unsigned len)
{
	k.hi &= len >= 64 ? ~0ull : len ? ~0ull << (64 - len) : 0;
	k.lo &= len >= 128 ? ~0ull : len > 64 ? ~0ull << (128 - len) : 0;
	return k;
}

static int key_cmp(const struct fp_localnet_key *a, const struct fp_localnet_key *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

struct sort_item {
	uint8_t ipver, len;
	struct fp_localnet_key key;
};

static int item_cmp(const void *pa, const void *pb)
{
	const struct sort_item *a = pa, *b = pb;
	if (a->ipver != b->ipver)
		return a->ipver - b->ipver;
	if (a->len != b->len)
		return a->len - b->len;
	return key_cmp(&a->key, &b->key);
}

/* The search index of the networks given so far. */
static void build_index(struct fp_localnets *l)
{
	struct sort_item items[FP_LOCALNET_MAX];
	for (unsigned i = 0; i < l->n; i++)
		items[i] = (struct sort_item){l->net[i].ipver, l->net[i].len,
					      key_of(l->net[i].ipver, l->net[i].addr)};
	qsort(items, l->n, sizeof(items[0]), item_cmp);
	l->ngroups = 0;
	for (unsigned i = 0; i < l->n; i++) {
		struct fp_localnet_group *g = l->ngroups ? &l->group[l->ngroups - 1] : NULL;
		if (g == NULL || g->ipver != items[i].ipver || g->len != items[i].len) {
			g = &l->group[l->ngroups++];
			*g = (struct fp_localnet_group){items[i].ipver, items[i].len, (uint16_t)i,
							(uint16_t)i};
		}
		l->key[i] = items[i].key;
		g->end = (uint16_t)(i + 1);
	}
}

int fp_localnets_add(struct fp_localnets *l, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (l->n == FP_LOCALNET_MAX) {
			snprintf(err, errlen, "at most %d networks", FP_LOCALNET_MAX);
			return -1;
		}
		if (parse_one(p, n, &l->net[l->n], err, errlen) != 0)
			return -1;
		l->n++;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	build_index(l);
	return 0;
}

int fp_localnets_has(const struct fp_localnets *l, int ipver, const uint8_t *a)
{
	struct fp_localnet_key k = key_of(ipver, a);
	for (unsigned g = 0; g < l->ngroups; g++) {
		const struct fp_localnet_group *gr = &l->group[g];
		if (gr->ipver != ipver)
			continue;
		struct fp_localnet_key m = masked(k, gr->len);
		unsigned lo = gr->start, hi = gr->end; /* bisection over [lo, hi) */
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			int c = key_cmp(&l->key[mid], &m);
			if (c == 0)
				return 1;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return 0;
}

enum fp_direction fp_localnets_direction(const struct fp_localnets *l, const struct fp_flow_key *k)
{
	int src = fp_localnets_has(l, k->ipver, k->src),
	    dst = fp_localnets_has(l, k->ipver, k->dst);
	if (src)
		return dst ? FP_DIR_INTERNAL : FP_DIR_OUTBOUND;
	return dst ? FP_DIR_INBOUND : FP_DIR_EXTERNAL;
}

const char *fp_direction_name(unsigned d)
{
	static const char *const names[] = {NULL, "inbound", "outbound", "internal", "external"};
	return d < sizeof(names) / sizeof(names[0]) ? names[d] : NULL;
}
