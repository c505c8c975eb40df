/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) message encoder.
 *
 * One IE table per (format, address family) drives both the template record and the data record
 * encoding, so the two cannot disagree. The encoder only builds bytes in a caller buffer; it owns
 * the per-domain sequence number, so one encoder must serve every record of an observation domain.
 * Single-threaded: the exporter thread owns it.
 */
#ifndef FP_ENCODE_H
#define FP_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "fp_record.h"

enum fp_format {
	FP_FORMAT_NFV9 = 9,
	FP_FORMAT_IPFIX = 10,
};

#define FP_TEMPLATE_IPV4 256
#define FP_TEMPLATE_IPV6 257

/* One information element: wire id and length, and where the value sits in struct fp_record. */
struct fp_ie {
	uint16_t id;
	uint16_t len;	  /* on the wire */
	uint16_t off;	  /* offsetof(struct fp_record, field) */
	uint16_t src_len; /* host-order unsigned of this many bytes; 0 = copy `len` raw bytes */
};

struct fp_encoder {
	enum fp_format format;
	uint32_t domain;  /* IPFIX observation domain / v9 source id */
	uint32_t seq;	  /* IPFIX: data records sent before; v9: export packets sent before */
	uint64_t boot_ms; /* v9 sysUpTime origin, Unix ms */
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t set_off; /* start of the open set, 0 when none */
	uint16_t set_id;
	uint32_t msg_records; /* data records in the message being built */
	uint32_t msg_count;   /* v9 header count: template and data records */
	uint64_t export_ms;
};

/* Header length of a message in `format`. */
size_t fp_encode_header_len(enum fp_format format);

/* Bind to `buf` (`cap` bytes, the largest message allowed). `boot_ms` is v9's sysUpTime origin. */
void fp_encode_init(struct fp_encoder *e, enum fp_format format, uint32_t domain, uint8_t *buf,
		    size_t cap, uint64_t boot_ms);

/* Start a message exported at `now_ms` (Unix ms). */
void fp_encode_begin(struct fp_encoder *e, uint64_t now_ms);

/* Append the template set (IPv4 and IPv6 templates). -ENOSPC if it does not fit. */
int fp_encode_templates(struct fp_encoder *e);

/* Append one data record. -ENOSPC if it does not fit: finish, send, begin, retry. */
int fp_encode_record(struct fp_encoder *e, const struct fp_record *r);

/* Close the message: pad the last set, write the header, advance the sequence. Returns length. */
size_t fp_encode_finish(struct fp_encoder *e);

/* Data record length of a template, for sizing and tests. */
size_t fp_encode_record_len(enum fp_format format, int ipver);

/* The IE table behind a template (count in *n). */
const struct fp_ie *fp_encode_ies(enum fp_format format, int ipver, size_t *n);

#endif
