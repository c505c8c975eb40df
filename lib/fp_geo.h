/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --geoip: autonomous systems and places of a record's addresses, from MaxMind DB files (.mmdb:
 * GeoLite2, DB-IP and compatible databases) read with libmaxminddb.
 *
 * Each file's kind is read from its metadata (database_type): ASN (AS number and organisation),
 * City (country, city, location) or Country (country). Lookups are per record, in the exporter
 * thread, through a direct-mapped cache of addresses (a span port's records repeat their
 * addresses); never on a worker's packet path. A database file replaced on disk (a weekly
 * update), or SIGHUP, opens it again: the new one is used from the next record on, the old one
 * closed; one that cannot be opened leaves the old one in use, and says why.
 *
 * One thread uses a struct fp_geodb (the exporter); fp_geodb_stats() may be read from any.
 */
#ifndef FP_GEO_H
#define FP_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "fp_key.h"
#include "fp_record.h"

enum fp_geo_kind {
	FP_GEO_ASN = 1 << 0,
	FP_GEO_COUNTRY = 1 << 1,
	FP_GEO_CITY = 1 << 2,
};

#define FP_GEO_FILES_MAX 4

/* The kind of the database at `path` (enum fp_geo_kind, one bit), or 0 after writing in `err`
 * why it is not one fluxprobe can read (not a MaxMind DB, or one without AS or places). */
unsigned fp_geo_file_kind(const char *path, char *err, size_t errlen);

/* The enum fp_field_group bits (FP_FIELD_AS, _GEO, _CITY) that databases of `kinds` fill. */
unsigned fp_geo_field_groups(unsigned kinds);

struct fp_geodb;

/* Open `n` files (at most FP_GEO_FILES_MAX). NULL after writing in `err` why. */
struct fp_geodb *fp_geodb_open(const char *const *paths, unsigned n, char *err, size_t errlen);
void fp_geodb_close(struct fp_geodb *g);

/* The source's and the destination's entries of key `k` into out[0] and out[1]. */
void fp_geodb_lookup(struct fp_geodb *g, const struct fp_flow_key *k, struct fp_geo out[2]);

/* Open again the files that changed on disk since they were opened (checked at most once a
 * second of `now_ms`), or every file when `force` (SIGHUP). What happened is logged through
 * `say` (may be NULL). The number of databases replaced. */
int fp_geodb_refresh(struct fp_geodb *g, uint64_t now_ms, int force,
		     void (*say)(int failed, const char *msg));

struct fp_geodb_stats {
	uint64_t lookups;	/* addresses asked for */
	uint64_t cache_hits;	/* of those, answered from the cache */
	uint64_t reloads;	/* databases opened again */
	uint64_t reload_errors; /* files that changed but could not be opened: the old is used */
};
void fp_geodb_stats(const struct fp_geodb *g, struct fp_geodb_stats *out);

/* `src` (`n` bytes) as UTF-8 text into `dst` (`cap` bytes, NUL-terminated): control characters
 * and invalid sequences become '?', and it is cut at a character's boundary. Its length. */
size_t fp_geo_text(char *dst, size_t cap, const char *src, size_t n);

#endif
