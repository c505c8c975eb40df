/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-producer single-consumer ring of flow records: one per worker, the worker produces, the
 * exporter consumes. Records are copied in and out, so neither side holds a pointer into the
 * other's memory. Head and tail sit on their own cache lines; each side caches the other's index
 * and reloads it only when the cached value says the ring looks full (or empty).
 */
#ifndef FP_RING_H
#define FP_RING_H

#include <stdalign.h>
#include <stdint.h>

#include "fp_record.h"

struct fp_ring {
	alignas(64) uint64_t head; /* written by the producer */
	uint64_t tail_cache;
	alignas(64) uint64_t tail; /* written by the consumer */
	uint64_t head_cache;
	alignas(64) uint64_t mask;
	struct fp_record *slots;
	size_t slots_len;	   /* the mapping's length */
	struct fp_app *side;	   /* --dpi: one block beside each slot, or NULL */
	uint8_t *pay;		   /* --payload: one struct fp_payload beside each slot, or NULL */
	uint32_t pay_stride;	   /* its size (fp_payload_size) */
	struct fp_tls_info *tls;   /* --fields tls: one beside each slot, or NULL */
	struct fp_tcp_health *tcp; /* --fields tcp: one beside each slot, or NULL */
	uint8_t *tls_have;	   /* ... and whether the slot's holds one (a dense array: a record
				      without TLS touches one byte, not a 552-byte block) */
};

/* Where fp_ring_pop_burst_side() copies the blocks beside the records (each NULL: not wanted). */
struct fp_ring_sides {
	struct fp_app *app;	   /* max of them */
	uint8_t *pay;		   /* max of r->pay_stride bytes */
	struct fp_tls_info *tls;   /* max of them */
	struct fp_tcp_health *tcp; /* max of them */
};

/* Capacity is rounded up to a power of two. Returns -errno. Called once, before use. */
int fp_ring_init(struct fp_ring *r, uint32_t capacity);
void fp_ring_fini(struct fp_ring *r);

/* Give every slot a side block (after fp_ring_init, before use). 0 or -ENOMEM. */
int fp_ring_init_side(struct fp_ring *r);

/* Give every slot room for a flow's first payload bytes, `cap` each way (after fp_ring_init,
 * before use). 0 or -ENOMEM. */
int fp_ring_init_payload(struct fp_ring *r, uint32_t cap);

/* Give every slot a TLS block (after fp_ring_init, before use). 0 or -ENOMEM. */
int fp_ring_init_tls(struct fp_ring *r);

/* Give every slot a TCP analysis block (after fp_ring_init, before use). 0 or -ENOMEM. */
int fp_ring_init_tcp(struct fp_ring *r);

/* fp_ring_push with what travels beside the record: its side block (s->app; NULL: an empty
 * one), its payload (s->payload; NULL: none; only the bytes kept are copied) and its TLS block
 * (s->tls; NULL: none), each where the ring has room for it. `s` may be NULL. */
int fp_ring_push_side(struct fp_ring *r, const struct fp_record *rec, const struct fp_side *s);

/* fp_ring_pop_burst with the blocks beside the records, into `o`'s arrays where the ring has
 * them. */
unsigned fp_ring_pop_burst_side(struct fp_ring *r, struct fp_record *out,
				const struct fp_ring_sides *o, unsigned max);

/* Producer only. 0 on success, -1 when full. */
int fp_ring_push(struct fp_ring *r, const struct fp_record *rec);

/* Consumer only. Copies up to `max` records into `out`; returns how many. */
unsigned fp_ring_pop_burst(struct fp_ring *r, struct fp_record *out, unsigned max);

/* Any thread: records waiting now (approximate while both sides run). */
uint64_t fp_ring_count(const struct fp_ring *r);

/* Any thread: records pushed since init (the producer's free-running index). */
static inline uint64_t fp_ring_pushed(const struct fp_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_RELAXED);
}

/* Producer: records it can push now without one failing, at least `want` if there is room for
 * them. The consumer's index is read again only when the cached one says less: the worker asks
 * every burst, and the line the exporter writes is not pulled over each time. */
static inline uint64_t fp_ring_room(struct fp_ring *r, uint64_t want)
{
	uint64_t room = r->mask + 1 - (r->head - r->tail_cache);
	if (room < want) {
		r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		room = r->mask + 1 - (r->head - r->tail_cache);
	}
	return room;
}

/* Slots in the ring. */
static inline uint64_t fp_ring_capacity(const struct fp_ring *r)
{
	return r->mask + 1;
}

#endif
