#!/usr/bin/python3
"""A capture whose flows go every way across the local networks, and its truth.

Usage: direction_gen.py OUT.pcap TRUTH.json

The local networks (direction_check.py passes them to --local-net): 198.18.0.0/24,
198.18.128.0/17, the host 198.19.200.1 and 2001:db8:1::/48; everything else in 198.18.0.0/15 and
2001:db8::/32 is remote. UDP flows, IPv4 and IPv6, from local to remote, remote to local, local
to local and remote to remote, with addresses at the edges of each prefix; and two TCP
connections, one from a remote client to a local server, one from a local client to a remote
server, with their answers. TRUTH.json: "flows" (one-way records: src, dst, sport, dport, proto,
direction) and "biflows" (the same with --biflow: one record per connection, the initiator as
source).
"""
import json
import sys

from scapy.all import IP, TCP, UDP, Ether, IPv6, wrpcap

LOCAL4 = ["198.18.0.0", "198.18.0.255", "198.18.128.0", "198.18.255.255", "198.19.200.1"]
REMOTE4 = ["198.18.1.0", "198.18.127.255", "198.19.0.1", "198.19.200.0", "198.19.200.2"]
LOCAL6 = ["2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff"]
REMOTE6 = ["2001:db8::ffff", "2001:db8:2::1"]


def direction(src_local, dst_local):
    if src_local:
        return "internal" if dst_local else "outbound"
    return "inbound" if dst_local else "external"


def main():
    out, truth_path = sys.argv[1], sys.argv[2]
    pkts, flows, biflows = [], [], []
    t = [1767225600.0]

    def emit(p):
        p.time = t[0]
        t[0] += 0.001
        pkts.append(p)

    sport = 10000
    for v6, local, remote in ((False, LOCAL4, REMOTE4), (True, LOCAL6, REMOTE6)):
        hosts = [(a, True) for a in local] + [(a, False) for a in remote]
        for src, src_local in hosts:
            for dst, dst_local in hosts:
                if src == dst:
                    continue
                sport += 1
                ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
                emit(Ether() / ip / UDP(sport=sport, dport=53) / (b"q" * 20))
                flows.append(dict(src=src, dst=dst, sport=sport, dport=53, proto=17,
                                  direction=direction(src_local, dst_local)))
                biflows.append(flows[-1])
    # TCP connections: the client's and the server's packets
    for client, server, client_local, server_local in (
            ("198.19.0.1", "198.18.0.10", False, True), ("198.18.128.7", "198.19.0.1", True, False)):
        sport += 1
        c = lambda flags, data=b"": Ether() / IP(src=client, dst=server) / TCP(
            sport=sport, dport=443, flags=flags) / data
        s = lambda flags, data=b"": Ether() / IP(src=server, dst=client) / TCP(
            sport=443, dport=sport, flags=flags) / data
        for p in (c("S"), s("SA"), c("A"), c("PA", b"hello"), s("PA", b"world"), c("FA"),
                  s("FA"), c("A")):
            emit(p)
        flows.append(dict(src=client, dst=server, sport=sport, dport=443, proto=6,
                          direction=direction(client_local, server_local)))
        flows.append(dict(src=server, dst=client, sport=443, dport=sport, proto=6,
                          direction=direction(server_local, client_local)))
        biflows.append(flows[-2])
    wrpcap(out, pkts)
    json.dump(dict(flows=flows, biflows=biflows), open(truth_path, "w"), indent=1)


if __name__ == "__main__":
    main()
