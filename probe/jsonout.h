/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --json FILE|-: one JSON object per flow record (JSON lines), built with jansson. Field names
 * are the IANA IPFIX information element names of the record's fields (--json-schema ipfix,
 * the default), or the Elastic Common Schema's (ecs: json_ecs.c); timestamps ISO 8601 UTC.
 * Written by the exporter thread beside (not instead of) the collectors.
 */
#ifndef FP_JSONOUT_H
#define FP_JSONOUT_H

#include <stdint.h>
#include <stdio.h>

#include "fp_record.h"
#include "sink.h"

struct fp_jsonout {
	FILE *f;
	int is_stdout;
	int biflow;		/* add the reverse counters */
	unsigned fields;	/* --fields groups (enum fp_field_group) */
	uint32_t sample_n;	/* --sample: > 1 adds samplingInterval, counters stay raw */
	uint16_t cid_seed;	/* --community-id-seed */
	int ecs;		/* --json-schema ecs */
	uint32_t pcap_rotate_s; /* --pcap-dir: name the files of each flow's packets; 0: off */
	const char *path;
	uint64_t records; /* lines written and flushed */
	uint64_t pending; /* lines handed to stdio since the last flush */
	uint64_t errors;  /* lines not written (disk full, closed pipe) */
	int last_errno;
	int warned;
};

/* Open `path` ("-" = stdout) for appending. Main thread. 0, or -1 after logging why. */
int fp_jsonout_open(struct fp_jsonout *j, const char *path);
/* One line for `r`, with what --dpi found (`app`, or NULL). Exporter thread. */
void fp_jsonout_write(struct fp_jsonout *j, const struct fp_record *r, const struct fp_app *app);
/* Push buffered lines out (the exporter calls it when idle). */
void fp_jsonout_flush(struct fp_jsonout *j);
/* SIGHUP (logrotate moved the file): flush, close, open `path` again. Exporter thread. 0, or -1
 * after logging why (later lines are counted as not written). */
int fp_jsonout_reopen(struct fp_jsonout *j);
void fp_jsonout_close(struct fp_jsonout *j);

extern const struct fp_sink_ops fp_jsonout_ops; /* priv: the struct fp_jsonout */

struct json_t;

/* Shared by the schemas: ISO 8601 UTC of µs with 3 or 6 digits of fraction; an address as
 * text; a name from the wire, printable ASCII only ('?' for the rest), lowercased with `lower`. */
struct json_t *fp_json_time(uint64_t us, int digits);
struct json_t *fp_json_addr(int ipver, const uint8_t *a);
struct json_t *fp_json_wire(const char *s, int lower);

/* --pcap-dir: the names of the files that hold the record's packets (one per slot it lasted
 * in, its worker's). */
struct json_t *fp_json_pcap_files(const struct fp_jsonout *j, const struct fp_record *r);

/* The record as an ECS document (json_ecs.c); NULL when out of memory. */
struct json_t *fp_json_ecs(const struct fp_jsonout *j, const struct fp_record *r,
			   const struct fp_app *app);

#endif
