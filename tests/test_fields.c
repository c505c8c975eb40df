/* SPDX-License-Identifier: BSD-3-Clause */
/* The table of record fields (lib/fp_fields.c): names unique per output, orders as collectors
 * and readers have them, a new row landing where it belongs, values read as each output needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fp_encode.h"
#include "fp_fields.h"

/* No two rows share a JSON key, an ECS path, a ClickHouse column, or a position. */
static void test_names_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < fp_fields_n; i++) {
		const struct fp_field *a = &fp_fields[i];
		assert_non_null(a->get);
		assert_true(a->ch == NULL || a->ch_type != FP_CH_NONE);
		/* probe/sinks/jsonout.h's FP_JSON_KEY_MAX */
		assert_true(a->json == NULL || strlen(a->json) <= 60);
		assert_true(a->json6 == NULL || strlen(a->json6) <= 60);
		for (size_t k = i + 1; k < fp_fields_n; k++) {
			const struct fp_field *b = &fp_fields[k];
			assert_string_not_equal(a->name, b->name);
			if (a->json && b->json)
				assert_string_not_equal(a->json, b->json);
			if (a->ecs && b->ecs)
				assert_string_not_equal(a->ecs, b->ecs);
			if (a->ch && b->ch)
				assert_string_not_equal(a->ch, b->ch);
			if (a->ie_pos)
				assert_int_not_equal(a->ie_pos, b->ie_pos);
			if (a->ecs_pos)
				assert_int_not_equal(a->ecs_pos, b->ecs_pos);
			if (a->ch_pos)
				assert_int_not_equal(a->ch_pos, b->ch_pos);
		}
	}
}

/* An ECS path is a member or an object, never both (a document would need two "vlan" keys). */
static void test_ecs_paths_nest(void **state)
{
	(void)state;
	for (size_t i = 0; i < fp_fields_n; i++)
		for (size_t k = 0; k < fp_fields_n; k++) {
			const char *a = fp_fields[i].ecs, *b = fp_fields[k].ecs;
			if (i == k || a == NULL || b == NULL)
				continue;
			size_t n = strlen(a);
			assert_false(strncmp(a, b, n) == 0 && b[n] == '.');
		}
}

static void expect_template(enum fp_format fmt, int biflow, unsigned fields, int ipver,
			    const uint16_t *ids, size_t n)
{
	struct fp_ie ies[FP_ENCODE_MAX_IES];
	size_t got = fp_encode_build_ies(fmt, biflow, fields, ipver, ies);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ies[i].id, ids[i]);
}

/* The templates collectors have been receiving: a row's change that moves an element shows. */
static void test_templates(void **state)
{
	(void)state;
	static const uint16_t ipfix4[] = {8,  12, 7,  11, 4, 6,	  5,   58,  32, 52,
					  53, 56, 80, 2,  1, 152, 153, 136, 60};
	static const uint16_t ipfix6[] = {27, 28, 7,  11, 4, 6,	  5,   58,  139, 52,
					  53, 56, 80, 2,  1, 152, 153, 136, 60};
	static const uint16_t nfv9_6[] = {27, 28, 7,  11, 4, 6, 5,  58, 32,
					  52, 53, 56, 80, 2, 1, 22, 21, 60};
	expect_template(FP_FORMAT_IPFIX, 0, 0, 4, ipfix4, 19);
	expect_template(FP_FORMAT_IPFIX, 0, 0, 6, ipfix6, 19);
	expect_template(FP_FORMAT_NFV9, 0, 0, 6, nfv9_6, 18);
	/* biflow: the reverse counters last, enterprise elements of RFC 5103's PEN */
	struct fp_ie ies[FP_ENCODE_MAX_IES];
	size_t n = fp_encode_build_ies(FP_FORMAT_IPFIX, 1, FP_FIELD_ALL, 4, ies);
	assert_int_equal(ies[n - 1].id, FP_IE_ENTERPRISE | 6);
	assert_int_equal(ies[n - 1].pen, FP_PEN_REVERSE);
	assert_int_equal(ies[n - 3].id, FP_IE_ENTERPRISE | 2);
	/* v9 takes no reverse elements, and latency as two elements each (nfdump's) */
	n = fp_encode_build_ies(FP_FORMAT_NFV9, 1, FP_FIELD_LATENCY, 4, ies);
	assert_int_equal(n, 18 + 6);
	assert_int_equal(ies[18].id, 57554);
	assert_int_equal(ies[23].id, 57559);
	/* the flow label is in the IPv6 template only, in 4 bytes (IPFIX) or 3 (v9) */
	n = fp_encode_build_ies(FP_FORMAT_IPFIX, 0, FP_FIELD_FLOW_LABEL, 4, ies);
	assert_int_equal(n, 19);
	n = fp_encode_build_ies(FP_FORMAT_IPFIX, 0, FP_FIELD_FLOW_LABEL, 6, ies);
	assert_int_equal(ies[19].id, 31);
	assert_int_equal(ies[19].len, 4);
	n = fp_encode_build_ies(FP_FORMAT_NFV9, 0, FP_FIELD_FLOW_LABEL, 6, ies);
	assert_int_equal(ies[18].len, 3);
}

static int get_zero(struct fp_field_rec *fr, struct fp_field_val *v)
{
	(void)fr;
	v->u = 0;
	return 1;
}

/* A row added without a position follows the positioned ones, and in ECS joins its object. */
static void test_new_row_lands_in_its_object(void **state)
{
	(void)state;
	static const struct fp_field t[] = {
	    {"src", 0, FP_FK_UINT, get_zero, .json = "a", .ecs = "source.ip", .ecs_pos = 1},
	    {"dst", 0, FP_FK_UINT, get_zero, .json = "b", .ecs = "destination.ip", .ecs_pos = 2},
	    {"net", 0, FP_FK_UINT, get_zero, .ecs = "network.type", .ecs_pos = 3},
	    {"asn", 0, FP_FK_UINT, get_zero, .json = "c", .ecs = "source.as.number"},
	    {"org", 0, FP_FK_UINT, get_zero, .ecs = "source.as.organization.name"},
	    {"geo", 0, FP_FK_UINT, get_zero, .ecs = "observer.geo.name"},
	};
	uint16_t idx[FP_FIELDS_MAX];
	size_t n = fp_fields_order_of(t, 6, FP_OUT_ECS, idx);
	assert_int_equal(n, 6);
	static const uint16_t want[] = {0, 3, 4, 1, 2, 5};
	for (size_t i = 0; i < n; i++)
		assert_int_equal(idx[i], want[i]);
	n = fp_fields_order_of(t, 6, FP_OUT_JSON, idx);
	assert_int_equal(n, 3);
	assert_int_equal(idx[2], 3);
}

static const struct fp_field *row(const char *name)
{
	for (size_t i = 0; i < fp_fields_n; i++)
		if (strcmp(fp_fields[i].name, name) == 0)
			return &fp_fields[i];
	fail_msg("no row %s", name);
	return NULL;
}

/* JSON leaves out what a record does not have; a column store still gets a value (0, ""). */
static void test_values(void **state)
{
	(void)state;
	struct fp_record r;
	memset(&r, 0, sizeof(r));
	r.key.ipver = 4;
	r.key.proto = 1;
	r.icmp_type_code = 0x0300 | 3; /* port unreachable */
	r.key.sport = 0;
	r.key.dport = 0x0303;
	struct fp_field_ctx c = {.sample_n = 1};
	struct fp_field_rec fr;
	struct fp_field_val v;
	fp_field_rec_init(&fr, &r, NULL, &c);
	assert_false(row("src_port")->get(&fr, &v));
	assert_int_equal(v.u, 0);
	assert_true(row("icmp_type")->get(&fr, &v));
	assert_int_equal(v.u, 3);
	assert_false(row("tcp_flags")->get(&fr, &v));
	assert_false(row("application")->get(&fr, &v));
	assert_string_equal(v.s, "");
	assert_false(row("sampling_interval")->get(&fr, &v));
	assert_int_equal(v.u, 1);
	assert_true(row("community_id")->get(&fr, &v));
	assert_string_equal(v.s, fr.cid);
	assert_true(strncmp(v.s, "1:", 2) == 0);
	/* the option a row needs */
	assert_false(fp_field_on(row("rev_packets"), &c));
	c.biflow = 1;
	assert_true(fp_field_on(row("rev_packets"), &c));
	assert_false(fp_field_on(row("client_latency"), &c));
	c.fields = FP_FIELD_LATENCY;
	assert_true(fp_field_on(row("client_latency"), &c));
	/* a latency is there only when measured */
	assert_false(row("client_latency")->get(&fr, &v));
	r.lat_known = 1u << FP_LAT_CLIENT;
	r.lat_us[FP_LAT_CLIENT] = 1234;
	assert_true(row("client_latency")->get(&fr, &v));
	assert_int_equal(v.u, 1234);
}

/* A number read straight from the record (JSON's way) is what the getter gives (the column
 * stores' way), and there in the same records: TCP, UDP over IPv6, ICMP, a VLAN or none. */
static void test_direct_equals_getter(void **state)
{
	(void)state;
	struct fp_field_ctx c = {.biflow = 1, .fields = FP_FIELD_ALL, .sample_n = 1};
	for (int kind = 0; kind < 4; kind++) {
		struct fp_record r;
		memset(&r, 0, sizeof(r));
		r.key.ipver = r.ipver = kind == 1 ? 6 : 4;
		r.key.proto = kind == 2 ? 1 : kind == 1 ? 17 : 6;
		r.key.sport = kind == 2 ? 0 : 1234;
		r.key.dport = kind == 2 ? 0x0800 : 443;
		r.icmp_type_code = kind == 2 ? 0x0800 : 0;
		r.key.vlan = kind == 3 ? 42 : 0;
		r.tcp_flags = 0x12, r.rev_tcp_flags = 0x10, r.tos = 4, r.ttl_min = 3, r.ttl_max = 9;
		r.packets = 7, r.octets = 700, r.rev_packets = 5, r.rev_octets = 500;
		r.first_us = 1767225600000001ull, r.last_us = r.first_us + 99;
		r.more.ingress = 3, r.more.vlan_inner = 7, r.more.flow_label = 0x12345;
		r.more.gre_key = 9, r.l2_segment = 1ull << 56 | 5, r.end_reason = 3;
		struct fp_field_rec fr;
		fp_field_rec_init(&fr, &r, NULL, &c);
		unsigned direct = 0;
		for (size_t i = 0; i < fp_fields_n; i++) {
			const struct fp_field *f = &fp_fields[i];
			if (!f->rec_size)
				continue;
			direct++;
			struct fp_field_val v;
			uint64_t u;
			int got = f->get(&fr, &v), there = fp_field_direct(f, &r, &u);
			if (got != there || (got && v.u != u))
				fail_msg("%s: record kind %d: direct %d %llu, getter %d %llu",
					 f->name, kind, there, (unsigned long long)u, got,
					 (unsigned long long)v.u);
		}
		assert_true(direct >= 20);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_unique), cmocka_unit_test(test_ecs_paths_nest),
	    cmocka_unit_test(test_templates),	 cmocka_unit_test(test_new_row_lands_in_its_object),
	    cmocka_unit_test(test_values),	 cmocka_unit_test(test_direct_equals_getter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
