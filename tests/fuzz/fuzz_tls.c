/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: --fields tls's path. Each input is read twice:
 *  - as fuzz_flow's packets ([link byte][time step byte][length byte][frame bytes]..., so its
 *    seeds, the corpus's TLS captures among them, serve here too): parse → the handshake
 *    tracker (probe/pipeline/tlsfp.c: segments in order, retransmissions, gaps) → the result
 *    beside a record → IPFIX encoding of its elements;
 *  - as one direction's byte stream (the first byte: client or server, and the cut sizes) into
 *    the record and handshake reader (lib/fp_tls.c) in pieces, as TCP would cut it: the
 *    ClientHello, ServerHello and certificate parsers see any bytes, not only those a TCP
 *    connection brings.
 * Every input ends by sweeping all state, so inputs do not see each other's connections.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp_encode.h"
#include "fp_parse.h"
#include "fp_tls.h"
#include "tlsfp.h"

/* probe/service/log.c is not linked: tlsfp.c logs only when it cannot start */
void fp_log(int prio, const char *fmt, ...)
{
	(void)prio, (void)fmt;
}

static struct fp_tlsfp *tls;
static uint8_t msg[1500];
static uint8_t hbuf[FP_TLS_BUF];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as one direction of a handshake, cut into pieces of 1 to 64 bytes. */
static void stream(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	struct fp_tls_dir d;
	struct fp_tls_info info;
	memset(&d, 0, sizeof(d));
	memset(&info, 0, sizeof(info));
	d.server = data[0] & 1;
	unsigned cut = (data[0] >> 1) % 64 + 1;
	data++, size--;
	uint8_t *copy = malloc(size); /* exactly the bytes: ASan sees overreads */
	memcpy(copy, data, size);
	for (size_t off = 0; off < size;) {
		size_t k = size - off < cut ? size - off : cut;
		if (fp_tls_feed(&d, hbuf, copy + off, (uint32_t)k, &info) != FP_TLS_MORE)
			break;
		off += k;
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {FP_LINK_ETHERNET, FP_LINK_RAW, FP_LINK_LINUX_SLL,
				    FP_LINK_LINUX_SLL2, FP_LINK_NULL};
	struct fp_tlsfp_config cfg = {.max_flows = 16, .keep_ms = 1000};
	struct fp_encoder enc;
	uint64_t now = 1767225600000ull;

	stream(data, size);
	if (tls == NULL && (tls = fp_tlsfp_create(&cfg)) == NULL)
		__builtin_trap();
	fp_encode_init(&enc, FP_FORMAT_IPFIX, 1, msg, sizeof(msg), now - 1000);
	fp_encode_layout(&enc, 0, FP_FIELD_TLS);
	fp_encode_begin(&enc, now);
	while (size >= 3) {
		int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
		uint8_t ctl = data[1]; /* the time step; its low bits also steer the records */
		now += (uint64_t)(int64_t)(int8_t)ctl;
		size_t len = data[2];
		data += 3, size -= 3;
		if (len > size)
			len = size;
		uint8_t *frame = malloc(len ? len : 1);
		memcpy(frame, data, len);
		struct fp_pkt p;
		if (fp_parse_decap((enum fp_link)link, frame, (uint32_t)len, (uint32_t)len, 1,
				   &p) == FP_PARSE_OK &&
		    !p.is_fragment && p.key.proto == 6) {
			fp_tlsfp_packet(tls, &p, frame, (uint32_t)len, now);
			if (ctl &
			    1) { /* a record of its connection leaves (and takes the result) */
				struct fp_record r;
				memset(&r, 0, sizeof(r));
				r.key = p.key;
				r.ipver = p.key.ipver;
				r.end_reason = (ctl & 2) ? FP_END_ACTIVE : FP_END_IDLE;
				struct fp_side side = {.tls = fp_tlsfp_result(tls, &r, now)};
				if (fp_encode_record_side(&enc, &r, &side) != 0) {
					fp_encode_finish(&enc);
					fp_encode_begin(&enc, now);
					if (fp_encode_record_side(&enc, &r, &side) != 0)
						__builtin_trap(); /* one record fits a message */
				}
			}
		}
		free(frame);
		data += len, size -= len;
		fp_tlsfp_expire(tls, now);
	}
	fp_encode_finish(&enc);
	for (int i = 0; i < 2; i++) /* nothing is left for the next input (a full sweep) */
		for (unsigned k = 0; k < 16; k += 1)
			fp_tlsfp_expire(tls, UINT64_MAX / 2);
	return 0;
}
