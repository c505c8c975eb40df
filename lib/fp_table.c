/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design
 * - Buckets are one cache line: 8 16-bit signatures and 8 entry indexes. A key may live in one of
 *   two buckets (two-choice hashing); the table has 2 bucket slots per pool entry, so at a full
 *   pool buckets are half full and a double overflow is rare (counted as a bucket eviction).
 *   A signature match is always confirmed by comparing the full key. The bucket count is exactly
 *   a quarter of the pool, not a power of two (which wasted up to half the buckets' memory): a
 *   bucket index is a 32-bit half of the hash scaled to the count (multiply, keep the high
 *   word), the low half for the first choice, the high half for the second; the signature is
 *   the top of the hash multiplied once more, so that it is independent of both.
 * - An entry is two arrays: the hot line (64 bytes: the key and everything a packet of an
 *   established flow reads or writes) and a cold part (40 bytes: wheel links, MACs, ToS, the
 *   biflow reverse counters, FIN seen) read when a flow starts, ends, is refiled, or, with
 *   --biflow, for each packet. The hash is not stored: the rare paths that need it (a flow
 *   leaving its bucket, a cuckoo move) recompute it from the key. 104 bytes of entry and 16
 *   of buckets per configured flow: 120 bytes, where one 128-byte entry and power-of-two
 *   buckets made 151-158.
 * - Entries come from a pool mapped at create time but not touched: a new flow takes a freed
 *   entry if there is one (the free list is threaded through the wheel links), else the next
 *   never-used one, so only the entries that flows have used ever cost memory or page faults
 *   (the kernel zeroes a page when it is first written: 2 MiB at a time with transparent huge
 *   pages, one fault per 16k new flows). A small file with the default 1M-flow table does not
 *   pay for zeroing 128 MB at start. A live capture (cfg.prefault) touches everything at start
 *   instead: there a fault on the packet path costs packets. The buckets are spread by hash, so
 *   they are touched as a whole soon anyway (16 bytes per flow slot). Nothing on the packet
 *   path calls the allocator.
 * - Expiry is a lazy timer wheel keyed by each flow's deadline (last packet + idle timeout, or
 *   + the FIN linger once TCP ended). The packet path never touches the wheel: it only moves
 *   `last_ms`. When a slot comes due, an entry whose real deadline moved on is refiled; the rest
 *   expire. So each flow is relinked at most once per idle period, and the wheel also orders
 *   flows by last-seen time, which is what eviction (least recently seen) needs.
 * - A burst is accounted in three passes (hash and prefetch the first bucket; match signatures and
 *   prefetch the entry; update in order). Without biflow and latency (the common configuration) a
 *   packet of an established flow with no SYN, FIN or RST and no counter at its limit is updated
 *   in a few instructions from its hot line alone (flow_update_plain); every other packet takes
 *   the general flow_update(). Stage 2's candidate is re-checked against its bucket only after a
 *   flow was inserted in the burst (the only thing that moves or frees entries there).
 * - Active timeout is checked when a packet arrives: the accumulated record is exported and the
 *   flow continues with fresh counters. A flow that goes quiet meets the idle timeout instead.
 * - TCP latency (cfg.latency) lives in a side array, one struct fp_lat per entry, read only for
 *   the first LAT_PKTS packets of each direction of a TCP flow (a test on the packet count in
 *   the first line): a packet of an established flow touches nothing more. The initiator's
 *   entry holds the times. Without biflow the responder's packets are another entry, which
 *   finds the initiator's by the reversed key (a lookup for the responder's first LAT_PKTS
 *   packets only, until the measurement is complete). Both directions must reach this table:
 *   one port, or --biflow across ports (flows are per port otherwise).
 *   What is measured, in µs:
 *     server latency: the initiator's last SYN before the first SYN-ACK → that SYN-ACK (a
 *       retransmitted SYN does not add its timeout);
 *     client latency: the last SYN-ACK before the client's first ACK → that ACK;
 *     application latency: the client's first data after the handshake → the server's first
 *       data after it.
 *   A handshake seen in part (no SYN: the flow started before capture) measures nothing; one
 *   whose SYN-ACK never came measures nothing; what was measured is on every record of the
 *   initiator's flow from then on.
 */
#include "fp_table.h"
#include "fp_tcpa.h"

#include "fp_counters.h"

#include <errno.h>
#include <stdalign.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BUCKET_SLOTS 8
#define WHEEL_SLOTS 4096u
#define NIL UINT32_MAX

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* Latency is looked for in a direction's first packets only: a handshake and the first exchange
 * fit (SYN, ACK, request, and a few ACKs or a split request before the server's answer). */
#define LAT_PKTS 16

enum { LAT_NONE, LAT_INITIATOR, LAT_RESPONDER };

struct fp_lat {
	uint64_t syn_us;    /* the initiator's last SYN before the first SYN-ACK */
	uint64_t synack_us; /* the last SYN-ACK before the client's ACK */
	uint64_t req_us;    /* the client's first data after the handshake, 0 until then */
	uint32_t us[FP_LAT_N];
	uint8_t role;  /* LAT_*: what this entry is in its connection */
	uint8_t known; /* bit k: us[k] measured */
	uint8_t pad[2];
};
static_assert(sizeof(struct fp_lat) == 40, "per-flow latency state, only with --fields latency");

struct fp_bucket {
	uint16_t sig[BUCKET_SLOTS];
	uint32_t idx[BUCKET_SLOTS]; /* entry index + 1; 0 = empty */
	uint8_t pad[16];
};
static_assert(sizeof(struct fp_bucket) == 64, "a bucket is one cache line");

/*
 * The first cache line holds everything a packet of a known flow reads or writes, so at 1M flows
 * a packet costs two DRAM lines (bucket, entry), not three. To fit, counters are narrower than the
 * record's: packets 32 bits, octets 40 bits, the last-seen time 32 bits of µs after the first
 * (71 minutes). A flow about to overflow one leaves early as an active-timeout record and goes
 * on (exact totals): with an active timeout above 4294 s, long flows still leave every 71 min.
 */
#define FLOW_OCTETS_MAX ((1ull << 40) - 1)

/* The hot line: everything a packet of an established flow reads or writes (without biflow). */
struct fp_flow {
	struct fp_flow_key key;
	uint64_t first_us;
	uint32_t packets;
	uint32_t last_rel; /* last packet time − first_us, µs */
	union {
		struct {
			uint64_t octets : 40;
			uint64_t tcp_flags : 8;
			uint64_t ttl_min : 8;
			uint64_t ttl_max : 8;
		};
		/* the four as one word: a packet adds its octets and ORs its flags in one store
		 * (the overflow check keeps octets below 2^40, so no carry reaches the flags) */
		uint64_t ow;
	};
};
static_assert(sizeof(struct fp_flow) == 64, "the per-packet fields are one cache line");

/* The cold part: set when the flow starts, read when it ends or moves (and by biflow). */
struct fp_flow_cold {
	uint32_t wprev, wnext; /* wheel links; wnext is also the free-list link */
	uint16_t wslot;
	uint8_t tos;
	uint8_t ended; /* FIN or RST seen: lingers fin_ms, then "end detected" */
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	/* biflow: the responder's counters (as narrow as the initiator's, same overflow rule), and
	 * which canonical side started the connection */
	uint64_t rev_octets : 40;
	uint64_t rev_tcp_flags : 8;
	uint64_t init_swapped : 8;
	uint64_t pad : 8;
	uint32_t rev_packets;
	uint32_t pad1;
};
static_assert(sizeof(struct fp_flow_cold) == 40, "a flow's cold part is 40 bytes");

static inline uint64_t flow_last_us(const struct fp_flow *f)
{
	return f->first_us + f->last_rel;
}

/* Expiry runs in milliseconds. */
static inline uint64_t flow_last_ms(const struct fp_flow *f)
{
	return flow_last_us(f) / 1000;
}

/* --fields tcp: one flow's TCP analysis (fp_tcpa.h). With --biflow both directions are here
 * (d[0] the initiator's segments, d[1] the responder's); without, d[0] is the flow's own and
 * the other direction's state is its reverse flow's d[0], found when either starts (`peer`). */
struct fp_tcp_flow {
	struct fp_tcpa_dir d[2];
	struct fp_tcp_health h; /* counted since the flow's last record */
	uint64_t syn_us;	/* its last SYN (without ACK): the client's */
	uint32_t irtt_us;	/* the SYN to the client's first ACK after it; 0 unknown */
	uint32_t peer;		/* no biflow: the reverse flow's entry + 1, 0 none known */
	uint8_t pad[16];
};
static_assert(sizeof(struct fp_tcp_flow) == FP_TABLE_TCP_BYTES, "--fields tcp's bytes per flow");

struct fp_table {
	alignas(64) struct fp_bucket *buckets;
	struct fp_flow *flows;
	struct fp_flow_cold *cold;
	struct fp_pkt_more *more; /* per entry, only with cfg.more */
	struct fp_lat *lat;	  /* per entry, only with cfg.latency */
	uint8_t *pay;		  /* per entry, pay_stride bytes (struct fp_payload), cfg.payload */
	uint32_t pay_stride;
	struct fp_tcp_flow *tcp;	     /* per entry, cfg.tcp_health */
	const struct fp_table_payload *bpay; /* the burst's payloads (update_burst) */
	const struct fp_tcp_seg *bseg;	     /* the burst's TCP headers (update_burst) */
	size_t buckets_len, flows_len, cold_len, more_len, lat_len, pay_len, tcp_len; /* munmap */
	uint64_t nbuckets;
	uint64_t rel_limit;   /* µs after a flow's first packet when its record must go */
	uint64_t gap_us;      /* a packet this long after its flow's last may find it expired:
				 the short path looks closer (shortest timeout less 1 ms) */
	uint64_t idle_gap_us; /* ... and leaves it to flow_update() from here (idle less 1 ms) */
	uint64_t now_ms;      /* the newest time the table was told of (packets, expiry) */
	uint32_t room;	      /* records the taker has room for now (fp_table_set_room) */
	uint32_t free_head;
	uint32_t fresh; /* entries [fresh, max_flows) were never used */
	uint32_t max_flows;
	uint64_t tick_ms;
	uint64_t wheel_tick; /* every tick ≤ this one has been processed */
	uint64_t scan_from;  /* pick_victim(): no slot of an earlier tick holds a flow */
	int wheel_started;
	struct fp_table_config cfg;
	struct fp_table_stats st;
	uint32_t wheel[WHEEL_SLOTS]; /* head entry index per slot, NIL when empty */
};

static inline uint16_t sig_of(uint64_t h)
{
	return (uint16_t)((h * 0x9e3779b97f4a7c15ull) >> 48);
}

static inline uint64_t b1_of(const struct fp_table *t, uint64_t h)
{
	return ((h & 0xffffffffu) * t->nbuckets) >> 32;
}

static inline uint64_t b2_of(const struct fp_table *t, uint64_t h)
{
	return ((h >> 32) * t->nbuckets) >> 32;
}

/*
 * Table memory: anonymous mappings with transparent huge pages requested. With 4 KiB pages a
 * 1M-flow table spans ~40k pages and nearly every lookup also misses the TLB (a prefetch then
 * stalls on the page walk); 2 MiB pages cut that by 512. Falls back silently to small pages.
 */
static void *table_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

/* Whole 2 MiB pages for big tables; small ones (tests, fuzzing) stay small. */
static size_t round_2m(size_t len)
{
	size_t unit = len >= (1u << 20) ? (2u << 20) : 4096;
	return (len + unit - 1) & ~(unit - 1);
}

/* A zeroed side array of `size` bytes per entry (an optional feature's state), or NULL. */
static void *side_map(const struct fp_table_config *cfg, size_t size, size_t *len)
{
	*len = round_2m((size_t)cfg->max_flows * size);
	return table_map(*len);
}

struct fp_table *fp_table_create(const struct fp_table_config *cfg)
{
	if (cfg->max_flows == 0 || cfg->max_flows >= NIL / 2 || cfg->idle_ms == 0 ||
	    cfg->active_ms == 0 || cfg->emit == NULL) {
		fprintf(stderr,
			"fp_table_create: invalid configuration (max_flows %u, idle %u ms, "
			"active %u ms)\n",
			cfg->max_flows, cfg->idle_ms, cfg->active_ms);
		errno = EINVAL;
		return NULL;
	}
	struct fp_table *t = aligned_alloc(64, sizeof(*t));
	if (t == NULL)
		goto fail;
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->max_flows = cfg->max_flows;
	t->rel_limit = (uint64_t)cfg->active_ms * 1000;
	if (t->rel_limit > (uint64_t)UINT32_MAX + 1)
		t->rel_limit = (uint64_t)UINT32_MAX + 1;
	/* Expiry is decided in ms (flow_expired()); a gap 1 ms shorter than a timeout may
	 * already be one in ms, so from there on the exact test runs: past the idle timeout for
	 * any flow, past the FIN linger for a flow whose own flags hold FIN or RST (the short
	 * path reads them in the hot line; sending every gap past the linger to flow_update()
	 * read the cold line, another DRAM miss, for 13 % of the packets at 1M flows). */
	t->idle_gap_us = (uint64_t)(cfg->idle_ms - 1) * 1000;
	uint32_t shortest_ms = cfg->idle_ms < cfg->fin_ms ? cfg->idle_ms : cfg->fin_ms;
	t->gap_us = shortest_ms ? (uint64_t)(shortest_ms - 1) * 1000 : 0;

	/* two bucket slots per entry */
	uint64_t nb = ((uint64_t)cfg->max_flows + 3) / 4;
	if (nb < 2)
		nb = 2;
	t->nbuckets = nb;
	t->buckets_len = round_2m(nb * sizeof(struct fp_bucket));
	t->flows_len = round_2m((size_t)cfg->max_flows * sizeof(struct fp_flow));
	t->cold_len = round_2m((size_t)cfg->max_flows * sizeof(struct fp_flow_cold));
	t->buckets = table_map(t->buckets_len);
	t->flows = table_map(t->flows_len);
	t->cold = table_map(t->cold_len);
	if (cfg->more &&
	    (t->more = side_map(cfg, sizeof(struct fp_pkt_more), &t->more_len)) == NULL)
		goto fail_free;
	if (cfg->payload) { /* fp_config keeps it within FP_PAYLOAD_MAX */
		t->pay_stride =
		    fp_payload_size(cfg->payload > FP_PAYLOAD_MAX ? FP_PAYLOAD_MAX : cfg->payload);
		if ((t->pay = side_map(cfg, t->pay_stride, &t->pay_len)) == NULL)
			goto fail_free;
	}
	if (cfg->latency && (t->lat = side_map(cfg, sizeof(struct fp_lat), &t->lat_len)) == NULL)
		goto fail_free;
	if (cfg->tcp_health &&
	    (t->tcp = side_map(cfg, sizeof(struct fp_tcp_flow), &t->tcp_len)) == NULL)
		goto fail_free;
	if (t->buckets == NULL || t->flows == NULL || t->cold == NULL)
		goto fail_free;
	/* Anonymous mappings read as zeros: nothing to clear (see the top of this file). Live,
	 * every page is touched now all the same: a fault costs the packet path tens of µs (a
	 * 2 MiB page zeroed), and at start-up that lost packets in the kernel's capture ring. */
	if (cfg->prefault) {
		memset(t->buckets, 0, nb * sizeof(struct fp_bucket));
		memset(t->flows, 0, (size_t)cfg->max_flows * sizeof(struct fp_flow));
		memset(t->cold, 0, (size_t)cfg->max_flows * sizeof(struct fp_flow_cold));
		if (t->more)
			memset(t->more, 0, (size_t)cfg->max_flows * sizeof(struct fp_pkt_more));
		if (t->lat)
			memset(t->lat, 0, (size_t)cfg->max_flows * sizeof(struct fp_lat));
		if (t->pay)
			memset(t->pay, 0, (size_t)cfg->max_flows * t->pay_stride);
		if (t->tcp)
			memset(t->tcp, 0, (size_t)cfg->max_flows * sizeof(struct fp_tcp_flow));
	}
	t->free_head = NIL;
	t->fresh = 0;
	t->room = UINT32_MAX;

	uint32_t shortest = cfg->idle_ms;
	if (cfg->fin_ms && cfg->fin_ms < shortest)
		shortest = cfg->fin_ms;
	/* Ticks fine enough for the shortest timeout, coarse enough that the longest deadline
	 * (a packet's time + the idle timeout) falls within the wheel: a flow filed beyond the
	 * horizon would lose its place in the least-recently-seen order that eviction follows. */
	uint64_t longest = cfg->idle_ms > cfg->fin_ms ? cfg->idle_ms : cfg->fin_ms;
	uint64_t fit = (longest + WHEEL_SLOTS - 65) / (WHEEL_SLOTS - 64);
	t->tick_ms = shortest / 64 > fit ? shortest / 64 : fit;
	if (t->tick_ms == 0)
		t->tick_ms = 1;
	for (unsigned i = 0; i < WHEEL_SLOTS; i++)
		t->wheel[i] = NIL;
	return t;

fail_free:
	if (t->buckets)
		munmap(t->buckets, t->buckets_len);
	if (t->flows)
		munmap(t->flows, t->flows_len);
	if (t->cold)
		munmap(t->cold, t->cold_len);
	if (t->more)
		munmap(t->more, t->more_len);
	if (t->lat)
		munmap(t->lat, t->lat_len);
	if (t->pay)
		munmap(t->pay, t->pay_len);
	if (t->tcp)
		munmap(t->tcp, t->tcp_len);
	free(t);
fail:
	fprintf(stderr, "fp_table_create: cannot allocate %u flows\n", cfg->max_flows);
	errno = ENOMEM;
	return NULL;
}

void fp_table_destroy(struct fp_table *t)
{
	if (t == NULL)
		return;
	munmap(t->buckets, t->buckets_len);
	munmap(t->flows, t->flows_len);
	munmap(t->cold, t->cold_len);
	if (t->more)
		munmap(t->more, t->more_len);
	if (t->lat)
		munmap(t->lat, t->lat_len);
	if (t->pay)
		munmap(t->pay, t->pay_len);
	if (t->tcp)
		munmap(t->tcp, t->tcp_len);
	free(t);
}

double fp_table_bytes_per_flow(const struct fp_table *t)
{
	double bytes =
	    (double)t->nbuckets * sizeof(struct fp_bucket) +
	    (double)t->max_flows * (sizeof(struct fp_flow) + sizeof(struct fp_flow_cold)) +
	    (t->more ? (double)t->max_flows * sizeof(struct fp_pkt_more) : 0) +
	    (t->lat ? (double)t->max_flows * sizeof(struct fp_lat) : 0) +
	    (t->tcp ? (double)t->max_flows * sizeof(struct fp_tcp_flow) : 0) +
	    (double)t->max_flows * t->pay_stride;
	return bytes / t->max_flows;
}

void fp_table_stats_read(const struct fp_table *t, struct fp_table_stats *out)
{
	fp_counters_copy(out, &t->st, sizeof(*out));
}

/* ---- wheel ---- */

static inline uint64_t deadline_of(const struct fp_table *t, uint32_t i)
{
	return flow_last_ms(&t->flows[i]) + (t->cold[i].ended ? t->cfg.fin_ms : t->cfg.idle_ms);
}

/* Had entry `i` expired at `now_ms`? The one test behind every expiry: the wheel's slices, a
 * packet that finds its flow (it starts a new one then), eviction and the final flush. */
static inline int flow_expired(const struct fp_table *t, uint32_t i, uint64_t now_ms)
{
	return deadline_of(t, i) <= now_ms;
}

/* The end reason of a flow whose deadline passed. */
static inline enum fp_end_reason timeout_reason(const struct fp_table *t, uint32_t i)
{
	return t->cold[i].ended ? FP_END_DETECTED : FP_END_IDLE;
}

static void wheel_unlink(struct fp_table *t, uint32_t i)
{
	struct fp_flow_cold *c = &t->cold[i];
	if (c->wprev != NIL)
		t->cold[c->wprev].wnext = c->wnext;
	else
		t->wheel[c->wslot] = c->wnext;
	if (c->wnext != NIL)
		t->cold[c->wnext].wprev = c->wprev;
}

/* File entry `i` in the slot of tick `tk`, never in a slot already passed or the one being run. */
static void wheel_link(struct fp_table *t, uint32_t i, uint64_t tk)
{
	struct fp_flow_cold *c = &t->cold[i];
	if (tk <= t->wheel_tick)
		tk = t->wheel_tick + 1;
	if (tk - t->wheel_tick >= WHEEL_SLOTS)
		tk = t->wheel_tick + WHEEL_SLOTS - 1; /* beyond the horizon: look again later */
	uint16_t s = (uint16_t)(tk % WHEEL_SLOTS);
	if (tk < t->scan_from)
		t->scan_from = tk;
	c->wslot = s;
	c->wprev = NIL;
	c->wnext = t->wheel[s];
	if (c->wnext != NIL)
		t->cold[c->wnext].wprev = i;
	t->wheel[s] = i;
}

/* ---- records ---- */

/* --payload: entry `i`'s first payload bytes each way */
static inline struct fp_payload *pay_of(const struct fp_table *t, uint32_t i)
{
	return (struct fp_payload *)(t->pay + (size_t)i * t->pay_stride);
}

static void emit_record(struct fp_table *t, uint32_t i, enum fp_end_reason reason)
{
	const struct fp_flow *f = &t->flows[i];
	const struct fp_flow_cold *c = &t->cold[i];
	struct fp_record r;

	memset(&r, 0, sizeof(r));
	r.key = f->key;
	r.key.vlan &= FP_KEY_VLAN_MASK; /* the port slot above it is only for keying */
	r.packets = f->packets;
	r.octets = f->octets;
	r.first_us = f->first_us;
	r.last_us = flow_last_us(f);
	if (f->key.proto == 1 || f->key.proto == 58)
		r.icmp_type_code = f->key.dport;
	r.tcp_flags = f->tcp_flags;
	r.tos = c->tos;
	if (f->packets) { /* the initiator's TTLs (biflow: a flow may have only replies) */
		r.ttl_min = f->ttl_min;
		r.ttl_max = f->ttl_max;
	}
	r.end_reason = (uint8_t)reason;
	r.ipver = f->key.ipver;
	memcpy(r.src_mac, c->src_mac, 6);
	memcpy(r.dst_mac, c->dst_mac, 6);
	if (t->cfg.biflow) {
		/* the initiator is the record's source (RFC 5103 §5.2) */
		if (c->init_swapped)
			fp_key_swap(&r.key);
		r.rev_packets = c->rev_packets;
		r.rev_octets = c->rev_octets;
		r.rev_tcp_flags = c->rev_tcp_flags;
	}
	if (t->more) {
		r.more = t->more[i];
		if (r.more.vxlan_vni)
			r.l2_segment = 1ull << 56 | (r.more.vxlan_vni & 0xffffff);
	}
	if (t->lat && t->lat[i].role == LAT_INITIATOR && t->lat[i].known) {
		r.lat_known = t->lat[i].known;
		for (int k = 0; k < FP_LAT_N; k++)
			if (r.lat_known & (1u << k))
				r.lat_us[k] = t->lat[i].us[k];
	}
	fp_counter_add(&t->st.records[reason], 1);
	if (t->room && t->room != UINT32_MAX)
		t->room--;
	struct fp_side side = {.payload = t->pay ? pay_of(t, i) : NULL,
			       .tcp = t->tcp ? &t->tcp[i].h : NULL};
	int taken = t->cfg.emit(t->cfg.emit_arg, &r, &side);
	if (t->tcp) /* the next record counts afresh; the analysis goes on */
		memset(&t->tcp[i].h, 0, sizeof(t->tcp[i].h));
	if (taken != 0) {
		fp_counter_add(&t->st.records_dropped, 1);
		fp_counter_add(&t->st.dropped_packets, r.packets);
		fp_counter_add(&t->st.dropped_octets, r.octets);
	}
}

/* Remove entry `i` from its bucket, the wheel, and return it to the pool. */
static void flow_free(struct fp_table *t, uint32_t i)
{
	uint64_t h = fp_key_hash(&t->flows[i].key);
	struct fp_bucket *bs[2] = {&t->buckets[b1_of(t, h)], &t->buckets[b2_of(t, h)]};

	for (int b = 0; b < 2; b++)
		for (int s = 0; s < BUCKET_SLOTS; s++)
			if (bs[b]->idx[s] == i + 1) {
				bs[b]->idx[s] = 0;
				goto unlinked;
			}
unlinked:
	wheel_unlink(t, i);
	t->cold[i].wnext = t->free_head;
	t->free_head = i;
	fp_counter_add(&t->st.active, -1);
}

static void flow_expire(struct fp_table *t, uint32_t i, enum fp_end_reason reason)
{
	emit_record(t, i, reason);
	flow_free(t, i);
}

/* Out of room: a flow whose deadline had passed (expiry had not reached it yet) ended by its
 * timeout; a flow already closed by FIN/RST only loses the rest of its linger, so it ended; any
 * other flow leaves for lack of resources. */
static void flow_evict(struct fp_table *t, uint32_t i)
{
	if (flow_expired(t, i, t->now_ms))
		flow_expire(t, i, timeout_reason(t, i));
	else
		flow_expire(t, i, t->cold[i].ended ? FP_END_DETECTED : FP_END_RESOURCES);
}

/* Start (or restart) entry `i`'s counters with packet `p`; `rev`: it came from the responder. */
static void flow_begin(struct fp_table *t, uint32_t i, const struct fp_pkt *p, int rev)
{
	struct fp_flow *f = &t->flows[i];
	struct fp_flow_cold *c = &t->cold[i];
	if (t->more)
		t->more[i] = p->more;
	if (t->pay) { /* a record starts: nothing kept yet */
		struct fp_payload *y = pay_of(t, i);
		y->len[0] = y->len[1] = 0;
		y->cap = (uint16_t)((t->pay_stride - sizeof(struct fp_payload)) / 2);
	}
	f->packets = rev ? 0 : 1;
	f->octets = rev ? 0 : p->octets; /* a packet is < 2^40 bytes: the parser caps it at 2^32 */
	f->tcp_flags = rev ? 0 : p->tcp_flags;
	c->rev_packets = (uint32_t)rev;
	c->rev_octets = rev ? p->octets : 0;
	c->rev_tcp_flags = rev ? p->tcp_flags : 0;
	f->first_us = p->ts_us;
	f->last_rel = 0;
	c->tos = p->tos;
	f->ttl_min = rev ? 0xff : p->ttl; /* TTLs are the initiator's: a reply sets none */
	f->ttl_max = rev ? 0 : p->ttl;
	c->ended = (p->tcp_flags & (TCP_FIN | TCP_RST)) != 0;
	memcpy(c->src_mac, rev ? p->dst_mac : p->src_mac, 6);
	memcpy(c->dst_mac, rev ? p->src_mac : p->dst_mac, 6);
}

/*
 * The least recently seen flow: the first correctly filed entry from the wheel's current
 * position on. Misfiled entries met on the way (seen since they were filed) are refiled. An entry
 * whose deadline still lies beyond the horizon (the wheel lags the clock) is taken as it is met:
 * walking on would visit every flow of a table full of them. The scan starts at the first slot
 * that may hold a flow, not over the empty ones before it each time.
 */
static uint32_t pick_victim(struct fp_table *t)
{
	uint32_t fallback = NIL;
	uint64_t from = t->scan_from > t->wheel_tick ? t->scan_from : t->wheel_tick + 1;

	for (uint64_t tk = from; tk <= t->wheel_tick + WHEEL_SLOTS; tk++) {
		uint32_t s = (uint32_t)(tk % WHEEL_SLOTS);
		uint32_t i = t->wheel[s];
		if (i == NIL && fallback == NIL)
			t->scan_from = tk + 1;
		while (i != NIL) {
			uint32_t next = t->cold[i].wnext;
			uint64_t dtk = deadline_of(t, i) / t->tick_ms;
			if (dtk <= tk || dtk - t->wheel_tick >= WHEEL_SLOTS)
				return i;
			if (fallback == NIL)
				fallback = i;
			if (dtk - t->wheel_tick < WHEEL_SLOTS && dtk % WHEEL_SLOTS != s) {
				wheel_unlink(t, i);
				wheel_link(t, i, dtk);
			}
			i = next;
		}
	}
	return fallback;
}

static uint32_t flow_alloc(struct fp_table *t)
{
	if (t->free_head == NIL) {
		if (t->fresh < t->max_flows)
			return t->fresh++; /* unused since create or the last flush */
		flow_evict(t, pick_victim(t));
	}
	uint32_t i = t->free_head;
	t->free_head = t->cold[i].wnext;
	return i;
}

/* First empty slot of `b`, or BUCKET_SLOTS. */
static inline int bucket_free_slot(const struct fp_bucket *b)
{
	for (int s = 0; s < BUCKET_SLOTS; s++)
		if (b->idx[s] == 0)
			return s;
	return BUCKET_SLOTS;
}

/*
 * Both candidate buckets of hash `h` are full: move one resident of either to its own other
 * bucket (one cuckoo step) and return the slot freed, with *out set to its bucket. Rare (a
 * bucket is 8 slots at most 50 % full on average), so reading the residents' entries is fine.
 */
static int make_room(struct fp_table *t, uint64_t h, struct fp_bucket **out)
{
	uint64_t cand[2] = {b1_of(t, h), b2_of(t, h)};

	for (int c = 0; c < 2; c++) {
		struct fp_bucket *b = &t->buckets[cand[c]];
		for (int s = 0; s < BUCKET_SLOTS; s++) {
			uint64_t rh = fp_key_hash(&t->flows[b->idx[s] - 1].key);
			uint64_t alt = b1_of(t, rh) == cand[c] ? b2_of(t, rh) : b1_of(t, rh);
			if (alt == cand[c])
				continue;
			struct fp_bucket *ab = &t->buckets[alt];
			int as = bucket_free_slot(ab);
			if (as == BUCKET_SLOTS)
				continue;
			ab->sig[as] = b->sig[s];
			ab->idx[as] = b->idx[s];
			b->idx[s] = 0;
			*out = b;
			return s;
		}
	}
	return BUCKET_SLOTS;
}

static void lat_start(struct fp_table *t, uint32_t i, const struct fp_pkt *p);
static void lat_track(struct fp_table *t, uint32_t i, const struct fp_pkt *p, int rev);
static void tcp_start(struct fp_table *t, uint32_t i, const struct fp_pkt *p);

/* A flow's first packet `p` in entry `i` (its key already set): counters, initiator, latency. */
static void flow_start(struct fp_table *t, uint32_t i, const struct fp_pkt *p)
{
	/* biflow: the sender of the first packet started the connection, unless it is a SYN-ACK
	 * (the SYN was missed): then the other side did */
	int synack = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
	t->cold[i].init_swapped = (uint8_t)(t->cfg.biflow && (p->swapped ^ synack));
	flow_begin(t, i, p, t->cfg.biflow && synack);
	if (t->lat)
		lat_start(t, i, p);
	if (t->tcp)
		tcp_start(t, i, p);
	fp_counter_add(&t->st.flows_created, 1);
}

static uint32_t flow_insert(struct fp_table *t, const struct fp_pkt *p, uint64_t h)
{
	if (p->ts_us / 1000 > t->now_ms)
		t->now_ms = p->ts_us / 1000; /* eviction tells an expired flow by it */
	if (!t->wheel_started) {
		t->wheel_tick = p->ts_us / 1000 / t->tick_ms;
		t->wheel_started = 1;
	}
	uint32_t i = flow_alloc(t);
	/* The allocation may have evicted from either candidate bucket, so look for room after it.
	 */
	struct fp_bucket *b = &t->buckets[b1_of(t, h)];
	int s = bucket_free_slot(b);
	if (s == BUCKET_SLOTS) {
		b = &t->buckets[b2_of(t, h)];
		s = bucket_free_slot(b);
	}
	if (s == BUCKET_SLOTS)
		s = make_room(t, h, &b);
	if (s == BUCKET_SLOTS) {
		/* Both full and no neighbour could move: evict the least recently seen of the
		 * second bucket. */
		int old = 0;
		for (int j = 1; j < BUCKET_SLOTS; j++)
			if (flow_last_us(&t->flows[b->idx[j] - 1]) <
			    flow_last_us(&t->flows[b->idx[old] - 1]))
				old = j;
		fp_counter_add(&t->st.bucket_evictions, 1);
		flow_evict(t, b->idx[old] - 1);
		s = old;
	}
	t->flows[i].key = p->key;
	b->sig[s] = sig_of(h);
	b->idx[s] = i + 1;
	flow_start(t, i, p);
	wheel_link(t, i, deadline_of(t, i) / t->tick_ms);
	fp_counter_add(&t->st.active, 1);
	return i;
}

/* --payload: packet `p` (its payload `y`) has just been counted in entry `i`: the first payload
 * of its direction is kept. */
static void pay_note(struct fp_table *t, uint32_t i, const struct fp_pkt *p,
		     const struct fp_table_payload *y)
{
	if (y->data == NULL || y->len == 0)
		return;
	int rev = t->cfg.biflow && p->swapped != t->cold[i].init_swapped;
	struct fp_payload *k = pay_of(t, i);
	if (k->len[rev])
		return;
	uint32_t n = y->len < k->cap ? y->len : k->cap;
	memcpy(k->data + (size_t)rev * k->cap, y->data, n);
	k->len[rev] = (uint16_t)n;
}

/* Entry `i`'s flow is over (`reason`); packet `p` of the same key starts the next one there. */
static void flow_restart(struct fp_table *t, uint32_t i, const struct fp_pkt *p,
			 enum fp_end_reason reason)
{
	emit_record(t, i, reason);
	flow_start(t, i, p);
	wheel_unlink(t, i);
	wheel_link(t, i, deadline_of(t, i) / t->tick_ms);
}

static void flow_update(struct fp_table *t, uint32_t i, const struct fp_pkt *p)
{
	struct fp_flow *f = &t->flows[i];
	struct fp_flow_cold *c = &t->cold[i];
	uint8_t fl = p->tcp_flags;
	/* biflow: from the responder? (init_swapped is in the cold part: read it only then) */
	int rev = t->cfg.biflow && p->swapped != c->init_swapped;

	/* The flow had expired by this packet's time (the wheel had not reached it: a burst of a
	 * sparse file spans its timeout, or expiry lags): it ends as it would have, by its
	 * timeout, and the packet starts the next flow, as live capture gives at any pace. */
	if (flow_expired(t, i, p->ts_us / 1000)) {
		if (t->room) {
			flow_restart(t, i, p, timeout_reason(t, i));
			return;
		}
		/* the record would be lost whole: the packet joins the flow instead, counted */
		fp_counter_add(&t->st.late_joins, 1);
	}
	/* A new connection on the same 5-tuple: the old one is over; the SYN's sender is the new
	 * initiator. */
	if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN && c->ended) {
		flow_restart(t, i, p, FP_END_DETECTED);
		return;
	}
	uint64_t rel = p->ts_us > f->first_us ? p->ts_us - f->first_us : 0;
	/* a counter about to overflow: the direction's own (biflow's reverse side only then);
	 * rel_limit: the active timeout, or 2^32 µs when shorter (last_rel's width) */
	int full =
	    rev ? c->rev_packets == UINT32_MAX ||
		      (uint64_t)c->rev_octets + p->octets > FLOW_OCTETS_MAX
		: f->packets == UINT32_MAX || (uint64_t)f->octets + p->octets > FLOW_OCTETS_MAX;
	if (rel >= t->rel_limit || full) {
		/* the record goes, the connection (and its direction) stays */
		uint8_t was_ended = c->ended;
		emit_record(t, i, FP_END_ACTIVE);
		flow_begin(t, i, p, rev);
		/* biflow: a FIN of either side carries on into the next record. Without biflow a
		 * flow is ended exactly when its own flags hold FIN or RST (the short path reads
		 * that in the hot line), so the next record starts afresh */
		if (t->cfg.biflow)
			c->ended |= was_ended;
		if (!was_ended && c->ended) {
			wheel_unlink(t, i);
			wheel_link(t, i, deadline_of(t, i) / t->tick_ms);
		}
		return;
	}
	if (rev) {
		c->rev_packets++;
		c->rev_octets += p->octets;
		c->rev_tcp_flags |= fl;
	} else {
		f->packets++;
		f->ow = (f->ow + p->octets) | (uint64_t)fl << 40;
	}
	if (rel > f->last_rel)
		f->last_rel = (uint32_t)rel;
	if (!rev && p->ttl < f->ttl_min) /* biflow: the reverse side's TTLs are not mixed in */
		f->ttl_min = p->ttl;
	if (!rev && p->ttl > f->ttl_max)
		f->ttl_max = p->ttl;
	/* the packet count is in the first line: an established flow stops here */
	if (t->lat && f->key.proto == 6 && (rev ? c->rev_packets : f->packets) <= LAT_PKTS)
		lat_track(t, i, p, rev);
	if ((fl & (TCP_FIN | TCP_RST)) && !c->ended) {
		/* The linger deadline is earlier than where the entry is filed: refile it now. */
		c->ended = 1;
		wheel_unlink(t, i);
		wheel_link(t, i, deadline_of(t, i) / t->tick_ms);
	}
}

/* Bit i set when slot i's signature equals `sig` (empty slots may match; callers check idx). */
static inline unsigned sig_match(const struct fp_bucket *b, uint16_t sig)
{
#ifdef __SSE2__
	__m128i v = _mm_load_si128((const __m128i *)b->sig);
	__m128i eq = _mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig));
	/* the eight 16-bit lanes (0 or -1) packed to bytes: one mask bit per slot */
	return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(eq, _mm_setzero_si128()));
#else
	unsigned m = 0;
	for (int s = 0; s < BUCKET_SLOTS; s++)
		m |= (unsigned)(b->sig[s] == sig) << s;
	return m;
#endif
}

static inline uint32_t bucket_find(const struct fp_table *t, const struct fp_bucket *b,
				   uint16_t sig, const struct fp_flow_key *k)
{
	for (unsigned m = sig_match(b, sig); m; m &= m - 1) {
		uint32_t idx = b->idx[__builtin_ctz(m)];
		if (idx && fp_key_equal(&t->flows[idx - 1].key, k))
			return idx;
	}
	return 0;
}

/* ---- TCP latency (see the design notes at the top) ---- */

/* Entry index + 1 of key `k`, 0 when the table does not hold it. */
static uint32_t flow_find(const struct fp_table *t, const struct fp_flow_key *k)
{
	uint64_t h = fp_key_hash(k);
	uint32_t idx = bucket_find(t, &t->buckets[b1_of(t, h)], sig_of(h), k);
	return idx ? idx : bucket_find(t, &t->buckets[b2_of(t, h)], sig_of(h), k);
}

static void lat_start(struct fp_table *t, uint32_t i, const struct fp_pkt *p)
{
	struct fp_lat *l = &t->lat[i];
	uint8_t fl = p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST);

	memset(l, 0, sizeof(*l));
	if (p->key.proto != 6)
		return;
	if (fl == TCP_SYN) {
		l->role = LAT_INITIATOR;
		l->syn_us = p->ts_us;
	} else if (fl == (TCP_SYN | TCP_ACK) && !t->cfg.biflow) {
		l->role = LAT_RESPONDER; /* biflow: a SYN-ACK first means the SYN was missed */
		lat_track(t, i, p, 0);
	}
}

/* µs from `from` to `to`, or -1 when time went back or the gap does not fit 32 bits. */
static int64_t lat_gap(uint64_t from, uint64_t to)
{
	return to >= from && to - from <= UINT32_MAX ? (int64_t)(to - from) : -1;
}

static void lat_set(struct fp_lat *l, enum fp_lat_kind k, uint64_t from, uint64_t to)
{
	int64_t d = lat_gap(from, to);
	if (d >= 0) {
		l->us[k] = (uint32_t)d;
		l->known |= (uint8_t)(1u << k);
	}
}

/* Packet `p` of entry `i` (`rev`: biflow, from the responder) during the first packets. */
static void lat_track(struct fp_table *t, uint32_t i, const struct fp_pkt *p, int rev)
{
	struct fp_lat *own = &t->lat[i], *l = own;
	int from_client = !rev;
	const unsigned all = (1u << FP_LAT_N) - 1;

	if (own->role == LAT_RESPONDER) { /* no biflow: the initiator's entry holds the state */
		struct fp_flow_key k = t->flows[i].key;
		fp_key_swap(&k);
		uint32_t j = flow_find(t, &k);
		if (j == 0 || t->lat[j - 1].role != LAT_INITIATOR) {
			own->role = LAT_NONE; /* its SYN was not seen, or it has gone */
			return;
		}
		l = &t->lat[j - 1];
		from_client = 0;
	} else if (own->role != LAT_INITIATOR) {
		return;
	}
	if (l->known == all) {
		if (own != l)
			own->role = LAT_NONE; /* a responder: nothing more to look up */
		return;
	}
	uint8_t fl = p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST);
	uint64_t ts = p->ts_us;
	int server_known = l->known & (1u << FP_LAT_SERVER);
	int client_known = l->known & (1u << FP_LAT_CLIENT);

	if (from_client) {
		if (fl == TCP_SYN) {
			if (!server_known)
				l->syn_us = ts; /* a retransmission: the SYN-ACK answers the last */
			return;
		}
		if (!server_known)
			return; /* no SYN-ACK yet */
		if (!client_known && fl == TCP_ACK) {
			lat_set(l, FP_LAT_CLIENT, l->synack_us, ts);
			client_known = l->known & (1u << FP_LAT_CLIENT);
		}
		if (client_known && p->tcp_payload && l->req_us == 0)
			l->req_us = ts;
		return;
	}
	if (fl == (TCP_SYN | TCP_ACK)) {
		if (!server_known) {
			lat_set(l, FP_LAT_SERVER, l->syn_us, ts);
			l->synack_us = ts;
		} else if (!client_known) {
			l->synack_us = ts; /* a retransmission: the client's ACK answers the last */
		}
		return;
	}
	if (p->tcp_payload && l->req_us && !(l->known & (1u << FP_LAT_APPL)))
		lat_set(l, FP_LAT_APPL, l->req_us, ts);
}

/* --fields tcp: a new flow's analysis starts; without biflow it meets its reverse flow's
 * (`p`: its first packet). A flow that starts with a SYN has no reverse flow yet: the SYN-ACK's
 * flow finds it when it starts. */
static void tcp_start(struct fp_table *t, uint32_t i, const struct fp_pkt *p)
{
	struct fp_tcp_flow *c = &t->tcp[i];
	memset(c, 0, sizeof(*c));
	fp_tcpa_dir_init(&c->d[0]);
	fp_tcpa_dir_init(&c->d[1]);
	if (t->cfg.biflow || t->flows[i].key.proto != 6 ||
	    (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		return;
	struct fp_flow_key k = t->flows[i].key;
	fp_key_swap(&k);
	uint32_t j = flow_find(t, &k);
	if (j && j - 1 != i) { /* each points at the other */
		c->peer = j;
		t->tcp[j - 1].peer = i + 1;
	}
}

static inline void count_add(uint32_t *c, uint32_t v)
{
	*c = *c > UINT32_MAX - v ? UINT32_MAX : *c + v;
}

/* --fields tcp: TCP packet `p` (its header `s`) has just been counted in entry `i`. */
static void tcp_note(struct fp_table *t, uint32_t i, const struct fp_pkt *p,
		     const struct fp_tcp_seg *s)
{
	static const struct fp_tcpa_dir unknown = {.window = FP_TCPA_NO_WINDOW};
	struct fp_tcp_flow *c = &t->tcp[i], *conn = c;
	int rev = t->cfg.biflow && p->swapped != t->cold[i].init_swapped;
	struct fp_tcpa_dir *fwd = &c->d[rev];
	const struct fp_tcpa_dir *other = &c->d[!rev];
	if (!t->cfg.biflow) {
		struct fp_tcp_flow *q = c->peer ? &t->tcp[c->peer - 1] : NULL;
		int linked = q && q->peer == i + 1; /* the peer's slot may hold another flow now */
		other = linked ? &q->d[0] : &unknown;
		if (linked && q->syn_us && !c->syn_us)
			conn = q; /* the connection's round trip is kept by the client's flow */
	}
	uint8_t fl = s->flags & (TCP_SYN | TCP_ACK);
	if (fl == TCP_SYN)
		conn->syn_us = p->ts_us; /* Wireshark times the most recent SYN */
	else if (fl == TCP_ACK && conn->syn_us && conn->irtt_us == 0 && p->ts_us > conn->syn_us)
		conn->irtt_us =
		    (uint32_t)(p->ts_us - conn->syn_us > UINT32_MAX ? UINT32_MAX
								    : p->ts_us - conn->syn_us);
	unsigned ta = fp_tcpa_segment(fwd, other, s, p->ts_us, conn->irtt_us);
	if (ta & FP_TCPA_ANY_RETRANSMISSION) {
		count_add(&c->h.retrans_pkts[rev], 1);
		count_add(&c->h.retrans_bytes[rev], s->len);
	}
	if (ta & FP_TCPA_OUT_OF_ORDER)
		count_add(&c->h.ooo_pkts[rev], 1);
	if (ta & FP_TCPA_ZERO_WINDOW)
		count_add(&c->h.zero_window[rev], 1);
}

/*
 * A packet of an established flow in the plain configuration (no biflow, no latency): no SYN, FIN
 * or RST (those may end or refile the flow: its cold part decides) in the packet or the flow so
 * far, within the active timeout, not so long after the flow's last packet that the flow may
 * have idled out, no counter at its limit. Exactly what flow_update() does for such a packet,
 * without reading the cold part or the configuration; 0 when the packet needs flow_update().
 */
static inline int flow_update_plain(const struct fp_table *t, struct fp_flow *f,
				    const struct fp_pkt *p)
{
	/* a packet older than the flow's first wraps to a huge value, one older than its last
	 * a huge gap: flow_update() takes both */
	uint64_t rel = p->ts_us - f->first_us;
	uint64_t gap = rel - f->last_rel;
	uint64_t ow = f->ow, nw = ow + p->octets;
	uint32_t packets = f->packets;

	/* a gap past the shortest timeout (less 1 ms) may have ended the flow: past the idle
	 * timeout, or past the FIN linger of a flow whose FIN or RST it holds (ended); one test on
	 * the common path, the flags read only after a long gap */
	if (__builtin_expect((p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST)) != 0, 0) ||
	    __builtin_expect(rel >= t->rel_limit, 0) ||
	    (__builtin_expect(gap >= t->gap_us, 0) && /* or out of order: a huge gap */
	     (gap >= t->idle_gap_us || (f->tcp_flags & (TCP_FIN | TCP_RST)) != 0)) ||
	    __builtin_expect(packets == UINT32_MAX, 0) ||
	    __builtin_expect((nw ^ ow) >> 40 != 0, 0)) /* octets would carry past 2^40 */
		return 0;
	f->packets = packets + 1;
	f->ow = nw | (uint64_t)p->tcp_flags << 40;
	if (p->ttl < f->ttl_min)
		f->ttl_min = p->ttl;
	if (p->ttl > f->ttl_max)
		f->ttl_max = p->ttl;
	f->last_rel = (uint32_t)rel; /* not older than the last: the gap said so */
	return 1;
}

/* `plain`: the table has neither biflow nor latency (a constant: two copies are compiled). */
static inline __attribute__((always_inline)) void
update_burst(struct fp_table *t, const struct fp_pkt *pkts, unsigned n, const int plain)
{
	uint64_t h[FP_TABLE_BURST_MAX];
	struct fp_bucket *b1[FP_TABLE_BURST_MAX]; /* first-choice bucket */
	struct fp_flow *hint[FP_TABLE_BURST_MAX]; /* stage 2's candidate entry, NULL: none */
	uint8_t hslot[FP_TABLE_BURST_MAX];	  /* ... and its slot in b1 */
	const uint64_t nb = t->nbuckets;
	struct fp_bucket *const buckets = t->buckets;
	struct fp_flow *const flows = t->flows;

	/* Stage 1: hash everything, prefetch the first-choice buckets. */
	for (unsigned i = 0; i < n; i++) {
		h[i] = fp_key_hash(&pkts[i].key);
		b1[i] = &buckets[((h[i] & 0xffffffffu) * nb) >> 32]; /* b1_of() */
		__builtin_prefetch(b1[i]);
	}
	/* Stage 2: prefetch the entry a signature points at (its first cache line), or the
	 * second-choice bucket when the first has no candidate. */
	for (unsigned i = 0; i < n; i++) {
		const struct fp_bucket *b = b1[i];
		unsigned m = sig_match(b, sig_of(h[i]));
		unsigned s = m ? (unsigned)__builtin_ctz(m) : 0;
		uint32_t idx = m ? b->idx[s] : 0;
		hslot[i] = (uint8_t)s;
		if (idx) {
			hint[i] = &flows[idx - 1];
			__builtin_prefetch(hint[i]); /* the per-packet line */
			if (!plain && t->cfg.biflow) /* which direction: in the cold part */
				__builtin_prefetch(&t->cold[idx - 1]);
			if (!plain && t->bseg) /* --fields tcp: the flow's analysis, 2 lines */
				__builtin_prefetch(&t->tcp[idx - 1]),
				    __builtin_prefetch((const char *)&t->tcp[idx - 1] + 64);
		} else {
			hint[i] = NULL;
			__builtin_prefetch(&buckets[b2_of(t, h[i])]);
		}
	}
	/* Stage 3: update in order (a burst may hold several packets of one new flow). Stage 2's
	 * candidate is taken when its key is the packet's and, once a flow was inserted in this
	 * burst (which may move or free entries: then the slot was cleared or reused for another
	 * flow), its slot still holds it; otherwise both buckets are searched. */
	int moved = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fp_pkt *p = &pkts[i];
		struct fp_flow *f = hint[i];
		if (f && !(moved && b1[i]->idx[hslot[i]] != (uint32_t)(f - flows) + 1) &&
		    fp_key_equal(&f->key, &p->key)) {
			/* the update is written out twice on purpose: one call after both
			 * lookups made GCC route this path through the search's (+3 instr) */
			if (!plain || !flow_update_plain(t, f, p))
				flow_update(t, (uint32_t)(f - flows), p);
			if (!plain && t->bpay)
				pay_note(t, (uint32_t)(f - flows), p, &t->bpay[i]);
			if (!plain && t->bseg && t->bseg[i].ok)
				tcp_note(t, (uint32_t)(f - flows), p, &t->bseg[i]);
			continue;
		}
		uint16_t sig = sig_of(h[i]);
		uint32_t found = bucket_find(t, b1[i], sig, &p->key);
		if (!found)
			found = bucket_find(t, &buckets[b2_of(t, h[i])], sig, &p->key);
		uint32_t at;
		if (found) {
			if (!plain || !flow_update_plain(t, &flows[found - 1], p))
				flow_update(t, found - 1, p);
			at = found - 1;
		} else {
			at = flow_insert(t, p, h[i]);
			moved = 1;
		}
		if (!plain && t->bpay)
			pay_note(t, at, p, &t->bpay[i]);
		if (!plain && t->bseg && t->bseg[i].ok)
			tcp_note(t, at, p, &t->bseg[i]);
	}
}

void fp_table_update_burst(struct fp_table *t, const struct fp_pkt *pkts, unsigned n)
{
	if (!t->cfg.biflow && t->lat == NULL)
		update_burst(t, pkts, n, 1);
	else
		update_burst(t, pkts, n, 0);
}

void fp_table_update_burst_payload(struct fp_table *t, const struct fp_pkt *pkts,
				   const struct fp_table_payload *pay, unsigned n)
{
	struct fp_table_burst_ext x = {.pay = pay};
	fp_table_update_burst_ext(t, pkts, &x, n);
}

void fp_table_update_burst_ext(struct fp_table *t, const struct fp_pkt *pkts,
			       const struct fp_table_burst_ext *x, unsigned n)
{
	t->bpay = t->pay ? x->pay : NULL;
	t->bseg = t->tcp ? x->seg : NULL;
	if (t->bpay == NULL && t->bseg == NULL)
		fp_table_update_burst(t, pkts, n);
	else
		update_burst(t, pkts, n, 0);
	t->bpay = NULL;
	t->bseg = NULL;
}

void fp_table_set_room(struct fp_table *t, uint32_t room)
{
	t->room = room;
}

unsigned fp_table_expire(struct fp_table *t, uint64_t now_ms, unsigned budget)
{
	unsigned emitted = 0;

	if (!t->wheel_started)
		return 0;
	if (now_ms > t->now_ms)
		t->now_ms = now_ms;
	uint64_t now_tick = now_ms / t->tick_ms;
	if (now_tick > t->wheel_tick + WHEEL_SLOTS)
		t->wheel_tick =
		    now_tick - WHEEL_SLOTS; /* a jump in time: one revolution sees all */

	/* Tick T is run once now ≥ (T + 1) · tick, so all it holds that is due is past due. */
	while (budget && t->wheel_tick + 1 < now_tick) {
		uint64_t tk = t->wheel_tick + 1;
		uint32_t s = (uint32_t)(tk % WHEEL_SLOTS);
		budget--;
		while (budget && t->wheel[s] != NIL) {
			uint32_t i = t->wheel[s];
			budget--;
			if (flow_expired(t, i, now_ms)) {
				flow_expire(t, i, timeout_reason(t, i));
				emitted++;
			} else {
				wheel_unlink(t, i);
				wheel_link(t, i, deadline_of(t, i) / t->tick_ms);
			}
		}
		if (t->wheel[s] != NIL)
			break; /* out of budget inside this slot: resume here next time */
		t->wheel_tick = tk;
	}
	return emitted;
}

/* Every flow leaves, by its own timeout where that had passed at `now_ms` (expiry had not reached
 * it), else with `reason`. Nothing is unlinked one by one (a hash and a bucket search per flow, a
 * fifth of the worker's time at the end of a file): the records go in wheel order, then the
 * buckets, wheel and pool start over as at create time. The buckets' pages are handed back to
 * the kernel (they read as zeros again, and cost nothing until used), not cleared: clearing
 * would touch all of them, also those a small capture never used. */
void fp_table_flush(struct fp_table *t, uint64_t now_ms, enum fp_end_reason reason)
{
	for (unsigned s = 0; s < WHEEL_SLOTS; s++) {
		for (uint32_t i = t->wheel[s]; i != NIL; i = t->cold[i].wnext)
			emit_record(t, i,
				    flow_expired(t, i, now_ms) ? timeout_reason(t, i) : reason);
		t->wheel[s] = NIL;
	}
	if (t->fresh && madvise(t->buckets, t->buckets_len, MADV_DONTNEED) != 0)
		memset(t->buckets, 0, t->nbuckets * sizeof(struct fp_bucket));
	t->free_head = NIL;
	t->fresh = 0;
	fp_counter_add(&t->st.active, -t->st.active);
}

const char *fp_end_reason_name(enum fp_end_reason r)
{
	switch (r) {
	case FP_END_IDLE:
		return "idle_timeout";
	case FP_END_ACTIVE:
		return "active_timeout";
	case FP_END_DETECTED:
		return "end_detected";
	case FP_END_FORCED:
		return "forced_end";
	case FP_END_RESOURCES:
		return "lack_of_resources";
	default:
		return "unknown";
	}
}
