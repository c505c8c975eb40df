/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --pcap-dir: the packets the workers account, kept in pcap files beside the flows (see
 * pcapstore.c). A worker copies each packet into its own queue (fp_pstore_put); one writer
 * thread drains every queue into files with large sequential writes, rotates them on the flow
 * files' clock and indexes each by flow when it completes.
 */
#ifndef FP_PCAPSTORE_H
#define FP_PCAPSTORE_H

#include <assert.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fp_pcapidx.h"

enum fp_pstore_loss {
	FP_PSTORE_LOSS_BUFFER, /* live: the worker's queue was full (the writer fell behind) */
	FP_PSTORE_LOSS_DISK,   /* the file could not be written (disk full, permissions) */
	FP_PSTORE_LOSS_N,
};

/* One worker's counters (fp_pstore_stats_read): the worker counts `filtered`, `waits` and
 * not_stored[BUFFER], the writer the rest, each in its own cache lines. */
struct fp_pstore_stats {
	uint64_t packets; /* written whole into a file */
	uint64_t bytes;	  /* file bytes they took (record headers included) */
	uint64_t not_stored[FP_PSTORE_LOSS_N];
	uint64_t filtered;	/* accounted, not matched by --pcap-filter */
	uint64_t waits;		/* --read: times the worker waited for the writer (no loss) */
	uint64_t files;		/* files completed */
	uint64_t files_removed; /* by --pcap-dir-max */
	uint64_t not_indexed;	/* stored packets the index does not name (not IP, cut short) */
};

struct fp_pstore;

/* errno of the store's last failed create, write or rename (0: none). Any thread. */
int fp_pstore_last_errno(void);

struct fp_pcapfile;

/*
 * A worker's queue: a byte ring of pcap records (header and data, as they go to the file).
 *
 * By record (fp_pstore_queue with a file: --read of a classic pcap file): the worker copies
 * nothing. It sets one bit per record of the file it keeps (fp_pstore_keep) in a ring of bits; the
 * writer reads the same file again through its own reader and puts the records whose bit is
 * set into the byte ring itself, as fp_pstore_put would have. The worker's cost is a bit per
 * packet instead of the packet's bytes streamed through memory to another core.
 */
struct fp_pstore_q {
	/* Set up once, then only read, by the worker and the writer alike: a line of its own. On
	 * the producer's line, the writer's reads of these (every pass, every record) took that
	 * line from the worker's cache between its packets, and the worker's next access waited
	 * for it to come back (bench/RESULTS.md, seventeenth session). */
	alignas(64) uint8_t *buf;
	uint64_t mask;
	uint32_t snaplen;
	int nano;    /* records carry nanoseconds (the capture's precision) */
	int offline; /* a file can wait: wait for room instead of dropping */
	int by_record;
	struct bpf_program *filter;
	uint64_t *bits;	    /* by record: bit r % 64 of word r / 64: record r is kept */
	uint64_t bits_mask; /* words in the ring - 1 */
	struct fp_pstore *store;
	/* producer: the worker's own (the counters are read once a second for the statistics) */
	alignas(64) uint64_t next; /* where the next record goes; published as `head` */
	uint64_t tail_seen;	   /* the writer's tail as last read */
	uint64_t not_stored_buffer, filtered, waits; /* the worker's counters */
	uint64_t bit_idx, bit_word; /* by record: the word being built: its number, its bits */
	uint64_t rec_tail_seen;	    /* by record: the writer's tail_rec as last read */
	/* shared: written once per burst by the producer */
	alignas(64) uint64_t head;
	uint64_t head_rec; /* by record: records 0 .. head_rec - 1 are marked */
	/* consumer: the writer */
	alignas(64) uint64_t tail;
	uint64_t tail_rec; /* by record: the records the writer has taken */
	uint64_t rec_next; /* by record: the writer fills the ring: where its next record goes */
	uint64_t rec_filtered;	/* by record: the writer applies --pcap-filter */
	struct fp_pcapfile *rd; /* by record: the writer's reader of the file */
	int rd_fd, rd_failed;
	struct fp_pstore_stats st; /* the writer's counters */
	unsigned worker;
	uint32_t linktype;
};
static_assert(offsetof(struct fp_pstore_q, next) == 64,
	      "what the writer reads stays off the worker's line");

struct fp_pstore_config {
	const char *dir;
	uint32_t rotate_s;
	uint32_t snaplen;      /* 0: whole packets */
	const char *filter;    /* --pcap-filter, or NULL */
	uint64_t max_bytes;    /* --pcap-dir-max, 0: no limit */
	uint64_t buffer_bytes; /* each worker's queue */
	uint16_t cid_seed;
	int decap;
	int live;
	uid_t uid; /* --user: the directory must be theirs to write ((uid_t)-1: none) */
	gid_t gid;
};

/* Check and make the directory, rename what a killed run left. Main thread, before workers
 * exist. NULL after logging why. */
struct fp_pstore *fp_pstore_open(const struct fp_pstore_config *c);

/* Worker `w`'s queue for a capture of `linktype` whose timestamps are nanoseconds (`nano`).
 * `rec_fd`: the classic pcap file the worker reads (lib/fp_pcapfile; record numbers as
 * fp_capture's rec_seq counts them), whose packets the queue then takes by record; a copying
 * queue where it is -1 or the file cannot be read a second time. Main thread, before the writer
 * starts. NULL after logging why. */
struct fp_pstore_q *fp_pstore_queue(struct fp_pstore *s, unsigned w, uint32_t linktype, int nano,
				    int offline, int rec_fd);

/* Start the writer thread. Main thread. 0, or -1 after logging. */
int fp_pstore_start(struct fp_pstore *s);

/* Every worker has stopped: drain what is queued, complete every file, index it, join the
 * writer. Main thread. */
void fp_pstore_finish(struct fp_pstore *s);

void fp_pstore_close(struct fp_pstore *s);

/* One accounted frame into the worker's queue. Worker thread; no system call unless --read
 * waits for room. The writer sees it after the next fp_pstore_publish. */
void fp_pstore_put(struct fp_pstore_q *q, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		   uint64_t ts_ns);

/* Hand the frames put so far to the writer: once per burst, so that the line the writer polls
 * moves once per burst, not once per packet. Worker thread. */
static inline void fp_pstore_publish(struct fp_pstore_q *q)
{
	if (q->next != q->head)
		__atomic_store_n(&q->head, q->next, __ATOMIC_RELEASE);
}

void fp_pstore_keep_next_word(struct fp_pstore_q *q, uint64_t rec);

/* By record: record `rec` of the file is accounted, store it. Records come in order. Worker
 * thread; no system call unless the writer is a ring of bits behind. */
static inline void fp_pstore_keep(struct fp_pstore_q *q, uint64_t rec)
{
	if (rec >> 6 != q->bit_idx)
		fp_pstore_keep_next_word(q, rec);
	q->bit_word |= 1ull << (rec & 63);
}

/* By record: every record before `rec_next` has been seen (kept or not); the writer may take
 * them. Once per burst. Worker thread. */
void fp_pstore_publish_rec(struct fp_pstore_q *q, uint64_t rec_next);

/* A worker's counters, any thread. */
void fp_pstore_stats_read(const struct fp_pstore_q *q, struct fp_pstore_stats *out);

/* A store file's name: pcap.STAMP.W[.PART][.current.PID]. 1 with its parts, else 0. */
int fp_pstore_parse_name(const char *name, uint64_t *stamp, unsigned *w, unsigned *part,
			 int *current);

/* The directory, for messages. */
const char *fp_pstore_dir(const struct fp_pstore *s);

/* The name (no directory) of worker `w`'s file for the slot holding time `ms` (its first part:
 * a slot that held more than FP_PSTORE_PART_PACKETS packets goes on in NAME.1, NAME.2...). */
void fp_pstore_name(uint32_t rotate_s, unsigned w, uint64_t ms, char *out, size_t len);

#define FP_PSTORE_PART_PACKETS (1u << 22)

/* `fluxprobe extract ...` (../tools/extract.c): argv[0] is "extract". Returns the exit status. */
int fp_extract_main(int argc, char **argv);

#endif
