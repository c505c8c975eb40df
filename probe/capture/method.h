/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A capture method: how packets come in. libpcap (capture_pcap.c: a file, interfaces, an
 * AF_PACKET fanout group) and DPDK (dpdk.c: its ports, the NIC's or a PMD's: net_pcap,
 * net_af_packet, net_af_xdp) each describe themselves once here; main.c takes the first of
 * fp_capture_methods[] the configuration wants and never asks which it is. A new method is one
 * file with its descriptor and a line in the list (method.c).
 *
 * Every function runs on the main thread unless it says otherwise.
 */
#ifndef FP_CAPTURE_METHOD_H
#define FP_CAPTURE_METHOD_H

#include <stdint.h>

#include "capture.h"
#include "config.h"

struct fp_worker;

/* Per-port counters, as a NIC (or a PMD) keeps them. */
struct fp_port_stats {
	uint16_t port;
	char name[64];
	uint64_t ipackets, ibytes, imissed, ierrors, rx_nombuf;
	uint64_t
	    kernel_dropped; /* net_af_xdp/af_packet: its kernel interface's drops since start */
};

#define FP_CAPTURE_MAX_PORTS 16
#define FP_CAPTURE_MAX_WORKERS 64

struct fp_capture_method {
	const char *name; /* "pcap", "dpdk": the metrics' backend label */
	/* What to do when the capture falls behind, for the LOSS line. */
	const char *drop_remedy;
	/* 1: its threads start in open(), so --daemon forks before it (DPDK's EAL threads do not
	 * survive a fork); 0: open first, so that a wrong interface or filter is reported on the
	 * terminal, then fork. */
	int daemon_before_open;
	/* 1: a live capture keeps --snaplen bytes of each packet (libpcap's snapshot length). */
	int live_snaplen;
	/* 1: its counters are also DPDK telemetry's (/fluxprobe/stats). */
	int telemetry;
	/* Whether `cfg` asks for this method. */
	int (*wanted)(const struct fp_config *cfg);
	/* What the start-up line says: "capturing on eth1", "reading FILE", ... into buf. */
	void (*describe)(const struct fp_config *cfg, char *buf, size_t len);
	/* The summary's "source": "file", "interface", "dpdk". */
	const char *(*source)(const struct fp_config *cfg);
	/* One capture per worker into caps (at most `max`); *n the captures opened, also on
	 * failure (they are closed with close()). 0, or -1 after logging why. */
	int (*open)(const struct fp_config *cfg, struct fp_capture *caps, unsigned max,
		    unsigned *n);
	/* Start worker `i` (its capture is caps[i]) on its thread or lcore: fp_worker_run(w).
	 * 0, or -1 after logging why (then *started says whether it runs anyway). */
	int (*launch)(const struct fp_config *cfg, unsigned i, struct fp_worker *w, int *started);
	/* Wait for the `n` workers launched to return. */
	void (*wait)(struct fp_worker *workers, unsigned n);
	void (*close)(struct fp_capture *caps, unsigned n);
	/* The run's capture counters (every capture summed, or the ports'). Any thread. */
	void (*stats)(struct fp_capture *caps, unsigned n, struct fp_capture_stats *out);
	/* Optional: drops of worker w's own socket (libpcap live: its fanout share). */
	uint64_t (*worker_drops)(struct fp_capture *caps, unsigned n, unsigned w);
	/* Optional: per-port counters into out (at most max): their count. Any thread. */
	unsigned (*port_stats)(struct fp_port_stats *out, unsigned max);
};

extern const struct fp_capture_method fp_capture_pcap;
extern const struct fp_capture_method fp_capture_dpdk;

/* The method `cfg` asks for (libpcap when nothing else is). */
const struct fp_capture_method *fp_capture_method_for(const struct fp_config *cfg);

#endif
