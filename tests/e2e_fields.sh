#!/usr/bin/env bash
# --fields: the optional template fields reach real collectors with the values on the wire.
# A scapy capture (tests/fields_gen.py: QinQ, MPLS stacks of 1-4 labels, IPv6 flow labels,
# VXLAN, GRE with and without key, all under --decap auto) goes out with --fields all
# --ifindex 7, and flow by flow:
#  - tshark decodes ingressInterface, dot1qVlanId, dot1qCustomerVlanId, flowLabelIPv6, the
#    three MPLS label stack sections, greKey and layer2SegmentId from IPFIX and from v9, equal to
#    the truth, with packets and octets; so does --json beside it;
#  - nfdump (nfcapd) shows the ingress interface, VLAN and the three MPLS labels;
#  - nfacctd shows in_iface, vlan and the top MPLS label;
#  - v5 carries the ingress interface in its input field;
# and without --fields the template is the default one; --decap auto adds the outer context
# (MPLS labels, greKey, layer2SegmentId) unless --fields says otherwise.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
check() { python3 "$here/fields_check.py" "$T/truth.json" 7 "$@" || fail "$1 differs from the truth"; }

/usr/bin/python3 "$here/fields_gen.py" "$T/in.pcap" "$T/truth.json" 400 11 >/dev/null
probe=("$FLUXPROBE" --read "$T/in.pcap" --decap auto --fields all --ifindex 7 --idle-timeout 300 -q)

for fmt in ipfix nfv9; do
	port=$(free_udp_port)
	capture_export "$T/$fmt.pcapng" "$port" "${probe[@]}" --collector "127.0.0.1:$port" \
		--format "$fmt" --json "$T/$fmt.jsonl"
	check tshark "$T/$fmt.pcapng" "$port"
	python3 "$here/conformance.py" "$fmt" "$T/$fmt.pcapng" 1500 || fail "$fmt export with --fields breaks the RFC rules"
done
check json "$T/ipfix.jsonl"

port=$(free_udp_port)
start_nfcapd "$T/nf" "$port"
"${probe[@]}" --collector "127.0.0.1:$port" --no-options
sleep 0.5
stop_nfcapd
check nfdump "$T/nf"

port=$(free_udp_port)
start_nfacctd "$port" "$T/acct.csv" "src_host,dst_host,src_port,dst_port,proto,in_iface,vlan,mpls_label_top"
"${probe[@]}" --collector "127.0.0.1:$port"
sleep 1
stop_nfacctd
check nfacctd "$T/acct.csv"

# v5: the input field is the only one of these it has
port=$(free_udp_port)
start_nfcapd "$T/v5" "$port"
"$FLUXPROBE" --read "$T/in.pcap" --decap auto --fields ingress --ifindex 7 --format nfv5 \
	--collector "127.0.0.1:$port" -q
sleep 0.5
stop_nfcapd
expect_eq "v5 input interfaces (nfdump)" "$(nfdump -R "$T/v5" -q -o 'fmt:%in' | sort -u | tr -d ' ')" 7

# defaults: no optional field; with --decap auto the outer context (MPLS, GRE key, VXLAN VNI)
tpl_ids() { # extra fluxprobe args...: the IPFIX template's IE numbers, one per line
	local port
	port=$(free_udp_port)
	capture_export "$T/tpl.pcapng" "$port" "$FLUXPROBE" --read "$T/in.pcap" \
		--collector "127.0.0.1:$port" -q "$@"
	tshark -n -r "$T/tpl.pcapng" -d "udp.port==$port,cflow" -T fields \
		-e cflow.template_ipfix_field_type 2>/dev/null | tr ',' '\n' | sort -un
}
optional='^(10|243|245|31|70|71|72|296|351)$'
expect_eq "optional IEs by default" "$(tpl_ids | grep -E "$optional" | tr '\n' ' ')" ""
expect_eq "optional IEs with --decap auto" "$(tpl_ids --decap auto | grep -E "$optional" | tr '\n' ' ')" \
	"70 71 72 296 351 "
expect_eq "optional IEs with --decap auto --fields none" \
	"$(tpl_ids --decap auto --fields none | grep -E "$optional" | tr '\n' ' ')" ""
echo "ok: --fields reach tshark, nfdump and nfacctd as they were on the wire"
