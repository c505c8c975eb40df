/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design: one forward pass, link header → tags → IP → extension headers → transport ports.
 * `end` is always min(captured length, what the enclosing header says), so a field is read only
 * after a check against it; every loop has a fixed maximum. Octets come from the IP header, not
 * from the capture, so a snaplen never shrinks the byte counts (IANA octetDeltaCount is IP bytes).
 * Tunnels (with decap set) re-enter the same functions on the inner bytes, one level deeper each
 * time, bounded by FP_PARSE_MAX_DECAP; a tunnel header we cannot open leaves the outer packet as
 * the flow, as if decap were off.
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

/* A tunnel header that is not one we open: the caller keeps the outer packet as the flow. */
#define NOT_TUNNEL ((enum fp_parse_result) - 1)

static enum fp_parse_result parse_ip_any(const uint8_t *ip, uint32_t cap, uint32_t wire,
					 struct fp_pkt *out);
static enum fp_parse_result parse_ethertype(const uint8_t *d, uint32_t cap, uint32_t wire,
					    uint32_t off, uint16_t type, struct fp_pkt *out);
static enum fp_parse_result parse_udp_tunnel(const uint8_t *l4, uint32_t len, uint32_t l4wire,
					     struct fp_pkt *out);

/* Going one tunnel deeper: the outer packet's key and per-packet fields give way to the inner
 * one's (the VLAN stays unless the inner frame is tagged). 0, or -1 when too deep. */
static int decap_enter(struct fp_pkt *out, enum fp_tunnel t)
{
	if (out->tunnel_depth == FP_PARSE_MAX_DECAP)
		return -1;
	if (out->tunnel_depth++ == 0)
		out->tunnel = (uint8_t)t;
	uint16_t vlan = out->key.vlan;
	memset(&out->key, 0, sizeof(out->key));
	out->key.vlan = vlan;
	out->more.flow_label = 0; /* the inner packet's, if it is IPv6 */
	out->tcp_flags = 0;
	out->tcp_payload = 0;
	out->is_fragment = 0;
	out->frag_first = 0;
	out->frag_id = 0;
	return 0;
}

/* An Ethernet frame inside a tunnel. */
static enum fp_parse_result parse_inner_eth(const uint8_t *d, uint32_t cap, uint32_t wire,
					    struct fp_pkt *out)
{
	if (cap < 14 || wire < 14)
		return FP_PARSE_TRUNC_TUNNEL;
	memcpy(out->dst_mac, d, 6);
	memcpy(out->src_mac, d + 6, 6);
	return parse_ethertype(d, cap, wire, 14, rd16(d + 12), out);
}

/* GRE (RFC 2784/2890) and the ERSPAN types it carries. `cap`/`wire` bound the GRE packet. */
static enum fp_parse_result parse_gre(const uint8_t *g, uint32_t cap, uint32_t wire,
				      struct fp_pkt *out)
{
	if (cap < 4)
		return FP_PARSE_TRUNC_TUNNEL;
	uint16_t fl = rd16(g), proto = rd16(g + 2);
	if ((fl & 0x0007) != 0 || (fl & 0x4000)) { /* version 1 (PPTP) or source routing */
		out->unopened = (fl & 0x0007) == 1 ? FP_UNOPENED_GRE_PPTP
				: (fl & 0x4000)	   ? FP_UNOPENED_GRE_ROUTING
						   : FP_UNOPENED_GRE_OTHER;
		return NOT_TUNNEL;
	}
	uint32_t off = 4;
	if (fl & 0x8000)
		off += 4; /* checksum, reserved */
	if (fl & 0x2000) {
		if (cap < off + 4)
			return FP_PARSE_TRUNC_TUNNEL;
		if (out->tunnel_depth == 0) /* the outermost tunnel's, kept if it is opened */
			out->more.gre_key = rd32(g + off);
		off += 4; /* key */
	}
	if (fl & 0x1000)
		off += 4; /* sequence number */
	if (cap < off || wire < off)
		return FP_PARSE_TRUNC_TUNNEL;
	const uint8_t *p = g + off;
	cap -= off;
	wire -= off;
	switch (proto) {
	case 0x0800:
	case 0x86dd:
		if (decap_enter(out, FP_TUNNEL_GRE))
			return FP_PARSE_DECAP_TOO_DEEP;
		return parse_ip_any(p, cap, wire, out);
	case 0x6558: /* transparent Ethernet bridging */
		if (decap_enter(out, FP_TUNNEL_GRE))
			return FP_PARSE_DECAP_TOO_DEEP;
		return parse_inner_eth(p, cap, wire, out);
	case 0x8847:
	case 0x8848:
		if (decap_enter(out, FP_TUNNEL_GRE))
			return FP_PARSE_DECAP_TOO_DEEP;
		return parse_ethertype(p, cap, wire, 0, proto, out);
	case 0x88be: { /* ERSPAN type II (sequence bit set) or type I (no header) */
		uint32_t hl = (fl & 0x1000) ? 8 : 0;
		uint16_t vlan = 0;
		if (hl) {
			if (cap < 8)
				return FP_PARSE_TRUNC_TUNNEL;
			if ((p[0] >> 4) != 1) {
				out->unopened = FP_UNOPENED_GRE_VERSION;
				return NOT_TUNNEL;
			}
			vlan = rd16(p) & 0x0fff;
		}
		if (decap_enter(out, FP_TUNNEL_ERSPAN))
			return FP_PARSE_DECAP_TOO_DEEP;
		if (vlan)
			out->key.vlan = vlan;
		return parse_inner_eth(p + hl, cap - hl, wire - hl, out);
	}
	case 0x8909: { /* Cisco MetaData: next type, version 1, length, option, SGT (8 bytes) */
		if (cap < 8 || wire < 8)
			return FP_PARSE_TRUNC_TUNNEL;
		if (p[2] != 1) { /* a version we do not know: keep the outer packet */
			out->unopened = FP_UNOPENED_GRE_VERSION;
			return NOT_TUNNEL;
		}
		if (decap_enter(out, FP_TUNNEL_GRE))
			return FP_PARSE_DECAP_TOO_DEEP;
		return parse_ethertype(p, cap, wire, 8, rd16(p), out);
	}
	case 0x22eb: { /* ERSPAN type III: 12 bytes, + 8 with the platform subheader (O bit) */
		if (cap < 12)
			return FP_PARSE_TRUNC_TUNNEL;
		if ((p[0] >> 4) != 2 || ((p[10] >> 2) & 0x1f) != 0) {
			out->unopened =
			    FP_UNOPENED_GRE_VERSION; /* not version 2, or not Ethernet */
			return NOT_TUNNEL;
		}
		uint32_t hl = 12 + ((p[11] & 1) ? 8 : 0);
		if (cap < hl || wire < hl)
			return FP_PARSE_TRUNC_TUNNEL;
		uint16_t vlan = rd16(p) & 0x0fff;
		if (decap_enter(out, FP_TUNNEL_ERSPAN))
			return FP_PARSE_DECAP_TOO_DEEP;
		if (vlan)
			out->key.vlan = vlan;
		return parse_inner_eth(p + hl, cap - hl, wire - hl, out);
	}
	default:
		out->unopened = proto == 0x880b	  ? FP_UNOPENED_GRE_PPP
				: proto == 0x894f ? FP_UNOPENED_GRE_NSH
				: proto == 0x883e ? FP_UNOPENED_GRE_WCCP
						  : FP_UNOPENED_GRE_OTHER;
		return NOT_TUNNEL;
	}
}

/* The payload of an IP packet of protocol `proto` when it may be a tunnel: IP-in-IP, IPv6 in
 * IPv4 (and in IPv6), GRE. Returns NOT_TUNNEL to keep the outer packet. */
static enum fp_parse_result parse_ip_tunnel(uint8_t proto, const uint8_t *p, uint32_t cap,
					    uint32_t wire, struct fp_pkt *out)
{
	switch (proto) {
	case 4:
	case 41:
		if (cap < 1 || (p[0] >> 4) != (proto == 4 ? 4 : 6))
			return NOT_TUNNEL;
		if (decap_enter(out, FP_TUNNEL_IPIP))
			return FP_PARSE_DECAP_TOO_DEEP;
		return parse_ip_any(p, cap, wire, out);
	case 47:
		return parse_gre(p, cap, wire, out);
	default:
		return NOT_TUNNEL;
	}
}

/* Try the tunnel; if it is not one, put the outer packet back. */
static enum fp_parse_result try_ip_tunnel(uint8_t proto, const uint8_t *p, uint32_t cap,
					  uint32_t wire, struct fp_pkt *out)
{
	struct fp_pkt outer = *out;
	enum fp_parse_result r = parse_ip_tunnel(proto, p, cap, wire, out);
	if (r == NOT_TUNNEL || r != FP_PARSE_OK) {
		/* Not a tunnel we open, or a malformed inside: the outer packet is the flow, so
		 * nothing seen goes unaccounted; a failed opening is flagged for the counters. */
		uint8_t unopened = out->unopened;
		*out = outer;
		out->unopened = unopened;
		out->decap_failed = r == NOT_TUNNEL ? 0 : r == FP_PARSE_NOT_IP ? 2 : 1;
		return FP_PARSE_OK;
	}
	return r;
}

/* Transport ports, type/code and flags from `l4` (`len` bytes belong to this IP packet). */
static enum fp_parse_result parse_l4(const uint8_t *l4, uint32_t len, uint32_t l4wire,
				     struct fp_pkt *out)
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
		out->tcp_payload = l4wire > (uint32_t)(l4[12] >> 4) * 4;
		return FP_PARSE_OK;
	case 17:  /* UDP */
	case 132: /* SCTP */
	case 136: /* UDP-Lite */
	case 33:  /* DCCP */
		if (len < 4)
			return FP_PARSE_TRUNC_L4;
		k->sport = rd16(l4);
		k->dport = rd16(l4 + 2);
		if (out->decap && k->proto == 17) {
			struct fp_pkt outer = *out;
			enum fp_parse_result r = parse_udp_tunnel(l4, len, l4wire, out);
			if (r == FP_PARSE_OK)
				return r;
			uint8_t unopened = out->unopened;
			*out = outer; /* as for IP tunnels: the outer datagram is the flow */
			out->unopened = unopened;
			out->decap_failed = r == NOT_TUNNEL ? 0 : r == FP_PARSE_NOT_IP ? 2 : 1;
		}
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

/* The frame being parsed, for fp_pkt.l3_off (one per thread: fp_parse stays callable anywhere). */
static __thread const uint8_t *parse_base __attribute__((tls_model("initial-exec")));

static inline void mark_l3(const uint8_t *ip, struct fp_pkt *out)
{
	ptrdiff_t off = ip - parse_base;
	out->l3_off = off >= 0 && off <= UINT16_MAX ? (uint16_t)off : 0;
}

static enum fp_parse_result parse_ipv4(const uint8_t *ip, uint32_t cap, uint32_t wire,
				       struct fp_pkt *out)
{
	struct fp_flow_key *k = &out->key;

	mark_l3(ip, out);
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
	/* 0: a segmentation offload (TSO, BIG TCP) packet captured on its host before the NIC cut
	 * it; the length is what the frame holds, as for an IPv6 jumbogram. */
	if (tot == 0 && wire > hlen)
		tot = wire;
	if (tot < hlen || tot > wire)
		return FP_PARSE_BAD_LENGTH;

	k->ipver = 4;
	k->proto = ip[9];
	memcpy(k->src, ip + 12, 4);
	memcpy(k->dst, ip + 16, 4);
	out->octets = tot;
	out->tos = ip[1];
	out->ttl = ip[8];
	uint16_t frag = rd16(ip + 6);
	if (frag & 0x3fff) /* MF or an offset: a fragment */
		out->frag_id = rd16(ip + 4);
	if (frag & 0x1fff) {
		out->is_fragment = 1;
		return FP_PARSE_OK;
	}
	out->frag_first = (frag & 0x2000) != 0;
	uint32_t end = tot < cap ? tot : cap;
	if (out->decap && (k->proto == 4 || k->proto == 41 || k->proto == 47))
		return try_ip_tunnel(k->proto, ip + hlen, end - hlen, tot - hlen, out);
	return parse_l4(ip + hlen, end - hlen, tot - hlen, out);
}

/*
 * The packet most links carry, straight through: IPv4 without options or fragmentation carrying
 * TCP, or UDP when tunnels stay closed, with the transport header captured. It fills `out` as
 * parse_ipv4() and parse_l4() would, without their calls and switches; anything else returns -1
 * having written nothing, and parse_ipv4() takes the packet from the start. test_parse compares
 * both on every packet of the corpus and on mutated frames.
 */
static inline int parse_ipv4_common(const uint8_t *ip, uint32_t cap, uint32_t wire,
				    struct fp_pkt *out)
{
	if (cap < 20 + 14 || ip[0] != 0x45)
		return -1;
	uint32_t tot = rd16(ip + 2);
	uint8_t proto = ip[9];
	const uint8_t *l4 = ip + 20;
	if (tot < 20 + 14 || tot > wire || (rd16(ip + 6) & 0x3fff) != 0)
		return -1;
	if (proto == 6) {
		if ((l4[12] >> 4) < 5)
			return -1;
		out->tcp_flags = l4[13];
		out->tcp_payload = tot - 20 > (uint32_t)(l4[12] >> 4) * 4;
	} else if (proto != 17 || out->decap) {
		return -1;
	}
	struct fp_flow_key *k = &out->key;
	mark_l3(ip, out);
	k->ipver = 4;
	k->proto = proto;
	memcpy(k->src, ip + 12, 4);
	memcpy(k->dst, ip + 16, 4);
	k->sport = rd16(l4);
	k->dport = rd16(l4 + 2);
	out->octets = tot;
	out->tos = ip[1];
	out->ttl = ip[8];
	return FP_PARSE_OK;
}

static enum fp_parse_result parse_ipv6(const uint8_t *ip, uint32_t cap, uint32_t wire,
				       struct fp_pkt *out)
{
	struct fp_flow_key *k = &out->key;

	mark_l3(ip, out);
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
	out->more.flow_label = rd32(ip) & 0xfffff;

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
			out->frag_id = rd32(ip + off + 4);
			if (rd16(ip + off + 2) & 0xfff8) {
				k->proto = ip[off];
				out->is_fragment = 1;
				return FP_PARSE_OK;
			}
			out->frag_first = rd16(ip + off + 2) & 1; /* M flag */
			break;
		default:
			k->proto = nh;
			if (out->decap && (nh == 4 || nh == 41 || nh == 47))
				return try_ip_tunnel(nh, ip + off, end - off, tot - off, out);
			return parse_l4(ip + off, end - off, tot - off, out);
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
			if (tags == 0) {
				out->key.vlan = rd16(d + off) & 0x0fff;
				out->more.vlan_inner = 0; /* a tagged inner frame: its own tags */
			} else if (tags == 1) {
				out->more.vlan_inner = rd16(d + off) & 0x0fff;
			}
			tags++;
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
				if (n == 0) /* a stack inside a tunnel replaces the outer one */
					memset(out->more.mpls, 0, sizeof(out->more.mpls));
				if (n < 3)
					memcpy(out->more.mpls[n], d + off, 3);
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

/* PPP (RFC 1661): the address and control octets (FF 03) may be there or not, the protocol
 * field is one octet when compressed (RFC 1661 §6.5: an odd first octet). IP and MPLS go on as
 * their Ethernet types; everything else (LCP, IPCP, CCP...) is not IP. */
static enum fp_parse_result parse_ppp(const uint8_t *d, uint32_t cap, uint32_t wire,
				      struct fp_pkt *out)
{
	uint32_t off = 0;
	if (cap >= 2 && d[0] == 0xff && d[1] == 0x03)
		off = 2;
	if (cap < off + 1)
		return FP_PARSE_TRUNC_L2;
	uint16_t proto = d[off];
	if (proto & 1) {
		off += 1;
	} else {
		if (cap < off + 2)
			return FP_PARSE_TRUNC_L2;
		proto = rd16(d + off);
		off += 2;
	}
	switch (proto) {
	case 0x0021:
		return parse_ethertype(d, cap, wire, off, ETH_P_IPV4, out);
	case 0x0057:
		return parse_ethertype(d, cap, wire, off, ETH_P_IPV6, out);
	case 0x0281: /* MPLS unicast */
		return parse_ethertype(d, cap, wire, off, 0x8847, out);
	case 0x0283: /* MPLS multicast */
		return parse_ethertype(d, cap, wire, off, 0x8848, out);
	default:
		return FP_PARSE_NOT_IP;
	}
}

enum fp_parse_result fp_parse(enum fp_link link, const uint8_t *d, uint32_t cap, uint32_t wire,
			      struct fp_pkt *out)
{
	return fp_parse_decap(link, d, cap, wire, 0, out);
}

/* `common`: take the common IPv4 packet's shortcut (a constant: two copies are compiled). */
static inline __attribute__((always_inline)) enum fp_parse_result
parse_frame(enum fp_link link, const uint8_t *d, uint32_t cap, uint32_t wire, int decap,
	    struct fp_pkt *out, const int common)
{
	memset(out, 0, sizeof(*out));
	out->decap = decap != 0;
	parse_base = d;
	if (wire < cap)
		wire = cap;

	switch (link) {
	case FP_LINK_ETHERNET:
		if (cap < 14)
			return FP_PARSE_TRUNC_L2;
		memcpy(out->dst_mac, d, 6);
		memcpy(out->src_mac, d + 6, 6);
		if (common) { /* untagged, or one 802.1Q tag: as parse_ethertype() would set it */
			uint16_t type = rd16(d + 12);
			uint32_t off = 14;
			if (type == ETH_P_8021Q && cap >= 18 && rd16(d + 16) == ETH_P_IPV4) {
				out->key.vlan = rd16(d + 14) & 0x0fff;
				type = ETH_P_IPV4;
				off = 18;
			}
			if (type == ETH_P_IPV4) {
				int r = parse_ipv4_common(d + off, cap - off, wire - off, out);
				if (r >= 0)
					return (enum fp_parse_result)r;
			}
		}
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
	case FP_LINK_PPP:
	case FP_LINK_PPP_HDLC:
		return parse_ppp(d, cap, wire, out);
	case FP_LINK_C_HDLC:
		if (cap < 4)
			return FP_PARSE_TRUNC_L2;
		return parse_ethertype(d, cap, wire, 4, rd16(d + 2), out);
	}
	return FP_PARSE_BAD_LINKTYPE;
}

enum fp_parse_result fp_parse_decap(enum fp_link link, const uint8_t *d, uint32_t cap,
				    uint32_t wire, int decap, struct fp_pkt *out)
{
	return parse_frame(link, d, cap, wire, decap, out, 1);
}

enum fp_parse_result fp_parse_general(enum fp_link link, const uint8_t *d, uint32_t cap,
				      uint32_t wire, int decap, struct fp_pkt *out)
{
	return parse_frame(link, d, cap, wire, decap, out, 0);
}

/* UDP-borne tunnels by destination port: VXLAN (4789, and Linux's old 8472), Geneve (6081),
 * GTP-U (2152). `l4` is the UDP header; its length field bounds the inner packet. */
static enum fp_parse_result parse_udp_tunnel(const uint8_t *l4, uint32_t len, uint32_t l4wire,
					     struct fp_pkt *out)
{
	uint16_t dport = out->key.dport;
	if (dport != 4789 && dport != 8472 && dport != 6081 && dport != 2152)
		return NOT_TUNNEL;
	if (len < 16)
		return NOT_TUNNEL; /* too short to be one: an ordinary datagram */
	/* The inner packet's bytes: what the UDP header says, never more than the outer IP holds.
	 */
	uint32_t ulen = rd16(l4 + 4);
	uint32_t wire = ulen >= 16 && ulen <= l4wire ? ulen : l4wire;
	const uint8_t *h = l4 + 8;
	uint32_t cap = len - 8;
	wire -= 8;
	if (dport == 4789 || dport == 8472) {
		if (!(h[0] & 0x08))
			return NOT_TUNNEL; /* VNI flag clear */
		if (out->tunnel_depth == 0)
			out->more.vxlan_vni = 1u << 24 | rd32(h + 4) >> 8;
		if (decap_enter(out, FP_TUNNEL_VXLAN))
			return FP_PARSE_DECAP_TOO_DEEP;
		return parse_inner_eth(h + 8, cap - 8, wire > 8 ? wire - 8 : 0, out);
	}
	if (dport == 6081) {
		if ((h[0] >> 6) != 0) {
			out->unopened = FP_UNOPENED_GENEVE_OTHER;
			return NOT_TUNNEL;
		}
		uint32_t hl = 8 + (uint32_t)(h[0] & 0x3f) * 4;
		if (cap < hl || wire < hl)
			return FP_PARSE_TRUNC_TUNNEL;
		uint16_t proto = rd16(h + 2);
		if (proto != 0x6558 && proto != 0x0800 && proto != 0x86dd) {
			out->unopened = FP_UNOPENED_GENEVE_OTHER;
			return NOT_TUNNEL;
		}
		if (decap_enter(out, FP_TUNNEL_GENEVE))
			return FP_PARSE_DECAP_TOO_DEEP;
		if (proto == 0x6558)
			return parse_inner_eth(h + hl, cap - hl, wire - hl, out);
		return parse_ip_any(h + hl, cap - hl, wire - hl, out);
	}
	/* GTP-U: version 1, protocol type GTP, message G-PDU (0xff) */
	if ((h[0] >> 5) != 1 || !(h[0] & 0x10))
		return NOT_TUNNEL; /* not GTPv1 on this port: an ordinary datagram */
	if (h[1] != 0xff) {
		out->unopened = FP_UNOPENED_GTPU_SIGNALLING;
		return NOT_TUNNEL;
	}
	uint32_t hl = 8;
	if (h[0] & 0x07) {
		hl = 12; /* sequence, N-PDU, next extension type */
		if (cap < hl)
			return FP_PARSE_TRUNC_TUNNEL;
		uint8_t next = h[11];
		for (int n = 0; next; n++) {
			if (n == 8 || cap < hl + 1 || h[hl] == 0)
				return FP_PARSE_TRUNC_TUNNEL;
			uint32_t el = (uint32_t)h[hl] * 4;
			if (cap < hl + el)
				return FP_PARSE_TRUNC_TUNNEL;
			next = h[hl + el - 1];
			hl += el;
		}
	}
	if (cap < hl || wire < hl)
		return FP_PARSE_TRUNC_TUNNEL;
	if (decap_enter(out, FP_TUNNEL_GTPU))
		return FP_PARSE_DECAP_TOO_DEEP;
	return parse_ip_any(h + hl, cap - hl, wire - hl, out);
}

const char *fp_unopened_name(enum fp_unopened u)
{
	static const char *const names[FP_UNOPENED_N] = {
	    [FP_UNOPENED_NONE] = "none",
	    [FP_UNOPENED_GRE_PPTP] = "gre_pptp",
	    [FP_UNOPENED_GRE_ROUTING] = "gre_routing",
	    [FP_UNOPENED_GRE_PPP] = "gre_ppp",
	    [FP_UNOPENED_GRE_NSH] = "gre_nsh",
	    [FP_UNOPENED_GRE_WCCP] = "gre_wccp",
	    [FP_UNOPENED_GRE_OTHER] = "gre_other",
	    [FP_UNOPENED_GRE_VERSION] = "gre_erspan_or_metadata_version",
	    [FP_UNOPENED_GENEVE_OTHER] = "geneve_other",
	    [FP_UNOPENED_GTPU_SIGNALLING] = "gtpu_signalling",
	};
	return (unsigned)u < FP_UNOPENED_N ? names[u] : "unknown";
}

const char *fp_tunnel_name(enum fp_tunnel t)
{
	static const char *const names[FP_TUNNEL_N] = {
	    [FP_TUNNEL_NONE] = "none",	   [FP_TUNNEL_GRE] = "gre",
	    [FP_TUNNEL_ERSPAN] = "erspan", [FP_TUNNEL_VXLAN] = "vxlan",
	    [FP_TUNNEL_GENEVE] = "geneve", [FP_TUNNEL_GTPU] = "gtpu",
	    [FP_TUNNEL_IPIP] = "ipip",
	};
	return (unsigned)t < FP_TUNNEL_N ? names[t] : "unknown";
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
	case FP_LINK_PPP:
	case FP_LINK_PPP_HDLC:
	case FP_LINK_C_HDLC:
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
	    [FP_PARSE_TRUNC_TUNNEL] = "truncated_tunnel",
	    [FP_PARSE_DECAP_TOO_DEEP] = "decap_too_deep",
	};
	return (unsigned)r < FP_PARSE_NRESULTS ? names[r] : "unknown";
}

/* Where the transport header of a parsed TCP or UDP packet starts (ip + *off), and *end: how
 * many of the IP packet's bytes were captured; NULL for a fragment or another protocol. */
static const uint8_t *l4_header(const uint8_t *frame, uint32_t caplen, const struct fp_pkt *p,
				uint32_t *off_out, uint32_t *end_out)
{
	if (p->is_fragment || (p->key.proto != 6 && p->key.proto != 17) || p->l3_off >= caplen)
		return NULL;
	const uint8_t *ip = frame + p->l3_off;
	uint32_t cap = caplen - p->l3_off, tot = p->octets, off;
	uint8_t nh;
	if (p->key.ipver == 4) {
		if (cap < 20)
			return NULL;
		off = (uint32_t)(ip[0] & 0x0f) * 4;
		nh = ip[9];
	} else {
		if (cap < 40)
			return NULL;
		off = 40;
		nh = ip[6];
		for (int depth = 0; depth < 8 && nh != p->key.proto; depth++) {
			if (off + 8 > cap ||
			    (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44))
				return NULL;
			uint32_t hl = nh == 51	 ? ((uint32_t)ip[off + 1] + 2) * 4
				      : nh == 44 ? 8
						 : ((uint32_t)ip[off + 1] + 1) * 8;
			nh = ip[off];
			off += hl;
		}
	}
	if (nh != p->key.proto)
		return NULL;
	*off_out = off;
	*end_out = tot < cap ? tot : cap; /* this packet's bytes that were captured */
	return ip;
}

const uint8_t *fp_parse_l4_payload(const uint8_t *frame, uint32_t caplen, const struct fp_pkt *p,
				   uint32_t *len)
{
	uint32_t off, end;
	const uint8_t *ip = l4_header(frame, caplen, p, &off, &end);
	*len = 0;
	if (ip == NULL)
		return NULL;
	if (p->key.proto == 6) {
		if (off + 20 > end)
			return NULL;
		off += (uint32_t)(ip[off + 12] >> 4) * 4;
	} else {
		off += 8;
	}
	if (off >= end)
		return NULL;
	*len = end - off;
	return ip + off;
}

const uint8_t *fp_parse_tcp_segment(const uint8_t *frame, uint32_t caplen, const struct fp_pkt *p,
				    struct fp_tcp_seg *seg)
{
	uint32_t off, end;
	const uint8_t *ip = p->key.proto == 6 ? l4_header(frame, caplen, p, &off, &end) : NULL;
	if (ip == NULL || off + 20 > end)
		return NULL;
	const uint8_t *t = ip + off;
	uint32_t hl = (uint32_t)(t[12] >> 4) * 4;
	seg->seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	seg->ack = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
	seg->window = (uint16_t)(t[14] << 8 | t[15]);
	seg->flags = t[13];
	seg->ok = 1;
	seg->len = p->octets > off + hl ? p->octets - off - hl : 0;
	seg->caplen = end > off + hl ? end - off - hl : 0;
	if (seg->caplen > seg->len)
		seg->caplen = seg->len;
	return t + hl;
}
