#!/usr/bin/env bash
# End to end into pmacct's nfacctd (print plugin, one row per 5-tuple + VLAN): the rows, packets
# and bytes it accounts equal the generated capture's ground truth.
# Usage: e2e_nfacctd.sh ipfix|nfv9 [more fluxprobe options, e.g. --options]
source "$(dirname "$0")/lib.sh"
fmt=${1:?format}
extra=("${@:2}")

"$FPGEN" -o "$T/in.pcap" -n 1200000 -f 120000 -6 30 -V 30 -r 11 >"$T/truth.json"
port=$(free_udp_port)
start_nfacctd "$port" "$T/out.csv" "src_host, dst_host, src_port, dst_port, proto, vlan"
"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" --format "$fmt" \
	--idle-timeout 300 --active-timeout 600 "${extra[@]}" -q
sleep 0.5
stop_nfacctd
[ -s "$T/out.csv" ] || { cat "$T/out.csv.log"; fail "nfacctd wrote no output"; }

read -r rows pkts bytes vlan icmp < <(awk -F, 'NR > 1 { r++; p += $7; b += $8;
	if ($1 != 0) v++; if ($6 == "icmp" || $6 == "ipv6-icmp") i++ }
	END { print r + 0, p + 0, b + 0, v + 0, i + 0 }' "$T/out.csv")
expect_collector "nfacctd flows" "$rows" "$(json_get "$T/truth.json" flows)"
expect_collector "nfacctd packets" "$pkts" "$(json_get "$T/truth.json" packets)"
expect_collector "nfacctd bytes" "$bytes" "$(json_get "$T/truth.json" bytes)"
expect_collector "nfacctd VLAN-tagged flows" "$vlan" "$(json_get "$T/truth.json" vlan_flows)"
expect_collector "nfacctd ICMP flows" "$icmp" "$(json_get "$T/truth.json" icmp_flows)"
echo "ok: $fmt export exact at nfacctd"
