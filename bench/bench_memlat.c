/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory latency of the machine the benchmarks run on: a dependent pointer chase through one
 * cache line per step, the lines visited in a random cyclic order, over working sets from 1 MiB
 * up. Each size runs twice, once with transparent huge pages asked for (MADV_HUGEPAGE) and once
 * refused (MADV_NOHUGEPAGE), because the flow table asks for them: when both give the same
 * latency, the pages that count are small ones somewhere below us (a guest whose memory the
 * host maps with 4 KiB pages). Read next to the DPDK figures: a flow table at 1M flows touches
 * two random lines per packet, so these latencies, not the instruction count, set its cost.
 * Prints one JSON object per measurement.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64
#define HUGE_2M (2u << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* kB of anonymous huge pages this process holds now (smaps_rollup), -1 if unreadable. */
static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "AnonHugePages:", 14) == 0)
			kb = atol(line + 14);
	fclose(f);
	return kb;
}

/* ns per dependent access over `mib` MiB; -1 when memory runs out. */
static double chase(size_t mib, int huge, uint64_t steps, long *huge_kb)
{
	size_t len = mib << 20, n = len / LINE;
	uint8_t *map =
	    mmap(NULL, len + HUGE_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *order = malloc(n * sizeof(*order));
	double ns = -1;

	if (map == MAP_FAILED || order == NULL)
		goto out;
	/* 2 MiB aligned, so a huge page can back every part of the set */
	uint8_t *p = (uint8_t *)(((uintptr_t)map + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(p, 0, len);
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates: one cycle through every line */
		size_t j = rng_next() % (i + 1);
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		*(uint8_t **)(p + (size_t)order[i] * LINE) = p + (size_t)order[(i + 1) % n] * LINE;
	*huge_kb = anon_huge_kb();

	uint8_t *q = p + (size_t)order[0] * LINE;
	for (size_t i = 0; i < n; i++) /* one lap to warm caches and TLBs */
		q = *(uint8_t **)q;
	double t0 = now_s();
	for (uint64_t i = 0; i < steps; i++)
		q = *(uint8_t **)q;
	double t1 = now_s();
	/* keep the chase alive: its end point decides nothing but cannot be dropped */
	if (q == NULL)
		fprintf(stderr, "unreachable\n");
	ns = (t1 - t0) / (double)steps * 1e9;
out:
	free(order);
	if (map != MAP_FAILED)
		munmap(map, len + HUGE_2M);
	return ns;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"max-mib", required_argument, NULL, 'm'},
	    {"steps", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	size_t max_mib = 256;
	uint64_t steps = 20000000;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			max_mib = strtoull(optarg, NULL, 10);
			break;
		case 's':
			steps = strtoull(optarg, NULL, 10);
			break;
		case 'h':
			printf("Usage: fp-bench-memlat [--max-mib M] [--steps N]\n"
			       "  dependent random accesses, one cache line each, over 1 MiB .. M "
			       "MiB,\n"
			       "  with and without transparent huge pages (default M 256, N "
			       "20000000)\n");
			return 0;
		default:
			return 2;
		}
	}
	if (max_mib == 0 || steps == 0 || max_mib > (1u << 16)) {
		fprintf(stderr, "fp-bench-memlat: --max-mib must be 1..65536 and --steps > 0\n");
		return 2;
	}
	for (size_t mib = 1; mib <= max_mib; mib *= 2) {
		for (int huge = 1; huge >= 0; huge--) {
			long kb = -1;
			double ns = chase(mib, huge, steps, &kb);
			if (ns < 0) {
				fprintf(stderr, "fp-bench-memlat: cannot map %zu MiB\n", mib);
				return 1;
			}
			printf("{\"mib\":%zu,\"thp\":%s,\"anon_huge_kb\":%ld,\"ns_per_access\":%."
			       "1f}\n",
			       mib, huge ? "true" : "false", kb, ns);
			fflush(stdout);
		}
	}
	return 0;
}
