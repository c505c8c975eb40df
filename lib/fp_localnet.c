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
	return 0;
}

static int in_net(const struct fp_localnet *net, const uint8_t *a)
{
	unsigned whole = net->len / 8, rest = net->len % 8;
	if (memcmp(net->addr, a, whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ net->addr[whole]) & (0xff00 >> rest)) == 0;
}

int fp_localnets_has(const struct fp_localnets *l, int ipver, const uint8_t *a)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->net[i].ipver == ipver && in_net(&l->net[i], a))
			return 1;
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
