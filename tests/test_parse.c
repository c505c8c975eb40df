/* SPDX-License-Identifier: BSD-3-Clause */
/* Parser unit tests: every header the parser knows, and the ways each can be broken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
// cmocka must come after the headers above
#include <cmocka.h>

#include "fp_parse.h"
#include "pktbuild.h"

/* Parse from an exact-size heap copy so that any over-read trips AddressSanitizer. */
static enum fp_parse_result parse_n(enum fp_link link, const struct pb *p, unsigned caplen,
				    unsigned wirelen, struct fp_pkt *out)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	memcpy(copy, p->b, caplen);
	enum fp_parse_result r = fp_parse(link, copy, caplen, wirelen, out);
	free(copy);
	return r;
}

static enum fp_parse_result parse(enum fp_link link, const struct pb *p, struct fp_pkt *out)
{
	return parse_n(link, p, p->len, p->len, out);
}

/* Every shorter capture of `p` is rejected or accepted without reading past it. */
static void all_truncations(enum fp_link link, const struct pb *p)
{
	struct fp_pkt out;
	for (unsigned cap = 0; cap < p->len; cap++)
		parse_n(link, p, cap, p->len, &out);
}

static void eth_ipv4_tcp(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x0800);
	unsigned ip = pb_ipv4(&p, 6, 0);
	pb_tcp(&p, 40000, 443, 0x12);
	pb_zero(&p, 10);
	pb_ipv4_fix(&p, ip);
	pb_zero(&p, 4); /* Ethernet padding after the IP packet is not IP bytes */

	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.key.ipver, 4);
	assert_int_equal(k.key.proto, 6);
	assert_int_equal(k.key.sport, 40000);
	assert_int_equal(k.key.dport, 443);
	assert_int_equal(k.key.vlan, 0);
	assert_int_equal(k.tcp_flags, 0x12);
	assert_int_equal(k.tos, 0x28);
	assert_int_equal(k.ttl, 33);
	assert_int_equal(k.octets, 20 + 20 + 10);
	assert_int_equal(k.src_mac[5], 1);
	assert_int_equal(k.dst_mac[5], 2);
	const uint8_t src[16] = {198, 18, 0, 1};
	assert_memory_equal(k.key.src, src, 16); /* the upper 12 bytes stay zero */
	all_truncations(FP_LINK_ETHERNET, &p);
}

static void ipv4_options_and_snaplen(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x0800);
	unsigned ip = pb_ipv4(&p, 17, 3);
	pb_udp(&p, 53, 5353);
	pb_zero(&p, 1400);
	pb_ipv4_fix(&p, ip);

	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.key.sport, 53);
	assert_int_equal(k.key.dport, 5353);
	assert_int_equal(k.octets, 32 + 8 + 1400);
	/* cut by a 64-byte snaplen: still the IP header's byte count */
	assert_int_equal(parse_n(FP_LINK_ETHERNET, &p, 64, p.len, &k), FP_PARSE_OK);
	assert_int_equal(k.octets, 32 + 8 + 1400);
	assert_int_equal(k.key.dport, 5353);
}

static void ipv4_malformed(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x0800);
	unsigned ip = pb_ipv4(&p, 6, 0);
	pb_tcp(&p, 1, 2, 0);
	pb_ipv4_fix(&p, ip);

	struct pb bad = p;
	bad.b[ip] = 0x44; /* IHL 4 */
	assert_int_equal(parse(FP_LINK_ETHERNET, &bad, &k), FP_PARSE_BAD_IHL);
	bad = p;
	bad.b[ip + 2] = 0, bad.b[ip + 3] = 12; /* total length shorter than the header */
	assert_int_equal(parse(FP_LINK_ETHERNET, &bad, &k), FP_PARSE_BAD_LENGTH);
	bad = p;
	bad.b[ip + 2] = 0x05, bad.b[ip + 3] = 0xdc; /* 1500: longer than the frame */
	assert_int_equal(parse(FP_LINK_ETHERNET, &bad, &k), FP_PARSE_BAD_LENGTH);
	bad = p;
	bad.b[ip] = 0x4f; /* IHL 15 = 60 bytes: more than captured */
	assert_int_equal(parse(FP_LINK_ETHERNET, &bad, &k), FP_PARSE_TRUNC_L3);
	bad = p;
	bad.b[ip] = 0x65; /* version 6 behind ethertype IPv4 */
	assert_int_equal(parse(FP_LINK_ETHERNET, &bad, &k), FP_PARSE_BAD_VERSION);
	bad = p;
	bad.b[ip + 20 + 12] = 0x40; /* TCP data offset 4 */
	assert_int_equal(parse(FP_LINK_ETHERNET, &bad, &k), FP_PARSE_BAD_L4);
	/* total length 0: a TSO / BIG TCP packet captured on its host: the frame gives the length
	 */
	bad = p;
	bad.b[ip + 2] = 0, bad.b[ip + 3] = 0;
	assert_int_equal(parse(FP_LINK_ETHERNET, &bad, &k), FP_PARSE_OK);
	assert_int_equal(k.octets, p.len - 14);
	assert_int_equal(k.key.dport, 2);
	/* TCP header cut before the flags byte */
	assert_int_equal(parse_n(FP_LINK_ETHERNET, &p, 14 + 20 + 10, p.len, &k), FP_PARSE_TRUNC_L4);
	assert_int_equal(parse_n(FP_LINK_ETHERNET, &p, 10, p.len, &k), FP_PARSE_TRUNC_L2);
}

static void ipv4_fragments(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x0800);
	unsigned ip = pb_ipv4(&p, 17, 0);
	pb_udp(&p, 7, 9);
	pb_zero(&p, 100);
	pb_ipv4_fix(&p, ip);

	p.b[ip + 6] = 0x20; /* MF, offset 0: first fragment has the ports */
	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 9);
	assert_int_equal(k.is_fragment, 0);
	p.b[ip + 7] = 0x10; /* offset 16 · 8: no ports */
	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.is_fragment, 1);
	assert_int_equal(k.key.sport, 0);
	assert_int_equal(k.key.dport, 0);
	assert_int_equal(k.octets, 20 + 8 + 100);
}

static void vlan_qinq_and_limits(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x88a8);
	pb_u16(&p, 0x2064); /* PCP 1, VID 100 */
	pb_u16(&p, 0x8100);
	pb_u16(&p, 0x00c8); /* VID 200 */
	pb_u16(&p, 0x0800);
	unsigned ip = pb_ipv4(&p, 6, 0);
	pb_tcp(&p, 1000, 80, 0x10);
	pb_ipv4_fix(&p, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.key.vlan, 100); /* the outer tag is the flow's VLAN */
	assert_int_equal(k.key.dport, 80);
	all_truncations(FP_LINK_ETHERNET, &p);

	struct pb deep = {0};
	pb_eth(&deep, 0x8100);
	for (int i = 0; i < 20; i++) {
		pb_u16(&deep, (uint16_t)(i + 1));
		pb_u16(&deep, 0x8100);
	}
	pb_u16(&deep, 0x0800); /* never reached */
	assert_int_equal(parse(FP_LINK_ETHERNET, &deep, &k), FP_PARSE_VLAN_TOO_DEEP);
	all_truncations(FP_LINK_ETHERNET, &deep);
}

static void mpls(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x8847);
	pb_u32(&p, (16 << 12) | 64);	     /* label 16 */
	pb_u32(&p, (17 << 12) | 0x100 | 64); /* label 17, bottom of stack */
	unsigned ip = pb_ipv4(&p, 17, 0);
	pb_udp(&p, 4000, 53);
	pb_ipv4_fix(&p, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 53);
	all_truncations(FP_LINK_ETHERNET, &p);

	struct pb nobos = {0};
	pb_eth(&nobos, 0x8847);
	for (int i = 0; i < 20; i++)
		pb_u32(&nobos, (uint32_t)(16 + i) << 12);
	assert_int_equal(parse(FP_LINK_ETHERNET, &nobos, &k), FP_PARSE_MPLS_TOO_DEEP);
	nobos.len = 14 + 4 * 3; /* stack runs off the end before bottom-of-stack */
	assert_int_equal(parse(FP_LINK_ETHERNET, &nobos, &k), FP_PARSE_TRUNC_L2);
}

static void ipv6_extension_headers(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x86dd);
	unsigned ip = pb_ipv6(&p, 0);
	pb_u8(&p, 43), pb_u8(&p, 0), pb_zero(&p, 6);  /* hop-by-hop → routing */
	pb_u8(&p, 60), pb_u8(&p, 1), pb_zero(&p, 14); /* routing (16 B) → dest opts */
	pb_u8(&p, 51), pb_u8(&p, 0), pb_zero(&p, 6);  /* dest opts → AH */
	pb_u8(&p, 44), pb_u8(&p, 1), pb_zero(&p, 10); /* AH: (1 + 2) · 4 = 12 B → fragment */
	pb_u8(&p, 6), pb_u8(&p, 0), pb_u16(&p, 0x0001), pb_u32(&p, 7); /* first fragment, M */
	pb_tcp(&p, 5555, 22, 0x18);
	pb_ipv6_fix(&p, ip);

	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.key.ipver, 6);
	assert_int_equal(k.key.proto, 6);
	assert_int_equal(k.key.sport, 5555);
	assert_int_equal(k.key.dport, 22);
	assert_int_equal(k.tos, 0xa0);
	assert_int_equal(k.ttl, 44);
	assert_int_equal(k.octets, p.len - 14);
	all_truncations(FP_LINK_ETHERNET, &p);

	/* non-first fragment: protocol known, ports not */
	struct pb f = {0};
	pb_eth(&f, 0x86dd);
	ip = pb_ipv6(&f, 44);
	pb_u8(&f, 17), pb_u8(&f, 0), pb_u16(&f, 0x0100), pb_u32(&f, 7);
	pb_zero(&f, 64);
	pb_ipv6_fix(&f, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &f, &k), FP_PARSE_OK);
	assert_int_equal(k.key.proto, 17);
	assert_int_equal(k.is_fragment, 1);
	assert_int_equal(k.key.dport, 0);
}

static void ipv6_bad_chains(void **state)
{
	(void)state;
	struct fp_pkt k;
	/* a chain longer than the limit: destination options pointing at destination options */
	struct pb p = {0};
	pb_eth(&p, 0x86dd);
	unsigned ip = pb_ipv6(&p, 60);
	for (int i = 0; i < 12; i++)
		pb_u8(&p, 60), pb_u8(&p, 0), pb_zero(&p, 6);
	pb_ipv6_fix(&p, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_EXT_TOO_DEEP);

	/* an extension header whose length runs past the packet */
	struct pb q = {0};
	pb_eth(&q, 0x86dd);
	ip = pb_ipv6(&q, 0);
	pb_u8(&q, 6), pb_u8(&q, 200), pb_zero(&q, 6);
	pb_ipv6_fix(&q, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &q, &k), FP_PARSE_TRUNC_EXT);

	/* AH whose length field is huge */
	struct pb a = {0};
	pb_eth(&a, 0x86dd);
	ip = pb_ipv6(&a, 51);
	pb_u8(&a, 6), pb_u8(&a, 255), pb_zero(&a, 10);
	pb_ipv6_fix(&a, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &a, &k), FP_PARSE_TRUNC_EXT);

	/* payload length longer than the frame */
	struct pb l = {0};
	pb_eth(&l, 0x86dd);
	ip = pb_ipv6(&l, 17);
	pb_udp(&l, 1, 2);
	l.b[ip + 4] = 0x10;
	assert_int_equal(parse(FP_LINK_ETHERNET, &l, &k), FP_PARSE_BAD_LENGTH);
}

static void icmp_and_sctp(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x0800);
	unsigned ip = pb_ipv4(&p, 1, 0);
	pb_u8(&p, 3), pb_u8(&p, 1), pb_zero(&p, 6); /* host unreachable */
	pb_ipv4_fix(&p, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_OK);
	assert_int_equal(k.key.sport, 0);
	assert_int_equal(k.key.dport, 0x0301);

	struct pb q = {0};
	pb_eth(&q, 0x86dd);
	ip = pb_ipv6(&q, 58);
	pb_u8(&q, 128), pb_u8(&q, 0), pb_zero(&q, 6);
	pb_ipv6_fix(&q, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &q, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 128 << 8);

	struct pb s = {0};
	pb_eth(&s, 0x0800);
	ip = pb_ipv4(&s, 132, 0);
	pb_u16(&s, 2905), pb_u16(&s, 2906), pb_zero(&s, 8);
	pb_ipv4_fix(&s, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &s, &k), FP_PARSE_OK);
	assert_int_equal(k.key.sport, 2905);
	assert_int_equal(k.key.dport, 2906);
	assert_int_equal(parse_n(FP_LINK_ETHERNET, &s, 14 + 20 + 3, s.len, &k), FP_PARSE_TRUNC_L4);
}

static void link_types(void **state)
{
	(void)state;
	struct pb ip4 = {0}, ip6 = {0};
	struct fp_pkt k;
	unsigned at = pb_ipv4(&ip4, 17, 0);
	pb_udp(&ip4, 1, 2);
	pb_ipv4_fix(&ip4, at);
	at = pb_ipv6(&ip6, 17);
	pb_udp(&ip6, 3, 4);
	pb_ipv6_fix(&ip6, at);

	assert_int_equal(parse(FP_LINK_RAW, &ip4, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 2);
	assert_int_equal(parse(FP_LINK_RAW, &ip6, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 4);
	assert_int_equal(parse(FP_LINK_IPV4, &ip4, &k), FP_PARSE_OK);
	assert_int_equal(parse(FP_LINK_IPV6, &ip6, &k), FP_PARSE_OK);
	assert_int_equal(parse(FP_LINK_IPV4, &ip6, &k), FP_PARSE_BAD_VERSION);

	struct pb sll = {0};
	pb_u16(&sll, 0), pb_u16(&sll, 1), pb_u16(&sll, 6);
	pb_u32(&sll, 0x02000000), pb_u32(&sll, 0x07000000);
	pb_u16(&sll, 0x0800);
	pb_bytes(&sll, ip4.b, ip4.len);
	assert_int_equal(parse(FP_LINK_LINUX_SLL, &sll, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 2);
	assert_int_equal(k.src_mac[0], 2);
	all_truncations(FP_LINK_LINUX_SLL, &sll);

	struct pb sll2 = {0};
	pb_u16(&sll2, 0x86dd), pb_u16(&sll2, 0), pb_u32(&sll2, 3);
	pb_u16(&sll2, 1), pb_u8(&sll2, 0), pb_u8(&sll2, 6);
	pb_u32(&sll2, 0x02000000), pb_u32(&sll2, 0x09000000);
	pb_bytes(&sll2, ip6.b, ip6.len);
	assert_int_equal(parse(FP_LINK_LINUX_SLL2, &sll2, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 4);
	all_truncations(FP_LINK_LINUX_SLL2, &sll2);

	struct pb null = {0};
	uint32_t fam = 2; /* host order */
	pb_bytes(&null, &fam, 4);
	pb_bytes(&null, ip4.b, ip4.len);
	assert_int_equal(parse(FP_LINK_NULL, &null, &k), FP_PARSE_OK);
	fam = __builtin_bswap32(28); /* written by a host of the other byte order, FreeBSD INET6 */
	null.len = 0;
	pb_bytes(&null, &fam, 4);
	pb_bytes(&null, ip6.b, ip6.len);
	assert_int_equal(parse(FP_LINK_NULL, &null, &k), FP_PARSE_OK);
	assert_int_equal(k.key.ipver, 6);

	struct pb loop = {0};
	pb_u32(&loop, 24);
	pb_bytes(&loop, ip6.b, ip6.len);
	assert_int_equal(parse(FP_LINK_LOOP, &loop, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 4);

	/* PPP with FF 03 and a 2-octet protocol, without them and with a 1-octet (compressed)
	 * one, an LCP frame (not IP); Cisco HDLC with IPv6 */
	struct pb ppp = {0};
	pb_u8(&ppp, 0xff), pb_u8(&ppp, 0x03), pb_u16(&ppp, 0x0021);
	pb_bytes(&ppp, ip4.b, ip4.len);
	assert_int_equal(parse(FP_LINK_PPP, &ppp, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 2);
	assert_int_equal(parse(FP_LINK_PPP_HDLC, &ppp, &k), FP_PARSE_OK);
	all_truncations(FP_LINK_PPP, &ppp);
	ppp.len = 0;
	pb_u8(&ppp, 0x57);
	pb_bytes(&ppp, ip6.b, ip6.len);
	assert_int_equal(parse(FP_LINK_PPP, &ppp, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 4);
	ppp.len = 0;
	pb_u8(&ppp, 0xff), pb_u8(&ppp, 0x03), pb_u16(&ppp, 0xc021), pb_zero(&ppp, 8);
	assert_int_equal(parse(FP_LINK_PPP, &ppp, &k), FP_PARSE_NOT_IP);
	struct pb chdlc = {0};
	pb_u8(&chdlc, 0x0f), pb_u8(&chdlc, 0x00), pb_u16(&chdlc, 0x86dd);
	pb_bytes(&chdlc, ip6.b, ip6.len);
	assert_int_equal(parse(FP_LINK_C_HDLC, &chdlc, &k), FP_PARSE_OK);
	assert_int_equal(k.key.dport, 4);
	all_truncations(FP_LINK_C_HDLC, &chdlc);
	assert_int_equal(fp_parse_link_supported(9), 1);
	assert_int_equal(fp_parse_link_supported(104), 1);

	assert_int_equal(parse((enum fp_link)147, &ip4, &k), FP_PARSE_BAD_LINKTYPE);
	assert_int_equal(fp_parse_link_supported(147), 0);
	assert_int_equal(fp_parse_link_supported(1), 1);
}

static void not_ip(void **state)
{
	(void)state;
	struct pb p = {0};
	struct fp_pkt k;
	pb_eth(&p, 0x0806); /* ARP */
	pb_zero(&p, 28);
	assert_int_equal(parse(FP_LINK_ETHERNET, &p, &k), FP_PARSE_NOT_IP);
	assert_string_equal(fp_parse_result_name(FP_PARSE_NOT_IP), "not_ip");
	assert_string_equal(fp_parse_result_name(FP_PARSE_NRESULTS), "unknown");
}

/* --fields context: inner VLAN, MPLS label stack entries, IPv6 flow label, GRE key, VXLAN VNI;
 * a tunnel that is not opened leaves none of its context behind. */
static void more_fields(void **state)
{
	(void)state;
	struct fp_pkt k;

	struct pb q = {0};
	pb_eth(&q, 0x88a8);
	pb_u16(&q, 0x2064); /* VID 100 */
	pb_u16(&q, 0x8100);
	pb_u16(&q, 0x00c8); /* VID 200 */
	pb_u16(&q, 0x0800);
	unsigned ip = pb_ipv4(&q, 17, 0);
	pb_udp(&q, 1, 2);
	pb_ipv4_fix(&q, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &q, &k), FP_PARSE_OK);
	assert_int_equal(k.key.vlan, 100);
	assert_int_equal(k.more.vlan_inner, 200);

	struct pb m = {0};
	pb_eth(&m, 0x8847);
	pb_u32(&m, (16u << 12) | (5u << 9) | 64); /* label 16, TC 5 */
	pb_u32(&m, (17u << 12) | 0x100 | 64);	  /* label 17, bottom of stack */
	ip = pb_ipv4(&m, 17, 0);
	pb_udp(&m, 1, 2);
	pb_ipv4_fix(&m, ip);
	assert_int_equal(parse(FP_LINK_ETHERNET, &m, &k), FP_PARSE_OK);
	static const uint8_t want_mpls[3][3] = {{0x00, 0x01, 0x0a}, {0x00, 0x01, 0x11}, {0, 0, 0}};
	assert_memory_equal(k.more.mpls, want_mpls, sizeof(want_mpls));
	assert_int_equal(k.more.vlan_inner, 0);

	struct pb v6 = {0};
	pb_eth(&v6, 0x86dd);
	ip = pb_ipv6(&v6, 17);
	pb_udp(&v6, 1, 2);
	pb_ipv6_fix(&v6, ip);
	v6.b[ip + 1] |= 0x01, v6.b[ip + 2] = 0x23, v6.b[ip + 3] = 0x45; /* flow label 0x12345 */
	assert_int_equal(parse(FP_LINK_ETHERNET, &v6, &k), FP_PARSE_OK);
	assert_int_equal(k.more.flow_label, 0x12345);
	assert_int_equal(k.key.ipver, 6);

	/* GRE with key 0xdeadbeef around UDP 7 -> 8 */
	struct pb g = {0};
	pb_eth(&g, 0x0800);
	unsigned outer = pb_ipv4(&g, 47, 0);
	pb_u16(&g, 0x2000);
	pb_u16(&g, 0x0800);
	pb_u32(&g, 0xdeadbeef);
	ip = pb_ipv4(&g, 17, 0);
	pb_udp(&g, 7, 8);
	pb_ipv4_fix(&g, ip);
	pb_ipv4_fix(&g, outer);
	assert_int_equal(fp_parse_decap(FP_LINK_ETHERNET, g.b, g.len, g.len, 1, &k), FP_PARSE_OK);
	assert_int_equal(k.key.sport, 7);
	assert_int_equal(k.more.gre_key, 0xdeadbeef);
	assert_int_equal(k.more.vxlan_vni, 0);
	/* the same with the inner header cut: the outer packet is the flow, no key kept */
	assert_int_equal(fp_parse_decap(FP_LINK_ETHERNET, g.b, ip + 10, g.len, 1, &k), FP_PARSE_OK);
	assert_int_equal(k.key.proto, 47);
	assert_int_equal(k.more.gre_key, 0);
	/* without --decap the key is not looked at */
	assert_int_equal(fp_parse(FP_LINK_ETHERNET, g.b, g.len, g.len, &k), FP_PARSE_OK);
	assert_int_equal(k.more.gre_key, 0);

	/* VXLAN VNI 0x123456 carrying an untagged frame with IPv4 inside, over IPv6 with a flow
	 * label: the flow label was the outer packet's, so the inner flow has none */
	struct pb x = {0};
	pb_eth(&x, 0x86dd);
	outer = pb_ipv6(&x, 17);
	x.b[outer + 3] = 0x77;
	pb_u16(&x, 40000);
	pb_u16(&x, 4789);
	unsigned ulen = x.len;
	pb_u16(&x, 0);
	pb_u16(&x, 0);
	pb_u32(&x, 0x08000000);
	pb_u32(&x, 0x12345600);
	pb_eth(&x, 0x0800);
	ip = pb_ipv4(&x, 17, 0);
	pb_udp(&x, 9, 10);
	pb_ipv4_fix(&x, ip);
	pb_ipv6_fix(&x, outer);
	unsigned ul = x.len - (ulen - 4);
	x.b[ulen] = (uint8_t)(ul >> 8), x.b[ulen + 1] = (uint8_t)ul;
	assert_int_equal(fp_parse_decap(FP_LINK_ETHERNET, x.b, x.len, x.len, 1, &k), FP_PARSE_OK);
	assert_int_equal(k.key.ipver, 4);
	assert_int_equal(k.key.sport, 9);
	assert_int_equal(k.more.vxlan_vni, 1u << 24 | 0x123456);
	assert_int_equal(k.more.flow_label, 0);
	assert_int_equal(fp_parse(FP_LINK_ETHERNET, x.b, x.len, x.len, &k), FP_PARSE_OK);
	assert_int_equal(k.more.flow_label, 0x77);
	assert_int_equal(k.more.vxlan_vni, 0);
}

/* The common packet's shortcut against the general parser: frames that are the common packet
 * (untagged or with one 802.1Q tag) and frames one or two bytes away from it (ethertypes, tag,
 * version, header length, length, fragment bits, protocol, data offset), at every capture
 * length, with tunnels open and closed: the same result and the same fp_pkt, byte for byte. */
static void common_shortcut_same(void **state)
{
	(void)state;
	static const uint8_t pos[] = {12, 13, 14, 15, 16, 17, 20, 21, 23, 46, 50};
	uint64_t x = 0x2545f4914f6cdd1dull;
	unsigned ok = 0, tagged_ok = 0;
	for (unsigned n = 0; n < 400000; n++) {
		uint8_t f[84];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		for (unsigned i = 0; i < sizeof(f); i++)
			f[i] = (uint8_t)(x >> (i % 57)) ^ (uint8_t)(i * 29);
		unsigned tag = (x >> 60) & 1 ? 4 : 0; /* an 802.1Q tag before the IP header */
		if (tag)
			f[12] = 0x81, f[13] = 0x00;
		uint8_t *e = f + tag; /* the ethertype is at e[12] */
		e[12] = 0x08, e[13] = 0x00, e[14] = 0x45;
		uint16_t tot = (uint16_t)(34 + (x >> 8) % 40);
		e[16] = (uint8_t)(tot >> 8), e[17] = (uint8_t)tot;
		e[20] = e[21] = 0;
		e[23] = (x >> 20) & 1 ? 6 : 17;
		e[46] = (uint8_t)((5 + (x >> 22) % 11) << 4);
		for (unsigned m = (x >> 30) % 3; m > 0; m--) { /* one or two bytes off */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			f[pos[x % sizeof(pos)] + (x >> 63) * tag] = (uint8_t)(x >> 32);
		}
		uint32_t cap = (uint32_t)((x >> 40) % (sizeof(f) + 1));
		uint32_t wire = cap + (uint32_t)((x >> 50) % 3) * 7;
		for (int decap = 0; decap < 2; decap++) {
			struct fp_pkt a, b;
			enum fp_parse_result ra =
			    fp_parse_decap(FP_LINK_ETHERNET, f, cap, wire, decap, &a);
			enum fp_parse_result rb =
			    fp_parse_general(FP_LINK_ETHERNET, f, cap, wire, decap, &b);
			assert_int_equal(ra, rb);
			assert_memory_equal(&a, &b, sizeof(a));
			ok += ra == FP_PARSE_OK;
			tagged_ok += ra == FP_PARSE_OK && a.key.vlan != 0;
		}
	}
	assert_true(ok > 100000); /* most were packets, not only errors */
	assert_true(tagged_ok > 50000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(eth_ipv4_tcp),
	    cmocka_unit_test(ipv4_options_and_snaplen),
	    cmocka_unit_test(ipv4_malformed),
	    cmocka_unit_test(ipv4_fragments),
	    cmocka_unit_test(vlan_qinq_and_limits),
	    cmocka_unit_test(mpls),
	    cmocka_unit_test(ipv6_extension_headers),
	    cmocka_unit_test(ipv6_bad_chains),
	    cmocka_unit_test(icmp_and_sctp),
	    cmocka_unit_test(link_types),
	    cmocka_unit_test(not_ip),
	    cmocka_unit_test(more_fields),
	    cmocka_unit_test(common_shortcut_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
