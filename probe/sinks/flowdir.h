/* SPDX-License-Identifier: BSD-3-Clause */
/* --flow-dir: flow records into nfcapd files (see flowdir.c). Exporter thread, but for init. */
#ifndef FP_FLOWDIR_H
#define FP_FLOWDIR_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fp_nffile.h"
#include "sink.h"

#define FP_FLOWDIR_LAYOUTS 9 /* nfcapd -S 0..8 */

struct fp_flowdir_config {
	const char *dir;
	uint32_t rotate_s;
	unsigned layout; /* nfcapd -S */
	const char *ident;
	enum fp_nf_compress compress;
	uint64_t max_bytes; /* remove the oldest files beyond this; 0 = no limit */
	uint64_t max_age_s; /* ... and files older than this; 0 = no limit */
	int live;	    /* slots on the wall clock, a file every slot */
	struct fp_nf_opts opts;
	uid_t uid; /* --user: the directory must be theirs to write ((uid_t)-1: none) */
	gid_t gid;
};

struct fp_flowdir {
	char dir[1024];
	uint32_t rotate_s;
	unsigned layout;
	enum fp_nf_compress compress;
	uint64_t max_bytes, max_age_s;
	int live;
	struct fp_nf_opts opts;
	char ident[128];
	struct fp_nffile f;
	int open, started;
	uint64_t slot_ms; /* start of the slot being written */
	char dirpath[1280], tmp[1400], final[1400];
	/* the slot's file existed (an earlier run's): this one continues it and replaces it at
	 * the end, if it is still the same file then */
	int appending;
	struct stat appended;
	uint64_t bytes_written;
	int warned_errno;
	struct fp_sink_stats st;
};

extern const struct fp_sink_ops fp_flowdir_ops;

/* Check the directory (made if missing) and fill `d`. Main thread. 0, or -1 after logging. */
int fp_flowdir_init(struct fp_flowdir *d, const struct fp_flowdir_config *c);

/* Remove the oldest files beyond --flow-dir-max / --flow-dir-max-age (logged). */
void fp_flowdir_expire(struct fp_flowdir *d);

/* mkdir -p of `path` (its parents first; `path` is changed and restored). 0 or -errno. Also
 * the packet store's. */
int fp_make_dirs(char *path);

/*
 * An output directory (--flow-dir, --pcap-dir: `opt`) ready for the user the probe will run as,
 * before capture starts: made if missing, what is made given to `uid`/`gid` (--user; (uid_t)-1
 * for none: the current user), then checked to be a directory that user can write and reach.
 * Main thread. 0, or -1 after one log line naming the option, the path and what to do.
 */
int fp_output_dir(const char *opt, const char *path, uid_t uid, gid_t gid);

/* nfcapd -S layout n's strftime format ("" for 0), NULL past the last. */
const char *fp_flowdir_layout(unsigned n);

#endif
