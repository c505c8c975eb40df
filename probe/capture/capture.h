/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The capture backend interface: open, receive a burst, stats, close. A backend hands each frame
 * to a callback while the frame's bytes are valid; the callback parses it on the spot, so no
 * backend copies packet data.
 */
#ifndef FP_CAPTURE_H
#define FP_CAPTURE_H

#include <stdint.h>

#include "fp_parse.h"

typedef void (*fp_frame_fn)(void *arg, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
			    uint64_t ts_ns);

struct fp_capture_stats {
	uint64_t received; /* frames the backend saw */
	uint64_t dropped;  /* lost before we got them (kernel buffer, NIC) */
	uint64_t if_dropped;
};

struct fp_capture {
	const struct fp_capture_ops *ops;
	enum fp_link link;
	int offline; /* a file: timers on packet time, back-pressure instead of drops */
	int ts_nano; /* timestamps are finer than µs (a ns pcap file): --pcap-dir keeps ns */
	/* Receive bursts gathered per table update while they come full (1 or 2): a pair gives the
	 * table's prefetch stages 64 packets to overlap (measured +6 % at 1M flows with DPDK); a
	 * backend whose receive may block keeps 1. */
	unsigned bursts_per_update;
	uint32_t ifindex;  /* ingressInterface of the frames being delivered (--fields ingress) */
	uint16_t key_port; /* their port's slot << FP_KEY_PORT_SHIFT, ORed into each key's VLAN
			      so that flows are per port (0 with one interface, and under
			      --biflow) */
	/* A classic pcap file read by records (lib/fp_pcapfile): the packet store reads the
	 * packets again from `rec_fd` itself, and the worker only says which records it kept.
	 * rec_seq: the number (from 0, every record of the file) of the frame being delivered;
	 * rec_next: the records read so far. by_record 0: none of this (live, DPDK, libpcap). */
	int by_record;
	int rec_fd;
	uint64_t rec_seq, rec_next;
	void *priv;
};

struct fp_capture_ops {
	const char *name;
	/*
	 * Deliver up to `max` frames to `fn`. Returns the number delivered (0: none right now),
	 * -1 at end of input or after brk(), -2 on a capture error (already logged).
	 */
	int (*recv_burst)(struct fp_capture *c, unsigned max, fp_frame_fn fn, void *arg);
	void (*stats)(struct fp_capture *c, struct fp_capture_stats *st);
	/* Async-signal-safe: make a blocked recv_burst return. */
	void (*brk)(struct fp_capture *c);
	void (*close)(struct fp_capture *c);
	/* Optional: the backend's clock (Unix ms) for live expiry; wall clock when NULL. */
	uint64_t (*now_ms)(struct fp_capture *c);
	/* Optional, files: bytes of the input read so far and its size (0 when unknown: standard
	 * input). Any thread, while the capture is open. */
	void (*progress)(struct fp_capture *c, uint64_t *done, uint64_t *total);
};

/* What a libpcap capture opens: `file`, or the interfaces `ifaces` (one handle each, polled in
 * turn; flows are kept per interface unless `biflow`, ingressInterface from `ifindex` or the
 * kernel's). */
struct fp_pcap_opts {
	const char *file;
	const char *const *ifaces;
	unsigned n_ifaces;
	const uint32_t *ifindex;
	unsigned n_ifindex;
	int biflow;
	const char *filter;
	int snaplen;
	int promisc;
	uint32_t buffer_bytes; /* live: the kernel ring of the socket */
	/* live, > 0: interface i joins AF_PACKET fanout group fanout_group + i (--workers): the
	 * kernel spreads packets over the group's sockets by a symmetric flow hash, fragments
	 * defragmented for the hash */
	int fanout_group;
};

/* Returns 0 or -1 after logging the cause. */
int fp_capture_pcap_open(struct fp_capture *c, const struct fp_pcap_opts *o);

#endif
