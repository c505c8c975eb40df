#!/usr/bin/env bash
# --local-net: every record's direction (inbound, outbound, internal, external) in every output
# equals the truth of a generated capture (tests/direction_gen.py: UDP flows every way across
# the local networks, IPv4 and IPv6, addresses at each prefix's edges; a TCP connection each
# way): JSON (direction, flowDirection), ECS (network.direction), IPFIX and v9 decoded by tshark
# (flowDirection 61), nfcapd's files from v9 and the probe's own --flow-dir read by nfdump
# (%dir); with --biflow the initiator decides. Without --local-net no record has a direction;
# a bad network names itself and exits non-zero.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
/usr/bin/python3 "$here/direction_gen.py" "$T/in.pcap" "$T/truth.json" 2>/dev/null
check() { # flows|biflows SOURCE PATH [PORT]
	/usr/bin/python3 "$here/direction_check.py" "$T/truth.json" "$@" || fail "$2: directions differ from the truth"
}
nets=(--local-net 198.18.0.0/24,198.18.128.0/17 --local-net 198.19.200.1
	--local-net 2001:db8:1::/48)
probe=("$FLUXPROBE" --read "$T/in.pcap" "${nets[@]}" --idle-timeout 300 -q)

"${probe[@]}" --json "$T/ipfix.jsonl" --flow-dir "$T/fd"
check flows json "$T/ipfix.jsonl"
check flows nfdump "$T/fd"
"${probe[@]}" --json "$T/ecs.jsonl" --json-schema ecs
check flows ecs "$T/ecs.jsonl"
/usr/bin/python3 "$here/ecs_check.py" "$here/ecs_fields.txt" "$T/ecs.jsonl" "$T/ipfix.jsonl" ||
	fail "the ECS documents with network.direction break ECS's types"

for fmt in ipfix nfv9; do
	port=$(free_udp_port)
	capture_export "$T/$fmt.pcapng" "$port" "${probe[@]}" --collector "127.0.0.1:$port" \
		--format "$fmt"
	check flows tshark "$T/$fmt.pcapng" "$port"
done

port=$(free_udp_port)
start_nfcapd "$T/nf" "$port"
"${probe[@]}" --collector "127.0.0.1:$port" --format nfv9
sleep 0.5
stop_nfcapd
check flows nfdump "$T/nf"

# --biflow: one record per connection, the initiator as source
"${probe[@]}" --biflow --json "$T/bi.jsonl"
check biflows json "$T/bi.jsonl"

# without --local-net: no direction anywhere, no flowDirection in the template
"$FLUXPROBE" --read "$T/in.pcap" -q --json "$T/none.jsonl" --json-schema ecs
grep -q '"direction"' "$T/none.jsonl" && fail "a record has a direction without --local-net"
port=$(free_udp_port)
capture_export "$T/none.pcapng" "$port" "$FLUXPROBE" --read "$T/in.pcap" -q \
	--collector "127.0.0.1:$port"
tshark -n -r "$T/none.pcapng" -d "udp.port==$port,cflow" -T fields \
	-e cflow.template_ipfix_field_type 2>/dev/null | tr ',' '\n' | grep -qx 61 &&
	fail "flowDirection (61) in the template without --local-net"
note "without --local-net: no direction in JSON, no flowDirection in the template"

# a bad network names itself
for bad in 198.18.1.0/16 198.18.0.0/33 2001:db8::/129 nonsense 198.18.0.0/; do
	if "$FLUXPROBE" --read "$T/in.pcap" -q --local-net "$bad" >"$T/bad.out" 2>"$T/bad.err"; then
		fail "--local-net $bad was taken"
	fi
	grep -q -- "--local-net $bad" "$T/bad.err" || fail "--local-net $bad: the error does not name it: $(cat "$T/bad.err")"
done
note "bad networks refused, each named: $(head -1 "$T/bad.err")"
