/* SPDX-License-Identifier: BSD-3-Clause */
#include "jsonout.h"

#include "fp_encode.h"
#include "fp_fields.h"

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

extern const struct fp_sink_module fp_json_module;

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

void fp_jl_keytext(struct fp_jline *l, const char *text, size_t n)
{
	if ((size_t)(l->end - l->p) < n + 4) {
		l->full = 1;
		return;
	}
	if (l->more)
		*l->p++ = ',';
	memcpy(l->p, text, n);
	l->p += n;
	l->more = 0; /* the value that follows, written with no key, adds no comma */
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
 * here (printable ASCII); runs between them are copied whole. */
static void jl_text(struct fp_jline *l, const char *s, size_t n)
{
	if ((size_t)(l->end - l->p) < 2 * n + 2) {
		l->full = 1;
		return;
	}
	char *p = l->p;
	*p++ = '"';
	for (size_t i = 0; i < n;) {
		size_t run = i;
		while (run < n && s[run] != '"' && s[run] != '\\')
			run++;
		memcpy(p, s + i, run - i);
		p += run - i;
		if (run < n) {
			*p++ = '\\';
			*p++ = s[run++];
		}
		i = run;
	}
	*p++ = '"';
	l->p = p;
}

void fp_jl_str(struct fp_jline *l, const char *key, const char *s)
{
	fp_jl_key(l, key);
	jl_text(l, s, strlen(s));
}

/* Text we formatted, that cannot need escaping (times, addresses, hex): room for at most `max`
 * bytes and the quotes, or NULL (the line is full). The caller writes it and jl_quoted_end()
 * closes it. */
static inline char *jl_quoted(struct fp_jline *l, size_t max)
{
	if ((size_t)(l->end - l->p) < max + 2) {
		l->full = 1;
		return NULL;
	}
	*l->p++ = '"';
	return l->p;
}

static inline void jl_quoted_end(struct fp_jline *l, size_t n)
{
	l->p += n;
	*l->p++ = '"';
}

void fp_jl_time(struct fp_jline *l, const char *key, uint64_t us, int digits_n,
		struct fp_json_clock *c)
{
	fp_jl_key(l, key);
	char *p = jl_quoted(l, FP_JSON_TIME_MAX);
	if (p)
		jl_quoted_end(l, time_text(p, us, digits_n, c));
}

static const char hex_lower[] = "0123456789abcdef";

/* One 16-bit group of an IPv6 address in hex without leading zeros: its length. */
static size_t hex_group(char *out, unsigned w)
{
	size_t n = w >= 0x1000 ? 4 : w >= 0x100 ? 3 : w >= 0x10 ? 2 : 1;
	for (size_t i = n; i-- > 0; w >>= 4)
		out[i] = hex_lower[w & 15];
	return n;
}

static size_t ip4_text(char *out, const uint8_t *a)
{
	char *p = out;
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
	return (size_t)(p - out);
}

/*
 * RFC 5952 text of an IPv6 address, as glibc's inet_ntop() writes it (the lines were written
 * with it before; tests/test_sinks.c compares the two): lowercase hex without leading zeros,
 * the longest run of two or more zero groups (the first of equal runs) as "::", and the last
 * 32 bits in dotted decimal after ::ffff: and after 96 zero bits ahead of a non-zero group.
 */
static size_t ip6_text(char *out, const uint8_t *a)
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	char *p = out;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return (size_t)(p - out) + ip4_text(p, a + 12);
		p += hex_group(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return (size_t)(p - out);
}

size_t fp_json_addr_text(char *out, int ipver, const uint8_t *a)
{
	return ipver == 6 ? ip6_text(out, a) : ip4_text(out, a);
}

void fp_jl_addr(struct fp_jline *l, const char *key, int ipver, const uint8_t *a)
{
	fp_jl_key(l, key);
	char *p = jl_quoted(l, FP_JSON_ADDR_MAX);
	if (p)
		jl_quoted_end(l, fp_json_addr_text(p, ipver, a));
}

void fp_jl_hex(struct fp_jline *l, const char *key, const uint8_t *b, int n, char sep, int upper)
{
	const char *hex = upper ? "0123456789ABCDEF" : hex_lower;
	fp_jl_key(l, key);
	char *p = jl_quoted(l, 3 * 8), *q = p;
	if (p == NULL)
		return;
	for (int i = 0; i < n && i < 8; i++) {
		if (i && sep)
			*q++ = sep;
		*q++ = hex[b[i] >> 4];
		*q++ = hex[b[i] & 15];
	}
	jl_quoted_end(l, (size_t)(q - p));
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

void fp_jl_base64(struct fp_jline *l, const char *key, const uint8_t *p, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	fp_jl_key(l, key);
	char *q = jl_quoted(l, (n + 2) / 3 * 4);
	if (q == NULL)
		return;
	char *o = q;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[w >> 18];
		*o++ = b64[w >> 12 & 63];
		*o++ = b64[w >> 6 & 63];
		*o++ = b64[w & 63];
	}
	if (i < n) {
		uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = b64[w >> 18];
		*o++ = b64[w >> 12 & 63];
		*o++ = i + 1 < n ? b64[w >> 6 & 63] : '=';
		*o++ = '=';
	}
	jl_quoted_end(l, (size_t)(o - q));
}

/* Degrees with 4 decimals, rounded, without trailing zeros ("-97.822", "0"): its length
 * (at most 12). */
static size_t degrees(char *buf, double v)
{
	if (!(v >= -360.0 && v <= 360.0)) /* NaN, or not a coordinate: left at 0 */
		v = 0;
	int64_t t = (int64_t)(v * 10000.0 + (v < 0 ? -0.5 : 0.5));
	char *p = buf;
	if (t < 0) {
		*p++ = '-';
		t = -t;
	}
	unsigned whole = (unsigned)(t / 10000), frac = (unsigned)(t % 10000);
	char digits[4];
	int n = 0;
	do {
		digits[n++] = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	while (n)
		*p++ = digits[--n];
	if (frac) {
		*p++ = '.';
		for (unsigned d = 1000; frac; d /= 10) {
			*p++ = (char)('0' + frac / d);
			frac %= d;
		}
	}
	return (size_t)(p - buf);
}

void fp_jl_geo_point(struct fp_jline *l, const char *key, const struct fp_geo *g)
{
	fp_jl_key(l, key);
	if ((size_t)(l->end - l->p) < 2 * 12 + 16) {
		l->full = 1;
		return;
	}
	char *p = l->p;
	memcpy(p, "{\"lat\":", 7);
	p += 7;
	p += degrees(p, g->lat);
	memcpy(p, ",\"lon\":", 7);
	p += 7;
	p += degrees(p, g->lon);
	*p++ = '}';
	l->p = p;
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

/* The rows each schema writes (fp_fields.h), those this run's options turn on, in its order;
 * and what they read beside the record. Once, before the first line. */
static void layout(struct fp_jsonout *j)
{
	uint16_t idx[FP_FIELDS_MAX];
	j->ctx = (struct fp_field_ctx){
	    .fields = j->fields,
	    .biflow = j->biflow,
	    .sample_n = j->sample_n,
	    .pcap_rotate_s = j->pcap_rotate_s,
	    .cid_seed = j->cid_seed,
	    .observer = fp_json_observer(),
	};
	size_t n = fp_fields_order(j->ecs ? FP_OUT_ECS : FP_OUT_JSON, idx);
	j->nrows = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fp_field *f = &fp_fields[idx[i]];
		if (!fp_field_on(f, &j->ctx))
			continue;
		/* what a line needs of the row, side by side */
		struct fp_json_row *w = &j->jrows[j->nrows];
		*w = (struct fp_json_row){
		    .get = f->get,
		    .rec_off = f->rec_off,
		    .rec_size = f->rec_size,
		    .rec_when = f->rec_when,
		    .kind = (uint8_t)f->kind,
		    .digits = (uint8_t)(f->json_digits ? f->json_digits : 6),
		};
		for (int v6 = 0; v6 < 2 && !j->ecs; v6++) {
			int n = snprintf(w->keytext[v6], sizeof(w->keytext[v6]),
					 "\"%s\":", v6 && f->json6 ? f->json6 : f->json);
			if (n < 0 || (size_t)n >= sizeof(w->keytext[v6])) { /* test_fields checks */
				fp_log(LOG_ERR, "--json: the key of %s is too long", f->name);
				j->layout_failed = 1;
				n = 0;
			}
			w->keylen[v6] = (uint8_t)n;
		}
		j->rows[j->nrows++] = idx[i];
	}
	if (j->ecs && fp_json_ecs_layout(j) != 0) {
		fp_log(LOG_ERR, "--json %s: out of memory; lines are counted as not written",
		       j->path);
		j->layout_failed = 1;
	}
	j->laid_out = 1;
}

/* One value under `key` as JSON has it (--json-schema ipfix; ECS's own notations are in
 * json_ecs.c). */
static inline void jl_value(struct fp_jsonout *j, struct fp_jline *l, const char *key,
			    enum fp_field_kind kind, unsigned digits, const struct fp_field_val *v,
			    const struct fp_record *r)
{
	switch (kind) {
	case FP_FK_UINT:
		fp_jl_int(l, key, (int64_t)v->u);
		break;
	case FP_FK_TIME:
		fp_jl_time(l, key, v->u, (int)digits, &j->clock);
		break;
	case FP_FK_ADDR:
		fp_jl_addr(l, key, (int)v->n, v->p);
		break;
	case FP_FK_MAC:
		fp_jl_hex(l, key, v->p, 6, ':', 0);
		break;
	case FP_FK_HEX:
		fp_jl_hex(l, key, v->p, (int)v->n, 0, 0);
		break;
	case FP_FK_TEXT:
		fp_jl_str(l, key, v->s);
		break;
	case FP_FK_WIRE:
		fp_jl_wire(l, key, v->s, 0);
		break;
	case FP_FK_TRUE:
		fp_jl_true(l, key);
		break;
	case FP_FK_LIST:
		fp_jl_open(l, key, '[');
		for (uint32_t i = 0; i < v->n; i++)
			fp_jl_int(l, NULL, (int64_t)v->list[i]);
		fp_jl_close(l, ']');
		break;
	case FP_FK_TEXTS:
		fp_jl_open(l, key, '[');
		for (uint32_t i = 0; i < v->n; i++)
			fp_jl_str(l, NULL, v->texts[i]);
		fp_jl_close(l, ']');
		break;
	case FP_FK_PCAP_FILES:
		fp_jl_pcap_files(l, key, j, r);
		break;
	case FP_FK_GEO_POINT:
		fp_jl_geo_point(l, key, v->p);
		break;
	case FP_FK_BYTES:
		fp_jl_base64(l, key, v->p, v->n);
		break;
	}
}

void fp_jl_value(struct fp_jsonout *j, struct fp_jline *l, const char *key,
		 const struct fp_field *f, const struct fp_field_val *v, const struct fp_record *r)
{
	jl_value(j, l, key, f->kind, f->json_digits ? f->json_digits : 6, v, r);
}

static inline void keyed_uint(struct fp_jline *l, const char *key, size_t n, uint64_t u)
{
	char buf[24], *e = buf + sizeof(buf), *b = e;
	do {
		*--b = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	size_t len = (size_t)(e - b);
	if ((size_t)(l->end - l->p) < n + len + 1) {
		l->full = 1;
		return;
	}
	if (l->more)
		*l->p++ = ',';
	l->more = 1;
	memcpy(l->p, key, n);
	memcpy(l->p + n, b, len);
	l->p += n + len;
}

void fp_jl_keyed_uint(struct fp_jline *l, const char *key, size_t n, uint64_t u)
{
	keyed_uint(l, key, n, u);
}

/* The record with IANA IPFIX information element names (--json-schema ipfix). */
static void ipfix_line(struct fp_jsonout *j, struct fp_jline *l, struct fp_field_rec *fr)
{
	int v6 = fr->r->key.ipver == 6;
	for (size_t i = 0; i < j->nrows; i++) {
		const struct fp_json_row *w = &j->jrows[i];
		struct fp_field_val v;
		if (!(w->rec_size ? fp_field_read(fr->r, w->rec_off, w->rec_size, w->rec_when, &v.u)
				  : w->get(fr, &v)))
			continue;
		if (w->kind == FP_FK_UINT) { /* most rows: key and number in one go */
			keyed_uint(l, w->keytext[v6], w->keylen[v6], v.u);
			continue;
		}
		fp_jl_keytext(l, w->keytext[v6], w->keylen[v6]);
		jl_value(j, l, NULL, w->kind, w->digits, &v, fr->r);
	}
}

/* The record's line, newline included, into `buf`: its length, or 0 when it did not fit. */
static size_t format_line(struct fp_jsonout *j, char *buf, size_t len, const struct fp_record *r,
			  const struct fp_side *side)
{
	struct fp_jline l = {.p = buf, .end = buf + len - 1};
	struct fp_field_rec fr;
	if (!j->laid_out)
		layout(j);
	if (j->layout_failed)
		return 0;
	fp_field_rec_init(&fr, r, side, &j->ctx);
	fp_jl_open(&l, NULL, '{');
	if (j->ecs)
		fp_json_ecs(j, &l, &fr);
	else
		ipfix_line(j, &l, &fr);
	fp_jl_close(&l, '}');
	if (l.full)
		return 0;
	*l.p++ = '\n';
	return (size_t)(l.p - buf);
}

void fp_jsonout_write(struct fp_jsonout *j, const struct fp_record *r, const struct fp_side *side)
{
	if (j->fd < 0 || j->reader_gone) { /* a reopen failed, the reader left: counted */
		__atomic_store_n(&j->errors, j->errors + 1, __ATOMIC_RELAXED);
		return;
	}
	if (FP_JSON_BUF - j->blen < FP_JSON_LINE_MAX) { /* room for the longest line, in place */
		fp_jsonout_flush(j);
		if (j->reader_gone) {
			__atomic_store_n(&j->errors, j->errors + 1, __ATOMIC_RELAXED);
			return;
		}
	}
	size_t n = format_line(j, j->buf + j->blen, FP_JSON_LINE_MAX, r, side);
	if (n == 0) {
		__atomic_store_n(&j->errors, j->errors + 1, __ATOMIC_RELAXED);
		return;
	}
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
	fp_json_ecs_free(j);
	j->buf = NULL;
	j->ends = NULL;
}

/* --json as a sink of the exporter (sink.h). */
static void json_take(void *p, const struct fp_record *r, const struct fp_side *side,
		      uint64_t clock_ms)
{
	(void)clock_ms;
	fp_jsonout_write(p, r, side);
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

static int json_ended(const void *p)
{
	return __atomic_load_n(&((const struct fp_jsonout *)p)->reader_gone, __ATOMIC_ACQUIRE);
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
    .ended = json_ended,
};

/* --json as a sink module (sink.h) */
static int json_wanted(const struct fp_config *cfg)
{
	return cfg->json != NULL;
}

static int json_open(const struct fp_config *cfg, const struct fp_sink_env *env,
		     struct fp_sink *out)
{
	(void)env;
	struct fp_jsonout *j = calloc(1, sizeof(*j));
	if (j == NULL || fp_jsonout_open(j, cfg->json) != 0) {
		free(j);
		return -1;
	}
	j->biflow = cfg->biflow;
	j->fields = fp_config_groups(cfg);
	j->sample_n = cfg->sample_n;
	j->cid_seed = cfg->cid_seed;
	j->ecs = cfg->json_schema == 1;
	j->pcap_rotate_s = cfg->pcap_dir ? cfg->rotate_s : 0;
	*out = (struct fp_sink){&fp_jsonout_ops, j, &fp_json_module};
	return 0;
}

static void json_close(void *p)
{
	fp_jsonout_close(p);
	free(p);
}

const struct fp_sink_module fp_json_module = {
    .name = "json",
    .wanted = json_wanted,
    .open = json_open,
    .close = json_close,
};
