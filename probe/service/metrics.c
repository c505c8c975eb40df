/* SPDX-License-Identifier: BSD-3-Clause */
#include "metrics.h"

#include "collectors.h"
#include "dpi.h"
#include "dynlib.h"
#include "fp_counters.h"
#include "log.h"
#include "method.h"
#include "stats.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-qsbr.h>

#ifdef FP_HAVE_DPDK
#include <rte_telemetry.h>
#endif

#ifndef FP_VERSION
#define FP_VERSION "0"
#endif

static struct MHD_Daemon *daemon_h;

/* libmicrohttpd, loaded when --metrics is asked for (dynlib.h); the header's own prototypes
 * give each pointer its type */
static struct {
	__typeof__(&MHD_create_response_from_buffer) create_response_from_buffer;
	__typeof__(&MHD_add_response_header) add_response_header;
	__typeof__(&MHD_queue_response) queue_response;
	__typeof__(&MHD_destroy_response) destroy_response;
	__typeof__(&MHD_start_daemon) start_daemon;
	__typeof__(&MHD_stop_daemon) stop_daemon;
} mhd;
static struct fp_metrics_src src;
static struct fp_capture_stats cap_stats; /* written by the main thread (relaxed) */
static double start_time;

static uint64_t worker_drops[FP_CAPTURE_MAX_WORKERS]; /* relaxed, as cap_stats */
static unsigned n_worker_drops;

void fp_metrics_publish_capture(const struct fp_capture_stats *cs, const uint64_t *worker_dropped,
				unsigned n)
{
	fp_counters_copy(&cap_stats, cs, sizeof(cap_stats));
	if (n > FP_CAPTURE_MAX_WORKERS)
		n = FP_CAPTURE_MAX_WORKERS;
	fp_counters_copy(worker_drops, worker_dropped, n * sizeof(uint64_t));
	__atomic_store_n(&n_worker_drops, n, __ATOMIC_RELEASE);
}

/* A label value as the exposition format wants it: backslash, quote and newline escaped. */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP fluxprobe_%s %s\n# TYPE fluxprobe_%s %s\n", name, help, name, type);
}

/* Ports (DPDK): their counters, as the NICs (or PMDs) keep them. */
static void render_ports(FILE *f)
{
	struct fp_port_stats ps[FP_CAPTURE_MAX_PORTS];
	unsigned np = src.method->port_stats(ps, FP_CAPTURE_MAX_PORTS);
	static const struct {
		const char *name, *help;
		size_t off;
	} port_counters[] = {
	    {"port_rx_packets_total", "Packets the NIC received.",
	     offsetof(struct fp_port_stats, ipackets)},
	    {"port_rx_bytes_total", "Bytes the NIC received.",
	     offsetof(struct fp_port_stats, ibytes)},
	    {"port_rx_missed_total", "Packets the NIC dropped: rx queue full (imissed).",
	     offsetof(struct fp_port_stats, imissed)},
	    {"port_rx_errors_total", "Erroneous packets (ierrors).",
	     offsetof(struct fp_port_stats, ierrors)},
	    {"port_rx_nombuf_total", "Receive failures: no mbuf (rx_nombuf).",
	     offsetof(struct fp_port_stats, rx_nombuf)},
	    {"port_kernel_dropped_total",
	     "net_af_xdp, net_af_packet: packets its kernel interface dropped before "
	     "the PMD's socket (ring full).",
	     offsetof(struct fp_port_stats, kernel_dropped)},
	};
	for (size_t k = 0; k < sizeof(port_counters) / sizeof(port_counters[0]); k++) {
		head(f, port_counters[k].name, "counter", port_counters[k].help);
		for (unsigned i = 0; i < np; i++) {
			uint64_t v;
			memcpy(&v, (const char *)&ps[i] + port_counters[k].off, sizeof(v));
			fprintf(f, "fluxprobe_%s{port=\"%u\",name=\"", port_counters[k].name,
				ps[i].port);
			put_label(f, ps[i].name);
			fprintf(f, "\"} %lu\n", (unsigned long)v);
		}
	}
}

/* Sockets (libpcap): what the kernel and the interfaces dropped, and each worker's. */
static void render_pcap(FILE *f)
{
	struct fp_capture_stats cs;
	fp_counters_copy(&cs, &cap_stats, sizeof(cs));
	head(f, "capture_dropped_total", "counter",
	     "Packets the kernel dropped before libpcap read them.");
	fprintf(f, "fluxprobe_capture_dropped_total %lu\n", (unsigned long)cs.dropped);
	head(f, "capture_interface_dropped_total", "counter",
	     "Packets the interface dropped (libpcap ps_ifdrop).");
	fprintf(f, "fluxprobe_capture_interface_dropped_total %lu\n", (unsigned long)cs.if_dropped);
	head(f, "worker_capture_dropped_total", "counter",
	     "Packets the kernel dropped from this worker's socket (--workers: its share of "
	     "the fanout group).");
	unsigned n = __atomic_load_n(&n_worker_drops, __ATOMIC_ACQUIRE);
	for (unsigned w = 0; w < n; w++)
		fprintf(f, "fluxprobe_worker_capture_dropped_total{worker=\"%u\"} %lu\n", w,
			(unsigned long)__atomic_load_n(&worker_drops[w], __ATOMIC_RELAXED));
}

/* Every output's counters under the same names (sink.h). */
static void render_sinks(FILE *f)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} sink_counters[] = {
	    {"sink_records_total", "Records an output kept (JSON lines written, records in files).",
	     offsetof(struct fp_sink_stats, records)},
	    {"sink_records_lost_total",
	     "Records an output took but could not keep (write failed, disk full).",
	     offsetof(struct fp_sink_stats, records_lost)},
	    {"sink_files_total", "--flow-dir: files completed.",
	     offsetof(struct fp_sink_stats, files)},
	    {"sink_files_removed_total", "--flow-dir: files removed by --flow-dir-max(-age).",
	     offsetof(struct fp_sink_stats, files_removed)},
	};
	for (size_t k = 0; k < sizeof(sink_counters) / sizeof(sink_counters[0]); k++) {
		head(f, sink_counters[k].name, "counter", sink_counters[k].help);
		for (unsigned i = 0; i < src.exporter->n_sinks; i++) {
			const struct fp_sink *sk = &src.exporter->sinks[i];
			struct fp_sink_stats ss;
			uint64_t v;
			sk->ops->stats(sk->priv, &ss);
			memcpy(&v, (const char *)&ss + sink_counters[k].off, sizeof(v));
			fprintf(f, "fluxprobe_%s{sink=\"%s\",target=\"", sink_counters[k].name,
				sk->ops->name);
			put_label(f, sk->ops->target(sk->priv));
			fprintf(f, "\"} %lu\n", (unsigned long)v);
		}
	}
}

/* --geoip: lookups, and databases read again (or refused) while running. */
static void render_geo(FILE *f)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} rows[] = {
	    {"geoip_lookups_total", "--geoip: addresses looked up (two a record).",
	     offsetof(struct fp_geodb_stats, lookups)},
	    {"geoip_cache_hits_total", "--geoip: lookups the address cache answered.",
	     offsetof(struct fp_geodb_stats, cache_hits)},
	    {"geoip_reloads_total", "--geoip: databases read again (file replaced, SIGHUP).",
	     offsetof(struct fp_geodb_stats, reloads)},
	    {"geoip_reload_errors_total",
	     "--geoip: replaced files that could not be read (the old database stays in use).",
	     offsetof(struct fp_geodb_stats, reload_errors)},
	};
	struct fp_geodb_stats gs;
	fp_geodb_stats(src.exporter->geo, &gs);
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		uint64_t v;
		memcpy(&v, (const char *)&gs + rows[k].off, sizeof(v));
		head(f, rows[k].name, "counter", rows[k].help);
		fprintf(f, "fluxprobe_%s %lu\n", rows[k].name, (unsigned long)v);
	}
}

/* Each collector of the current list. */
static void render_collectors(FILE *f)
{
	/* The collector list may be swapped by SIGHUP: read it inside a QSBR read-side section
	 * (this thread registers for the scrape; unregistering is its quiescent state). */
	urcu_qsbr_register_thread();
	const struct fp_collector_set *set = rcu_dereference(src.collectors->cset);
	static const char *const names[] = {
	    "collector_messages_total", "collector_send_errors_total",
	    "collector_dropped_messages_total", "collector_records_total"};
	static const char *const helps[] = {
	    "Messages this collector was sent (TCP: written whole).",
	    "UDP: failed sends; TCP: failed connects and broken connections.",
	    "TCP: messages dropped from the backlog or left at exit.",
	    ("Flow records in the messages this collector was sent (--collector-mode balance: "
	     "its share).")};
	for (int k = 0; k < 4; k++) {
		head(f, names[k], "counter", helps[k]);
		for (unsigned i = 0; set && i < set->n; i++) {
			const struct fp_collector *c = set->c[i];
			const uint64_t *p = k == 0   ? &c->sent_msgs
					    : k == 1 ? &c->send_errors
					    : k == 2 ? &c->backlog.dropped_msgs
						     : &c->sent_records;
			uint64_t v = __atomic_load_n(p, __ATOMIC_RELAXED);
			fprintf(f, "fluxprobe_%s{collector=\"", names[k]);
			put_label(f, c->name);
			fprintf(f, "\",transport=\"%s\"} %lu\n",
				c->tls			   ? "tls"
				: c->proto == FP_PROTO_TCP ? "tcp"
							   : "udp",
				(unsigned long)v);
		}
	}
	head(
	    f, "collector_tls_failures_total", "counter",
	    "TLS collectors: handshakes that failed (certificate refused, ...); the log says why.");
	for (unsigned i = 0; set && i < set->n; i++) {
		const struct fp_collector *c = set->c[i];
		if (!c->tls)
			continue;
		fprintf(f, "fluxprobe_collector_tls_failures_total{collector=\"");
		put_label(f, c->name);
		fprintf(f, "\"} %lu\n",
			(unsigned long)__atomic_load_n(&c->tls_failures, __ATOMIC_RELAXED));
	}
	head(f, "collector_receiver_drops_total", "counter",
	     "UDP collectors on this host: datagrams their socket dropped while the probe sent "
	     "(read from the socket).");
	for (unsigned i = 0; set && i < set->n; i++) {
		const struct fp_collector *c = set->c[i];
		if (!c->same_host)
			continue;
		fprintf(f, "fluxprobe_collector_receiver_drops_total{collector=\"");
		put_label(f, c->name);
		fprintf(f, "\"} %lu\n",
			(unsigned long)__atomic_load_n(&c->rx_drops, __ATOMIC_RELAXED));
	}
	head(f, "collector_connected", "gauge", "TCP collectors: 1 while the connection is up.");
	for (unsigned i = 0; set && i < set->n; i++) {
		const struct fp_collector *c = set->c[i];
		if (c->proto != FP_PROTO_TCP)
			continue;
		fprintf(f, "fluxprobe_collector_connected{collector=\"");
		put_label(f, c->name);
		fprintf(f, "\"} %d\n", __atomic_load_n(&c->state, __ATOMIC_RELAXED) == FP_TCP_UP);
	}
	urcu_qsbr_unregister_thread();
}

static void render(FILE *f)
{
	unsigned nw = src.n_workers;
	struct fp_stats_blocks per[FP_CAPTURE_MAX_WORKERS];
	if (nw > FP_CAPTURE_MAX_WORKERS)
		nw = FP_CAPTURE_MAX_WORKERS;
	for (unsigned w = 0; w < nw; w++)
		fp_stats_read(&src.workers[w], &per[w]);
	fp_collectors_stats_read(src.collectors, &per[0].xs);
	fp_stats_metrics(f, per, nw, fp_stats_groups(src.cfg));

	if (src.method->port_stats)
		render_ports(f);
	else
		render_pcap(f);
	render_sinks(f);
	if (src.exporter->geo)
		render_geo(f);
	render_collectors(f);
	head(f, "start_time_seconds", "gauge", "Start time of the process, Unix seconds.");
	fprintf(f, "fluxprobe_start_time_seconds %.3f\n", start_time);
	head(f, "build_info", "gauge", "Version of this build.");
	fprintf(f, "fluxprobe_build_info{version=\"%s\",backend=\"%s\"} 1\n", FP_VERSION,
		src.method->name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	(void)cls, (void)version, (void)upload, (void)upload_size, (void)req_cls;
	struct MHD_Response *resp;
	unsigned status;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		static const char msg[] = "only GET\n";
		resp = mhd.create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") != 0) {
		static const char msg[] = "fluxprobe: metrics are at /metrics\n";
		resp = mhd.create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		char *body = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&body, &len);
		if (f == NULL)
			return MHD_NO;
		render(f);
		fclose(f);
		resp = mhd.create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		mhd.add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
		status = MHD_HTTP_OK;
	}
	if (resp == NULL)
		return MHD_NO;
	enum MHD_Result r = mhd.queue_response(conn, status, resp);
	mhd.destroy_response(resp);
	return r;
}

int fp_metrics_start(const char *spec, const struct fp_metrics_src *s)
{
	char hostport[160], err[256];
	struct fp_collector where;
	/* A bare port binds to loopback: nothing listens outside unless told; ":PORT" (the
	 * exporters' habit) is every IPv4 address, "[::]:PORT" every IPv6 one. */
	if (strchr(spec, ':') == NULL)
		snprintf(hostport, sizeof(hostport), "127.0.0.1:%s", spec);
	else if (spec[0] == ':')
		snprintf(hostport, sizeof(hostport), "0.0.0.0%s", spec);
	else
		snprintf(hostport, sizeof(hostport), "%s", spec);
	if (fp_collector_parse(hostport, &where, err, sizeof(err)) != 0) {
		fp_log(LOG_ERR, "--metrics %s: %s", spec, err + strlen("collector "));
		return -1;
	}
	static const struct fp_dynsym syms[] = {
	    {"MHD_create_response_from_buffer", &mhd.create_response_from_buffer},
	    {"MHD_add_response_header", &mhd.add_response_header},
	    {"MHD_queue_response", &mhd.queue_response},
	    {"MHD_destroy_response", &mhd.destroy_response},
	    {"MHD_start_daemon", &mhd.start_daemon},
	    {"MHD_stop_daemon", &mhd.stop_daemon}};
	if (mhd.start_daemon == NULL &&
	    fp_dynlib_load("libmicrohttpd.so.12", syms, sizeof(syms) / sizeof(syms[0]), err,
			   sizeof(err)) != 0) {
		fp_log(LOG_ERR,
		       "--metrics %s: cannot load libmicrohttpd (%s): install libmicrohttpd12 "
		       "(Debian: apt-get install libmicrohttpd12)",
		       spec, err);
		return -1;
	}
	src = *s;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	start_time = (double)now.tv_sec + now.tv_nsec / 1e9;
	/* Bind once ourselves first: libmicrohttpd says only that it failed, this says why. */
	int probe = socket(where.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (probe >= 0) {
		setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(probe, (struct sockaddr *)&where.addr, where.addrlen) != 0) {
			int e = errno;
			close(probe);
			fp_log(LOG_ERR, "--metrics %s: cannot listen on %s: %s%s", spec, hostport,
			       strerror(e),
			       e == EADDRINUSE	    ? " (another process has the port)"
			       : e == EACCES	    ? " (a port below 1024 needs privileges)"
			       : e == EADDRNOTAVAIL ? " (no such address on this host)"
						    : "");
			return -1;
		}
		close(probe);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
	if (where.addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	uint16_t port =
	    ntohs(where.addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&where.addr)->sin6_port
						   : ((struct sockaddr_in *)&where.addr)->sin_port);
	daemon_h = mhd.start_daemon(flags, port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
				    (struct sockaddr *)&where.addr, MHD_OPTION_CONNECTION_LIMIT,
				    32u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (daemon_h == NULL) {
		fp_log(LOG_ERR, "--metrics %s: cannot listen (port in use, or address not here)",
		       spec);
		return -1;
	}
	fp_log(LOG_INFO, "metrics at http://%s/metrics", hostport);
	return 0;
}

#ifdef FP_HAVE_DPDK
/* /fluxprobe/stats for dpdk-telemetry.py: totals and per-worker packets, on DPDK's telemetry
 * thread (it only reads published counters). */
static int telemetry_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	struct rte_tel_data *per_worker = rte_tel_data_alloc();
	struct rte_tel_data *per_worker_flows = rte_tel_data_alloc();
	uint64_t packets = 0, bytes = 0, active = 0, not_handed = 0, frames = 0;
	if (per_worker == NULL || per_worker_flows == NULL) {
		rte_tel_data_free(per_worker);
		rte_tel_data_free(per_worker_flows);
		return -1;
	}
	rte_tel_data_start_array(per_worker, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(per_worker_flows, RTE_TEL_U64_VAL);
	for (unsigned w = 0; w < src.n_workers; w++) {
		struct fp_worker_stats ws;
		struct fp_table_stats ts;
		fp_worker_stats_read(&src.workers[w], &ws);
		fp_table_stats_read(src.workers[w].table, &ts);
		packets += ws.packets;
		bytes += ws.bytes;
		frames += ws.frames;
		active += ts.active;
		not_handed += ts.records_dropped;
		rte_tel_data_add_array_u64(per_worker, ws.packets);
		rte_tel_data_add_array_u64(per_worker_flows, ts.active);
	}
	struct fp_exporter_stats xs;
	fp_collectors_stats_read(src.collectors, &xs);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "frames", frames);
	rte_tel_data_add_dict_u64(d, "packets", packets);
	rte_tel_data_add_dict_u64(d, "bytes", bytes);
	rte_tel_data_add_dict_u64(d, "active_flows", active);
	rte_tel_data_add_dict_u64(d, "records_not_handed", not_handed);
	rte_tel_data_add_dict_u64(d, "exported_records", xs.records_exported);
	rte_tel_data_add_dict_u64(d, "export_messages", xs.messages);
	rte_tel_data_add_dict_container(d, "worker_packets", per_worker, 0);
	rte_tel_data_add_dict_container(d, "worker_active_flows", per_worker_flows, 0);
	return 0;
}
#endif

void fp_metrics_register_telemetry(const struct fp_metrics_src *s)
{
#ifdef FP_HAVE_DPDK
	src = *s;
	if (rte_telemetry_register_cmd("/fluxprobe/stats", telemetry_stats,
				       "fluxprobe counters: packets, bytes, flows, export; per "
				       "worker packets and active flows") != 0)
		fp_log(LOG_WARNING, "DPDK telemetry: /fluxprobe/stats not registered");
#else
	(void)s;
#endif
}

void fp_metrics_stop(void)
{
	if (daemon_h)
		mhd.stop_daemon(daemon_h);
	daemon_h = NULL;
}
