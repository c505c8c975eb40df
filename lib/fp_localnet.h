/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --local-net: the networks an operator calls its own, and each flow's direction relative to
 * them, in ECS's words (network.direction): inbound (from outside into a local network),
 * outbound (from a local network out), internal (local to local), external (neither end
 * local). A flow's source is the side that sent its first packet (with --biflow: the
 * initiator), so a connection from outside to a local server is inbound.
 *
 * Looked up once per record by the exporter thread (never per packet): the prefixes are kept
 * sorted by family and length, and an address is masked to each length present and searched
 * for by bisection: a few compares per length, however many networks a site lists (a linear
 * scan of 200 prefixes cost 500 ns per record).
 */
#ifndef FP_LOCALNET_H
#define FP_LOCALNET_H

#include <stddef.h>
#include <stdint.h>

#include "fp_key.h"

/* struct fp_record's direction */
enum fp_direction {
	FP_DIR_NONE = 0, /* no --local-net */
	FP_DIR_INBOUND = 1,
	FP_DIR_OUTBOUND = 2,
	FP_DIR_INTERNAL = 3,
	FP_DIR_EXTERNAL = 4,
};

#define FP_LOCALNET_MAX 256

struct fp_localnet {
	uint8_t addr[16]; /* the prefix, host bits cleared; IPv4 in the first 4 bytes */
	uint8_t ipver;	  /* 4 or 6 */
	uint8_t len;	  /* prefix length */
};

/* The search index: prefixes as 128-bit numbers (IPv4 in the top 32 bits), sorted within groups
 * of one family and length. */
struct fp_localnet_key {
	uint64_t hi, lo;
};

struct fp_localnet_group {
	uint8_t ipver, len;
	uint16_t start, end; /* [start, end) of key[] */
};

struct fp_localnets {
	unsigned n;
	struct fp_localnet net[FP_LOCALNET_MAX]; /* as given */
	struct fp_localnet_key key[FP_LOCALNET_MAX];
	struct fp_localnet_group group[FP_LOCALNET_MAX];
	unsigned ngroups;
};

/* Add "CIDR[,CIDR...]" (an address alone is a /32 or /128). 0, or -1 with why in `err`. A
 * prefix with host bits set is refused: it is usually a typo (198.18.1.0/16). */
int fp_localnets_add(struct fp_localnets *l, const char *list, char *err, size_t errlen);

/* Whether `a` (4 or 16 bytes, `ipver`) is in a local network. */
int fp_localnets_has(const struct fp_localnets *l, int ipver, const uint8_t *a);

/* The direction of a flow from `k`'s source to its destination. */
enum fp_direction fp_localnets_direction(const struct fp_localnets *l, const struct fp_flow_key *k);

/* "inbound", "outbound", "internal", "external"; NULL for FP_DIR_NONE */
const char *fp_direction_name(unsigned d);

/* IPFIX/v9 flowDirection (61) of a direction: 0 (ingress) inbound, 1 (egress) outbound; 255
 * for internal and external (RFC 5102 defines only 0 and 1: the flow crosses no border) */
static inline uint8_t fp_flow_direction(unsigned d)
{
	return d == FP_DIR_INBOUND ? 0 : d == FP_DIR_OUTBOUND ? 1 : 255;
}

#endif
