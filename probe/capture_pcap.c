/* SPDX-License-Identifier: BSD-3-Clause */
/* libpcap backend: live interfaces and capture files (pcap and pcapng). */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "capture.h"
#include "log.h"

struct pcap_priv {
	pcap_t *p;
	const char *what; /* "--read FILE" or "--interface IFACE", for messages */
	fp_frame_fn fn;
	void *arg;
	uint64_t received;
	int nano;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct pcap_priv *pp = (struct pcap_priv *)user;
	uint64_t frac =
	    pp->nano ? (uint64_t)h->ts.tv_usec / 1000000 : (uint64_t)h->ts.tv_usec / 1000;
	/* A pcap file stores seconds as an unsigned 32-bit number (good until 2106), and libpcap
	 * reads them signed: from 2038-01-19 on they come out negative. */
	uint64_t sec = h->ts.tv_sec < 0 ? (uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;
	uint64_t ts_ms = sec * 1000 + frac;

	pp->received++;
	pp->fn(pp->arg, bytes, h->caplen, h->len, ts_ms);
}

static int pcap_recv_burst(struct fp_capture *c, unsigned max, fp_frame_fn fn, void *arg)
{
	struct pcap_priv *pp = c->priv;

	pp->fn = fn;
	pp->arg = arg;
	int n = pcap_dispatch(pp->p, (int)max, on_packet, (u_char *)pp);
	if (n == PCAP_ERROR) {
		const char *e = pcap_geterr(pp->p);
		fp_log(LOG_ERR, "%s: %s (what came before it was accounted and exported)%s",
		       pp->what, e,
		       strstr(e, "different from the type of the first interface")
			   ? "; libpcap reads one link type per file: split it per interface "
			     "first (tshark -r FILE -Y 'frame.interface_id == N' -w PART)"
			   : "");
		return -2;
	}
	if (n == PCAP_ERROR_BREAK)
		return -1;
	if (n == 0 && c->offline)
		return -1; /* end of file */
	if (n == 0) {
		/* Live and non-blocking: wait for the next block of packets, at most 100 ms, so
		 * the worker expires idle flows on a quiet link too (with TPACKET_V3 a blocking
		 * pcap_dispatch() does not return until a packet comes). */
		struct pollfd pfd = {.fd = pcap_get_selectable_fd(pp->p), .events = POLLIN};
		if (pfd.fd >= 0)
			poll(&pfd, 1, 100);
	}
	return n;
}

static void pcap_stats_get(struct fp_capture *c, struct fp_capture_stats *st)
{
	struct pcap_priv *pp = c->priv;
	struct pcap_stat ps;

	st->received = pp->received;
	st->dropped = 0;
	st->if_dropped = 0;
	if (!c->offline && pcap_stats(pp->p, &ps) == 0) {
		st->dropped = ps.ps_drop;
		st->if_dropped = ps.ps_ifdrop;
	}
}

static void pcap_brk(struct fp_capture *c)
{
	struct pcap_priv *pp = c->priv;
	pcap_breakloop(pp->p);
}

static void pcap_close_cap(struct fp_capture *c)
{
	struct pcap_priv *pp = c->priv;
	if (pp == NULL)
		return;
	pcap_close(pp->p);
	free((char *)pp->what);
	free(pp);
	c->priv = NULL;
}

static const struct fp_capture_ops pcap_ops = {
    .name = "pcap",
    .recv_burst = pcap_recv_burst,
    .stats = pcap_stats_get,
    .brk = pcap_brk,
    .close = pcap_close_cap,
};

/*
 * --workers N: N libpcap handles on one interface, their packet sockets joined in one AF_PACKET
 * fanout group (PACKET_FANOUT_HASH: the kernel's symmetric flow hash, both directions of a
 * connection to one socket; FLAG_DEFRAG: a datagram's fragments hashed as one). libpcap, not a
 * TPACKET_V3 ring of our own: libpcap 1.10 already reads such a ring by mmap (one copy-free block
 * walk per poll) and keeps what an operator relies on, BPF filters and VLAN tags reinserted from
 * the kernel's metadata; what a ring of our own would save is one indirect call per packet.
 */
static int join_fanout(pcap_t *p, const char *iface, int group)
{
	int fd = pcap_get_selectable_fd(p);
	int arg = (group & 0xffff) | (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
		fp_log(LOG_ERR, "--interface %s: cannot join fanout group %d (--workers): %s",
		       iface, group, fd < 0 ? "no socket" : strerror(errno));
		return -1;
	}
	return 0;
}

int fp_capture_pcap_open(struct fp_capture *c, const struct fp_pcap_opts *o)
{
	const char *file = o->file, *iface = o->iface, *filter = o->filter;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_priv *pp = calloc(1, sizeof(*pp));
	pcap_t *p;

	if (pp == NULL)
		return -1;
	if (asprintf((char **)&pp->what, "%s %s", file ? "--read" : "--interface",
		     file ? file : iface) < 0) {
		free(pp);
		return -1;
	}
	if (file) {
		p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO,
							    errbuf);
		if (p == NULL) {
			fp_log(LOG_ERR, "--read %s: %s", file, errbuf);
			goto fail;
		}
		pp->nano = 1;
		c->offline = 1;
	} else {
		p = pcap_create(iface, errbuf);
		if (p == NULL) {
			fp_log(LOG_ERR, "--interface %s: %s", iface, errbuf);
			goto fail;
		}
		pcap_set_snaplen(p, o->snaplen);
		pcap_set_promisc(p, o->promisc);
		pcap_set_timeout(p, 100);
		pcap_set_buffer_size(p, (int)o->buffer_bytes);
		int rc = pcap_activate(p);
		if (rc < 0) {
			fp_log(LOG_ERR, "--interface %s: %s%s", iface, pcap_geterr(p),
			       rc == PCAP_ERROR_PERM_DENIED
				   ? " (live capture needs root, or CAP_NET_RAW and CAP_NET_ADMIN: "
				     "setcap cap_net_raw,cap_net_admin=ep on the binary, or the "
				     "systemd unit)"
				   : "");
			pcap_close(p);
			goto fail;
		}
		if (pcap_setnonblock(p, 1, errbuf) != 0) {
			fp_log(LOG_ERR, "--interface %s: %s", iface, errbuf);
			pcap_close(p);
			goto fail;
		}
		if (o->fanout_group > 0 && join_fanout(p, iface, o->fanout_group) != 0) {
			pcap_close(p);
			goto fail;
		}
		c->offline = 0;
		c->ifindex = if_nametoindex(iface); /* 0 if it has none (the "any" device) */
	}
	/* pcap_datalink() returns DLT_* values; those we accept equal their LINKTYPE_* numbers
	 * except DLT_RAW (12, or 14 on some systems), which stands for LINKTYPE_RAW. */
	int dlt = pcap_datalink(p);
	if (dlt == 12 || dlt == 14)
		dlt = FP_LINK_RAW;
	if (!fp_parse_link_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		fp_log(LOG_ERR, "%s: link type %s (%d) is not supported", file ? file : iface,
		       name ? name : "?", dlt);
		pcap_close(p);
		goto fail;
	}
	if (filter && *filter) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
		    pcap_setfilter(p, &prog) != 0) {
			fp_log(LOG_ERR, "filter '%s': %s", filter, pcap_geterr(p));
			pcap_close(p);
			goto fail;
		}
		pcap_freecode(&prog);
	}
	c->link = (enum fp_link)dlt;
	c->ops = &pcap_ops;
	pp->p = p;
	c->priv = pp;
	return 0;
fail:
	free((char *)pp->what);
	free(pp);
	return -1;
}
