/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow table with its own expiry.
 *
 * One writer: the worker that created the table calls every function below except
 * fp_table_active(), which any thread may call (a relaxed atomic load). The table's memory is only
 * released by fp_table_destroy(), which the caller runs after the writer has stopped and an RCU
 * grace period has passed, so readers that hold an RCU read-side section never see it freed.
 */
#ifndef FP_TABLE_H
#define FP_TABLE_H

#include <stdint.h>

#include "fp_parse.h"
#include "fp_record.h"

/* Where expired records go, with what the table keeps beside them (side->payload: the flow's
 * first payload bytes with cfg.payload; side->tcp: its TCP analysis with cfg.tcp_health; the
 * rest NULL). Returns 0 when the record was taken, -1 when it was dropped. */
typedef int (*fp_emit_fn)(void *arg, const struct fp_record *rec, const struct fp_side *side);

struct fp_table_config {
	uint32_t max_flows; /* pool size: entries allocated at create time */
	uint32_t idle_ms;   /* idle timeout */
	uint32_t active_ms; /* active timeout: a long flow is exported every period */
	uint32_t fin_ms;    /* how long a flow lingers after FIN/RST for the last ACKs */
	int biflow;	    /* RFC 5103: packets come canonical (fp_key_canonicalize, pkt.swapped);
			       one entry per connection, the initiator's side forward */
	int more;	    /* keep each flow's first-packet context (struct fp_pkt_more) for the
			       optional template fields: 28 more bytes per flow */
	int latency;	    /* measure TCP handshake and application latency (fp_record.lat_us):
			       40 more bytes per flow */
	uint32_t payload;   /* --payload BYTES: keep each direction's first transport payload
			       (fp_table_update_burst_payload): fp_payload_size(BYTES) more bytes
			       per flow; 0 off */
	int tcp_health;	    /* --fields tcp: analyse each TCP segment as Wireshark does
			       (fp_tcpa.h) with each packet's header (fp_table_update_burst_ext):
			       FP_TABLE_TCP_BYTES more bytes per flow */
	int prefault;	    /* touch all the table's memory at create time (live capture: no
			       page fault on the packet path); 0: pages come as flows use them */
	fp_emit_fn emit;
	void *emit_arg;
};

/* Counters of one table. Written only by its worker; read by anyone with relaxed loads. */
struct fp_table_stats {
	uint64_t flows_created;
	uint64_t records[FP_END_NREASONS]; /* records emitted, by end reason */
	uint64_t records_dropped;	   /* emit() refused them */
	uint64_t dropped_packets;	   /* ... and the packets and octets they held */
	uint64_t dropped_octets;
	uint64_t bucket_evictions; /* both candidate buckets full (subset of RESOURCES) */
	uint64_t active;	   /* flows in the table now */
	uint64_t late_joins; /* packets that joined a flow past its timeout: no room to emit its
				record then (fp_table_set_room) */
};

struct fp_table;

/* Validate `cfg` and allocate every entry. NULL with errno set (and one log line) on failure. */
struct fp_table *fp_table_create(const struct fp_table_config *cfg);
void fp_table_destroy(struct fp_table *t);

/*
 * Account a burst of parsed packets (n ≤ FP_TABLE_BURST_MAX). Hashes the whole burst, prefetches
 * buckets, then entries, then updates: the memory latency of one packet hides behind the others.
 * A packet never joins a flow that had expired at its time (idle timeout or FIN linger passed,
 * whether or not fp_table_expire() got to it): that flow leaves with its timeout's reason and
 * the packet starts a new one, so the records do not depend on burst sizes or expiry slices
 * (unless the record could not be handed over: fp_table_set_room()).
 */
#define FP_TABLE_BURST_MAX 64
void fp_table_update_burst(struct fp_table *t, const struct fp_pkt *pkts, unsigned n);

/* One packet's transport payload (cfg.payload): where it is and how many bytes are readable. */
struct fp_table_payload {
	const uint8_t *data; /* NULL: none */
	uint32_t len;
};

/* fp_table_update_burst() with each packet's payload, pay[i] for pkts[i]: a flow keeps the first
 * one of each direction, up to cfg.payload bytes, until its record goes. */
void fp_table_update_burst_payload(struct fp_table *t, const struct fp_pkt *pkts,
				   const struct fp_table_payload *pay, unsigned n);

/* What a burst brings beside its packets, [i] for pkts[i]; each NULL when not given. */
struct fp_table_burst_ext {
	const struct fp_table_payload *pay; /* cfg.payload */
	const struct fp_tcp_seg *seg;	    /* cfg.tcp_health: each TCP packet's header (ok 0:
					       none) */
};

/* fp_table_update_burst() with what `x` brings. */
void fp_table_update_burst_ext(struct fp_table *t, const struct fp_pkt *pkts,
			       const struct fp_table_burst_ext *x, unsigned n);

/* Bytes of --fields tcp's state per flow. */
#define FP_TABLE_TCP_BYTES 128

/*
 * How many records the next fp_table_update_burst() may emit before the taker is full (live: the
 * ring's room; the default and a file: unlimited). A packet that finds its flow expired while no
 * room is left joins that flow instead (counted in late_joins): the packets and bytes stay
 * exact, the record only ends later, where emitting it would have lost it whole.
 */
void fp_table_set_room(struct fp_table *t, uint32_t room);

/*
 * One bounded expiry slice at time `now_ms`: at most `budget` entries or wheel slots examined.
 * Returns the number of records emitted.
 */
unsigned fp_table_expire(struct fp_table *t, uint64_t now_ms, unsigned budget);

/* Emit every flow and empty the table: a flow whose idle timeout or FIN linger had passed at
 * `now_ms` with that reason (the records are those a slice at `now_ms` would have given), every
 * other with `reason` (end of input, shutdown). `now_ms` 0: all with `reason`. */
void fp_table_flush(struct fp_table *t, uint64_t now_ms, enum fp_end_reason reason);

/* A consistent-enough copy of the counters (each field read atomically). Any thread. */
void fp_table_stats_read(const struct fp_table *t, struct fp_table_stats *out);

/* Bytes of memory the table holds per configured flow (pool + buckets), for reports. */
double fp_table_bytes_per_flow(const struct fp_table *t);

#endif
