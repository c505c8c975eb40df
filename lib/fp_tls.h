/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --fields tls: the first TLS handshake of a TCP connection, read from its segments.
 *
 * Each direction's bytes go through a record-layer reader (TLS records of type handshake, their
 * headers dropped, split anywhere by TCP) into a bounded buffer of handshake bytes, and each
 * complete handshake message is read once: the client's ClientHello (JA3, JA4, server name,
 * ALPN offered), the server's ServerHello (JA3S, version, cipher suite, ALPN chosen) and, where
 * it is not encrypted (TLS 1.2 and before), its Certificate message's first certificate
 * (subject, issuer, validity end). A direction is done once it told what it can; anything that
 * is not a handshake record ends it.
 *
 * Definitions: JA3 and JA3S as Salesforce's JA3 (MD5 of the decimal string, GREASE values left
 * out); JA4 as FoxIO's JA4 TLS client fingerprint (technical_details/JA4.md). Names of a
 * certificate as RFC 4514 writes them (last RDN first), as `openssl x509 -nameopt RFC2253`.
 *
 * No allocation; the caller owns the buffers. Any thread; one struct fp_tls_dir per direction.
 */
#ifndef FP_TLS_H
#define FP_TLS_H

#include <stdint.h>

#include "fp_record.h"

/* Handshake bytes a direction may hold while a message is incomplete: a ClientHello with a
 * post-quantum key share is ~1.8 KB; a certificate is read as far as its subject. */
#define FP_TLS_BUF 8192

enum fp_tls_step {
	FP_TLS_MORE = 0,     /* wants the direction's next bytes */
	FP_TLS_DONE = 1,     /* the direction told what it can */
	FP_TLS_NOT_TLS = -1, /* not a TLS handshake (or malformed): nothing more is read */
	FP_TLS_TOO_LONG = -2 /* a message that did not fit FP_TLS_BUF */
};

/* One direction's reading state. Zero it to start. */
struct fp_tls_dir {
	uint32_t len;	   /* handshake bytes in buf */
	uint16_t rec_left; /* bytes of the current record's body still to come */
	uint8_t hdr_have;  /* bytes of the next record's header seen */
	uint8_t hdr[5];
	uint8_t server;	    /* this is the server's direction */
	uint8_t seen_hello; /* server: its ServerHello was read */
};

/* Feed the next `n` bytes of a direction (in order, none missing). `buf`: FP_TLS_BUF bytes that
 * stay with the direction until it is done. What is found goes into `info`. */
enum fp_tls_step fp_tls_feed(struct fp_tls_dir *d, uint8_t *buf, const uint8_t *data, uint32_t n,
			     struct fp_tls_info *info);

/* Whether a direction's first payload bytes can start a handshake this reader takes: a TLS
 * handshake record (22, version 3.x) carrying a ClientHello (`server` 0) or ServerHello (1), as
 * far as the `n` bytes go (a first segment may be shorter than the record's header). */
static inline int fp_tls_starts(const uint8_t *p, uint32_t n, int server)
{
	return n >= 1 && p[0] == 22 && (n < 2 || p[1] == 3) && (n < 6 || p[5] == (server ? 2 : 1));
}

/* The ClientHello / ServerHello / Certificate message bodies (after the 4-byte handshake
 * header), read on their own (tests, fuzzing). 0, or -1 when malformed. */
int fp_tls_client_hello(const uint8_t *p, uint32_t n, int quic, struct fp_tls_info *info);
int fp_tls_server_hello(const uint8_t *p, uint32_t n, struct fp_tls_info *info);
/* 1 when the first certificate was read; 0 when `n` bytes are not enough yet; -1 malformed */
int fp_tls_certificate(const uint8_t *p, uint32_t n, struct fp_tls_info *info);

/* "1.2", "1.3", ... of a version number; NULL for one that is not TLS/SSL. */
const char *fp_tls_version_name(uint16_t v);
/* IANA's name of a cipher suite ("TLS_AES_128_GCM_SHA256"), NULL when not in our table. */
const char *fp_tls_cipher_name(uint16_t c);

#endif
