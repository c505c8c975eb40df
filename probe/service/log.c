/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"
#include "daemon.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_level = LOG_INFO;
static int log_syslog;
static int status_shown; /* a refreshing status line is on the terminal */

void fp_log_setup(int level, int use_syslog)
{
	log_level = level;
	if (use_syslog && !log_syslog)
		openlog("fluxprobe", LOG_PID, LOG_DAEMON);
	log_syslog = use_syslog;
}

int fp_log_to_syslog(void)
{
	return log_syslog;
}

int fp_log_enabled(int prio)
{
	return prio <= log_level;
}

void fp_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(prio, "%s", line);
		if (prio <= LOG_ERR)
			fp_daemon_relay(line); /* a daemon not up yet: its parent's terminal too */
		return;
	}
	if (status_shown)
		fputs("\r\033[K", stderr); /* the status line gives way; the next one returns */
	status_shown = 0;
	fprintf(stderr, "fluxprobe: %s\n", line);
}

void fp_log_status(const char *line, int keep)
{
	if (log_syslog) {
		syslog(LOG_INFO, "%s", line);
	} else if (!keep && isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r\033[K%s", line);
		status_shown = 1;
	} else {
		fprintf(stderr, "%s%s\n", status_shown ? "\r\033[K" : "", line);
		status_shown = 0;
	}
}

void fp_log_status_end(void)
{
	if (status_shown && !log_syslog)
		fputs("\n", stderr);
	status_shown = 0;
}

int fp_log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
	    {"err", LOG_ERR},	    {"error", LOG_ERR}, {"warning", LOG_WARNING},
	    {"notice", LOG_NOTICE}, {"info", LOG_INFO}, {"debug", LOG_DEBUG},
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(name, levels[i].name) == 0)
			return levels[i].level;
	return -1;
}

const char *fp_log_size(char *buf, size_t len, uint64_t bytes)
{
	if (bytes < 1000)
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
	else if (bytes < 1000000)
		snprintf(buf, len, "%.1f kB", (double)bytes / 1e3);
	else if (bytes < 1000000000)
		snprintf(buf, len, "%.1f MB", (double)bytes / 1e6);
	else
		snprintf(buf, len, "%.2f GB", (double)bytes / 1e9);
	return buf;
}
