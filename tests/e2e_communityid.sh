#!/usr/bin/env bash
# Community ID v1 on JSON lines, against Wireshark's own (tshark --enable-protocol communityid):
# for captures of the tcpdump corpus (TCP, UDP, ICMP, ICMPv6) and a generated one with both
# directions of TCP, UDP and SCTP associations, ICMP/ICMPv6 echoes and replies, a one-way ICMP
# error and a fragmented datagram, the set of communityId values fluxprobe writes equals the set
# tshark computes for the transport packets; with a seed too.
# Usage: e2e_communityid.sh CORPUS-DIR
source "$(dirname "$0")/lib.sh"
dir=${1:?corpus directory}

/usr/bin/python3 - "$T/gen.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, Raw, fragment, wrpcap
from scapy.layers.sctp import SCTP, SCTPChunkInit
e = lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
a4, b4, a6, b6 = "198.18.0.10", "198.19.0.20", "2001:db8::10", "2001:db8:1::20"
pk = []
for s, d, l3 in ((a4, b4, IP), (a6, b6, IPv6)):
    pk += [e() / l3(src=s, dst=d) / TCP(sport=40000, dport=443, flags="S"),
           e() / l3(src=d, dst=s) / TCP(sport=443, dport=40000, flags="SA"),
           e() / l3(src=s, dst=d) / UDP(sport=5353, dport=53) / Raw(b"q" * 20),
           e() / l3(src=d, dst=s) / UDP(sport=53, dport=5353) / Raw(b"r" * 40),
           e() / l3(src=s, dst=d) / SCTP(sport=2905, dport=2906) / SCTPChunkInit(),
           e() / l3(src=d, dst=s) / SCTP(sport=2906, dport=2905) / SCTPChunkInit()]
pk += [e() / IP(src=a4, dst=b4) / ICMP(type=8, id=1), e() / IP(src=b4, dst=a4) / ICMP(type=0, id=1),
       e() / IP(src=b4, dst=a4) / ICMP(type=3, code=3) / IP(src=a4, dst=b4) / UDP(sport=1, dport=2),
       e() / IPv6(src=a6, dst=b6) / ICMPv6EchoRequest(id=1), e() / IPv6(src=b6, dst=a6) / ICMPv6EchoReply(id=1)]
pk += [e() / f for f in fragment(IP(src=a4, dst=b4, id=77) / UDP(sport=7000, dport=7001) / Raw(b"x" * 3000), fragsize=1000)]
t = 1767225600.0
for p in pk:
    p.time = t
    t += 0.001
wrpcap(sys.argv[1], pk)
PY

ids() { # FILE SEED: fluxprobe's set, then tshark's
	"$FLUXPROBE" -r "$1" --community-id-seed "$2" --json - -q | python3 -c 'import json, sys
print("\n".join(sorted(set(json.loads(l)["communityId"] for l in sys.stdin))))' >"$T/fp.ids"
	# tshark reassembles the fragmented datagram and gives it the full value (its fragments
	# before that carry one without ports: they are not transport packets), as fluxprobe,
	# whose fragment cache gives later fragments the first one's ports, does for the flow
	tshark -r "$1" -o communityid.seed:"$2" --enable-protocol communityid \
		-Y "tcp or udp or sctp or icmp or icmpv6" -T fields -e communityid 2>/dev/null |
		sed 's/,.*//' | grep . | sort -u >"$T/ts.ids"
}
for f in "$T/gen.pcap" "$dir/ssh.pcap" "$dir/dns_udp.pcap" "$dir/icmp-rfc8335.pcap" \
	"$dir/icmp6-rfc8335.pcap" "$dir/icmpv6-RFC2894-RR.pcap"; do
	for seed in 0 4242; do
		ids "$f" "$seed"
		[ -s "$T/ts.ids" ] || fail "$(basename "$f"): tshark computed no Community ID"
		diff "$T/fp.ids" "$T/ts.ids" >"$T/diff" || { cat "$T/diff"; fail "$(basename "$f") seed $seed: communityId differs from tshark's"; }
		note "$(basename "$f"), seed $seed: $(wc -l <"$T/fp.ids") Community IDs, all as tshark computes them"
	done
done
# the generated capture: 2 TCP, 2 UDP, 2 SCTP, 1 ICMP echo, 1 ICMP error, 1 ICMPv6 echo, the
# fragmented datagram: 10 distinct values (both directions share one)
ids "$T/gen.pcap" 0
expect_eq "distinct Community IDs in the generated capture" "$(wc -l <"$T/fp.ids")" 10
echo "ok: Community ID equals tshark's"
