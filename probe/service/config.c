/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FP_VERSION
#define FP_VERSION "0"
#endif

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
	    {"tls", FP_FIELD_TLS},
	    {"tcp", FP_FIELD_TCP},
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
			       "tunnel, latency, tls, tcp, all, none",
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

/*
 * Every option, described once: its long and short name, its argument, its default (applied
 * through the same handler as a given value), its help text (wrapped by usage()), the field it
 * fills and how. getopt's array, --help, the configuration file's keys (one per long option) and
 * the check that the man page names every option all come from this table.
 */
struct parse_state;
struct opt_def;
typedef int (*opt_fn)(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		      const char *arg);

struct choice {
	const char *name;
	int value;
};

enum {
	OPT_NO_KEY = 1 << 0,	   /* not a configuration file key (--config, --help, --version) */
	OPT_DPDK_ONLY = 1 << 1,	   /* means nothing without --dpdk: said when given without it */
	OPT_OPTIONAL_ARG = 1 << 2, /* the value may be left out (--name, --name=V, --name N) */
};

struct opt_def {
	const char *name;	      /* long name; NULL: a section title (help) */
	int short_name;		      /* 0: none */
	const char *arg;	      /* the argument's name in --help; NULL: a flag */
	const char *def;	      /* default, parsed by `fn` before the arguments; NULL: zero */
	const char *help;	      /* wrapped by usage(); '\n' forces a line break */
	opt_fn fn;		      /* parse and store */
	size_t off, size;	      /* the field in struct fp_config (generic handlers) */
	uint64_t min, max;	      /* bounds (numbers), or the value a flag stores (min) */
	const struct choice *choices; /* h_choice: names and their values */
	unsigned flags;
	const char *needs; /* means nothing without one of these options ("a|b"): refused on the
			      command line, said for a configuration file's key */
};

/* What parsing one command line remembers between options. */
struct parse_state {
	int from_cmdline; /* the option came from the command line, not the file */
	int cmdline_collectors, cmdline_ports, cmdline_source, cmdline_filter, cmdline_local_nets;
	int cmdline_geoip;
	int options_requested, fields_given, snaplen_given;
	const struct opt_def *dpdk_only; /* the last DPDK-only option given */
	uint8_t given[256]; /* by option row: 1 from the file, 2 from the command line */
};

#define FIELD(f) .off = offsetof(struct fp_config, f), .size = sizeof(((struct fp_config *)0)->f)

static int store_uint(struct fp_config *cfg, const struct opt_def *o, uint64_t v)
{
	char *p = (char *)cfg + o->off;
	switch (o->size) {
	case 1: {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, 4);
		break;
	}
	default:
		memcpy(p, &v, 8);
		break;
	}
	return 0;
}

static int h_uint(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	uint32_t v;
	(void)st;
	if (parse_uint(o->name, arg, (unsigned long)o->min, (unsigned long)o->max, &v))
		return -1;
	return store_uint(cfg, o, v);
}

/* --export-rate: the value, and whether the user chose it (the default's string is the row's) */
static int h_export_rate(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
			 const char *arg)
{
	cfg->export_rate_given = arg != o->def;
	return h_uint(cfg, st, o, arg);
}

static int h_seconds(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		     const char *arg)
{
	uint32_t ms;
	(void)st;
	if (parse_seconds(o->name, arg, (uint32_t)o->min, &ms))
		return -1;
	return store_uint(cfg, o, ms);
}

static int h_size(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	uint64_t v;
	(void)st;
	if (parse_size(o->name, arg, o->min, o->max, &v))
		return -1;
	return store_uint(cfg, o, v);
}

static int h_string(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		    const char *arg)
{
	(void)st;
	memcpy((char *)cfg + o->off, &arg, sizeof(arg));
	return 0;
}

/* --clickhouse: http[s]://HOST[:PORT][/], checked as it is read (so a config file's line is
 * named) */
static int h_clickhouse(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
			const char *arg)
{
	const char *host = strncmp(arg, "http://", 7) == 0    ? arg + 7
			   : strncmp(arg, "https://", 8) == 0 ? arg + 8
							      : NULL;
	if (host == NULL || *host == '\0' || *host == ':' || *host == '/') {
		fp_log(LOG_ERR,
		       "--%s '%s': expected http://HOST:PORT or https://HOST:PORT (the server's "
		       "HTTP interface, 8123 by default: http://127.0.0.1:8123)",
		       o->name, arg);
		return -1;
	}
	return h_string(cfg, st, o, arg);
}

/* A ClickHouse identifier, [DB.]NAME (or NAME alone: `max` 0): letters, digits, '_', not
 * starting with a digit. It goes into SQL as it is: anything else is refused, not quoted. */
static int h_identifier(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
			const char *arg)
{
	int parts = 0, ok = *arg != '\0';
	for (const char *p = arg; ok && *p;) {
		size_t n =
		    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		ok = n > 0 && n <= 64 && !(*p >= '0' && *p <= '9');
		p += n;
		parts++;
		if (ok && *p == '.' && o->max && parts == 1)
			p++;
		else if (ok && *p)
			ok = 0;
	}
	if (!ok) {
		fp_log(
		    LOG_ERR,
		    "--%s '%s': not a ClickHouse name (%s: letters, digits and '_', not starting "
		    "with a digit)",
		    o->name, arg, o->max ? "[DB.]NAME" : "NAME");
		return -1;
	}
	return h_string(cfg, st, o, arg);
}

/* A flag: stores `min` (1 to turn something on, 0 to turn it off). */
static int h_flag(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	(void)st;
	(void)arg;
	return store_uint(cfg, o, o->min);
}

static int h_choice(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		    const char *arg)
{
	const char *names[8];
	size_t n = 0;
	(void)st;
	for (const struct choice *c = o->choices; c->name; c++) {
		if (strcmp(arg, c->name) == 0)
			return store_uint(cfg, o, (uint64_t)c->value);
		int alias = 0; /* a value already named: not listed */
		for (const struct choice *d = o->choices; d < c; d++)
			alias |= d->value == c->value;
		if (!alias && n < sizeof(names) / sizeof(names[0]))
			names[n++] = c->name;
	}
	char list[160] = "";
	for (size_t i = 0, len = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i == 0	     ? ""
					: i + 1 == n ? " or "
						     : ", ",
					names[i]);
	fp_log(LOG_ERR, "--%s: '%s' is not %s", o->name, arg, list);
	return -1;
}

/* The command line's capture source replaces the file's (--read, --interface, --dpdk). */
static void source_from_cmdline(struct fp_config *cfg, struct parse_state *st)
{
	if (!st->from_cmdline || st->cmdline_source)
		return;
	st->cmdline_source = 1;
	cfg->read_file = cfg->interface = NULL;
	cfg->n_interfaces = 0;
	cfg->dpdk = 0;
}

static int h_read(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	(void)o;
	source_from_cmdline(cfg, st);
	cfg->read_file = arg;
	return 0;
}

static int h_dpdk(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	(void)o;
	(void)arg;
	source_from_cmdline(cfg, st);
	cfg->dpdk = 1;
	return 0;
}

static int h_interface(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		       const char *arg)
{
	(void)o;
	source_from_cmdline(cfg, st);
	if (cfg->n_interfaces == FP_MAX_PORTS) {
		fp_log(LOG_ERR, "--interface: at most %d interfaces", FP_MAX_PORTS);
		return -1;
	}
	for (unsigned k = 0; k < cfg->n_interfaces; k++)
		if (strcmp(cfg->interfaces[k], arg) == 0) {
			fp_log(LOG_ERR, "--interface %s: given twice", arg);
			return -1;
		}
	cfg->interfaces[cfg->n_interfaces++] = arg;
	cfg->interface = cfg->interfaces[0];
	return 0;
}

static int h_filter(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		    const char *arg)
{
	(void)o;
	if (st->from_cmdline)
		st->cmdline_filter = 1; /* the command line's filter replaces the file's */
	free(cfg->filter);
	cfg->filter = strdup(arg);
	return cfg->filter ? 0 : -1;
}

static int h_collector(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		       const char *arg)
{
	char err[256];
	(void)o;
	if (st->from_cmdline && !st->cmdline_collectors++)
		cfg->n_collectors = 0; /* the command line's list replaces the file's */
	if (cfg->n_collectors == FP_MAX_COLLECTORS) {
		fp_log(LOG_ERR, "--collector: at most %d collectors", FP_MAX_COLLECTORS);
		return -1;
	}
	if (fp_collector_parse(arg, &cfg->collectors[cfg->n_collectors], err, sizeof(err)) != 0) {
		fp_log(LOG_ERR, "--collector: %s", err);
		return -1;
	}
	if (collector_repeated(cfg))
		return -1;
	cfg->n_collectors++;
	return 0;
}

static int h_local_net(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		       const char *arg)
{
	char err[256];
	(void)o;
	if (st->from_cmdline && !st->cmdline_local_nets++ && cfg->local_nets)
		cfg->local_nets->n = 0; /* the command line's networks replace the file's */
	if (cfg->local_nets == NULL &&
	    (cfg->local_nets = calloc(1, sizeof(*cfg->local_nets))) == NULL)
		return -1;
	if (fp_localnets_add(cfg->local_nets, arg, err, sizeof(err)) != 0) {
		fp_log(LOG_ERR, "--local-net %s: %s", arg, err);
		return -1;
	}
	return 0;
}

/* --geoip FILE: its kind read from its metadata now, so that a wrong file stops the start */
static int h_geoip(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		   const char *arg)
{
	char err[512];
	(void)o;
	if (st->from_cmdline && !st->cmdline_geoip++) { /* the command line's replace the file's */
		cfg->n_geoip = 0;
		cfg->geoip_kinds = 0;
	}
	if (cfg->n_geoip == FP_GEO_FILES_MAX) {
		fp_log(LOG_ERR, "--geoip: at most %d databases", FP_GEO_FILES_MAX);
		return -1;
	}
	unsigned kind = fp_geo_file_kind(arg, err, sizeof(err));
	if (kind == 0) {
		fp_log(LOG_ERR, "--geoip %s: %s", arg, err);
		return -1;
	}
	if (cfg->geoip_kinds & kind) {
		fp_log(LOG_ERR, "--geoip %s: a second %s database (give one of each kind)", arg,
		       kind == FP_GEO_ASN    ? "ASN"
		       : kind == FP_GEO_CITY ? "City"
					     : "Country");
		return -1;
	}
	cfg->geoip[cfg->n_geoip++] = arg;
	cfg->geoip_kinds |= kind;
	return 0;
}

/* --dedup [WINDOW] */
static int h_dedup(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		   const char *arg)
{
	(void)st;
	uint32_t v = FP_DEDUP_DEFAULT;
	if (arg && parse_uint(o->name, arg, 1, FP_DEDUP_MAX, &v))
		return -1;
	cfg->dedup = v;
	return 0;
}

unsigned fp_config_groups(const struct fp_config *cfg)
{
	return cfg->fields | (cfg->dpi ? (unsigned)FP_FIELD_APP : 0u) |
	       (cfg->local_nets ? (unsigned)FP_FIELD_DIRECTION : 0u) |
	       fp_geo_field_groups(cfg->geoip_kinds) |
	       (cfg->payload ? (unsigned)FP_FIELD_PAYLOAD : 0u);
}

static int h_port(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	uint32_t v;
	st->dpdk_only = o;
	if (st->from_cmdline && !st->cmdline_ports++)
		cfg->n_ports = 0;
	if (cfg->n_ports == FP_MAX_PORTS) {
		fp_log(LOG_ERR, "--port: at most %d ports", FP_MAX_PORTS);
		return -1;
	}
	if (parse_uint("port", arg, 0, 65535, &v))
		return -1;
	cfg->ports[cfg->n_ports++] = (uint16_t)v;
	return 0;
}

/* A DPDK-only number (--mbufs, --mbuf-size, --rx-desc). */
static int h_dpdk_uint(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		       const char *arg)
{
	st->dpdk_only = o;
	return h_uint(cfg, st, o, arg);
}

static int h_snaplen(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		     const char *arg)
{
	st->snaplen_given = 1;
	return h_uint(cfg, st, o, arg);
}

static int h_fields(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		    const char *arg)
{
	(void)o;
	st->fields_given = 1;
	return parse_fields(arg, &cfg->fields);
}

static int h_ifindex(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		     const char *arg)
{
	(void)st;
	(void)o;
	return parse_uint_list("ifindex", arg, UINT32_MAX, cfg->ifindex, &cfg->n_ifindex,
			       FP_MAX_PORTS);
}

static int h_cpus(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	(void)st;
	(void)o;
	return parse_uint_list("cpus", arg, 4095, cfg->cpus, &cfg->n_cpus, FP_MAX_WORKERS);
}

static int h_count(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		   const char *arg)
{
	char *end;
	(void)st;
	(void)o;
	errno = 0;
	unsigned long long n = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-') {
		fp_log(LOG_ERR, "--count: '%s' must be an integer, 0 = no limit", arg);
		return -1;
	}
	cfg->count = n;
	return 0;
}

static int h_log_level(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		       const char *arg)
{
	(void)st;
	(void)o;
	cfg->log_level = fp_log_level_parse(arg);
	if (cfg->log_level < 0) {
		fp_log(LOG_ERR, "--log-level: '%s' is not err, warning, notice, info or debug",
		       arg);
		return -1;
	}
	return 0;
}

static int h_options(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		     const char *arg)
{
	(void)o;
	(void)arg;
	cfg->no_options = 0;
	st->options_requested = 1;
	return 0;
}

static int h_config(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		    const char *arg)
{
	(void)cfg;
	(void)o;
	(void)arg;
	if (st->from_cmdline)
		return 0; /* read before parsing: find_config() */
	fp_log(LOG_ERR, "--config: not allowed in a config file");
	return -1;
}

static void usage(FILE *out);

static int h_help(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		  const char *arg)
{
	(void)cfg;
	(void)st;
	(void)o;
	(void)arg;
	usage(stdout);
	return 1;
}

static int h_version(struct fp_config *cfg, struct parse_state *st, const struct opt_def *o,
		     const char *arg)
{
	(void)cfg;
	(void)st;
	(void)o;
	(void)arg;
	printf("fluxprobe %s\n", FP_VERSION);
	return 1;
}

static const struct choice format_choices[] = {
    {"ipfix", FP_FORMAT_IPFIX}, {"nfv9", FP_FORMAT_NFV9}, {"v9", FP_FORMAT_NFV9},
    {"nfv5", FP_FORMAT_NFV5},	{"v5", FP_FORMAT_NFV5},	  {NULL, 0},
};
static const struct choice decap_choices[] = {{"auto", 1}, {"none", 0}, {NULL, 0}};
static const struct choice mode_choices[] = {{"duplicate", 0}, {"balance", 1}, {NULL, 0}};
static const struct choice sample_choices[] = {{"deterministic", 0}, {"random", 1}, {NULL, 0}};
static const struct choice summary_choices[] = {{"json", 1}, {NULL, 0}};
static const struct choice json_schema_choices[] = {{"ipfix", 0}, {"ecs", 1}, {NULL, 0}};
static const struct choice compress_choices[] = {
    {"lz4", 3}, {"lzo", 1}, {"bz2", 2}, {"none", 0}, {NULL, 0}};

#define SECTION(title)                                                                             \
	{                                                                                          \
		.help = title                                                                      \
	}

/* Rows name only what they use; the rest is zero. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct opt_def opts[] = {
    SECTION("Capture:"),
    {"read", 'r', "FILE", NULL,
     "read a pcap/pcapng file (- = standard input) flat out; timers run on packet timestamps; "
     "exit 0 once every flow is exported",
     h_read},
    {"interface", 'i', "IFACE", NULL,
     "live capture with libpcap until SIGINT/SIGTERM; repeatable: flows kept per interface, "
     "--biflow meets a TAP's two halves",
     h_interface},
    {"filter", 'f', "EXPR", NULL, "BPF filter (or give it as trailing arguments)", h_filter},
    {"snaplen", 0, "BYTES", "256",
     "live capture snap length (default 256; whole packets with --pcap-dir, 65535 with "
     "--dpi)",
     h_snaplen, FIELD(snaplen), 64, 262144},
    {"workers", 0, "N", "1",
     "live: N workers on the interface, one socket each in an AF_PACKET fanout group "
     "(symmetric flow hash: a connection's two directions on one worker), each with its own "
     "flow table (default 1)",
     h_uint, FIELD(workers), 1, FP_MAX_WORKERS},
    {"cpus", 0, "LIST", NULL, "pin worker i to the i-th CPU of LIST (default: not pinned)", h_cpus},
    {"capture-buffer", 0, "BYTES", "64M",
     "live: the kernel ring of each worker's socket (suffix K, M, G; default 64M)", h_size,
     FIELD(capture_buffer), 64 << 10, 1ull << 31},
    {"no-promisc", 0, NULL, NULL, "do not put the interface in promiscuous mode", h_flag,
     FIELD(promisc), 0},
    {"user", 0, "USER", NULL,
     "drop to USER (and its group) right after opening the capture and the collector "
     "sockets; exit if it fails",
     h_string, FIELD(user)},
    {"group", 0, "GROUP", NULL, "drop to GROUP instead of USER's group", h_string, FIELD(group)},
    {"count", 0, "N", NULL, "stop after N frames (all workers together; default 0: no limit)",
     h_count},
    {"duration", 0, "SEC", NULL, "stop after SEC seconds (default 0: no limit)", h_seconds,
     FIELD(duration_ms), 0},
    SECTION("DPDK (--dpdk; EAL options such as -l, --vdev, -m follow a '--'):"),
    {"dpdk", 0, NULL, NULL,
     "capture with DPDK poll-mode drivers. The main lcore runs statistics and the exporter; "
     "every other lcore is a worker that polls rx queue i of every port and owns its flow "
     "table. 1 worker on 2 cores: -- -l 0,1;\n2 workers on 2 cores: -- --lcores 0@0,1@1,2@0",
     h_dpdk},
    {"port", 0, "ID", NULL, "use this DPDK port, repeatable (default: every port)", h_port,
     .flags = OPT_DPDK_ONLY},
    {"mbufs", 0, "N", NULL,
     "mbufs in the pool (default: enough for every rx ring, and one per packet of each file "
     "net_pcap replays with infinite_rx)",
     h_dpdk_uint, FIELD(mbufs), 1024, 1u << 30, .flags = OPT_DPDK_ONLY},
    {"mbuf-size", 0, "BYTES", "2048", "data room per mbuf (default 2048)", h_dpdk_uint,
     FIELD(mbuf_size), 128, 65000, .flags = OPT_DPDK_ONLY},
    {"rx-desc", 0, "N", "1024", "rx descriptors per queue (default 1024)", h_dpdk_uint,
     FIELD(rx_desc), 32, 32768, .flags = OPT_DPDK_ONLY},
    SECTION("Flows:"),
    {"idle-timeout", 0, "SEC", "15", "export a flow idle this long (default 15)", h_seconds,
     FIELD(idle_ms), 1},
    {"active-timeout", 0, "SEC", "60", "export a long flow every SEC, delta counters (default 60)",
     h_seconds, FIELD(active_ms), 1},
    {"fin-timeout", 0, "SEC", "2", "keep a TCP flow after FIN/RST for late ACKs (default 2)",
     h_seconds, FIELD(fin_ms), 0},
    {"decap", 0, "auto|none", "none",
     "auto: open GRE, ERSPAN I/II/III, VXLAN, Geneve, GTP-U, IP-in-IP and IPv6-in-IPv4 (up "
     "to 4 deep) and account the innermost IP packet; none: the outer packet is the flow "
     "(default none)",
     h_choice, FIELD(decap), .choices = decap_choices},
    {"biflow", 0, NULL, NULL,
     "one record per connection (RFC 5103): the initiator as source, the responder's "
     "packets, octets and TCP flags in reverse IEs (PEN 29305); IPFIX only (default: one "
     "record per direction)",
     h_flag, FIELD(biflow), 1},
    {"dpi", 0, NULL, NULL,
     "application and names per flow with nDPI: application (applicationName 96, "
     "applicationId 95), TLS/QUIC server name, DNS query, type and response code, HTTP host, "
     "method, status and user agent (default off; live snap length then 65535 unless "
     "--snaplen)",
     h_flag, FIELD(dpi), 1},
    {"dpi-max-flows", 0, "N", "65536",
     "flows per worker with a result waiting for their records, a quarter of them under "
     "inspection at once; more are counted, not inspected (default 65536)",
     h_uint, FIELD(dpi_max_flows), 16, 1u << 24},
    {"tls-max-flows", 0, "N", "65536",
     "--fields tls: connections per worker with TLS state (being read, or a result waiting for "
     "their records), one in 16 of them reading a handshake at once (an 8 KB buffer each); "
     "more are counted (tls.no_room), not read (default 65536: ~1.2 KB each, 78 MB of memory "
     "per worker, touched only as connections use it)",
     h_uint, FIELD(tls_max_flows), 16, 1u << 24},
    {"dpi-packets", 0, "N", "32", "packets of a flow inspected at most (default 32)", h_uint,
     FIELD(dpi_packets), 1, 1000},
    {"dedup", 0, "WINDOW", NULL,
     "count once a packet identical, from its IP header to its end, to one of the last WINDOW "
     "packets of its worker seen within 10 ms (default 8, at most 64), whatever its link layer "
     "(two SPAN ports, other VLANs or MACs), as nfpcapd -d; duplicates are counted "
     "(packets_duplicate) and skipped before the flows and the packet store (default: off)",
     h_dedup, .flags = OPT_OPTIONAL_ARG},
    {"local-net", 0, "CIDR[,CIDR...]", NULL,
     "the local networks, repeatable (up to 256): each record gets its direction, inbound, "
     "outbound, internal or external (IPFIX/v9 flowDirection 61: 0 inbound, 1 outbound, 255 "
     "neither, which nfdump's %dir shows as I and E; JSON direction, ECS network.direction, "
     "ClickHouse direction); with --biflow the initiator is the source (default: none)",
     h_local_net},
    {"geoip", 0, "FILE", NULL,
     "a MaxMind DB file (.mmdb: GeoLite2, DB-IP), repeatable, one of each kind (read from its "
     "metadata): an ASN database adds both addresses' AS numbers (IPFIX/v9 16 and 17, nfdump "
     "%sas %das) and organisations, a City or Country database their country (IPFIX ntop 101, "
     "103), a City database the city (ntop 102, 104) and location (JSON, ECS); looked up per "
     "record, and read again when the file is replaced or on SIGHUP (default: none)",
     h_geoip},
    {"payload", 0, "BYTES", NULL,
     "keep the first transport payload of each direction of a flow, up to BYTES (1-2048), with "
     "its record, as nfpcapd -o payload: flow files (nfdump's in/out payload, %ja3 of a TLS "
     "ClientHello), JSON (base64), ClickHouse, IPFIX (YAF's payload and reversePayload, CERT PEN "
     "6871, as much as an MTU-sized message holds); memory: 2 x BYTES + 8 per flow, only when "
     "on (default: off)",
     h_uint, FIELD(payload), 1, FP_PAYLOAD_MAX},
    {"frag-max", 0, "N", "65536",
     "datagrams per worker whose first fragment's ports later fragments get (default 65536; "
     "0: fragments after the first have no ports)",
     h_uint, FIELD(frag_max), 0, 1u << 24},
    {"frag-timeout", 0, "SEC", "10",
     "how long a datagram is remembered; fragments that came before their first wait this "
     "long (default 10)",
     h_seconds, FIELD(frag_timeout_ms), 1},
    {"sample", 0, "N", "1",
     "account 1 packet in N (default 1: all); counters stay raw, the interval goes to the "
     "collector in options records (v5: in the header) so it can scale",
     h_uint, FIELD(sample_n), 1, 1u << 30},
    {"sample-mode", 0, "MODE", "deterministic", "deterministic (every Nth, default) or random",
     h_choice, FIELD(sample_random), .choices = sample_choices},
    {"max-flows", 'm', "N", "1048576",
     "flow entries per worker, preallocated (default 1048576); when full the least recently "
     "seen flow is exported",
     h_uint, FIELD(max_flows), 1, 1u << 30},
    SECTION("Export:"),
    {"collector", 'n', "[udp://|tcp://|tls://]HOST:PORT", NULL,
     "collector, repeatable (up to 16); IPv6 as [ADDR]:PORT; UDP unless tcp:// (IPFIX only: "
     "reconnects with backoff 1-30 s, templates at the start of every connection) or tls:// "
     "(the same over TLS, RFC 7011 section 11; the collector's certificate and name "
     "verified) (default none: flows are counted, not sent)",
     h_collector},
    {"collector-mode", 0, "MODE", "duplicate",
     "duplicate: every record to every collector (default); balance: each flow to one "
     "collector, picked by a hash of its key (both directions alike), so a tier of "
     "collectors shares the load",
     h_choice, FIELD(collector_balance), .choices = mode_choices, .needs = "collector"},
    {"tls-ca", 0, "FILE", NULL,
     "PEM CA bundle a tls:// collector's certificate must chain to (default: the system's "
     "CA store)",
     h_string, FIELD(tls_ca)},
    {"tls-cert", 0, "FILE", NULL, "PEM client certificate for mutual TLS, and", h_string,
     FIELD(tls_cert), .needs = "collector"},
    {"tls-key", 0, "FILE", NULL,
     "its key (default: in the --tls-cert file); all three are read at start, before --user "
     "drops privileges",
     h_string, FIELD(tls_key), .needs = "collector"},
    {"export-backlog", 0, "BYTES", "32M",
     "per TCP collector, messages kept while it is down or slow, sent in order when it takes "
     "them; beyond that the oldest are dropped and counted (suffix K, M, G; default 32M)",
     h_size, FIELD(export_backlog), 128 << 10, 16ull << 30},
    {"format", 0, "ipfix|nfv9|nfv5", "ipfix",
     "export protocol (default ipfix); nfv5 for legacy collectors: IPv4 only (IPv6 flows are "
     "counted as not exportable), 30 records per packet",
     h_choice, FIELD(format), .choices = format_choices},
    {"fields", 0, "LIST", NULL,
     "optional fields added to the templates, comma-separated: ingress (ingressInterface "
     "10), vlan (dot1qVlanId 243, dot1qCustomerVlanId 245), flowlabel (flowLabelIPv6 31), "
     "mpls (top three labels, 70-72), tunnel (greKey 296, layer2SegmentId 351 for VXLAN), "
     "latency (TCP client, server and application latency: v9 57554-57559 as nfdump reads "
     "them, IPFIX ntop PEN 35632 IEs 123-125 in ms, JSON in µs), all (the six above); each "
     "flow carries its first packet's values; tls (named on its own: each TCP connection's "
     "first TLS handshake: JA3, JA3S, JA4, version, cipher suite, server name, ALPN offered and "
     "chosen, the server certificate's subject, issuer and end of validity; memory: "
     "--tls-max-flows); tcp (named on its own: per direction, retransmitted packets and "
     "bytes, packets out of order, zero windows, as Wireshark's TCP analysis marks them: IPFIX "
     "ntop PEN 35632 IEs 109-112, 127, 128; 128 bytes per flow) (default none: the template "
     "every collector takes; with --decap "
     "auto: mpls,tunnel; 'none' for neither)",
     h_fields},
    {"ifindex", 0, "N[,N...]", NULL,
     "ingressInterface of the interface or capture file, or of each DPDK port in order "
     "(default: the kernel's ifindex live, 0 for a file, port id + 1 for DPDK)",
     h_ifindex},
    {"mtu", 0, "BYTES", "1500", "largest IP packet sent, headers included (default 1500)", h_uint,
     FIELD(mtu), 576, 65535},
    {"observation-domain", 0, "ID", "1", "IPFIX observation domain / v9 source id (default 1)",
     h_uint, FIELD(domain), 0, UINT32_MAX},
    {"template-interval", 0, "SEC", "20", "resend templates this often (default 20)", h_seconds,
     FIELD(template_interval_ms), 100},
    {"template-packets", 0, "N", "20", "... and every N messages (default 20)", h_uint,
     FIELD(template_packets), 1, UINT32_MAX},
    /* measured: see bench/RESULTS.md, "Export pacing" */
    {"export-rate", 0, "MSGS", "10000",
     "smoothing: messages/s per collector at least, evenly spaced; live, faster as flows "
     "arrive faster, and unpaced while the exporter falls behind; 0 = unpaced (default "
     "10000: what a collector on default socket buffers takes exactly, see the man page); a "
     "UDP collector on this host is not paced unless this is given: its socket is watched",
     h_export_rate, FIELD(export_rate), 0, 100000000},
    {"ring-size", 0, "N", "65536", "records queued per worker for the exporter (default 65536)",
     h_uint, FIELD(ring_size), 64, 1u << 26},
    {"options", 0, NULL, NULL,
     "send options records (RFC 7011 section 4: exported, ignored and not-sent totals) "
     "periodically and at exit (the default for IPFIX and v9)",
     h_options},
    /* RFC 7011 §4 wants them; nfdump 1.7 counts them as sequence failures */
    {"no-options", 0, NULL, NULL,
     "send none: for collectors that choke on them; nfdump 1.7 counts each options data "
     "record as a sequence failure (RFC 7011 counts them in the sequence)",
     h_flag, FIELD(no_options), 1},
    {"options-interval", 0, "SEC", "60", "send them this often (default 60)", h_seconds,
     FIELD(options_interval_ms), 100},
    {"json", 0, "FILE|-", NULL,
     "also write every flow record as one JSON object per line (IANA IE names, ISO 8601 "
     "times) to FILE (appended) or stdout (default off), each with its Community ID v1 "
     "(communityId)",
     h_string, FIELD(json)},
    {"json-schema", 0, "ipfix|ecs", "ipfix",
     "field names of --json: ipfix (IANA IE names, default) or ecs (Elastic Common Schema, "
     "nested, for Elasticsearch and Kibana as they are)",
     h_choice, FIELD(json_schema), .choices = json_schema_choices, .needs = "json"},
    {"community-id-seed", 0, "N", "0", "the Community ID's seed, 0-65535 (default 0)", h_uint,
     FIELD(cid_seed), 0, 65535},
    SECTION("ClickHouse:"),
    {"clickhouse", 0, "URL", NULL,
     "also insert every flow record into ClickHouse over its HTTP interface, "
     "http[s]://HOST:PORT (RowBinary batches, a backlog of --export-backlog bytes while the "
     "server is down, retried with backoff; https verified with --tls-ca or the system's CAs)",
     h_clickhouse, FIELD(clickhouse)},
    {"clickhouse-table", 0, "[DB.]NAME", "flows",
     "the table it inserts into (default flows, in the server's default database)", h_identifier,
     FIELD(clickhouse_table), 0, 1, .needs = "clickhouse|clickhouse-schema"},
    {"clickhouse-auth", 0, "FILE", NULL,
     "'user:password' on FILE's first line (else FLUXPROBE_CLICKHOUSE_USER and "
     "FLUXPROBE_CLICKHOUSE_PASSWORD, else none)",
     h_string, FIELD(clickhouse_auth), .needs = "clickhouse"},
    {"clickhouse-schema", 0, NULL, NULL,
     "print the statements that create the table (for clickhouse-client -n) and exit; with "
     "--clickhouse URL the server's version picks the address type",
     h_flag, FIELD(clickhouse_schema), 1, .flags = OPT_NO_KEY},
    {"clickhouse-cluster", 0, "NAME", NULL,
     "--clickhouse-schema: per-server tables NAME_local and a Distributed table over them",
     h_identifier, FIELD(clickhouse_cluster), .needs = "clickhouse-schema"},
    {"clickhouse-ttl", 0, "DAYS", "0",
     "--clickhouse-schema: rows expire after DAYS (ClickHouse 19.6 and later; default 0: kept)",
     h_uint, FIELD(clickhouse_ttl_days), 0, 36500, .needs = "clickhouse-schema"},
    SECTION("Flow files (nfcapd's format, for nfdump, nfsen, nfexpire):"),
    {"flow-dir", 0, "DIR", NULL,
     "also write every flow record into nfcapd files under DIR (made if missing), one per "
     "--rotate slot, named nfcapd.YYYYMMDDhhmm after the slot's start; written as "
     "nfcapd.current.PID and renamed when complete (default off)",
     h_string, FIELD(flow_dir)},
    {"rotate", 0, "SEC", "300",
     "seconds per file, as nfcapd -t; --read rotates on packet time, live on the wall clock "
     "(default 300)",
     h_uint, FIELD(rotate_s), 60, 7 * 86400, .needs = "flow-dir|pcap-dir"},
    {"subdir-layout", 0, "N", "0",
     "sub-directories as nfcapd -S: 0 none, 1 %Y/%m/%d, 2 %Y/%m/%d/%H, 3 %Y/%W/%u, 4 "
     "%Y/%W/%u/%H, 5 %Y/%j, 6 %Y/%j/%H, 7 %Y-%m-%d, 8 %Y-%m-%d/%H (default 0)",
     h_uint, FIELD(subdir_layout), 0, 8, .needs = "flow-dir"},
    {"ident", 0, "NAME", NULL, "the files' ident string, as nfcapd -I (default none)", h_string,
     FIELD(ident), .needs = "flow-dir"},
    {"compress", 0, "lz4|lzo|bz2|none", "lz4",
     "block compression of the files, as nfcapd -y, -z, -j (default lz4)", h_choice,
     FIELD(compress), .choices = compress_choices, .needs = "flow-dir"},
    {"flow-dir-max", 0, "BYTES", NULL,
     "remove the oldest files when the directory holds more (suffix K, M, G; default 0: no "
     "limit)",
     h_size, FIELD(flow_dir_max), 0, 1ull << 50, .needs = "flow-dir"},
    {"flow-dir-max-age", 0, "SEC", NULL,
     "remove files older than SEC seconds (default 0: no limit)", h_uint, FIELD(flow_dir_max_age_s),
     0, UINT32_MAX, .needs = "flow-dir"},
    SECTION("Packet store (pcap files beside the flows, indexed by flow):"),
    {"pcap-dir", 0, "DIR", NULL,
     "also keep the packets accounted in pcap files under DIR (made if missing), one per "
     "worker per --rotate slot, named pcap.YYYYMMDDhhmm.W, each with an index by flow "
     "(NAME.idx) for 'fluxprobe extract' (default off)",
     h_string, FIELD(pcap_dir)},
    {"pcap-snaplen", 0, "BYTES", "0",
     "keep the first BYTES of each packet (headers only; default 0: whole packets)", h_uint,
     FIELD(pcap_snaplen), 0, 262144, .needs = "pcap-dir"},
    {"pcap-filter", 0, "EXPR", NULL,
     "store only packets this BPF filter matches (flows still count every packet)", h_string,
     FIELD(pcap_filter), .needs = "pcap-dir"},
    {"pcap-dir-max", 0, "BYTES", NULL,
     "remove the oldest files when the directory holds more (suffix K, M, G; default 0: no "
     "limit)",
     h_size, FIELD(pcap_dir_max), 0, 1ull << 50, .needs = "pcap-dir"},
    {"pcap-buffer", 0, "BYTES", "64M",
     "each worker's buffer of packets on their way to disk (suffix K, M, G; default 64M; "
     "unused for a pcap file read with --read, whose packets are read again from it)",
     h_size, FIELD(pcap_buffer), 1 << 20, 16ull << 30, .needs = "pcap-dir"},
    SECTION("Configuration file:"),
    {"config", 'c', "FILE", NULL,
     "read options from FILE first: 'key = value' lines, one per long option (collector = "
     "127.0.0.1:2055, repeatable like the option; quiet = yes), '#' comments, 'eal = ...' for "
     "the DPDK EAL arguments. The command line overrides the file (a --collector given "
     "there replaces the file's list). SIGHUP re-reads it and applies a changed collector "
     "list without losing packets or flows.",
     h_config, .flags = OPT_NO_KEY},
    SECTION("Output:"),
    {"summary", 0, "json", NULL, "print one JSON object of counters on stdout at exit", h_choice,
     FIELD(summary_json), .choices = summary_choices},
    {"stats-interval", 0, "SEC", NULL,
     "statistics line every SEC, 0 = off (default 1 when stderr is a terminal: one line "
     "refreshed in place; else 60: plain lines, in syslog with --daemon); with --read it "
     "starts with how far the file is",
     h_seconds, FIELD(stats_interval_ms), 0},
    {"quiet", 'q', NULL, NULL, "no log lines except errors, no statistics line", h_flag,
     FIELD(quiet), 1},
    {"log-level", 0, "LEVEL", NULL, "err, warning, notice, info or debug (default info)",
     h_log_level},
    {"daemon", 0, NULL, NULL,
     "run in the background, log to syslog; the command returns once capture runs (0) or "
     "failed (1)",
     h_flag, FIELD(daemon), 1},
    {"pidfile", 0, "FILE", NULL, "write the process id to FILE (removed at exit)", h_string,
     FIELD(pidfile)},
    {"metrics", 0, "[HOST:]PORT", NULL,
     "serve Prometheus metrics at http://HOST:PORT/metrics (default off; a bare PORT binds "
     "to 127.0.0.1)",
     h_string, FIELD(metrics)},
    {"help", 'h', NULL, NULL, "this text", h_help, .flags = OPT_NO_KEY},
    {"version", 'V', NULL, NULL, "print the version", h_version, .flags = OPT_NO_KEY},
};
#pragma GCC diagnostic pop
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* getopt's array and short-option string, made from the table once. */
static struct option long_opts[N_OPTS + 1];
static char short_opts[2 * N_OPTS + 3];

static void build_getopt_tables(void)
{
	size_t n = 0, k = 0;
	if (long_opts[0].name)
		return;
	short_opts[k++] = '+'; /* stop at the first word that is not an option: filter words */
	short_opts[k++] = ':'; /* a missing value returns ':' */
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *o = &opts[i];
		if (o->name == NULL)
			continue;
		int val = o->short_name ? o->short_name : 256 + (int)i;
		int has = !o->arg			  ? no_argument
			  : (o->flags & OPT_OPTIONAL_ARG) ? optional_argument
							  : required_argument;
		long_opts[n++] = (struct option){o->name, has, NULL, val};
		if (o->short_name) {
			short_opts[k++] = (char)o->short_name;
			if (o->arg)
				short_opts[k++] = ':';
		}
	}
}

/* The row getopt_long's return value stands for, or NULL. */
static const struct opt_def *opt_by_val(int c)
{
	if (c >= 256 && (size_t)(c - 256) < N_OPTS)
		return &opts[c - 256];
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].name && opts[i].short_name == c)
			return &opts[i];
	return NULL;
}

static const struct opt_def *opt_by_name(const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].name && strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

/* Help text from column 31, words wrapped before column 80 ("(default N" kept whole); a prefix
 * too long for the column puts the text on the next line. */
static void usage_row(FILE *out, const char *prefix, const char *text)
{
	enum { COL = 31, WIDTH = 80 };
	int col = fprintf(out, "%s", prefix);
	if (col >= COL) {
		fputc('\n', out);
		col = 0;
	}
	fprintf(out, "%*s", COL - col, "");
	col = COL;
	for (const char *p = text; *p;) {
		if (*p == '\n') {
			fprintf(out, "\n%*s", COL, "");
			col = COL;
			p++;
			continue;
		}
		size_t w = strcspn(p, " \n");
		if (w == 8 && strncmp(p, "(default ", 9) == 0) /* "(default N" stays on one line */
			w += 1 + strcspn(p + 9, " \n");
		if (col > COL && col + 1 + (int)w >= WIDTH) {
			fprintf(out, "\n%*s", COL, "");
			col = COL;
		} else if (col > COL) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, w, out);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: fluxprobe (--read FILE | --interface IFACE) [options] [BPF filter]\n"
		"       fluxprobe --dpdk [options] -- EAL-OPTIONS\n"
		"       fluxprobe extract --pcap-dir DIR (--community-id ID |\n"
		"                 --flow 'PROTO SRC:PORT DST:PORT') [--from TIME] [--to TIME]\n"
		"                 -w FILE   (one flow's packets: fluxprobe extract --help)\n"
		"Turns packets into flows and exports them as IPFIX, NetFlow v9 or v5 over UDP,\n"
		"or IPFIX over TCP, and as JSON lines.\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *o = &opts[i];
		char prefix[96];
		if (o->name == NULL) {
			fprintf(out, "\n%s\n", o->help);
			continue;
		}
		if (o->short_name)
			snprintf(prefix, sizeof(prefix), "  -%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else if (o->flags & OPT_OPTIONAL_ARG)
			snprintf(prefix, sizeof(prefix), "      --%s [%s]", o->name, o->arg);
		else
			snprintf(prefix, sizeof(prefix), "      --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		usage_row(out, prefix, o->help);
	}
	fprintf(out,
		"\n"
		"Signals: SIGINT/SIGTERM stop (every flow is exported first; a second: unpaced,\n"
		"a third: at once); SIGUSR1 prints one statistics line on stderr; SIGHUP\n"
		"re-reads the collector list (--config) and reopens the --json file.\n");
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
	const struct opt_def *o = opt_by_name(name);
	if (o == NULL || (o->flags & OPT_NO_KEY)) {
		snprintf(fa->err, sizeof(fa->err), "unknown key '%s'", name);
		return 0;
	}
	char *arg = NULL;
	/* an optional value as yes/no ("dedup = yes"): the option with its default, or not; a
	 * number is the value itself */
	int optional_word = (o->flags & OPT_OPTIONAL_ARG) && !isdigit((unsigned char)value[0]) &&
			    parse_bool(value) >= 0;
	if (o->arg == NULL || optional_word) { /* a flag, or "dedup = yes": its default value */
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
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].name && strcmp(opts[i].name, "config") != 0 &&
		    strncmp(opts[i].name, name, n) == 0)
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

/* Every row's default, through its own handler. */
static void apply_defaults(struct fp_config *cfg)
{
	struct parse_state scratch = {0};
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].name && opts[i].def && opts[i].fn(cfg, &scratch, &opts[i], opts[i].def))
			abort(); /* a default the table's own handler refuses: a bug */
	cfg->promisc = 1;
	cfg->stats_interval_ms = isatty(STDERR_FILENO) ? 1000 : 60000;
	cfg->log_level = -1; /* info, or err with --quiet */
}

/* What one option implies for another, and combinations that cannot work. 0 or -1 (logged). */
static int check_combinations(struct fp_config *cfg, const struct parse_state *st)
{
	for (unsigned i = 0; i < cfg->n_collectors; i++)
		if (cfg->collectors[i].proto == FP_PROTO_TCP && cfg->format != FP_FORMAT_IPFIX) {
			fp_log(LOG_ERR,
			       "--collector %s: TCP and TLS export are IPFIX only (NetFlow %s is "
			       "defined over UDP); use --format ipfix",
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
	if (cfg->decap && !st->fields_given && cfg->format != FP_FORMAT_NFV5)
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
		if (st->options_requested && !cfg->no_options) {
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
	return 0;
}

/* --dpdk: our options, then "--", then the EAL's (DPDK's convention). */
static int check_dpdk(struct fp_config *cfg, int argc, char **argv, int nwords)
{
	if (cfg->workers > 1) {
		fp_log(LOG_ERR, "--workers: with --dpdk every lcore but the main one is a worker "
				"(EAL -l / --lcores)");
		return -1;
	}
	if (nwords) {
		fp_log(LOG_ERR, "unexpected argument '%s' (EAL options go after '--')",
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
		fp_log(LOG_ERR, "--user/--group: the DPDK backend keeps the privileges its drivers "
				"need (run it under a dedicated account with the VFIO and hugepage "
				"permissions instead)");
		return -1;
	}
	if (cfg->read_file || cfg->interface || cfg->filter) {
		fp_log(LOG_ERR, "--dpdk captures from DPDK ports: --read, --interface and BPF "
				"filters do not apply (use --vdev net_pcap0,rx_pcap=FILE to read a "
				"file through DPDK)");
		return -1;
	}
	return 0;
}

/* libpcap: the BPF filter from the words among and after the options, settings that do not
 * apply said (a file written for another mode may carry them), one source. */
static int check_pcap(struct fp_config *cfg, const struct parse_state *st, int argc, char **argv,
		      int nwords)
{
	if (cfg->dpi && !st->snaplen_given)
		cfg->snaplen = 65535; /* a TLS ClientHello, an HTTP request: whole */
	/* a packet store keeps whole packets unless told otherwise (--pcap-snaplen, or a
	 * --snaplen given for the capture itself): the flows' 256 bytes would cut a 1500-byte
	 * packet to a fifth */
	if (cfg->pcap_dir && !st->snaplen_given)
		cfg->snaplen = 262144;
	if (st->snaplen_given && cfg->read_file)
		fp_log(LOG_WARNING, "--snaplen: ignored with --read (the file's own snap length "
				    "applies)");
	if (st->dpdk_only)
		fp_log(LOG_WARNING, "--%s: ignored without --dpdk", st->dpdk_only->name);
	for (int i = optind; i < argc; i++) /* after "--": filter words too */
		cfg->filter_words[nwords++] = argv[i];
	if (nwords) {
		if (st->cmdline_filter) {
			fp_log(LOG_ERR, "give the BPF filter either with --filter or as trailing "
					"arguments, not both");
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
		fp_log(LOG_ERR, "give exactly one of --read FILE, --interface IFACE or --dpdk (see "
				"--help)");
		return -1;
	}
	return 0;
}

/* Parse argv, of which argv[1..nfile] came from the config file. */
/* Options that mean nothing without another (`needs`): refused when the command line gives
 * them, said when a configuration file does (one file may serve several set-ups). */
static int check_needs(const struct parse_state *st)
{
	static_assert(N_OPTS <= sizeof(st->given), "a given flag per option row");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *o = &opts[i];
		if (!st->given[i] || o->needs == NULL)
			continue;
		int met = 0;
		for (size_t k = 0; k < N_OPTS && !met; k++) {
			const char *n = opts[k].name, *p = o->needs;
			size_t len = n ? strlen(n) : 0;
			while (n && !met && p) {
				met = st->given[k] && strncmp(p, n, len) == 0 &&
				      (p[len] == '\0' || p[len] == '|');
				p = strchr(p, '|');
				p = p ? p + 1 : NULL;
			}
		}
		if (met)
			continue;
		char want[96];
		snprintf(want, sizeof(want), "--%s", o->needs);
		for (char *p = strchr(want, '|'); p; p = strchr(p + 6, '|')) {
			memmove(p + 6, p + 1, strlen(p + 1) + 1);
			memcpy(p, " or --", 6);
		}
		if (st->given[i] == 2) {
			fp_log(LOG_ERR, "--%s needs %s: without it, it would do nothing", o->name,
			       want);
			return -1;
		}
		fp_log(LOG_WARNING, "--%s (configuration file): ignored without %s", o->name, want);
	}
	return 0;
}

static int parse_args(struct fp_config *cfg, int argc, char **argv, int nfile)
{
	struct parse_state st = {0};
	int nwords = 0;

	build_getopt_tables();
	apply_defaults(cfg);
	/* The BPF filter's words may stand among the options (`--read F udp --summary json`): each
	 * non-option word before "--" is kept for the filter and the scan goes on past it. */
	cfg->filter_words = calloc((size_t)argc + 1, sizeof(char *));
	if (cfg->filter_words == NULL)
		return -1;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then resets its state too (SIGHUP parses again) */
	for (;;) {
		int c = getopt_long(argc, argv, short_opts, long_opts, NULL);
		if (c == -1) {
			if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
				cfg->filter_words[nwords++] = argv[optind++];
				continue;
			}
			break;
		}
		/* The file's arguments are single "--key=value" words: remember which failed. */
		cfg->failed_arg = optind - 1;
		st.from_cmdline = optind - 1 > nfile;
		const struct opt_def *o = opt_by_val(c);
		if (c == ':') {
			fp_log(LOG_ERR, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		}
		if (o == NULL) {
			fp_log(LOG_ERR, "unknown option '%s' (see --help)", argv[optind - 1]);
			return -1;
		}
		const char *arg = optarg;
		/* an optional value given as the next word (--dedup 16), when it is a number */
		if (o && (o->flags & OPT_OPTIONAL_ARG) && arg == NULL && optind < argc &&
		    argv[optind][0] >= '0' && argv[optind][0] <= '9' &&
		    argv[optind][strspn(argv[optind], "0123456789")] == '\0')
			arg = argv[optind++];
		int rc = o->fn(cfg, &st, o, arg);
		if (rc != 0)
			return rc;
		st.given[o - opts] = st.from_cmdline ? 2 : 1;
	}
	if (check_needs(&st) != 0)
		return -1;
	if (cfg->clickhouse_schema)
		return 2; /* the sink modules print their set-up (fp_sink_modules_print_setup): no
			     capture */
	if (check_combinations(cfg, &st) != 0)
		return -1;
	if (cfg->dpdk)
		return check_dpdk(cfg, argc, argv, nwords);
	return check_pcap(cfg, &st, argc, argv, nwords);
}

void fp_config_free(struct fp_config *cfg)
{
	free(cfg->local_nets);
	cfg->local_nets = NULL;
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
