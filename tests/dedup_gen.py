#!/usr/bin/python3
"""Captures for --dedup: each packet once, and each packet twice as two SPAN ports see it.

Usage: dedup_gen.py DIR [FLOWS] [PACKETS_PER_FLOW]

DIR/single.pcap: FLOWS UDP and TCP flows (IPv4 and IPv6, VLAN 10), their packets interleaved,
no two alike (the IPv4 identification, the TCP sequence or the payload differ).
DIR/double.pcap: every packet of single.pcap, then the same IP packet again with VLAN 20 and
other MAC addresses, 0 to 5 packets later (within a --dedup window of 8, under 3 ms): what a
probe on two SPAN ports of one switch sees. DIR/far.pcap: the same copies 12 packets later
(outside a window of 8, inside one of 16; 6.25 ms). DIR/repeat.pcap: one VRRP-like packet sent
5 times a second apart, byte for byte the same, each followed 1 ms later by its copy: 5 packets
of traffic and 5 copies. Packets are 0.5 ms apart. Prints the number of copies of double.pcap.
"""
import random
import sys

from scapy.all import IP, TCP, UDP, Dot1Q, Ether, IPv6, wrpcap

out = sys.argv[1]
flows = int(sys.argv[2]) if len(sys.argv) > 2 else 40
per = int(sys.argv[3]) if len(sys.argv) > 3 else 10
rnd = random.Random(7)
single = []
for f in range(flows):
    v6 = f % 3 == 1
    for k in range(per):
        ip = (IPv6(src="2001:db8:1::%x" % (f + 1), dst="2001:db8:2::1") if v6 else
              IP(src="198.18.0.%d" % (f + 1), dst="198.19.0.1", id=1000 + k))
        l4 = (TCP(sport=30000 + f, dport=443, flags="A", seq=1 + 100 * k) if f % 2 else
              UDP(sport=30000 + f, dport=53))
        single.append((f, ip / l4 / (b"%04d-%04d" % (f, k))))
rnd.shuffle(single)  # flows interleaved; within a flow the order is kept below
by_flow = {}
for f, p in single:
    by_flow.setdefault(f, []).append(p)
order = [by_flow[f].pop(0) for f, _ in single]
t0 = 1767225600.0


def frame(p, vlan, mac):
    e = Ether(src="02:00:00:00:00:%02x" % mac, dst="02:00:00:00:01:%02x" % mac) / Dot1Q(vlan=vlan) / p
    return e


def write(name, slots):
    """slots: (slot, frame); slot 2i is the ith packet's first copy at the single capture's
    time, 2i + 1 a second copy a quarter of a millisecond after it."""
    frames = []
    for slot, fr in sorted(slots, key=lambda s: s[0]):
        fr.time = t0 + (slot // 2) * 0.0005 + (slot % 2) * 0.00025
        frames.append(fr)
    wrpcap("%s/%s" % (out, name), frames)


write("single.pcap", [(2 * i, frame(p, 10, 1)) for i, p in enumerate(order)])
for name, gap in (("double.pcap", None), ("far.pcap", 12)):
    slots = []
    for i, p in enumerate(order):
        slots.append((2 * i, frame(p, 10, 1)))
        g = gap if gap else rnd.randint(0, 5)
        slots.append((2 * (i + g) + 1, frame(p, 20, 2)))
    write(name, slots)
advert = IP(src="198.18.0.250", dst="198.18.0.251", id=0, ttl=255) / UDP(sport=112, dport=112) / (
    b"\x21\x01\x64\x01" * 4)
repeat = []
for k in range(5):
    for dt, vlan, mac in ((0.0, 10, 1), (0.001, 20, 2)):
        fr = frame(advert, vlan, mac)
        fr.time = t0 + k + dt
        repeat.append(fr)
wrpcap("%s/repeat.pcap" % out, repeat)
print(len(order))
