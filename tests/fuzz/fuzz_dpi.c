/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: --dpi's path, packet → parse (tunnels opened) → nDPI inspection
 * (probe/pipeline/dpi.c) → the result beside a record → IPFIX and v9 encoding of its names. The
 * input is fuzz_flow's: [link byte][time step byte][length byte][frame bytes]..., so its seeds
 * serve here too. One nDPI module lives across inputs (it takes milliseconds to start); every input
 * ends by sweeping all state, so inputs do not see each other's flows.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi.h"
#include "fp_encode.h"
#include "fp_parse.h"

/* probe/service/log.c is not linked: dpi.c logs only when it cannot start */
void fp_log(int prio, const char *fmt, ...)
{
	(void)prio, (void)fmt;
}

static struct fp_dpi *dpi;
static uint8_t msg[1500];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {FP_LINK_ETHERNET, FP_LINK_RAW, FP_LINK_LINUX_SLL,
				    FP_LINK_LINUX_SLL2, FP_LINK_NULL};
	struct fp_dpi_config cfg = {.max_flows = 16, .max_packets = 8, .keep_ms = 1000};
	struct fp_encoder enc[2];
	uint64_t now = 1767225600000ull;

	if (dpi == NULL && (dpi = fp_dpi_create(&cfg)) == NULL)
		__builtin_trap();
	fp_encode_init(&enc[0], FP_FORMAT_IPFIX, 1, msg, sizeof(msg), now - 1000);
	fp_encode_init(&enc[1], FP_FORMAT_NFV9, 1, msg, sizeof(msg), now - 1000);
	for (int i = 0; i < 2; i++) {
		fp_encode_layout(&enc[i], 0, FP_FIELD_APP);
		fp_encode_begin(&enc[i], now);
	}
	while (size >= 3) {
		int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
		uint8_t ctl = data[1]; /* the time step; its low bits also steer the records */
		now += (uint64_t)(int64_t)(int8_t)ctl;
		size_t len = data[2];
		data += 3, size -= 3;
		if (len > size)
			len = size;
		uint8_t *frame = malloc(len ? len : 1); /* exactly the frame: ASan sees overreads */
		memcpy(frame, data, len);
		struct fp_pkt p;
		if (fp_parse_decap((enum fp_link)link, frame, (uint32_t)len, (uint32_t)len, 1,
				   &p) == FP_PARSE_OK &&
		    !p.is_fragment) {
			fp_dpi_packet(dpi, &p, frame, (uint32_t)len, now);
			/* every other packet, a record of its flow leaves (and takes the result) */
			if (ctl & 1) {
				struct fp_record r;
				memset(&r, 0, sizeof(r));
				r.key = p.key;
				r.ipver = p.key.ipver;
				r.end_reason = (ctl & 2) ? FP_END_ACTIVE : FP_END_IDLE;
				const struct fp_app *app = fp_dpi_result(dpi, &r, now);
				for (int i = 0; i < 2; i++)
					if (fp_encode_record_app(&enc[i], &r, app) != 0) {
						fp_encode_finish(&enc[i]);
						fp_encode_begin(&enc[i], now);
						if (fp_encode_record_app(&enc[i], &r, app) != 0)
							__builtin_trap(); /* one record fits a
									     message */
					}
			}
		}
		free(frame);
		data += len, size -= len;
		fp_dpi_expire(dpi, now);
	}
	for (int i = 0; i < 2; i++)
		fp_encode_finish(&enc[i]);
	fp_dpi_expire(dpi, UINT64_MAX / 2); /* nothing is left for the next input */
	return 0;
}
