#!/usr/bin/env bash
# A collector tier: --collector-mode balance over two nfcapd instances. Each flow goes to exactly
# one of them, the union equals the ground truth (flows, packets, bytes), each gets a fair share,
# the summary's per-collector records equal what each nfcapd holds, and both directions of a
# connection land on the same collector (so a collector sees whole conversations).
source "$(dirname "$0")/lib.sh"

"$FPGEN" -o "$T/in.pcap" -n 200000 -f 20000 -6 30 -V 30 -r 5 >"$T/truth.json"
raise_rmem_max 16777216 # two collectors share two cores with the probe: deep buffers
pa=$(free_udp_port)
start_nfcapd "$T/a" "$pa" -B 16777216
NFA=$NFCAPD_PID
pb=$(free_udp_port)
start_nfcapd "$T/b" "$pb" -B 16777216
NFB=$NFCAPD_PID
"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$pa" --collector "127.0.0.1:$pb" \
	--collector-mode balance --no-options --summary json -q >"$T/summary.json" ||
	fail "fluxprobe failed"
sleep 0.5
kill -TERM "$NFA" "$NFB"
wait "$NFA" "$NFB" 2>/dev/null || true

flows=$(json_get "$T/truth.json" flows)
fa=$(nfdump_stat "$T/a" Flows)
fb=$(nfdump_stat "$T/b" Flows)
note "collector a: $fa flows, collector b: $fb flows"
expect_eq "flows, both collectors" "$((fa + fb))" "$flows"
expect_eq "packets, both collectors" "$(($(nfdump_stat "$T/a" Packets) + $(nfdump_stat "$T/b" Packets)))" \
	"$(json_get "$T/truth.json" packets)"
expect_eq "bytes, both collectors" "$(($(nfdump_stat "$T/a" Bytes) + $(nfdump_stat "$T/b" Bytes)))" \
	"$(json_get "$T/truth.json" bytes)"
expect_eq "summary: records to collector a" "$(json_get "$T/summary.json" collectors.0.records)" "$fa"
expect_eq "summary: records to collector b" "$(json_get "$T/summary.json" collectors.1.records)" "$fb"
# each flow key in exactly one collector
keys() { nfdump -R "$1" -q -o 'fmt:%pr %sa %sp %da %dp %svln' | tr -s ' ' | sort; }
keys "$T/a" >"$T/a.keys"
keys "$T/b" >"$T/b.keys"
expect_eq "distinct flow keys in a" "$(sort -u "$T/a.keys" | wc -l)" "$fa"
expect_eq "flow keys in both collectors" "$(comm -12 "$T/a.keys" "$T/b.keys" | wc -l)" 0
# a fair share: 20000 flows hashed in two give 10000 +- 71 (one standard deviation)
[ "$fa" -gt 9000 ] && [ "$fb" -gt 9000 ] || fail "unfair split: $fa / $fb"

# Both directions of a connection: 300 request/response pairs (UDP and TCP, IPv4 and IPv6).
/usr/bin/python3 - "$T/bidir.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, UDP, TCP, wrpcap
pkts, t = [], 1767225600.0
for i in range(300):
    if i % 3 == 2:
        a, b = "2001:db8::%x" % (i + 1), "2001:db8:1::%x" % (i + 1)
        l3 = lambda s, d: IPv6(src=s, dst=d)
    else:
        a, b = "198.18.%d.%d" % (i // 250, i % 250 + 1), "198.19.%d.%d" % (i // 250, i % 250 + 1)
        l3 = lambda s, d: IP(src=s, dst=d)
    l4 = (lambda s, d: TCP(sport=s, dport=d, flags="A")) if i % 2 else (lambda s, d: UDP(sport=s, dport=d))
    sp = 1024 + i
    for p in (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / l3(a, b) / l4(sp, 443),
              Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / l3(b, a) / l4(443, sp)):
        p.time = t
        t += 0.001
        pkts.append(p)
wrpcap(sys.argv[1], pkts)
PY
rm -rf "$T/a" "$T/b"
start_nfcapd "$T/a" "$pa" -B 16777216
NFA=$NFCAPD_PID
start_nfcapd "$T/b" "$pb" -B 16777216
NFB=$NFCAPD_PID
"$FLUXPROBE" --read "$T/bidir.pcap" --collector "127.0.0.1:$pa" --collector "127.0.0.1:$pb" \
	--collector-mode balance --no-options -q || fail "fluxprobe failed"
sleep 0.5
kill -TERM "$NFA" "$NFB"
wait "$NFA" "$NFB" 2>/dev/null || true
fa=$(nfdump_stat "$T/a" Flows)
fb=$(nfdump_stat "$T/b" Flows)
note "connections: collector a $fa flows, b $fb flows"
expect_eq "flows, both collectors" "$((fa + fb))" 600
# a connection split across collectors leaves a lone direction: every (proto, {end, end}) pair
# must appear twice in one collector
lone() { nfdump -R "$1" -q -o 'fmt:%pr %sa %sp %da %dp' | tr -s ' ' | awk '{
	x = $2 " " $3; y = $4 " " $5; k = (x < y) ? $1 " " x " " y : $1 " " y " " x; n[k]++ }
	END { c = 0; for (k in n) if (n[k] != 2) c++; print c }'; }
expect_eq "connections split across collectors (a)" "$(lone "$T/a")" 0
expect_eq "connections split across collectors (b)" "$(lone "$T/b")" 0
[ "$fa" -gt 200 ] && [ "$fb" -gt 200 ] || fail "unfair split of connections: $fa / $fb"
echo "ok: balance mode: each flow in one collector, union exact, connections kept whole"
