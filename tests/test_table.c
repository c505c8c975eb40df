/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow table: insert, lookup, update, every end reason, eviction, conservation under churn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
// cmocka must come after the headers above
#include <cmocka.h>

#include "fp_table.h"

#define MAXREC 200000

static struct fp_record recs[MAXREC];
static unsigned nrecs;

/* --payload: what each record carried (the first two directions' bytes as text) */
static char pays[MAXREC][2][16];

/* --fields tcp: what each record carried */
static struct fp_tcp_health healths[MAXREC];

static int collect(void *arg, const struct fp_record *r, const struct fp_side *side)
{
	const struct fp_payload *pay = side ? side->payload : NULL;
	(void)arg;
	if (nrecs == MAXREC)
		return -1;
	memset(pays[nrecs], 0, sizeof(pays[nrecs]));
	for (int d = 0; pay && d < 2; d++) {
		assert_true(pay->len[d] < sizeof(pays[nrecs][d]));
		memcpy(pays[nrecs][d], pay->data + d * pay->cap, pay->len[d]);
	}
	memset(&healths[nrecs], 0, sizeof(healths[nrecs]));
	if (side && side->tcp)
		healths[nrecs] = *side->tcp;
	recs[nrecs++] = *r;
	return 0;
}

static struct fp_table *mk(uint32_t max_flows, uint32_t idle, uint32_t active, uint32_t fin)
{
	struct fp_table_config c = {.max_flows = max_flows,
				    .idle_ms = idle,
				    .active_ms = active,
				    .fin_ms = fin,
				    .emit = collect};
	nrecs = 0;
	return fp_table_create(&c);
}

static struct fp_pkt pkt(uint32_t src, uint16_t sport, uint64_t ts, uint32_t octets, uint8_t flags)
{
	struct fp_pkt p;
	memset(&p, 0, sizeof(p));
	p.key.ipver = 4;
	p.key.proto = 6;
	p.key.src[0] = 198, p.key.src[1] = 18;
	p.key.src[2] = (uint8_t)(src >> 8), p.key.src[3] = (uint8_t)src;
	p.key.dst[0] = 198, p.key.dst[1] = 19, p.key.dst[3] = 1;
	p.key.sport = sport;
	p.key.dport = 80;
	p.ts_us = ts * 1000;
	p.octets = octets;
	p.tcp_flags = flags;
	p.ttl = 64;
	return p;
}

static void feed(struct fp_table *t, struct fp_pkt p)
{
	fp_table_update_burst(t, &p, 1);
}

static void aggregate_one_flow(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 60000, 2000);
	struct fp_pkt p[3] = {pkt(1, 1000, 1000, 60, 0x02), pkt(1, 1000, 1500, 1500, 0x10),
			      pkt(1, 1000, 1200, 40, 0x18)};
	p[1].ttl = 60;
	p[2].ttl = 70;
	fp_table_update_burst(t, p, 3);
	feed(t, pkt(2, 1000, 1300, 100, 0x10)); /* another flow */
	struct fp_table_stats st;
	fp_table_stats_read(t, &st);
	assert_int_equal(st.flows_created, 2);
	assert_int_equal(st.active, 2);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 2);
	const struct fp_record *r = recs[0].key.src[3] == 1 ? &recs[0] : &recs[1];
	assert_int_equal(r->packets, 3);
	assert_int_equal(r->octets, 1600);
	assert_int_equal(r->first_us / 1000, 1000);
	assert_int_equal(r->last_us / 1000, 1500); /* out-of-order time never moves last back */
	assert_int_equal(r->tcp_flags, 0x1a);
	assert_int_equal(r->ttl_min, 60);
	assert_int_equal(r->ttl_max, 70);
	assert_int_equal(r->end_reason, FP_END_FORCED);
	fp_table_stats_read(t, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.records[FP_END_FORCED], 2);
	fp_table_destroy(t);
}

static void idle_timeout(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 10000, 60000, 2000);
	feed(t, pkt(1, 1, 100000, 100, 0));
	feed(t, pkt(2, 1, 105000, 100, 0));
	fp_table_expire(t, 109000, 100000);
	assert_int_equal(nrecs, 0);
	fp_table_expire(t, 110500, 100000); /* flow 1 idle 10.5 s: due */
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].key.src[3], 1);
	assert_int_equal(recs[0].end_reason, FP_END_IDLE);
	feed(t, pkt(2, 1, 112000, 100, 0)); /* flow 2 stays alive */
	fp_table_expire(t, 116000, 100000);
	assert_int_equal(nrecs, 1);
	fp_table_expire(t, 122500, 100000);
	assert_int_equal(nrecs, 2);
	assert_int_equal(recs[1].packets, 2);
	assert_int_equal(recs[1].end_reason, FP_END_IDLE);
	fp_table_destroy(t);
}

static void active_timeout(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 2000, 2000);
	for (uint64_t ms = 0; ms <= 5000; ms += 500) /* 11 packets, 0 .. 5 s */
		feed(t, pkt(1, 1, 50000 + ms, 10, 0));
	fp_table_flush(t, 0, FP_END_FORCED);
	/* [0, 1.5] s, [2, 3.5] s: active; [4, 5] s: forced */
	assert_int_equal(nrecs, 3);
	assert_int_equal(recs[0].end_reason, FP_END_ACTIVE);
	assert_int_equal(recs[0].packets, 4);
	assert_int_equal(recs[0].first_us / 1000, 50000);
	assert_int_equal(recs[0].last_us / 1000, 51500);
	assert_int_equal(recs[1].end_reason, FP_END_ACTIVE);
	assert_int_equal(recs[1].packets, 4);
	assert_int_equal(recs[1].first_us / 1000, 52000);
	assert_int_equal(recs[2].end_reason, FP_END_FORCED);
	assert_int_equal(recs[2].packets, 3);
	assert_int_equal(recs[0].octets + recs[1].octets + recs[2].octets, 110);
	fp_table_destroy(t);
}

/* The entry's octet counter is 40 bits: a flow about to pass 2^40 bytes leaves early as an
 * active-timeout record and goes on, and the records add up to every byte. */
static void octets_past_entry_counter(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 600000, 2000);
	uint64_t total = 0;
	for (int i = 0; i < 600; i++) { /* 600 × (4 GiB − 1): 2.4 TiB in 0.6 s */
		feed(t, pkt(1, 1, 50000 + (uint64_t)i, UINT32_MAX, 0));
		total += UINT32_MAX;
	}
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_true(nrecs >= 3);
	uint64_t sum = 0, packets = 0;
	for (unsigned r = 0; r < nrecs; r++) {
		sum += recs[r].octets;
		packets += recs[r].packets;
		assert_true(recs[r].octets < (1ull << 40));
		assert_int_equal(recs[r].end_reason, r + 1 < nrecs ? FP_END_ACTIVE : FP_END_FORCED);
	}
	assert_true(sum == total);
	assert_int_equal(packets, 600);
	assert_int_equal(recs[0].first_us / 1000, 50000);
	assert_int_equal(recs[nrecs - 1].last_us / 1000, 50599);
	fp_table_destroy(t);

	/* biflow: the responder's counters are as narrow and leave the same way */
	struct fp_table_config c = {.max_flows = 1024,
				    .idle_ms = 15000,
				    .active_ms = 600000,
				    .fin_ms = 2000,
				    .emit = collect,
				    .biflow = 1};
	nrecs = 0;
	t = fp_table_create(&c);
	feed(t, pkt(1, 1, 50000, 100, 0));
	total = 0;
	for (int i = 1; i <= 600; i++) {
		struct fp_pkt r = pkt(1, 1, 50000 + (uint64_t)i, UINT32_MAX, 0);
		r.swapped = 1; /* from the other end */
		feed(t, r);
		total += UINT32_MAX;
	}
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_true(nrecs >= 3);
	sum = 0, packets = 0;
	uint64_t fwd = 0;
	for (unsigned r = 0; r < nrecs; r++) {
		sum += recs[r].rev_octets;
		packets += recs[r].rev_packets;
		fwd += recs[r].octets;
		assert_true(recs[r].rev_octets < (1ull << 40));
		assert_int_equal(recs[r].end_reason, r + 1 < nrecs ? FP_END_ACTIVE : FP_END_FORCED);
	}
	assert_true(sum == total);
	assert_int_equal(packets, 600);
	assert_int_equal(fwd, 100);
	fp_table_destroy(t);
}

/* Biflow: packets arrive canonical (as the worker turns them); the initiator stays the record's
 * source across active timeouts, and a SYN-ACK seen first makes the other side initiator. */
static void biflow_direction(void **state)
{
	(void)state;
	struct fp_table_config c = {.max_flows = 64,
				    .idle_ms = 15000,
				    .active_ms = 1000,
				    .fin_ms = 2000,
				    .emit = collect,
				    .biflow = 1};
	nrecs = 0;
	struct fp_table *t = fp_table_create(&c);
	/* client 198.18.0.9:5000 -> server 198.19.0.1:80; the server's address sorts first */
	for (int i = 0; i < 6; i++) {
		struct fp_pkt p = pkt(9, 5000, 10000 + (uint64_t)i * 400, 100, 0x10);
		if (i % 2) { /* the server's answer */
			memcpy(p.key.src, (uint8_t[]){198, 19, 0, 1}, 4);
			memcpy(p.key.dst, (uint8_t[]){198, 18, 0, 9}, 4);
			p.key.sport = 80;
			p.key.dport = 5000;
			p.octets = 1000;
		}
		p.swapped = (uint8_t)fp_key_canonicalize(&p.key);
		feed(t, p);
	}
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 2); /* [0, 0.8] s active, [1.2, 2.0] s forced */
	uint64_t fwd = 0, rev = 0, rev_octets = 0;
	for (unsigned r = 0; r < nrecs; r++) {
		assert_int_equal(recs[r].key.src[1], 18); /* the client, in every record */
		assert_int_equal(recs[r].key.sport, 5000);
		assert_int_equal(recs[r].key.dport, 80);
		fwd += recs[r].packets;
		rev += recs[r].rev_packets;
		rev_octets += recs[r].rev_octets;
	}
	assert_int_equal(fwd, 3);
	assert_int_equal(rev, 3);
	assert_int_equal(rev_octets, 3000);
	/* a connection first seen at its SYN-ACK: the SYN-ACK's receiver is the initiator */
	nrecs = 0;
	struct fp_pkt sa = pkt(7, 80, 20000, 60, 0x12);
	memcpy(sa.key.dst, (uint8_t[]){198, 19, 0, 7}, 4);
	sa.key.dport = 6000;
	sa.swapped = (uint8_t)fp_key_canonicalize(&sa.key);
	feed(t, sa);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].key.src[1], 19); /* 198.19.0.7, the SYN-ACK's receiver */
	assert_int_equal(recs[0].key.sport, 6000);
	assert_int_equal(recs[0].packets, 0);
	assert_int_equal(recs[0].rev_packets, 1);
	fp_table_destroy(t);
}

static void tcp_end_detected(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 60000, 2000);
	struct fp_pkt rev = pkt(9, 80, 0, 0, 0); /* the server → client direction */
	rev.key.sport = 80;
	rev.key.dport = 1234;

	feed(t, pkt(1, 1234, 1000, 60, 0x02));
	rev.ts_us = 1001000, rev.octets = 60, rev.tcp_flags = 0x12;
	feed(t, rev);
	feed(t, pkt(1, 1234, 1002, 40, 0x11)); /* client FIN */
	rev.ts_us = 1003000, rev.tcp_flags = 0x11;
	feed(t, rev);			       /* server FIN */
	feed(t, pkt(1, 1234, 1004, 40, 0x10)); /* the last ACK stays in the same record */
	fp_table_expire(t, 2500, 100000);
	assert_int_equal(nrecs, 0);
	fp_table_expire(t, 3100, 100000);
	assert_int_equal(nrecs, 2);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(recs[i].end_reason, FP_END_DETECTED);
	const struct fp_record *c = recs[0].key.sport == 1234 ? &recs[0] : &recs[1];
	assert_int_equal(c->packets, 3);
	assert_int_equal(c->tcp_flags, 0x13);
	fp_table_destroy(t);
}

static void rst_and_port_reuse(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 60000, 2000);
	feed(t, pkt(1, 1234, 1000, 60, 0x02));
	feed(t, pkt(1, 1234, 1010, 40, 0x04)); /* RST */
	feed(t, pkt(1, 1234, 1500, 60, 0x02)); /* a new SYN on the same tuple: a new connection */
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].end_reason, FP_END_DETECTED);
	assert_int_equal(recs[0].packets, 2);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 2);
	assert_int_equal(recs[1].packets, 1);
	assert_int_equal(recs[1].first_us / 1000, 1500);
	struct fp_table_stats st;
	fp_table_stats_read(t, &st);
	assert_int_equal(st.flows_created, 2);
	fp_table_destroy(t);
}

/* Four flows in a table of four, flow 1 seen again: each new flow evicts the least recently
 * seen one (2, then 3), whatever the timeouts. */
static void check_lru_eviction(uint32_t idle, uint32_t active)
{
	struct fp_table *t = mk(4, idle, active, 2000);
	feed(t, pkt(1, 1, 1000, 10, 0));
	feed(t, pkt(2, 1, 2000, 10, 0));
	feed(t, pkt(3, 1, 3000, 10, 0));
	feed(t, pkt(4, 1, 4000, 10, 0));
	feed(t, pkt(1, 1, 5000, 10, 0)); /* flow 1 seen again: flow 2 is now the oldest */
	feed(t, pkt(5, 1, 6000, 10, 0));
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].end_reason, FP_END_RESOURCES);
	assert_int_equal(recs[0].key.src[3], 2);
	feed(t, pkt(6, 1, 7000, 10, 0));
	assert_int_equal(nrecs, 2);
	assert_int_equal(recs[1].key.src[3], 3);
	struct fp_table_stats st;
	fp_table_stats_read(t, &st);
	assert_int_equal(st.records[FP_END_RESOURCES], 2);
	assert_int_equal(st.active, 4);
	fp_table_destroy(t);
}

static void evict_least_recently_seen(void **state)
{
	(void)state;
	check_lru_eviction(60000, 600000);
}

/* An idle timeout longer than the wheel's reach at the FIN linger's resolution (600 s against
 * 2 s): eviction still takes the least recently seen flow, and a table kept full by new flows
 * evicts them in the order they came, to the wheel's tick (149 ms here: 149 flows of this test)
 * (a full table once walked every flow per eviction). */
static void evict_with_long_idle_timeout(void **state)
{
	(void)state;
	check_lru_eviction(600000, 1200000);

	struct fp_table *t = mk(1024, 600000, 1200000, 2000);
	for (uint32_t i = 0; i < 20000; i++) {
		feed(t, pkt(i, (uint16_t)(i >> 16), 1000 + i, 10, 0));
		fp_table_expire(t, 1000 + i, 64);
	}
	assert_int_equal(nrecs, 20000 - 1024);
	for (uint32_t i = 0; i < nrecs; i++) {
		int32_t flow = recs[i].key.src[2] << 8 | recs[i].key.src[3];
		assert_int_equal(recs[i].end_reason, FP_END_RESOURCES);
		assert_in_range(flow - (int32_t)i + 150, 0, 300);
	}
	fp_table_destroy(t);
}

/* 100k packets over 20k keys through a 1000-entry table: every packet and byte comes out. */
static void conservation_under_churn(void **state)
{
	(void)state;
	struct fp_table *t = mk(1000, 3000, 10000, 500);
	uint64_t in_pkts = 0, in_bytes = 0, x = 88172645463325252ull;
	struct fp_pkt burst[32];
	unsigned n = 0;
	for (uint64_t i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint8_t flags = (x >> 40) % 50 == 0 ? 0x01 : 0x10;
		/* every 10k packets a 5 s pause, so some flows also leave idle */
		uint64_t ts = 1000000 + i / 10 + (i / 10000) * 5000;
		burst[n++] = pkt((uint32_t)(x % 20000), (uint16_t)(x >> 20) % 3, ts,
				 (uint32_t)(40 + (x >> 32) % 1400), flags);
		in_pkts++;
		in_bytes += burst[n - 1].octets;
		if (n == 32) {
			fp_table_update_burst(t, burst, n);
			fp_table_expire(t, ts, 64);
			n = 0;
		}
	}
	fp_table_update_burst(t, burst, n);
	fp_table_flush(t, 0, FP_END_FORCED);
	uint64_t out_pkts = 0, out_bytes = 0;
	for (unsigned i = 0; i < nrecs; i++)
		out_pkts += recs[i].packets, out_bytes += recs[i].octets;
	assert_int_equal(out_pkts, in_pkts);
	assert_int_equal(out_bytes, in_bytes);
	struct fp_table_stats st;
	fp_table_stats_read(t, &st);
	assert_true(st.records[FP_END_RESOURCES] > 0);
	assert_true(st.records[FP_END_IDLE] > 0);
	assert_true(st.records[FP_END_DETECTED] > 0);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.records_dropped, 0);
	fp_table_destroy(t);
}

static void time_jump_and_backwards(void **state)
{
	(void)state;
	struct fp_table *t = mk(64, 1000, 60000, 100);
	feed(t, pkt(1, 1, 10000000, 10, 0));
	feed(t, pkt(2, 1, 9000000, 10, 0)); /* an hour earlier */
	fp_table_expire(t, 10000500, 100000);
	assert_int_equal(nrecs, 1); /* the older one is long idle */
	assert_int_equal(recs[0].key.src[3], 2);
	fp_table_expire(t, 99000000, 100000); /* a day later */
	assert_int_equal(nrecs, 2);
	fp_table_destroy(t);
}

/* A packet older than its flow's first (two ports, clocks apart) counts, and moves neither time:
 * established flows take a shorter path through the table than a flow's first packets, both
 * must agree. A burst mixes the cases. */
static void packet_before_first(void **state)
{
	(void)state;
	struct fp_table *t = mk(64, 15000, 60000, 2000);
	struct fp_pkt b[4] = {pkt(1, 1, 5000, 100, 0x10), pkt(1, 1, 4000, 200, 0x10),
			      pkt(1, 1, 5200, 300, 0x18), pkt(1, 1, 3000, 400, 0x10)};
	b[1].ttl = 30, b[2].ttl = 90;
	fp_table_update_burst(t, b, 4);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].packets, 4);
	assert_int_equal(recs[0].octets, 1000);
	assert_int_equal(recs[0].first_us, 5000000);
	assert_int_equal(recs[0].last_us, 5200000);
	assert_int_equal(recs[0].tcp_flags, 0x18);
	assert_int_equal(recs[0].ttl_min, 30);
	assert_int_equal(recs[0].ttl_max, 90);
	fp_table_destroy(t);
}

static void bad_config(void **state)
{
	(void)state;
	struct fp_table_config c = {.max_flows = 0, .idle_ms = 1, .active_ms = 1, .emit = collect};
	assert_null(fp_table_create(&c));
	c.max_flows = 10;
	c.emit = NULL;
	assert_null(fp_table_create(&c));
}

/* --fields: each record carries the context of its own first packet (a flow's context may
 * change mid-flow: the next active-timeout record shows the new one); without the option the
 * table keeps none. */
static void context_per_record(void **state)
{
	(void)state;
	struct fp_table_config c = {
	    .max_flows = 64, .idle_ms = 15000, .active_ms = 2000, .fin_ms = 2000, .emit = collect};
	c.more = 1;
	nrecs = 0;
	struct fp_table *t = fp_table_create(&c);
	struct fp_pkt a = pkt(1, 1, 1000, 10, 0), b = pkt(1, 1, 1500, 10, 0);
	a.more.ingress = 7, a.more.vlan_inner = 200, a.more.gre_key = 0xdeadbeef;
	a.more.vxlan_vni = 1u << 24 | 42;
	b.more.ingress = 8;
	feed(t, a);
	feed(t, b);				      /* same record: the first packet's context */
	struct fp_pkt later = pkt(1, 1, 3500, 10, 0); /* past the active timeout */
	later.more.ingress = 9;
	later.more.mpls[0][1] = 0x10;
	feed(t, later);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 2);
	assert_int_equal(recs[0].more.ingress, 7);
	assert_int_equal(recs[0].more.vlan_inner, 200);
	assert_int_equal(recs[0].more.gre_key, 0xdeadbeef);
	assert_int_equal(recs[0].l2_segment, 1ull << 56 | 42);
	assert_int_equal(recs[1].more.ingress, 9);
	assert_int_equal(recs[1].more.mpls[0][1], 0x10);
	assert_int_equal(recs[1].more.gre_key, 0);
	assert_int_equal(recs[1].l2_segment, 0);
	assert_true(fp_table_bytes_per_flow(t) > 104 + sizeof(struct fp_pkt_more) - 1);
	fp_table_destroy(t);

	t = mk(64, 15000, 2000, 2000);
	feed(t, a);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].more.ingress, 0);
	assert_int_equal(recs[0].l2_segment, 0);
	fp_table_destroy(t);
}

/* Flows are per capture port: the port slot rides above the VLAN id in the key, and records
 * carry the VLAN id alone. */
static void per_port_flows(void **state)
{
	(void)state;
	struct fp_table *t = mk(64, 15000, 60000, 2000);
	struct fp_pkt a = pkt(1, 1, 1000, 10, 0), b = a;
	a.key.vlan = 100;
	b.key.vlan = 100 | 3 << FP_KEY_PORT_SHIFT;
	feed(t, a);
	feed(t, b);
	feed(t, b);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 2);
	assert_int_equal(recs[0].key.vlan, 100);
	assert_int_equal(recs[1].key.vlan, 100);
	assert_int_equal(recs[0].packets + recs[1].packets, 3);
	assert_true(recs[0].packets == 1 || recs[1].packets == 1);
	fp_table_destroy(t);
}

/* A flush empties the table at once (no flow unlinked one by one): what comes after finds none of
 * the old flows, and the pool, buckets and wheel work as new. */
static void flush_then_reuse(void **state)
{
	(void)state;
	struct fp_table *t = mk(64, 15000, 60000, 2000);
	for (int round = 0; round < 3; round++) {
		nrecs = 0;
		for (uint32_t f = 1; f <= 60; f++) {
			feed(t, pkt(f, 1000, 1000 + (uint64_t)round * 100000, 100, 0));
			feed(t, pkt(f, 1000, 1001 + (uint64_t)round * 100000, 50, 0));
		}
		struct fp_table_stats st;
		fp_table_stats_read(t, &st);
		assert_int_equal(st.active, 60);
		fp_table_flush(t, 0, FP_END_FORCED);
		fp_table_stats_read(t, &st);
		assert_int_equal(st.active, 0);
		assert_int_equal(nrecs, 60); /* one record per flow: no flow of a round before */
		for (unsigned r = 0; r < nrecs; r++) {
			assert_int_equal(recs[r].packets, 2);
			assert_int_equal(recs[r].octets, 150);
		}
	}
	fp_table_destroy(t);
}

/* A sparse file: one burst spans several idle timeouts. Packets at 0, 5, 10, 40 and 41 s (idle
 * 15 s) are two flows, the first ended by its idle timeout, whether the wheel got there or not. */
static void expired_flow_not_joined(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 60000, 2000);
	struct fp_pkt b[5] = {pkt(1, 1, 100000, 10, 0x10), pkt(1, 1, 105000, 10, 0x10),
			      pkt(1, 1, 110000, 10, 0x10), pkt(1, 1, 140000, 10, 0x10),
			      pkt(1, 1, 141000, 10, 0x10)};
	fp_table_update_burst(t, b, 5);
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].packets, 3);
	assert_int_equal(recs[0].end_reason, FP_END_IDLE);
	assert_int_equal(recs[0].last_us, 110000000);
	fp_table_flush(t, 141000, FP_END_FORCED);
	assert_int_equal(nrecs, 2);
	assert_int_equal(recs[1].packets, 2);
	assert_int_equal(recs[1].first_us, 140000000);
	assert_int_equal(recs[1].end_reason, FP_END_FORCED);
	/* one packet, another 70 s later (idle 15, active 60): two idle records, no active one */
	feed(t, pkt(2, 1, 200000, 10, 0x10));
	feed(t, pkt(2, 1, 270000, 10, 0x10));
	fp_table_flush(t, 300000, FP_END_FORCED);
	assert_int_equal(nrecs, 4);
	assert_int_equal(recs[2].end_reason, FP_END_IDLE);
	assert_int_equal(recs[3].end_reason, FP_END_IDLE); /* idle at the end of the file */
	/* exactly at the timeout in ms: expired, as a slice at that time finds it */
	feed(t, pkt(3, 1, 400000, 10, 0x10));
	feed(t, pkt(3, 1, 415000, 10, 0x10));
	assert_int_equal(nrecs, 5);
	feed(t, pkt(3, 1, 429999, 10, 0x10)); /* 14.999 s: the same flow */
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(nrecs, 6);
	assert_int_equal(recs[5].packets, 2);
	fp_table_destroy(t);
}

/* Live, with no room left for a record (the ring to the exporter full), a packet joins its
 * expired flow rather than make a record that would be lost whole: counted, nothing lost. */
static void no_room_joins_late(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 60000, 2000);
	feed(t, pkt(1, 1, 100000, 10, 0x10));
	fp_table_set_room(t, 0);
	feed(t, pkt(1, 1, 130000, 10, 0x10)); /* 30 s later: expired, but no room */
	assert_int_equal(nrecs, 0);
	fp_table_set_room(t, 1);
	feed(t, pkt(1, 1, 160000, 10, 0x10)); /* room again: the record goes, a new flow starts */
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].packets, 2);
	assert_int_equal(recs[0].end_reason, FP_END_IDLE);
	struct fp_table_stats st;
	fp_table_stats_read(t, &st);
	assert_int_equal(st.late_joins, 1);
	fp_table_flush(t, 0, FP_END_FORCED);
	assert_int_equal(recs[1].packets, 1);
	fp_table_destroy(t);
}

/* FIN 2.6 s before the end (linger 2 s): ended by FIN, not by the end of the file; a late ACK
 * after the linger is a flow of its own, as live capture sees it. */
static void linger_passed_at_end(void **state)
{
	(void)state;
	struct fp_table *t = mk(1024, 15000, 60000, 2000);
	feed(t, pkt(1, 1, 1000, 60, 0x02));
	feed(t, pkt(1, 1, 1100, 60, 0x11));
	feed(t, pkt(1, 1, 3200, 40, 0x10)); /* 2.1 s after the FIN: the linger is over */
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].end_reason, FP_END_DETECTED);
	assert_int_equal(recs[0].packets, 2);
	feed(t, pkt(2, 1, 3000, 60, 0x02));
	feed(t, pkt(2, 1, 3100, 60, 0x11));
	fp_table_flush(t, 5700, FP_END_FORCED);
	assert_int_equal(nrecs, 3);
	for (unsigned i = 1; i < 3; i++)
		assert_int_equal(recs[i].end_reason,
				 recs[i].key.src[3] == 2 ? FP_END_DETECTED : FP_END_FORCED);
	fp_table_destroy(t);
}

/* A full table evicts the least recently seen flow; one whose idle timeout had already passed
 * (expiry had not run) ended by that timeout, not for lack of room. */
static void evicted_expired_flow_is_idle(void **state)
{
	(void)state;
	struct fp_table *t = mk(2, 15000, 60000, 2000);
	feed(t, pkt(1, 1, 1000, 10, 0));
	feed(t, pkt(2, 1, 10000, 10, 0));
	feed(t, pkt(3, 1, 20000, 10, 0)); /* flow 1 idle since 16 s */
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].key.src[3], 1);
	assert_int_equal(recs[0].end_reason, FP_END_IDLE);
	feed(t, pkt(4, 1, 21000, 10, 0)); /* flow 2 still live at 21 s */
	assert_int_equal(nrecs, 2);
	assert_int_equal(recs[1].key.src[3], 2);
	assert_int_equal(recs[1].end_reason, FP_END_RESOURCES);
	fp_table_destroy(t);
}

/* The same sparse packets in bursts of 1 (expiry after each, as live capture at a low rate), 5,
 * 64 (a file) and with expiry only at the end give the same records, and those are what a
 * plain reading of the timeouts gives: per key, a gap of a timeout or more starts a new flow. */
struct ref_flow {
	uint64_t first, last, packets, octets;
	int ended, open;
};

static int rec_cmp(const void *a, const void *b)
{
	const struct fp_record *x = a, *y = b;
	if (x->key.src[3] != y->key.src[3])
		return x->key.src[3] < y->key.src[3] ? -1 : 1;
	return x->first_us < y->first_us ? -1 : x->first_us > y->first_us;
}

static void records_independent_of_bursts(void **state)
{
	(void)state;
	enum { NP = 3000, NK = 16 };
	static struct fp_pkt in[NP];
	static struct fp_record want[NP], got[NP];
	unsigned nwant = 0;
	struct ref_flow ref[NK + 1];
	uint64_t x = 0x9e3779b97f4a7c15ull, ts = 1000000;
	const uint64_t idle = 15000, fin = 2000;

	memset(ref, 0, sizeof(ref));
	for (unsigned i = 0; i < NP; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		ts += (x >> 8) % 4000; /* 0–4 s apart: gaps on both sides of both timeouts */
		uint32_t k = 1 + (uint32_t)(x % NK);
		uint8_t fl = (x >> 30) % 9 == 0 ? 0x11 : 0x10;
		in[i] = pkt(k, 7, ts, 100 + (uint32_t)(x >> 40) % 900, fl);
		struct ref_flow *r = &ref[k];
		if (r->open && ts >= r->last + (r->ended ? fin : idle)) {
			struct fp_record *w = &want[nwant++];
			w->key.src[3] = (uint8_t)k;
			w->first_us = r->first * 1000, w->last_us = r->last * 1000;
			w->packets = r->packets, w->octets = r->octets;
			w->end_reason = r->ended ? FP_END_DETECTED : FP_END_IDLE;
			r->open = 0;
		}
		if (!r->open)
			*r = (struct ref_flow){.first = ts, .open = 1};
		r->last = ts, r->packets++, r->octets += in[i].octets;
		r->ended |= fl & 0x01;
	}
	for (uint32_t k = 1; k <= NK; k++) {
		struct ref_flow *r = &ref[k];
		if (!r->open)
			continue;
		struct fp_record *w = &want[nwant++];
		w->key.src[3] = (uint8_t)k;
		w->first_us = r->first * 1000, w->last_us = r->last * 1000;
		w->packets = r->packets, w->octets = r->octets;
		w->end_reason = ts >= r->last + (r->ended ? fin : idle)
				    ? (r->ended ? FP_END_DETECTED : FP_END_IDLE)
				    : FP_END_FORCED;
	}
	qsort(want, nwant, sizeof(want[0]), rec_cmp);

	const unsigned bursts[] = {1, 5, 64, 64};
	for (unsigned v = 0; v < 4; v++) {
		struct fp_table *t = mk(1024, (uint32_t)idle, 600000, (uint32_t)fin);
		for (unsigned i = 0; i < NP; i += bursts[v]) {
			unsigned n = NP - i < bursts[v] ? NP - i : bursts[v];
			fp_table_update_burst(t, &in[i], n);
			if (v < 3) /* the last variant: no expiry at all until the end */
				fp_table_expire(t, in[i + n - 1].ts_us / 1000, 64);
		}
		fp_table_flush(t, ts, FP_END_FORCED);
		assert_int_equal(nrecs, nwant);
		memcpy(got, recs, nrecs * sizeof(recs[0]));
		qsort(got, nrecs, sizeof(got[0]), rec_cmp);
		for (unsigned i = 0; i < nrecs; i++) {
			assert_int_equal(got[i].key.src[3], want[i].key.src[3]);
			assert_int_equal(got[i].first_us, want[i].first_us);
			assert_int_equal(got[i].last_us, want[i].last_us);
			assert_int_equal(got[i].packets, want[i].packets);
			assert_int_equal(got[i].octets, want[i].octets);
			assert_int_equal(got[i].end_reason, want[i].end_reason);
		}
		fp_table_destroy(t);
	}
}

static void memory_per_flow(void **state)
{
	(void)state;
	/* the default pool (2^20): a 64-byte hot line, 40 cold bytes and two 8-byte bucket slots,
	 * nothing more */
	struct fp_table *t = mk(1u << 20, 15000, 60000, 2000);
	assert_true(fp_table_bytes_per_flow(t) == 120.0);
	fp_table_destroy(t);
	/* any other size: the bucket count is a quarter of the pool, rounded up */
	t = mk(1000000 + 1, 15000, 60000, 2000);
	assert_true(fp_table_bytes_per_flow(t) <= 120.001);
	fp_table_destroy(t);
}

/* --payload: each record keeps the first payload of each direction, cut at the configured
 * size; packets without payload do not count; a record that starts again starts afresh; with
 * biflow the responder's goes second. */
static void payload_first_each_way(void **state)
{
	(void)state;
	for (int biflow = 0; biflow <= 1; biflow++) {
		struct fp_table_config c = {.max_flows = 64,
					    .idle_ms = 15000,
					    .active_ms = 5000,
					    .fin_ms = 2000,
					    .biflow = biflow,
					    .payload = 8,
					    .emit = collect};
		nrecs = 0;
		struct fp_table *t = fp_table_create(&c);
		assert_non_null(t);
		struct fp_pkt p[5] = {pkt(1, 1000, 1000, 60, 0x02), pkt(1, 1000, 1001, 80, 0x18),
				      pkt(1, 1000, 1002, 80, 0x18), pkt(1, 1000, 1003, 80, 0x18),
				      pkt(1, 1000, 7000, 80, 0x18)};
		/* p[2] the reply (the other way), p[4] after the active timeout */
		fp_key_swap(&p[2].key);
		if (biflow)
			for (int i = 0; i < 5; i++)
				p[i].swapped = (uint8_t)fp_key_canonicalize(&p[i].key);
		struct fp_table_payload y[5] = {{NULL, 0},
						{(const uint8_t *)"GET / HTTP/1.1", 14},
						{(const uint8_t *)"HTTP/1.1 200", 12},
						{(const uint8_t *)"second", 6},
						{(const uint8_t *)"later", 5}};
		for (int i = 0; i < 5; i++) /* one at a time: the burst sizes do not matter */
			fp_table_update_burst_payload(t, &p[i], &y[i], 1);
		fp_table_flush(t, 0, FP_END_FORCED);
		if (biflow) {
			assert_int_equal(nrecs, 2);
			assert_string_equal(pays[0][0], "GET / HT");
			assert_string_equal(pays[0][1], "HTTP/1.1");
			assert_string_equal(pays[1][0], "later");
			assert_string_equal(pays[1][1], "");
		} else {
			assert_int_equal(nrecs, 3); /* the reply is its own flow */
			for (unsigned i = 0; i < nrecs; i++)
				assert_string_equal(pays[i][1], "");
			int seen = 0;
			for (unsigned i = 0; i < nrecs; i++)
				seen |= (!strcmp(pays[i][0], "GET / HT") ? 1 : 0) |
					(!strcmp(pays[i][0], "HTTP/1.1") ? 2 : 0) |
					(!strcmp(pays[i][0], "later") ? 4 : 0);
			assert_int_equal(seen, 7);
		}
		fp_table_destroy(t);
	}
}

/* --fields tcp: the analysis gets both directions, in one biflow entry or two linked flows,
 * and each record counts its direction's segments (a retransmission of the server's, a zero
 * window of the client's); the next record after an active timeout starts at zero. */
static void tcp_health_both_ways(void **state)
{
	(void)state;
	for (int biflow = 0; biflow <= 1; biflow++) {
		struct fp_table_config c = {.max_flows = 64,
					    .idle_ms = 15000,
					    .active_ms = 5000,
					    .fin_ms = 2000,
					    .biflow = biflow,
					    .tcp_health = 1,
					    .emit = collect};
		nrecs = 0;
		struct fp_table *t = fp_table_create(&c);
		assert_non_null(t);
		/* client 1000 → server; seq/ack as a handshake, data, a retransmission */
		struct {
			int from_server;
			uint64_t ms;
			uint8_t flags;
			uint32_t seq, ack, len;
			uint16_t win;
		} s[] = {
		    {0, 1000, 0x02, 100, 0, 0, 64240},	  {1, 1001, 0x12, 900, 101, 0, 65160},
		    {0, 1002, 0x10, 101, 901, 0, 502},	  {1, 1003, 0x18, 901, 101, 100, 509},
		    {0, 1004, 0x10, 101, 901, 0, 0},	  {1, 1300, 0x18, 901, 101, 100, 509},
		    {1, 7000, 0x18, 1001, 101, 100, 509},
		};
		for (unsigned i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
			struct fp_pkt p = pkt(1, 1000, s[i].ms, 40 + s[i].len, s[i].flags);
			p.tcp_payload = s[i].len > 0;
			if (s[i].from_server)
				fp_key_swap(&p.key);
			if (biflow)
				p.swapped = (uint8_t)fp_key_canonicalize(&p.key);
			struct fp_tcp_seg g = {.seq = s[i].seq,
					       .ack = s[i].ack,
					       .len = s[i].len,
					       .caplen = s[i].len,
					       .window = s[i].win,
					       .flags = s[i].flags,
					       .ok = 1};
			struct fp_table_burst_ext x = {.seg = &g};
			fp_table_update_burst_ext(t, &p, &x, 1);
		}
		fp_table_flush(t, 0, FP_END_FORCED);
		uint32_t retrans = 0, bytes = 0, zero = 0;
		for (unsigned i = 0; i < nrecs; i++) {
			int server = recs[i].key.sport != 1000; /* the record's source */
			retrans += healths[i].retrans_pkts[0] + healths[i].retrans_pkts[1];
			bytes += healths[i].retrans_bytes[0] + healths[i].retrans_bytes[1];
			zero += healths[i].zero_window[0] + healths[i].zero_window[1];
			if (biflow) { /* the responder's side is [1] */
				assert_int_equal(healths[i].retrans_pkts[0], 0);
				assert_int_equal(healths[i].zero_window[1], 0);
			} else {
				assert_int_equal(healths[i].retrans_pkts[1], 0);
				assert_int_equal(healths[i].retrans_pkts[0] != 0,
						 server && recs[i].first_us < 7000000);
				assert_int_equal(healths[i].zero_window[0] != 0, !server);
			}
		}
		assert_int_equal(retrans, 1);
		assert_int_equal(bytes, 100);
		assert_int_equal(zero, 1);
		assert_int_equal(nrecs, biflow ? 2 : 3); /* the active timeout cut one record */
		fp_table_destroy(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(aggregate_one_flow),
	    cmocka_unit_test(idle_timeout),
	    cmocka_unit_test(active_timeout),
	    cmocka_unit_test(octets_past_entry_counter),
	    cmocka_unit_test(biflow_direction),
	    cmocka_unit_test(tcp_end_detected),
	    cmocka_unit_test(rst_and_port_reuse),
	    cmocka_unit_test(evict_least_recently_seen),
	    cmocka_unit_test(evict_with_long_idle_timeout),
	    cmocka_unit_test(conservation_under_churn),
	    cmocka_unit_test(time_jump_and_backwards),
	    cmocka_unit_test(packet_before_first),
	    cmocka_unit_test(bad_config),
	    cmocka_unit_test(memory_per_flow),
	    cmocka_unit_test(context_per_record),
	    cmocka_unit_test(per_port_flows),
	    cmocka_unit_test(flush_then_reuse),
	    cmocka_unit_test(expired_flow_not_joined),
	    cmocka_unit_test(linger_passed_at_end),
	    cmocka_unit_test(no_room_joins_late),
	    cmocka_unit_test(evicted_expired_flow_is_idle),
	    cmocka_unit_test(records_independent_of_bursts),
	    cmocka_unit_test(payload_first_each_way),
	    cmocka_unit_test(tcp_health_both_ways),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
