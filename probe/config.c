/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FP_VERSION
#define FP_VERSION "0"
#endif

enum {
	OPT_FORMAT = 256,
	OPT_IDLE,
	OPT_ACTIVE,
	OPT_FIN,
	OPT_MTU,
	OPT_DOMAIN,
	OPT_TPL_INTERVAL,
	OPT_TPL_PACKETS,
	OPT_EXPORT_RATE,
	OPT_RING,
	OPT_SNAPLEN,
	OPT_NO_PROMISC,
	OPT_SUMMARY,
	OPT_VERSION,
	OPT_DPDK,
	OPT_PORT,
	OPT_COUNT,
	OPT_DURATION,
	OPT_STATS_INTERVAL,
	OPT_MBUFS,
	OPT_MBUF_SIZE,
	OPT_RX_DESC,
	OPT_USER,
	OPT_GROUP,
	OPT_NO_OPTIONS,
	OPT_OPTIONS,
	OPT_EXPORT_BACKLOG,
	OPT_TLS_CA,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_CONFIG,
	OPT_OPTIONS_INTERVAL,
	OPT_LOG_LEVEL,
	OPT_DAEMON,
	OPT_PIDFILE,
	OPT_METRICS,
	OPT_JSON,
	OPT_SAMPLE,
	OPT_SAMPLE_MODE,
	OPT_DECAP,
	OPT_FIELDS,
	OPT_IFINDEX,
	OPT_FRAG_MAX,
	OPT_BIFLOW,
	OPT_DPI,
	OPT_DPI_MAX_FLOWS,
	OPT_DPI_PACKETS,
	OPT_FRAG_TIMEOUT,
	OPT_COLLECTOR_MODE,
	OPT_WORKERS,
	OPT_CPUS,
	OPT_CAPTURE_BUFFER,
	OPT_CID_SEED,
};

static const struct option long_opts[] = {
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"filter", required_argument, NULL, 'f'},
    {"collector", required_argument, NULL, 'n'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"active-timeout", required_argument, NULL, OPT_ACTIVE},
    {"fin-timeout", required_argument, NULL, OPT_FIN},
    {"max-flows", required_argument, NULL, 'm'},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"observation-domain", required_argument, NULL, OPT_DOMAIN},
    {"template-interval", required_argument, NULL, OPT_TPL_INTERVAL},
    {"template-packets", required_argument, NULL, OPT_TPL_PACKETS},
    {"export-rate", required_argument, NULL, OPT_EXPORT_RATE},
    {"export-backlog", required_argument, NULL, OPT_EXPORT_BACKLOG},
    {"tls-ca", required_argument, NULL, OPT_TLS_CA},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"collector-mode", required_argument, NULL, OPT_COLLECTOR_MODE},
    {"ring-size", required_argument, NULL, OPT_RING},
    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"capture-buffer", required_argument, NULL, OPT_CAPTURE_BUFFER},
    {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
    {"summary", required_argument, NULL, OPT_SUMMARY},
    {"quiet", no_argument, NULL, 'q'},
    {"dpdk", no_argument, NULL, OPT_DPDK},
    {"port", required_argument, NULL, OPT_PORT},
    {"count", required_argument, NULL, OPT_COUNT},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"mbufs", required_argument, NULL, OPT_MBUFS},
    {"mbuf-size", required_argument, NULL, OPT_MBUF_SIZE},
    {"rx-desc", required_argument, NULL, OPT_RX_DESC},
    {"user", required_argument, NULL, OPT_USER},
    {"no-options", no_argument, NULL, OPT_NO_OPTIONS},
    {"options", no_argument, NULL, OPT_OPTIONS},
    {"options-interval", required_argument, NULL, OPT_OPTIONS_INTERVAL},
    {"group", required_argument, NULL, OPT_GROUP},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"daemon", no_argument, NULL, OPT_DAEMON},
    {"pidfile", required_argument, NULL, OPT_PIDFILE},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"json", required_argument, NULL, OPT_JSON},
    {"community-id-seed", required_argument, NULL, OPT_CID_SEED},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"sample-mode", required_argument, NULL, OPT_SAMPLE_MODE},
    {"decap", required_argument, NULL, OPT_DECAP},
    {"fields", required_argument, NULL, OPT_FIELDS},
    {"ifindex", required_argument, NULL, OPT_IFINDEX},
    {"frag-max", required_argument, NULL, OPT_FRAG_MAX},
    {"biflow", no_argument, NULL, OPT_BIFLOW},
    {"dpi", no_argument, NULL, OPT_DPI},
    {"dpi-max-flows", required_argument, NULL, OPT_DPI_MAX_FLOWS},
    {"dpi-packets", required_argument, NULL, OPT_DPI_PACKETS},
    {"frag-timeout", required_argument, NULL, OPT_FRAG_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: fluxprobe (--read FILE | --interface IFACE) [options] [BPF filter]\n"
	    "       fluxprobe --dpdk [options] -- EAL-OPTIONS\n"
	    "Turns packets into flows and exports them as IPFIX, NetFlow v9 or v5 over UDP, or\n"
	    "IPFIX over TCP, and as JSON lines.\n"
	    "\n"
	    "Capture:\n"
	    "  -r, --read FILE              read a pcap/pcapng file (- = standard input) flat\n"
	    "                               out; timers run on\n"
	    "                               packet timestamps; exit 0 once every flow is exported\n"
	    "  -i, --interface IFACE        live capture with libpcap until SIGINT/SIGTERM;\n"
	    "                               repeatable: flows kept per interface, --biflow\n"
	    "                               meets a TAP's two halves\n"
	    "  -f, --filter EXPR            BPF filter (or give it as trailing arguments)\n"
	    "      --snaplen BYTES          live capture snap length (default 256)\n"
	    "      --workers N              live: N workers on the interface, one socket each\n"
	    "                               in an AF_PACKET fanout group (symmetric flow hash:\n"
	    "                               a connection's two directions on one worker), each\n"
	    "                               with its own flow table (default 1)\n"
	    "      --cpus LIST              pin worker i to the i-th CPU of LIST (default: not\n"
	    "                               pinned)\n"
	    "      --capture-buffer BYTES   live: the kernel ring of each worker's socket (suffix\n"
	    "                               K, M, G; default 64M)\n"
	    "      --no-promisc             do not put the interface in promiscuous mode\n"
	    "      --user USER              drop to USER (and its group) right after opening the\n"
	    "                               capture and the collector sockets; exit if it fails\n"
	    "      --group GROUP            drop to GROUP instead of USER's group\n"
	    "      --count N                stop after N frames (all workers together; default 0: "
	    "no limit)\n"
	    "      --duration SEC           stop after SEC seconds (default 0: no limit)\n"
	    "\n"
	    "DPDK (--dpdk; EAL options such as -l, --vdev, -m follow a '--'):\n"
	    "      --dpdk                   capture with DPDK poll-mode drivers. The main lcore "
	    "runs\n"
	    "                               statistics and the exporter; every other lcore is a\n"
	    "                               worker that polls rx queue i of every port and owns "
	    "its\n"
	    "                               flow table. 1 worker on 2 cores: -- -l 0,1;\n"
	    "                               2 workers on 2 cores: -- --lcores 0@0,1@1,2@0\n"
	    "      --port ID                use this DPDK port, repeatable (default: every port)\n"
	    "      --mbufs N                mbufs in the pool (default: enough for every rx ring,\n"
	    "                               and one per packet of each file net_pcap replays\n"
	    "                               with infinite_rx)\n"
	    "      --mbuf-size BYTES        data room per mbuf (default 2048)\n"
	    "      --rx-desc N              rx descriptors per queue (default 1024)\n"
	    "\n"
	    "Flows:\n"
	    "      --idle-timeout SEC       export a flow idle this long (default 15)\n"
	    "      --active-timeout SEC     export a long flow every SEC, delta counters (default "
	    "60)\n"
	    "      --fin-timeout SEC        keep a TCP flow after FIN/RST for late ACKs (default "
	    "2)\n"
	    "      --decap auto|none        auto: open GRE, ERSPAN I/II/III, VXLAN, Geneve, "
	    "GTP-U,\n"
	    "                               IP-in-IP and IPv6-in-IPv4 (up to 4 deep) and account\n"
	    "                               the innermost IP packet; none: the outer packet is\n"
	    "                               the flow (default none)\n"
	    "      --biflow                 one record per connection (RFC 5103): the initiator\n"
	    "                               as source, the responder's packets, octets and TCP\n"
	    "                               flags in reverse IEs (PEN 29305); IPFIX only\n"
	    "                               (default: one record per direction)\n"
	    "      --dpi                    application and names per flow with nDPI: application\n"
	    "                               (applicationName 96, applicationId 95), TLS/QUIC\n"
	    "                               server name, DNS query, type and response code, HTTP\n"
	    "                               host, method, status and user agent (default off;\n"
	    "                               live snap length then 65535 unless --snaplen)\n"
	    "      --dpi-max-flows N        flows per worker with a result waiting for their\n"
	    "                               records, a quarter of them under inspection at once;\n"
	    "                               more are counted, not inspected (default 65536)\n"
	    "      --dpi-packets N          packets of a flow inspected at most (default 32)\n"
	    "      --frag-max N             datagrams per worker whose first fragment's ports "
	    "later\n"
	    "                               fragments get (default 65536; 0: fragments after the\n"
	    "                               first have no ports)\n"
	    "      --frag-timeout SEC       how long a datagram is remembered; fragments that "
	    "came\n"
	    "                               before their first wait this long (default 10)\n"
	    "      --sample N               account 1 packet in N (default 1: all); counters stay\n"
	    "                               raw, the interval goes to the collector in options\n"
	    "                               records (v5: in the header) so it can scale\n"
	    "      --sample-mode MODE       deterministic (every Nth, default) or random\n"
	    "  -m, --max-flows N            flow entries per worker, preallocated (default "
	    "1048576);\n"
	    "                               when full the least recently seen flow is exported\n"
	    "\n"
	    "Export:\n"
	    "  -n, --collector [udp://|tcp://|tls://]HOST:PORT\n"
	    "                               collector, repeatable (up to 16); IPv6 as\n"
	    "                               [ADDR]:PORT; UDP\n"
	    "                               unless tcp:// (IPFIX only: reconnects with backoff\n"
	    "                               1-30 s, templates at the start of every connection)\n"
	    "                               or tls:// (the same over TLS, RFC 7011 section 11;\n"
	    "                               the collector's certificate and name verified)\n"
	    "                               (default none: flows are counted, not sent)\n"
	    "      --collector-mode MODE    duplicate: every record to every collector (default);\n"
	    "                               balance: each flow to one collector, picked by a\n"
	    "                               hash of its key (both directions alike), so a tier\n"
	    "                               of collectors shares the load\n"
	    "      --tls-ca FILE            PEM CA bundle a tls:// collector's certificate must\n"
	    "                               chain to (default: the system's CA store)\n"
	    "      --tls-cert FILE          PEM client certificate for mutual TLS, and\n"
	    "      --tls-key FILE           its key (default: in the --tls-cert file); all three\n"
	    "                               are read at start, before --user drops privileges\n"
	    "      --export-backlog BYTES   per TCP collector, messages kept while it is down or\n"
	    "                               slow, sent in order when it takes them; beyond that\n"
	    "                               the oldest are dropped and counted (suffix K, M, G;\n"
	    "                               default 32M)\n"
	    "      --format ipfix|nfv9|nfv5 export protocol (default ipfix); nfv5 for legacy\n"
	    "                               collectors: IPv4 only (IPv6 flows are counted as\n"
	    "                               not exportable), 30 records per packet\n"
	    "      --fields LIST            optional fields added to the templates, comma-\n"
	    "                               separated: ingress (ingressInterface 10), vlan\n"
	    "                               (dot1qVlanId 243, dot1qCustomerVlanId 245), flowlabel\n"
	    "                               (flowLabelIPv6 31), mpls (top three labels, 70-72),\n"
	    "                               tunnel (greKey 296, layer2SegmentId 351 for VXLAN),\n"
	    "                               latency (TCP client, server and application latency:\n"
	    "                               v9 57554-57559 as nfdump reads them, IPFIX ntop PEN\n"
	    "                               35632 IEs 123-125 in ms, JSON in µs),\n"
	    "                               all; each flow carries its first packet's values\n"
	    "                               (default none: the template every collector takes;\n"
	    "                               with --decap auto: mpls,tunnel; 'none' for neither)\n"
	    "      --ifindex N[,N...]       ingressInterface of the interface or capture file,\n"
	    "                               or of each DPDK port in order (default: the kernel's\n"
	    "                               ifindex live, 0 for a file, port id + 1 for DPDK)\n"
	    "      --mtu BYTES              largest IP packet sent, headers included (default "
	    "1500)\n"
	    "      --observation-domain ID  IPFIX observation domain / v9 source id (default 1)\n"
	    "      --template-interval SEC  resend templates this often (default 20)\n"
	    "      --template-packets N     ... and every N messages (default 20)\n"
	    "      --export-rate MSGS       smoothing: messages/s per collector at least, evenly\n"
	    "                               spaced; live, faster as flows arrive faster, and\n"
	    "                               unpaced while the exporter falls behind; 0 = unpaced\n"
	    "                               (default 10000: what a collector on default\n"
	    "                               socket buffers takes exactly, see the man page)\n"
	    "      --ring-size N            records queued per worker for the exporter (default "
	    "65536)\n"
	    "      --options                send options records (RFC 7011 section 4: exported,\n"
	    "                               ignored and not-sent totals) periodically and at\n"
	    "                               exit (the default for IPFIX and v9)\n"
	    "      --no-options             send none: for collectors that choke on them; nfdump\n"
	    "                               1.7 counts each options data record as a sequence\n"
	    "                               failure (RFC 7011 counts them in the sequence)\n"
	    "      --options-interval SEC   send them this often (default 60)\n"
	    "      --json FILE|-            also write every flow record as one JSON object per\n"
	    "                               line (IANA IE names, ISO 8601 times) to FILE\n"
	    "                               (appended) or stdout (default off), each with its\n"
	    "                               Community ID v1 (communityId)\n"
	    "      --community-id-seed N    the Community ID's seed, 0-65535 (default 0)\n"
	    "\n"
	    "Configuration file:\n"
	    "  -c, --config FILE            read options from FILE first: 'key = value' lines,\n"
	    "                               one per long option (collector = 127.0.0.1:2055,\n"
	    "                               repeatable like the option; quiet = yes), '#'\n"
	    "                               comments, 'eal = ...' for the DPDK EAL arguments.\n"
	    "                               The command line overrides the file (a --collector\n"
	    "                               given there replaces the file's list). SIGHUP "
	    "re-reads\n"
	    "                               it and applies a changed collector list without\n"
	    "                               losing packets or flows.\n"
	    "\n"
	    "Output:\n"
	    "      --summary json           print one JSON object of counters on stdout at exit\n"
	    "      --stats-interval SEC     statistics line every SEC, 0 = off (default 1 when\n"
	    "                               stderr is a terminal: one line refreshed in place;\n"
	    "                               else 60: plain lines, in syslog with --daemon)\n"
	    "  -q, --quiet                  no log lines except errors, no statistics line\n"
	    "      --log-level LEVEL        err, warning, notice, info or debug (default info)\n"
	    "      --daemon                 run in the background, log to syslog; the command\n"
	    "                               returns once capture runs (0) or failed (1)\n"
	    "      --pidfile FILE           write the process id to FILE (removed at exit)\n"
	    "      --metrics [HOST:]PORT    serve Prometheus metrics at http://HOST:PORT/metrics\n"
	    "                               (default off; a bare PORT binds to 127.0.0.1)\n"

	    "  -h, --help                   this text\n"
	    "  -V, --version                print the version\n"
	    "\n"
	    "Signals: SIGINT/SIGTERM stop (every flow is exported first; a second: unpaced, a\n"
	    "third: at once); SIGUSR1 prints one statistics line on stderr; SIGHUP re-reads the\n"
	    "collector list (--config) and reopens the --json file.\n");
}

/* Decimal seconds ("15", "0.5") to milliseconds in [min_ms, max_ms]. */
static int parse_seconds(const char *opt, const char *s, uint32_t min_ms, uint32_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || v * 1000.0 < min_ms ||
	    v * 1000.0 > 4e9) {
		fp_log(LOG_ERR, "--%s: '%s' is not a number of seconds (%.3f to 4000000)", opt, s,
		       min_ms / 1000.0);
		return -1;
	}
	*out = (uint32_t)llround(v * 1000.0);
	return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
		      uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
		fp_log(LOG_ERR, "--%s: '%s' must be an integer from %lu to %lu", opt, s, min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Walk a comma-separated list: returns the next item (its length in *len) and moves *cur past
 * it, NULL after the last. Empty items come back too, for the caller to reject. */
static const char *list_next(const char **cur, size_t *len)
{
	const char *item = *cur;
	if (item == NULL)
		return NULL;
	*len = strcspn(item, ",");
	*cur = item[*len] ? item + *len + 1 : NULL;
	return item;
}

/* --fields: a comma-separated list of group names, or "all" / "none". */
static int parse_fields(const char *s, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bits;
	} groups[] = {
	    {"ingress", FP_FIELD_INGRESS},
	    {"vlan", FP_FIELD_VLAN},
	    {"flowlabel", FP_FIELD_FLOW_LABEL},
	    {"mpls", FP_FIELD_MPLS},
	    {"tunnel", FP_FIELD_TUNNEL},
	    {"latency", FP_FIELD_LATENCY},
	    {"all", FP_FIELD_ALL},
	    {"none", 0},
	};
	unsigned bits = 0;
	size_t len;

	for (const char *cur = s, *p; (p = list_next(&cur, &len)) != NULL;) {
		size_t i;
		for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			if (strlen(groups[i].name) == len && strncmp(p, groups[i].name, len) == 0)
				break;
		if (i == sizeof(groups) / sizeof(groups[0])) {
			fp_log(LOG_ERR,
			       "--fields: '%.*s' is not one of ingress, vlan, flowlabel, mpls, "
			       "tunnel, latency, all, none",
			       (int)len, p);
			return -1;
		}
		bits |= groups[i].bits;
	}
	*out = bits;
	return 0;
}

/* --NAME N[,N...] into out[cap] (--ifindex: one interface index per capture interface / DPDK
 * port; --cpus: one CPU per worker). */
static int parse_uint_list(const char *name, const char *s, uint32_t max, uint32_t *out,
			   unsigned *n, unsigned cap)
{
	char buf[16];
	size_t len;

	*n = 0;
	for (const char *cur = s, *p; (p = list_next(&cur, &len)) != NULL;) {
		if (*n == cap) {
			fp_log(LOG_ERR, "--%s: at most %u values", name, cap);
			return -1;
		}
		if (len == 0 || len >= sizeof(buf)) {
			fp_log(LOG_ERR, "--%s: '%s' is not a comma-separated list of numbers", name,
			       s);
			return -1;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (parse_uint(name, buf, 0, max, &out[(*n)++]))
			return -1;
	}
	return 0;
}

/* A byte count with an optional K/M/G suffix (powers of 1024). */
static int parse_size(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (errno || end == s || *end != '\0' || s[0] == '-' || v > (max >> shift) ||
	    (v << shift) < min) {
		fp_log(LOG_ERR,
		       "--%s: '%s' must be a byte count from %llu to %llu (suffix K, M "
		       "or G allowed)",
		       opt, s, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = calloc(1, len);
	if (s == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* The config file, turned into "--key=value" arguments placed before the command line's. */
struct file_args {
	const char *path;
	FILE *f;
	unsigned line; /* line being read */
	char **argv;
	unsigned *lines; /* the file line of each argument */
	int argc, cap;
	char **eal;
	int neal;
	char err[256];
};

static int add_arg(struct file_args *fa, char *arg, unsigned line)
{
	if (arg == NULL)
		return -1;
	if (fa->argc == fa->cap) {
		int cap = fa->cap ? fa->cap * 2 : 16;
		char **v = realloc(fa->argv, (size_t)cap * sizeof(*v));
		unsigned *l = v ? realloc(fa->lines, (size_t)cap * sizeof(*l)) : NULL;
		if (v)
			fa->argv = v;
		if (l == NULL) {
			free(arg);
			return -1;
		}
		fa->lines = l;
		fa->cap = cap;
	}
	fa->argv[fa->argc] = arg;
	fa->lines[fa->argc++] = line;
	return 0;
}

static int parse_bool(const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
	    !strcmp(v, "0"))
		return 0;
	return -1;
}

/* One `key = value` of the file: an argument for the option parser. 1, or 0 with fa->err. */
static int on_key(struct file_args *fa, const char *name, const char *value)
{
	if (strcmp(name, "eal") == 0) {
		char *copy = strdup(value), *save = NULL;
		for (char *w = copy ? strtok_r(copy, " \t", &save) : NULL; w;
		     w = strtok_r(NULL, " \t", &save)) {
			char **e = realloc(fa->eal, (size_t)(fa->neal + 1) * sizeof(*e));
			if (e == NULL)
				break;
			fa->eal = e;
			fa->eal[fa->neal++] = strdup(w);
		}
		free(copy);
		return 1;
	}
	const struct option *o = NULL;
	for (const struct option *p = long_opts; p->name; p++)
		if (strcmp(p->name, name) == 0)
			o = p;
	if (o == NULL || o->val == OPT_CONFIG || o->val == 'h' || o->val == OPT_VERSION) {
		snprintf(fa->err, sizeof(fa->err), "unknown key '%s'", name);
		return 0;
	}
	char *arg = NULL;
	if (o->has_arg == no_argument) {
		int b = parse_bool(value);
		if (b < 0) {
			snprintf(fa->err, sizeof(fa->err), "key '%s': '%s' is not yes or no", name,
				 value);
			return 0;
		}
		if (b == 0)
			return 1;
		if (asprintf(&arg, "--%s", name) < 0)
			arg = NULL;
	} else {
		if (value[0] == '\0') {
			snprintf(fa->err, sizeof(fa->err), "key '%s' needs a value", name);
			return 0;
		}
		if (asprintf(&arg, "--%s=%s", name, value) < 0)
			arg = NULL;
	}
	if (add_arg(fa, arg, fa->line) != 0) {
		snprintf(fa->err, sizeof(fa->err), "out of memory");
		return 0;
	}
	return 1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* The value of a line: a '#' or ';' after a blank starts a comment (outside quotes), and a
 * value wholly in matching quotes loses them ("not port 22"). */
static char *clean_value(char *v)
{
	char quote = 0;
	for (char *p = v; *p; p++) {
		if (quote) {
			quote = *p == quote ? 0 : quote;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if ((*p == '#' || *p == ';') && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	v = trim(v);
	size_t n = strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

/* `key = value` lines; blank lines and lines starting with '#' or ';' are comments; leading
 * blanks do not matter (a line never continues the one before); no length limit. */
static int parse_config_lines(struct file_args *fa)
{
	char *buf = NULL;
	size_t cap = 0;
	int ok = 1;
	while (ok && getline(&buf, &cap, fa->f) >= 0) {
		fa->line++;
		char *l = trim(buf);
		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		char *eq = strchr(l, '=');
		if (*l == '[') {
			snprintf(fa->err, sizeof(fa->err), "%.60s: the file has no sections", l);
			ok = 0;
		} else if (eq == NULL || eq == l) {
			snprintf(fa->err, sizeof(fa->err), "not a 'key = value' line: '%.60s'", l);
			ok = 0;
		} else {
			*eq = '\0';
			ok = on_key(fa, trim(l), clean_value(eq + 1));
		}
	}
	if (ok && ferror(fa->f)) {
		snprintf(fa->err, sizeof(fa->err), "cannot read: %s", strerror(errno));
		ok = 0;
	}
	free(buf);
	return ok ? 0 : -1;
}

static int read_config_file(struct file_args *fa)
{
	struct stat st;
	fa->f = fopen(fa->path, "r");
	if (fa->f == NULL) {
		fp_log(LOG_ERR, "--config %s: %s", fa->path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fa->f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fp_log(LOG_ERR, "--config %s: is a directory, not a configuration file", fa->path);
		fclose(fa->f);
		return -1;
	}
	int rc = parse_config_lines(fa);
	fclose(fa->f);
	if (rc != 0) {
		fp_log(LOG_ERR, "%s line %u: %s", fa->path, fa->line, fa->err);
		return -1;
	}
	return 0;
}

/* Is "--NAME" (n characters) --config, as getopt_long reads it (a unique prefix will do)? */
static int names_config(const char *name, size_t n)
{
	if (n == 0 || n > 6 || strncmp(name, "config", n) != 0)
		return 0;
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val != OPT_CONFIG && strncmp(o->name, name, n) == 0)
			return 0; /* ambiguous: getopt refuses it too */
	return 1;
}

/* The --config FILE on the command line, if any, in every form getopt takes: -c FILE, -cFILE,
 * --config FILE, --config=FILE and unique abbreviations (--conf FILE). */
static const char *find_config(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (strncmp(a, "--", 2) == 0) {
			size_t n = strcspn(a + 2, "=");
			if (!names_config(a + 2, n))
				continue;
			if (a[2 + n] == '=')
				path = a + 3 + n;
			else if (i + 1 < argc)
				path = argv[++i];
		} else if (strncmp(a, "-c", 2) == 0) {
			if (a[2])
				path = a + 2;
			else if (i + 1 < argc)
				path = argv[++i];
		}
	}
	return path;
}

static int parse_args(struct fp_config *cfg, int argc, char **argv, int nfile);

static char *config_path_abs; /* fp_config_pin_path() */

char *fp_config_abs_path(const char *path)
{
	char cwd[4096];
	char *abs = NULL;
	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		return NULL;
	return abs;
}

int fp_config_pin_path(const struct fp_config *cfg)
{
	if (cfg->config_file == NULL || cfg->config_file[0] == '/')
		return 0;
	free(config_path_abs);
	config_path_abs = fp_config_abs_path(cfg->config_file);
	return config_path_abs ? 0 : -1;
}

int fp_config_parse(struct fp_config *cfg, int argc, char **argv)
{
	struct file_args fa = {.path = config_path_abs ? config_path_abs : find_config(argc, argv)};
	memset(cfg, 0, sizeof(*cfg));
	cfg->config_file = fa.path;
	if (fa.path == NULL)
		return parse_args(cfg, argc, argv, 0);

	int rc = -1;
	if (read_config_file(&fa) != 0)
		goto out;
	/* argv[0], the file's arguments, the command line's, then the file's EAL arguments
	 * unless the command line has its own after "--". */
	int has_dashdash = 0;
	for (int i = 1; i < argc; i++)
		has_dashdash |= strcmp(argv[i], "--") == 0;
	int n = 1 + fa.argc + (argc - 1) + (has_dashdash ? 0 : 1 + fa.neal);
	char **all = calloc((size_t)n + 1, sizeof(*all));
	if (all == NULL)
		goto out;
	int k = 0;
	all[k++] = argv[0];
	for (int i = 0; i < fa.argc; i++)
		all[k++] = fa.argv[i];
	for (int i = 1; i < argc; i++)
		all[k++] = argv[i];
	if (!has_dashdash && fa.neal) {
		all[k++] = "--";
		for (int i = 0; i < fa.neal; i++)
			all[k++] = fa.eal[i];
	}
	cfg->owned_argv = all;
	cfg->owned_args = fa.argv;
	cfg->n_owned_args = fa.argc;
	cfg->owned_eal = fa.eal;
	cfg->n_owned_eal = fa.neal;
	fa.argv = NULL;
	fa.eal = NULL;
	rc = parse_args(cfg, k, all, fa.argc);
	if (rc < 0 && cfg->failed_arg >= 1 && cfg->failed_arg <= fa.argc) {
		const char *key = all[cfg->failed_arg] + 2;
		fp_log(LOG_ERR, "(from %s line %u, key '%.*s')", fa.path,
		       fa.lines[cfg->failed_arg - 1], (int)strcspn(key, "="), key);
	}
out:
	for (int i = 0; fa.argv && i < fa.argc; i++)
		free(fa.argv[i]);
	free(fa.argv);
	for (int i = 0; fa.eal && i < fa.neal; i++)
		free(fa.eal[i]);
	free(fa.eal);
	free(fa.lines);
	return rc;
}

/* The collector just parsed (the list's next slot) is one already listed, by another name
 * perhaps (localhost and 127.0.0.1): every record would reach it twice. Logged. */
static int collector_repeated(const struct fp_config *cfg)
{
	const struct fp_collector *n = &cfg->collectors[cfg->n_collectors];
	for (unsigned i = 0; i < cfg->n_collectors; i++) {
		const struct fp_collector *c = &cfg->collectors[i];
		if (c->proto == n->proto && c->addrlen == n->addrlen &&
		    memcmp(&c->addr, &n->addr, c->addrlen) == 0) {
			fp_log(LOG_ERR,
			       "--collector %s: the same collector as %s (it would get every "
			       "record twice)",
			       n->name, c->name);
			return 1;
		}
	}
	return 0;
}

/* Parse argv, of which argv[1..nfile] came from the config file. */
static int parse_args(struct fp_config *cfg, int argc, char **argv, int nfile)
{
	char err[256];
	uint32_t v;

	int cmdline_collectors = 0, cmdline_ports = 0, options_requested = 0, fields_given = 0;
	cfg->format = FP_FORMAT_IPFIX;
	cfg->idle_ms = 15000;
	cfg->active_ms = 60000;
	cfg->fin_ms = 2000;
	cfg->max_flows = 1u << 20;
	cfg->mtu = 1500;
	cfg->domain = 1;
	cfg->template_interval_ms = 20000;
	cfg->template_packets = 20;
	cfg->export_rate = 10000; /* measured: see bench/RESULTS.md, "Export pacing" */
	cfg->export_backlog = 32u << 20;
	cfg->ring_size = 65536;
	cfg->snaplen = 256;
	cfg->dpi_max_flows = 65536;
	cfg->dpi_packets = 32;
	cfg->workers = 1;
	cfg->capture_buffer = 64u << 20;
	cfg->promisc = 1;
	cfg->no_options = 0; /* RFC 7011 §4; --no-options for nfdump 1.7 (see usage()) */
	cfg->options_interval_ms = 60000;
	cfg->sample_n = 1;
	cfg->frag_max = 65536;
	cfg->frag_timeout_ms = 10000;
	cfg->mbuf_size = 2048;
	cfg->rx_desc = 1024;
	cfg->stats_interval_ms = isatty(STDERR_FILENO) ? 1000 : 60000;
	cfg->log_level = -1; /* info, or err with --quiet */

	/* The BPF filter's words may stand among the options (`--read F udp --summary json`): each
	 * non-option word before "--" is kept for the filter and the scan goes on past it. */
	int nwords = 0, cmdline_source = 0, cmdline_filter = 0, snaplen_given = 0, dpdk_only = 0;
	cfg->filter_words = calloc((size_t)argc + 1, sizeof(char *));
	if (cfg->filter_words == NULL)
		return -1;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then resets its state too (SIGHUP parses again) */
	for (;;) {
		int idx = 0;
		int c = getopt_long(argc, argv, "+:r:i:f:n:m:qhc:V", long_opts, &idx);
		if (c == -1) {
			if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
				cfg->filter_words[nwords++] = argv[optind++];
				continue;
			}
			break;
		}
		/* The file's arguments are single "--key=value" words: remember which failed. */
		cfg->failed_arg = optind - 1;
		int from_cmdline = optind - 1 > nfile;
		/* The command line's source and filter replace the file's. */
		if (from_cmdline && !cmdline_source && (c == 'r' || c == 'i' || c == OPT_DPDK)) {
			cmdline_source = 1;
			cfg->read_file = cfg->interface = NULL;
			cfg->n_interfaces = 0;
			cfg->dpdk = 0;
		}
		if (from_cmdline && !cmdline_filter && c == 'f') {
			cmdline_filter = 1;
			free(cfg->filter);
			cfg->filter = NULL;
		}
		switch (c) {
		case 'c':
		case OPT_CONFIG:
			if (from_cmdline)
				break;
			fp_log(LOG_ERR, "--config: not allowed in a config file");
			return -1;
		case 'r':
			cfg->read_file = optarg;
			break;
		case 'i':
			if (cfg->n_interfaces == FP_MAX_PORTS) {
				fp_log(LOG_ERR, "--interface: at most %d interfaces", FP_MAX_PORTS);
				return -1;
			}
			for (unsigned k = 0; k < cfg->n_interfaces; k++)
				if (strcmp(cfg->interfaces[k], optarg) == 0) {
					fp_log(LOG_ERR, "--interface %s: given twice", optarg);
					return -1;
				}
			cfg->interfaces[cfg->n_interfaces++] = optarg;
			cfg->interface = cfg->interfaces[0];
			break;
		case 'f':
			free(cfg->filter);
			cfg->filter = strdup(optarg);
			break;
		case 'n':
			if (from_cmdline && !cmdline_collectors++)
				cfg->n_collectors =
				    0; /* the command line's list replaces the file's */
			if (cfg->n_collectors == FP_MAX_COLLECTORS) {
				fp_log(LOG_ERR, "--collector: at most %d collectors",
				       FP_MAX_COLLECTORS);
				return -1;
			}
			if (fp_collector_parse(optarg, &cfg->collectors[cfg->n_collectors], err,
					       sizeof(err)) != 0) {
				fp_log(LOG_ERR, "--collector: %s", err);
				return -1;
			}
			if (collector_repeated(cfg))
				return -1;
			cfg->n_collectors++;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "ipfix") == 0)
				cfg->format = FP_FORMAT_IPFIX;
			else if (strcmp(optarg, "nfv9") == 0 || strcmp(optarg, "v9") == 0)
				cfg->format = FP_FORMAT_NFV9;
			else if (strcmp(optarg, "nfv5") == 0 || strcmp(optarg, "v5") == 0)
				cfg->format = FP_FORMAT_NFV5;
			else {
				fp_log(LOG_ERR, "--format: '%s' is not ipfix, nfv9 or nfv5",
				       optarg);
				return -1;
			}
			break;
		case OPT_IDLE:
			if (parse_seconds("idle-timeout", optarg, 1, &cfg->idle_ms))
				return -1;
			break;
		case OPT_ACTIVE:
			if (parse_seconds("active-timeout", optarg, 1, &cfg->active_ms))
				return -1;
			break;
		case OPT_FIN:
			if (parse_seconds("fin-timeout", optarg, 0, &cfg->fin_ms))
				return -1;
			break;
		case 'm':
			if (parse_uint("max-flows", optarg, 1, 1u << 30, &cfg->max_flows))
				return -1;
			break;
		case OPT_MTU:
			if (parse_uint("mtu", optarg, 576, 65535, &v))
				return -1;
			cfg->mtu = v;
			break;
		case OPT_DOMAIN:
			if (parse_uint("observation-domain", optarg, 0, UINT32_MAX, &cfg->domain))
				return -1;
			break;
		case OPT_TPL_INTERVAL:
			if (parse_seconds("template-interval", optarg, 100,
					  &cfg->template_interval_ms))
				return -1;
			break;
		case OPT_TPL_PACKETS:
			if (parse_uint("template-packets", optarg, 1, UINT32_MAX,
				       &cfg->template_packets))
				return -1;
			break;
		case OPT_EXPORT_RATE:
			if (parse_uint("export-rate", optarg, 0, 100000000, &cfg->export_rate))
				return -1;
			break;
		case OPT_RING:
			if (parse_uint("ring-size", optarg, 64, 1u << 26, &cfg->ring_size))
				return -1;
			break;
		case OPT_SNAPLEN:
			if (parse_uint("snaplen", optarg, 64, 262144, &v))
				return -1;
			cfg->snaplen = (int)v;
			snaplen_given = 1;
			break;
		case OPT_NO_PROMISC:
			cfg->promisc = 0;
			break;
		case OPT_SUMMARY:
			if (strcmp(optarg, "json") != 0) {
				fp_log(LOG_ERR, "--summary: '%s' is not json", optarg);
				return -1;
			}
			cfg->summary_json = 1;
			break;
		case 'q':
			cfg->quiet = 1;
			break;
		case OPT_DPDK:
			cfg->dpdk = 1;
			break;
		case OPT_USER:
			cfg->user = optarg;
			break;
		case OPT_LOG_LEVEL:
			cfg->log_level = fp_log_level_parse(optarg);
			if (cfg->log_level < 0) {
				fp_log(LOG_ERR,
				       "--log-level: '%s' is not err, warning, notice, info "
				       "or debug",
				       optarg);
				return -1;
			}
			break;
		case OPT_DAEMON:
			cfg->daemon = 1;
			break;
		case OPT_PIDFILE:
			cfg->pidfile = optarg;
			break;
		case OPT_METRICS:
			cfg->metrics = optarg;
			break;
		case OPT_JSON:
			cfg->json = optarg;
			break;
		case OPT_SAMPLE:
			if (parse_uint("sample", optarg, 1, 1u << 30, &cfg->sample_n))
				return -1;
			break;
		case OPT_BIFLOW:
			cfg->biflow = 1;
			break;
		case OPT_DPI:
			cfg->dpi = 1;
			break;
		case OPT_DPI_MAX_FLOWS:
			if (parse_uint("dpi-max-flows", optarg, 16, 1u << 24, &cfg->dpi_max_flows))
				return -1;
			break;
		case OPT_DPI_PACKETS:
			if (parse_uint("dpi-packets", optarg, 1, 1000, &cfg->dpi_packets))
				return -1;
			break;
		case OPT_FRAG_MAX:
			if (parse_uint("frag-max", optarg, 0, 1u << 24, &cfg->frag_max))
				return -1;
			break;
		case OPT_FRAG_TIMEOUT:
			if (parse_seconds("frag-timeout", optarg, 1, &cfg->frag_timeout_ms))
				return -1;
			break;
		case OPT_FIELDS:
			if (parse_fields(optarg, &cfg->fields))
				return -1;
			fields_given = 1;
			break;
		case OPT_IFINDEX:
			if (parse_uint_list("ifindex", optarg, UINT32_MAX, cfg->ifindex,
					    &cfg->n_ifindex, FP_MAX_PORTS))
				return -1;
			break;
		case OPT_CID_SEED:
			if (parse_uint("community-id-seed", optarg, 0, 65535, &v))
				return -1;
			cfg->cid_seed = (uint16_t)v;
			break;
		case OPT_WORKERS:
			if (parse_uint("workers", optarg, 1, FP_MAX_WORKERS, &cfg->workers))
				return -1;
			break;
		case OPT_CPUS:
			if (parse_uint_list("cpus", optarg, 4095, cfg->cpus, &cfg->n_cpus,
					    FP_MAX_WORKERS))
				return -1;
			break;
		case OPT_CAPTURE_BUFFER: {
			uint64_t b;
			if (parse_size("capture-buffer", optarg, 64 << 10, 1ull << 31, &b))
				return -1;
			cfg->capture_buffer = (uint32_t)b;
			break;
		}
		case OPT_DECAP:
			if (strcmp(optarg, "auto") == 0)
				cfg->decap = 1;
			else if (strcmp(optarg, "none") == 0)
				cfg->decap = 0;
			else {
				fp_log(LOG_ERR, "--decap: '%s' is not auto or none", optarg);
				return -1;
			}
			break;
		case OPT_COLLECTOR_MODE:
			if (strcmp(optarg, "duplicate") == 0)
				cfg->collector_balance = 0;
			else if (strcmp(optarg, "balance") == 0)
				cfg->collector_balance = 1;
			else {
				fp_log(LOG_ERR,
				       "--collector-mode: '%s' is not duplicate or balance",
				       optarg);
				return -1;
			}
			break;
		case OPT_SAMPLE_MODE:
			if (strcmp(optarg, "deterministic") == 0)
				cfg->sample_random = 0;
			else if (strcmp(optarg, "random") == 0)
				cfg->sample_random = 1;
			else {
				fp_log(LOG_ERR,
				       "--sample-mode: '%s' is not deterministic or random",
				       optarg);
				return -1;
			}
			break;
		case OPT_NO_OPTIONS:
			cfg->no_options = 1;
			break;
		case OPT_OPTIONS:
			cfg->no_options = 0;
			options_requested = 1;
			break;
		case OPT_GROUP:
			cfg->group = optarg;
			break;
		case OPT_PORT:
			dpdk_only = c;
			if (from_cmdline && !cmdline_ports++)
				cfg->n_ports = 0;
			if (cfg->n_ports == FP_MAX_PORTS) {
				fp_log(LOG_ERR, "--port: at most %d ports", FP_MAX_PORTS);
				return -1;
			}
			if (parse_uint("port", optarg, 0, 65535, &v))
				return -1;
			cfg->ports[cfg->n_ports++] = (uint16_t)v;
			break;
		case OPT_COUNT: {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fp_log(LOG_ERR, "--count: '%s' must be an integer, 0 = no limit",
				       optarg);
				return -1;
			}
			cfg->count = n;
			break;
		}
		case OPT_DURATION:
			if (parse_seconds("duration", optarg, 0, &cfg->duration_ms))
				return -1;
			break;
		case OPT_STATS_INTERVAL:
			if (parse_seconds("stats-interval", optarg, 0, &cfg->stats_interval_ms))
				return -1;
			break;
		case OPT_MBUFS:
			dpdk_only = c;
			if (parse_uint("mbufs", optarg, 1024, 1u << 30, &cfg->mbufs))
				return -1;
			break;
		case OPT_MBUF_SIZE:
			dpdk_only = c;
			if (parse_uint("mbuf-size", optarg, 128, 65000, &cfg->mbuf_size))
				return -1;
			break;
		case OPT_RX_DESC:
			dpdk_only = c;
			if (parse_uint("rx-desc", optarg, 32, 32768, &cfg->rx_desc))
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_TLS_CA:
			cfg->tls_ca = optarg;
			break;
		case OPT_TLS_CERT:
			cfg->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			cfg->tls_key = optarg;
			break;
		case OPT_EXPORT_BACKLOG: {
			uint64_t b;
			if (parse_size("export-backlog", optarg, 128 << 10, 16ull << 30, &b))
				return -1;
			cfg->export_backlog = (size_t)b;
			break;
		}
		case OPT_OPTIONS_INTERVAL:
			if (parse_seconds("options-interval", optarg, 100,
					  &cfg->options_interval_ms))
				return -1;
			break;
		case 'V':
		case OPT_VERSION:
			printf("fluxprobe %s\n", FP_VERSION);
			return 1;
		case ':':
			fp_log(LOG_ERR, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			fp_log(LOG_ERR, "unknown option '%s' (see --help)", argv[optind - 1]);
			return -1;
		}
	}
	for (unsigned i = 0; i < cfg->n_collectors; i++)
		if (cfg->collectors[i].proto == FP_PROTO_TCP && cfg->format != FP_FORMAT_IPFIX) {
			fprintf(stderr,
				"fluxprobe: --collector %s: TCP and TLS export are IPFIX only "
				"(NetFlow %s is "
				"defined over UDP); use --format ipfix\n",
				cfg->collectors[i].name,
				cfg->format == FP_FORMAT_NFV5 ? "v5" : "v9");
			return -1;
		}
	if (cfg->biflow && cfg->format != FP_FORMAT_IPFIX) {
		fp_log(LOG_ERR,
		       "--biflow: bidirectional records are IPFIX (RFC 5103); use --format "
		       "ipfix");
		return -1;
	}
	/* --decap auto exports the outer context it sees (MPLS labels, GRE key, VXLAN VNI) unless
	 * --fields says otherwise; v5 has no room for it */
	if (cfg->decap && !fields_given && cfg->format != FP_FORMAT_NFV5)
		cfg->fields = FP_FIELD_MPLS | FP_FIELD_TUNNEL;
	if (cfg->format == FP_FORMAT_NFV5 && (cfg->fields & ~(unsigned)FP_FIELD_INGRESS)) {
		fp_log(LOG_ERR, "--fields: NetFlow v5 is a fixed format; of these it carries only "
				"ingress (its input field)");
		return -1;
	}
	if (cfg->format == FP_FORMAT_NFV5 && cfg->sample_n > 16383) {
		fp_log(LOG_ERR, "--sample: NetFlow v5 carries a sampling interval up to 16383");
		return -1;
	}
	if (cfg->format == FP_FORMAT_NFV5) {
		if (options_requested && !cfg->no_options) {
			fp_log(LOG_ERR, "--options: NetFlow v5 has no options records");
			return -1;
		}
		cfg->no_options = 1;
	}
	if (cfg->json && strcmp(cfg->json, "-") == 0 && cfg->daemon) {
		fp_log(LOG_ERR, "--json -: --daemon has no standard output (it would go to "
				"/dev/null); give a file");
		return -1;
	}
	if (cfg->json && strcmp(cfg->json, "-") == 0 && cfg->summary_json) {
		fp_log(LOG_ERR,
		       "--json - and --summary json both write to stdout; send one to a file");
		return -1;
	}
	if (cfg->dpdk) {
		if (cfg->workers > 1) {
			fp_log(LOG_ERR, "--workers: with --dpdk every lcore but the main one is a "
					"worker (EAL -l / --lcores)");
			return -1;
		}
		/* DPDK's convention: our options, then "--", then the EAL's. */
		if (nwords) {
			fp_log(LOG_ERR,
			       "unexpected argument '%s' (EAL options go after "
			       "'--')",
			       cfg->filter_words[0]);
			return -1;
		}
		if (argc - optind > FP_MAX_EAL_ARGS) {
			fp_log(LOG_ERR, "more than %d EAL arguments", FP_MAX_EAL_ARGS);
			return -1;
		}
		for (int i = optind; i < argc; i++)
			cfg->eal_argv[cfg->eal_argc++] = argv[i];
		if (cfg->user || cfg->group) {
			fp_log(LOG_ERR,
			       "--user/--group: the DPDK backend keeps the "
			       "privileges its drivers need (run it under a dedicated account "
			       "with the VFIO and hugepage permissions instead)");
			return -1;
		}
		if (cfg->read_file || cfg->interface || cfg->filter) {
			fp_log(LOG_ERR, "--dpdk captures from DPDK ports: --read, "
					"--interface and BPF filters do not apply (use --vdev "
					"net_pcap0,rx_pcap=FILE to read a file through DPDK)");
			return -1;
		}
		return 0;
	}
	/* Settings that do not apply to this run: said, not silently dropped (a file written for
	 * another mode may carry them). */
	if (cfg->dpi && !snaplen_given)
		cfg->snaplen = 65535; /* a TLS ClientHello, an HTTP request: whole */
	if (snaplen_given && cfg->read_file)
		fp_log(LOG_WARNING, "--snaplen: ignored with --read (the file's own snap length "
				    "applies)");
	if (dpdk_only)
		for (const struct option *o = long_opts; o->name; o++)
			if (o->val == dpdk_only)
				fp_log(LOG_WARNING, "--%s: ignored without --dpdk", o->name);
	for (int i = optind; i < argc; i++) /* after "--": filter words too */
		cfg->filter_words[nwords++] = argv[i];
	if (nwords) {
		if (cmdline_filter) {
			fp_log(LOG_ERR, "give the BPF filter either with --filter or as "
					"trailing arguments, not both");
			return -1;
		}
		/* filter words are command-line words (a file has only key = value lines): they
		 * replace a `filter =` of the file */
		free(cfg->filter);
		cfg->filter = join_args(nwords, cfg->filter_words);
	}
	if (cfg->workers > 1 && !cfg->interface) {
		fp_log(LOG_ERR, "--workers: for --interface (a file is read by one worker; DPDK "
				"has one worker per lcore)");
		return -1;
	}
	if (cfg->group && !cfg->user) {
		fp_log(LOG_ERR, "--group needs --user");
		return -1;
	}
	if (!cfg->read_file == !cfg->interface) {
		fp_log(LOG_ERR, "give exactly one of --read FILE, --interface IFACE or "
				"--dpdk (see --help)");
		return -1;
	}
	return 0;
}

void fp_config_free(struct fp_config *cfg)
{
	free(cfg->filter);
	cfg->filter = NULL;
	free(cfg->filter_words);
	cfg->filter_words = NULL;
	for (int i = 0; i < cfg->n_owned_args; i++)
		free(cfg->owned_args[i]);
	for (int i = 0; i < cfg->n_owned_eal; i++)
		free(cfg->owned_eal[i]);
	free(cfg->owned_args);
	free(cfg->owned_eal);
	free(cfg->owned_argv);
	cfg->owned_args = cfg->owned_eal = cfg->owned_argv = NULL;
	cfg->n_owned_args = cfg->n_owned_eal = 0;
}
