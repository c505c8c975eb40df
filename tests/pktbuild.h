/* SPDX-License-Identifier: BSD-3-Clause */
/* Tiny helpers to craft frames in unit tests. */
#ifndef FP_TEST_PKTBUILD_H
#define FP_TEST_PKTBUILD_H

#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t b[2048];
	unsigned len;
};

static inline void pb_bytes(struct pb *p, const void *d, unsigned n)
{
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static inline void pb_u8(struct pb *p, uint8_t v)
{
	p->b[p->len++] = v;
}

static inline void pb_u16(struct pb *p, uint16_t v)
{
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)v);
}

static inline void pb_u32(struct pb *p, uint32_t v)
{
	pb_u16(p, (uint16_t)(v >> 16));
	pb_u16(p, (uint16_t)v);
}

static inline void pb_zero(struct pb *p, unsigned n)
{
	memset(p->b + p->len, 0, n);
	p->len += n;
}

static inline void pb_eth(struct pb *p, uint16_t type)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
	pb_bytes(p, dst, 6);
	pb_bytes(p, src, 6);
	pb_u16(p, type);
}

/* IPv4 header, 198.18.0.1 → 198.18.0.2; total length patched by pb_ipv4_fix. */
static inline unsigned pb_ipv4(struct pb *p, uint8_t proto, unsigned optwords)
{
	unsigned at = p->len;
	pb_u8(p, (uint8_t)(0x45 + optwords));
	pb_u8(p, 0x28); /* tos */
	pb_u16(p, 0);
	pb_u16(p, 1);
	pb_u16(p, 0);
	pb_u8(p, 33); /* ttl */
	pb_u8(p, proto);
	pb_u16(p, 0);
	pb_u32(p, 0xc6120001);
	pb_u32(p, 0xc6120002);
	for (unsigned i = 0; i < optwords; i++)
		pb_u32(p, 0x01010101); /* NOPs */
	return at;
}

static inline void pb_ipv4_fix(struct pb *p, unsigned at)
{
	unsigned tot = p->len - at;
	p->b[at + 2] = (uint8_t)(tot >> 8);
	p->b[at + 3] = (uint8_t)tot;
}

/* IPv6 header 2001:db8::1 → 2001:db8::2 with next header `nh`. */
static inline unsigned pb_ipv6(struct pb *p, uint8_t nh)
{
	unsigned at = p->len;
	pb_u32(p, 0x6a000000); /* traffic class 0xa0 */
	pb_u16(p, 0);
	pb_u8(p, nh);
	pb_u8(p, 44); /* hop limit */
	pb_u32(p, 0x20010db8), pb_zero(p, 11), pb_u8(p, 1);
	pb_u32(p, 0x20010db8), pb_zero(p, 11), pb_u8(p, 2);
	return at;
}

static inline void pb_ipv6_fix(struct pb *p, unsigned at)
{
	unsigned pl = p->len - at - 40;
	p->b[at + 4] = (uint8_t)(pl >> 8);
	p->b[at + 5] = (uint8_t)pl;
}

static inline void pb_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u32(p, 1);
	pb_u32(p, 0);
	pb_u8(p, 5 << 4);
	pb_u8(p, flags);
	pb_u16(p, 1024);
	pb_u32(p, 0);
}

static inline void pb_udp(struct pb *p, uint16_t sport, uint16_t dport)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u16(p, 8);
	pb_u16(p, 0);
}

#endif
