/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_pcapidx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_cid.h"

struct fp_pcapidx_slot {
	uint64_t hash; /* 0: empty (a real hash of 0 is stored as 1) */
	uint32_t group;
};

int fp_pcapidx_packet_key(enum fp_link link, int decap, const uint8_t *data, uint32_t caplen,
			  uint32_t wirelen, struct fp_flow_key *out)
{
	struct fp_pkt p;
	if (fp_parse_decap(link, data, caplen, wirelen, decap, &p) != FP_PARSE_OK)
		return -1;
	*out = p.key;
	out->vlan = 0;
	fp_key_canonicalize(out);
	return 0;
}

void fp_pcapidx_builder_init(struct fp_pcapidx_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void fp_pcapidx_builder_free(struct fp_pcapidx_builder *b)
{
	free(b->slots);
	free(b->keys);
	free(b->pkt_group);
	free(b->pkt_off);
	fp_pcapidx_builder_init(b);
}

void fp_pcapidx_builder_reset(struct fp_pcapidx_builder *b)
{
	if (b->slots)
		memset(b->slots, 0, (b->slot_mask + 1) * sizeof(*b->slots));
	b->ngroups = 0;
	b->npkts = 0;
	b->first_ns = b->last_ns = 0;
}

/*
 * The builder's arrays reach tens of megabytes at a million flows, and the writer builds them
 * while the workers run on the other cores. Two page-fault patterns there cost the workers, not
 * just the writer: a page read before it is written maps the shared zero page, and its first
 * write then replaces that mapping, which flushes the TLB of every CPU running the process (an
 * interrupt in each worker); and a fault per 4 KiB page. So the arrays are written before they
 * are read (zeroed with memset, never calloc'd and probed), and asked for huge pages.
 * (What it was worth to the workers: bench/RESULTS.md, twelfth session.)
 */
static void hint_huge(void *p, size_t n)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + n) & ~(huge - 1);
	if (e > a)
		madvise((void *)a, e - a, MADV_HUGEPAGE);
}

/* An array written whole before it is read (the index's layout): huge pages alone. A fault per
 * 4 KiB page of the three layout arrays was a third of an index's writing time at a million
 * flows on this guest (bench/RESULTS.md, seventeenth session). */
static void *unzeroed(size_t n)
{
	void *p = malloc(n);
	if (p)
		hint_huge(p, n);
	return p;
}

static void *zeroed(size_t n)
{
	void *p = malloc(n);
	if (p) {
		hint_huge(p, n);
		memset(p, 0, n);
	}
	return p;
}

static int grow(void **p, uint64_t *cap, size_t elem, uint64_t need)
{
	if (need <= *cap)
		return 0;
	uint64_t n = *cap ? *cap * 2 : 4096;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (q == NULL)
		return -1;
	hint_huge(q, n * elem);
	*p = q;
	*cap = n;
	return 0;
}

/* Double the slots (kept at most half full) and place every group again. */
static int rehash(struct fp_pcapidx_builder *b)
{
	size_t n = b->slot_mask ? (b->slot_mask + 1) * 2 : 8192;
	struct fp_pcapidx_slot *s = zeroed(n * sizeof(*s));
	if (s == NULL)
		return -1;
	for (uint32_t g = 0; g < b->ngroups; g++) {
		uint64_t h = fp_key_hash(&b->keys[g]);
		h += h == 0;
		size_t i = h & (n - 1);
		while (s[i].hash)
			i = (i + 1) & (n - 1);
		s[i] = (struct fp_pcapidx_slot){h, g};
	}
	free(b->slots);
	b->slots = s;
	b->slot_mask = n - 1;
	return 0;
}

int fp_pcapidx_builder_add(struct fp_pcapidx_builder *b, const struct fp_flow_key *k, uint64_t off,
			   uint64_t ts_ns)
{
	if ((uint64_t)b->ngroups * 2 + 2 > b->slot_mask && rehash(b) != 0)
		return -1;
	uint64_t h = fp_key_hash(k);
	h += h == 0;
	size_t i = h & b->slot_mask;
	uint32_t g = UINT32_MAX;
	for (; b->slots[i].hash; i = (i + 1) & b->slot_mask)
		if (b->slots[i].hash == h && fp_key_equal(&b->keys[b->slots[i].group], k)) {
			g = b->slots[i].group;
			break;
		}
	if (g == UINT32_MAX) {
		uint64_t cap = b->groups_cap;
		if (b->ngroups == UINT32_MAX - 1 ||
		    grow((void **)&b->keys, &cap, sizeof(*b->keys), (uint64_t)b->ngroups + 1) != 0)
			return -1;
		b->groups_cap = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
		g = b->ngroups++;
		b->keys[g] = *k;
		b->slots[i] = (struct fp_pcapidx_slot){h, g};
	}
	uint64_t cap = b->pkts_cap;
	if (grow((void **)&b->pkt_group, &cap, sizeof(*b->pkt_group), b->npkts + 1) != 0)
		return -1;
	cap = b->pkts_cap;
	if (grow((void **)&b->pkt_off, &cap, sizeof(*b->pkt_off), b->npkts + 1) != 0)
		return -1;
	b->pkts_cap = cap;
	b->pkt_group[b->npkts] = g;
	b->pkt_off[b->npkts++] = off;
	if (b->first_ns == 0 || ts_ns < b->first_ns)
		b->first_ns = ts_ns;
	if (ts_ns > b->last_ns)
		b->last_ns = ts_ns;
	return 0;
}

unsigned fp_pcapidx_builder_add_burst(struct fp_pcapidx_builder *b, const struct fp_flow_key *k,
				      const uint64_t *off, const uint64_t *ts_ns, unsigned n)
{
	unsigned failed = 0;
	if ((uint64_t)b->ngroups * 2 + 2 * n + 2 <= b->slot_mask) {
		/* first every slot, then the groups those slots name, then the lookups */
		uint64_t h[FP_PCAPIDX_BURST];
		for (unsigned i = 0; i < n; i++) {
			h[i] = fp_key_hash(&k[i]);
			__builtin_prefetch(&b->slots[h[i] & b->slot_mask]);
		}
		for (unsigned i = 0; i < n; i++) {
			const struct fp_pcapidx_slot *s = &b->slots[h[i] & b->slot_mask];
			if (s->hash)
				__builtin_prefetch(&b->keys[s->group]);
		}
	}
	for (unsigned i = 0; i < n; i++)
		failed += fp_pcapidx_builder_add(b, &k[i], off[i], ts_ns[i]) != 0;
	return failed;
}

void fp_pcapidx_builder_truncate(struct fp_pcapidx_builder *b, uint64_t npkts)
{
	if (npkts < b->npkts)
		b->npkts = npkts; /* groups left without packets are not written */
}

/*
 * The flows sorted by key: a least-significant-digit radix sort, four passes of 16 bits between
 * `v` and `tmp` (n entries each), the result back in `v`. An index is written when its file is
 * completed, by the writer, which drains no queue meanwhile. Instead of qsort() (a call through
 * a pointer per comparison, ~20 per flow), it took the time to write an index of a million
 * flows from 0.50 to 0.35 s (bench/RESULTS.md, seventeenth session). Stable: flows whose keys
 * collide keep the order of their groups.
 */
static void sort_by_key(struct fp_pcapidx_flow *v, struct fp_pcapidx_flow *tmp, uint64_t n,
			uint32_t *count)
{
	struct fp_pcapidx_flow *from = v, *to = tmp;
	for (unsigned shift = 0; shift < 64; shift += 16) {
		memset(count, 0, (1u << 16) * sizeof(*count));
		for (uint64_t i = 0; i < n; i++)
			count[(from[i].key >> shift) & 0xffff]++;
		uint32_t at = 0;
		for (uint32_t d = 0; d < (1u << 16); d++) {
			uint32_t c = count[d];
			count[d] = at;
			at += c;
		}
		for (uint64_t i = 0; i < n; i++)
			to[count[(from[i].key >> shift) & 0xffff]++] = from[i];
		struct fp_pcapidx_flow *t = from;
		from = to;
		to = t;
	}
	/* an even number of passes: the sorted flows are in `v` again */
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Positions grouped by flow, each flow's in file order (a counting sort by group), and the
 * flows with their keys, sorted. */
static int layout(const struct fp_pcapidx_builder *b, uint16_t seed, struct fp_pcapidx_flow **fl,
		  uint64_t **pos, uint64_t *nflows)
{
	uint64_t *start = zeroed(((size_t)b->ngroups + 1) * sizeof(*start));
	*pos = unzeroed((b->npkts ? b->npkts : 1) * sizeof(**pos));
	*fl = unzeroed(((size_t)b->ngroups + 1) * sizeof(**fl));
	if (start == NULL || *pos == NULL || *fl == NULL) {
		free(start);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < b->npkts; i++)
		start[b->pkt_group[i] + 1]++;
	uint64_t n = 0;
	for (uint32_t g = 0; g < b->ngroups; g++) {
		uint64_t count = start[g + 1];
		start[g + 1] = start[g] + count;
		if (count == 0)
			continue;
		uint8_t md[FP_CID_DIGEST];
		fp_cid_v1_digest(&b->keys[g], seed, md);
		(*fl)[n++] =
		    (struct fp_pcapidx_flow){fp_cid_key64(md), start[g], (uint32_t)count, 0};
	}
	for (uint64_t i = 0; i < b->npkts; i++)
		(*pos)[start[b->pkt_group[i]]++] = b->pkt_off[i];
	free(start);
	struct fp_pcapidx_flow *tmp = unzeroed(((size_t)n + 1) * sizeof(*tmp));
	uint32_t *count = malloc((1u << 16) * sizeof(*count));
	if (tmp == NULL || count == NULL) {
		free(tmp);
		free(count);
		return -ENOMEM; /* the caller frees the rest */
	}
	sort_by_key(*fl, tmp, n, count);
	free(tmp);
	free(count);
	*nflows = n;
	return 0;
}

int fp_pcapidx_builder_write(const struct fp_pcapidx_builder *b, const char *path,
			     uint32_t linktype, uint16_t seed, int decap, uint64_t pcap_bytes)
{
	struct fp_pcapidx_flow *fl = NULL;
	uint64_t *pos = NULL, nflows = 0;
	char tmp[4200];
	int rc = layout(b, seed, &fl, &pos, &nflows);
	if (rc == 0 && snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		rc = -ENAMETOOLONG;
	if (rc != 0) {
		free(fl);
		free(pos);
		return rc;
	}
	struct fp_pcapidx_header h = {
	    .header_size = sizeof(h),
	    .linktype = linktype,
	    .cid_seed = seed,
	    .decap = (uint8_t)(decap != 0),
	    .flows = nflows,
	    .packets = b->npkts,
	    .first_ns = b->first_ns,
	    .last_ns = b->last_ns,
	    .pcap_bytes = pcap_bytes,
	};
	memcpy(h.magic, FP_PCAPIDX_MAGIC, 8);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = -errno;
	if (rc == 0)
		rc = write_all(fd, &h, sizeof(h));
	if (rc == 0)
		rc = write_all(fd, fl, nflows * sizeof(*fl));
	if (rc == 0)
		rc = write_all(fd, pos, b->npkts * sizeof(*pos));
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0 && fd >= 0)
		unlink(tmp);
	free(fl);
	free(pos);
	return rc;
}

int fp_pcapidx_open(struct fp_pcapidx *x, const char *path)
{
	struct stat st;
	memset(x, 0, sizeof(*x));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(struct fp_pcapidx_header)) {
		close(fd);
		return -EINVAL;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	const struct fp_pcapidx_header *h = m;
	uint64_t need = sizeof(*h);
	int ok = memcmp(h->magic, FP_PCAPIDX_MAGIC, 8) == 0 && h->header_size == sizeof(*h) &&
		 h->flows < (1ull << 40) && h->packets < (1ull << 40);
	if (ok)
		need += h->flows * sizeof(struct fp_pcapidx_flow) + h->packets * sizeof(uint64_t);
	if (!ok || need != (uint64_t)st.st_size) {
		munmap(m, (size_t)st.st_size);
		return -EINVAL;
	}
	x->map = m;
	x->len = (size_t)st.st_size;
	x->h = h;
	x->flows = (const struct fp_pcapidx_flow *)(h + 1);
	x->pos = (const uint64_t *)(x->flows + h->flows);
	return 0;
}

void fp_pcapidx_close(struct fp_pcapidx *x)
{
	if (x->map)
		munmap((void *)x->map, x->len);
	memset(x, 0, sizeof(*x));
}

size_t fp_pcapidx_find(const struct fp_pcapidx *x, uint64_t key, size_t *first)
{
	size_t lo = 0, hi = (size_t)x->h->flows;
	while (lo < hi) { /* the first flow whose key is not below `key` */
		size_t mid = lo + (hi - lo) / 2;
		if (x->flows[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	while (lo + n < x->h->flows && x->flows[lo + n].key == key)
		n++;
	*first = lo;
	return n;
}
