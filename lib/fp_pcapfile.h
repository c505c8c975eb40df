/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A reader of classic pcap files (version 2.4, µs or ns, either byte order) from a descriptor,
 * for `--read`: whole blocks of the file are read into one buffer and packets are handed out as
 * pointers into it, where libpcap's file reader calls fread() twice per packet (header, then
 * data) and copies the data once more. Memory stays one buffer however large the file is.
 *
 * It reads what libpcap reads, the way libpcap 1.10 reads it: the header's snapshot length
 * raised to 262144 when 0 or larger; a record longer than that is an error ("invalid packet
 * capture length"), one longer than the snapshot is cut to it; a record that ends early is an
 * error ("truncated dump file"); the same messages. tests/test_pcapfile.c compares both readers
 * on every capture of the corpus. Anything else (pcapng, other versions, link types whose
 * snapshot limit differs) is refused at open, and the caller reads it with libpcap.
 *
 * One thread uses a reader; fp_pcapfile_offset() may be read by any (a relaxed load).
 */
#ifndef FP_PCAPFILE_H
#define FP_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fp_pcapfile;

struct fp_pcapfile_rec {
	const uint8_t *data; /* valid until the next fp_pcapfile_next() */
	uint32_t caplen;     /* after the snapshot cut */
	uint32_t len;	     /* on the wire, as the record says */
	uint64_t ts_ns;	     /* Unix ns; µs files have whole µs */
};

/*
 * Take `fd` (a regular file, read from offset 0 with pread(): the descriptor's own offset is
 * neither used nor moved, so several readers may read one descriptor; the reader does not
 * close it). Returns 1 and
 * *out, 0 when the file is not one this reader takes (libpcap reads it), -1 on a read error
 * (errno set).
 */
int fp_pcapfile_open(int fd, struct fp_pcapfile **out);

/* 1: *rec is the next packet; 0: end of file; -1: the file is damaged or unreadable, and
 * fp_pcapfile_error() says how (libpcap's words). */
int fp_pcapfile_next(struct fp_pcapfile *r, struct fp_pcapfile_rec *rec);

const char *fp_pcapfile_error(const struct fp_pcapfile *r);

/* Bytes of the file consumed by the packets handed out so far (header included). Any thread. */
uint64_t fp_pcapfile_offset(const struct fp_pcapfile *r);

void fp_pcapfile_close(struct fp_pcapfile *r);

/*
 * For a FILE that one thread reads records from with fread (libpcap's readers, extract's scan):
 * a 1 MiB buffer of its own (given no buffer, glibc ignores the size setvbuf is asked for and
 * reads 4 KiB at a time) and no stdio lock (two locked instructions per fread, each waiting for
 * every older store). Call before the first read. Returns the buffer, to free after fclose; NULL
 * when it could not be set (the default buffer stays: slower, nothing lost).
 */
char *fp_pcapfile_stdio(FILE *f);

#endif
