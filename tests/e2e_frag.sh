#!/usr/bin/env bash
# Fragments: scapy writes fragmented UDP datagrams over IPv4 and IPv6 — in order, in reverse
# order (later fragments before their first), and with the first fragment missing. With the
# fragment cache every fragment of a datagram whose first fragment came lands in the datagram's
# flow (its ports), all bytes counted; fragments whose first never came are accounted without
# ports once they time out. Compared flow by flow (JSON lines) with what the generator knows.
source "$(dirname "$0")/lib.sh"

# scapy comes from Debian's python3-scapy: use the system interpreter (a pyenv shim may shadow it)
pysys=/usr/bin/python3
[ -x "$pysys" ] || pysys=python3
"$pysys" - "$T/frag.pcap" "$T/expect.json" <<'PY'
import json, sys
from collections import defaultdict
from scapy.all import Ether, IP, IPv6, UDP, Raw, fragment, fragment6, IPv6ExtHdrFragment, wrpcap

pkts, expect = [], defaultdict(lambda: [0, 0])
t = 1767225600.0
def add(frags, src, dst, sport, dport, first_kept):
    global t
    for f in frags:
        f.time = t
        t += 0.001
        pkts.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / f)
        ip = f[IP] if IP in f else f[IPv6]
        length = len(bytes(ip))
        key = (src, dst, 17, sport, dport) if first_kept else (src, dst, 17, 0, 0)
        expect[key][0] += 1
        expect[key][1] += length

for i in range(5):  # IPv4 in order
    d = IP(src="198.18.0.1", dst="198.19.0.1", id=100 + i) / UDP(sport=5001, dport=53) / Raw(b"a" * 3000)
    add(fragment(d, fragsize=1000), "198.18.0.1", "198.19.0.1", 5001, 53, True)
for i in range(5):  # IPv4 reversed: the first fragment comes last
    d = IP(src="198.18.0.2", dst="198.19.0.1", id=200 + i) / UDP(sport=5002, dport=53) / Raw(b"b" * 3000)
    add(list(reversed(fragment(d, fragsize=1000))), "198.18.0.2", "198.19.0.1", 5002, 53, True)
for i in range(3):  # IPv4 first fragment never sent
    d = IP(src="198.18.0.3", dst="198.19.0.1", id=300 + i) / UDP(sport=5003, dport=53) / Raw(b"c" * 3000)
    add(fragment(d, fragsize=1000)[1:], "198.18.0.3", "198.19.0.1", 5003, 53, False)
for i in range(4):  # IPv6 in order and reversed
    d = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(id=400 + i) / UDP(sport=6001, dport=123) / Raw(b"d" * 3000)
    fr = fragment6(d, 1280)
    add(fr if i % 2 == 0 else list(reversed(fr)), "2001:db8::1", "2001:db8::2", 6001, 123, True)
wrpcap(sys.argv[1], pkts)
json.dump([[list(k), v] for k, v in expect.items()], open(sys.argv[2], "w"))
print(f"# {len(pkts)} fragments in {len(expect)} expected flows")
PY

"$FLUXPROBE" --read "$T/frag.pcap" --json "$T/flows.json" --summary json -q >"$T/s.json"
python3 - "$T/flows.json" "$T/expect.json" <<'PY' || fail "fragmented flows differ"
import json, sys, ipaddress
from collections import defaultdict
got = defaultdict(lambda: [0, 0])
for r in map(json.loads, open(sys.argv[1])):
    v6 = r["ipVersion"] == 6
    k = (str(ipaddress.ip_address(r["sourceIPv6Address" if v6 else "sourceIPv4Address"])),
         str(ipaddress.ip_address(r["destinationIPv6Address" if v6 else "destinationIPv4Address"])),
         r["protocolIdentifier"], r.get("sourceTransportPort", 0), r.get("destinationTransportPort", 0))
    got[k][0] += r["packetDeltaCount"]
    got[k][1] += r["octetDeltaCount"]
want = {(str(ipaddress.ip_address(k[0])), str(ipaddress.ip_address(k[1])), k[2], k[3], k[4]): v
        for k, v in json.load(open(sys.argv[2]))}
if dict(got) != want:
    print("got: ", sorted(got.items()))
    print("want:", sorted(want.items()))
    sys.exit(1)
print(f"# {len(want)} flows: packets and bytes of every fragment in the right flow")
PY
expect_eq "fragments whose first never came (summary)" "$(json_get "$T/s.json" fragments.unmatched)" 9
[ "$(json_get "$T/s.json" fragments.released)" -gt 0 ] || fail "no held fragment released"

# without the cache, later fragments have no ports
"$FLUXPROBE" --read "$T/frag.pcap" --frag-max 0 --json - -q | python3 -c 'import json,sys
print(sum(1 for r in map(json.loads, sys.stdin) if r.get("destinationTransportPort", 0) == 0))' >"$T/portless"
[ "$(cat "$T/portless")" -gt 1 ] || fail "--frag-max 0 still gave fragments ports"
echo "ok: fragments"
