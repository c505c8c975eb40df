#!/usr/bin/env bash
# --local-net: every record's direction (inbound, outbound, internal, external) in every output
# equals the truth of a generated capture (tests/direction_gen.py: UDP flows every way across
# the local networks, IPv4 and IPv6, addresses at each prefix's edges; a TCP connection each
# way): JSON (direction, flowDirection), ECS (network.direction), IPFIX and v9 decoded by tshark
# (flowDirection 61), nfcapd's files from v9 and the probe's own --flow-dir read by nfdump
# (%dir), rows read back from a ClickHouse server (and a table made before the column keeps
# taking rows without --local-net; with it the refusal and its remedy are said); with --biflow
# the initiator decides. Without --local-net no record has a direction;
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

# ClickHouse: a table from --clickhouse-schema takes the direction column; a table made before it
# (no direction column) still takes rows without --local-net, and with it the loss is counted
# and said
source "$here/clickhouse.sh"
ch_start d
"$FLUXPROBE" --clickhouse-schema --clickhouse "${CH_URL[d]}" >"$T/schema.sql"
grep -q "direction String" "$T/schema.sql" || fail "--clickhouse-schema has no direction column"
ch_query d "$(cat "$T/schema.sql")" || fail "clickhouse-client -n refused the schema"
"${probe[@]}" --clickhouse "${CH_URL[d]}" || fail "the run into ClickHouse failed"
ch_query d "SELECT proto, IPv6NumToString(src_ip), IPv6NumToString(dst_ip), src_port, dst_port,
	direction FROM flows FORMAT TSV" >"$T/ch.tsv"
check flows clickhouse "$T/ch.tsv"
# the schema without its direction column (the last one): the table of an earlier version
old_schema=$(python3 -c 'import re,sys
t = open(sys.argv[1]).read().replace("EXISTS flows", "EXISTS old")
t = re.sub(r"\n    direction String[^\n]*", "", t)
print(re.sub(r",( --[^\n]*)?\n\)", r"\1\n)", t, count=1))' "$T/schema.sql")
ch_query d "$old_schema" || fail "the table without the direction column was refused"
"$FLUXPROBE" --read "$T/in.pcap" -q --idle-timeout 300 --clickhouse "${CH_URL[d]}" \
	--clickhouse-table old || fail "an older table (no direction column) no longer takes rows"
expect_eq "rows in the older table, without --local-net" "$(ch_query d 'SELECT count() FROM old')" 106
if "${probe[@]}" --clickhouse "${CH_URL[d]}" --clickhouse-table old --summary json \
	>"$T/old.json" 2>"$T/old.log"; then
	fail "--local-net into a table without the direction column exited 0"
fi
grep "LOSS" "$T/old.log" | contains "ADD COLUMN direction String" ||
	fail "the rows the older table refused are not said with the remedy: $(tail -3 "$T/old.log")"
note "an older table: rows without --local-net; with it the refusal is said ($(grep -m1 LOSS "$T/old.log" | cut -c1-100)...)"
ch_stop d

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
	-e cflow.template_ipfix_field_type 2>/dev/null | tr ',' '\n' | contains -x 61 &&
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
