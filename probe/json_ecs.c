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

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ECS_VERSION "8.11.0"

static json_t *ecs_mac(const uint8_t *m)
{
	char buf[18];
	snprintf(buf, sizeof(buf), "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return json_string(buf);
}

static json_t *keyword_uint(unsigned long v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lu", v);
	return json_string(buf);
}

/* The transport's IANA keyword, lowercase as ECS wants it; NULL for one without a common name. */
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

/* DNS QTYPE mnemonic (RFC 1035, 3596, ...), or TYPEnnn (RFC 3597's form) for the rest. */
static json_t *dns_type(uint16_t t, char *buf, size_t len)
{
	static const struct {
		uint16_t v;
		const char *n;
	} names[] = {{1, "A"},	    {2, "NS"},	   {5, "CNAME"},   {6, "SOA"},	 {12, "PTR"},
		     {15, "MX"},    {16, "TXT"},   {28, "AAAA"},   {33, "SRV"},	 {35, "NAPTR"},
		     {43, "DS"},    {46, "RRSIG"}, {48, "DNSKEY"}, {52, "TLSA"}, {64, "SVCB"},
		     {65, "HTTPS"}, {255, "ANY"},  {257, "CAA"}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].v == t)
			return json_string(names[i].n);
	snprintf(buf, len, "TYPE%u", t);
	return json_string(buf);
}

/* DNS RCODE mnemonic (RFC 1035, 2136), or its number. */
static json_t *dns_rcode(uint8_t rc, char *buf, size_t len)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rc < sizeof(names) / sizeof(names[0]))
		return json_string(names[rc]);
	snprintf(buf, len, "%u", rc);
	return json_string(buf);
}

/* Set o[a][b]... = v, making the objects on the way. */
static void put(json_t *o, const char *path, json_t *v)
{
	char key[64];
	const char *dot;
	while ((dot = strchr(path, '.')) != NULL) {
		size_t n = (size_t)(dot - path);
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		json_t *next = json_object_get(o, key);
		if (next == NULL) {
			next = json_object();
			json_object_set_new(o, key, next);
		}
		o = next;
		path = dot + 1;
	}
	json_object_set_new(o, path, v);
}

static void put_app(json_t *o, const struct fp_app *a)
{
	char buf[24];
	if (a == NULL || !(a->flags & FP_APP_CLASSIFIED))
		return;
	/* nDPI's "TLS.YouTube": the protocol, then the application; "DNS" alone: the protocol */
	char proto[32];
	snprintf(proto, sizeof(proto), "%s", a->app_name);
	char *dot = strchr(proto, '.');
	if (dot) {
		*dot = '\0';
		put(o, "network.application", fp_json_wire(dot + 1, 1));
	}
	if (proto[0] && strcmp(proto, "Unknown") != 0)
		put(o, "network.protocol", fp_json_wire(proto, 1));
	put(o, "fluxprobe.application_id", json_integer(fp_app_id(a)));
	if (a->flags & FP_APP_GUESSED)
		put(o, "fluxprobe.application_guessed", json_true());
	if ((a->flags & FP_APP_TLS_SNI) && a->name[0])
		put(o, "tls.client.server_name", fp_json_wire(a->name, 0));
	if (a->flags & FP_APP_DNS) {
		put(o, "dns.question.name", fp_json_wire(a->name, 0));
		put(o, "dns.question.type", dns_type(a->dns_qtype, buf, sizeof(buf)));
		put(o, "dns.response_code", dns_rcode(a->dns_rcode, buf, sizeof(buf)));
	}
	if (a->flags & FP_APP_HTTP) {
		if (a->name[0])
			put(o, "url.domain", fp_json_wire(a->name, 0));
		if (a->http_method[0])
			put(o, "http.request.method", fp_json_wire(a->http_method, 0));
		if (a->http_status)
			put(o, "http.response.status_code", json_integer(a->http_status));
		if (a->user_agent[0])
			put(o, "user_agent.original", fp_json_wire(a->user_agent, 0));
	}
}

/* --fields: what ECS has (VLANs, the interface) in ECS, the rest under fluxprobe. */
static void put_fields(const struct fp_jsonout *j, json_t *o, const struct fp_record *r)
{
	if (j->fields & FP_FIELD_INGRESS)
		put(o, "observer.ingress.interface.id", keyword_uint(r->more.ingress));
	if ((j->fields & FP_FIELD_VLAN) && r->more.vlan_inner)
		put(o, "network.inner.vlan.id", keyword_uint(r->more.vlan_inner));
	if ((j->fields & FP_FIELD_FLOW_LABEL) && r->key.ipver == 6)
		put(o, "fluxprobe.flow_label", json_integer(r->more.flow_label));
	if (j->fields & FP_FIELD_MPLS) {
		json_t *labels = json_array();
		for (int i = 0; i < 3; i++) {
			const uint8_t *m = r->more.mpls[i];
			if (m[0] | m[1] | m[2])
				json_array_append_new(
				    labels, json_integer((m[0] << 12) | (m[1] << 4) | (m[2] >> 4)));
		}
		put(o, "fluxprobe.mpls_labels", labels);
	}
	if (j->fields & FP_FIELD_TUNNEL) {
		put(o, "fluxprobe.gre_key", json_integer(r->more.gre_key));
		put(o, "fluxprobe.layer2_segment_id", json_integer((json_int_t)r->l2_segment));
	}
	static const char *const lat[FP_LAT_N] = {
	    [FP_LAT_CLIENT] = "fluxprobe.latency.client_network_us",
	    [FP_LAT_SERVER] = "fluxprobe.latency.server_network_us",
	    [FP_LAT_APPL] = "fluxprobe.latency.application_us",
	};
	if (j->fields & FP_FIELD_LATENCY)
		for (int k = 0; k < FP_LAT_N; k++)
			if (r->lat_known & (1u << k))
				put(o, lat[k], json_integer(r->lat_us[k]));
}

static const char *observer_name(void)
{
	static char host[256];
	if (!host[0] && gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	return host;
}

json_t *fp_json_ecs(const struct fp_jsonout *j, const struct fp_record *r, const struct fp_app *app)
{
	const struct fp_flow_key *k = &r->key;
	int icmp = k->proto == 1 || k->proto == 58;
	int ended = r->end_reason != FP_END_ACTIVE;
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "@timestamp", fp_json_time(r->last_us, 6));
	put(o, "ecs.version", json_string(ECS_VERSION));
	put(o, "event.kind", json_string("event"));
	put(o, "event.category", json_pack("[s]", "network"));
	put(o, "event.type",
	    ended ? json_pack("[s,s]", "connection", "end") : json_pack("[s]", "connection"));
	put(o, "event.action", json_string("network_flow"));
	put(o, "event.module", json_string("fluxprobe"));
	put(o, "event.dataset", json_string("fluxprobe.flow"));
	put(o, "event.start", fp_json_time(r->first_us, 6));
	put(o, "event.end", fp_json_time(r->last_us, 6));
	put(o, "event.duration", json_integer((json_int_t)(r->last_us - r->first_us) * 1000));
	put(o, "event.reason", json_string(fp_end_reason_name((enum fp_end_reason)r->end_reason)));

	put(o, "source.ip", fp_json_addr(k->ipver, k->src));
	put(o, "destination.ip", fp_json_addr(k->ipver, k->dst));
	if (!icmp && (k->proto == 6 || k->proto == 17 || k->proto == 132)) {
		put(o, "source.port", json_integer(k->sport));
		put(o, "destination.port", json_integer(k->dport));
	}
	put(o, "source.mac", ecs_mac(r->src_mac));
	put(o, "destination.mac", ecs_mac(r->dst_mac));
	put(o, "source.bytes", json_integer((json_int_t)r->octets));
	put(o, "source.packets", json_integer((json_int_t)r->packets));
	uint64_t bytes = r->octets, packets = r->packets;
	if (j->biflow) {
		put(o, "destination.bytes", json_integer((json_int_t)r->rev_octets));
		put(o, "destination.packets", json_integer((json_int_t)r->rev_packets));
		bytes += r->rev_octets;
		packets += r->rev_packets;
	}

	put(o, "network.type", json_string(k->ipver == 6 ? "ipv6" : "ipv4"));
	put(o, "network.iana_number", keyword_uint(k->proto));
	const char *t = transport_name(k->proto);
	if (t)
		put(o, "network.transport", json_string(t));
	put(o, "network.bytes", json_integer((json_int_t)bytes));
	put(o, "network.packets", json_integer((json_int_t)packets));
	char cid[FP_CID_LEN];
	fp_cid_v1(k, j->cid_seed, cid);
	put(o, "network.community_id", json_string(cid));
	if (k->vlan & FP_KEY_VLAN_MASK)
		put(o, "network.vlan.id", keyword_uint(k->vlan & FP_KEY_VLAN_MASK));

	put(o, "observer.hostname", json_string(observer_name()));
	put(o, "observer.type", json_string("sensor"));
	put(o, "observer.vendor", json_string("fluxprobe"));
	put(o, "observer.product", json_string("fluxprobe"));
	put(o, "observer.version", json_string(FP_VERSION));

	if (icmp) {
		put(o, "fluxprobe.icmp_type", json_integer(r->icmp_type_code >> 8));
		put(o, "fluxprobe.icmp_code", json_integer(r->icmp_type_code & 0xff));
	}
	if (k->proto == 6) {
		put(o, "fluxprobe.tcp_flags", json_integer(r->tcp_flags));
		if (j->biflow)
			put(o, "fluxprobe.reverse_tcp_flags", json_integer(r->rev_tcp_flags));
	}
	put(o, "fluxprobe.tos", json_integer(r->tos));
	put(o, "fluxprobe.ttl_min", json_integer(r->ttl_min));
	put(o, "fluxprobe.ttl_max", json_integer(r->ttl_max));
	put(o, "fluxprobe.end_reason", json_integer(r->end_reason));
	if (j->sample_n > 1)
		put(o, "fluxprobe.sampling_interval", json_integer(j->sample_n));
	put_fields(j, o, r);
	put_app(o, app);
	if (j->pcap_rotate_s)
		put(o, "fluxprobe.pcap_files", fp_json_pcap_files(j, r));
	return o;
}
