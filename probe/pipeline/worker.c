/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The poll loop: receive a burst → parse each frame as it arrives → table update for the whole
 * burst → one expiry slice → every QSBR_EVERY bursts a quiescent state. Nothing here allocates,
 * locks or logs per packet. Offline, the clock is the newest packet timestamp, so a file gives
 * the same records at any speed; live, it is the wall clock read once per burst, so flows expire
 * on a quiet link too.
 */
#include "worker.h"
#include "dpi.h"
#include "log.h"
#include "pcapstore.h"
#include "tlsfp.h"

#include <stdlib.h>

#include "clock.h"
#include "fp_counters.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <urcu/urcu-qsbr.h>

#define QSBR_EVERY 16

static_assert(2 * FP_BURST <= FP_TABLE_BURST_MAX, "two receive bursts fit one table update");
#define EXPIRE_BUDGET 64	 /* wheel slots + entries examined per receive burst */
#define EXPIRE_IDLE_BUDGET 65536 /* ... per poll that found no packet (a few ms at most) */

/* Table → exporter. Offline the file can wait, so wait; live, count and drop. */
static int emit_to_ring(void *arg, const struct fp_record *rec, const struct fp_side *kept)
{
	struct fp_worker *w = arg;
	struct fp_side side = {
	    .app = w->dpi ? fp_dpi_result(w->dpi, rec, w->clock_ms) : NULL,
	    .payload = kept->payload,
	    .tls = w->tls ? fp_tlsfp_result(w->tls, rec, w->clock_ms) : NULL,
	    .tcp = kept->tcp,
	};

	if (fp_ring_push_side(&w->ring, rec, &side) == 0)
		return 0;
	/* Live, a worker must not stall its queue; at the final flush no packet is left to lose. */
	if (!w->offline && !w->flushing)
		return -1;
	w->local.ring_full_waits++;
	/* The exporter drains at the collector's pace: sleep rather than spin for it. */
	struct timespec nap = {.tv_sec = 0, .tv_nsec = 200000};
	while (fp_ring_push_side(&w->ring, rec, &side) != 0)
		nanosleep(&nap, NULL);
	return 0;
}

/* --sample: is this frame taken? Deterministic takes the first of every N; random takes each
 * with probability 1/N (xorshift64*, one per worker). */
static inline int sample_take(struct fp_worker *w)
{
	if (!w->sample_random) {
		if (w->sample_left) {
			w->sample_left--;
			return 0;
		}
		w->sample_left = w->sample_n - 1;
		return 1;
	}
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	uint32_t r = (uint32_t)((w->rng * 0x2545f4914f6cdd1dull) >> 32);
	return ((uint64_t)r * w->sample_n) >> 32 == 0;
}

/* A parsed packet joins the table's input: biflow orientation, then the counters. */
static inline void admit(struct fp_worker *w, struct fp_pkt *p)
{
	if (w->biflow) /* both directions of a connection meet in one entry */
		p->swapped = (uint8_t)fp_key_canonicalize(&p->key);
	w->local.packets++;
	w->local.bytes += p->octets;
}

/* Packets the fragment cache hands back (held fragments, completed or timed out): into the
 * table at once, counted as they are accounted. */
static void account_now(struct fp_worker *w, struct fp_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		admit(w, &pkts[i]);
	fp_table_update_burst(w->table, pkts, n);
}

/* Timed-out datagrams: their held fragments leave without ports. */
static void frag_expire(struct fp_worker *w, uint64_t now_ms)
{
	unsigned n;
	while ((n = fp_frag_expire(w->frag, now_ms, w->frag_out,
				   sizeof(w->frag_out) / sizeof(w->frag_out[0]))) > 0)
		account_now(w, w->frag_out, n);
}

static void on_frame(void *arg, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		     uint64_t ts_ns)
{
	struct fp_worker *w = arg;
	if (w->sample_n > 1 && !sample_take(w)) {
		w->local.frames++;
		w->local.not_sampled++;
		return;
	}
	struct fp_pkt *p = &w->pkts[w->npkts];
	enum fp_parse_result r = fp_parse_decap(w->cap->link, data, caplen, wirelen, w->decap, p);

	w->local.frames++;
	if (r != FP_PARSE_OK) {
		w->local.parse[r]++;
		w->local.ignored_bytes += wirelen;
		return;
	}
	uint64_t ts_us = ts_ns / 1000;
	if (w->dedup && fp_dedup_frame(w->dedup, data, caplen, p->l3_off, p->octets, ts_us)) {
		w->local.duplicates++; /* before the flows and the packet store */
		return;
	}
	p->ts_us = ts_us;
	if (w->pstore) { /* --pcap-dir: the packet is accounted, its bytes readable only now */
		if (w->pstore->by_record)
			fp_pstore_keep(w->pstore, w->cap->rec_seq);
		else
			fp_pstore_put(w->pstore, data, caplen, wirelen, ts_ns);
	}
	p->key.vlan |= w->cap->key_port; /* flows are per port (the backend decides) */
	if (w->dpi && !p->is_fragment)	 /* the frame is readable only now */
		fp_dpi_packet(w->dpi, p, data, caplen, ts_us / 1000);
	if (w->tls && p->key.proto == 6 && !p->is_fragment) /* --fields tls: the same */
		fp_tlsfp_packet(w->tls, p, data, caplen, ts_us / 1000);
	if (w->more)
		p->more.ingress = w->cap->ifindex;
	if (w->frag && p->is_fragment) {
		if (fp_frag_other(w->frag, p, ts_us / 1000) == 0)
			return; /* held until its first fragment comes (or times out) */
	} else if (w->frag && p->frag_first) {
		unsigned n = fp_frag_first(w->frag, p, ts_us / 1000, w->frag_out);
		if (n)
			account_now(w, w->frag_out, n);
	}
	if (p->tunnel | p->decap_failed | p->unopened) { /* the exception: one test for all */
		w->local.unopened[p->unopened]++;
		w->local.decap[p->tunnel]++;
		w->local.decap_failed += p->decap_failed == 1;
		w->local.decap_not_ip += p->decap_failed == 2;
	}
	if (w->payload) { /* --payload: the bytes after the transport header, while readable */
		struct fp_table_payload *y = &w->pays[w->npkts];
		uint32_t len;
		const uint8_t *at = fp_parse_l4_payload(data, caplen, p, &len);
		y->data = NULL;
		y->len = 0;
		if (at) {
			y->len = len < w->payload ? len : w->payload;
			y->data = w->paybuf + (size_t)w->npkts * w->payload;
			memcpy(w->paybuf + (size_t)w->npkts * w->payload, at, y->len);
		}
	}
	if (w->tcp_health) { /* --fields tcp: the TCP header, while the frame is readable */
		struct fp_tcp_seg *g = &w->segs[w->npkts];
		g->ok = 0;
		if (p->key.proto == 6)
			(void)fp_parse_tcp_segment(data, caplen, p, g);
	}
	admit(w, p);
	w->npkts++;
}

static void publish_stats(struct fp_worker *w)
{
	fp_counters_copy(&w->st, &w->local, sizeof(w->local));
}

/*
 * --count across workers: a worker takes up to a burst of frames from the shared budget before it
 * polls and gives back what the burst did not use, holding `inflight` meanwhile. The budget never
 * goes below zero, so exactly N frames are accounted however many workers share it; the main
 * thread ends the run once the budget is empty and nobody holds any (fp_budget_spent).
 */
static unsigned budget_take(struct fp_budget *b)
{
	__atomic_add_fetch(&b->inflight, 1, __ATOMIC_SEQ_CST);
	int64_t avail = __atomic_load_n(&b->left, __ATOMIC_SEQ_CST);
	while (avail > 0) {
		int64_t want = avail < FP_BURST ? avail : FP_BURST;
		if (__atomic_compare_exchange_n(&b->left, &avail, avail - want, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return (unsigned)want;
	}
	__atomic_sub_fetch(&b->inflight, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void budget_settle(struct fp_budget *b, unsigned taken, int used)
{
	if (used < (int)taken)
		__atomic_add_fetch(&b->left, (int64_t)taken - (used > 0 ? used : 0),
				   __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&b->inflight, 1, __ATOMIC_SEQ_CST);
}

int fp_budget_spent(struct fp_budget *b)
{
	/* left can only grow again through a settlement, and settlers hold inflight */
	return __atomic_load_n(&b->left, __ATOMIC_SEQ_CST) == 0 &&
	       __atomic_load_n(&b->inflight, __ATOMIC_SEQ_CST) == 0 &&
	       __atomic_load_n(&b->left, __ATOMIC_SEQ_CST) == 0;
}

int fp_worker_run(void *arg)
{
	struct fp_worker *w = arg;
	unsigned bursts = 0;
	struct timespec t0, t1;

	urcu_qsbr_register_thread();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!*w->stop) {
		unsigned max = w->budget ? budget_take(w->budget) : FP_BURST;
		int n = 0;
		w->npkts = 0;
		if (max) {
			n = w->cap->ops->recv_burst(w->cap, max, on_frame, w);
			/* A full burst and room for another: take it before updating the table.
			 * (Not under --count, whose budget is taken one burst at a time.) */
			if (!w->budget && n == (int)max && w->cap->bursts_per_update > 1) {
				int n2 = w->cap->ops->recv_burst(w->cap, max, on_frame, w);
				if (n2 > 0)
					n += n2;
			}
			if (w->budget)
				budget_settle(w->budget, max, n);
		}
		if (w->pstore && w->pstore->by_record)
			fp_pstore_publish_rec(w->pstore, w->cap->rec_next);
		else if (w->pstore)
			fp_pstore_publish(w->pstore);
		if (n < 0) {
			w->failed = n == -2;
			break;
		}
		if (w->npkts) {
			if (w->first_ts_ms == 0)
				__atomic_store_n(&w->first_ts_ms,
						 w->pkts[0].ts_us >= 1000 ? w->pkts[0].ts_us / 1000
									  : 1,
						 __ATOMIC_RELEASE);
			/* live, a flow that expired between slices ends on its next packet only if
			 * the ring takes its record now (fp_table_set_room) */
			if (!w->offline)
				fp_table_set_room(
				    w->table, (uint32_t)fp_ring_room(&w->ring, FP_TABLE_BURST_MAX));
			if (w->payload || w->tcp_health) {
				struct fp_table_burst_ext x = {.pay = w->payload ? w->pays : NULL,
							       .seg =
								   w->tcp_health ? w->segs : NULL};
				fp_table_update_burst_ext(w->table, w->pkts, &x, w->npkts);
			} else {
				fp_table_update_burst(w->table, w->pkts, w->npkts);
			}
		}
		if (w->offline) {
			/* The clock never goes back; a packet stamped earlier still counts in its
			 * flow (whose last-seen time does not move back either). */
			for (unsigned i = 0; i < w->npkts; i++) {
				uint64_t ms = w->pkts[i].ts_us / 1000;
				if (ms > w->clock_ms)
					w->clock_ms = ms;
				else if (ms < w->clock_ms)
					w->local.ts_backwards++;
			}
		} else {
			w->clock_ms =
			    w->cap->ops->now_ms ? w->cap->ops->now_ms(w->cap) : fp_wall_ms();
		}
		if (w->frag)
			frag_expire(w, w->clock_ms);
		if (w->dpi)
			fp_dpi_expire(w->dpi, w->clock_ms);
		if (w->tls)
			fp_tlsfp_expire(w->tls, w->clock_ms);
		/* Expiry keeps pace with arrivals: one budget per receive burst taken; a poll
		 * that found nothing lets it catch up (a flood that stopped leaves many flows
		 * to expire at once). Live, never more than the ring takes now: a flow left in
		 * the table leaves at a later slice, a record that finds the ring full is lost. */
		unsigned budget = w->npkts > FP_BURST ? 2 * EXPIRE_BUDGET : EXPIRE_BUDGET;
		if (n == 0)
			budget = EXPIRE_IDLE_BUDGET;
		if (!w->offline) {
			uint64_t room = fp_ring_room(&w->ring, budget);
			if (budget > room)
				budget = (unsigned)room;
		} else {
			/* A file can wait for its records: expiry catches up with the packets'
			 * clock (a burst of a sparse file spans minutes, thousands of wheel slots),
			 * so flows leave near their time and do not fill the table. */
			budget = EXPIRE_IDLE_BUDGET;
		}
		fp_table_expire(w->table, w->clock_ms, budget);
		if (++bursts % QSBR_EVERY == 0) {
			publish_stats(w);
			urcu_qsbr_quiescent_state();
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	w->capture_seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* End of input or stop: every flow still in the table leaves as "forced end", but those
	 * whose timeout had passed by the clock (a FIN's linger before the end of the file) with
	 * the reason that ended them. */
	__atomic_store_n(&w->flushing, 1, __ATOMIC_RELAXED); /* the exporter paces as offline */
	if (w->frag)
		frag_expire(w, UINT64_MAX); /* what still waits for a first fragment */
	fp_table_flush(w->table, w->clock_ms, FP_END_FORCED);
	publish_stats(w);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	w->cpu_seconds = (double)t1.tv_sec + t1.tv_nsec / 1e9;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	urcu_qsbr_unregister_thread();
	return 0;
}

static void *worker_main(void *arg)
{
	fp_worker_run(arg);
	return NULL;
}

int fp_worker_init(struct fp_worker *w, unsigned id, struct fp_capture *cap,
		   const struct fp_table_config *tcfg, uint32_t ring_size, volatile int *stop)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->cap = cap;
	w->offline = cap->offline;
	w->stop = stop;
	if (fp_ring_init(&w->ring, ring_size) != 0) {
		fp_log(LOG_ERR, "worker %u: cannot allocate a ring of %u records", id, ring_size);
		return -1;
	}
	struct fp_table_config c = *tcfg;
	c.emit = emit_to_ring;
	c.emit_arg = w;
	w->table = fp_table_create(&c);
	if (w->table == NULL) {
		fp_ring_fini(&w->ring);
		return -1;
	}
	w->tcp_health = tcfg->tcp_health;
	if (tcfg->payload) {
		w->payload = tcfg->payload;
		w->paybuf = malloc((size_t)2 * FP_BURST * tcfg->payload);
		if (w->paybuf == NULL || fp_ring_init_payload(&w->ring, tcfg->payload) != 0) {
			fp_log(LOG_ERR, "worker %u: cannot allocate --payload's buffers", id);
			free(w->paybuf);
			w->paybuf = NULL;
			fp_table_destroy(w->table);
			w->table = NULL;
			fp_ring_fini(&w->ring);
			return -1;
		}
	}
	return 0;
}

int fp_worker_start(struct fp_worker *w)
{
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		fp_log(LOG_ERR, "worker %u: cannot start thread: %s", w->id, strerror(rc));
		return -1;
	}
	char name[16];
	snprintf(name, sizeof(name), "fp-worker-%u", w->id);
	pthread_setname_np(w->thread, name);
	return 0;
}

void fp_worker_fini(struct fp_worker *w)
{
	fp_table_destroy(w->table);
	w->table = NULL;
	fp_frag_destroy(w->frag);
	w->frag = NULL;
	fp_dpi_destroy(w->dpi);
	w->dpi = NULL;
	fp_tlsfp_destroy(w->tls);
	w->tls = NULL;
	free(w->dedup);
	w->dedup = NULL;
	free(w->paybuf);
	w->paybuf = NULL;
	fp_ring_fini(&w->ring);
}

void fp_worker_stats_read(const struct fp_worker *w, struct fp_worker_stats *out)
{
	fp_counters_copy(out, &w->st, sizeof(*out));
}
