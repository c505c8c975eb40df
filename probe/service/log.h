/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log lines, never on the packet path: to stderr ("fluxprobe: ...") in the foreground, to syslog
 * (the journal under systemd) once daemonized. Priorities are syslog's (LOG_ERR ... LOG_DEBUG);
 * lines above the chosen level are dropped. Any thread (one write per line).
 */
#ifndef FP_LOG_H
#define FP_LOG_H

#include <stddef.h>
#include <stdint.h>

#include <syslog.h>

/* Main thread, before other threads start. `level` is the highest priority value printed. */
void fp_log_setup(int level, int use_syslog);

/* Do lines go to syslog? */
int fp_log_to_syslog(void);

/* Is a line of priority `prio` printed? */
int fp_log_enabled(int prio);

/* One line, without its newline. */
void fp_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The statistics line: on a terminal one line refreshed in place (unless `keep`, as for
 * SIGUSR1), elsewhere one plain line each time, in syslog at LOG_INFO. Main thread. */
void fp_log_status(const char *line, int keep);
/* End the refreshing line (a newline) before the process prints its last lines. */
void fp_log_status_end(void);

/* "err", "warning", "notice", "info", "debug" to LOG_*; -1 if none. */
int fp_log_level_parse(const char *name);

/* `bytes` for a person: "512 bytes", "12.3 kB", "4.0 MB", "1.50 GB" (decimal units, as df -H).
 * Returns `buf`. Any thread. */
const char *fp_log_size(char *buf, size_t len, uint64_t bytes);

#endif
