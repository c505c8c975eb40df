#!/usr/bin/python3
"""Write a capture whose flows carry the context --fields exports, and its ground truth.

Usage: fields_gen.py OUT.pcap TRUTH.json [FLOWS] [SEED]

Each flow is one of: plain IPv4, one VLAN tag, QinQ (802.1ad + 802.1Q), an MPLS stack of 1-4
labels (IPv4 or IPv6 below), IPv6 with a flow label, VXLAN (IPv4 or IPv6 inside), GRE with and
without a key. Its packets all share that context. The truth lists, per flow (innermost
5-tuple), what a collector must receive with --fields all --decap auto: packets, octets (the
innermost IP packet), outer and inner VLAN, IPv6 flow label, the top three MPLS label stack
entries as (label, traffic class, bottom of stack), GRE key and layer2SegmentId (VXLAN: 1 << 56
| VNI). Addresses from 198.18.0.0/15 and 2001:db8::/32 only.
"""
import json
import random
import sys

from scapy.all import GRE, IP, UDP, TCP, Dot1AD, Dot1Q, Ether, IPv6, Raw, wrpcap
from scapy.contrib.mpls import MPLS
from scapy.layers.vxlan import VXLAN

out, truth_path = sys.argv[1], sys.argv[2]
nflows = int(sys.argv[3]) if len(sys.argv) > 3 else 300
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)

KINDS = ["plain", "vlan", "qinq", "mpls", "ipv6", "vxlan", "gre_key", "gre"]
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def inner_ip(i, v6, fl=0):
    """The flow's own packet: distinct 5-tuple per flow index."""
    sport = 1024 + i
    proto = rng.choice(["udp", "tcp"])
    l4 = UDP(sport=sport, dport=53) if proto == "udp" else TCP(sport=sport, dport=443, flags="A")
    payload = Raw(b"p" * rng.randrange(0, 200))
    if v6:
        ip = IPv6(src="2001:db8::%x" % (i + 1), dst="2001:db8:1::%x" % (i + 1), fl=fl)
    else:
        ip = IP(src="198.18.%d.%d" % (i // 250, i % 250 + 1), dst="198.19.%d.%d" % (i // 250, i % 250 + 1))
    return ip / l4 / payload, proto


packets, flows = [], []
t = 1767225600.0
for i in range(nflows):
    kind = KINDS[i % len(KINDS)]
    f = dict(kind=kind, vlan=0, vlan_inner=0, flow_label=0, mpls=[[0, 0, 0]] * 3, gre_key=0,
             l2_segment=0)
    v6 = kind == "ipv6" or (kind in ("mpls", "vxlan") and rng.random() < 0.5)
    fl = rng.randrange(1, 1 << 20) if v6 else 0
    pkt, proto = inner_ip(i, v6, fl)
    f["flow_label"] = fl
    if kind in ("plain", "ipv6"):
        frame = Ether(**MAC) / pkt
    elif kind == "vlan":
        f["vlan"] = rng.randrange(1, 4095)
        frame = Ether(**MAC) / Dot1Q(vlan=f["vlan"]) / pkt
    elif kind == "qinq":
        f["vlan"], f["vlan_inner"] = rng.randrange(1, 4095), rng.randrange(1, 4095)
        frame = Ether(**MAC) / Dot1AD(vlan=f["vlan"]) / Dot1Q(vlan=f["vlan_inner"]) / pkt
    elif kind == "mpls":
        depth = rng.randrange(1, 5)
        stack = [(rng.randrange(16, 1 << 20), rng.randrange(8)) for _ in range(depth)]
        layers = None
        for n, (label, tc) in enumerate(stack):
            m = MPLS(label=label, cos=tc, s=int(n == depth - 1), ttl=64)
            layers = m if layers is None else layers / m
        frame = Ether(**MAC) / layers / pkt
        top = [[label, tc, int(n == depth - 1)] for n, (label, tc) in enumerate(stack)][:3]
        f["mpls"] = top + [[0, 0, 0]] * (3 - len(top))
    elif kind == "vxlan":
        vni = rng.randrange(0, 1 << 24)
        f["l2_segment"] = 1 << 56 | vni
        frame = (Ether(**MAC) / IP(src="198.18.200.1", dst="198.18.200.2") /
                 UDP(sport=rng.randrange(49152, 65536), dport=4789) / VXLAN(vni=vni) /
                 Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") / pkt)
    else:  # gre, gre_key
        outer = Ether(**MAC) / IP(src="198.18.201.1", dst="198.18.201.2")
        if kind == "gre_key":
            f["gre_key"] = rng.randrange(0, 1 << 32)
            frame = outer / GRE(key_present=1, key=f["gre_key"], proto=0x0800) / pkt
        else:
            frame = outer / GRE(proto=0x0800) / pkt
    raw = bytes(frame)
    n = rng.randrange(1, 6)
    ilen = len(bytes(pkt))
    f.update(src=pkt.src, dst=pkt.dst, sport=pkt.sport, dport=pkt.dport,
             proto=17 if proto == "udp" else 6, ipver=6 if v6 else 4, packets=n, octets=n * ilen)
    for _ in range(n):
        p = Ether(raw)
        p.time = t
        t += 0.0005
        packets.append(p)
    flows.append(f)

rng.shuffle(packets)  # flows interleave; times stay increasing
for k, p in enumerate(packets):
    p.time = 1767225600.0 + k * 0.0005
wrpcap(out, packets)
json.dump(dict(packets=len(packets), flows=flows), open(truth_path, "w"), indent=0)
