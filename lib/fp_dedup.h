/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --dedup: a packet seen twice (two SPAN ports, a mirror of a mirror) is counted once, as
 * nfpcapd -d does. A packet is a duplicate when its IP packet, from the IP header to its end
 * (the bytes captured, and the IP length), equals one of the last WINDOW packets of the same
 * worker and came within FP_DEDUP_AGE_US of it, whatever came before the IP header (VLAN tags,
 * MACs, the capture port). With --decap auto the IP packet is the innermost one, the one
 * accounted. The age bound keeps traffic that repeats itself byte for byte — VRRP and HSRP
 * advertisements, EIGRP and BFD hellos, a second or more apart on a quiet link (the tcpdump
 * corpus's vrrp.pcap has 130 such) — from being taken for copies: a SPAN port's copy follows
 * its original by microseconds, a few milliseconds at worst.
 *
 * Each packet is reduced to a 64-bit hash of those bytes and their length; two different packets
 * of the same length collide with a probability of about 2^-64 per pair compared, so the hash
 * stands for the bytes (no copy of the packets is kept). The window is a small ring, compared
 * whole: WINDOW words per packet, on the worker's own cache lines. With several workers each has
 * its own window; the capture's flow hash (fanout, RSS) sends both copies of a packet to the same
 * worker, since they carry the same addresses and ports.
 */
#ifndef FP_DEDUP_H
#define FP_DEDUP_H

#include <stdint.h>
#include <string.h>

#define FP_DEDUP_DEFAULT 8
#define FP_DEDUP_MAX 64
#define FP_DEDUP_AGE_US 10000 /* a copy comes within 10 ms of its original */

struct fp_dedup {
	uint32_t window; /* packets compared, 1..FP_DEDUP_MAX */
	uint32_t next;	 /* where the next packet's hash goes */
	uint64_t h[FP_DEDUP_MAX];
	uint64_t ts_us[FP_DEDUP_MAX]; /* when each was seen */
};

static inline void fp_dedup_init(struct fp_dedup *d, uint32_t window)
{
	memset(d, 0, sizeof(*d));
	d->window = window < 1 ? 1 : window > FP_DEDUP_MAX ? FP_DEDUP_MAX : window;
}

/* The hash of `n` bytes at `p` and the IP length `iplen` (never 0: an empty slot is 0). Each
 * 8-byte word is mixed on its own — xor one odd constant, times another, both chosen by its
 * position (the multiplier also by which eighth word it is) — and the terms summed: no chain from
 * one word to the next, so a packet's words hash side by side (as fp_key_hash does). A difference
 * in one word always changes its term (xor and an odd multiply are bijections). Only equality
 * is asked of it, so no finalizer (a bijection keeps equal sums equal and different ones
 * different). The last partial word is the packet's last 8 bytes (a fixed-size load). */
static inline uint64_t fp_dedup_hash(const uint8_t *p, uint32_t n, uint32_t iplen)
{
	static const uint64_t k[8] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full,
				      0x165667b19e3779f9ull, 0xd6e8feb86659fd93ull,
				      0xff51afd7ed558ccdull, 0xbf58476d1ce4e5b9ull,
				      0x94d049bb133111ebull, 0xc4ceb9fe1a85ec53ull};
	uint64_t acc = (uint64_t)iplen << 32 | n, w;
	uint32_t i = 0, j = 0;
	for (; i + 8 <= n; i += 8, j++) {
		memcpy(&w, p + i, 8);
		acc += (w ^ k[(j + 3) & 7]) * (k[j & 7] ^ (uint64_t)(j >> 3) << 33);
	}
	if (i < n) {
		w = 0;
		if (n >= 8)
			memcpy(&w, p + n - 8, 8);
		else
			for (uint32_t b = 0; b < n; b++)
				w |= (uint64_t)p[b] << (8 * b);
		acc += (w ^ k[(j + 3) & 7]) * (k[j & 7] ^ (uint64_t)(j >> 3) << 33);
	}
	return acc ? acc : 1; /* no finalizer: a bijection would not make equal sums differ */
}

/* Whether the packet (`n` captured bytes of the IP packet at `p`, `iplen` its IP length, seen at
 * `ts_us`) is one of the window's, seen within FP_DEDUP_AGE_US of it (before or after: two
 * ports' clocks); if not, it joins the window (the oldest leaves). */
static inline int fp_dedup_seen(struct fp_dedup *d, const uint8_t *p, uint32_t n, uint32_t iplen,
				uint64_t ts_us)
{
	uint64_t h = fp_dedup_hash(p, n, iplen);
	int hit = 0;
	if (d->window == FP_DEDUP_DEFAULT) /* a fixed count: the compiler compares in vectors */
		for (uint32_t i = 0; i < FP_DEDUP_DEFAULT; i++)
			hit |= d->h[i] == h;
	else
		for (uint32_t i = 0; i < d->window; i++) /* no early exit: side by side */
			hit |= d->h[i] == h;
	if (hit) /* rare: the same bytes; a copy only if near in time */
		for (uint32_t i = 0; i < d->window; i++)
			if (d->h[i] == h &&
			    (ts_us >= d->ts_us[i] ? ts_us - d->ts_us[i] : d->ts_us[i] - ts_us) <=
				FP_DEDUP_AGE_US)
				return 1;
	d->h[d->next] = h;
	d->ts_us[d->next] = ts_us;
	d->next = d->next + 1 == d->window ? 0 : d->next + 1;
	return 0;
}

/* fp_dedup_seen for a parsed frame: its IP packet starts at `l3_off` of the `caplen` bytes
 * captured and is `iplen` bytes long (what was captured of it is compared). */
static inline int fp_dedup_frame(struct fp_dedup *d, const uint8_t *frame, uint32_t caplen,
				 uint32_t l3_off, uint32_t iplen, uint64_t ts_us)
{
	uint32_t have = caplen - l3_off;
	return fp_dedup_seen(d, frame + l3_off, have < iplen ? have : iplen, iplen, ts_us);
}

#endif
