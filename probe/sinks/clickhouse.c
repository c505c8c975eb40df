/* SPDX-License-Identifier: BSD-3-Clause */
#include "clickhouse.h"

#include "clock.h"
#include "dynlib.h"
#include "fp_counters.h"
#include "fp_fields.h"
#include "fp_record.h"
#include "log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

extern const struct fp_sink_module fp_clickhouse_module;

#define BATCH_ROWS 65536
#define BATCH_BYTES (8u << 20)
#define BATCH_MS 1000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define SERVER_ERROR_TRIES 3

/* libcurl, loaded by the first --clickhouse call (dynlib.h); the header's own prototypes give
 * each pointer its type */
static struct {
	__typeof__(&curl_global_init) global_init;
	__typeof__(&curl_easy_init) easy_init;
	__typeof__(&curl_easy_setopt) easy_setopt;
	__typeof__(&curl_easy_perform) easy_perform;
	__typeof__(&curl_easy_getinfo) easy_getinfo;
	__typeof__(&curl_easy_cleanup) easy_cleanup;
	__typeof__(&curl_easy_strerror) easy_strerror;
	__typeof__(&curl_easy_escape) easy_escape;
	__typeof__(&curl_free) free;
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static char cu_error[256];

static void cu_load(void)
{
	static const struct fp_dynsym syms[] = {{"curl_global_init", &cu.global_init},
						{"curl_easy_init", &cu.easy_init},
						{"curl_easy_setopt", &cu.easy_setopt},
						{"curl_easy_perform", &cu.easy_perform},
						{"curl_easy_getinfo", &cu.easy_getinfo},
						{"curl_easy_cleanup", &cu.easy_cleanup},
						{"curl_easy_strerror", &cu.easy_strerror},
						{"curl_easy_escape", &cu.easy_escape},
						{"curl_free", &cu.free}};
	if (fp_dynlib_load("libcurl.so.4", syms, sizeof(syms) / sizeof(syms[0]), cu_error,
			   sizeof(cu_error)) == 0)
		cu.global_init(CURL_GLOBAL_DEFAULT);
}

/* 0 when libcurl is there; else -1 after saying what is missing and what to install. */
static int cu_ready(const char *url)
{
	pthread_once(&cu_once, cu_load);
	if (cu.easy_init)
		return 0;
	fp_log(LOG_ERR,
	       "--clickhouse %s: cannot load libcurl (%s): install libcurl4 (Debian: apt-get "
	       "install libcurl4)",
	       url, cu_error);
	return -1;
}

/* The table's columns are the rows of fp_fields[] with a ClickHouse column, in their order
 * (RowBinary has no names: the INSERT names them). "IP" is the address type the schema picks:
 * IPv6 or FixedString(16), 16 bytes either way, IPv4 mapped. */
/* Groups whose columns came after tables existed (enum fp_field_group): their columns are in
 * --clickhouse-schema, but an INSERT names them only when their option is on, so a table made
 * before keeps taking rows (with the option on it needs the column: see the README). */
#define FP_CH_OPTIONAL                                                                             \
	(FP_FIELD_DIRECTION | FP_FIELD_AS | FP_FIELD_GEO | FP_FIELD_CITY | FP_FIELD_PAYLOAD |      \
	 FP_FIELD_TLS | FP_FIELD_TCP)

static const char *const ch_types[] = {
    [FP_CH_DATE] = "Date",
    [FP_CH_DATETIME] = "DateTime",
    [FP_CH_U8] = "UInt8",
    [FP_CH_U16] = "UInt16",
    [FP_CH_U32] = "UInt32",
    [FP_CH_U64] = "UInt64",
    [FP_CH_NULL_U32] = "Nullable(UInt32)",
    [FP_CH_IP] = "IP",
    [FP_CH_STRING] = "String",
};

struct batch {
	struct batch *next;
	uint8_t *buf;
	size_t len, cap;
	uint32_t rows;
	uint64_t first_ms; /* monotonic, when its first row came */
};

struct fp_clickhouse {
	struct fp_clickhouse_config cfg;
	char url[1024]; /* base/?query=INSERT ... FORMAT RowBinary */
	char user[128], password[256];
	char host[256];
	struct batch *cur; /* the exporter's */
	/* the queue, under `mu` */
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* the sender: a batch came, or closing */
	pthread_cond_t room_cv; /* the exporter (offline): room came */
	struct batch *head, *tail;
	size_t queued_bytes;
	int closing;
	pthread_t thread;
	int started;
	struct fp_sink_stats st;
	uint64_t batches_sent, batches_dropped, retries;
	struct fp_field_ctx ctx; /* what the rows read beside the record */
	uint16_t cols[FP_FIELDS_MAX];
	size_t ncols;
	char last_error[256];	 /* what the server or libcurl said last */
	const char *remedy;	 /* ... and what to do about it (why_failed()) */
	char column_remedy[160]; /* a column the table lacks: its ALTER TABLE (set once) */
	char loss_cause[256];	 /* the cause of the last loss, under `mu` */
	const char *loss_remedy;
	int down;	      /* the sender is backing off */
	uint64_t progress_ms; /* monotonic ms of the last insert (or the start) */
	int ever_inserted;
};

/* --- rows --- */

static int reserve(struct batch *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap * 2 : 1u << 20;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *p = realloc(b->buf, cap);
	if (p == NULL)
		return -1;
	b->buf = p;
	b->cap = cap;
	return 0;
}

static inline void put_le(struct batch *b, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b->buf[b->len++] = (uint8_t)(v >> (8 * i));
}

static void put_bytes(struct batch *b, const void *s, size_t n)
{
	uint64_t v = n;
	do { /* LEB128 length */
		uint8_t c = v & 0x7f;
		v >>= 7;
		b->buf[b->len++] = c | (v ? 0x80 : 0);
	} while (v);
	if (n)
		memcpy(b->buf + b->len, s, n);
	b->len += n;
}

static void put_str(struct batch *b, const char *s)
{
	put_bytes(b, s, strlen(s));
}

static void put_ip(struct batch *b, int ipver, const uint8_t *a)
{
	if (ipver == 6) {
		memcpy(b->buf + b->len, a, 16);
	} else {
		memset(b->buf + b->len, 0, 10);
		b->buf[b->len + 10] = 0xff;
		b->buf[b->len + 11] = 0xff;
		memcpy(b->buf + b->len + 12, a, 4);
	}
	b->len += 16;
}

static uint64_t mac64(const uint8_t *m)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

/* Text from the wire, printable ASCII only (as the JSON lines). */
static void put_wire(struct batch *b, const char *s)
{
	char buf[128];
	size_t n = 0;
	for (; s[n] && n < sizeof(buf) - 1; n++)
		buf[n] = (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x7f ? s[n] : '?';
	buf[n] = '\0';
	put_str(b, buf);
}

/* One column's value in RowBinary. */
static void put_value(struct batch *b, const struct fp_field *f, const struct fp_field_val *v,
		      int present)
{
	static const unsigned width[] = {[FP_CH_DATE] = 2, [FP_CH_DATETIME] = 4, [FP_CH_U8] = 1,
					 [FP_CH_U16] = 2,  [FP_CH_U32] = 4,	 [FP_CH_U64] = 8};
	switch (f->ch_type) {
	case FP_CH_NULL_U32:
		b->buf[b->len++] = present ? 0 : 1;
		if (present)
			put_le(b, v->u, 4);
		break;
	case FP_CH_IP:
		put_ip(b, (int)v->n, v->p);
		break;
	case FP_CH_STRING:
		if (f->kind == FP_FK_WIRE)
			put_wire(b, v->s);
		else if (f->kind == FP_FK_BYTES)
			put_bytes(b, v->p, v->n);
		else
			put_str(b, v->s);
		break;
	case FP_CH_DATETIME:
		put_le(b, v->u / 1000000, 4);
		break;
	default:
		put_le(b, f->kind == FP_FK_MAC ? mac64(v->p) : v->u, width[f->ch_type]);
		break;
	}
}

static int add_row(struct fp_clickhouse *ch, struct batch *b, const struct fp_record *r,
		   const struct fp_side *side)
{
	if (reserve(b, 4096 + 2 * FP_PAYLOAD_MAX) != 0) /* the widest row: numbers, names, texts */
		return -1;
	struct fp_field_rec fr;
	fp_field_rec_init(&fr, r, side, &ch->ctx);
	for (size_t i = 0; i < ch->ncols; i++) {
		const struct fp_field *f = &fp_fields[ch->cols[i]];
		struct fp_field_val v = {.s = ""};
		int present = f->get(&fr, &v);
		put_value(b, f, &v, present);
	}
	b->rows++;
	return 0;
}

/* --- the queue --- */

static void batch_free(struct batch *b)
{
	if (b) {
		free(b->buf);
		free(b);
	}
}

/* How long to wait for a server that makes no progress: one that inserted before is coming back
 * (a restart); one never reached is not waited for long. */
static uint64_t stall_ms(const struct fp_clickhouse *ch)
{
	return __atomic_load_n(&ch->ever_inserted, __ATOMIC_RELAXED) ? FP_CLICKHOUSE_OUTAGE_MS
								     : FP_CLICKHOUSE_UNREACHED_MS;
}

/* Queue the exporter's batch (mu held by nobody). Live, a full backlog drops its oldest batch;
 * offline, the exporter waits for room. */
static void enqueue(struct fp_clickhouse *ch)
{
	struct batch *b = ch->cur;
	ch->cur = NULL;
	if (b == NULL || b->rows == 0) {
		batch_free(b);
		return;
	}
	pthread_mutex_lock(&ch->mu);
	/* a file waits for room while the server makes progress (a restart, a slow merge) */
	while (ch->cfg.offline && ch->head && ch->queued_bytes + b->len > ch->cfg.backlog_bytes &&
	       fp_mono_ns() / 1000000 - ch->progress_ms < stall_ms(ch)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&ch->room_cv, &ch->mu, &ts);
	}
	while (ch->head && ch->head->next && ch->queued_bytes + b->len > ch->cfg.backlog_bytes) {
		/* the oldest waiting batch goes; the head may be on the wire: the one after it */
		struct batch *d = ch->head->next;
		ch->head->next = d->next;
		if (ch->tail == d)
			ch->tail = ch->head;
		ch->queued_bytes -= d->len;
		fp_counter_add(&ch->st.records_lost, d->rows);
		ch->st.last_errno = ENOBUFS;
		ch->batches_dropped++;
		batch_free(d);
	}
	b->next = NULL;
	if (ch->tail)
		ch->tail->next = b;
	else
		ch->head = b;
	ch->tail = b;
	ch->queued_bytes += b->len;
	pthread_cond_signal(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
}

/* --- the sender --- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	char *err = arg;
	size_t have = strlen(err), len = size * n;
	if (have < 200)
		snprintf(err + have, 256 - have, "%.*s", (int)len, p);
	return len;
}

/* What the last failure calls for, from libcurl's code or the server's answer (HTTP status,
 * ClickHouse's "Code: N"): a refused login is not a missing table, TLS is not a down server. */
static const char *why_failed(CURLcode rc, long status, const char *body)
{
	if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE)
		return "TLS failed: an https:// URL for a server that speaks plain HTTP on that "
		       "port "
		       "(use http://, or the server's https_port), or a certificate --tls-ca does "
		       "not "
		       "verify";
	if (rc != CURLE_OK)
		return "the server was not reachable longer than --export-backlog holds: start it, "
		       "check --clickhouse's host and port (the HTTP port, 8123 by default)";
	if (status == 401 || status == 403 || strstr(body, "Code: 516,") ||
	    strstr(body, "Code: 192,") || strstr(body, "Code: 193,") || strstr(body, "Code: 194,"))
		return "the server refused the login: check the user and password "
		       "(--clickhouse-auth FILE, or FLUXPROBE_CLICKHOUSE_USER/_PASSWORD)";
	if (strstr(body, "Code: 60,") || strstr(body, "Code: 81,"))
		return "the table (or its database) does not exist: create it with fluxprobe "
		       "--clickhouse-schema ... | clickhouse-client -n";
	if (strstr(body, "Code: 497,") || strstr(body, "Code: 164,"))
		return "the user may not insert into the table: grant INSERT, or use another user";
	return "the server refused the rows (its words are in the log): check that the table is "
	       "the one --clickhouse-schema prints for this version";
}

/* The server refused a column this run names that an older table lacks (FP_CH_OPTIONAL: its
 * option came after the table was made): the ALTER TABLE that adds it, in ch->column_remedy. */
static int missing_column(struct fp_clickhouse *ch, const char *body)
{
	const char *at = strstr(body, "No such column ");
	if (strstr(body, "Code: 16,") == NULL || at == NULL)
		return 0;
	at += strlen("No such column ");
	for (size_t i = 0; i < ch->ncols; i++) {
		const struct fp_field *f = &fp_fields[ch->cols[i]];
		size_t n = strlen(f->ch);
		if (!(f->when & FP_CH_OPTIONAL) || strncmp(at, f->ch, n) != 0 || at[n] != ' ')
			continue;
		if (!ch->column_remedy[0]) /* written once: the main thread may read it */
			snprintf(ch->column_remedy, sizeof(ch->column_remedy),
				 "the table was made before its %s column (an option turns it on): "
				 "ALTER TABLE ... ADD COLUMN %s %s, or run without the option",
				 f->ch, f->ch, ch_types[f->ch_type]);
		return 1;
	}
	return 0;
}

/* Does the address libcurl last tried take a TCP connection (within 300 ms)? */
static int tcp_answers(CURL *c)
{
	char *ip = NULL;
	long port = 0;
	if (cu.easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) != CURLE_OK || ip == NULL || !ip[0] ||
	    cu.easy_getinfo(c, CURLINFO_PRIMARY_PORT, &port) != CURLE_OK || port <= 0)
		return 0;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		len = sizeof(*a6);
	} else {
		return 0;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int ok = connect(fd, (struct sockaddr *)&ss, len) == 0;
	if (!ok && errno == EINPROGRESS) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int err = 0;
		socklen_t elen = sizeof(err);
		ok = poll(&pfd, 1, 300) == 1 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0;
	}
	close(fd);
	return ok;
}

/* POST one batch. 0: inserted; 1: the server refused it (its words in last_error); -1: could
 * not reach it. */
static int post(struct fp_clickhouse *ch, CURL *c, const struct batch *b)
{
	char body[256] = "";
	cu.easy_setopt(c, CURLOPT_URL, ch->url);
	cu.easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)b->buf);
	cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, (void *)body);
	CURLcode rc = cu.easy_perform(c);
	long status = 0;
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		/* connected but no TLS session: whatever libcurl calls it (an HTTP server waits
		 * for a request line and the handshake times out), the cause is TLS */
		double tcp = 0, tls = 0;
		cu.easy_getinfo(c, CURLINFO_CONNECT_TIME, &tcp);
		cu.easy_getinfo(c, CURLINFO_APPCONNECT_TIME, &tls);
		/* libcurl does not always report the TCP connect of a handshake that timed out:
		 * then whether the server's port takes a TCP connection now says it */
		int https = strncmp(ch->cfg.url, "https:", 6) == 0;
		int tls_failed = https && tls == 0 &&
				 (tcp > 0 || (rc == CURLE_OPERATION_TIMEDOUT && tcp_answers(c)));
		snprintf(ch->last_error, sizeof(ch->last_error), "%s%s",
			 tls_failed && rc != CURLE_SSL_CONNECT_ERROR ? "TLS handshake failed: "
								     : "",
			 cu.easy_strerror(rc));
		ch->remedy = why_failed(tls_failed ? CURLE_SSL_CONNECT_ERROR : rc, 0, "");
		return -1;
	}
	if (status != 200) {
		for (char *p = body; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		snprintf(ch->last_error, sizeof(ch->last_error), "HTTP %ld: %s", status, body);
		ch->remedy =
		    missing_column(ch, body) ? ch->column_remedy : why_failed(rc, status, body);
		return status >= 500 && strstr(body, "Code:") == NULL ? -1 : 1;
	}
	return 0;
}

static CURL *easy(const struct fp_clickhouse *ch)
{
	CURL *c = cu.easy_init();
	if (c == NULL)
		return NULL;
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	cu.easy_setopt(c, CURLOPT_TIMEOUT_MS, 120000L);
	if (ch->user[0]) {
		cu.easy_setopt(c, CURLOPT_USERNAME, ch->user);
		cu.easy_setopt(c, CURLOPT_PASSWORD, ch->password);
	}
	if (ch->cfg.ca_file)
		cu.easy_setopt(c, CURLOPT_CAINFO, ch->cfg.ca_file);
	return c;
}

/* Sleep `ms` unless closing and past the drain deadline. */
static void backoff_wait(struct fp_clickhouse *ch, uint32_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&ch->mu);
	pthread_cond_timedwait(&ch->cv, &ch->mu, &ts);
	pthread_mutex_unlock(&ch->mu);
}

static void *sender_main(void *arg)
{
	struct fp_clickhouse *ch = arg;
	CURL *c = easy(ch);
	uint32_t backoff = BACKOFF_MIN_MS;
	unsigned refused = 0;
	uint64_t drain_until = 0;
	for (;;) {
		pthread_mutex_lock(&ch->mu);
		while (ch->head == NULL && !ch->closing)
			pthread_cond_wait(&ch->cv, &ch->mu);
		struct batch *b = ch->head;
		if (ch->closing && drain_until == 0)
			drain_until = fp_mono_ns() / 1000000 + stall_ms(ch);
		pthread_mutex_unlock(&ch->mu);
		if (b == NULL)
			break; /* closing, nothing left */
		if (drain_until && fp_mono_ns() / 1000000 > drain_until)
			break; /* what is left is counted below */
		int rc = c ? post(ch, c, b) : -1;
		int done = rc == 0 || (rc == 1 && ++refused >= SERVER_ERROR_TRIES);
		if (rc == 0) {
			fp_counter_add(&ch->st.records, b->rows);
			ch->batches_sent++;
			__atomic_store_n(&ch->progress_ms, fp_mono_ns() / 1000000,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&ch->ever_inserted, 1, __ATOMIC_RELAXED);
			if (drain_until) /* draining at the end: as long as it goes on */
				drain_until = fp_mono_ns() / 1000000 + stall_ms(ch);
			if (ch->down)
				fp_log(LOG_NOTICE, "--clickhouse %s: inserting again", ch->cfg.url);
			ch->down = 0;
			backoff = BACKOFF_MIN_MS;
			refused = 0;
		} else if (done) {
			fp_log(LOG_ERR, "--clickhouse %s: %u rows refused: %s; %s", ch->cfg.url,
			       b->rows, ch->last_error, ch->remedy);
			pthread_mutex_lock(&ch->mu);
			snprintf(ch->loss_cause, sizeof(ch->loss_cause), "%s", ch->last_error);
			ch->loss_remedy = ch->remedy;
			pthread_mutex_unlock(&ch->mu);
			fp_counter_add(&ch->st.records_lost, b->rows);
			ch->st.last_errno = EPROTO;
			ch->batches_dropped++;
			refused = 0;
		}
		if (done) {
			pthread_mutex_lock(&ch->mu);
			ch->head = b->next;
			if (ch->head == NULL)
				ch->tail = NULL;
			ch->queued_bytes -= b->len;
			pthread_cond_broadcast(&ch->room_cv);
			pthread_mutex_unlock(&ch->mu);
			batch_free(b);
			continue;
		}
		if (!ch->down)
			fp_log(LOG_WARNING,
			       "--clickhouse %s: %s; rows wait in the backlog (%zu bytes queued), "
			       "retrying with backoff; capture goes on. If it lasts: %s",
			       ch->cfg.url, ch->last_error, ch->queued_bytes, ch->remedy);
		ch->down = 1;
		ch->retries++;
		backoff_wait(ch, backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	/* closing: what could not be inserted in time is lost, counted, with the real cause */
	pthread_mutex_lock(&ch->mu);
	if (ch->head) {
		snprintf(ch->loss_cause, sizeof(ch->loss_cause), "%s",
			 ch->down ? ch->last_error : "the server took too long at the end");
		ch->loss_remedy = ch->down ? ch->remedy : NULL;
	}
	while (ch->head) {
		struct batch *b = ch->head;
		ch->head = b->next;
		fp_counter_add(&ch->st.records_lost, b->rows);
		ch->st.last_errno = ch->down ? ECONNREFUSED : ETIMEDOUT;
		ch->batches_dropped++;
		batch_free(b);
	}
	ch->tail = NULL;
	ch->queued_bytes = 0;
	pthread_cond_broadcast(&ch->room_cv);
	pthread_mutex_unlock(&ch->mu);
	if (c)
		cu.easy_cleanup(c);
	return NULL;
}

/* --- the sink --- */

static void ch_take(void *priv, const struct fp_record *r, const struct fp_side *side,
		    uint64_t clock_ms)
{
	struct fp_clickhouse *ch = priv;
	(void)clock_ms;
	if (ch->cur == NULL) {
		ch->cur = calloc(1, sizeof(*ch->cur));
		if (ch->cur == NULL) {
			fp_counter_add(&ch->st.records_lost, 1);
			return;
		}
		ch->cur->first_ms = fp_mono_ns() / 1000000;
	}
	if (add_row(ch, ch->cur, r, side) != 0) {
		fp_counter_add(&ch->st.records_lost, 1);
		ch->st.last_errno = ENOMEM;
		return;
	}
	if (ch->cur->rows >= BATCH_ROWS || ch->cur->len >= BATCH_BYTES)
		enqueue(ch);
}

static void ch_tick(void *priv, uint64_t clock_ms, unsigned idle)
{
	struct fp_clickhouse *ch = priv;
	(void)clock_ms;
	(void)idle;
	if (ch->cur && fp_mono_ns() / 1000000 - ch->cur->first_ms >= BATCH_MS)
		enqueue(ch);
}

static void ch_reopen(void *priv)
{
	(void)priv;
}

static void ch_finish(void *priv, uint64_t clock_ms)
{
	struct fp_clickhouse *ch = priv;
	(void)clock_ms;
	if (!ch->started) { /* never started (start-up failed): nothing was queued */
		batch_free(ch->cur);
		ch->cur = NULL;
		return;
	}
	enqueue(ch);
	pthread_mutex_lock(&ch->mu);
	/* a healthy server takes the last rows within a moment; past a second, say what the end
	 * waits for and how long at most */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	while (ch->head && pthread_cond_timedwait(&ch->room_cv, &ch->mu, &until) == 0)
		;
	if (ch->head) {
		uint64_t rows = 0;
		for (const struct batch *b = ch->head; b; b = b->next)
			rows += b->rows;
		fp_log(LOG_WARNING,
		       "--clickhouse %s: %s%s: waiting up to %llu s more for it to take the %llu "
		       "rows queued, then they are counted as lost (a third SIGINT/SIGTERM exits "
		       "at once)",
		       ch->cfg.url, ch->down ? "not answering: " : "no answer yet",
		       ch->down ? ch->last_error : "", (unsigned long long)stall_ms(ch) / 1000,
		       (unsigned long long)rows);
	}
	ch->closing = 1;
	pthread_cond_broadcast(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
	pthread_join(ch->thread, NULL);
	ch->started = 0;
}

static void ch_stats(const void *priv, struct fp_sink_stats *out)
{
	struct fp_clickhouse *ch = (struct fp_clickhouse *)priv; /* only its lock is taken */
	memset(out, 0, sizeof(*out));
	fp_counters_copy(out, &ch->st, offsetof(struct fp_sink_stats, last_errno));
	out->last_errno = __atomic_load_n(&ch->st.last_errno, __ATOMIC_RELAXED);
	pthread_mutex_lock(&ch->mu);
	snprintf(out->cause, sizeof(out->cause), "%s", ch->loss_cause);
	out->remedy = ch->loss_remedy;
	pthread_mutex_unlock(&ch->mu);
}

static const char *ch_target(const void *priv)
{
	return ((const struct fp_clickhouse *)priv)->cfg.url;
}

const struct fp_sink_ops fp_clickhouse_ops = {
    .name = "clickhouse",
    .lost_what = "flow records",
    .lost_how = "not inserted into --clickhouse",
    .remedy = "the server was down longer than --export-backlog holds, or refused the rows (the "
	      "log says why: create the table with fluxprobe --clickhouse-schema)",
    .take = ch_take,
    .tick = ch_tick,
    .reopen = ch_reopen,
    .finish = ch_finish,
    .stats = ch_stats,
    .target = ch_target,
};

/* --- set-up --- */

static int read_auth(const char *file, char *user, size_t ulen, char *pass, size_t plen)
{
	const char *u = getenv("FLUXPROBE_CLICKHOUSE_USER");
	const char *p = getenv("FLUXPROBE_CLICKHOUSE_PASSWORD");
	user[0] = pass[0] = '\0';
	if (file) {
		char line[512];
		FILE *f = fopen(file, "r");
		if (f == NULL) {
			fp_log(LOG_ERR, "--clickhouse-auth %s: %s", file, strerror(errno));
			return -1;
		}
		if (fgets(line, sizeof(line), f) == NULL || strchr(line, ':') == NULL) {
			fclose(f);
			fp_log(LOG_ERR,
			       "--clickhouse-auth %s: expected 'user:password' on its first line",
			       file);
			return -1;
		}
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		char *colon = strchr(line, ':');
		*colon = '\0';
		if (strlen(line) >= ulen || strlen(colon + 1) >= plen) {
			fp_log(LOG_ERR, "--clickhouse-auth %s: user or password too long", file);
			return -1;
		}
		memcpy(user, line, strlen(line) + 1);
		memcpy(pass, colon + 1, strlen(colon + 1) + 1);
		return 0;
	}
	if (u)
		snprintf(user, ulen, "%s", u);
	if (p)
		snprintf(pass, plen, "%s", p);
	return 0;
}

static int check_url(const char *url)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		fp_log(LOG_ERR, "--clickhouse '%s': expected http://HOST:PORT or https://HOST:PORT",
		       url);
		return -1;
	}
	return 0;
}

/* base URL + "/?query=" + the escaped statement */
static int make_url(char *out, size_t len, const char *base, const char *sql)
{
	char *esc = cu.easy_escape(NULL, sql, 0);
	if (esc == NULL)
		return -1;
	size_t bl = strlen(base);
	int n = snprintf(out, len, "%.*s/?query=%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl),
			 base, esc);
	cu.free(esc);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

struct fp_clickhouse *fp_clickhouse_open(const struct fp_clickhouse_config *c)
{
	if (check_url(c->url) != 0 || cu_ready(c->url) != 0)
		return NULL;
	struct fp_clickhouse *ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return NULL;
	ch->cfg = *c;
	if (read_auth(c->auth_file, ch->user, sizeof(ch->user), ch->password,
		      sizeof(ch->password)) != 0)
		goto fail;
	if (gethostname(ch->host, sizeof(ch->host) - 1) != 0)
		snprintf(ch->host, sizeof(ch->host), "unknown");
	ch->ctx = (struct fp_field_ctx){.fields = c->fields,
					.biflow = c->biflow,
					.sample_n = c->sample_n,
					.cid_seed = c->cid_seed,
					.observer = ch->host};
	uint16_t all[FP_FIELDS_MAX];
	size_t nall = fp_fields_order(FP_OUT_CH, all);
	ch->ncols = 0;
	for (size_t i = 0; i < nall; i++) /* FP_CH_OPTIONAL columns only when on */
		if (!(fp_fields[all[i]].when & FP_CH_OPTIONAL) ||
		    fp_field_on(&fp_fields[all[i]], &ch->ctx))
			ch->cols[ch->ncols++] = all[i];
	char sql[2048];
	size_t at = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (", c->table);
	for (size_t i = 0; i < ch->ncols; i++)
		at += (size_t)snprintf(sql + at, sizeof(sql) - at, "%s%s", i ? "," : "",
				       fp_fields[ch->cols[i]].ch);
	snprintf(sql + at, sizeof(sql) - at, ") FORMAT RowBinary");
	if (make_url(ch->url, sizeof(ch->url), c->url, sql) != 0) {
		fp_log(LOG_ERR, "--clickhouse %s: URL too long", c->url);
		goto fail;
	}
	pthread_mutex_init(&ch->mu, NULL);
	pthread_cond_init(&ch->cv, NULL);
	pthread_cond_init(&ch->room_cv, NULL);
	return ch;
fail:
	free(ch);
	return NULL;
}

int fp_clickhouse_start(struct fp_clickhouse *ch)
{
	if (pthread_create(&ch->thread, NULL, sender_main, ch) != 0) {
		fp_log(LOG_ERR, "--clickhouse: cannot start its sender thread");
		return -1;
	}
	pthread_setname_np(ch->thread, "fp-clickhouse");
	ch->progress_ms = fp_mono_ns() / 1000000;
	ch->started = 1;
	return 0;
}

void fp_clickhouse_close(struct fp_clickhouse *ch)
{
	if (ch == NULL)
		return;
	ch_finish(ch, 0);
	batch_free(ch->cur);
	free(ch);
}

int fp_clickhouse_version(const char *url, const char *auth_file, const char *ca_file, char *buf,
			  size_t len)
{
	char u[1024], user[128], pass[256];
	if (check_url(url) != 0 || read_auth(auth_file, user, sizeof(user), pass, sizeof(pass)) ||
	    cu_ready(url) != 0 || make_url(u, sizeof(u), url, "SELECT version()") != 0)
		return -1;
	struct fp_clickhouse tmp = {.cfg = {.ca_file = ca_file}};
	snprintf(tmp.user, sizeof(tmp.user), "%s", user);
	snprintf(tmp.password, sizeof(tmp.password), "%s", pass);
	CURL *c = easy(&tmp);
	char body[256] = "";
	long status = 0;
	cu.easy_setopt(c, CURLOPT_URL, u);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, (void *)body);
	CURLcode rc = cu.easy_perform(c);
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	cu.easy_cleanup(c);
	if (rc != CURLE_OK || status != 200) {
		fp_log(LOG_ERR, "--clickhouse %s: %s", url,
		       rc != CURLE_OK ? cu.easy_strerror(rc) : body);
		return -1;
	}
	body[strcspn(body, "\r\n")] = '\0';
	snprintf(buf, len, "%s", body);
	return 0;
}

void fp_clickhouse_schema(FILE *f, const char *table, const char *cluster, unsigned ttl_days,
			  const char *ip_type)
{
	char local[256];
	snprintf(local, sizeof(local), "%s%s", table, cluster ? "_local" : "");
	if (cluster)
		fprintf(f,
			"-- run on every server of cluster %s: each keeps its share in %s, and\n"
			"-- %s (Distributed) reads them all and spreads inserts over them\n",
			cluster, local, table);
	fprintf(f, "CREATE TABLE IF NOT EXISTS %s\n(\n", local);
	uint16_t cols[FP_FIELDS_MAX];
	size_t n = fp_fields_order(FP_OUT_CH, cols);
	for (size_t i = 0; i < n; i++) {
		const struct fp_field *c = &fp_fields[cols[i]];
		const char *type = c->ch_type == FP_CH_IP ? ip_type : ch_types[c->ch_type];
		fprintf(f, "    %s %s%s%s%s\n", c->ch, type, i + 1 < n ? "," : "",
			c->ch_comment ? " -- " : "", c->ch_comment ? c->ch_comment : "");
	}
	fprintf(f, ")\nENGINE = MergeTree()\nPARTITION BY date\n"
		   "ORDER BY (toStartOfHour(time_start), src_ip, dst_ip)\n");
	if (ttl_days)
		fprintf(f, "TTL date + INTERVAL %u DAY\n", ttl_days);
	fprintf(f, "SETTINGS index_granularity = 8192;\n");
	if (cluster) {
		const char *dot = strchr(table, '.');
		char db[128];
		snprintf(db, sizeof(db), "%.*s", dot ? (int)(dot - table) : 7,
			 dot ? table : "default");
		fprintf(f,
			"CREATE TABLE IF NOT EXISTS %s AS %s\nENGINE = Distributed(%s, %s, %s, "
			"rand());\n",
			table, local, cluster, db, dot ? strchr(local, '.') + 1 : local);
	}
}

/* --clickhouse as a sink module (sink.h) */
static int ch_wanted(const struct fp_config *cfg)
{
	return cfg->clickhouse != NULL;
}

static int ch_open(const struct fp_config *cfg, const struct fp_sink_env *env, struct fp_sink *out)
{
	(void)env;
	struct fp_clickhouse_config cc = {
	    .url = cfg->clickhouse,
	    .table = cfg->clickhouse_table,
	    .auth_file = cfg->clickhouse_auth,
	    .ca_file = cfg->tls_ca,
	    .backlog_bytes = cfg->export_backlog,
	    .offline = cfg->read_file != NULL,
	    .biflow = cfg->biflow,
	    .sample_n = cfg->sample_n,
	    .cid_seed = cfg->cid_seed,
	    .fields = fp_config_groups(cfg),
	};
	struct fp_clickhouse *ch = fp_clickhouse_open(&cc);
	if (ch == NULL)
		return -1;
	*out = (struct fp_sink){&fp_clickhouse_ops, ch, &fp_clickhouse_module};
	return 0;
}

static int ch_start(void *p)
{
	return fp_clickhouse_start(p);
}

static void ch_close(void *p)
{
	fp_clickhouse_close(p);
}

/* --clickhouse-schema: the statements, for the server's version when --clickhouse names one
 * (IPv6 addresses from 19.3 on, FixedString(16) before; TTL from 19.6 on). */
static int ch_print_setup(const struct fp_config *cfg, FILE *out)
{
	if (!cfg->clickhouse_schema)
		return 1;
	const char *ip_type = "IPv6";
	unsigned major = 99, minor = 0;
	if (cfg->clickhouse) {
		char version[64];
		fp_log_setup(LOG_INFO, 0);
		if (fp_clickhouse_version(cfg->clickhouse, cfg->clickhouse_auth, cfg->tls_ca,
					  version, sizeof(version)) != 0)
			return -1;
		if (sscanf(version, "%u.%u", &major, &minor) != 2)
			major = 99;
		if (major < 19 || (major == 19 && minor < 3))
			ip_type = "FixedString(16)";
		fprintf(out, "-- for ClickHouse %s at %s\n", version, cfg->clickhouse);
	}
	if (cfg->clickhouse_ttl_days && (major < 19 || (major == 19 && minor < 6))) {
		fp_log(LOG_ERR,
		       "--clickhouse-ttl: this server (%u.%u) has no TTL (ClickHouse 19.6 and "
		       "later): drop old partitions instead (ALTER TABLE ... DROP PARTITION)",
		       major, minor);
		return -1;
	}
	fp_clickhouse_schema(out, cfg->clickhouse_table, cfg->clickhouse_cluster,
			     cfg->clickhouse_ttl_days, ip_type);
	return 0;
}

const struct fp_sink_module fp_clickhouse_module = {
    .name = "clickhouse",
    .wanted = ch_wanted,
    .open = ch_open,
    .start = ch_start,
    .close = ch_close,
    .print_setup = ch_print_setup,
};
