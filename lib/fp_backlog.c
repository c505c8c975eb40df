/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_backlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Entry header; len == 0 marks skipped space at the end of the ring. */
struct entry {
	uint32_t len;
	uint32_t records;
	uint64_t packets;
	uint64_t octets;
};

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

static size_t entry_size(size_t len)
{
	return sizeof(struct entry) + ALIGN8(len);
}

int fp_backlog_init(struct fp_backlog *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	cap = ALIGN8(cap);
	if (cap < 2 * sizeof(struct entry))
		return -EINVAL;
	b->buf = malloc(cap);
	if (b->buf == NULL)
		return -ENOMEM;
	b->cap = cap;
	return 0;
}

void fp_backlog_free(struct fp_backlog *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

static struct entry *at(const struct fp_backlog *b, size_t off)
{
	return (struct entry *)(void *)(b->buf + off);
}

/* Drop skip markers at the head, so the head is a message or the ring is empty. */
static void skip_markers(struct fp_backlog *b)
{
	while (b->used > 0 && b->head + sizeof(struct entry) <= b->cap &&
	       at(b, b->head)->len == 0) {
		b->used -= b->cap - b->head;
		b->head = 0;
	}
	if (b->used > 0 && b->head + sizeof(struct entry) > b->cap) {
		b->used -= b->cap - b->head; /* tail space too short for a marker */
		b->head = 0;
	}
	if (b->used == 0)
		b->head = b->tail = 0;
}

void fp_backlog_pop(struct fp_backlog *b)
{
	if (b->msgs == 0)
		return;
	struct entry *e = at(b, b->head);
	size_t sz = entry_size(e->len);
	b->head += sz;
	b->used -= sz;
	b->msgs--;
	b->bytes -= e->len;
	if (b->head == b->cap)
		b->head = 0;
	skip_markers(b);
}

static void drop_oldest(struct fp_backlog *b)
{
	struct entry *e = at(b, b->head);
	b->dropped_msgs++;
	b->dropped.records += e->records;
	b->dropped.packets += e->packets;
	b->dropped.octets += e->octets;
	fp_backlog_pop(b);
}

/* Offset where an entry of `sz` bytes can go now, or -1. */
static long place(const struct fp_backlog *b, size_t sz)
{
	if (b->used == 0)
		return 0;
	if (b->tail > b->head || (b->tail == b->head && b->used == 0)) {
		if (b->cap - b->tail >= sz)
			return (long)b->tail;
		if (b->head >= sz)
			return 0; /* skip the end */
		return -1;
	}
	/* tail < head (or full): the free space is [tail, head). */
	return b->head - b->tail >= sz ? (long)b->tail : -1;
}

int fp_backlog_fits(const struct fp_backlog *b, size_t len)
{
	return place(b, entry_size(len)) >= 0;
}

unsigned fp_backlog_push(struct fp_backlog *b, const void *msg, size_t len,
			 const struct fp_msg_meta *meta)
{
	size_t sz = entry_size(len);
	unsigned dropped = 0;
	if (sz > b->cap || len > UINT32_MAX || len == 0) {
		b->dropped_msgs++;
		b->dropped.records += meta->records;
		b->dropped.packets += meta->packets;
		b->dropped.octets += meta->octets;
		return 1;
	}
	long off;
	while ((off = place(b, sz)) < 0) {
		drop_oldest(b);
		dropped++;
	}
	if ((size_t)off != b->tail) {
		/* Skip the rest of the ring: mark it when a header fits there. */
		if (b->cap - b->tail >= sizeof(struct entry))
			at(b, b->tail)->len = 0;
		b->used += b->cap - b->tail;
	}
	struct entry *e = at(b, (size_t)off);
	e->len = (uint32_t)len;
	e->records = meta->records;
	e->packets = meta->packets;
	e->octets = meta->octets;
	memcpy(e + 1, msg, len);
	b->tail = (size_t)off + sz;
	if (b->tail == b->cap)
		b->tail = 0;
	b->used += sz;
	b->msgs++;
	b->bytes += len;
	return dropped;
}

const uint8_t *fp_backlog_peek(const struct fp_backlog *b, size_t *len, struct fp_msg_meta *meta)
{
	if (b->msgs == 0)
		return NULL;
	const struct entry *e = at(b, b->head);
	*len = e->len;
	if (meta) {
		meta->records = e->records;
		meta->packets = e->packets;
		meta->octets = e->octets;
	}
	return (const uint8_t *)(e + 1);
}

void fp_backlog_drop_all(struct fp_backlog *b)
{
	while (b->msgs > 0)
		drop_oldest(b);
}
