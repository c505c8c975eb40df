#!/usr/bin/python3
"""A capture between public addresses for the --geoip test, and the rows of the public ASN
table that its ASN database is built from (tests/geo_asn.pl).

Addresses: 160 IPv4 and 60 IPv6 drawn from rows of @ip-location-db/asn's table (so they have
an AS), and 40 IPv4 drawn at random from the global unicast space (most outside the rows kept:
no AS, still a country). Flows: each address talks to another, TCP or UDP, 2 packets; the
capture is a file read with --read, nothing is sent. The rows: those holding the addresses and
3000 others. Deterministic (a fixed seed).
  geo_gen.py GEO_DIR OUT.pcap OUT_ROWS.csv OUT_ADDRS.txt"""
import csv
import ipaddress
import random
import sys

from scapy.all import IP, TCP, UDP, Ether, IPv6, Raw, wrpcap

geo, out_pcap, out_rows, out_addrs = sys.argv[1:5]
rng = random.Random(20261207)


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f) if len(r) == 4]


def pick(table, n, keep):
    out = []
    while len(out) < n:
        r = rng.choice(table)
        lo, hi = int(ipaddress.ip_address(r[0])), int(ipaddress.ip_address(r[1]))
        a = ipaddress.ip_address(lo + rng.randrange(0, min(hi - lo + 1, 1 << 16)))
        if a.is_global and str(a) not in out:
            out.append(str(a))
            keep.append(r)
    return out


v4rows, v6rows = rows(f"{geo}/asn-ipv4.csv"), rows(f"{geo}/asn-ipv6.csv")
keep = []
v4 = pick(v4rows, 160, keep)
v6 = pick(v6rows, 60, keep)
while len(v4) < 200:
    a = ipaddress.IPv4Address(rng.getrandbits(32))
    if a.is_global and not a.is_multicast and str(a) not in v4:
        v4.append(str(a))
extra = rng.sample(v4rows, 2000) + rng.sample(v6rows, 1000)
seen, kept = set(), []
for r in keep + extra:
    if r[0] not in seen:
        seen.add(r[0])
        kept.append(r)
kept.sort(key=lambda r: (ipaddress.ip_address(r[0]).version, int(ipaddress.ip_address(r[0]))))
# the table's ranges may overlap; keep each first address once, drop ranges inside the previous
out, last = [], {}
for r in kept:
    v = ipaddress.ip_address(r[0]).version
    if v in last and int(ipaddress.ip_address(r[0])) <= last[v]:
        continue
    last[v] = int(ipaddress.ip_address(r[1]))
    out.append(r)
with open(out_rows, "w", newline="", encoding="utf-8") as f:
    csv.writer(f).writerows(out)

pkts, t = [], 1765000000.0
for group in (v4, v6):
    n = len(group)
    for i, src in enumerate(group):
        dst = group[(i * 7 + 3) % n]
        l3 = IP(src=src, dst=dst) if ":" not in src else IPv6(src=src, dst=dst)
        l4 = TCP(sport=40000 + i, dport=443, flags="S") if i % 2 else UDP(sport=40000 + i, dport=53)
        for k in range(2):
            p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / l3 / l4 / Raw(b"x" * (10 + k))
            p.time = t
            t += 0.001
            pkts.append(p)
wrpcap(out_pcap, pkts)
with open(out_addrs, "w") as f:
    f.write("\n".join(v4 + v6) + "\n")
print(f"geo_gen.py: {len(pkts)} packets, {len(v4)} IPv4 and {len(v6)} IPv6 addresses, "
      f"{len(out)} ASN rows")
