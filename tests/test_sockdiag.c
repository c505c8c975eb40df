/* SPDX-License-Identifier: BSD-3-Clause */
/* The receiving socket of a UDP collector on this host (lib/fp_sockdiag.c): found with its
 * buffer, what waits in it and which socket it is; nothing found where nothing listens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_sockdiag.h"

static int udp_bound(struct sockaddr_storage *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in *in = (struct sockaddr_in *)a;
	socklen_t len = sizeof(*a);
	memset(a, 0, sizeof(*a));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

static void test_receiver(void **state)
{
	(void)state;
	struct sockaddr_storage to, from;
	int rx = udp_bound(&to);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(connect(tx, (struct sockaddr *)&to, sizeof(struct sockaddr_in)), 0);
	socklen_t len = sizeof(from);
	assert_int_equal(getsockname(tx, (struct sockaddr *)&from, &len), 0);
	int nl = fp_sockdiag_open();
	assert_true(nl >= 0);

	struct fp_rx_mem m;
	assert_int_equal(fp_sockdiag_udp_receiver(nl, &from, &to, &m), 0);
	int rcvbuf;
	len = sizeof(rcvbuf);
	getsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
	assert_int_equal(m.rcvbuf, (uint32_t)rcvbuf);
	assert_int_equal(m.queued, 0);
	struct stat st;
	assert_int_equal(fstat(rx, &st), 0);
	assert_int_equal(m.inode, (uint32_t)st.st_ino);
	/* datagrams not read yet are charged to its queue */
	char d[500] = {0};
	for (int i = 0; i < 3; i++)
		assert_int_equal(send(tx, d, sizeof(d), 0), (ssize_t)sizeof(d));
	assert_int_equal(fp_sockdiag_udp_receiver(nl, &from, &to, &m), 0);
	assert_true(m.queued >= 3 * sizeof(d));
	assert_int_equal(m.drops, 0);

	/* its port once nothing listens there */
	close(rx);
	assert_int_equal(fp_sockdiag_udp_receiver(nl, &from, &to, &m), -ENOENT);
	close(tx);
	close(nl);
}

static void test_is_local(void **state)
{
	(void)state;
	struct sockaddr_storage self, to;
	struct sockaddr_in *s = (struct sockaddr_in *)&self, *t = (struct sockaddr_in *)&to;
	memset(&self, 0, sizeof(self));
	memset(&to, 0, sizeof(to));
	s->sin_family = t->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(0xc6120001); /* 198.18.0.1 */
	t->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fp_sockdiag_is_local(&self, &to));
	t->sin_addr.s_addr = htonl(0xc6120001); /* the socket's own address */
	assert_true(fp_sockdiag_is_local(&self, &to));
	t->sin_addr.s_addr = htonl(0xc6130002); /* 198.19.0.2: another host */
	assert_false(fp_sockdiag_is_local(&self, &to));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_receiver),
	    cmocka_unit_test(test_is_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
