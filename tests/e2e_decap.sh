#!/usr/bin/env bash
# --decap auto on the real tunnelled captures of tcpdump's corpus (ERSPAN I/II/III, GRE with Cisco
# MetaData, VXLAN on 4789 and 8472, Geneve with Ethernet and IP inside, over IPv4 and IPv6): the
# inner flows equal what
# tshark decodes in them (tests/decap_inner.py). With --decap none the outer packet stays the
# flow; every packet is accounted either way, and the summary counts packets per tunnel type.
source "$(dirname "$0")/lib.sh"
C=${CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/pcaps/tcpdump}
[ -d "$C" ] || fail "corpus $C not found"
files=()
for f in erspan-type-i-1 erspan-type-i-2 erspan-type-i-3 erspan-type-i-4 erspan-type-ii-1 \
	erspan-type-ii-2 erspan-type-ii-3 erspan-type-iii-ft-0 vxlan vxlan_port_8472 geneve \
	geneve-gcp gso-ipv4-vxlan-ipv4 gso-ipv4-vxlan-ipv6 gso-ipv6-vxlan-ipv4 gso-ipv6-vxlan-ipv6 \
	gso-ipv4-geneve-ipv4 gso-ipv4-geneve-ipv6 gso-ipv6-geneve-ipv4 gso-ipv6-geneve-ipv6 various_gre; do
	files+=("$C/$f.pcap")
done
python3 "$(dirname "$0")/decap_inner.py" "$FLUXPROBE" "${files[@]}" || fail "inner flows differ from tshark"

"$FLUXPROBE" --read "$C/vxlan.pcap" --decap none --json - -q >"$T/none.json"
"$FLUXPROBE" --read "$C/vxlan.pcap" --decap auto --summary json -q >"$T/auto.json"
outer=$(python3 -c 'import json,sys
print(sum(r["packetDeltaCount"] for r in map(json.loads, open(sys.argv[1])) if r.get("destinationTransportPort") == 4789))' "$T/none.json")
vx=$(json_get "$T/auto.json" decapsulated.vxlan)
failed=$(($(json_get "$T/auto.json" decapsulated.failed) + $(json_get "$T/auto.json" decapsulated.not_ip_inside)))
note "vxlan.pcap: $outer UDP/4789 packets; --decap auto opened $vx, $failed not opened (malformed or not IP inside: kept as outer)"
[ "$vx" -gt 0 ] || fail "no VXLAN packet opened"
expect_eq "--decap none: every VXLAN packet an outer UDP/4789 flow" "$outer" "$((vx + failed))"
expect_eq "--decap auto: packets" "$(json_get "$T/auto.json" packets)" "$(json_get "$T/auto.json" frames)"
"$FLUXPROBE" --read "$C/erspan-type-ii-2.pcap" --decap auto --summary json -q >"$T/erspan.json"
expect_eq "ERSPAN II packets opened" "$(json_get "$T/erspan.json" decapsulated.erspan)" \
	"$(json_get "$T/erspan.json" packets)"
# ARP, STP and CDP frames inside ERSPAN are not IP: the GRE packet is the flow, not a failure
"$FLUXPROBE" --read "$C/erspan-type-ii-3.pcap" --decap auto --summary json -q >"$T/erspan3.json"
expect_eq "non-IP inside ERSPAN: not counted as failed" "$(json_get "$T/erspan3.json" decapsulated.failed)" 0
echo "ok: decapsulation"
