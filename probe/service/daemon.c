/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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
		/* The parent's exit status says whether the daemon came up; the child's error
		 * lines before that come through the pipe too, for the terminal (fp_log). */
		char buf[4096];
		ssize_t n;
		int up = 0, said = 0;
		close(p[1]);
		while (!up && (n = read(p[0], buf, sizeof(buf))) > 0) {
			char *one = memchr(buf, 1, (size_t)n);
			up = one != NULL;
			if (one)
				n = one - buf;
			said |= n > 0;
			if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
				break;
		}
		if (!up && !said)
			fprintf(stderr,
				"fluxprobe: the daemon did not start (see the system log)\n");
		_exit(up ? EXIT_SUCCESS : EXIT_FAILURE);
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
		if (write(ready_fd, "\1", 1) != 1)
			fp_log(LOG_WARNING, "--daemon: could not tell the parent we run");
		close(ready_fd);
		ready_fd = -1;
	}
	fp_daemon_notify("READY=1");
}

/*
 * systemd's readiness protocol (sd_notify(3)): one datagram holding the state, sent to the unix
 * socket $NOTIFY_SOCKET names ('@' first: the abstract namespace); systemd's socket has
 * SO_PASSCRED, so the kernel adds who sent it. Done here rather than through libsystemd, whose
 * library and what it pulls in cost every start of fluxprobe ~3 ms for this one call.
 */
void fp_daemon_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n < 2 || n >= sizeof(a.sun_path)) {
		fp_log(LOG_WARNING, "NOTIFY_SOCKET '%s': not a usable socket name", path);
		return;
	}
	memcpy(a.sun_path, path, n);
	if (path[0] == '@')
		a.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&a,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		fp_log(LOG_WARNING, "NOTIFY_SOCKET %s: cannot send %s: %s", path, state,
		       strerror(errno));
	if (fd >= 0)
		close(fd);
}

void fp_daemon_relay(const char *line)
{
	if (ready_fd < 0)
		return;
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), "fluxprobe: %s\n", line);
	if (n > 0 && write(ready_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1))
		return;
}

/* The pid file stays open and locked while we run: a second instance is refused instead of
 * overwriting it, and a file left by a crash (unlocked) is simply taken over. */
static int pidfile_fd = -1;

int fp_pidfile_write(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fp_log(LOG_ERR, "--pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char other[32] = "";
		ssize_t r = read(fd, other, sizeof(other) - 1);
		other[r > 0 ? r : 0] = '\0';
		other[strcspn(other, "\n")] = '\0';
		fp_log(LOG_ERR, "--pidfile %s: another fluxprobe (pid %s) runs with it", path,
		       other[0] ? other : "?");
		close(fd);
		return -1;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		fp_log(LOG_ERR, "--pidfile %s: write failed: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	pidfile_fd = fd;
	return 0;
}

void fp_pidfile_remove(const char *path)
{
	/* After --user the directory may not let us unlink it: then at least it names nobody. */
	if (unlink(path) != 0 && errno != ENOENT && pidfile_fd >= 0 && ftruncate(pidfile_fd, 0))
		fp_log(LOG_WARNING, "--pidfile %s: not removed: %s", path, strerror(errno));
	if (pidfile_fd >= 0)
		close(pidfile_fd);
	pidfile_fd = -1;
}
