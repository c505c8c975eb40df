/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --geoip with libmaxminddb: see fp_geo.h. The paths read in each kind of database are those of
 * MaxMind's GeoLite2 (and DB-IP's, which keeps them): ASN autonomous_system_number and
 * autonomous_system_organization; City and Country country.iso_code (else
 * registered_country.iso_code: an address of a satellite or anycast network has no country of
 * its own), City city.names.en, location.latitude and location.longitude.
 */
#include "fp_geo.h"
#include "fp_encode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CACHE_SLOTS 8192 /* a power of two; 2.3 MB */
#define REFRESH_MS 1000

/* What one entry of a database says, decoded once: many addresses share an entry (a network,
 * a city), and decoding (walking the entry's maps) costs more than finding it. */
struct entry_slot {
	uint32_t offset; /* the entry's place in the data section; 0: empty */
	uint32_t gen;
	struct fp_geo geo;
};

#define ENTRY_SLOTS 4096 /* per database, a power of two; 1.2 MB */

struct geo_file {
	char *path;
	unsigned kind;
	uint32_t gen; /* of the database opened: its entry slots of before are stale */
	struct entry_slot *entries;
	MMDB_s mmdb;
	int open;
	struct stat st;	    /* of the file opened */
	struct stat moving; /* a change seen at the last check, opened once it stays the same */
	int change_seen;
};

struct cache_slot {
	uint8_t addr[16];
	uint8_t ipver; /* 0: empty */
	uint32_t gen;
	struct fp_geo geo;
};

struct fp_geodb {
	struct geo_file files[FP_GEO_FILES_MAX];
	unsigned n;
	uint32_t gen; /* bumped when a database changes: the cache's entries of before are stale */
	uint64_t next_check_ms;
	struct cache_slot *cache;
	uint64_t lookups, hits, reloads, reload_errors;
};

static unsigned kind_of(const char *type)
{
	/* GeoLite2-ASN, GeoIP2-ISP... DBIP-ASN-Lite (compat=GeoLite2-ASN), GeoLite2-City,
	 * DBIP-City-Lite, GeoLite2-Country, DBIP-Country-Lite */
	if (strcasestr(type, "ASN"))
		return FP_GEO_ASN;
	if (strcasestr(type, "City"))
		return FP_GEO_CITY;
	if (strcasestr(type, "Country"))
		return FP_GEO_COUNTRY;
	return 0;
}

static int open_file(const char *path, MMDB_s *mmdb, unsigned *kind, char *err, size_t errlen)
{
	errno = 0;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, mmdb);
	if (rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR) {
		snprintf(err, errlen, "cannot read it (%s)", strerror(errno ? errno : EIO));
		return -1;
	}
	if (rc != MMDB_SUCCESS) {
		snprintf(err, errlen,
			 "not a MaxMind DB file (.mmdb: GeoLite2, DB-IP and compatible databases): "
			 "%s",
			 MMDB_strerror(rc));
		return -1;
	}
	const char *type = mmdb->metadata.database_type ? mmdb->metadata.database_type : "";
	*kind = kind_of(type);
	if (*kind == 0) {
		snprintf(err, errlen,
			 "a MaxMind DB of type '%s', which fluxprobe does not read: give an ASN, "
			 "City or Country database (its type names which)",
			 type);
		MMDB_close(mmdb);
		return -1;
	}
	return 0;
}

unsigned fp_geo_file_kind(const char *path, char *err, size_t errlen)
{
	MMDB_s mmdb;
	unsigned kind;
	if (open_file(path, &mmdb, &kind, err, errlen) != 0)
		return 0;
	MMDB_close(&mmdb);
	return kind;
}

unsigned fp_geo_field_groups(unsigned kinds)
{
	unsigned g = 0;
	if (kinds & FP_GEO_ASN)
		g |= FP_FIELD_AS;
	if (kinds & (FP_GEO_COUNTRY | FP_GEO_CITY))
		g |= FP_FIELD_GEO;
	if (kinds & FP_GEO_CITY)
		g |= FP_FIELD_CITY;
	return g;
}

size_t fp_geo_text(char *dst, size_t cap, const char *src, size_t n)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t len = c < 0x80		  ? 1
			     : (c & 0xe0) == 0xc0 ? 2
			     : (c & 0xf0) == 0xe0 ? 3
			     : (c & 0xf8) == 0xf0 ? 4
						  : 0;
		int ok = len > 0 && i + len <= n && !(len == 2 && c < 0xc2) && !(c > 0xf4);
		for (size_t k = 1; ok && k < len; k++)
			ok = (s[i + k] & 0xc0) == 0x80;
		if (ok && len == 3) /* no overlong form, no surrogate */
			ok = !(c == 0xe0 && s[i + 1] < 0xa0) && !(c == 0xed && s[i + 1] >= 0xa0);
		if (ok && len == 4)
			ok = !(c == 0xf0 && s[i + 1] < 0x90) && !(c == 0xf4 && s[i + 1] >= 0x90);
		if (ok && len == 1 && (c < 0x20 || c == 0x7f))
			ok = 0;
		if (!ok)
			len = 1;
		if (o + len >= cap)
			break;
		if (ok)
			memcpy(dst + o, s + i, len);
		else
			dst[o] = '?';
		o += len;
		i += len;
	}
	dst[o] = '\0';
	return o;
}

struct fp_geodb *fp_geodb_open(const char *const *paths, unsigned n, char *err, size_t errlen)
{
	if (n > FP_GEO_FILES_MAX) {
		snprintf(err, errlen, "at most %d databases", FP_GEO_FILES_MAX);
		return NULL;
	}
	struct fp_geodb *g = calloc(1, sizeof(*g));
	if (g == NULL || (g->cache = calloc(CACHE_SLOTS, sizeof(*g->cache))) == NULL) {
		free(g);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->gen = 1;
	for (unsigned i = 0; i < n; i++) {
		struct geo_file *f = &g->files[i];
		char why[256];
		if ((f->path = strdup(paths[i])) == NULL ||
		    open_file(f->path, &f->mmdb, &f->kind, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", paths[i], f->path ? why : "out of memory");
			fp_geodb_close(g);
			return NULL;
		}
		f->open = 1;
		g->n = i + 1;
		if ((f->entries = calloc(ENTRY_SLOTS, sizeof(*f->entries))) == NULL) {
			snprintf(err, errlen, "%s: out of memory", paths[i]);
			fp_geodb_close(g);
			return NULL;
		}
		if (stat(f->path, &f->st) != 0)
			memset(&f->st, 0, sizeof(f->st));
	}
	return g;
}

void fp_geodb_close(struct fp_geodb *g)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < FP_GEO_FILES_MAX; i++) {
		if (g->files[i].open)
			MMDB_close(&g->files[i].mmdb);
		free(g->files[i].path);
		free(g->files[i].entries);
	}
	free(g->cache);
	free(g);
}

/* A text value at `path...` of `entry` into dst; 1 when there was one. */
static int get_text(MMDB_entry_s *entry, char *dst, size_t cap, const char *const *path)
{
	MMDB_entry_data_s d;
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return 0;
	fp_geo_text(dst, cap, d.utf8_string, d.data_size);
	return 1;
}

static int get_uint(MMDB_entry_s *entry, uint64_t *u, const char *const *path)
{
	MMDB_entry_data_s d;
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data)
		return 0;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		*u = d.uint16;
		return 1;
	case MMDB_DATA_TYPE_UINT32:
		*u = d.uint32;
		return 1;
	case MMDB_DATA_TYPE_UINT64:
		*u = d.uint64;
		return 1;
	default:
		return 0;
	}
}

static int get_double(MMDB_entry_s *entry, double *v, const char *const *path)
{
	MMDB_entry_data_s d;
	if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data)
		return 0;
	if (d.type == MMDB_DATA_TYPE_DOUBLE)
		*v = d.double_value;
	else if (d.type == MMDB_DATA_TYPE_FLOAT)
		*v = d.float_value;
	else
		return 0;
	return 1;
}

static const char *const P_ASN[] = {"autonomous_system_number", NULL};
static const char *const P_ORG[] = {"autonomous_system_organization", NULL};
static const char *const P_CC[] = {"country", "iso_code", NULL};
static const char *const P_RCC[] = {"registered_country", "iso_code", NULL};
static const char *const P_CITY[] = {"city", "names", "en", NULL};
static const char *const P_LAT[] = {"location", "latitude", NULL};
static const char *const P_LON[] = {"location", "longitude", NULL};

/* Decode what entry `e` of file `f` says into `out` (zeroed). */
static void decode_entry(struct geo_file *f, MMDB_entry_s *e, struct fp_geo *out)
{
	MMDB_lookup_result_s res = {.found_entry = true, .entry = *e};
	if (f->kind == FP_GEO_ASN) {
		uint64_t asn;
		if (get_uint(&res.entry, &asn, P_ASN) && asn <= UINT32_MAX) {
			out->asn = (uint32_t)asn;
			out->have |= FP_GEO_HAVE_AS;
			get_text(&res.entry, out->org, sizeof(out->org), P_ORG);
		}
		return;
	}
	if (!(out->have & FP_GEO_HAVE_COUNTRY) &&
	    (get_text(&res.entry, out->country, sizeof(out->country), P_CC) ||
	     get_text(&res.entry, out->country, sizeof(out->country), P_RCC)))
		out->have |= FP_GEO_HAVE_COUNTRY;
	if (f->kind != FP_GEO_CITY)
		return;
	if (!(out->have & FP_GEO_HAVE_CITY) &&
	    get_text(&res.entry, out->city, sizeof(out->city), P_CITY))
		out->have |= FP_GEO_HAVE_CITY;
	if (!(out->have & FP_GEO_HAVE_LOC) && get_double(&res.entry, &out->lat, P_LAT) &&
	    get_double(&res.entry, &out->lon, P_LON))
		out->have |= FP_GEO_HAVE_LOC;
}

static void geo_clear(struct fp_geo *g)
{
	memset(g, 0, offsetof(struct fp_geo, org));
	g->org[0] = g->city[0] = '\0';
}

/* What file `f` says of the address into `out`, where `out` has nothing of its kind yet. */
static void lookup_file(struct geo_file *f, const struct sockaddr *sa, struct fp_geo *out)
{
	int mmdb_err;
	MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&f->mmdb, sa, &mmdb_err);
	if (mmdb_err != MMDB_SUCCESS || !res.found_entry)
		return; /* not in it (an IPv6 address in an IPv4 database: not either) */
	uint32_t off = res.entry.offset + 1; /* 0 marks an empty slot */
	struct entry_slot *slot = &f->entries[(off * 0x9e3779b1u) >> 20 & (ENTRY_SLOTS - 1)];
	if (slot->offset != off || slot->gen != f->gen) {
		geo_clear(&slot->geo);
		decode_entry(f, &res.entry, &slot->geo);
		slot->offset = off;
		slot->gen = f->gen;
	}
	const struct fp_geo *g = &slot->geo;
	if (g->have & FP_GEO_HAVE_AS) {
		out->asn = g->asn;
		memcpy(out->org, g->org, strlen(g->org) + 1);
	}
	if ((g->have & FP_GEO_HAVE_COUNTRY) && !(out->have & FP_GEO_HAVE_COUNTRY))
		memcpy(out->country, g->country, sizeof(out->country));
	if ((g->have & FP_GEO_HAVE_CITY) && !(out->have & FP_GEO_HAVE_CITY))
		memcpy(out->city, g->city, strlen(g->city) + 1);
	if ((g->have & FP_GEO_HAVE_LOC) && !(out->have & FP_GEO_HAVE_LOC)) {
		out->lat = g->lat;
		out->lon = g->lon;
	}
	out->have |= g->have;
}

static uint32_t addr_hash(const uint8_t *a, unsigned n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull * (n + 1);
	for (unsigned i = 0; i < n; i += 4) {
		uint32_t w;
		memcpy(&w, a + i, 4);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	return (uint32_t)(h >> 40);
}

static void lookup_addr(struct fp_geodb *g, unsigned ipver, const uint8_t *addr, struct fp_geo *out)
{
	unsigned n = ipver == 6 ? 16 : 4;
	struct cache_slot *slot = &g->cache[addr_hash(addr, n) & (CACHE_SLOTS - 1)];
	__atomic_store_n(&g->lookups, g->lookups + 1, __ATOMIC_RELAXED); /* read by stats */
	if (slot->ipver == ipver && slot->gen == g->gen && memcmp(slot->addr, addr, n) == 0) {
		__atomic_store_n(&g->hits, g->hits + 1, __ATOMIC_RELAXED);
		memcpy(out, &slot->geo, sizeof(*out));
		return;
	}
	geo_clear(out);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	const struct sockaddr *sa;
	if (ipver == 6) {
		memcpy(&sin6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&sin6;
	} else {
		memcpy(&sin.sin_addr, addr, 4);
		sa = (const struct sockaddr *)&sin;
	}
	for (unsigned i = 0; i < g->n; i++)
		if (g->files[i].open)
			lookup_file(&g->files[i], sa, out);
	slot->ipver = (uint8_t)ipver;
	slot->gen = g->gen;
	memcpy(slot->addr, addr, n);
	memcpy(&slot->geo, out, sizeof(*out));
}

void fp_geodb_lookup(struct fp_geodb *g, const struct fp_flow_key *k, struct fp_geo out[2])
{
	lookup_addr(g, k->ipver, k->src, &out[0]);
	lookup_addr(g, k->ipver, k->dst, &out[1]);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Open file `f` again; 1 when the new one is in use. */
static int reopen_file(struct fp_geodb *g, struct geo_file *f, const struct stat *st,
		       void (*say)(int failed, const char *msg))
{
	char why[256], msg[512];
	MMDB_s mmdb;
	unsigned kind;
	if (open_file(f->path, &mmdb, &kind, why, sizeof(why)) != 0) {
		__atomic_store_n(&g->reload_errors, g->reload_errors + 1, __ATOMIC_RELAXED);
		snprintf(msg, sizeof(msg),
			 "--geoip %s changed but cannot be used (%s): the database "
			 "read before stays in use",
			 f->path, why);
		if (say)
			say(1, msg);
		f->st = *st; /* said once per change */
		return 0;
	}
	if (kind != f->kind) {
		MMDB_close(&mmdb);
		__atomic_store_n(&g->reload_errors, g->reload_errors + 1, __ATOMIC_RELAXED);
		snprintf(msg, sizeof(msg),
			 "--geoip %s: now a database of another kind; the one "
			 "read before stays in use (restart to change what the records carry)",
			 f->path);
		if (say)
			say(1, msg);
		f->st = *st;
		return 0;
	}
	MMDB_close(&f->mmdb);
	f->mmdb = mmdb;
	f->st = *st;
	f->gen++;
	g->gen++;
	__atomic_store_n(&g->reloads, g->reloads + 1, __ATOMIC_RELAXED);
	if (say) {
		snprintf(msg, sizeof(msg), "--geoip %s: read again (%s, built %llu)", f->path,
			 mmdb.metadata.database_type,
			 (unsigned long long)mmdb.metadata.build_epoch);
		say(0, msg);
	}
	return 1;
}

int fp_geodb_refresh(struct fp_geodb *g, uint64_t now_ms, int force,
		     void (*say)(int failed, const char *msg))
{
	if (!force && now_ms < g->next_check_ms)
		return 0;
	g->next_check_ms = now_ms + REFRESH_MS;
	int replaced = 0;
	for (unsigned i = 0; i < g->n; i++) {
		struct geo_file *f = &g->files[i];
		struct stat st;
		if (stat(f->path, &st) != 0) {
			f->change_seen = 0; /* gone for a moment (being replaced): keep the old */
			continue;
		}
		if (force) {
			replaced += reopen_file(g, f, &st, say);
			f->change_seen = 0;
			continue;
		}
		if (same_file(&st, &f->st)) {
			f->change_seen = 0;
			continue;
		}
		/* changed: opened once it stayed the same for a check (not while being written) */
		if (f->change_seen && same_file(&st, &f->moving)) {
			replaced += reopen_file(g, f, &st, say);
			f->change_seen = 0;
		} else {
			f->moving = st;
			f->change_seen = 1;
		}
	}
	return replaced;
}

void fp_geodb_stats(const struct fp_geodb *g, struct fp_geodb_stats *out)
{
	out->lookups = __atomic_load_n(&g->lookups, __ATOMIC_RELAXED);
	out->cache_hits = __atomic_load_n(&g->hits, __ATOMIC_RELAXED);
	out->reloads = __atomic_load_n(&g->reloads, __ATOMIC_RELAXED);
	out->reload_errors = __atomic_load_n(&g->reload_errors, __ATOMIC_RELAXED);
}
