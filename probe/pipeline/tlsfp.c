/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design
 * - One map per worker (lib/fp_keymap) from a connection's canonical key (both directions alike,
 *   the VLAN without the port slot, as records carry it) to an entry allocated at start.
 * - A direction being read holds one FP_TLS_BUF buffer from a pool (one per 16 entries): the
 *   buffer goes back as soon as the direction is done, so a handshake costs 8 KB only for the
 *   round trips it takes.
 * - `filt` counts, per 4096 buckets of the connection hash, the directions being read. A
 *   payload packet that does not start a TLS record is looked up only when its bucket is not 0:
 *   past the handshakes, a packet costs a hash and one byte read from a 4 KB array.
 * - An entry stays after its handshake so that the connection's records (several with active
 *   timeouts, two without --biflow) find the result, and goes with the last record of each
 *   direction it saw (as probe/pipeline/dpi.c does); one untouched for keep_ms is swept.
 */
#include "tlsfp.h"

#include "fp_counters.h"
#include "fp_key.h"
#include "fp_keymap.h"
#include "fp_tls.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define SWEEP_SLICE 64
#define FILT_SIZE 4096
#define NOBUF UINT32_MAX

enum { DIR_IDLE, DIR_OPEN, DIR_DONE };

struct entry {
	struct fp_tls_dir rd[2]; /* [0] the client's direction, [1] the server's */
	uint32_t next_seq[2];
	uint32_t buf[2];
	uint16_t segs[2]; /* segments read in the direction */
	uint8_t state[2];
	uint8_t client_dir; /* 1: the client sends in the canonical orientation, 2: the other */
	uint8_t taken;	    /* a record left with the result */
	uint8_t dirs_seen;  /* bit 0: packets in the canonical orientation, bit 1: the other */
	uint8_t dirs_done;  /* directions whose last record left */
	struct fp_tls_info info;
};

struct fp_tlsfp {
	struct fp_tlsfp_config cfg;
	struct fp_keymap map;
	struct entry *entries;
	uint64_t *touched; /* per entry: its last packet or record (ms), 0 while unused: the sweep
			      reads this array only, 8 bytes an entry */
	uint8_t *bufs;
	uint32_t *buf_free;
	uint32_t nbufs, buf_free_n;
	uint32_t open; /* directions being read */
	uint32_t sweep_pos;
	uint16_t filt[FILT_SIZE];    /* directions being read, per bucket of the hash */
	uint32_t present[FILT_SIZE]; /* entries, per bucket: a record of a connection without
					TLS state costs no lookup in the map */
	struct fp_tls_info out;	     /* the result handed out when its entry went with the record */
	struct fp_tlsfp_stats st;
};

static uint32_t bufs_for(uint32_t max_flows)
{
	return max_flows / 16 > 16 ? max_flows / 16 : 16;
}

size_t fp_tlsfp_bytes_per_flow(void)
{
	/* an entry, its key, hash, free link and two slots, and a 16th of a buffer */
	return sizeof(struct entry) + sizeof(struct fp_flow_key) + 8 + 4 + 2 * 4 +
	       (FP_TLS_BUF + 4) / 16;
}

struct fp_tlsfp *fp_tlsfp_create(const struct fp_tlsfp_config *cfg)
{
	struct fp_tlsfp *t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto oom;
	t->cfg = *cfg;
	t->nbufs = bufs_for(cfg->max_flows);
	if (fp_keymap_init(&t->map, cfg->max_flows) != 0)
		goto oom;
	t->entries = calloc(cfg->max_flows, sizeof(*t->entries));
	t->touched = calloc(cfg->max_flows, sizeof(*t->touched));
	t->bufs = malloc((size_t)t->nbufs * FP_TLS_BUF);
	t->buf_free = calloc(t->nbufs, sizeof(*t->buf_free));
	if (t->entries == NULL || t->touched == NULL || t->bufs == NULL || t->buf_free == NULL)
		goto oom;
	for (uint32_t i = 0; i < t->nbufs; i++)
		t->buf_free[i] = t->nbufs - 1 - i;
	t->buf_free_n = t->nbufs;
	return t;
oom:
	fp_log(LOG_ERR,
	       "--fields tls: cannot allocate state for %u connections (lower "
	       "--tls-max-flows)",
	       cfg->max_flows);
	fp_tlsfp_destroy(t);
	return NULL;
}

void fp_tlsfp_destroy(struct fp_tlsfp *t)
{
	if (t == NULL)
		return;
	fp_keymap_fini(&t->map);
	free(t->entries);
	free(t->touched);
	free(t->bufs);
	free(t->buf_free);
	free(t);
}

static int dir_open(struct fp_tlsfp *t, uint32_t i, int d, uint32_t seq)
{
	struct entry *e = &t->entries[i];
	if (t->buf_free_n == 0) {
		fp_counter_add(&t->st.no_room, 1);
		e->state[d] = DIR_DONE;
		return -1;
	}
	e->buf[d] = t->buf_free[--t->buf_free_n];
	memset(&e->rd[d], 0, sizeof(e->rd[d]));
	e->rd[d].server = (uint8_t)d;
	e->next_seq[d] = seq;
	e->segs[d] = 0;
	e->state[d] = DIR_OPEN;
	t->filt[t->map.hashes[i] & (FILT_SIZE - 1)]++;
	t->open++;
	return 0;
}

/* Direction `d` of entry `i` is read no more: what it ended with is counted. */
static void dir_close(struct fp_tlsfp *t, uint32_t i, int d, int why)
{
	struct entry *e = &t->entries[i];
	if (e->state[d] != DIR_OPEN) {
		e->state[d] = DIR_DONE;
		return;
	}
	t->buf_free[t->buf_free_n++] = e->buf[d];
	e->buf[d] = NOBUF;
	e->state[d] = DIR_DONE;
	t->filt[t->map.hashes[i] & (FILT_SIZE - 1)]--;
	t->open--;
	if (why == FP_TLS_DONE && e->segs[d] > 1)
		fp_counter_add(&t->st.reassembled, 1);
	else if (why == FP_TLS_NOT_TLS)
		fp_counter_add(&t->st.malformed, 1);
	else if (why == FP_TLS_TOO_LONG)
		fp_counter_add(&t->st.too_long, 1);
	else if (why == FP_TLS_MORE) /* a gap, or the connection went before the message ended */
		fp_counter_add(&t->st.gaps, 1);
	if (d == 0 && (e->info.have & FP_TLS_HAVE_CLIENT))
		fp_counter_add(&t->st.handshakes, 1);
	if (d == 1 && (e->info.have & FP_TLS_HAVE_SERVER))
		fp_counter_add(&t->st.server_hellos, 1);
	if (d == 1 && (e->info.have & FP_TLS_HAVE_CERT))
		fp_counter_add(&t->st.certificates, 1);
}

static void entry_free(struct fp_tlsfp *t, uint32_t i)
{
	dir_close(t, i, 0, FP_TLS_MORE);
	dir_close(t, i, 1, FP_TLS_MORE);
	t->touched[i] = 0;
	t->present[t->map.hashes[i] & (FILT_SIZE - 1)]--;
	fp_keymap_del(&t->map, i);
}

static uint32_t entry_new(struct fp_tlsfp *t, const struct fp_flow_key *k, uint64_t h, uint8_t dir,
			  uint64_t now_ms)
{
	uint32_t i = fp_keymap_add(&t->map, k, h);
	if (i == FP_KEYMAP_NONE) {
		fp_counter_add(&t->st.no_room, 1);
		return i;
	}
	struct entry *e = &t->entries[i];
	t->present[h & (FILT_SIZE - 1)]++;
	t->touched[i] = now_ms | 1; /* never 0 while used */
	e->buf[0] = e->buf[1] = NOBUF;
	e->state[0] = e->state[1] = DIR_IDLE;
	e->client_dir = dir;
	e->taken = 0;
	e->dirs_seen = 0;
	e->dirs_done = 0;
	memset(&e->info, 0, offsetof(struct fp_tls_info, sni));
	e->info.sni[0] = e->info.alpn_offered[0] = e->info.alpn[0] = '\0';
	e->info.subject[0] = e->info.issuer[0] = '\0';
	return i;
}

/* The segment's bytes that are new to direction `d` (in order), read. */
static void dir_segment(struct fp_tlsfp *t, uint32_t i, int d, const struct fp_tcp_seg *seg,
			const uint8_t *pl)
{
	struct entry *e = &t->entries[i];
	int32_t delta = (int32_t)(seg->seq - e->next_seq[d]);
	if (delta > 0) { /* a segment is missing: what follows cannot be read in order */
		dir_close(t, i, d, FP_TLS_MORE);
		return;
	}
	uint32_t skip = (uint32_t)-delta; /* already read: a retransmission's old part */
	if (skip >= seg->len)
		return;
	uint32_t n = seg->caplen > skip ? seg->caplen - skip : 0;
	e->segs[d]++;
	enum fp_tls_step st = fp_tls_feed(&e->rd[d], t->bufs + (size_t)e->buf[d] * FP_TLS_BUF,
					  pl + skip, n, &e->info);
	e->next_seq[d] += seg->len - skip;
	if (st == FP_TLS_MORE && n < seg->len - skip) /* cut by the snap length */
		dir_close(t, i, d, FP_TLS_MORE);
	else if (st != FP_TLS_MORE)
		dir_close(t, i, d, st);
}

void fp_tlsfp_packet(struct fp_tlsfp *t, const struct fp_pkt *p, const uint8_t *frame,
		     uint32_t caplen, uint64_t now_ms)
{
	struct fp_tcp_seg seg;
	if (!p->tcp_payload) /* a bare ACK, SYN or FIN: nothing to read */
		return;
	const uint8_t *pl = fp_parse_tcp_segment(frame, caplen, p, &seg);
	if (pl == NULL || seg.len == 0)
		return;
	int record_start = seg.caplen >= 1 && pl[0] == 22; /* a handshake record, perhaps */
	if (!record_start && t->open == 0)
		return; /* the common case past the handshakes */
	uint8_t dir;
	struct fp_flow_key k = fp_keymap_conn_key(&p->key, &dir);
	uint64_t h = fp_key_hash(&k);
	if (!record_start && t->filt[h & (FILT_SIZE - 1)] == 0)
		return;
	uint32_t i = fp_keymap_find(&t->map, &k, h);
	if (i == FP_KEYMAP_NONE) {
		if (!fp_tls_starts(pl, seg.caplen, 0) ||
		    (i = entry_new(t, &k, h, dir, now_ms)) == FP_KEYMAP_NONE)
			return;
	}
	struct entry *e = &t->entries[i];
	t->touched[i] = now_ms | 1;
	e->dirs_seen |= dir;
	int d = dir == e->client_dir ? 0 : 1;
	if (e->state[d] == DIR_DONE)
		return;
	if (e->state[d] == DIR_IDLE) {
		/* a direction is read from its first payload, which must start its hello */
		if (!fp_tls_starts(pl, seg.caplen, d)) {
			e->state[d] = DIR_DONE;
			return;
		}
		if (dir_open(t, i, d, seg.seq) != 0)
			return;
	}
	dir_segment(t, i, d, &seg, pl);
}

const struct fp_tls_info *fp_tlsfp_result(struct fp_tlsfp *t, const struct fp_record *rec,
					  uint64_t now_ms)
{
	uint8_t dir;
	struct fp_flow_key k = fp_keymap_conn_key(&rec->key, &dir);
	uint64_t h = fp_key_hash(&k);
	if (t->present[h & (FILT_SIZE - 1)] == 0)
		return NULL;
	uint32_t i = fp_keymap_find(&t->map, &k, h);
	if (i == FP_KEYMAP_NONE)
		return NULL;
	struct entry *e = &t->entries[i];
	t->touched[i] = now_ms | 1;
	e->taken = 1;
	if (rec->end_reason != FP_END_ACTIVE)
		e->dirs_done |= t->cfg.biflow ? 3 : dir;
	const struct fp_tls_info *r = e->info.have ? &e->info : NULL;
	if (r)
		fp_counter_add(&t->st.records_with_tls, 1);
	if ((e->dirs_done & e->dirs_seen) != e->dirs_seen)
		return r;
	t->out = e->info; /* the connection has gone: so does its result */
	entry_free(t, i);
	return r ? &t->out : NULL;
}

void fp_tlsfp_expire(struct fp_tlsfp *t, uint64_t now_ms)
{
	/* over the entries ever used only: the rest of the pool is never touched (its pages are
	 * never faulted in) */
	uint32_t end = t->map.hiwater;
	for (unsigned n = 0; n < SWEEP_SLICE && n < end; n++) {
		uint32_t i = t->sweep_pos < end ? t->sweep_pos : 0;
		t->sweep_pos = i + 1;
		if (t->touched[i] == 0 || now_ms < t->touched[i] + t->cfg.keep_ms)
			continue;
		struct entry *e = &t->entries[i];
		if (!e->taken && e->info.have)
			fp_counter_add(&t->st.results_expired, 1);
		entry_free(t, i);
	}
}

void fp_tlsfp_stats_read(const struct fp_tlsfp *t, struct fp_tlsfp_stats *out)
{
	fp_counters_copy(out, &t->st, sizeof(*out));
}
