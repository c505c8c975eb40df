/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Each sink module driven with synthetic records, as the exporter drives it, opened from a
 * configuration the real parser read: JSON lines in both schemas (read back), nfcapd files
 * (read back with Debian's nfdump), the collectors (IPFIX messages from a UDP socket on the
 * loopback) and ClickHouse (RowBinary rows an HTTP endpoint in this test receives, decoded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "exporter.h"
#include "fp_fields.h"
#include "fp_localnet.h"
#include "jsonout.h"
#include "log.h"
#include "sink.h"
#include "tmpdir.h"

#define T0_US 1767225600000000ull /* 2026-01-01T00:00:00Z */

#define fp_json_module (*fp_sink_module_named("json"))
#define fp_flowdir_module (*fp_sink_module_named("flow-dir"))
#define fp_clickhouse_module (*fp_sink_module_named("clickhouse"))
#define fp_collectors_module (*fp_sink_module_named("collectors"))

/* Record i: TCP over IPv4 (i % 3 == 0), UDP over IPv6 (1), ICMP echo over IPv4 (2). */
static void make_record(struct fp_record *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	unsigned kind = i % 3;
	r->key.ipver = kind == 1 ? 6 : 4;
	r->ipver = r->key.ipver;
	if (kind == 1) {
		uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
		uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
		memcpy(r->key.src, s6, 16);
		memcpy(r->key.dst, d6, 16);
		r->more.flow_label = 0x12345;
	} else {
		uint8_t s4[4] = {198, 18, 0, (uint8_t)(1 + i)}, d4[4] = {198, 19, 0, 2};
		memcpy(r->key.src, s4, 4);
		memcpy(r->key.dst, d4, 4);
	}
	r->key.proto = kind == 0 ? 6 : kind == 1 ? 17 : 1;
	if (kind == 2) {
		r->key.dport = 8 << 8;
		r->icmp_type_code = 8 << 8;
	} else {
		r->key.sport = (uint16_t)(40000 + i);
		r->key.dport = kind == 0 ? 443 : 53;
	}
	r->tcp_flags = kind == 0 ? 0x1b : 0;
	r->packets = 10 + i;
	r->octets = 1000 + 100 * i;
	r->first_us = T0_US + i * 1000000ull;
	r->last_us = r->first_us + 2500123;
	r->ttl_min = r->ttl_max = 64;
	r->direction =
	    (uint8_t)(FP_DIR_INBOUND + i % 4); /* as the exporter sets it (--local-net) */
	r->end_reason = FP_END_IDLE;
}

/* A configuration as the command line gives it: "fluxprobe --read x.pcap ARGS...". */
static void parse(struct fp_config *cfg, const char *const *args)
{
	char *argv[32] = {"fluxprobe", "--read", "x.pcap", "-q"};
	int argc = 4;
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	memset(cfg, 0, sizeof(*cfg));
	assert_int_equal(fp_config_parse(cfg, argc, argv), 0);
}

/* The module's sink, opened from `cfg`, fed `n` records, finished and closed; its counters. */
static void drive(const struct fp_sink_module *m, const struct fp_config *cfg,
		  struct fp_exporter *x, unsigned n, struct fp_sink_stats *st)
{
	struct fp_sink s;
	struct fp_sink_env env = {.uid = (uid_t)-1, .gid = (gid_t)-1, .x = x};
	assert_true(m->wanted(cfg));
	assert_int_equal(m->open(cfg, &env, &s), 0);
	assert_ptr_equal(s.module, m);
	if (m->start)
		assert_int_equal(m->start(s.priv), 0);
	uint64_t clock_ms = T0_US / 1000;
	if (s.ops->begin)
		s.ops->begin(s.priv);
	for (unsigned i = 0; i < n; i++) {
		struct fp_record r;
		make_record(&r, i);
		s.ops->take(s.priv, &r, NULL, r.last_us / 1000);
		clock_ms = r.last_us / 1000;
	}
	s.ops->tick(s.priv, clock_ms, 1);
	s.ops->finish(s.priv, clock_ms + 1000);
	s.ops->stats(s.priv, st);
	m->close(s.priv);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* --json (IANA names): each record a line; what a record lacks is left out. */
static void test_json_ipfix(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/ipfix.json", dir);
	struct fp_config cfg;
	parse(&cfg, (const char *const[]){"--json", path, "--fields", "all", "--biflow", NULL});
	struct fp_sink_stats st;
	drive(&fp_json_module, &cfg, NULL, 3, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.records_lost, 0);
	char *text = slurp(path);
	assert_int_equal(count_lines(text), 3);
	char *l1 = text, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	l2[-1] = l3[-1] = '\0';
	assert_non_null(strstr(l1, "{\"flowStartMilliseconds\":\"2026-01-01T00:00:00.000Z\","));
	assert_non_null(strstr(l1, "\"sourceIPv4Address\":\"198.18.0.1\""));
	assert_non_null(
	    strstr(l1, "\"sourceTransportPort\":40000,\"destinationTransportPort\":443"));
	assert_non_null(strstr(l1, "\"tcpControlBits\":27"));
	assert_non_null(strstr(l1, "\"reversePacketDeltaCount\":0"));
	assert_null(strstr(l1, "flowLabelIPv6"));
	assert_non_null(strstr(l2, "\"sourceIPv6Address\":\"2001:db8::1\""));
	assert_non_null(strstr(l2, "\"flowLabelIPv6\":74565"));
	assert_null(strstr(l2, "tcpControlBits"));
	assert_non_null(strstr(l3, "\"icmpTypeCodeIPv4\":2048"));
	assert_null(strstr(l3, "TransportPort"));
	assert_non_null(strstr(l3, "\"flowEndReason\":1,\"flowEndReasonName\":\"idle_timeout\"}"));
	fp_config_free(&cfg);
}

/* --json-schema ecs: nested objects, each whole; ports only where the transport has them. */
static void test_json_ecs(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/ecs.json", dir);
	struct fp_config cfg;
	parse(&cfg, (const char *const[]){"--json", path, "--json-schema", "ecs", "--fields",
					  "latency", NULL});
	struct fp_sink_stats st;
	drive(&fp_json_module, &cfg, NULL, 3, &st);
	assert_int_equal(st.records, 3);
	char *text = slurp(path);
	assert_int_equal(count_lines(text), 3);
	assert_non_null(strstr(text,
			       "{\"@timestamp\":\"2026-01-01T00:00:02.500123Z\","
			       "\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"kind\":\"event\","
			       "\"category\":[\"network\"],\"type\":[\"connection\",\"end\"]"));
	assert_non_null(strstr(text,
			       "\"source\":{\"ip\":\"198.18.0.1\",\"port\":40000,"
			       "\"mac\":\"00-00-00-00-00-00\",\"bytes\":1000,\"packets\":10},"));
	assert_non_null(strstr(text, "\"network\":{\"type\":\"ipv4\",\"iana_number\":\"1\","
				     "\"transport\":\"icmp\""));
	assert_non_null(strstr(text, "\"source\":{\"ip\":\"198.18.0.3\",\"mac\""));
	assert_null(strstr(text, "latency")); /* none measured */
	/* every object once per line */
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		char *first = strstr(l, "\"fluxprobe\":{");
		assert_non_null(first);
		assert_null(strstr(first + 1, "\"fluxprobe\":{"));
	}
	fp_config_free(&cfg);
}

/* An address's text in the lines is inet_ntop()'s: every IPv6 address whose eight groups are
 * each 0, 1, 0xffff or 0xabc0 (zero runs of every length and place, ::ffff: and the IPv4
 * forms), and random IPv4 addresses. */
static void test_json_addr_text(void **state)
{
	(void)state;
	static const unsigned groups[4] = {0, 1, 0xffff, 0xabc0};
	char want[INET6_ADDRSTRLEN], got[FP_JSON_ADDR_MAX + 1];
	for (unsigned c = 0; c < 65536; c++) {
		uint8_t a[16];
		for (int i = 0; i < 8; i++) {
			unsigned g = groups[c >> (2 * i) & 3];
			a[2 * i] = (uint8_t)(g >> 8);
			a[2 * i + 1] = (uint8_t)g;
		}
		assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
		size_t n = fp_json_addr_text(got, 6, a);
		got[n] = '\0';
		assert_string_equal(got, want);
	}
	srand(5952);
	for (int k = 0; k < 100000; k++) {
		uint8_t a[4] = {(uint8_t)rand(), (uint8_t)rand(),
				(uint8_t)(rand() % 3 ? rand() : 0), (uint8_t)rand()};
		assert_non_null(inet_ntop(AF_INET, a, want, sizeof(want)));
		size_t n = fp_json_addr_text(got, 4, a);
		got[n] = '\0';
		assert_string_equal(got, want);
	}
}

/* --flow-dir: nfdump reads back every record, counters and addresses as given. */
static void test_flow_dir(void **state)
{
	(void)state;
	char fd[128], cmd[512];
	snprintf(fd, sizeof(fd), "%s/flows", dir);
	struct fp_config cfg;
	parse(&cfg, (const char *const[]){"--flow-dir", fd, NULL});
	struct fp_sink_stats st;
	drive(&fp_flowdir_module, &cfg, NULL, 6, &st);
	assert_int_equal(st.records, 6);
	assert_int_equal(st.files, 1);
	snprintf(cmd, sizeof(cmd),
		 "nfdump -R '%s' -q -N -o 'fmt:%%pr %%sa %%dp %%pkt %%byt' | sort", fd);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	/* protocol, source, destination port, packets, bytes: as make_record() made them */
	static const char *const want[] = {
	    "1 198.18.0.3 8.0 12 1200",	 "1 198.18.0.6 8.0 15 1500", "17 2001:db8::1 53 11 1100",
	    "17 2001:db8::1 53 14 1400", "6 198.18.0.1 443 10 1000", "6 198.18.0.4 443 13 1300",
	};
	char line[256];
	int n = 0;
	while (fgets(line, sizeof(line), p)) {
		char norm[256];
		size_t k = 0;
		for (char *c = line; *c && k < sizeof(norm) - 1; c++) /* one space between fields */
			if (*c != ' ' && *c != '\n')
				norm[k++] = *c;
			else if (k && norm[k - 1] != ' ' && c[1] && c[1] != '\n')
				norm[k++] = ' ';
		norm[k] = '\0';
		assert_true(n < 6);
		assert_string_equal(norm, want[n]);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 6);
	fp_config_free(&cfg);
}

/* The collectors: IPFIX messages on a UDP socket, every record in a data set. */
static void test_collectors(void **state)
{
	(void)state;
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&a, &alen), 0);
	char target[64];
	snprintf(target, sizeof(target), "127.0.0.1:%u", ntohs(a.sin_port));
	struct fp_config cfg;
	parse(&cfg, (const char *const[]){"--collector", target, "--no-options", NULL});
	static struct fp_exporter x;
	assert_int_equal(fp_exporter_init(&x, &cfg, NULL, 0, 1), 0);
	x.clock_ms = T0_US / 1000;
	struct fp_sink_stats st;
	drive(&fp_collectors_module, &cfg, &x, 30, &st);
	assert_int_equal(st.records, 30);
	/* read what came: the records in data sets 256 (IPv4) and 257 (IPv6) */
	size_t len4 = fp_encode_record_len(FP_FORMAT_IPFIX, 4);
	size_t len6 = fp_encode_record_len(FP_FORMAT_IPFIX, 6);
	unsigned records = 0, templates = 0;
	uint8_t m[65536];
	ssize_t got;
	while ((got = recv(rx, m, sizeof(m), MSG_DONTWAIT)) > 0) {
		assert_true(got >= 16);
		assert_int_equal(m[0] << 8 | m[1], 10);
		assert_int_equal(m[2] << 8 | m[3], got);
		for (size_t o = 16; o + 4 <= (size_t)got;) {
			unsigned id = m[o] << 8 | m[o + 1], slen = m[o + 2] << 8 | m[o + 3];
			assert_true(slen >= 4 && o + slen <= (size_t)got);
			if (id == 2)
				templates++;
			else if (id == 256 || id == 257)
				records += (unsigned)((slen - 4) / (id == 256 ? len4 : len6));
			o += slen;
		}
	}
	close(rx);
	assert_true(templates >= 1);
	assert_int_equal(records, 30);
	fp_config_free(&cfg);
}

/* --- a ClickHouse HTTP endpoint in this test: answers every request, keeps the inserts --- */

static int ch_listen;
static char ch_query[4096];
static uint8_t ch_body[1 << 16];
static size_t ch_body_len;

static void *ch_server(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(ch_listen, NULL, NULL);
		if (c < 0)
			return NULL;
		static char req[1 << 17];
		size_t n = 0;
		ssize_t r;
		char *body = NULL;
		size_t want = 0;
		while ((r = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
			n += (size_t)r;
			req[n] = '\0';
			if (!body && (body = strstr(req, "\r\n\r\n")) != NULL) {
				body += 4;
				char *cl = strcasestr(req, "Content-Length:");
				want = cl ? strtoul(cl + 15, NULL, 10) : 0;
			}
			if (body && (size_t)(req + n - body) >= want)
				break;
		}
		const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
				 "18.16.1\n";
		if (body && strstr(req, "INSERT")) {
			snprintf(ch_query, sizeof(ch_query), "%.*s", (int)(strchr(req, '\r') - req),
				 req);
			ch_body_len = want < sizeof(ch_body) ? want : sizeof(ch_body);
			memcpy(ch_body, body, ch_body_len);
			ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		}
		ssize_t w = write(c, ok, strlen(ok));
		(void)w;
		close(c);
	}
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* --clickhouse: one INSERT naming the table's columns, the rows in RowBinary. */
/* One ClickHouse sink run (`args` beside --clickhouse URL --biflow) against the stand-in
 * server above, `n` records; the INSERT's query, URL-decoded, into `query`. */
static void ch_run(const char *const *args, unsigned n, char *query, size_t qlen)
{
	ch_listen = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(ch_listen, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ch_listen, 8), 0);
	assert_int_equal(getsockname(ch_listen, (struct sockaddr *)&a, &alen), 0);
	pthread_t t;
	pthread_create(&t, NULL, ch_server, NULL);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(a.sin_port));
	const char *argv[16] = {"--clickhouse", url, "--biflow"};
	for (int i = 0; args[i] && i < 12; i++)
		argv[3 + i] = args[i];
	struct fp_config cfg;
	parse(&cfg, argv);
	struct fp_sink_stats st;
	drive(&fp_clickhouse_module, &cfg, NULL, n, &st);
	assert_int_equal(st.records, n);
	shutdown(ch_listen, SHUT_RDWR);
	close(ch_listen);
	pthread_join(t, NULL);
	size_t q = 0;
	for (const char *s = ch_query; *s && q < qlen - 1; s++) {
		unsigned v;
		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
			query[q++] = (char)v;
			s += 2;
		} else {
			query[q++] = *s == '+' ? ' ' : *s;
		}
	}
	query[q] = '\0';
	fp_config_free(&cfg);
}

/* The columns an INSERT names: the table's (fp_fields.h) in its order, those of --local-net
 * only with it. */
static void ch_columns(char *want, size_t len, int local_net)
{
	uint16_t cols[FP_FIELDS_MAX];
	size_t n = fp_fields_order(FP_OUT_CH, cols), at = 0;
	assert_true(n > 30);
	at += (size_t)snprintf(want, len, "(");
	for (size_t i = 0; i < n; i++) {
		unsigned when = fp_fields[cols[i]].when; /* --geoip's: not asked for here */
		if (((when & FP_FIELD_DIRECTION) && !local_net) ||
		    (when & (FP_FIELD_AS | FP_FIELD_GEO | FP_FIELD_CITY | FP_FIELD_PAYLOAD |
			     FP_FIELD_TLS | FP_FIELD_TCP)))
			continue;
		at += (size_t)snprintf(want + at, len - at, "%s%s", at > 1 ? "," : "",
				       fp_fields[cols[i]].ch);
	}
	snprintf(want + at, len - at, ")");
}

static void test_clickhouse(void **state)
{
	(void)state;
	char want[2048], query[4096];
	ch_run((const char *const[]){NULL}, 2, query, sizeof(query));
	ch_columns(want, sizeof(want), 0);
	assert_non_null(strstr(query, "INSERT INTO flows "));
	assert_non_null(strstr(query, want));
	assert_null(strstr(query, "direction"));
	/* the first row: date (UInt16 days), time_start (UInt32 s), time_end, start_us, end_us,
	 * ip_version, src_ip (16 bytes, IPv4 mapped) */
	const uint8_t *p = ch_body;
	assert_true(ch_body_len > 2 + 4 + 4 + 8 + 8 + 1 + 16);
	assert_int_equal(le(p, 2), T0_US / 1000000 / 86400);
	assert_int_equal(le(p + 2, 4), T0_US / 1000000);
	assert_int_equal(le(p + 6, 4), (T0_US + 2500123) / 1000000);
	assert_int_equal(le(p + 10, 8), T0_US);
	assert_int_equal(le(p + 18, 8), T0_US + 2500123);
	assert_int_equal(p[26], 4);
	static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 198, 18, 0, 1};
	assert_memory_equal(p + 27, mapped, 16);

	/* --local-net: the direction column, last, its name in each row (the second record's
	 * is outbound) */
	ch_run((const char *const[]){"--local-net", "198.18.0.0/24", NULL}, 2, query,
	       sizeof(query));
	ch_columns(want, sizeof(want), 1);
	assert_non_null(strstr(query, want));
	assert_non_null(strstr(query, ",direction)"));
	assert_true(ch_body_len > 9);
	assert_memory_equal(ch_body + ch_body_len - 9, "\x08outbound", 9);
}

static int setup(void **state)
{
	fp_log_setup(LOG_ERR, 0);
	return tmpdir_make(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_ipfix), cmocka_unit_test(test_json_ecs),
	    cmocka_unit_test(test_flow_dir),   cmocka_unit_test(test_collectors),
	    cmocka_unit_test(test_clickhouse), cmocka_unit_test(test_json_addr_text),
	};
	return cmocka_run_group_tests(tests, setup, tmpdir_remove);
}
