#!/usr/bin/python3
"""A sparse capture with idle gaps on both sides of the timeouts (tests/e2e_sparse.sh).

Usage: sparse_gen.py OUT.pcap IDLE FIN [MARGIN]
Timeouts in seconds. Every gap of a flow is at least MARGIN (default 0.4) s away from a timeout,
so live capture (tcpreplay in real time) and a read of the file must give the same records, and
a peer whose expiry runs only every few seconds (nfpcapd) too when MARGIN is wide. Prints the
records expected, one per line: "proto src sport dst dport packets bytes reason". No port 53:
nfpcapd makes a flow of each DNS packet.
"""
import sys

from scapy.all import IP, TCP, UDP, Ether, wrpcap

out, idle, fin = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
m = float(sys.argv[4]) if len(sys.argv) > 4 else 0.4
T0 = 1767225600.0  # 2026-01-01T00:00:00Z
pkts = []
expect = []


def add(t, ip, l4, size=100):
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip / l4
    pad = size - len(p)
    p = p / (b"x" * max(pad, 0))
    p.time = T0 + t
    pkts.append(p)
    return len(p) - 14


def flow(times, src, sport, dst, dport, proto="udp", flags=None):
    """Packets of one 5-tuple at `times`; returns the records a reading of the timeouts gives."""
    recs, cur, last, ended = [], None, None, False
    for i, t in enumerate(times):
        fl = flags[i] if flags else None
        if cur and t - last >= (fin if ended else idle):
            recs.append(cur + ["end_detected" if ended else "idle_timeout"])
            cur = None
        if cur is None:
            cur, ended = [proto, src, sport, dst, dport, 0, 0], False
        ip = IP(src=src, dst=dst, ttl=64)
        l4 = TCP(sport=sport, dport=dport, flags=fl) if proto == "tcp" else UDP(sport=sport, dport=dport)
        cur[5] += 1
        cur[6] += add(t, ip, l4, 100 + 10 * i)
        last = t
        if fl and ("F" in fl or "R" in fl):
            ended = True
    recs.append(cur + [(last, ended)])
    return recs


# gaps: below the idle timeout (joined), above it (a new flow), a 1-packet flow that recurs
plan = [
    flow([0, 1.5, 3.0, 3 + idle + 2.5 * m, 3 + idle + 3 * m], "198.18.0.1", 5001, "198.19.0.1", 1053),
    flow([0.5, 0.5 + idle - 1.5 * m, 0.5 + 2 * idle - 3 * m], "198.18.0.2", 5002, "198.19.0.1", 1053),
    flow([1.0, 1.0 + idle + 2 * m, 1.0 + 2 * idle + 4 * m], "198.18.0.3", 5003, "198.19.0.1", 123),
    # a TCP connection closed by FIN, then a late ACK after the linger: a flow of its own;
    # a second one whose last ACK comes within the linger
    flow([2.0, 2.2, 2.4, 2.4 + fin + 1.5 * m], "198.18.0.4", 40000, "198.19.0.2", 80, "tcp",
         ["S", "A", "FA", "A"]),
    flow([2.5, 2.7, 2.9, 2.9 + fin - min(1.25 * m, fin / 2)], "198.18.0.5", 40001, "198.19.0.2",
         80, "tcp", ["S", "PA", "FA", "A"]),
]
end = max(p.time for p in pkts) - T0
# a last packet long after everything: every flow above has ended by its timeout by then
end += idle + 2.5 * m
plan.append(flow([end], "198.18.0.9", 9999, "198.19.0.9", 9999))
pkts.sort(key=lambda p: p.time)
wrpcap(out, pkts)
for recs in plan:
    for r in recs:
        if isinstance(r[-1], tuple):
            last, ended = r[-1]
            if end - last >= (fin if ended else idle):
                r[-1] = "end_detected" if ended else "idle_timeout"
            else:
                r[-1] = "forced_end"
        print(" ".join(str(x) for x in r))
