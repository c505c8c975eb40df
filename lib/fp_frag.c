/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design: a pool of entries, an open-addressing index of pool slots (linear probing, deleted
 * with backward shift so no tombstones build up), and a FIFO of pool slots in creation order:
 * the timeout is the same for every entry, so the oldest always expires first and expiry is
 * a walk from the FIFO head. Everything is allocated at create time.
 */
#include "fp_frag.h"

#include "fp_counters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

/* What a held fragment needs to become a packet again (key and MACs come from the entry). */
struct held {
	uint64_t ts_us;
	uint32_t octets;
	uint8_t tos, ttl;
};

struct entry {
	struct fp_flow_key key; /* ports zero: the datagram's identity with frag_id */
	uint32_t frag_id;
	uint64_t created_ms;
	uint16_t sport, dport;
	uint16_t vlan;
	uint8_t have_first;
	uint8_t nheld;
	uint8_t src_mac[6], dst_mac[6];
	struct fp_pkt_more more; /* the first fragment seen's context, for --fields */
	struct held held[FP_FRAG_HOLD];
};

struct fp_frag {
	struct fp_frag_config cfg;
	struct entry *pool;
	uint32_t *index; /* pool slot per index slot, EMPTY when free */
	uint32_t index_mask;
	uint32_t *fifo; /* pool slots, oldest first */
	uint32_t fifo_head, fifo_len;
	uint32_t *free_list;
	uint32_t nfree;
	struct fp_frag_stats st;
};

static uint64_t key_hash(const struct fp_flow_key *k, uint32_t id)
{
	return fp_key_hash(k) ^ (id * 0x9e3779b97f4a7c15ull);
}

/* The datagram identity of a fragment: addresses, protocol, version (no ports, no VLAN). */
static void datagram_key(const struct fp_pkt *p, struct fp_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, p->key.src, 16);
	memcpy(k->dst, p->key.dst, 16);
	k->proto = p->key.proto;
	k->ipver = p->key.ipver;
	k->vlan = p->key.vlan; /* and the port: the same datagram seen twice stays two */
}

struct fp_frag *fp_frag_create(const struct fp_frag_config *cfg)
{
	if (cfg->max_entries == 0 || cfg->max_entries > (1u << 24) || cfg->timeout_ms == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct fp_frag *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->cfg = *cfg;
	uint32_t isize = 1;
	while (isize < 2 * cfg->max_entries)
		isize <<= 1;
	f->index_mask = isize - 1;
	f->pool = calloc(cfg->max_entries, sizeof(*f->pool));
	f->index = malloc(sizeof(*f->index) * isize);
	f->fifo = malloc(sizeof(*f->fifo) * cfg->max_entries);
	f->free_list = malloc(sizeof(*f->free_list) * cfg->max_entries);
	if (!f->pool || !f->index || !f->fifo || !f->free_list) {
		fp_frag_destroy(f);
		errno = ENOMEM;
		return NULL;
	}
	memset(f->index, 0xff, sizeof(*f->index) * isize);
	for (uint32_t i = 0; i < cfg->max_entries; i++)
		f->free_list[i] = cfg->max_entries - 1 - i;
	f->nfree = cfg->max_entries;
	return f;
}

void fp_frag_destroy(struct fp_frag *f)
{
	if (f == NULL)
		return;
	free(f->pool);
	free(f->index);
	free(f->fifo);
	free(f->free_list);
	free(f);
}

/* Index slot holding the entry for (k, id), or the empty slot where it would go. */
static uint32_t find_slot(const struct fp_frag *f, const struct fp_flow_key *k, uint32_t id)
{
	uint32_t s = (uint32_t)key_hash(k, id) & f->index_mask;
	for (;;) {
		uint32_t e = f->index[s];
		if (e == EMPTY)
			return s;
		const struct entry *en = &f->pool[e];
		if (en->frag_id == id && fp_key_equal(&en->key, k))
			return s;
		s = (s + 1) & f->index_mask;
	}
}

/* Remove index slot `s` and shift later members of its run back (no tombstones). */
static void index_delete(struct fp_frag *f, uint32_t s)
{
	uint32_t hole = s;
	for (uint32_t j = (s + 1) & f->index_mask; f->index[j] != EMPTY;
	     j = (j + 1) & f->index_mask) {
		const struct entry *en = &f->pool[f->index[j]];
		uint32_t home = (uint32_t)key_hash(&en->key, en->frag_id) & f->index_mask;
		/* move j into the hole unless its home lies cyclically in (hole, j] */
		int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!stays) {
			f->index[hole] = f->index[j];
			hole = j;
		}
	}
	f->index[hole] = EMPTY;
}

/* The entry for this fragment's datagram, created if needed; NULL when the cache is full. */
static struct entry *lookup(struct fp_frag *f, const struct fp_pkt *p, uint64_t now_ms)
{
	struct fp_flow_key k;
	datagram_key(p, &k);
	uint32_t s = find_slot(f, &k, p->frag_id);
	if (f->index[s] != EMPTY)
		return &f->pool[f->index[s]];
	if (f->nfree == 0)
		return NULL;
	uint32_t e = f->free_list[--f->nfree];
	struct entry *en = &f->pool[e];
	memset(en, 0, sizeof(*en));
	en->key = k;
	en->frag_id = p->frag_id;
	en->created_ms = now_ms;
	en->vlan = p->key.vlan;
	memcpy(en->src_mac, p->src_mac, 6);
	memcpy(en->dst_mac, p->dst_mac, 6);
	en->more = p->more;
	f->index[s] = e;
	f->fifo[(f->fifo_head + f->fifo_len++) % f->cfg.max_entries] = e;
	return en;
}

/* A held fragment of `en` as a packet (with the ports, if known). */
static void unhold(const struct entry *en, const struct held *h, struct fp_pkt *out)
{
	memset(out, 0, sizeof(*out));
	out->key = en->key;
	out->key.vlan = en->vlan;
	out->key.sport = en->sport;
	out->key.dport = en->dport;
	out->octets = h->octets;
	out->tos = h->tos;
	out->ttl = h->ttl;
	out->ts_us = h->ts_us;
	out->is_fragment = !en->have_first;
	out->more = en->more;
	memcpy(out->src_mac, en->src_mac, 6);
	memcpy(out->dst_mac, en->dst_mac, 6);
}

unsigned fp_frag_first(struct fp_frag *f, const struct fp_pkt *p, uint64_t now_ms,
		       struct fp_pkt *out)
{
	struct entry *en = lookup(f, p, now_ms);
	if (en == NULL) {
		fp_counter_add(&f->st.full, 1);
		return 0;
	}
	fp_counter_add(&f->st.firsts, 1);
	en->have_first = 1;
	en->sport = p->key.sport;
	en->dport = p->key.dport;
	unsigned n = en->nheld;
	for (unsigned i = 0; i < n; i++)
		unhold(en, &en->held[i], &out[i]);
	en->nheld = 0;
	fp_counter_add(&f->st.released, n);
	return n;
}

int fp_frag_other(struct fp_frag *f, struct fp_pkt *p, uint64_t now_ms)
{
	struct entry *en = lookup(f, p, now_ms);
	if (en == NULL) {
		fp_counter_add(&f->st.full, 1);
		return -1;
	}
	if (en->have_first) {
		p->key.sport = en->sport;
		p->key.dport = en->dport;
		p->is_fragment = 0;
		fp_counter_add(&f->st.matched, 1);
		return 1;
	}
	if (en->nheld == FP_FRAG_HOLD) {
		fp_counter_add(&f->st.full, 1);
		return -1;
	}
	en->held[en->nheld++] =
	    (struct held){.ts_us = p->ts_us, .octets = p->octets, .tos = p->tos, .ttl = p->ttl};
	fp_counter_add(&f->st.held, 1);
	return 0;
}

unsigned fp_frag_expire(struct fp_frag *f, uint64_t now_ms, struct fp_pkt *out, unsigned max)
{
	unsigned n = 0;
	while (f->fifo_len) {
		uint32_t e = f->fifo[f->fifo_head];
		struct entry *en = &f->pool[e];
		if (now_ms != UINT64_MAX &&
		    (now_ms < en->created_ms || now_ms - en->created_ms < f->cfg.timeout_ms))
			break; /* the oldest is not due: none is */
		if (n + en->nheld > max)
			break; /* the caller comes back for the rest */
		for (unsigned i = 0; i < en->nheld; i++)
			unhold(en, &en->held[i], &out[n++]);
		fp_counter_add(&f->st.unmatched, en->nheld);
		index_delete(f, find_slot(f, &en->key, en->frag_id));
		f->free_list[f->nfree++] = e;
		f->fifo_head = (f->fifo_head + 1) % f->cfg.max_entries;
		f->fifo_len--;
	}
	return n;
}

void fp_frag_stats_read(const struct fp_frag *f, struct fp_frag_stats *out)
{
	fp_counters_copy(out, &f->st, sizeof(*out));
}
