#!/usr/bin/env bash
# NetFlow v5 (--format nfv5) into the three real decoders: nfcapd/nfdump, pmacct's nfacctd and
# tshark. v5 carries IPv4 only: the IPv4 flows, packets and bytes of the generated capture must
# arrive exactly, the IPv6 flows must be counted as not exportable, times must be the packets'
# own (nfdump), and tshark must see ≤ 30 records per packet with a gap-free flow sequence.
source "$(dirname "$0")/lib.sh"

"$FPGEN" -o "$T/in.pcap" -n 300000 -f 30000 -6 30 -V 30 -r 91 -c "$T/truth.csv" >"$T/truth.json"
read -r v4_flows v4_packets v4_bytes < <(python3 -c 'import csv,sys
f=p=b=0
for r in csv.DictReader(open(sys.argv[1])):
    if ":" not in r["src"]: f+=1; p+=int(r["packets"]); b+=int(r["bytes"])
print(f, p, b)' "$T/truth.csv")
raise_rmem_max 16777216

# nfcapd, with the export captured for tshark
port=$(free_udp_port)
start_nfcapd "$T/nf" "$port" -B 16777216
capture_export "$T/export.pcapng" "$port" sh -c '"$0" "$@" >"'"$T"'/summary.json"' "$FLUXPROBE" \
	--read "$T/in.pcap" --collector "127.0.0.1:$port" --format nfv5 --idle-timeout 300 \
	--active-timeout 600 --json "$T/flows.json" --summary json -q
sleep 0.5
stop_nfcapd
expect_eq "not exportable (IPv6 flows)" "$(json_get "$T/summary.json" records_not_exportable)" \
	"$(json_get "$T/truth.json" ipv6_flows)"
expect_collector "nfdump flows" "$(nfdump_stat "$T/nf" Flows)" "$v4_flows"
expect_collector "nfdump packets" "$(nfdump_stat "$T/nf" Packets)" "$v4_packets"
expect_collector "nfdump bytes" "$(nfdump_stat "$T/nf" Bytes)" "$v4_bytes"
expect_collector "nfdump sequence failures" "$(nfdump_stat "$T/nf" "Sequence failures")" 0
first=$(nfdump -R "$T/nf" -q -o "fmt:%ts" -O tstart | awk 'NR == 1 { print $1 "T" $2 }')
# the same flows' own start times, as the JSON lines of the same run give them
expect_eq "first IPv4 flow start (nfdump vs --json)" "$first" "$(python3 -c 'import json,sys
print(min(r["flowStartMilliseconds"] for r in map(json.loads, open(sys.argv[1])) if r["ipVersion"] == 4)[:-1])' "$T/flows.json")"

# tshark: every record decodes, ≤ 30 per packet, flow sequence = records sent before
dec=(tshark -n -r "$T/export.pcapng" -d "udp.port==$port,cflow")
"${dec[@]}" -T fields -e cflow.version -e cflow.count -e cflow.sequence 2>/dev/null >"$T/hdr.txt"
python3 - "$T/hdr.txt" "$v4_flows" <<'PY' || fail "v5 headers wrong"
import sys
seq = 0
for n, line in enumerate(open(sys.argv[1]), 1):
    ver, count, s = (int(x) for x in line.split())
    assert ver == 5 and 1 <= count <= 30, (n, line)
    assert s == seq, (n, s, seq)
    seq += count
assert seq == int(sys.argv[2]), (seq, sys.argv[2])
print(f"# tshark: {n} v5 packets, ≤ 30 records each, flow sequence gap-free")
PY
total=$("${dec[@]}" -T fields -e cflow.packets -E occurrence=a -E aggregator=, 2>/dev/null |
	tr ',' '\n' | awk '{s += $1} END {print s + 0}')
expect_eq "packets decoded by tshark" "$total" "$v4_packets"

# nfacctd
port=$(free_udp_port)
start_nfacctd "$port" "$T/out.csv" "src_host, dst_host, src_port, dst_port, proto"
"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" --format nfv5 \
	--idle-timeout 300 --active-timeout 600 -q
sleep 0.5
stop_nfacctd
read -r pkts bytes < <(python3 -c 'import csv,sys
p=b=0
for r in csv.DictReader(open(sys.argv[1])): p+=int(r["PACKETS"]); b+=int(r["BYTES"])
print(p, b)' "$T/out.csv")
expect_collector "nfacctd packets" "$pkts" "$v4_packets"
expect_collector "nfacctd bytes" "$bytes" "$v4_bytes"
echo "ok: NetFlow v5"
