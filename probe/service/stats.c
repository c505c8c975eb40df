/* SPDX-License-Identifier: BSD-3-Clause */
#include "stats.h"

#include <stddef.h>
#include <string.h>

#include "fp_parse.h"
#include "fp_record.h"

enum block { B_WORKER, B_TABLE, B_FRAG, B_DPI, B_PSTORE, B_TLS, B_EXPORTER };

enum {
	TOP = 1 << 0,	 /* in the summary's top level (summed over workers) */
	WORKER = 1 << 1, /* in the summary's per-worker objects */
	GAUGE = 1 << 2,	 /* a Prometheus gauge (else a counter) */
	DPI = 1 << 3,	 /* only with --dpi */
	RUN = 1 << 4,	 /* the exporter's: one value for the run, metrics without labels */
	PSTORE = 1 << 5, /* only with --pcap-dir */
	TLS = 1 << 6,	 /* only with --fields tls */
};

/*
 * A counter, or an array of counters by reason (n > 1: indices first..n-1, each named by
 * `name(i)`; in the summary an object of them, in the metrics a label `label`). `sum_key`: the
 * array's total under that key too.
 */
struct row {
	const char *key;    /* summary key path; NULL: metrics only */
	const char *metric; /* without "fluxprobe_"; NULL: summary only */
	const char *help;
	enum block block;
	size_t off;
	unsigned flags;
	int first, n;
	const char *(*name)(int i);
	const char *label;
	const char *sum_key;
};

#define W(f) B_WORKER, offsetof(struct fp_worker_stats, f)
#define T(f) B_TABLE, offsetof(struct fp_table_stats, f)
#define F(f) B_FRAG, offsetof(struct fp_frag_stats, f)
#define D(f) B_DPI, offsetof(struct fp_dpi_stats, f)
#define P(f) B_PSTORE, offsetof(struct fp_pstore_stats, f)
#define L(f) B_TLS, offsetof(struct fp_tlsfp_stats, f)
#define X(f) B_EXPORTER, offsetof(struct fp_exporter_stats, f)

static const char *parse_name(int i)
{
	return fp_parse_result_name((enum fp_parse_result)i);
}
static const char *end_name(int i)
{
	return fp_end_reason_name((enum fp_end_reason)i);
}
static const char *tunnel_name(int i)
{
	return fp_tunnel_name((enum fp_tunnel)i);
}
static const char *unopened_name(int i)
{
	return fp_unopened_name((enum fp_unopened)i);
}
static const char *pstore_loss_name(int i)
{
	return i == FP_PSTORE_LOSS_BUFFER ? "buffer" : "disk";
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct row rows[] = {
    {"frames", "frames_received_total", "Frames received by the worker.", W(frames), TOP | WORKER},
    {"packets", "packets_total", "Packets accounted in flows.", W(packets), TOP | WORKER},
    {"bytes", "bytes_total", "IP-level bytes accounted in flows.", W(bytes), TOP | WORKER},
    {"not_ip", NULL, NULL, W(parse[FP_PARSE_NOT_IP]), TOP},
    {"parse_errors_by_reason", NULL, NULL, W(parse), TOP, FP_PARSE_NOT_IP + 1, FP_PARSE_NRESULTS,
     parse_name, NULL, "parse_errors"},
    {NULL, "frames_ignored_total",
     "Frames not accounted in a flow, by reason (not IP, or malformed).", W(parse), 0,
     FP_PARSE_NOT_IP, FP_PARSE_NRESULTS, parse_name, "reason"},
    {"flows_created", "flows_created_total", "Flows created.", T(flows_created), TOP | WORKER},
    {"flows_active", "active_flows", "Flows in the worker's table now.", T(active), TOP | GAUGE},
    {"records", "flow_records_total", "Flow records emitted, by flowEndReason.", T(records), TOP,
     FP_END_IDLE, FP_END_NREASONS, end_name, "reason"},
    {"timestamps_backwards", "timestamps_backwards_total",
     "Packets stamped earlier than one before them (files).", W(ts_backwards), TOP},
    {"records_dropped", "records_not_handed_total",
     "Flow records the exporter could not take (hand-off ring full).", T(records_dropped),
     TOP | WORKER},
    {"bucket_evictions", "bucket_evictions_total",
     "Flows exported early because both of their buckets were full.", T(bucket_evictions), TOP},
    {"packets_joined_late", "packets_joined_late_total",
     "Live: packets that joined a flow past its timeout because the ring to the exporter was "
     "full (the flow's record then ends later; nothing is lost).",
     T(late_joins), TOP},
    {"ring_full_waits", "ring_full_waits_total",
     "Files: times the worker waited for the exporter (back-pressure, nothing lost).",
     W(ring_full_waits), WORKER},
    {"decapsulated", "decapsulated_packets_total",
     "--decap: packets accounted by their inner packet, by outermost tunnel.", W(decap), TOP,
     FP_TUNNEL_GRE, FP_TUNNEL_N, tunnel_name, "tunnel"},
    {"decapsulated.failed", "decap_failed_total",
     "--decap: tunnels with a malformed inside, accounted as their outer packet.", W(decap_failed),
     TOP},
    {"decapsulated.not_ip_inside", "decap_not_ip_total",
     "--decap: tunnels carrying no IP, accounted as their outer packet.", W(decap_not_ip), TOP},
    {"decapsulated.not_opened", "decap_not_opened_total",
     "--decap: tunnel packets recognised but not opened, by kind (outer packet accounted).",
     W(unopened), TOP, FP_UNOPENED_NONE + 1, FP_UNOPENED_N, unopened_name, "kind"},
    {"fragments.first", "fragments_first_total", "First fragments remembered.", F(firsts), TOP},
    {"fragments.matched", "fragments_matched_total",
     "Later fragments given their first fragment's ports at once.", F(matched), TOP},
    {"fragments.held", "fragments_held_total", "Fragments that came before their first.", F(held),
     TOP},
    {"fragments.released", "fragments_released_total",
     "Held fragments that got the ports when their first came.", F(released), TOP},
    {"fragments.unmatched", "fragments_unmatched_total",
     "Fragments whose first never came: accounted without ports.", F(unmatched), TOP},
    {"fragments.cache_full", "fragments_cache_full_total",
     "Fragments not cached (cache full, raise --frag-max): accounted without ports.", F(full), TOP},
    {"dpi.flows_inspected", "dpi_flows_inspected_total",
     "--dpi: flows that got an inspection state.", D(flows_inspected), TOP | DPI},
    {"dpi.classified", "dpi_flows_classified_total",
     "--dpi: inspected flows whose application nDPI found.", D(flows_classified), TOP | DPI},
    {"dpi.guessed", "dpi_flows_guessed_total",
     "--dpi: inspected flows nDPI only guessed (ports, addresses).", D(flows_guessed), TOP | DPI},
    {"dpi.unknown", "dpi_flows_unknown_total", "--dpi: inspected flows that stayed unknown.",
     D(flows_unknown), TOP | DPI},
    {"dpi.packets_not_inspected", "dpi_packets_not_inspected_total",
     "--dpi: packets of flows that found every --dpi-max-flows state in use.", D(packets_no_room),
     TOP | DPI},
    {"dpi.packets_inspected", "dpi_packets_inspected_total", "--dpi: packets inspected.",
     D(packets_inspected), TOP | DPI},
    {"dpi.results_expired", "dpi_results_expired_total",
     "--dpi: results dropped by age before a record took them.", D(results_expired), TOP | DPI},
    {"dpi.records_with_application", "dpi_records_with_application_total",
     "--dpi: records that left with an application.", D(records_with_app), TOP | DPI},
    {"tls.handshakes", "tls_handshakes_total",
     "--fields tls: ClientHellos read (JA3, JA4, server name).", L(handshakes), TOP | TLS},
    {"tls.server_hellos", "tls_server_hellos_total",
     "--fields tls: ServerHellos read (JA3S, version, cipher suite).", L(server_hellos), TOP | TLS},
    {"tls.certificates", "tls_certificates_total",
     "--fields tls: server certificates read (TLS 1.2 and before).", L(certificates), TOP | TLS},
    {"tls.reassembled", "tls_reassembled_total",
     "--fields tls: hellos and certificates read from more than one TCP segment.", L(reassembled),
     TOP | TLS},
    {"tls.no_room", "tls_no_room_total",
     "--fields tls: connections or directions not read: every --tls-max-flows state or its "
     "buffers in use.",
     L(no_room), TOP | TLS},
    {"tls.gaps", "tls_gaps_total",
     "--fields tls: handshakes given up at a segment missing from the capture or cut by the "
     "snap length.",
     L(gaps), TOP | TLS},
    {"tls.malformed", "tls_malformed_total",
     "--fields tls: directions given up at something that is not a TLS handshake.", L(malformed),
     TOP | TLS},
    {"tls.too_long", "tls_too_long_total",
     "--fields tls: handshake messages longer than the 8 KB buffer.", L(too_long), TOP | TLS},
    {"tls.results_expired", "tls_results_expired_total",
     "--fields tls: results dropped by age before a record took them.", L(results_expired),
     TOP | TLS},
    {"tls.records_with_tls", "tls_records_total",
     "--fields tls: records that left with what a handshake told.", L(records_with_tls), TOP | TLS},
    {"pcap_store.packets", "pcap_packets_stored_total",
     "--pcap-dir: packets written whole into pcap files.", P(packets), TOP | WORKER | PSTORE},
    {"pcap_store.bytes", "pcap_bytes_stored_total",
     "--pcap-dir: bytes those packets took in the files (record headers included).", P(bytes),
     TOP | PSTORE},
    {"pcap_store.packets_not_stored_by_reason", "pcap_packets_not_stored_total",
     "--pcap-dir: accounted packets not stored: buffer (the writer fell behind: raise "
     "--pcap-buffer or a faster disk), disk (a write failed).",
     P(not_stored), TOP | PSTORE, FP_PSTORE_LOSS_BUFFER, FP_PSTORE_LOSS_N, pstore_loss_name,
     "reason", "pcap_store.packets_not_stored"},
    {"pcap_store.packets_filtered", "pcap_packets_filtered_total",
     "--pcap-filter: accounted packets the filter did not match (not stored).", P(filtered),
     TOP | PSTORE},
    {"pcap_store.buffer_waits", "pcap_buffer_waits_total",
     "--pcap-dir with --read: times a worker waited for the writer (nothing lost).", P(waits),
     TOP | PSTORE},
    {"pcap_store.packets_not_indexed", "pcap_packets_not_indexed_total",
     "--pcap-dir: stored packets the index does not name (headers cut by --pcap-snaplen).",
     P(not_indexed), TOP | PSTORE},
    {"pcap_store.files", "pcap_files_total", "--pcap-dir: pcap files completed.", P(files),
     TOP | PSTORE},
    {"pcap_store.files_removed", "pcap_files_removed_total",
     "--pcap-dir-max: files removed, the oldest first.", P(files_removed), TOP | PSTORE},
    {"sampling.frames_not_sampled", "frames_not_sampled_total",
     "--sample: frames passed over (counted in frames).", W(not_sampled), TOP},
    {"packets_duplicate", "packets_duplicate_total",
     "--dedup: packets identical to one of the last --dedup packets, skipped (counted in "
     "frames, not in packets).",
     W(duplicates), TOP | WORKER},
    /* the exporter's counters, one for the run */
    {"records_exported", "exported_records_total", "Flow records in messages sent.",
     X(records_exported), RUN},
    {"records_exported_ipv4", "exported_records_ipv4_total", "IPv4 flow records sent.",
     X(records_by_family[0]), RUN},
    {"records_exported_ipv6", "exported_records_ipv6_total", "IPv6 flow records sent.",
     X(records_by_family[1]), RUN},
    {"packets_exported", "exported_packets_total", "Packets in the flow records sent.",
     X(packets_exported), RUN},
    {"bytes_exported", "exported_octets_total", "Octets in the flow records sent.",
     X(octets_exported), RUN},
    {"options_messages", "export_options_messages_total", "Messages that carried options records.",
     X(options_messages), RUN},
    {"records_not_exportable", "records_not_exportable_total",
     "Flow records the export format cannot carry (IPv6 in NetFlow v5).", X(records_not_exportable),
     RUN},
    {"records_payload_cut", "records_payload_cut_total",
     "--payload: IPFIX records whose payload elements were cut to fit one message (--mtu).",
     X(records_payload_cut), RUN},
    {"messages", "export_messages_total", "IPFIX / NetFlow v9 messages sent.", X(messages), RUN},
    {"template_messages", "export_template_messages_total", "Messages that carried the templates.",
     X(template_messages), RUN},
    {"message_bytes", "export_bytes_total", "Bytes of the messages sent (one copy).", X(bytes_sent),
     RUN},
    {"unpaced_ms", NULL, NULL, X(unpaced_ms), RUN}, /* a metric would be in seconds */
};
#pragma GCC diagnostic pop
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static const void *block_of(const struct fp_stats_blocks *b, enum block k)
{
	switch (k) {
	case B_WORKER:
		return &b->ws;
	case B_TABLE:
		return &b->ts;
	case B_FRAG:
		return &b->fs;
	case B_DPI:
		return &b->ds;
	case B_PSTORE:
		return &b->ps;
	case B_TLS:
		return &b->tl;
	default:
		return &b->xs;
	}
}

static uint64_t value(const struct row *r, const struct fp_stats_blocks *b, int i)
{
	uint64_t v;
	memcpy(&v, (const char *)block_of(b, r->block) + r->off + (size_t)i * sizeof(v), sizeof(v));
	return v;
}

void fp_stats_read(const struct fp_worker *w, struct fp_stats_blocks *out)
{
	memset(out, 0, sizeof(*out));
	fp_worker_stats_read(w, &out->ws);
	fp_table_stats_read(w->table, &out->ts);
	if (w->frag)
		fp_frag_stats_read(w->frag, &out->fs);
	if (w->dpi)
		fp_dpi_stats_read(w->dpi, &out->ds);
	if (w->pstore)
		fp_pstore_stats_read(w->pstore, &out->ps);
	if (w->tls)
		fp_tlsfp_stats_read(w->tls, &out->tl);
}

/* Rows of an optional feature appear only when it is on. */
static int shown(const struct row *r, unsigned groups)
{
	return (!(r->flags & DPI) || (groups & FP_STATS_DPI)) &&
	       (!(r->flags & PSTORE) || (groups & FP_STATS_PSTORE)) &&
	       (!(r->flags & TLS) || (groups & FP_STATS_TLS));
}

/* Every block is made of uint64_t counters only: sum word by word. */
static void add_words(void *sum, const void *one, size_t bytes)
{
	uint64_t *s = sum;
	const uint64_t *a = one;
	for (size_t i = 0; i < bytes / sizeof(uint64_t); i++)
		s[i] += a[i];
}

void fp_stats_sum(const struct fp_worker *workers, unsigned nw, struct fp_stats_blocks *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned w = 0; w < nw; w++) {
		struct fp_stats_blocks one;
		fp_stats_read(&workers[w], &one);
		add_words(sum, &one, sizeof(one));
	}
}

void fp_stats_json_put(json_t *root, const char *path, json_t *v)
{
	char part[64];
	const char *dot;
	while ((dot = strchr(path, '.')) != NULL) {
		size_t n = (size_t)(dot - path) < sizeof(part) - 1 ? (size_t)(dot - path)
								   : sizeof(part) - 1;
		memcpy(part, path, n);
		part[n] = '\0';
		json_t *next = json_object_get(root, part);
		if (next == NULL) {
			next = json_object();
			json_object_set_new(root, part, next);
		}
		root = next;
		path = dot + 1;
	}
	json_object_set_new(root, path, v);
}

/* One row into a summary object: a number, or an object by reason (and its total). */
static void put_row(json_t *obj, const struct row *r, const struct fp_stats_blocks *b)
{
	if (r->n == 0) {
		fp_stats_json_put(obj, r->key, json_integer((json_int_t)value(r, b, 0)));
		return;
	}
	uint64_t total = 0;
	json_t *by = json_object_get(obj, r->key);
	if (by == NULL) {
		by = json_object();
		fp_stats_json_put(obj, r->key, by);
	}
	for (int i = r->first; i < r->n; i++) {
		uint64_t v = value(r, b, i);
		total += v;
		json_object_set_new(by, r->name(i), json_integer((json_int_t)v));
	}
	if (r->sum_key)
		fp_stats_json_put(obj, r->sum_key, json_integer((json_int_t)total));
}

void fp_stats_summary(json_t *root, json_t *workers_array, const struct fp_stats_blocks *sum,
		      const struct fp_stats_blocks *per_worker, unsigned nw, unsigned groups)
{
	for (size_t k = 0; k < N_ROWS; k++)
		if (rows[k].key && (rows[k].flags & (TOP | RUN)) && shown(&rows[k], groups))
			put_row(root, &rows[k], sum);
	for (unsigned w = 0; w < nw; w++) {
		json_t *o = json_object();
		json_object_set_new(o, "worker", json_integer(w));
		for (size_t k = 0; k < N_ROWS; k++)
			if (rows[k].key && (rows[k].flags & WORKER) && shown(&rows[k], groups))
				put_row(o, &rows[k], &per_worker[w]);
		json_array_append_new(workers_array, o);
	}
}

void fp_stats_metrics(FILE *f, const struct fp_stats_blocks *per_worker, unsigned nw,
		      unsigned groups)
{
	for (size_t k = 0; k < N_ROWS; k++) {
		const struct row *r = &rows[k];
		if (r->metric == NULL || !shown(r, groups))
			continue;
		fprintf(f, "# HELP fluxprobe_%s %s\n# TYPE fluxprobe_%s %s\n", r->metric, r->help,
			r->metric, r->flags & GAUGE ? "gauge" : "counter");
		if (r->flags & RUN) {
			fprintf(f, "fluxprobe_%s %lu\n", r->metric,
				(unsigned long)value(r, &per_worker[0], 0));
			continue;
		}
		for (unsigned w = 0; w < nw; w++) {
			if (r->n == 0) {
				fprintf(f, "fluxprobe_%s{worker=\"%u\"} %lu\n", r->metric, w,
					(unsigned long)value(r, &per_worker[w], 0));
				continue;
			}
			for (int i = r->first; i < r->n; i++)
				fprintf(f, "fluxprobe_%s{worker=\"%u\",%s=\"%s\"} %lu\n", r->metric,
					w, r->label, r->name(i),
					(unsigned long)value(r, &per_worker[w], i));
		}
	}
}

uint64_t fp_stats_by_reason(const struct fp_stats_blocks *b, const char *key, char *buf, size_t len)
{
	uint64_t total = 0;
	size_t at = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < N_ROWS; k++) {
		const struct row *r = &rows[k];
		if (r->key == NULL || r->n == 0 || strcmp(r->key, key) != 0)
			continue;
		for (int i = r->first; i < r->n; i++) {
			uint64_t v = value(r, b, i);
			total += v;
			if (v && at < len)
				at +=
				    (size_t)snprintf(buf + at, len - at, "%s%s %lu", at ? ", " : "",
						     r->name(i), (unsigned long)v);
		}
	}
	return total;
}
