#!/usr/bin/env bash
# A collector that goes away and comes back. fluxprobe exports slowly (--export-rate 400) with a
# 1 s template interval; nfcapd is stopped for a second mid-export and a new nfcapd started on
# the same port. Expected: capture and export go on (exit 0, send errors counted and logged at a
# limited rate), the new collector decodes again within a template interval, and only what was
# sent while it was down or before the next template refresh is missing.
source "$(dirname "$0")/lib.sh"

"$FPGEN" -o "$T/in.pcap" -n 400000 -f 60000 -r 31 >"$T/truth.json"
port=$(free_udp_port)
start_nfcapd "$T/a" "$port"
"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" --export-rate 400 \
	--template-interval 1 --template-packets 1000000 --idle-timeout 300 --summary json \
	>"$T/s.json" 2>"$T/probe.log" &
probe=$!
PIDS+=("$probe")
sleep 2.5
stop_nfcapd
sleep 1
start_nfcapd "$T/b" "$port"
rc=0
wait "$probe" || rc=$?
expect_eq "exit status" "$rc" 0
sleep 0.5
stop_nfcapd

a=$(nfdump_stat "$T/a" Flows)
b=$(nfdump_stat "$T/b" Flows)
total=$(json_get "$T/truth.json" flows)
errors=$(json_get "$T/s.json" collectors.0.send_errors)
msgs=$(json_get "$T/s.json" messages)
per_msg=$((total / msgs + 1))
note "first collector $a flows, second $b, of $total; $errors send errors"
[ "$errors" -gt 0 ] || fail "no send error counted while the collector was down"
[ "$(grep -c 'not sent' "$T/probe.log")" -le 2 ] || fail "send errors logged more than once per 10 s"
[ "$b" -gt 0 ] || fail "the restarted collector decoded nothing"
# lost at most: ~1 s down + 1 template interval after the restart (+ margin), at 400 msgs/s
lost=$((total - a - b))
max_lost=$((400 * 3 * per_msg))
note "lost $lost records (bound $max_lost)"
[ "$lost" -ge 0 ] && [ "$lost" -le "$max_lost" ] || fail "lost $lost records, more than $max_lost"
echo "ok: collector restart"
