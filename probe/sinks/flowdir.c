/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --flow-dir: flow records kept in nfcapd files, as nfpcapd -w and nfcapd do, for nfdump, nfsen
 * and nfexpire. One file per --rotate slot, named nfcapd.YYYYMMDDhhmm after the slot's start
 * (local time, as nfcapd), in nfcapd's -S sub-directory layout, written as nfcapd.current.PID
 * and renamed when complete, so a reader never sees half a file. The slot of a record is the
 * slot of its export time: packet time for --read (the same files on any machine), the wall
 * clock live, where a file is completed every slot even when no flow ended in it.
 *
 * A file is not a network: no pacing. The exporter thread writes; a failed write counts the
 * records it loses, is logged once per cause, and the next slot's file is tried afresh.
 */
#include "flowdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_counters.h"
#include "log.h"

extern const struct fp_sink_module fp_flowdir_module;

/* nfcapd's -S layouts: strftime formats of the sub-directory (nfcapd(1)). */
static const char *const layouts[FP_FLOWDIR_LAYOUTS] = {
    "",	     "%Y/%m/%d", "%Y/%m/%d/%H", "%Y/%W/%u",    "%Y/%W/%u/%H",
    "%Y/%j", "%Y/%j/%H", "%Y-%m-%d",	"%Y-%m-%d/%H",
};

const char *fp_flowdir_layout(unsigned n)
{
	return n < FP_FLOWDIR_LAYOUTS ? layouts[n] : NULL;
}

/* mkdir -p, giving what it creates to `uid`/`gid` ((uid_t)-1: left as made). */
static int make_dirs_owned(char *path, uid_t uid, gid_t gid)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		int rc = mkdir(path, 0755);
		int e = errno;
		if (rc == 0 && uid != (uid_t)-1 && chown(path, uid, gid) != 0)
			e = errno, rc = -1;
		else if (rc != 0 && e == EEXIST)
			rc = 0;
		*p = c;
		if (rc != 0)
			return -e;
		if (c == '\0')
			return 0;
	}
}

int fp_make_dirs(char *path)
{
	return make_dirs_owned(path, (uid_t)-1, (gid_t)-1);
}

/* May `uid`/`gid` do `want` (2 write, 1 search: rwx bits) in what `st` describes? */
static int may(const struct stat *st, uid_t uid, gid_t gid, unsigned want)
{
	if (uid == 0)
		return 1;
	unsigned bits = st->st_uid == uid   ? (st->st_mode >> 6) & 7
			: st->st_gid == gid ? (st->st_mode >> 3) & 7
					    : st->st_mode & 7;
	return (bits & want) == want;
}

int fp_output_dir(const char *opt, const char *path, uid_t uid, gid_t gid)
{
	char p[PATH_MAX];
	struct stat st;
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		fp_log(LOG_ERR, "%s %s: the path is too long", opt, path);
		return -1;
	}
	int rc = make_dirs_owned(p, uid, gid);
	if (rc != 0) {
		fp_log(LOG_ERR, "%s %s: cannot make the directory: %s", opt, path, strerror(-rc));
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fp_log(LOG_ERR, "%s %s: not a directory", opt, path);
		return -1;
	}
	uid_t u = uid == (uid_t)-1 ? geteuid() : uid;
	gid_t g = uid == (uid_t)-1 ? getegid() : gid;
	const char *who = uid == (uid_t)-1 ? "fluxprobe's user" : "the --user";
	if (u != 0 && !may(&st, u, g, 3)) {
		fp_log(LOG_ERR,
		       "%s %s: %s (uid %u, gid %u) cannot write there (owner %u:%u, mode %03o): "
		       "give it to that user (chown) or choose another directory",
		       opt, path, who, (unsigned)u, (unsigned)g, (unsigned)st.st_uid,
		       (unsigned)st.st_gid, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	/* every directory above must let it through */
	for (char *q = p + strlen(p); u != 0 && q > p; q--) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (*p && stat(p, &st) == 0 && !may(&st, u, g, 1)) {
			fp_log(LOG_ERR,
			       "%s %s: %s (uid %u) cannot enter %s (mode %03o): choose another "
			       "directory",
			       opt, path, who, (unsigned)u, p, (unsigned)(st.st_mode & 0777));
			return -1;
		}
	}
	return 0;
}

/* Say why records are being lost, once per cause (the counters carry the rest). */
static void warn(struct fp_flowdir *d, int err, const char *what, const char *path)
{
	__atomic_store_n(&d->st.last_errno, err, __ATOMIC_RELAXED);
	if (d->warned_errno == err)
		return;
	d->warned_errno = err;
	fp_log(LOG_ERR,
	       "--flow-dir: %s %s: %s; the records of this slot are counted as lost, the next "
	       "slot's file is tried; capture goes on",
	       what, path, strerror(err));
}

static void slot_paths(struct fp_flowdir *d, uint64_t slot_ms)
{
	time_t t = (time_t)(slot_ms / 1000);
	struct tm tm;
	char sub[64] = "", stamp[32];
	localtime_r(&t, &tm);
	if (d->layout)
		strftime(sub, sizeof(sub), layouts[d->layout], &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M", &tm);
	snprintf(d->dirpath, sizeof(d->dirpath), "%s%s%s", d->dir, *sub ? "/" : "", sub);
	snprintf(d->final, sizeof(d->final), "%s/nfcapd.%s", d->dirpath, stamp);
	snprintf(d->tmp, sizeof(d->tmp), "%s/nfcapd.current.%d", d->dirpath, (int)getpid());
}

/*
 * A completed file is never replaced by another run's (a restart within the slot, --read twice
 * into one directory): the slot's file, if there is one, is continued (its blocks copied into
 * the new file, which replaces it when complete: one file holding both, which nfsen reads as
 * the slot and nfdump -R as any), as nfcapd does. One that cannot be continued (not a file of
 * nfdump's layout 2) stays, and the new file takes the name with the first free suffix .1, .2,
 * ... (nfdump -R reads those too).
 */
static void open_slot(struct fp_flowdir *d, uint64_t slot_ms)
{
	d->slot_ms = slot_ms;
	d->open = 0;
	d->appending = 0;
	slot_paths(d, slot_ms);
	int rc = fp_make_dirs(d->dirpath);
	if (rc != 0) {
		warn(d, -rc, "cannot make the directory", d->dirpath);
		return;
	}
	if (lstat(d->final, &d->appended) == 0) {
		rc = S_ISREG(d->appended.st_mode)
			 ? fp_nffile_open_append(&d->f, d->tmp, d->final, d->ident, &d->opts)
			 : -EINVAL;
		if (rc == 0) {
			d->appending = 1;
			d->open = 1;
			fp_log(LOG_INFO, "--flow-dir: %s exists (an earlier run's): continued",
			       d->final);
			return;
		}
		if (rc != -EINVAL) {
			warn(d, -rc, "cannot continue", d->final);
			return;
		}
		fp_log(LOG_WARNING,
		       "--flow-dir: %s exists and is not a flow file this can continue: kept; "
		       "this run's flows go to a file beside it",
		       d->final);
	}
	rc = fp_nffile_open(&d->f, d->tmp, d->compress, d->ident, &d->opts);
	if (rc != 0) {
		warn(d, -rc, "cannot create", d->tmp);
		return;
	}
	d->open = 1;
}

/* The final name, never over another file: the slot's name when the file continued is still
 * the one it copied (else a suffix, as for a file nobody may replace). 0 or -errno. */
static int complete_name(struct fp_flowdir *d)
{
	struct stat now;
	if (d->appending && lstat(d->final, &now) == 0 && now.st_ino == d->appended.st_ino &&
	    now.st_dev == d->appended.st_dev && now.st_size == d->appended.st_size &&
	    now.st_mtim.tv_sec == d->appended.st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == d->appended.st_mtim.tv_nsec)
		return rename(d->tmp, d->final) == 0 ? 0 : -errno;
	size_t base = strlen(d->final);
	for (unsigned k = 1; k < 1000; k++) {
		if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->final, RENAME_NOREPLACE) == 0) {
			if (k > 1)
				fp_log(LOG_WARNING,
				       "--flow-dir: the slot's file was taken or could not be "
				       "continued: this run's flows are in %s",
				       d->final);
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
		snprintf(d->final + base, sizeof(d->final) - base, ".%u", k);
	}
	return -EEXIST;
}

/* Complete the current file: its last block, appendix and header, then its final name. */
static void close_slot(struct fp_flowdir *d)
{
	if (!d->open)
		return;
	d->open = 0;
	uint64_t n = d->f.records;
	int rc = fp_nffile_close(&d->f);
	if (rc == 0)
		rc = complete_name(d);

	if (rc != 0) {
		warn(d, -rc, "cannot write", d->final);
		unlink(d->tmp);
		fp_counter_add(&d->st.records_lost, n);
		return;
	}
	d->warned_errno = 0;
	fp_counter_add(&d->st.records, n);
	fp_counter_add(&d->st.files, 1);
	d->bytes_written += d->f.offset;
	fp_flowdir_expire(d);
}

static uint64_t slot_of(const struct fp_flowdir *d, uint64_t ms)
{
	uint64_t len = (uint64_t)d->rotate_s * 1000;
	return ms - ms % len;
}

static void flowdir_take(void *priv, const struct fp_record *r, const struct fp_side *side,
			 uint64_t clock_ms)
{
	struct fp_flowdir *d = priv;
	uint64_t slot = slot_of(d, clock_ms);
	if (!d->started || slot > d->slot_ms) {
		close_slot(d);
		open_slot(d, slot);
		d->started = 1;
	}
	if (!d->open || fp_nffile_add_side(&d->f, r, side, clock_ms) != 0) {
		if (d->open) {
			warn(d, d->f.err, "cannot write", d->tmp);
			/* the file is lost whole: what it held and this record */
			fp_counter_add(&d->st.records_lost, d->f.records);
			fp_nffile_close(&d->f);
			unlink(d->tmp);
			d->open = 0;
		}
		fp_counter_add(&d->st.records_lost, 1);
	}
}

/* Live, the wall clock completes a slot's file even when no record came in it. */
static void flowdir_tick(void *priv, uint64_t clock_ms, unsigned idle)
{
	struct fp_flowdir *d = priv;
	(void)idle;
	if (!d->live)
		return;
	uint64_t slot = slot_of(d, clock_ms);
	if (!d->started || slot > d->slot_ms) {
		close_slot(d);
		open_slot(d, slot);
		d->started = 1;
	}
}

static void flowdir_finish(void *priv, uint64_t clock_ms)
{
	struct fp_flowdir *d = priv;
	if (!d->started) /* nothing came: one (empty) file for the slot of the end */
		open_slot(d, slot_of(d, clock_ms));
	close_slot(d);
}

static void flowdir_reopen(void *priv)
{
	(void)priv; /* files are renamed when complete: nothing for logrotate to move */
}

static void flowdir_stats(const void *priv, struct fp_sink_stats *out)
{
	const struct fp_flowdir *d = priv;
	memset(out, 0, sizeof(*out));
	fp_counters_copy(out, &d->st, offsetof(struct fp_sink_stats, last_errno));
	out->last_errno = __atomic_load_n(&d->st.last_errno, __ATOMIC_RELAXED);
}

static const char *flowdir_target(const void *priv)
{
	return ((const struct fp_flowdir *)priv)->dir;
}

const struct fp_sink_ops fp_flowdir_ops = {
    .name = "flow-dir",
    .lost_what = "flow records",
    .lost_how = "not written to --flow-dir",
    .remedy = "free space on its file system or fix its permissions; the next slot's file is "
	      "tried each time",
    .take = flowdir_take,
    .tick = flowdir_tick,
    .reopen = flowdir_reopen,
    .finish = flowdir_finish,
    .stats = flowdir_stats,
    .target = flowdir_target,
};

int fp_flowdir_init(struct fp_flowdir *d, const struct fp_flowdir_config *c)
{
	char path[PATH_MAX];
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", c->dir);
	d->rotate_s = c->rotate_s;
	d->layout = c->layout;
	d->compress = c->compress;
	d->max_bytes = c->max_bytes;
	d->max_age_s = c->max_age_s;
	d->live = c->live;
	d->opts = c->opts;
	snprintf(d->ident, sizeof(d->ident), "%s", c->ident ? c->ident : "none");
	(void)path;
	return fp_output_dir("--flow-dir", c->dir, c->uid, c->gid);
}

/* The completed flow files under the directory (any layout): name time, size, path. */
struct kept {
	uint64_t t; /* YYYYMMDDhhmm as a number: orders like time */
	uint64_t bytes;
	uint64_t disk; /* blocks on disk, as nfexpire counts */
	char *path;
};
struct kept_list {
	struct kept *v;
	size_t n, cap;
	uint64_t bytes, disk;
};

static void scan(const char *dir, struct kept_list *l, int depth)
{
	DIR *dh = depth < 6 ? opendir(dir) : NULL;
	struct dirent *e;
	while (dh && (e = readdir(dh)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan(path, l, depth + 1);
			continue;
		}
		unsigned long long t;
		char end;
		/* nfcapd.YYYYMMDDhhmm, or with a suffix .N (a file beside one that stayed) */
		unsigned k;
		if (!S_ISREG(st.st_mode) || strncmp(e->d_name, "nfcapd.", 7) != 0 ||
		    strspn(e->d_name + 7, "0123456789") != 12 ||
		    (e->d_name[19] != '\0' &&
		     (sscanf(e->d_name + 19, ".%u%c", &k, &end) != 1 || e->d_name[20] == '+')) ||
		    sscanf(e->d_name, "nfcapd.%12llu", &t) != 1)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 256;
			struct kept *v = realloc(l->v, cap * sizeof(*v));
			if (v == NULL)
				break;
			l->v = v;
			l->cap = cap;
		}
		l->v[l->n++] = (struct kept){t, (uint64_t)st.st_size, (uint64_t)st.st_blocks * 512,
					     strdup(path)};
		l->bytes += (uint64_t)st.st_size;
		l->disk += (uint64_t)st.st_blocks * 512;
	}
	if (dh)
		closedir(dh);
}

static int by_time(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* The file time `s` seconds before the slot just completed, as YYYYMMDDhhmm. */
static uint64_t stamp_before(uint64_t slot_ms, uint64_t s)
{
	time_t t = (time_t)(slot_ms / 1000 - s);
	struct tm tm;
	char buf[16];
	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y%m%d%H%M", &tm);
	return strtoull(buf, NULL, 10);
}

/* YYYYMMDDhhmm (local time) to Unix seconds. */
static long long stamp_time(uint64_t stamp)
{
	struct tm tm = {.tm_isdst = -1};
	tm.tm_min = (int)(stamp % 100);
	tm.tm_hour = (int)(stamp / 100 % 100);
	tm.tm_mday = (int)(stamp / 10000 % 100);
	tm.tm_mon = (int)(stamp / 1000000 % 100) - 1;
	tm.tm_year = (int)(stamp / 100000000) - 1900;
	return (long long)mktime(&tm);
}

/* nfexpire keeps its view of a directory in .nfstat (key=value lines); where one exists, the
 * files, first, last and size are set to what the directory now holds, its limits kept. */
static void update_nfstat(const struct fp_flowdir *d, const struct kept_list *l)
{
	char path[PATH_MAX], tmp[PATH_MAX], line[256];
	snprintf(path, sizeof(path), "%s/.nfstat", d->dir);
	FILE *in = fopen(path, "r");
	if (in == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s/.nfstat.fluxprobe", d->dir);
	FILE *out = fopen(tmp, "w");
	/* what nfexpire -r writes, in its order: ours replace the directory's figures, the limits
	 * (maxsize, lifetime, watermark) stay as nfexpire -u set them */
	static const char *const keys[] = {"first",    "last",	   "size",	"maxsize",
					   "numfiles", "lifetime", "watermark", "status"};
	char vals[8][64] = {"", "", "", "0", "", "0", "0", "0"};
	while (fgets(line, sizeof(line), in))
		for (int k = 0; k < 8; k++) {
			size_t n = strlen(keys[k]);
			if (strncmp(line, keys[k], n) == 0 && line[n] == '=')
				snprintf(vals[k], sizeof(vals[k]), "%.*s",
					 (int)strcspn(line + n + 1, "\n"), line + n + 1);
		}
	fclose(in);
	snprintf(vals[0], sizeof(vals[0]), "%lld", l->n ? stamp_time(l->v[0].t) : 0);
	snprintf(vals[1], sizeof(vals[1]), "%lld", l->n ? stamp_time(l->v[l->n - 1].t) : 0);
	snprintf(vals[2], sizeof(vals[2]), "%llu", (unsigned long long)l->disk);
	snprintf(vals[4], sizeof(vals[4]), "%zu", l->n);
	for (int k = 0; out && k < 8; k++)
		fprintf(out, "%s=%s\n", keys[k], vals[k]);
	if (out && fclose(out) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

/* The sub-directories a removed file leaves empty (nfcapd -S layouts), up to `top` itself. */
static void remove_empty_parents(const char *top, const char *file)
{
	char p[PATH_MAX];
	size_t tl = strlen(top);
	snprintf(p, sizeof(p), "%s", file);
	for (char *slash = strrchr(p, '/'); slash && (size_t)(slash - p) > tl;
	     slash = strrchr(p, '/')) {
		*slash = '\0';
		if (rmdir(p) != 0)
			break; /* not empty (or not ours to remove): the rest above is not either */
	}
}

void fp_flowdir_expire(struct fp_flowdir *d)
{
	char nfstat[PATH_MAX];
	snprintf(nfstat, sizeof(nfstat), "%s/.nfstat", d->dir);
	if (!d->max_bytes && !d->max_age_s && access(nfstat, F_OK) != 0)
		return;
	struct kept_list l = {0};
	scan(d->dir, &l, 0);
	qsort(l.v, l.n, sizeof(*l.v), by_time);
	uint64_t oldest_kept = d->max_age_s ? stamp_before(d->slot_ms, d->max_age_s) : 0;
	uint64_t removed = 0, removed_bytes = 0;
	/* oldest first; the newest file always stays */
	for (size_t i = 0; i + 1 < l.n; i++) {
		int too_big = d->max_bytes && l.bytes > d->max_bytes;
		int too_old = d->max_age_s && l.v[i].t < oldest_kept;
		if (!too_big && !too_old)
			break;
		if (unlink(l.v[i].path) != 0)
			continue;
		remove_empty_parents(d->dir, l.v[i].path);
		l.bytes -= l.v[i].bytes;
		l.disk -= l.v[i].disk;
		l.v[i].t = 0; /* gone */
		removed++;
		removed_bytes += l.v[i].bytes;
	}
	size_t left = 0;
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].path);
		if (l.v[i].t)
			l.v[left++] = l.v[i];
	}
	l.n = left;
	update_nfstat(d, &l);
	free(l.v);
	if (removed) {
		char gone[32], kept[32];
		fp_counter_add(&d->st.files_removed, removed);
		fp_log(LOG_NOTICE,
		       "--flow-dir: removed the %lu oldest file%s (%s) to stay within "
		       "--flow-dir-max / --flow-dir-max-age; %s kept",
		       (unsigned long)removed, removed == 1 ? "" : "s",
		       fp_log_size(gone, sizeof(gone), removed_bytes),
		       fp_log_size(kept, sizeof(kept), l.bytes));
	}
}

/* --flow-dir as a sink module (sink.h) */
static int flowdir_wanted(const struct fp_config *cfg)
{
	return cfg->flow_dir != NULL;
}

static int flowdir_open(const struct fp_config *cfg, const struct fp_sink_env *env,
			struct fp_sink *out)
{
	struct fp_flowdir_config fc = {
	    .dir = cfg->flow_dir,
	    .rotate_s = cfg->rotate_s,
	    .layout = cfg->subdir_layout,
	    .ident = cfg->ident,
	    .compress = (enum fp_nf_compress)cfg->compress,
	    .max_bytes = cfg->flow_dir_max,
	    .max_age_s = cfg->flow_dir_max_age_s,
	    .live = cfg->read_file == NULL,
	    .opts = {.biflow = cfg->biflow,
		     .fields = fp_config_groups(cfg),
		     .sampling = cfg->sample_n},
	    .uid = env->uid,
	    .gid = env->gid,
	};
	struct fp_flowdir *d = calloc(1, sizeof(*d));
	if (d == NULL || fp_flowdir_init(d, &fc) != 0) {
		free(d);
		return -1;
	}
	*out = (struct fp_sink){&fp_flowdir_ops, d, &fp_flowdir_module};
	return 0;
}

const struct fp_sink_module fp_flowdir_module = {
    .name = "flow-dir",
    .wanted = flowdir_wanted,
    .open = flowdir_open,
    .close = free, /* the exporter's finish completed the last file */
};
