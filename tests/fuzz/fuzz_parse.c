/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the parser alone. Input: one byte choosing the link type (low 7 bits) and
 * whether tunnels are opened (top bit), then the frame.
 * The frame is copied to an exact-size buffer, so any read past it trips AddressSanitizer; the
 * invariants a caller relies on are checked after every accepted parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp_parse.h"

static const int links[] = {FP_LINK_ETHERNET, FP_LINK_RAW,	 FP_LINK_IPV4,
			    FP_LINK_IPV6,     FP_LINK_LINUX_SLL, FP_LINK_LINUX_SLL2,
			    FP_LINK_NULL,     FP_LINK_LOOP,	 147 /* unsupported */};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	int link = links[(data[0] & 0x7f) % (sizeof(links) / sizeof(links[0]))];
	int decap = data[0] >> 7;
	size_t caplen = size - 1;
	uint8_t *frame = malloc(caplen ? caplen : 1);
	memcpy(frame, data + 1, caplen);
	/* the wire length is at least the capture; let the input's last byte stretch it */
	uint32_t wire = (uint32_t)caplen + (caplen ? frame[caplen - 1] : 0);
	struct fp_pkt p;
	enum fp_parse_result r =
	    fp_parse_decap((enum fp_link)link, frame, (uint32_t)caplen, wire, decap, &p);
	if (r == FP_PARSE_TRUNC_TUNNEL || r == FP_PARSE_DECAP_TOO_DEEP)
		__builtin_trap(); /* internal to the decapsulation: never returned */
	if ((unsigned)r >= FP_PARSE_NRESULTS)
		__builtin_trap();
	if (r == FP_PARSE_OK) {
		if (p.key.ipver != 4 && p.key.ipver != 6)
			__builtin_trap();
		if (p.octets > wire)
			__builtin_trap();
		static const uint8_t zero[12];
		if (p.key.ipver == 4 &&
		    (memcmp(p.key.src + 4, zero, 12) != 0 || memcmp(p.key.dst + 4, zero, 12) != 0))
			__builtin_trap(); /* the key's padding must stay zero: it is hashed as words
					   */
	}
	free(frame);
	return 0;
}
