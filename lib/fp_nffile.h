/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nfdump's own file format, as nfdump 1.7 reads it (file layout 2, V3 records), written from
 * flow records: what `nfdump -r`, `nfdump -R`, `nfdump -I` and nfexpire read.
 *
 * A file is a 40-byte header, data blocks of records (each block compressed whole with the
 * file's method: LZ4, LZO1X-1, bzip2 or none, by Debian's libraries) and one appendix block at
 * the end with the ident and the statistics record (flows, packets and bytes per protocol, first
 * and last seen, all in ms). The header is written last, once the appendix's offset is known, so
 * a file cut short by a crash reads as empty rather than as garbage. Everything is little-endian,
 * as nfdump writes it on x86 and reads it (the magic tells the byte order).
 *
 * One writer per file, one thread (the exporter's); no locks. Writes are plain write(2) of whole
 * blocks; a failed write is kept in `err` (errno) and every later call is a no-op that counts
 * the record as not written.
 */
#ifndef FP_NFFILE_H
#define FP_NFFILE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fp_record.h"

enum fp_nf_compress {
	FP_NF_NONE = 0, /* nfdump's own numbers (fileHeaderV2 compression) */
	FP_NF_LZO = 1,
	FP_NF_BZ2 = 2,
	FP_NF_LZ4 = 3,
};

/* nfdump's statistics record (the appendix's TYPE_STAT), in its on-disk order. */
struct fp_nf_stat {
	uint64_t flows, bytes, packets;
	uint64_t flows_by[4]; /* TCP, UDP, ICMP (v4 and v6), other */
	uint64_t bytes_by[4];
	uint64_t packets_by[4];
	uint64_t first_ms, last_ms;
	uint64_t sequence_failures;
};
static_assert(sizeof(struct fp_nf_stat) == 144, "nfdump 1.7's stat_record_t");

/* What a record carries beyond struct fp_record (--fields groups the file takes). */
struct fp_nf_opts {
	int biflow;	   /* reverse packets/bytes (EXcntFlow) and the responder's TCP flags */
	unsigned fields;   /* enum fp_field_group bits: vlan, mpls, ingress, latency */
	uint32_t sampling; /* 1-in-N packet sampling of the probe (1: none) */
};

struct fp_nffile {
	int fd;
	enum fp_nf_compress compress;
	struct fp_nf_opts opts;
	uint8_t *block; /* the data block being filled: records only */
	size_t used;
	uint32_t nrec;
	uint8_t *zbuf; /* the block compressed, with its header in front */
	size_t zcap;
	void *lzo_work;
	uint32_t nblocks;
	uint64_t offset; /* bytes in the file so far */
	time_t created;
	char ident[128];
	struct fp_nf_stat stat;
	uint64_t records;	      /* written into blocks */
	uint8_t app_named[65536 / 8]; /* --dpi: application ids whose name record this file has */
	int err;		      /* errno of the first failure; 0 while all is well */
};

/* Create `path` (truncated) for writing. 0, or -errno with nothing left open. */
int fp_nffile_open(struct fp_nffile *f, const char *path, enum fp_nf_compress c, const char *ident,
		   const struct fp_nf_opts *opts);

/*
 * Create `path` as the continuation of `existing`, a completed file of the same slot (an earlier
 * run's, or nfcapd's): its data blocks copied as they are, its creation time, its statistics and
 * its compression (one per file), then what fp_nffile_add() brings. Completed and renamed over
 * `existing`, the one file holds both runs, as nfcapd keeps a restart's flows. 0, or -errno;
 * -EINVAL when `existing` is no file this can continue (another layout, no statistics record,
 * a block that does not lead to the next).
 */
int fp_nffile_open_append(struct fp_nffile *f, const char *path, const char *existing,
			  const char *ident, const struct fp_nf_opts *opts);

/* Append one record; `now_ms` is its export time (msecReceived); `app` what --dpi found (NULL
 * without --dpi): its application id goes into the record (nfdump's %nbid), and the first record
 * of an application in this file is preceded by a name record for that id (%nbnam), as nfcapd
 * stores an NBAR exporter's options. 0, or -errno (f->err). */
int fp_nffile_add(struct fp_nffile *f, const struct fp_record *r, const struct fp_app *app,
		  uint64_t now_ms);
/* The same with everything that travels beside the record (fp_record.h; NULL: nothing): also
 * --geoip's AS numbers (nfdump's %sas %das) when the file's fields have FP_FIELD_AS. */
int fp_nffile_add_side(struct fp_nffile *f, const struct fp_record *r, const struct fp_side *side,
		       uint64_t now_ms);

/* Write the last block, the appendix and the header, and close. 0, or -errno; the descriptor is
 * closed either way. */
int fp_nffile_close(struct fp_nffile *f);

/* "lz4", "lzo", "bz2", "none" ↔ the enum; -1 for another name. */
int fp_nffile_compress_parse(const char *name);
const char *fp_nffile_compress_name(enum fp_nf_compress c);

#endif
