/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design: one forward pass, link header → tags → IP → extension headers → transport ports.
 * `end` is always min(captured length, what the enclosing header says), so a field is read only
 * after a check against it; every loop has a fixed maximum. Octets come from the IP header, not
 * from the capture, so a snaplen never shrinks the byte counts (IANA octetDeltaCount is IP bytes).
 */
#include "fp_parse.h"

#include <stddef.h>

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100
#define ETH_P_QINQ2 0x9200
#define ETH_P_MPLS_UC 0x8847
#define ETH_P_MPLS_MC 0x8848

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Transport ports, type/code and flags from `l4` (`len` bytes belong to this IP packet). */
static enum fp_parse_result parse_l4(const uint8_t *l4, uint32_t len, struct fp_pkt *out)
{
	struct fp_flow_key *k = &out->key;

	switch (k->proto) {
	case 6: /* TCP: ports and the flags byte */
		if (len < 14)
			return FP_PARSE_TRUNC_L4;
		if ((l4[12] >> 4) < 5)
			return FP_PARSE_BAD_L4;
		k->sport = rd16(l4);
		k->dport = rd16(l4 + 2);
		out->tcp_flags = l4[13];
		return FP_PARSE_OK;
	case 17:  /* UDP */
	case 132: /* SCTP */
	case 136: /* UDP-Lite */
	case 33:  /* DCCP */
		if (len < 4)
			return FP_PARSE_TRUNC_L4;
		k->sport = rd16(l4);
		k->dport = rd16(l4 + 2);
		return FP_PARSE_OK;
	case 1:	 /* ICMP */
	case 58: /* ICMPv6 */
		if ((k->proto == 1) != (k->ipver == 4))
			return FP_PARSE_OK; /* ICMP inside IPv6 or vice versa: no type/code */
		if (len < 2)
			return FP_PARSE_TRUNC_L4;
		k->dport = rd16(l4);
		return FP_PARSE_OK;
	default:
		return FP_PARSE_OK;
	}
}

static enum fp_parse_result parse_ipv4(const uint8_t *ip, uint32_t cap, uint32_t wire,
				       struct fp_pkt *out)
{
	struct fp_flow_key *k = &out->key;

	if (cap < 20)
		return FP_PARSE_TRUNC_L3;
	if ((ip[0] >> 4) != 4)
		return FP_PARSE_BAD_VERSION;
	uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < 20)
		return FP_PARSE_BAD_IHL;
	if (hlen > cap)
		return FP_PARSE_TRUNC_L3;
	uint32_t tot = rd16(ip + 2);
	if (tot < hlen || tot > wire)
		return FP_PARSE_BAD_LENGTH;

	k->ipver = 4;
	k->proto = ip[9];
	memcpy(k->src, ip + 12, 4);
	memcpy(k->dst, ip + 16, 4);
	out->octets = tot;
	out->tos = ip[1];
	out->ttl = ip[8];
	if (rd16(ip + 6) & 0x1fff) {
		out->is_fragment = 1;
		return FP_PARSE_OK;
	}
	uint32_t end = tot < cap ? tot : cap;
	return parse_l4(ip + hlen, end - hlen, out);
}

static enum fp_parse_result parse_ipv6(const uint8_t *ip, uint32_t cap, uint32_t wire,
				       struct fp_pkt *out)
{
	struct fp_flow_key *k = &out->key;

	if (cap < 40)
		return FP_PARSE_TRUNC_L3;
	if ((ip[0] >> 4) != 6)
		return FP_PARSE_BAD_VERSION;
	uint32_t tot = 40 + rd16(ip + 4);
	if (tot == 40 && wire > 40)
		tot = wire; /* jumbogram or offloaded length: the frame is the best we have */
	if (tot > wire)
		return FP_PARSE_BAD_LENGTH;

	k->ipver = 6;
	memcpy(k->src, ip + 8, 16);
	memcpy(k->dst, ip + 24, 16);
	out->octets = tot;
	out->tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
	out->ttl = ip[7];

	uint32_t end = tot < cap ? tot : cap;
	uint32_t off = 40;
	uint8_t nh = ip[6];
	for (int depth = 0;; depth++) {
		uint32_t hl;

		switch (nh) {
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (end - off < 2)
				return FP_PARSE_TRUNC_EXT;
			hl = ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-octet units, minus 2 (RFC 4302 §2.2) */
			if (end - off < 2)
				return FP_PARSE_TRUNC_EXT;
			hl = ((uint32_t)ip[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (end - off < 8)
				return FP_PARSE_TRUNC_EXT;
			hl = 8;
			if (rd16(ip + off + 2) & 0xfff8) {
				k->proto = ip[off];
				out->is_fragment = 1;
				return FP_PARSE_OK;
			}
			break;
		default:
			k->proto = nh;
			return parse_l4(ip + off, end - off, out);
		}
		if (depth >= FP_PARSE_MAX_EXT)
			return FP_PARSE_EXT_TOO_DEEP;
		if (hl > end - off)
			return FP_PARSE_TRUNC_EXT;
		nh = ip[off];
		off += hl;
	}
}

/* Dispatch on the first nibble: for raw-IP links and below an MPLS stack. */
static enum fp_parse_result parse_ip_any(const uint8_t *ip, uint32_t cap, uint32_t wire,
					 struct fp_pkt *out)
{
	if (cap < 1)
		return FP_PARSE_TRUNC_L3;
	switch (ip[0] >> 4) {
	case 4:
		return parse_ipv4(ip, cap, wire, out);
	case 6:
		return parse_ipv6(ip, cap, wire, out);
	default:
		return FP_PARSE_BAD_VERSION;
	}
}

/* Tags, MPLS and IP after an ethertype at data[off - 2]. */
static enum fp_parse_result parse_ethertype(const uint8_t *d, uint32_t cap, uint32_t wire,
					    uint32_t off, uint16_t type, struct fp_pkt *out)
{
	int tags = 0;

	for (;;) {
		switch (type) {
		case ETH_P_8021Q:
		case ETH_P_8021AD:
		case ETH_P_QINQ1:
		case ETH_P_QINQ2:
			if (tags == FP_PARSE_MAX_VLANS)
				return FP_PARSE_VLAN_TOO_DEEP;
			if (cap - off < 4)
				return FP_PARSE_TRUNC_L2;
			if (tags++ == 0)
				out->key.vlan = rd16(d + off) & 0x0fff;
			type = rd16(d + off + 2);
			off += 4;
			continue;
		case ETH_P_MPLS_UC:
		case ETH_P_MPLS_MC:
			for (int n = 0;; n++) {
				if (n == FP_PARSE_MAX_MPLS)
					return FP_PARSE_MPLS_TOO_DEEP;
				if (cap - off < 4)
					return FP_PARSE_TRUNC_L2;
				uint32_t lse = rd32(d + off);
				off += 4;
				if (lse & 0x100)
					break;
			}
			if (cap - off < 1)
				return FP_PARSE_TRUNC_L3;
			if ((d[off] >> 4) != 4 && (d[off] >> 4) != 6)
				return FP_PARSE_NOT_IP; /* pseudowire or control word */
			return parse_ip_any(d + off, cap - off, wire - off, out);
		case ETH_P_IPV4:
			return parse_ipv4(d + off, cap - off, wire - off, out);
		case ETH_P_IPV6:
			return parse_ipv6(d + off, cap - off, wire - off, out);
		default:
			return FP_PARSE_NOT_IP;
		}
	}
}

/* BSD loopback family values for IPv6 differ per OS; IPv4 is 2 everywhere. */
static enum fp_parse_result parse_null_family(uint32_t fam, const uint8_t *d, uint32_t cap,
					      uint32_t wire, struct fp_pkt *out)
{
	switch (fam) {
	case 2:
		return parse_ipv4(d + 4, cap - 4, wire - 4, out);
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* Darwin */
		return parse_ipv6(d + 4, cap - 4, wire - 4, out);
	default:
		return FP_PARSE_NOT_IP;
	}
}

enum fp_parse_result fp_parse(enum fp_link link, const uint8_t *d, uint32_t cap, uint32_t wire,
			      struct fp_pkt *out)
{
	memset(out, 0, sizeof(*out));
	if (wire < cap)
		wire = cap;

	switch (link) {
	case FP_LINK_ETHERNET:
		if (cap < 14)
			return FP_PARSE_TRUNC_L2;
		memcpy(out->dst_mac, d, 6);
		memcpy(out->src_mac, d + 6, 6);
		return parse_ethertype(d, cap, wire, 14, rd16(d + 12), out);
	case FP_LINK_RAW:
		return parse_ip_any(d, cap, wire, out);
	case FP_LINK_IPV4:
		return parse_ipv4(d, cap, wire, out);
	case FP_LINK_IPV6:
		return parse_ipv6(d, cap, wire, out);
	case FP_LINK_LINUX_SLL:
		if (cap < 16)
			return FP_PARSE_TRUNC_L2;
		if (rd16(d + 2) == 1 && rd16(d + 4) == 6) /* ARPHRD_ETHER, 6-byte address */
			memcpy(out->src_mac, d + 6, 6);
		return parse_ethertype(d, cap, wire, 16, rd16(d + 14), out);
	case FP_LINK_LINUX_SLL2:
		if (cap < 20)
			return FP_PARSE_TRUNC_L2;
		if (rd16(d + 8) == 1 && d[11] == 6)
			memcpy(out->src_mac, d + 12, 6);
		return parse_ethertype(d, cap, wire, 20, rd16(d), out);
	case FP_LINK_NULL: {
		if (cap < 4)
			return FP_PARSE_TRUNC_L2;
		uint32_t fam;
		memcpy(&fam, d, 4);
		if (fam > 0xffff) /* written by a host of the other byte order */
			fam = __builtin_bswap32(fam);
		return parse_null_family(fam, d, cap, wire, out);
	}
	case FP_LINK_LOOP:
		if (cap < 4)
			return FP_PARSE_TRUNC_L2;
		return parse_null_family(rd32(d), d, cap, wire, out);
	}
	return FP_PARSE_BAD_LINKTYPE;
}

int fp_parse_link_supported(int linktype)
{
	switch (linktype) {
	case FP_LINK_NULL:
	case FP_LINK_ETHERNET:
	case FP_LINK_RAW:
	case FP_LINK_LOOP:
	case FP_LINK_LINUX_SLL:
	case FP_LINK_IPV4:
	case FP_LINK_IPV6:
	case FP_LINK_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

const char *fp_parse_result_name(enum fp_parse_result r)
{
	static const char *const names[FP_PARSE_NRESULTS] = {
	    [FP_PARSE_OK] = "ok",
	    [FP_PARSE_NOT_IP] = "not_ip",
	    [FP_PARSE_TRUNC_L2] = "truncated_l2",
	    [FP_PARSE_VLAN_TOO_DEEP] = "vlan_too_deep",
	    [FP_PARSE_MPLS_TOO_DEEP] = "mpls_too_deep",
	    [FP_PARSE_TRUNC_L3] = "truncated_l3",
	    [FP_PARSE_BAD_VERSION] = "bad_ip_version",
	    [FP_PARSE_BAD_IHL] = "bad_ihl",
	    [FP_PARSE_BAD_LENGTH] = "bad_ip_length",
	    [FP_PARSE_EXT_TOO_DEEP] = "ipv6_ext_too_deep",
	    [FP_PARSE_TRUNC_EXT] = "truncated_ipv6_ext",
	    [FP_PARSE_TRUNC_L4] = "truncated_l4",
	    [FP_PARSE_BAD_L4] = "bad_l4_header",
	    [FP_PARSE_BAD_LINKTYPE] = "bad_linktype",
	};
	return (unsigned)r < FP_PARSE_NRESULTS ? names[r] : "unknown";
}
