/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One description of the per-worker counters (worker, flow table, fragment cache, DPI): each
 * row names the counter once, with its --summary json key and its Prometheus metric, and both
 * outputs are written from the rows, so a counter added here appears in the summary and the
 * metrics alike. Readers only: the workers keep writing their own blocks.
 */
#ifndef FP_STATS_H
#define FP_STATS_H

#include <jansson.h>
#include <stdio.h>

#include "dpi.h"
#include "exporter.h"
#include "fp_frag.h"
#include "fp_table.h"
#include "pcapstore.h"
#include "tlsfp.h"
#include "worker.h"

/* Optional features whose rows appear only when they are on. */
#define FP_STATS_DPI (1u << 0)
#define FP_STATS_PSTORE (1u << 1)
#define FP_STATS_TLS (1u << 2)

/* One worker's counter blocks, read together (a block the worker does not have reads 0). */
struct fp_stats_blocks {
	struct fp_worker_stats ws;
	struct fp_table_stats ts;
	struct fp_frag_stats fs;
	struct fp_dpi_stats ds;
	struct fp_pstore_stats ps;
	struct fp_tlsfp_stats tl;
	struct fp_exporter_stats xs; /* the run's: set by the caller (fp_stats_read leaves 0) */
};

/* The FP_STATS_* groups a configuration turns on. */
#define fp_stats_groups(cfg)                                                                       \
	(((cfg)->dpi ? FP_STATS_DPI : 0u) | ((cfg)->pcap_dir ? FP_STATS_PSTORE : 0u) |             \
	 ((cfg)->fields & FP_FIELD_TLS ? FP_STATS_TLS : 0u))

/* Read worker `w`'s blocks. Any thread; a QSBR reader of the worker's table. */
void fp_stats_read(const struct fp_worker *w, struct fp_stats_blocks *out);

/* The blocks of `nw` workers summed. */
void fp_stats_sum(const struct fp_worker *workers, unsigned nw, struct fp_stats_blocks *sum);

/*
 * --summary json: the summed counters and the exporter's (sum->xs) into `root` (nested objects
 * by key path), and each worker's own into `workers_array` (one object per worker, "worker": N
 * first). `groups`: the optional rows (FP_STATS_*) to include.
 */
void fp_stats_summary(json_t *root, json_t *workers_array, const struct fp_stats_blocks *sum,
		      const struct fp_stats_blocks *per_worker, unsigned nw, unsigned groups);

/* Prometheus: every row with a metric, one sample per worker (and reason); the exporter's rows
 * once, from per_worker[0].xs. */
void fp_stats_metrics(FILE *f, const struct fp_stats_blocks *per_worker, unsigned nw,
		      unsigned groups);

/* The array row `key` (a summary key): its total, and "name N, name N" of its reasons that are
 * not zero in `buf` (for a last line that names them). */
uint64_t fp_stats_by_reason(const struct fp_stats_blocks *b, const char *key, char *buf,
			    size_t len);

/* Set `path` ("a.b.c") in `root` to `v` (reference stolen), making the objects on the way. */
void fp_stats_json_put(json_t *root, const char *path, json_t *v);

#endif
