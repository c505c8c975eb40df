/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exporter thread: drains every worker's ring and hands each record to every output
 * (../sinks/sink.h: the collectors, JSON lines, flow files, ClickHouse, as the sink modules are
 * listed). It keeps the export clock and nothing of any output. It never blocks a worker: workers
 * push into their own SPSC rings and this thread polls them. It ends when every worker has set
 * `done` and every ring is empty, so with --read the process exits only after the last record left.
 * The loop does not know which outputs exist: each sink is begun, given records, ticked while
 * nothing comes and finished in the same way.
 */
#include "exporter.h"
#include "log.h"

#include "clock.h"
#include "fp_counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-qsbr.h>

#define DRAIN_BURST 256

/* v9's sysUpTime origin: one second before the first packet (offline) or the start (live). */
uint64_t fp_exporter_boot_ms(const struct fp_exporter *x)
{
	if (!x->offline)
		return (fp_wall_ms() / 1000 - 1) * 1000;
	uint64_t first = 0;
	for (unsigned i = 0; i < x->n_workers; i++) {
		uint64_t t = __atomic_load_n(&x->workers[i].first_ts_ms, __ATOMIC_ACQUIRE);
		if (t && (first == 0 || t < first))
			first = t;
	}
	return first >= 1000 ? (first / 1000 - 1) * 1000 : 0;
}

/* Export time: the packet clock offline (the first packet's time before any record), the wall
 * clock live. */
uint64_t fp_exporter_time(const struct fp_exporter *x)
{
	if (!x->offline)
		return fp_wall_ms();
	if (x->clock_ms)
		return x->clock_ms;
	uint64_t t = fp_exporter_boot_ms(x);
	return t ? t + 1000 : fp_wall_ms();
}

/* What came beside a burst's records (each NULL when its option is off). */
struct burst_sides {
	const struct fp_app *apps;	 /* --dpi */
	const struct fp_geo *geos;	 /* --geoip: two per record */
	const struct fp_tls_info *tls;	 /* --fields tls */
	const struct fp_tcp_health *tcp; /* --fields tcp */
};

/* Record i's side parts */
static inline struct fp_side side_at(const struct fp_exporter *x, const struct burst_sides *b,
				     unsigned i)
{
	struct fp_side s = {
	    .app = b->apps ? &b->apps[i] : NULL,
	    .geo = b->geos ? &b->geos[2 * i] : NULL,
	    .payload =
		x->pay ? (const struct fp_payload *)(x->pay + (size_t)i * x->pay_stride) : NULL,
	    .tls = b->tls && b->tls[i].have ? &b->tls[i] : NULL,
	    .tcp = b->tcp ? &b->tcp[i] : NULL,
	};
	return s;
}

/* One burst of one worker's records to every sink: in the worker's order, or IPv4 first, then
 * IPv6, to the sinks that group them (sink.h). Offline, the export clock is the newest record's
 * end, advanced record by record in the order each sink takes them. */
static void hand_burst(struct fp_exporter *x, const struct fp_record *recs,
		       const struct burst_sides *b, unsigned n)
{
	uint64_t start = x->clock_ms;
	int grouped = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct fp_record *r = &recs[i];
		if (x->offline && r->last_us / 1000 > x->clock_ms)
			x->clock_ms = r->last_us / 1000;
		uint64_t now = x->offline ? x->clock_ms : x->now_ms;
		struct fp_side side = side_at(x, b, i);
		/* every sink gets the record whole, whatever its format can carry */
		for (unsigned s = 0; s < x->n_sinks; s++) {
			if (x->sinks[s].ops->by_family)
				grouped = 1;
			else
				x->sinks[s].ops->take(x->sinks[s].priv, r, &side, now);
		}
	}
	if (!grouped)
		return;
	uint64_t clock = start;
	for (int v6 = 0; v6 <= 1; v6++)
		for (unsigned i = 0; i < n; i++) {
			const struct fp_record *r = &recs[i];
			if ((r->key.ipver == 6) != v6)
				continue;
			if (x->offline && r->last_us / 1000 > clock)
				clock = r->last_us / 1000;
			uint64_t now = x->offline ? clock : x->now_ms;
			struct fp_side side = side_at(x, b, i);
			for (unsigned s = 0; s < x->n_sinks; s++)
				if (x->sinks[s].ops->by_family)
					x->sinks[s].ops->take(x->sinks[s].priv, r, &side, now);
		}
}

/* One burst from each worker's ring; the records taken, *all_done cleared while a worker runs or
 * its ring held a full burst. */
static unsigned drain_rings(struct fp_exporter *x, int *all_done)
{
	static struct fp_record recs[DRAIN_BURST];
	static struct fp_app apps[DRAIN_BURST];	      /* --dpi: beside each record */
	static struct fp_geo geos[2 * DRAIN_BURST];   /* --geoip: its source's, its destination's */
	static struct fp_tls_info tls[DRAIN_BURST];   /* --fields tls */
	static struct fp_tcp_health tcp[DRAIN_BURST]; /* --fields tcp */
	unsigned got = 0;
	*all_done = 1;
	for (unsigned w = 0; w < x->n_workers; w++) {
		/* Read `done` before draining: records pushed before it are then seen. */
		int done = __atomic_load_n(&x->workers[w].done, __ATOMIC_ACQUIRE);
		const struct fp_ring *ring = &x->workers[w].ring;
		struct fp_ring_sides o = {apps, x->pay, tls, tcp};
		unsigned n = fp_ring_pop_burst_side(&x->workers[w].ring, recs, &o, DRAIN_BURST);
		const struct fp_localnets *local = x->cfg->local_nets;
		for (unsigned i = 0; i < n; i++) { /* where its packets are (--pcap-dir) */
			recs[i].worker = (uint8_t)w;
			if (local) /* --local-net: once per record, here rather than per packet */
				recs[i].direction =
				    (uint8_t)fp_localnets_direction(local, &recs[i].key);
		}
		if (x->geo) /* --geoip: once per record, here, never on the packet path */
			for (unsigned i = 0; i < n; i++)
				fp_geodb_lookup(x->geo, &recs[i].key, &geos[2 * i]);
		struct burst_sides b = {ring->side ? apps : NULL, x->geo ? geos : NULL,
					ring->tls ? tls : NULL, ring->tcp ? tcp : NULL};
		hand_burst(x, recs, &b, n);
		got += n;
		if (!done || n == DRAIN_BURST)
			*all_done = 0;
	}
	return got;
}

static void geo_say(int failed, const char *msg)
{
	fp_log(failed ? LOG_WARNING : LOG_INFO, "%s", msg);
}

static void *exporter_main(void *arg)
{
	struct fp_exporter *x = arg;
	unsigned idle = 0;

	/* What sinks read from other threads (the collector set, swapped by SIGHUP) is read under
	 * QSBR: one quiescent state per loop, and a sink uses what its `begin` loaded only within
	 * that loop. */
	urcu_qsbr_register_thread();
	for (;;) {
		urcu_qsbr_quiescent_state();
		x->now_ms = fp_wall_ms();
		for (unsigned i = 0; i < x->n_sinks; i++)
			if (x->sinks[i].ops->begin)
				x->sinks[i].ops->begin(x->sinks[i].priv);
		int hup = __atomic_exchange_n(&x->json_reopen, 0, __ATOMIC_RELAXED);
		if (hup)
			for (unsigned i = 0; i < x->n_sinks; i++)
				x->sinks[i].ops->reopen(x->sinks[i].priv);
		if (x->geo) /* a database replaced on disk, or SIGHUP: read again */
			fp_geodb_refresh(x->geo, fp_mono_ns() / 1000000, hup, geo_say);
		int all_done;
		unsigned got = drain_rings(x, &all_done);
		if (got)
			idle = 0;
		else if (all_done)
			break;
		else
			idle++;
		uint64_t clock = fp_exporter_time(x);
		for (unsigned i = 0; i < x->n_sinks; i++)
			x->sinks[i].ops->tick(x->sinks[i].priv, clock, idle);
		if (!got)
			usleep(500);
	}
	/* everything out (or counted) before the summary; files first, collectors (which may wait
	 * for a TCP peer) last, as registered */
	for (unsigned i = 0; i < x->n_sinks; i++)
		x->sinks[i].ops->finish(x->sinks[i].priv, fp_exporter_time(x));
	urcu_qsbr_unregister_thread();
	struct timespec cpu;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	x->cpu_seconds = (double)cpu.tv_sec + cpu.tv_nsec / 1e9;
	return NULL;
}

int fp_exporter_init(struct fp_exporter *x, const struct fp_config *cfg, struct fp_worker *workers,
		     unsigned n_workers, int offline)
{
	memset(x, 0, sizeof(*x));
	x->cfg = cfg;
	x->workers = workers;
	x->n_workers = n_workers;
	x->offline = offline;
	if (cfg->payload) {
		x->pay_stride = fp_payload_size(cfg->payload);
		if ((x->pay = calloc(DRAIN_BURST, x->pay_stride)) == NULL) {
			fp_log(LOG_ERR, "--payload: out of memory");
			return -1;
		}
	}
	if (cfg->n_geoip) {
		char err[512];
		x->geo = fp_geodb_open(cfg->geoip, cfg->n_geoip, err, sizeof(err));
		if (x->geo == NULL) {
			fp_log(LOG_ERR, "--geoip %s", err);
			return -1;
		}
	}
	return 0;
}

void fp_exporter_release(struct fp_exporter *x)
{
	fp_geodb_close(x->geo);
	x->geo = NULL;
	free(x->pay);
	x->pay = NULL;
}

int fp_exporter_start(struct fp_exporter *x)
{
	int rc = pthread_create(&x->thread, NULL, exporter_main, x);
	if (rc != 0) {
		fp_log(LOG_ERR, "cannot start exporter thread: %s", strerror(rc));
		return -1;
	}
	pthread_setname_np(x->thread, "fp-exporter"); /* top -H, perf --comm */
	return 0;
}
