/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcap file reader against libpcap's: every capture of the corpus that the reader takes, and
 * files made here to be damaged in each way a record can be, must give the same packets (times,
 * lengths, bytes) and end the same way (end of file, or an error after the same packets). And
 * every frame of the corpus parses the same with and without the parser's common-packet shortcut.
 * Usage: test_pcapfile [CORPUS_DIR]
 */
#include <dirent.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
// cmocka must come after the headers above
#include <cmocka.h>

#include "fp_parse.h"
#include "fp_pcapfile.h"

static const char *corpus;

/* Both readers over `path`. Returns 1 when the reader took the file (and both agreed), 0 when it
 * left it to libpcap; a disagreement fails the test. */
static int compare(const char *path)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct fp_pcapfile *r = NULL;
	int took = fp_pcapfile_open(fd, &r);
	assert_true(took >= 0);
	if (took == 0) {
		close(fd);
		return 0;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (p == NULL) {
		fail_msg("%s: the reader takes it, libpcap does not: %s", path, err);
	}
	uint64_t n = 0;
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		struct fp_pcapfile_rec rec;
		int lr = pcap_next_ex(p, &h, &d);
		int fr = fp_pcapfile_next(r, &rec);
		if (lr != 1 || fr != 1) {
			/* libpcap: -2 end of file, -1 error; ours: 0 and -1 */
			if (!((lr == -2 && fr == 0) || (lr == -1 && fr == -1)))
				fail_msg(
				    "%s: after %lu packets libpcap says %d (%s), the reader %d "
				    "(%s)",
				    path, (unsigned long)n, lr, lr == -1 ? pcap_geterr(p) : "", fr,
				    fr == -1 ? fp_pcapfile_error(r) : "");
			break;
		}
		uint64_t sec = h->ts.tv_sec < 0 ? (uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;
		uint64_t ts = sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		/* a damaged fraction field: libpcap reads it signed (a time before 1970 then),
		 * the reader unsigned; neither is a time, only the normal range is compared */
		int ts_ok = h->ts.tv_usec < 0 || h->ts.tv_usec >= 1000000000 || ts == rec.ts_ns;
		if (h->caplen != rec.caplen || h->len != rec.len || !ts_ok ||
		    memcmp(d, rec.data, h->caplen) != 0)
			fail_msg("%s: packet %lu differs: libpcap %u/%u bytes at %lu, the reader "
				 "%u/%u at %lu",
				 path, (unsigned long)n, h->caplen, h->len, (unsigned long)ts,
				 rec.caplen, rec.len, (unsigned long)rec.ts_ns);
		n++;
	}
	pcap_close(p);
	fp_pcapfile_close(r);
	close(fd);
	return 1;
}

/* Every frame of `path` (any format libpcap reads) through the parser with and without the
 * common packet's shortcut, tunnels closed and open: the same result and fp_pkt. */
static unsigned parse_both(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (p == NULL)
		return 0;
	int dlt = pcap_datalink(p);
	if (dlt == 12 || dlt == 14)
		dlt = FP_LINK_RAW;
	unsigned n = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	while (fp_parse_link_supported(dlt) && pcap_next_ex(p, &h, &d) == 1) {
		for (int decap = 0; decap < 2; decap++) {
			struct fp_pkt a, b;
			enum fp_parse_result ra =
			    fp_parse_decap((enum fp_link)dlt, d, h->caplen, h->len, decap, &a);
			enum fp_parse_result rb =
			    fp_parse_general((enum fp_link)dlt, d, h->caplen, h->len, decap, &b);
			if (ra != rb || memcmp(&a, &b, sizeof(a)) != 0)
				fail_msg(
				    "%s: frame %u: the parser's shortcut gives %d, the general "
				    "path %d, or another fp_pkt",
				    path, n, ra, rb);
		}
		n++;
	}
	pcap_close(p);
	return n;
}

static void corpus_files(void **state)
{
	(void)state;
	if (corpus == NULL)
		skip();
	DIR *d = opendir(corpus);
	assert_non_null(d);
	struct dirent *e;
	unsigned taken = 0, all = 0, frames = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", corpus, e->d_name);
		all++;
		taken += (unsigned)compare(path);
		frames += parse_both(path);
	}
	closedir(d);
	printf("# %u of %u captures read by both readers, the same; %u frames parsed the same "
	       "with and without the common packet's shortcut\n",
	       taken, all, frames);
	assert_true(taken > all / 2); /* most of the corpus is classic pcap */
}

static void put32(uint8_t *p, uint32_t v, int swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

/* A file of `n` records of growing size, in one byte order and precision, with the snapshot
 * `snap`; record `big` (if < n) claims `bigcap` bytes; the file is cut to `cut` bytes (0: whole,
 * negative: that many bytes fewer).
 */
static void make(const char *path, int swap, int nano, uint32_t snap, unsigned n, unsigned big,
		 uint32_t bigcap, long cut)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	uint8_t h[24] = {0};
	put32(h, nano ? 0xa1b23c4du : 0xa1b2c3d4u, swap);
	uint16_t v[2] = {2, 4};
	if (swap)
		v[0] = __builtin_bswap16(v[0]), v[1] = __builtin_bswap16(v[1]);
	memcpy(h + 4, v, 4);
	put32(h + 16, snap, swap);
	put32(h + 20, 1, swap);
	fwrite(h, 1, 24, f);
	static uint8_t data[300000];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (unsigned i = 0; i < n; i++) {
		uint32_t cap = i == big ? bigcap : 40 + (i * 131) % 1500;
		uint8_t rh[16];
		put32(rh, 1767225600u + i, swap);
		put32(rh + 4, nano ? 999999999u - i : 999999u - i, swap);
		put32(rh + 8, cap, swap);
		put32(rh + 12, cap + 4, swap);
		fwrite(rh, 1, 16, f);
		fwrite(data, 1, cap > sizeof(data) ? sizeof(data) : cap, f);
	}
	long size = ftell(f);
	fclose(f);
	if (cut)
		assert_int_equal(truncate(path, cut > 0 ? cut : size + cut), 0);
}

static void made_files(void **state)
{
	(void)state;
	char path[] = "/tmp/fp-test-pcapfile.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (int swap = 0; swap < 2; swap++)
		for (int nano = 0; nano < 2; nano++) {
			/* whole: 20k records cross the buffer's refills many times */
			make(path, swap, nano, 65535, 20000, ~0u, 0, 0);
			assert_int_equal(compare(path), 1);
			/* cut inside a header, inside data */
			make(path, swap, nano, 65535, 100, ~0u, 0, 24 + 16 * 50 + 1000);
			compare(path);
			make(path, swap, nano, 65535, 100, ~0u, 0, 24 + 16 * 50 + 40000);
			compare(path);
			/* a record longer than the snapshot: cut to it, the rest skipped */
			make(path, swap, nano, 1000, 10, 5, 5000, 0);
			compare(path);
			/* ... and one cut short in the part skipped */
			make(path, swap, nano, 1000, 10, 9, 5000, -100);
			compare(path);
			/* longer than any snapshot libpcap takes */
			make(path, swap, nano, 0, 10, 3, 262145, 0);
			compare(path);
			/* snapshot 0: the maximum; a 262144-byte record is fine */
			make(path, swap, nano, 0, 10, 3, 262144, 0);
			compare(path);
		}
	unlink(path);
}

int main(int argc, char **argv)
{
	corpus = argc > 1 ? argv[1] : NULL;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(made_files),
	    cmocka_unit_test(corpus_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
