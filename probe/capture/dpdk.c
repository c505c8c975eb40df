/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lcores: the main lcore runs set-up, statistics and (as an unpinned pthread inheriting its
 * affinity) the exporter; every other lcore in the EAL core list is one worker. Each worker gets
 * queue i of every port, so RSS spreads a port's traffic over all workers; the RSS key is the
 * repeated 0x6d5a pattern, which makes the Toeplitz hash symmetric: both directions of a
 * connection land on the same queue, so on the same worker's table.
 *
 * Time: each worker reads the TSC once per burst and turns it into wall-clock milliseconds from
 * a (TSC, wall clock) pair taken at start; packets of a burst share that timestamp.
 */
#include "dpdk.h"
#include "log.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

#ifdef FP_HAVE_DPDK

#include <net/if.h>
#include <pcap/pcap.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "worker.h"

static_assert(FP_DPDK_MAX_PORTS <= 1 << (16 - FP_KEY_PORT_SHIFT), "a port slot fits the key");

struct dpdk_queue {
	uint16_t port;
	uint16_t queue;
	uint32_t ifindex;  /* --ifindex, or port id + 1 */
	uint16_t key_port; /* slot in the port list << FP_KEY_PORT_SHIFT */
};

struct dpdk_priv {
	struct dpdk_queue q[FP_DPDK_MAX_PORTS];
	unsigned nq;
	unsigned next;
	uint64_t tsc0, hz, wall0_ms;
};

static uint16_t ports[FP_DPDK_MAX_PORTS];
static unsigned nports;

/*
 * A port backed by a kernel interface (net_af_xdp, net_af_packet) loses packets the PMD never
 * hears of: with AF_XDP, when the socket's ring is full the XDP redirect fails and the kernel
 * drops the packet, counting it in the interface's rx_dropped (measured on a veth: exactly the
 * packets missing, while the PMD's imissed, the socket's rx_dropped, stayed 0); with AF_PACKET a
 * full backlog queue counts there too. Those drops are read from the interface itself, less
 * what it had counted when the port started.
 */
struct kernel_iface {
	char name[IF_NAMESIZE]; /* "" when the port has none */
	uint64_t base;		/* rx_dropped + rx_missed_errors at start */
};
static struct kernel_iface kifs[FP_DPDK_MAX_PORTS];

static uint64_t iface_counter(const char *ifname, const char *counter)
{
	char path[512];
	unsigned long long v = 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, counter);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static uint64_t iface_drops(const char *ifname)
{
	return iface_counter(ifname, "rx_dropped") + iface_counter(ifname, "rx_missed_errors");
}
static unsigned worker_lcores[FP_DPDK_MAX_WORKERS];
static struct rte_mempool *pool;

static const uint8_t symmetric_rss_key[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

int fp_dpdk_available(void)
{
	return 1;
}

/* The TSC since start, in µs on the wall clock of start (split so the product cannot wrap). */
static uint64_t dpdk_now_us(const struct dpdk_priv *p)
{
	uint64_t d = rte_rdtsc() - p->tsc0;
	return p->wall0_ms * 1000 + d / p->hz * 1000000 + d % p->hz * 1000000 / p->hz;
}

static uint64_t dpdk_now_ms(struct fp_capture *c)
{
	return dpdk_now_us(c->priv) / 1000;
}

static int dpdk_recv_burst(struct fp_capture *c, unsigned max, fp_frame_fn fn, void *arg)
{
	struct dpdk_priv *p = c->priv;
	struct rte_mbuf *m[FP_BURST];
	const struct dpdk_queue *q = &p->q[p->next];

	if (++p->next == p->nq)
		p->next = 0;
	if (max > FP_BURST)
		max = FP_BURST;
	uint16_t n = rte_eth_rx_burst(q->port, q->queue, m, (uint16_t)max);
	if (n == 0)
		return 0;
	c->ifindex = q->ifindex;
	c->key_port = q->key_port;
	uint64_t ts = dpdk_now_us(p) * 1000; /* ns, of µs precision */
	rte_prefetch0(rte_pktmbuf_mtod(m[0], void *));
	if (n > 1)
		rte_prefetch0(m[1]);
	for (uint16_t i = 0; i < n; i++) {
		/* the mbuf two ahead (its data offset and lengths), the frame one ahead */
		if (i + 2 < n)
			rte_prefetch0(m[i + 2]);
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
		fn(arg, rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len, m[i]->pkt_len, ts);
	}
	rte_pktmbuf_free_bulk(m, n);
	return n;
}

static void dpdk_stats(struct fp_capture *c, struct fp_capture_stats *st)
{
	(void)c;
	struct fp_port_stats ps[FP_DPDK_MAX_PORTS];
	unsigned n = fp_dpdk_port_stats(ps, FP_DPDK_MAX_PORTS);
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < n; i++) {
		st->received += ps[i].ipackets;
		st->dropped += ps[i].imissed + ps[i].rx_nombuf + ps[i].kernel_dropped;
		st->if_dropped += ps[i].ierrors;
	}
}

static void dpdk_brk(struct fp_capture *c)
{
	(void)c; /* workers poll; they see the stop flag within one burst */
}

static void dpdk_close(struct fp_capture *c)
{
	free(c->priv);
	c->priv = NULL;
}

static const struct fp_capture_ops dpdk_ops = {
    .name = "dpdk",
    .recv_burst = dpdk_recv_burst,
    .stats = dpdk_stats,
    .brk = dpdk_brk,
    .close = dpdk_close,
    .now_ms = dpdk_now_ms,
};

static int port_setup(uint16_t port, unsigned nq, const struct fp_config *cfg)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	char name[RTE_ETH_NAME_MAX_LEN] = "?";
	int rc;

	rte_eth_dev_get_name_by_port(port, name);
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		fp_log(LOG_ERR, "port %u (%s): cannot read device info: %s", port, name,
		       rte_strerror(-rc));
		return -1;
	}
	if (nq > info.max_rx_queues) {
		fp_log(LOG_ERR, "port %u (%s) has %u rx queues, %u workers need one each", port,
		       name, info.max_rx_queues, nq);
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP) &
		      info.flow_type_rss_offloads;
	if (nq > 1 && hf) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)symmetric_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(symmetric_rss_key);
		conf.rx_adv_conf.rss_conf.rss_hf = hf;
	}
	/* What the device does not offer is left out (logged once) rather than failing the start:
	 * RSS on a one-queue or RSS-less PMD (net_af_xdp, net_tap, net_af_packet), and some PMDs
	 * (net_af_xdp) want as many tx queues as rx queues, which stay unused. */
	if (nq > 1 && !hf)
		fp_log(
		    LOG_WARNING,
		    "port %u (%s): no RSS: its %u queues are spread by the device's own steering "
		    "(a connection's two directions may reach different workers)",
		    port, name, nq);
	uint16_t ntx = 0;
	rc = rte_eth_dev_configure(port, (uint16_t)nq, 0, &conf);
	if (rc == -EINVAL && info.max_tx_queues >= nq) {
		ntx = (uint16_t)nq;
		rc = rte_eth_dev_configure(port, (uint16_t)nq, ntx, &conf);
	}
	if (rc == -EINVAL && conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		memset(&conf.rx_adv_conf, 0, sizeof(conf.rx_adv_conf));
		fp_log(LOG_WARNING,
		       "port %u (%s): refuses RSS; its queues are filled by the "
		       "device's own steering",
		       port, name);
		rc = rte_eth_dev_configure(port, (uint16_t)nq, ntx, &conf);
	}
	if (rc != 0) {
		fp_log(LOG_ERR, "port %u (%s): configure with %u rx queues: %s", port, name, nq,
		       rte_strerror(-rc));
		return -1;
	}
	uint16_t nrxd = (uint16_t)cfg->rx_desc, ntxd = ntx ? 512 : 0;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrxd, &ntxd);
	for (uint16_t q = 0; q < ntx; q++) {
		rc = rte_eth_tx_queue_setup(port, q, ntxd, rte_eth_dev_socket_id(port), NULL);
		if (rc != 0) {
			fp_log(LOG_ERR, "port %u (%s): tx queue %u (the PMD wants one): %s", port,
			       name, q, rte_strerror(-rc));
			return -1;
		}
	}
	if (ntx)
		fp_log(LOG_INFO, "port %u (%s): the PMD wants tx queues too: %u, never used", port,
		       name, ntx);
	for (unsigned q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, nrxd, rte_eth_dev_socket_id(port),
					    NULL, pool);
		if (rc != 0) {
			fp_log(LOG_ERR, "port %u (%s): rx queue %u: %s (try more --mbufs)", port,
			       name, q, rte_strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		fp_log(LOG_ERR, "port %u (%s): start: %s", port, name, rte_strerror(-rc));
		return -1;
	}
	rc = rte_eth_promiscuous_enable(port);
	if (rc != 0 && rc != -ENOTSUP)
		fp_log(LOG_ERR, "port %u (%s): promiscuous mode: %s", port, name,
		       rte_strerror(-rc));
	rte_eth_stats_reset(port);
	fp_log(LOG_INFO, "port %u (%s): %u rx queue(s) of %u descriptors%s", port, name, nq, nrxd,
	       conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? ", symmetric RSS" : "");
	return 0;
}

/* The kernel interface under port slot i, if its drops are ours to count (see kernel_iface). */
static void kernel_iface_watch(unsigned i)
{
	struct rte_eth_dev_info info;
	memset(&kifs[i], 0, sizeof(kifs[i]));
	if (rte_eth_dev_info_get(ports[i], &info) != 0 || info.driver_name == NULL ||
	    (strcmp(info.driver_name, "net_af_xdp") != 0 &&
	     strcmp(info.driver_name, "net_af_packet") != 0) ||
	    info.if_index == 0 || if_indextoname(info.if_index, kifs[i].name) == NULL) {
		kifs[i].name[0] = '\0';
		return;
	}
	kifs[i].base = iface_drops(kifs[i].name);
	fp_log(LOG_INFO,
	       "port %u: packets kernel interface %s drops before the socket are counted "
	       "(kernel_dropped)",
	       ports[i], kifs[i].name);
}

/* Packets in the files net_pcap replays from memory (--vdev net_pcapN,rx_pcap=F,...,
 * infinite_rx=1): it takes one mbuf each for the whole run. 0 when there are none, or a file
 * cannot be read (then the PMD itself says so). */
static uint64_t replay_mbufs(const struct fp_config *cfg)
{
	uint64_t total = 0;
	for (int i = 0; i < cfg->eal_argc; i++) {
		const char *a = cfg->eal_argv[i];
		if (strstr(a, "net_pcap") == NULL || strstr(a, "infinite_rx=1") == NULL)
			continue;
		for (const char *f = strstr(a, "rx_pcap="); f; f = strstr(f + 1, "rx_pcap=")) {
			char path[4096], err[PCAP_ERRBUF_SIZE];
			size_t n = strcspn(f + 8, ",");
			if (n == 0 || n >= sizeof(path))
				continue;
			memcpy(path, f + 8, n);
			path[n] = '\0';
			pcap_t *p = pcap_open_offline(path, err);
			struct pcap_pkthdr *h;
			const u_char *d;
			while (p && pcap_next_ex(p, &h, &d) == 1)
				total++;
			if (p)
				pcap_close(p);
		}
	}
	return total;
}

int fp_dpdk_init(const struct fp_config *cfg, struct fp_capture *caps, unsigned max_workers)
{
	char *argv[FP_MAX_EAL_ARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"fluxprobe";
	for (int i = 0; i < cfg->eal_argc; i++)
		argv[argc++] = cfg->eal_argv[i];
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		int e = rte_errno;
		fp_log(LOG_ERR, "DPDK EAL init failed: %s%s", rte_strerror(e),
		       e == EACCES || e == ENOMEM
			   ? " (no hugepages reserved, or not writable: run scripts/dpdk-hugepages "
			     "2G as root, or give the EAL --no-huge -m MB after '--')"
			   : "");
		return -1;
	}

	unsigned nw = 0, lc;
	RTE_LCORE_FOREACH_WORKER(lc)
	{
		if (nw == max_workers || nw == FP_DPDK_MAX_WORKERS)
			break;
		worker_lcores[nw++] = lc;
	}
	if (nw == 0) {
		fp_log(LOG_ERR, "no worker lcore: give the EAL at least two lcores (-l 0,1):"
				" the main lcore exports, the others capture");
		goto fail;
	}

	nports = 0;
	if (cfg->n_ports) {
		for (unsigned i = 0; i < cfg->n_ports; i++) {
			if (!rte_eth_dev_is_valid_port(cfg->ports[i])) {
				fp_log(LOG_ERR, "--port %u: no such DPDK port (%u found)",
				       cfg->ports[i], rte_eth_dev_count_avail());
				goto fail;
			}
			ports[nports++] = cfg->ports[i];
		}
	} else {
		uint16_t pid;
		RTE_ETH_FOREACH_DEV(pid)
		{
			if (nports < FP_DPDK_MAX_PORTS)
				ports[nports++] = pid;
		}
	}
	if (nports == 0) {
		fp_log(LOG_ERR, "no DPDK port: bind a NIC (scripts/dpdk-nic) or give a "
				"virtual device (--vdev net_pcap0,rx_pcap=FILE)");
		goto fail;
	}

	unsigned nmbufs = cfg->mbufs;
	if (nmbufs == 0) { /* every rx ring full, a burst in flight per worker, per-lcore caches */
		nmbufs = nports * nw * (cfg->rx_desc + 2 * FP_BURST) + (nw + 1) * 512 + 4096;
		/* net_pcap's infinite_rx keeps its whole file in mbufs of this pool */
		uint64_t replay = replay_mbufs(cfg);
		if (replay) {
			fp_log(LOG_INFO, "net_pcap infinite_rx: %lu mbufs for the replayed files",
			       (unsigned long)replay);
			nmbufs += (unsigned)replay;
		}
	}
	pool = rte_pktmbuf_pool_create("fp_mbufs", nmbufs, 256, 0,
				       (uint16_t)(cfg->mbuf_size + RTE_PKTMBUF_HEADROOM),
				       (int)rte_socket_id());
	if (pool == NULL) {
		fp_log(LOG_ERR,
		       "cannot create a pool of %u mbufs of %u bytes: %s "
		       "(give the EAL more memory with -m, or fewer --mbufs)",
		       nmbufs, cfg->mbuf_size, rte_strerror(rte_errno));
		goto fail;
	}
	for (unsigned i = 0; i < nports; i++) {
		if (port_setup(ports[i], nw, cfg) != 0)
			goto fail;
		kernel_iface_watch(i);
	}

	uint64_t tsc0 = rte_rdtsc(), wall0 = fp_wall_ms(), hz = rte_get_tsc_hz();
	for (unsigned w = 0; w < nw; w++) {
		struct dpdk_priv *p = calloc(1, sizeof(*p));
		if (p == NULL)
			goto fail;
		for (unsigned i = 0; i < nports; i++)
			p->q[p->nq++] = (struct dpdk_queue){
			    .port = ports[i],
			    .queue = (uint16_t)w,
			    .ifindex = i < cfg->n_ifindex ? cfg->ifindex[i] : ports[i] + 1u,
			    /* per-port flows, but not under --biflow: a TAP gives each
			       direction its own port and the two must meet in one record */
			    .key_port = cfg->biflow ? 0 : (uint16_t)(i << FP_KEY_PORT_SHIFT)};
		p->tsc0 = tsc0;
		p->hz = hz;
		p->wall0_ms = wall0;
		caps[w] = (struct fp_capture){
		    .ops = &dpdk_ops, .link = FP_LINK_ETHERNET, .bursts_per_update = 2, .priv = p};
	}
	fp_log(LOG_INFO, "DPDK: %u worker lcore(s), %u port(s), %u mbufs of %u B", nw, nports,
	       nmbufs, cfg->mbuf_size);
	return (int)nw;
fail:
	for (unsigned i = 0; i < nports; i++)
		rte_eth_dev_stop(ports[i]);
	rte_eal_cleanup();
	return -1;
}

int fp_dpdk_launch(unsigned worker, int (*fn)(void *), void *arg)
{
	int rc = rte_eal_remote_launch(fn, arg, worker_lcores[worker]);
	if (rc != 0)
		fp_log(LOG_ERR, "cannot launch worker on lcore %u: %s", worker_lcores[worker],
		       rte_strerror(-rc));
	return rc ? -1 : 0;
}

void fp_dpdk_wait(void)
{
	rte_eal_mp_wait_lcore();
}

unsigned fp_dpdk_port_stats(struct fp_port_stats *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nports && n < max; i++) {
		struct rte_eth_stats s;
		struct fp_port_stats *o = &out[n++];
		memset(o, 0, sizeof(*o));
		o->port = ports[i];
		rte_eth_dev_get_name_by_port(ports[i], o->name);
		if (rte_eth_stats_get(ports[i], &s) == 0) {
			o->ipackets = s.ipackets;
			o->ibytes = s.ibytes;
			o->imissed = s.imissed;
			o->ierrors = s.ierrors;
			o->rx_nombuf = s.rx_nombuf;
		}
		if (kifs[i].name[0]) {
			uint64_t now = iface_drops(kifs[i].name);
			o->kernel_dropped = now > kifs[i].base ? now - kifs[i].base : 0;
		}
	}
	return n;
}

void fp_dpdk_fini(struct fp_capture *caps, unsigned n)
{
	for (unsigned w = 0; w < n; w++)
		dpdk_close(&caps[w]);
	for (unsigned i = 0; i < nports; i++) {
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
	rte_mempool_free(pool);
	pool = NULL;
	rte_eal_cleanup();
}

#else /* !FP_HAVE_DPDK */

#include <stdio.h>

int fp_dpdk_available(void)
{
	return 0;
}

int fp_dpdk_init(const struct fp_config *cfg, struct fp_capture *caps, unsigned max_workers)
{
	(void)cfg, (void)caps, (void)max_workers;
	fp_log(LOG_ERR, "--dpdk: this build has no DPDK support "
			"(rebuild with libdpdk-dev installed and -Ddpdk=enabled)");
	return -1;
}

int fp_dpdk_launch(unsigned worker, int (*fn)(void *), void *arg)
{
	(void)worker, (void)fn, (void)arg;
	return -1;
}

void fp_dpdk_wait(void)
{
}

unsigned fp_dpdk_port_stats(struct fp_port_stats *out, unsigned max)
{
	(void)out, (void)max;
	return 0;
}

void fp_dpdk_fini(struct fp_capture *caps, unsigned n)
{
	(void)caps, (void)n;
}

#endif

/* --- DPDK as a capture method (method.h) --- */

static int method_wanted(const struct fp_config *cfg)
{
	return cfg->dpdk;
}

static void method_describe(const struct fp_config *cfg, char *buf, size_t len)
{
	(void)cfg;
	snprintf(buf, len, "capturing with DPDK");
}

static const char *method_source(const struct fp_config *cfg)
{
	(void)cfg;
	return "dpdk";
}

static int method_open(const struct fp_config *cfg, struct fp_capture *caps, unsigned max,
		       unsigned *n)
{
	int got = fp_dpdk_init(cfg, caps, max);
	*n = got < 0 ? 0 : (unsigned)got;
	return got < 0 ? -1 : 0;
}

static int method_launch(const struct fp_config *cfg, unsigned i, struct fp_worker *w, int *started)
{
	(void)cfg;
	*started = 0;
	return fp_dpdk_launch(i, fp_worker_run, w);
}

static void method_wait(struct fp_worker *workers, unsigned n)
{
	(void)workers, (void)n;
	fp_dpdk_wait();
}

/* the ports' counters, summed by the first capture */
static void method_stats(struct fp_capture *caps, unsigned n, struct fp_capture_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (n)
		caps[0].ops->stats(&caps[0], out);
}

const struct fp_capture_method fp_capture_dpdk = {
    .name = "dpdk",
    .drop_remedy = "more --rx-desc or more worker lcores (summary ports: imissed, rx_nombuf, "
		   "kernel_dropped)",
    .daemon_before_open = 1,
    .telemetry = 1,
    .wanted = method_wanted,
    .describe = method_describe,
    .source = method_source,
    .open = method_open,
    .launch = method_launch,
    .wait = method_wait,
    .close = fp_dpdk_fini,
    .stats = method_stats,
    .port_stats = fp_dpdk_port_stats,
};
