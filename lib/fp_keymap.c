/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_keymap.h"

#include <stdlib.h>

int fp_keymap_init(struct fp_keymap *m, uint32_t cap)
{
	uint64_t nslots = 2;
	while (nslots < 2ull * cap)
		nslots <<= 1;
	m->cap = cap;
	m->mask = nslots - 1;
	m->used = 0;
	m->hiwater = 0;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->hashes = calloc(cap, sizeof(*m->hashes));
	m->next_free = calloc(cap, sizeof(*m->next_free));
	m->slots = calloc(nslots, sizeof(*m->slots));
	if (m->keys == NULL || m->hashes == NULL || m->next_free == NULL || m->slots == NULL) {
		fp_keymap_fini(m);
		return -1;
	}
	for (uint32_t i = 0; i < cap; i++)
		m->next_free[i] = i + 1 < cap ? i + 1 : FP_KEYMAP_NONE;
	m->free_head = cap ? 0 : FP_KEYMAP_NONE;
	return 0;
}

void fp_keymap_fini(struct fp_keymap *m)
{
	free(m->keys);
	free(m->hashes);
	free(m->next_free);
	free(m->slots);
	m->keys = NULL;
	m->hashes = NULL;
	m->next_free = NULL;
	m->slots = NULL;
}

/* Slot of `k` (holding it, or the empty one where it would go). */
static uint64_t find_slot(const struct fp_keymap *m, const struct fp_flow_key *k, uint64_t h)
{
	uint64_t s = h & m->mask;
	while (m->slots[s] && !fp_key_equal(&m->keys[m->slots[s] - 1], k))
		s = (s + 1) & m->mask;
	return s;
}

uint32_t fp_keymap_find(const struct fp_keymap *m, const struct fp_flow_key *k, uint64_t h)
{
	uint32_t v = m->slots[find_slot(m, k, h)];
	return v ? v - 1 : FP_KEYMAP_NONE;
}

uint32_t fp_keymap_add(struct fp_keymap *m, const struct fp_flow_key *k, uint64_t h)
{
	uint32_t i = m->free_head;
	if (i == FP_KEYMAP_NONE)
		return i;
	m->free_head = m->next_free[i];
	m->keys[i] = *k;
	m->hashes[i] = h;
	m->slots[find_slot(m, k, h)] = i + 1;
	m->used++;
	if (i >= m->hiwater)
		m->hiwater = i + 1;
	return i;
}

void fp_keymap_del(struct fp_keymap *m, uint32_t i)
{
	uint64_t s = find_slot(m, &m->keys[i], m->hashes[i]);
	m->slots[s] = 0;
	for (uint64_t j = (s + 1) & m->mask; m->slots[j]; j = (j + 1) & m->mask) {
		uint64_t home = m->hashes[m->slots[j] - 1] & m->mask;
		/* move slot j back to the hole unless its home lies cyclically in (s, j] */
		if (((j - home) & m->mask) >= ((j - s) & m->mask)) {
			m->slots[s] = m->slots[j];
			m->slots[j] = 0;
			s = j;
		}
	}
	m->next_free[i] = m->free_head;
	m->free_head = i;
	m->used--;
}
