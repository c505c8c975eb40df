/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exporter thread (exporter.c): drains every worker's ring and hands each record to every
 * output (sink.h). The collectors are one of them (collectors.c): records encoded into MTU-sized
 * IPFIX or v9 messages, templates refreshed, the send rate paced.
 *
 * A stream is one encoder with its own sequence numbers, templates and options timing (RFC 7011
 * §3.1: sequence numbers count per transport session and observation domain). In duplicate
 * mode (the default) one stream serves every collector, each gets every message; in balance
 * mode (--collector-mode balance) every collector has its own stream and each flow goes to one
 * collector, picked by a hash of its key that both directions of a connection share.
 */
#ifndef FP_EXPORTER_H
#define FP_EXPORTER_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "fp_encode.h"
#include "sink.h"
#include "worker.h"

struct fp_exporter_stats {
	uint64_t records_exported; /* records encoded into messages handed to the collectors */
	uint64_t messages;
	uint64_t template_messages;    /* messages that carried the templates */
	uint64_t records_by_family[2]; /* IPv4, IPv6 */
	uint64_t packets_exported;     /* sum of the records' packet counters */
	uint64_t octets_exported;
	uint64_t bytes_sent;		 /* message bytes handed to the sockets (one copy) */
	uint64_t options_messages;	 /* messages that carried options records */
	uint64_t records_not_exportable; /* v5: IPv6 flow records it cannot carry */
	uint64_t unpaced_ms;		 /* live: time spent unpaced because a ring was filling */
};

/* How long the exporter waits at the end for stream collectors to take what is queued. */
#define FP_DRAIN_MS 5000

/* One encoder and the message it is building; see the top of this file. */
struct fp_stream {
	struct fp_encoder enc;
	struct fp_exporter *x;
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

struct fp_exporter {
	const struct fp_config *cfg;
	struct fp_sink sinks[FP_MAX_SINKS]; /* as fp_sink_modules[] lists them: collectors last */
	unsigned n_sinks;
	uint64_t now_ms;		   /* live: the wall clock, read once per loop */
	struct fp_collector_set *cset;	   /* RCU: published by the main thread */
	struct fp_collector_set *cur;	   /* the exporter thread's copy, loaded once per loop */
	struct fp_collector_set *prev_set; /* the list of the previous loop (change detection) */
	struct fp_worker *workers;
	unsigned n_workers;
	int offline;
	int balance;	       /* --collector-mode balance */
	struct fp_stream *dup; /* duplicate mode's stream (balance mode: used with no collector) */
	struct fp_stream **sv; /* the streams of this loop: cur->s in balance mode, else &dup */
	unsigned ns;
	uint64_t clock_ms; /* export time: packet clock offline, wall clock live */
	/* pacing: the gap between two messages of one stream, and what it follows (live) */
	uint64_t pace_gap_ns;
	uint64_t need_gap_ns;  /* 1.25 x the flow creation rate, as a gap; 0 = none measured */
	uint64_t win_start_ns; /* flow-rate window */
	uint64_t win_created;  /* flows created, all tables, at the window's start */
	uint64_t win_forced;   /* evicted or dropped records, at the window's start */
	int pressure;	       /* a table full or evicting in the last window */
	int hurry;	       /* set (relaxed) by a second SIGINT/SIGTERM: no pacing any more */
	int json_reopen;       /* set (relaxed) by SIGHUP: sinks reopen their files */
	uint64_t unpaced_since_ns; /* 0 = paced */
	struct fp_exporter_stats st;
	uint64_t records_lost; /* records TCP collector backlogs dropped (counted in after_send) */
	int lost_errno;	       /* the collector's error when it last dropped */
	uint64_t busy_loops;
	char targets[512];  /* the collectors' names, for messages */
	double cpu_seconds; /* the exporter thread's CPU time, set when it ends */
	pthread_t thread;
};

/* Bind to config, collectors (already open) and workers. Main thread, before start. */
int fp_exporter_init(struct fp_exporter *x, const struct fp_config *cfg, struct fp_worker *workers,
		     unsigned n_workers, int offline);
int fp_exporter_start(struct fp_exporter *x);

/* Open the collectors of the config given to init (the collectors sink module's open). Main
 * thread, before start. 0 or -1 (logged). */
int fp_exporter_open_collectors(struct fp_exporter *x);

/* Log how each UDP collector is fed: watched on this host, or paced. Main thread, at start-up,
 * once the process is where its log goes (after --daemon detached). */
void fp_exporter_log_collectors(const struct fp_exporter *x);

/* SIGHUP: switch to `cfg`'s collector list; collectors with an unchanged spec keep their socket,
 * connection, backlog and (balance mode) stream. Main thread (a QSBR reader, offline or online),
 * while the exporter runs; returns after the old list is out of use. 0, or -1 (logged) with the
 * old list kept. */
int fp_exporter_reload(struct fp_exporter *x, const struct fp_config *cfg);

/* Close every collector and free the streams. Main thread, after the exporter thread ended. */
void fp_exporter_close_collectors(struct fp_exporter *x);

/* fp_greeter_fn for TCP collectors (`ctx` = their stream): the templates, alone in a message.
 * Exporter thread (it runs inside fp_collector_pump). */
size_t fp_exporter_greeting(void *ctx, uint8_t *buf, size_t cap);

/* Export time: the packet clock offline (the first packet's time before any record), the wall
 * clock live; and v9's sysUpTime origin. Exporter thread. */
uint64_t fp_exporter_time(const struct fp_exporter *x);
uint64_t fp_exporter_boot_ms(const struct fp_exporter *x);

/* The collectors as a sink (collectors.c; its module is fp_collectors_module). */
extern const struct fp_sink_ops fp_collectors_ops;

/* Counters, readable from any thread (relaxed). */
void fp_exporter_stats_read(const struct fp_exporter *x, struct fp_exporter_stats *out);

#endif
