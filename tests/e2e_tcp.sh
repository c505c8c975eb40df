#!/usr/bin/env bash
# IPFIX over TCP (RFC 7011 §10.4) into a real reader: socat accepts the connection and keeps the
# byte stream; ipfixDump (libfixbuf, CERT NetSA) decodes it and checks its sequence numbers.
#  1. A file read through one connection: records, packets and bytes equal the ground truth,
#     templates sent once (no refresh over TCP), options records decoded, no sequence gap.
#  2. Collector down at the start, --export-backlog 128K: the newest messages wait in the
#     backlog and arrive once it listens; the oldest are dropped and counted, and what arrived
#     plus what the summary says was dropped is exactly the input.
#  3. Live capture in a netns while the collector is killed and restarted: traffic exported
#     while it was down reaches the new connection, which starts with the templates; every
#     packet arrives, over two connections, and the probe exits 0 on SIGTERM.
source "$(dirname "$0")/lib.sh"

free_tcp_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# tcp_sink FILE PORT [netns]: accept one IPFIX connection, write its bytes to FILE. Sets SINK.
tcp_sink() {
	local ns=()
	[ $# -ge 3 ] && ns=(ip netns exec "$3")
	"${ns[@]}" socat -u "TCP-LISTEN:$2,reuseaddr,bind=127.0.0.1" "OPEN:$1,creat,trunc" &
	SINK=$!
	PIDS+=("$SINK")
	for _ in $(seq 100); do
		[ -n "$("${ns[@]}" ss -Hltn "sport = :$2")" ] && return 0
		sleep 0.05
	done
	fail "socat does not listen on tcp/$2"
}

# ipfix_sum FILE FIELD: sum of FIELD over the data records ipfixDump decodes in FILE.
ipfix_sum() {
	ipfixDump -i "$1" 2>/dev/null | awk -v f="$2" '$2 == f && $3 == ":" { s += $4 } END { print s + 0 }'
}

# ipfix_check FILE: ipfixDump reads FILE without a warning (sequence gaps are warnings).
ipfix_check() {
	ipfixDump -i "$1" -s >"$1.stats" 2>"$1.warn" || fail "ipfixDump failed on $1"
	if grep -q . "$1.warn"; then
		cat "$1.warn"
		fail "ipfixDump warned on $1"
	fi
}

template_records() { # FILE TID
	awk -v t="$2" '$1 == t { print $3 }' "$1.stats"
}

# 1. one connection, exact
"$FPGEN" -o "$T/in.pcap" -n 200000 -f 20000 -r 41 >"$T/truth.json"
port=$(free_tcp_port)
tcp_sink "$T/s1.ipfix" "$port"
"$FLUXPROBE" --read "$T/in.pcap" --collector "tcp://127.0.0.1:$port" --options \
	--summary json >"$T/s1.json" 2>"$T/p1.log"
wait "$SINK"
ipfix_check "$T/s1.ipfix"
expect_eq "records (one connection)" "$(json_get "$T/s1.json" records_exported)" \
	"$(json_get "$T/truth.json" flows)"
expect_eq "packets decoded" "$(ipfix_sum "$T/s1.ipfix" packetDeltaCount)" \
	"$(json_get "$T/truth.json" packets)"
expect_eq "bytes decoded" "$(ipfix_sum "$T/s1.ipfix" octetDeltaCount)" \
	"$(json_get "$T/truth.json" bytes)"
expect_eq "flow records decoded" \
	"$(($(template_records "$T/s1.ipfix" '256') + $(template_records "$T/s1.ipfix" '257')))" \
	"$(json_get "$T/truth.json" flows)"
grep -q "5 Template Records" "$T/s1.ipfix.stats" || {
	cat "$T/s1.ipfix.stats"; fail "templates not sent exactly once (2 data + 3 options)"; }
[ "$(template_records "$T/s1.ipfix" '260')" -ge 2 ] ||
	fail "exporting-process options records missing (periodic and at exit)"
expect_eq "connections" "$(json_get "$T/s1.json" collectors.0.connects)" 1
expect_eq "messages dropped" "$(json_get "$T/s1.json" collectors.0.dropped_messages)" 0

# 2. backlog overflow while the collector is down
port=$(free_tcp_port)
"$FLUXPROBE" --read "$T/in.pcap" --collector "tcp://127.0.0.1:$port" --export-backlog 128K \
	--summary json >"$T/s2.json" 2>"$T/p2.log" &
probe=$!
PIDS+=("$probe")
sleep 0.5
tcp_sink "$T/s2.ipfix" "$port"
rc=0
wait "$probe" || rc=$?
expect_eq "exit status (backlog overflow: records lost)" "$rc" 1
tail -1 "$T/p2.log" | contains "LOSS in this run: .* dropped from TCP collector backlogs.*--export-backlog" ||
	fail "the last log line does not report the backlog's loss"
wait "$SINK"
ipfix_check "$T/s2.ipfix"
got=$(ipfix_sum "$T/s2.ipfix" packetDeltaCount)
dropped=$(json_get "$T/s2.json" collectors.0.dropped_packets)
note "arrived $got packets, dropped $dropped ($(json_get "$T/s2.json" collectors.0.dropped_messages) messages)"
[ "$dropped" -gt 0 ] || fail "a 128K backlog held the whole export"
[ "$got" -gt 0 ] || fail "nothing arrived after the collector came up"
expect_eq "packets arrived + dropped" "$((got + dropped))" "$(json_get "$T/truth.json" packets)"
expect_eq "bytes arrived + dropped" \
	"$(($(ipfix_sum "$T/s2.ipfix" octetDeltaCount) + $(json_get "$T/s2.json" collectors.0.dropped_bytes)))" \
	"$(json_get "$T/truth.json" bytes)"
grep -q "failed connection attempts" "$T/p2.log" || fail "refused connections not logged"

# 3. kill and restart during a live capture
netns_up tcp
for i in 1 2 3; do
	"$FPGEN" -o "$T/b$i.pcap" -n 3000 -f 300 -r $((50 + i)) --pps 20000 >"$T/b$i.json"
done
port=4739
tcp_sink "$T/c1.ipfix" "$port" "$NS"
ip netns exec "$NS" "$FLUXPROBE" --interface veth1 --collector "tcp://127.0.0.1:$port" \
	--idle-timeout 1 --fin-timeout 0.5 --summary json >"$T/s3.json" 2>"$T/p3.log" &
probe=$!
PIDS+=("$probe")
sleep 1
replay() { ip netns exec "$NS" tcpreplay -q -i veth0 --pps 20000 "$1" >>"$T/tcpreplay.log" 2>&1; }
replay "$T/b1.pcap"
sleep 3 # every flow of batch 1 idles out and is written
kill "$SINK"
wait "$SINK" 2>/dev/null || true
sleep 0.5
replay "$T/b2.pcap" # exported while nobody listens: kept in the backlog
sleep 3
tcp_sink "$T/c2.ipfix" "$port" "$NS"
replay "$T/b3.pcap"
sleep 4 # reconnect (backoff 1-4 s) and idle-out of batch 3
kill -TERM "$probe"
rc=0
wait "$probe" || rc=$?
expect_eq "exit status after SIGTERM" "$rc" 0
wait "$SINK" 2>/dev/null || true
ipfix_check "$T/c1.ipfix"
ipfix_check "$T/c2.ipfix"
want=$(($(json_get "$T/b1.json" packets) + $(json_get "$T/b2.json" packets) + $(json_get "$T/b3.json" packets)))
c1=$(ipfix_sum "$T/c1.ipfix" packetDeltaCount)
c2=$(ipfix_sum "$T/c2.ipfix" packetDeltaCount)
note "first connection $c1 packets, second $c2"
expect_eq "batch 1 on the first connection" "$c1" "$(json_get "$T/b1.json" packets)"
expect_eq "packets over both connections" "$((c1 + c2))" "$want"
expect_eq "connections" "$(json_get "$T/s3.json" collectors.0.connects)" 2
expect_eq "connections lost" "$(json_get "$T/s3.json" collectors.0.disconnects)" 1
expect_eq "messages dropped" "$(json_get "$T/s3.json" collectors.0.dropped_messages)" 0
[ "$(template_records "$T/c2.ipfix" '256')" -gt 0 ] || fail "second connection: no IPv4 record decoded"
grep -q "connection lost" "$T/p3.log" || fail "lost connection not logged"
echo "ok: IPFIX over TCP"
