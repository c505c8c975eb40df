/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --json-schema ecs: a flow record as an Elastic Common Schema document (ECS 8), nested as
 * Elasticsearch maps it, so Kibana's network views, SIEM rules and Community ID pivots work on
 * the lines as they are, with no Logstash mapping.
 *
 * The mapping, and what ECS has no field for:
 * - @timestamp is the flow's end (its last packet), event.start/end the first and last packet
 *   (µs), event.duration their difference in nanoseconds, as ECS defines it.
 * - source is the flow's source (with --biflow: the initiator), destination the other end;
 *   source.bytes/packets what the source sent, destination.bytes/packets what it sent back
 *   (--biflow only: a one-way record knows nothing of the other direction), network.bytes and
 *   network.packets both together. Counters are as counted: with --sample N they are of 1
 *   packet in N, and fluxprobe.sampling_interval says N (as the IPFIX schema's samplingInterval).
 * - event.type is [connection, end] for a flow that ended (idle, FIN/RST, end of capture,
 *   evicted) and [connection] for an active-timeout report of a flow that goes on: ECS's filter
 *   for completed connections is `event.type:end`. event.reason names the end.
 * - network.direction: the probe does not know which side is inside, so it is not written.
 * - What ECS has no field for goes under `fluxprobe.` (a custom namespace, as ECS asks): TCP
 *   flags, ToS, TTLs, end reason number, latencies, MPLS, GRE key, flow label, nDPI's id.
 * - MAC addresses in ECS's notation (uppercase, hyphens); VLAN ids and the interface id as
 *   strings (ECS keywords); network.iana_number too.
 */
#include "jsonout.h"

#include "fp_cid.h"
#include "fp_encode.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ECS_VERSION "8.11.0"

static const char *transport_name(uint8_t proto)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 2:
		return "igmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 51:
		return "ah";
	case 58:
		return "ipv6-icmp";
	case 132:
		return "sctp";
	default:
		return NULL;
	}
}

/* A number as an ECS keyword: a string. */
static void keyword_uint(struct fp_jline *l, const char *key, unsigned long v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lu", v);
	fp_jl_str(l, key, buf);
}

static void dns_type(struct fp_jline *l, const char *key, uint16_t t)
{
	static const struct {
		uint16_t v;
		const char *n;
	} names[] = {{1, "A"},	    {2, "NS"},	   {5, "CNAME"},   {6, "SOA"},	 {12, "PTR"},
		     {15, "MX"},    {16, "TXT"},   {28, "AAAA"},   {33, "SRV"},	 {35, "NAPTR"},
		     {43, "DS"},    {46, "RRSIG"}, {48, "DNSKEY"}, {52, "TLSA"}, {64, "SVCB"},
		     {65, "HTTPS"}, {255, "ANY"},  {257, "CAA"}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].v == t) {
			fp_jl_str(l, key, names[i].n);
			return;
		}
	char buf[24];
	snprintf(buf, sizeof(buf), "TYPE%u", t);
	fp_jl_str(l, key, buf);
}

static void dns_rcode(struct fp_jline *l, const char *key, uint8_t rc)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rc < sizeof(names) / sizeof(names[0])) {
		fp_jl_str(l, key, names[rc]);
		return;
	}
	char buf[8];
	snprintf(buf, sizeof(buf), "%u", rc);
	fp_jl_str(l, key, buf);
}

static const char *observer_name(void)
{
	static char host[256];
	if (!host[0]) {
		char raw[256] = "";
		if (gethostname(raw, sizeof(raw) - 1) != 0 || !raw[0])
			snprintf(raw, sizeof(raw), "unknown");
		fp_json_wire_text(host, sizeof(host), raw, 0); /* printable, as every name here */
	}
	return host;
}

/* nDPI's "TLS.YouTube": the protocol, then the application; "DNS" alone: the protocol. Into
 * the open `network` object. */
static void app_names(struct fp_jline *l, const struct fp_app *a)
{
	char proto[32];
	snprintf(proto, sizeof(proto), "%s", a->app_name);
	char *dot = strchr(proto, '.');
	if (dot) {
		*dot = '\0';
		fp_jl_wire(l, "application", dot + 1, 1);
	}
	if (proto[0] && strcmp(proto, "Unknown") != 0)
		fp_jl_wire(l, "protocol", proto, 1);
}

/*
 * The document is written object by object, each whole: the members of an object are in the
 * order the record's parts add them (the record, then --fields, then --dpi, then the packet
 * store's files), and objects that only --fields or --dpi bring follow the others.
 */
void fp_json_ecs(struct fp_jsonout *j, struct fp_jline *l, const struct fp_record *r,
		 const struct fp_app *app)
{
	const struct fp_flow_key *k = &r->key;
	int icmp = k->proto == 1 || k->proto == 58;
	int ended = r->end_reason != FP_END_ACTIVE;
	const struct fp_app *a = app && (app->flags & FP_APP_CLASSIFIED) ? app : NULL;
	unsigned f = j->fields;

	fp_jl_time(l, "@timestamp", r->last_us, 6, &j->clock);
	fp_jl_open(l, "ecs", '{');
	fp_jl_str(l, "version", ECS_VERSION);
	fp_jl_close(l, '}');

	fp_jl_open(l, "event", '{');
	fp_jl_str(l, "kind", "event");
	fp_jl_open(l, "category", '[');
	fp_jl_str(l, NULL, "network");
	fp_jl_close(l, ']');
	fp_jl_open(l, "type", '[');
	fp_jl_str(l, NULL, "connection");
	if (ended)
		fp_jl_str(l, NULL, "end");
	fp_jl_close(l, ']');
	fp_jl_str(l, "action", "network_flow");
	fp_jl_str(l, "module", "fluxprobe");
	fp_jl_str(l, "dataset", "fluxprobe.flow");
	fp_jl_time(l, "start", r->first_us, 6, &j->clock);
	fp_jl_time(l, "end", r->last_us, 6, &j->clock);
	fp_jl_int(l, "duration", (int64_t)(r->last_us - r->first_us) * 1000);
	fp_jl_str(l, "reason", fp_end_reason_name((enum fp_end_reason)r->end_reason));
	fp_jl_close(l, '}');

	int ports = !icmp && (k->proto == 6 || k->proto == 17 || k->proto == 132);
	fp_jl_open(l, "source", '{');
	fp_jl_addr(l, "ip", k->ipver, k->src);
	if (ports)
		fp_jl_int(l, "port", k->sport);
	fp_jl_hex(l, "mac", r->src_mac, 6, '-', 1);
	fp_jl_int(l, "bytes", (int64_t)r->octets);
	fp_jl_int(l, "packets", (int64_t)r->packets);
	fp_jl_close(l, '}');
	fp_jl_open(l, "destination", '{');
	fp_jl_addr(l, "ip", k->ipver, k->dst);
	if (ports)
		fp_jl_int(l, "port", k->dport);
	fp_jl_hex(l, "mac", r->dst_mac, 6, '-', 1);
	uint64_t bytes = r->octets, packets = r->packets;
	if (j->biflow) {
		fp_jl_int(l, "bytes", (int64_t)r->rev_octets);
		fp_jl_int(l, "packets", (int64_t)r->rev_packets);
		bytes += r->rev_octets;
		packets += r->rev_packets;
	}
	fp_jl_close(l, '}');

	fp_jl_open(l, "network", '{');
	fp_jl_str(l, "type", k->ipver == 6 ? "ipv6" : "ipv4");
	keyword_uint(l, "iana_number", k->proto);
	const char *t = transport_name(k->proto);
	if (t)
		fp_jl_str(l, "transport", t);
	fp_jl_int(l, "bytes", (int64_t)bytes);
	fp_jl_int(l, "packets", (int64_t)packets);
	char cid[FP_CID_LEN];
	fp_cid_v1(k, j->cid_seed, cid);
	fp_jl_str(l, "community_id", cid);
	if (k->vlan & FP_KEY_VLAN_MASK) {
		fp_jl_open(l, "vlan", '{');
		keyword_uint(l, "id", k->vlan & FP_KEY_VLAN_MASK);
		fp_jl_close(l, '}');
	}
	if ((f & FP_FIELD_VLAN) && r->more.vlan_inner) {
		fp_jl_open(l, "inner", '{');
		fp_jl_open(l, "vlan", '{');
		keyword_uint(l, "id", r->more.vlan_inner);
		fp_jl_close(l, '}');
		fp_jl_close(l, '}');
	}
	if (a)
		app_names(l, a);
	fp_jl_close(l, '}');

	fp_jl_open(l, "observer", '{');
	fp_jl_str(l, "hostname", observer_name());
	fp_jl_str(l, "type", "sensor");
	fp_jl_str(l, "vendor", "fluxprobe");
	fp_jl_str(l, "product", "fluxprobe");
	fp_jl_str(l, "version", FP_VERSION);
	if (f & FP_FIELD_INGRESS) {
		fp_jl_open(l, "ingress", '{');
		fp_jl_open(l, "interface", '{');
		keyword_uint(l, "id", r->more.ingress);
		fp_jl_close(l, '}');
		fp_jl_close(l, '}');
	}
	fp_jl_close(l, '}');

	fp_jl_open(l, "fluxprobe", '{');
	if (icmp) {
		fp_jl_int(l, "icmp_type", r->icmp_type_code >> 8);
		fp_jl_int(l, "icmp_code", r->icmp_type_code & 0xff);
	}
	if (k->proto == 6) {
		fp_jl_int(l, "tcp_flags", r->tcp_flags);
		if (j->biflow)
			fp_jl_int(l, "reverse_tcp_flags", r->rev_tcp_flags);
	}
	fp_jl_int(l, "tos", r->tos);
	fp_jl_int(l, "ttl_min", r->ttl_min);
	fp_jl_int(l, "ttl_max", r->ttl_max);
	fp_jl_int(l, "end_reason", r->end_reason);
	if (j->sample_n > 1)
		fp_jl_int(l, "sampling_interval", j->sample_n);
	if ((f & FP_FIELD_FLOW_LABEL) && k->ipver == 6)
		fp_jl_int(l, "flow_label", r->more.flow_label);
	if (f & FP_FIELD_MPLS) {
		fp_jl_open(l, "mpls_labels", '[');
		for (int i = 0; i < 3; i++) {
			const uint8_t *m = r->more.mpls[i];
			if (m[0] | m[1] | m[2])
				fp_jl_int(l, NULL, (m[0] << 12) | (m[1] << 4) | (m[2] >> 4));
		}
		fp_jl_close(l, ']');
	}
	if (f & FP_FIELD_TUNNEL) {
		fp_jl_int(l, "gre_key", r->more.gre_key);
		fp_jl_int(l, "layer2_segment_id", (int64_t)r->l2_segment);
	}
	static const char *const lat[FP_LAT_N] = {
	    [FP_LAT_CLIENT] = "client_network_us",
	    [FP_LAT_SERVER] = "server_network_us",
	    [FP_LAT_APPL] = "application_us",
	};
	if ((f & FP_FIELD_LATENCY) && r->lat_known) {
		fp_jl_open(l, "latency", '{');
		for (int i = 0; i < FP_LAT_N; i++)
			if (r->lat_known & (1u << i))
				fp_jl_int(l, lat[i], r->lat_us[i]);
		fp_jl_close(l, '}');
	}
	if (a) {
		fp_jl_int(l, "application_id", fp_app_id(a));
		if (a->flags & FP_APP_GUESSED)
			fp_jl_true(l, "application_guessed");
	}
	if (j->pcap_rotate_s)
		fp_jl_pcap_files(l, "pcap_files", j, r);
	fp_jl_close(l, '}');

	if (a == NULL)
		return;
	if ((a->flags & FP_APP_TLS_SNI) && a->name[0]) {
		fp_jl_open(l, "tls", '{');
		fp_jl_open(l, "client", '{');
		fp_jl_wire(l, "server_name", a->name, 0);
		fp_jl_close(l, '}');
		fp_jl_close(l, '}');
	}
	if (a->flags & FP_APP_DNS) {
		fp_jl_open(l, "dns", '{');
		fp_jl_open(l, "question", '{');
		fp_jl_wire(l, "name", a->name, 0);
		dns_type(l, "type", a->dns_qtype);
		fp_jl_close(l, '}');
		dns_rcode(l, "response_code", a->dns_rcode);
		fp_jl_close(l, '}');
	}
	if (a->flags & FP_APP_HTTP) {
		if (a->name[0]) {
			fp_jl_open(l, "url", '{');
			fp_jl_wire(l, "domain", a->name, 0);
			fp_jl_close(l, '}');
		}
		if (a->http_method[0] || a->http_status) {
			fp_jl_open(l, "http", '{');
			if (a->http_method[0]) {
				fp_jl_open(l, "request", '{');
				fp_jl_wire(l, "method", a->http_method, 0);
				fp_jl_close(l, '}');
			}
			if (a->http_status) {
				fp_jl_open(l, "response", '{');
				fp_jl_int(l, "status_code", a->http_status);
				fp_jl_close(l, '}');
			}
			fp_jl_close(l, '}');
		}
		if (a->user_agent[0]) {
			fp_jl_open(l, "user_agent", '{');
			fp_jl_wire(l, "original", a->user_agent, 0);
			fp_jl_close(l, '}');
		}
	}
}
