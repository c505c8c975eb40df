/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ordering: the producer writes the slot, then publishes head with release; the consumer reads
 * head with acquire before it reads slots, then publishes tail with release so the producer may
 * overwrite. Indexes are free-running 64-bit counters (never wrap in practice).
 */
#include "fp_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int fp_ring_init(struct fp_ring *r, uint32_t capacity)
{
	uint64_t n = 1;

	if (capacity == 0)
		return -EINVAL;
	while (n < capacity)
		n <<= 1;
	memset(r, 0, sizeof(*r));
	/* Its own mapping on transparent huge pages where it is large (the default ring is 11 MB):
	 * touched at start (no fault on the packet path) with a few 2 MiB faults, not ~2,700 of
	 * 4 KiB, which cost a virtual machine's guest tens of ms at every start. */
	size_t len = n * sizeof(struct fp_record);
	r->slots_len = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	void *p =
	    mmap(NULL, r->slots_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
#ifdef MADV_HUGEPAGE
	if (len >= (2u << 20))
		madvise(p, r->slots_len, MADV_HUGEPAGE);
#endif
	r->slots = p;
	memset(r->slots, 0, len);
	r->mask = n - 1;
	return 0;
}

void fp_ring_fini(struct fp_ring *r)
{
	if (r->slots)
		munmap(r->slots, r->slots_len);
	r->slots = NULL;
	free(r->side);
	r->side = NULL;
	free(r->pay);
	r->pay = NULL;
	free(r->tls);
	r->tls = NULL;
	free(r->tls_have);
	r->tls_have = NULL;
	free(r->tcp);
	r->tcp = NULL;
}

int fp_ring_init_tcp(struct fp_ring *r)
{
	r->tcp = calloc(r->mask + 1, sizeof(struct fp_tcp_health));
	return r->tcp ? 0 : -ENOMEM;
}

int fp_ring_init_tls(struct fp_ring *r)
{
	r->tls = calloc(r->mask + 1, sizeof(struct fp_tls_info));
	r->tls_have = calloc(r->mask + 1, 1);
	return r->tls && r->tls_have ? 0 : -ENOMEM;
}

int fp_ring_init_payload(struct fp_ring *r, uint32_t cap)
{
	r->pay_stride = fp_payload_size(cap);
	r->pay = calloc(r->mask + 1, r->pay_stride);
	return r->pay ? 0 : -ENOMEM;
}

/* A payload's header and the bytes it holds (not the room after them). */
static inline void pay_copy(uint8_t *dst, const struct fp_payload *y)
{
	struct fp_payload *d = (struct fp_payload *)dst;
	*d = *y;
	memcpy(d->data, y->data, y->len[0]);
	memcpy(d->data + y->cap, y->data + y->cap, y->len[1]);
}

int fp_ring_init_side(struct fp_ring *r)
{
	r->side = calloc(r->mask + 1, sizeof(struct fp_app));
	return r->side ? 0 : -ENOMEM;
}

int fp_ring_push_side(struct fp_ring *r, const struct fp_record *rec, const struct fp_side *s)
{
	const struct fp_app *app = s ? s->app : NULL;
	const struct fp_payload *pay = s ? s->payload : NULL;
	uint64_t h = r->head;

	if (h - r->tail_cache > r->mask) {
		r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (h - r->tail_cache > r->mask)
			return -1;
	}
	r->slots[h & r->mask] = *rec;
	if (r->side) {
		if (app)
			r->side[h & r->mask] = *app;
		else
			r->side[h & r->mask].flags = 0; /* nothing found: the rest is not read */
	}
	if (r->pay) {
		uint8_t *slot = r->pay + (size_t)(h & r->mask) * r->pay_stride;
		if (pay)
			pay_copy(slot, pay);
		else
			memset(slot, 0, sizeof(struct fp_payload));
	}
	if (r->tcp) {
		if (s && s->tcp)
			r->tcp[h & r->mask] = *s->tcp;
		else
			memset(&r->tcp[h & r->mask], 0, sizeof(struct fp_tcp_health));
	}
	if (r->tls) {
		int have = s && s->tls;
		if (have)
			r->tls[h & r->mask] = *s->tls;
		r->tls_have[h & r->mask] = (uint8_t)have;
	}
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	return 0;
}

int fp_ring_push(struct fp_ring *r, const struct fp_record *rec)
{
	return fp_ring_push_side(r, rec, NULL);
}

unsigned fp_ring_pop_burst(struct fp_ring *r, struct fp_record *out, unsigned max)
{
	return fp_ring_pop_burst_side(r, out, NULL, max);
}

unsigned fp_ring_pop_burst_side(struct fp_ring *r, struct fp_record *out,
				const struct fp_ring_sides *o, unsigned max)
{
	struct fp_app *side = o ? o->app : NULL;
	uint8_t *pay = o ? o->pay : NULL;
	uint64_t t = r->tail;

	uint64_t avail = r->head_cache - t;
	if (avail < max) {
		r->head_cache = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		avail = r->head_cache - t;
	}
	unsigned n = avail < max ? (unsigned)avail : max;
	for (unsigned i = 0; i < n; i++)
		out[i] = r->slots[(t + i) & r->mask];
	if (side && r->side)
		for (unsigned i = 0; i < n; i++)
			side[i] = r->side[(t + i) & r->mask];
	if (pay && r->pay)
		for (unsigned i = 0; i < n; i++)
			pay_copy(pay + (size_t)i * r->pay_stride,
				 (const struct fp_payload *)(r->pay + (size_t)((t + i) & r->mask) *
									  r->pay_stride));
	if (o && o->tcp && r->tcp)
		for (unsigned i = 0; i < n; i++)
			o->tcp[i] = r->tcp[(t + i) & r->mask];
	if (o && o->tls && r->tls)
		for (unsigned i = 0; i < n; i++) {
			uint64_t k = (t + i) & r->mask;
			if (r->tls_have[k])
				o->tls[i] = r->tls[k];
			else
				o->tls[i].have = 0; /* nothing found: the rest is not read */
		}
	__atomic_store_n(&r->tail, t + n, __ATOMIC_RELEASE);
	return n;
}

uint64_t fp_ring_count(const struct fp_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}
