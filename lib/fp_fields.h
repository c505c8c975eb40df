/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One row per field of a flow record, for every output: the IPFIX and v9 elements, the JSON key
 * (IANA name), the ECS path, the ClickHouse column and type, the option that turns the field on,
 * and how its value is read from the record. The IPFIX/v9 templates (fp_encode.c), the JSON
 * lines in both schemas (probe/sinks/jsonout.c, json_ecs.c), the ClickHouse schema and rows
 * (probe/sinks/clickhouse.c) are all driven by fp_fields[]; nfcapd files pack fields into nfdump's
 * own extensions, mapped in one place (fp_nffile.c's encode_v3()).
 *
 * Adding a field: a row in fp_fields.c (and, where the record lacks it, its value in struct
 * fp_record). A row names only the outputs that carry it (a NULL key, a zero element: not
 * there). Each output writes its rows in its own order: `pos` keeps the order every output had
 * before the table (collectors' templates, existing documents and ClickHouse tables stay as
 * they were); a row with pos 0 follows those, in table order. ECS keeps each object whole: a
 * new "source.as.number" lands inside "source".
 *
 * The table is constant; fp_fields_order() sorts it once per output. Any thread.
 */
#ifndef FP_FIELDS_H
#define FP_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fp_cid.h"
#include "fp_encode.h"
#include "fp_record.h"

/* What an output is configured with, for one run (the same for every record). */
struct fp_field_ctx {
	unsigned fields;	/* enum fp_field_group bits (FP_FIELD_APP with --dpi) */
	int biflow;		/* RFC 5103 reverse counters */
	uint32_t sample_n;	/* --sample N; 0 or 1: every packet */
	uint32_t pcap_rotate_s; /* --pcap-dir: the record names its packets' files; 0 off */
	uint16_t cid_seed;	/* Community ID seed */
	const char *observer;	/* this host's name, printable */
};

/* `when` bits beyond enum fp_field_group: what else turns a row on */
enum fp_field_when {
	FP_WHEN_BIFLOW = 1u << 16,
	FP_WHEN_SAMPLED = 1u << 17, /* --sample N with N > 1 */
	FP_WHEN_PCAP = 1u << 18,    /* --pcap-dir */
	FP_WHEN_NAMES = 1u << 19,   /* --dpi or --fields tls: the TLS server name */
};

/* One record as the rows read it. */
struct fp_field_rec {
	const struct fp_record *r;
	const struct fp_app *a;		  /* what --dpi found, NULL when nothing (or no --dpi) */
	const struct fp_geo *geo;	  /* --geoip: [0] source, [1] destination; NULL without */
	const struct fp_payload *payload; /* --payload: NULL without */
	const struct fp_tls_info *tls;	  /* --fields tls: NULL without, or nothing found */
	const struct fp_tcp_health *tcp;  /* --fields tcp: NULL without */
	const struct fp_field_ctx *c;
	char cid[FP_CID_LEN]; /* the Community ID, made on first use */
	char tls_hex[33];     /* --fields tls: a fingerprint in hex, a cipher suite's number */
};

/* How a value is written; each output turns a kind into its own notation. */
enum fp_field_kind {
	FP_FK_UINT,	  /* u */
	FP_FK_TIME,	  /* u: µs since 1970 */
	FP_FK_ADDR,	  /* p: 4 or 16 bytes, n: 4 or 6 (the IP version) */
	FP_FK_MAC,	  /* p: 6 bytes */
	FP_FK_HEX,	  /* p: n bytes, in hex (IPFIX octetArrays without a number's meaning) */
	FP_FK_TEXT,	  /* s: text we made (names, the Community ID) */
	FP_FK_WIRE,	  /* s: text from the wire: printable ASCII is kept, the rest becomes '?' */
	FP_FK_TRUE,	  /* a flag: written as true when present */
	FP_FK_LIST,	  /* list[0..n): numbers, as an array (ECS) */
	FP_FK_TEXTS,	  /* texts[0..n): text we made, as an array (ECS) */
	FP_FK_PCAP_FILES, /* the --pcap-dir files of the record (the JSON writer names them) */
	FP_FK_BYTES,	  /* p, n: bytes as they are (JSON: base64; ClickHouse: a String) */
	FP_FK_GEO_POINT,  /* p: a struct fp_geo, its lat and lon: {"lat":..,"lon":..} (ECS's
			     geo_point) */
};

struct fp_field_val {
	uint64_t u;
	const void *p;
	const char *s;
	uint32_t n;
	uint64_t list[4];
	const char *texts[2];
};

/* ECS notation of a row's value */
enum fp_ecs_style {
	FP_ECS_KEYWORD = 1 << 0,   /* a number as a string (an ECS keyword) */
	FP_ECS_NONZERO = 1 << 1,   /* left out when 0 */
	FP_ECS_MAC = 1 << 2,	   /* AA-BB-CC-DD-EE-FF */
	FP_ECS_LOWER = 1 << 3,	   /* wire text lowercased */
	FP_ECS_DNS_TYPE = 1 << 4,  /* "AAAA", or "TYPE65280" */
	FP_ECS_DNS_RCODE = 1 << 5, /* "NXDOMAIN", or the number */
};

/* ClickHouse column types (RowBinary, little-endian) */
enum fp_ch_type {
	FP_CH_NONE,
	FP_CH_DATE,	/* UInt16 days */
	FP_CH_DATETIME, /* UInt32 seconds (of a FP_FK_TIME value) */
	FP_CH_U8,
	FP_CH_U16,
	FP_CH_U32,
	FP_CH_U64,	/* FP_FK_MAC: the 6 bytes as a number, MACNumToString() shows it */
	FP_CH_NULL_U32, /* Nullable(UInt32): NULL when absent */
	FP_CH_IP,	/* IPv6 or FixedString(16) as the schema chose: IPv4 mapped */
	FP_CH_STRING,
};

/* An element of a data template: the wire id and length, where the value sits in struct
 * fp_enc_rec (fp_encode.c fills one per record) */
struct fp_field_ie {
	uint16_t id;  /* enterprise bit included; 0: none */
	uint16_t len; /* FP_IE_VARLEN: a string */
	uint16_t off;
	uint16_t src_len; /* as struct fp_ie */
	uint32_t pen;
};

/* When a number read straight from the record is there (JSON, ECS) */
enum fp_field_present {
	FP_PRESENT_ALWAYS,
	FP_PRESENT_TCP,	     /* the flow is TCP */
	FP_PRESENT_ICMP,     /* ICMP or ICMPv6 */
	FP_PRESENT_NOT_ICMP, /* anything else */
	FP_PRESENT_NONZERO,  /* the value is not 0 */
	FP_PRESENT_V6,	     /* an IPv6 flow */
};

struct fp_field {
	const char *name; /* ours, in --fields' documentation and the tests */
	unsigned when;	  /* enum fp_field_group | enum fp_field_when bits, all needed; 0 always */
	enum fp_field_kind kind;
	/* The value, and whether JSON and ECS write it (1) or leave it out (0). `v` is set
	 * either way: what a column store writes when the field is absent (0, ""). */
	int (*get)(struct fp_field_rec *fr, struct fp_field_val *v);
	/* The same, for a number kept in struct fp_record as it is written: its offset and size
	 * (0: none), and when it is there. The JSON lines read these without a call; `get` gives
	 * the same (tests/test_fields.c checks). */
	uint16_t rec_off;
	uint8_t rec_size;
	uint8_t rec_when; /* enum fp_field_present */
	/* IPFIX (RFC 7011/7012) and NetFlow v9 (RFC 3954) */
	struct fp_field_ie ipfix, ipfix6; /* ipfix6.id 0: IPv6 records take `ipfix` */
	struct fp_field_ie v9[2];	  /* v9[0].id 0: not in v9; up to two elements */
	struct {
		uint16_t id, len;
	} v9_6;		 /* v9[0] of an IPv6 record when it differs (id 0: the same) */
	uint8_t ie_pos;	 /* template order (both formats) */
	uint8_t only_v6; /* the IPv6 template only */
	/* JSON, --json-schema ipfix: IANA names */
	const char *json, *json6; /* json6: the key of an IPv6 record when it differs */
	uint8_t json_digits;	  /* FP_FK_TIME: 3 (ms) or 6 (µs) digits of fraction */
	uint8_t json_pos;
	/* JSON, --json-schema ecs */
	const char *ecs; /* dotted path; its objects open around it */
	unsigned ecs_style;
	uint8_t ecs_pos;
	int (*ecs_get)(struct fp_field_rec *fr, struct fp_field_val *v); /* NULL: get */
	/* ClickHouse (--clickhouse, --clickhouse-schema) */
	const char *ch;
	enum fp_ch_type ch_type;
	const char *ch_comment;
	uint8_t ch_pos;
};

#define FP_FIELDS_MAX 128 /* rows the table may grow to (fp_fields_order's arrays) */

extern const struct fp_field fp_fields[];
extern const size_t fp_fields_n;

enum fp_field_out {
	FP_OUT_IPFIX, /* and v9 */
	FP_OUT_JSON,
	FP_OUT_ECS,
	FP_OUT_CH,
};

/* The rows `out` carries, in its order, into `idx` (FP_FIELDS_MAX entries): their count. */
size_t fp_fields_order(enum fp_field_out out, uint16_t *idx);
/* The same for table `t` of `n` rows (tests). */
size_t fp_fields_order_of(const struct fp_field *t, size_t n, enum fp_field_out out, uint16_t *idx);

/* Whether the row is on for `c` (its `when` bits). */
static inline int fp_field_on(const struct fp_field *f, const struct fp_field_ctx *c)
{
	unsigned have = c->fields | (c->biflow ? FP_WHEN_BIFLOW : 0) |
			(c->sample_n > 1 ? FP_WHEN_SAMPLED : 0) |
			(c->pcap_rotate_s ? FP_WHEN_PCAP : 0) |
			(c->fields & (FP_FIELD_APP | FP_FIELD_TLS) ? FP_WHEN_NAMES : 0);
	return (f->when & have) == f->when;
}

/* Prepare `fr` for record `r` (`side`: what travels beside it, or NULL) under `c`. */
static inline void fp_field_rec_init(struct fp_field_rec *fr, const struct fp_record *r,
				     const struct fp_side *side, const struct fp_field_ctx *c)
{
	const struct fp_app *a = side ? side->app : NULL;
	fr->r = r;
	fr->a = a && (a->flags & FP_APP_CLASSIFIED) ? a : NULL;
	fr->geo = side ? side->geo : NULL;
	fr->payload = side ? side->payload : NULL;
	fr->tls = side && side->tls && side->tls->have ? side->tls : NULL;
	fr->tcp = side ? side->tcp : NULL;
	fr->c = c;
	fr->cid[0] = '\0';
}

/* A number kept in the record at offset `off`, `size` bytes: into *u, and whether it is there
 * (`when`, enum fp_field_present). */
static inline int fp_field_read(const struct fp_record *r, unsigned off, unsigned size,
				unsigned when, uint64_t *u)
{
	const uint8_t *p = (const uint8_t *)r + off;
	switch (size) {
	case 1:
		*u = *p;
		break;
	case 2: {
		uint16_t x;
		memcpy(&x, p, 2);
		*u = x;
		break;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, p, 4);
		*u = x;
		break;
	}
	default:
		memcpy(u, p, 8);
		break;
	}
	int icmp = r->key.proto == 1 || r->key.proto == 58;
	switch (when) {
	case FP_PRESENT_TCP:
		return r->key.proto == 6;
	case FP_PRESENT_ICMP:
		return icmp;
	case FP_PRESENT_NOT_ICMP:
		return !icmp;
	case FP_PRESENT_NONZERO:
		return *u != 0;
	case FP_PRESENT_V6:
		return r->key.ipver == 6;
	default:
		return 1;
	}
}

/* A row's number read straight from the record (rec_size > 0): its value into *u, and whether
 * JSON and ECS write it. */
static inline int fp_field_direct(const struct fp_field *f, const struct fp_record *r, uint64_t *u)
{
	return fp_field_read(r, f->rec_off, f->rec_size, f->rec_when, u);
}

/* ECS's name of a transport protocol, NULL when it has none. */
const char *fp_field_transport_name(uint8_t proto);

#endif
