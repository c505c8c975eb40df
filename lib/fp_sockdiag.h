/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receiving socket of a UDP collector on this host, as the kernel sees it: how many bytes
 * wait in its receive queue, how large its buffer is and how many datagrams it dropped. Read
 * through sock_diag (NETLINK_SOCK_DIAG, an inet_diag exact lookup with INET_DIAG_SKMEMINFO): the
 * kernel finds the socket that receives what our connected socket sends, whatever address it
 * is bound to. One netlink round trip (a few microseconds); no privileges needed. The socket
 * must be in this network namespace: a collector in another one is not on this host here.
 */
#ifndef FP_SOCKDIAG_H
#define FP_SOCKDIAG_H

#include <stdint.h>
#include <sys/socket.h>

struct fp_rx_mem {
	uint32_t queued; /* bytes charged to the receive queue (sk_rmem_alloc: buffer sizes) */
	uint32_t rcvbuf; /* its limit (sk_rcvbuf): a datagram arriving above it is dropped */
	uint32_t drops;	 /* datagrams the socket dropped since it was made (sk_drops) */
	uint32_t inode;	 /* which socket: another inode is another socket (a restart) */
};

/* A netlink socket for the lookups, or -errno. */
int fp_sockdiag_open(void);

/* The socket that receives datagrams sent from `from` to `to` (same family), into *m. 0, -ENOENT
 * when no socket receives there, or -errno. */
int fp_sockdiag_udp_receiver(int nl, const struct sockaddr_storage *from,
			     const struct sockaddr_storage *to, struct fp_rx_mem *m);

/* Is `to` an address of this host, judged from the connected socket's own address (the kernel
 * picks the destination itself as the source when it routes to a local address) or loopback? */
int fp_sockdiag_is_local(const struct sockaddr_storage *self, const struct sockaddr_storage *to);

#endif
