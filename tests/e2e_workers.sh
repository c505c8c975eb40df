#!/usr/bin/env bash
# --workers N on a kernel interface: N libpcap sockets in one AF_PACKET fanout group (symmetric
# flow hash), each worker with its own flow table. In a network namespace: tcpreplay into veth0,
# fluxprobe on veth1 with 2 workers, nfcapd on the namespace's loopback.
#  1. generated traffic: nfdump's flows, packets and bytes equal the truth; each worker carries a
#     fair share, and no flow is split between them (records = flows);
#  2. --biflow with real two-way TCP connections: one record per connection (both directions
#     reached the same worker);
#  3. a deliberately tiny kernel ring at tcpreplay's top speed: the kernel drops, fluxprobe says
#     so (summary per worker, LOSS line), and nfcapd's totals equal what fluxprobe saw;
#  4. two interfaces at once (-i veth1 -i veth3): the same capture replayed into both counts as
#     two sets of flows, told apart by ingressInterface; a TAP's two halves (each direction of
#     200 TCP connections on its own interface) meet under --biflow, with 1 and 2 workers.
source "$(dirname "$0")/lib.sh"
netns_up workers
ns=$NS
nsx() { ip netns exec "$ns" "$@"; }
port=5000
start_nfcapd_ns "$ns" "$T/nf" "$port"
NFCAPD_PID=$NF_PID

# probe_run NAME ARGS...: fluxprobe (on veth1 unless ARGS name interfaces) in the background
# until probe_stop; summary in $T/NAME.json, log in $T/NAME.log
probe_run() {
	local name=$1
	shift
	case " $* " in *" --interface "*) ;; *) set -- --interface veth1 "$@" ;; esac
	ip netns exec "$ns" "$FLUXPROBE" --collector "127.0.0.1:$port" --no-options --summary json \
		"$@" >"$T/$name.json" 2>"$T/$name.log" &
	PROBE=$!
	PIDS+=("$PROBE")
	for _ in $(seq 100); do grep -q "capturing on" "$T/$name.log" && break; sleep 0.05; done
	sleep 0.5
}
# biflow_pairs FILE: record count and the set of (forward, reverse) packet counts of JSON lines
biflow_pairs() {
	/usr/bin/python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print(len(rs), sorted(set((r["packetDeltaCount"], r["reversePacketDeltaCount"]) for r in rs)))' "$1"
}
probe_stop() {
	sleep 1
	kill -INT "$PROBE"
	PROBE_RC=0
	wait "$PROBE" || PROBE_RC=$?
}

note "1. two workers, generated traffic"
"$FPGEN" -o "$T/in.pcap" -n 40000 -f 4000 -6 30 -V 0 -r 23 >"$T/truth.json"
probe_run w2 --workers 2 'net 198.18.0.0/15 or net 2001:db8::/32'
nsx tcpreplay -q -i veth0 --pps 20000 "$T/in.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
probe_stop
expect_eq "exit status" "$PROBE_RC" 0
expect_eq "workers" "$(json_get "$T/w2.json" workers_count)" 2
expect_live_packets "$T/w2.json" "$(json_get "$T/truth.json" packets)"
[ "$LIVE_LOST" != 0 ] || expect_eq "records (no flow split between workers)" \
	"$(json_get "$T/w2.json" records_exported)" "$(json_get "$T/truth.json" flows)"
p0=$(json_get "$T/w2.json" workers.0.packets)
p1=$(json_get "$T/w2.json" workers.1.packets)
note "worker 0: $p0 packets, worker 1: $p1"
[ "$p0" -gt 12000 ] && [ "$p1" -gt 12000 ] || fail "unfair split over the fanout group: $p0 / $p1"
sleep 0.5
kill -TERM "$NFCAPD_PID"
wait "$NFCAPD_PID" || true
expect_collector "nfdump flows" "$(nfdump_stat "$T/nf" Flows)" "$(json_get "$T/truth.json" flows)"
expect_collector "nfdump packets" "$(nfdump_stat "$T/nf" Packets)" "$(json_get "$T/truth.json" packets)"
expect_collector "nfdump bytes" "$(nfdump_stat "$T/nf" Bytes)" "$(json_get "$T/truth.json" bytes)"

note "2. --biflow, two workers, 200 two-way TCP connections"
/usr/bin/python3 - "$T/tcp.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, TCP, Raw, wrpcap
pkts, t = [], 1767225600.0
for i in range(200):
    cli, srv, cp = "198.18.%d.%d" % (i // 200, i % 200 + 1), "198.19.0.%d" % (i % 7 + 1), 30000 + i
    c = lambda f, n=0: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=cli, dst=srv) / TCP(sport=cp, dport=443, flags=f) / Raw(b"q" * n)
    s = lambda f, n=0: Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src=srv, dst=cli) / TCP(sport=443, dport=cp, flags=f) / Raw(b"r" * n)
    for p in (c("S"), s("SA"), c("A"), c("PA", 100), s("PA", 1000), c("FA"), s("FA"), c("A")):
        p.time = t
        t += 0.0005
        pkts.append(p)
wrpcap(sys.argv[1], pkts)
PY
probe_run bi --workers 2 --biflow --json "$T/bi.lines"
nsx tcpreplay -q -i veth0 --pps 20000 "$T/tcp.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
probe_stop
expect_eq "biflow records over 2 workers: count, (forward, reverse) packets" \
	"$(biflow_pairs "$T/bi.lines")" "200 [(5, 3)]"
[ "$(json_get "$T/bi.json" workers.0.packets)" -gt 0 ] && [ "$(json_get "$T/bi.json" workers.1.packets)" -gt 0 ] ||
	fail "one worker took every connection"

note "3. a tiny kernel ring at top speed: drops are counted and said"
start_nfcapd_ns "$ns" "$T/nf3" "$port"
NFCAPD_PID=$NF_PID
"$FPGEN" -o "$T/big.pcap" -n 300000 -f 30000 -V 0 -r 29 >"$T/big.json"
probe_run tiny --workers 2 --capture-buffer 64K --snaplen 64 --metrics 9466
nsx tcpreplay -q -i veth0 --topspeed "$T/big.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
sleep 2 # the main thread publishes the kernel counters to the metrics every second
nsx curl -sf "http://127.0.0.1:9466/metrics" >"$T/metrics.txt" || fail "curl /metrics failed"
probe_stop
sleep 0.5
kill -TERM "$NFCAPD_PID"
wait "$NFCAPD_PID" || true
dropped=$(json_get "$T/tiny.json" capture.dropped)
note "kernel dropped $dropped of $(json_get "$T/big.json" packets) packets"
[ "$dropped" -gt 0 ] || fail "a 64 KiB ring at top speed dropped nothing: the test did not test"
expect_eq "kernel drops: sum of the workers'" \
	"$(($(json_get "$T/tiny.json" workers.0.capture_dropped) + $(json_get "$T/tiny.json" workers.1.capture_dropped)))" "$dropped"
expect_eq "metrics: kernel drops, sum of the per-worker series" \
	"$(awk '/^fluxprobe_worker_capture_dropped_total\{/ { s += $2 } END { print s + 0 }' "$T/metrics.txt")" "$dropped"
grep -q "LOSS in this run: $dropped packets dropped by the kernel" "$T/tiny.log" ||
	fail "the last lines do not report the kernel's drops: $(tail -2 "$T/tiny.log")"
expect_eq "exit status (kernel drops do not fail the run)" "$PROBE_RC" 0
expect_collector "nfdump packets = what fluxprobe saw" "$(nfdump_stat "$T/nf3" Packets)" "$(json_get "$T/tiny.json" packets)"
expect_collector "nfdump flows = records" "$(nfdump_stat "$T/nf3" Flows)" "$(json_get "$T/tiny.json" records_exported)"
note "4. two interfaces at once"
nsx ip link add veth2 type veth peer name veth3
for l in veth2 veth3; do nsx ip link set "$l" up; done
ifx1=$(nsx cat /sys/class/net/veth1/ifindex)
ifx3=$(nsx cat /sys/class/net/veth3/ifindex)
"$FPGEN" -o "$T/two.pcap" -n 20000 -f 2000 -6 30 -V 0 -r 31 >"$T/twotruth.json"
probe_run two --interface veth1 --interface veth3 --fields ingress --json "$T/two.lines"
nsx tcpreplay -q -i veth0 --pps 20000 "$T/two.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
nsx tcpreplay -q -i veth2 --pps 20000 "$T/two.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
probe_stop
expect_eq "records: the same flows on two interfaces are two flows each" \
	"$(json_get "$T/two.json" records_exported)" "$((2 * $(json_get "$T/twotruth.json" flows)))"
expect_eq "packets per ingressInterface" "$(/usr/bin/python3 -c '
import json, sys
c = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    c[r["ingressInterface"]] = c.get(r["ingressInterface"], 0) + r["packetDeltaCount"]
print(" ".join("%d:%d" % kv for kv in sorted(c.items())))' "$T/two.lines")" \
	"$ifx1:$(json_get "$T/twotruth.json" packets) $ifx3:$(json_get "$T/twotruth.json" packets)"
# a TAP: the clients' packets on one interface, the servers' on the other
/usr/bin/python3 - "$T/tcp.pcap" "$T/half-c.pcap" "$T/half-s.pcap" <<'PY'
import sys
from scapy.all import rdpcap, wrpcap, IP
pk = rdpcap(sys.argv[1])
wrpcap(sys.argv[2], [p for p in pk if p[IP].src.startswith("198.18.")])
wrpcap(sys.argv[3], [p for p in pk if p[IP].src.startswith("198.19.")])
PY
for w in 1 2; do
	rm -f "$T/tap.lines"
	# the halves are replayed one after the other: a long FIN linger keeps the clients' closed
	# connections waiting for their servers' half however slowly the second replay starts
	probe_run tap --interface veth1 --interface veth3 --biflow --workers "$w" --fin-timeout 60 \
		--json "$T/tap.lines"
	nsx tcpreplay -q -i veth0 --pps 20000 "$T/half-c.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
	# A real TAP delivers both halves at once; replayed one after the other, the clients' half
	# may still wait in veth1's socket when the servers' half is read from veth3, and a
	# server's SYN-ACK ... FIN read before its client's SYN makes that SYN a new connection
	# (37 of 200 once, on a busy machine). Let the first half be read first.
	sleep 1
	nsx tcpreplay -q -i veth2 --pps 20000 "$T/half-s.pcap" >"$T/tcpreplay.log" 2>&1 || fail "tcpreplay"
	probe_stop
	expect_eq "TAP halves, --biflow, $w worker(s): records, (forward, reverse) packets" \
		"$(biflow_pairs "$T/tap.lines")" "200 [(5, 3)]"
done
echo "ok: --workers over an AF_PACKET fanout group, several interfaces"
