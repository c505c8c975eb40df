/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fluxprobe: init in a straight line, unwind in reverse with goto labels.
 * Threads: main (signals, statistics, summary), one worker per capture source, one exporter.
 */
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-qsbr.h>

#include "capture.h"
#include "clock.h"
#include "collectors.h"
#include "config.h"
#include "daemon.h"
#include "dpi.h"
#include "exporter.h"
#include "flowdir.h"
#include "log.h"
#include "method.h"
#include "metrics.h"
#include "pcapstore.h"
#include "stats.h"
#include "tlsfp.h"
#include "worker.h"

#define MAX_WORKERS FP_CAPTURE_MAX_WORKERS

static volatile int stop;
static volatile sig_atomic_t stats_requested;  /* SIGUSR1 */
static volatile sig_atomic_t reload_requested; /* SIGHUP */
static int main_argc; /* kept for SIGHUP, which parses the command line and file again */
static char **main_argv;

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}
static struct fp_capture caps[MAX_WORKERS];
static unsigned ncaps;
static const struct fp_capture_method *method; /* how packets come in (method.h) */
static struct fp_collectors *coll;	       /* the collectors sink's state */

static void on_usr1(int sig)
{
	(void)sig;
	stats_requested = 1;
}

static struct fp_exporter exporter;
static struct fp_pstore *pstore; /* --pcap-dir, or NULL */

/* Stop capturing: every worker leaves its loop and flushes its table. Async-signal-safe. */
static void stop_capture(void)
{
	stop = 1;
	for (unsigned i = 0; i < ncaps; i++)
		if (caps[i].ops)
			caps[i].ops->brk(&caps[i]);
}

/* First SIGINT/SIGTERM: stop capturing, export every flow, exit. Second: export the rest
 * unpaced, as fast as the sockets take it. Third: leave now (what was not sent is lost). */
static void on_signal(int sig)
{
	(void)sig;
	static volatile sig_atomic_t count;
	if (++count == 2) {
		static const char m[] = "fluxprobe: second signal: exporting the rest unpaced; "
					"a third one exits at once\n";
		__atomic_store_n(&exporter.hurry, 1, __ATOMIC_RELAXED);
		(void)!write(STDERR_FILENO, m, sizeof(m) - 1);
		return;
	}
	if (count >= 3) {
		static const char m[] = "fluxprobe: third signal: exit now; records not yet sent "
					"are lost\n";
		(void)!write(STDERR_FILENO, m, sizeof(m) - 1);
		_exit(EXIT_FAILURE);
	}
	stop_capture();
}

/* --user/--group to ids: a name or a number (as chown takes it, with or without a passwd
 * entry); the user's own group without --group. 0, or -1 after logging. */
static int resolve_user(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user), numeric = {0};
	char *end;
	unsigned long id = strtoul(user, &end, 10);
	if (pw == NULL && *user && *end == '\0' && id < 0xffffffffu) {
		pw = getpwuid((uid_t)id);
		if (pw == NULL) {
			numeric.pw_uid = (uid_t)id;
			numeric.pw_gid = (gid_t)id;
			pw = &numeric;
		}
	}
	if (pw == NULL) {
		fp_log(LOG_ERR, "--user %s: no such user", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group) {
		struct group *gr = getgrnam(group);
		unsigned long g = strtoul(group, &end, 10);
		if (gr == NULL && *group && *end == '\0' && g < 0xffffffffu)
			gr = getgrgid((gid_t)g);
		if (gr == NULL) {
			fp_log(LOG_ERR, "--group %s: no such group", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * Drop to --user/--group once the capture and the sockets are open: no supplementary groups,
 * then gid, then uid (the order matters: after setuid, setgid is no longer allowed). Leaving
 * uid 0 clears every capability. Checked afterwards: regaining root must fail.
 */
static int drop_privileges(const char *user, const char *group)
{
	uid_t uid;
	gid_t gid;
	if (resolve_user(user, group, &uid, &gid) != 0)
		return -1;
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		fp_log(LOG_ERR, "--user %s: cannot drop privileges: %s", user, strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		fp_log(LOG_ERR, "--user %s: root could be regained; refusing to run", user);
		return -1;
	}
	return 0;
}

/* CapEff from /proc/self/status, for the summary ("?" where unreadable). */
static void effective_caps(char *out, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	snprintf(out, len, "?");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %63s", out) == 1)
			break;
	if (f)
		fclose(f);
}

/* Kernel drops of worker w's own capture socket (libpcap, live; 0 where drops are per port
 * or there are none: a file). */
static uint64_t worker_kernel_drops(unsigned w)
{
	return method->worker_drops ? method->worker_drops(caps, ncaps, w) : 0;
}

/* Seconds to the millisecond, as the summary has always printed them. */
static json_t *json_seconds(double s)
{
	return json_real(round(s * 1000) / 1000);
}

static const char *transport_name(const struct fp_collector *c)
{
	return c->tls ? "tls" : c->proto == FP_PROTO_TCP ? "tcp" : "udp";
}

/* --summary json: the exporter's settings, the outputs and each collector (the exporter's
 * counters are rows of stats.c). */
static void summary_export(json_t *root, const struct fp_config *cfg, const struct fp_exporter *x)
{
	for (unsigned i = 0; i < x->n_sinks; i++) /* --json's, under their first names too */
		if (strcmp(x->sinks[i].module->name, "json") == 0) {
			struct fp_sink_stats ss;
			x->sinks[i].ops->stats(x->sinks[i].priv, &ss);
			json_object_set_new(root, "json_records", json_integer(ss.records));
			json_object_set_new(root, "json_errors", json_integer(ss.records_lost));
		}
	json_t *sinks = json_array();
	for (unsigned i = 0; i < x->n_sinks; i++) {
		struct fp_sink_stats ss;
		const struct fp_sink *k = &x->sinks[i];
		k->ops->stats(k->priv, &ss);
		json_array_append_new(
		    sinks,
		    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "sink", k->ops->name, "target",
			      k->ops->target(k->priv), "records", (json_int_t)ss.records,
			      "records_lost", (json_int_t)ss.records_lost, "files",
			      (json_int_t)ss.files, "files_removed", (json_int_t)ss.files_removed));
	}
	json_object_set_new(root, "sinks", sinks);
	json_object_set_new(root, "exporter_cpu_seconds", json_seconds(x->cpu_seconds));
	if (x->geo) { /* --geoip: lookups, and databases read again (or not) while running */
		struct fp_geodb_stats gs;
		fp_geodb_stats(x->geo, &gs);
		json_object_set_new(root, "geoip",
				    json_pack("{s:I, s:I, s:I, s:I}", "lookups",
					      (json_int_t)gs.lookups, "cache_hits",
					      (json_int_t)gs.cache_hits, "reloads",
					      (json_int_t)gs.reloads, "reload_errors",
					      (json_int_t)gs.reload_errors));
	}
	json_object_set_new(root, "export_rate", json_integer(cfg->export_rate));
	json_object_set_new(root, "collector_mode",
			    json_string(coll->balance ? "balance" : "duplicate"));
	json_t *list = json_array();
	for (unsigned i = 0; i < coll->cset->n; i++) {
		const struct fp_collector *c = coll->cset->c[i];
		json_t *o =
		    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "collector", c->name, "transport",
			      transport_name(c), "messages", (json_int_t)c->sent_msgs, "records",
			      (json_int_t)c->sent_records, "bytes", (json_int_t)c->sent_bytes,
			      "send_errors", (json_int_t)c->send_errors);
		if (c->proto == FP_PROTO_TCP)
			json_object_update_new(
			    o, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "connects",
					 (json_int_t)c->connects, "disconnects",
					 (json_int_t)c->disconnects, "dropped_messages",
					 (json_int_t)c->backlog.dropped_msgs, "dropped_records",
					 (json_int_t)c->backlog.dropped.records, "dropped_packets",
					 (json_int_t)c->backlog.dropped.packets, "dropped_bytes",
					 (json_int_t)c->backlog.dropped.octets));
		if (c->proto == FP_PROTO_UDP)
			json_object_set_new(o, "same_host", json_boolean(c->same_host));
		if (c->same_host)
			json_object_update_new(
			    o,
			    json_pack("{s:b, s:I, s:I, s:I, s:f, s:I, s:I}", "receiver_found",
				      c->rx_found, "receiver_rcvbuf", (json_int_t)c->rx_rcvbuf,
				      "receiver_drops", (json_int_t)c->rx_drops, "receiver_waits",
				      (json_int_t)c->rx_waits, "receiver_wait_seconds",
				      round((double)c->rx_wait_ns / 1e6) / 1000,
				      "receiver_wait_timeouts", (json_int_t)c->rx_wait_timeouts,
				      "receiver_lookups", (json_int_t)c->rx_lookups));
		if (c->tls) {
			json_object_set_new(o, "tls_failures", json_integer(c->tls_failures));
			json_object_set_new(o, "tls_last_failure", json_string(c->tls_reason));
		}
		json_array_append_new(list, o);
	}
	json_object_set_new(root, "collectors", list);
}

/* --summary json: capture counters, the process's identity, DPDK ports. */
static void summary_capture(json_t *root, const struct fp_capture_stats *cs)
{
	char caps_eff[64];
	json_object_set_new(root, "capture",
			    json_pack("{s:I, s:I, s:I}", "received", (json_int_t)cs->received,
				      "dropped", (json_int_t)cs->dropped, "if_dropped",
				      (json_int_t)cs->if_dropped));
	effective_caps(caps_eff, sizeof(caps_eff));
	json_object_set_new(root, "uid", json_integer(getuid()));
	json_object_set_new(root, "gid", json_integer(getgid()));
	json_object_set_new(root, "capabilities_effective", json_string(caps_eff));
	json_t *ports = json_array();
	struct fp_port_stats ps[FP_CAPTURE_MAX_PORTS];
	unsigned np = method->port_stats ? method->port_stats(ps, FP_CAPTURE_MAX_PORTS) : 0;
	for (unsigned i = 0; i < np; i++)
		json_array_append_new(
		    ports,
		    json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "port", (int)ps[i].port,
			      "name", ps[i].name, "ipackets", (json_int_t)ps[i].ipackets, "ibytes",
			      (json_int_t)ps[i].ibytes, "imissed", (json_int_t)ps[i].imissed,
			      "ierrors", (json_int_t)ps[i].ierrors, "rx_nombuf",
			      (json_int_t)ps[i].rx_nombuf, "kernel_dropped",
			      (json_int_t)ps[i].kernel_dropped));
	json_object_set_new(root, "ports", ports);
}

/* --summary json: one object of every counter on stdout. The workers' counters come from their
 * one description (stats.c); the rest is the run's, the exporter's and the capture's. */
static void print_summary(FILE *out, const struct fp_config *cfg, struct fp_worker *workers,
			  unsigned nw, const struct fp_exporter *x,
			  const struct fp_capture_stats *cs, double seconds)
{
	static const char *const formats[] = {
	    [FP_FORMAT_IPFIX] = "ipfix", [FP_FORMAT_NFV9] = "nfv9", [FP_FORMAT_NFV5] = "nfv5"};
	double capture_seconds = 0;
	struct fp_stats_blocks sum = {0}, per[MAX_WORKERS];
	json_t *root = json_object(), *wl = json_array();

	for (unsigned w = 0; w < nw; w++) {
		if (workers[w].capture_seconds > capture_seconds)
			capture_seconds = workers[w].capture_seconds;
		fp_stats_read(&workers[w], &per[w]);
	}
	fp_stats_sum(workers, nw, &sum);
	fp_collectors_stats_read(coll, &sum.xs);
	json_object_set_new(root, "source", json_string(method->source(cfg)));
	json_object_set_new(root, "format", json_string(formats[cfg->format]));
	json_object_set_new(root, "seconds", json_seconds(seconds));
	json_object_set_new(root, "capture_seconds", json_seconds(capture_seconds));
	json_object_set_new(root, "workers_count", json_integer(nw));
	fp_stats_summary(root, wl, &sum, per, nw, fp_stats_groups(cfg));
	if (cfg->dpi)
		fp_stats_json_put(root, "dpi.bytes_per_max_flow",
				  json_integer((json_int_t)fp_dpi_bytes_per_flow()));
	if (cfg->fields & FP_FIELD_TLS)
		fp_stats_json_put(root, "tls.bytes_per_max_flow",
				  json_integer((json_int_t)fp_tlsfp_bytes_per_flow()));
	fp_stats_json_put(root, "sampling.interval", json_integer(cfg->sample_n));
	fp_stats_json_put(root, "sampling.mode",
			  json_string(cfg->sample_random ? "random" : "deterministic"));
	summary_export(root, cfg, x);
	for (unsigned w = 0; w < nw; w++) /* a live worker's own socket's kernel counters */
		if (method->worker_drops && !workers[w].offline)
			json_object_set_new(json_array_get(wl, w), "capture_dropped",
					    json_integer(worker_kernel_drops(w)));
	for (unsigned w = 0; w < nw; w++)
		json_object_set_new(json_array_get(wl, w), "cpu_seconds",
				    json_seconds(workers[w].cpu_seconds));
	json_object_set_new(root, "workers", wl);
	summary_capture(root, cs);
	json_dumpf(root, out, JSON_COMPACT | JSON_REAL_PRECISION(12));
	fputc('\n', out);
	json_decref(root);
}

/* Sum of all workers' counters and active flows (a QSBR read-side section guards the tables). */
struct totals {
	uint64_t packets, bytes, records_dropped, active, duplicates;
};

static void read_totals(struct fp_worker *workers, unsigned nw, struct totals *t,
			uint64_t *per_worker_packets)
{
	memset(t, 0, sizeof(*t));
	urcu_qsbr_read_lock();
	for (unsigned w = 0; w < nw; w++) {
		struct fp_worker_stats ws;
		struct fp_table_stats ts;
		fp_worker_stats_read(&workers[w], &ws);
		fp_table_stats_read(workers[w].table, &ts);
		t->packets += ws.packets;
		t->bytes += ws.bytes;
		t->duplicates += ws.duplicates;
		t->records_dropped += ts.records_dropped;
		t->active += ts.active;
		per_worker_packets[w] = ws.packets;
	}
	urcu_qsbr_read_unlock();
}

/* Capture counters of the whole run (every socket's, or the ports'). */
static void capture_stats(struct fp_capture_stats *cs)
{
	method->stats(caps, ncaps, cs);
}

/* What was lost so far: records inside the probe (a worker's ring to the exporter was full),
 * packets the kernel or NIC dropped, records an output took but could not keep (a TCP
 * collector's backlog, a full disk). */
struct losses {
	uint64_t records_ring, packets_capture;
	uint64_t datagrams_rx;		     /* dropped by the sockets of collectors on this host */
	uint64_t sink_records[FP_MAX_SINKS]; /* records a sink took but could not keep */
	uint64_t not_stored[FP_PSTORE_LOSS_N]; /* --pcap-dir: packets accounted, not stored */
};

/* --pcap-dir: every worker's packets not stored, by reason. */
static uint64_t read_not_stored(struct fp_worker *workers, unsigned nw,
				uint64_t by[FP_PSTORE_LOSS_N])
{
	uint64_t total = 0;
	memset(by, 0, sizeof(uint64_t) * FP_PSTORE_LOSS_N);
	for (unsigned w = 0; w < nw; w++) {
		struct fp_pstore_stats ps;
		if (workers[w].pstore == NULL)
			continue;
		fp_pstore_stats_read(workers[w].pstore, &ps);
		for (int i = 0; i < FP_PSTORE_LOSS_N; i++) {
			by[i] += ps.not_stored[i];
			total += ps.not_stored[i];
		}
	}
	return total;
}

static void read_losses(struct fp_worker *workers, unsigned nw, struct fp_exporter *x,
			struct losses *l)
{
	struct totals t;
	uint64_t pw[MAX_WORKERS];
	struct fp_capture_stats cs = {0};
	memset(l, 0, sizeof(*l));
	read_totals(workers, nw, &t, pw);
	l->records_ring = t.records_dropped;
	(void)workers;
	urcu_qsbr_read_lock();
	const struct fp_collector_set *set = rcu_dereference(coll->cset);
	for (unsigned i = 0; set && i < set->n; i++)
		l->datagrams_rx += __atomic_load_n(&set->c[i]->rx_drops, __ATOMIC_RELAXED);
	urcu_qsbr_read_unlock();
	capture_stats(&cs);
	l->packets_capture = cs.dropped + cs.if_dropped;
	read_not_stored(workers, nw, l->not_stored);
	for (unsigned i = 0; i < x->n_sinks; i++) {
		struct fp_sink_stats ss;
		x->sinks[i].ops->stats(x->sinks[i].priv, &ss);
		l->sink_records[i] = ss.records_lost;
	}
}

/* A warning that names each loss, its cause and what to do about it: `l` less `since`. */
static void log_losses(const struct losses *l, const struct losses *since, const char *when,
		       int prio, const struct fp_config *cfg)
{
	uint64_t ring = l->records_ring - since->records_ring;
	uint64_t cap = l->packets_capture - since->packets_capture;
	for (unsigned i = 0; i < exporter.n_sinks; i++) {
		const struct fp_sink *k = &exporter.sinks[i];
		uint64_t n = l->sink_records[i] - since->sink_records[i];
		struct fp_sink_stats ss;
		if (n == 0)
			continue;
		k->ops->stats(k->priv, &ss);
		const char *remedy = ss.remedy ? ss.remedy : fp_sink_remedy(ss.last_errno);
		fp_log(prio, "LOSS%s: %lu %s %s %s (%s): %s", when, (unsigned long)n,
		       k->ops->lost_what, k->ops->lost_how, k->ops->target(k->priv),
		       ss.cause[0] ? ss.cause : strerror(ss.last_errno),
		       remedy ? remedy : k->ops->remedy);
	}
	if (ring)
		fp_log(prio,
		       "LOSS%s: %lu flow records dropped inside the probe: a worker's ring to "
		       "the exporter overflowed (a burst larger than --ring-size, or an exporter "
		       "slower than the flows); raise --ring-size, or spread the export with "
		       "--collector-mode balance",
		       when, (unsigned long)ring);
	uint64_t rx = l->datagrams_rx - since->datagrams_rx;
	if (rx)
		fp_log(
		    prio,
		    "LOSS%s: %lu datagrams dropped by the receive buffer of a collector on this "
		    "host (read from its socket): it stalled longer than the probe waits, or "
		    "others sent to it too; raise its buffer (nfcapd -B) and check that it keeps "
		    "up (summary collectors: receiver_drops)",
		    when, (unsigned long)rx);
	uint64_t buf =
	    l->not_stored[FP_PSTORE_LOSS_BUFFER] - since->not_stored[FP_PSTORE_LOSS_BUFFER];
	uint64_t disk = l->not_stored[FP_PSTORE_LOSS_DISK] - since->not_stored[FP_PSTORE_LOSS_DISK];
	if (buf)
		fp_log(prio,
		       "LOSS%s: %lu packets not stored in --pcap-dir %s: the writer fell behind; "
		       "raise --pcap-buffer or give it a faster disk; their flows are complete "
		       "(summary pcap_store)",
		       when, (unsigned long)buf, cfg->pcap_dir);
	if (disk) {
		int err = fp_pstore_last_errno();
		const char *remedy = fp_sink_remedy(err);
		fp_log(prio,
		       "LOSS%s: %lu packets not stored in --pcap-dir %s (%s): %s; their flows are "
		       "complete (summary pcap_store)",
		       when, (unsigned long)disk, cfg->pcap_dir,
		       err ? strerror(err) : "write failed",
		       remedy ? remedy : "see the error above");
	}
	if (cap)
		fp_log(prio,
		       "LOSS%s: %lu packets dropped by the kernel or NIC before capture: the "
		       "capture fell behind; %s",
		       when, (unsigned long)cap, method->drop_remedy);
}

/* A rate with its SI prefix: 5000 pps reads "5.00 kpps", not "0.00 Mpps". */
static const char *scaled(char *buf, size_t len, double v, const char *unit)
{
	static const char *const prefix[] = {"", "k", "M", "G", "T"};
	unsigned i = 0;
	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.2f %s%s", v, prefix[i], unit);
	return buf;
}

/* At exit, what was read but not turned into flow records as such, each with its counter's name
 * in the summary and what to do about it: a user who reads only the log sees every one that is
 * not zero. (Loss proper comes after, in the LOSS lines.) */
static void log_set_aside(struct fp_worker *workers, unsigned nw,
			  const struct fp_exporter_stats *xs, const struct fp_config *cfg)
{
	struct fp_stats_blocks b;
	const struct fp_worker_stats *ws = &b.ws;
	const struct fp_dpi_stats *ds = &b.ds;
	const struct fp_frag_stats *fs = &b.fs;
	char reasons[512];
	fp_stats_sum(workers, nw, &b);
	uint64_t errors =
	    fp_stats_by_reason(&b, "parse_errors_by_reason", reasons, sizeof(reasons));
	if (errors)
		fp_log(
		    LOG_WARNING,
		    "%lu malformed packets skipped (%s): summary parse_errors_by_reason; a capture "
		    "cut short by --snaplen shows as truncated",
		    (unsigned long)errors, reasons);
	if (ws->parse[FP_PARSE_NOT_IP])
		fp_log(LOG_INFO, "%lu frames not IP (ARP, STP, LLDP...): no flows; summary not_ip",
		       (unsigned long)ws->parse[FP_PARSE_NOT_IP]);
	if (ws->duplicates)
		fp_log(LOG_INFO,
		       "%lu duplicate packets counted once (--dedup %u: identical IP packets among "
		       "each worker's last %u): summary packets_duplicate",
		       (unsigned long)ws->duplicates, cfg->dedup, cfg->dedup);
	if (b.ts.late_joins)
		fp_log(LOG_WARNING,
		       "%lu packets joined a flow past its idle timeout: the ring to the exporter "
		       "was full when they came, so those flows' records end later (nothing is "
		       "lost); raise --ring-size, or spread the export with --collector-mode "
		       "balance; summary packets_joined_late",
		       (unsigned long)b.ts.late_joins);
	if (ws->decap_failed || ws->decap_not_ip)
		fp_log(LOG_WARNING,
		       "--decap: %lu tunnels with a malformed inside and %lu carrying no IP were "
		       "accounted as their outer packet; summary decapsulated",
		       (unsigned long)ws->decap_failed, (unsigned long)ws->decap_not_ip);
	uint64_t unopened =
	    fp_stats_by_reason(&b, "decapsulated.not_opened", reasons, sizeof(reasons));
	if (unopened)
		fp_log(LOG_WARNING,
		       "--decap: %lu tunnel packets not opened (%s) were accounted as their outer "
		       "packet; summary decapsulated.not_opened",
		       (unsigned long)unopened, reasons);
	if (cfg->dpi)
		fp_log(LOG_INFO,
		       "--dpi: %lu flows inspected: %lu classified, %lu guessed from ports, %lu "
		       "unknown; summary dpi",
		       (unsigned long)ds->flows_inspected, (unsigned long)ds->flows_classified,
		       (unsigned long)ds->flows_guessed, (unsigned long)ds->flows_unknown);
	if (ds->packets_no_room || ds->results_expired)
		fp_log(LOG_WARNING,
		       "--dpi: %lu packets of flows not inspected (all --dpi-max-flows states in "
		       "use: raise it), %lu results dropped before a record took them; those "
		       "records carry no application",
		       (unsigned long)ds->packets_no_room, (unsigned long)ds->results_expired);
	const struct fp_tlsfp_stats *tl = &b.tl;
	if (cfg->fields & FP_FIELD_TLS)
		fp_log(LOG_INFO,
		       "--fields tls: %lu ClientHellos, %lu ServerHellos, %lu certificates read "
		       "(%lu from more than one segment); summary tls",
		       (unsigned long)tl->handshakes, (unsigned long)tl->server_hellos,
		       (unsigned long)tl->certificates, (unsigned long)tl->reassembled);
	if (tl->no_room || tl->results_expired)
		fp_log(
		    LOG_WARNING,
		    "--fields tls: %lu connections not read (all --tls-max-flows states or their "
		    "buffers in use: raise it), %lu results dropped before a record took them; "
		    "those records carry no TLS fields",
		    (unsigned long)tl->no_room, (unsigned long)tl->results_expired);
	if (tl->gaps || tl->malformed || tl->too_long)
		fp_log(LOG_INFO,
		       "--fields tls: %lu handshakes not read to their end: %lu at a segment the "
		       "capture missed or cut (--snaplen), %lu not TLS, %lu messages over 8 KB; "
		       "summary tls",
		       (unsigned long)(tl->gaps + tl->malformed + tl->too_long),
		       (unsigned long)tl->gaps, (unsigned long)tl->malformed,
		       (unsigned long)tl->too_long);
	if (fs->unmatched || fs->full)
		fp_log(
		    LOG_WARNING,
		    "fragments: %lu never met their first fragment (accounted without ports), %lu "
		    "found the cache full (raise --frag-max); summary fragments",
		    (unsigned long)fs->unmatched, (unsigned long)fs->full);
	if (cfg->pcap_dir)
		fp_log(LOG_INFO,
		       "--pcap-dir %s: %lu packets (%s) stored in %lu files, %lu files removed by "
		       "--pcap-dir-max, %lu not matched by --pcap-filter, %lu not indexed (headers "
		       "cut short); summary pcap_store",
		       cfg->pcap_dir, (unsigned long)b.ps.packets,
		       scaled(reasons, sizeof(reasons), (double)b.ps.bytes, "B"),
		       (unsigned long)b.ps.files, (unsigned long)b.ps.files_removed,
		       (unsigned long)b.ps.filtered, (unsigned long)b.ps.not_indexed);
	if (xs->records_not_exportable)
		fp_log(LOG_WARNING,
		       "%lu IPv6 flow records not exported: NetFlow v5 carries IPv4 only (--format "
		       "ipfix or nfv9 carries them)%s",
		       (unsigned long)xs->records_not_exportable,
		       cfg->json ? "; the JSON lines have them" : "");
	if (xs->records_payload_cut)
		fp_log(LOG_WARNING,
		       "%lu IPFIX records carry their --payload cut to fit one message (--mtu %u); "
		       "the flow files, JSON lines and ClickHouse have it whole; summary "
		       "records_payload_cut",
		       (unsigned long)xs->records_payload_cut, (unsigned)cfg->mtu);
	if (exporter.geo) {
		struct fp_geodb_stats gs;
		fp_geodb_stats(exporter.geo, &gs);
		if (gs.reload_errors)
			fp_log(
			    LOG_WARNING,
			    "--geoip: %lu replaced database files could not be read: the ones read "
			    "before stayed in use (replace a file by renaming a complete one over "
			    "it); summary geoip.reload_errors",
			    (unsigned long)gs.reload_errors);
	}
}

/* m:ss or h:mm:ss */
static const char *clock_time(char *buf, size_t len, double s)
{
	unsigned long t = s > 0 ? (unsigned long)(s + 0.5) : 0;
	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
	return buf;
}

/* --read: how far the file is, "file 42.0 % (357 MB of 850 MB), 0:25 elapsed, ~0:35 left | ";
 * standard input: "read 357 MB, 0:25 elapsed | ". Empty for a live capture. */
static int read_progress(char *out, size_t len, double elapsed)
{
	uint64_t done = 0, total = 0;
	char a[32], b[32], c[32], d[32];
	if (ncaps == 0 || !caps[0].offline || caps[0].ops->progress == NULL)
		return 0;
	caps[0].ops->progress(&caps[0], &done, &total);
	if (total == 0)
		return snprintf(out, len, "read %s, %s elapsed | ", scaled(a, sizeof(a), done, "B"),
				clock_time(c, sizeof(c), elapsed));
	double frac = (double)done / (double)total;
	return snprintf(out, len, "file %.1f %% (%s of %s), %s elapsed, ~%s left | ", frac * 100,
			scaled(a, sizeof(a), done, "B"), scaled(b, sizeof(b), total, "B"),
			clock_time(c, sizeof(c), elapsed),
			frac > 0 ? clock_time(d, sizeof(d), elapsed * (1 - frac) / frac) : "?");
}

/* One line: how far a file is (--read), per worker packet rate, totals and bit rate (IP bytes),
 * active flows, export rate, drops. */
static void print_stats_line(struct fp_worker *workers, unsigned nw, const struct fp_exporter *x,
			     double dt, double elapsed, struct totals *prev, uint64_t *prev_pw,
			     uint64_t *prev_records, int keep)
{
	struct totals t;
	uint64_t pw[MAX_WORKERS];
	struct fp_exporter_stats xs;
	struct fp_capture_stats cs = {0};
	char line[1024];
	int len = 0;

	read_totals(workers, nw, &t, pw);
	fp_collectors_stats_read(coll, &xs);
	capture_stats(&cs);
	char a[32], b[32];
	len = read_progress(line, sizeof(line) / 2, elapsed);
	for (unsigned w = 0; w < nw && len < (int)sizeof(line) - 96; w++) {
		/* a worker whose socket the kernel dropped from says so (--workers) */
		uint64_t kdrops = worker_kernel_drops(w);
		char drops[40] = "";
		if (kdrops)
			snprintf(drops, sizeof(drops), " (kernel drops %lu)",
				 (unsigned long)kdrops);
		len +=
		    snprintf(line + len, sizeof(line) - (size_t)len, "w%u %s%s  ", w,
			     scaled(a, sizeof(a), (double)(pw[w] - prev_pw[w]) / dt, "pps"), drops);
	}
	/* records an output could not keep (a full disk under --flow-dir): in the line too */
	char lost[192] = "";
	uint64_t sink_lost = 0;
	for (unsigned i = 0; i < x->n_sinks; i++) {
		struct fp_sink_stats ss;
		x->sinks[i].ops->stats(x->sinks[i].priv, &ss);
		sink_lost += ss.records_lost;
	}
	/* and datagrams a collector on this host dropped in its socket (read from it) */
	uint64_t rx_drops = 0;
	urcu_qsbr_read_lock();
	const struct fp_collector_set *set = rcu_dereference(coll->cset);
	for (unsigned i = 0; set && i < set->n; i++)
		rx_drops += __atomic_load_n(&set->c[i]->rx_drops, __ATOMIC_RELAXED);
	urcu_qsbr_read_unlock();
	int at = 0;
	if (sink_lost)
		at = snprintf(lost, sizeof(lost), ", not written %lu", (unsigned long)sink_lost);
	if (rx_drops)
		at += snprintf(lost + at, sizeof(lost) - (size_t)at,
			       ", collector socket dropped %lu", (unsigned long)rx_drops);
	uint64_t by[FP_PSTORE_LOSS_N];
	uint64_t not_stored = read_not_stored(workers, nw, by);
	if (not_stored && at < (int)sizeof(lost))
		at += snprintf(lost + at, sizeof(lost) - (size_t)at, ", packets not stored %lu",
			       (unsigned long)not_stored);
	if (t.duplicates && at < (int)sizeof(lost)) /* --dedup: not a loss, said beside them */
		snprintf(lost + at, sizeof(lost) - (size_t)at, "; duplicates skipped %lu",
			 (unsigned long)t.duplicates);
	snprintf(line + len, sizeof(line) - (size_t)len,
		 "| %s %s, %lu active flows, %.0f records/s exported, drops: "
		 "capture %lu, records %lu%s",
		 scaled(a, sizeof(a), (double)(t.packets - prev->packets) / dt, "pps"),
		 scaled(b, sizeof(b), (double)(t.bytes - prev->bytes) * 8 / dt, "bit/s"),
		 (unsigned long)t.active, (double)(xs.records_exported - *prev_records) / dt,
		 (unsigned long)cs.dropped, (unsigned long)t.records_dropped, lost);
	fp_log_status(line, keep);
	*prev = t;
	memcpy(prev_pw, pw, sizeof(uint64_t) * nw);
	*prev_records = xs.records_exported;
}

static int all_done(struct fp_worker *workers, unsigned nw)
{
	for (unsigned w = 0; w < nw; w++)
		if (!__atomic_load_n(&workers[w].done, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

/*
 * Main thread while workers run: --duration, --count and the live statistics line. It is a QSBR
 * reader of the workers' tables and stays offline while it sleeps.
 */
/* tls:// collectors: the TLS context from --tls-ca/--tls-cert/--tls-key, its files read now (at
 * start: before --daemon leaves the directory and --user drops privileges). A reload keeps the
 * context when the files named are the same, and builds a new one (for new connections) when
 * they changed. -1 after logging why when one is needed and cannot be built. */
static int tls_prepare(const struct fp_config *cfg)
{
	static int built;
	static char *was[3];
	const char *now[3] = {cfg->tls_ca, cfg->tls_cert, cfg->tls_key};
	int any = 0, same = built;
	for (unsigned i = 0; i < cfg->n_collectors; i++)
		any |= cfg->collectors[i].tls;
	if (!any)
		return 0;
	for (int i = 0; i < 3; i++)
		same &= (was[i] == NULL && now[i] == NULL) ||
			(was[i] && now[i] && strcmp(was[i], now[i]) == 0);
	if (same)
		return 0;
	struct fp_tls_config tc = {.ca = cfg->tls_ca, .cert = cfg->tls_cert, .key = cfg->tls_key};
	char err[400];
	if (cfg->tls_key && cfg->tls_cert == NULL) {
		fp_log(LOG_ERR, "--tls-key: give --tls-cert too (the key is for that certificate)");
		return -1;
	}
	if (fp_tls_setup(&tc, err, sizeof(err)) != 0) {
		fp_log(LOG_ERR, "%s", err);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		free(was[i]);
		was[i] = now[i] ? strdup(now[i]) : NULL;
	}
	built = 1;
	return 0;
}

/* SIGHUP: read the configuration again and switch to its collector list. Everything else the
 * file says applies at the next start; a file with errors changes nothing. */
static void reload(struct fp_exporter *x, const struct fp_config *cfg)
{
	struct fp_config ncfg;
	if (x->n_sinks || x->geo) /* logrotate moved a file; --geoip: databases read again */
		__atomic_store_n(&x->json_reopen, 1, __ATOMIC_RELAXED);
	if (cfg->config_file == NULL) {
		fp_log(LOG_ERR, "SIGHUP: no --config file; collectors unchanged");
		return;
	}
	fp_daemon_notify("RELOADING=1");
	if (fp_config_parse(&ncfg, main_argc, main_argv) != 0) {
		fp_log(LOG_ERR, "SIGHUP: %s has errors; collectors unchanged", cfg->config_file);
	} else if (tls_prepare(&ncfg) != 0) {
		fp_log(LOG_ERR, "SIGHUP: collectors unchanged");
	} else if (fp_collectors_reload(coll, &ncfg) == 0) {
		const struct fp_collector_set *set = coll->cset;
		char names[FP_MAX_COLLECTORS * 130] = "";
		size_t len = 0;
		for (unsigned i = 0; i < set->n; i++)
			len += (size_t)snprintf(names + len, sizeof(names) - len, " %s",
						set->c[i]->name);
		fp_log(LOG_NOTICE,
		       "SIGHUP: %u collector(s):%s (other settings apply at the next start)",
		       set->n, names);
		if (set->n == 0)
			fp_log(LOG_WARNING,
			       "SIGHUP: %s lists no collector: flows are counted, not sent, until "
			       "a reload brings one",
			       cfg->config_file);
	} else {
		fp_log(LOG_ERR, "SIGHUP: collectors unchanged");
	}
	fp_config_free(&ncfg);
	fp_daemon_notify("READY=1");
}

static void supervise(struct fp_worker *workers, unsigned nw, struct fp_exporter *x,
		      const struct fp_config *cfg, struct fp_budget *budget)
{
	double t0 = fp_mono_s(), last = t0, last_pub = 0, last_loss_check = t0, last_warn = 0;
	struct losses warned = {0};
	struct totals prev = {0};
	uint64_t prev_pw[MAX_WORKERS] = {0}, prev_records = 0;
	struct timespec nap = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	while (!all_done(workers, nw)) {
		nanosleep(&nap, NULL);
		double now = fp_mono_s();
		if (cfg->duration_ms && (now - t0) * 1000 >= cfg->duration_ms)
			stop = 1;
		if (budget && fp_budget_spent(budget))
			stop = 1;
		/* --json into a pipe whose reader left (| head): end the run, as on SIGPIPE */
		for (unsigned i = 0; !stop && i < x->n_sinks; i++)
			if (x->sinks[i].ops->ended && x->sinks[i].ops->ended(x->sinks[i].priv))
				stop_capture();
		int due = cfg->stats_interval_ms && !cfg->quiet &&
			  (now - last) * 1000 >= cfg->stats_interval_ms;
		if (cfg->metrics && now - last_pub >= 1.0) {
			struct fp_capture_stats cs = {0};
			uint64_t wd[MAX_WORKERS] = {0};
			for (unsigned w = 0; w < ncaps; w++)
				wd[w] = worker_kernel_drops(w);
			/* ports are read by the scrape itself */
			if (!method->port_stats)
				capture_stats(&cs);
			fp_metrics_publish_capture(&cs, wd, method->port_stats ? 0 : ncaps);
			last_pub = now;
		}
		/* Loss is never silent: a warning within a second of the first, then at most
		 * one every 10 s with what was lost since the last. */
		if (now - last_loss_check >= 1.0 && (last_warn == 0 || now - last_warn >= 10.0)) {
			struct losses l;
			urcu_qsbr_thread_online();
			read_losses(workers, nw, x, &l);
			urcu_qsbr_thread_offline();
			if (memcmp(&l, &warned, sizeof(l)) != 0) {
				log_losses(&l, &warned, " since the last report", LOG_WARNING, cfg);
				warned = l;
				last_warn = now;
			}
			last_loss_check = now;
		}
		if (reload_requested) {
			reload_requested = 0;
			reload(x, cfg);
		}
		if (due || stats_requested) { /* SIGUSR1 asks for one line now, even with --quiet */
			int keep = stats_requested;
			stats_requested = 0;
			urcu_qsbr_thread_online();
			print_stats_line(workers, nw, x, now - last, now - t0, &prev, prev_pw,
					 &prev_records, keep);
			urcu_qsbr_thread_offline();
			last = now;
		}
	}
	fp_log_status_end();
	urcu_qsbr_unregister_thread();
}

/* Everything one run holds, so that main() reads as its stages. */
struct run {
	struct fp_config cfg;
	struct fp_worker *workers;
	unsigned nw, started;
	int level;
	int pidfile_written;
	char *abs_pidfile, *abs_json, *abs_flow_dir, *abs_pcap_dir;
	struct fp_budget budget;
	double t0;
};

/* --daemon works from "/": relative paths given here must keep meaning what they meant. */
static int pin_paths(struct run *r)
{
	struct fp_config *cfg = &r->cfg;
	if (!cfg->daemon)
		return 0;
	if (fp_config_pin_path(cfg) != 0)
		return -1;
	if (cfg->pidfile && (r->abs_pidfile = fp_config_abs_path(cfg->pidfile)) != NULL)
		cfg->pidfile = r->abs_pidfile;
	if (cfg->json && strcmp(cfg->json, "-") != 0 &&
	    (r->abs_json = fp_config_abs_path(cfg->json)) != NULL)
		cfg->json = r->abs_json;
	if (cfg->flow_dir && (r->abs_flow_dir = fp_config_abs_path(cfg->flow_dir)) != NULL)
		cfg->flow_dir = r->abs_flow_dir;
	if (cfg->pcap_dir && (r->abs_pcap_dir = fp_config_abs_path(cfg->pcap_dir)) != NULL)
		cfg->pcap_dir = r->abs_pcap_dir;
	return 0;
}

/* The outputs: TLS material, the exporter, the --json file, the collectors' sockets. */
static int open_outputs(struct run *r)
{
	const struct fp_config *cfg = &r->cfg;
	/* the directories must be usable by the user the probe will run as: checked (and what
	 * is made, given to them) now, not found out record by record after the drop */
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	if (cfg->user && resolve_user(cfg->user, cfg->group, &uid, &gid) != 0)
		return -1;
	if (tls_prepare(cfg) != 0)
		return -1;
	/* Before any thread exists: DPDK's EAL starts its own when it opens. */
	if (cfg->daemon && method->daemon_before_open) {
		if (fp_daemon_start() != 0)
			return -1;
		fp_log_setup(r->level, 1);
	}
	if (fp_exporter_init(&exporter, cfg, r->workers, 0, 0) != 0)
		return -1;
	if (cfg->pcap_dir) {
		struct fp_pstore_config pc = {
		    .dir = cfg->pcap_dir,
		    .rotate_s = cfg->rotate_s,
		    .snaplen = cfg->pcap_snaplen,
		    .filter = cfg->pcap_filter,
		    .max_bytes = cfg->pcap_dir_max,
		    .buffer_bytes = cfg->pcap_buffer,
		    .cid_seed = cfg->cid_seed,
		    .decap = cfg->decap,
		    .live = cfg->read_file == NULL,
		    .uid = uid,
		    .gid = gid,
		};
		if ((pstore = fp_pstore_open(&pc)) == NULL)
			return -1;
		uint32_t cut = cfg->pcap_snaplen;
		if (!cfg->read_file && method->live_snaplen &&
		    (cut == 0 || (uint32_t)cfg->snaplen < cut))
			cut = (uint32_t)cfg->snaplen;
		if (cut && cut < 65535)
			fp_log(LOG_INFO,
			       "--pcap-dir %s: keeps the first %u bytes of each packet (%s)",
			       cfg->pcap_dir, cut,
			       cut == cfg->pcap_snaplen ? "--pcap-snaplen" : "--snaplen");
		else
			fp_log(LOG_INFO, "--pcap-dir %s: keeps whole packets", cfg->pcap_dir);
	}
	/* every output the configuration wants, in the modules' order (sink.h) */
	struct fp_sink_env env = {.uid = uid, .gid = gid, .x = &exporter};
	for (const struct fp_sink_module *const *m = fp_sink_modules; *m; m++) {
		if (!(*m)->wanted(cfg))
			continue;
		if (exporter.n_sinks == FP_MAX_SINKS) {
			fp_log(LOG_ERR, "%s: more outputs than %u", (*m)->name, FP_MAX_SINKS);
			return -1;
		}
		if ((*m)->open(cfg, &env, &exporter.sinks[exporter.n_sinks]) != 0)
			return -1;
		exporter.n_sinks++;
	}
	coll = fp_collectors_of(&exporter);
	return 0;
}

/* The capture: one per worker. -1 with ncaps the captures opened. */
static int open_capture(const struct fp_config *cfg)
{
	return method->open(cfg, caps, MAX_WORKERS, &ncaps);
}

/* Daemonize once the capture is open (unless its method forked before), so a wrong interface
 * or filter is reported on the terminal; the pid file is written before privileges go. */
static int detach(struct run *r)
{
	const struct fp_config *cfg = &r->cfg;
	if (cfg->daemon && !method->daemon_before_open) {
		if (fp_daemon_start() != 0)
			return -1;
		fp_log_setup(r->level, 1);
	}
	if (cfg->pidfile && fp_pidfile_write(cfg->pidfile) != 0)
		return -1;
	r->pidfile_written = cfg->pidfile != NULL;
	return 0;
}

/* One worker per capture, each with its table, fragment cache and DPI state. -1 with r->nw the
 * workers to finish. */
static int init_workers(struct run *r)
{
	const struct fp_config *cfg = &r->cfg;
	struct fp_table_config tcfg = {
	    .max_flows = cfg->max_flows,
	    .idle_ms = cfg->idle_ms,
	    .active_ms = cfg->active_ms,
	    .fin_ms = cfg->fin_ms,
	    .biflow = cfg->biflow,
	    .more = (cfg->fields & ~(unsigned)FP_FIELD_LATENCY) != 0,
	    .latency = (cfg->fields & FP_FIELD_LATENCY) != 0,
	    .tcp_health = (cfg->fields & FP_FIELD_TCP) != 0,
	    .prefault = cfg->read_file == NULL, /* live: no page fault on the packet path */
	    .payload = cfg->payload,
	};
	r->budget.left = (int64_t)cfg->count;
	for (; r->nw < ncaps; r->nw++) {
		struct fp_worker *w = &r->workers[r->nw];
		if (fp_worker_init(w, r->nw, &caps[r->nw], &tcfg, cfg->ring_size, &stop) != 0)
			return -1;
		w->budget = cfg->count ? &r->budget : NULL;
		w->sample_n = cfg->sample_n;
		w->decap = cfg->decap;
		w->biflow = cfg->biflow;
		w->more = tcfg.more;
		w->sample_random = cfg->sample_random;
		w->rng = 0x9e3779b97f4a7c15ull * (r->nw + 1) ^ (uint64_t)time(NULL);
		if (cfg->dedup) {
			/* its own cache lines; aligned_alloc's size is a multiple of the alignment
			 */
			w->dedup = aligned_alloc(64, (sizeof(*w->dedup) + 63) & ~(size_t)63);
			if (w->dedup == NULL) {
				fp_log(LOG_ERR, "worker %u: out of memory (--dedup)", r->nw);
				r->nw++;
				return -1;
			}
			fp_dedup_init(w->dedup, cfg->dedup);
		}
		if (cfg->frag_max) {
			struct fp_frag_config fc = {.max_entries = cfg->frag_max,
						    .timeout_ms = cfg->frag_timeout_ms};
			w->frag = fp_frag_create(&fc);
			if (w->frag == NULL) {
				fp_log(LOG_ERR, "worker %u: cannot allocate a fragment cache of %u",
				       r->nw, cfg->frag_max);
				r->nw++;
				return -1;
			}
		}
		if (cfg->dpi) {
			/* a result outlives any wait of its flow's records: idle or FIN linger,
			 * an active timeout, and the time records may wait in a full table */
			struct fp_dpi_config dc = {.max_flows = cfg->dpi_max_flows,
						   .biflow = cfg->biflow,
						   .max_packets = cfg->dpi_packets,
						   .keep_ms = cfg->idle_ms + cfg->active_ms +
							      cfg->fin_ms + 60000};
			if ((w->dpi = fp_dpi_create(&dc)) == NULL ||
			    fp_ring_init_side(&w->ring) != 0) {
				r->nw++;
				return -1;
			}
		}
		if ((cfg->fields & FP_FIELD_TCP) && fp_ring_init_tcp(&w->ring) != 0) {
			fp_log(LOG_ERR, "worker %u: cannot allocate --fields tcp's ring blocks",
			       r->nw);
			r->nw++;
			return -1;
		}
		if (cfg->fields & FP_FIELD_TLS) { /* the same wait as --dpi's results */
			struct fp_tlsfp_config tc = {.max_flows = cfg->tls_max_flows,
						     .biflow = cfg->biflow,
						     .keep_ms = cfg->idle_ms + cfg->active_ms +
								cfg->fin_ms + 60000};
			if ((w->tls = fp_tlsfp_create(&tc)) == NULL ||
			    fp_ring_init_tls(&w->ring) != 0) {
				r->nw++;
				return -1;
			}
		}
		/* a classic pcap file: the writer reads its packets again itself */
		if (pstore && (w->pstore = fp_pstore_queue(
				   pstore, r->nw, (uint32_t)caps[r->nw].link, caps[r->nw].ts_nano,
				   caps[r->nw].offline,
				   caps[r->nw].by_record ? caps[r->nw].rec_fd : -1)) == NULL) {
			r->nw++;
			return -1;
		}
	}
	exporter.n_workers = r->nw;
	exporter.offline = caps[0].offline;
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct sigaction su = {.sa_handler = on_usr1};
	sigemptyset(&su.sa_mask);
	sigaction(SIGUSR1, &su, NULL);
	struct sigaction sh = {.sa_handler = on_hup};
	sigemptyset(&sh.sa_mask);
	sigaction(SIGHUP, &sh, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void announce(const struct fp_config *cfg, unsigned nw)
{
	char what[FP_MAX_PORTS * 20 + 32];
	method->describe(cfg, what, sizeof(what));
	fp_log(LOG_INFO, "%s → %u collector(s), %s, %u worker(s), %u flows/worker", what,
	       coll->cset->n,
	       cfg->format == FP_FORMAT_IPFIX  ? "IPFIX"
	       : cfg->format == FP_FORMAT_NFV9 ? "NetFlow v9"
					       : "NetFlow v5",
	       nw, cfg->max_flows);
	fp_collectors_log(coll);
}

/* The exporter, then every worker (pinned with --cpus). Those that could not start are marked
 * done, and the run stops: the exporter waits for every worker's `done`. */
static int start_threads(struct run *r)
{
	const struct fp_config *cfg = &r->cfg;
	r->t0 = fp_mono_s();
	for (unsigned i = 0; i < exporter.n_sinks; i++) {
		const struct fp_sink *k = &exporter.sinks[i];
		if (k->module->start && k->module->start(k->priv) != 0)
			return -1;
	}
	if (pstore && fp_pstore_start(pstore) != 0)
		return -1;
	if (fp_exporter_start(&exporter) != 0)
		return -1;
	for (; r->started < r->nw; r->started++) {
		int running;
		if (method->launch(cfg, r->started, &r->workers[r->started], &running) != 0) {
			r->started += running; /* it runs: joined below */
			break;
		}
	}
	if (r->started < r->nw) {
		stop = 1;
		for (unsigned w = r->started; w < r->nw; w++)
			__atomic_store_n(&r->workers[w].done, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static void join_threads(struct run *r)
{
	method->wait(r->workers, r->started);
	fp_pstore_finish(pstore); /* the packets queued, then every file complete and indexed */
	pthread_join(exporter.thread, NULL);
}

/* Encoded is not delivered: the total says what was built, each collector what its socket took
 * (UDP) or what was written whole (TCP). */
static void log_collectors(const struct run *r, double seconds)
{
	struct fp_exporter_stats xs;
	struct totals t;
	uint64_t pw[MAX_WORKERS];
	fp_collectors_stats_read(coll, &xs);
	read_totals(r->workers, r->nw, &t, pw);
	const struct fp_collector_set *set = coll->cset;
	if (set->n)
		fp_log(LOG_INFO, "%lu packets, %lu records in %lu messages, %.2f s",
		       (unsigned long)t.packets, (unsigned long)xs.records_exported,
		       (unsigned long)xs.messages, seconds);
	else
		fp_log(LOG_INFO,
		       "%lu packets, %lu records (no collector: counted, not sent), %.2f s",
		       (unsigned long)t.packets, (unsigned long)xs.records_exported, seconds);
	for (unsigned i = 0; i < set->n; i++) {
		const struct fp_collector *c = set->c[i];
		if (c->send_errors)
			fp_log(LOG_WARNING,
			       "collector %s: %lu records in %lu messages sent; %lu %s (last: %s)",
			       c->name, (unsigned long)c->sent_records, (unsigned long)c->sent_msgs,
			       (unsigned long)c->send_errors,
			       c->proto == FP_PROTO_TCP
				   ? "failed connection attempts or broken connections"
				   : "send errors",
			       c->last_errno == ECONNREFUSED && c->proto == FP_PROTO_UDP
				   ? "Connection refused: nothing listened there, what reached "
				     "the host was lost"
				   : strerror(c->last_errno));
		else if (c->same_host)
			fp_log(
			    LOG_INFO,
			    "collector %s: %lu records in %lu messages sent; on this host: waited "
			    "for room in its socket %lu times (%.2f s), it dropped %lu",
			    c->name, (unsigned long)c->sent_records, (unsigned long)c->sent_msgs,
			    (unsigned long)c->rx_waits, (double)c->rx_wait_ns / 1e9,
			    (unsigned long)c->rx_drops);
		else
			fp_log(LOG_INFO, "collector %s: %lu records in %lu messages sent", c->name,
			       (unsigned long)c->sent_records, (unsigned long)c->sent_msgs);
	}
	log_set_aside(r->workers, r->nw, &xs, &r->cfg);
}

/* The end of a run: the summary, the last lines, and the exit status: 0 says every flow counted
 * was exported; a capture that failed says so too. */
static int report(struct run *r)
{
	struct fp_capture_stats cs = {0};
	struct losses lost, none = {0};
	double seconds = fp_mono_s() - r->t0;

	/* No reader may still hold a table when it is freed (readers run under QSBR). */
	urcu_qsbr_synchronize_rcu();
	capture_stats(&cs);
	if (r->cfg.summary_json)
		print_summary(stdout, &r->cfg, r->workers, r->nw, &exporter, &cs, seconds);
	log_collectors(r, seconds);
	/* The last lines say what was lost in the whole run, whatever was warned before. */
	read_losses(r->workers, r->nw, &exporter, &lost);
	log_losses(&lost, &none, " in this run", LOG_ERR, &r->cfg); /* even with --quiet */
	int rc = lost.records_ring || lost.datagrams_rx ? EXIT_FAILURE : EXIT_SUCCESS;
	for (int i = 0; i < FP_PSTORE_LOSS_N; i++)
		if (lost.not_stored[i])
			rc = EXIT_FAILURE;
	for (unsigned i = 0; i < exporter.n_sinks; i++)
		if (lost.sink_records[i])
			rc = EXIT_FAILURE;
	for (unsigned w = 0; w < r->nw; w++)
		if (r->workers[w].failed)
			rc = EXIT_FAILURE;
	return r->started < r->nw ? EXIT_FAILURE : rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "extract") == 0)
		return fp_extract_main(argc - 1, argv + 1);
	static struct fp_worker workers[MAX_WORKERS];
	static struct run r = {.workers = workers};
	struct fp_config *cfg = &r.cfg;
	int rc = EXIT_FAILURE;

	main_argc = argc;
	main_argv = argv;
	int prc = fp_config_parse(cfg, argc, argv);
	if (prc == 2) {
		rc = fp_sink_modules_print_setup(cfg) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		fp_config_free(cfg);
		return rc;
	}
	if (prc != 0) {
		fp_config_free(cfg);
		return prc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	method = fp_capture_method_for(cfg);
	r.level = cfg->log_level >= 0 ? cfg->log_level : cfg->quiet ? LOG_ERR : LOG_INFO;
	fp_log_setup(r.level, 0);
	if (pin_paths(&r) != 0 || open_outputs(&r) != 0)
		goto out_collectors;
	if (open_capture(cfg) != 0 || detach(&r) != 0)
		goto out_capture;
	if (init_workers(&r) != 0)
		goto out_workers;
	struct fp_metrics_src msrc = {.workers = workers,
				      .n_workers = r.nw,
				      .exporter = &exporter,
				      .cfg = cfg,
				      .method = method,
				      .collectors = coll};
	if (cfg->metrics && fp_metrics_start(cfg->metrics, &msrc) != 0)
		goto out_workers;
	if (method->telemetry)
		fp_metrics_register_telemetry(&msrc);
	/* Every socket is open (capture, collectors, metrics): privileges can go. */
	if (cfg->user && drop_privileges(cfg->user, cfg->group) != 0)
		goto out_workers;
	install_signals();
	announce(cfg, r.nw);
	if (start_threads(&r) != 0)
		goto out_workers;
	fp_daemon_ready();
	supervise(workers, r.nw, &exporter, cfg, cfg->count ? &r.budget : NULL);
	fp_daemon_notify("STOPPING=1");
	join_threads(&r);
	rc = report(&r);
out_workers:
	fp_metrics_stop();
	for (unsigned w = 0; w < r.nw; w++)
		fp_worker_fini(&workers[w]);
	fp_pstore_close(pstore); /* after the workers: they held its queues */
	pstore = NULL;
out_capture:
	method->close(caps, ncaps);
	ncaps = 0;
	if (r.pidfile_written)
		fp_pidfile_remove(cfg->pidfile);
out_collectors:
	while (exporter.n_sinks > 0) { /* in reverse: the collectors first */
		const struct fp_sink *k = &exporter.sinks[--exporter.n_sinks];
		k->module->close(k->priv);
	}
	fp_exporter_release(&exporter);
	fp_config_free(cfg);
	free(r.abs_pidfile);
	free(r.abs_json);
	free(r.abs_flow_dir);
	free(r.abs_pcap_dir);
	return rc;
}
