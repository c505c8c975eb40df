/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) message encoder, and NetFlow v5 (Cisco's fixed
 * format: no templates, IPv4 only) for legacy collectors.
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
	FP_FORMAT_NFV5 = 5, /* fixed 48-byte IPv4 records, 30 per packet, 32-bit counters */
	FP_FORMAT_NFV9 = 9,
	FP_FORMAT_IPFIX = 10,
};

#define FP_TEMPLATE_IPV4 256
#define FP_TEMPLATE_IPV6 257
/* Options templates, RFC 7011 §4 (v9 carries only the first: its field types stop at 79). */
#define FP_TEMPLATE_OPT_METERING 258	  /* §4.1 metering process statistics */
#define FP_TEMPLATE_OPT_METERING_REL 259  /* §4.2 metering process reliability statistics */
#define FP_TEMPLATE_OPT_EXPORTING_REL 260 /* §4.3 exporting process reliability statistics */
#define FP_TEMPLATE_OPT_SAMPLING 261	  /* packet sampling in force (--sample) */
#define FP_TEMPLATE_OPT_APP 262 /* --dpi: applicationId → name, as NBAR exporters send */

/* Sampling as the options record announces it. */
enum fp_sampling_algorithm {
	FP_SAMPLING_DETERMINISTIC = 1, /* every Nth packet */
	FP_SAMPLING_RANDOM = 2,	       /* each packet with probability 1/N */
};

/* What the options records report; totals since start. */
struct fp_export_counters {
	uint64_t messages;	  /* exportedMessageTotalCount (41) */
	uint64_t flow_records;	  /* exportedFlowRecordTotalCount (42) */
	uint64_t octets;	  /* exportedOctetTotalCount (40): bytes of messages sent */
	uint64_t ignored_packets; /* ignoredPacketTotalCount (164): frames not accounted */
	uint64_t ignored_octets;  /* ignoredOctetTotalCount (165) */
	uint64_t notsent_flows;	  /* notSentFlowTotalCount (166): records the exporter never got */
	uint64_t notsent_packets; /* notSentPacketTotalCount (167) */
	uint64_t notsent_octets;  /* notSentOctetTotalCount (168) */
};

/* RFC 5103 reverse information elements: enterprise bit set, PEN 29305, same element number. */
#define FP_IE_REVERSE 0x8000
#define FP_PEN_REVERSE 29305u
/* ntop's enterprise IEs (nProbe; tshark decodes them as cflow.pie.ntop.*). */
#define FP_IE_ENTERPRISE 0x8000
#define FP_PEN_NTOP 35632u
#define FP_PEN_IXIA 3054u     /* Ixia: JA3 fingerprint (279), which tshark decodes */
#define FP_PEN_GIGAMON 26866u /* Gigamon: SslServerVersion 113 ... (tshark decodes them) */
#define FP_PEN_CESNET 39499u  /* CESNET (ipfixprobe): TLS_ALPN 337 */
#define FP_PEN_CERT 6871u     /* CERT/NetSA: YAF's elements (libfixbuf's cert_ipfix.xml) */
#define FP_IE_VARLEN 65535    /* template length of a variable-length IE (RFC 7011 section 7) */
#define FP_IE_STRING 0xffff   /* fp_ie.src_len of a string kept NUL-terminated */
#define FP_IE_BYTES 0xfffe    /* fp_ie.src_len of bytes in a struct fp_enc_bytes, variable length */

/* Bytes an element carries as they are (--payload), at most 65535. */
struct fp_enc_bytes {
	const uint8_t *p;
	uint32_t n;
};

/* One information element: wire id and length, and where the value sits in struct fp_record. */
struct fp_ie {
	uint16_t id;
	uint16_t len;	  /* on the wire */
	uint16_t off;	  /* offsetof(struct fp_record, field) */
	uint16_t src_len; /* host-order unsigned of this many bytes; 0 = copy `len` raw bytes;
			     FP_IE_STRING: a NUL-terminated string, variable length (len 65535) */
	uint32_t pen;	  /* enterprise number when id has the enterprise bit, else 0 */
};

/* --fields: optional groups of IEs added to the data templates (the default template has none). */
enum fp_field_group {
	FP_FIELD_INGRESS = 1 << 0,    /* ingressInterface (10); v5: the input field */
	FP_FIELD_VLAN = 1 << 1,	      /* dot1qVlanId (243), dot1qCustomerVlanId (245) */
	FP_FIELD_FLOW_LABEL = 1 << 2, /* flowLabelIPv6 (31), IPv6 template only */
	FP_FIELD_MPLS = 1 << 3,	      /* mplsTopLabelStackSection (70), ...Section2/3 (71, 72) */
	FP_FIELD_TUNNEL = 1 << 4,     /* greKey (296), layer2SegmentId (351) */
	FP_FIELD_LATENCY = 1 << 5,    /* TCP client/server/application latency: v9 57554-57559
					 (nfdump's latency extension), IPFIX ntop PEN 35632 IEs */
	FP_FIELD_ALL = (1 << 6) - 1,
	/* --dpi (not a --fields group): application and names from struct fp_app. IPFIX:
	 * applicationId 95 (RFC 6759, engine 13 with the nDPI id), applicationName 96,
	 * httpRequestHost 460, httpRequestMethod 459, httpStatusCode 457, httpUserAgent 468, and
	 * ntop's SSL_SERVER_NAME 188, DNS_QUERY 205, DNS_QUERY_TYPE 207, DNS_RET_CODE 208, strings
	 * in variable length (RFC 7011 section 7). v9 (no variable length): 95, and 96 in 32 bytes.
	 */
	FP_FIELD_APP = 1 << 6,
	/* --local-net (not a --fields group): the flow's direction relative to the local
	 * networks. IPFIX and v9: flowDirection 61 (0 ingress = inbound, 1 egress = outbound,
	 * 255 for a flow that neither enters nor leaves them: internal or external); JSON,
	 * ECS's network.direction and ClickHouse name all four (fp_localnet.h). */
	FP_FIELD_DIRECTION = 1 << 7,
	/* --geoip (not --fields groups), from the kinds of database given (fp_geo.h):
	 * FP_FIELD_AS an ASN database: bgpSourceAsNumber 16 / bgpDestinationAsNumber 17 (IPFIX
	 * and v9 SRC_AS/DST_AS, 4 bytes), the organisation in JSON, ECS, ClickHouse;
	 * FP_FIELD_GEO a Country or City database: the country, in IPFIX ntop's SRC_IP_COUNTRY
	 * (101) / DST_IP_COUNTRY (103); FP_FIELD_CITY a City database: the city in ntop's
	 * SRC_IP_CITY (102) / DST_IP_CITY (104), the location in JSON and ECS. */
	FP_FIELD_AS = 1 << 8,
	FP_FIELD_GEO = 1 << 9,
	FP_FIELD_CITY = 1 << 10,
	/* --payload BYTES (not a --fields group): each direction's first transport payload; IPFIX:
	 * YAF's payload (CERT PEN 6871, 18) and, with --biflow, reversePayload (6871, 16402),
	 * variable length, cut to what an MTU-sized message holds; not in v9 (no variable
	 * length). */
	FP_FIELD_PAYLOAD = 1 << 11,
	/* --fields tls (named on its own: `all` is the six packet-context groups above): the
	 * first TLS handshake of each TCP connection (fp_tls.h): IPFIX Ixia's JA3 fingerprint
	 * (PEN 3054, 279), Gigamon's SslServerVersion, SslServerCipher, SslCertificateSubject,
	 * SslCertificateIssuer, SslCertificateValidNotAfter (PEN 26866: 113, 114, 104, 103, 106),
	 * CESNET's TLS_ALPN (39499, 337), ntop's SSL_SERVER_NAME 188; not in v9 (no variable
	 * length); JA3S, JA4 and the ALPN offered in JSON, ECS and ClickHouse only. */
	FP_FIELD_TLS = 1 << 12,
	/* --fields tcp (named on its own): TCP analysis as Wireshark's (fp_tcpa.h), per direction:
	 * IPFIX ntop's RETRANSMITTED_IN/OUT_PKTS 109/110, RETRANSMITTED_IN/OUT_BYTES 127/128,
	 * OOORDER_IN/OUT_PKTS 111/112 (the OUT ones with --biflow), which tshark decodes; zero
	 * windows in JSON, ECS and ClickHouse only (no published element); not in v9. */
	FP_FIELD_TCP = 1 << 13,
};

/* applicationId: RFC 6759's PANA-L7 engine (13) and nDPI's 16-bit id as the selector, 3 bytes:
 * the lengths pmacct's nfacctd 1.7.7 reads (2, 3 or 5 bytes) and nfdump's %nbid shows. The
 * PANA-L7-PEN form (engine 20, ntop's PEN, 7 bytes) was tried first: nfacctd ignores it. */
#define FP_APP_ID_LEN 3

/* What an element points at (fp_fields.c): the record, then values the encoder derives from it
 * per record. */
struct fp_enc_rec {
	struct fp_record r;
	uint64_t first_ms, last_ms; /* IPFIX flowStart/EndMilliseconds */
	/* --fields latency: v9's whole seconds and the µs beyond them (nfdump adds the two),
	 * IPFIX's milliseconds (ntop's *_LATENCY_MS) */
	uint32_t lat_sec[FP_LAT_N], lat_usec[FP_LAT_N], lat_ms[FP_LAT_N];
	/* --dpi: what was found, and its applicationId (fp_encode_app_id) */
	struct fp_app app;
	uint8_t app_id[FP_APP_ID_LEN];
	uint8_t flow_direction; /* --local-net: flowDirection (61), see FP_FIELD_DIRECTION */
	struct fp_geo geo[2];	/* --geoip: the source's and the destination's (zero: unknown) */
	struct fp_enc_bytes
	    payload[2]; /* --payload: the first bytes each way (YAF's payload IEs) */
	/* --fields tls: the handshake (zero: none), its JA3 in hex and validity end as text */
	struct fp_tls_info tls;
	char tls_ja3[33];
	char tls_not_after[24];
	struct fp_tcp_health tcp; /* --fields tcp (zero: not TCP) */
};

#define FP_ENCODE_MAX_IES 64

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
	int payload_cut;      /* --payload: the last record's payload was cut to fit a message */
	uint64_t export_ms;
	uint16_t v5_sampling; /* v5 header sampling field: mode << 14 | interval */
	int biflow;	      /* IPFIX: templates 256/257 carry the RFC 5103 reverse counters */
	unsigned fields;      /* enum fp_field_group bits */
	/* the data templates, IPv4 [0] and IPv6 [1], as fp_encode_layout() built them */
	struct fp_ie ies[2][FP_ENCODE_MAX_IES];
	size_t nies[2];
	size_t reclen[2];
};

/* Header length of a message in `format`. */
size_t fp_encode_header_len(enum fp_format format);

/* Bind to `buf` (`cap` bytes, the largest message allowed). `boot_ms` is v9's sysUpTime origin.
 * The templates are the default ones until fp_encode_layout(). */
void fp_encode_init(struct fp_encoder *e, enum fp_format format, uint32_t domain, uint8_t *buf,
		    size_t cap, uint64_t boot_ms);

/* Choose the data templates: RFC 5103 reverse counters (`biflow`, IPFIX) and the optional
 * `fields` (enum fp_field_group). Before the first template goes out. */
void fp_encode_layout(struct fp_encoder *e, int biflow, unsigned fields);

/* Start a message exported at `now_ms` (Unix ms). */
void fp_encode_begin(struct fp_encoder *e, uint64_t now_ms);

/* Append the template set (IPv4 and IPv6 templates). -ENOSPC if it does not fit. */
int fp_encode_templates(struct fp_encoder *e);

/* Append the options template set. -ENOSPC if it does not fit. */
int fp_encode_options_templates(struct fp_encoder *e);

/* Append the options data records for `c` (scopes: observation domain, metering and exporting
 * process 1). They are data records: the IPFIX sequence number counts them. -ENOSPC if they do
 * not fit. */
int fp_encode_options(struct fp_encoder *e, const struct fp_export_counters *c);

/* v5 counters are 32 bits: a record with more packets or octets must be split first. */
#define FP_NFV5_MAX_COUNT 0xffffffffull
#define FP_NFV5_MAX_RECORDS 30

/*
 * The sampling options template and its record (1-in-`interval`). IPFIX carries both the PSAMP
 * fields (selectorAlgorithm 304: 1 systematic count-based or 4 uniform probabilistic;
 * samplingPacketInterval 305 = 1 and samplingPacketSpace 306 = interval - 1; samplingProbability
 * 311 for random) and, after them, the older samplingInterval (34) and samplingAlgorithm (35)
 * that collectors such as nfdump use to scale counters; v9 carries 34 and 35. Scope: the
 * observation domain (IPFIX), System (v9). -ENOSPC / -ENOTSUP (v5).
 */
int fp_encode_sampling_template(struct fp_encoder *e);

/*
 * --dpi: the options template mapping application ids to names (what Cisco NBAR exporters send,
 * nfacctd's class and nfdump's %nbnam read): applicationId 95 (as in the data records),
 * applicationName 96 and applicationDescription 94 ("nDPI"; 32 bytes each, NUL-padded). Scope: v9
 * System; IPFIX the applicationId itself. Then one record per id. -ENOSPC / -ENOTSUP (v5).
 */
int fp_encode_app_template(struct fp_encoder *e);
int fp_encode_app_name(struct fp_encoder *e, uint16_t id, const char *name);
/* The applicationId bytes of nDPI id `id`: engine 13 (PANA-L7), the id big-endian. */
void fp_encode_app_id(uint16_t id, uint8_t out[FP_APP_ID_LEN]);
int fp_encode_sampling(struct fp_encoder *e, uint32_t interval, enum fp_sampling_algorithm alg);

/* Append one data record. -ENOSPC if it does not fit: finish, send, begin, retry. v5:
 * -EAFNOSUPPORT for IPv6, -ERANGE for counters above FP_NFV5_MAX_COUNT. */
int fp_encode_record(struct fp_encoder *e, const struct fp_record *r);
/* The same with what --dpi found beside it (`app` NULL: the fields go out empty). */
int fp_encode_record_app(struct fp_encoder *e, const struct fp_record *r, const struct fp_app *app);
/* The same with everything that travels beside the record (fp_record.h), or NULL. */
int fp_encode_record_side(struct fp_encoder *e, const struct fp_record *r,
			  const struct fp_side *side);

/* Close the message: pad the last set, write the header, advance the sequence. Returns length. */
size_t fp_encode_finish(struct fp_encoder *e);

/* Data record length of a template, for sizing and tests. */
size_t fp_encode_record_len(enum fp_format format, int ipver);

/* The IE table behind a data template, into `out` (FP_ENCODE_MAX_IES); returns the count. */
size_t fp_encode_build_ies(enum fp_format format, int biflow, unsigned fields, int ipver,
			   struct fp_ie *out);

#endif
