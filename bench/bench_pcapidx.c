/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet store's index written for one completed file: the pause the writer takes at each
 * file it completes (it drains no queue meanwhile). A builder is filled with P packets spread
 * over F flows (IPv4 UDP, 198.18.0.0/15, each flow's packets scattered through the file as on a
 * busy link), then its index is written R times into DIR (tmpfs, so the disk is not what is
 * measured). Prints one JSON object per write and a median line.
 *   fp-bench-pcapidx [--flows F] [--packets P] [--runs R] [--dir DIR]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_pcapidx.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned long flows = 1000000, packets = 2000000, runs = 5;
	const char *dir = "/dev/shm";
	static const struct option opts[] = {
	    {"flows", required_argument, NULL, 'f'}, {"packets", required_argument, NULL, 'n'},
	    {"runs", required_argument, NULL, 'r'},  {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},	     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			flows = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			packets = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: fp-bench-pcapidx [--flows F] [--packets P] "
					"[--runs R] [--dir DIR]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (flows == 0 || flows > (1ul << 24) || packets < flows || packets > (1ul << 30) ||
	    runs < 1 || runs > 99) {
		fprintf(stderr, "fp-bench-pcapidx: need 1 <= flows <= 16M, flows <= packets <= 1G, "
				"1 <= runs <= 99\n");
		return 2;
	}
	struct fp_pcapidx_builder b;
	fp_pcapidx_builder_init(&b);
	for (unsigned long i = 0; i < packets; i++) {
		/* packet i belongs to flow (i * an odd constant) mod F: every flow, scattered */
		uint32_t f = (uint32_t)((i * 2654435761ul) % flows);
		struct fp_flow_key k;
		memset(&k, 0, sizeof(k));
		k.ipver = 4;
		k.proto = 17;
		k.src[0] = 198;
		k.src[1] = 18;
		k.src[2] = (uint8_t)(f >> 8);
		k.src[3] = (uint8_t)f;
		k.dst[0] = 198;
		k.dst[1] = 19;
		k.dst[2] = (uint8_t)(f >> 16);
		k.sport = (uint16_t)(1024 + (f >> 24));
		k.dport = 53;
		if (fp_pcapidx_builder_add(&b, &k, 24 + i * 80, 1000000000ull + i * 1000) != 0) {
			fprintf(stderr, "fp-bench-pcapidx: out of memory\n");
			return 1;
		}
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/fp-bench-pcapidx.%d.idx", dir, (int)getpid());
	double *t = calloc(runs, sizeof(*t));
	if (t == NULL)
		return 1;
	for (unsigned long r = 0; r < runs; r++) {
		double t0 = now_s();
		int rc = fp_pcapidx_builder_write(&b, path, 1, 0, 0, 24 + packets * 80);
		t[r] = now_s() - t0;
		if (rc != 0) {
			fprintf(stderr, "fp-bench-pcapidx: %s: %s\n", path, strerror(-rc));
			return 1;
		}
		printf("{\"run\":%lu,\"flows\":%lu,\"packets\":%lu,\"write_ms\":%.1f}\n", r, flows,
		       packets, t[r] * 1e3);
	}
	remove(path);
	qsort(t, runs, sizeof(*t), cmp_double);
	printf("{\"flows\":%lu,\"packets\":%lu,\"runs\":%lu,\"median_write_ms\":%.1f,"
	       "\"best_write_ms\":%.1f}\n",
	       flows, packets, runs, t[runs / 2] * 1e3, t[0] * 1e3);
	free(t);
	fp_pcapidx_builder_free(&b);
	return 0;
}
