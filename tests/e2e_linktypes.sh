#!/usr/bin/env bash
# Captures tshark reads that fluxprobe once refused or misread, from the tcpdump corpus: PPP and
# Cisco HDLC links, and IPv4 packets with total length 0 (TSO / BIG TCP captured on the sending
# host). For each, the packets fluxprobe accounts equal the IP packets tshark finds, and for the
# offload captures the bytes equal the frames' IP bytes.
# Usage: e2e_linktypes.sh CORPUS-DIR
source "$(dirname "$0")/lib.sh"
dir=${1:?corpus directory}

# file, tshark display filter for the packets that must be accounted
while read -r f filter; do
	"$FLUXPROBE" --read "$dir/$f" --summary json -q >"$T/s.json" || fail "$f: fluxprobe failed"
	want=$(tshark -r "$dir/$f" -Y "$filter" 2>/dev/null | wc -l)
	[ "$want" -gt 0 ] || fail "$f: tshark finds no '$filter' (the test tests nothing)"
	expect_eq "$f: packets (tshark: $filter)" "$(json_get "$T/s.json" packets)" "$want"
	expect_eq "$f: parse errors" "$(json_get "$T/s.json" parse_errors)" 0
done <<'LIST'
HDLC.pcap ip or ipv6
lspping-fec-ldp.pcap ip or ipv6
mpls-traceroute.pcap ip or ipv6
wb-oobr.pcap ip or ipv6
bigtcp-ipv4.pcap tcp
ipv4_tcp_http_xml_tso.pcap tcp
LIST
for f in bigtcp-ipv4.pcap ipv4_tcp_http_xml_tso.pcap; do
	"$FLUXPROBE" --read "$dir/$f" --summary json -q >"$T/s.json"
	expect_eq "$f: bytes (frame length less Ethernet)" "$(json_get "$T/s.json" bytes)" \
		"$(tshark -r "$dir/$f" -T fields -e frame.len 2>/dev/null | awk '{ s += $1 - 14 } END { print s }')"
done
echo "ok: PPP, Cisco HDLC and offloaded IPv4 accounted as tshark sees them"
