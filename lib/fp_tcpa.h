/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --fields tcp: TCP analysis as Wireshark's does it (epan/dissectors/packet-tcp.c,
 * tcp_analyze_sequence_number, 4.0), so that an analyst who checks a record in Wireshark finds
 * the same numbers: each segment of a direction is classified from that direction's state and
 * the other's, and a record counts, per direction, the segments Wireshark marks
 * tcp.analysis.retransmission, fast_retransmission or spurious_retransmission (packets and
 * their payload bytes), tcp.analysis.out_of_order, and tcp.analysis.zero_window.
 *
 * Kept per direction (32 bytes): the next sequence number expected and when it last grew, the
 * last ACK and when, the window, how many duplicate ACKs in a row, and whether the last segment
 * was a keep-alive or a zero-window probe. Not kept: Wireshark's list of unacknowledged
 * segments (it only stops adding SYN and FIN's extra byte to the next sequence number after
 * 1000 unacknowledged segments: a connection seen one way only).
 *
 * Pure functions: any thread; the caller owns the state.
 */
#ifndef FP_TCPA_H
#define FP_TCPA_H

#include <stdint.h>

#include "fp_parse.h"

struct fp_tcpa_dir {
	uint32_t nextseq; /* 0: nothing seen yet (as Wireshark) */
	uint32_t lastack;
	uint64_t nextseq_us; /* when nextseq last grew */
	uint64_t lastack_us;
	uint32_t window; /* as on the wire; FP_TCPA_NO_WINDOW until a segment is seen */
	uint8_t dupacks;
	uint8_t lastflags; /* FP_TCPA_KEEP_ALIVE / FP_TCPA_ZERO_WINDOW_PROBE of its last segment */
	uint8_t pad[2];
};

#define FP_TCPA_NO_WINDOW UINT32_MAX

/* A segment's analysis, as Wireshark's tcp.analysis.* flags. */
enum fp_tcpa_flag {
	FP_TCPA_RETRANSMISSION = 1 << 0,
	FP_TCPA_FAST_RETRANSMISSION = 1 << 1,
	FP_TCPA_SPURIOUS_RETRANSMISSION = 1 << 2,
	FP_TCPA_OUT_OF_ORDER = 1 << 3,
	FP_TCPA_ZERO_WINDOW = 1 << 4,
	FP_TCPA_KEEP_ALIVE = 1 << 5,
	FP_TCPA_ZERO_WINDOW_PROBE = 1 << 6,
	FP_TCPA_DUPLICATE_ACK = 1 << 7,
	FP_TCPA_ANY_RETRANSMISSION =
	    FP_TCPA_RETRANSMISSION | FP_TCPA_FAST_RETRANSMISSION | FP_TCPA_SPURIOUS_RETRANSMISSION,
};

/* Zero a direction's state. */
static inline void fp_tcpa_dir_init(struct fp_tcpa_dir *d)
{
	*d = (struct fp_tcpa_dir){.window = FP_TCPA_NO_WINDOW};
}

/* Segment `s` of direction `fwd` at `ts_us`; `rev`: the other direction's state (one from
 * fp_tcpa_dir_init() when it is not known); `irtt_us`: the connection's initial round trip (the
 * client's SYN to its ACK of the SYN-ACK), 0 when not known (Wireshark then takes 3 ms as the
 * out-of-order threshold). Updates `fwd`; returns enum fp_tcpa_flag bits. */
unsigned fp_tcpa_segment(struct fp_tcpa_dir *fwd, const struct fp_tcpa_dir *rev,
			 const struct fp_tcp_seg *s, uint64_t ts_us, uint32_t irtt_us);

#endif
