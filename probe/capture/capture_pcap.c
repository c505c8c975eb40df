/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libpcap backend: live interfaces and capture files (pcap and pcapng). A classic pcap file is
 * read by lib/fp_pcapfile (whole blocks, packets handed out in place; the same packets and
 * errors as libpcap's reader, which costs two fread() calls and a copy per packet); libpcap
 * still opens it first, so every message about a file it cannot open stays libpcap's, and its
 * BPF program filters what the reader hands out (--filter).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "fp_key.h"
#include "fp_pcapfile.h"
#include "log.h"
#include "method.h"
#include "worker.h"

/* One libpcap handle: a file, or one interface of the capture (-i may repeat). */
struct pcap_src {
	pcap_t *p;
	char *what; /* "--read FILE" or "--interface IFACE", for messages */
	enum fp_link link;
	uint32_t ifindex;  /* ingressInterface of its frames */
	uint16_t key_port; /* its slot << FP_KEY_PORT_SHIFT: flows are per interface */
	int nano;
	struct fp_pcapfile *rd; /* a classic pcap file: read by fp_pcapfile, not libpcap */
	int rd_fd;
	int has_prog; /* with rd: --filter's program, run on each packet */
	struct bpf_program prog;
	char *iobuf; /* a file libpcap reads: its stdio buffer, freed after pcap_close */
};

struct pcap_priv {
	struct pcap_src s[FP_MAX_PORTS];
	unsigned n, next;
	const struct pcap_src *cur; /* the handle being dispatched */
	fp_frame_fn fn;
	void *arg;
	uint64_t received;
	uint64_t record_bytes; /* a file's packet records read (standard input's progress) */
	uint64_t file_size;    /* a regular file's size; 0 otherwise */
	int file_fd;	       /* a file's descriptor, -1 live */
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct pcap_priv *pp = (struct pcap_priv *)user;
	uint64_t frac = pp->cur->nano ? (uint64_t)h->ts.tv_usec : (uint64_t)h->ts.tv_usec * 1000;
	/* A pcap file stores seconds as an unsigned 32-bit number (good until 2106), and libpcap
	 * reads them signed: from 2038-01-19 on they come out negative. */
	uint64_t sec = h->ts.tv_sec < 0 ? (uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;
	uint64_t ts_ns = sec * 1000000000 + frac;

	pp->received++;
	/* a pcap record header is 16 bytes; pcapng's blocks differ a little: standard input's
	 * progress is approximate, a file's is exact (its offset) */
	__atomic_store_n(&pp->record_bytes, pp->record_bytes + 16 + h->caplen, __ATOMIC_RELAXED);
	pp->fn(pp->arg, bytes, h->caplen, h->len, ts_ns);
}

/* A burst from the file reader: up to `max` packets that pass the filter. -1 at the end, -2 on
 * a damaged file (logged). */
static int file_burst(struct fp_capture *c, struct pcap_priv *pp, const struct pcap_src *s,
		      unsigned max)
{
	struct fp_pcapfile_rec rec;
	unsigned n = 0;
	int rc = 1;

	while (n < max && (rc = fp_pcapfile_next(s->rd, &rec)) == 1) {
		c->rec_seq = c->rec_next++; /* filtered out or not, as the store's reader counts */
		if (s->has_prog) {
			struct pcap_pkthdr h = {.caplen = rec.caplen, .len = rec.len};
			if (pcap_offline_filter(&s->prog, &h, rec.data) == 0)
				continue;
		}
		pp->received++;
		pp->fn(pp->arg, rec.data, rec.caplen, rec.len, rec.ts_ns);
		n++;
	}
	if (n == max)
		return (int)n;
	if (rc < 0) {
		fp_log(LOG_ERR, "%s: %s (what came before it was accounted and exported)", s->what,
		       fp_pcapfile_error(s->rd));
		return -2;
	}
	return n ? (int)n : -1;
}

/* The handles in turn, as DPDK polls its ports: the first that has packets gives the burst, with
 * its link type, interface index and flow slot set for the frames it delivers. */
static int pcap_recv_burst(struct fp_capture *c, unsigned max, fp_frame_fn fn, void *arg)
{
	struct pcap_priv *pp = c->priv;

	pp->fn = fn;
	pp->arg = arg;
	for (unsigned tries = 0; tries < pp->n; tries++) {
		const struct pcap_src *s = &pp->s[pp->next];
		if (++pp->next == pp->n)
			pp->next = 0;
		pp->cur = s;
		c->link = s->link;
		c->ifindex = s->ifindex;
		c->key_port = s->key_port;
		if (s->rd)
			return file_burst(c, pp, s, max);
		int n = pcap_dispatch(s->p, (int)max, on_packet, (u_char *)pp);
		if (n == PCAP_ERROR) {
			const char *e = pcap_geterr(s->p);
			fp_log(LOG_ERR, "%s: %s (what came before it was accounted and exported)%s",
			       s->what, e,
			       strstr(e, "different from the type of the first interface")
				   ? "; libpcap reads one link type per file: split it per "
				     "interface first (tshark -r FILE -Y 'frame.interface_id == N' "
				     "-w PART)"
				   : "");
			return -2;
		}
		if (n == PCAP_ERROR_BREAK)
			return -1;
		if (n == 0 && c->offline)
			return -1; /* end of file */
		if (n > 0)
			return n;
	}
	/* Live and non-blocking, nothing anywhere: wait for the next block of packets, at most
	 * 100 ms, so the worker expires idle flows on a quiet link too (with TPACKET_V3 a
	 * blocking pcap_dispatch() does not return until a packet comes). */
	struct pollfd pfd[FP_MAX_PORTS];
	for (unsigned i = 0; i < pp->n; i++)
		pfd[i] =
		    (struct pollfd){.fd = pcap_get_selectable_fd(pp->s[i].p), .events = POLLIN};
	poll(pfd, pp->n, 100);
	return 0;
}

static void pcap_stats_get(struct fp_capture *c, struct fp_capture_stats *st)
{
	struct pcap_priv *pp = c->priv;
	struct pcap_stat ps;

	st->received = pp->received;
	st->dropped = 0;
	st->if_dropped = 0;
	for (unsigned i = 0; !c->offline && i < pp->n; i++)
		if (pcap_stats(pp->s[i].p, &ps) == 0) {
			st->dropped += ps.ps_drop;
			st->if_dropped += ps.ps_ifdrop;
		}
}

static void pcap_brk(struct fp_capture *c)
{
	struct pcap_priv *pp = c->priv;
	for (unsigned i = 0; i < pp->n; i++)
		pcap_breakloop(pp->s[i].p);
}

static void pcap_close_cap(struct fp_capture *c)
{
	struct pcap_priv *pp = c->priv;
	if (pp == NULL)
		return;
	for (unsigned i = 0; i < pp->n; i++) {
		pcap_close(pp->s[i].p);
		free(pp->s[i].what);
		free(pp->s[i].iobuf);
		if (pp->s[i].rd) {
			fp_pcapfile_close(pp->s[i].rd);
			close(pp->s[i].rd_fd);
		}
		if (pp->s[i].has_prog)
			pcap_freecode(&pp->s[i].prog);
	}
	free(pp);
	c->priv = NULL;
}

/* The file's own offset (the kernel's: stdio reads ahead of libpcap by a buffer at most), read
 * without touching libpcap's FILE from another thread. */
static void pcap_progress(struct fp_capture *c, uint64_t *done, uint64_t *total)
{
	struct pcap_priv *pp = c->priv;
	off_t at = pp->s[0].rd			       ? (off_t)fp_pcapfile_offset(pp->s[0].rd)
		   : pp->file_fd >= 0 && pp->file_size ? lseek(pp->file_fd, 0, SEEK_CUR)
						       : -1;
	*total = pp->file_size;
	*done = at >= 0 ? (uint64_t)at : __atomic_load_n(&pp->record_bytes, __ATOMIC_RELAXED);
	if (*total && *done > *total)
		*done = *total;
}

static const struct fp_capture_ops pcap_ops = {
    .name = "pcap",
    .recv_burst = pcap_recv_burst,
    .stats = pcap_stats_get,
    .brk = pcap_brk,
    .close = pcap_close_cap,
    .progress = pcap_progress,
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

/* A regular file in classic pcap format gets the block reader; anything else (pcapng, standard
 * input, a reader that cannot start) stays with libpcap, which has it open already. */
static void file_reader_open(struct pcap_src *s, const char *file)
{
	struct stat st;
	int fd = strcmp(file, "-") == 0 ? -1 : open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fp_pcapfile_open(fd, &s->rd) != 1) {
		close(fd);
		s->rd = NULL;
		return;
	}
	s->rd_fd = fd;
}

/*
 * A file libpcap reads (pcapng, standard input): through a 1 MiB buffer and without stdio's lock
 * (fp_pcapfile_stdio; one worker reads each handle). Measured (RESULTS, fifteenth session): with
 * glibc's 4 KiB buffer (a read(2) every ~45 small packets) and the lock around each of libpcap's
 * two freads per packet, the worker spent over twice the CPU on such a file. A pipe still hands
 * over what it has (read(2) returns short); nothing waits for the buffer to fill.
 */
static pcap_t *file_open(struct pcap_src *s, const char *file, char *errbuf)
{
	int in = strcmp(file, "-") == 0;
	FILE *f = in ? stdin : fopen(file, "rb");
	if (f == NULL) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s: %s", file, strerror(errno));
		return NULL;
	}
	char *buf = fp_pcapfile_stdio(f);
	if (!in) /* standard input keeps its buffer to the end (pcap_close leaves stdin open) */
		s->iobuf = buf;
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (p == NULL && !in)
		fclose(f); /* libpcap closes it only once it holds it */
	return p;
}

/* Open one handle: the file, or interface number `i` of the list. 0 or -1 (logged). */
static int src_open(struct pcap_src *s, const struct fp_pcap_opts *o, unsigned i, int *offline)
{
	const char *file = o->file, *iface = file ? NULL : o->ifaces[i], *filter = o->filter;
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;

	if (asprintf(&s->what, "%s %s", file ? "--read" : "--interface", file ? file : iface) < 0)
		return -1;
	if (file) {
		p = file_open(s, file, errbuf);
		if (p == NULL) {
			fp_log(LOG_ERR, "--read %s: %s", file, errbuf);
			return -1;
		}
		s->nano = 1;
		*offline = 1;
	} else {
		p = pcap_create(iface, errbuf);
		if (p == NULL) {
			fp_log(LOG_ERR, "--interface %s: %s", iface, errbuf);
			return -1;
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
			return -1;
		}
		if (pcap_setnonblock(p, 1, errbuf) != 0) {
			fp_log(LOG_ERR, "--interface %s: %s", iface, errbuf);
			pcap_close(p);
			return -1;
		}
		/* one fanout group per interface: every worker holds socket k of each, so a TAP's
		 * two halves hash a connection's directions to the same worker */
		if (o->fanout_group > 0 && join_fanout(p, iface, o->fanout_group + (int)i) != 0) {
			pcap_close(p);
			return -1;
		}
		*offline = 0;
		s->ifindex = i < o->n_ifindex ? o->ifindex[i]
					      : if_nametoindex(iface); /* 0: the "any" device */
		s->key_port = o->biflow ? 0 : (uint16_t)(i << FP_KEY_PORT_SHIFT);
	}
	if (file && o->n_ifindex)
		s->ifindex = o->ifindex[0];
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
		return -1;
	}
	if (filter && *filter) {
		if (pcap_compile(p, &s->prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
		    pcap_setfilter(p, &s->prog) != 0) {
			fp_log(LOG_ERR, "filter '%s': %s", filter, pcap_geterr(p));
			pcap_close(p);
			return -1;
		}
		s->has_prog = 1;
	}
	s->link = (enum fp_link)dlt;
	s->p = p;
	if (file)
		file_reader_open(s, file);
	if (s->has_prog && s->rd == NULL) {
		pcap_freecode(&s->prog); /* libpcap holds its own copy */
		s->has_prog = 0;
	}
	return 0;
}

int fp_capture_pcap_open(struct fp_capture *c, const struct fp_pcap_opts *o)
{
	struct pcap_priv *pp = calloc(1, sizeof(*pp));
	unsigned n = o->file ? 1 : o->n_ifaces;
	if (pp == NULL)
		return -1;
	for (; pp->n < n; pp->n++) {
		if (src_open(&pp->s[pp->n], o, pp->n, &c->offline) != 0) {
			free(pp->s[pp->n].what);
			free(pp->s[pp->n].iobuf);
			c->priv = pp;
			pcap_close_cap(c);
			return -1;
		}
	}
	pp->file_fd = -1;
	if (o->file) {
		struct stat st;
		FILE *f = pcap_file(pp->s[0].p);
		pp->file_fd = f ? fileno(f) : -1;
		if (pp->file_fd >= 0 && fstat(pp->file_fd, &st) == 0 && S_ISREG(st.st_mode))
			pp->file_size = (uint64_t)st.st_size;
		/* libpcap hands every file's times in ns; the file says what they really are: a
		 * classic pcap in µs is µs, anything else (ns pcap, pcapng, a pipe) may be finer */
		uint32_t magic = 0;
		c->ts_nano = !(pp->file_size && pread(pp->file_fd, &magic, 4, 0) == 4 &&
			       (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u));
	}
	if (pp->s[0].rd) {
		c->by_record = 1;
		c->rec_fd = pp->s[0].rd_fd;
	}
	c->link = pp->s[0].link;
	c->ifindex = pp->s[0].ifindex;
	c->key_port = pp->s[0].key_port;
	c->ops = &pcap_ops;
	c->priv = pp;
	return 0;
}

/* --- libpcap as a capture method (method.h) --- */

static int pcap_wanted(const struct fp_config *cfg)
{
	return !cfg->dpdk;
}

static void pcap_describe(const struct fp_config *cfg, char *buf, size_t len)
{
	if (cfg->read_file) {
		snprintf(buf, len, "reading %s", cfg->read_file);
		return;
	}
	size_t at = (size_t)snprintf(buf, len, "capturing on ");
	for (unsigned i = 0; i < cfg->n_interfaces && at < len; i++)
		at +=
		    (size_t)snprintf(buf + at, len - at, "%s%s", i ? "," : "", cfg->interfaces[i]);
}

static const char *pcap_source(const struct fp_config *cfg)
{
	return cfg->read_file ? "file" : "interface";
}

/* --workers N: N sockets in one fanout group, its id unique on this host */
static int pcap_open_all(const struct fp_config *cfg, struct fp_capture *caps, unsigned max,
			 unsigned *n)
{
	struct fp_pcap_opts po = {
	    .file = cfg->read_file,
	    .ifaces = cfg->interfaces,
	    .n_ifaces = cfg->n_interfaces,
	    .ifindex = cfg->ifindex,
	    .n_ifindex = cfg->n_ifindex,
	    .biflow = cfg->biflow,
	    .filter = cfg->filter,
	    .snaplen = cfg->snaplen,
	    .promisc = cfg->promisc,
	    .buffer_bytes = cfg->capture_buffer,
	    .fanout_group = cfg->workers > 1 ? (int)(getpid() & 0x7ff) * 16 + 1 : 0,
	};
	for (*n = 0; *n < cfg->workers && *n < max; (*n)++)
		if (fp_capture_pcap_open(&caps[*n], &po) != 0)
			return -1;
	return 0;
}

/* A thread per worker, pinned with --cpus. */
static int pcap_launch(const struct fp_config *cfg, unsigned i, struct fp_worker *w, int *started)
{
	*started = 0;
	if (fp_worker_start(w) != 0)
		return -1;
	*started = 1;
	if (!cfg->n_cpus)
		return 0;
	cpu_set_t set;
	unsigned cpu = cfg->cpus[i % cfg->n_cpus];
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int e = pthread_setaffinity_np(w->thread, sizeof(set), &set);
	if (e != 0) {
		fp_log(LOG_ERR, "--cpus: worker %u on CPU %u: %s", i, cpu, strerror(e));
		return -1;
	}
	return 0;
}

static void pcap_wait(struct fp_worker *workers, unsigned n)
{
	for (unsigned w = 0; w < n; w++)
		pthread_join(workers[w].thread, NULL);
}

static void pcap_close_all(struct fp_capture *caps, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		caps[i].ops->close(&caps[i]);
}

/* every socket's counters summed (--workers); a file has none */
static void pcap_stats_all(struct fp_capture *caps, unsigned n, struct fp_capture_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < n; i++) {
		struct fp_capture_stats one = {0};
		caps[i].ops->stats(&caps[i], &one);
		out->received += one.received;
		out->dropped += one.dropped;
		out->if_dropped += one.if_dropped;
	}
}

static uint64_t pcap_worker_drops(struct fp_capture *caps, unsigned n, unsigned w)
{
	struct fp_capture_stats one = {0};
	if (w < n && !caps[w].offline)
		caps[w].ops->stats(&caps[w], &one);
	return one.dropped;
}

const struct fp_capture_method fp_capture_pcap = {
    .name = "pcap",
    .drop_remedy = "narrow the BPF filter, raise --capture-buffer, add --workers or use --dpdk",
    .live_snaplen = 1,
    .wanted = pcap_wanted,
    .describe = pcap_describe,
    .source = pcap_source,
    .open = pcap_open_all,
    .launch = pcap_launch,
    .wait = pcap_wait,
    .close = pcap_close_all,
    .stats = pcap_stats_all,
    .worker_drops = pcap_worker_drops,
};
