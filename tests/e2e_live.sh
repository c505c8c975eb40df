#!/usr/bin/env bash
# Live capture: a network namespace with a veth pair and a collector on its own loopback.
# tcpreplay sends a generated capture into veth0; fluxprobe captures on veth1 with libpcap and
# exports to nfcapd; SIGINT ends the capture, every flow is flushed, fluxprobe exits 0, and
# nfdump's totals equal the ground truth. Needs root (ip netns). The namespace is removed after.
# Usage: e2e_live.sh ipfix|nfv9
source "$(dirname "$0")/lib.sh"
fmt=${1:-ipfix}
netns_up live
# Background jobs are started with `ip netns exec` itself (it execs), never through a function:
# the PID in $! must be the daemon's own, or a signal lands on a subshell that ignores SIGINT.
ns=$NS
nsx() { ip netns exec "$ns" "$@"; }

"$FPGEN" -o "$T/in.pcap" -n 20000 -f 2000 -6 30 -V 0 -r 3 >"$T/truth.json"
port=5000
start_nfcapd_ns "$ns" "$T/nf" "$port"
NFCAPD_PID=$NF_PID

# the v9 run also drops to an unprivileged user once the capture is open
priv=()
[ "$fmt" = nfv9 ] && priv=(--user nobody)
ip netns exec "$ns" "$FLUXPROBE" --interface veth1 --collector "127.0.0.1:$port" --format "$fmt" \
	--summary json "${priv[@]}" \
	'net 198.18.0.0/15 or net 2001:db8::/32' >"$T/summary.json" 2>"$T/probe.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 100); do grep -q "capturing on" "$T/probe.log" && break; sleep 0.05; done
sleep 0.5 # the capture is active once the socket is bound; give it a moment
kill -USR1 "$probe" # one statistics line on demand
sleep 0.3
grep -q "active flows" "$T/probe.log" || fail "SIGUSR1 printed no statistics line"
grep -Eq "[0-9.]+ [kMG]?pps [0-9.]+ [kMG]?bit/s" "$T/probe.log" || fail "statistics line without rates"
replay_and_stop "$T/in.pcap" "$probe"
sleep 0.5
kill -TERM "$NFCAPD_PID"
wait "$NFCAPD_PID" || true

[ "$fmt" != nfv9 ] || expect_eq "uid while capturing" "$(json_get "$T/summary.json" uid)" "$(id -u nobody)"
expect_live_packets "$T/summary.json" "$(json_get "$T/truth.json" packets)"
[ "$LIVE_LOST" != 0 ] || expect_eq "probe forced-end records" \
	"$(json_get "$T/summary.json" records.forced_end)" "$(json_get "$T/truth.json" flows)"
expect_collector "nfdump flows" "$(nfdump_stat "$T/nf" Flows)" "$(json_get "$T/summary.json" records_exported)"
expect_collector "nfdump packets" "$(nfdump_stat "$T/nf" Packets)" "$LIVE_SEEN"
expect_collector "nfdump bytes" "$(nfdump_stat "$T/nf" Bytes)" "$(json_get "$T/summary.json" bytes)"
[ "$LIVE_LOST" != 0 ] || expect_eq "bytes seen = truth" "$(json_get "$T/summary.json" bytes)" \
	"$(json_get "$T/truth.json" bytes)"
echo "ok: live $fmt capture on a veth, flushed on SIGINT"
