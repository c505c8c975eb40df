#!/usr/bin/env bash
# tshark decodes every export message: the export is captured on loopback with dumpcap, then
#  1. the whole capture: one frame per message sent, nothing flagged malformed, and the packet
#     counters tshark decodes add up to the ground truth;
#  2. the capture without its first 40 messages (tshark "started late", after the first
#     template): only messages before the first template refresh lack a template, and every
#     message from the refresh on decodes.
# Usage: e2e_tshark.sh ipfix|nfv9
source "$(dirname "$0")/lib.sh"
fmt=${1:?format}
case "$fmt" in ipfix) tset=2 pk=cflow.packets ;; nfv9) tset=0 pk=cflow.packets ;; esac

"$FPGEN" -o "$T/in.pcap" -n 300000 -f 50000 -6 30 -V 30 -r 5 >"$T/truth.json"
port=$(free_udp_port)
capture_export "$T/export.pcapng" "$port" sh -c '"$0" "$@" >"'"$T"'/summary.json"' "$FLUXPROBE" \
	--read "$T/in.pcap" --collector "127.0.0.1:$port" --format "$fmt" --template-packets 100 --options \
	--idle-timeout 300 --summary json -q

msgs=$(json_get "$T/summary.json" messages)
python3 "$(dirname "$0")/conformance.py" "$fmt" "$T/export.pcapng" 1500 || fail "export breaks the RFC rules"

dec=(tshark -n -r "$T/export.pcapng" -d "udp.port==$port,cflow")
expect_eq "messages captured" "$(capinfos -Mc "$T/export.pcapng" | awk '/Number of packets/ {print $NF}')" "$msgs"
expect_eq "malformed frames" "$("${dec[@]}" -Y '_ws.malformed or _ws.expert.severity >= 6291456' 2>/dev/null | wc -l)" 0
total=$("${dec[@]}" -T fields -e "$pk" -E occurrence=a -E aggregator=, 2>/dev/null |
	tr ',' '\n' | awk '{s += $1} END {print s + 0}')
expect_eq "packets decoded by tshark" "$total" "$(json_get "$T/truth.json" packets)"

# options records (RFC 7011 section 4): the last ones, sent at exit, carry the final totals
last_opt() { "${dec[@]}" -Y "$1" -T fields -e "$1" -E occurrence=l 2>/dev/null | tail -1; }
expect_eq "exported flow records (options)" "$(last_opt cflow.flowsexp)" "$(json_get "$T/summary.json" records_exported)"
if [ "$fmt" = ipfix ]; then # v9 carries only the metering statistics
	expect_eq "not sent flows (options)" "$(last_opt cflow.notsent_flows)" "$(json_get "$T/summary.json" records_dropped)"
	expect_eq "ignored packets (options)" "$(last_opt cflow.ignore_packets)" \
		"$(($(json_get "$T/summary.json" parse_errors) + $(json_get "$T/summary.json" not_ip)))"
fi

editcap -r "$T/export.pcapng" "$T/late.pcapng" "41-$((msgs + 1))" >/dev/null
late=(tshark -n -r "$T/late.pcapng" -d "udp.port==$port,cflow")
first_tpl=$("${late[@]}" -Y "cflow.flowset_id == $tset" -T fields -e frame.number 2>/dev/null | awk 'NR == 1')
[ -n "$first_tpl" ] || fail "no template refresh in the late capture"
last_bad=$("${late[@]}" -Y '_ws.expert.group == 0x07000000' -T fields -e frame.number 2>/dev/null | tail -1)
note "late start: first template in frame $first_tpl, last undecodable frame ${last_bad:-none}"
[ -z "$last_bad" ] || [ "$last_bad" -lt "$first_tpl" ] ||
	fail "frame $last_bad has no template although templates came in frame $first_tpl"
[ "$first_tpl" -le 101 ] || fail "template refresh came only in frame $first_tpl (want within 100 messages)"

# a small MTU: every message still fits and still conforms
port=$(free_udp_port)
capture_export "$T/small.pcapng" "$port" "$FLUXPROBE" --read "$T/in.pcap" \
	--collector "127.0.0.1:$port" --format "$fmt" --mtu 576 --options -q
python3 "$(dirname "$0")/conformance.py" "$fmt" "$T/small.pcapng" 576 || fail "--mtu 576 export breaks the rules"
echo "ok: tshark decodes every $fmt message"
