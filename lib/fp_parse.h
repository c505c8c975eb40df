/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: raw frame bytes → flow key and per-packet metadata.
 *
 * Bounded by construction: every read is checked against the captured length, tag and header
 * chains have fixed maximum depths, and a packet that cannot be keyed is rejected with one reason
 * the caller counts. No allocation, no logging; safe to call from any thread.
 */
#ifndef FP_PARSE_H
#define FP_PARSE_H

#include <assert.h>
#include <stdint.h>

#include "fp_key.h"

/* Link types we decode (pcap LINKTYPE_* values; DPDK ports are FP_LINK_ETHERNET). */
enum fp_link {
	FP_LINK_NULL = 0, /* BSD loopback, host-order family */
	FP_LINK_ETHERNET = 1,
	FP_LINK_PPP = 9,       /* PPP, RFC 1661, with or without RFC 1662's FF 03 */
	FP_LINK_PPP_HDLC = 50, /* PPP in HDLC-like framing (RFC 1662) */
	FP_LINK_C_HDLC = 104,  /* Cisco HDLC: address, control, Ethernet type */
	FP_LINK_RAW = 101,     /* raw IPv4 or IPv6 */
	FP_LINK_LOOP = 108,    /* OpenBSD loopback, network-order family */
	FP_LINK_LINUX_SLL = 113,
	FP_LINK_IPV4 = 228,
	FP_LINK_IPV6 = 229,
	FP_LINK_LINUX_SLL2 = 276,
};

/* Why a packet was not turned into a flow update. FP_PARSE_OK is 0. */
enum fp_parse_result {
	FP_PARSE_OK = 0,
	FP_PARSE_NOT_IP,	 /* ARP, LLDP, ...: not an error, but not a flow either */
	FP_PARSE_TRUNC_L2,	 /* link header or tag cut short */
	FP_PARSE_VLAN_TOO_DEEP,	 /* more than FP_PARSE_MAX_VLANS tags */
	FP_PARSE_MPLS_TOO_DEEP,	 /* no bottom-of-stack within FP_PARSE_MAX_MPLS labels */
	FP_PARSE_TRUNC_L3,	 /* IP header cut short */
	FP_PARSE_BAD_VERSION,	 /* IP version not 4/6, or not what the link said */
	FP_PARSE_BAD_IHL,	 /* IPv4 IHL < 5 */
	FP_PARSE_BAD_LENGTH,	 /* IP length shorter than its header or longer than the frame */
	FP_PARSE_EXT_TOO_DEEP,	 /* IPv6 extension chain longer than FP_PARSE_MAX_EXT */
	FP_PARSE_TRUNC_EXT,	 /* IPv6 extension header runs past the packet */
	FP_PARSE_TRUNC_L4,	 /* ports / type-code / TCP flags not captured */
	FP_PARSE_BAD_L4,	 /* TCP data offset < 5 */
	FP_PARSE_BAD_LINKTYPE,	 /* link type we do not decode */
	FP_PARSE_TRUNC_TUNNEL,	 /* internal to --decap: the outer packet is accounted instead */
	FP_PARSE_DECAP_TOO_DEEP, /* internal: more than FP_PARSE_MAX_DECAP tunnels, the same */
	FP_PARSE_NRESULTS,
};

#define FP_PARSE_MAX_VLANS 8
#define FP_PARSE_MAX_MPLS 16
#define FP_PARSE_MAX_EXT 8
#define FP_PARSE_MAX_DECAP 4

/* Tunnels --decap auto opens (the innermost IP packet is the flow). */
enum fp_tunnel {
	FP_TUNNEL_NONE = 0,
	FP_TUNNEL_GRE,	  /* GRE carrying IP, Ethernet (transparent bridging) or MPLS */
	FP_TUNNEL_ERSPAN, /* ERSPAN type I, II, III (over GRE) */
	FP_TUNNEL_VXLAN,  /* UDP 4789 */
	FP_TUNNEL_GENEVE, /* UDP 6081 */
	FP_TUNNEL_GTPU,	  /* UDP 2152, G-PDU */
	FP_TUNNEL_IPIP,	  /* IPv4/IPv6 in IPv4/IPv6 (protocols 4 and 41) */
	FP_TUNNEL_N,
};

/* Tunnel packets --decap auto recognised and did not open: the outer packet is the flow, and the
 * kind is counted under its own reason. */
enum fp_unopened {
	FP_UNOPENED_NONE = 0,
	FP_UNOPENED_GRE_PPTP,	     /* GRE version 1: PPTP's enhanced GRE (PPP inside) */
	FP_UNOPENED_GRE_ROUTING,     /* GRE with the RFC 1701 routing bit */
	FP_UNOPENED_GRE_PPP,	     /* GRE version 0 carrying PPP (0x880b) */
	FP_UNOPENED_GRE_NSH,	     /* GRE carrying a Network Service Header (0x894f) */
	FP_UNOPENED_GRE_WCCP,	     /* GRE carrying WCCP redirection (0x883e) */
	FP_UNOPENED_GRE_OTHER,	     /* GRE carrying any other protocol type */
	FP_UNOPENED_GRE_VERSION,     /* ERSPAN or Cisco MetaData of a version we do not know */
	FP_UNOPENED_GENEVE_OTHER,    /* Geneve of another version or carrying another protocol */
	FP_UNOPENED_GTPU_SIGNALLING, /* GTP-U messages other than G-PDU (echo, error, end marker) */
	FP_UNOPENED_N,
};

/*
 * Context beyond the key for the optional template fields (--fields). The parser fills all but
 * `ingress`, which the worker sets from its capture; the flow table keeps it per flow only when
 * asked to, so the default path only pays for the stores.
 */
struct fp_pkt_more {
	uint32_t ingress;    /* interface index of the capture (ingressInterface, IE 10) */
	uint32_t flow_label; /* IPv6 flow label of the accounted packet (IE 31) */
	uint32_t gre_key;    /* key of the outermost GRE tunnel opened, 0 when none (IE 296) */
	uint32_t vxlan_vni;  /* outermost VXLAN's VNI | 1 << 24, 0 when none (IE 351, type 1) */
	uint16_t vlan_inner; /* VLAN id of the second tag, the customer VLAN (IE 245) */
	uint8_t mpls[3][3];  /* label, traffic class and S bit of the top three label stack entries,
				as on the wire (IE 70, 71, 72); zero when fewer */
	uint8_t pad;
};
static_assert(sizeof(struct fp_pkt_more) == 28, "kept per flow when --fields asks");

/* What a flow update needs from one packet. Filled only when fp_parse returns FP_PARSE_OK. */
struct fp_pkt {
	struct fp_flow_key key;
	uint32_t octets; /* IP-level bytes: IPv4 total length, IPv6 payload length + 40 */
	uint8_t tcp_flags;
	uint8_t tos;
	uint8_t ttl;
	uint8_t is_fragment;  /* non-first fragment: no ports */
	uint32_t frag_id;     /* IPv4 identification / IPv6 fragment id, for both kinds */
	uint8_t frag_first;   /* first fragment of a fragmented packet (ports known) */
	uint8_t decap;	      /* in: open tunnels (set by fp_parse_decap) */
	uint8_t tunnel_depth; /* tunnels opened */
	uint8_t tunnel;	      /* the outermost one opened (enum fp_tunnel) */
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint8_t decap_failed; /* tunnel not opened: 1 malformed inside, 2 not IP inside (the outer
				 packet is the flow) */
	uint8_t swapped;      /* biflow: the key was turned to its canonical orientation */
	uint8_t tcp_payload;  /* a TCP segment that carries data (for --fields latency) */
	uint64_t ts_us;	      /* set by the caller, not by fp_parse: packet time, Unix epoch µs */
	struct fp_pkt_more more; /* read by the table only with --fields */
	uint8_t unopened;	 /* enum fp_unopened: a tunnel seen but not opened */
	uint16_t l3_off;	 /* where the accounted (innermost) IP header starts in the frame */
};
static_assert(sizeof(struct fp_pkt) == 112, "a parsed packet stays small: bursts are memset");

/* --payload: where the transport payload of a parsed TCP or UDP packet starts in its frame
 * (past the IP header, its extension headers and the TCP/UDP header) and, in *len, how many of
 * its bytes were captured; NULL (and 0) for a fragment, another protocol or no payload. The
 * innermost packet's with --decap (where p->l3_off points). */
const uint8_t *fp_parse_l4_payload(const uint8_t *frame, uint32_t caplen, const struct fp_pkt *p,
				   uint32_t *len);

/* A TCP segment's header fields and payload (fp_parse_tcp_segment). */
struct fp_tcp_seg {
	uint32_t seq, ack;
	uint32_t len;	 /* payload bytes the segment carries (from the IP length) */
	uint32_t caplen; /* ... of which were captured (≤ len) */
	uint16_t window; /* as on the wire, not scaled */
	uint8_t flags;
	uint8_t ok; /* 1: filled (fp_parse_tcp_segment); 0: the packet has none */
};

/* A parsed TCP packet's header fields into *seg, and where its payload starts in the frame (the
 * innermost packet's with --decap); NULL when it is not TCP, a fragment, or its TCP header was
 * not captured. */
const uint8_t *fp_parse_tcp_segment(const uint8_t *frame, uint32_t caplen, const struct fp_pkt *p,
				    struct fp_tcp_seg *seg);

/*
 * Parse one frame. `caplen` bytes are readable at `data`; `wirelen` is the frame's length on the
 * wire (≥ caplen). Any thread; no state.
 */
enum fp_parse_result fp_parse(enum fp_link link, const uint8_t *data, uint32_t caplen,
			      uint32_t wirelen, struct fp_pkt *out);

/* The same, opening tunnels (GRE, ERSPAN I/II/III, VXLAN, Geneve, GTP-U, IP-in-IP, IPv6-in-IPv4)
 * when `decap` is set: the key, octets, ToS/TTL and MACs are those of the innermost packet (up to
 * FP_PARSE_MAX_DECAP deep); the outermost tunnel's type is reported. */
enum fp_parse_result fp_parse_decap(enum fp_link link, const uint8_t *data, uint32_t caplen,
				    uint32_t wirelen, int decap, struct fp_pkt *out);

/* fp_parse_decap() without the shortcut it takes for the common packet (Ethernet, untagged or
 * one 802.1Q tag, IPv4 without options, TCP or UDP): the reference that tests hold the shortcut
 * to. */
enum fp_parse_result fp_parse_general(enum fp_link link, const uint8_t *data, uint32_t caplen,
				      uint32_t wirelen, int decap, struct fp_pkt *out);

/* Short snake_case name of an unopened tunnel's kind. */
const char *fp_unopened_name(enum fp_unopened u);

/* Short snake_case name of a tunnel type. */
const char *fp_tunnel_name(enum fp_tunnel t);

/* Short snake_case name of a result, for summaries and logs. */
const char *fp_parse_result_name(enum fp_parse_result r);

/* 1 if fp_parse knows `linktype`, else 0. Called once when a capture opens. */
int fp_parse_link_supported(int linktype);

#endif
