/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_transport.h"
#include "fp_sockdiag.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* The context tls:// collectors are opened with. fp_tls_setup() (main thread, at start or on
 * SIGHUP) publishes a new one while the exporter thread may be taking the old one for a
 * connection: the old one is never freed (a few KB each time a SIGHUP names other files), and a
 * connection holds its own reference (OpenSSL counts them). */
static SSL_CTX *tls_ctx;

/* OpenSSL's reason for the last error on this thread, or `fallback`. */
static void tls_error_string(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "%s", fallback);
	ERR_clear_error();
}

/* A session ticket: in TLS 1.3 the collector sends it once it has accepted our Finished (and
 * our certificate), so it confirms the session. Nothing is kept for resumption. */
static int tls_on_ticket(SSL *ssl, SSL_SESSION *sess)
{
	(void)sess;
	struct fp_collector *c = SSL_get_app_data(ssl);
	if (c)
		c->tls_confirmed = 1;
	return 0;
}

int fp_tls_setup(const struct fp_tls_config *tc, char *err, size_t errlen)
{
	char why[128];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		tls_error_string(why, sizeof(why), "out of memory");
		snprintf(err, errlen, "TLS: cannot create a context: %s", why);
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx,
				       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, tls_on_ticket);
	/* A file that cannot be opened is named with the system's reason ("No such file or
	 * directory"), which OpenSSL's own error stack words as "system lib". */
	const char *const named[][2] = {
	    {"--tls-ca", tc->ca}, {"--tls-cert", tc->cert}, {"--tls-key", tc->key}};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		int fd = named[i][1] ? open(named[i][1], O_RDONLY | O_CLOEXEC) : -2;
		if (fd == -1) {
			snprintf(err, errlen, "%s %s: %s", named[i][0], named[i][1],
				 strerror(errno));
			SSL_CTX_free(ctx);
			return -1;
		}
		if (fd >= 0)
			close(fd);
	}
	const char *file = tc->ca ? tc->ca : "the system's CA store";
	int ok = tc->ca ? SSL_CTX_load_verify_locations(ctx, tc->ca, NULL)
			: SSL_CTX_set_default_verify_paths(ctx);
	if (ok == 1 && tc->cert) {
		file = tc->cert;
		ok = SSL_CTX_use_certificate_chain_file(ctx, tc->cert);
		if (ok == 1) {
			file = tc->key ? tc->key : tc->cert;
			ok = SSL_CTX_use_PrivateKey_file(ctx, file, SSL_FILETYPE_PEM);
		}
		if (ok == 1)
			ok = SSL_CTX_check_private_key(ctx);
	}
	if (ok != 1) {
		tls_error_string(why, sizeof(why), "unreadable");
		snprintf(err, errlen, "TLS: %s: %s", file, why);
		SSL_CTX_free(ctx);
		return -1;
	}
	__atomic_store_n(&tls_ctx, ctx, __ATOMIC_RELEASE);
	return 0;
}

int fp_collector_parse(const char *spec, struct fp_collector *c, char *err, size_t errlen)
{
	char host[128];
	const char *port;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->diag_fd = -1;
	if (strlen(spec) >= sizeof(c->name)) {
		snprintf(err, errlen, "collector '%.40s...': too long", spec);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", spec);
	c->proto = FP_PROTO_UDP;
	if (strncmp(spec, "tcp://", 6) == 0) {
		c->proto = FP_PROTO_TCP;
		spec += 6;
	} else if (strncmp(spec, "tls://", 6) == 0) {
		c->proto = FP_PROTO_TCP;
		c->tls = 1;
		spec += 6;
	} else if (strncmp(spec, "udp://", 6) == 0) {
		spec += 6;
	} else if (strstr(spec, "://") != NULL) {
		snprintf(err, errlen, "collector '%s': transport must be udp://, tcp:// or tls://",
			 c->name);
		return -EINVAL;
	}
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "collector '%s': expected [IPv6]:PORT", c->name);
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - spec - 1), spec + 1);
		port = close + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (colon == NULL || strchr(spec, ':') != colon) {
			snprintf(err, errlen, "collector '%s': expected HOST:PORT or [IPv6]:PORT",
				 c->name);
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		port = colon + 1;
	}
	snprintf(c->host, sizeof(c->host), "%s", host);
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535) {
		snprintf(err, errlen, "collector '%s': port must be 1-65535", c->name);
		return -EINVAL;
	}
	struct addrinfo hints = {
	    .ai_socktype = c->proto == FP_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM,
	    .ai_family = AF_UNSPEC,
	};
	struct addrinfo *res;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "collector '%s': cannot resolve '%s': %s", c->name, host,
			 gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

/*
 * A collector on this host: rather than pace datagrams at a rate that a far collector's default
 * buffer survives, watch the receiving socket itself and send while it has room. The kernel
 * charges each queued datagram's buffer (more than its payload) to the socket and drops a
 * datagram that arrives above its receive buffer; we keep what is queued under half of it:
 * - rx_est adds an estimate of each datagram's charge (payload + RX_CHARGE) to the queue last
 *   seen; only when that would pass half the buffer is the socket looked up again (sock_diag,
 *   a few microseconds), so a collector that keeps up costs one lookup per ~half buffer;
 * - when the lookup says it is still too full, wait (50 µs sleeps, the collector needs the CPU)
 *   and look again, up to RX_WAIT_MS (live) or RX_WAIT_OFFLINE_MS; then send anyway: a stalled
 * collector does not stall the probe, and whatever its socket drops is read from its own counter
 * and reported.
 */
#define RX_CHARGE 1024		/* an over-estimate of a datagram's buffer beyond its payload */
#define RX_WAIT_MS 20		/* live: records wait in the rings meanwhile */
#define RX_WAIT_OFFLINE_MS 2000 /* a file loses nothing by waiting */
#define RX_SLEEP_NS 50000

/*
 * UDP datagrams go out in groups: one sendmmsg for up to FP_UDP_BATCH of them costs the sender
 * less than half of what a send() each does (measured on loopback: 1.7 against 4.5 µs of CPU per
 * 1,400-byte datagram), and a same-host collector is woken once per group. Each datagram is
 * still its own message, sent in order; a queue holds at most UDP_BATCH_BYTES.
 */
#define UDP_BATCH_BYTES (256u << 10)

struct fp_udp_batch {
	unsigned n;
	size_t used;
	uint32_t len[FP_UDP_BATCH];
	uint32_t records[FP_UDP_BATCH];
	uint8_t buf[UDP_BATCH_BYTES];
};

/* What the queue will add to the receiving socket once sent (for the same-host estimate). */
static uint64_t batch_charge(const struct fp_collector *c);

/* Look at the receiving socket: 0 when found (rx_* updated), else -errno. */
static int rx_lookup(struct fp_collector *c)
{
	struct fp_rx_mem m;
	c->rx_lookups++;
	int rc = fp_sockdiag_udp_receiver(c->diag_fd, &c->self, &c->addr, &m);
	if (rc != 0) {
		c->rx_found = 0;
		c->rx_next_lookup_ms = mono_ms() + 1000;
		return rc;
	}
	/* Drops while we send: counted from the first socket seen on; a later socket (the
	 * collector restarted) was made during the run, so all of its drops are ours. */
	uint32_t d = m.inode == c->rx_inode ? m.drops - c->rx_drops_last
		     : c->rx_inode	    ? m.drops
					    : 0;
	__atomic_store_n(&c->rx_drops, c->rx_drops + d, __ATOMIC_RELAXED);
	c->rx_inode = m.inode;
	c->rx_drops_last = m.drops;
	c->rx_found = 1;
	c->rx_rcvbuf = m.rcvbuf;
	c->rx_est = m.queued + batch_charge(c); /* what we queued is not there yet, but will be */
	return 0;
}

/* Wait until a datagram of `len` bytes fits in the receiving socket's half buffer. A receiver
 * that did not make room within that time is stalled: datagrams go without waiting (its
 * socket drops them, and counts them) until a look, every 100 ms, finds room again. */
static void rx_room(struct fp_collector *c, size_t len, int offline)
{
	uint64_t charge = len + RX_CHARGE;
	uint64_t max_wait_ns = (offline ? RX_WAIT_OFFLINE_MS : RX_WAIT_MS) * 1000000ull;
	if (!c->rx_found || c->rx_stalled) {
		if (mono_ms() < c->rx_next_lookup_ms || rx_lookup(c) != 0)
			return; /* nothing receives there (or stalled): nothing to wait for */
		if (c->rx_est + charge > c->rx_rcvbuf / 2) {
			c->rx_next_lookup_ms = mono_ms() + 100;
			return;
		}
		c->rx_stalled = 0;
	}
	if (c->rx_est + charge <= c->rx_rcvbuf / 2) {
		c->rx_est += charge;
		return;
	}
	/* what is queued goes first: waiting on the receiver while holding datagrams back from
	 * it would wait for nothing */
	fp_collector_flush(c);
	uint64_t start = 0;
	while (rx_lookup(c) == 0 && c->rx_est + charge > c->rx_rcvbuf / 2) {
		uint64_t now = mono_ns();
		if (start == 0) {
			start = now;
			c->rx_waits++;
		} else if (now - start >= max_wait_ns) {
			c->rx_wait_timeouts++;
			c->rx_stalled = 1;
			c->rx_next_lookup_ms = mono_ms() + 100;
			break;
		}
		struct timespec ts = {0, RX_SLEEP_NS};
		nanosleep(&ts, NULL);
	}
	if (start)
		c->rx_wait_ns += mono_ns() - start;
	c->rx_est += charge;
}

void fp_collector_rx_update(struct fp_collector *c)
{
	if (c->same_host && c->diag_fd >= 0)
		rx_lookup(c);
}

/* Is the collector on this host, and can its socket be watched? Sets same_host (logged by the
 * caller). */
static void udp_same_host(struct fp_collector *c)
{
	socklen_t sl = sizeof(c->self);
	c->diag_fd = -1;
	if (getsockname(c->fd, (struct sockaddr *)&c->self, &sl) != 0 ||
	    !fp_sockdiag_is_local(&c->self, &c->addr))
		return;
	c->diag_fd = fp_sockdiag_open();
	if (c->diag_fd < 0)
		return;
	struct timeval tv = {0, 200000}; /* the kernel answers at once; never hang on it */
	setsockopt(c->diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->same_host = 1;
	rx_lookup(c);
}

static int udp_open(struct fp_collector *c)
{
	c->fd = socket(c->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	/* A deep send buffer absorbs bursts; pacing, not the kernel, limits the rate. */
	int sz = 4 << 20;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* Connected, so an ICMP port unreachable from a collector that is down comes back as
	 * ECONNREFUSED on a later send: counted, never fatal. */
	if (connect(c->fd, (const struct sockaddr *)&c->addr, c->addrlen) != 0) {
		int e = errno;
		close(c->fd);
		c->fd = -1;
		return -e;
	}
	udp_same_host(c);
	if (c->batch == NULL)
		c->batch = calloc(1, sizeof(*c->batch)); /* none: one send() per datagram */
	return 0;
}

/* The connection is gone (or never came): close, and try again after the backoff. */
static void tcp_down(struct fp_collector *c, int err, uint64_t now)
{
	if (c->state == FP_TCP_UP)
		c->disconnects++;
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = FP_TCP_DOWN;
	c->send_errors++;
	c->last_errno = err;
	c->next_try_ms = now + c->backoff_ms;
	c->backoff_ms =
	    c->backoff_ms * 2 > FP_TCP_BACKOFF_MAX_MS ? FP_TCP_BACKOFF_MAX_MS : c->backoff_ms * 2;
	/* A new connection starts over: greeting first, then the interrupted message whole. */
	c->greet_len = c->greet_off = 0;
	c->need_greet = 0;
	c->out_off = 0;
}

static void tcp_up(struct fp_collector *c)
{
	c->state = FP_TCP_UP;
	c->connects++;
	c->backoff_ms = FP_TCP_BACKOFF_MIN_MS;
	c->need_greet = 1;
	c->greet_len = c->greet_off = 0;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Build the greeting just before the first message of a connection: it takes that message's
 * export time. Sequence numbers count the data records of this stream (RFC 7011 §3.1): every
 * connection starts at 0, and messages dropped while it is up show as a gap. */
static void tcp_greet(struct fp_collector *c, const uint8_t *next)
{
	c->need_greet = 0;
	c->greet_len = c->greeter ? c->greeter(c->greeter_ctx, c->greet, FP_MSG_MAX) : 0;
	c->greet_off = 0;
	c->seq_base = get_be32(next + 8);
	if (c->greet_len >= 16) {
		memcpy(c->greet + 4, next + 4, 4); /* export time */
		put_be32(c->greet + 8, 0);
	}
}

/* TLS: read what the collector sent (tickets, alerts; a collector sends no data) through the
 * session. 0 while the session stands, 1 when it ended (`*err`, and the reason for an alert). */
static int tls_read_pending(struct fp_collector *c, int *err)
{
	char junk[512];
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int n = SSL_read(c->ssl, junk, sizeof(junk));
		if (n > 0)
			continue;
		int e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		if (e == SSL_ERROR_SSL) {
			char why[128];
			tls_error_string(why, sizeof(why), "protocol error");
			snprintf(c->tls_reason, sizeof(c->tls_reason),
				 "session ended by the collector: %s", why);
			c->tls_failures++;
			*err = EPROTO;
			return 1;
		}
		*err = e == SSL_ERROR_SYSCALL && errno ? errno : ECONNRESET;
		return 1;
	}
}

/* TLS 1.3: a collector that wants a client certificate judges it (or its absence) after our side
 * of the handshake is done, and says no with an alert. Wait for its ticket (or 500 ms without an
 * alert) before calling the stream up, so that nothing counts as sent into a refused session. */
static int tls_confirm(struct fp_collector *c, uint64_t now)
{
	int err;
	if (tls_read_pending(c, &err)) {
		if (err != EPROTO) {
			snprintf(c->tls_reason, sizeof(c->tls_reason),
				 "session ended by the collector before it accepted us (%s)",
				 strerror(err));
			c->tls_failures++;
		}
		tcp_down(c, EPROTO, now);
		return -1;
	}
	if (!c->tls_confirmed && now < c->tls_confirm_until)
		return 0;
	tcp_up(c);
	return 1;
}

/* TLS: one handshake step. 1 when the stream is up, 0 while it goes on, -1 when it failed (the
 * reason kept for the log, the connection closed for a retry). */
static int tls_handshake(struct fp_collector *c, uint64_t now)
{
	if (SSL_is_init_finished(c->ssl))
		return tls_confirm(c, now);
	ERR_clear_error();
	int r = SSL_connect(c->ssl);
	if (r == 1) {
		if (SSL_version(c->ssl) < TLS1_3_VERSION) {
			tcp_up(c);
			return 1;
		}
		c->tls_confirm_until = now + 500;
		return tls_confirm(c, now);
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK) {
		snprintf(c->tls_reason, sizeof(c->tls_reason), "certificate refused: %s",
			 X509_verify_cert_error_string(v));
	} else {
		char why[128];
		int syserr = errno;
		tls_error_string(why, sizeof(why),
				 e == SSL_ERROR_SYSCALL && syserr ? strerror(syserr)
								  : "closed during the handshake");
		snprintf(c->tls_reason, sizeof(c->tls_reason), "handshake failed: %s", why);
	}
	c->tls_failures++;
	tcp_down(c, EPROTO, now);
	return -1;
}

/* The TCP connection is there: the stream is up, or (TLS) its handshake begins. */
static void tcp_connected(struct fp_collector *c, uint64_t now)
{
	if (!c->tls) {
		tcp_up(c);
		return;
	}
	SSL_CTX *ctx = __atomic_load_n(&tls_ctx, __ATOMIC_ACQUIRE);
	if (ctx == NULL || (c->ssl = SSL_new(ctx)) == NULL) {
		snprintf(c->tls_reason, sizeof(c->tls_reason), "no TLS context");
		c->tls_failures++;
		tcp_down(c, EPROTO, now);
		return;
	}
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_app_data(c->ssl, c);
	c->tls_confirmed = 0;
	unsigned char bin[16];
	if (inet_pton(AF_INET, c->host, bin) == 1 || inet_pton(AF_INET6, c->host, bin) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host);
	} else {
		SSL_set_tlsext_host_name(c->ssl, c->host);
		SSL_set1_host(c->ssl, c->host);
	}
	c->state = FP_TCP_HANDSHAKE;
	tls_handshake(c, now);
}

static void tcp_connect(struct fp_collector *c, uint64_t now)
{
	c->fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		tcp_down(c, errno, now);
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&c->addr, c->addrlen) == 0)
		tcp_connected(c, now);
	else if (errno == EINPROGRESS)
		c->state = FP_TCP_CONNECTING;
	else
		tcp_down(c, errno, now);
}

int fp_collector_open(struct fp_collector *c, size_t backlog_bytes, fp_greeter_fn greeter,
		      void *greeter_ctx)
{
	if (c->proto == FP_PROTO_UDP)
		return udp_open(c);
	if (c->tls && __atomic_load_n(&tls_ctx, __ATOMIC_ACQUIRE) == NULL)
		return -ENOKEY; /* fp_tls_setup() first */
	int rc = fp_backlog_init(&c->backlog, backlog_bytes);
	if (rc)
		return rc;
	c->greet = malloc(FP_MSG_MAX);
	c->out = malloc(FP_MSG_MAX);
	if (c->greet == NULL || c->out == NULL) {
		fp_collector_close(c);
		return -ENOMEM;
	}
	c->greeter = greeter;
	c->greeter_ctx = greeter_ctx;
	c->backoff_ms = FP_TCP_BACKOFF_MIN_MS;
	c->state = FP_TCP_DOWN;
	c->next_try_ms = 0; /* the exporter's first pump connects */
	return 0;
}

/* Count what was never written as dropped: the interrupted message and the backlog. */
static void drop_pending(struct fp_collector *c)
{
	if (c->out_len) {
		c->backlog.dropped_msgs++;
		c->backlog.dropped.records += c->out_meta.records;
		c->backlog.dropped.packets += c->out_meta.packets;
		c->backlog.dropped.octets += c->out_meta.octets;
		c->out_len = c->out_off = 0;
	}
	if (c->backlog.buf)
		fp_backlog_drop_all(&c->backlog);
}

void fp_collector_close(struct fp_collector *c)
{
	fp_collector_flush(c);
	free(c->batch);
	c->batch = NULL;
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->diag_fd >= 0)
		close(c->diag_fd);
	c->diag_fd = -1;
	if (c->proto != FP_PROTO_TCP)
		return;
	drop_pending(c);
	/* The counters stay readable after the buffers are gone. */
	free(c->backlog.buf);
	c->backlog.buf = NULL;
	c->backlog.cap = 0;
	free(c->greet);
	free(c->out);
	c->greet = c->out = NULL;
	c->state = FP_TCP_DOWN;
}

/* Has the collector closed or reset the stream? A collector sends nothing, so anything to read
 * is discarded. */
static int tcp_peer_gone(struct fp_collector *c, int *err)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLRDHUP};
	if (poll(&p, 1, 0) <= 0)
		return 0;
	/* TLS: the collector may send records of its own (session tickets, alerts): read them
	 * through the session, never around it */
	if (c->ssl && !(p.revents & (POLLERR | POLLHUP)))
		return tls_read_pending(c, err);
	if (p.revents & (POLLERR | POLLHUP | POLLRDHUP)) {
		socklen_t l = sizeof(*err);
		*err = 0;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, err, &l);
		if (*err == 0)
			*err = ECONNRESET;
		return 1;
	}
	char junk[512];
	ssize_t n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		*err = n == 0 ? ECONNRESET : errno;
		return 1;
	}
	return 0;
}

/* Write from `buf` at `*off` up to `len`. 1 when done, 0 when the socket is full, -errno. */
static int tcp_write(struct fp_collector *c, const uint8_t *buf, size_t len, size_t *off)
{
	while (c->ssl && *off < len) {
		ERR_clear_error();
		errno = 0;
		int n = SSL_write(c->ssl, buf + *off, (int)(len - *off));
		if (n > 0) {
			*off += (size_t)n;
			continue;
		}
		int e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			return 0;
		return -(errno ? errno : EPIPE);
	}
	while (*off < len) {
		ssize_t n = send(c->fd, buf + *off, len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*off += (size_t)n;
	}
	return 1;
}

void fp_collector_pump(struct fp_collector *c, uint64_t now)
{
	if (c->proto != FP_PROTO_TCP || c->out == NULL)
		return;
	if (c->state == FP_TCP_DOWN) {
		if (now < c->next_try_ms)
			return;
		tcp_connect(c, now);
	}
	if (c->state == FP_TCP_CONNECTING) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		if (poll(&p, 1, 0) <= 0)
			return;
		int err = 0;
		socklen_t l = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			tcp_down(c, err, now);
			return;
		}
		tcp_connected(c, now);
		if (c->state != FP_TCP_UP)
			return;
	} else if (c->state == FP_TCP_HANDSHAKE && tls_handshake(c, now) != 1) {
		return;
	}
	int err;
	if (tcp_peer_gone(c, &err)) {
		tcp_down(c, err, now);
		return;
	}
	for (;;) {
		int rc;
		if (c->need_greet) {
			size_t len;
			const uint8_t *next =
			    c->out_len ? c->out : fp_backlog_peek(&c->backlog, &len, NULL);
			if (next == NULL)
				return; /* nothing to say yet */
			tcp_greet(c, next);
		}
		if (c->greet_off < c->greet_len) {
			rc = tcp_write(c, c->greet, c->greet_len, &c->greet_off);
		} else if (c->out_len) {
			if (c->out_off == 0)
				put_be32(c->out + 8, c->out_seq - c->seq_base);
			rc = tcp_write(c, c->out, c->out_len, &c->out_off);
			if (rc == 1) {
				c->sent_msgs++;
				c->sent_bytes += c->out_len;
				c->sent_records += c->out_meta.records;
				c->out_len = c->out_off = 0;
			}
		} else {
			size_t len;
			const uint8_t *m = fp_backlog_peek(&c->backlog, &len, &c->out_meta);
			if (m == NULL)
				return;
			memcpy(c->out, m, len);
			c->out_seq = get_be32(m + 8);
			c->out_len = len;
			c->out_off = 0;
			fp_backlog_pop(&c->backlog);
			continue;
		}
		if (rc < 0) {
			tcp_down(c, -rc, now);
			return;
		}
		if (rc == 0)
			return;
	}
}

int fp_collector_pending(const struct fp_collector *c)
{
	return c->proto == FP_PROTO_TCP &&
	       (c->greet_off < c->greet_len || c->out_len || c->backlog.msgs);
}

static void wait_writable(struct fp_collector *c, int ms)
{
	struct pollfd p = {.fd = c->fd, .events = POLLOUT};
	/* a TLS handshake mostly waits for the collector's answer: wait for that, not spin */
	if (c->ssl && c->state == FP_TCP_HANDSHAKE && !SSL_want_write(c->ssl))
		p.events = POLLIN;
	if (c->fd < 0 || c->state == FP_TCP_DOWN) {
		poll(NULL, 0, ms);
		return;
	}
	poll(&p, 1, ms);
}

/* One datagram by send(), errors counted. */
static void udp_send_one(struct fp_collector *c, const void *buf, size_t len, uint32_t records)
{
	ssize_t n = send(c->fd, buf, len, 0);
	if (n < 0 && errno == ECONNREFUSED) {
		/* That error was the ICMP answer to an earlier datagram, and reporting it cleared
		 * it: this datagram was not sent yet. Count the refusal, send this one anyway (a
		 * collector may be back, a tap may be listening). */
		c->send_errors++;
		c->last_errno = errno;
		n = send(c->fd, buf, len, 0);
	}
	if (n < 0) {
		c->send_errors++;
		c->last_errno = errno;
		return;
	}
	c->sent_msgs++;
	c->sent_bytes += (uint64_t)n;
	c->sent_records += records;
}

void fp_collector_send(struct fp_collector *c, const void *buf, size_t len,
		       const struct fp_msg_meta *meta, int wait)
{
	if (c->proto == FP_PROTO_TCP) {
		fp_collector_pump(c, mono_ms());
		while (wait && c->state == FP_TCP_UP && !fp_backlog_fits(&c->backlog, len)) {
			wait_writable(c, 100);
			fp_collector_pump(c, mono_ms());
		}
		fp_backlog_push(&c->backlog, buf, len, meta);
		fp_collector_pump(c, mono_ms());
		return;
	}
	if (c->same_host)
		rx_room(c, len, wait);
	struct fp_udp_batch *b = c->batch;
	if (b == NULL || len > UDP_BATCH_BYTES) {
		fp_collector_flush(c); /* in order */
		udp_send_one(c, buf, len, meta->records);
		return;
	}
	if (b->used + len > UDP_BATCH_BYTES)
		fp_collector_flush(c);
	memcpy(b->buf + b->used, buf, len);
	b->len[b->n] = (uint32_t)len;
	b->records[b->n] = meta->records;
	b->used += len;
	if (++b->n == FP_UDP_BATCH)
		fp_collector_flush(c);
}

static uint64_t batch_charge(const struct fp_collector *c)
{
	return c->batch ? c->batch->used + (uint64_t)c->batch->n * RX_CHARGE : 0;
}

void fp_collector_flush(struct fp_collector *c)
{
	struct fp_udp_batch *b = c->batch;
	if (b == NULL || b->n == 0)
		return;
	struct mmsghdr m[FP_UDP_BATCH];
	struct iovec iov[FP_UDP_BATCH];
	size_t at = 0;
	for (unsigned i = 0; i < b->n; i++) {
		iov[i] = (struct iovec){.iov_base = b->buf + at, .iov_len = b->len[i]};
		m[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		at += b->len[i];
	}
	unsigned done = 0;
	int refused_retry = 1;
	while (done < b->n) {
		int r = c->fd >= 0 ? sendmmsg(c->fd, m + done, b->n - done, 0) : -1;
		if (r > 0) {
			for (unsigned i = done; i < done + (unsigned)r; i++) {
				c->sent_msgs++;
				c->sent_bytes += b->len[i];
				c->sent_records += b->records[i];
			}
			done += (unsigned)r;
			refused_retry = 1;
			continue;
		}
		/* The first datagram of the rest failed. ECONNREFUSED: the ICMP answer to an
		 * earlier datagram, cleared by reporting it; this one was not sent yet: counted,
		 * and sent again once (as send() does below). Anything else: that datagram is lost,
		 * counted. */
		c->send_errors++;
		c->last_errno = c->fd >= 0 ? errno : EBADF;
		if (c->last_errno == ECONNREFUSED && refused_retry) {
			refused_retry = 0;
			continue;
		}
		done++;
		refused_retry = 1;
	}
	b->n = 0;
	b->used = 0;
}

void fp_collector_drain(struct fp_collector *c, uint32_t timeout_ms)
{
	if (c->proto != FP_PROTO_TCP || c->out == NULL)
		return;
	uint64_t end = mono_ms() + timeout_ms;
	for (;;) {
		uint64_t now = mono_ms();
		fp_collector_pump(c, now);
		if (!fp_collector_pending(c) && c->state == FP_TCP_UP)
			break;
		if (!fp_collector_pending(c) && c->state != FP_TCP_UP)
			return; /* nothing to deliver and no stream to close */
		if (now >= end)
			break;
		wait_writable(c, 10);
	}
	drop_pending(c); /* what the collector did not take in time is lost: say so */
	if (c->state != FP_TCP_UP)
		return;
	/* RFC 7011 §10.4.1.1: end the session by closing the connection; wait a moment for the
	 * collector's side so that the last bytes are not reset away. TLS says so first. */
	if (c->ssl)
		SSL_shutdown(c->ssl);
	shutdown(c->fd, SHUT_WR);
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	char junk[512];
	for (int i = 0; i < 100 && poll(&p, 1, 10) >= 0; i++) {
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
	c->state = FP_TCP_DOWN;
}

size_t fp_collector_max_payload(const struct fp_collector *c, unsigned mtu)
{
	size_t ip = c->addr.ss_family == AF_INET6 ? 40 : 20;
	return mtu > ip + 8 ? mtu - ip - 8 : 0;
}
