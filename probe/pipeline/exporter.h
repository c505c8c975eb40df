/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exporter thread (exporter.c): drains every worker's ring and hands each record to every
 * output (sink.h), in the order the sink modules are listed; it keeps the export clock and
 * nothing of any output. The collectors are one output among them (collectors.h).
 */
#ifndef FP_EXPORTER_H
#define FP_EXPORTER_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
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
	uint64_t records_payload_cut;	 /* --payload: IPFIX records whose payload was cut to fit */
	uint64_t unpaced_ms;		 /* live: time spent unpaced because a ring was filling */
};

struct fp_exporter {
	const struct fp_config *cfg;
	struct fp_sink sinks[FP_MAX_SINKS]; /* as fp_sink_modules[] lists them: collectors last */
	unsigned n_sinks;
	uint64_t now_ms; /* live: the wall clock, read once per loop */
	struct fp_worker *workers;
	unsigned n_workers;
	int offline;
	uint64_t clock_ms;    /* export time: packet clock offline, wall clock live */
	int hurry;	      /* set (relaxed) by a second SIGINT/SIGTERM: no pacing any more */
	int json_reopen;      /* set (relaxed) by SIGHUP: sinks reopen their files */
	double cpu_seconds;   /* the exporter thread's CPU time, set when it ends */
	struct fp_geodb *geo; /* --geoip: looked up per record in this thread; NULL without */
	uint8_t *pay; /* --payload: a burst's payloads, pay_stride bytes each; NULL without */
	uint32_t pay_stride;
	pthread_t thread;
};

/* Bind to config, collectors (already open) and workers. Main thread, before start. */
int fp_exporter_init(struct fp_exporter *x, const struct fp_config *cfg, struct fp_worker *workers,
		     unsigned n_workers, int offline);
int fp_exporter_start(struct fp_exporter *x);
/* What init opened (--geoip's databases), after the thread ended. */
void fp_exporter_release(struct fp_exporter *x);

/* Export time: the packet clock offline (the first packet's time before any record), the wall
 * clock live; and v9's sysUpTime origin. Exporter thread. */
uint64_t fp_exporter_time(const struct fp_exporter *x);
uint64_t fp_exporter_boot_ms(const struct fp_exporter *x);

#endif
