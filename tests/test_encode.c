/* SPDX-License-Identifier: BSD-3-Clause */
/* Encoders, byte for byte against the RFC 7011 and RFC 3954 layouts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
// cmocka must come after the headers above
#include <cmocka.h>

#include "fp_encode.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static struct fp_record rec4(void)
{
	struct fp_record r;
	memset(&r, 0, sizeof(r));
	r.key.ipver = 4;
	r.ipver = 4;
	r.key.proto = 6;
	r.key.src[0] = 198, r.key.src[1] = 18, r.key.src[3] = 1;
	r.key.dst[0] = 198, r.key.dst[1] = 19, r.key.dst[3] = 2;
	r.key.sport = 40000;
	r.key.dport = 443;
	r.key.vlan = 100;
	r.packets = 0x0102030405ull;
	r.octets = 1234567890123ull;
	r.first_us = 1767225600000123ull; /* µs go out as ms */
	r.last_us = 1767225600250999ull;
	r.tcp_flags = 0x1b;
	r.tos = 0x28;
	r.ttl_min = 60;
	r.ttl_max = 64;
	r.end_reason = FP_END_IDLE;
	r.src_mac[0] = 0x02, r.src_mac[5] = 0x11;
	r.dst_mac[0] = 0x02, r.dst_mac[5] = 0x22;
	return r;
}

/* v5: 24-byte header, 48-byte records, ≤ 30 per packet, IPv4 only, 32-bit counters. */
static void nfv5_packet_layout(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_record r = rec4();
	uint64_t boot = 1767225599000ull;

	fp_encode_init(&e, FP_FORMAT_NFV5, 7, buf, sizeof(buf) - 28, boot);
	fp_encode_begin(&e, 1767225601500ull);
	assert_int_equal(fp_encode_templates(&e), 0); /* nothing to add */
	assert_int_equal(e.len, 24);
	assert_int_equal(fp_encode_record(&e, &r), -ERANGE); /* 2^32+ packets: caller splits */
	r.packets = 1000;
	r.octets = 64000;
	assert_int_equal(fp_encode_record(&e, &r), 0);
	struct fp_record r6 = r;
	r6.key.ipver = 6;
	assert_int_equal(fp_encode_record(&e, &r6), -EAFNOSUPPORT);
	size_t len = fp_encode_finish(&e);
	assert_int_equal(len, 24 + 48);
	assert_int_equal(get16(buf), 5);
	assert_int_equal(get16(buf + 2), 1);	       /* count */
	assert_int_equal(get32(buf + 4), 2500);	       /* sysUpTime = export - boot */
	assert_int_equal(get32(buf + 8), 1767225601u); /* unix secs */
	assert_int_equal(get32(buf + 12), 500000000u); /* unix nsecs */
	assert_int_equal(get32(buf + 16), 0);	       /* flows before */
	assert_int_equal(buf[21], 7);		       /* engine id */
	const uint8_t *p = buf + 24;
	assert_int_equal(get32(p), 0xc6120001u);     /* 198.18.0.1 */
	assert_int_equal(get32(p + 4), 0xc6130002u); /* 198.19.0.2 */
	assert_int_equal(get32(p + 16), 1000);
	assert_int_equal(get32(p + 20), 64000);
	assert_int_equal(get32(p + 24), 1000); /* first: 1 s after boot */
	assert_int_equal(get32(p + 28), 1250);
	assert_int_equal(get16(p + 32), 40000);
	assert_int_equal(get16(p + 34), 443);
	assert_int_equal(p[37], 0x1b);
	assert_int_equal(p[38], 6);
	assert_int_equal(p[39], 0x28);

	/* 30 records fill a packet; the 31st waits for the next, whose sequence counts 30 more */
	fp_encode_begin(&e, 1767225602000ull);
	for (int i = 0; i < 30; i++)
		assert_int_equal(fp_encode_record(&e, &r), 0);
	assert_int_equal(fp_encode_record(&e, &r), -ENOSPC);
	assert_int_equal(fp_encode_finish(&e), 24 + 30 * 48);
	assert_int_equal(get32(buf + 16), 1);
	fp_encode_begin(&e, 1767225602000ull);
	fp_encode_record(&e, &r);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 16), 31);
}

static void ipfix_message_layout(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_record r = rec4();

	memset(buf, 0xaa, sizeof(buf));
	fp_encode_init(&e, FP_FORMAT_IPFIX, 7, buf, sizeof(buf), 0);
	fp_encode_begin(&e, 1767225601999ull);
	assert_int_equal(fp_encode_templates(&e), 0);
	assert_int_equal(fp_encode_record(&e, &r), 0);
	size_t len = fp_encode_finish(&e);

	/* message header, RFC 7011 §3.1 */
	assert_int_equal(len, 16 + 164 + 72);
	assert_int_equal(get16(buf), 10);
	assert_int_equal(get16(buf + 2), len);
	assert_int_equal(get32(buf + 4), 1767225601);
	assert_int_equal(get32(buf + 8), 0); /* no data record before this message */
	assert_int_equal(get32(buf + 12), 7);
	/* template set, §3.4.1: id 2, two templates of 19 fields */
	const uint8_t *ts = buf + 16;
	assert_int_equal(get16(ts), 2);
	assert_int_equal(get16(ts + 2), 164);
	assert_int_equal(get16(ts + 4), FP_TEMPLATE_IPV4);
	assert_int_equal(get16(ts + 6), 19);
	assert_int_equal(get16(ts + 8), 8); /* sourceIPv4Address */
	assert_int_equal(get16(ts + 10), 4);
	assert_int_equal(get16(ts + 12), 12); /* destinationIPv4Address */
	assert_int_equal(get16(ts + 84), FP_TEMPLATE_IPV6);
	assert_int_equal(get16(ts + 88), 27); /* sourceIPv6Address */
	assert_int_equal(get16(ts + 90), 16);
	/* data set: id = template id, one 68-byte record */
	const uint8_t *ds = buf + 16 + 164;
	assert_int_equal(get16(ds), FP_TEMPLATE_IPV4);
	assert_int_equal(get16(ds + 2), 72);
	const uint8_t *d = ds + 4;
	assert_int_equal(get32(d), 0xc6120001);
	assert_int_equal(get32(d + 4), 0xc6130002);
	assert_int_equal(get16(d + 8), 40000);
	assert_int_equal(get16(d + 10), 443);
	assert_int_equal(d[12], 6);
	assert_int_equal(get16(d + 13), 0x1b); /* tcpControlBits, 2 bytes */
	assert_int_equal(d[15], 0x28);
	assert_int_equal(get16(d + 16), 100); /* vlanId */
	assert_int_equal(get16(d + 18), 0);   /* icmpTypeCodeIPv4: not ICMP */
	assert_int_equal(d[20], 60);
	assert_int_equal(d[21], 64);
	assert_int_equal(d[27], 0x11); /* sourceMacAddress */
	assert_int_equal(d[33], 0x22); /* destinationMacAddress */
	assert_int_equal(get64(d + 34), 0x0102030405ull);
	assert_int_equal(get64(d + 42), 1234567890123ull);
	assert_int_equal(get64(d + 50), 1767225600000ull);
	assert_int_equal(get64(d + 58), 1767225600250ull);
	assert_int_equal(d[66], FP_END_IDLE);
	assert_int_equal(d[67], 4);

	/* the next message's sequence number counts the one data record sent before it */
	fp_encode_begin(&e, 1767225602000ull);
	fp_encode_record(&e, &r);
	fp_encode_record(&e, &r);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 8), 1);
	fp_encode_begin(&e, 1767225602000ull);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 8), 3);
}

static void nfv9_packet_layout(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_record r = rec4();
	uint64_t boot = 1767225599000ull;

	memset(buf, 0xaa, sizeof(buf));
	fp_encode_init(&e, FP_FORMAT_NFV9, 9, buf, sizeof(buf), boot);
	fp_encode_begin(&e, 1767225600500ull);
	assert_int_equal(fp_encode_templates(&e), 0);
	assert_int_equal(fp_encode_record(&e, &r), 0);
	size_t len = fp_encode_finish(&e);

	/* header, RFC 3954 §5.1 */
	assert_int_equal(len, 20 + 156 + 64);
	assert_int_equal(get16(buf), 9);
	assert_int_equal(get16(buf + 2), 3); /* two template records and one data record */
	uint32_t uptime = get32(buf + 4), secs = get32(buf + 8);
	assert_int_equal(secs, 1767225601); /* rounded up: no flow ends after sysUpTime */
	assert_int_equal((uint64_t)secs * 1000 - uptime, boot);
	assert_int_equal(get32(buf + 12), 0);
	assert_int_equal(get32(buf + 16), 9);
	/* template FlowSet id 0, 18 fields each */
	assert_int_equal(get16(buf + 20), 0);
	assert_int_equal(get16(buf + 22), 156);
	assert_int_equal(get16(buf + 24), FP_TEMPLATE_IPV4);
	assert_int_equal(get16(buf + 26), 18);
	/* data FlowSet: 58-byte record padded to 4 bytes with zeros */
	const uint8_t *ds = buf + 20 + 156;
	assert_int_equal(get16(ds), FP_TEMPLATE_IPV4);
	assert_int_equal(get16(ds + 2), 64);
	const uint8_t *d = ds + 4;
	assert_int_equal(d[13], 0x1b); /* TCP_FLAGS, 1 byte */
	assert_int_equal(get64(d + 33), 0x0102030405ull);
	/* FIRST/LAST_SWITCHED: the collector's secs·1000 − uptime + value gives the exact time */
	assert_int_equal((uint64_t)secs * 1000 - uptime + get32(d + 49), (r.first_us / 1000));
	assert_int_equal((uint64_t)secs * 1000 - uptime + get32(d + 53), (r.last_us / 1000));
	assert_int_equal(d[57], 4);
	assert_int_equal(d[58], 0);
	assert_int_equal(d[59], 0);

	/* v9 counts export packets, not records */
	fp_encode_begin(&e, 1767225601000ull);
	fp_encode_record(&e, &r);
	fp_encode_record(&e, &r);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 12), 1);
	assert_int_equal(get16(buf + 2), 2);
	fp_encode_begin(&e, 1767225601000ull);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 12), 2);
}

static void ipv6_record(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_record r = rec4();
	r.key.ipver = r.ipver = 6;
	r.key.proto = 58;
	memset(r.key.src, 0, 16);
	r.key.src[0] = 0x20, r.key.src[1] = 0x01, r.key.src[2] = 0x0d, r.key.src[3] = 0xb8;
	r.key.src[15] = 1;
	r.key.sport = 0;
	r.key.dport = r.icmp_type_code = 128 << 8;

	fp_encode_init(&e, FP_FORMAT_IPFIX, 1, buf, sizeof(buf), 0);
	fp_encode_begin(&e, 1767225601000ull);
	assert_int_equal(fp_encode_record(&e, &r), 0);
	size_t len = fp_encode_finish(&e);
	assert_int_equal(len, 16 + 4 + 92);
	assert_int_equal(get16(buf + 16), FP_TEMPLATE_IPV6);
	const uint8_t *d = buf + 20;
	assert_int_equal(get32(d), 0x20010db8);
	assert_int_equal(d[15], 1);
	assert_int_equal(get16(d + 34), 128 << 8); /* destination port: type << 8 | code */
	assert_int_equal(get16(d + 42), 128 << 8); /* icmpTypeCodeIPv6 */
	assert_int_equal(fp_encode_record_len(FP_FORMAT_IPFIX, 6), 92);
}

/* --fields: the optional IEs follow the default ones, in the template and in the record; v9's
 * flow label is 3 bytes (RFC 3954), IPFIX's 4; v5 puts the ingress interface in its input. */
/* --fields latency: v9 sends whole seconds and the µs beyond them under nfdump's type ids
 * (57554-57559), IPFIX ntop's enterprise IEs 123-125 (PEN 35632) in ms; unknown is 0. */
static void latency_fields(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_record r = rec4();
	r.lat_known = 1u << FP_LAT_CLIENT | 1u << FP_LAT_APPL;
	r.lat_us[FP_LAT_CLIENT] = 2345678; /* 2 s 345678 µs */
	r.lat_us[FP_LAT_APPL] = 999;

	for (int v9 = 0; v9 <= 1; v9++) {
		size_t base = v9 ? 58 : 68; /* the default IPv4 record */
		fp_encode_init(&e, v9 ? FP_FORMAT_NFV9 : FP_FORMAT_IPFIX, 1, buf, sizeof(buf), 0);
		fp_encode_layout(&e, 0, FP_FIELD_LATENCY);
		fp_encode_begin(&e, 1767225601000ull);
		assert_int_equal(fp_encode_templates(&e), 0);
		size_t tpl_end = e.len;
		assert_int_equal(fp_encode_record(&e, &r), 0);
		fp_encode_finish(&e);
		const uint8_t *t = buf + (v9 ? 20 : 16) + 4; /* the IPv4 template */
		unsigned n = get16(t + 2);
		const uint8_t *d = buf + tpl_end + 4 + base;
		if (v9) {
			for (unsigned i = 0; i < 6; i++)
				assert_int_equal(get16(t + 4 + 4 * (n - 6 + i)), 57554 + i);
			static const uint32_t want[6] = {2, 345678, 0, 0, 0, 999};
			for (unsigned i = 0; i < 6; i++)
				assert_int_equal(get32(d + 4 * i), want[i]);
		} else {
			const uint8_t *ie = t + 4 + 4 * (n - 3);
			for (unsigned i = 0; i < 3; i++, ie += 8) {
				assert_int_equal(get16(ie), 0x8000 | (123 + i));
				assert_int_equal(get16(ie + 2), 4);
				assert_int_equal(get32(ie + 4), FP_PEN_NTOP);
			}
			assert_int_equal(get32(d), 2345);
			assert_int_equal(get32(d + 4), 0);
			assert_int_equal(get32(d + 8), 0); /* 999 µs: not a whole ms */
		}
	}
}

static void optional_fields(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_record r = rec4();
	r.key.ipver = r.ipver = 6;
	r.more.ingress = 7;
	r.more.vlan_inner = 200;
	r.more.flow_label = 0x12345;
	static const uint8_t mpls[3][3] = {{0x00, 0x01, 0x0a}, {0x00, 0x01, 0x11}, {0, 0, 0}};
	memcpy(r.more.mpls, mpls, sizeof(mpls));
	r.more.gre_key = 0xdeadbeef;
	r.l2_segment = 1ull << 56 | 42;
	static const uint16_t ids[] = {10, 243, 245, 31, 70, 71, 72, 296, 351};

	for (int v9 = 0; v9 <= 1; v9++) {
		size_t base = v9 ? 82 : 92; /* the default IPv6 record */
		fp_encode_init(&e, v9 ? FP_FORMAT_NFV9 : FP_FORMAT_IPFIX, 1, buf, sizeof(buf), 0);
		fp_encode_layout(&e, 0, FP_FIELD_ALL & ~(unsigned)FP_FIELD_LATENCY);
		fp_encode_begin(&e, 1767225601000ull);
		assert_int_equal(fp_encode_templates(&e), 0);
		size_t tpl_end = e.len;
		assert_int_equal(fp_encode_record(&e, &r), 0);
		fp_encode_finish(&e);
		size_t h = v9 ? 20 : 16;
		/* the IPv6 template follows the IPv4 one: find it by its id */
		const uint8_t *t = buf + h + 4;
		t += 4 + 4 * get16(t + 2);
		assert_int_equal(get16(t), FP_TEMPLATE_IPV6);
		unsigned n = get16(t + 2);
		for (unsigned i = 0; i < 9; i++)
			assert_int_equal(get16(t + 4 + 4 * (n - 9 + i)), ids[i]);
		assert_int_equal(get16(t + 4 + 4 * (n - 6) + 2),
				 v9 ? 3 : 4); /* flow label length */
		const uint8_t *d = buf + tpl_end + 4 + base;
		assert_int_equal(get32(d), 7);
		assert_int_equal(get16(d + 4), 100);
		assert_int_equal(get16(d + 6), 200);
		size_t fl = v9 ? 3 : 4;
		assert_int_equal(v9 ? (uint32_t)(d[8] << 16 | d[9] << 8 | d[10]) : get32(d + 8),
				 0x12345);
		assert_memory_equal(d + 8 + fl, mpls, 9);
		assert_int_equal(get32(d + 17 + fl), 0xdeadbeef);
		assert_int_equal(get64(d + 21 + fl), 1ull << 56 | 42);
	}

	fp_encode_init(&e, FP_FORMAT_NFV5, 1, buf, sizeof(buf), 0);
	fp_encode_layout(&e, 0, FP_FIELD_INGRESS);
	fp_encode_begin(&e, 1767225601000ull);
	r = rec4();
	r.packets = 5, r.octets = 500; /* v5 counters are 32 bits */
	r.more.ingress = 7;
	assert_int_equal(fp_encode_record(&e, &r), 0);
	fp_encode_finish(&e);
	assert_int_equal(get16(buf + 24 + 12), 7); /* v5 input */
}

/* Mixed families in one message: each switch opens a new data set; all fits the MTU. */
static void fills_to_mtu(void **state)
{
	(void)state;
	for (int fmt = 9; fmt <= 10; fmt++) {
		uint8_t buf[1472];
		struct fp_encoder e;
		struct fp_record r4 = rec4(), r6 = rec4();
		r6.key.ipver = r6.ipver = 6;
		memset(buf, 0xaa, sizeof(buf));
		fp_encode_init(&e, (enum fp_format)fmt, 1, buf, sizeof(buf), 1767225599000ull);
		fp_encode_begin(&e, 1767225601000ull);
		fp_encode_templates(&e);
		unsigned n = 0;
		while (fp_encode_record(&e, (n / 3) % 2 ? &r6 : &r4) == 0)
			n++;
		size_t len = fp_encode_finish(&e);
		assert_true(len <= sizeof(buf));
		assert_true(len % 4 == 0);
		assert_true(n > 10);
		/* walk the sets: lengths add up to the message, every set 4-byte aligned */
		size_t off = fp_encode_header_len((enum fp_format)fmt), sets = 0;
		while (off < len) {
			uint16_t sl = get16(buf + off + 2);
			assert_true(sl >= 4 && sl % 4 == 0);
			off += sl;
			sets++;
		}
		assert_int_equal(off, len);
		assert_true(sets >= 3);
	}
}

/* Sequence numbers wrap modulo 2^32 as both RFCs define; v9 uptime is re-based, never wraps. */
static void wrap_around(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_record r = rec4();

	fp_encode_init(&e, FP_FORMAT_IPFIX, 1, buf, sizeof(buf), 0);
	e.seq = 0xfffffff0u;
	fp_encode_begin(&e, (r.last_us / 1000));
	for (int i = 0; i < 20; i++)
		assert_int_equal(fp_encode_record(&e, &r), 0);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 8), 0xfffffff0u);
	fp_encode_begin(&e, (r.last_us / 1000));
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 8), 4); /* 0xfffffff0 + 20 mod 2^32 */

	/* v9: the packet counter wraps to 0; a probe up for 40 days keeps exact flow times */
	uint64_t boot = (r.first_us / 1000) - 40ull * 86400 * 1000;
	fp_encode_init(&e, FP_FORMAT_NFV9, 1, buf, sizeof(buf), boot);
	e.seq = 0xffffffffu;
	fp_encode_begin(&e, (r.last_us / 1000) + 100);
	fp_encode_record(&e, &r);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 12), 0xffffffffu);
	uint32_t uptime = get32(buf + 4), secs = get32(buf + 8);
	assert_true(uptime < (1u << 31));
	const uint8_t *d = buf + 20 + 4;
	assert_int_equal((uint64_t)secs * 1000 - uptime + get32(d + 49), (r.first_us / 1000));
	assert_int_equal((uint64_t)secs * 1000 - uptime + get32(d + 53), (r.last_us / 1000));
	fp_encode_begin(&e, (r.last_us / 1000) + 200);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 12), 0);
}

/* Options template and records (RFC 7011 §3.4.2.2, §4), counted as data records. */
static void options_records(void **state)
{
	(void)state;
	uint8_t buf[1500];
	struct fp_encoder e;
	struct fp_export_counters c = {.messages = 7,
				       .flow_records = 150,
				       .octets = 9000,
				       .ignored_packets = 3,
				       .ignored_octets = 180,
				       .notsent_flows = 2,
				       .notsent_packets = 20,
				       .notsent_octets = 1200};

	fp_encode_init(&e, FP_FORMAT_IPFIX, 5, buf, sizeof(buf), 0);
	fp_encode_begin(&e, 1767225600000ull);
	assert_int_equal(fp_encode_options_templates(&e), 0);
	assert_int_equal(fp_encode_options(&e, &c), 0);
	size_t len = fp_encode_finish(&e);
	const uint8_t *ts = buf + 16;
	assert_int_equal(get16(ts), 3); /* options template set */
	assert_int_equal(get16(ts + 4), FP_TEMPLATE_OPT_METERING);
	assert_int_equal(get16(ts + 6), 4);    /* fields, scope included */
	assert_int_equal(get16(ts + 8), 1);    /* scope fields */
	assert_int_equal(get16(ts + 10), 149); /* observationDomainId */
	assert_int_equal(get16(ts + 14), 41);  /* exportedMessageTotalCount */
	/* one options template per set (nfacctd misreads sets holding several): skip all three */
	const uint8_t *ds = ts;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(get16(ds), 3);
		ds += get16(ds + 2);
	}
	assert_int_equal(get16(ds), FP_TEMPLATE_OPT_METERING);
	assert_int_equal(get32(ds + 4), 5); /* scope: the observation domain */
	assert_int_equal(get64(ds + 8), 7);
	assert_int_equal(get64(ds + 16), 150);
	assert_int_equal(get64(ds + 24), 9000);
	size_t off = (size_t)(ds - buf), sets = 0;
	while (off < len) {
		off += get16(buf + off + 2);
		sets++;
	}
	assert_int_equal(off, len);
	assert_int_equal(sets, 3); /* three options data sets after the template sets */
	fp_encode_begin(&e, 1767225601000ull);
	fp_encode_finish(&e);
	assert_int_equal(get32(buf + 8), 3); /* three data records were sent before */

	fp_encode_init(&e, FP_FORMAT_NFV9, 5, buf, sizeof(buf), 1767225599000ull);
	fp_encode_begin(&e, 1767225600000ull);
	assert_int_equal(fp_encode_options_templates(&e), 0);
	assert_int_equal(fp_encode_options(&e, &c), 0);
	fp_encode_finish(&e);
	assert_int_equal(get16(buf + 2), 2);   /* one options template, one options record */
	assert_int_equal(get16(buf + 20), 1);  /* v9 options template FlowSet */
	assert_int_equal(get16(buf + 26), 4);  /* scope length: System, 4 bytes */
	assert_int_equal(get16(buf + 28), 12); /* option length: three 4-byte field specifiers */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ipfix_message_layout), cmocka_unit_test(nfv9_packet_layout),
	    cmocka_unit_test(ipv6_record),	    cmocka_unit_test(fills_to_mtu),
	    cmocka_unit_test(wrap_around),	    cmocka_unit_test(options_records),
	    cmocka_unit_test(nfv5_packet_layout),   cmocka_unit_test(optional_fields),
	    cmocka_unit_test(latency_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
