/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int fp_sockdiag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return fd < 0 ? -errno : fd;
}

/* Address and port of `sa` into the lookup's id (network order, as the kernel keeps them). */
static void put_end(const struct sockaddr_storage *sa, __be32 addr[4], __be16 *port)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		memcpy(addr, &in->sin_addr, 4);
		*port = in->sin_port;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		memcpy(addr, &in6->sin6_addr, 16);
		*port = in6->sin6_port;
	}
}

static int read_reply(int nl, uint32_t seq, struct fp_rx_mem *m)
{
	union {
		struct nlmsghdr h;
		uint8_t b[8192];
	} buf;
	for (;;) {
		ssize_t got = recv(nl, &buf, sizeof(buf), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		size_t at = 0;
		while (at + sizeof(struct nlmsghdr) <= (size_t)got) {
			struct nlmsghdr *h = (struct nlmsghdr *)(buf.b + at);
			if (h->nlmsg_len < sizeof(*h) || at + h->nlmsg_len > (size_t)got)
				break;
			at += NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_seq != seq)
				continue; /* an answer to an earlier, abandoned question */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error ? e->error : -ENOENT;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
				continue;
			const struct inet_diag_msg *d = NLMSG_DATA(h);
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*d)))
				return -EPROTO;
			int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*d)));
			for (struct rtattr *a = (struct rtattr *)(d + 1); RTA_OK(a, len);
			     a = RTA_NEXT(a, len)) {
				if (a->rta_type != INET_DIAG_SKMEMINFO ||
				    RTA_PAYLOAD(a) < SK_MEMINFO_DROPS * sizeof(uint32_t) + 4)
					continue;
				const uint32_t *v = RTA_DATA(a);
				m->queued = v[SK_MEMINFO_RMEM_ALLOC];
				m->rcvbuf = v[SK_MEMINFO_RCVBUF];
				m->drops = v[SK_MEMINFO_DROPS];
				m->inode = d->idiag_inode;
				return 0;
			}
			return -ENODATA;
		}
	}
}

int fp_sockdiag_udp_receiver(int nl, const struct sockaddr_storage *from,
			     const struct sockaddr_storage *to, struct fp_rx_mem *m)
{
	static uint32_t seq;
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	if (from->ss_family != to->ss_family)
		return -EAFNOSUPPORT;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST; /* one socket, looked up as a datagram would find it */
	req.h.nlmsg_seq = ++seq;
	req.r.sdiag_family = (uint8_t)to->ss_family;
	req.r.sdiag_protocol = IPPROTO_UDP;
	req.r.idiag_ext = 1u << (INET_DIAG_SKMEMINFO - 1);
	req.r.idiag_states = ~0u;
	/* the kernel's lookup: a datagram from id.src:sport to id.dst:dport */
	put_end(from, req.r.id.idiag_src, &req.r.id.idiag_sport);
	put_end(to, req.r.id.idiag_dst, &req.r.id.idiag_dport);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return read_reply(nl, req.h.nlmsg_seq, m);
}

int fp_sockdiag_is_local(const struct sockaddr_storage *self, const struct sockaddr_storage *to)
{
	if (self->ss_family != to->ss_family)
		return 0;
	if (to->ss_family == AF_INET) {
		const struct in_addr *a = &((const struct sockaddr_in *)self)->sin_addr;
		const struct in_addr *b = &((const struct sockaddr_in *)to)->sin_addr;
		return (ntohl(b->s_addr) >> 24) == 127 || a->s_addr == b->s_addr;
	}
	const struct in6_addr *a = &((const struct sockaddr_in6 *)self)->sin6_addr;
	const struct in6_addr *b = &((const struct sockaddr_in6 *)to)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(b) || memcmp(a, b, sizeof(*a)) == 0;
}
