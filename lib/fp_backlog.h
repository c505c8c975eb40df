/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounded FIFO of whole export messages for a stream collector (IPFIX over TCP) that is down
 * or slower than the exporter. Messages are kept in order in one preallocated byte ring; one never
 * wraps (a message that does not fit at the end starts again at offset 0). When a new message
 * does not fit, the oldest ones leave first: the collector then sees one gap, just before the
 * traffic it receives live, and its sequence numbers show it. What leaves is counted.
 * Single-threaded: the exporter thread owns it.
 */
#ifndef FP_BACKLOG_H
#define FP_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

/* What a message carries, for the loss counters. */
struct fp_msg_meta {
	uint32_t records; /* flow records */
	uint64_t packets;
	uint64_t octets;
};

struct fp_backlog {
	uint8_t *buf;
	size_t cap;
	size_t head; /* oldest entry */
	size_t tail; /* where the next entry goes */
	size_t used; /* bytes held, skipped tail space included */
	uint64_t msgs;
	uint64_t bytes; /* message bytes held */
	/* Messages pushed out by newer ones (or larger than the whole backlog). */
	uint64_t dropped_msgs;
	struct fp_msg_meta dropped;
};

/* Allocate `cap` bytes (at start-up). Returns 0 or -ENOMEM / -EINVAL (cap too small). */
int fp_backlog_init(struct fp_backlog *b, size_t cap);
void fp_backlog_free(struct fp_backlog *b);

/* Append a copy of `msg`, dropping the oldest messages until it fits. A message larger than the
 * whole backlog is dropped itself. Returns the number of messages dropped. */
unsigned fp_backlog_push(struct fp_backlog *b, const void *msg, size_t len,
			 const struct fp_msg_meta *meta);

/* Would `len` fit without dropping anything? */
int fp_backlog_fits(const struct fp_backlog *b, size_t len);

/* The oldest message (NULL when empty), its length and meta. It stays until fp_backlog_pop. */
const uint8_t *fp_backlog_peek(const struct fp_backlog *b, size_t *len, struct fp_msg_meta *meta);
void fp_backlog_pop(struct fp_backlog *b);

/* Count every message held as dropped and empty the backlog (a collector given up at exit). */
void fp_backlog_drop_all(struct fp_backlog *b);

#endif
