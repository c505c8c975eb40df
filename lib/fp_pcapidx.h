/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The index beside a packet-store file (--pcap-dir): from a flow to the file offsets of its
 * packets, so that `fluxprobe extract` reads one flow's packets without reading the file.
 *
 * A flow is what its Community ID names (fp_cid.h): both directions of a connection, an ICMP
 * echo with its replies. The writer groups packets by their canonical 5-tuple while a file is
 * written (one hash lookup per packet, no SHA-1), and when the file completes computes each
 * group's Community ID once and writes the groups sorted by the first 8 bytes of its digest. A
 * reader binary-searches that key and reads the positions: a few pages of the index whatever
 * the file's size. Keys can collide (two flows, one 64-bit prefix) and an echo and its reply are
 * two groups with one key, so a reader takes every group of the key and checks each packet it
 * reads against the full Community ID.
 *
 * Layout (little-endian, as written by x86 and arm64 alike; the magic says which version):
 *   header (struct fp_pcapidx_header, 80 bytes)
 *   flows[header.flows]      (struct fp_pcapidx_flow, 24 bytes each, sorted by key)
 *   positions[header.packets] (uint64_t file offsets of pcap record headers, each flow's in
 *                              file order, flows[i].first the index of its first)
 */
#ifndef FP_PCAPIDX_H
#define FP_PCAPIDX_H

#include <stddef.h>
#include <stdint.h>

#include "fp_key.h"
#include "fp_parse.h"

#define FP_PCAPIDX_MAGIC "FPPIDX01"

struct fp_pcapidx_header {
	char magic[8];
	uint32_t header_size; /* sizeof(struct fp_pcapidx_header): later versions may grow it */
	uint32_t linktype;    /* the pcap file's */
	uint16_t cid_seed;    /* the Community IDs' seed */
	uint8_t decap;	      /* packets were keyed by their innermost packet (--decap auto) */
	uint8_t pad[5];
	uint64_t flows;
	uint64_t packets;
	uint64_t first_ns, last_ns; /* the earliest and latest packet time in the file */
	uint64_t pcap_bytes;	    /* the size of the pcap file indexed */
	uint64_t reserved[2];
};
static_assert(sizeof(struct fp_pcapidx_header) == 80, "index header layout");

struct fp_pcapidx_flow {
	uint64_t key;	/* fp_cid_key64 of the flow's Community ID */
	uint64_t first; /* index of its first position */
	uint32_t count; /* positions */
	uint32_t pad;
};
static_assert(sizeof(struct fp_pcapidx_flow) == 24, "index flow layout");

/* The key a packet is grouped by: its flow key with the VLAN cleared, canonical (the lower end
 * first), so both directions share it. 0, or -1 when the packet is not an IP packet fp_parse
 * reads (its headers cut by a snap length, say): such packets are stored, not indexed. */
int fp_pcapidx_packet_key(enum fp_link link, int decap, const uint8_t *data, uint32_t caplen,
			  uint32_t wirelen, struct fp_flow_key *out);

/* Writer side: one builder per file being written, reused file after file. One thread. */
struct fp_pcapidx_builder {
	struct fp_pcapidx_slot *slots; /* open addressing: canonical key → group */
	size_t slot_mask;
	struct fp_flow_key *keys; /* groups */
	uint32_t ngroups, groups_cap;
	uint32_t *pkt_group; /* per packet: its group and offset */
	uint64_t *pkt_off;
	uint64_t npkts, pkts_cap;
	uint64_t first_ns, last_ns;
};

void fp_pcapidx_builder_init(struct fp_pcapidx_builder *b);
void fp_pcapidx_builder_free(struct fp_pcapidx_builder *b);
/* Forget every packet (a new file). */
void fp_pcapidx_builder_reset(struct fp_pcapidx_builder *b);
/* One packet at `off`: 0, or -1 when out of memory (the packet is then not indexed). */
int fp_pcapidx_builder_add(struct fp_pcapidx_builder *b, const struct fp_flow_key *k, uint64_t off,
			   uint64_t ts_ns);
/* `n` packets at once (at most FP_PCAPIDX_BURST): their slots are looked up together, so the
 * cache misses of a table of a million flows overlap. Returns how many could not be added (out
 * of memory). */
#define FP_PCAPIDX_BURST 32
unsigned fp_pcapidx_builder_add_burst(struct fp_pcapidx_builder *b, const struct fp_flow_key *k,
				      const uint64_t *off, const uint64_t *ts_ns, unsigned n);
/* Forget the packets added after the first `npkts` (a write that failed). */
void fp_pcapidx_builder_truncate(struct fp_pcapidx_builder *b, uint64_t npkts);
/* Write the index to `path` (made whole under a temporary name, then renamed). 0 or -errno. */
int fp_pcapidx_builder_write(const struct fp_pcapidx_builder *b, const char *path,
			     uint32_t linktype, uint16_t seed, int decap, uint64_t pcap_bytes);

/* Reader side: an index mapped read-only. */
struct fp_pcapidx {
	const void *map;
	size_t len;
	const struct fp_pcapidx_header *h;
	const struct fp_pcapidx_flow *flows;
	const uint64_t *pos;
};

/* Map and check `path` (sizes agree with its header). 0, or -errno (-EINVAL: not an index). */
int fp_pcapidx_open(struct fp_pcapidx *x, const char *path);
void fp_pcapidx_close(struct fp_pcapidx *x);
/* The groups keyed `key`: [*first, *first + return value). */
size_t fp_pcapidx_find(const struct fp_pcapidx *x, uint64_t key, size_t *first);

#endif
