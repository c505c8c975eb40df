/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP transport to collectors: parse "HOST:PORT" / "[IPv6]:PORT", open one socket per collector,
 * send every message to every collector. Owned by the exporter thread.
 */
#ifndef FP_TRANSPORT_H
#define FP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct fp_collector {
	char name[128]; /* as the user wrote it */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	uint64_t sent_msgs;
	uint64_t sent_bytes;
	uint64_t send_errors;
	uint64_t send_errors_logged; /* errors already reported in the log */
	uint64_t last_log_ms;	     /* monotonic ms of the last error log line */
	int last_errno;
};

/*
 * Parse and resolve `spec` into `c` (no socket yet). Returns 0 or -errno; on error `err` holds a
 * message naming what is wrong. Called at start-up.
 */
int fp_collector_parse(const char *spec, struct fp_collector *c, char *err, size_t errlen);

/* Open the UDP socket. Returns 0 or -errno. */
int fp_collector_open(struct fp_collector *c);
void fp_collector_close(struct fp_collector *c);

/* Send one datagram; errors are counted, never fatal (a missing collector must not stop capture).
 */
void fp_collector_send(struct fp_collector *c, const void *buf, size_t len);

/* Largest UDP payload that keeps the IP packet within `mtu` for this collector's family. */
size_t fp_collector_max_payload(const struct fp_collector *c, unsigned mtu);

#endif
