/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --dpi: application classification and names per flow with nDPI 4.2, one instance per worker
 * (the worker thread is its only user).
 *
 * A flow is inspected on its first packets: both directions share one nDPI flow state, taken
 * from a bounded pool when the flow's first packet comes and given back at the verdict (nDPI found
 * the application and needs nothing more, or --dpi-packets packets went by). What was found is
 * kept, also bounded, until the flow's records have left: the worker's emit looks it up by the
 * record's key and sends it beside the record. A flow that finds the pool full is not inspected
 * and is counted; nothing ever waits for inspection.
 */
#ifndef FP_DPI_H
#define FP_DPI_H

#include <stdint.h>

#include "fp_parse.h"
#include "fp_record.h"

struct fp_dpi;

struct fp_dpi_config {
	uint32_t max_flows;   /* flows with DPI state at once (inspected or holding a result); a
				 quarter of them (at least 16) may be under inspection at once */
	int biflow;	      /* records carry both directions: a flow's last record is its only */
	uint32_t max_packets; /* packets of a flow (both directions) inspected at most */
	uint32_t keep_ms;     /* a result with no packet or record for this long is dropped */
};

struct fp_dpi_stats {
	uint64_t flows_inspected;  /* flows that got a DPI state */
	uint64_t flows_classified; /* ... whose application nDPI found (not Unknown) */
	uint64_t flows_guessed;	   /* ... found only by nDPI's guess (ports, addresses) */
	uint64_t flows_unknown;	   /* ... that stayed Unknown */
	uint64_t
	    packets_no_room; /* packets of flows not inspected: all --dpi-max-flows states in use */
	uint64_t packets_inspected;
	uint64_t results_expired;  /* results dropped by age before a record took them */
	uint64_t records_with_app; /* records that left with a result beside them */
};

/* 1 if this build has nDPI (--dpi works), else 0. */
int fp_dpi_available(void);

/* NULL after logging why (no nDPI in this build, out of memory). */
struct fp_dpi *fp_dpi_create(const struct fp_dpi_config *cfg);
void fp_dpi_destroy(struct fp_dpi *d);

/* A parsed packet (OK, not a non-first fragment) with its frame: inspect it if its flow is
 * under inspection or new. `now_ms`: the packet's time. */
void fp_dpi_packet(struct fp_dpi *d, const struct fp_pkt *p, const uint8_t *frame, uint32_t caplen,
		   uint64_t now_ms);

/* The result for a record's flow, or NULL (not inspected). A flow still inspected gets its
 * verdict now (nDPI's best guess from what it saw). The result stays for the flow's next records
 * and goes with the last record of every direction seen (end reason other than active timeout);
 * the pointer is valid until the next call. */
const struct fp_app *fp_dpi_result(struct fp_dpi *d, const struct fp_record *rec, uint64_t now_ms);

/* Drop results older than keep_ms (a bounded slice per call). */
void fp_dpi_expire(struct fp_dpi *d, uint64_t now_ms);

void fp_dpi_stats_read(const struct fp_dpi *d, struct fp_dpi_stats *out);

/* Bytes of memory per --dpi-max-flows unit (our entry, hash slots, a quarter of nDPI's state). */
size_t fp_dpi_bytes_per_flow(void);

#endif
