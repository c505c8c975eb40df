#!/usr/bin/env bash
# --biflow (RFC 5103): scapy writes two-way traffic — TCP connections (one of them seen from its
# SYN-ACK on, its SYN missed), UDP request/response pairs, IPv6, and a connection longer than the
# active timeout. One record per connection (per active period), the initiator as source, its
# packets and octets forward, the responder's in the reverse IEs: checked in the JSON lines
# against the generator's truth, in tshark's decoding of the IPFIX (reverse IEs, PEN 29305), and
# in nfdump, which counts both directions of every record.
source "$(dirname "$0")/lib.sh"
pysys=/usr/bin/python3
[ -x "$pysys" ] || pysys=python3

"$pysys" - "$T/bi.pcap" "$T/truth.json" <<'PY'
import json, sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw, wrpcap
pkts, truth = [], {}
t = [1767225600.0]
def add(l3, key, fwd):
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / l3
    p.time = t[0]
    t[0] += 0.002
    pkts.append(p)
    c = truth.setdefault("|".join(map(str, key)), [0, 0, 0, 0])
    n = len(bytes(l3))
    if fwd: c[0] += 1; c[1] += n
    else:   c[2] += 1; c[3] += n

def tcp_conn(ip, cli, srv, cport, skip_syn=False, data=3):
    key = (cli, srv, 6, cport, 80)
    if not skip_syn:
        add(ip(src=cli, dst=srv) / TCP(sport=cport, dport=80, flags="S"), key, True)
    add(ip(src=srv, dst=cli) / TCP(sport=80, dport=cport, flags="SA"), key, False)
    add(ip(src=cli, dst=srv) / TCP(sport=cport, dport=80, flags="A"), key, True)
    for i in range(data):
        add(ip(src=cli, dst=srv) / TCP(sport=cport, dport=80, flags="PA") / Raw(b"q" * 50), key, True)
        add(ip(src=srv, dst=cli) / TCP(sport=80, dport=cport, flags="PA") / Raw(b"r" * (400 + i)), key, False)
    add(ip(src=cli, dst=srv) / TCP(sport=cport, dport=80, flags="FA"), key, True)
    add(ip(src=srv, dst=cli) / TCP(sport=80, dport=cport, flags="FA"), key, False)

for i in range(20):   # clients on both sides of the server's address, so both orientations occur
    cli = "198.18.0.%d" % (10 + i) if i % 2 else "198.19.9.%d" % (10 + i)
    tcp_conn(IP, cli, "198.19.0.20", 40000 + i)
for i in range(3):
    tcp_conn(IP, "198.18.1.%d" % i, "198.19.0.20", 41000 + i, skip_syn=True)
for i in range(10):
    key = ("198.18.2.%d" % i, "198.19.0.53", 17, 50000 + i, 53)
    add(IP(src=key[0], dst=key[1]) / UDP(sport=key[3], dport=53) / Raw(b"?" * 40), key, True)
    add(IP(src=key[1], dst=key[0]) / UDP(sport=53, dport=key[3]) / Raw(b"!" * 120), key, False)
tcp_conn(IPv6, "2001:db8::10", "2001:db8::20", 42000)
wrpcap(sys.argv[1], pkts)
json.dump(truth, open(sys.argv[2], "w"))
print(f"# {len(pkts)} packets in {len(truth)} connections")
PY

port=$(free_udp_port)
raise_rmem_max 16777216
start_nfcapd "$T/nf" "$port" -B 16777216
capture_export "$T/export.pcapng" "$port" "$FLUXPROBE" --read "$T/bi.pcap" --biflow \
	--collector "127.0.0.1:$port" --json "$T/flows.json" -q
sleep 0.5
stop_nfcapd

"$pysys" - "$T/flows.json" "$T/truth.json" <<'PY' || fail "biflow records differ from the truth"
import json, sys, ipaddress
truth = json.load(open(sys.argv[2]))
got = {}
for r in map(json.loads, open(sys.argv[1])):
    v6 = r["ipVersion"] == 6
    key = "|".join(map(str, (
        str(ipaddress.ip_address(r["sourceIPv6Address" if v6 else "sourceIPv4Address"])),
        str(ipaddress.ip_address(r["destinationIPv6Address" if v6 else "destinationIPv4Address"])),
        r["protocolIdentifier"], r["sourceTransportPort"], r["destinationTransportPort"])))
    c = got.setdefault(key, [0, 0, 0, 0])
    for i, f in enumerate(("packetDeltaCount", "octetDeltaCount", "reversePacketDeltaCount",
                           "reverseOctetDeltaCount")):
        c[i] += r[f]
norm = {}
for k, v in truth.items():
    a, b, p, sp, dp = k.split("|")
    norm["|".join((str(ipaddress.ip_address(a)), str(ipaddress.ip_address(b)), p, sp, dp))] = v
if got != norm:
    for k in sorted(set(got) | set(norm)):
        if got.get(k) != norm.get(k):
            print("  ", k, "got", got.get(k), "want", norm.get(k))
    sys.exit(1)
print(f"# {len(got)} connections: initiator as source, both directions exact")
PY

dec=(tshark -n -r "$T/export.pcapng" -d "udp.port==$port,cflow")
read -r fwd rev < <("${dec[@]}" -T fields -e cflow.packets -E occurrence=a -E aggregator=, 2>/dev/null |
	tr ',' '\n' | awk 'NF { if (n++ % 2 == 0) f += $1; else r += $1 } END { print f + 0, r + 0 }')
read -r want_fwd want_rev < <("$pysys" -c 'import json,sys
t=json.load(open(sys.argv[1])); print(sum(v[0] for v in t.values()), sum(v[2] for v in t.values()))' "$T/truth.json")
expect_eq "tshark: forward packets" "$fwd" "$want_fwd"
expect_eq "tshark: reverse packets (RFC 5103 reverse IEs)" "$rev" "$want_rev"
expect_collector "nfdump flows (one per connection)" "$(nfdump_stat "$T/nf" Flows)" \
	"$("$pysys" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/truth.json")"
expect_collector "nfdump packets (both directions)" "$(nfdump_stat "$T/nf" Packets)" "$((want_fwd + want_rev))"

# pmacct's nfacctd 1.7 decodes the biflow templates and accounts the initiator's side only (it
# ignores the reverse IEs): its packets equal the forward totals exactly.
port=$(free_udp_port)
start_nfacctd "$port" "$T/out.csv" "src_host, dst_host, src_port, dst_port, proto"
"$FLUXPROBE" --read "$T/bi.pcap" --biflow --collector "127.0.0.1:$port" -q
sleep 0.5
stop_nfacctd
expect_collector "nfacctd packets (forward side)" \
	"$(awk -F, 'NR > 1 { s += $6 } END { print s + 0 }' "$T/out.csv")" "$want_fwd"
# Pings: a request and its reply are one conversation (ICMPv4 8/0, ICMPv6 128/129), and each
# side's TTLs stay its own (the initiator's in minimumTTL/maximumTTL, the replies' not mixed in).
"$pysys" - "$T/ping.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, wrpcap
e = lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
pkts, t = [], 1767225600.0
for i in range(3):
    for p in (e() / IP(src="198.19.0.9", dst="198.18.0.1", ttl=64) / ICMP(type=8, id=7, seq=i),
              e() / IP(src="198.18.0.1", dst="198.19.0.9", ttl=50) / ICMP(type=0, id=7, seq=i),
              e() / IPv6(src="2001:db8::9", dst="2001:db8::1", hlim=64) / ICMPv6EchoRequest(id=7, seq=i),
              e() / IPv6(src="2001:db8::1", dst="2001:db8::9", hlim=50) / ICMPv6EchoReply(id=7, seq=i)):
        p.time = t
        t += 0.01
        pkts.append(p)
wrpcap(sys.argv[1], pkts)
PY
"$FLUXPROBE" --read "$T/ping.pcap" --biflow --json - -q | "$pysys" -c '
import json, sys
for r in sorted((json.loads(l) for l in sys.stdin), key=lambda r: r["ipVersion"]):
    v6 = r["ipVersion"] == 6
    print(r["sourceIPv6Address" if v6 else "sourceIPv4Address"],
          r["icmpTypeCodeIPv6" if v6 else "icmpTypeCodeIPv4"] >> 8, r["packetDeltaCount"],
          r["reversePacketDeltaCount"], r["minimumTTL"], r["maximumTTL"])' >"$T/ping.txt"
expect_eq "biflow pings (initiator, echo type, packets, reverse packets, TTL min, max)" \
	"$(tr '\n' ';' <"$T/ping.txt")" "198.19.0.9 8 3 3 64 64;2001:db8::9 128 3 3 64 64;"
echo "ok: biflow"
