/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --clickhouse http[s]://HOST:PORT: flow records inserted into a ClickHouse table over its HTTP
 * interface (libcurl), as RowBinary rows, one INSERT per batch. A sink of the exporter (sink.h).
 *
 * The exporter thread appends rows to a batch; a batch is closed at BATCH_ROWS rows, BATCH_BYTES
 * bytes, or one second after its first row, and queued for the sender thread, which POSTs it.
 * The queue is the backlog (--export-backlog bytes, as for TCP collectors): while the server is
 * down, slow or restarting, batches wait there and are retried with backoff (1 s doubling to
 * 30 s). A full backlog drops its oldest batch, counted (live); reading a file, the exporter waits
 * for room instead (nothing is lost by waiting) as long as the server inserted something in the
 * last FP_CLICKHOUSE_OUTAGE_MS (a restart is waited for; a server never reached only
 * FP_CLICKHOUSE_UNREACHED_MS). An error the server answers (a missing table, a refused login) is
 * retried three times, then the batch is counted lost with the server's words in the log. At the
 * end the sender empties the queue while inserts go on, giving up after the same time without
 * one; what is left is counted lost. Rows inserted = records a 200 answer confirmed.
 *
 * Credentials: FLUXPROBE_CLICKHOUSE_USER / FLUXPROBE_CLICKHOUSE_PASSWORD, or --clickhouse-auth
 * FILE ("user:password" on its first line); https:// is verified as tls:// collectors are
 * (--tls-ca, else the system's CAs).
 */
#ifndef FP_CLICKHOUSE_H
#define FP_CLICKHOUSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sink.h"

/* How long a file waits, and the end drains, for a server that inserts nothing: one that inserted
 * before (a restart), one never reached. */
#define FP_CLICKHOUSE_OUTAGE_MS 60000
#define FP_CLICKHOUSE_UNREACHED_MS 5000

struct fp_clickhouse_config {
	const char *url;   /* http[s]://HOST:PORT */
	const char *table; /* [DB.]NAME */
	const char *auth_file;
	const char *ca_file;
	size_t backlog_bytes;
	int offline; /* --read: wait for room instead of dropping */
	int biflow;
	uint32_t sample_n;
	uint16_t cid_seed;
	unsigned fields; /* fp_config_groups(): a column added with an option is written only
			    with it (tables made before it lack the column) */
};

struct fp_clickhouse;

/* Check the URL, read the credentials. Main thread. NULL after logging why. */
struct fp_clickhouse *fp_clickhouse_open(const struct fp_clickhouse_config *c);
/* Start the sender thread (after --daemon forked). 0, or -1 after logging. */
int fp_clickhouse_start(struct fp_clickhouse *ch);
/* After the exporter ended: stop the sender, free. */
void fp_clickhouse_close(struct fp_clickhouse *ch);

extern const struct fp_sink_ops fp_clickhouse_ops;

/* --clickhouse-schema: the statements that make the table, ';'-separated, for clickhouse-client
 * -n. `cluster` (or NULL): per-server tables `NAME_local` ON CLUSTER and a Distributed table NAME
 * over them; `ttl_days` 0: no TTL; `ip_type` "IPv6" (servers from 19.3 on) or "FixedString(16)"
 * (the same 16 bytes, for older ones). */
void fp_clickhouse_schema(FILE *f, const char *table, const char *cluster, unsigned ttl_days,
			  const char *ip_type);

/* The server's version ("18.16.1"), into buf; 0, or -1 after logging why. Main thread. */
int fp_clickhouse_version(const char *url, const char *auth_file, const char *ca_file, char *buf,
			  size_t len);

#endif
