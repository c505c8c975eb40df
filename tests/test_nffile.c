/* SPDX-License-Identifier: BSD-3-Clause */
/* nfcapd files (lib/fp_nffile.c) read back by Debian's nfdump 1.7: every compression, a file
 * continued by a second writer, a file that cannot be continued refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_nffile.h"
#include "tmpdir.h"

static void make_record(struct fp_record *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->key.ipver = r->ipver = 4;
	uint8_t s[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i}, d[4] = {198, 19, 0, 1};
	memcpy(r->key.src, s, 4);
	memcpy(r->key.dst, d, 4);
	r->key.proto = 17;
	r->key.sport = (uint16_t)(1024 + i);
	r->key.dport = 53;
	r->packets = 1 + i;
	r->octets = 100 * (1 + i);
	r->first_us = 1767225600000000ull + i * 1000;
	r->last_us = r->first_us + 500;
	r->end_reason = 1;
}

static void write_file(const char *path, enum fp_nf_compress c, unsigned from, unsigned n)
{
	struct fp_nffile f;
	struct fp_nf_opts o = {.sampling = 1};
	assert_int_equal(fp_nffile_open(&f, path, c, "test", &o), 0);
	for (unsigned i = from; i < from + n; i++) {
		struct fp_record r;
		make_record(&r, i);
		assert_int_equal(fp_nffile_add(&f, &r, NULL, r.last_us / 1000), 0);
	}
	assert_int_equal(fp_nffile_close(&f), 0);
}

/* nfdump's records of `path`: their count, and the sums of packets and bytes. */
static unsigned nfdump_read(const char *path, uint64_t *packets, uint64_t *bytes)
{
	char cmd[512], line[256];
	snprintf(cmd, sizeof(cmd), "nfdump -r '%s' -q -N -o 'fmt:%%pkt %%byt' 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	unsigned n = 0;
	*packets = *bytes = 0;
	while (fgets(line, sizeof(line), p)) {
		unsigned long long pk, by;
		if (sscanf(line, "%llu %llu", &pk, &by) != 2)
			fail_msg("nfdump: %s", line);
		*packets += pk, *bytes += by;
		n++;
	}
	assert_int_equal(pclose(p), 0);
	return n;
}

/* 1 + ... + n */
static uint64_t tri(unsigned n)
{
	return (uint64_t)n * (n + 1) / 2;
}

static void test_compressions(void **state)
{
	(void)state;
	static const char *const names[] = {"none", "lzo", "bz2", "lz4"};
	for (int c = 0; c < 4; c++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/nfcapd.%s", dir, names[c]);
		assert_int_equal(fp_nffile_compress_parse(names[c]), c);
		assert_string_equal(fp_nffile_compress_name((enum fp_nf_compress)c), names[c]);
		/* enough records for several blocks */
		write_file(path, (enum fp_nf_compress)c, 0, 5000);
		uint64_t pk, by;
		assert_int_equal(nfdump_read(path, &pk, &by), 5000);
		assert_int_equal(pk, tri(5000));
		assert_int_equal(by, 100 * tri(5000));
	}
	assert_int_equal(fp_nffile_compress_parse("zstd"), -1);
}

/* A second writer continues a completed file: both writers' records, one file. */
static void test_append(void **state)
{
	(void)state;
	char first[128], next[128];
	snprintf(first, sizeof(first), "%s/nfcapd.202601010000", dir);
	snprintf(next, sizeof(next), "%s/nfcapd.current.1", dir);
	write_file(first, FP_NF_LZ4, 0, 100);
	struct fp_nffile f;
	struct fp_nf_opts o = {.sampling = 1};
	assert_int_equal(fp_nffile_open_append(&f, next, first, "test", &o), 0);
	for (unsigned i = 100; i < 150; i++) {
		struct fp_record r;
		make_record(&r, i);
		assert_int_equal(fp_nffile_add(&f, &r, NULL, r.last_us / 1000), 0);
	}
	assert_int_equal(fp_nffile_close(&f), 0);
	uint64_t pk, by;
	assert_int_equal(nfdump_read(next, &pk, &by), 150);
	assert_int_equal(pk, tri(150));
	/* what is no nfcapd file is not continued */
	char junk[128];
	snprintf(junk, sizeof(junk), "%s/junk", dir);
	FILE *j = fopen(junk, "w");
	fputs("not an nfcapd file, but long enough to have a header's worth of bytes...", j);
	fclose(j);
	assert_int_equal(fp_nffile_open_append(&f, next, junk, "test", &o), -EINVAL);
}

/* A directory that is not there: an error, nothing left open. */
static void test_open_fails(void **state)
{
	(void)state;
	struct fp_nffile f;
	struct fp_nf_opts o = {.sampling = 1};
	char path[128];
	snprintf(path, sizeof(path), "%s/no/such/dir/nfcapd.x", dir);
	assert_int_equal(fp_nffile_open(&f, path, FP_NF_LZ4, "test", &o), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compressions),
	    cmocka_unit_test(test_append),
	    cmocka_unit_test(test_open_fails),
	};
	return cmocka_run_group_tests(tests, tmpdir_make, tmpdir_remove);
}
