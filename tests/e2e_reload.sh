#!/usr/bin/env bash
# Config file and SIGHUP. fluxprobe captures live on a veth in a netns with its collectors in a
# --config file; between batches of replayed traffic the file is rewritten and SIGHUP sent:
#   batch 1 → A;  reload: A + B;  batch 2 → A and B;  reload: B;  batch 3 → B;
#   reload with an error in the file: nothing changes;  batch 4 → B.
# Each nfcapd's totals must equal exactly the batches it was configured for (a collector added
# by a reload decodes its first message: the templates come with it), and capture never stops.
source "$(dirname "$0")/lib.sh"
netns_up reload
ns=$NS
nsx() { ip netns exec "$ns" "$@"; }

for i in 1 2 3 4; do
	"$FPGEN" -o "$T/b$i.pcap" -n 4000 -f 400 -V 0 -r $((60 + i)) --pps 20000 >"$T/b$i.json"
done
pkts() { json_get "$T/b$1.json" packets; }
start_nf() { start_nfcapd_ns "$ns" "$@"; } # DIR PORT: sets NF_PID
start_nf "$T/a" 5001
nf_a=$NF_PID
start_nf "$T/b" 5002
nf_b=$NF_PID

conf=$T/fluxprobe.conf
write_conf() { # collectors...
	{
		echo "# written by e2e_reload.sh"
		echo "interface = veth1"
		echo "idle-timeout = 1"
		echo "fin-timeout = 0.5"
		echo "summary = json"
		for c in "$@"; do echo "collector = $c"; done
	} >"$conf.new"
	mv "$conf.new" "$conf"
}
write_conf 127.0.0.1:5001
ip netns exec "$ns" "$FLUXPROBE" --config "$conf" >"$T/summary.json" 2>"$T/probe.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 100); do grep -q "capturing on" "$T/probe.log" && break; sleep 0.05; done
sleep 0.5

replay() { # batch, then wait until its flows idled out and left
	nsx tcpreplay -q -i veth0 --pps 20000 "$T/b$1.pcap" >>"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
	sleep 3.5
}
hup() { # expected log line
	local before
	before=$(grep -c "SIGHUP" "$T/probe.log" || true)
	kill -HUP "$probe"
	for _ in $(seq 100); do
		[ "$(grep -c "SIGHUP" "$T/probe.log" || true)" -gt "$before" ] && break
		sleep 0.05
	done
	grep "SIGHUP" "$T/probe.log" | tail -1 | contains "$1" || {
		cat "$T/probe.log"; fail "after SIGHUP: expected '$1' in the log"; }
	note "SIGHUP: $(grep "SIGHUP" "$T/probe.log" | tail -1)"
}

replay 1
write_conf 127.0.0.1:5001 127.0.0.1:5002
hup "2 collector(s)"
replay 2
write_conf 127.0.0.1:5002
hup "1 collector(s): 127.0.0.1:5002"
replay 3
printf 'collector = 127.0.0.1:5002\nidle-timeout = soon\n' >"$conf"
hup "has errors; collectors unchanged"
replay 4
kill -TERM "$probe"
rc=0
wait "$probe" || rc=$?
expect_eq "exit status" "$rc" 0
sleep 0.5
kill -TERM "$nf_a" "$nf_b"
wait "$nf_a" "$nf_b" 2>/dev/null || true

grep -q "line 2" "$T/probe.log" || fail "the bad file's line was not named"
expect_eq "probe packets" "$(json_get "$T/summary.json" packets)" \
	"$(($(pkts 1) + $(pkts 2) + $(pkts 3) + $(pkts 4)))"
expect_eq "collector A packets (batches 1-2)" "$(nfdump_stat "$T/a" Packets)" "$(($(pkts 1) + $(pkts 2)))"
expect_eq "collector B packets (batches 2-4)" "$(nfdump_stat "$T/b" Packets)" \
	"$(($(pkts 2) + $(pkts 3) + $(pkts 4)))"
expect_eq "collectors at exit" "$(json_get "$T/summary.json" collectors.0.collector)" 127.0.0.1:5002
echo "ok: config file and SIGHUP collector reload"
