/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --json FILE|-: one JSON object per flow record (JSON lines). Field names
 * are the IANA IPFIX information element names of the record's fields (--json-schema ipfix,
 * the default), or the Elastic Common Schema's (ecs: json_ecs.c); timestamps ISO 8601 UTC.
 * Written by the exporter thread beside (not instead of) the collectors.
 */
#ifndef FP_JSONOUT_H
#define FP_JSONOUT_H

#include <stdint.h>
#include <stdio.h>

#include "fp_fields.h"
#include "fp_record.h"
#include "sink.h"

/* The date and time of day of one second, formatted once for every record of that second. */
struct fp_json_clock {
	uint64_t sec; /* UINT64_MAX: none yet */
	size_t len;
	char text[32];
};

#define FP_ECS_DEPTH 6 /* objects around an ECS member, at most ("a.b.c.d.e.f.member") */

/* Where a row's member sits in an ECS document (json_ecs.c) */
struct fp_ecs_row {
	unsigned nobj;
	uint16_t obj[FP_ECS_DEPTH];	   /* the objects around it, outermost first, as ids */
	const char *obj_key[FP_ECS_DEPTH]; /* their keys */
	const char *leaf;		   /* the member's own key */
	char *leaftext;			   /* as written: "leaf": */
	size_t leaflen;
};

#define FP_JSON_KEY_MAX 60 /* the longest JSON key a row may have (tests/test_fields.c) */

/* What an IANA line needs of a row (fp_fields.h), packed */
struct fp_json_row {
	int (*get)(struct fp_field_rec *fr, struct fp_field_val *v);
	uint16_t rec_off; /* the row's rec_off, rec_size, rec_when */
	uint8_t rec_size;
	uint8_t rec_when;
	uint8_t kind; /* enum fp_field_kind */
	uint8_t digits;
	uint8_t keylen[2];
	char keytext[2][FP_JSON_KEY_MAX + 4]; /* "key": of IPv4 and IPv6 records, as written */
};

/* Lines are written by our own buffer with write(2), not stdio: after a failed write we know
 * exactly which lines reached the file or the reader. */
#define FP_JSON_BUF (256 * 1024)
#define FP_JSON_ENDS 8192 /* a pipe holds at most ~1 MiB: fewer lines than this */

struct fp_jsonout {
	int fd;
	struct fp_json_clock clock;
	int is_stdout;
	int is_pipe;		/* a FIFO: a closed reader ends the run */
	int biflow;		/* add the reverse counters */
	unsigned fields;	/* --fields groups (enum fp_field_group) */
	uint32_t sample_n;	/* --sample: > 1 adds samplingInterval, counters stay raw */
	uint16_t cid_seed;	/* --community-id-seed */
	int ecs;		/* --json-schema ecs */
	uint32_t pcap_rotate_s; /* --pcap-dir: name the files of each flow's packets; 0: off */
	/* the rows of fp_fields[] lines carry, in order (set at the first line) */
	int laid_out;
	int layout_failed; /* no memory for it: every line is counted as not written */
	struct fp_field_ctx ctx;
	uint16_t rows[FP_FIELDS_MAX];
	struct fp_json_row jrows[FP_FIELDS_MAX];
	size_t nrows;
	struct fp_ecs_row *ecs_rows; /* --json-schema ecs: rows[i]'s place in the document */
	const char *path;
	char *buf; /* whole lines not yet written */
	size_t blen;
	uint64_t records; /* lines written whole (and, to a pipe, read by its reader) */
	uint64_t pending; /* lines in buf */
	uint64_t errors;  /* lines not written (disk full, closed pipe) */
	/* a pipe: byte offsets of the last lines' ends in the stream, and the bytes written */
	uint64_t *ends;
	uint64_t appended, written;
	int last_errno;
	int warned;
	int reader_gone; /* the pipe's reader closed it: no line is written any more (any thread) */
};

/* Open `path` ("-" = stdout) for appending. Main thread. 0, or -1 after logging why. */
int fp_jsonout_open(struct fp_jsonout *j, const char *path);
/* One line for `r`, with what --dpi found (`app`, or NULL). Exporter thread. */
void fp_jsonout_write(struct fp_jsonout *j, const struct fp_record *r, const struct fp_side *side);
/* Push buffered lines out (the exporter calls it when idle). A failed write counts exactly the
 * lines that did not get out whole; a line cut by a full disk is cut off the file again. */
void fp_jsonout_flush(struct fp_jsonout *j);
/* SIGHUP (logrotate moved the file): flush, close, open `path` again. Exporter thread. 0, or -1
 * after logging why (later lines are counted as not written). */
int fp_jsonout_reopen(struct fp_jsonout *j);
void fp_jsonout_close(struct fp_jsonout *j);

extern const struct fp_sink_ops fp_jsonout_ops; /* priv: the struct fp_jsonout */

/* A line's room: an ipfix line is at most ~1 KiB of fixed fields, 4 wire names (< 2 × 128
 * bytes each, escaped) and 64 pcap file names; an ECS document somewhat more. */
#define FP_JSON_LINE_MAX 16384
#define FP_JSON_TIME_MAX 40  /* 2026-01-01T00:00:00.000001Z, and a year past 9999 */
#define FP_JSON_WIRE_MAX 128 /* a name from the wire is cut here */

#define FP_JSON_ADDR_MAX 46 /* an IPv6 address's text (INET6_ADDRSTRLEN) */

/* The text of an address (`ipver` 4 or 6) as inet_ntop() writes it, at `out` (FP_JSON_ADDR_MAX
 * bytes of room), without a NUL: its length. */
size_t fp_json_addr_text(char *out, int ipver, const uint8_t *a);

/* A name from the wire, printable ASCII only ('?' for the rest), lowercased with `lower`, cut to
 * fit `len` with its NUL: its length. */
size_t fp_json_wire_text(char *buf, size_t len, const char *s, int lower);

/*
 * A line written in place, for both schemas: keys in a fixed order, objects and arrays opened
 * and closed around them. The keys are ours (nothing to escape); the values are numbers, text
 * we format (times, addresses, hex, the Community ID's base64, names) or names from the wire,
 * made printable ASCII; '"' and '\\' are escaped, nothing else can need it. `full` is set
 * when the buffer ran out (the line is then not written, and counted).
 */
struct fp_jline {
	char *p, *end;
	int full;
	int more; /* a member came before in the innermost object or array: a comma first */
};

/* Every writer takes a `key`; NULL inside an array (an element) or for the line's own object. */
void fp_jl_key(struct fp_jline *l, const char *key);
/* A key written before (`"name":`, n bytes); the value then follows with a NULL key. */
void fp_jl_keytext(struct fp_jline *l, const char *text, size_t n);
/* Such a key and the number `u`. */
void fp_jl_keyed_uint(struct fp_jline *l, const char *text, size_t n, uint64_t u);
/* `key` and '{' or '['; then '}' or ']' */
void fp_jl_open(struct fp_jline *l, const char *key, char bracket);
void fp_jl_close(struct fp_jline *l, char bracket);
void fp_jl_int(struct fp_jline *l, const char *key, int64_t v);
void fp_jl_true(struct fp_jline *l, const char *key);
void fp_jl_str(struct fp_jline *l, const char *key, const char *s);
void fp_jl_time(struct fp_jline *l, const char *key, uint64_t us, int digits,
		struct fp_json_clock *c);
void fp_jl_addr(struct fp_jline *l, const char *key, int ipver, const uint8_t *a);
/* `n` bytes in hex, `sep` between them (0: none) */
void fp_jl_hex(struct fp_jline *l, const char *key, const uint8_t *b, int n, char sep, int upper);
void fp_jl_wire(struct fp_jline *l, const char *key, const char *s, int lower);
/* --pcap-dir: the names of the files that hold the record's packets (one per slot it lasted
 * in, its worker's), an array. */
/* --geoip: a struct fp_geo's location as ECS's geo_point, {"lat":..,"lon":..}, 4 decimals (11 m:
 * the databases' own precision) without trailing zeros. */
void fp_jl_geo_point(struct fp_jline *l, const char *key, const struct fp_geo *g);
/* --payload: bytes as a base64 string (RFC 4648, padded). */
void fp_jl_base64(struct fp_jline *l, const char *key, const uint8_t *p, size_t n);
void fp_jl_pcap_files(struct fp_jline *l, const char *key, const struct fp_jsonout *j,
		      const struct fp_record *r);

/* One row's value under `key`, in JSON's notation for its kind. */
void fp_jl_value(struct fp_jsonout *j, struct fp_jline *l, const char *key,
		 const struct fp_field *f, const struct fp_field_val *v, const struct fp_record *r);
/* The record's members as an ECS document (json_ecs.c), into the line's open object. */
void fp_json_ecs(struct fp_jsonout *j, struct fp_jline *l, struct fp_field_rec *fr);
/* --json-schema ecs: each row's place in the document, once (json_ecs.c). 0, or -1 (no
 * memory). */
int fp_json_ecs_layout(struct fp_jsonout *j);
void fp_json_ecs_free(struct fp_jsonout *j);
/* This host's name, printable, for observer.hostname (json_ecs.c) */
const char *fp_json_observer(void);

#endif
