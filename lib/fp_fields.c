/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rows of fp_fields.h. Table order is the JSON lines' order (--json-schema ipfix); the
 * other outputs keep theirs through `pos`. A getter answers for JSON and ECS whether the
 * field is there, and always leaves in `v` the value a ClickHouse column holds.
 */
#include "fp_fields.h"
#include "fp_localnet.h"
#include "fp_tls.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define F(field) (uint16_t) offsetof(struct fp_enc_rec, field)
#define FSZ(field) (uint16_t)sizeof(((struct fp_enc_rec *)0)->field)
/* IPFIX/v9 elements: a host-order number, raw bytes, a string, each at `field` of fp_enc_rec */
#define IE_U(id_, len_, field)                                                                     \
	{                                                                                          \
		.id = (id_), .len = (len_), .off = F(field), .src_len = FSZ(field)                 \
	}
#define IE_RAW(id_, len_, field)                                                                   \
	{                                                                                          \
		.id = (id_), .len = (len_), .off = F(field)                                        \
	}
#define IE_STR(id_, field)                                                                         \
	{                                                                                          \
		.id = (id_), .len = FP_IE_VARLEN, .off = F(field), .src_len = FP_IE_STRING         \
	}
#define IE_PEN_U(pen_, id_, len_, field)                                                           \
	{                                                                                          \
		.id = FP_IE_ENTERPRISE | (id_), .len = (len_), .off = F(field),                    \
		.src_len = FSZ(field), .pen = (pen_)                                               \
	}
#define IE_PEN_BYTES(pen_, id_, field)                                                             \
	{                                                                                          \
		.id = FP_IE_ENTERPRISE | (id_), .len = FP_IE_VARLEN, .off = F(field),              \
		.src_len = FP_IE_BYTES, .pen = (pen_)                                              \
	}
#define IE_PEN_STR(pen_, id_, field)                                                               \
	{                                                                                          \
		.id = FP_IE_ENTERPRISE | (id_), .len = FP_IE_VARLEN, .off = F(field),              \
		.src_len = FP_IE_STRING, .pen = (pen_)                                             \
	}

static int is_icmp(const struct fp_record *r)
{
	return r->key.proto == 1 || r->key.proto == 58;
}

/* --- the getters: `fr` in, `v` out, 1 when JSON and ECS write the field --- */

#define GET(name) static int get_##name(struct fp_field_rec *fr, struct fp_field_val *v)
#define R (fr->r)
#define A (fr->a)
#define C (fr->c)

GET(first_us)
{
	v->u = R->first_us;
	return 1;
}
GET(last_us)
{
	v->u = R->last_us;
	return 1;
}
GET(date)
{
	v->u = R->last_us / 1000000 / 86400;
	return 1;
}
GET(ipver)
{
	v->u = R->key.ipver;
	return 1;
}
GET(src)
{
	v->p = R->key.src;
	v->n = R->key.ipver;
	return 1;
}
GET(dst)
{
	v->p = R->key.dst;
	v->n = R->key.ipver;
	return 1;
}
GET(proto)
{
	v->u = R->key.proto;
	return 1;
}
GET(icmp_type_code)
{
	v->u = R->icmp_type_code;
	return is_icmp(R);
}
GET(icmp_type)
{
	v->u = is_icmp(R) ? R->icmp_type_code >> 8 : 0;
	return is_icmp(R);
}
GET(icmp_code)
{
	v->u = is_icmp(R) ? R->icmp_type_code & 0xff : 0;
	return is_icmp(R);
}
GET(sport)
{
	v->u = is_icmp(R) ? 0 : R->key.sport;
	return !is_icmp(R);
}
GET(dport)
{
	v->u = is_icmp(R) ? 0 : R->key.dport;
	return !is_icmp(R);
}
/* ECS: ports only where the transport has them */
static int ecs_ports(const struct fp_record *r)
{
	return r->key.proto == 6 || r->key.proto == 17 || r->key.proto == 132;
}
static int ecs_sport(struct fp_field_rec *fr, struct fp_field_val *v)
{
	v->u = R->key.sport;
	return ecs_ports(R);
}
static int ecs_dport(struct fp_field_rec *fr, struct fp_field_val *v)
{
	v->u = R->key.dport;
	return ecs_ports(R);
}
GET(tcp_flags)
{
	v->u = R->tcp_flags;
	return R->key.proto == 6;
}
GET(tos)
{
	v->u = R->tos;
	return 1;
}
GET(vlan)
{
	v->u = R->key.vlan & FP_KEY_VLAN_MASK;
	return v->u != 0;
}
GET(ttl_min)
{
	v->u = R->ttl_min;
	return 1;
}
GET(ttl_max)
{
	v->u = R->ttl_max;
	return 1;
}
GET(src_mac)
{
	v->p = R->src_mac;
	return 1;
}
GET(dst_mac)
{
	v->p = R->dst_mac;
	return 1;
}
GET(packets)
{
	v->u = R->packets;
	return 1;
}
GET(octets)
{
	v->u = R->octets;
	return 1;
}
GET(rev_packets)
{
	v->u = C->biflow ? R->rev_packets : 0;
	return 1;
}
GET(rev_octets)
{
	v->u = C->biflow ? R->rev_octets : 0;
	return 1;
}
GET(rev_tcp_flags)
{
	v->u = R->rev_tcp_flags;
	return R->key.proto == 6;
}
GET(ingress)
{
	v->u = R->more.ingress;
	return 1;
}
GET(vlan_outer)
{
	v->u = R->key.vlan;
	return 1;
}
GET(vlan_inner)
{
	v->u = R->more.vlan_inner;
	return 1;
}
GET(flow_label)
{
	v->u = R->more.flow_label;
	return R->key.ipver == 6;
}
GET(mpls0)
{
	v->p = R->more.mpls[0];
	v->n = 3;
	return 1;
}
GET(mpls1)
{
	v->p = R->more.mpls[1];
	v->n = 3;
	return 1;
}
GET(mpls2)
{
	v->p = R->more.mpls[2];
	v->n = 3;
	return 1;
}
GET(gre_key)
{
	v->u = R->more.gre_key;
	return 1;
}
GET(l2_segment)
{
	v->u = R->l2_segment;
	return 1;
}
static int latency(struct fp_field_rec *fr, struct fp_field_val *v, enum fp_lat_kind k)
{
	v->u = R->lat_us[k];
	return (R->lat_known >> k) & 1;
}
GET(lat_client)
{
	return latency(fr, v, FP_LAT_CLIENT);
}
GET(lat_server)
{
	return latency(fr, v, FP_LAT_SERVER);
}
GET(lat_appl)
{
	return latency(fr, v, FP_LAT_APPL);
}
GET(app_name)
{
	v->s = A ? A->app_name : "";
	return A != NULL;
}
GET(app_id)
{
	v->u = A ? fp_app_id(A) : 0;
	return A != NULL;
}
GET(app_guessed)
{
	(void)v;
	return A && (A->flags & FP_APP_GUESSED);
}
/* The flow's one name, where it is of kind `flag` */
static int app_named(struct fp_field_rec *fr, struct fp_field_val *v, unsigned flag)
{
	int on = A && (A->flags & flag);
	v->s = on ? A->name : "";
	return on;
}
/* --dpi's server name, else the one --fields tls read */
GET(tls_sni)
{
	if (app_named(fr, v, FP_APP_TLS_SNI) && A->name[0])
		return 1;
	v->s = fr->tls ? fr->tls->sni : "";
	return v->s[0] != '\0';
}
GET(dns_query)
{
	return app_named(fr, v, FP_APP_DNS);
}
GET(dns_qtype)
{
	v->u = A && (A->flags & FP_APP_DNS) ? A->dns_qtype : 0;
	return A && (A->flags & FP_APP_DNS);
}
GET(dns_rcode)
{
	v->u = A && (A->flags & FP_APP_DNS) ? A->dns_rcode : 0;
	return A && (A->flags & FP_APP_DNS);
}
GET(http_host)
{
	return app_named(fr, v, FP_APP_HTTP) && A->name[0];
}
GET(http_method)
{
	int on = A && (A->flags & FP_APP_HTTP);
	v->s = on ? A->http_method : "";
	return on && A->http_method[0];
}
GET(http_status)
{
	int on = A && (A->flags & FP_APP_HTTP);
	v->u = on ? A->http_status : 0;
	return on && A->http_status;
}
GET(user_agent)
{
	int on = A && (A->flags & FP_APP_HTTP);
	v->s = on ? A->user_agent : "";
	return on && A->user_agent[0];
}
GET(pcap_files)
{
	(void)fr;
	(void)v;
	return 1;
}
GET(sampling)
{
	v->u = C->sample_n > 1 ? C->sample_n : 1;
	return C->sample_n > 1;
}
GET(community_id)
{
	if (!fr->cid[0])
		fp_cid_v1(&R->key, C->cid_seed, fr->cid);
	v->s = fr->cid;
	return 1;
}
GET(end_reason)
{
	v->u = R->end_reason;
	return 1;
}
GET(end_reason_name)
{
	v->s = fp_end_reason_name((enum fp_end_reason)R->end_reason);
	return 1;
}
GET(observer)
{
	v->s = C->observer ? C->observer : "unknown";
	return 1;
}

/* --- what ECS alone has --- */

#define TEXT(name, text)                                                                           \
	GET(name)                                                                                  \
	{                                                                                          \
		(void)fr;                                                                          \
		v->s = (text);                                                                     \
		return 1;                                                                          \
	}
TEXT(ecs_version, "8.11.0")
TEXT(ecs_kind, "event")
TEXT(ecs_action, "network_flow")
TEXT(ecs_module, "fluxprobe")
TEXT(ecs_dataset, "fluxprobe.flow")
TEXT(ecs_sensor, "sensor")
TEXT(ecs_vendor, "fluxprobe")
TEXT(ecs_version_probe, FP_VERSION)

GET(ecs_category)
{
	(void)fr;
	v->texts[0] = "network";
	v->n = 1;
	return 1;
}
/* [connection, end] for a flow that ended; an active-timeout report of one that goes on is
 * [connection] (ECS's filter for completed connections is event.type:end) */
GET(ecs_type)
{
	v->texts[0] = "connection";
	v->texts[1] = "end";
	v->n = R->end_reason != FP_END_ACTIVE ? 2 : 1;
	return 1;
}
GET(ecs_duration)
{
	v->u = (R->last_us - R->first_us) * 1000;
	return 1;
}
GET(ecs_dst_bytes)
{
	v->u = R->rev_octets;
	return 1;
}
GET(ecs_dst_packets)
{
	v->u = R->rev_packets;
	return 1;
}
GET(ecs_net_type)
{
	v->s = R->key.ipver == 6 ? "ipv6" : "ipv4";
	return 1;
}
GET(ecs_transport)
{
	v->s = fp_field_transport_name(R->key.proto);
	return v->s != NULL;
}
GET(ecs_net_bytes)
{
	v->u = R->octets + (C->biflow ? R->rev_octets : 0);
	return 1;
}
GET(ecs_net_packets)
{
	v->u = R->packets + (C->biflow ? R->rev_packets : 0);
	return 1;
}
/* nDPI's "TLS.YouTube": the protocol, then the application; "DNS" alone: the protocol */
GET(ecs_application)
{
	const char *dot = A ? strchr(A->app_name, '.') : NULL;
	v->s = dot ? dot + 1 : "";
	return dot != NULL;
}
GET(ecs_protocol)
{
	static __thread char proto[32];
	if (A == NULL)
		return 0;
	size_t n = strcspn(A->app_name, ".");
	if (n >= sizeof(proto))
		n = sizeof(proto) - 1;
	memcpy(proto, A->app_name, n);
	proto[n] = '\0';
	v->s = proto;
	return proto[0] && strcmp(proto, "Unknown") != 0;
}
/* the labels of the stack's top three entries that are there */
GET(ecs_mpls_labels)
{
	v->n = 0;
	for (int i = 0; i < 3; i++) {
		const uint8_t *m = R->more.mpls[i];
		if (m[0] | m[1] | m[2])
			v->list[v->n++] = (uint64_t)((m[0] << 12) | (m[1] << 4) | (m[2] >> 4));
	}
	return 1;
}

/* --local-net: flowDirection (61) where the flow crosses the border, the name always */
GET(flow_direction)
{
	v->u = fp_flow_direction(R->direction);
	return R->direction == FP_DIR_INBOUND || R->direction == FP_DIR_OUTBOUND;
}
GET(direction)
{
	const char *name = fp_direction_name(R->direction);
	v->s = name ? name : "";
	return name != NULL;
}

/* --geoip: the source's (0) or the destination's (1) entry, and whether it has `what` */
static const struct fp_geo *geo_has(const struct fp_field_rec *fr, int dst, unsigned what)
{
	return fr->geo && (fr->geo[dst].have & what) ? &fr->geo[dst] : NULL;
}
#define GEO_GETTERS(side, dst)                                                                     \
	GET(side##_as)                                                                             \
	{                                                                                          \
		const struct fp_geo *g = geo_has(fr, dst, FP_GEO_HAVE_AS);                         \
		v->u = g ? g->asn : 0;                                                             \
		return g != NULL;                                                                  \
	}                                                                                          \
	GET(side##_as_org)                                                                         \
	{                                                                                          \
		const struct fp_geo *g = geo_has(fr, dst, FP_GEO_HAVE_AS);                         \
		v->s = g ? g->org : "";                                                            \
		return g && g->org[0];                                                             \
	}                                                                                          \
	GET(side##_country)                                                                        \
	{                                                                                          \
		const struct fp_geo *g = geo_has(fr, dst, FP_GEO_HAVE_COUNTRY);                    \
		v->s = g ? g->country : "";                                                        \
		return g != NULL;                                                                  \
	}                                                                                          \
	GET(side##_city)                                                                           \
	{                                                                                          \
		const struct fp_geo *g = geo_has(fr, dst, FP_GEO_HAVE_CITY);                       \
		v->s = g ? g->city : "";                                                           \
		return g != NULL;                                                                  \
	}                                                                                          \
	GET(side##_location)                                                                       \
	{                                                                                          \
		v->p = geo_has(fr, dst, FP_GEO_HAVE_LOC);                                          \
		return v->p != NULL;                                                               \
	}
GEO_GETTERS(src, 0)
GEO_GETTERS(dst, 1)

/* --fields tls: what the handshake told, each where the message that tells it was read */
static const struct fp_tls_info *tls_has(const struct fp_field_rec *fr, unsigned what)
{
	return fr->tls && (fr->tls->have & what) ? fr->tls : NULL;
}
static int tls_hex(struct fp_field_rec *fr, struct fp_field_val *v, unsigned what, int server)
{
	static const char hexd[] = "0123456789abcdef";
	const struct fp_tls_info *t = tls_has(fr, what);
	v->s = "";
	if (t == NULL)
		return 0;
	const uint8_t *h = server ? t->ja3s : t->ja3;
	for (int i = 0; i < 16; i++) {
		fr->tls_hex[2 * i] = hexd[h[i] >> 4];
		fr->tls_hex[2 * i + 1] = hexd[h[i] & 15];
	}
	fr->tls_hex[32] = '\0';
	v->s = fr->tls_hex;
	return 1;
}
GET(tls_ja3)
{
	return tls_hex(fr, v, FP_TLS_HAVE_CLIENT, 0);
}
GET(tls_ja3s)
{
	return tls_hex(fr, v, FP_TLS_HAVE_SERVER, 1);
}
GET(tls_ja4)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_CLIENT);
	v->s = t ? t->ja4 : "";
	return t != NULL;
}
GET(tls_alpn_offered)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_CLIENT);
	v->s = t ? t->alpn_offered : "";
	return t && t->alpn_offered[0];
}
GET(tls_version)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_SERVER);
	v->u = t ? t->version : 0;
	return t != NULL;
}
GET(ecs_tls_version)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_SERVER);
	v->s = t && fp_tls_version_name(t->version) ? fp_tls_version_name(t->version) : "";
	return v->s[0] != '\0';
}
GET(ecs_tls_protocol)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_SERVER);
	v->s = t && fp_tls_version_name(t->version) ? (t->version == 0x0300 ? "ssl" : "tls") : "";
	return v->s[0] != '\0';
}
GET(tls_cipher)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_SERVER);
	v->u = t ? t->cipher : 0;
	return t != NULL;
}
/* ECS: IANA's name of the suite, else its number in hex */
GET(ecs_tls_cipher)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_SERVER);
	v->s = "";
	if (t == NULL)
		return 0;
	v->s = fp_tls_cipher_name(t->cipher);
	if (v->s == NULL) {
		snprintf(fr->tls_hex, sizeof(fr->tls_hex), "0x%04x", t->cipher);
		v->s = fr->tls_hex;
	}
	return 1;
}
GET(tls_alpn)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_SERVER);
	v->s = t ? t->alpn : "";
	return t && t->alpn[0];
}
GET(tls_subject)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_CERT);
	v->s = t ? t->subject : "";
	return t != NULL;
}
GET(tls_issuer)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_CERT);
	v->s = t ? t->issuer : "";
	return t != NULL;
}
GET(tls_not_after)
{
	const struct fp_tls_info *t = tls_has(fr, FP_TLS_HAVE_CERT);
	v->u = t && t->not_after > 0 ? (uint64_t)t->not_after * 1000000u : 0;
	return t != NULL;
}

/* --fields tcp: one direction's count ([0] the record's source to its destination, [1] back);
 * TCP flows only */
#define TCP_GETTER(name, field, d)                                                                 \
	GET(name)                                                                                  \
	{                                                                                          \
		int on = fr->tcp && R->key.proto == 6;                                             \
		v->u = on ? fr->tcp->field[d] : 0;                                                 \
		return on;                                                                         \
	}
TCP_GETTER(tcp_retrans_pkts, retrans_pkts, 0)
TCP_GETTER(tcp_retrans_bytes, retrans_bytes, 0)
TCP_GETTER(tcp_ooo_pkts, ooo_pkts, 0)
TCP_GETTER(tcp_zero_window, zero_window, 0)
TCP_GETTER(rev_tcp_retrans_pkts, retrans_pkts, 1)
TCP_GETTER(rev_tcp_retrans_bytes, retrans_bytes, 1)
TCP_GETTER(rev_tcp_ooo_pkts, ooo_pkts, 1)
TCP_GETTER(rev_tcp_zero_window, zero_window, 1)

/* --payload: the first transport payload of the record's source side (0) or the other (1) */
static int payload_of(const struct fp_field_rec *fr, int d, struct fp_field_val *v)
{
	const struct fp_payload *y = fr->payload;
	v->p = y ? y->data + (size_t)d * y->cap : NULL;
	v->n = y ? y->len[d] : 0;
	return v->n > 0;
}
GET(payload)
{
	return payload_of(fr, 0, v);
}
GET(rev_payload)
{
	return payload_of(fr, 1, v);
}

#undef R
#undef A
#undef C

const char *fp_field_transport_name(uint8_t proto)
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

/* clang-format off */
/* a number kept in the record as it is written (fp_field_direct) */
#define REC(field, when)                                                                           \
	.rec_off = offsetof(struct fp_record, field),                                              \
	.rec_size = sizeof(((struct fp_record *)0)->field), .rec_when = FP_PRESENT_##when
#define V6(id_, len_) .ipfix6 = {.id = (id_), .len = (len_)}
#define V6_V9(id_, len_) V6(id_, len_), .v9_6 = {(id_), (len_)}
const struct fp_field fp_fields[] = {
    /* times. v9 carries sysUpTime-relative ms (FIRST/LAST_SWITCHED 22, 21), IPFIX ms since 1970 */
    {"flow_start", 0, FP_FK_TIME, get_first_us, REC(first_us, ALWAYS),
     .ipfix = IE_U(152, 8, first_ms), .v9 = {IE_U(22, 4, r.first_uptime)}, .ie_pos = 16,
     .json = "flowStartMilliseconds", .json_digits = 3,
     .ch = "time_start", .ch_type = FP_CH_DATETIME, .ch_comment = "first packet", .ch_pos = 2},
    {"flow_end", 0, FP_FK_TIME, get_last_us, REC(last_us, ALWAYS),
     .ipfix = IE_U(153, 8, last_ms), .v9 = {IE_U(21, 4, r.last_uptime)}, .ie_pos = 17,
     .json = "flowEndMilliseconds", .json_digits = 3,
     .ch = "time_end", .ch_type = FP_CH_DATETIME, .ch_comment = "last packet", .ch_pos = 3},
    {"flow_start_us", 0, FP_FK_TIME, get_first_us, REC(first_us, ALWAYS),
     .json = "flowStartMicroseconds", .json_digits = 6, .ecs = "event.start", .ecs_pos = 9,
     .ch = "start_us", .ch_type = FP_CH_U64, .ch_comment = "first packet, µs since 1970",
     .ch_pos = 4},
    {"flow_end_us", 0, FP_FK_TIME, get_last_us, REC(last_us, ALWAYS),
     .json = "flowEndMicroseconds", .json_digits = 6, .ecs = "event.end", .ecs_pos = 10,
     .ch = "end_us", .ch_type = FP_CH_U64, .ch_comment = "last packet, µs since 1970",
     .ch_pos = 5},
    {"ip_version", 0, FP_FK_UINT, get_ipver, REC(ipver, ALWAYS),
     .ipfix = IE_U(60, 1, r.ipver), .v9 = {IE_U(60, 1, r.ipver)}, .ie_pos = 19,
     .json = "ipVersion", .ch = "ip_version", .ch_type = FP_CH_U8, .ch_pos = 6},
    {"src_ip", 0, FP_FK_ADDR, get_src,
     .ipfix = IE_RAW(8, 4, r.key.src), V6_V9(27, 16), .v9 = {IE_RAW(8, 4, r.key.src)}, .ie_pos = 1,
     .json = "sourceIPv4Address", .json6 = "sourceIPv6Address", .ecs = "source.ip",
     .ecs_pos = 14, .ch = "src_ip", .ch_type = FP_CH_IP, .ch_comment = "IPv4 as ::ffff:a.b.c.d",
     .ch_pos = 7},
    {"dst_ip", 0, FP_FK_ADDR, get_dst,
     .ipfix = IE_RAW(12, 4, r.key.dst), V6_V9(28, 16), .v9 = {IE_RAW(12, 4, r.key.dst)}, .ie_pos = 2,
     .json = "destinationIPv4Address", .json6 = "destinationIPv6Address",
     .ecs = "destination.ip", .ecs_pos = 19, .ch = "dst_ip", .ch_type = FP_CH_IP, .ch_pos = 8},
    {"proto", 0, FP_FK_UINT, get_proto, REC(key.proto, ALWAYS),
     .ipfix = IE_U(4, 1, r.key.proto), .v9 = {IE_U(4, 1, r.key.proto)}, .ie_pos = 5,
     .json = "protocolIdentifier", .ecs = "network.iana_number", .ecs_style = FP_ECS_KEYWORD,
     .ecs_pos = 25, .ch = "proto", .ch_type = FP_CH_U8, .ch_comment = "IANA protocol number",
     .ch_pos = 11},
    {"icmp_type_code", 0, FP_FK_UINT, get_icmp_type_code, REC(icmp_type_code, ICMP),
     .ipfix = IE_U(32, 2, r.icmp_type_code), V6(139, 2), .v9 = {IE_U(32, 2, r.icmp_type_code)},
     .ie_pos = 9, .json = "icmpTypeCodeIPv4", .json6 = "icmpTypeCodeIPv6"},
    {"src_port", 0, FP_FK_UINT, get_sport, REC(key.sport, NOT_ICMP),
     .ipfix = IE_U(7, 2, r.key.sport), .v9 = {IE_U(7, 2, r.key.sport)}, .ie_pos = 3,
     .json = "sourceTransportPort", .ecs = "source.port", .ecs_pos = 15, .ecs_get = ecs_sport,
     .ch = "src_port", .ch_type = FP_CH_U16, .ch_pos = 9},
    {"dst_port", 0, FP_FK_UINT, get_dport, REC(key.dport, NOT_ICMP),
     .ipfix = IE_U(11, 2, r.key.dport), .v9 = {IE_U(11, 2, r.key.dport)}, .ie_pos = 4,
     .json = "destinationTransportPort", .ecs = "destination.port", .ecs_pos = 20,
     .ecs_get = ecs_dport, .ch = "dst_port", .ch_type = FP_CH_U16, .ch_pos = 10},
    {"icmp_type", 0, FP_FK_UINT, get_icmp_type,
     .ecs = "fluxprobe.icmp_type", .ecs_pos = 43, .ch = "icmp_type", .ch_type = FP_CH_U8,
     .ch_pos = 12},
    {"icmp_code", 0, FP_FK_UINT, get_icmp_code,
     .ecs = "fluxprobe.icmp_code", .ecs_pos = 44, .ch = "icmp_code", .ch_type = FP_CH_U8,
     .ch_pos = 13},
    /* IPFIX's tcpControlBits is 2 bytes (RFC 7125), v9's TCP_FLAGS 1 */
    {"tcp_flags", 0, FP_FK_UINT, get_tcp_flags, REC(tcp_flags, TCP),
     .ipfix = IE_U(6, 2, r.tcp_flags), .v9 = {IE_U(6, 1, r.tcp_flags)}, .ie_pos = 6,
     .json = "tcpControlBits", .ecs = "fluxprobe.tcp_flags", .ecs_pos = 45,
     .ch = "tcp_flags", .ch_type = FP_CH_U8, .ch_comment = "OR of the flow's TCP flags",
     .ch_pos = 14},
    {"tos", 0, FP_FK_UINT, get_tos, REC(tos, ALWAYS),
     .ipfix = IE_U(5, 1, r.tos), .v9 = {IE_U(5, 1, r.tos)}, .ie_pos = 7,
     .json = "ipClassOfService", .ecs = "fluxprobe.tos", .ecs_pos = 47,
     .ch = "tos", .ch_type = FP_CH_U8, .ch_pos = 16},
    {"vlan", 0, FP_FK_UINT, get_vlan, REC(key.vlan, NONZERO),
     .ipfix = IE_U(58, 2, r.key.vlan), .v9 = {IE_U(58, 2, r.key.vlan)}, .ie_pos = 8,
     .json = "vlanId", .ecs = "network.vlan.id", .ecs_style = FP_ECS_KEYWORD, .ecs_pos = 31,
     .ch = "vlan", .ch_type = FP_CH_U16, .ch_pos = 21},
    {"ttl_min", 0, FP_FK_UINT, get_ttl_min, REC(ttl_min, ALWAYS),
     .ipfix = IE_U(52, 1, r.ttl_min), .v9 = {IE_U(52, 1, r.ttl_min)}, .ie_pos = 10,
     .json = "minimumTTL", .ecs = "fluxprobe.ttl_min", .ecs_pos = 48,
     .ch = "ttl_min", .ch_type = FP_CH_U8, .ch_pos = 17},
    {"ttl_max", 0, FP_FK_UINT, get_ttl_max, REC(ttl_max, ALWAYS),
     .ipfix = IE_U(53, 1, r.ttl_max), .v9 = {IE_U(53, 1, r.ttl_max)}, .ie_pos = 11,
     .json = "maximumTTL", .ecs = "fluxprobe.ttl_max", .ecs_pos = 49,
     .ch = "ttl_max", .ch_type = FP_CH_U8, .ch_pos = 18},
    {"src_mac", 0, FP_FK_MAC, get_src_mac,
     .ipfix = IE_RAW(56, 6, r.src_mac), .v9 = {IE_RAW(56, 6, r.src_mac)}, .ie_pos = 12,
     .json = "sourceMacAddress", .ecs = "source.mac", .ecs_style = FP_ECS_MAC, .ecs_pos = 16,
     .ch = "src_mac", .ch_type = FP_CH_U64, .ch_comment = "MACNumToString() shows it",
     .ch_pos = 19},
    {"dst_mac", 0, FP_FK_MAC, get_dst_mac,
     .ipfix = IE_RAW(80, 6, r.dst_mac), .v9 = {IE_RAW(80, 6, r.dst_mac)}, .ie_pos = 13,
     .json = "destinationMacAddress", .ecs = "destination.mac", .ecs_style = FP_ECS_MAC,
     .ecs_pos = 21, .ch = "dst_mac", .ch_type = FP_CH_U64, .ch_pos = 20},
    {"packets", 0, FP_FK_UINT, get_packets, REC(packets, ALWAYS),
     .ipfix = IE_U(2, 8, r.packets), .v9 = {IE_U(2, 8, r.packets)}, .ie_pos = 14,
     .json = "packetDeltaCount", .ecs = "source.packets", .ecs_pos = 18,
     .ch = "packets", .ch_type = FP_CH_U64, .ch_comment = "sampled: of 1 in sampling_interval",
     .ch_pos = 24},
    {"bytes", 0, FP_FK_UINT, get_octets, REC(octets, ALWAYS),
     .ipfix = IE_U(1, 8, r.octets), .v9 = {IE_U(1, 8, r.octets)}, .ie_pos = 15,
     .json = "octetDeltaCount", .ecs = "source.bytes", .ecs_pos = 17,
     .ch = "bytes", .ch_type = FP_CH_U64, .ch_pos = 25},
    /* --biflow: RFC 5103 reverse elements (PEN 29305, the forward number); IPFIX only */
    {"rev_packets", FP_WHEN_BIFLOW, FP_FK_UINT, get_rev_packets, REC(rev_packets, ALWAYS),
     .ipfix = IE_PEN_U(FP_PEN_REVERSE, 2, 8, r.rev_packets), .ie_pos = 51,
     .json = "reversePacketDeltaCount", .ecs = "destination.packets", .ecs_pos = 23,
     .ecs_get = get_ecs_dst_packets,
     .ch = "rev_packets", .ch_type = FP_CH_U64, .ch_comment = "--biflow: the responder's",
     .ch_pos = 26},
    {"rev_bytes", FP_WHEN_BIFLOW, FP_FK_UINT, get_rev_octets, REC(rev_octets, ALWAYS),
     .ipfix = IE_PEN_U(FP_PEN_REVERSE, 1, 8, r.rev_octets), .ie_pos = 52,
     .json = "reverseOctetDeltaCount", .ecs = "destination.bytes", .ecs_pos = 22,
     .ecs_get = get_ecs_dst_bytes, .ch = "rev_bytes", .ch_type = FP_CH_U64, .ch_pos = 27},
    {"rev_tcp_flags", FP_WHEN_BIFLOW, FP_FK_UINT, get_rev_tcp_flags, REC(rev_tcp_flags, TCP),
     .ipfix = IE_PEN_U(FP_PEN_REVERSE, 6, 2, r.rev_tcp_flags), .ie_pos = 53,
     .json = "reverseTcpControlBits", .ecs = "fluxprobe.reverse_tcp_flags", .ecs_pos = 46,
     .ch = "rev_tcp_flags", .ch_type = FP_CH_U8, .ch_comment = "--biflow: the responder's",
     .ch_pos = 15},
    /* --fields ingress, vlan, flow-label, mpls, tunnel, latency */
    {"ingress", FP_FIELD_INGRESS, FP_FK_UINT, get_ingress, REC(more.ingress, ALWAYS),
     .ipfix = IE_U(10, 4, r.more.ingress), .v9 = {IE_U(10, 4, r.more.ingress)}, .ie_pos = 20,
     .json = "ingressInterface", .ecs = "observer.ingress.interface.id",
     .ecs_style = FP_ECS_KEYWORD, .ecs_pos = 41,
     .ch = "ingress", .ch_type = FP_CH_U32, .ch_comment = "--fields ingress: interface index",
     .ch_pos = 23},
    {"dot1q_vlan", FP_FIELD_VLAN, FP_FK_UINT, get_vlan_outer, REC(key.vlan, ALWAYS),
     .ipfix = IE_U(243, 2, r.key.vlan), .v9 = {IE_U(243, 2, r.key.vlan)}, .ie_pos = 21,
     .json = "dot1qVlanId"},
    {"inner_vlan", FP_FIELD_VLAN, FP_FK_UINT, get_vlan_inner, REC(more.vlan_inner, ALWAYS),
     .ipfix = IE_U(245, 2, r.more.vlan_inner), .v9 = {IE_U(245, 2, r.more.vlan_inner)},
     .ie_pos = 22, .json = "dot1qCustomerVlanId",
     .ecs = "network.inner.vlan.id", .ecs_style = FP_ECS_KEYWORD | FP_ECS_NONZERO, .ecs_pos = 32,
     .ch = "inner_vlan", .ch_type = FP_CH_U16, .ch_comment = "--fields vlan: the customer VLAN",
     .ch_pos = 22},
    /* IPFIX's flowLabelIPv6 is 4 bytes (RFC 7012), v9's 3 (RFC 3954) */
    {"flow_label", FP_FIELD_FLOW_LABEL, FP_FK_UINT, get_flow_label, REC(more.flow_label, V6),
     .ipfix = IE_U(31, 4, r.more.flow_label), .v9 = {IE_U(31, 3, r.more.flow_label)},
     .ie_pos = 23, .only_v6 = 1,
     .json = "flowLabelIPv6", .ecs = "fluxprobe.flow_label", .ecs_pos = 52},
    /* label stack sections as IPFIX octetArrays (label, traffic class, S bit: 3 octets) */
    {"mpls1", FP_FIELD_MPLS, FP_FK_HEX, get_mpls0,
     .ipfix = IE_RAW(70, 3, r.more.mpls[0]), .v9 = {IE_RAW(70, 3, r.more.mpls[0])}, .ie_pos = 24,
     .json = "mplsTopLabelStackSection"},
    {"mpls2", FP_FIELD_MPLS, FP_FK_HEX, get_mpls1,
     .ipfix = IE_RAW(71, 3, r.more.mpls[1]), .v9 = {IE_RAW(71, 3, r.more.mpls[1])}, .ie_pos = 25,
     .json = "mplsLabelStackSection2"},
    {"mpls3", FP_FIELD_MPLS, FP_FK_HEX, get_mpls2,
     .ipfix = IE_RAW(72, 3, r.more.mpls[2]), .v9 = {IE_RAW(72, 3, r.more.mpls[2])}, .ie_pos = 26,
     .json = "mplsLabelStackSection3"},
    {"mpls_labels", FP_FIELD_MPLS, FP_FK_LIST, get_ecs_mpls_labels,
     .ecs = "fluxprobe.mpls_labels", .ecs_pos = 53},
    {"gre_key", FP_FIELD_TUNNEL, FP_FK_UINT, get_gre_key, REC(more.gre_key, ALWAYS),
     .ipfix = IE_U(296, 4, r.more.gre_key), .v9 = {IE_U(296, 4, r.more.gre_key)}, .ie_pos = 27,
     .json = "greKey", .ecs = "fluxprobe.gre_key", .ecs_pos = 54},
    /* type << 56 | id; VXLAN is type 1 */
    {"l2_segment", FP_FIELD_TUNNEL, FP_FK_UINT, get_l2_segment, REC(l2_segment, ALWAYS),
     .ipfix = IE_U(351, 8, r.l2_segment), .v9 = {IE_U(351, 8, r.l2_segment)}, .ie_pos = 28,
     .json = "layer2SegmentId", .ecs = "fluxprobe.layer2_segment_id", .ecs_pos = 55},
    /* TCP latencies, present when measured. v9: the type ids nfcapd 1.7 reads into nfdump's
     * latency extension (%cl %sl %al: whole seconds and µs, which nfdump adds); IPFIX: nProbe's
     * CLIENT_NW_LATENCY_MS, SERVER_NW_LATENCY_MS, APPL_LATENCY_MS; JSON: no IANA element, named
     * as what they are, in µs */
    {"client_latency", FP_FIELD_LATENCY, FP_FK_UINT, get_lat_client,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 123, 4, lat_ms[FP_LAT_CLIENT]),
     .v9 = {IE_U(57554, 4, lat_sec[FP_LAT_CLIENT]), IE_U(57555, 4, lat_usec[FP_LAT_CLIENT])},
     .ie_pos = 29, .json = "clientNetworkLatencyMicroseconds",
     .ecs = "fluxprobe.latency.client_network_us", .ecs_pos = 56,
     .ch = "client_latency_us", .ch_type = FP_CH_NULL_U32, .ch_comment = "--fields latency",
     .ch_pos = 30},
    {"server_latency", FP_FIELD_LATENCY, FP_FK_UINT, get_lat_server,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 124, 4, lat_ms[FP_LAT_SERVER]),
     .v9 = {IE_U(57556, 4, lat_sec[FP_LAT_SERVER]), IE_U(57557, 4, lat_usec[FP_LAT_SERVER])},
     .ie_pos = 30, .json = "serverNetworkLatencyMicroseconds",
     .ecs = "fluxprobe.latency.server_network_us", .ecs_pos = 57,
     .ch = "server_latency_us", .ch_type = FP_CH_NULL_U32, .ch_pos = 31},
    {"app_latency", FP_FIELD_LATENCY, FP_FK_UINT, get_lat_appl,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 125, 4, lat_ms[FP_LAT_APPL]),
     .v9 = {IE_U(57558, 4, lat_sec[FP_LAT_APPL]), IE_U(57559, 4, lat_usec[FP_LAT_APPL])},
     .ie_pos = 31, .json = "applicationLatencyMicroseconds",
     .ecs = "fluxprobe.latency.application_us", .ecs_pos = 58,
     .ch = "app_latency_us", .ch_type = FP_CH_NULL_U32, .ch_pos = 32},
    /* --dpi: nDPI's verdict. applicationId 95 (RFC 6759, engine 13 and nDPI's id), its name 96
     * (v9 has no variable length: 32 bytes); the names as IANA's HTTP elements and ntop's
     * SSL_SERVER_NAME 188, DNS_QUERY 205, DNS_QUERY_TYPE 207, DNS_RET_CODE 208 */
    {"application", FP_FIELD_APP, FP_FK_WIRE, get_app_name,
     .ipfix = IE_STR(96, app.app_name), .v9 = {IE_RAW(96, 32, app.app_name)}, .ie_pos = 33,
     .json = "applicationName",
     .ch = "application", .ch_type = FP_CH_STRING, .ch_comment = "--dpi: nDPI's name",
     .ch_pos = 33},
    {"application_id", FP_FIELD_APP, FP_FK_UINT, get_app_id,
     .ipfix = IE_RAW(95, FP_APP_ID_LEN, app_id), .v9 = {IE_RAW(95, FP_APP_ID_LEN, app_id)},
     .ie_pos = 32, .json = "applicationId", .ecs = "fluxprobe.application_id", .ecs_pos = 59,
     .ch = "application_id", .ch_type = FP_CH_U16, .ch_pos = 34},
    {"application_guessed", FP_FIELD_APP, FP_FK_TRUE, get_app_guessed,
     .json = "applicationGuessed", .ecs = "fluxprobe.application_guessed", .ecs_pos = 60},
    {"tls_server_name", FP_WHEN_NAMES, FP_FK_WIRE, get_tls_sni,
     .ipfix = IE_PEN_STR(FP_PEN_NTOP, 188, app.name), .ie_pos = 34,
     .json = "tlsServerName", .ecs = "tls.client.server_name", .ecs_pos = 62,
     .ch = "tls_server_name", .ch_type = FP_CH_STRING, .ch_pos = 35},
    {"dns_query", FP_FIELD_APP, FP_FK_WIRE, get_dns_query,
     .ipfix = IE_PEN_STR(FP_PEN_NTOP, 205, app.name), .ie_pos = 39,
     .json = "dnsQueryName", .ecs = "dns.question.name", .ecs_pos = 63,
     .ch = "dns_query", .ch_type = FP_CH_STRING, .ch_pos = 36},
    {"dns_query_type", FP_FIELD_APP, FP_FK_UINT, get_dns_qtype,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 207, 2, app.dns_qtype), .ie_pos = 40,
     .json = "dnsQueryType", .ecs = "dns.question.type", .ecs_style = FP_ECS_DNS_TYPE,
     .ecs_pos = 64},
    {"dns_response_code", FP_FIELD_APP, FP_FK_UINT, get_dns_rcode,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 208, 1, app.dns_rcode), .ie_pos = 41,
     .json = "dnsResponseCode", .ecs = "dns.response_code", .ecs_style = FP_ECS_DNS_RCODE,
     .ecs_pos = 65},
    {"http_host", FP_FIELD_APP, FP_FK_WIRE, get_http_host,
     .ipfix = IE_STR(460, app.name), .ie_pos = 35,
     .json = "httpRequestHost", .ecs = "url.domain", .ecs_pos = 66,
     .ch = "http_host", .ch_type = FP_CH_STRING, .ch_pos = 37},
    {"http_method", FP_FIELD_APP, FP_FK_WIRE, get_http_method,
     .ipfix = IE_STR(459, app.http_method), .ie_pos = 36,
     .json = "httpRequestMethod", .ecs = "http.request.method", .ecs_pos = 67,
     .ch = "http_method", .ch_type = FP_CH_STRING, .ch_pos = 38},
    {"http_status", FP_FIELD_APP, FP_FK_UINT, get_http_status,
     .ipfix = IE_U(457, 2, app.http_status), .ie_pos = 37,
     .json = "httpStatusCode", .ecs = "http.response.status_code", .ecs_pos = 68,
     .ch = "http_status", .ch_type = FP_CH_U16, .ch_pos = 39},
    {"user_agent", FP_FIELD_APP, FP_FK_WIRE, get_user_agent,
     .ipfix = IE_STR(468, app.user_agent), .ie_pos = 38,
     .json = "httpUserAgent", .ecs = "user_agent.original", .ecs_pos = 69,
     .ch = "user_agent", .ch_type = FP_CH_STRING, .ch_pos = 40},
    /* --pcap-dir: the files that hold the flow's packets */
    {"pcap_files", FP_WHEN_PCAP, FP_FK_PCAP_FILES, get_pcap_files,
     .json = "pcapFiles", .ecs = "fluxprobe.pcap_files", .ecs_pos = 61},
    /* IE 34: counters are of 1 packet in N; a consumer scales them, as collectors do */
    {"sampling_interval", FP_WHEN_SAMPLED, FP_FK_UINT, get_sampling,
     .json = "samplingInterval", .ecs = "fluxprobe.sampling_interval", .ecs_pos = 51,
     .ch = "sampling_interval", .ch_type = FP_CH_U32, .ch_comment = "1: every packet",
     .ch_pos = 28},
    {"community_id", 0, FP_FK_TEXT, get_community_id,
     .json = "communityId", .ecs = "network.community_id", .ecs_pos = 30,
     .ch = "community_id", .ch_type = FP_CH_STRING, .ch_comment = "Community ID v1",
     .ch_pos = 41},
    {"end_reason", 0, FP_FK_UINT, get_end_reason, REC(end_reason, ALWAYS),
     .ipfix = IE_U(136, 1, r.end_reason), .ie_pos = 18,
     .json = "flowEndReason", .ecs = "fluxprobe.end_reason", .ecs_pos = 50,
     .ch = "end_reason", .ch_type = FP_CH_U8,
     .ch_comment = "1 idle, 2 active, 3 end detected, 4 forced, 5 lack of resources",
     .ch_pos = 29},
    {"end_reason_name", 0, FP_FK_TEXT, get_end_reason_name,
     .json = "flowEndReasonName", .ecs = "event.reason", .ecs_pos = 12},
    /* what only ClickHouse and ECS carry */
    {"date", 0, FP_FK_UINT, get_date,
     .ch = "date", .ch_type = FP_CH_DATE, .ch_comment = "the day of time_end (partition)",
     .ch_pos = 1},
    {"observer", 0, FP_FK_TEXT, get_observer,
     .ecs = "observer.hostname", .ecs_pos = 36,
     .ch = "observer", .ch_type = FP_CH_STRING, .ch_comment = "the probe's host name",
     .ch_pos = 42},
    {"timestamp", 0, FP_FK_TIME, get_last_us, .ecs = "@timestamp", .ecs_pos = 1},
    {"ecs_version", 0, FP_FK_TEXT, get_ecs_version, .ecs = "ecs.version", .ecs_pos = 2},
    {"event_kind", 0, FP_FK_TEXT, get_ecs_kind, .ecs = "event.kind", .ecs_pos = 3},
    {"event_category", 0, FP_FK_TEXTS, get_ecs_category, .ecs = "event.category", .ecs_pos = 4},
    {"event_type", 0, FP_FK_TEXTS, get_ecs_type, .ecs = "event.type", .ecs_pos = 5},
    {"event_action", 0, FP_FK_TEXT, get_ecs_action, .ecs = "event.action", .ecs_pos = 6},
    {"event_module", 0, FP_FK_TEXT, get_ecs_module, .ecs = "event.module", .ecs_pos = 7},
    {"event_dataset", 0, FP_FK_TEXT, get_ecs_dataset, .ecs = "event.dataset", .ecs_pos = 8},
    {"duration_ns", 0, FP_FK_UINT, get_ecs_duration, .ecs = "event.duration", .ecs_pos = 11},
    {"network_type", 0, FP_FK_TEXT, get_ecs_net_type, .ecs = "network.type", .ecs_pos = 24},
    {"transport", 0, FP_FK_TEXT, get_ecs_transport, .ecs = "network.transport", .ecs_pos = 26},
    {"network_bytes", 0, FP_FK_UINT, get_ecs_net_bytes, .ecs = "network.bytes", .ecs_pos = 27},
    {"network_packets", 0, FP_FK_UINT, get_ecs_net_packets, .ecs = "network.packets",
     .ecs_pos = 28},
    {"app_application", FP_FIELD_APP, FP_FK_WIRE, get_ecs_application,
     .ecs = "network.application", .ecs_style = FP_ECS_LOWER, .ecs_pos = 33},
    {"app_protocol", FP_FIELD_APP, FP_FK_WIRE, get_ecs_protocol,
     .ecs = "network.protocol", .ecs_style = FP_ECS_LOWER, .ecs_pos = 34},
    {"observer_type", 0, FP_FK_TEXT, get_ecs_sensor, .ecs = "observer.type", .ecs_pos = 37},
    {"observer_vendor", 0, FP_FK_TEXT, get_ecs_vendor, .ecs = "observer.vendor", .ecs_pos = 38},
    {"observer_product", 0, FP_FK_TEXT, get_ecs_vendor, .ecs = "observer.product",
     .ecs_pos = 39},
    {"observer_version", 0, FP_FK_TEXT, get_ecs_version_probe, .ecs = "observer.version",
     .ecs_pos = 40},
    /* --local-net (fp_localnet.h) */
    {"flow_direction", FP_FIELD_DIRECTION, FP_FK_UINT, get_flow_direction,
     .ipfix = IE_U(61, 1, flow_direction), .v9 = {IE_U(61, 1, flow_direction)},
     .json = "flowDirection"},
    {"direction", FP_FIELD_DIRECTION, FP_FK_TEXT, get_direction,
     .json = "direction", .ecs = "network.direction",
     .ch = "direction", .ch_type = FP_CH_STRING,
     .ch_comment = "inbound, outbound, internal, external (--local-net; '' without)"},
    /* --geoip (fp_geo.h): AS numbers in the IANA elements nfcapd and nfacctd store, country
     * and city in ntop's, which tshark decodes */
    {"src_as", FP_FIELD_AS, FP_FK_UINT, get_src_as,
     .ipfix = IE_U(16, 4, geo[0].asn), .v9 = {IE_U(16, 4, geo[0].asn)},
     .json = "bgpSourceAsNumber", .ecs = "source.as.number",
     .ch = "src_as", .ch_type = FP_CH_U32, .ch_comment = "--geoip: 0 unknown"},
    {"dst_as", FP_FIELD_AS, FP_FK_UINT, get_dst_as,
     .ipfix = IE_U(17, 4, geo[1].asn), .v9 = {IE_U(17, 4, geo[1].asn)},
     .json = "bgpDestinationAsNumber", .ecs = "destination.as.number",
     .ch = "dst_as", .ch_type = FP_CH_U32, .ch_comment = "--geoip: 0 unknown"},
    {"src_as_org", FP_FIELD_AS, FP_FK_TEXT, get_src_as_org,
     .json = "sourceAsOrganization", .ecs = "source.as.organization.name",
     .ch = "src_as_org", .ch_type = FP_CH_STRING},
    {"dst_as_org", FP_FIELD_AS, FP_FK_TEXT, get_dst_as_org,
     .json = "destinationAsOrganization", .ecs = "destination.as.organization.name",
     .ch = "dst_as_org", .ch_type = FP_CH_STRING},
    {"src_country", FP_FIELD_GEO, FP_FK_TEXT, get_src_country,
     .ipfix = IE_PEN_STR(FP_PEN_NTOP, 101, geo[0].country),
     .json = "sourceCountry", .ecs = "source.geo.country_iso_code",
     .ch = "src_country", .ch_type = FP_CH_STRING, .ch_comment = "--geoip: ISO 3166-1 alpha-2"},
    {"dst_country", FP_FIELD_GEO, FP_FK_TEXT, get_dst_country,
     .ipfix = IE_PEN_STR(FP_PEN_NTOP, 103, geo[1].country),
     .json = "destinationCountry", .ecs = "destination.geo.country_iso_code",
     .ch = "dst_country", .ch_type = FP_CH_STRING, .ch_comment = "--geoip: ISO 3166-1 alpha-2"},
    {"src_city", FP_FIELD_CITY, FP_FK_TEXT, get_src_city,
     .ipfix = IE_PEN_STR(FP_PEN_NTOP, 102, geo[0].city),
     .json = "sourceCity", .ecs = "source.geo.city_name",
     .ch = "src_city", .ch_type = FP_CH_STRING},
    {"dst_city", FP_FIELD_CITY, FP_FK_TEXT, get_dst_city,
     .ipfix = IE_PEN_STR(FP_PEN_NTOP, 104, geo[1].city),
     .json = "destinationCity", .ecs = "destination.geo.city_name",
     .ch = "dst_city", .ch_type = FP_CH_STRING},
    {"src_location", FP_FIELD_CITY, FP_FK_GEO_POINT, get_src_location,
     .json = "sourceLocation", .ecs = "source.geo.location"},
    {"dst_location", FP_FIELD_CITY, FP_FK_GEO_POINT, get_dst_location,
     .json = "destinationLocation", .ecs = "destination.geo.location"},
    /* --payload: YAF's elements (its reverse one has the 0x4000 bit of CERT's reversible IEs) */
    {"payload", FP_FIELD_PAYLOAD, FP_FK_BYTES, get_payload,
     .ipfix = IE_PEN_BYTES(FP_PEN_CERT, 18, payload[0]),
     .json = "payload", .ecs = "fluxprobe.payload",
     .ch = "payload", .ch_type = FP_CH_STRING,
     .ch_comment = "--payload: the first transport payload (bytes)"},
    {"rev_payload", FP_FIELD_PAYLOAD | FP_WHEN_BIFLOW, FP_FK_BYTES, get_rev_payload,
     .ipfix = IE_PEN_BYTES(FP_PEN_CERT, 0x4000 | 18, payload[1]),
     .json = "reversePayload", .ecs = "fluxprobe.reverse_payload",
     .ch = "rev_payload", .ch_type = FP_CH_STRING,
     .ch_comment = "--payload --biflow: the responder's first payload (bytes)"},
    /* --fields tls (fp_tls.h): IPFIX elements tshark decodes where they exist (Ixia's JA3,
     * Gigamon's version, cipher and certificate), CESNET's ALPN as ipfixprobe exports it */
    {"tls_ja3", FP_FIELD_TLS, FP_FK_TEXT, get_tls_ja3,
     .ipfix = IE_PEN_STR(FP_PEN_IXIA, 279, tls_ja3),
     .json = "tlsJa3", .ecs = "tls.client.ja3",
     .ch = "tls_ja3", .ch_type = FP_CH_STRING, .ch_comment = "--fields tls: JA3 (MD5, hex)"},
    {"tls_ja4", FP_FIELD_TLS, FP_FK_TEXT, get_tls_ja4,
     .json = "tlsJa4", .ecs = "fluxprobe.tls.ja4",
     .ch = "tls_ja4", .ch_type = FP_CH_STRING, .ch_comment = "FoxIO's JA4"},
    {"tls_ja3s", FP_FIELD_TLS, FP_FK_TEXT, get_tls_ja3s,
     .json = "tlsJa3s", .ecs = "tls.server.ja3s",
     .ch = "tls_ja3s", .ch_type = FP_CH_STRING},
    {"tls_version", FP_FIELD_TLS, FP_FK_UINT, get_tls_version,
     .ipfix = IE_PEN_U(FP_PEN_GIGAMON, 113, 2, tls.version),
     .json = "tlsVersion",
     .ch = "tls_version", .ch_type = FP_CH_U16, .ch_comment = "negotiated: 0x0304 is TLS 1.3"},
    {"tls_version_name", FP_FIELD_TLS, FP_FK_TEXT, get_ecs_tls_version, .ecs = "tls.version"},
    {"tls_version_protocol", FP_FIELD_TLS, FP_FK_TEXT, get_ecs_tls_protocol,
     .ecs = "tls.version_protocol"},
    {"tls_cipher", FP_FIELD_TLS, FP_FK_UINT, get_tls_cipher,
     .ipfix = IE_PEN_U(FP_PEN_GIGAMON, 114, 2, tls.cipher),
     .json = "tlsCipherSuite",
     .ch = "tls_cipher", .ch_type = FP_CH_U16, .ch_comment = "the cipher suite chosen"},
    {"tls_cipher_name", FP_FIELD_TLS, FP_FK_TEXT, get_ecs_tls_cipher, .ecs = "tls.cipher"},
    {"tls_alpn_offered", FP_FIELD_TLS, FP_FK_WIRE, get_tls_alpn_offered,
     .json = "tlsAlpnOffered", .ecs = "fluxprobe.tls.alpn_offered",
     .ch = "tls_alpn_offered", .ch_type = FP_CH_STRING,
     .ch_comment = "the client's first ALPN value"},
    {"tls_alpn", FP_FIELD_TLS, FP_FK_WIRE, get_tls_alpn,
     .ipfix = IE_PEN_STR(FP_PEN_CESNET, 337, tls.alpn),
     .json = "tlsAlpn", .ecs = "tls.next_protocol", .ecs_style = FP_ECS_LOWER,
     .ch = "tls_alpn", .ch_type = FP_CH_STRING, .ch_comment = "the ALPN value the server chose"},
    {"tls_server_subject", FP_FIELD_TLS, FP_FK_WIRE, get_tls_subject,
     .ipfix = IE_PEN_STR(FP_PEN_GIGAMON, 104, tls.subject),
     .json = "tlsServerSubject", .ecs = "tls.server.subject",
     .ch = "tls_server_subject", .ch_type = FP_CH_STRING,
     .ch_comment = "the certificate's subject (RFC 4514), TLS 1.2 and before"},
    {"tls_server_issuer", FP_FIELD_TLS, FP_FK_WIRE, get_tls_issuer,
     .ipfix = IE_PEN_STR(FP_PEN_GIGAMON, 103, tls.issuer),
     .json = "tlsServerIssuer", .ecs = "tls.server.issuer",
     .ch = "tls_server_issuer", .ch_type = FP_CH_STRING},
    {"tls_server_not_after", FP_FIELD_TLS, FP_FK_TIME, get_tls_not_after,
     .ipfix = IE_PEN_STR(FP_PEN_GIGAMON, 106, tls_not_after),
     .json = "tlsServerNotAfter", .json_digits = 3, .ecs = "tls.server.not_after",
     .ch = "tls_server_not_after", .ch_type = FP_CH_DATETIME},
    /* --fields tcp (fp_tcpa.h): Wireshark's TCP analysis counted per direction; IPFIX ntop's
     * elements (IN: the record's source to its destination, OUT: back, with --biflow) */
    {"tcp_retrans_pkts", FP_FIELD_TCP, FP_FK_UINT, get_tcp_retrans_pkts,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 109, 4, tcp.retrans_pkts[0]),
     .json = "tcpRetransmittedPackets", .ecs = "fluxprobe.tcp.retransmitted_packets",
     .ch = "tcp_retrans_pkts", .ch_type = FP_CH_U32,
     .ch_comment = "--fields tcp: as Wireshark's tcp.analysis.*retransmission"},
    {"tcp_retrans_bytes", FP_FIELD_TCP, FP_FK_UINT, get_tcp_retrans_bytes,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 127, 4, tcp.retrans_bytes[0]),
     .json = "tcpRetransmittedBytes", .ecs = "fluxprobe.tcp.retransmitted_bytes",
     .ch = "tcp_retrans_bytes", .ch_type = FP_CH_U32},
    {"tcp_ooo_pkts", FP_FIELD_TCP, FP_FK_UINT, get_tcp_ooo_pkts,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 111, 4, tcp.ooo_pkts[0]),
     .json = "tcpOutOfOrderPackets", .ecs = "fluxprobe.tcp.out_of_order_packets",
     .ch = "tcp_ooo_pkts", .ch_type = FP_CH_U32},
    {"tcp_zero_window", FP_FIELD_TCP, FP_FK_UINT, get_tcp_zero_window,
     .json = "tcpZeroWindowPackets", .ecs = "fluxprobe.tcp.zero_window_packets",
     .ch = "tcp_zero_window", .ch_type = FP_CH_U32},
    {"rev_tcp_retrans_pkts", FP_FIELD_TCP | FP_WHEN_BIFLOW, FP_FK_UINT, get_rev_tcp_retrans_pkts,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 110, 4, tcp.retrans_pkts[1]),
     .json = "reverseTcpRetransmittedPackets",
     .ecs = "fluxprobe.tcp.reverse_retransmitted_packets",
     .ch = "rev_tcp_retrans_pkts", .ch_type = FP_CH_U32},
    {"rev_tcp_retrans_bytes", FP_FIELD_TCP | FP_WHEN_BIFLOW, FP_FK_UINT,
     get_rev_tcp_retrans_bytes, .ipfix = IE_PEN_U(FP_PEN_NTOP, 128, 4, tcp.retrans_bytes[1]),
     .json = "reverseTcpRetransmittedBytes", .ecs = "fluxprobe.tcp.reverse_retransmitted_bytes",
     .ch = "rev_tcp_retrans_bytes", .ch_type = FP_CH_U32},
    {"rev_tcp_ooo_pkts", FP_FIELD_TCP | FP_WHEN_BIFLOW, FP_FK_UINT, get_rev_tcp_ooo_pkts,
     .ipfix = IE_PEN_U(FP_PEN_NTOP, 112, 4, tcp.ooo_pkts[1]),
     .json = "reverseTcpOutOfOrderPackets", .ecs = "fluxprobe.tcp.reverse_out_of_order_packets",
     .ch = "rev_tcp_ooo_pkts", .ch_type = FP_CH_U32},
    {"rev_tcp_zero_window", FP_FIELD_TCP | FP_WHEN_BIFLOW, FP_FK_UINT, get_rev_tcp_zero_window,
     .json = "reverseTcpZeroWindowPackets", .ecs = "fluxprobe.tcp.reverse_zero_window_packets",
     .ch = "rev_tcp_zero_window", .ch_type = FP_CH_U32},
};
/* clang-format on */
const size_t fp_fields_n = sizeof(fp_fields) / sizeof(fp_fields[0]);
static_assert(sizeof(fp_fields) / sizeof(fp_fields[0]) <= FP_FIELDS_MAX, "raise FP_FIELDS_MAX");

static unsigned out_pos(const struct fp_field *f, enum fp_field_out out)
{
	switch (out) {
	case FP_OUT_IPFIX:
		return f->ie_pos;
	case FP_OUT_JSON:
		return f->json_pos;
	case FP_OUT_ECS:
		return f->ecs_pos;
	default:
		return f->ch_pos;
	}
}

static int carried(const struct fp_field *f, enum fp_field_out out)
{
	switch (out) {
	case FP_OUT_IPFIX:
		return f->ipfix.id || f->v9[0].id;
	case FP_OUT_JSON:
		return f->json != NULL;
	case FP_OUT_ECS:
		return f->ecs != NULL;
	default:
		return f->ch != NULL;
	}
}

/* Rank of a row: its pos, else after every positioned row in table order. */
static unsigned rank(const struct fp_field *t, const uint16_t *idx, size_t k, enum fp_field_out out)
{
	unsigned p = out_pos(&t[idx[k]], out);
	return p ? p : 256u + idx[k];
}

/* The rank of the first row (in `idx` order, n rows) whose ECS path starts with the `len`
 * bytes of `path` as whole segments. */
static size_t prefix_rank(const struct fp_field *t, const uint16_t *idx, size_t n, const char *path,
			  size_t len)
{
	for (size_t k = 0; k < n; k++) {
		const char *p = t[idx[k]].ecs;
		if (strncmp(p, path, len) == 0 && (p[len] == '\0' || p[len] == '.'))
			return k;
	}
	return n;
}

/* ECS: objects stay whole. Compare two rows by the ranks of their paths' prefixes, segment by
 * segment: the order of a depth-first walk of the paths' tree, children in first-seen order. */
static int ecs_before(const struct fp_field *t, const uint16_t *idx, size_t n, size_t a, size_t b)
{
	const char *pa = t[idx[a]].ecs, *pb = t[idx[b]].ecs;
	size_t la = 0, lb = 0;
	for (;;) {
		la += strcspn(pa + la, ".");
		lb += strcspn(pb + lb, ".");
		size_t ra = prefix_rank(t, idx, n, pa, la), rb = prefix_rank(t, idx, n, pb, lb);
		if (ra != rb)
			return ra < rb;
		if (!pa[la] || !pb[lb])
			return a < b;
		la++;
		lb++;
	}
}

static void swap(uint16_t *idx, size_t k)
{
	uint16_t x = idx[k];
	idx[k] = idx[k - 1];
	idx[k - 1] = x;
}

size_t fp_fields_order_of(const struct fp_field *t, size_t nt, enum fp_field_out out, uint16_t *idx)
{
	size_t n = 0;
	if (nt > FP_FIELDS_MAX)
		nt = FP_FIELDS_MAX;
	for (size_t i = 0; i < nt; i++)
		if (carried(&t[i], out))
			idx[n++] = (uint16_t)i;
	/* insertion sorts: the table is small and this runs once per output */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && rank(t, idx, k, out) < rank(t, idx, k - 1, out); k--)
			swap(idx, k);
	if (out != FP_OUT_ECS)
		return n;
	uint16_t by_rank[FP_FIELDS_MAX];
	size_t at[FP_FIELDS_MAX]; /* row → its place in by_rank */
	memcpy(by_rank, idx, n * sizeof(*idx));
	for (size_t k = 0; k < n; k++)
		at[idx[k]] = k;
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && ecs_before(t, by_rank, n, at[idx[k]], at[idx[k - 1]]);
		     k--)
			swap(idx, k);
	return n;
}

size_t fp_fields_order(enum fp_field_out out, uint16_t *idx)
{
	return fp_fields_order_of(fp_fields, fp_fields_n, out, idx);
}
