/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The immutable flow record a worker hands to the exporter, and the end reasons.
 *
 * The exporter never touches a flow table: an expired flow is copied into one of these and
 * pushed through the worker's ring. Field offsets are what the encoders' IE tables point at.
 */
#ifndef FP_RECORD_H
#define FP_RECORD_H

#include <stdint.h>

#include "fp_key.h"
#include "fp_parse.h"

/* Values are IANA flowEndReason (IE 136), RFC 5102 §5.11.3, so encoders copy them as they are. */
enum fp_end_reason {
	FP_END_IDLE = 1,
	FP_END_ACTIVE = 2,
	FP_END_DETECTED = 3,  /* TCP FIN/RST */
	FP_END_FORCED = 4,    /* end of input, shutdown */
	FP_END_RESOURCES = 5, /* table full: evicted */
	FP_END_NREASONS,
};

/* --dpi: what inspection found about a flow (probe/pipeline/dpi.c fills it; nDPI's ids and names).
 * It travels beside the flow's records through the ring, only when --dpi is on. */
enum fp_app_flags {
	FP_APP_CLASSIFIED = 1 << 0, /* inspection reached a verdict (app may still be unknown) */
	FP_APP_TLS_SNI = 1 << 1,    /* name: the TLS/QUIC server name the client asked for */
	FP_APP_HTTP = 1 << 2,	    /* name: HTTP Host; method, status, user agent set */
	FP_APP_DNS = 1 << 3,	    /* name: the DNS query; type and response code set */
	FP_APP_GUESSED = 1 << 4,    /* nDPI guessed from ports and addresses, not from payload */
};

#define FP_APP_NAME_MAX 80 /* nDPI 4.2 keeps host names in 80 bytes */

struct fp_app {
	uint16_t master;      /* nDPI master protocol (TLS under Google, ...), 0 when none */
	uint16_t app;	      /* nDPI application protocol, 0 (Unknown) when not found */
	uint16_t http_status; /* 0 when no response was seen */
	uint16_t dns_qtype;
	uint8_t dns_rcode;
	uint8_t flags;	      /* enum fp_app_flags */
	char http_method[10]; /* "GET", ... */
	char app_name[32];    /* nDPI's name, "TLS.YouTube" style */
	char name[FP_APP_NAME_MAX];
	char user_agent[96];
};
static_assert(sizeof(struct fp_app) == 228, "the side block of a record under --dpi");

#include <string.h>

/* The id a record exports (applicationId's selector): the application's, else its master's. */
static inline uint16_t fp_app_id(const struct fp_app *a)
{
	return a->app ? a->app : a->master;
}

/* The name that goes with fp_app_id: nDPI names a pair "TLS.Google", and the id is Google's. */
static inline const char *fp_app_id_name(const struct fp_app *a)
{
	const char *dot = a->app && a->master ? strchr(a->app_name, '.') : NULL;
	return dot ? dot + 1 : a->app_name;
}

/* --geoip: what the exporter looked up for one address (lib/fp_geo.c), once per record. Text is
 * the database's UTF-8, control characters and broken sequences replaced by '?', cut at a
 * character's boundary where it is longer than its buffer. */
enum fp_geo_have {
	FP_GEO_HAVE_AS = 1 << 0,      /* asn (and org, where the database names it) */
	FP_GEO_HAVE_COUNTRY = 1 << 1, /* country: ISO 3166-1 alpha-2 */
	FP_GEO_HAVE_CITY = 1 << 2,    /* city: its English name */
	FP_GEO_HAVE_LOC = 1 << 3,     /* lat, lon: degrees */
};

#define FP_GEO_ORG_MAX 176 /* the longest organisation of the public ASN tables: 169 bytes */
#define FP_GEO_CITY_MAX 64

struct fp_geo {
	uint32_t asn;
	uint8_t have; /* enum fp_geo_have */
	char country[3];
	double lat, lon;
	char org[FP_GEO_ORG_MAX];
	char city[FP_GEO_CITY_MAX];
};

/* --payload BYTES: the first transport payload of each direction of a flow (the bytes after
 * the TCP or UDP header of its first packet that has some, up to BYTES: nfpcapd -o payload). */
#define FP_PAYLOAD_MAX 2048

struct fp_payload {
	uint16_t len[2]; /* bytes kept: [0] the record's source side, [1] its destination's
			    (with --biflow: the responder's) */
	uint16_t cap;	 /* BYTES */
	uint16_t pad;
	uint8_t data[]; /* [0, cap): the source side's, [cap, 2 cap): the destination side's */
};

/* Bytes one flow's payload state takes with --payload `cap`. */
static inline uint32_t fp_payload_size(uint32_t cap)
{
	return (uint32_t)((sizeof(struct fp_payload) + 2 * cap + 7) & ~7u);
}

/* --fields tls: what the first handshake of a TCP connection told (lib/fp_tls.c), both
 * directions' records alike. Text is as the wire had it, cut to its buffer (outputs turn what is
 * not printable into '?'). */
enum fp_tls_have {
	FP_TLS_HAVE_CLIENT = 1 << 0, /* a ClientHello: ja3, ja4, sni, alpn_offered */
	FP_TLS_HAVE_SERVER = 1 << 1, /* a ServerHello: ja3s, version, cipher, alpn */
	FP_TLS_HAVE_CERT = 1 << 2,   /* the server's certificate (TLS 1.2 and before): subject,
					issuer, not_after */
};

#define FP_TLS_ALPN_MAX 32
#define FP_TLS_DN_MAX 160 /* an RFC 4514 distinguished name, cut at a character */

struct fp_tls_info {
	uint8_t have; /* enum fp_tls_have */
	uint8_t pad;
	uint16_t version; /* negotiated (the ServerHello's supported_versions, else its version) */
	uint16_t cipher;  /* the cipher suite the server chose */
	uint16_t pad2;
	int64_t not_after; /* the certificate's validity end, seconds since 1970 */
	uint8_t ja3[16];   /* MD5 of the client's JA3 string (Salesforce's JA3) */
	uint8_t ja3s[16];  /* MD5 of the server's JA3S string */
	char ja4[40];	   /* FoxIO's JA4: "t13d1516h2_8daaf6152771_e5627efa2ab1" */
	char sni[FP_APP_NAME_MAX];
	char alpn_offered[FP_TLS_ALPN_MAX]; /* the client's first ALPN value */
	char alpn[FP_TLS_ALPN_MAX];	    /* the one the server chose */
	char subject[FP_TLS_DN_MAX];
	char issuer[FP_TLS_DN_MAX];
};
static_assert(sizeof(struct fp_tls_info) == 552, "the side block of a record under --fields tls");

/* --fields tcp: what TCP analysis counted over a record's packets, per direction: [0] the
 * record's source to its destination, [1] the other way (with --biflow: the responder's), as
 * Wireshark's tcp.analysis.* flags mark them (lib/fp_tcpa.h). Counts stop at UINT32_MAX. */
struct fp_tcp_health {
	uint32_t
	    retrans_pkts[2]; /* retransmission + fast_retransmission + spurious_retransmission */
	uint32_t retrans_bytes[2]; /* ... their TCP payload bytes */
	uint32_t ooo_pkts[2];	   /* out_of_order */
	uint32_t zero_window[2];   /* zero_window: segments advertising a window of 0 */
};

/* What travels with a record to the sinks beside it; each part NULL when its option is off. */
struct fp_side {
	const struct fp_app *app;	  /* --dpi: what inspection found */
	const struct fp_geo *geo;	  /* --geoip: [0] the source address, [1] the destination */
	const struct fp_payload *payload; /* --payload: the first bytes each way */
	const struct fp_tls_info *tls;	  /* --fields tls: the handshake */
	const struct fp_tcp_health *tcp;  /* --fields tcp: what TCP analysis counted */
};

/* TCP latencies, in lat_us[] order. */
enum fp_lat_kind {
	FP_LAT_CLIENT, /* SYN-ACK → the client's ACK: network round trip on the client's side */
	FP_LAT_SERVER, /* SYN → SYN-ACK: network round trip on the server's side */
	FP_LAT_APPL,   /* the client's first data → the server's first data after it */
	FP_LAT_N,
};

struct fp_record {
	struct fp_flow_key key;
	uint64_t packets;
	uint64_t octets;
	uint64_t first_us; /* Unix epoch microseconds (the wire formats carry milliseconds) */
	uint64_t last_us;
	uint32_t first_uptime; /* v9 only: filled by the exporter, ms relative to sysUpTime base */
	uint32_t last_uptime;
	uint16_t icmp_type_code; /* key.dport for ICMP/ICMPv6, else 0 */
	uint8_t tcp_flags;
	uint8_t tos;
	uint8_t ttl_min;
	uint8_t ttl_max;
	uint8_t end_reason;
	uint8_t ipver; /* copy of key.ipver: the IE table needs it as a 1-byte field */
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint8_t rev_tcp_flags; /* biflow: the responder's side (RFC 5103 reverse IEs) */
	uint8_t lat_known;     /* --fields latency: FP_LAT_* bits of lat_us that were measured */
	uint8_t worker;	       /* set by the exporter: the worker whose table it left */
	uint8_t direction;     /* set by the exporter with --local-net: enum fp_direction */
	uint64_t rev_packets;
	uint64_t rev_octets;
	/* --fields: the first packet's context (zero unless the table keeps it) */
	uint64_t l2_segment; /* layer2SegmentId (IE 351): type << 56 | id; VXLAN is type 1 */
	struct fp_pkt_more more;
	/* --fields latency, on the initiator's record: µs from its handshake (see fp_table.c) */
	uint32_t lat_us[FP_LAT_N];
};
static_assert(sizeof(struct fp_record) == 168, "record layout is shared by rings and encoders");

const char *fp_end_reason_name(enum fp_end_reason r);

#endif
