/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline benchmark: parse → flow table → expiry on one core, from frames in memory, no capture
 * and no export. Frames are 64-byte (60 captured) Ethernet/IPv4/UDP laid out one after the other
 * in arrival order, as a capture ring or an mbuf stream hands them over; each packet belongs to a
 * uniformly random flow among F, so the table's working set is all F flows. A first pass inserts
 * every flow (reported as "insert pass"); the measured passes then update existing flows, the
 * steady state of a probe on a busy link. Prints one JSON object per run and a median line.
 *
 * `--table rte_hash` (builds with DPDK) runs the same frames and parser through DPDK's own cuckoo
 * hash instead (rte_hash_lookup_bulk_data over each burst, rte_hash_add_key_data for a new flow,
 * then the counters): a reference for what a flow lookup costs on this machine. It keeps fewer
 * fields and has no expiry, so it does less than fluxprobe's table. `--table both` builds both
 * tables in one process and alternates them pass by pass (fluxprobe first in even runs, rte_hash
 * first in odd ones): each run is a pair measured under the same conditions, which is what a
 * ratio needs on a guest whose speed changes from one process (and one second) to the next.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_dedup.h"
#include "fp_parse.h"
#include "fp_table.h"

#ifdef FP_BENCH_RTE_HASH
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#endif

#define FRAME 64 /* stride in memory; 60 bytes captured, as a 64-byte frame minus FCS */

static uint64_t emitted;
/* --unique: each frame of the stream different (a counter in the payload), as real packets are;
 * --dedup W: and the worker's --dedup window over them (lib/fp_dedup.h) */
static int unique;
static uint32_t dedup_window;
static struct fp_dedup dedup;
static uint64_t duplicates;

static int count_record(void *arg, const struct fp_record *r, const struct fp_side *side)
{
	(void)side;
	(void)arg;
	(void)r;
	emitted++;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int tcp; /* --tcp: TCP frames, a SYN first, then ACKs with 6 bytes of data */

/* --prefetch N: each frame is prefetched N frames before it is parsed, as a receive loop over a
 * ring does; 0: the frames come from memory as they are (a stream of N × 64 bytes, past the
 * caches for any N the benchmark uses, so each frame's first touch waits for DRAM). */
static uint64_t prefetch_frames;

static void build(uint8_t *b, uint32_t flow, int syn)
{
	memset(b, 0, FRAME);
	b[0] = 2, b[6] = 2, b[11] = 1;
	b[12] = 0x08;
	uint8_t *ip = b + 14;
	ip[0] = 0x45, ip[3] = 46, ip[8] = 64, ip[9] = 17;
	ip[12] = 198, ip[13] = (uint8_t)(18 + ((flow >> 16) & 1)), ip[14] = (uint8_t)(flow >> 8),
	ip[15] = (uint8_t)flow;
	ip[16] = 198, ip[17] = 18, ip[18] = (uint8_t)(flow >> 25), ip[19] = (uint8_t)(flow >> 17);
	uint8_t *udp = ip + 20;
	udp[0] = 0x30, udp[1] = 0x39, udp[2] = 0x00, udp[3] = 0x35, udp[5] = 26;
	if (tcp) {
		ip[9] = 6;
		memset(udp + 4, 0, 16);
		udp[12] = 5 << 4;	     /* data offset: 20 bytes, then 6 bytes of data */
		udp[13] = syn ? 0x02 : 0x18; /* SYN; ACK|PSH */
	}
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

struct ref_flow {
	uint64_t packets, octets, last_ms;
	uint8_t tcp_flags;
};

/* The reference table: rte_hash maps a key to its counters, taken from a preallocated array. */
struct ref_table {
	struct rte_hash *h;
	struct ref_flow *flows;
	uint32_t used, max;
};

#ifdef FP_BENCH_RTE_HASH
static int ref_create(struct ref_table *rt, uint32_t max)
{
	struct rte_hash_parameters hp = {
	    .name = "fp-bench-ref",
	    .entries = max,
	    .key_len = sizeof(struct fp_flow_key),
	    .hash_func = rte_hash_crc,
	    .socket_id = 0,
	};
	rt->h = rte_hash_create(&hp);
	rt->flows = calloc(max, sizeof(*rt->flows));
	rt->used = 0;
	rt->max = max;
	return rt->h && rt->flows ? 0 : -1;
}

static void ref_update_burst(struct ref_table *rt, const struct fp_pkt *pkts, unsigned n)
{
	const void *keys[32];
	void *data[32];
	uint64_t hits = 0;

	for (unsigned i = 0; i < n; i++)
		keys[i] = &pkts[i].key;
	rte_hash_lookup_bulk_data(rt->h, keys, n, &hits, data);
	for (unsigned i = 0; i < n; i++) {
		/* a miss may be a flow an earlier packet of this burst just added */
		if (!(hits >> i & 1) && rte_hash_lookup_data(rt->h, keys[i], &data[i]) < 0) {
			if (rt->used == rt->max)
				continue;
			data[i] = &rt->flows[rt->used++];
			rte_hash_add_key_data(rt->h, keys[i], data[i]);
		}
		struct ref_flow *f = data[i];
		f->packets++;
		f->octets += pkts[i].octets;
		f->last_ms = pkts[i].ts_us / 1000;
		f->tcp_flags |= pkts[i].tcp_flags;
	}
}
#else
static void ref_update_burst(struct ref_table *rt, const struct fp_pkt *pkts, unsigned n)
{
	(void)rt, (void)pkts, (void)n;
}
#endif

/* `frames` holds n frames back to back, in the order they arrive; `rt` set: the reference table
 * instead of `t`. */
static double run_pass(struct fp_table *t, struct ref_table *rt, const uint8_t *frames, uint64_t n,
		       uint64_t *ts)
{
	struct fp_pkt pkts[32];
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i += 32) {
		unsigned np = 0;
		unsigned m = n - i < 32 ? (unsigned)(n - i) : 32;
		for (unsigned j = 0; j < m; j++) {
			const uint8_t *f = frames + (i + j) * FRAME;
			if (prefetch_frames && i + j + prefetch_frames < n)
				__builtin_prefetch(f + prefetch_frames * FRAME);
			if (fp_parse(FP_LINK_ETHERNET, f, 60, 60, &pkts[np]) == FP_PARSE_OK) {
				pkts[np].ts_us = *ts * 1000;
				np++;
			}
		}
		if (rt) {
			ref_update_burst(rt, pkts, np);
		} else {
			fp_table_update_burst(t, pkts, np);
			fp_table_expire(t, *ts, 64);
		}
		*ts += (i & 1023) == 0; /* time moves 1 ms per 1024 packets */
	}
	return now_s() - t0;
}

/* The same pass through fluxprobe's table with --dedup's window before it (--dedup W): a copy
 * of run_pass()'s loop, so that the pass without it stays as it was. */
static double run_pass_dedup(struct fp_table *t, const uint8_t *frames, uint64_t n, uint64_t *ts)
{
	struct fp_pkt pkts[32];
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i += 32) {
		unsigned np = 0;
		unsigned m = n - i < 32 ? (unsigned)(n - i) : 32;
		for (unsigned j = 0; j < m; j++) {
			const uint8_t *f = frames + (i + j) * FRAME;
			if (prefetch_frames && i + j + prefetch_frames < n)
				__builtin_prefetch(f + prefetch_frames * FRAME);
			if (fp_parse(FP_LINK_ETHERNET, f, 60, 60, &pkts[np]) != FP_PARSE_OK)
				continue;
			if (fp_dedup_frame(&dedup, f, 60, pkts[np].l3_off, pkts[np].octets,
					   *ts * 1000)) {
				duplicates++;
				continue;
			}
			pkts[np].ts_us = *ts * 1000;
			np++;
		}
		fp_table_update_burst(t, pkts, np);
		fp_table_expire(t, *ts, 64);
		*ts += (i & 1023) == 0; /* time moves 1 ms per 1024 packets */
	}
	return now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The command line. */
struct opts {
	uint64_t flows, packets;
	int runs, ref, latency; /* ref: 0 fluxprobe, 1 rte_hash, 2 both */
};

/* The options into `o`: -1 to go on, else the exit status. */
static int parse_args(struct opts *o, int argc, char **argv)
{
	int c;
	static const struct option opts[] = {{"flows", required_argument, NULL, 'f'},
					     {"packets", required_argument, NULL, 'n'},
					     {"runs", required_argument, NULL, 'r'},
					     {"table", required_argument, NULL, 't'},
					     {"tcp", no_argument, NULL, 'T'},
					     {"latency", no_argument, NULL, 'L'},
					     {"prefetch", required_argument, NULL, 'p'},
					     {"unique", no_argument, NULL, 'u'},
					     {"dedup", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	*o = (struct opts){.flows = 10000, .packets = 20000000, .runs = 5};
	while ((c = getopt_long(argc, argv, "f:n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->flows = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			o->packets = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			o->runs = atoi(optarg);
			break;
		case 'T':
			tcp = 1;
			break;
		case 'L':
			o->latency = 1;
			break;
		case 'p':
			prefetch_frames = strtoull(optarg, NULL, 10);
			break;
		case 'u':
			unique = 1;
			break;
		case 'd':
			dedup_window = (uint32_t)strtoul(optarg, NULL, 10);
			fp_dedup_init(&dedup, dedup_window);
			unique = 1;
			break;
		case 't':
			o->ref = strcmp(optarg, "rte_hash") == 0 ? 1
				 : strcmp(optarg, "both") == 0	 ? 2
								 : 0;
			if (!o->ref && strcmp(optarg, "fluxprobe") != 0) {
				fprintf(stderr, "fp-bench-pipeline: --table must be fluxprobe, "
						"rte_hash or both\n");
				return 2;
			}
#ifndef FP_BENCH_RTE_HASH
			if (o->ref) {
				fprintf(stderr,
					"fp-bench-pipeline: --table %s: this build has "
					"no DPDK\n",
					optarg);
				return 2;
			}
#endif
			break;
		default:
			printf(
			    "Usage: fp-bench-pipeline [--flows F] [--packets N] [--runs R]\n"
			    "                         [--table fluxprobe|rte_hash] [--tcp] "
			    "[--latency] [--prefetch N]\n"
			    "  parse + table + expiry on one core, 64-byte frames from memory;\n"
			    "  rte_hash: DPDK's cuckoo hash as the table instead (a reference);\n"
			    "  both: the two in one process, alternating pass by pass\n"
			    "  --tcp: TCP frames (each flow's first a SYN, then data); "
			    "--latency: the\n"
			    "  table measures TCP latency (--fields latency); --prefetch N: each "
			    "frame\n"
			    "  prefetched N frames ahead (0, the default: none); --unique: no two "
			    "frames\n"
			    "  alike (a counter in the payload); --dedup W: and --dedup's window "
			    "of W\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (o->flows == 0 || o->flows > (1u << 30) || o->packets < o->flows || o->runs < 1 ||
	    o->runs > 99) {
		fprintf(stderr, "fp-bench-pipeline: need 1 <= flows <= packets, 1 <= runs <= 99\n");
		return 2;
	}
	return -1;
}

/* The frames: every flow once, shuffled (`first`), then uniformly random flows (`stream`). */
static int make_frames(const struct opts *o, uint8_t **first, uint8_t **stream)
{
	uint64_t flows = o->flows;
	*first = aligned_alloc(64, flows * FRAME);
	*stream = aligned_alloc(64, o->packets * FRAME);
	uint32_t *perm = malloc(flows * sizeof(*perm));
	if (*first == NULL || *stream == NULL || perm == NULL) {
		fprintf(stderr, "fp-bench-pipeline: out of memory\n");
		return -1;
	}
	uint64_t s = 0x9e3779b97f4a7c15ull;
	for (uint64_t f = 0; f < flows; f++)
		perm[f] = (uint32_t)f;
	for (uint64_t f = flows - 1; f > 0; f--) {
		uint64_t j = rnd(&s) % (f + 1);
		uint32_t x = perm[f];
		perm[f] = perm[j];
		perm[j] = x;
	}
	for (uint64_t f = 0; f < flows; f++)
		build(*first + f * FRAME, perm[f], 1);
	for (uint64_t i = 0; i < o->packets; i++) {
		uint8_t *f = *stream + i * FRAME;
		build(f, (uint32_t)(rnd(&s) % flows), 0);
		if (unique) /* the 18 bytes after the UDP header: a counter */
			memcpy(f + 14 + 20 + 8, &i, sizeof(i));
	}
	free(perm);
	return 0;
}

/* --table rte_hash|both: DPDK's EAL and its cuckoo hash as the reference table; NULL when not
 * asked for (or, after saying why, on failure: `*failed`). */
static struct ref_table *ref_setup(const struct opts *o, struct ref_table *rtab, uint32_t max,
				   int *failed)
{
	*failed = 0;
	(void)rtab;
	(void)max;
	if (!o->ref)
		return NULL;
#ifdef FP_BENCH_RTE_HASH
	char *eal[] = {"fp-bench-pipeline",
		       "--no-huge",
		       "--no-pci",
		       "-m",
		       "4096",
		       "-l",
		       "0",
		       "--file-prefix",
		       "fp-bench-ref",
		       "--log-level=lib.eal:error"};
	if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), eal) < 0 || ref_create(rtab, max) != 0) {
		fprintf(stderr, "fp-bench-pipeline: cannot set up rte_hash\n");
		*failed = 1;
		return NULL;
	}
	return rtab;
#else
	return NULL;
#endif
}

/* Each run's pass(es) over the stream, a line each; the rates into mpps/mpps_ref/ratio. */
static void timed_runs(const struct opts *o, struct fp_table *t, struct ref_table *rt,
		       const uint8_t *stream, uint64_t *ts, uint64_t *ts_ref, double *mpps,
		       double *mpps_ref, double *ratio)
{
	int both = o->ref == 2;
	uint64_t packets = o->packets;
	for (int r = 0; r < o->runs; r++) {
		for (int k = 0; k < 1 + both; k++) {
			/* both: fluxprobe first in even runs, rte_hash first in odd ones */
			int side_ref = both ? (k ^ (r & 1)) : rt != NULL;
			double sec = side_ref && both ? run_pass(t, rt, stream, packets, ts_ref)
				     : side_ref	      ? run_pass(t, rt, stream, packets, ts)
				     : dedup_window   ? run_pass_dedup(t, stream, packets, ts)
						      : run_pass(t, NULL, stream, packets, ts);
			double m = packets / sec / 1e6;
			(side_ref && both ? mpps_ref : mpps)[r] = m;
			printf("{\"run\":%d,\"table\":\"%s\",\"flows\":%lu,\"packets\":%lu,"
			       "\"seconds\":%.3f,\"mpps\":%.2f,\"ns_per_packet\":%.1f}\n",
			       r, side_ref ? "rte_hash" : "fluxprobe", (unsigned long)o->flows,
			       (unsigned long)packets, sec, m, sec * 1e9 / packets);
		}
		if (both) {
			ratio[r] = mpps[r] / mpps_ref[r];
			printf("{\"run\":%d,\"ratio\":%.3f}\n", r, ratio[r]);
		}
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_args(&o, argc, argv), failed;
	if (rc >= 0)
		return rc;
	uint64_t flows = o.flows;
	int runs = o.runs, latency = o.latency;
	uint8_t *first, *stream;
	if (make_frames(&o, &first, &stream) != 0)
		return 1;

	struct fp_table_config cfg = {.max_flows = (uint32_t)(flows + flows / 8 + 64),
				      .idle_ms = 3600000,
				      .active_ms = 3600000,
				      .fin_ms = 2000,
				      .latency = latency,
				      .emit = count_record};
	struct fp_table *t = fp_table_create(&cfg);
	if (t == NULL)
		return 1;
	uint64_t ts = 1767225600000ull;
	struct ref_table rtab = {0};
	struct ref_table *rt = ref_setup(&o, &rtab, cfg.max_flows, &failed);
	if (failed)
		return 1;
	/* both: the rte_hash side keeps its own clock, so fluxprobe's sees what it sees alone */
	uint64_t ts_ref = ts;
	int both = o.ref == 2;
	double ins = run_pass(t, both ? NULL : rt, first, flows, &ts);
	if (both)
		run_pass(t, rt, first, flows, &ts_ref);
	double mpps[99], mpps_ref[99], ratio[99];
	timed_runs(&o, t, rt, stream, &ts, &ts_ref, mpps, mpps_ref, ratio);
	struct fp_table_stats st;
	fp_table_stats_read(t, &st);
	qsort(mpps, (size_t)runs, sizeof(double), cmp_double);
	if (both) {
		qsort(mpps_ref, (size_t)runs, sizeof(double), cmp_double);
		qsort(ratio, (size_t)runs, sizeof(double), cmp_double);
		printf("{\"table\":\"both\",\"tcp\":%d,\"latency\":%d,\"prefetch\":%lu,"
		       "\"flows\":%lu,\"median_mpps\":%.2f,\"rte_hash_median_mpps\":%.2f,"
		       "\"median_ratio\":%.3f,\"active_flows\":%lu,\"rte_hash_flows\":%lu,"
		       "\"records_emitted\":%lu,\"table_bytes_per_flow\":%.1f}\n",
		       tcp, latency, (unsigned long)prefetch_frames, (unsigned long)flows,
		       mpps[runs / 2], mpps_ref[runs / 2], ratio[runs / 2],
		       (unsigned long)st.active, (unsigned long)rt->used, (unsigned long)emitted,
		       fp_table_bytes_per_flow(t));
	} else {
		printf("{\"table\":\"%s\",\"tcp\":%d,\"latency\":%d,\"prefetch\":%lu,"
		       "\"flows\":%lu,\"median_mpps\":%.2f,\"insert_pass_mpps\":%.2f,"
		       "\"active_flows\":%lu,\"records_emitted\":%lu,"
		       "\"table_bytes_per_flow\":%.1f,\"unique\":%d,\"dedup\":%u,"
		       "\"duplicates\":%lu}\n",
		       rt ? "rte_hash" : "fluxprobe", tcp, latency, (unsigned long)prefetch_frames,
		       (unsigned long)flows, mpps[runs / 2], flows / ins / 1e6,
		       (unsigned long)(rt ? rt->used : st.active), (unsigned long)emitted,
		       rt ? 0.0 : fp_table_bytes_per_flow(t), unique, dedup_window,
		       (unsigned long)duplicates);
	}
	fp_table_destroy(t);
	free(first);
	free(stream);
	return 0;
}
