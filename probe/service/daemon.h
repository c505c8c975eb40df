/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running as a service: --daemon (fork, new session, stdio on /dev/null, log to syslog; the
 * parent exits only once the child runs, with its status), --pidfile, and systemd's readiness
 * protocol (Type=notify) when NOTIFY_SOCKET is set. Main thread only.
 */
#ifndef FP_DAEMON_H
#define FP_DAEMON_H

/* Fork into the background before any thread exists. Returns 0 in the child, -1 on failure
 * (logged); the parent never returns. */
int fp_daemon_start(void);

/* The child, until it is ready: an error line for the waiting parent's terminal (fp_log calls
 * it; syslog has it too). */
void fp_daemon_relay(const char *line);

/* Tell the parent (and systemd) that capture runs. */
void fp_daemon_ready(void);

/* systemd status notes: "STOPPING=1", "RELOADING=1", "READY=1"; no-op without systemd. */
void fp_daemon_notify(const char *state);

/* Write our pid to `path` (created 0644) and hold a lock on it until fp_pidfile_remove(): -1
 * (logged) when that fails or another instance holds it. */
int fp_pidfile_write(const char *path);
void fp_pidfile_remove(const char *path);

#endif
