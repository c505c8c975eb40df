#!/usr/bin/env bash
# A UDP collector on this host is watched, not paced (issue 22): fluxprobe reads the receiving
# socket's queue, buffer and drop counter (sock_diag) and sends as fast as it drains, never past
# half its buffer. All inside a network namespace, nfcapd on its DEFAULT receive buffer:
#  1. 2M packets that make 2M flow records, fluxprobe's defaults: nfcapd stores every record,
#     the socket dropped nothing, the log says the collector is on this host;
#  2. nfcapd stopped (SIGSTOP) for 1 s while the probe sends: the probe waits for it, still
#     exact;
#  3. nfcapd stopped for 5 s (longer than the probe waits): the probe goes on, and what the
#     socket dropped is read from it and said: summary receiver_drops, a LOSS line, exit
#     status 1; what nfcapd misses is what that many datagrams held;
#  4. a collector address that is not on this host is paced as before (--export-rate).
source "$(dirname "$0")/lib.sh"
netns_up samehost
nsx() { ip netns exec "$NS" "$@"; }

# nfcapd in the namespace, on the system's default buffer (no -B); `ip netns exec` execs it, so
# NF_PID is nfcapd's own and signals reach it
nf_start() { # DIR PORT
	mkdir -p "$1"
	ip netns exec "$NS" nfcapd -w "$1" -b 127.0.0.1 -p "$2" -t 3600 -y >"$1.log" 2>&1 &
	NF_PID=$!
	PIDS+=("$NF_PID")
	for _ in $(seq 100); do
		[ -n "$(nsx ss -Hlun "sport = :$2")" ] && return 0
		sleep 0.05
	done
	fail "nfcapd does not listen on $2"
}
nf_stop() {
	kill -TERM "$NF_PID"
	wait "$NF_PID" 2>/dev/null || true
}

"$FPGEN" -o "$T/scan.pcap" -n 2000000 -f 2000000 -6 30 -V 0 -r 3 >"$T/scan.json"
want=$(json_get "$T/scan.json" flows)

note "1. 2M records into nfcapd on its default buffer, defaults"
nf_start "$T/nf1" 9995
nsx "$FLUXPROBE" --read "$T/scan.pcap" --collector 127.0.0.1:9995 --summary json \
	>"$T/s1.json" 2>"$T/p1.log" || fail "fluxprobe failed: $(tail -3 "$T/p1.log")"
sleep 0.5
nf_stop
grep -q "collector 127.0.0.1:9995: on this host" "$T/p1.log" ||
	fail "the log does not say the collector is on this host: $(head -5 "$T/p1.log")"
rcvbuf=$(json_get "$T/s1.json" collectors.0.receiver_rcvbuf)
[ "$rcvbuf" -le 262144 ] || fail "nfcapd's buffer is $rcvbuf bytes, not a default one"
note "nfcapd's receive buffer: $rcvbuf bytes; waited $(json_get "$T/s1.json" collectors.0.receiver_waits) times ($(json_get "$T/s1.json" collectors.0.receiver_wait_seconds) s), $(json_get "$T/s1.json" collectors.0.receiver_lookups) lookups, $(json_get "$T/s1.json" capture_seconds) s"
expect_eq "same_host" "$(json_get "$T/s1.json" collectors.0.same_host)" True
expect_eq "receiver drops" "$(json_get "$T/s1.json" collectors.0.receiver_drops)" 0
expect_eq "records sent" "$(json_get "$T/s1.json" collectors.0.records)" "$want"
expect_eq "nfdump flows (nfcapd on its default buffer)" "$(nfdump_stat "$T/nf1" Flows)" "$want"
expect_eq "nfdump packets" "$(nfdump_stat "$T/nf1" Packets)" "$(json_get "$T/scan.json" packets)"

note "2. nfcapd stopped for 1 s: the probe waits"
nf_start "$T/nf2" 9996
kill -STOP "$NF_PID"
nsx "$FLUXPROBE" --read "$T/scan.pcap" --collector 127.0.0.1:9996 --summary json \
	>"$T/s2.json" 2>"$T/p2.log" &
probe=$!
sleep 1
kill -CONT "$NF_PID"
wait "$probe" || fail "fluxprobe failed: $(tail -3 "$T/p2.log")"
sleep 0.5
nf_stop
expect_eq "receiver drops" "$(json_get "$T/s2.json" collectors.0.receiver_drops)" 0
expect_eq "nfdump flows after a 1 s stop" "$(nfdump_stat "$T/nf2" Flows)" "$want"

note "3. nfcapd stopped for 5 s: the probe goes on and says what the socket dropped"
nf_start "$T/nf3" 9997
kill -STOP "$NF_PID"
rc=0
nsx "$FLUXPROBE" --read "$T/scan.pcap" --collector 127.0.0.1:9997 --summary json \
	>"$T/s3.json" 2>"$T/p3.log" &
probe=$!
sleep 5
kill -CONT "$NF_PID"
wait "$probe" || rc=$?
sleep 0.5
nf_stop
drops=$(json_get "$T/s3.json" collectors.0.receiver_drops)
expect_eq "exit status with datagrams dropped at the collector" "$rc" 1
[ "$drops" -gt 0 ] || fail "no receiver drops counted after a 5 s stop"
grep -q "LOSS in this run: $drops datagrams dropped by the receive buffer of a collector on this host" \
	"$T/p3.log" || fail "the loss is not in the last lines: $(tail -3 "$T/p3.log")"
got=$(nfdump_stat "$T/nf3" Flows)
msgs=$(json_get "$T/s3.json" collectors.0.messages)
# what is missing at nfcapd is what the dropped datagrams held: about drops x records a message
python3 - "$want" "$got" "$drops" "$msgs" <<'PY' || fail "nfcapd's shortfall does not match the drops read from its socket"
import sys
want, got, drops, msgs = map(int, sys.argv[1:])
per = want / msgs
missing = want - got
print("# missing at nfcapd: %d records; %d datagrams dropped x %.1f records a message = %.0f"
      % (missing, drops, per, drops * per))
sys.exit(not (0.8 * drops * per <= missing <= 1.2 * drops * per + per))
PY
note "stopped 5 s: $drops datagrams dropped and said, nfcapd has $got of $want records"

note "4. a collector not on this host is paced"
nsx ip addr add 198.18.0.1/24 dev veth0
nsx "$FLUXPROBE" --read "$T/scan.pcap" --count 1000 --collector 198.18.0.2:9998 --summary json \
	>"$T/s4.json" 2>"$T/p4.log" || true
expect_eq "same_host (198.18.0.2 through veth0)" "$(json_get "$T/s4.json" collectors.0.same_host)" False
grep -q "collector 198.18.0.2:9998: paced at 10000 messages/s" "$T/p4.log" ||
	fail "the log does not say the remote collector is paced: $(head -5 "$T/p4.log")"
echo "ok: a collector on this host gets every record on its default buffer; its drops are said"
