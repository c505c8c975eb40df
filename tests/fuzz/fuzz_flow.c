/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole path packet → parse → flow table → expiry → IPFIX and v9 encoders.
 * Input: a sequence of [link byte][time step byte][length byte][frame bytes]. A tiny table (16
 * flows, timeouts of a few ms) makes eviction, idle, active and FIN expiry all reachable; an
 * input of odd length runs the table in biflow mode (RFC 5103), bit 1 of the length keeps the
 * --fields context, bit 2 measures TCP latency. Checked: every packet and byte
 * accepted comes out in exactly one record (either direction), and every record encodes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp_encode.h"
#include "fp_parse.h"
#include "fp_table.h"

static uint64_t out_packets, out_octets;
static uint8_t msg[1500];
static struct fp_encoder enc[2];

static int sink(void *arg, const struct fp_record *r, const struct fp_side *side)
{
	(void)arg;
	out_packets += r->packets + r->rev_packets;
	out_octets += r->octets + r->rev_octets;
	for (int i = 0; i < 2; i++) {
		if (fp_encode_record_side(&enc[i], r, side) != 0) {
			fp_encode_finish(&enc[i]);
			fp_encode_begin(&enc[i], r->last_us / 1000);
			if (fp_encode_record_side(&enc[i], r, side) != 0)
				__builtin_trap(); /* an empty message must hold any record */
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {FP_LINK_ETHERNET, FP_LINK_RAW, FP_LINK_LINUX_SLL,
				    FP_LINK_LINUX_SLL2, FP_LINK_NULL};
	struct fp_table_config cfg = {
	    .max_flows = 16, .idle_ms = 5, .active_ms = 20, .fin_ms = 2, .emit = sink};
	cfg.biflow = (int)(size & 1);
	cfg.more = (int)(size & 2);	  /* --fields: the context kept per flow and encoded */
	cfg.latency = (int)(size & 4);	  /* --fields latency: handshake state per flow */
	cfg.tcp_health = (int)(size & 8); /* --fields tcp: each segment analysed */
	struct fp_table *t = fp_table_create(&cfg);
	struct fp_pkt burst[FP_TABLE_BURST_MAX];
	struct fp_tcp_seg segs[FP_TABLE_BURST_MAX];
	uint64_t in_packets = 0, in_octets = 0, now = 1767225600000ull;
	unsigned n = 0;

	if (t == NULL)
		__builtin_trap();
	out_packets = out_octets = 0;
	fp_encode_init(&enc[0], FP_FORMAT_IPFIX, 1, msg, sizeof(msg), now - 1000);
	fp_encode_init(&enc[1], FP_FORMAT_NFV9, 1, msg, sizeof(msg), now - 1000);
	fp_encode_layout(&enc[0], cfg.biflow,
			 (cfg.more ? FP_FIELD_ALL : 0) | (cfg.tcp_health ? FP_FIELD_TCP : 0));
	fp_encode_layout(&enc[1], 0, cfg.more ? FP_FIELD_ALL : 0);
	fp_encode_begin(&enc[0], now);
	fp_encode_begin(&enc[1], now);
	while (size >= 3) {
		int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
		/* time mostly moves forward, sometimes back: step is signed */
		now += (uint64_t)(int64_t)(int8_t)data[1];
		size_t len = data[2];
		data += 3, size -= 3;
		if (len > size)
			len = size;
		uint8_t *frame = malloc(len ? len : 1);
		memcpy(frame, data, len);
		if (fp_parse_decap((enum fp_link)link, frame, (uint32_t)len, (uint32_t)len,
				   cfg.more, &burst[n]) == FP_PARSE_OK) {
			burst[n].ts_us = now * 1000;
			segs[n].ok = 0;
			if (burst[n].key.proto == 6) /* its header, while the frame is there */
				(void)fp_parse_tcp_segment(frame, (uint32_t)len, &burst[n],
							   &segs[n]);
			if (cfg.biflow)
				burst[n].swapped = (uint8_t)fp_key_canonicalize(&burst[n].key);
			in_packets++;
			in_octets += burst[n].octets;
			n++;
		}
		free(frame);
		data += len, size -= len;
		if (n == 8 || size < 3) {
			struct fp_table_burst_ext x = {.seg = segs};
			fp_table_update_burst_ext(t, burst, &x, n);
			fp_table_expire(t, now, 8);
			n = 0;
		}
	}
	fp_table_flush(t, 0, FP_END_FORCED);
	fp_encode_finish(&enc[0]);
	fp_encode_finish(&enc[1]);
	fp_table_destroy(t);
	if (in_packets != out_packets || in_octets != out_octets)
		__builtin_trap(); /* a packet counted is a packet exported */
	return 0;
}
