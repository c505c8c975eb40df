/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --fields tls: each TCP connection's first TLS handshake (lib/fp_tls.c reads it), one tracker
 * per worker (the worker thread is its only user).
 *
 * A connection gets state when its client's first payload is a ClientHello; its server's
 * direction when the server's first payload is a ServerHello. Each direction is read in sequence
 * order (a retransmission adds only what is new; a gap ends the direction, counted), until it
 * told what it can. While no direction is being read, a packet costs one test of its first
 * payload bytes; while some are, a small filter of their connections' hashes sends only theirs
 * to the map. What was found waits, bounded, for the connection's records: the worker's emit
 * looks it up by the record's key and sends it beside the record (as --dpi's results).
 */
#ifndef FP_TLSFP_H
#define FP_TLSFP_H

#include <stddef.h>
#include <stdint.h>

#include "fp_parse.h"
#include "fp_record.h"

struct fp_tlsfp;

struct fp_tlsfp_config {
	uint32_t max_flows; /* connections with TLS state at once (being read or holding a result);
			       one in 16 (at least 16) may be read at once (an 8 KB buffer each) */
	int biflow;	    /* records carry both directions: a flow's last record is its only */
	uint32_t keep_ms;   /* a result with no packet or record for this long is dropped */
};

struct fp_tlsfp_stats {
	uint64_t handshakes;	/* ClientHellos read (JA3, JA4) */
	uint64_t server_hellos; /* ServerHellos read (JA3S, version, cipher) */
	uint64_t certificates;	/* server certificates read */
	uint64_t reassembled;	/* messages that spanned more than one TCP segment */
	uint64_t no_room;	/* connections not read: --tls-max-flows states or buffers in use */
	uint64_t gaps;		/* directions given up at a missing or truncated segment */
	uint64_t malformed;	/* directions given up at something that is not a handshake */
	uint64_t too_long;	/* messages longer than the buffer (8 KB) */
	uint64_t results_expired;  /* results dropped by age before a record took them */
	uint64_t records_with_tls; /* records that left with a result beside them */
};

/* NULL after logging why (out of memory). */
struct fp_tlsfp *fp_tlsfp_create(const struct fp_tlsfp_config *cfg);
void fp_tlsfp_destroy(struct fp_tlsfp *t);

/* A parsed TCP packet (not a fragment) with its frame, readable now. `now_ms`: its time. */
void fp_tlsfp_packet(struct fp_tlsfp *t, const struct fp_pkt *p, const uint8_t *frame,
		     uint32_t caplen, uint64_t now_ms);

/* The result for a record's connection, or NULL. It stays for the connection's next records
 * and goes with the last record of each direction seen (end reason other than active timeout);
 * the pointer is valid until the next call. */
const struct fp_tls_info *fp_tlsfp_result(struct fp_tlsfp *t, const struct fp_record *rec,
					  uint64_t now_ms);

/* Drop results older than keep_ms (a bounded slice per call). */
void fp_tlsfp_expire(struct fp_tlsfp *t, uint64_t now_ms);

void fp_tlsfp_stats_read(const struct fp_tlsfp *t, struct fp_tlsfp_stats *out);

/* Bytes of memory per --tls-max-flows unit. */
size_t fp_tlsfp_bytes_per_flow(void);

#endif
