/* SPDX-License-Identifier: BSD-3-Clause */
#include "jsonout.h"

#include "fp_cid.h"
#include "fp_encode.h"

#include "log.h"
#include "pcapstore.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

int fp_jsonout_open(struct fp_jsonout *j, const char *path)
{
	memset(j, 0, sizeof(*j));
	j->path = path;
	if (strcmp(path, "-") == 0) {
		j->f = stdout;
		j->is_stdout = 1;
		return 0;
	}
	j->f = fopen(path, "a");
	if (j->f == NULL) {
		fp_log(LOG_ERR, "--json %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ISO 8601 UTC of Unix µs `us`, with `digits` (3 or 6) of fraction: 2026-01-01T00:00:00.001Z */
json_t *fp_json_time(uint64_t us, int digits)
{
	char buf[40];
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (digits == 6)
		snprintf(buf + n, sizeof(buf) - n, ".%06uZ", (unsigned)(us % 1000000));
	else
		snprintf(buf + n, sizeof(buf) - n, ".%03uZ", (unsigned)(us % 1000000 / 1000));
	return json_string(buf);
}

static json_t *mac(const uint8_t *m)
{
	char buf[18];
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return json_string(buf);
}

json_t *fp_json_addr(int ipver, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];
	inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	return json_string(buf);
}

/* --fields, as the templates carry them; MPLS label stack sections as IPFIX octetArrays, in
 * hex (label, traffic class, bottom-of-stack bit: 3 octets). */
static void add_fields(const struct fp_jsonout *j, json_t *o, const struct fp_record *r)
{
	static const char *const mpls_names[3] = {
	    "mplsTopLabelStackSection", "mplsLabelStackSection2", "mplsLabelStackSection3"};

	if (j->fields & FP_FIELD_INGRESS)
		json_object_set_new(o, "ingressInterface", json_integer(r->more.ingress));
	if (j->fields & FP_FIELD_VLAN) {
		json_object_set_new(o, "dot1qVlanId", json_integer(r->key.vlan));
		json_object_set_new(o, "dot1qCustomerVlanId", json_integer(r->more.vlan_inner));
	}
	if ((j->fields & FP_FIELD_FLOW_LABEL) && r->key.ipver == 6)
		json_object_set_new(o, "flowLabelIPv6", json_integer(r->more.flow_label));
	if (j->fields & FP_FIELD_MPLS)
		for (int i = 0; i < 3; i++) {
			char hex[7];
			const uint8_t *m = r->more.mpls[i];
			snprintf(hex, sizeof(hex), "%02x%02x%02x", m[0], m[1], m[2]);
			json_object_set_new(o, mpls_names[i], json_string(hex));
		}
	if (j->fields & FP_FIELD_TUNNEL) {
		json_object_set_new(o, "greKey", json_integer(r->more.gre_key));
		json_object_set_new(o, "layer2SegmentId", json_integer((json_int_t)r->l2_segment));
	}
	/* no IANA IEs: named as what they are, in µs, present only when measured */
	static const char *const lat_names[FP_LAT_N] = {
	    [FP_LAT_CLIENT] = "clientNetworkLatencyMicroseconds",
	    [FP_LAT_SERVER] = "serverNetworkLatencyMicroseconds",
	    [FP_LAT_APPL] = "applicationLatencyMicroseconds",
	};
	if (j->fields & FP_FIELD_LATENCY)
		for (int k = 0; k < FP_LAT_N; k++)
			if (r->lat_known & (1u << k))
				json_object_set_new(o, lat_names[k], json_integer(r->lat_us[k]));
}

/* A write or flush failed: the lines stdio held since the last good flush are lost. Said once
 * in the log at once (the rest is counted: summary, final LOSS line, exit status). */
static void write_failed(struct fp_jsonout *j)
{
	j->last_errno = errno;
	j->errors += j->pending;
	j->pending = 0;
	clearerr(j->f); /* a later line may fit again (space freed, reader back) */
	if (!j->warned) {
		fp_log(LOG_ERR, "--json %s: cannot write (%s); lines not written are counted",
		       j->path, strerror(j->last_errno));
		j->warned = 1;
	}
}

/* A name from the wire as a JSON string: printable ASCII kept (lowercased with `lower`), any
 * other byte as '?' (what nDPI extracted is not always valid UTF-8, and a line must stay valid
 * JSON). */
json_t *fp_json_wire(const char *s, int lower)
{
	char buf[128];
	size_t n = 0;
	for (; s[n] && n < sizeof(buf) - 1; n++) {
		unsigned char c = (unsigned char)s[n];
		buf[n] = c >= 0x20 && c < 0x7f ? (char)(lower ? tolower(c) : c) : '?';
	}
	buf[n] = '\0';
	return json_string(buf);
}

/* --dpi: the application and the names found, each only when known. */
static void add_app(json_t *o, const struct fp_app *a)
{
	if (a == NULL || !(a->flags & FP_APP_CLASSIFIED))
		return;
	json_object_set_new(o, "applicationName", fp_json_wire(a->app_name, 0));
	json_object_set_new(o, "applicationId", json_integer(a->app ? a->app : a->master));
	if (a->flags & FP_APP_GUESSED)
		json_object_set_new(o, "applicationGuessed", json_true());
	if ((a->flags & FP_APP_TLS_SNI) && a->name[0])
		json_object_set_new(o, "tlsServerName", fp_json_wire(a->name, 0));
	if (a->flags & FP_APP_DNS) {
		json_object_set_new(o, "dnsQueryName", fp_json_wire(a->name, 0));
		json_object_set_new(o, "dnsQueryType", json_integer(a->dns_qtype));
		json_object_set_new(o, "dnsResponseCode", json_integer(a->dns_rcode));
	}
	if (a->flags & FP_APP_HTTP) {
		if (a->name[0])
			json_object_set_new(o, "httpRequestHost", fp_json_wire(a->name, 0));
		if (a->http_method[0])
			json_object_set_new(o, "httpRequestMethod",
					    fp_json_wire(a->http_method, 0));
		if (a->http_status)
			json_object_set_new(o, "httpStatusCode", json_integer(a->http_status));
		if (a->user_agent[0])
			json_object_set_new(o, "httpUserAgent", fp_json_wire(a->user_agent, 0));
	}
}

/* The record with IANA IPFIX information element names (--json-schema ipfix). */
json_t *fp_json_pcap_files(const struct fp_jsonout *j, const struct fp_record *r)
{
	uint64_t len = (uint64_t)j->pcap_rotate_s * 1000, last = r->last_us / 1000;
	json_t *a = json_array();
	char name[64];
	/* one name per slot the flow lasted in; an active timeout bounds how many */
	for (uint64_t ms = r->first_us / 1000 / len * len; ms <= last && json_array_size(a) < 64;
	     ms += len) {
		fp_pstore_name(j->pcap_rotate_s, r->worker, ms, name, sizeof(name));
		json_array_append_new(a, json_string(name));
	}
	return a;
}

static json_t *ipfix_object(const struct fp_jsonout *j, const struct fp_record *r,
			    const struct fp_app *app)
{
	const struct fp_flow_key *k = &r->key;
	int v6 = k->ipver == 6;
	int icmp = k->proto == 1 || k->proto == 58;
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "flowStartMilliseconds", fp_json_time(r->first_us, 3));
	json_object_set_new(o, "flowEndMilliseconds", fp_json_time(r->last_us, 3));
	json_object_set_new(o, "flowStartMicroseconds", fp_json_time(r->first_us, 6));
	json_object_set_new(o, "flowEndMicroseconds", fp_json_time(r->last_us, 6));
	json_object_set_new(o, "ipVersion", json_integer(k->ipver));
	json_object_set_new(o, v6 ? "sourceIPv6Address" : "sourceIPv4Address",
			    fp_json_addr(k->ipver, k->src));
	json_object_set_new(o, v6 ? "destinationIPv6Address" : "destinationIPv4Address",
			    fp_json_addr(k->ipver, k->dst));
	json_object_set_new(o, "protocolIdentifier", json_integer(k->proto));
	if (icmp) {
		json_object_set_new(o, v6 ? "icmpTypeCodeIPv6" : "icmpTypeCodeIPv4",
				    json_integer(r->icmp_type_code));
	} else {
		json_object_set_new(o, "sourceTransportPort", json_integer(k->sport));
		json_object_set_new(o, "destinationTransportPort", json_integer(k->dport));
	}
	if (k->proto == 6)
		json_object_set_new(o, "tcpControlBits", json_integer(r->tcp_flags));
	json_object_set_new(o, "ipClassOfService", json_integer(r->tos));
	if (k->vlan)
		json_object_set_new(o, "vlanId", json_integer(k->vlan));
	json_object_set_new(o, "minimumTTL", json_integer(r->ttl_min));
	json_object_set_new(o, "maximumTTL", json_integer(r->ttl_max));
	json_object_set_new(o, "sourceMacAddress", mac(r->src_mac));
	json_object_set_new(o, "destinationMacAddress", mac(r->dst_mac));
	json_object_set_new(o, "packetDeltaCount", json_integer((json_int_t)r->packets));
	json_object_set_new(o, "octetDeltaCount", json_integer((json_int_t)r->octets));
	if (j->biflow) {
		json_object_set_new(o, "reversePacketDeltaCount",
				    json_integer((json_int_t)r->rev_packets));
		json_object_set_new(o, "reverseOctetDeltaCount",
				    json_integer((json_int_t)r->rev_octets));
		if (k->proto == 6)
			json_object_set_new(o, "reverseTcpControlBits",
					    json_integer(r->rev_tcp_flags));
	}
	add_fields(j, o, r);
	add_app(o, app);
	if (j->pcap_rotate_s)
		json_object_set_new(o, "pcapFiles", fp_json_pcap_files(j, r));
	/* IE 34: the counters are of 1 packet in N; a consumer scales them, as collectors do. */
	if (j->sample_n > 1)
		json_object_set_new(o, "samplingInterval", json_integer(j->sample_n));
	char cid[FP_CID_LEN];
	fp_cid_v1(&r->key, j->cid_seed, cid);
	json_object_set_new(o, "communityId", json_string(cid));
	json_object_set_new(o, "flowEndReason", json_integer(r->end_reason));
	json_object_set_new(o, "flowEndReasonName",
			    json_string(fp_end_reason_name((enum fp_end_reason)r->end_reason)));
	return o;
}

void fp_jsonout_write(struct fp_jsonout *j, const struct fp_record *r, const struct fp_app *app)
{
	if (j->f == NULL) { /* a reopen failed: counted, as any line not written */
		j->errors++;
		return;
	}
	json_t *o = j->ecs ? fp_json_ecs(j, r, app) : ipfix_object(j, r, app);
	if (o == NULL) {
		j->errors++;
		return;
	}
	/* One object, one line: compact, no newline inside (jansson escapes strings). */
	if (json_dumpf(o, j->f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', j->f) == EOF) {
		j->pending++; /* this line, and whatever stdio held with it */
		write_failed(j);
	} else {
		j->pending++;
	}
	json_decref(o);
}

void fp_jsonout_flush(struct fp_jsonout *j)
{
	if (j->f == NULL)
		return;
	if (fflush(j->f) != 0)
		write_failed(j);
	j->records += j->pending;
	j->pending = 0;
}

int fp_jsonout_reopen(struct fp_jsonout *j)
{
	if (j->is_stdout || j->f == NULL)
		return 0;
	fp_jsonout_flush(j);
	if (fclose(j->f) != 0)
		j->errors++;
	j->f = fopen(j->path, "a");
	if (j->f == NULL) {
		fp_log(LOG_ERR, "--json %s: cannot reopen (%s); JSON lines stop", j->path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

void fp_jsonout_close(struct fp_jsonout *j)
{
	if (j->f == NULL)
		return;
	fp_jsonout_flush(j);
	if (!j->is_stdout && fclose(j->f) != 0 && j->errors == 0)
		j->errors++; /* the last write failed at close: at least one line is gone */
	j->f = NULL;
}

/* --json as a sink of the exporter (sink.h). */
static void json_take(void *p, const struct fp_record *r, const struct fp_app *app,
		      uint64_t clock_ms)
{
	(void)clock_ms;
	fp_jsonout_write(p, r, app);
}

static void json_tick(void *p, uint64_t clock_ms, unsigned idle)
{
	(void)clock_ms;
	if (idle == 1)
		fp_jsonout_flush(p);
}

static void json_reopen(void *p)
{
	fp_jsonout_reopen(p);
}

static void json_finish(void *p, uint64_t clock_ms)
{
	(void)clock_ms;
	fp_jsonout_flush(p);
}

static void json_stats(const void *p, struct fp_sink_stats *out)
{
	const struct fp_jsonout *j = p;
	memset(out, 0, sizeof(*out));
	out->records = __atomic_load_n(&j->records, __ATOMIC_RELAXED);
	out->records_lost = __atomic_load_n(&j->errors, __ATOMIC_RELAXED);
	out->last_errno = j->last_errno;
}

static const char *json_target(const void *p)
{
	return ((const struct fp_jsonout *)p)->path;
}

const struct fp_sink_ops fp_jsonout_ops = {
    .name = "json",
    .lost_what = "JSON lines",
    .lost_how = "not written to --json",
    .remedy = "free space, or keep its reader reading",
    .take = json_take,
    .tick = json_tick,
    .reopen = json_reopen,
    .finish = json_finish,
    .stats = json_stats,
    .target = json_target,
};
