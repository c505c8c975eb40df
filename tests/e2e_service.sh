#!/usr/bin/env bash
# Running as a service: --daemon returns once capture runs and writes --pidfile; --metrics
# serves Prometheus text on loopback that promtool accepts and whose counters match what was
# replayed; SIGTERM exports every flow (nfcapd totals exact) and removes the pid file. A daemon
# that cannot start says so on the terminal and exits non-zero.
source "$(dirname "$0")/lib.sh"
netns_up service
ns=$NS
nsx() { ip netns exec "$ns" "$@"; }

"$FPGEN" -o "$T/in.pcap" -n 20000 -f 2000 -V 0 -r 71 >"$T/truth.json"
port=5003
start_nfcapd_ns "$ns" "$T/nf" "$port"
nf=$NF_PID

# a daemon that cannot start: non-zero, and the reason on the terminal
if nsx "$FLUXPROBE" --daemon --interface no-such-if0 --collector "127.0.0.1:$port" 2>"$T/bad.err"; then
	fail "--daemon with a missing interface exited 0"
fi
grep -q "no-such-if0" "$T/bad.err" || fail "the reason did not reach the terminal: $(cat "$T/bad.err")"

# relative --config and --pidfile: the daemon leaves for "/", they must keep their meaning
printf 'collector = 127.0.0.1:%s   # the tests collector\n' "$port" >"$T/fp.conf"
(cd "$T" && nsx "$FLUXPROBE" --daemon --pidfile fp.pid --config fp.conf --interface veth1 \
	--metrics 9464 --idle-timeout 300 >"$T/daemon.out" 2>&1) || fail "--daemon exited non-zero"
[ -s "$T/fp.pid" ] || fail "no pid file"
pid=$(cat "$T/fp.pid")
PIDS+=("$pid")
[ "$(cat "/proc/$pid/comm")" = fluxprobe ] || fail "pid file names $pid, not a running fluxprobe"
[ ! -s "$T/daemon.out" ] || fail "the daemon printed on the terminal: $(cat "$T/daemon.out")"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "the daemon leads no session of its own"
note "daemon $pid runs"
# a second instance with the same pid file is refused, on the terminal, and the first goes on
if (cd "$T" && nsx "$FLUXPROBE" --daemon --pidfile fp.pid --interface veth1 2>"$T/second.err"); then
	fail "a second daemon with the same --pidfile started"
fi
grep -q "another fluxprobe (pid $pid)" "$T/second.err" || fail "second instance said: $(cat "$T/second.err")"
expect_eq "pid file after the refused second instance" "$(cat "$T/fp.pid")" "$pid"
# a metrics port in use: the reason reaches the terminal
if nsx "$FLUXPROBE" --daemon --interface veth1 --metrics 9464 2>"$T/port.err"; then
	fail "a daemon whose metrics port is taken started"
fi
grep -q "Address already in use" "$T/port.err" || fail "metrics port in use said: $(cat "$T/port.err")"
listen=$(nsx ss -Hltn "sport = :9464" | awk '{print $4}')
expect_eq "metrics listen address (loopback by default)" "$listen" "127.0.0.1:9464"

sleep 0.5
nsx tcpreplay -q -i veth0 --pps 20000 "$T/in.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
metric() { awk -v m="$1" '$1 == m { print $2 }' "$T/metrics.txt"; }
# Every replayed packet is seen, or counted as dropped before capture (on a busy machine the
# kernel may drop one in the veth's backlog: the interface counts it, libpcap reports it).
want=$(json_get "$T/truth.json" packets)
for _ in $(seq 50); do
	sleep 0.2
	nsx curl -sf "http://127.0.0.1:9464/metrics" >"$T/metrics.txt" || fail "curl /metrics failed"
	seen=$(metric 'fluxprobe_packets_total{worker="0"}')
	lost=$(($(metric fluxprobe_capture_dropped_total) + $(metric fluxprobe_capture_interface_dropped_total)))
	[ $((seen + lost)) -lt "$want" ] || break
done
promtool check metrics <"$T/metrics.txt" || fail "promtool rejects the metrics"
note "promtool accepts $(grep -vc '^#' "$T/metrics.txt") samples"
expect_eq "metrics: packets seen + dropped before capture" "$((seen + lost))" "$want"
[ "$lost" = 0 ] || note "the kernel dropped $lost packets before capture (a busy machine); counted"
[ "$lost" != 0 ] ||
	expect_eq "metrics: active flows" "$(metric 'fluxprobe_active_flows{worker="0"}')" "$(json_get "$T/truth.json" flows)"
grep -q "^fluxprobe_collector_messages_total{collector=\"127.0.0.1:$port\",transport=\"udp\"}" \
	"$T/metrics.txt" || fail "no per-collector counter"
code=$(nsx curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:9464/nothing")
expect_eq "HTTP status elsewhere" "$code" 404
# SIGHUP re-reads the relative --config from "/": a collector added there shows in the metrics
printf 'collector = 127.0.0.1:%s\ncollector = 127.0.0.1:5099\n' "$port" >"$T/fp.conf"
kill -HUP "$pid"
sleep 0.5
nsx curl -sf "http://127.0.0.1:9464/metrics" | contains 'collector="127.0.0.1:5099"' ||
	fail "SIGHUP did not re-read the relative --config"

kill -TERM "$pid"
for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
[ ! -e "/proc/$pid" ] || fail "the daemon did not exit on SIGTERM"
[ ! -e "$T/fp.pid" ] || fail "pid file left behind"
sleep 0.5
kill -TERM "$nf"
wait "$nf" || true
expect_collector "nfdump flows" "$(nfdump_stat "$T/nf" Flows)" "$(json_get "$T/truth.json" flows)"
expect_collector "nfdump packets (= packets seen)" "$(nfdump_stat "$T/nf" Packets)" "$seen"
echo "ok: daemon, pid file, metrics"
