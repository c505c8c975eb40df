/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_transport.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fp_collector_parse(const char *spec, struct fp_collector *c, char *err, size_t errlen)
{
	char host[128];
	const char *port;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(spec) >= sizeof(c->name)) {
		snprintf(err, errlen, "collector '%.40s...': too long", spec);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", spec);
	c->proto = FP_PROTO_UDP;
	if (strncmp(spec, "tcp://", 6) == 0) {
		c->proto = FP_PROTO_TCP;
		spec += 6;
	} else if (strncmp(spec, "udp://", 6) == 0) {
		spec += 6;
	} else if (strstr(spec, "://") != NULL) {
		snprintf(err, errlen, "collector '%s': transport must be udp:// or tcp://",
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
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The connection is gone (or never came): close, and try again after the backoff. */
static void tcp_down(struct fp_collector *c, int err, uint64_t now)
{
	if (c->state == FP_TCP_UP)
		c->disconnects++;
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
		tcp_up(c);
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
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
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
		tcp_up(c);
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
	if (c->fd < 0 || c->state == FP_TCP_DOWN) {
		poll(NULL, 0, ms);
		return;
	}
	poll(&p, 1, ms);
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
	c->sent_records += meta->records;
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
	 * collector's side so that the last bytes are not reset away. */
	shutdown(c->fd, SHUT_WR);
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	char junk[512];
	for (int i = 0; i < 100 && poll(&p, 1, 10) >= 0; i++) {
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
	}
	close(c->fd);
	c->fd = -1;
	c->state = FP_TCP_DOWN;
}

size_t fp_collector_max_payload(const struct fp_collector *c, unsigned mtu)
{
	size_t ip = c->addr.ss_family == AF_INET6 ? 40 : 20;
	return mtu > ip + 8 ? mtu - ip - 8 : 0;
}
