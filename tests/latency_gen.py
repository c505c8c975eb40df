#!/usr/bin/python3
"""TCP connections with known, different latencies, for e2e_latency.sh.

Writes OUT.pcap (microsecond timestamps), OUT-ns.pcap (the same packets with nanosecond
timestamps, sub-microsecond digits added) and OUT.json (the truth per connection, keyed by the
client's port). IPv4 and IPv6 connections interleave, starting 211 µs apart; each has its own
server (SYN → SYN-ACK), client (SYN-ACK → ACK) and application (first request → first answer)
latency. Kinds cover what the man page promises: retransmitted SYN and SYN-ACK, data on the
handshake's ACK, a server that speaks first, a connection seen from the middle (nothing
measured) and a SYN never answered (nothing measured).
Usage: latency_gen.py OUT [CONNECTIONS]
"""
import json
import struct
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

KINDS = ["normal", "retrans_syn", "piggyback", "server_first", "retrans_synack", "midstream",
         "no_synack"]
BASE_US = 1767225600 * 1000000 + 123457  # 2026-01-01, a µs that is not a whole ms


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    pkts = []  # (time µs, frame bytes)
    truth = {}
    for i in range(n):
        v6 = i % 2 == 1
        kind = KINDS[i % len(KINDS)]
        sport, dport = 40000 + i, 443 if i % 3 else 80
        if v6:
            cli, srv = "2001:db8::%x" % (0x100 + i), "2001:db8:1::%x" % (1 + i % 5)
        else:
            cli, srv = "198.18.%d.%d" % (i // 250, 1 + i % 250), "198.19.0.%d" % (1 + i % 5)
        S = 1000 + 37 * i        # server latency
        C = 500 + 53 * i         # client latency
        A = 20000 + 101 * i      # application latency
        if i % 5 == 2:
            S, C, A = 180 + i, 90 + i, 640 + i  # below a millisecond: IPFIX's ms say 0
        t0 = BASE_US + i * 211
        seq = {"c": 1000, "s": 5000}

        def frame(frm, flags, t, payload=0):
            a, b = (cli, srv) if frm == "c" else (srv, cli)
            sp, dp = (sport, dport) if frm == "c" else (dport, sport)
            ip = IPv6(src=a, dst=b) if v6 else IP(src=a, dst=b, ttl=64)
            other = "s" if frm == "c" else "c"
            tcp = TCP(sport=sp, dport=dp, flags=flags, seq=seq[frm],
                      ack=seq[other] if "A" in flags else 0, window=65535)
            macs = ("02:00:00:00:00:01", "02:00:00:00:00:02")
            e = Ether(src=macs[frm == "s"], dst=macs[frm == "c"])
            p = e / ip / tcp / (b"x" * payload if payload else b"")
            seq[frm] += payload + (1 if "S" in flags or "F" in flags else 0)
            pkts.append((t, bytes(p)))

        def close(t):
            frame("c", "FA", t)
            frame("s", "FA", t + 90)
            frame("c", "A", t + 180)

        want = {"client": None, "server": None, "application": None, "initial_rtt": None}
        if kind in ("normal", "retrans_syn", "retrans_synack"):
            t = t0
            frame("c", "S", t)
            if kind == "retrans_syn":
                seq["c"] -= 1
                t += 1000000
                frame("c", "S", t)  # the SYN-ACK answers this one
            frame("s", "SA", t + S)
            t += S
            if kind == "retrans_synack":
                seq["s"] -= 1
                t += 300000
                frame("s", "SA", t)  # the first ACK was lost: the ACK answers this one
            frame("c", "A", t + C)
            t += C
            frame("c", "PA", t + 150, 120)
            frame("s", "A", t + 190)
            frame("s", "PA", t + 150 + A, 900)
            frame("c", "A", t + 150 + A + 60)
            close(t + 150 + A + 1000)
            want.update(client=C, server=S, application=A)
            if kind == "normal":
                want["initial_rtt"] = S + C
        elif kind == "piggyback":
            frame("c", "S", t0)
            frame("s", "SA", t0 + S)
            frame("c", "PA", t0 + S + C, 200)  # the handshake's ACK carries the request
            frame("s", "PA", t0 + S + C + A, 700)
            close(t0 + S + C + A + 500)
            want.update(client=C, server=S, application=A, initial_rtt=S + C)
        elif kind == "server_first":
            frame("c", "S", t0)
            frame("s", "SA", t0 + S)
            frame("c", "A", t0 + S + C)
            t = t0 + S + C
            frame("s", "PA", t + 300, 40)   # a banner: no request before it
            frame("c", "PA", t + 5000, 60)  # the request
            frame("s", "PA", t + 5000 + A, 500)
            close(t + 5000 + A + 700)
            want.update(client=C, server=S, application=A, initial_rtt=S + C)
        elif kind == "midstream":
            frame("c", "PA", t0, 100)
            frame("s", "PA", t0 + A, 400)
            frame("c", "A", t0 + A + 100)
            close(t0 + A + 900)
        else:  # no_synack
            frame("c", "S", t0)
            seq["c"] -= 1
            frame("c", "S", t0 + 1000000)
        truth[str(sport)] = dict(want, kind=kind, ipv6=v6, first_us=t0)

    pkts.sort(key=lambda x: x[0])
    with open(out + ".pcap", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, b in pkts:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(b), len(b)) + b)
    with open(out + "-ns.pcap", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for t, b in pkts:
            ns = t % 1000000 * 1000 + 789  # below a µs: cut, never rounded up
            f.write(struct.pack("<IIII", t // 1000000, ns, len(b), len(b)) + b)
    with open(out + ".json", "w") as f:
        json.dump(truth, f, indent=1)


if __name__ == "__main__":
    main()
