/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport to collectors, owned by the exporter thread.
 *
 * UDP ("HOST:PORT", "udp://HOST:PORT", "[IPv6]:PORT"): one connected socket per collector; a
 * send error is counted, never fatal.
 *
 * TCP ("tcp://HOST:PORT", IPFIX only, RFC 7011 §10.4): a non-blocking stream with a small state
 * machine driven by fp_collector_pump() from the exporter's loop: down → connecting → up, back to
 * down on any error or when the collector closes, and a new attempt after a backoff that doubles
 * from 1 s to 30 s. Every message first goes into a bounded backlog (fp_backlog.h) and leaves it
 * in order as the socket takes it, so a collector that is down or slow costs memory up to the
 * bound, then the oldest messages (counted), never the exporter's time. On every new connection
 * the greeting (all templates, built by the exporter's callback) goes first, then the message
 * that was being written when the last connection broke, from its start, then the backlog.
 *
 * TLS ("tls://HOST:PORT", IPFIX only, RFC 7011 §11): the same stream, through OpenSSL. After the
 * TCP connect a non-blocking handshake verifies the collector's certificate against the CA of
 * fp_tls_setup() (the system's CAs without one) and its name against HOST (an address: the
 * certificate's IP SAN); a client certificate is presented when one was given (mutual TLS). A
 * handshake that fails is counted with its reason, and the connection retried with the TCP
 * backoff; capture never waits for it.
 */
#ifndef FP_TRANSPORT_H
#define FP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fp_backlog.h"

enum fp_proto {
	FP_PROTO_UDP,
	FP_PROTO_TCP,
};

enum fp_tcp_state {
	FP_TCP_DOWN,
	FP_TCP_CONNECTING,
	FP_TCP_HANDSHAKE, /* TLS: connected, handshake under way */
	FP_TCP_UP,
};

/* Files for tls:// collectors, read by fp_tls_setup(). NULL: not given. */
struct fp_tls_config {
	const char *ca;	  /* PEM CA bundle the collector's certificate must chain to */
	const char *cert; /* PEM client certificate (chain) for mutual TLS */
	const char *key;  /* its PEM private key */
};

/*
 * Build the TLS context that tls:// collectors opened from now on use, reading the files now (so
 * before privileges are dropped). Returns 0, or -1 with `err` naming the file and the reason.
 * Connections already open keep the context they were made with.
 */
int fp_tls_setup(const struct fp_tls_config *tc, char *err, size_t errlen);

#define FP_TCP_BACKOFF_MIN_MS 1000
#define FP_TCP_BACKOFF_MAX_MS 30000
#define FP_MSG_MAX 65536
#define FP_UDP_BATCH 16

/* Writes the messages a new TCP connection starts with into `buf`; returns their length. */
typedef size_t (*fp_greeter_fn)(void *ctx, uint8_t *buf, size_t cap);

struct fp_collector {
	char name[128];	     /* as the user wrote it */
	enum fp_proto proto; /* tls:// is FP_PROTO_TCP with `tls` set: a stream either way */
	int tls;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	uint64_t sent_msgs; /* UDP: datagrams sent; TCP: messages written whole */
	uint64_t sent_bytes;
	uint64_t sent_records; /* flow records in those messages */
	uint64_t send_errors;  /* UDP: failed sends; TCP: failed connects and broken streams */
	uint64_t send_errors_logged;		      /* errors already reported in the log */
	uint64_t last_log_ms;			      /* monotonic ms of the last error log line */
	uint64_t connects_logged, disconnects_logged; /* TCP: connection changes logged */
	int last_errno;
	/* TCP only */
	enum fp_tcp_state state;
	uint64_t connects;    /* connections established */
	uint64_t disconnects; /* established connections lost */
	uint64_t next_try_ms; /* monotonic ms of the next connect attempt */
	uint32_t backoff_ms;
	fp_greeter_fn greeter;
	void *greeter_ctx;
	struct fp_backlog backlog;
	uint64_t records_lost_seen; /* the exporter's: backlog.dropped.records already counted */
	int need_greet; /* connected, greeting not built yet (built before the first message) */
	uint8_t *greet; /* FP_MSG_MAX bytes: the greeting being written */
	size_t greet_len, greet_off;
	uint8_t *out; /* FP_MSG_MAX bytes: the message being written, taken from the backlog */
	size_t out_len, out_off;
	uint32_t out_seq;  /* its sequence number as the exporter numbered it */
	uint32_t seq_base; /* the exporter's number of this connection's first message */
	struct fp_msg_meta out_meta;
	/* UDP to a collector on this host (fp_sockdiag): its socket's queue is watched, and a
	 * datagram waits for room there instead of being paced by --export-rate */
	int same_host;
	int diag_fd;		      /* netlink socket for the lookups; -1 when not same_host */
	struct sockaddr_storage self; /* our connected socket's address */
	int rx_found;		      /* the receiving socket was there at the last lookup */
	int rx_stalled;		      /* it made no room in time: not waited for */
	uint32_t rx_rcvbuf;	      /* its receive buffer, from the last lookup */
	uint32_t rx_drops_last;	      /* its drop counter at the last lookup */
	uint32_t rx_inode;	      /* which socket that was (0: none seen yet) */
	uint64_t rx_drops;	      /* datagrams it dropped while we sent (this run) */
	uint64_t rx_est;	      /* bytes we believe queued there since the last lookup */
	uint64_t rx_lookups;	      /* lookups made */
	uint64_t rx_waits;	      /* datagrams that waited for room */
	uint64_t rx_wait_ns;	      /* time spent waiting */
	uint64_t rx_wait_timeouts;    /* waits that gave up (a stalled collector) and sent */
	uint64_t rx_next_lookup_ms;   /* when nothing was found: the next try */
	struct fp_udp_batch *batch;   /* UDP: datagrams queued for one sendmmsg, NULL: none */
	/* TLS only */
	char host[128];	       /* the name (or address) the certificate must match */
	void *ssl;	       /* SSL * of the connection, NULL when down */
	uint64_t tls_failures; /* handshakes that failed (certificate refused, ...) */
	uint64_t tls_failures_logged;
	char tls_reason[160];	     /* why the last one failed */
	char tls_reason_logged[160]; /* the reason last written to the log */
	int tls_confirmed;	     /* TLS 1.3: the collector's session ticket came */
	uint64_t tls_confirm_until;  /* ... or this monotonic ms passed without an alert */
};

/*
 * Parse and resolve `spec` into `c` (no socket yet). Returns 0 or -errno; on error `err` holds a
 * message naming what is wrong. Called at start-up.
 */
int fp_collector_parse(const char *spec, struct fp_collector *c, char *err, size_t errlen);

/* Open the collector: UDP socket, or TCP backlog of `backlog_bytes` and a first connect attempt
 * (which may still be in progress). `greeter` (TCP) builds what each connection starts with.
 * Returns 0 or -errno. Any thread, before the exporter starts. */
int fp_collector_open(struct fp_collector *c, size_t backlog_bytes, fp_greeter_fn greeter,
		      void *greeter_ctx);
/* Close and free; what a TCP collector still held is counted as dropped. */
void fp_collector_close(struct fp_collector *c);

/*
 * Send one message. UDP: one datagram, errors counted; to a collector on this host, after room
 * in its socket (waiting up to 20 ms, 2 s with `wait` set). UDP datagrams are queued, up to
 * FP_UDP_BATCH of them, and go out together (one sendmmsg) when the queue is full, before any
 * wait, and at fp_collector_flush: the exporter flushes after each pass over the rings. TCP: queued
 * in the backlog (the oldest messages dropped and counted if it is full), then as much written as
 * the socket takes; with `wait` set and the connection up, waits for room instead of dropping
 * (offline runs: nothing is lost by waiting).
 */
void fp_collector_send(struct fp_collector *c, const void *buf, size_t len,
		       const struct fp_msg_meta *meta, int wait);

/* UDP: send what is queued now. No-op for TCP. */
void fp_collector_flush(struct fp_collector *c);

/* TCP: advance the connection (connect, detect a closed peer, write what is queued) without
 * blocking. `now_ms` is monotonic. No-op for UDP. */
void fp_collector_pump(struct fp_collector *c, uint64_t now_ms);

/* TCP: bytes or messages not yet written (greeting, partial message, backlog). */
int fp_collector_pending(const struct fp_collector *c);

/* TCP: keep pumping (reconnecting if needed) until nothing is pending or `timeout_ms` passed,
 * then close the stream cleanly (FIN, wait briefly for the collector's). Exporter thread, at
 * the end. */
void fp_collector_drain(struct fp_collector *c, uint32_t timeout_ms);

/* UDP on this host: look at the receiving socket now (its drops since the run began end up in
 * rx_drops). No-op otherwise. Exporter thread. */
void fp_collector_rx_update(struct fp_collector *c);

/* Largest payload that keeps one UDP datagram within `mtu` for this collector's family. */
size_t fp_collector_max_payload(const struct fp_collector *c, unsigned mtu);

#endif
