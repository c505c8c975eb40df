/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An output that takes every flow record: the collectors, JSON lines, nfcapd files. The exporter
 * thread begins each loop on every sink, hands each record to every sink, ticks them every loop
 * and finishes them at the end; it does not know which sinks exist. Each sink keeps its own losses
 * under the same names (records taken, records not kept, the last error), which the summary,
 * the metrics and the last lines read.
 */
#ifndef FP_SINK_H
#define FP_SINK_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "fp_record.h"

struct fp_sink_stats {
	uint64_t records;	/* records kept (written whole) */
	uint64_t records_lost;	/* records taken but not kept (write failed, disk full...) */
	uint64_t files;		/* files completed (flow files) */
	uint64_t files_removed; /* files removed by a size or age limit */
	int last_errno;		/* the cause of the last loss */
	/* where errno cannot say it (a server's answer): the cause in words, and the remedy it
	 * calls for; "" and NULL otherwise */
	char cause[256];
	const char *remedy;
};

struct fp_sink_ops {
	const char *name;      /* "json", "flow-dir": the summary's and metrics' label */
	const char *lost_what; /* what a loss loses, for the LOSS line ("JSON lines") */
	const char *lost_how;  /* how, before the target: "not written to --json" */
	const char *remedy;    /* what to do about it, for the LOSS line */
	/* 1: take each exporter burst's IPv4 records, then its IPv6 ones (a message pays a set
	 * header and padding at each family switch). Bursts follow the exporter's timing, so such
	 * a sink's order may differ from run to run; 0 (files, JSON lines) takes the records in
	 * the order the worker emitted them: one file read twice gives the same output. */
	int by_family;
	/* The start of every exporter loop: read what other threads publish (may be NULL). */
	void (*begin)(void *priv);
	/* One record, with what travels beside it (--dpi, --geoip: fp_record.h); `clock_ms` is the
	 * export time (packet time for a file, wall clock live). Exporter thread. */
	void (*take)(void *priv, const struct fp_record *r, const struct fp_side *side,
		     uint64_t clock_ms);
	/* Every loop, after its records: `clock_ms` as above; `idle` 0 in a loop that brought
	 * records, else how many loops in a row brought none (1: the first, a moment to flush).
	 * Exporter thread. */
	void (*tick)(void *priv, uint64_t clock_ms, unsigned idle);
	/* SIGHUP: reopen files that logrotate may have moved. Exporter thread. */
	void (*reopen)(void *priv);
	/* The end of the run: everything out, files complete. Exporter thread. */
	void (*finish)(void *priv, uint64_t clock_ms);
	/* Counters, any thread (relaxed). */
	void (*stats)(const void *priv, struct fp_sink_stats *out);
	/* The target, for messages: a path. */
	const char *(*target)(const void *priv);
	/* Optional: 1 once the output's reader is gone for good (a pipe's reader closed it): the
	 * run ends, as on SIGPIPE. Any thread. */
	int (*ended)(const void *priv);
};

struct fp_sink_module;

struct fp_sink {
	const struct fp_sink_ops *ops;
	void *priv;
	const struct fp_sink_module *module; /* what opened it */
};

struct fp_exporter;

/* What a sink module opens with besides the configuration. */
struct fp_sink_env {
	uid_t uid; /* --user's: the directories it makes are theirs; -1: ours */
	gid_t gid;
	struct fp_exporter *x; /* the exporter the sink is handed to */
};

/*
 * A sink module: one kind of output, registered once in fp_sink_modules[] (modules.c). main.c
 * opens every module the configuration wants, in the list's order (the exporter finishes them
 * in that order: files first, collectors, which may wait for a TCP peer, last), starts them
 * after --daemon detached and closes them after the exporter ended; it does not know which
 * exist. A new output is its own file(s), a line in the list and its options in config.c.
 */
struct fp_sink_module {
	const char *name;
	int (*wanted)(const struct fp_config *cfg);
	/* The sink, from the configuration. Main thread, before any thread but DPDK's. 0, or -1
	 * after logging why. */
	int (*open)(const struct fp_config *cfg, const struct fp_sink_env *env,
		    struct fp_sink *out);
	/* Optional: its own threads, once the process is where it runs (after --daemon). */
	int (*start)(void *priv);
	/* After the exporter thread ended (also after a failed start). */
	void (*close)(void *priv);
	/* Optional: what the output needs made before it can take records (a database table),
	 * printed to `out` when the configuration asks for it instead of a run
	 * (--clickhouse-schema). 1: not asked of this module; else 0, or -1 after logging why. */
	int (*print_setup)(const struct fp_config *cfg, FILE *out);
};

/* Every sink module, NULL-terminated (modules.c). */
extern const struct fp_sink_module *const fp_sink_modules[];

/* The module called `name`, NULL when there is none. */
const struct fp_sink_module *fp_sink_module_named(const char *name);

/* The configuration asked for an output's set-up instead of a run (fp_config_parse() returned
 * 2): every module's print_setup on stdout. 0, or -1 after logging why. */
int fp_sink_modules_print_setup(const struct fp_config *cfg);

#define FP_MAX_SINKS 6

/* What to do about a loss whose cause is `err`, where the cause decides (a full disk, a
 * permission, a closed pipe); NULL where the sink's own remedy says it. */
const char *fp_sink_remedy(int err);

#endif
