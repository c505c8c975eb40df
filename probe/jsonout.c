/* SPDX-License-Identifier: BSD-3-Clause */
#include "jsonout.h"

#include "fp_cid.h"
#include "fp_encode.h"

#include "log.h"
#include "pcapstore.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int json_open_fd(struct fp_jsonout *j)
{
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (j->fd < 0)
		return -1;
	struct stat st;
	j->is_pipe = fstat(j->fd, &st) == 0 && S_ISFIFO(st.st_mode);
	return 0;
}

int fp_jsonout_open(struct fp_jsonout *j, const char *path)
{
	memset(j, 0, sizeof(*j));
	j->clock.sec = UINT64_MAX;
	j->path = path;
	j->buf = malloc(FP_JSON_BUF);
	j->ends = calloc(FP_JSON_ENDS, sizeof(*j->ends));
	if (j->buf == NULL || j->ends == NULL) {
		fp_log(LOG_ERR, "--json %s: out of memory", path);
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		struct stat st;
		j->fd = STDOUT_FILENO;
		j->is_stdout = 1;
		j->is_pipe = fstat(j->fd, &st) == 0 && S_ISFIFO(st.st_mode);
		return 0;
	}
	if (json_open_fd(j) != 0) {
		fp_log(LOG_ERR, "--json %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* `n` decimal digits of `v`, zero-padded, at `out`. */
static char *digits(char *out, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return out + n;
}

/* "YYYY-MM-DDThh:mm:ss" of Unix second `s` into `out` (20 bytes with the NUL): the proleptic
 * Gregorian calendar by arithmetic on days since 0000-03-01 (years of 365.2425 days in 400-year
 * eras, March first so that February's leap day ends the year), gmtime_r and strftime past year
 * 9999. Its length. */
static size_t civil_text(char *out, size_t len, uint64_t s)
{
	uint64_t days = s / 86400, sod = s % 86400;
	uint64_t z = days + 719468; /* 1970-01-01 is day 719468 of that count */
	uint64_t era = z / 146097, doe = z % 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	uint64_t year = yoe + era * 400 + (month <= 2);
	if (year > 9999) {
		time_t t = (time_t)s;
		struct tm tm;
		gmtime_r(&t, &tm);
		return strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	}
	char *p = digits(out, (unsigned)year, 4);
	*p++ = '-';
	p = digits(p, month, 2);
	*p++ = '-';
	p = digits(p, day, 2);
	*p++ = 'T';
	p = digits(p, (unsigned)(sod / 3600), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(sod / 60 % 60), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(sod % 60), 2);
	*p = '\0';
	return (size_t)(p - out);
}

/* ISO 8601 UTC of µs with 3 or 6 digits of fraction, NUL-terminated: its length. `c` holds
 * the last second's text. */
static size_t time_text(char *buf, uint64_t us, int digits_n, struct fp_json_clock *c)
{
	uint64_t s = us / 1000000;
	if (c->sec != s) {
		c->len = civil_text(c->text, sizeof(c->text), s);
		c->sec = s;
	}
	memcpy(buf, c->text, c->len);
	char *p = buf + c->len;
	*p++ = '.';
	unsigned frac = (unsigned)(us % 1000000);
	p = digits_n == 6 ? digits(p, frac, 6) : digits(p, frac / 1000, 3);
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

/* The writer of a line (jsonout.h). A line that would not fit the buffer (it cannot: see
 * FP_JSON_LINE_MAX) is counted as not written. */
static void jl_raw(struct fp_jline *l, const char *s, size_t n)
{
	if ((size_t)(l->end - l->p) < n) {
		l->full = 1;
		return;
	}
	memcpy(l->p, s, n);
	l->p += n;
}

void fp_jl_key(struct fp_jline *l, const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if ((size_t)(l->end - l->p) < n + 4) {
		l->full = 1;
		return;
	}
	if (l->more)
		*l->p++ = ',';
	l->more = 1;
	if (key == NULL)
		return;
	*l->p++ = '"';
	memcpy(l->p, key, n);
	l->p += n;
	*l->p++ = '"';
	*l->p++ = ':';
}

void fp_jl_open(struct fp_jline *l, const char *key, char bracket)
{
	fp_jl_key(l, key);
	jl_raw(l, &bracket, 1);
	l->more = 0;
}

void fp_jl_close(struct fp_jline *l, char bracket)
{
	jl_raw(l, &bracket, 1);
	l->more = 1;
}

void fp_jl_int(struct fp_jline *l, const char *key, int64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *b = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--b = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--b = '-';
	fp_jl_key(l, key);
	jl_raw(l, b, (size_t)(e - b));
}

void fp_jl_true(struct fp_jline *l, const char *key)
{
	fp_jl_key(l, key);
	jl_raw(l, "true", 4);
}

/* `s`, `n` bytes, as a JSON string: only '"' and '\\' can need escaping in what is written
 * here (printable ASCII). */
static void jl_text(struct fp_jline *l, const char *s, size_t n)
{
	if ((size_t)(l->end - l->p) < 2 * n + 2) {
		l->full = 1;
		return;
	}
	*l->p++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			*l->p++ = '\\';
		*l->p++ = s[i];
	}
	*l->p++ = '"';
}

void fp_jl_str(struct fp_jline *l, const char *key, const char *s)
{
	fp_jl_key(l, key);
	jl_text(l, s, strlen(s));
}

void fp_jl_time(struct fp_jline *l, const char *key, uint64_t us, int digits_n,
		struct fp_json_clock *c)
{
	char buf[FP_JSON_TIME_MAX];
	size_t n = time_text(buf, us, digits_n, c);
	fp_jl_key(l, key);
	jl_text(l, buf, n);
}

void fp_jl_addr(struct fp_jline *l, const char *key, int ipver, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];
	if (ipver == 6) {
		inet_ntop(AF_INET6, a, buf, sizeof(buf)); /* RFC 5952's zero compression */
	} else {
		char *p = buf;
		for (int i = 0; i < 4; i++) {
			unsigned v = a[i];
			if (i)
				*p++ = '.';
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
		}
		*p = '\0';
	}
	fp_jl_str(l, key, buf);
}

void fp_jl_hex(struct fp_jline *l, const char *key, const uint8_t *b, int n, char sep, int upper)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[3 * 8], *p = buf;
	for (int i = 0; i < n && i < 8; i++) {
		if (i && sep)
			*p++ = sep;
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	fp_jl_key(l, key);
	jl_text(l, buf, (size_t)(p - buf));
}

/* --fields, as the templates carry them; MPLS label stack sections as IPFIX octetArrays, in
 * hex (label, traffic class, bottom-of-stack bit: 3 octets). */
static void add_fields(const struct fp_jsonout *j, struct fp_jline *l, const struct fp_record *r)
{
	static const char *const mpls_names[3] = {
	    "mplsTopLabelStackSection", "mplsLabelStackSection2", "mplsLabelStackSection3"};

	if (j->fields & FP_FIELD_INGRESS)
		fp_jl_int(l, "ingressInterface", r->more.ingress);
	if (j->fields & FP_FIELD_VLAN) {
		fp_jl_int(l, "dot1qVlanId", r->key.vlan);
		fp_jl_int(l, "dot1qCustomerVlanId", r->more.vlan_inner);
	}
	if ((j->fields & FP_FIELD_FLOW_LABEL) && r->key.ipver == 6)
		fp_jl_int(l, "flowLabelIPv6", r->more.flow_label);
	if (j->fields & FP_FIELD_MPLS)
		for (int i = 0; i < 3; i++)
			fp_jl_hex(l, mpls_names[i], r->more.mpls[i], 3, 0, 0);
	if (j->fields & FP_FIELD_TUNNEL) {
		fp_jl_int(l, "greKey", r->more.gre_key);
		fp_jl_int(l, "layer2SegmentId", (int64_t)r->l2_segment);
	}
	/* no IANA IEs: named as what they are, in µs, present only when measured */
	static const char *const lat_names[FP_LAT_N] = {
	    [FP_LAT_CLIENT] = "clientNetworkLatencyMicroseconds",
	    [FP_LAT_SERVER] = "serverNetworkLatencyMicroseconds",
	    [FP_LAT_APPL] = "applicationLatencyMicroseconds",
	};
	if (j->fields & FP_FIELD_LATENCY)
		for (int k = 0; k < FP_LAT_N; k++)
			if (r->lat_known & (1u << k))
				fp_jl_int(l, lat_names[k], r->lat_us[k]);
}

/* Said once in the log at once (the rest is counted: summary, final LOSS line, exit status). */
static void warn_once(struct fp_jsonout *j, const char *what)
{
	if (j->warned)
		return;
	fp_log(LOG_ERR, "--json %s: %s (%s); lines not written are counted", j->path, what,
	       strerror(j->last_errno));
	j->warned = 1;
}

/* The reader of our pipe closed it after `done` of the buffer's bytes went in: the lines it read
 * whole reached it; those still in the pipe, or never written, did not. */
static void reader_closed(struct fp_jsonout *j, size_t done)
{
	int unread = 0;
	j->written += done;
	if (ioctl(j->fd, FIONREAD, &unread) != 0 || unread < 0)
		unread = 0;
	uint64_t consumed = j->written - (uint64_t)unread;
	uint64_t lines = j->records + j->pending, reached = lines;
	/* back from the newest line while its end lies beyond what the reader took */
	while (reached > 0 && lines - reached < FP_JSON_ENDS &&
	       j->ends[(reached - 1) % FP_JSON_ENDS] > consumed)
		reached--;
	__atomic_store_n(&j->errors, j->errors + (lines - reached), __ATOMIC_RELAXED);
	__atomic_store_n(&j->records, reached, __ATOMIC_RELAXED);
	j->pending = 0;
	j->blen = 0;
	j->last_errno = EPIPE;
	__atomic_store_n(&j->reader_gone, 1, __ATOMIC_RELEASE);
	fp_log(LOG_ERR,
	       "--json %s: the reader closed the pipe after %llu lines; the run ends (as on "
	       "SIGPIPE), every line after that is counted as not written",
	       j->path, (unsigned long long)reached);
	j->warned = 1;
}

/* The buffer's first `done` bytes went out, then the write failed (disk full, I/O error): the
 * whole lines among them are written, a cut line is cut off the file again (a reader would
 * break on it), the rest is counted. Later lines are tried again (space may come back). */
static void write_failed(struct fp_jsonout *j, size_t done)
{
	j->last_errno = errno;
	size_t whole = done;
	while (whole > 0 && j->buf[whole - 1] != '\n')
		whole--;
	uint64_t lines = 0;
	for (size_t i = 0; i < whole; i++)
		lines += j->buf[i] == '\n';
	if (whole < done) {
		off_t end = lseek(j->fd, 0, SEEK_CUR);
		if (end < 0 || ftruncate(j->fd, end - (off_t)(done - whole)) != 0)
			fp_log(LOG_ERR, "--json %s: cannot cut the last, partial line off (%s)",
			       j->path, strerror(errno));
	}
	__atomic_store_n(&j->records, j->records + lines, __ATOMIC_RELAXED);
	__atomic_store_n(&j->errors, j->errors + (j->pending - lines), __ATOMIC_RELAXED);
	j->written += whole;
	j->pending = 0;
	j->blen = 0;
	warn_once(j, "cannot write");
}

size_t fp_json_wire_text(char *buf, size_t len, const char *s, int lower)
{
	size_t n = 0;
	for (; s[n] && n < len - 1; n++) {
		unsigned char c = (unsigned char)s[n];
		buf[n] = c >= 0x20 && c < 0x7f ? (char)(lower ? tolower(c) : c) : '?';
	}
	buf[n] = '\0';
	return n;
}

void fp_jl_wire(struct fp_jline *l, const char *key, const char *s, int lower)
{
	char buf[FP_JSON_WIRE_MAX];
	size_t n = fp_json_wire_text(buf, sizeof(buf), s, lower);
	fp_jl_key(l, key);
	jl_text(l, buf, n);
}

/* --dpi: the application and the names found, each only when known. */
static void add_app(struct fp_jline *l, const struct fp_app *a)
{
	if (a == NULL || !(a->flags & FP_APP_CLASSIFIED))
		return;
	fp_jl_wire(l, "applicationName", a->app_name, 0);
	fp_jl_int(l, "applicationId", a->app ? a->app : a->master);
	if (a->flags & FP_APP_GUESSED)
		fp_jl_true(l, "applicationGuessed");
	if ((a->flags & FP_APP_TLS_SNI) && a->name[0])
		fp_jl_wire(l, "tlsServerName", a->name, 0);
	if (a->flags & FP_APP_DNS) {
		fp_jl_wire(l, "dnsQueryName", a->name, 0);
		fp_jl_int(l, "dnsQueryType", a->dns_qtype);
		fp_jl_int(l, "dnsResponseCode", a->dns_rcode);
	}
	if (a->flags & FP_APP_HTTP) {
		if (a->name[0])
			fp_jl_wire(l, "httpRequestHost", a->name, 0);
		if (a->http_method[0])
			fp_jl_wire(l, "httpRequestMethod", a->http_method, 0);
		if (a->http_status)
			fp_jl_int(l, "httpStatusCode", a->http_status);
		if (a->user_agent[0])
			fp_jl_wire(l, "httpUserAgent", a->user_agent, 0);
	}
}

/* --pcap-dir: the names of the files that hold the record's packets: one per slot it lasted
 * in (an active timeout bounds how many), its worker's. */
#define PCAP_FILES_MAX 64

void fp_jl_pcap_files(struct fp_jline *l, const char *key, const struct fp_jsonout *j,
		      const struct fp_record *r)
{
	uint64_t len = (uint64_t)j->pcap_rotate_s * 1000, last = r->last_us / 1000;
	char name[64];
	unsigned n = 0;
	fp_jl_open(l, key, '[');
	for (uint64_t ms = r->first_us / 1000 / len * len; ms <= last && n < PCAP_FILES_MAX;
	     ms += len, n++) {
		fp_pstore_name(j->pcap_rotate_s, r->worker, ms, name, sizeof(name));
		fp_jl_str(l, NULL, name);
	}
	fp_jl_close(l, ']');
}

/* The record with IANA IPFIX information element names (--json-schema ipfix). */
static void ipfix_line(struct fp_jsonout *j, struct fp_jline *l, const struct fp_record *r,
		       const struct fp_app *app)
{
	const struct fp_flow_key *k = &r->key;
	int v6 = k->ipver == 6;
	int icmp = k->proto == 1 || k->proto == 58;
	fp_jl_time(l, "flowStartMilliseconds", r->first_us, 3, &j->clock);
	fp_jl_time(l, "flowEndMilliseconds", r->last_us, 3, &j->clock);
	fp_jl_time(l, "flowStartMicroseconds", r->first_us, 6, &j->clock);
	fp_jl_time(l, "flowEndMicroseconds", r->last_us, 6, &j->clock);
	fp_jl_int(l, "ipVersion", k->ipver);
	fp_jl_addr(l, v6 ? "sourceIPv6Address" : "sourceIPv4Address", k->ipver, k->src);
	fp_jl_addr(l, v6 ? "destinationIPv6Address" : "destinationIPv4Address", k->ipver, k->dst);
	fp_jl_int(l, "protocolIdentifier", k->proto);
	if (icmp) {
		fp_jl_int(l, v6 ? "icmpTypeCodeIPv6" : "icmpTypeCodeIPv4", r->icmp_type_code);
	} else {
		fp_jl_int(l, "sourceTransportPort", k->sport);
		fp_jl_int(l, "destinationTransportPort", k->dport);
	}
	if (k->proto == 6)
		fp_jl_int(l, "tcpControlBits", r->tcp_flags);
	fp_jl_int(l, "ipClassOfService", r->tos);
	if (k->vlan)
		fp_jl_int(l, "vlanId", k->vlan);
	fp_jl_int(l, "minimumTTL", r->ttl_min);
	fp_jl_int(l, "maximumTTL", r->ttl_max);
	fp_jl_hex(l, "sourceMacAddress", r->src_mac, 6, ':', 0);
	fp_jl_hex(l, "destinationMacAddress", r->dst_mac, 6, ':', 0);
	fp_jl_int(l, "packetDeltaCount", (int64_t)r->packets);
	fp_jl_int(l, "octetDeltaCount", (int64_t)r->octets);
	if (j->biflow) {
		fp_jl_int(l, "reversePacketDeltaCount", (int64_t)r->rev_packets);
		fp_jl_int(l, "reverseOctetDeltaCount", (int64_t)r->rev_octets);
		if (k->proto == 6)
			fp_jl_int(l, "reverseTcpControlBits", r->rev_tcp_flags);
	}
	add_fields(j, l, r);
	add_app(l, app);
	if (j->pcap_rotate_s)
		fp_jl_pcap_files(l, "pcapFiles", j, r);
	/* IE 34: the counters are of 1 packet in N; a consumer scales them, as collectors do. */
	if (j->sample_n > 1)
		fp_jl_int(l, "samplingInterval", j->sample_n);
	char cid[FP_CID_LEN];
	fp_cid_v1(&r->key, j->cid_seed, cid);
	fp_jl_str(l, "communityId", cid);
	fp_jl_int(l, "flowEndReason", r->end_reason);
	fp_jl_str(l, "flowEndReasonName", fp_end_reason_name((enum fp_end_reason)r->end_reason));
}

/* The record's line, newline included, into `buf`: its length, or 0 when it did not fit. */
static size_t format_line(struct fp_jsonout *j, char *buf, size_t len, const struct fp_record *r,
			  const struct fp_app *app)
{
	struct fp_jline l = {.p = buf, .end = buf + len - 1};
	fp_jl_open(&l, NULL, '{');
	if (j->ecs)
		fp_json_ecs(j, &l, r, app);
	else
		ipfix_line(j, &l, r, app);
	fp_jl_close(&l, '}');
	if (l.full)
		return 0;
	*l.p++ = '\n';
	return (size_t)(l.p - buf);
}

void fp_jsonout_write(struct fp_jsonout *j, const struct fp_record *r, const struct fp_app *app)
{
	static char line[FP_JSON_LINE_MAX]; /* the exporter thread's */

	if (j->fd < 0 || j->reader_gone) { /* a reopen failed, the reader left: counted */
		__atomic_store_n(&j->errors, j->errors + 1, __ATOMIC_RELAXED);
		return;
	}
	size_t n = format_line(j, line, sizeof(line), r, app);
	if (n == 0) {
		__atomic_store_n(&j->errors, j->errors + 1, __ATOMIC_RELAXED);
		return;
	}
	if (j->blen + n > FP_JSON_BUF) {
		fp_jsonout_flush(j);
		if (j->reader_gone) {
			__atomic_store_n(&j->errors, j->errors + 1, __ATOMIC_RELAXED);
			return;
		}
	}
	memcpy(j->buf + j->blen, line, n);
	j->blen += n;
	j->appended += n;
	j->ends[(j->records + j->pending) % FP_JSON_ENDS] = j->appended;
	j->pending++;
}

void fp_jsonout_flush(struct fp_jsonout *j)
{
	size_t done = 0;
	if (j->fd < 0 || j->blen == 0)
		return;
	while (done < j->blen) {
		ssize_t w = write(j->fd, j->buf + done, j->blen - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) { /* a non-blocking descriptor we were given */
			struct pollfd pfd = {.fd = j->fd, .events = POLLOUT};
			poll(&pfd, 1, 100);
			continue;
		}
		if (w <= 0) {
			if (w < 0 && errno == EPIPE)
				reader_closed(j, done);
			else
				write_failed(j, done);
			return;
		}
		done += (size_t)w;
	}
	j->written += done;
	__atomic_store_n(&j->records, j->records + j->pending, __ATOMIC_RELAXED);
	j->pending = 0;
	j->blen = 0;
}

/* A quiet moment: has the pipe's reader gone, with nothing to write that would tell us? */
static void check_reader(struct fp_jsonout *j)
{
	struct pollfd pfd = {.fd = j->fd, .events = 0};
	if (!j->is_pipe || j->reader_gone || j->blen)
		return;
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR)) {
		errno = EPIPE;
		reader_closed(j, 0);
	}
}

int fp_jsonout_reopen(struct fp_jsonout *j)
{
	if (j->is_stdout || j->fd < 0)
		return 0;
	fp_jsonout_flush(j);
	if (close(j->fd) != 0) {
		j->last_errno = errno;
		warn_once(j, "cannot close");
	}
	if (json_open_fd(j) != 0) {
		fp_log(LOG_ERR, "--json %s: cannot reopen (%s); JSON lines stop", j->path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

void fp_jsonout_close(struct fp_jsonout *j)
{
	if (j->fd < 0 || j->buf == NULL)
		return;
	fp_jsonout_flush(j);
	if (!j->is_stdout && close(j->fd) != 0 && j->errors == 0)
		j->errors++; /* the last write failed at close (NFS): at least one line is gone */
	j->fd = -1;
	free(j->buf);
	free(j->ends);
	j->buf = NULL;
	j->ends = NULL;
}

/* --json as a sink of the exporter (sink.h). */
static void json_take(void *p, const struct fp_record *r, const struct fp_app *app,
		      uint64_t clock_ms)
{
	(void)clock_ms;
	fp_jsonout_write(p, r, app);
}

static void json_tick(void *p, uint64_t clock_ms, unsigned idle)
{
	(void)clock_ms;
	if (idle == 1)
		fp_jsonout_flush(p);
	if (idle % 256 == 1) /* a closed pipe is seen within a moment on a quiet link too */
		check_reader(p);
}

static void json_reopen(void *p)
{
	fp_jsonout_reopen(p);
}

static void json_finish(void *p, uint64_t clock_ms)
{
	(void)clock_ms;
	fp_jsonout_flush(p);
}

static void json_stats(const void *p, struct fp_sink_stats *out)
{
	const struct fp_jsonout *j = p;
	memset(out, 0, sizeof(*out));
	out->records = __atomic_load_n(&j->records, __ATOMIC_RELAXED);
	out->records_lost = __atomic_load_n(&j->errors, __ATOMIC_RELAXED);
	out->last_errno = j->last_errno;
}

static const char *json_target(const void *p)
{
	return ((const struct fp_jsonout *)p)->path;
}

const struct fp_sink_ops fp_jsonout_ops = {
    .name = "json",
    .lost_what = "JSON lines",
    .lost_how = "not written to --json",
    .remedy = "free space on its file system, or keep the pipe's reader reading",
    .take = json_take,
    .tick = json_tick,
    .reopen = json_reopen,
    .finish = json_finish,
    .stats = json_stats,
    .target = json_target,
};
