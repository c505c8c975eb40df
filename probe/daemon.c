/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef FP_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

static int ready_fd = -1; /* the child's end of the pipe its parent waits on */

int fp_daemon_start(void)
{
	int p[2];
	if (pipe(p) != 0) {
		fp_log(LOG_ERR, "--daemon: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fp_log(LOG_ERR, "--daemon: fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		/* The parent's exit status says whether the daemon came up. */
		char c;
		close(p[1]);
		ssize_t n = read(p[0], &c, 1);
		if (n != 1)
			fprintf(stderr,
				"fluxprobe: the daemon did not start (see the system log)\n");
		_exit(n == 1 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0)
		fp_log(LOG_WARNING, "--daemon: setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		fp_log(LOG_WARNING, "--daemon: chdir /: %s", strerror(errno));
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

void fp_daemon_ready(void)
{
	if (ready_fd >= 0) {
		if (write(ready_fd, "1", 1) != 1)
			fp_log(LOG_WARNING, "--daemon: could not tell the parent we run");
		close(ready_fd);
		ready_fd = -1;
	}
	fp_daemon_notify("READY=1");
}

void fp_daemon_notify(const char *state)
{
#ifdef FP_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

int fp_pidfile_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fp_log(LOG_ERR, "--pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	int ok = write(fd, buf, (size_t)n) == n;
	close(fd);
	if (!ok) {
		fp_log(LOG_ERR, "--pidfile %s: write failed", path);
		return -1;
	}
	return 0;
}

void fp_pidfile_remove(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
		fp_log(LOG_WARNING, "--pidfile %s: not removed: %s", path, strerror(errno));
}
