/* SPDX-License-Identifier: BSD-3-Clause */
/* The one configuration struct, filled by one parser (config.c) and read-only afterwards. */
#ifndef FP_CONFIG_H
#define FP_CONFIG_H

#include <stdint.h>

#include "fp_dedup.h"
#include "fp_encode.h"
#include "fp_geo.h"
#include "fp_localnet.h"
#include "fp_transport.h"

#define FP_MAX_COLLECTORS 16
#define FP_MAX_EAL_ARGS 64
#define FP_MAX_PORTS 16
#define FP_MAX_WORKERS 64 /* = FP_DPDK_MAX_WORKERS */

struct fp_config {
	const char *read_file;
	const char *interface;
	char *filter; /* BPF expression, or NULL */
	struct fp_collector collectors[FP_MAX_COLLECTORS];
	unsigned n_collectors;
	enum fp_format format;
	uint32_t idle_ms;
	uint32_t active_ms;
	uint32_t fin_ms;
	uint32_t max_flows;
	unsigned mtu;
	uint32_t domain;
	uint32_t template_interval_ms;
	uint32_t template_packets;
	uint32_t export_rate;  /* smoothing floor, messages per second per collector; 0 = unpaced */
	int export_rate_given; /* set by the user: collectors on this host are paced too */
	int collector_balance; /* --collector-mode balance: each flow to one collector */
	char **filter_words;   /* parse-time scratch: the BPF filter's words among the options */
	size_t export_backlog; /* bytes queued per TCP collector */
	uint32_t ring_size;
	int snaplen;
	const char *interfaces[FP_MAX_PORTS]; /* -i, repeatable; `interface` is the first */
	unsigned n_interfaces;
	uint32_t workers;	 /* --workers: per interface, sockets in one fanout group each */
	uint32_t capture_buffer; /* --capture-buffer: kernel ring bytes per socket */
	uint32_t cpus[FP_MAX_WORKERS]; /* --cpus: worker i runs on cpus[i] */
	unsigned n_cpus;
	int promisc;
	int summary_json;
	int quiet;
	int log_level; /* syslog priority: lines up to this one are printed */
	int daemon;    /* fork into the background, log to syslog */
	const char *pidfile;
	const char *tls_ca;	/* --tls-ca FILE: CA bundle for tls:// collectors, or NULL */
	const char *tls_cert;	/* --tls-cert FILE: client certificate (mutual TLS), or NULL */
	const char *tls_key;	/* --tls-key FILE: its key (default: in tls_cert) */
	const char *json;	/* --json FILE|-: flow records as JSON lines, or NULL */
	int json_schema;	/* --json-schema: 0 ipfix, 1 ecs */
	const char *clickhouse; /* --clickhouse URL, or NULL */
	const char *clickhouse_table;
	const char *clickhouse_auth;
	const char *clickhouse_cluster;
	uint32_t clickhouse_ttl_days;
	int clickhouse_schema;	     /* print the schema and exit */
	const char *flow_dir;	     /* --flow-dir DIR: nfcapd files, or NULL */
	uint32_t rotate_s;	     /* --rotate: seconds per file */
	uint32_t subdir_layout;	     /* --subdir-layout: nfcapd -S */
	const char *ident;	     /* --ident: the files' ident */
	int compress;		     /* --compress: enum fp_nf_compress */
	uint64_t flow_dir_max;	     /* --flow-dir-max bytes; 0 = no limit */
	uint32_t flow_dir_max_age_s; /* --flow-dir-max-age; 0 = no limit */
	const char *pcap_dir;	     /* --pcap-dir DIR: the packet store, or NULL */
	uint32_t pcap_snaplen;	     /* bytes kept of each packet; 0 = whole */
	const char *pcap_filter;     /* BPF: only what matches is stored */
	uint64_t pcap_dir_max;	     /* bytes; 0 = no limit */
	uint64_t pcap_buffer;	     /* each worker's queue to the writer */
	uint16_t cid_seed;   /* --community-id-seed: the Community ID's seed on JSON lines */
	const char *metrics; /* [HOST:]PORT of the Prometheus endpoint, or NULL */
	int no_options;	     /* no IPFIX/v9 options records */
	uint32_t options_interval_ms;
	int decap;		/* --decap auto: the innermost IP packet is the flow */
	uint32_t frag_max;	/* fragment cache entries per worker; 0 = off */
	int biflow;		/* --biflow: RFC 5103 records, IPFIX only */
	int dpi;		/* --dpi: nDPI classification and names */
	uint32_t dpi_max_flows; /* --dpi-max-flows per worker */
	uint32_t tls_max_flows; /* --tls-max-flows per worker */
	uint32_t dpi_packets;	/* --dpi-packets per flow */
	unsigned fields;	/* --fields: optional template groups (enum fp_field_group) */
	struct fp_localnets *local_nets;     /* --local-net, or NULL */
	uint32_t dedup;			     /* --dedup WINDOW: packets compared; 0 off */
	const char *geoip[FP_GEO_FILES_MAX]; /* --geoip: MaxMind DB files */
	unsigned n_geoip;
	unsigned geoip_kinds; /* enum fp_geo_kind of those files (their metadata) */
	uint32_t payload; /* --payload BYTES: the first transport payload kept each way; 0 off */
	uint32_t ifindex[FP_MAX_PORTS]; /* --ifindex: per interface / DPDK port, in order */
	unsigned n_ifindex;
	uint32_t frag_timeout_ms;
	uint32_t sample_n;    /* --sample N: 1-in-N packet sampling; 1 = every packet */
	int sample_random;    /* --sample-mode random */
	const char *user;     /* drop to this user after opening the capture */
	const char *group;    /* ... and this group (default: the user's) */
	uint64_t count;	      /* stop after this many frames (all workers together); 0 = no limit */
	uint32_t duration_ms; /* stop after this long; 0 = no limit */
	uint32_t stats_interval_ms; /* live statistics line; 0 = off */
	/* DPDK */
	int dpdk;
	uint16_t ports[FP_MAX_PORTS];
	unsigned n_ports;
	uint32_t mbufs;	    /* 0 = derived from queues and descriptors */
	uint32_t mbuf_size; /* data room per mbuf */
	uint32_t rx_desc;
	int eal_argc;
	char *eal_argv[FP_MAX_EAL_ARGS];
	/* Config file (--config): the path, and the strings made from it that options point to */
	const char *config_file;
	char **owned_argv, **owned_args, **owned_eal;
	int n_owned_args, n_owned_eal;
	int failed_arg; /* argv index of the option being parsed (to name a file line) */
};

/*
 * Parse argv (after the --config file's options, if any) into `cfg`. Main thread; SIGHUP calls
 * it again on a fresh struct. Returns 0 to run, 1 when --help/--version printed and the process
 * should exit 0, -1 after printing an error that names the option.
 */
int fp_config_parse(struct fp_config *cfg, int argc, char **argv);
void fp_config_free(struct fp_config *cfg);

/* The record's optional rows this run writes (enum fp_field_group): --fields, with
 * FP_FIELD_APP under --dpi and FP_FIELD_DIRECTION under --local-net. */
unsigned fp_config_groups(const struct fp_config *cfg);

/* `path` made absolute against the current directory (malloc'd; NULL when out of memory). */
char *fp_config_abs_path(const char *path);

/* --daemon leaves the current directory: from now on SIGHUP re-reads the configuration file by
 * its absolute path. Main thread, before fp_daemon_start(). 0 or -1. */
int fp_config_pin_path(const struct fp_config *cfg);

#endif
