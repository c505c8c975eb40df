/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_transport.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "collector '%s': expected [IPv6]:PORT", spec);
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - spec - 1), spec + 1);
		port = close + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (colon == NULL || strchr(spec, ':') != colon) {
			snprintf(err, errlen, "collector '%s': expected HOST:PORT or [IPv6]:PORT",
				 spec);
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535) {
		snprintf(err, errlen, "collector '%s': port must be 1-65535", spec);
		return -EINVAL;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_family = AF_UNSPEC};
	struct addrinfo *res;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "collector '%s': cannot resolve '%s': %s", spec, host,
			 gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int fp_collector_open(struct fp_collector *c)
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

void fp_collector_close(struct fp_collector *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void fp_collector_send(struct fp_collector *c, const void *buf, size_t len)
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
}

size_t fp_collector_max_payload(const struct fp_collector *c, unsigned mtu)
{
	size_t ip = c->addr.ss_family == AF_INET6 ? 40 : 20;
	return mtu > ip + 8 ? mtu - ip - 8 : 0;
}
