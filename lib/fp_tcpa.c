/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checks in Wireshark's order (packet-tcp.c, tcp_analyze_sequence_number, 4.0 with its
 * default tcp.fastrt_supersedes_ooo): a segment that is a zero-window probe, a keep-alive ACK or
 * a zero-window-probe ACK skips the duplicate-ACK test; a keep-alive is never a retransmission;
 * spurious retransmission (data already acknowledged) is tested first, then fast
 * retransmission, then out-of-order, then a plain retransmission. Sequence
 * comparisons are modulo 2^32 (Wireshark's LT_SEQ/GT_SEQ/LE_SEQ).
 */
#include "fp_tcpa.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static inline int lt_seq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int gt_seq(uint32_t a, uint32_t b)
{
	return (int32_t)(b - a) < 0;
}

unsigned fp_tcpa_segment(struct fp_tcpa_dir *fwd, const struct fp_tcpa_dir *rev,
			 const struct fp_tcp_seg *s, uint64_t ts_us, uint32_t irtt_us)
{
	unsigned ta = 0;
	uint32_t seq = s->seq, ack = s->ack, len = s->len, win = s->window;
	int ctl = (s->flags & (TH_SYN | TH_FIN | TH_RST)) != 0;
	/* a repeat of this direction's last ACK and window, with no data */
	int same = len == 0 && seq == fwd->nextseq && ack == fwd->lastack && !ctl;

	if (len == 1 && seq == fwd->nextseq && rev->window == 0) {
		ta |= FP_TCPA_ZERO_WINDOW_PROBE;
		goto finished_fwd;
	}
	if (win == 0 && !ctl)
		ta |= FP_TCPA_ZERO_WINDOW;
	if (len <= 1 && seq == fwd->nextseq - 1 && !ctl)
		ta |= FP_TCPA_KEEP_ALIVE;
	if (same && win && win == fwd->window && (rev->lastflags & FP_TCPA_KEEP_ALIVE))
		goto finished_fwd; /* a keep-alive's ACK */
	if (same && win == 0 && win == fwd->window && (rev->lastflags & FP_TCPA_ZERO_WINDOW_PROBE))
		goto finished_fwd; /* a zero-window probe's ACK */
	if (same && win && win == fwd->window) {
		fwd->dupacks++;
		ta |= FP_TCPA_DUPLICATE_ACK;
	}
finished_fwd:
	if (ack != fwd->lastack)
		fwd->dupacks = 0;
	if ((len > 0 || (s->flags & (TH_SYN | TH_FIN))) && !(ta & FP_TCPA_KEEP_ALIVE)) {
		int not_advanced = fwd->nextseq && lt_seq(seq, fwd->nextseq);
		/* more than one byte from one before nextseq: new data after a probe */
		if (len > 1 && fwd->nextseq - 1 == seq)
			not_advanced = 0;
		uint32_t syn_fin = (s->flags & (TH_SYN | TH_FIN)) ? 1 : 0;
		if (len > 0 && rev->lastack && !gt_seq(seq + len, rev->lastack))
			ta |= FP_TCPA_SPURIOUS_RETRANSMISSION; /* data the receiver has acked */
		else if (not_advanced && rev->dupacks >= 2 && rev->lastack == seq &&
			 ts_us - rev->lastack_us < 20000)
			ta |= FP_TCPA_FAST_RETRANSMISSION;
		else if (not_advanced && ts_us - fwd->nextseq_us < (irtt_us ? irtt_us : 3000) &&
			 fwd->nextseq != seq + len + syn_fin)
			ta |= FP_TCPA_OUT_OF_ORDER;
		else if (not_advanced)
			ta |= FP_TCPA_RETRANSMISSION;
	}
	uint32_t nextseq = seq + len + ((s->flags & (TH_SYN | TH_FIN)) ? 1 : 0);
	if ((gt_seq(nextseq, fwd->nextseq) || !fwd->nextseq) && !(ta & FP_TCPA_ZERO_WINDOW_PROBE)) {
		fwd->nextseq = nextseq;
		fwd->nextseq_us = ts_us;
	}
	fwd->window = win;
	fwd->lastack = ack;
	fwd->lastack_us = ts_us;
	fwd->lastflags = (uint8_t)(ta & (FP_TCPA_KEEP_ALIVE | FP_TCPA_ZERO_WINDOW_PROBE));
	return ta;
}
