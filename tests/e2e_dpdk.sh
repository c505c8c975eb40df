#!/usr/bin/env bash
# DPDK backend on this machine's virtual devices (no hugepages, no NIC):
#  1. net_pcap reads the generated capture, --count = its packet count: nfdump's flows, packets
#     and bytes equal the ground truth, as in pcap mode, at nfcapd and in --flow-dir files;
#  1b. --dedup: a capture of every packet twice gives each once, the copies counted;
#  2. two workers, one net_pcap file per rx queue: each worker counts its own file exactly;
#     two ports, one worker: --fields ingress gives each port's flows its index (--ifindex);
#     --biflow with one direction per port (a TAP): one record per connection;
#  3. SIGTERM while replaying from memory (infinite_rx): exit 0, every active flow exported;
#     churn at the full rate (every replay round new flows) to a UDP sink: nothing dropped;
#  4. live: tcpreplay into a veth in a network namespace, net_af_packet on its peer → nfcapd;
#  5. the same through net_af_xdp (AF_XDP, the NIC stays with the kernel): exact at nfcapd;
#  6. net_af_xdp at top speed into a small ring: packets seen + drops reported = packets sent.
# Usage: e2e_dpdk.sh
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
"$FLUXPROBE" --help >"$T/help"
grep -q -- "--dpdk" "$T/help" || fail "--help does not describe --dpdk"
raise_rmem_max 16777216
# without hugepages and without --no-huge the EAL fails: the message says what to do
if [ "$(awk '/HugePages_Total/ { print $2 }' /proc/meminfo)" = 0 ]; then
	if "$FLUXPROBE" --dpdk -- -l 0,1 --file-prefix "fp-nohuge-$$" >"$T/out" 2>"$T/err"; then
		fail "--dpdk without hugepages exited 0"
	fi
	grep -q "dpdk-hugepages.*--no-huge" "$T/err" || fail "no hugepage advice: $(tail -1 "$T/err")"
	note "no hugepages: $(tail -1 "$T/err")"
fi
eal=(--no-huge --no-pci -m 512 --file-prefix "fp-test-$$" --log-level=lib.eal:error)

note "1. net_pcap, 1 worker, --count = packets in the file"
"$FPGEN" -o "$T/in.pcap" -n 300000 -f 30000 -6 30 -V 30 -r 13 >"$T/truth.json"
port=$(free_udp_port)
start_nfcapd "$T/nf1" "$port" -B 16777216
"$FLUXPROBE" --dpdk --count "$(json_get "$T/truth.json" packets)" --collector "127.0.0.1:$port" \
	--flow-dir "$T/fd1" --pcap-dir "$T/pd1" --idle-timeout 600 --active-timeout 600 \
	--summary json -q -- "${eal[@]}" -l 0,1 --vdev "net_pcap0,rx_pcap=$T/in.pcap" >"$T/s1.json"
sleep 0.5
stop_nfcapd
expect_eq "summary source" "$(json_get "$T/s1.json" source)" dpdk
expect_eq "port 0 ipackets" "$(json_get "$T/s1.json" ports.0.ipackets)" "$(json_get "$T/truth.json" packets)"
expect_collector "nfdump flows" "$(nfdump_stat "$T/nf1" Flows)" "$(json_get "$T/truth.json" flows)"
expect_collector "nfdump packets" "$(nfdump_stat "$T/nf1" Packets)" "$(json_get "$T/truth.json" packets)"
expect_collector "nfdump bytes" "$(nfdump_stat "$T/nf1" Bytes)" "$(json_get "$T/truth.json" bytes)"
# the same records in the probe's own flow files (--flow-dir beside the collector)
ls "$T/fd1" | contains current && fail "DPDK --flow-dir left a temporary file: $(ls "$T/fd1")"
for what in Flows Packets Bytes; do
	expect_eq "--flow-dir (nfdump -R) ${what,,}" "$(nfdump_stat "$T/fd1" $what)" \
		"$(json_get "$T/truth.json" ${what,,})"
done

# and the packets in the store (--pcap-dir): the input's, in order (stamped by the probe)
expect_eq "--pcap-dir packets stored" "$(json_get "$T/s1.json" pcap_store.packets)" \
	"$(json_get "$T/truth.json" packets)"
cmp -s <(/usr/bin/python3 "$here/pcap_records.py" "$T/in.pcap" | cut -d' ' -f2-) \
	<(/usr/bin/python3 "$here/pcap_records.py" $(ls "$T"/pd1/pcap.* | grep -v idx) | cut -d' ' -f2-) ||
	fail "DPDK --pcap-dir: the stored packets differ from the input's"
note "DPDK --pcap-dir: the input's packets, byte for byte, in order"

note "1b. --dedup through DPDK: every packet twice (other VLAN and MACs), counted once"
copies=$(/usr/bin/python3 "$here/dedup_gen.py" "$T" 40 10 2>/dev/null)
"$FLUXPROBE" --dpdk --count "$((2 * copies))" --dedup --idle-timeout 600 --summary json -q \
	-- "${eal[@]}" -l 0,1 --vdev "net_pcap0,rx_pcap=$T/double.pcap" >"$T/s1b.json"
expect_eq "DPDK --dedup: frames, packets, duplicates" \
	"$(json_get "$T/s1b.json" frames) $(json_get "$T/s1b.json" packets) $(json_get "$T/s1b.json" packets_duplicate)" \
	"$((2 * copies)) $copies $copies"
expect_eq "DPDK --dedup: records (one per flow of the capture)" \
	"$(json_get "$T/s1b.json" records_exported)" 40

note "2. two workers, one file per rx queue"
"$FPGEN" -o "$T/a.pcap" -n 40000 -f 4000 -r 21 >"$T/a.json"
"$FPGEN" -o "$T/b.pcap" -n 60000 -f 5000 -r 22 >"$T/b.json"
"$FLUXPROBE" --dpdk --count 100000 --idle-timeout 600 --summary json -q \
	-- "${eal[@]}" --lcores 0@0,1@1,2@0 --vdev "net_pcap0,rx_pcap=$T/a.pcap,rx_pcap=$T/b.pcap" \
	>"$T/s2.json"
expect_eq "workers" "$(json_get "$T/s2.json" workers_count)" 2
expect_eq "worker 0 packets (queue 0 = a.pcap)" "$(json_get "$T/s2.json" workers.0.packets)" 40000
expect_eq "worker 1 packets (queue 1 = b.pcap)" "$(json_get "$T/s2.json" workers.1.packets)" 60000
expect_eq "worker 0 bytes" "$(json_get "$T/s2.json" workers.0.bytes)" "$(json_get "$T/a.json" bytes)"
expect_eq "worker 1 bytes" "$(json_get "$T/s2.json" workers.1.bytes)" "$(json_get "$T/b.json" bytes)"
expect_eq "records" "$(json_get "$T/s2.json" records_exported)" 9000

note "2b. two ports, --fields ingress: each port's flows carry its interface index"
for ifx in "" "--ifindex 11,12"; do
	# shellcheck disable=SC2086 # $ifx is zero or two words
	"$FLUXPROBE" --dpdk --count 100000 --idle-timeout 600 --fields ingress $ifx -q \
		--json "$T/ports.json" -- "${eal[@]}" -l 0,1 \
		--vdev "net_pcap0,rx_pcap=$T/a.pcap" --vdev "net_pcap1,rx_pcap=$T/b.pcap" ||
		fail "two ports with --fields ingress $ifx failed"
	want=$([ -z "$ifx" ] && echo "1:40000 2:60000" || echo "11:40000 12:60000")
	expect_eq "packets per ingressInterface ${ifx:-(default: port id + 1)}" "$(python3 -c '
import json, sys
c = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    c[r["ingressInterface"]] = c.get(r["ingressInterface"], 0) + r["packetDeltaCount"]
print(" ".join("%d:%d" % kv for kv in sorted(c.items())))' "$T/ports.json")" "$want"
	rm -f "$T/ports.json"
done

note "2c. --biflow over a TAP's two ports (one direction each): one record per connection"
/usr/bin/python3 - "$T/fwd.pcap" "$T/rev.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, TCP, Raw, wrpcap
fwd, rev = [], []
for i in range(20):
    cli, srv, cp = "198.18.1.%d" % (i + 1), "198.19.1.1", 20000 + i
    c = lambda f, n=0: Ether() / IP(src=cli, dst=srv) / TCP(sport=cp, dport=80, flags=f) / Raw(b"q" * n)
    s = lambda f, n=0: Ether() / IP(src=srv, dst=cli) / TCP(sport=80, dport=cp, flags=f) / Raw(b"r" * n)
    fwd += [c("S"), c("A"), c("PA", 50), c("FA")]         # 4 packets from the client
    rev += [s("SA"), s("PA", 400), s("PA", 401)]          # 3 from the server
wrpcap(sys.argv[1], fwd)
wrpcap(sys.argv[2], rev)
PY
"$FLUXPROBE" --dpdk --count 140 --idle-timeout 600 --biflow --fields ingress -q --json "$T/bi.json" \
	-- "${eal[@]}" -l 0,1 --vdev "net_pcap0,rx_pcap=$T/fwd.pcap" --vdev "net_pcap1,rx_pcap=$T/rev.pcap" ||
	fail "--biflow over two ports failed"
expect_eq "biflow records over two ports: count, forward/reverse packets" "$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
pairs = sorted(set((r["packetDeltaCount"], r["reversePacketDeltaCount"], r["sourceTransportPort"] >= 20000) for r in rs))
print(len(rs), pairs)' "$T/bi.json")" "20 [(4, 3, True)]"

note "3. SIGTERM during infinite replay (no --mbufs: the pool is sized for the replayed file)"
"$FPGEN" -o "$T/loop.pcap" -n 20000 -f 10000 -u -r 5 >"$T/loop.json"
port=$(free_udp_port)
start_nfcapd "$T/nf3" "$port" -B 16777216
"$FLUXPROBE" --dpdk --collector "127.0.0.1:$port" --idle-timeout 600 --active-timeout 600 \
	--summary json -q \
	-- "${eal[@]}" -l 0,1 --vdev "net_pcap0,rx_pcap=$T/loop.pcap,infinite_rx=1" >"$T/s3.json" &
probe=$!
PIDS+=("$probe")
sleep 3
# DPDK telemetry shows the probe's counters while it runs
echo /fluxprobe/stats | dpdk-telemetry.py -f "fp-test-$$" >"$T/telemetry.out" 2>&1 || true
python3 - "$T/telemetry.out" <<'PY' || fail "dpdk-telemetry.py: no /fluxprobe/stats ($(tail -3 "$T/telemetry.out"))"
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r'\{"/fluxprobe/stats": (\{.*?\})\}', text)
d = json.loads(m.group(1))
assert d["packets"] > 0 and d["active_flows"] == 10000, d
assert len(d["worker_packets"]) == 1, d
print("# telemetry:", {k: d[k] for k in ("packets", "active_flows", "export_messages")})
PY
kill -TERM "$probe"
rc=0
wait "$probe" || rc=$?
expect_eq "exit status after SIGTERM" "$rc" 0
sleep 0.5
stop_nfcapd
expect_eq "flows exported at SIGTERM" "$(json_get "$T/s3.json" records.forced_end)" 10000
expect_collector "nfdump flows" "$(nfdump_stat "$T/nf3" Flows)" 10000
expect_collector "nfdump packets" "$(nfdump_stat "$T/nf3" Packets)" "$(json_get "$T/s3.json" packets)"
[ "$(json_get "$T/s3.json" packets)" -gt 1000000 ] || fail "replay from memory ran too slowly"

note "3b. churn: every replay round is new flows (2 packets a flow, idle 10 ms), to a UDP sink"
# The full rate of one worker here (4+ M new flows/s, the benchmark's figure); nothing may be
# dropped inside the probe and every flow created must leave as a record the socket took.
"$FPGEN" -o "$T/churn.pcap" -n 400000 -f 200000 -u -r 4 >"$T/churn.json"
# The sink is another host's (a network namespace behind a veth pair): a socket that takes the
# datagrams and never reads them. (On this host the probe would watch that socket fill up and
# report what it dropped: a collector that does not read is a loss there.)
sinkns=fp-sink-$$
ip netns add "$sinkns"
NETNS_DEL+=("$sinkns") # the veth pair goes with it
ip link add fpsink0 type veth peer name fpsink1 netns "$sinkns"
ip addr add 198.18.99.1/30 dev fpsink0
ip link set fpsink0 up
ip netns exec "$sinkns" ip addr add 198.18.99.2/30 dev fpsink1
ip netns exec "$sinkns" ip link set fpsink1 up
port=9996
ip netns exec "$sinkns" python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.18.99.2", int(sys.argv[1]))); time.sleep(60)' "$port" &
PIDS+=("$!")
"$FLUXPROBE" --dpdk --duration 3 --collector "198.18.99.2:$port" --no-options --idle-timeout 0.01 \
	--ring-size 1048576 --summary json -q --mbufs 420000 --mbuf-size 128 \
	-- "${eal[@]}" -l 0,1 --vdev "net_pcap0,rx_pcap=$T/churn.pcap,infinite_rx=1" >"$T/s3b.json" ||
	fail "DPDK churn run failed"
created=$(json_get "$T/s3b.json" flows_created)
note "churn: $created flows created in $(json_get "$T/s3b.json" capture_seconds) s"
[ "$created" -gt 1000000 ] || fail "only $created flows: no churn"
expect_eq "records dropped inside the probe (churn)" "$(json_get "$T/s3b.json" records_dropped)" 0
expect_eq "records sent = flows created (churn)" "$(json_get "$T/s3b.json" collectors.0.records)" "$created"

note "4. live: net_af_packet on a veth in a network namespace"
netns_up dpdk
ns=$NS
"$FPGEN" -o "$T/live.pcap" -n 20000 -f 2000 -V 0 -r 17 >"$T/live.json"
start_nfcapd_ns "$ns" "$T/nf4" 5000
NFCAPD_PID=$NF_PID
ip netns exec "$ns" "$FLUXPROBE" --dpdk --collector 127.0.0.1:5000 --summary json \
	-- "${eal[@]}" -l 0,1 --vdev net_af_packet0,iface=veth1 >"$T/s4.json" 2>"$T/probe4.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 200); do grep -q "capturing with DPDK" "$T/probe4.log" && break; sleep 0.05; done
sleep 1
replay_and_stop "$T/live.pcap" "$probe"
sleep 0.5
kill -TERM "$NFCAPD_PID"
wait "$NFCAPD_PID" || true
# Between tcpreplay and the PMD is the kernel (veth, AF_PACKET ring): a CI run once saw 19,999 of
# 20,000 arrive there. What fluxprobe received it must export exactly; what it did not receive
# must be in its counters (the interface's drops are read as the port's kernel_dropped).
got=$(json_get "$T/s4.json" packets)
want=$(json_get "$T/live.json" packets)
expect_collector "nfdump flows (af_packet)" "$(nfdump_stat "$T/nf4" Flows)" "$(json_get "$T/s4.json" records_exported)"
expect_collector "nfdump packets (af_packet) = packets fluxprobe received" "$(nfdump_stat "$T/nf4" Packets)" "$got"
expect_collector "nfdump bytes (af_packet) = bytes fluxprobe received" "$(nfdump_stat "$T/nf4" Bytes)" "$(json_get "$T/s4.json" bytes)"
expect_eq "af_packet: packets received + dropped before the PMD (counted) = replayed" \
	"$((got + $(json_get "$T/s4.json" capture.dropped)))" "$want"

note "5. live: net_af_xdp on the same veth (generic XDP; the PMD has no RSS and wants tx queues)"
start_nfcapd_ns "$ns" "$T/nf5" 5005
NFCAPD_PID=$NF_PID
ip netns exec "$ns" "$FLUXPROBE" --dpdk --collector 127.0.0.1:5005 --summary json \
	-- "${eal[@]}" -l 0,1 --vdev net_af_xdp0,iface=veth1 >"$T/s5.json" 2>"$T/probe5.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 200); do grep -q "capturing with DPDK" "$T/probe5.log" && break; sleep 0.05; done
grep -q "capturing with DPDK" "$T/probe5.log" || fail "net_af_xdp did not start: $(grep fluxprobe "$T/probe5.log")"
sleep 1
replay_and_stop "$T/live.pcap" "$probe"
sleep 0.5
kill -TERM "$NFCAPD_PID"
wait "$NFCAPD_PID" || true
got=$(json_get "$T/s5.json" packets)
expect_collector "nfdump flows (af_xdp)" "$(nfdump_stat "$T/nf5" Flows)" "$(json_get "$T/s5.json" records_exported)"
expect_collector "nfdump packets (af_xdp) = packets fluxprobe received" "$(nfdump_stat "$T/nf5" Packets)" "$got"
expect_collector "nfdump bytes (af_xdp) = bytes fluxprobe received" "$(nfdump_stat "$T/nf5" Bytes)" "$(json_get "$T/s5.json" bytes)"
expect_eq "af_xdp: packets received + dropped before the socket (counted) = replayed" \
	"$((got + $(json_get "$T/s5.json" capture.dropped)))" "$want"

note "6. net_af_xdp at the replay's top speed into a small ring: every packet seen or counted"
# The kernel drops what a full AF_XDP ring cannot take (the veth's rx_dropped, not the PMD's
# imissed): the probe must count those too, so packets sent = packets seen + drops reported.
"$FPGEN" -o "$T/fast.pcap" -n 400000 -f 40000 -V 0 -r 19 >"$T/fast.json"
ip netns exec "$ns" "$FLUXPROBE" --dpdk --summary json --rx-desc 64 --stats-interval 0.5 \
	-- "${eal[@]}" -l 0,1 --vdev net_af_xdp0,iface=veth1 >"$T/s6.json" 2>"$T/probe6.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 200); do grep -q "capturing with DPDK" "$T/probe6.log" && break; sleep 0.05; done
sleep 1
for _ in 1 2; do
	ip netns exec "$ns" tcpreplay -q -i veth0 --topspeed "$T/fast.pcap" >"$T/tcpreplay.log" 2>&1 ||
		fail "tcpreplay failed"
done
sleep 1
kill -INT "$probe"
wait "$probe" || true
sent=$((2 * $(json_get "$T/fast.json" packets)))
got=$(json_get "$T/s6.json" packets)
kdrops=$(json_get "$T/s6.json" ports.0.kernel_dropped)
dropped=$(json_get "$T/s6.json" capture.dropped)
note "af_xdp top speed: $got seen, $kdrops dropped by the kernel interface, $dropped counted as capture drops"
expect_eq "af_xdp: packets seen + drops reported = packets sent" "$((got + dropped))" "$sent"
if [ "$dropped" -gt 0 ]; then
	grep -q "LOSS in this run: $dropped packets dropped by the kernel or NIC before capture" \
		"$T/probe6.log" || fail "the drops are not in the last lines: $(tail -3 "$T/probe6.log")"
	grep -q "drops: capture [1-9]" "$T/probe6.log" || fail "the live line does not show the drops"
fi
echo "ok: DPDK backend"
