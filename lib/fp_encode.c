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

#include "fp_fields.h"
#include "fp_localnet.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One element of a row (fp_fields.c) as the template has it. */
static struct fp_ie ie_of(const struct fp_field_ie *f)
{
	return (struct fp_ie){f->id, f->len, f->off, f->src_len, f->pen};
}

/* The data template: the rows IPFIX/v9 carry, in template order, those `biflow` and `fields`
 * turn on; the address family picks the address elements and (IPFIX) ICMP's. */
size_t fp_encode_build_ies(enum fp_format format, int biflow, unsigned fields, int ipver,
			   struct fp_ie *out)
{
	static const struct fp_field_ctx none;
	struct fp_field_ctx c = none;
	uint16_t idx[FP_FIELDS_MAX];
	size_t rows = fp_fields_order(FP_OUT_IPFIX, idx), n = 0;

	c.fields = fields;
	c.biflow = biflow;
	for (size_t i = 0; i < rows; i++) {
		const struct fp_field *f = &fp_fields[idx[i]];
		/* only `fields` and biflow choose elements: what else `when` names is off */
		if (!fp_field_on(f, &c) || (f->only_v6 && ipver != 6))
			continue;
		if (format == FP_FORMAT_IPFIX) {
			if (!f->ipfix.id)
				continue;
			out[n] = ie_of(&f->ipfix);
			if (ipver == 6 && f->ipfix6.id) {
				out[n].id = f->ipfix6.id;
				out[n].len = f->ipfix6.len;
			}
			n++;
			continue;
		}
		for (int k = 0; k < 2 && f->v9[k].id; k++) {
			out[n] = ie_of(&f->v9[k]);
			if (ipver == 6 && k == 0 && f->v9_6.id) {
				out[n].id = f->v9_6.id;
				out[n].len = f->v9_6.len;
			}
			n++;
		}
	}
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
			if (e->ies[v][i].len != FP_IE_VARLEN) /* variable: counted per record */
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
static void app_prepare(struct fp_enc_rec *x, const struct fp_app *app)
{
	if (app && (app->flags & FP_APP_CLASSIFIED)) {
		x->app = *app;
		fp_encode_app_id(fp_app_id(app), x->app_id);
	} else {
		memset(&x->app, 0, sizeof(x->app));
		memset(x->app_id, 0, sizeof(x->app_id));
	}
}

/* --fields tls: the handshake's values where the elements read them ("" and 0: not seen); the
 * server name --dpi did not find goes in its element (ntop's 188). */
static void tls_prepare(struct fp_enc_rec *x, const struct fp_tls_info *t)
{
	static const char hexd[] = "0123456789abcdef";
	if (t == NULL || !t->have) {
		memset(&x->tls, 0, offsetof(struct fp_tls_info, sni));
		x->tls.alpn[0] = x->tls.subject[0] = x->tls.issuer[0] = '\0';
		x->tls_ja3[0] = x->tls_not_after[0] = '\0';
		return;
	}
	x->tls = *t;
	x->tls_ja3[0] = '\0';
	if (t->have & FP_TLS_HAVE_CLIENT) {
		for (int i = 0; i < 16; i++) {
			x->tls_ja3[2 * i] = hexd[t->ja3[i] >> 4];
			x->tls_ja3[2 * i + 1] = hexd[t->ja3[i] & 15];
		}
		x->tls_ja3[32] = '\0';
	}
	x->tls_not_after[0] = '\0';
	if (t->have & FP_TLS_HAVE_CERT) {
		time_t s = (time_t)t->not_after;
		struct tm tm;
		if (gmtime_r(&s, &tm))
			strftime(x->tls_not_after, sizeof(x->tls_not_after), "%Y-%m-%dT%H:%M:%SZ",
				 &tm);
	}
	if (t->sni[0] && !(x->app.flags & FP_APP_TLS_SNI)) {
		x->app.flags |= FP_APP_TLS_SNI;
		snprintf(x->app.name, sizeof(x->app.name), "%s", t->sni);
	}
}

/* The string of IE `ie` in this record ("" where the flow's name is of another kind). */
static const char *ie_string(const struct fp_ie *ie, const struct fp_enc_rec *x)
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

/* A variable-length element's length octets (RFC 7011 section 7): 1 below 255, else 3. */
static inline size_t varlen_head(size_t n)
{
	return n < 255 ? 1 : 3;
}

/* --payload: the record's payload elements in x, cut so that the record (`reclen` bytes without
 * them) fits an empty message; the record's length with them. */
static size_t payload_prepare(struct fp_encoder *e, struct fp_enc_rec *x,
			      const struct fp_payload *y, size_t reclen)
{
	size_t room = e->cap - fp_encode_header_len(e->format) - 4 - 3; /* a set header, padding */
	for (int d = 0; d < 2; d++) {
		x->payload[d].p = y ? y->data + (size_t)d * y->cap : NULL;
		x->payload[d].n = y ? y->len[d] : 0;
	}
	int elements = 1 + (e->biflow != 0);
	size_t fixed = reclen + (size_t)elements * 3;
	size_t left = room > fixed ? room - fixed : 0;
	uint32_t want = x->payload[0].n + (elements == 2 ? x->payload[1].n : 0);
	if (x->payload[0].n > left)
		x->payload[0].n = (uint32_t)left;
	left -= x->payload[0].n;
	if (elements == 2 && x->payload[1].n > left)
		x->payload[1].n = (uint32_t)left;
	e->payload_cut = x->payload[0].n + (elements == 2 ? x->payload[1].n : 0) < want;
	for (int d = 0; d < elements; d++)
		reclen += varlen_head(x->payload[d].n) + x->payload[d].n;
	return reclen;
}

int fp_encode_record_app(struct fp_encoder *e, const struct fp_record *in, const struct fp_app *app)
{
	struct fp_side side = {.app = app};
	return fp_encode_record_side(e, in, &side);
}

#define GEO_GROUPS (FP_FIELD_AS | FP_FIELD_GEO | FP_FIELD_CITY)

int fp_encode_record_side(struct fp_encoder *e, const struct fp_record *in,
			  const struct fp_side *side)
{
	if (e->format == FP_FORMAT_NFV5)
		return encode_v5(e, in);
	int v6 = in->key.ipver == 6;
	uint16_t tid = v6 ? FP_TEMPLATE_IPV6 : FP_TEMPLATE_IPV4;
	size_t n = e->nies[v6];
	const struct fp_ie *ies = e->ies[v6];
	struct fp_enc_rec x;
	size_t reclen = e->reclen[v6];

	if (e->fields & (FP_FIELD_APP | FP_FIELD_TLS))
		app_prepare(&x, side ? side->app : NULL);
	if (e->fields & GEO_GROUPS) { /* the strings are read from x.geo: "" when unknown */
		if (side && side->geo)
			memcpy(x.geo, side->geo, sizeof(x.geo));
		else
			memset(x.geo, 0, sizeof(x.geo));
	}
	if (e->fields & FP_FIELD_TLS)
		tls_prepare(&x, side ? side->tls : NULL);
	if (e->fields & FP_FIELD_TCP) {
		if (side && side->tcp)
			x.tcp = *side->tcp;
		else
			memset(&x.tcp, 0, sizeof(x.tcp));
	}
	if (e->fields & (FP_FIELD_APP | GEO_GROUPS | FP_FIELD_TLS)) {
		for (size_t i = 0; i < n; i++)
			if (ies[i].src_len == FP_IE_STRING)
				reclen += 1 + strnlen(ie_string(&ies[i], &x), 254);
	}
	if (e->fields & FP_FIELD_PAYLOAD) /* as much as a message holds with the rest */
		reclen = payload_prepare(e, &x, side ? side->payload : NULL, reclen);
	if (set_reserve(e, tid, reclen) != 0)
		return -ENOSPC;
	x.r = *in;
	x.first_ms = in->first_us / 1000;
	x.last_ms = in->last_us / 1000;
	if (e->format == FP_FORMAT_NFV9) {
		x.r.first_uptime = (uint32_t)(x.first_ms - e->boot_ms);
		x.r.last_uptime = (uint32_t)(x.last_ms - e->boot_ms);
	}
	if (e->fields & FP_FIELD_DIRECTION)
		x.flow_direction = fp_flow_direction(in->direction);
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
		if (ies[i].src_len == FP_IE_BYTES) {
			const struct fp_enc_bytes *b = (const void *)(base + ies[i].off);
			if (b->n < 255) {
				dst[0] = (uint8_t)b->n;
			} else {
				dst[0] = 255;
				dst[1] = (uint8_t)(b->n >> 8);
				dst[2] = (uint8_t)b->n;
			}
			size_t h = varlen_head(b->n);
			if (b->n)
				memcpy(dst + h, b->p, b->n);
			e->len += h + b->n;
			continue;
		}
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
