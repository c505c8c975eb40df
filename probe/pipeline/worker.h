/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker: one capture source, one flow table, one ring to the exporter. The worker thread is
 * the only writer of everything here; other threads read `st` and the table's counters with
 * relaxed loads, and `done` with acquire.
 */
#ifndef FP_WORKER_H
#define FP_WORKER_H

#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>

#include "capture.h"
#include "fp_dedup.h"
#include "fp_frag.h"
#include "fp_parse.h"
#include "fp_ring.h"
#include "fp_table.h"

struct fp_pstore_q;

#define FP_BURST 32

/* Frames left under --count, shared by every worker; see budget_take() in worker.c. */
struct fp_budget {
	int64_t left;
	int64_t inflight; /* workers holding frames taken but not yet settled */
};

/* Main thread: 1 once every frame of the budget was accounted and no worker holds any. */
int fp_budget_spent(struct fp_budget *b);

struct fp_worker_stats {
	uint64_t packets; /* frames accounted in a flow */
	uint64_t bytes;	  /* their IP-level octets */
	uint64_t frames;  /* every frame received, flow or not */
	uint64_t parse[FP_PARSE_NRESULTS];
	uint64_t
	    ring_full_waits;   /* offline back-pressure: times the worker waited for the exporter */
	uint64_t ts_backwards; /* packets stamped earlier than one before them (offline) */
	uint64_t ignored_bytes; /* wire bytes of frames not accounted (not IP, parse errors) */
	uint64_t not_sampled;	/* frames --sample passed over (counted in frames) */
	uint64_t duplicates;	/* --dedup: packets skipped as seen before (counted in frames) */
	uint64_t decap[FP_TUNNEL_N]; /* --decap: packets accounted by their outermost tunnel */
	uint64_t decap_failed;	     /* tunnels whose inside was malformed: outer accounted */
	uint64_t decap_not_ip;	     /* tunnels carrying no IP (ARP, STP...): outer accounted */
	uint64_t unopened[FP_UNOPENED_N]; /* tunnels not opened, by kind: outer accounted */
};

struct fp_worker {
	/* hot: the burst being built */
	alignas(64) struct fp_pkt pkts[2 * FP_BURST]; /* up to two receive bursts */
	unsigned npkts;
	uint64_t clock_ms; /* offline: newest packet time; live: wall clock */
	struct fp_table *table;
	struct fp_capture *cap;
	struct fp_worker_stats local; /* the worker's own running counters */
	struct fp_worker_stats st;    /* published copy for readers, refreshed every few bursts */
	struct fp_ring ring;
	unsigned id;
	int offline;
	int flushing;		  /* final flush: wait for ring space even live */
	uint64_t first_ts_ms;	  /* first packet time, 0 until one arrived; read by the exporter */
	int done;		  /* set (release) after the final flush */
	int failed;		  /* the capture failed (logged); flows were still exported */
	double capture_seconds;	  /* first burst to end of input, set before `done` */
	double cpu_seconds;	  /* the worker thread's CPU time, set before `done` */
	volatile int *stop;	  /* set by the signal handler, --duration, or --count */
	struct fp_budget *budget; /* --count, shared by all workers; NULL = no limit */
	/* --sample: 1-in-N before parsing, every Nth frame or each with probability 1/N */
	int decap;	      /* --decap auto */
	int biflow;	      /* --biflow: keys go to the table canonical (fp_key_canonicalize) */
	int more;	      /* --fields: packets carry their ingress interface */
	struct fp_frag *frag; /* fragment cache, or NULL (--frag-max 0) */
	struct fp_dpi *dpi;   /* --dpi: nDPI inspection, or NULL */
	struct fp_tlsfp *tls; /* --fields tls: handshakes read, or NULL */
	struct fp_pstore_q *pstore; /* --pcap-dir: this worker's queue to the writer, or NULL */
	struct fp_pkt frag_out[FP_FRAG_HOLD * 2]; /* fragments leaving the cache */
	uint32_t sample_n;			  /* 0 or 1: every frame */
	uint32_t sample_left;
	int sample_random;
	uint64_t rng;
	struct fp_dedup *dedup; /* --dedup: the last packets' hashes, or NULL */
	/* --payload BYTES: each packet's first payload bytes, copied while its frame is readable,
	 * for the table (which keeps each flow's first of each direction) */
	uint32_t payload;
	uint8_t *paybuf; /* 2 * FP_BURST * payload bytes */
	struct fp_table_payload pays[2 * FP_BURST];
	/* --fields tcp: each packet's TCP header, for the table's analysis */
	int tcp_health;
	struct fp_tcp_seg segs[2 * FP_BURST];
	pthread_t thread;
};

/* Create the worker's table and ring. Returns 0 or -1 after logging. Main thread, before start. */
int fp_worker_init(struct fp_worker *w, unsigned id, struct fp_capture *cap,
		   const struct fp_table_config *tcfg, uint32_t ring_size, volatile int *stop);

/* Run the poll loop in a new thread. */
int fp_worker_start(struct fp_worker *w);

/* The poll loop itself, for a DPDK lcore (rte_eal_remote_launch); returns 0. */
int fp_worker_run(void *w);

/* Release table and ring. Main thread, after join and an RCU grace period. */
void fp_worker_fini(struct fp_worker *w);

/* Sum of one worker's counters, read from any thread. */
void fp_worker_stats_read(const struct fp_worker *w, struct fp_worker_stats *out);

#endif
