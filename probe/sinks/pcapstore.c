/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --pcap-dir: a bounded packet store beside the flows, as nfpcapd -p keeps one, indexed by flow.
 *
 * The packet path never waits for the disk. A worker copies each accounted packet (its first
 * --pcap-snaplen bytes) with its pcap record header into its own byte ring, exactly as the
 * record will lie in the file; one writer thread drains every ring with writev() straight from
 * the ring's memory (megabytes per call), so the worker's cost is one copy and the disk sees
 * large sequential writes. Live, a packet that finds the ring full is counted (not_stored
 * "buffer") and flows are unaffected; --read waits for room instead, as it waits for the
 * exporter: a file can wait.
 *
 * A classic pcap file (--read, lib/fp_pcapfile) is taken by record instead: its packets are on
 * disk already, so the worker copies nothing and only sets a bit per record it accounted; the
 * writer reads the file again with a reader of its own and puts the marked records into the
 * ring itself (pcapstore.h). The packets' bytes then stay out of the worker's cache and off the
 * path between the two cores, which was most of the copy's cost (bench/RESULTS.md).
 *
 * Files: one per worker per --rotate slot, named pcap.YYYYMMDDhhmm.W after the slot's start
 * (local time, the flow files' clock: packet time for --read, the wall clock live, where a file
 * is completed when its slot ends), written as NAME.current.PID and renamed when complete, its
 * index (fp_pcapidx.h) written beside it as NAME.idx. A slot never goes back: a packet stamped
 * before the open file's slot goes into it. A slot's file holds at most FP_PSTORE_PART_PACKETS
 * packets (the index being built costs 12 bytes a packet); more go on in NAME.1, NAME.2...
 * A file cut by SIGKILL ends on a record boundary (writes are whole records) and keeps its
 * .current name; the next start renames it (without an index: extract scans it).
 *
 * A write that fails (disk full) is undone to the last whole record, counted (not_stored
 * "disk"), logged once per cause, and tried again a second later; --pcap-dir-max first removes
 * the oldest files to make room. Flow accounting never depends on the store.
 */
#include "pcapstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "flowdir.h"
#include "fp_counters.h"
#include "fp_pcapfile.h"
#include "log.h"

#define DRAIN_MAX (4u << 20)  /* bytes taken from one queue per pass */
#define SNAP_WHOLE 262144     /* the file header's snap length when packets are kept whole */
#define BITS_WORDS (1u << 14) /* by record: the writer may be 1M records behind the worker */

/* The writer's state of one worker's files. */
struct wfile {
	int fd; /* -1: no file open */
	uint64_t slot_ms, min_slot;
	unsigned part;
	uint64_t size; /* bytes written whole */
	uint64_t done_slot;
	unsigned done_part;
	int done_any;
	uint64_t retry_ms; /* after a failure: no attempt before this wall-clock time */
	int warned_errno;
	char final[PATH_MAX], tmp[PATH_MAX];
	struct fp_pcapidx_builder idx;
};

struct fp_pstore {
	char dir[PATH_MAX / 2];
	uint32_t rotate_s, snaplen;
	uint64_t max_bytes, buffer_bytes;
	uint16_t seed;
	int decap, live;
	char *filter; /* --pcap-filter, compiled for each worker's link type */
	struct fp_pstore_q *q[FP_MAX_WORKERS];
	struct wfile f[FP_MAX_WORKERS];
	unsigned nq;
	pthread_t thread;
	int started, stopping;
	uint8_t scratch[SNAP_WHOLE + 16];
};

const char *fp_pstore_dir(const struct fp_pstore *s)
{
	return s->dir;
}

void fp_pstore_name(uint32_t rotate_s, unsigned w, uint64_t ms, char *out, size_t len)
{
	uint64_t slot = ms - ms % ((uint64_t)rotate_s * 1000);
	time_t t = (time_t)(slot / 1000);
	struct tm tm;
	char stamp[32];
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M", &tm);
	snprintf(out, len, "pcap.%s.%u", stamp, w);
}

int fp_pstore_parse_name(const char *name, uint64_t *stamp, unsigned *w, unsigned *part,
			 int *current)
{
	unsigned long long st;
	int digits = 0, n = 0;
	*part = 0;
	*current = 0;
	if (strncmp(name, "pcap.", 5) != 0 || strspn(name + 5, "0123456789") != 12 ||
	    name[17] != '.' || name[18] < '0' || name[18] > '9' ||
	    sscanf(name, "pcap.%12llu%n.%u%n", &st, &digits, w, &n) != 2 || digits != 17)
		return 0;
	const char *p = name + n;
	if (p[0] == '.' && p[1] >= '0' && p[1] <= '9') {
		int m = 0;
		if (sscanf(p, ".%u%n", part, &m) != 1)
			return 0;
		p += m;
	}
	if (strncmp(p, ".current.", 9) == 0) {
		p += 9;
		while (*p >= '0' && *p <= '9')
			p++;
		*current = 1;
	}
	*stamp = st;
	return *p == '\0';
}

/* ------------------------------------------------------------------ worker side */

static void ring_in(const struct fp_pstore_q *q, uint64_t at, const void *src, uint32_t n)
{
	uint64_t i = at & q->mask, first = q->mask + 1 - i;
	if (n <= first) {
		memcpy(q->buf + i, src, n);
		return;
	}
	memcpy(q->buf + i, src, first);
	memcpy(q->buf, (const uint8_t *)src + first, n - first);
}

/* --pcap-filter: 0 when the packet is not to be kept (counted in `filtered`, a counter of
 * whoever puts the packet: the worker, or the writer by record). */
static int matches(const struct fp_pstore_q *q, uint64_t *filtered, const uint8_t *data,
		   uint32_t caplen, uint32_t wirelen)
{
	if (q->filter) {
		struct pcap_pkthdr ph = {.caplen = caplen, .len = wirelen};
		if (!pcap_offline_filter(q->filter, &ph, data)) {
			fp_counter_add(filtered, 1);
			return 0;
		}
	}
	return 1;
}

/* The record (`cl` bytes kept) at `*next` (the worker's `next`, or the writer's `rec_next` by
 * record), where there is room for it. */
static void ring_append(const struct fp_pstore_q *q, uint64_t *next, const uint8_t *data,
			uint32_t cl, uint32_t wirelen, uint64_t ts_ns)
{
	uint64_t sec = ts_ns / 1000000000u, sub = ts_ns % 1000000000u;
	uint32_t s32 = (uint32_t)sec, u32 = (uint32_t)(q->nano ? sub : sub / 1000);
	uint64_t at = *next & q->mask;
	if (__builtin_expect(at + 16 + cl <= q->mask + 1, 1)) {
		/* The header goes from registers straight into the ring. Copied from an array on
		 * the stack, it was read back as one 16-byte load from narrower stores, which
		 * cannot be forwarded: the load waited for every older store to reach the cache,
		 * the ring's writes to lines still on their way from memory included (perf: that
		 * load and the store after it held most of this function's samples). */
		uint8_t *d = q->buf + at;
		memcpy(d, &s32, 4);
		memcpy(d + 4, &u32, 4);
		memcpy(d + 8, &cl, 4);
		memcpy(d + 12, &wirelen, 4);
		memcpy(d + 16, data, cl);
	} else {
		uint32_t h[4] = {s32, u32, cl, wirelen};
		ring_in(q, *next, h, sizeof(h));
		ring_in(q, *next + sizeof(h), data, cl);
	}
	*next += 16 + (uint64_t)cl;
}

void fp_pstore_put(struct fp_pstore_q *q, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		   uint64_t ts_ns)
{
	if (!matches(q, &q->filtered, data, caplen, wirelen))
		return;
	uint32_t cl = caplen < q->snaplen ? caplen : q->snaplen;
	uint64_t need = 16 + (uint64_t)cl, size = q->mask + 1;
	if (size - (q->next - q->tail_seen) < need) {
		q->tail_seen = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
		if (size - (q->next - q->tail_seen) < need)
			fp_pstore_publish(q); /* what is there, before waiting or dropping */
		while (size - (q->next - q->tail_seen) < need) {
			if (!q->offline) {
				fp_counter_add(&q->not_stored_buffer, 1);
				return;
			}
			fp_counter_add(&q->waits, 1);
			struct timespec nap = {0, 50000};
			nanosleep(&nap, NULL);
			q->tail_seen = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
		}
	}
	ring_append(q, &q->next, data, cl, wirelen, ts_ns);
	/* the lines a few packets ahead, for writing: their misses overlap this burst's work
	 * instead of stalling the next copies (measured: the stores into cold ring lines were
	 * most of the store's cost per packet) */
	__builtin_prefetch(q->buf + ((q->next + 512) & q->mask), 1);
	__builtin_prefetch(q->buf + ((q->next + 576) & q->mask), 1);
}

/* By record: the word being built is complete (record `rec` lies past it); the words between
 * hold no kept record. A word is written only where the writer has taken every record of the
 * word it replaces; until then the worker waits (a file can wait), after handing the writer
 * every record before the word, and then until a quarter of the ring is free: a worker that
 * woke for every word freed would make a system call every few hundred packets. */
void fp_pstore_keep_next_word(struct fp_pstore_q *q, uint64_t rec)
{
	uint64_t i = rec >> 6, quarter = (q->bits_mask + 1) / 4;
	__atomic_store_n(&q->bits[q->bit_idx & q->bits_mask], q->bit_word, __ATOMIC_RELAXED);
	for (uint64_t j = q->bit_idx + 1; j <= i; j++) {
		if (j - (q->rec_tail_seen >> 6) > q->bits_mask) {
			q->rec_tail_seen = __atomic_load_n(&q->tail_rec, __ATOMIC_ACQUIRE);
			if (j - (q->rec_tail_seen >> 6) > q->bits_mask)
				__atomic_store_n(&q->head_rec, j << 6, __ATOMIC_RELEASE);
			while (j + quarter - (q->rec_tail_seen >> 6) > q->bits_mask) {
				fp_counter_add(&q->waits, 1);
				struct timespec nap = {0, 500000};
				nanosleep(&nap, NULL);
				q->rec_tail_seen = __atomic_load_n(&q->tail_rec, __ATOMIC_ACQUIRE);
			}
		}
		if (j < i)
			__atomic_store_n(&q->bits[j & q->bits_mask], 0, __ATOMIC_RELAXED);
	}
	q->bit_idx = i;
	q->bit_word = 0;
}

void fp_pstore_publish_rec(struct fp_pstore_q *q, uint64_t rec_next)
{
	if (rec_next == 0 || rec_next == q->head_rec)
		return;
	uint64_t last = (rec_next - 1) >> 6;
	if (last != q->bit_idx)
		fp_pstore_keep_next_word(q, last << 6);
	__atomic_store_n(&q->bits[q->bit_idx & q->bits_mask], q->bit_word, __ATOMIC_RELAXED);
	__atomic_store_n(&q->head_rec, rec_next, __ATOMIC_RELEASE);
}

void fp_pstore_stats_read(const struct fp_pstore_q *q, struct fp_pstore_stats *out)
{
	fp_counters_copy(out, &q->st, sizeof(*out));
	out->not_stored[FP_PSTORE_LOSS_BUFFER] =
	    __atomic_load_n(&q->not_stored_buffer, __ATOMIC_RELAXED);
	out->filtered = __atomic_load_n(&q->filtered, __ATOMIC_RELAXED) +
			__atomic_load_n(&q->rec_filtered, __ATOMIC_RELAXED);
	out->waits = __atomic_load_n(&q->waits, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ the directory */

struct kept {
	uint64_t stamp;
	unsigned w, part;
	uint64_t bytes;
	char name[64];
};

static int kept_order(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;
	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	if (x->w != y->w)
		return x->w < y->w ? -1 : 1;
	return (x->part > y->part) - (x->part < y->part);
}

static uint64_t disk_bytes(const char *dir, const char *name, const char *suffix)
{
	char path[PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* --pcap-dir-max: remove the oldest completed files (and their indexes) until the directory
 * holds no more, never those of the newest slot: the limit is passed by at most the files
 * being written and the newest slot's. Writer thread. */
static void expire(struct fp_pstore *s)
{
	DIR *d = opendir(s->dir);
	struct kept *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0, newest = 0;
	if (d == NULL)
		return;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		struct kept k;
		int cur;
		if (!fp_pstore_parse_name(e->d_name, &k.stamp, &k.w, &k.part, &cur) || cur ||
		    strlen(e->d_name) >= sizeof(k.name))
			continue;
		if (n == cap) {
			struct kept *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (nv == NULL)
				break;
			v = nv;
		}
		snprintf(k.name, sizeof(k.name), "%s", e->d_name);
		k.bytes = disk_bytes(s->dir, k.name, "") + disk_bytes(s->dir, k.name, ".idx");
		total += k.bytes;
		newest = k.stamp > newest ? k.stamp : newest;
		v[n++] = k;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), kept_order);
	for (size_t i = 0; i < n && total > s->max_bytes && v[i].stamp < newest; i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/%s", s->dir, v[i].name);
		if (unlink(path) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s.idx", s->dir, v[i].name);
		unlink(path);
		total -= v[i].bytes;
		struct fp_pstore_q *q = s->q[v[i].w < s->nq ? v[i].w : 0];
		if (q)
			fp_counter_add(&q->st.files_removed, 1);
		char size[32];
		fp_log(LOG_INFO, "--pcap-dir-max: removed %s/%s (%s, the oldest)", s->dir,
		       v[i].name, fp_log_size(size, sizeof(size), v[i].bytes));
	}
	free(v);
}

/* Files a killed run left as NAME.current.PID: renamed to NAME (no index: extract scans). */
static void recover(struct fp_pstore *s)
{
	DIR *d = opendir(s->dir);
	if (d == NULL)
		return;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		uint64_t stamp;
		unsigned w, part;
		int cur;
		if (!fp_pstore_parse_name(e->d_name, &stamp, &w, &part, &cur) || !cur)
			continue;
		const char *dot = strstr(e->d_name, ".current.");
		long pid = strtol(dot + 9, NULL, 10);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue; /* its writer still runs */
		char from[PATH_MAX + 300], to[PATH_MAX + 300];
		snprintf(from, sizeof(from), "%s/%s", s->dir, e->d_name);
		snprintf(to, sizeof(to), "%s/%.*s", s->dir, (int)(dot - e->d_name), e->d_name);
		if (access(to, F_OK) == 0 || rename(from, to) != 0)
			continue;
		fp_log(
		    LOG_WARNING,
		    "--pcap-dir: %s was left by a run that did not end (killed?): renamed to %s, "
		    "not indexed (fluxprobe extract scans it)",
		    from, to);
	}
	closedir(d);
}

/* ------------------------------------------------------------------ the writer */

/* Say what failed, once per cause, and what follows from it (the counters carry the rest). */
static int last_errno; /* the cause of the last failure, for the LOSS line (any thread) */

int fp_pstore_last_errno(void)
{
	return __atomic_load_n(&last_errno, __ATOMIC_RELAXED);
}

static void warn(struct wfile *f, int err, const char *what, const char *path, const char *then)
{
	__atomic_store_n(&last_errno, err, __ATOMIC_RELAXED);
	if (f->warned_errno == err)
		return;
	f->warned_errno = err;
	fp_log(LOG_ERR, "--pcap-dir: %s %s: %s; %s; flows are not affected", what, path,
	       strerror(err), then);
}

#define LOST_RETRY "packets are counted as not stored and the store tries again each second"

static uint64_t slot_of(const struct fp_pstore *s, uint64_t ms)
{
	return ms - ms % ((uint64_t)s->rotate_s * 1000);
}

static int open_file(struct fp_pstore *s, struct fp_pstore_q *q, struct wfile *f, uint64_t slot)
{
	char base[64];
	fp_pstore_name(s->rotate_s, q->worker, slot, base, sizeof(base));
	f->part = f->done_any && f->done_slot == slot ? f->done_part + 1 : 0;
	char path[sizeof(f->final)];
	for (;; f->part++) { /* a file another run left for this slot stays */
		if (f->part)
			snprintf(path, sizeof(path), "%s/%s.%u", s->dir, base, f->part);
		else
			snprintf(path, sizeof(path), "%s/%s", s->dir, base);
		if (access(path, F_OK) != 0)
			break;
	}
	memcpy(f->final, path, sizeof(path));
	char tmp[sizeof(f->tmp)];
	snprintf(tmp, sizeof(tmp), "%.*s.current.%d", (int)(sizeof(path) - 40), path,
		 (int)getpid());
	memcpy(f->tmp, tmp, sizeof(tmp));
	f->slot_ms = slot;
	f->size = 0;
	fp_pcapidx_builder_reset(&f->idx);
	int fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	uint32_t h[6] = {q->nano ? 0xa1b23c4du : 0xa1b2c3d4u,  2 | 4u << 16, 0, 0,
			 s->snaplen ? s->snaplen : SNAP_WHOLE, q->linktype};
	if (fd < 0 || write(fd, h, sizeof(h)) != (ssize_t)sizeof(h)) {
		int err = fd < 0 ? errno : errno ? errno : ENOSPC;
		if (fd >= 0) {
			close(fd);
			unlink(f->tmp);
		}
		warn(f, err, "cannot create", f->tmp, LOST_RETRY);
		return -1;
	}
	f->fd = fd;
	f->size = sizeof(h);
	return 0;
}

/* Complete the open file: its final name, then its index. */
static void complete(struct fp_pstore *s, struct fp_pstore_q *q, struct wfile *f)
{
	if (f->fd < 0)
		return;
	int rc = close(f->fd) == 0 ? 0 : -errno;
	f->fd = -1;
	/* never over a file that came meanwhile (another run into the same directory): the next
	 * free part's name instead */
	size_t base = strlen(f->final);
	if (f->part) /* the name ends in .PART already: replace it */
		base = (size_t)(strrchr(f->final, '.') - f->final);
	for (unsigned part = f->part; rc == 0; part++) {
		if (part != f->part)
			snprintf(f->final + base, sizeof(f->final) - base, ".%u", part);
		if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->final, RENAME_NOREPLACE) == 0) {
			f->part = part;
			break;
		}
		if (errno != EEXIST || part > f->part + 1000)
			rc = -errno;
	}
	if (rc != 0) {
		warn(f, -rc, "cannot complete", f->final,
		     "its packets stay under the temporary name, not indexed (extract scans it)");
		return;
	}
	f->done_any = 1;
	f->done_slot = f->slot_ms;
	f->done_part = f->part;
	fp_counter_add(&q->st.files, 1);
	char idx[PATH_MAX + 8];
	snprintf(idx, sizeof(idx), "%s.idx", f->final);
	rc = fp_pcapidx_builder_write(&f->idx, idx, q->linktype, s->seed, s->decap, f->size);
	if (rc != 0)
		warn(f, -rc, "cannot write the index", idx,
		     "the file stays, not indexed (extract scans it)");
	if (s->max_bytes)
		expire(s);
}

/* The records [from, to) of the ring into the file, or counted as not stored. */
static void flush_span(struct fp_pstore *s, struct fp_pstore_q *q, struct wfile *f, uint64_t from,
		       uint64_t to, uint64_t pkts, uint64_t idx_mark, uint64_t now_ms)
{
	if (pkts == 0)
		return;
	uint64_t len = to - from, done = 0;
	int err = f->fd < 0 ? EIO : 0;
	while (!err && done < len) { /* one call, or two pieces where the ring wraps */
		uint64_t at = (from + done) & q->mask, left = len - done, first = q->mask + 1 - at;
		struct iovec v[2] = {{q->buf + at, left < first ? left : first},
				     {q->buf, left < first ? 0 : left - first}};
		ssize_t w = writev(f->fd, v, v[1].iov_len ? 2 : 1);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			err = w < 0 ? errno : ENOSPC;
		else
			done += (uint64_t)w;
	}
	if (!err) {
		f->size += len;
		fp_counter_add(&q->st.packets, pkts);
		fp_counter_add(&q->st.bytes, len);
		f->warned_errno = 0;
		return;
	}
	fp_pcapidx_builder_truncate(&f->idx, idx_mark);
	fp_counter_add(&q->st.not_stored[FP_PSTORE_LOSS_DISK], pkts);
	if (f->fd < 0)
		return;
	/* back to the last whole record, so the file stays readable */
	if (done && ftruncate(f->fd, (off_t)f->size) != 0)
		err = errno;
	lseek(f->fd, (off_t)f->size, SEEK_SET);
	warn(f, err, "cannot write", f->tmp, LOST_RETRY);
	f->retry_ms = now_ms + 1000;
	if (s->max_bytes)
		expire(s);
}

static void ring_out(const struct fp_pstore_q *q, uint64_t at, void *dst, uint32_t n)
{
	uint64_t i = at & q->mask, first = q->mask + 1 - i;
	if (n <= first) {
		memcpy(dst, q->buf + i, n);
		return;
	}
	memcpy(dst, q->buf + i, first);
	memcpy((uint8_t *)dst + first, q->buf, n - first);
}

/* Packets waiting to enter the index together (fp_pcapidx_builder_add_burst). */
struct pending {
	struct fp_flow_key k[FP_PCAPIDX_BURST];
	uint64_t off[FP_PCAPIDX_BURST], ts[FP_PCAPIDX_BURST];
	unsigned n;
};

static void index_flush(struct fp_pstore_q *q, struct wfile *f, struct pending *p)
{
	unsigned failed = fp_pcapidx_builder_add_burst(&f->idx, p->k, p->off, p->ts, p->n);
	if (failed)
		fp_counter_add(&q->st.not_indexed, failed);
	p->n = 0;
}

/* The packet's flow key for the index (its bytes copied out only where they wrap). */
static void index_packet(struct fp_pstore *s, struct fp_pstore_q *q, struct wfile *f,
			 struct pending *p, uint64_t at, const uint32_t hdr[4], uint64_t off,
			 uint64_t ts_ns)
{
	uint64_t i = (at + 16) & q->mask;
	const uint8_t *data = q->buf + i;
	if (i + hdr[2] > q->mask + 1) {
		ring_out(q, at + 16, s->scratch, hdr[2]);
		data = s->scratch;
	}
	if (fp_pcapidx_packet_key((enum fp_link)q->linktype, s->decap, data, hdr[2], hdr[3],
				  &p->k[p->n]) != 0) {
		fp_counter_add(&q->st.not_indexed, 1);
		return;
	}
	p->off[p->n] = off;
	p->ts[p->n] = ts_ns;
	if (++p->n == FP_PCAPIDX_BURST)
		index_flush(q, f, p);
}

/* By record: the records the worker has marked, read again from the file, the kept ones put
 * into the queue's ring as fp_pstore_put would have (up to DRAIN_MAX bytes a pass). Returns the
 * records read. */
static uint64_t take_records(struct fp_pstore_q *q)
{
	uint64_t head = __atomic_load_n(&q->head_rec, __ATOMIC_ACQUIRE), rec = q->tail_rec;
	uint64_t size = q->mask + 1;
	while (rec < head && q->rec_next - q->tail < DRAIN_MAX &&
	       size - (q->rec_next - q->tail) >= 16 + (uint64_t)SNAP_WHOLE) {
		uint64_t word =
		    __atomic_load_n(&q->bits[(rec >> 6) & q->bits_mask], __ATOMIC_RELAXED);
		struct fp_pcapfile_rec r;
		int rc = q->rd_failed ? 0 : fp_pcapfile_next(q->rd, &r);
		if (rc != 1 && !q->rd_failed) { /* the file changed after the worker read it */
			fp_log(
			    LOG_ERR,
			    "--pcap-dir: worker %u: cannot read the capture again (%s): the rest "
			    "of its packets are not stored (flows are not affected)",
			    q->worker, rc < 0 ? fp_pcapfile_error(q->rd) : "it is shorter now");
			q->rd_failed = 1;
		}
		if (word >> (rec & 63) & 1) {
			if (rc != 1)
				fp_counter_add(&q->st.not_stored[FP_PSTORE_LOSS_DISK], 1);
			else if (matches(q, &q->rec_filtered, r.data, r.caplen, r.len))
				ring_append(q, &q->rec_next, r.data,
					    r.caplen < q->snaplen ? r.caplen : q->snaplen, r.len,
					    r.ts_ns);
		}
		rec++;
	}
	uint64_t n = rec - q->tail_rec;
	__atomic_store_n(&q->head, q->rec_next, __ATOMIC_RELAXED); /* the writer's own: drain() */
	__atomic_store_n(&q->tail_rec, rec, __ATOMIC_RELEASE);
	return n;
}

/* One pass over a worker's queue: up to DRAIN_MAX bytes of records into its files. Returns the
 * records taken. */
static uint64_t drain(struct fp_pstore *s, struct fp_pstore_q *q, uint64_t now_ms)
{
	struct wfile *f = &s->f[q->worker];
	uint64_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE), pos = q->tail;
	uint64_t span = pos, span_pkts = 0, mark = f->idx.npkts, taken = 0;
	struct pending pend;
	pend.n = 0;
	while (pos < head) {
		uint32_t hdr[4];
		ring_out(q, pos, hdr, sizeof(hdr));
		uint64_t len = 16 + (uint64_t)hdr[2];
		if (pos + len - q->tail > DRAIN_MAX && pos > q->tail)
			break;
		uint64_t ts_ns = hdr[0] * 1000000000ull + (q->nano ? hdr[1] : hdr[1] * 1000ull);
		uint64_t slot = slot_of(s, ts_ns / 1000000);
		slot = slot < f->min_slot ? f->min_slot : slot;
		f->min_slot = slot;
		int rotate =
		    f->fd >= 0 && (slot > f->slot_ms || f->idx.npkts >= FP_PSTORE_PART_PACKETS);
		if (rotate || (f->fd < 0 && now_ms >= f->retry_ms)) {
			index_flush(q, f, &pend);
			flush_span(s, q, f, span, pos, span_pkts, mark, now_ms);
			span = pos;
			span_pkts = 0;
			complete(s, q, f);
			if (open_file(s, q, f, slot) != 0)
				f->retry_ms = now_ms + 1000;
			mark = f->idx.npkts;
		}
		if (f->fd >= 0)
			index_packet(s, q, f, &pend, pos, hdr, f->size + (pos - span), ts_ns);
		pos += len;
		span_pkts++;
		taken++;
	}
	index_flush(q, f, &pend);
	flush_span(s, q, f, span, pos, span_pkts, mark, now_ms);
	__atomic_store_n(&q->tail, pos, __ATOMIC_RELEASE);
	return taken;
}

static void *writer_main(void *arg)
{
	struct fp_pstore *s = arg;
	for (;;) {
		int stopping = __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE);
		uint64_t now = fp_wall_ms(), got = 0;
		for (unsigned i = 0; i < s->nq; i++) {
			if (s->q[i]->by_record)
				got += take_records(s->q[i]);
			got += drain(s, s->q[i], now);
		}
		if (got)
			continue;
		if (stopping) /* the workers had stopped before this pass found nothing */
			break;
		for (unsigned i = 0; s->live && i < s->nq; i++) {
			struct wfile *f = &s->f[i];
			uint64_t slot = slot_of(s, now);
			if (f->fd >= 0 &&
			    slot > f->slot_ms) { /* the slot ended on the wall clock */
				complete(s, s->q[i], f);
				f->min_slot = slot;
			}
		}
		usleep(1000);
	}
	for (unsigned i = 0; i < s->nq; i++)
		complete(s, s->q[i], &s->f[i]);
	return NULL;
}

/* ------------------------------------------------------------------ set-up */

struct fp_pstore *fp_pstore_open(const struct fp_pstore_config *c)
{
	struct fp_pstore *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (strlen(c->dir) >= sizeof(s->dir)) {
		fp_log(LOG_ERR, "--pcap-dir %s: the path is too long", c->dir);
		free(s);
		return NULL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", c->dir);
	s->rotate_s = c->rotate_s;
	s->snaplen = c->snaplen;
	s->max_bytes = c->max_bytes;
	s->buffer_bytes = c->buffer_bytes;
	s->seed = c->cid_seed;
	s->decap = c->decap;
	s->live = c->live;
	for (unsigned i = 0; i < FP_MAX_WORKERS; i++)
		s->f[i].fd = -1;
	if (fp_output_dir("--pcap-dir", s->dir, c->uid, c->gid) != 0) {
		free(s);
		return NULL;
	}
	if (c->filter && (s->filter = strdup(c->filter)) == NULL) {
		free(s);
		return NULL;
	}
	recover(s);
	return s;
}

/*
 * A queue's ring (a power of two of bytes), in 2 MiB pages where the kernel has them. The
 * worker writes its ring sequentially, a new 4 KiB page every ~50 small packets; with 4 KiB pages
 * each is a TLB miss, and on a guest without PCID every system call (libpcap's reads, a live
 * capture's polls) empties the TLB as well. Measured on 2M 64-byte packets copied from pcapng at
 * 10k flows: the worker's added cost fell from ~70 to ~30 ns per packet (bench/RESULTS.md,
 * thirteenth session). The memory is aligned to 2 MiB and written once now, not on the packet
 * path. NULL when it cannot be had.
 */
static uint8_t *ring_alloc(uint64_t size)
{
	const uint64_t huge = 2u << 20;
	uint64_t extra = size >= huge ? huge : 0;
	uint8_t *m =
	    mmap(NULL, size + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	uint8_t *p = m;
	if (extra) { /* keep the aligned part only */
		p = (uint8_t *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
		if (p > m)
			munmap(m, (size_t)(p - m));
		if (p + size < m + size + extra)
			munmap(p + size, (size_t)(m + size + extra - (p + size)));
		madvise(p, size, MADV_HUGEPAGE); /* a hint: 4 KiB pages still work */
	}
	memset(p, 0, size);
	return p;
}

/* A queue's ring and, by record, its reader and bits (not its filter). */
static void queue_free(struct fp_pstore_q *q)
{
	munmap(q->buf, q->mask + 1);
	if (q->by_record) {
		fp_pcapfile_close(q->rd);
		close(q->rd_fd);
		free(q->bits);
	}
	free(q);
}

/* By record (pcapstore.h): the bits, the writer's reader of the file on its own descriptor, and a
 * ring that only has to hold what the writer drains in one pass (at most `size`, the
 * --pcap-buffer ring). 0, or -1 when the file cannot be read a second time (nothing kept). */
static int queue_by_record(struct fp_pstore_q *q, int fd, uint64_t size)
{
	uint64_t small = 1;
	while (small < 4 * (DRAIN_MAX + 16 + (uint64_t)SNAP_WHOLE))
		small <<= 1;
	size = small < size ? small : size;
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	struct fp_pcapfile *rd = NULL;
	uint64_t *bits = aligned_alloc(64, BITS_WORDS * sizeof(uint64_t));
	uint8_t *buf = ring_alloc(size);
	if (d < 0 || bits == NULL || buf == NULL || fp_pcapfile_open(d, &rd) != 1) {
		if (d >= 0)
			close(d);
		free(bits);
		if (buf != NULL)
			munmap(buf, size);
		return -1;
	}
	memset(bits, 0, BITS_WORDS * sizeof(uint64_t));
	q->buf = buf;
	q->mask = size - 1;
	q->bits = bits;
	q->bits_mask = BITS_WORDS - 1;
	q->rd = rd;
	q->rd_fd = d;
	q->by_record = 1;
	return 0;
}

struct fp_pstore_q *fp_pstore_queue(struct fp_pstore *s, unsigned w, uint32_t linktype, int nano,
				    int offline, int rec_fd)
{
	const char *filter = s->filter;
	uint64_t size = 1;
	while (size < s->buffer_bytes)
		size <<= 1;
	struct fp_pstore_q *q = aligned_alloc(64, sizeof(*q));
	if (q == NULL)
		return NULL;
	memset(q, 0, sizeof(*q));
	if (rec_fd >= 0 && queue_by_record(q, rec_fd, size) != 0)
		fp_log(LOG_DEBUG, "--pcap-dir: worker %u copies its packets", w);
	if (!q->by_record) {
		q->buf = ring_alloc(size);
		if (q->buf == NULL) {
			fp_log(LOG_ERR, "--pcap-buffer: cannot allocate %lu bytes for worker %u",
			       (unsigned long)size, w);
			free(q);
			return NULL;
		}
		q->mask = size - 1;
	}
	q->snaplen = s->snaplen ? s->snaplen : SNAP_WHOLE;
	q->nano = nano;
	q->offline = offline;
	q->store = s;
	q->worker = w;
	q->linktype = linktype;
	if (filter) {
		pcap_t *dead = pcap_open_dead((int)linktype, SNAP_WHOLE);
		q->filter = calloc(1, sizeof(*q->filter));
		if (dead == NULL || q->filter == NULL ||
		    pcap_compile(dead, q->filter, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			fp_log(LOG_ERR, "--pcap-filter '%s': %s", filter,
			       dead ? pcap_geterr(dead) : "out of memory");
			if (dead)
				pcap_close(dead);
			free(q->filter);
			queue_free(q);
			return NULL;
		}
		pcap_close(dead);
	}
	fp_pcapidx_builder_init(&s->f[w].idx);
	s->q[w] = q;
	if (w >= s->nq)
		s->nq = w + 1;
	return q;
}

int fp_pstore_start(struct fp_pstore *s)
{
	int rc = pthread_create(&s->thread, NULL, writer_main, s);
	if (rc != 0) {
		fp_log(LOG_ERR, "--pcap-dir: cannot start the writer thread: %s", strerror(rc));
		return -1;
	}
	pthread_setname_np(s->thread, "fp-pcap-writer");
	s->started = 1;
	return 0;
}

void fp_pstore_finish(struct fp_pstore *s)
{
	if (s == NULL || !s->started)
		return;
	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	s->started = 0;
}

void fp_pstore_close(struct fp_pstore *s)
{
	if (s == NULL)
		return;
	fp_pstore_finish(s);
	for (unsigned i = 0; i < s->nq; i++) {
		struct fp_pstore_q *q = s->q[i];
		if (q == NULL)
			continue;
		if (q->filter) {
			pcap_freecode(q->filter);
			free(q->filter);
		}
		queue_free(q);
		fp_pcapidx_builder_free(&s->f[i].idx);
	}
	free(s->filter);
	free(s);
}
