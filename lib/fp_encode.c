/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire layouts
 *   IPFIX message header (RFC 7011 §3.1): version 10, length, export time (s), sequence number
 *   (data records sent before this message, mod 2^32), observation domain id. 16 bytes.
 *   v9 packet header (RFC 3954 §5.1): version 9, count (all records: template and data), sysUpTime
 *   (ms), UNIX secs, sequence (export packets sent before), source id. 20 bytes.
 *   Sets/FlowSets: id (2 = IPFIX template, 0 = v9 template, ≥ 256 data), length incl. padding.
 *   Padding to a 4-byte boundary, zero-filled and shorter than one record (RFC 7011 §3.3.1,
 *   RFC 3954 §5.3).
 *   v5 header: version 5, count, sysUpTime (ms), UNIX secs, UNIX nsecs, flow sequence (records
 *   sent before), engine type, engine id, sampling. 24 bytes; then `count` (≤ 30) records of 48
 *   bytes: addresses, next hop, ifindexes, packets, octets (32-bit), FIRST/LAST (sysUpTime ms),
 *   ports, TCP flags, protocol, ToS, AS numbers, masks.
 * v9 time: the collector computes absolute time as UNIX secs · 1000 − sysUpTime + FIRST_SWITCHED.
 *   We choose sysUpTime = UNIX secs · 1000 − boot_ms, with UNIX secs rounded up, so that sum gives
 *   back the exact millisecond and no flow ends after the header's sysUpTime.
 */
#include "fp_encode.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* What an IE points at: the record, then values the encoder derives from it per record. */
struct enc_rec {
	struct fp_record r;
	uint64_t first_ms, last_ms; /* IPFIX flowStart/EndMilliseconds */
	/* --fields latency: v9's whole seconds and the µs beyond them (nfdump adds the two),
	 * IPFIX's milliseconds (ntop's *_LATENCY_MS) */
	uint32_t lat_sec[FP_LAT_N], lat_usec[FP_LAT_N], lat_ms[FP_LAT_N];
	/* --dpi: what was found, and its applicationId (fp_encode_app_id) */
	struct fp_app app;
	uint8_t app_id[FP_APP_ID_LEN];
};

#define F(field) (uint16_t) offsetof(struct enc_rec, field)
#define FSZ(field) (uint16_t)sizeof(((struct enc_rec *)0)->field)
#define UINT(id, len, field)                                                                       \
	{                                                                                          \
		id, len, F(field), FSZ(field), 0                                                   \
	}
#define RAW(id, len, field)                                                                        \
	{                                                                                          \
		id, len, F(field), 0, 0                                                            \
	}
#define STR(id, field)                                                                             \
	{                                                                                          \
		id, FP_IE_VARLEN, F(field), FP_IE_STRING, 0                                        \
	}
#define PEN_STR(pen, id, field)                                                                    \
	{                                                                                          \
		FP_IE_ENTERPRISE | (id), FP_IE_VARLEN, F(field), FP_IE_STRING, pen                 \
	}
#define PEN_UINT(pen, id, len, field)                                                              \
	{                                                                                          \
		FP_IE_ENTERPRISE | (id), len, F(field), FSZ(field), pen                            \
	}

/* One list per format; the address family only picks the address IEs, their length and (IPFIX)
 * the ICMP type/code IE. v9 field types 1–79 share IPFIX numbers; 21/22 are LAST/FIRST_SWITCHED
 * (uptime-relative). */
/* clang-format off */
#define IPFIX_IES(SRC, DST, ALEN, ICMP)                                                         \
	RAW(SRC, ALEN, r.key.src), RAW(DST, ALEN, r.key.dst), UINT(7, 2, r.key.sport),              \
	UINT(11, 2, r.key.dport), UINT(4, 1, r.key.proto),   UINT(6, 2, r.tcp_flags),               \
	UINT(5, 1, r.tos),        UINT(58, 2, r.key.vlan),   UINT(ICMP, 2, r.icmp_type_code),       \
	UINT(52, 1, r.ttl_min),   UINT(53, 1, r.ttl_max),    RAW(56, 6, r.src_mac),                 \
	RAW(80, 6, r.dst_mac),    UINT(2, 8, r.packets),     UINT(1, 8, r.octets),                  \
	UINT(152, 8, first_ms),   UINT(153, 8, last_ms),     UINT(136, 1, r.end_reason),            \
	UINT(60, 1, r.ipver)

#define NFV9_IES(SRC, DST, ALEN)                                                                \
	RAW(SRC, ALEN, r.key.src), RAW(DST, ALEN, r.key.dst), UINT(7, 2, r.key.sport),              \
	UINT(11, 2, r.key.dport), UINT(4, 1, r.key.proto),   UINT(6, 1, r.tcp_flags),               \
	UINT(5, 1, r.tos),        UINT(58, 2, r.key.vlan),   UINT(32, 2, r.icmp_type_code),         \
	UINT(52, 1, r.ttl_min),   UINT(53, 1, r.ttl_max),    RAW(56, 6, r.src_mac),                 \
	RAW(80, 6, r.dst_mac),    UINT(2, 8, r.packets),     UINT(1, 8, r.octets),                  \
	UINT(22, 4, r.first_uptime), UINT(21, 4, r.last_uptime), UINT(60, 1, r.ipver)

static const struct fp_ie ipfix_v4[] = {IPFIX_IES(8, 12, 4, 32)};
static const struct fp_ie ipfix_v6[] = {IPFIX_IES(27, 28, 16, 139)};
static const struct fp_ie nfv9_v4[] = {NFV9_IES(8, 12, 4)};
static const struct fp_ie nfv9_v6[] = {NFV9_IES(27, 28, 16)};

/* RFC 5103 biflow: the same, then the responder's counters as reverse IEs (PEN 29305). */
static const struct fp_ie reverse_ies[] = {
	PEN_UINT(FP_PEN_REVERSE, 2, 8, r.rev_packets), PEN_UINT(FP_PEN_REVERSE, 1, 8, r.rev_octets),
	PEN_UINT(FP_PEN_REVERSE, 6, 2, r.rev_tcp_flags),
};

/* --fields: the optional groups, in template order. v9 takes the IPFIX numbers above 79 as
 * Cisco's exporters do; its flow label is 3 bytes (RFC 3954), IPFIX's 4 (RFC 7012). */
struct field_group {
	unsigned bit;
	int only_v6;
	struct fp_ie ie;
	uint16_t v9_len; /* 0: the IPFIX length */
	int only_format; /* 0: both; else the one format that takes the IE */
};

static const struct field_group field_groups[] = {
	{FP_FIELD_INGRESS, 0, UINT(10, 4, r.more.ingress), 0, 0},
	{FP_FIELD_VLAN, 0, UINT(243, 2, r.key.vlan), 0, 0},
	{FP_FIELD_VLAN, 0, UINT(245, 2, r.more.vlan_inner), 0, 0},
	{FP_FIELD_FLOW_LABEL, 1, UINT(31, 4, r.more.flow_label), 3, 0},
	{FP_FIELD_MPLS, 0, RAW(70, 3, r.more.mpls[0]), 0, 0},
	{FP_FIELD_MPLS, 0, RAW(71, 3, r.more.mpls[1]), 0, 0},
	{FP_FIELD_MPLS, 0, RAW(72, 3, r.more.mpls[2]), 0, 0},
	{FP_FIELD_TUNNEL, 0, UINT(296, 4, r.more.gre_key), 0, 0},
	{FP_FIELD_TUNNEL, 0, UINT(351, 8, r.l2_segment), 0, 0},
	/* v9: the type ids nfcapd 1.7 reads into nfdump's latency extension (%cl %sl %al) */
	{FP_FIELD_LATENCY, 0, UINT(57554, 4, lat_sec[FP_LAT_CLIENT]), 0, FP_FORMAT_NFV9},
	{FP_FIELD_LATENCY, 0, UINT(57555, 4, lat_usec[FP_LAT_CLIENT]), 0, FP_FORMAT_NFV9},
	{FP_FIELD_LATENCY, 0, UINT(57556, 4, lat_sec[FP_LAT_SERVER]), 0, FP_FORMAT_NFV9},
	{FP_FIELD_LATENCY, 0, UINT(57557, 4, lat_usec[FP_LAT_SERVER]), 0, FP_FORMAT_NFV9},
	{FP_FIELD_LATENCY, 0, UINT(57558, 4, lat_sec[FP_LAT_APPL]), 0, FP_FORMAT_NFV9},
	{FP_FIELD_LATENCY, 0, UINT(57559, 4, lat_usec[FP_LAT_APPL]), 0, FP_FORMAT_NFV9},
	/* IPFIX: nProbe's CLIENT_NW_LATENCY_MS, SERVER_NW_LATENCY_MS, APPL_LATENCY_MS */
	{FP_FIELD_LATENCY, 0, PEN_UINT(FP_PEN_NTOP, 123, 4, lat_ms[FP_LAT_CLIENT]), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_LATENCY, 0, PEN_UINT(FP_PEN_NTOP, 124, 4, lat_ms[FP_LAT_SERVER]), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_LATENCY, 0, PEN_UINT(FP_PEN_NTOP, 125, 4, lat_ms[FP_LAT_APPL]), 0, FP_FORMAT_IPFIX},
	/* --dpi: v9 has no variable length: the id and the name in 32 bytes */
	{FP_FIELD_APP, 0, RAW(95, FP_APP_ID_LEN, app_id), 0, 0},
	{FP_FIELD_APP, 0, RAW(96, 32, app.app_name), 0, FP_FORMAT_NFV9},
	{FP_FIELD_APP, 0, STR(96, app.app_name), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, PEN_STR(FP_PEN_NTOP, 188, app.name), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, STR(460, app.name), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, STR(459, app.http_method), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, UINT(457, 2, app.http_status), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, STR(468, app.user_agent), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, PEN_STR(FP_PEN_NTOP, 205, app.name), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, PEN_UINT(FP_PEN_NTOP, 207, 2, app.dns_qtype), 0, FP_FORMAT_IPFIX},
	{FP_FIELD_APP, 0, PEN_UINT(FP_PEN_NTOP, 208, 1, app.dns_rcode), 0, FP_FORMAT_IPFIX},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* clang-format on */

size_t fp_encode_build_ies(enum fp_format format, int biflow, unsigned fields, int ipver,
			   struct fp_ie *out)
{
	const struct fp_ie *base;
	size_t n = 0, nb;

	if (format == FP_FORMAT_IPFIX) {
		base = ipver == 6 ? ipfix_v6 : ipfix_v4;
		nb = ipver == 6 ? N(ipfix_v6) : N(ipfix_v4);
	} else {
		base = ipver == 6 ? nfv9_v6 : nfv9_v4;
		nb = ipver == 6 ? N(nfv9_v6) : N(nfv9_v4);
	}
	for (size_t i = 0; i < nb; i++)
		out[n++] = base[i];
	for (size_t i = 0; i < N(field_groups); i++) {
		const struct field_group *g = &field_groups[i];
		if (!(fields & g->bit) || (g->only_v6 && ipver != 6) ||
		    (g->only_format && g->only_format != (int)format))
			continue;
		out[n] = g->ie;
		if (format != FP_FORMAT_IPFIX && g->v9_len)
			out[n].len = g->v9_len;
		n++;
	}
	if (format == FP_FORMAT_IPFIX && biflow)
		for (size_t i = 0; i < N(reverse_ies); i++)
			out[n++] = reverse_ies[i];
	return n;
}

void fp_encode_layout(struct fp_encoder *e, int biflow, unsigned fields)
{
	e->biflow = biflow;
	e->fields = fields;
	if (e->format == FP_FORMAT_NFV5)
		return;
	for (int v = 0; v < 2; v++) {
		e->nies[v] = fp_encode_build_ies(e->format, biflow, fields, v ? 6 : 4, e->ies[v]);
		e->reclen[v] = 0;
		for (size_t i = 0; i < e->nies[v]; i++)
			if (e->ies[v][i].src_len != FP_IE_STRING) /* variable: counted per record */
				e->reclen[v] += e->ies[v][i].len;
	}
}

size_t fp_encode_record_len(enum fp_format format, int ipver)
{
	struct fp_ie ies[FP_ENCODE_MAX_IES];
	size_t n = fp_encode_build_ies(format, 0, 0, ipver, ies), len = 0;
	for (size_t i = 0; i < n; i++)
		len += ies[i].len;
	return len;
}

size_t fp_encode_header_len(enum fp_format format)
{
	return format == FP_FORMAT_IPFIX ? 16 : format == FP_FORMAT_NFV5 ? 24 : 20;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void fp_encode_init(struct fp_encoder *e, enum fp_format format, uint32_t domain, uint8_t *buf,
		    size_t cap, uint64_t boot_ms)
{
	memset(e, 0, sizeof(*e));
	e->format = format;
	e->domain = domain;
	e->buf = buf;
	e->cap = cap;
	e->boot_ms = boot_ms;
	fp_encode_layout(e, 0, 0);
}

void fp_encode_begin(struct fp_encoder *e, uint64_t now_ms)
{
	/* v9's sysUpTime is 32-bit ms and wraps after 49.7 days, and collectors rebuild absolute
	 * times with 64-bit arithmetic that a wrap breaks. Every packet carries its own base
	 * (UNIX secs − sysUpTime), so move the base forward before the uptime reaches 2^31 ms;
	 * records are at most one active timeout old, far less than the 2^30 ms kept behind. */
	if (e->format != FP_FORMAT_IPFIX && now_ms > e->boot_ms &&
	    now_ms - e->boot_ms >= (1ull << 31))
		e->boot_ms = (now_ms - (1ull << 30)) / 1000 * 1000;
	e->len = fp_encode_header_len(e->format);
	e->set_off = 0;
	e->set_id = 0;
	e->msg_records = 0;
	e->msg_count = 0;
	e->export_ms = now_ms;
}

static void set_close(struct fp_encoder *e)
{
	if (e->set_off == 0)
		return;
	while ((e->len - e->set_off) % 4)
		e->buf[e->len++] = 0;
	put16(e->buf + e->set_off + 2, (uint16_t)(e->len - e->set_off));
	e->set_off = 0;
}

/* Make sure a set with `id` is open and `need` more bytes fit (counting a new set header). */
static int set_reserve(struct fp_encoder *e, uint16_t id, size_t need)
{
	size_t extra = 0;

	if (e->set_off == 0 || e->set_id != id) {
		/* closing the open set may pad it by up to 3 bytes */
		extra = 4 + (e->set_off ? 3 : 0);
	}
	/* + 3: the set this lands in may need that much padding when it closes */
	if (e->len + extra + need + 3 > e->cap)
		return -ENOSPC;
	if (e->set_off == 0 || e->set_id != id) {
		set_close(e);
		e->set_off = e->len;
		e->set_id = id;
		put16(e->buf + e->len, id);
		put16(e->buf + e->len + 2, 0);
		e->len += 4;
	}
	return 0;
}

static size_t template_len(const struct fp_encoder *e, int ipver)
{
	size_t len = 4, n = e->nies[ipver == 6];
	const struct fp_ie *ies = e->ies[ipver == 6];
	for (size_t i = 0; i < n; i++)
		len += ies[i].pen ? 8 : 4; /* enterprise IEs carry their PEN */
	return len;
}

int fp_encode_templates(struct fp_encoder *e)
{
	if (e->format == FP_FORMAT_NFV5)
		return 0; /* a fixed format: nothing to announce */
	uint16_t set_id = e->format == FP_FORMAT_IPFIX ? 2 : 0;
	size_t need = template_len(e, 4) + template_len(e, 6);

	if (set_reserve(e, set_id, need) != 0)
		return -ENOSPC;
	for (int v = 4; v <= 6; v += 2) {
		size_t n = e->nies[v == 6];
		const struct fp_ie *ies = e->ies[v == 6];
		put16(e->buf + e->len, v == 4 ? FP_TEMPLATE_IPV4 : FP_TEMPLATE_IPV6);
		put16(e->buf + e->len + 2, (uint16_t)n);
		e->len += 4;
		for (size_t i = 0; i < n; i++) {
			put16(e->buf + e->len, ies[i].id); /* enterprise bit included */
			put16(e->buf + e->len + 2, ies[i].len);
			e->len += 4;
			if (ies[i].pen) {
				put32(e->buf + e->len, ies[i].pen);
				e->len += 4;
			}
		}
		e->msg_count++;
	}
	/* A template set stands alone: the next record opens a data set. */
	set_close(e);
	return 0;
}

static uint64_t load_uint(const uint8_t *p, uint16_t size)
{
	switch (size) {
	case 1:
		return *p;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	}
}

/* The 48-byte v5 record. */
static int encode_v5(struct fp_encoder *e, const struct fp_record *r)
{
	if (r->key.ipver != 4)
		return -EAFNOSUPPORT;
	if (r->packets > FP_NFV5_MAX_COUNT || r->octets > FP_NFV5_MAX_COUNT)
		return -ERANGE;
	if (e->msg_records == FP_NFV5_MAX_RECORDS || e->len + 48 > e->cap)
		return -ENOSPC;
	uint8_t *p = e->buf + e->len;
	memset(p, 0, 48);
	memcpy(p, r->key.src, 4);
	memcpy(p + 4, r->key.dst, 4);
	if (e->fields & FP_FIELD_INGRESS) /* v5's input is 16 bits */
		put16(p + 12, r->more.ingress > 0xffff ? 0 : (uint16_t)r->more.ingress);
	put32(p + 16, (uint32_t)r->packets);
	put32(p + 20, (uint32_t)r->octets);
	put32(p + 24, (uint32_t)(r->first_us / 1000 - e->boot_ms));
	put32(p + 28, (uint32_t)(r->last_us / 1000 - e->boot_ms));
	put16(p + 32, r->key.sport);
	put16(p + 34, r->key.dport); /* ICMP: type << 8 | code, as v5 exporters do */
	p[37] = r->tcp_flags;
	p[38] = r->key.proto;
	p[39] = r->tos;
	e->len += 48;
	e->msg_records++;
	e->msg_count++;
	return 0;
}

int fp_encode_record(struct fp_encoder *e, const struct fp_record *in)
{
	return fp_encode_record_app(e, in, NULL);
}

/* The name fields of one flow: the one name nDPI found goes in the IE of its kind only. */
static void app_prepare(struct enc_rec *x, const struct fp_app *app)
{
	if (app && (app->flags & FP_APP_CLASSIFIED)) {
		x->app = *app;
		fp_encode_app_id(fp_app_id(app), x->app_id);
	} else {
		memset(&x->app, 0, sizeof(x->app));
		memset(x->app_id, 0, sizeof(x->app_id));
	}
}

/* The string of IE `ie` in this record ("" where the flow's name is of another kind). */
static const char *ie_string(const struct fp_ie *ie, const struct enc_rec *x)
{
	const char *s = (const char *)x + ie->off;
	if (s == x->app.name) {
		unsigned want = ie->id == 460			     ? FP_APP_HTTP
				: ie->id == (FP_IE_ENTERPRISE | 188) ? FP_APP_TLS_SNI
								     : FP_APP_DNS;
		if (!(x->app.flags & want))
			return "";
	}
	return s;
}

int fp_encode_record_app(struct fp_encoder *e, const struct fp_record *in, const struct fp_app *app)
{
	if (e->format == FP_FORMAT_NFV5)
		return encode_v5(e, in);
	int v6 = in->key.ipver == 6;
	uint16_t tid = v6 ? FP_TEMPLATE_IPV6 : FP_TEMPLATE_IPV4;
	size_t n = e->nies[v6];
	const struct fp_ie *ies = e->ies[v6];
	struct enc_rec x;
	size_t reclen = e->reclen[v6];

	if (e->fields & FP_FIELD_APP) {
		app_prepare(&x, app);
		for (size_t i = 0; i < n; i++)
			if (ies[i].src_len == FP_IE_STRING)
				reclen += 1 + strnlen(ie_string(&ies[i], &x), 254);
	}
	if (set_reserve(e, tid, reclen) != 0)
		return -ENOSPC;
	x.r = *in;
	x.first_ms = in->first_us / 1000;
	x.last_ms = in->last_us / 1000;
	if (e->format == FP_FORMAT_NFV9) {
		x.r.first_uptime = (uint32_t)(x.first_ms - e->boot_ms);
		x.r.last_uptime = (uint32_t)(x.last_ms - e->boot_ms);
	}
	if (e->fields & FP_FIELD_LATENCY)
		for (int k = 0; k < FP_LAT_N; k++) {
			uint32_t us = in->lat_us[k]; /* 0 when not measured */
			x.lat_sec[k] = us / 1000000;
			x.lat_usec[k] = us % 1000000;
			x.lat_ms[k] = us / 1000;
		}
	const uint8_t *base = (const uint8_t *)&x;
	for (size_t i = 0; i < n; i++) {
		uint8_t *dst = e->buf + e->len;
		if (ies[i].src_len == FP_IE_STRING) { /* RFC 7011 §7: a length octet (< 255) */
			const char *s = ie_string(&ies[i], &x);
			size_t len = strnlen(s, 254);
			dst[0] = (uint8_t)len;
			memcpy(dst + 1, s, len);
			e->len += 1 + len;
			continue;
		}
		if (ies[i].src_len == 0) {
			memcpy(dst, base + ies[i].off, ies[i].len);
		} else {
			uint64_t val = load_uint(base + ies[i].off, ies[i].src_len);
			for (int b = ies[i].len - 1; b >= 0; b--, val >>= 8)
				dst[b] = (uint8_t)val;
		}
		e->len += ies[i].len;
	}
	e->msg_records++;
	e->msg_count++;
	return 0;
}

size_t fp_encode_finish(struct fp_encoder *e)
{
	uint8_t *h = e->buf;

	set_close(e);
	if (e->format == FP_FORMAT_NFV5) {
		put16(h, 5);
		put16(h + 2, (uint16_t)e->msg_records);
		put32(h + 4, (uint32_t)(e->export_ms - e->boot_ms));
		put32(h + 8, (uint32_t)(e->export_ms / 1000));
		put32(h + 12, (uint32_t)(e->export_ms % 1000 * 1000000));
		put32(h + 16, e->seq);
		h[20] = 0;		    /* engine type */
		h[21] = (uint8_t)e->domain; /* engine id */
		put16(h + 22, e->v5_sampling);
		e->seq += e->msg_records;
	} else if (e->format == FP_FORMAT_IPFIX) {
		put16(h, 10);
		put16(h + 2, (uint16_t)e->len);
		put32(h + 4, (uint32_t)(e->export_ms / 1000));
		put32(h + 8, e->seq);
		put32(h + 12, e->domain);
		e->seq += e->msg_records;
	} else {
		uint64_t secs = (e->export_ms + 999) / 1000;
		put16(h, 9);
		put16(h + 2, (uint16_t)e->msg_count);
		put32(h + 4, (uint32_t)(secs * 1000 - e->boot_ms));
		put32(h + 8, (uint32_t)secs);
		put32(h + 12, e->seq);
		put32(h + 16, e->domain);
		e->seq++;
	}
	return e->len;
}

/* ---- options (RFC 7011 §3.4.2.2 and §4; RFC 3954 §6.1) ---- */

struct opt_template {
	uint16_t id;
	uint16_t scope_ie; /* IPFIX scope IE; v9 uses scope type 1 (System) */
	uint16_t n;
	uint16_t ies[3];
	uint16_t off[3]; /* offsetof(struct fp_export_counters, ...) */
};

#define OFF(f) (uint16_t) offsetof(struct fp_export_counters, f)

static const struct opt_template opt_templates[] = {
    {FP_TEMPLATE_OPT_METERING,
     149,
     3,
     {41, 42, 40},
     {OFF(messages), OFF(flow_records), OFF(octets)}},
    {FP_TEMPLATE_OPT_METERING_REL, 143, 2, {164, 165}, {OFF(ignored_packets), OFF(ignored_octets)}},
    {FP_TEMPLATE_OPT_EXPORTING_REL,
     144,
     3,
     {166, 167, 168},
     {OFF(notsent_flows), OFF(notsent_packets), OFF(notsent_octets)}},
};

static unsigned opt_count(const struct fp_encoder *e)
{
	return e->format == FP_FORMAT_IPFIX ? 3 : 1;
}

int fp_encode_options_templates(struct fp_encoder *e)
{
	if (e->format == FP_FORMAT_NFV5)
		return -ENOTSUP; /* v5 has no options */
	int ipfix = e->format == FP_FORMAT_IPFIX;
	size_t need = 0;

	for (unsigned i = 0; i < opt_count(e); i++)
		need += 4 + 3 + 6 + 4 * (1 + opt_templates[i].n);
	if (e->len + need > e->cap)
		return -ENOSPC;
	/* One options template per set: RFC 7011 allows several, but pmacct's nfacctd 1.7 misreads
	 * the records that follow a set holding more than one. */
	for (unsigned i = 0; i < opt_count(e); i++) {
		const struct opt_template *o = &opt_templates[i];
		set_close(e);
		set_reserve(e, ipfix ? 3 : 1, 6 + 4 * (1 + o->n));
		uint8_t *p = e->buf + e->len;
		put16(p, o->id);
		if (ipfix) {
			put16(p + 2, (uint16_t)(1 + o->n)); /* field count, scope included */
			put16(p + 4, 1);		    /* scope field count */
			put16(p + 6, o->scope_ie);
		} else {
			put16(p + 2, 4);		    /* option scope length, bytes */
			put16(p + 4, (uint16_t)(4 * o->n)); /* option length, bytes */
			put16(p + 6, 1);		    /* scope type: System */
		}
		put16(p + 8, 4);
		e->len += 10;
		for (unsigned f = 0; f < o->n; f++) {
			put16(e->buf + e->len, o->ies[f]);
			put16(e->buf + e->len + 2, 8);
			e->len += 4;
		}
		e->msg_count++;
	}
	set_close(e);
	return 0;
}

int fp_encode_options(struct fp_encoder *e, const struct fp_export_counters *c)
{
	size_t need = 0;
	if (e->format == FP_FORMAT_NFV5)
		return -ENOTSUP;

	for (unsigned i = 0; i < opt_count(e); i++)
		need += 4 + 3 + 4 + 8 * opt_templates[i].n;
	if (e->len + need > e->cap)
		return -ENOSPC;
	for (unsigned i = 0; i < opt_count(e); i++) {
		const struct opt_template *o = &opt_templates[i];
		if (set_reserve(e, o->id, 4 + 8 * o->n) != 0)
			return -ENOSPC;
		/* scope value: the observation domain, or process id 1 (one of each here) */
		put32(e->buf + e->len,
		      o->scope_ie == 149 || e->format == FP_FORMAT_NFV9 ? e->domain : 1);
		e->len += 4;
		for (unsigned f = 0; f < o->n; f++) {
			uint64_t v;
			memcpy(&v, (const uint8_t *)c + o->off[f], 8);
			for (int b = 7; b >= 0; b--, v >>= 8)
				e->buf[e->len + (unsigned)b] = (uint8_t)v;
			e->len += 8;
		}
		e->msg_records++;
		e->msg_count++;
	}
	set_close(e);
	return 0;
}

/* ---- sampling options ---- */

struct samp_field {
	uint16_t id, len;
};

static const struct samp_field samp_ipfix[] = {
    {304, 1}, {305, 4}, {306, 4}, {311, 8}, {34, 4}, {35, 1},
};
static const struct samp_field samp_nfv9[] = {{34, 4}, {35, 1}};

static const struct samp_field *samp_fields(const struct fp_encoder *e, size_t *n, size_t *len)
{
	const struct samp_field *f = e->format == FP_FORMAT_IPFIX ? samp_ipfix : samp_nfv9;
	*n = e->format == FP_FORMAT_IPFIX ? sizeof(samp_ipfix) / sizeof(samp_ipfix[0])
					  : sizeof(samp_nfv9) / sizeof(samp_nfv9[0]);
	*len = 4; /* scope value */
	for (size_t i = 0; i < *n; i++)
		*len += f[i].len;
	return f;
}

void fp_encode_app_id(uint16_t id, uint8_t out[FP_APP_ID_LEN])
{
	out[0] = 13; /* PANA-L7 */
	put16(out + 1, id);
}

#define APP_NAME_LEN 32

int fp_encode_app_template(struct fp_encoder *e)
{
	if (e->format == FP_FORMAT_NFV5)
		return -ENOTSUP;
	int ipfix = e->format == FP_FORMAT_IPFIX;
	set_close(e);
	if (set_reserve(e, ipfix ? 3 : 1, 6 + 4 * 4) != 0)
		return -ENOSPC;
	uint8_t *p = e->buf + e->len;
	put16(p, FP_TEMPLATE_OPT_APP);
	if (ipfix) {
		put16(p + 2, 3); /* field count, scope included */
		put16(p + 4, 1); /* scope field count: the applicationId */
		p += 6;
	} else {
		put16(p + 2, 4);     /* option scope length, bytes */
		put16(p + 4, 3 * 4); /* option length, bytes */
		put16(p + 6, 1);     /* scope type: System */
		put16(p + 8, 4);
		p += 10;
	}
	static const uint16_t f[3][2] = {
	    {95, FP_APP_ID_LEN}, {96, APP_NAME_LEN}, {94, APP_NAME_LEN}};
	for (int i = 0; i < 3; i++, p += 4) {
		put16(p, f[i][0]);
		put16(p + 2, f[i][1]);
	}
	e->len = (size_t)(p - e->buf);
	e->msg_count++;
	set_close(e);
	return 0;
}

int fp_encode_app_name(struct fp_encoder *e, uint16_t id, const char *name)
{
	if (e->format == FP_FORMAT_NFV5)
		return -ENOTSUP;
	size_t len = (e->format == FP_FORMAT_IPFIX ? 0 : 4) + FP_APP_ID_LEN + 2 * APP_NAME_LEN;
	if (set_reserve(e, FP_TEMPLATE_OPT_APP, len) != 0)
		return -ENOSPC;
	uint8_t *p = e->buf + e->len;
	memset(p, 0, len);
	if (e->format != FP_FORMAT_IPFIX) {
		put32(p, e->domain); /* System scope: the source id */
		p += 4;
	}
	fp_encode_app_id(id, p);
	size_t n = strnlen(name, APP_NAME_LEN - 1);
	memcpy(p + FP_APP_ID_LEN, name, n);
	/* applicationDescription: who named it */
	memcpy(p + FP_APP_ID_LEN + APP_NAME_LEN, "nDPI", 4);
	e->len += len;
	e->msg_records++;
	e->msg_count++;
	return 0;
}

int fp_encode_sampling_template(struct fp_encoder *e)
{
	if (e->format == FP_FORMAT_NFV5)
		return -ENOTSUP;
	int ipfix = e->format == FP_FORMAT_IPFIX;
	size_t n, rec_len;
	const struct samp_field *f = samp_fields(e, &n, &rec_len);
	set_close(e);
	if (set_reserve(e, ipfix ? 3 : 1, 10 + 4 * n) != 0)
		return -ENOSPC;
	uint8_t *p = e->buf + e->len;
	put16(p, FP_TEMPLATE_OPT_SAMPLING);
	if (ipfix) {
		put16(p + 2, (uint16_t)(1 + n)); /* field count, scope included */
		put16(p + 4, 1);		 /* scope field count */
		put16(p + 6, 149);		 /* observationDomainId */
	} else {
		put16(p + 2, 4);		 /* option scope length, bytes */
		put16(p + 4, (uint16_t)(4 * n)); /* option length, bytes */
		put16(p + 6, 1);		 /* scope type: System */
	}
	put16(p + 8, 4);
	e->len += 10;
	for (size_t i = 0; i < n; i++) {
		put16(e->buf + e->len, f[i].id);
		put16(e->buf + e->len + 2, f[i].len);
		e->len += 4;
	}
	e->msg_count++;
	set_close(e);
	return 0;
}

int fp_encode_sampling(struct fp_encoder *e, uint32_t interval, enum fp_sampling_algorithm alg)
{
	if (e->format == FP_FORMAT_NFV5)
		return -ENOTSUP;
	size_t n, rec_len;
	const struct samp_field *f = samp_fields(e, &n, &rec_len);
	if (set_reserve(e, FP_TEMPLATE_OPT_SAMPLING, rec_len) != 0)
		return -ENOSPC;
	uint8_t *p = e->buf + e->len;
	put32(p, e->domain);
	p += 4;
	double prob = 1.0 / interval;
	uint64_t prob_bits;
	memcpy(&prob_bits, &prob, 8);
	for (size_t i = 0; i < n; i++) {
		switch (f[i].id) {
		case 304: /* RFC 5477: 1 systematic count-based, 4 uniform probabilistic */
			*p = alg == FP_SAMPLING_DETERMINISTIC ? 1 : 4;
			break;
		case 305:
			put32(p, 1);
			break;
		case 306:
			put32(p, interval - 1);
			break;
		case 311:
			put32(p, (uint32_t)(prob_bits >> 32));
			put32(p + 4, (uint32_t)prob_bits);
			break;
		case 34:
			put32(p, interval);
			break;
		case 35:
			*p = (uint8_t)alg;
			break;
		}
		p += f[i].len;
	}
	e->len += rec_len;
	e->msg_records++;
	e->msg_count++;
	set_close(e);
	return 0;
}
