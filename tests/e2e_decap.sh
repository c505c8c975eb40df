#!/usr/bin/env bash
# --decap auto on the real tunnelled captures of tcpdump's corpus (ERSPAN I/II/III, GRE with Cisco
# MetaData, VXLAN on 4789 and 8472, Geneve with Ethernet and IP inside, over IPv4 and IPv6): the
# inner flows equal what
# tshark decodes in them (tests/decap_inner.py). With --decap none the outer packet stays the
# flow; every packet is accounted either way, and the summary counts packets per tunnel type.
source "$(dirname "$0")/lib.sh"
C=${CORPUS:-$(cd "$(dirname "$0")" && pwd)/pcaps/tcpdump}
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

# Tunnels recognised but not opened are each counted under their own reason, accounted as the
# outer packet, and named in the last lines: crafted GRE (PPTP's version 1, PPP, NSH, WCCP,
# another type), Geneve carrying NSH, GTP-U echo requests, and ordinary UDP on 2152 (not GTP).
/usr/bin/python3 - "$T/unopened.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, GRE, Raw, wrpcap
from scapy.contrib.geneve import GENEVE
e = lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
ip = lambda: IP(src="198.18.0.1", dst="198.19.0.1")
pk = []
pk += [e() / ip() / GRE(version=1, proto=0x880b) / Raw(b"\x00" * 12)] * 3  # PPTP
pk += [e() / ip() / GRE(proto=0x880b) / Raw(b"\xff\x03\x00\x21" + b"\x00" * 20)] * 2
pk += [e() / ip() / GRE(proto=0x894f) / Raw(b"\x00" * 24)] * 4
pk += [e() / ip() / GRE(proto=0x883e) / Raw(b"\x00" * 24)]
pk += [e() / ip() / GRE(proto=0x9999) / Raw(b"\x00" * 24)] * 2
pk += [e() / ip() / UDP(sport=5000, dport=6081) / GENEVE(proto=0x894f) / Raw(b"\x00" * 24)] * 2
pk += [e() / ip() / UDP(sport=2152, dport=2152) / Raw(b"\x32\x01\x00\x04\x00\x00\x00\x00\x00\x01\x00\x00")] * 5
pk += [e() / ip() / UDP(sport=2152, dport=2152) / Raw(b"\x00" * 16)] * 6  # not GTP at all
wrpcap(sys.argv[1], pk)
PY
"$FLUXPROBE" --read "$T/unopened.pcap" --decap auto --summary json >"$T/unopened.json" 2>"$T/unopened.log"
for kv in gre_pptp=3 gre_ppp=2 gre_nsh=4 gre_wccp=1 gre_other=2 geneve_other=2 gtpu_signalling=5; do
	expect_eq "not opened: ${kv%=*}" "$(json_get "$T/unopened.json" "decapsulated.not_opened.${kv%=*}")" "${kv#*=}"
done
expect_eq "every crafted packet accounted" "$(json_get "$T/unopened.json" packets)" 25
grep -q "19 tunnel packets not opened (gre_pptp 3, gre_ppp 2, gre_nsh 4, gre_wccp 1, gre_other 2, geneve_other 2, gtpu_signalling 5)" "$T/unopened.log" ||
	{ cat "$T/unopened.log"; fail "the last lines do not name the tunnels not opened"; }
echo "ok: decapsulation"
