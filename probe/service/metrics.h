/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --metrics [HOST:]PORT: Prometheus text exposition (format 0.0.4) at /metrics, served by
 * libmicrohttpd's own thread. It only reads: published worker and table counters, exporter
 * counters, the collector list under QSBR (SIGHUP may swap it), DPDK port counters, and the
 * libpcap counters that the main thread publishes (libpcap handles are not shared).
 */
#ifndef FP_METRICS_H
#define FP_METRICS_H

#include "capture.h"
#include "config.h"
#include "exporter.h"
#include "worker.h"

struct fp_capture_method;
struct fp_collectors;

struct fp_metrics_src {
	struct fp_worker *workers;
	unsigned n_workers;
	struct fp_exporter *exporter;
	const struct fp_config *cfg;
	const struct fp_capture_method *method; /* how packets come in */
	struct fp_collectors *collectors;	/* the collectors sink's state */
};

/* Start serving; `spec` is PORT (loopback), HOST:PORT or [IPv6]:PORT. Main thread, before the
 * workers start. 0, or -1 after logging why. */
int fp_metrics_start(const char *spec, const struct fp_metrics_src *src);

/* Main thread, now and then: the capture counters the next scrape reports, in total and (libpcap,
 * --workers) the kernel drops of each worker's socket, `n` of them. */
void fp_metrics_publish_capture(const struct fp_capture_stats *cs, const uint64_t *worker_dropped,
				unsigned n);

/* DPDK mode: register /fluxprobe/stats with DPDK telemetry (dpdk-telemetry.py). Main thread,
 * after EAL init, before the workers start. */
void fp_metrics_register_telemetry(const struct fp_metrics_src *src);

/* Stop serving (waits for a scrape in progress). Main thread, before tables are freed. */
void fp_metrics_stop(void);

#endif
