/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounded map from flow keys to entry numbers [0, cap): open addressing with linear probing
 * over twice as many slots as entries, backward-shift deletion (no tombstones: probe chains stay
 * short however long it runs), every slot allocated at init. The user keeps its own array of
 * entries indexed by the numbers handed out.
 *
 * One thread (the owner) uses a map.
 */
#ifndef FP_KEYMAP_H
#define FP_KEYMAP_H

#include <stdint.h>

#include "fp_key.h"

#define FP_KEYMAP_NONE UINT32_MAX

struct fp_keymap {
	struct fp_flow_key *keys; /* per entry */
	uint64_t *hashes;
	uint32_t *next_free;
	uint32_t *slots; /* entry + 1, 0 empty */
	uint64_t mask;
	uint32_t cap, free_head, used;
	uint32_t hiwater; /* entries [0, hiwater) have been handed out at some time: a sweep over
			     the entries need not look past it (free ones are handed out first) */
};

/* 0, or -1 (out of memory: nothing is left allocated). */
int fp_keymap_init(struct fp_keymap *m, uint32_t cap);
void fp_keymap_fini(struct fp_keymap *m);

/* The entry holding `k` (its hash `h`), or FP_KEYMAP_NONE. */
uint32_t fp_keymap_find(const struct fp_keymap *m, const struct fp_flow_key *k, uint64_t h);

/* A new entry for `k`, which is not in the map; FP_KEYMAP_NONE when all cap are used. */
uint32_t fp_keymap_add(struct fp_keymap *m, const struct fp_flow_key *k, uint64_t h);

/* Give entry `i` back. */
void fp_keymap_del(struct fp_keymap *m, uint32_t i);

/* The key both directions of a flow share, as its records carry it (the VLAN without the port
 * slot); *dir: which direction `k` is (1: the canonical orientation, 2: the other). */
static inline struct fp_flow_key fp_keymap_conn_key(const struct fp_flow_key *k, uint8_t *dir)
{
	struct fp_flow_key c = *k;
	c.vlan &= FP_KEY_VLAN_MASK;
	*dir = fp_key_canonicalize(&c) ? 2 : 1;
	return c;
}

#endif
