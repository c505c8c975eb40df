#!/usr/bin/env bash
# Flow churn live: a span port seeing a scan (one new flow per packet, replayed at tcpreplay's top
# speed into a veth in a network namespace, idle timeout 1 s so records leave while packets still
# arrive). Pacing must follow the flow rate (not cap it): no record dropped inside the probe,
# every packet captured, and nfdump's totals equal the truth (nfcapd has room for the burst; what
# it takes on default buffers is measured by bench/churn.sh, not asserted here).
# Then a run made to lose records (a 64-record ring) must say so in its last line and exit 1.
# Usage: e2e_churn.sh [PACKETS]
source "$(dirname "$0")/lib.sh"
packets=${1:-1000000}
netns_up churn
ns=$NS

"$FPGEN" -o "$T/in.pcap" -n "$packets" -f "$packets" -6 30 -V 0 -u >"$T/truth.json"
port=5000
start_nfcapd_ns "$ns" "$T/nf" "$port"
NFCAPD_PID=$NF_PID

ip netns exec "$ns" "$FLUXPROBE" --interface veth1 --collector "127.0.0.1:$port" --no-options \
	--idle-timeout 1 --stats-interval 1 --summary json \
	'net 198.18.0.0/15 or net 2001:db8::/32' >"$T/summary.json" 2>"$T/probe.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 100); do grep -q "capturing on" "$T/probe.log" && break; sleep 0.05; done
sleep 0.5
ip netns exec "$ns" tcpreplay -q -i veth0 --topspeed "$T/in.pcap" >"$T/tcpreplay.log" 2>&1 || {
	cat "$T/tcpreplay.log"; fail "tcpreplay failed"; }
note "tcpreplay: $(grep -o 'Rated: [^,]*, [0-9.]* pps' "$T/tcpreplay.log" || true)"
sleep 2 # the idle timeout lets most records leave while the probe still runs
kill -INT "$probe"
rc=0
wait "$probe" || rc=$?
expect_eq "probe exit status" "$rc" 0
sleep 0.5
kill -TERM "$NFCAPD_PID"
wait "$NFCAPD_PID" || true
grep "records/s exported" "$T/probe.log" | tail -3 | sed 's/^/# /'

expect_live_packets "$T/summary.json" "$(json_get "$T/truth.json" packets)"
expect_eq "records dropped inside the probe" "$(json_get "$T/summary.json" records_dropped)" 0
expect_eq "records exported (one per packet seen)" "$(json_get "$T/summary.json" records_exported)" "$LIVE_SEEN"
expect_collector "nfdump flows" "$(nfdump_stat "$T/nf" Flows)" "$LIVE_SEEN"
expect_collector "nfdump packets" "$(nfdump_stat "$T/nf" Packets)" "$LIVE_SEEN"
expect_collector "nfdump bytes" "$(nfdump_stat "$T/nf" Bytes)" "$(json_get "$T/summary.json" bytes)"
note "ok: live churn of $packets new flows at top speed, nothing lost"

# A run that must lose records: a ring of 64 records and a table of 64 flows, so every new flow
# evicts one while the exporter naps between polls. The loss must be in the last log line (not
# only in the JSON) with its remedy, and the exit status must say that not every flow left.
"$FPGEN" -o "$T/loss.pcap" -n 200000 -f 200000 -u >"$T/loss.json"
ip netns exec "$ns" "$FLUXPROBE" --interface veth1 --max-flows 64 --ring-size 64 \
	--stats-interval 1 --summary json >"$T/loss-summary.json" 2>"$T/loss.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 100); do grep -q "capturing on" "$T/loss.log" && break; sleep 0.05; done
sleep 0.5
ip netns exec "$ns" tcpreplay -q -i veth0 --topspeed "$T/loss.pcap" >"$T/tcpreplay.log" 2>&1
sleep 1.5
kill -INT "$probe"
rc=0
wait "$probe" || rc=$?
dropped=$(json_get "$T/loss-summary.json" records_dropped)
[ "$dropped" -gt 0 ] || fail "a 64-record ring lost nothing: the test did not test"
expect_eq "exit status when records were lost" "$rc" 1
last=$(tr '\r' '\n' <"$T/loss.log" | tail -1)
note "last line: $last"
case "$last" in
*"LOSS in this run: $dropped flow records dropped inside the probe"*--ring-size*) ;;
*) fail "the last log line does not report the $dropped records lost" ;;
esac
grep -q "LOSS since the last report" "$T/loss.log" || fail "no warning while the loss happened"
echo "ok: a loss is in the last line, with its remedy, and in the exit status"
