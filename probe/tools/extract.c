/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fluxprobe extract: one flow's packets (both directions, in time order) out of a --pcap-dir
 * store into one pcap. A file with an index (NAME.idx, fp_pcapidx.h) is read only at the
 * positions the index gives for the flow, and only if its packet times meet the window; a file
 * without one (a run that was killed, a file still being written) is scanned, and the user is
 * told so. Every packet read is checked against the flow's Community ID, so an index key shared
 * by two flows never brings a stranger's packet.
 *
 * Exit status as grep's: 0 packets found and written, 1 none found, 2 an error.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fp_cid.h"
#include "fp_pcapfile.h"
#include "fp_pcapidx.h"
#include "pcapstore.h"

#define MAX_CAPLEN 262144
#define CACHE 4096 /* scanned packets: verdicts of recent flow keys */

struct target {
	int by_flow; /* --flow: the key, its digest computed for each file's seed */
	struct fp_flow_key key;
	uint8_t md[FP_CID_DIGEST]; /* --community-id: its digest */
	char text[FP_CID_LEN];
	uint16_t seed; /* --community-id-seed for files without an index */
	int decap;
	uint64_t from_ns, to_ns;
};

struct found {
	uint64_t ts_ns;
	uint32_t file, caplen, wirelen;
	uint64_t off;
	uint8_t *data;
};

struct run {
	struct target t;
	const char *dir, *out, *flow_text;
	struct found *v;
	size_t n, cap;
	uint32_t linktype, snaplen;
	int nano, have_link;
	unsigned files, indexed, scanned, skipped;
	unsigned damaged; /* files whose packets may not all be in the result */
	struct {
		struct fp_flow_key k;
		int valid, match;
	} cache[CACHE];
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: fluxprobe extract --pcap-dir DIR (--community-id ID | --flow 'PROTO "
	    "SRC:PORT DST:PORT')\n"
	    "                         [--from TIME] [--to TIME] -w FILE|-\n"
	    "  One flow's packets, both directions, in time order, from the files --pcap-dir\n"
	    "  wrote, into one pcap. TIME: ISO 8601 (2026-01-01T12:00:00.250Z, as the JSON\n"
	    "  lines print it; no zone = UTC) or Unix seconds (1767268800.25), both exact to the\n"
	    "  microsecond and inclusive (--to takes its whole microsecond). PROTO: tcp, udp,\n"
	    "  sctp, icmp, icmp6 or a number; IPv6 as [2001:db8::1]:443; ICMP's ports are the\n"
	    "  type and code (icmp 198.18.0.1:8 198.18.0.2:0), as the Community ID takes them.\n"
	    "  --community-id-seed N  the seed, for files without an index (default 0)\n"
	    "  --decap auto           files without an index: flows by their inner packet\n"
	    "Files with an index are read at the flow's positions only; others are scanned.\n"
	    "Exit status: 0 packets written, 1 none found, 2 an error, 3 what was found is\n"
	    "written but may be incomplete (a damaged file was read in part; said above).\n");
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "fluxprobe extract: %s '%s': %s\n", opt, val, why);
	return -1;
}

/* A fraction's digits after the point, as ns (digits past the ninth are ignored); `*p` moves past
 * them. */
static uint64_t parse_frac(const char **p)
{
	uint64_t frac = 0, scale = 1000000000;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		if (scale > 1) {
			scale /= 10;
			frac += (uint64_t)(**p - '0') * scale;
		}
	return frac;
}

/*
 * ISO 8601 (as JSON lines print it) or Unix seconds, with a fraction, into ns. Both forms are
 * read as integers (a double cannot hold today's time to the µs) and the bounds are inclusive
 * at the µs: `--from` starts at its µs, `--to` ends with its µs (a packet stamped in ns at
 * 12:00:00.000000999 is within --to 12:00:00). A date that does not exist is refused.
 */
static int parse_time(const char *opt, const char *s, int upper, uint64_t *out)
{
	uint64_t secs, frac = 0;
	const char *p = s;
	if (strspn(s, "0123456789.") == strlen(s) && *s) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		p = end;
		if (end == s || errno || v > 4000000000ull)
			return bad(opt, s, "not a time (ISO 8601 or Unix seconds)");
		if (*p == '.') {
			p++;
			frac = parse_frac(&p);
		}
		if (*p)
			return bad(opt, s, "not a time (ISO 8601 or Unix seconds)");
		secs = v;
	} else {
		struct tm tm = {0};
		p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		if (p == NULL)
			p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
		if (p == NULL)
			return bad(opt, s, "not a time (ISO 8601 or Unix seconds)");
		struct tm want = tm;
		if (*p == '.' || *p == ',') {
			p++;
			frac = parse_frac(&p);
		}
		long zone = 0;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int hh, mm, n = 0;
			if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5)
				return bad(opt, s, "the zone must be Z or +hh:mm");
			zone = (*p == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
			p += 6;
		}
		if (*p)
			return bad(opt, s, "not a time (ISO 8601 or Unix seconds)");
		time_t t = timegm(&tm);
		/* timegm() makes 2026-02-30 into March 2nd: a date that moved did not exist */
		if (tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon ||
		    tm.tm_year != want.tm_year || tm.tm_hour != want.tm_hour ||
		    tm.tm_min != want.tm_min || tm.tm_sec != want.tm_sec)
			return bad(opt, s, "no such date or time");
		t -= zone;
		if (t < 0)
			return bad(opt, s, "before 1970");
		secs = (uint64_t)t;
	}
	uint64_t us = frac / 1000;
	*out = secs * 1000000000u + us * 1000 + (upper ? 999 : 0);
	return 0;
}

/* "1.2.3.4:80" or "[2001:db8::1]:80" into `addr` (16 bytes, zero-padded) and its port. */
static int parse_end(const char *s, struct fp_flow_key *k, uint8_t *addr, uint16_t *port)
{
	char host[64];
	const char *colon;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	int v6 = strchr(host, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return -1;
	if (k->ipver && k->ipver != (v6 ? 6 : 4))
		return -1;
	k->ipver = v6 ? 6 : 4;
	return 0;
}

static int parse_flow(const char *s, struct fp_flow_key *k)
{
	char proto[16], a[80], b[80];
	static const struct {
		const char *name;
		uint8_t num;
	} protos[] = {{"tcp", 6},     {"udp", 17}, {"sctp", 132},     {"icmp", 1}, {"icmp6", 58},
		      {"icmpv6", 58}, {"gre", 47}, {"ipv6-icmp", 58}, {"esp", 50}};
	memset(k, 0, sizeof(*k));
	if (sscanf(s, "%15s %79s %79s", proto, a, b) != 3)
		return bad("--flow", s, "give 'PROTO SRC:PORT DST:PORT'");
	char *end;
	unsigned long num = strtoul(proto, &end, 10);
	if (*end == '\0' && end != proto && num < 256) {
		k->proto = (uint8_t)num;
	} else {
		size_t i;
		for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (strcasecmp(proto, protos[i].name) == 0)
				break;
		if (i == sizeof(protos) / sizeof(protos[0]))
			return bad("--flow", proto,
				   "not a protocol (tcp, udp, sctp, icmp, icmp6, N)");
		k->proto = protos[i].num;
	}
	uint16_t sp, dp;
	if (parse_end(a, k, k->src, &sp) != 0 || parse_end(b, k, k->dst, &dp) != 0)
		return bad("--flow", s, "ends are ADDRESS:PORT ([IPv6]:PORT), both of one family");
	if (fp_key_is_icmp(k)) { /* type and code, as keys carry them */
		k->sport = 0;
		k->dport = (uint16_t)(sp << 8 | (dp & 0xff));
	} else {
		k->sport = sp;
		k->dport = dp;
	}
	return 0;
}

static void digest_for(const struct target *t, uint16_t seed, uint8_t md[FP_CID_DIGEST])
{
	if (t->by_flow)
		fp_cid_v1_digest(&t->key, seed, md);
	else
		memcpy(md, t->md, FP_CID_DIGEST);
}

/* Is this packet of the flow? Its key's Community ID against the target's; recent keys'
 * verdicts are remembered (a scan meets each flow's key many times). */
static int belongs(struct run *r, uint32_t link, int decap, uint16_t seed,
		   const uint8_t md[FP_CID_DIGEST], const uint8_t *data, uint32_t caplen,
		   uint32_t wirelen)
{
	struct fp_flow_key k;
	if (fp_pcapidx_packet_key((enum fp_link)link, decap, data, caplen, wirelen, &k) != 0)
		return 0;
	unsigned slot = (unsigned)(fp_key_hash(&k) % CACHE);
	if (r->cache[slot].valid && fp_key_equal(&r->cache[slot].k, &k))
		return r->cache[slot].match;
	uint8_t got[FP_CID_DIGEST];
	fp_cid_v1_digest(&k, seed, got);
	r->cache[slot].k = k;
	r->cache[slot].valid = 1;
	r->cache[slot].match = memcmp(got, md, FP_CID_DIGEST) == 0;
	return r->cache[slot].match;
}

static int keep(struct run *r, unsigned file, uint64_t off, uint64_t ts_ns, uint32_t caplen,
		uint32_t wirelen, const uint8_t *data)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct found *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	uint8_t *copy = malloc(caplen ? caplen : 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, data, caplen);
	r->v[r->n++] = (struct found){ts_ns, file, caplen, wirelen, off, copy};
	return 0;
}

struct pfile {
	int fd;
	uint64_t size;
	int nano;
	uint32_t link, snaplen;
};

static int open_pcap(struct run *r, const char *path, struct pfile *p)
{
	uint32_t h[6];
	struct stat st;
	p->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0 || fstat(p->fd, &st) != 0 || pread(p->fd, h, 24, 0) != 24 ||
	    (h[0] != 0xa1b2c3d4u && h[0] != 0xa1b23c4du)) {
		fprintf(stderr, "fluxprobe extract: %s: %s\n", path,
			p->fd < 0 ? strerror(errno) : "not a pcap file this host wrote");
		if (p->fd >= 0)
			close(p->fd);
		return -1;
	}
	p->size = (uint64_t)st.st_size;
	p->nano = h[0] == 0xa1b23c4du;
	p->snaplen = h[4];
	p->link = h[5];
	if (r->have_link && r->linktype != p->link) {
		fprintf(stderr,
			"fluxprobe extract: %s: link type %u, other files %u: one output cannot "
			"hold both; narrow --from/--to\n",
			path, p->link, r->linktype);
		close(p->fd);
		return -1;
	}
	r->have_link = 1;
	r->linktype = p->link;
	r->nano |= p->nano;
	r->snaplen = p->snaplen > r->snaplen ? p->snaplen : r->snaplen;
	return 0;
}

static uint64_t rec_ns(const struct pfile *p, const uint32_t h[4])
{
	return h[0] * 1000000000ull + (p->nano ? h[1] : h[1] * 1000ull);
}

/* Is `h` (read at `off`) a record header this file can hold: its data within the file, no
 * longer than the snap length, its fraction of a second a fraction? */
static int plausible(const struct pfile *p, const uint32_t h[4], uint64_t off)
{
	uint32_t snap = p->snaplen && p->snaplen < MAX_CAPLEN ? p->snaplen : MAX_CAPLEN;
	return off >= 24 && h[2] <= snap && h[2] <= h[3] &&
	       h[1] < (p->nano ? 1000000000u : 1000000u) && off + 16 + h[2] <= p->size;
}

/* Packets of the flow at the positions the index gives. 0; 1 when the index does not hold
 * against the file (a position outside it or not at a record, a packet of another flow in the
 * flow's group): then nothing of this file is kept and the caller scans it; -1 out of memory. */
static int by_index(struct run *r, unsigned file, const struct pfile *p, const struct fp_pcapidx *x)
{
	uint8_t md[FP_CID_DIGEST], *buf = malloc(MAX_CAPLEN);
	size_t first, n;
	int rc = 0;
	if (buf == NULL)
		return -1;
	digest_for(&r->t, x->h->cid_seed, md);
	n = fp_pcapidx_find(x, fp_cid_key64(md), &first);
	for (size_t g = first; rc == 0 && g < first + n; g++) {
		const struct fp_pcapidx_flow *f = &x->flows[g];
		if (f->first + (uint64_t)f->count > x->h->packets) {
			rc = 1; /* it names packets it does not have */
			break;
		}
		int ours = -1; /* the group's flow: ours, or another with the same key (its first
				  packet tells), then every packet must agree */
		for (uint32_t i = 0; rc == 0 && i < f->count; i++) {
			uint64_t off = x->pos[f->first + i];
			uint32_t h[4];
			if (pread(p->fd, h, 16, (off_t)off) != 16 || !plausible(p, h, off) ||
			    pread(p->fd, buf, h[2], (off_t)off + 16) != (ssize_t)h[2]) {
				rc = 1;
				break;
			}
			uint64_t ts = rec_ns(p, h);
			if (ts < x->h->first_ns || ts > x->h->last_ns) {
				rc = 1; /* not the time of any packet of this file */
				break;
			}
			int b =
			    belongs(r, p->link, x->h->decap, x->h->cid_seed, md, buf, h[2], h[3]);
			if (ours < 0)
				ours = b;
			if (b != ours) {
				rc = 1;
				break;
			}
			if (!b || ts < r->t.from_ns || ts > r->t.to_ns)
				continue;
			if (keep(r, file, off, ts, h[2], h[3], buf) != 0)
				rc = -1;
		}
	}
	free(buf);
	return rc;
}

/* Every record of a file without a usable index. A record header that cannot be one, or a
 * record cut short, ends the scan: said with the file's name and the offset, and the run's
 * result counted as possibly incomplete. 0, or -1 out of memory. */
static int by_scan(struct run *r, unsigned file, const char *path, const struct pfile *p)
{
	uint8_t md[FP_CID_DIGEST], *buf = malloc(MAX_CAPLEN);
	FILE *f = fdopen(dup(p->fd), "r");
	if (buf == NULL || f == NULL) {
		free(buf);
		if (f)
			fclose(f);
		return -1;
	}
	char *iobuf = fp_pcapfile_stdio(f);
	digest_for(&r->t, r->t.seed, md);
	memset(r->cache, 0, sizeof(r->cache)); /* verdicts were for another seed */
	uint64_t off = 24;
	uint32_t h[4];
	int rc = 0;
	fseeko(f, 24, SEEK_SET);
	for (;;) {
		if (off == p->size)
			break; /* the end (as the file was when opened), where a record ends */
		size_t got = off + 16 <= p->size ? fread(h, 1, 16, f) : 0;
		const char *bad = got != 16		  ? "a record header cut short"
				  : !plausible(p, h, off) ? "a record header no packet can have"
				  : fread(buf, 1, h[2], f) != h[2] ? "a record cut short"
								   : NULL;
		if (bad) {
			fprintf(
			    stderr,
			    "fluxprobe extract: %s: %s at byte %llu: the rest of this file is not "
			    "read; the result may be incomplete\n",
			    path, bad, (unsigned long long)off);
			r->damaged++;
			break;
		}
		uint64_t ts = rec_ns(p, h);
		if (ts >= r->t.from_ns && ts <= r->t.to_ns &&
		    belongs(r, p->link, r->t.decap, r->t.seed, md, buf, h[2], h[3]) &&
		    keep(r, file, off, ts, h[2], h[3], buf) != 0) {
			rc = -1;
			break;
		}
		off += 16 + h[2];
	}
	memset(r->cache, 0, sizeof(r->cache));
	fclose(f);
	free(iobuf);
	free(buf);
	return rc;
}

/* One store file: by its index when it has a whole one, else scanned. */
static int one_file(struct run *r, unsigned file, const char *name, int current)
{
	char path[PATH_MAX], idx[PATH_MAX + 8];
	struct pfile p;
	struct fp_pcapidx x = {0};
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	snprintf(idx, sizeof(idx), "%s.idx", path);
	int have = !current && fp_pcapidx_open(&x, idx) == 0;
	if (have && (x.h->last_ns < r->t.from_ns || x.h->first_ns > r->t.to_ns)) {
		fp_pcapidx_close(&x);
		r->skipped++;
		return 0; /* outside the window: not opened */
	}
	if (open_pcap(r, path, &p) != 0) {
		fp_pcapidx_close(&x);
		return -1;
	}
	int rc = 1;
	size_t before = r->n;
	r->files++;
	if (have && x.h->pcap_bytes == p.size && x.h->linktype == p.link) {
		rc = by_index(r, file, &p, &x);
		if (rc == 1) { /* nothing it gave is trusted: the file is read whole instead */
			for (size_t i = before; i < r->n; i++)
				free(r->v[i].data);
			r->n = before;
			fprintf(
			    stderr,
			    "fluxprobe extract: %s: does not hold what its index %s says (a "
			    "position outside it or not at a packet of the flow): damaged index, "
			    "scanned\n",
			    path, idx);
		} else {
			r->indexed++;
		}
	} else {
		fprintf(stderr, "fluxprobe extract: %s %s: scanned\n", path,
			current ? "is being written or was left by a run that did not end"
			: have	? "does not match its index"
				: "has no index");
	}
	if (rc == 1) {
		r->scanned++;
		rc = by_scan(r, file, path, &p);
	}
	if (rc != 0)
		fprintf(stderr, "fluxprobe extract: %s: out of memory\n", path);
	fp_pcapidx_close(&x);
	close(p.fd);
	return rc;
}

struct entry {
	uint64_t stamp;
	unsigned w, part;
	int current;
	char name[256];
};

static int entry_order(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	if (x->w != y->w)
		return x->w < y->w ? -1 : 1;
	return (x->part > y->part) - (x->part < y->part);
}

static int found_order(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return (x->off > y->off) - (x->off < y->off);
}

static int read_dir(struct run *r, struct entry **out, size_t *n, size_t *others)
{
	DIR *d = opendir(r->dir);
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (d == NULL) {
		fprintf(stderr, "fluxprobe extract: --pcap-dir %s: %s\n", r->dir, strerror(errno));
		return -1;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		struct entry en;
		if (strlen(e->d_name) >= sizeof(en.name) ||
		    !fp_pstore_parse_name(e->d_name, &en.stamp, &en.w, &en.part, &en.current)) {
			*others += e->d_name[0] != '.' && !strstr(e->d_name, ".idx");
			continue;
		}
		if (*n == cap) {
			struct entry *v = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof(**out));
			if (v == NULL)
				break;
			*out = v;
		}
		snprintf(en.name, sizeof(en.name), "%s", e->d_name);
		(*out)[(*n)++] = en;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), entry_order);
	return 0;
}

static int write_out(struct run *r)
{
	FILE *f = strcmp(r->out, "-") == 0 ? stdout : fopen(r->out, "w");
	if (f == NULL) {
		fprintf(stderr, "fluxprobe extract: -w %s: %s\n", r->out, strerror(errno));
		return -1;
	}
	uint32_t h[6] = {r->nano ? 0xa1b23c4du : 0xa1b2c3d4u,  2 | 4u << 16, 0, 0,
			 r->snaplen ? r->snaplen : MAX_CAPLEN, r->linktype};
	int ok = fwrite(h, sizeof(h), 1, f) == 1;
	for (size_t i = 0; ok && i < r->n; i++) {
		const struct found *p = &r->v[i];
		uint64_t sub = p->ts_ns % 1000000000u;
		uint32_t rh[4] = {(uint32_t)(p->ts_ns / 1000000000u),
				  (uint32_t)(r->nano ? sub : sub / 1000), p->caplen, p->wirelen};
		ok = fwrite(rh, sizeof(rh), 1, f) == 1 &&
		     fwrite(p->data, 1, p->caplen, f) == p->caplen;
	}
	if (fflush(f) != 0)
		ok = 0;
	if (f != stdout && fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "fluxprobe extract: -w %s: %s\n", r->out, strerror(errno));
	return ok ? 0 : -1;
}

static int parse_args(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pcap-dir", required_argument, NULL, 'd'},
	    {"community-id", required_argument, NULL, 'c'},
	    {"flow", required_argument, NULL, 'f'},
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {"write", required_argument, NULL, 'w'},
	    {"community-id-seed", required_argument, NULL, 's'},
	    {"decap", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, have = 0;
	char *end;
	r->t.to_ns = UINT64_MAX;
	while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			r->dir = optarg;
			break;
		case 'c':
			if (fp_cid_parse(optarg, r->t.md) != 0)
				return bad("--community-id", optarg,
					   "not a Community ID (1: and 28 base64 characters)");
			snprintf(r->t.text, sizeof(r->t.text), "%s", optarg);
			have |= 1;
			break;
		case 'f':
			if (parse_flow(optarg, &r->t.key) != 0)
				return -1;
			r->t.by_flow = 1;
			r->flow_text = optarg;
			have |= 2;
			break;
		case 'F':
			if (parse_time("--from", optarg, 0, &r->t.from_ns) != 0)
				return -1;
			break;
		case 'T':
			if (parse_time("--to", optarg, 1, &r->t.to_ns) != 0)
				return -1;
			break;
		case 'w':
			r->out = optarg;
			break;
		case 's': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v > 65535)
				return bad("--community-id-seed", optarg, "must be 0 to 65535");
			r->t.seed = (uint16_t)v;
			break;
		}
		case 'D':
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "none") != 0)
				return bad("--decap", optarg, "must be auto or none");
			r->t.decap = strcmp(optarg, "auto") == 0;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		return bad("extract", argv[optind], "unexpected argument");
	if (r->dir == NULL || r->out == NULL || (have != 1 && have != 2)) {
		fprintf(stderr, "fluxprobe extract: --pcap-dir, -w and one of --community-id or "
				"--flow are needed\n");
		usage(stderr);
		return -1;
	}
	if (r->t.from_ns > r->t.to_ns) {
		fprintf(stderr, "fluxprobe extract: --from is after --to\n");
		return -1;
	}
	return 0;
}

int fp_extract_main(int argc, char **argv)
{
	static struct run r;
	struct entry *files;
	size_t nf;
	int rc = parse_args(&r, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	size_t others = 0;
	if (read_dir(&r, &files, &nf, &others) != 0)
		return 2;
	if (nf == 0 && others) { /* an empty directory is an empty store (a run with no packet) */
		fprintf(stderr,
			"fluxprobe extract: --pcap-dir %s: no packet store there (no "
			"pcap.YYYYMMDDhhmm.W files: the directory fluxprobe --pcap-dir wrote)\n",
			r.dir);
		free(files);
		return 2;
	}
	rc = 0;
	for (size_t i = 0; i < nf && rc == 0; i++)
		rc = one_file(&r, (unsigned)i, files[i].name, files[i].current);
	if (rc == 0) {
		if (r.n) {
			qsort(r.v, r.n, sizeof(*r.v), found_order);
			rc = write_out(&r);
		}
		if (rc == 0)
			fprintf(stderr,
				"fluxprobe extract: %zu packets of %s%s%s from %u of %zu files (%u "
				"by index, %u scanned, %u outside the window)%s%s%s\n",
				r.n, r.t.by_flow ? "flow '" : "",
				r.t.by_flow ? r.flow_text : r.t.text, r.t.by_flow ? "'" : "",
				r.files, nf, r.indexed, r.scanned, r.skipped, r.n ? " → " : "",
				r.n ? r.out : "",
				r.damaged ? "; INCOMPLETE: damaged files (above) were read in part"
					  : "");
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.v[i].data);
	free(r.v);
	free(files);
	if (rc != 0)
		return 2;
	if (r.damaged)
		return 3;
	return r.n ? 0 : 1;
}
