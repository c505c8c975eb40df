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
	uint8_t pad[2];
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
