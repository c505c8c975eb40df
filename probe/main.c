/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fluxprobe: init in a straight line, unwind in reverse with goto labels.
 * Threads: main (signals, statistics, summary), one worker per capture source, one exporter.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-qsbr.h>

#include "capture.h"
#include "config.h"
#include "exporter.h"
#include "worker.h"

static volatile int stop;
static struct fp_capture *signal_cap;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
	if (signal_cap && signal_cap->ops)
		signal_cap->ops->brk(signal_cap);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_summary(FILE *out, const struct fp_config *cfg, struct fp_worker *workers,
			  unsigned nw, const struct fp_exporter *x, const struct fp_capture_stats *cs,
			  double seconds)
{
	struct fp_worker_stats sum = {0};
	struct fp_table_stats tsum = {0};
	struct fp_exporter_stats xs;
	struct fp_worker_stats ws[nw];

	for (unsigned w = 0; w < nw; w++) {
		struct fp_table_stats ts;
		fp_worker_stats_read(&workers[w], &ws[w]);
		fp_table_stats_read(workers[w].table, &ts);
		const uint64_t *a = (const uint64_t *)&ws[w];
		uint64_t *s = (uint64_t *)&sum;
		for (size_t i = 0; i < sizeof(sum) / 8; i++)
			s[i] += a[i];
		const uint64_t *ta = (const uint64_t *)&ts;
		uint64_t *tsp = (uint64_t *)&tsum;
		for (size_t i = 0; i < sizeof(tsum) / 8; i++)
			tsp[i] += ta[i];
	}
	fp_exporter_stats_read(x, &xs);
	uint64_t parse_errors = 0;
	for (int r = FP_PARSE_NOT_IP + 1; r < FP_PARSE_NRESULTS; r++)
		parse_errors += sum.parse[r];

	fprintf(out, "{\"source\":\"%s\",\"format\":\"%s\",\"seconds\":%.3f,", 
		cfg->read_file ? "file" : "interface",
		cfg->format == FP_FORMAT_IPFIX ? "ipfix" : "nfv9", seconds);
	fprintf(out, "\"capture_seconds\":%.3f,", workers[0].capture_seconds);
	fprintf(out, "\"frames\":%lu,\"packets\":%lu,\"bytes\":%lu,\"not_ip\":%lu,",
		(unsigned long)sum.frames, (unsigned long)sum.packets, (unsigned long)sum.bytes,
		(unsigned long)sum.parse[FP_PARSE_NOT_IP]);
	fprintf(out, "\"parse_errors\":%lu,\"parse_errors_by_reason\":{", (unsigned long)parse_errors);
	for (int r = FP_PARSE_NOT_IP + 1, first = 1; r < FP_PARSE_NRESULTS; r++, first = 0)
		fprintf(out, "%s\"%s\":%lu", first ? "" : ",",
			fp_parse_result_name((enum fp_parse_result)r), (unsigned long)sum.parse[r]);
	fprintf(out, "},\"flows_created\":%lu,\"flows_active\":%lu,\"records\":{",
		(unsigned long)tsum.flows_created, (unsigned long)tsum.active);
	for (int r = FP_END_IDLE, first = 1; r < FP_END_NREASONS; r++, first = 0)
		fprintf(out, "%s\"%s\":%lu", first ? "" : ",",
			fp_end_reason_name((enum fp_end_reason)r), (unsigned long)tsum.records[r]);
	fprintf(out, "},\"records_dropped\":%lu,\"bucket_evictions\":%lu,",
		(unsigned long)tsum.records_dropped, (unsigned long)tsum.bucket_evictions);
	fprintf(out, "\"records_exported\":%lu,\"records_exported_ipv4\":%lu,"
		     "\"records_exported_ipv6\":%lu,\"packets_exported\":%lu,\"bytes_exported\":%lu,",
		(unsigned long)xs.records_exported, (unsigned long)xs.records_by_family[0],
		(unsigned long)xs.records_by_family[1], (unsigned long)xs.packets_exported,
		(unsigned long)xs.octets_exported);
	fprintf(out, "\"messages\":%lu,\"template_messages\":%lu,\"collectors\":[",
		(unsigned long)xs.messages, (unsigned long)xs.template_messages);
	for (unsigned i = 0; i < cfg->n_collectors; i++) {
		const struct fp_collector *c = &cfg->collectors[i];
		fprintf(out, "%s{\"collector\":\"%s\",\"messages\":%lu,\"bytes\":%lu,\"send_errors\":%lu}",
			i ? "," : "", c->name, (unsigned long)c->sent_msgs,
			(unsigned long)c->sent_bytes, (unsigned long)c->send_errors);
	}
	fprintf(out, "],\"capture\":{\"received\":%lu,\"dropped\":%lu,\"if_dropped\":%lu},",
		(unsigned long)cs->received, (unsigned long)cs->dropped,
		(unsigned long)cs->if_dropped);
	fprintf(out, "\"workers\":[");
	for (unsigned w = 0; w < nw; w++)
		fprintf(out, "%s{\"worker\":%u,\"packets\":%lu,\"bytes\":%lu,\"ring_full_waits\":%lu}",
			w ? "," : "", w, (unsigned long)ws[w].packets, (unsigned long)ws[w].bytes,
			(unsigned long)ws[w].ring_full_waits);
	fprintf(out, "]}\n");
}

int main(int argc, char **argv)
{
	struct fp_config cfg;
	struct fp_capture cap = {0};
	static struct fp_worker worker;
	static struct fp_exporter exporter;
	struct fp_capture_stats cs = {0};
	int rc = EXIT_FAILURE;
	unsigned opened = 0;

	int prc = fp_config_parse(&cfg, argc, argv);
	if (prc != 0) {
		fp_config_free(&cfg);
		return prc > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	for (; opened < cfg.n_collectors; opened++) {
		int e = fp_collector_open(&cfg.collectors[opened]);
		if (e) {
			fprintf(stderr, "fluxprobe: collector %s: %s\n", cfg.collectors[opened].name,
				strerror(-e));
			goto out_collectors;
		}
	}
	if (fp_capture_pcap_open(&cap, cfg.read_file, cfg.interface, cfg.filter, cfg.snaplen,
				 cfg.promisc) != 0)
		goto out_collectors;

	struct fp_table_config tcfg = {
		.max_flows = cfg.max_flows,
		.idle_ms = cfg.idle_ms,
		.active_ms = cfg.active_ms,
		.fin_ms = cfg.fin_ms,
	};
	if (fp_worker_init(&worker, 0, &cap, &tcfg, cfg.ring_size, &stop) != 0)
		goto out_capture;
	fp_exporter_init(&exporter, &cfg, &worker, 1, cap.offline);

	signal_cap = &cap;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!cfg.quiet)
		fprintf(stderr, "fluxprobe: %s %s → %u collector(s), %s, %u flows/worker\n",
			cfg.read_file ? "reading" : "capturing on",
			cfg.read_file ? cfg.read_file : cfg.interface, cfg.n_collectors,
			cfg.format == FP_FORMAT_IPFIX ? "IPFIX" : "NetFlow v9", cfg.max_flows);

	double t0 = mono_s();
	if (fp_exporter_start(&exporter) != 0)
		goto out_worker;
	if (fp_worker_start(&worker) != 0) {
		stop = 1;
		worker.done = 1;
		pthread_join(exporter.thread, NULL);
		goto out_worker;
	}
	pthread_join(worker.thread, NULL);
	pthread_join(exporter.thread, NULL);
	double seconds = mono_s() - t0;

	/* No reader may still hold the table when it is freed (readers run under QSBR). */
	urcu_qsbr_synchronize_rcu();
	cap.ops->stats(&cap, &cs);
	if (cfg.summary_json)
		print_summary(stdout, &cfg, &worker, 1, &exporter, &cs, seconds);
	if (!cfg.quiet) {
		struct fp_exporter_stats xs;
		fp_exporter_stats_read(&exporter, &xs);
		fprintf(stderr, "fluxprobe: %lu packets, %lu records exported in %lu messages, %.2f s\n",
			(unsigned long)worker.st.packets, (unsigned long)xs.records_exported,
			(unsigned long)xs.messages, seconds);
		for (unsigned i = 0; i < cfg.n_collectors; i++)
			if (cfg.collectors[i].send_errors)
				fprintf(stderr, "fluxprobe: collector %s: %lu send errors (last: %s)\n",
					cfg.collectors[i].name,
					(unsigned long)cfg.collectors[i].send_errors,
					strerror(cfg.collectors[i].last_errno));
	}
	/* Everything counted was exported either way; a capture that failed still says so. */
	rc = worker.failed ? EXIT_FAILURE : EXIT_SUCCESS;
out_worker:
	fp_worker_fini(&worker);
out_capture:
	signal_cap = NULL;
	cap.ops ? cap.ops->close(&cap) : (void)0;
out_collectors:
	while (opened > 0)
		fp_collector_close(&cfg.collectors[--opened]);
	fp_config_free(&cfg);
	return rc;
}
