/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fpgen: write a pcap of synthetic traffic with known ground truth.
 *
 * F flows share N packets (N/F each, the first N%F flows one more). Every flow gets a unique key
 * by construction (its index is encoded in the addresses), so the truth needs no table. Packets
 * are interleaved round-robin over a shuffled flow order, so all flows are alive at once: the
 * probe's table holds F flows. Addresses come only from the benchmarking ranges 198.18.0.0/15
 * (RFC 2544) and 2001:db8::/32 (RFC 3849). Ground truth goes to stdout as one JSON object, and
 * optionally per flow to a CSV file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flow {
	uint32_t packets; /* total for this flow */
	uint16_t sport, dport;
	uint16_t vlan;
	uint8_t proto; /* 6, 17, 1/58 */
	uint8_t v6;
	uint32_t src4, dst4;
	uint64_t src6lo, dst6lo;
	uint64_t bytes;
	uint32_t sent;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: fpgen -o FILE [options]\n"
	    "  -o, --output FILE     pcap to write (required)\n"
	    "  -n, --packets N       packets (default 1000000)\n"
	    "  -f, --flows F         flows (default 100000, at most packets)\n"
	    "  -s, --size BYTES      frame length in the file, no FCS (default 60: 64 B on the "
	    "wire;\n"
	    "                        raised to the headers' size where they need more)\n"
	    "  -S, --size-max BYTES  random frame length between --size and this (default = size)\n"
	    "  -6, --ipv6 PERCENT    share of IPv6 flows (default 30)\n"
	    "  -V, --vlan PERCENT    share of 802.1Q-tagged flows (default 30)\n"
	    "  -p, --pps RATE        packet rate for timestamps (default 1000000)\n"
	    "  -t, --start SEC       first timestamp, Unix seconds (default 1767225600)\n"
	    "  -r, --seed N          random seed (default 1)\n"
	    "  -c, --csv FILE        per-flow truth: proto,src,dst,sport,dport,vlan,packets,bytes\n"
	    "  -u, --udp-only        every flow UDP (no TCP handshake: replaying the file in a\n"
	    "                        loop does not start new connections)\n"
	    "  -m, --mac-pairs N     N source/destination MAC pairs shared by all flows, as a "
	    "span\n"
	    "                        port between routers sees (default: a pair per flow)\n"
	    "  -h, --help            this text\n"
	    "Ground truth JSON goes to stdout.\n");
}

static uint64_t num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *s == '-' || end == s || *end || v < min || v > max) {
		fprintf(stderr, "fpgen: --%s: '%s' must be an integer from %llu to %llu\n", opt, s,
			(unsigned long long)min, (unsigned long long)max);
		exit(2);
	}
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static unsigned header_len(const struct flow *f)
{
	unsigned l = 14 + (f->vlan ? 4 : 0) + (f->v6 ? 40 : 20);
	return l + (f->proto == 6 ? 20 : 8);
}

/* Build packet `k` (0-based) of flow `f` into `b`, `len` bytes. Returns the IP-level length. */
static uint64_t mac_pairs; /* --mac-pairs: 0 = a MAC pair per flow */

static unsigned build(uint8_t *b, const struct flow *f, uint32_t k, unsigned len, uint64_t id)
{
	unsigned off = 0;
	memset(b, 0, len);
	/* locally administered MACs derived from the flow index (or one of --mac-pairs) */
	if (mac_pairs)
		id %= mac_pairs;
	b[0] = 0x02, put32(b + 2, (uint32_t)(id >> 1) | 1);
	b[6] = 0x02, put32(b + 8, (uint32_t)id);
	off = 12;
	if (f->vlan) {
		put16(b + off, 0x8100);
		put16(b + off + 2, f->vlan);
		off += 4;
	}
	put16(b + off, f->v6 ? 0x86dd : 0x0800);
	off += 2;
	unsigned iplen = len - off;
	uint8_t *ip = b + off;
	uint8_t *l4;
	if (!f->v6) {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)iplen);
		put16(ip + 4, (uint16_t)k);
		ip[8] = 64;
		ip[9] = f->proto;
		put32(ip + 12, f->src4);
		put32(ip + 16, f->dst4);
		l4 = ip + 20;
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(iplen - 40));
		ip[6] = f->proto;
		ip[7] = 64;
		put32(ip + 8, 0x20010db8);
		for (int i = 0; i < 8; i++)
			ip[16 + i] = (uint8_t)(f->src6lo >> (56 - 8 * i));
		put32(ip + 24, 0x20010db8);
		put32(ip + 28, 1);
		for (int i = 0; i < 8; i++)
			ip[32 + i] = (uint8_t)(f->dst6lo >> (56 - 8 * i));
		l4 = ip + 40;
	}
	if (f->proto == 6) {
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put32(l4 + 4, k);
		l4[12] = 5 << 4;
		uint8_t flags = 0x10; /* ACK */
		if (k == 0)
			flags = 0x02; /* SYN */
		else if (k + 1 == f->packets)
			flags = 0x11; /* FIN|ACK */
		l4[13] = flags;
		put16(l4 + 14, 65535);
	} else if (f->proto == 17) {
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put16(l4 + 4, (uint16_t)(iplen - (f->v6 ? 40 : 20)));
	} else {
		l4[0] = f->v6 ? 128 : 8; /* echo request */
		l4[1] = 0;
		put16(l4 + 4, (uint16_t)id);
		put16(l4 + 6, (uint16_t)k);
	}
	return iplen;
}

/* What the command line asks for. */
struct gen {
	const char *out, *csv;
	uint64_t npkts, nflows, size, size_max, v6pct, vlanpct, pps, start, seed;
	int udp_only;
	/* what was made */
	struct flow *fl;
	uint32_t *order; /* the flows in the order their first packets go out */
	uint64_t n4, n6, ntcp, nudp, nicmp, nvlan;
	uint64_t written, bytes, wire_bytes, first_ts;
};

/* The options into `g`: -1 to go on, else the exit status. */
static int parse_args(struct gen *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"packets", required_argument, NULL, 'n'},
	    {"flows", required_argument, NULL, 'f'},
	    {"size", required_argument, NULL, 's'},
	    {"size-max", required_argument, NULL, 'S'},
	    {"ipv6", required_argument, NULL, '6'},
	    {"vlan", required_argument, NULL, 'V'},
	    {"pps", required_argument, NULL, 'p'},
	    {"start", required_argument, NULL, 't'},
	    {"seed", required_argument, NULL, 'r'},
	    {"csv", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"udp-only", no_argument, NULL, 'u'},
	    {"mac-pairs", required_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	*g = (struct gen){.npkts = 1000000,
			  .nflows = 100000,
			  .size = 60,
			  .v6pct = 30,
			  .vlanpct = 30,
			  .pps = 1000000,
			  .start = 1767225600,
			  .seed = 1};
	while ((c = getopt_long(argc, argv, "o:n:f:s:S:6:V:p:t:r:c:m:uh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			g->out = optarg;
			break;
		case 'n':
			g->npkts = num("packets", optarg, 1, 1ull << 34);
			break;
		case 'f':
			g->nflows = num("flows", optarg, 1, 1ull << 32);
			break;
		case 's':
			g->size = num("size", optarg, 60, 9000);
			break;
		case 'S':
			g->size_max = num("size-max", optarg, 60, 9000);
			break;
		case '6':
			g->v6pct = num("ipv6", optarg, 0, 100);
			break;
		case 'V':
			g->vlanpct = num("vlan", optarg, 0, 100);
			break;
		case 'p':
			g->pps = num("pps", optarg, 1, 1000000000);
			break;
		case 't':
			g->start = num("start", optarg, 0, 4000000000ull);
			break;
		case 'r':
			g->seed = num("seed", optarg, 0, UINT64_MAX);
			break;
		case 'c':
			g->csv = optarg;
			break;
		case 'u':
			g->udp_only = 1;
			break;
		case 'm':
			mac_pairs = num("mac-pairs", optarg, 1, 1ull << 32);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (g->out == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (g->nflows > g->npkts) {
		fprintf(stderr, "fpgen: --flows %llu is more than --packets %llu\n",
			(unsigned long long)g->nflows, (unsigned long long)g->npkts);
		return 2;
	}
	if (g->size_max < g->size)
		g->size_max = g->size;
	return -1;
}

/* The flows, each with its share of the packets, and the order they start in. */
static int make_flows(struct gen *g)
{
	g->fl = calloc(g->nflows, sizeof(*g->fl));
	g->order = malloc(g->nflows * sizeof(*g->order));
	if (g->fl == NULL || g->order == NULL) {
		fprintf(stderr, "fpgen: out of memory for %llu flows\n",
			(unsigned long long)g->nflows);
		return -1;
	}
	for (uint64_t i = 0; i < g->nflows; i++) {
		struct flow *f = &g->fl[i];
		uint64_t r = rnd();
		f->packets = (uint32_t)(g->npkts / g->nflows + (i < g->npkts % g->nflows));
		f->v6 = (r % 100) < g->v6pct;
		unsigned p = (unsigned)((r >> 8) % 10);
		f->proto = g->udp_only ? 17 : p < 5 ? 6 : p < 9 ? 17 : (f->v6 ? 58 : 1);
		f->vlan = ((r >> 16) % 100) < g->vlanpct ? (uint16_t)(1 + (r >> 24) % 4094) : 0;
		if (f->proto != 1 && f->proto != 58) {
			f->sport = (uint16_t)(1024 + (r >> 32) % 64000);
			static const uint16_t svc[] = {80, 443, 53, 123, 22, 8080, 5201, 4789};
			f->dport = svc[(r >> 48) % 8];
		}
		/* unique by construction: (src, dst) encodes i */
		f->src4 = 0xc6120000u | (uint32_t)(i & 0x1ffff);
		f->dst4 = 0xc6120000u | (uint32_t)(((i >> 17) * 7919 + 12345) & 0x1ffff);
		f->src6lo = i;
		f->dst6lo = rnd();
		g->order[i] = (uint32_t)i;
		g->n4 += !f->v6, g->n6 += f->v6;
		g->ntcp += f->proto == 6, g->nudp += f->proto == 17,
		    g->nicmp += f->proto == 1 || f->proto == 58;
		g->nvlan += f->vlan != 0;
	}
	for (uint64_t i = g->nflows - 1; i > 0; i--) {
		uint64_t j = rnd() % (i + 1);
		uint32_t t = g->order[i];
		g->order[i] = g->order[j];
		g->order[j] = t;
	}
	return 0;
}

/* The capture: round after round, one packet of every flow that has some left. */
static int write_pcap(struct gen *g)
{
	FILE *fp = fopen(g->out, "wb");
	if (fp == NULL) {
		fprintf(stderr, "fpgen: %s: %s\n", g->out, strerror(errno));
		return -1;
	}
	static char iobuf[1 << 20];
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	uint8_t gh[24] = {0};
	uint32_t magic = 0xa1b23c4d; /* nanosecond pcap, host byte order */
	uint32_t snap = 65535, link = 1;
	uint16_t vmaj = 2, vmin = 4;
	memcpy(gh, &magic, 4);
	memcpy(gh + 4, &vmaj, 2);
	memcpy(gh + 6, &vmin, 2);
	memcpy(gh + 16, &snap, 4);
	memcpy(gh + 20, &link, 4);
	fwrite(gh, 1, 24, fp);

	uint8_t pkt[9100];
	uint64_t nflows = g->nflows, pps = g->pps;
	uint64_t ns_per = 1000000000ull / pps, ns_rem = 1000000000ull % pps;
	g->first_ts = g->start * 1000000000ull;
	uint32_t maxper = (uint32_t)(g->npkts / nflows + (g->npkts % nflows != 0));
	for (uint32_t round = 0; round < maxper; round++) {
		uint64_t rot = ((uint64_t)round * 2654435761u) % nflows;
		for (uint64_t n = 0; n < nflows; n++) {
			struct flow *f = &g->fl[g->order[(n + rot) % nflows]];
			if (f->sent == f->packets)
				continue;
			unsigned len = (unsigned)g->size;
			if (g->size_max > g->size)
				len += (unsigned)(rnd() % (g->size_max - g->size + 1));
			if (len < header_len(f))
				len = header_len(f);
			unsigned iplen = build(pkt, f, f->sent, len, (uint64_t)(f - g->fl));
			uint64_t ts = g->first_ts + g->written * ns_per + g->written * ns_rem / pps;
			uint32_t rh[4] = {(uint32_t)(ts / 1000000000ull),
					  (uint32_t)(ts % 1000000000ull), len, len};
			fwrite(rh, 4, 4, fp);
			fwrite(pkt, 1, len, fp);
			f->sent++;
			f->bytes += iplen;
			g->bytes += iplen;
			g->wire_bytes += len + 4;
			g->written++;
		}
	}
	if (fclose(fp) != 0) {
		fprintf(stderr, "fpgen: %s: %s\n", g->out, strerror(errno));
		return -1;
	}
	return 0;
}

/* --csv: every flow's ground truth, one line each. */
static int write_csv(const struct gen *g)
{
	FILE *cf = fopen(g->csv, "w");
	if (cf == NULL) {
		fprintf(stderr, "fpgen: %s: %s\n", g->csv, strerror(errno));
		return -1;
	}
	fprintf(cf, "proto,src,dst,sport,dport,vlan,packets,bytes\n");
	for (uint64_t i = 0; i < g->nflows; i++) {
		const struct flow *f = &g->fl[i];
		char s[64], d[64];
		if (f->v6) {
			snprintf(s, sizeof(s), "2001:db8::%x:%x:%x:%x", (unsigned)(f->src6lo >> 48),
				 (unsigned)(f->src6lo >> 32) & 0xffff,
				 (unsigned)(f->src6lo >> 16) & 0xffff,
				 (unsigned)f->src6lo & 0xffff);
			snprintf(d, sizeof(d), "2001:db8:0:1:%x:%x:%x:%x",
				 (unsigned)(f->dst6lo >> 48), (unsigned)(f->dst6lo >> 32) & 0xffff,
				 (unsigned)(f->dst6lo >> 16) & 0xffff,
				 (unsigned)f->dst6lo & 0xffff);
		} else {
			snprintf(s, sizeof(s), "%u.%u.%u.%u", f->src4 >> 24, (f->src4 >> 16) & 255,
				 (f->src4 >> 8) & 255, f->src4 & 255);
			snprintf(d, sizeof(d), "%u.%u.%u.%u", f->dst4 >> 24, (f->dst4 >> 16) & 255,
				 (f->dst4 >> 8) & 255, f->dst4 & 255);
		}
		unsigned dport = f->dport;
		if (f->proto == 1 || f->proto == 58)
			dport = (f->v6 ? 128u : 8u) << 8;
		fprintf(cf, "%u,%s,%s,%u,%u,%u,%u,%llu\n", f->proto, s, d, f->sport, dport, f->vlan,
			f->packets, (unsigned long long)f->bytes);
	}
	fclose(cf);
	return 0;
}

int main(int argc, char **argv)
{
	struct gen g;
	int rc = parse_args(&g, argc, argv);
	if (rc >= 0)
		return rc;
	rng_state = g.seed * 0x9e3779b97f4a7c15ULL + 0x1234567;
	if (rng_state == 0)
		rng_state = 1;
	if (make_flows(&g) != 0 || write_pcap(&g) != 0 || (g.csv && write_csv(&g) != 0))
		return 1;
	uint64_t ns_per = 1000000000ull / g.pps, ns_rem = 1000000000ull % g.pps;
	uint64_t last_ts = g.first_ts + (g.written - 1) * ns_per + (g.written - 1) * ns_rem / g.pps;
	printf(
	    "{\"file\":\"%s\",\"packets\":%llu,\"flows\":%llu,\"bytes\":%llu,\"wire_bytes\":%llu,"
	    "\"ipv4_flows\":%llu,\"ipv6_flows\":%llu,\"tcp_flows\":%llu,\"udp_flows\":%llu,"
	    "\"icmp_flows\":%llu,\"vlan_flows\":%llu,\"first_ts\":%.9f,\"last_ts\":%.9f,"
	    "\"seed\":%llu}\n",
	    g.out, (unsigned long long)g.written, (unsigned long long)g.nflows,
	    (unsigned long long)g.bytes, (unsigned long long)g.wire_bytes, (unsigned long long)g.n4,
	    (unsigned long long)g.n6, (unsigned long long)g.ntcp, (unsigned long long)g.nudp,
	    (unsigned long long)g.nicmp, (unsigned long long)g.nvlan, g.first_ts / 1e9,
	    last_ts / 1e9, (unsigned long long)g.seed);
	free(g.fl);
	free(g.order);
	return 0;
}
