#!/usr/bin/env python3
"""--decap auto against tshark: for each capture, the innermost IP flows tshark decodes (addresses,
protocol, ports; packets per flow) must equal the flows fluxprobe exports as JSON lines.
Usage: decap_inner.py FLUXPROBE PCAP...   (exit 1 if any capture differs)"""
import json, subprocess, sys
from collections import Counter

def tshark_flows(path):
    out = subprocess.run(["tshark", "-n", "-d", "udp.port==8472,vxlan", "-r", path, "-T", "fields", "-E", "separator=|",
        "-E", "occurrence=a", "-E", "aggregator=;",
        "-e", "frame.protocols", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto",
        "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.nxt", "-e", "tcp.srcport", "-e", "tcp.dstport",
        "-e", "udp.srcport", "-e", "udp.dstport", "-e", "_ws.malformed"],
        capture_output=True, text=True).stdout
    c = Counter()
    for line in out.splitlines():
        f = line.split("|")
        protos = f[0].split(":")
        if f[11]:
            continue
        # innermost IP layer
        ips = [p for p in protos if p in ("ip", "ipv6")]
        if not ips:
            continue
        last = ips[-1]
        if last == "ip":
            src, dst, proto = f[1].split(";")[-1], f[2].split(";")[-1], f[3].split(";")[-1]
        else:
            src, dst = f[4].split(";")[-1], f[5].split(";")[-1]
            proto = f[6].split(";")[-1]
        # transport after the innermost IP
        after = protos[len(protos) - protos[::-1].index(last):]
        sport = dport = "0"
        if "tcp" in after:
            sport, dport = f[7].split(";")[-1], f[8].split(";")[-1]
            proto = "6"
        elif "udp" in after:
            sport, dport = f[9].split(";")[-1], f[10].split(";")[-1]
            proto = "17"
        c[(src, dst, proto, sport, dport)] += 1
    return c

def probe_flows(path, fluxprobe):
    out = subprocess.run([fluxprobe, "-r", path, "--decap", "auto", "--json", "-", "-q"],
                         capture_output=True, text=True).stdout
    c = Counter()
    for line in out.splitlines():
        r = json.loads(line)
        v6 = r["ipVersion"] == 6
        src = r["sourceIPv6Address" if v6 else "sourceIPv4Address"]
        dst = r["destinationIPv6Address" if v6 else "destinationIPv4Address"]
        proto = r["protocolIdentifier"]
        sp = r.get("sourceTransportPort", 0) if proto in (6, 17) else 0
        dp = r.get("destinationTransportPort", 0) if proto in (6, 17) else 0
        c[(src, dst, str(proto), str(sp), str(dp))] += r["packetDeltaCount"]
    return c

fluxprobe = sys.argv[1]
bad = 0
for path in sys.argv[2:]:
    t, p = tshark_flows(path), probe_flows(path, fluxprobe)
    ok = t == p
    print(f"# {path.split('/')[-1]}: {len(p)} inner flows, {sum(p.values())} packets", "match tshark" if ok else "DIFFER")
    if not ok:
        bad += 1
        print("   tshark only:", list((t - p).items())[:3])
        print("   probe only: ", list((p - t).items())[:3])
sys.exit(1 if bad else 0)
