/* SPDX-License-Identifier: BSD-3-Clause */
/* --geoip (lib/fp_geo.c) without a database: the database's text made safe for every output
 * (UTF-8 kept, control characters and broken sequences replaced, cut at a character's
 * boundary), the kinds' field groups, and files refused with the reason. The lookups
 * themselves are checked against mmdblookup with real databases by tests/e2e_geoip.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fp_encode.h"
#include "fp_geo.h"

static const char *text(const char *in, size_t n, size_t cap)
{
	static char out[64];
	assert_true(cap <= sizeof(out));
	size_t len = fp_geo_text(out, cap, in, n);
	assert_int_equal(len, strlen(out));
	assert_true(len < cap);
	return out;
}

static void test_text(void **state)
{
	(void)state;
	assert_string_equal(text("Zürich", 7, 64), "Zürich");
	assert_string_equal(text("Timișoara", 10, 64), "Timișoara");
	assert_string_equal(text("東京", 6, 64), "東京");
	assert_string_equal(text("a\tb\x7f", 4, 64), "a?b?");
	assert_string_equal(text("x\xff\xc3y", 4, 64), "x??y");	      /* invalid, truncated */
	assert_string_equal(text("\xc0\xaf", 2, 64), "??");	      /* overlong '/' */
	assert_string_equal(text("\xed\xa0\x80", 3, 64), "???");      /* a surrogate */
	assert_string_equal(text("\xf4\x90\x80\x80", 4, 64), "????"); /* past U+10FFFF */
	assert_string_equal(text("ab\0cd", 5, 64), "ab?cd");	      /* a NUL inside */
	/* cut: never inside a character */
	assert_string_equal(text("aé", 3, 3), "a");
	assert_string_equal(text("aé", 3, 4), "aé");
	assert_string_equal(text("US", 2, 3), "US");
	assert_string_equal(text("USA", 3, 3), "US");
	assert_string_equal(text("", 0, 3), "");
}

static void test_groups(void **state)
{
	(void)state;
	assert_int_equal(fp_geo_field_groups(0), 0);
	assert_int_equal(fp_geo_field_groups(FP_GEO_ASN), FP_FIELD_AS);
	assert_int_equal(fp_geo_field_groups(FP_GEO_COUNTRY), FP_FIELD_GEO);
	assert_int_equal(fp_geo_field_groups(FP_GEO_CITY), FP_FIELD_GEO | FP_FIELD_CITY);
	assert_int_equal(fp_geo_field_groups(FP_GEO_ASN | FP_GEO_COUNTRY),
			 FP_FIELD_AS | FP_FIELD_GEO);
}

static void test_refused(void **state)
{
	(void)state;
	char err[512], path[] = "/tmp/fp-test-geo.XXXXXX";
	assert_int_equal(fp_geo_file_kind("/nonexistent/x.mmdb", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "cannot read it"));
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a database\n", 15), 15);
	close(fd);
	assert_int_equal(fp_geo_file_kind(path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not a MaxMind DB file"));
	const char *paths[] = {path};
	assert_null(fp_geodb_open(paths, 1, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_groups),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
