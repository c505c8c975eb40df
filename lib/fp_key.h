/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow key: a fixed-size, zero-padded struct hashed once per packet.
 *
 * Zero padding matters: the key is hashed and compared as raw words, so every byte that is not a
 * field (the upper 12 bytes of an IPv4 address, say) must be zero. fp_parse builds keys that way.
 */
#ifndef FP_KEY_H
#define FP_KEY_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct fp_flow_key {
	uint8_t src[16]; /* IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport; /* host order; ICMP: 0 */
	uint16_t dport; /* host order; ICMP: type << 8 | code, as peers export it */
	uint16_t vlan;	/* outermost 802.1Q/802.1ad VLAN id, 0 when untagged; bits 12-15: the
			   capture port's slot (FP_KEY_PORT_SHIFT), so flows are per port as in
			   NetFlow's key; records carry the VLAN id alone */
	uint8_t proto;
	uint8_t ipver; /* 4 or 6 */
};
static_assert(sizeof(struct fp_flow_key) == 40, "flow key must stay 5 words");
#define FP_KEY_PORT_SHIFT 12
#define FP_KEY_VLAN_MASK 0x0fff

/*
 * 64-bit hash of the key's five words: each word times its own odd constant, summed (five
 * independent multiplies, no chain between them: a burst's keys hash in parallel), then
 * splitmix64's finalizer, so that every output bit depends on every input bit and the bucket
 * choices (both 32-bit halves) and the signature are independent. Two keys that differ in one
 * word always differ before the finalizer (the constants are odd).
 */
static inline uint64_t fp_key_hash(const struct fp_flow_key *k)
{
	/* five loads, one per word (an array copy of the key was kept on the stack by GCC: ten
	 * more instructions per packet) */
	const uint8_t *b = (const uint8_t *)k;
	uint64_t w0, w1, w2, w3, w4;

	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	memcpy(&w2, b + 16, 8);
	memcpy(&w3, b + 24, 8);
	memcpy(&w4, b + 32, 8);
	uint64_t h = w0 * 0x9e3779b97f4a7c15ULL + w1 * 0xc2b2ae3d27d4eb4fULL +
		     w2 * 0x165667b19e3779f9ULL + w3 * 0xd6e8feb86659fd93ULL +
		     w4 * 0xff51afd7ed558ccdULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static inline bool fp_key_equal(const struct fp_flow_key *a, const struct fp_flow_key *b)
{
#ifdef __SSE2__
	/* two 16-byte compares and one 8-byte: a handful of instructions, no branch per word */
	__m128i a0 = _mm_loadu_si128((const __m128i *)a), b0 = _mm_loadu_si128((const __m128i *)b);
	__m128i a1 = _mm_loadu_si128((const __m128i *)a + 1);
	__m128i b1 = _mm_loadu_si128((const __m128i *)b + 1);
	uint64_t x, y;
	memcpy(&x, (const uint8_t *)a + 32, 8);
	memcpy(&y, (const uint8_t *)b + 32, 8);
	__m128i eq = _mm_and_si128(_mm_cmpeq_epi8(a0, b0), _mm_cmpeq_epi8(a1, b1));
	return _mm_movemask_epi8(eq) == 0xffff && x == y;
#else
	uint64_t x[5], y[5];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
#endif
}

static inline int fp_key_is_icmp(const struct fp_flow_key *k)
{
	return k->proto == 1 || k->proto == 58;
}

/* Exchange the two ends of a key (addresses and ports); its own inverse. ICMP has no ports: its
 * type and code (in dport) describe the message, not an end, and stay. */
static inline void fp_key_swap(struct fp_flow_key *k)
{
	uint8_t tmp[16];
	memcpy(tmp, k->src, 16);
	memcpy(k->src, k->dst, 16);
	memcpy(k->dst, tmp, 16);
	if (fp_key_is_icmp(k))
		return;
	uint16_t p = k->sport;
	k->sport = k->dport;
	k->dport = p;
}

/*
 * Biflow (RFC 5103): put a key in its canonical orientation, the lower (address, port) end as
 * source, so both directions of a connection meet in one entry. Returns 1 if it swapped. An ICMP
 * echo reply takes its request's type (ICMPv4 0 → 8, ICMPv6 129 → 128): a ping and its answer
 * are one conversation, as a connection's two directions are.
 */
static inline int fp_key_canonicalize(struct fp_flow_key *k)
{
	int c = memcmp(k->src, k->dst, 16);
	if (fp_key_is_icmp(k)) {
		uint8_t type = (uint8_t)(k->dport >> 8);
		if ((k->proto == 1 && type == 0) || (k->proto == 58 && type == 129))
			k->dport = (uint16_t)((k->proto == 1 ? 8 : 128) << 8 | (k->dport & 0xff));
		if (c <= 0)
			return 0;
	} else if (c < 0 || (c == 0 && k->sport <= k->dport)) {
		return 0;
	}
	fp_key_swap(k);
	return 1;
}

#endif
