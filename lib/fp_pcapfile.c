/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design: one buffer of FILE_BUF bytes, refilled by pread() when the next record does not lie
 * whole in it (its unread tail moved to the front first). A record is at most 16 + 262144 bytes,
 * far less than the buffer, so every record handed out lies whole in memory and the copy the
 * kernel makes is the only one. The kernel is told the file is read sequentially (its read-ahead
 * doubles). The page cache is left alone: a capture read again (a benchmark, a test, another
 * filter) comes from memory the second time.
 */
#include "fp_pcapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_BUF (1u << 20)
#define SNAPLEN_MAX 262144u /* libpcap's MAXIMUM_SNAPLEN, for every link type we take */

struct fp_pcapfile {
	int fd;
	int swapped;
	int nano;
	int eof;
	uint32_t linktype;
	uint32_t snapshot;
	uint8_t *buf;
	size_t pos, end;
	uint64_t at;	   /* the file offset the next read starts at (pread: a descriptor
			      shared by two readers, the worker's and the packet store's) */
	uint64_t consumed; /* read by other threads (relaxed) */
	char err[160];
};

static uint32_t get32(const struct fp_pcapfile *r, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return r->swapped ? __builtin_bswap32(v) : v;
}

/* Read until at least `want` bytes lie unread in the buffer, or the file ends. Returns the bytes
 * available (≤ want means the file ended), or -1 on a read error (errno set). */
static ssize_t fill(struct fp_pcapfile *r, size_t want)
{
	size_t have = r->end - r->pos;
	if (have >= want || r->eof)
		return (ssize_t)have;
	memmove(r->buf, r->buf + r->pos, have);
	r->pos = 0;
	r->end = have;
	while (r->end < want) {
		ssize_t n = pread(r->fd, r->buf + r->end, FILE_BUF - r->end, (off_t)r->at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			r->eof = 1;
			break;
		}
		r->end += (size_t)n;
		r->at += (uint64_t)n;
	}
	return (ssize_t)(r->end - r->pos);
}

int fp_pcapfile_open(int fd, struct fp_pcapfile **out)
{
	uint8_t h[24];
	ssize_t n = pread(fd, h, sizeof(h), 0);
	if (n < 0)
		return -1;
	if (n < (ssize_t)sizeof(h))
		return 0;
	uint32_t magic;
	memcpy(&magic, h, 4);
	int swapped, nano;
	switch (magic) {
	case 0xa1b2c3d4u:
		swapped = 0, nano = 0;
		break;
	case 0xa1b23c4du:
		swapped = 0, nano = 1;
		break;
	case 0xd4c3b2a1u:
		swapped = 1, nano = 0;
		break;
	case 0x4d3cb2a1u:
		swapped = 1, nano = 1;
		break;
	default:
		return 0; /* pcapng, a modified pcap, not a capture at all: libpcap says */
	}
	struct fp_pcapfile *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -1;
	r->swapped = swapped;
	r->nano = nano;
	uint16_t major, minor;
	memcpy(&major, h + 4, 2);
	memcpy(&minor, h + 6, 2);
	if (swapped)
		major = __builtin_bswap16(major), minor = __builtin_bswap16(minor);
	uint32_t snaplen = get32(r, h + 16);
	r->linktype = get32(r, h + 20) & 0x03ffffff;
	/* versions before 2.4 may have swapped lengths; D-Bus, EBHSCR and USBPcap have larger
	 * snapshot limits in libpcap: all of those are libpcap's to read */
	if (major != 2 || minor < 4 || r->linktype == 231 || r->linktype == 249 ||
	    r->linktype == 279) {
		free(r);
		return 0;
	}
	r->snapshot = snaplen == 0 || snaplen > 0x7fffffffu ? SNAPLEN_MAX : snaplen;
	r->buf = malloc(FILE_BUF);
	if (r->buf == NULL) {
		free(r);
		return -1;
	}
	r->fd = fd;
	r->at = 24;
	r->consumed = 24;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*out = r;
	return 1;
}

int fp_pcapfile_next(struct fp_pcapfile *r, struct fp_pcapfile_rec *rec)
{
	ssize_t have = fill(r, 16);
	if (have < 0)
		goto read_error;
	if (have < 16) {
		if (have == 0)
			return 0;
		snprintf(r->err, sizeof(r->err),
			 "truncated dump file; tried to read 16 header bytes, only got %zd", have);
		return -1;
	}
	const uint8_t *h = r->buf + r->pos;
	uint32_t sec = get32(r, h), frac = get32(r, h + 4);
	uint32_t caplen = get32(r, h + 8), len = get32(r, h + 12);

	if (caplen > SNAPLEN_MAX) {
		if (caplen > r->snapshot)
			snprintf(r->err, sizeof(r->err),
				 "invalid packet capture length %u, bigger than snaplen of %u",
				 caplen, r->snapshot);
		else
			snprintf(r->err, sizeof(r->err),
				 "invalid packet capture length %u, bigger than maximum of %u",
				 caplen, SNAPLEN_MAX);
		return -1;
	}
	/* longer than the file's snapshot: libpcap hands the snapshot and skips the rest */
	uint32_t keep = caplen > r->snapshot ? r->snapshot : caplen;
	have = fill(r, 16 + (size_t)caplen);
	if (have < 0)
		goto read_error;
	if ((size_t)have < 16 + (size_t)keep) {
		snprintf(r->err, sizeof(r->err),
			 "truncated dump file; tried to read %u captured bytes, only got %zd", keep,
			 have - 16);
		return -1;
	}
	if ((size_t)have < 16 + (size_t)caplen) {
		snprintf(r->err, sizeof(r->err),
			 "truncated dump file; tried to read %u captured bytes, only got %zd",
			 caplen - keep, have - 16 - (ssize_t)keep);
		return -1;
	}
	rec->data = r->buf + r->pos + 16;
	rec->caplen = keep;
	rec->len = len;
	rec->ts_ns = (uint64_t)sec * 1000000000u + (r->nano ? frac : (uint64_t)frac * 1000);
	r->pos += 16 + (size_t)caplen;
	__atomic_store_n(&r->consumed, r->consumed + 16 + caplen, __ATOMIC_RELAXED);
	return 1;

read_error:
	snprintf(r->err, sizeof(r->err), "error reading dump file: %s", strerror(errno));
	return -1;
}

const char *fp_pcapfile_error(const struct fp_pcapfile *r)
{
	return r->err;
}

uint64_t fp_pcapfile_offset(const struct fp_pcapfile *r)
{
	return __atomic_load_n(&r->consumed, __ATOMIC_RELAXED);
}

void fp_pcapfile_close(struct fp_pcapfile *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

char *fp_pcapfile_stdio(FILE *f)
{
	char *buf = malloc(FILE_BUF);
	if (buf && setvbuf(f, buf, _IOFBF, FILE_BUF) != 0) {
		free(buf);
		buf = NULL;
	}
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	return buf;
}
