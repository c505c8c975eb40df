/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collectors (collectors.c): one output of the exporter (sink.h), with its own state —
 * streams, templates, pacing, balance, the collector list and its targets. Records are encoded
 * into MTU-sized IPFIX, v9 or v5 messages and sent over UDP, TCP or TLS (fp_transport).
 *
 * A stream is one encoder with its own sequence numbers, templates and options timing (RFC 7011
 * §3.1: sequence numbers count per transport session and observation domain). In duplicate
 * mode (the default) one stream serves every collector, each gets every message; in balance
 * mode (--collector-mode balance) every collector has its own stream and each flow goes to one
 * collector, picked by a hash of its key that both directions of a connection share.
 */
#ifndef FP_COLLECTORS_H
#define FP_COLLECTORS_H

#include <stdint.h>

#include "config.h"
#include "exporter.h"
#include "fp_encode.h"
#include "fp_transport.h"
#include "sink.h"

/* How long the exporter waits at the end for stream collectors to take what is queued. */
#define FP_DRAIN_MS 5000

/* One encoder and the message it is building; see the top of this file. */
struct fp_stream {
	struct fp_encoder enc;
	struct fp_collectors *x;
	struct fp_collector *only;   /* balance mode: the one collector it feeds; NULL = all */
	size_t tpl_end;		     /* end of the template sets in buf */
	struct fp_msg_meta msg_meta; /* flow records, packets, octets in the message being built */
	int started;		     /* first message begun: v9 boot time fixed */
	int msg_open;
	uint32_t msg_option_records; /* options data records in the message being built */
	uint64_t last_tpl_mono_ms;
	uint32_t msgs_since_tpl;
	uint64_t last_opt_mono_ms; /* options data last sent; 0 = due now */
	uint64_t pace_next_ns;	   /* token bucket: earliest time the next message may leave */
	uint64_t messages, records, bytes; /* this stream's totals, for its options records */
	uint8_t app_named[65536 / 8];	   /* --dpi: application ids whose name this stream sent */
	uint8_t buf[FP_MSG_MAX];
	uint8_t tcp_buf[FP_MSG_MAX]; /* the message less its templates, for stream collectors */
};

/* The collectors messages go to; replaced whole on SIGHUP (RCU), collectors kept by pointer. */
struct fp_collector_set {
	unsigned n;
	unsigned n_tcp; /* stream collectors among them */
	size_t max_msg; /* largest message every collector's MTU allows */
	struct fp_collector *c[FP_MAX_COLLECTORS];
	struct fp_stream *s[FP_MAX_COLLECTORS]; /* balance mode: c[i]'s own stream */
};

struct fp_collectors {
	struct fp_exporter *ex; /* whose clock, workers (pacing) and hurry it follows */
	const struct fp_config *cfg;
	struct fp_collector_set *cset;	   /* RCU: published by the main thread */
	struct fp_collector_set *cur;	   /* the exporter thread's copy, loaded once per loop */
	struct fp_collector_set *prev_set; /* the list of the previous loop (change detection) */
	int balance;			   /* --collector-mode balance */
	struct fp_stream *dup; /* duplicate mode's stream (balance mode: used with no collector) */
	struct fp_stream **sv; /* the streams of this loop: cur->s in balance mode, else &dup */
	unsigned ns;
	/* pacing: the gap between two messages of one stream, and what it follows (live) */
	uint64_t pace_gap_ns;
	uint64_t need_gap_ns;	   /* 1.25 x the flow creation rate, as a gap; 0 = none measured */
	uint64_t win_start_ns;	   /* flow-rate window */
	uint64_t win_created;	   /* flows created, all tables, at the window's start */
	uint64_t win_forced;	   /* evicted or dropped records, at the window's start */
	int pressure;		   /* a table full or evicting in the last window */
	uint64_t unpaced_since_ns; /* 0 = paced */
	struct fp_exporter_stats st;
	uint64_t records_lost; /* records TCP collector backlogs dropped (counted in after_send) */
	int lost_errno;	       /* the collector's error when it last dropped */
	uint64_t busy_loops;
	char targets[512]; /* the collectors' names, for messages */
};

/* Open the collectors of `k->cfg` (the sink module's open). Main thread, before the exporter
 * starts. 0 or -1 (logged). */
int fp_collectors_open(struct fp_collectors *k);

/* Log how each UDP collector is fed: watched on this host, or paced. Main thread, at start-up,
 * once the process is where its log goes (after --daemon detached). */
void fp_collectors_log(const struct fp_collectors *k);

/* SIGHUP: switch to `cfg`'s collector list; collectors with an unchanged spec keep their socket,
 * connection, backlog and (balance mode) stream. Main thread (a QSBR reader, offline or online),
 * while the exporter runs; returns after the old list is out of use. 0, or -1 (logged) with the
 * old list kept. */
int fp_collectors_reload(struct fp_collectors *k, const struct fp_config *cfg);

/* Close every collector and free the streams. Main thread, after the exporter thread ended. */
void fp_collectors_close(struct fp_collectors *k);

/* fp_greeter_fn for TCP collectors (`ctx` = their stream): the templates, alone in a message.
 * Exporter thread (it runs inside fp_collector_pump). */
size_t fp_collectors_greeting(void *ctx, uint8_t *buf, size_t cap);

/* The export counters (records, messages, ...), readable from any thread (relaxed). */
void fp_collectors_stats_read(const struct fp_collectors *k, struct fp_exporter_stats *out);

/* The collectors among `x`'s sinks (there always are: the module is always wanted). */
struct fp_collectors *fp_collectors_of(const struct fp_exporter *x);

/* The collectors as a sink (its module is fp_collectors_module). */
extern const struct fp_sink_ops fp_collectors_ops;

#endif
