/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment cache: gives non-first IPv4/IPv6 fragments the ports of their first fragment, so a
 * fragmented datagram is accounted in its flow with all its bytes.
 *
 * Keyed by (version, addresses, protocol, fragment id); bounded: at most `max_entries` datagrams,
 * each remembered for `timeout_ms` after its first fragment arrived (or its first held one).
 * Fragments that come before their first are held (up to FP_FRAG_HOLD per datagram) and released
 * with ports when it comes, or without ports when the entry times out: nothing is lost, only
 * delayed. When the cache is full a fragment is accounted as it is (no ports) and counted.
 * One per worker, single-threaded, no allocation after create.
 */
#ifndef FP_FRAG_H
#define FP_FRAG_H

#include <stdint.h>

#include "fp_parse.h"

#define FP_FRAG_HOLD 8

struct fp_frag_config {
	uint32_t max_entries;
	uint32_t timeout_ms;
};

struct fp_frag_stats {
	uint64_t firsts;    /* first fragments remembered */
	uint64_t matched;   /* later fragments given the ports at once */
	uint64_t held;	    /* fragments that came before their first */
	uint64_t released;  /* ... and got the ports when it came */
	uint64_t unmatched; /* ... whose first never came: accounted without ports */
	uint64_t full;	    /* not cached: cache or hold slots full (accounted without ports) */
};

struct fp_frag;

/* NULL (errno set) if the configuration is invalid or memory is short. */
struct fp_frag *fp_frag_create(const struct fp_frag_config *cfg);
void fp_frag_destroy(struct fp_frag *f);

/* A first fragment (`p->frag_first`): remember its ports. Fragments held for it are completed
 * and copied to `out` (room for FP_FRAG_HOLD); returns how many. */
unsigned fp_frag_first(struct fp_frag *f, const struct fp_pkt *p, uint64_t now_ms,
		       struct fp_pkt *out);

/* A later fragment (`p->is_fragment`): 1 = ports filled in, account it now; 0 = held, account
 * nothing now; -1 = cannot hold, account it as it is. */
int fp_frag_other(struct fp_frag *f, struct fp_pkt *p, uint64_t now_ms);

/* Forget datagrams remembered for `timeout_ms`; their held fragments go to `out` without ports
 * (at most `max`, which must be ≥ FP_FRAG_HOLD). Returns how many were written; call again while it
 * returns `max`. Pass UINT64_MAX at the end to let everything go. */
unsigned fp_frag_expire(struct fp_frag *f, uint64_t now_ms, struct fp_pkt *out, unsigned max);

void fp_frag_stats_read(const struct fp_frag *f, struct fp_frag_stats *out);

#endif
