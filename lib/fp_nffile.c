/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_nffile.h"
#include "fp_localnet.h"

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_encode.h"

/* Uncompressed records per block: nfdump 1.7 reads blocks into 5 MiB buffers; 1 MiB keeps a
 * block's compression cheap and its loss (a crash) small. */
#define BLOCK_BYTES (1u << 20)
#define MAX_RECORD (512 + 2 * (4 + FP_PAYLOAD_MAX)) /* the largest V3 record written here */

/* Layout 2 header (fileHeaderV2_t), block header (dataBlock_t), record types. */
#define NF_MAGIC 0xA50C
#define NF_LAYOUT 2
#define NF_VERSION 0x01070100 /* what nfdump 1.7.1 itself writes */
#define NF_HEADER_LEN 40
#define NF_BLOCK_HEADER_LEN 12
#define NF_BLOCK_TYPE_3 3
#define NF_TYPE_V3 11
#define NF_TYPE_NBAR 12 /* an array record: application ids and their names */
#define NF_APP_NAME_LEN 32
#define NF_TYPE_IDENT 0x8001
#define NF_TYPE_STAT 0x8002
#define NF_V3_HEADER_LEN 12
#define NF_V3_FLAG_SAMPLED 2
#define NF_NFVERSION_IPFIX 10 /* nfdump shows "NETFLOW v10", as for nfcapd's IPFIX records */

/* V3 extension elements (nfxV3.h): id and length with the 4-byte element header. */
enum {
	EX_GENERIC = 1,	     /* 52 */
	EX_IPV4 = 2,	     /* 12 */
	EX_IPV6 = 3,	     /* 36 */
	EX_MISC = 4,	     /* 20 */
	EX_CNT = 5,	     /* 28 */
	EX_VLAN = 6,	     /* 12 */
	EX_AS = 7,	     /* 12: srcAS, dstAS (EXasRouting) */
	EX_MPLS = 14,	     /* 44 */
	EX_MAC = 15,	     /* 36 */
	EX_LATENCY = 17,     /* 28 */
	EX_NBAR_APP = 27,    /* 4 + the application id's bytes (FP_APP_ID_LEN) */
	EX_IN_PAYLOAD = 29,  /* 4 + the bytes: the record's first payload (nfdump %ja3 reads it) */
	EX_OUT_PAYLOAD = 30, /* 4 + the bytes: the other direction's (--biflow) */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}
/* Bytes in network order read as one big-endian number (addresses, MACs as nfdump keeps them). */
static uint64_t be_bytes(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Start element `id` of `len` bytes (header included) at p; returns where its data begins. */
static uint8_t *element(uint8_t *p, uint16_t id, uint16_t len)
{
	put16(p, id);
	put16(p + 2, len);
	memset(p + 4, 0, (size_t)len - 4);
	return p + 4;
}

/* One flow record as a V3 record at `out`; returns its length. */
static size_t encode_v3(const struct fp_nf_opts *o, const struct fp_record *r,
			const struct fp_app *app, const struct fp_geo *geo,
			const struct fp_payload *pay, uint64_t now_ms, uint8_t *out)
{
	uint8_t *p = out + NF_V3_HEADER_LEN, *d;
	uint16_t n = 0;

	/* sampled 1 in N: counters scaled by N and the record flagged, as nfcapd stores what a
	 * sampling exporter sends (nfdump 1.7 keeps no interval per record) */
	uint64_t scale = o->sampling > 1 ? o->sampling : 1;
	d = element(p, EX_GENERIC, 52);
	put64(d, r->first_us / 1000);
	put64(d + 8, r->last_us / 1000);
	put64(d + 16, now_ms);
	put64(d + 24, r->packets * scale);
	put64(d + 32, r->octets * scale);
	/* ICMP: dstPort holds type << 8 | code, as nfcapd stores icmpTypeCode from IPFIX */
	put16(d + 40, r->key.sport);
	put16(d + 42, fp_key_is_icmp(&r->key) ? r->icmp_type_code : r->key.dport);
	d[44] = r->key.proto;
	d[45] = r->tcp_flags;
	d[47] = r->tos;
	p += 52, n++;
	if (r->key.ipver == 4) {
		d = element(p, EX_IPV4, 12);
		put32(d, (uint32_t)be_bytes(r->key.src, 4));
		put32(d + 4, (uint32_t)be_bytes(r->key.dst, 4));
		p += 12, n++;
	} else {
		d = element(p, EX_IPV6, 36);
		put64(d, be_bytes(r->key.src, 8));
		put64(d + 8, be_bytes(r->key.src + 8, 8));
		put64(d + 16, be_bytes(r->key.dst, 8));
		put64(d + 24, be_bytes(r->key.dst + 8, 8));
		p += 36, n++;
	}
	d = element(p, EX_MISC, 20);
	put32(d, r->more.ingress);
	if (o->fields & FP_FIELD_DIRECTION) /* dir: flowDirection's value (fp_localnet.h) */
		d[10] = fp_flow_direction(r->direction);
	d[12] = (uint8_t)(o->biflow ? 1 : 0); /* biFlowDir: 1 = initiator (RFC 5103) */
	d[13] = r->end_reason;
	d[14] = r->rev_tcp_flags;
	p += 20, n++;
	if (o->biflow) {
		d = element(p, EX_CNT, 28);
		put64(d, 1);
		put64(d + 8, r->rev_packets * scale);
		put64(d + 16, r->rev_octets * scale);
		p += 28, n++;
	}
	if ((r->key.vlan & FP_KEY_VLAN_MASK) || (o->fields & FP_FIELD_VLAN)) {
		d = element(p, EX_VLAN, 12);
		put32(d, r->key.vlan & FP_KEY_VLAN_MASK);
		p += 12, n++;
	}
	if (o->fields & FP_FIELD_AS) { /* --geoip: nfdump's %sas %das, -s srcas */
		d = element(p, EX_AS, 12);
		put32(d, geo ? geo[0].asn : 0);
		put32(d + 4, geo ? geo[1].asn : 0);
		p += 12, n++;
	}
	if (o->fields & FP_FIELD_MPLS) {
		d = element(p, EX_MPLS, 44);
		for (int i = 0; i < 3;
		     i++) /* the label stack entry's top 24 bits, as on the wire */
			put32(d + 4 * i, (uint32_t)be_bytes(r->more.mpls[i], 3));
		p += 44, n++;
	}
	d = element(p, EX_MAC, 36);
	put64(d, be_bytes(r->src_mac, 6));	/* inSrcMac */
	put64(d + 16, be_bytes(r->dst_mac, 6)); /* inDstMac */
	p += 36, n++;
	if ((o->fields & FP_FIELD_LATENCY) && r->lat_known) {
		d = element(p, EX_LATENCY, 28);
		put64(d, r->lat_us[FP_LAT_CLIENT]);
		put64(d + 8, r->lat_us[FP_LAT_SERVER]);
		put64(d + 16, r->lat_us[FP_LAT_APPL]);
		p += 28, n++;
	}
	for (int dir = 0; pay && dir < 2; dir++) { /* --payload: nfpcapd's in and out payload */
		if (pay->len[dir] == 0)
			continue;
		uint16_t elen = (uint16_t)(4 + pay->len[dir]);
		d = element(p, dir ? EX_OUT_PAYLOAD : EX_IN_PAYLOAD, elen);
		memcpy(d, pay->data + (size_t)dir * pay->cap, pay->len[dir]);
		p += elen, n++;
	}
	if (app) { /* last: its length (7) leaves what follows unaligned, as nfcapd writes it */
		d = element(p, EX_NBAR_APP, 4 + FP_APP_ID_LEN);
		fp_encode_app_id(fp_app_id(app), d);
		p += 4 + FP_APP_ID_LEN, n++;
	}
	size_t len = (size_t)(p - out);
	put16(out, NF_TYPE_V3);
	put16(out + 2, (uint16_t)len);
	put16(out + 4, n);
	out[6] = 0; /* engine type and id */
	out[7] = 0;
	put16(out + 8, 0); /* exporter id: none (the probe is the source) */
	out[10] = o->sampling > 1 ? NF_V3_FLAG_SAMPLED : 0;
	out[11] = NF_NFVERSION_IPFIX;
	return len;
}

static int write_all(struct fp_nffile *f, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = write(f->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			f->err = w < 0 ? errno : EIO;
			return -f->err;
		}
		p += w;
		len -= (size_t)w;
		f->offset += (uint64_t)w;
	}
	return 0;
}

/* Compress `len` bytes of `src` into f->zbuf after the block header; returns the compressed
 * length, or 0 when it failed (the caller then writes nothing: an error). */
static size_t compress_block(struct fp_nffile *f, const uint8_t *src, size_t len)
{
	uint8_t *dst = f->zbuf + NF_BLOCK_HEADER_LEN;
	size_t cap = f->zcap - NF_BLOCK_HEADER_LEN;
	switch (f->compress) {
	case FP_NF_LZ4: {
		int n = LZ4_compress_default((const char *)src, (char *)dst, (int)len, (int)cap);
		return n > 0 ? (size_t)n : 0;
	}
	case FP_NF_LZO: {
		lzo_uint out = cap;
		return lzo1x_1_compress(src, len, dst, &out, f->lzo_work) == LZO_E_OK ? out : 0;
	}
	case FP_NF_BZ2: {
		unsigned out = (unsigned)cap;
		return BZ2_bzBuffToBuffCompress((char *)dst, &out, (char *)(uintptr_t)src,
						(unsigned)len, 9, 0, 0) == BZ_OK
			   ? out
			   : 0;
	}
	default:
		memcpy(dst, src, len);
		return len;
	}
}

/* One block: header (records, stored size, type 3) and the records as the file compresses. */
static int write_block(struct fp_nffile *f, const uint8_t *records, size_t len, uint32_t nrec)
{
	size_t z = compress_block(f, records, len);
	if (z == 0 && len) {
		f->err = EIO;
		return -EIO;
	}
	put32(f->zbuf, nrec);
	put32(f->zbuf + 4, (uint32_t)z);
	put16(f->zbuf + 8, NF_BLOCK_TYPE_3);
	put16(f->zbuf + 10, 0);
	return write_all(f, f->zbuf, NF_BLOCK_HEADER_LEN + z);
}

static int flush_block(struct fp_nffile *f)
{
	if (f->nrec == 0 || f->err)
		return f->err ? -f->err : 0;
	int rc = write_block(f, f->block, f->used, f->nrec);
	if (rc == 0)
		f->nblocks++;
	f->used = 0;
	f->nrec = 0;
	return rc;
}

static void header(const struct fp_nffile *f, uint64_t appendix_off, uint8_t *h)
{
	memset(h, 0, NF_HEADER_LEN);
	put16(h, NF_MAGIC);
	put16(h + 2, NF_LAYOUT);
	put32(h + 4, NF_VERSION);
	put64(h + 8, (uint64_t)f->created);
	h[16] = (uint8_t)f->compress;
	h[17] = 0;			     /* not encrypted */
	put16(h + 18, appendix_off ? 1 : 0); /* appendix blocks */
	put32(h + 20, 0);		     /* creator: as nfdump 1.7.1 leaves it */
	put64(h + 24, appendix_off);
	put32(h + 32, 0); /* block size: not used by 1.7 readers */
	put32(h + 36, f->nblocks);
}

int fp_nffile_compress_parse(const char *name)
{
	static const char *const names[] = {"none", "lzo", "bz2", "lz4"};
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *fp_nffile_compress_name(enum fp_nf_compress c)
{
	static const char *const names[] = {"none", "lzo", "bz2", "lz4"};
	return (unsigned)c < 4 ? names[c] : "?";
}

int fp_nffile_open(struct fp_nffile *f, const char *path, enum fp_nf_compress c, const char *ident,
		   const struct fp_nf_opts *opts)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->compress = c;
	f->opts = *opts;
	f->created = time(NULL);
	snprintf(f->ident, sizeof(f->ident), "%s", ident && *ident ? ident : "none");
	/* room for the worst case of every method: bzip2's 1 % + 600, LZO's len/16 + 67 */
	f->zcap =
	    NF_BLOCK_HEADER_LEN + (size_t)LZ4_compressBound(BLOCK_BYTES) + BLOCK_BYTES / 16 + 4096;
	f->block = malloc(BLOCK_BYTES);
	f->zbuf = malloc(f->zcap);
	if (c == FP_NF_LZO)
		f->lzo_work = lzo_init() == LZO_E_OK ? malloc(LZO1X_1_MEM_COMPRESS) : NULL;
	if (f->block == NULL || f->zbuf == NULL || (c == FP_NF_LZO && f->lzo_work == NULL)) {
		free(f->block);
		free(f->zbuf);
		free(f->lzo_work);
		return -ENOMEM;
	}
	f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0) {
		int e = errno;
		free(f->block);
		free(f->zbuf);
		free(f->lzo_work);
		return -e;
	}
	/* a header of zeros until close: a reader of a half-written file finds no blocks */
	uint8_t h[NF_HEADER_LEN] = {0};
	int rc = write_all(f, h, sizeof(h));
	if (rc != 0) { /* a full disk: no empty file left behind */
		close(f->fd);
		unlink(path);
		f->fd = -1;
		free(f->block);
		free(f->zbuf);
		free(f->lzo_work);
	}
	return rc;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t r = pread(fd, buf, len, (off_t)off);
	return r == (ssize_t)len ? 0 : -1;
}

/* Uncompress a block's `n` stored bytes with method `c` into `out` (cap bytes): its length, or
 * 0 when it is not what it says it is. */
static size_t uncompress_block(int c, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	switch (c) {
	case FP_NF_LZ4: {
		int r = LZ4_decompress_safe((const char *)in, (char *)out, (int)n, (int)cap);
		return r > 0 ? (size_t)r : 0;
	}
	case FP_NF_LZO: {
		lzo_uint o = cap;
		return lzo1x_decompress_safe(in, n, out, &o, NULL) == LZO_E_OK ? o : 0;
	}
	case FP_NF_BZ2: {
		unsigned o = (unsigned)cap;
		return BZ2_bzBuffToBuffDecompress((char *)out, &o, (char *)(uintptr_t)in,
						  (unsigned)n, 0, 0) == BZ_OK
			   ? o
			   : 0;
	}
	default:
		if (n > cap)
			return 0;
		memcpy(out, in, n);
		return n;
	}
}

/*
 * What a completed file holds, to continue it: its compression, creation time, data blocks
 * (walked from header to appendix: each block's header must lead exactly to the next) and the
 * statistics record of its appendix. 0, or -EINVAL when it is not such a file.
 */
struct nf_existing {
	int compress;
	time_t created;
	uint64_t data_end; /* the appendix's offset: data blocks end here */
	uint32_t nblocks;
	struct fp_nf_stat stat;
};

static int read_existing(int fd, struct nf_existing *e)
{
	uint8_t h[NF_HEADER_LEN], bh[NF_BLOCK_HEADER_LEN];
	struct stat st;
	if (fstat(fd, &st) != 0 || read_at(fd, h, sizeof(h), 0) != 0)
		return -EINVAL;
	uint64_t size = (uint64_t)st.st_size;
	e->compress = h[16];
	e->created = (time_t)get64(h + 8);
	e->data_end = get64(h + 24);
	if (get16(h) != NF_MAGIC || get16(h + 2) != NF_LAYOUT || e->compress > FP_NF_LZ4 || h[17] ||
	    get16(h + 18) != 1 || e->data_end < NF_HEADER_LEN ||
	    e->data_end + NF_BLOCK_HEADER_LEN > size)
		return -EINVAL;
	e->nblocks = 0;
	for (uint64_t at = NF_HEADER_LEN; at < e->data_end; e->nblocks++) {
		if (read_at(fd, bh, sizeof(bh), at) != 0)
			return -EINVAL;
		at += NF_BLOCK_HEADER_LEN + get32(bh + 4);
		if (at > e->data_end)
			return -EINVAL;
	}
	if (read_at(fd, bh, sizeof(bh), e->data_end) != 0)
		return -EINVAL;
	uint32_t n = get32(bh + 4);
	if (n > 65536 || e->data_end + NF_BLOCK_HEADER_LEN + n > size)
		return -EINVAL;
	uint8_t *in = malloc(n ? n : 1), *out = malloc(1u << 20);
	int rc = -EINVAL;
	size_t len = 0;
	if (in && out && read_at(fd, in, n, e->data_end + NF_BLOCK_HEADER_LEN) == 0)
		len = uncompress_block((get16(bh + 10) & 1) ? FP_NF_NONE : e->compress, in, n, out,
				       1u << 20);
	for (size_t at = 0; at + 4 <= len;) {
		uint16_t type = get16(out + at), rl = get16(out + at + 2);
		if (rl < 4 || at + rl > len)
			break;
		if (type == NF_TYPE_STAT && rl >= 4 + sizeof(struct fp_nf_stat)) {
			uint64_t *w = (uint64_t *)&e->stat;
			for (size_t i = 0; i < sizeof(e->stat) / 8; i++)
				w[i] = get64(out + at + 4 + 8 * i);
			rc = 0;
			break;
		}
		at += rl;
	}
	free(in);
	free(out);
	return rc;
}

int fp_nffile_open_append(struct fp_nffile *f, const char *path, const char *existing,
			  const char *ident, const struct fp_nf_opts *opts)
{
	struct nf_existing e;
	int old = open(existing, O_RDONLY | O_CLOEXEC);
	if (old < 0)
		return -errno;
	int rc = read_existing(old, &e);
	if (rc == 0)
		rc = fp_nffile_open(f, path, (enum fp_nf_compress)e.compress, ident, opts);
	if (rc != 0) {
		close(old);
		return rc;
	}
	/* the data blocks as they are, after the header the new file already has */
	for (uint64_t at = NF_HEADER_LEN; rc == 0 && at < e.data_end;) {
		size_t want =
		    e.data_end - at > BLOCK_BYTES ? BLOCK_BYTES : (size_t)(e.data_end - at);
		ssize_t r = pread(old, f->block, want, (off_t)at);
		if (r <= 0) {
			f->err = r < 0 ? errno : EIO;
			rc = -f->err;
			break;
		}
		rc = write_all(f, f->block, (size_t)r);
		at += (uint64_t)r;
	}
	close(old);
	if (rc != 0) {
		close(f->fd);
		unlink(path);
		free(f->block);
		free(f->zbuf);
		free(f->lzo_work);
		f->block = f->zbuf = NULL;
		f->lzo_work = NULL;
		f->fd = -1;
		return rc;
	}
	f->created = e.created;
	f->nblocks = e.nblocks;
	f->stat = e.stat;
	return 0;
}

/* nfdump's protocol buckets: TCP, UDP, ICMP (v4 and v6), other. */
static int proto_bucket(uint8_t proto)
{
	return proto == 6 ? 0 : proto == 17 ? 1 : proto == 1 || proto == 58 ? 2 : 3;
}

/* nfdump's name record for one application id (an array record of NBAR names: id, name and
 * description, 32 bytes each string) at `out`; returns its length. */
static size_t encode_app_name(const struct fp_app *app, uint8_t *out)
{
	size_t elem = (FP_APP_ID_LEN + 2 * NF_APP_NAME_LEN + 3) & ~(size_t)3;
	size_t len = 8 + 6 + elem;
	memset(out, 0, len);
	put16(out, NF_TYPE_NBAR);
	put16(out + 2, (uint16_t)len);
	put16(out + 4, 1); /* elements */
	put16(out + 6, (uint16_t)elem);
	put16(out + 8, FP_APP_ID_LEN); /* each element's id, name and description lengths */
	put16(out + 10, NF_APP_NAME_LEN);
	put16(out + 12, NF_APP_NAME_LEN);
	uint8_t *e = out + 14;
	fp_encode_app_id(fp_app_id(app), e);
	const char *name = fp_app_id_name(app);
	memcpy(e + FP_APP_ID_LEN, name, strnlen(name, NF_APP_NAME_LEN - 1));
	memcpy(e + FP_APP_ID_LEN + NF_APP_NAME_LEN, "nDPI", 4); /* who named it, as exported */
	return len;
}

int fp_nffile_add(struct fp_nffile *f, const struct fp_record *r, const struct fp_app *app,
		  uint64_t now_ms)
{
	struct fp_side side = {.app = app};
	return fp_nffile_add_side(f, r, &side, now_ms);
}

int fp_nffile_add_side(struct fp_nffile *f, const struct fp_record *r, const struct fp_side *side,
		       uint64_t now_ms)
{
	const struct fp_app *app = side ? side->app : NULL;
	if (f->err)
		return -f->err;
	if (f->used + MAX_RECORD > BLOCK_BYTES && flush_block(f) != 0)
		return -f->err;
	if (app && (app->flags & FP_APP_CLASSIFIED)) {
		uint16_t id = fp_app_id(app);
		if (!(f->app_named[id / 8] & (1u << (id % 8)))) {
			f->used += encode_app_name(app, f->block + f->used);
			f->nrec++;
			f->app_named[id / 8] |= (uint8_t)(1u << (id % 8));
		}
	}
	f->used += encode_v3(&f->opts, r, app, side ? side->geo : NULL, side ? side->payload : NULL,
			     now_ms, f->block + f->used);
	f->nrec++;
	f->records++;

	/* nfdump -I counts a biflow record's both directions in its totals, scaled as the records
	 */
	uint64_t n = f->opts.sampling > 1 ? f->opts.sampling : 1;
	uint64_t pk = (r->packets + (f->opts.biflow ? r->rev_packets : 0)) * n;
	uint64_t by = (r->octets + (f->opts.biflow ? r->rev_octets : 0)) * n;
	int b = proto_bucket(r->key.proto);
	struct fp_nf_stat *s = &f->stat;
	s->flows++;
	s->packets += pk;
	s->bytes += by;
	s->flows_by[b]++;
	s->packets_by[b] += pk;
	s->bytes_by[b] += by;
	uint64_t first = r->first_us / 1000, last = r->last_us / 1000;
	if (s->first_ms == 0 || first < s->first_ms)
		s->first_ms = first;
	if (last > s->last_ms)
		s->last_ms = last;
	return 0;
}

/* The appendix: the ident and the statistics record, one block like the others. */
static int write_appendix(struct fp_nffile *f)
{
	uint8_t buf[4 + 128 + 4 + sizeof(struct fp_nf_stat)];
	size_t ilen = strlen(f->ident) + 1, at = 0;
	put16(buf, NF_TYPE_IDENT);
	put16(buf + 2, (uint16_t)(4 + ilen));
	memcpy(buf + 4, f->ident, ilen);
	at = 4 + ilen;
	put16(buf + at, NF_TYPE_STAT);
	put16(buf + at + 2, (uint16_t)(4 + sizeof(struct fp_nf_stat)));
	const uint64_t *words = (const uint64_t *)&f->stat;
	for (size_t i = 0; i < sizeof(f->stat) / 8; i++)
		put64(buf + at + 4 + 8 * i, words[i]);
	at += 4 + sizeof(struct fp_nf_stat);
	return write_block(f, buf, at, 2);
}

int fp_nffile_close(struct fp_nffile *f)
{
	int rc = flush_block(f);
	uint64_t appendix = f->offset;
	if (rc == 0)
		rc = write_appendix(f);
	if (rc == 0) {
		uint8_t h[NF_HEADER_LEN];
		header(f, appendix, h);
		if (pwrite(f->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
			f->err = errno ? errno : EIO;
			rc = -f->err;
		}
	}
	if (close(f->fd) != 0 && rc == 0) {
		f->err = errno;
		rc = -f->err;
	}
	f->fd = -1;
	free(f->block);
	free(f->zbuf);
	free(f->lzo_work);
	f->block = f->zbuf = NULL;
	f->lzo_work = NULL;
	return rc;
}
