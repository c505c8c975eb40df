/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The collectors as one output of the exporter (sink.h): records encoded into MTU-sized IPFIX,
 * v9 or v5 messages, one stream per collector in balance mode or one for all, sent over UDP, TCP
 * or TLS (fp_transport), templates refreshed, the send rate paced.
 *
 * Templates go out in each stream's first message, then again once --template-interval has
 * passed or --template-packets messages were sent, and on a quiet link as a message of their
 * own, so a collector started late can decode within one interval (RFC 7011 §8.4 for UDP).
 *
 * Pacing smooths, it never starves. UDP has no flow control and a collector on default socket
 * buffers (nfcapd: 208 KiB, about 90 datagrams) loses whatever arrives in a burst while it is
 * not scheduled, so messages leave a stream evenly spaced, at the larger of --export-rate and
 * 1.25 x the rate at which flows are created (measured over 10 ms windows): the sustained rate
 * follows the flows. Live, workers expire flows only into ring room, so a backlog waits in the
 * tables; when a table has no room left (7/8 full, or evicting) and a ring is more than a
 * quarter full, the exporter stops pacing and sends as fast as the sockets take: a record
 * dropped because the ring overflowed is lost for sure, a datagram sent fast only maybe. Offline,
 * and live once the workers flush at the end, the workers wait for ring space (nothing is lost by
 * waiting), so
 * --export-rate alone sets the pace.
 */
#include "collectors.h"
#include "log.h"

#include "clock.h"
#include "fp_counters.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu/urcu-qsbr.h>

extern const struct fp_sink_module fp_collectors_module;

#define RATE_WINDOW_NS 10000000ull /* arrival-rate window */

/* Live: the gap between messages of one stream, from --export-rate, the flow rate and the
 * pressure on the tables (see the top of this file). Once per exporter loop. */
static void update_pace(struct fp_collectors *x)
{
	if (x->cfg->export_rate == 0 || __atomic_load_n(&x->ex->hurry, __ATOMIC_RELAXED)) {
		x->pace_gap_ns = 0;
		return;
	}
	uint64_t base = 1000000000ull / x->cfg->export_rate;
	uint64_t now = fp_mono_ns();
	int filling = 0, flushing = x->ex->offline;
	for (unsigned w = 0; w < x->ex->n_workers && !flushing; w++) {
		const struct fp_ring *r = &x->ex->workers[w].ring;
		filling |= fp_ring_count(r) > fp_ring_capacity(r) / 4;
		/* A worker flushing at the end waits for ring space, as offline ones do. */
		flushing |= __atomic_load_n(&x->ex->workers[w].flushing, __ATOMIC_RELAXED);
	}
	if (flushing) {
		x->pace_gap_ns = base;
		return;
	}
	if (now - x->win_start_ns >= RATE_WINDOW_NS) {
		/* Records follow flows: every flow created leaves as at least one record. Flows,
		 * not ring pushes, measure the need: pushes wait for ring room (worker.c), so they
		 * would only echo the exporter's own pace. */
		uint64_t created = 0, forced = 0;
		int full = 0;
		for (unsigned w = 0; w < x->ex->n_workers; w++) {
			struct fp_table_stats ts;
			fp_table_stats_read(x->ex->workers[w].table, &ts);
			created += ts.flows_created;
			forced += ts.records[FP_END_RESOURCES] + ts.records_dropped;
			full |= ts.active > x->cfg->max_flows / 8 * 7;
		}
		uint64_t per_msg = x->st.messages ? x->st.records_exported / x->st.messages : 20;
		/* messages per second each stream needs: flows/s / per_msg / streams x 1.25 */
		double need = (double)(created - x->win_created) * 1e9 /
			      (double)(now - x->win_start_ns) / (double)(per_msg ? per_msg : 1) /
			      (double)(x->ns ? x->ns : 1) * 1.25;
		x->need_gap_ns = need >= 1 ? (uint64_t)(1e9 / need) : 0;
		/* A table that is full, or evicting, has no room to wait in. */
		x->pressure = full || forced != x->win_forced;
		x->win_start_ns = now;
		x->win_created = created;
		x->win_forced = forced;
	}
	uint64_t gap = base;
	if (x->need_gap_ns && x->need_gap_ns < gap)
		gap = x->need_gap_ns;
	if (filling && x->pressure) {
		if (x->unpaced_since_ns == 0)
			x->unpaced_since_ns = now;
		gap = 0;
	} else if (x->unpaced_since_ns) {
		fp_counter_add(&x->st.unpaced_ms, (now - x->unpaced_since_ns) / 1000000);
		x->unpaced_since_ns = 0;
	}
	x->pace_gap_ns = gap;
}

static void flush_collectors(struct fp_collectors *x);

static void pace(struct fp_collectors *x, struct fp_stream *s)
{
	uint64_t gap = x->pace_gap_ns;
	if (gap == 0)
		return;
	uint64_t now = fp_mono_ns();
	/* At most 32 messages of credit after a quiet spell; sleep only when well ahead, since
	 * a sleep costs more than one message's gap at high rates. */
	if (s->pace_next_ns + 32 * gap < now)
		s->pace_next_ns = now - 32 * gap; /* now > 32 gaps here: no underflow */
	if (s->pace_next_ns > now + 200000) {
		uint64_t wait = s->pace_next_ns - now;
		struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ull),
				      .tv_nsec = (long)(wait % 1000000000ull)};
		flush_collectors(x); /* nothing waits in a queue while we sleep */
		nanosleep(&ts, NULL);
	}
	s->pace_next_ns += gap;
}

static int templates_due(const struct fp_collectors *x, const struct fp_stream *s)
{
	if (x->cfg->format == FP_FORMAT_NFV5)
		return 0; /* v5 has none */
	return s->msgs_since_tpl >= x->cfg->template_packets ||
	       fp_mono_ns() / 1000000 - s->last_tpl_mono_ms >= x->cfg->template_interval_ms ||
	       s->messages == 0;
}

/* Does the collector take this stream's messages? */
static int feeds(const struct fp_stream *s, const struct fp_collector *c)
{
	return s->only == NULL || s->only == c;
}

/* Totals for a stream's options records: what it sent, and what the probe could not export,
 * read from the workers' published counters. */
static void export_counters(const struct fp_collectors *x, const struct fp_stream *s,
			    struct fp_export_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->messages = s->messages;
	c->flow_records = s->records;
	c->octets = s->bytes;
	for (unsigned w = 0; w < x->ex->n_workers; w++) {
		struct fp_worker_stats ws;
		struct fp_table_stats ts;
		fp_worker_stats_read(&x->ex->workers[w], &ws);
		fp_table_stats_read(x->ex->workers[w].table, &ts);
		for (int r = FP_PARSE_NOT_IP; r < FP_PARSE_NRESULTS; r++)
			c->ignored_packets += ws.parse[r];
		c->ignored_octets += ws.ignored_bytes;
		c->notsent_flows += ts.records_dropped;
		c->notsent_packets += ts.dropped_packets;
		c->notsent_octets += ts.dropped_octets;
	}
	/* Messages a TCP collector's backlog had to drop never reached it either. */
	for (unsigned i = 0; i < x->cur->n; i++) {
		const struct fp_backlog *b = &x->cur->c[i]->backlog;
		if (!feeds(s, x->cur->c[i]))
			continue;
		c->notsent_flows += b->dropped.records;
		c->notsent_packets += b->dropped.packets;
		c->notsent_octets += b->dropped.octets;
	}
}

/* Options template and records after the data templates; skipped if the message is too small. */
static int options_due(const struct fp_collectors *x, const struct fp_stream *s)
{
	return !x->cfg->no_options &&
	       (s->last_opt_mono_ms == 0 ||
		fp_mono_ns() / 1000000 - s->last_opt_mono_ms >= x->cfg->options_interval_ms);
}

/* Options data records (after the templates, which carry the options templates). */
static void add_options(struct fp_collectors *x, struct fp_stream *s)
{
	struct fp_export_counters c;
	uint32_t before = s->enc.msg_records;
	export_counters(x, s, &c);
	if (fp_encode_options(&s->enc, &c) == 0) {
		fp_counter_add(&x->st.options_messages, 1);
		s->last_opt_mono_ms = fp_mono_ns() / 1000000;
		/* --dpi: the application names go again as their ids come, for a collector
		 * that started since */
		memset(s->app_named, 0, sizeof(s->app_named));
	}
	s->msg_option_records = s->enc.msg_records - before;
}

static void encoder_start(const struct fp_collectors *x, struct fp_encoder *e, uint8_t *buf,
			  size_t cap)
{
	fp_encode_init(e, x->cfg->format, x->cfg->domain, buf, cap, fp_exporter_boot_ms(x->ex));
	fp_encode_layout(e, x->cfg->biflow, fp_config_groups(x->cfg));
	if (x->cfg->sample_n > 1) /* v5 header: 2 bits mode (1 = every Nth), 14 interval */
		e->v5_sampling =
		    (uint16_t)((x->cfg->sample_random ? 2u : 1u) << 14 | x->cfg->sample_n);
}

static void msg_begin(struct fp_collectors *x, struct fp_stream *s)
{
	if (!s->started) {
		encoder_start(x, &s->enc, s->buf, x->cur->max_msg);
		s->started = 1;
	}
	s->enc.cap = x->cur->max_msg; /* a reload may have brought a collector with a smaller MTU */
	fp_encode_begin(&s->enc, fp_exporter_time(x->ex));
	s->msg_option_records = 0;
	s->msg_meta = (struct fp_msg_meta){0};
	s->tpl_end = s->enc.len;
	if (templates_due(x, s)) {
		fp_encode_templates(&s->enc);
		if (!x->cfg->no_options)
			fp_encode_options_templates(&s->enc);
		if (x->cfg->sample_n > 1)
			fp_encode_sampling_template(&s->enc);
		if (x->cfg->dpi && !x->cfg->no_options)
			fp_encode_app_template(&s->enc);
		s->tpl_end = s->enc.len;
		/* The sampling interval rides every template refresh, so that a collector that
		 * (re)starts scales from its first decoded message on. */
		if (x->cfg->sample_n > 1) {
			uint32_t before = s->enc.msg_records;
			fp_encode_sampling(&s->enc, x->cfg->sample_n,
					   x->cfg->sample_random ? FP_SAMPLING_RANDOM
								 : FP_SAMPLING_DETERMINISTIC);
			s->msg_option_records += s->enc.msg_records - before;
		}
		s->last_tpl_mono_ms = fp_mono_ns() / 1000000;
		s->msgs_since_tpl = 0;
		fp_counter_add(&x->st.template_messages, 1);
	}
	if (options_due(x, s)) {
		uint32_t sampling_records = s->msg_option_records;
		add_options(x, s);
		s->msg_option_records += sampling_records;
	}
	s->msg_open = 1;
}

/* At most one log line per collector every 10 s, with the count since the last one; a TCP
 * collector's connections coming and going are logged when they happen; a TLS handshake that
 * fails for a reason not logged before is logged at once with it. */
static void log_send_errors(struct fp_collector *c)
{
	if (c->tls_failures != c->tls_failures_logged) {
		if (strcmp(c->tls_reason, c->tls_reason_logged) != 0) {
			fp_log(LOG_ERR,
			       "collector %s: TLS %s; retrying with backoff (check --tls-ca, the "
			       "collector's certificate and its name), capture goes on",
			       c->name, c->tls_reason);
			snprintf(c->tls_reason_logged, sizeof(c->tls_reason_logged), "%s",
				 c->tls_reason);
		}
		c->tls_failures_logged = c->tls_failures;
	}
	if (c->connects != c->connects_logged || c->disconnects != c->disconnects_logged) {
		if (c->disconnects != c->disconnects_logged)
			fp_log(LOG_WARNING, "collector %s: connection lost (%s); reconnecting",
			       c->name, strerror(c->last_errno));
		if (c->connects != c->connects_logged)
			fp_log(LOG_NOTICE,
			       "collector %s: connected; templates sent, %lu "
			       "queued messages follow",
			       c->name, (unsigned long)c->backlog.msgs + (c->out_len != 0));
		c->connects_logged = c->connects;
		c->disconnects_logged = c->disconnects;
		c->send_errors_logged = c->send_errors; /* the change said it all */
		c->last_log_ms = fp_mono_ns() / 1000000;
	}
	if (c->send_errors == c->send_errors_logged)
		return;
	uint64_t now = fp_mono_ns() / 1000000;
	if (c->last_log_ms && now - c->last_log_ms < 10000)
		return;
	if (c->proto == FP_PROTO_TCP)
		fp_log(LOG_WARNING,
		       "collector %s: %lu failed connection attempts (%s); %lu messages "
		       "queued, %lu dropped; capture goes on",
		       c->name, (unsigned long)(c->send_errors - c->send_errors_logged),
		       strerror(c->last_errno), (unsigned long)c->backlog.msgs,
		       (unsigned long)c->backlog.dropped_msgs);
	else
		fp_log(LOG_WARNING, "collector %s: %lu datagram%s not sent (%s); capture goes on",
		       c->name, (unsigned long)(c->send_errors - c->send_errors_logged),
		       c->send_errors - c->send_errors_logged == 1 ? "" : "s",
		       strerror(c->last_errno));
	c->send_errors_logged = c->send_errors;
	c->last_log_ms = now;
}

/* After anything that sent to collector c: its errors logged, the records its backlog dropped
 * since the last look counted (the collectors' loss, read by the summary and the last lines). */
static void after_send(struct fp_collectors *x, struct fp_collector *c)
{
	log_send_errors(c);
	uint64_t dropped = __atomic_load_n(&c->backlog.dropped.records, __ATOMIC_RELAXED);
	if (dropped != c->records_lost_seen) {
		fp_counter_add(&x->records_lost, dropped - c->records_lost_seen);
		__atomic_store_n(&x->lost_errno, c->last_errno, __ATOMIC_RELAXED);
		c->records_lost_seen = dropped;
	}
}

/* UDP datagrams queued (fp_collector_send) go out now. */
static void flush_collectors(struct fp_collectors *x)
{
	for (unsigned i = 0; i < x->cur->n; i++) {
		fp_collector_flush(x->cur->c[i]);
		after_send(x, x->cur->c[i]);
	}
}

/* The message for stream collectors: the same, less the template sets, which a TCP session
 * carries once, at its start (RFC 7011 §8.1 and §10.4: no template refresh over TCP). Returns
 * its length, 0 when nothing but the header would be left. */
static size_t strip_templates(struct fp_collectors *x, struct fp_stream *s, size_t len)
{
	size_t hdr = fp_encode_header_len(x->cfg->format);
	size_t cut = s->tpl_end - hdr;
	if (len - cut <= hdr)
		return 0;
	memcpy(s->tcp_buf, s->buf, hdr);
	memcpy(s->tcp_buf + hdr, s->buf + s->tpl_end, len - s->tpl_end);
	size_t n = len - cut;
	s->tcp_buf[2] = (uint8_t)(n >> 8); /* IPFIX header: message length */
	s->tcp_buf[3] = (uint8_t)n;
	return n;
}

static void msg_send(struct fp_collectors *x, struct fp_stream *s)
{
	uint32_t nrec = s->enc.msg_records - s->msg_option_records;
	size_t len = fp_encode_finish(&s->enc);
	int tcp = s->only ? s->only->proto == FP_PROTO_TCP : x->cur->n_tcp > 0;
	size_t tcp_len = tcp ? strip_templates(x, s, len) : 0;

	s->msg_meta.records = nrec;
	/* a UDP collector far away is paced; one on this host is watched instead (fp_transport),
	 * unless no socket receives there (a capture on the loopback may be all there is) */
	for (unsigned i = 0; i < x->cur->n; i++) {
		const struct fp_collector *c = x->cur->c[i];
		if (feeds(s, c) && c->proto == FP_PROTO_UDP &&
		    (!c->same_host || !c->rx_found || x->cfg->export_rate_given)) {
			pace(x, s);
			break;
		}
	}
	for (unsigned i = 0; i < x->cur->n; i++) {
		struct fp_collector *c = x->cur->c[i];
		if (!feeds(s, c))
			continue;
		if (c->proto == FP_PROTO_UDP)
			fp_collector_send(c, s->buf, len, &s->msg_meta, x->ex->offline);
		else if (tcp_len)
			fp_collector_send(c, s->tcp_buf, tcp_len, &s->msg_meta, x->ex->offline);
		after_send(x, c);
	}
	s->messages++;
	s->records += nrec;
	s->bytes += len;
	fp_counter_add(&x->st.messages, 1);
	fp_counter_add(&x->st.bytes_sent, len);
	fp_counter_add(&x->st.records_exported, nrec);
	s->msgs_since_tpl++;
	s->msg_open = 0;
}

/* The templates (and options templates) alone in one message, numbered like the stream's next
 * one. */
static size_t templates_msg(struct fp_collectors *x, struct fp_stream *s, uint8_t *buf, size_t cap)
{
	struct fp_encoder e;
	if (s->started) {
		e = s->enc; /* same domain, sequence and v9 uptime origin */
		e.buf = buf;
	} else {
		encoder_start(x, &e, buf, cap);
	}
	e.cap = cap < x->cur->max_msg ? cap : x->cur->max_msg;
	fp_encode_begin(&e, fp_exporter_time(x->ex));
	fp_encode_templates(&e);
	if (!x->cfg->no_options)
		fp_encode_options_templates(&e);
	if (x->cfg->sample_n > 1)
		fp_encode_sampling_template(&e);
	if (x->cfg->dpi && !x->cfg->no_options)
		fp_encode_app_template(&e);
	return fp_encode_finish(&e);
}

/* What a new TCP connection starts with (the transport renumbers it for the connection). */
size_t fp_collectors_greeting(void *ctx, uint8_t *buf, size_t cap)
{
	struct fp_stream *s = ctx;
	return templates_msg(s->x, s, buf, cap);
}

/* A new collector list (SIGHUP), duplicate mode: its UDP collectors get the templates now,
 * before any data, even into the middle of a message being built (TCP ones get them when they
 * connect). In balance mode a new collector comes with a new stream, which starts with them. */
static void announce_templates(struct fp_collectors *x)
{
	struct fp_stream *s = x->dup;
	if (x->balance || !s->started || x->cur->n_tcp == x->cur->n ||
	    x->cfg->format == FP_FORMAT_NFV5)
		return;
	size_t len = templates_msg(x, s, s->tcp_buf, sizeof(s->tcp_buf));
	struct fp_msg_meta none = {0};
	for (unsigned i = 0; i < x->cur->n; i++)
		if (x->cur->c[i]->proto == FP_PROTO_UDP)
			fp_collector_send(x->cur->c[i], s->tcp_buf, len, &none, 0);
	if (x->cfg->format == FP_FORMAT_NFV9)
		s->enc.seq++; /* v9 numbers export packets: this was one */
	fp_counter_add(&x->st.template_messages, 1);
}

/* Keep stream collectors moving: connect, write what is queued. */
static void pump_collectors(struct fp_collectors *x)
{
	if (x->cur->n_tcp == 0)
		return;
	uint64_t now = fp_mono_ns() / 1000000;
	for (unsigned i = 0; i < x->cur->n; i++) {
		fp_collector_pump(x->cur->c[i], now);
		after_send(x, x->cur->c[i]);
	}
}

/* Balance mode: the stream of the collector this flow belongs to. The key is hashed in its
 * canonical orientation, so both directions of a connection meet at one collector. */
static struct fp_stream *stream_for(const struct fp_collectors *x, const struct fp_record *r)
{
	if (x->ns == 1)
		return x->sv[0];
	struct fp_flow_key k = r->key;
	fp_key_canonicalize(&k);
	uint64_t h = fp_key_hash(&k) >> 32;
	return x->sv[(h * x->ns) >> 32];
}

/* --dpi: the first record of an application in this stream (since the last options) is preceded
 * by an options record naming its id, as NBAR exporters do, so collectors show names. */
static void name_app(struct fp_collectors *x, struct fp_stream *s, const struct fp_app *app)
{
	uint16_t id = fp_app_id(app);
	if (s->app_named[id / 8] & (1u << (id % 8)))
		return;
	const char *name = fp_app_id_name(app);
	if (fp_encode_app_name(&s->enc, id, name) != 0) {
		msg_send(x, s);
		msg_begin(x, s);
		if (fp_encode_app_name(&s->enc, id, name) != 0)
			return;
	}
	s->msg_option_records++;
	s->app_named[id / 8] |= (uint8_t)(1u << (id % 8));
}

static void add_one(struct fp_collectors *x, struct fp_stream *s, const struct fp_record *r,
		    const struct fp_side *side)
{
	const struct fp_app *app = side ? side->app : NULL;
	if (x->cur->n == 0) {
		/* no collector (only files or JSON lines): counted as exported, not encoded for
		 * nobody; a collector added by SIGHUP starts the messages */
		fp_counter_add(&x->st.records_exported, 1);
		goto count;
	}
	if (!s->msg_open)
		msg_begin(x, s);
	if (app && (app->flags & FP_APP_CLASSIFIED) && !x->cfg->no_options &&
	    x->cfg->format != FP_FORMAT_NFV5)
		name_app(x, s, app);
	if (fp_encode_record_side(&s->enc, r, side) != 0) {
		msg_send(x, s);
		msg_begin(x, s);
		fp_encode_record_side(&s->enc, r, side); /* an empty message has room for one */
	}
	if (s->enc.payload_cut) /* the JSON lines, files and ClickHouse have it whole */
		fp_counter_add(&x->st.records_payload_cut, 1);
	s->msg_meta.packets += r->packets;
	s->msg_meta.octets += r->octets;
count:
	fp_counter_add(&x->st.records_by_family[r->key.ipver == 6], 1);
	fp_counter_add(&x->st.packets_exported, r->packets);
	fp_counter_add(&x->st.octets_exported, r->octets);
}

/* A record for the collectors: into its stream's message; v5 carries IPv4 only, in 32-bit
 * counters: IPv6 flows are counted as not exportable, and a flow past 2^32 packets or octets goes
 * out in several records that add up exactly. */
static void coll_take(void *priv, const struct fp_record *r, const struct fp_side *side,
		      uint64_t clock_ms)
{
	struct fp_collectors *x = priv;
	struct fp_stream *s = stream_for(x, r);
	(void)clock_ms; /* messages carry their own export time */
	if (x->cfg->format != FP_FORMAT_NFV5) {
		add_one(x, s, r, side);
		return;
	}
	if (r->key.ipver != 4) {
		fp_counter_add(&x->st.records_not_exportable, 1);
		return;
	}
	struct fp_record part = *r;
	uint64_t packets = r->packets, octets = r->octets;
	do {
		part.packets = packets < FP_NFV5_MAX_COUNT ? packets : FP_NFV5_MAX_COUNT;
		part.octets = octets < FP_NFV5_MAX_COUNT ? octets : FP_NFV5_MAX_COUNT;
		packets -= part.packets;
		octets -= part.octets;
		add_one(x, s, &part, NULL);
	} while (packets || octets);
}

/* The streams of the set just loaded: one per collector in balance mode, else the one. */
static void load_streams(struct fp_collectors *x)
{
	if (x->balance && x->cur->n) {
		x->sv = x->cur->s;
		x->ns = x->cur->n;
	} else {
		x->sv = &x->dup;
		x->ns = 1;
	}
}

static struct fp_stream *stream_new(struct fp_collectors *x, struct fp_collector *only)
{
	struct fp_stream *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		fp_log(LOG_ERR, "cannot allocate an export stream");
		return NULL;
	}
	s->x = x;
	s->only = only;
	return s;
}

/* Which of the two a UDP collector gets: watched on this host, paced far away. */
static void log_pacing(const struct fp_collectors *x, const struct fp_collector *c);

void fp_collectors_log(const struct fp_collectors *x)
{
	for (unsigned i = 0; i < x->cset->n; i++)
		log_pacing(x, x->cset->c[i]);
}

static void log_pacing(const struct fp_collectors *x, const struct fp_collector *c)
{
	if (c->proto != FP_PROTO_UDP)
		return;
	if (c->same_host && c->rx_found)
		fp_log(LOG_NOTICE,
		       "collector %s: on this host: sent as fast as its socket takes them%s, never "
		       "past half its receive buffer (%u KiB now); its drops are reported",
		       c->name, x->cfg->export_rate_given ? " and --export-rate allows" : "",
		       c->rx_rcvbuf / 1024);
	else if (c->same_host)
		fp_log(LOG_NOTICE,
		       "collector %s: on this host, nothing receives there yet: paced at "
		       "--export-rate "
		       "until a socket appears, then watched",
		       c->name);
	else if (x->cfg->export_rate)
		fp_log(
		    LOG_INFO,
		    "collector %s: paced at %u messages/s or 1.25 x the flow rate (--export-rate)",
		    c->name, x->cfg->export_rate);
}

/* The names of the collectors, for messages (main thread, before the set is published). */
static void name_targets(struct fp_collectors *x, const struct fp_config *cfg)
{
	size_t at = 0;
	x->targets[0] = 0;
	for (unsigned i = 0; i < cfg->n_collectors && at < sizeof(x->targets); i++)
		at += (size_t)snprintf(x->targets + at, sizeof(x->targets) - at, "%s%s",
				       i ? ", " : "", cfg->collectors[i].name);
	if (cfg->n_collectors == 0)
		snprintf(x->targets, sizeof(x->targets), "(none)");
}

/* Close and free the collectors of `set` that `keep` does not hold (and their streams), then the
 * set. */
static void set_free(struct fp_collector_set *set, const struct fp_collector_set *keep)
{
	if (set == NULL)
		return;
	for (unsigned i = 0; i < set->n; i++) {
		int kept = 0;
		for (unsigned j = 0; keep && j < keep->n; j++)
			kept |= keep->c[j] == set->c[i];
		if (!kept) {
			fp_collector_close(set->c[i]);
			free(set->c[i]);
			free(set->s[i]);
		}
	}
	free(set);
}

/* A set for cfg's collectors: those of `old` with the same name are taken over (socket, TCP
 * connection, backlog and stream intact), the others opened. NULL after logging what failed. */
static struct fp_collector_set *set_open(struct fp_collectors *x, const struct fp_config *cfg,
					 const struct fp_collector_set *old)
{
	struct fp_collector_set *set = calloc(1, sizeof(*set));
	if (set == NULL)
		return NULL;
	set->max_msg = 65535 - 8 - 40;
	for (unsigned i = 0; i < cfg->n_collectors; i++) {
		struct fp_collector *c = NULL;
		struct fp_stream *s = NULL;
		for (unsigned j = 0; old && j < old->n; j++)
			if (strcmp(old->c[j]->name, cfg->collectors[i].name) == 0) {
				c = old->c[j];
				s = old->s[j];
			}
		if (c == NULL) {
			c = malloc(sizeof(*c));
			if (c == NULL)
				goto fail;
			*c = cfg->collectors[i];
			if (x->balance && (s = stream_new(x, c)) == NULL) {
				free(c);
				goto fail;
			}
			int e = fp_collector_open(c, cfg->export_backlog, fp_collectors_greeting,
						  s ? s : x->dup);
			if (e) {
				fp_log(LOG_ERR, "collector %s: %s", c->name, strerror(-e));
				free(c);
				free(s);
				goto fail;
			}
			if (old) /* a reload; at start-up main says it once detached */
				log_pacing(x, c);
		}
		set->c[set->n] = c;
		set->s[set->n++] = s;
		set->n_tcp += c->proto == FP_PROTO_TCP;
		size_t m = fp_collector_max_payload(c, cfg->mtu);
		if (m < set->max_msg)
			set->max_msg = m;
	}
	if (set->max_msg > cfg->mtu - 28)
		set->max_msg = cfg->mtu - 28;
	return set;
fail:
	set_free(set, old);
	return NULL;
}

int fp_collectors_open(struct fp_collectors *x)
{
	x->dup = stream_new(x, NULL);
	if (x->dup == NULL)
		return -1;
	x->cur = set_open(x, x->cfg, NULL);
	x->cset = x->prev_set = x->cur;
	if (x->cur == NULL)
		return -1;
	name_targets(x, x->cfg);
	return 0;
}

int fp_collectors_reload(struct fp_collectors *x, const struct fp_config *cfg)
{
	struct fp_collector_set *old = x->cset; /* only this thread writes the pointer */
	struct fp_collector_set *set = set_open(x, cfg, old);
	if (set == NULL)
		return -1;
	name_targets(x, cfg);
	rcu_assign_pointer(x->cset, set);
	urcu_qsbr_synchronize_rcu(); /* the exporter has left every loop that used `old` */
	set_free(old, set);
	return 0;
}

void fp_collectors_close(struct fp_collectors *x)
{
	set_free(x->cset, NULL);
	x->cset = x->cur = NULL;
	free(x->dup);
	x->dup = NULL;
}

/* Each exporter loop: the collector set published now (SIGHUP may have swapped it; it is used
 * only until the loop's end), templates for new UDP collectors, the pace. */
static void coll_begin(void *priv)
{
	struct fp_collectors *x = priv;
	x->cur = rcu_dereference(x->cset);
	load_streams(x);
	if (x->cur != x->prev_set) {
		x->prev_set = x->cur;
		announce_templates(x);
	}
	update_pace(x);
}

/* Busy: stream collectors are pumped every 64 loops. Idle: pumped, a message pending for 20
 * loops (about 10 ms) sent, templates and options kept fresh on a quiet link. */
static void coll_tick(void *priv, uint64_t clock_ms, unsigned idle)
{
	struct fp_collectors *x = priv;
	(void)clock_ms;
	if (idle == 0) {
		if ((++x->busy_loops & 63) == 0)
			pump_collectors(x);
	} else {
		pump_collectors(x);
		for (unsigned i = 0; i < x->ns; i++) {
			struct fp_stream *s = x->sv[i];
			if (idle >= 20 && s->msg_open)
				msg_send(x, s);
			else if (!s->msg_open && s->started &&
				 (templates_due(x, s) || options_due(x, s))) {
				msg_begin(x, s);
				msg_send(x, s);
			}
		}
	}
	flush_collectors(x); /* what this pass over the rings queued leaves now */
}

/* The end: what is pending, then the final totals in one last message with the options records
 * (RFC 7011 §4: at shutdown); stream collectors get what is queued, then a clean close. */
static void coll_finish(void *priv, uint64_t clock_ms)
{
	struct fp_collectors *x = priv;
	(void)clock_ms;
	for (unsigned i = 0; i < x->ns; i++) {
		struct fp_stream *s = x->sv[i];
		if (s->msg_open)
			msg_send(x, s);
		if (s->started && !x->cfg->no_options) {
			s->msgs_since_tpl = x->cfg->template_packets; /* templates + options now */
			s->last_opt_mono_ms = 0;
			msg_begin(x, s);
			msg_send(x, s);
		}
	}
	if (x->unpaced_since_ns)
		fp_counter_add(&x->st.unpaced_ms, (fp_mono_ns() - x->unpaced_since_ns) / 1000000);
	for (unsigned i = 0; i < x->cur->n; i++) {
		fp_collector_flush(x->cur->c[i]);
		fp_collector_drain(x->cur->c[i], FP_DRAIN_MS);
		fp_collector_rx_update(x->cur->c[i]); /* the drops of a socket on this host */
		after_send(x, x->cur->c[i]);
	}
}

static void coll_reopen(void *priv)
{
	(void)priv; /* sockets: nothing to reopen (SIGHUP reloads the list: fp_collectors_reload) */
}

static void coll_stats(const void *priv, struct fp_sink_stats *out)
{
	const struct fp_collectors *x = priv;
	memset(out, 0, sizeof(*out));
	out->records = __atomic_load_n(&x->st.records_exported, __ATOMIC_RELAXED);
	out->records_lost = __atomic_load_n(&x->records_lost, __ATOMIC_RELAXED);
	out->last_errno = __atomic_load_n(&x->lost_errno, __ATOMIC_RELAXED);
}

static const char *coll_target(const void *priv)
{
	return ((const struct fp_collectors *)priv)->targets;
}

const struct fp_sink_ops fp_collectors_ops = {
    .name = "collectors",
    .lost_what = "flow records",
    .lost_how = "dropped from TCP collector backlogs of --collector",
    .remedy = "a collector was down or slower than the flows; raise --export-backlog",
    .by_family = 1,
    .begin = coll_begin,
    .take = coll_take,
    .tick = coll_tick,
    .reopen = coll_reopen,
    .finish = coll_finish,
    .stats = coll_stats,
    .target = coll_target,
};

/* The collectors as a sink module (sink.h): always there (a run with none still counts what it
 * would have exported, and SIGHUP may add some). */
static int coll_wanted(const struct fp_config *cfg)
{
	(void)cfg;
	return 1;
}

static int coll_open(const struct fp_config *cfg, const struct fp_sink_env *env,
		     struct fp_sink *out)
{
	struct fp_collectors *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return -1;
	k->ex = env->x;
	k->cfg = cfg;
	k->balance = cfg->collector_balance;
	if (fp_collectors_open(k) != 0) {
		fp_collectors_close(k);
		free(k);
		return -1;
	}
	*out = (struct fp_sink){&fp_collectors_ops, k, &fp_collectors_module};
	return 0;
}

static void coll_close(void *p)
{
	fp_collectors_close(p);
	free(p);
}

void fp_collectors_stats_read(const struct fp_collectors *k, struct fp_exporter_stats *out)
{
	fp_counters_copy(out, &k->st, sizeof(*out));
}

struct fp_collectors *fp_collectors_of(const struct fp_exporter *x)
{
	for (unsigned i = 0; i < x->n_sinks; i++)
		if (x->sinks[i].module == &fp_collectors_module)
			return x->sinks[i].priv;
	return NULL;
}

const struct fp_sink_module fp_collectors_module = {
    .name = "collectors",
    .wanted = coll_wanted,
    .open = coll_open,
    .close = coll_close,
};
