#!/usr/bin/env bash
# The kernel paths side by side (what a veth in a network namespace can show on this machine: its
# replay tops out near 0.45 Mpps, below one worker's capacity):
#   pcap N   libpcap, --workers N in an AF_PACKET fanout group, tcpreplay --topspeed into the
#            veth: packets seen, kernel drops, and each worker thread's CPU time per packet
#            (user + system, from /proc: what bounds packets per second per core)
#   afxdp    DPDK's net_af_xdp on the same veth, beside dpdk-testpmd rxonly on the same vdev
#   bench/kernel.sh [--runs R] [--packets N] [--workers "1 2"]   (FLUXPROBE=BINARY)
# Prints CSV: scenario,run,tool,workers,replayed,received,kernel_dropped,worker_cpu_s,ns_per_packet
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 packets=2000000 workers="1 2"
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	--workers) workers=$2; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "kernel bench: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
fp=${FLUXPROBE:-build/probe/fluxprobe}
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
pcap=$work/kernel-$packets.pcap
[ -s "$pcap" ] || build/bench/fpgen -o "$pcap" -n "$packets" -f $((packets / 10)) -V 0 >"$pcap.json"
ns=fp-kbench-$$
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx ip link add veth0 type veth peer name veth1
for l in lo veth0 veth1; do nsx ip link set "$l" up; done
hz=$(getconf CLK_TCK)

# worker threads' CPU seconds of process $1 (threads named fp-worker-*)
worker_cpu() {
	local t total=0
	for t in /proc/"$1"/task/*; do
		grep -q '^fp-worker' "$t/comm" 2>/dev/null || continue
		read -r -a f <"$t/stat"
		total=$((total + f[13] + f[14]))
	done
	awk -v t="$total" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}

echo "scenario,run,tool,workers,replayed,received,kernel_dropped,worker_cpu_s,ns_per_packet"
for run in $(seq "$runs"); do
	for w in $workers; do
		ip netns exec "$ns" "$fp" --interface veth1 --workers "$w" --summary json -q \
			>"$work/k.json" 2>"$work/k.log" &
		p=$!
		sleep 1
		nsx tcpreplay -q -i veth0 --topspeed "$pcap" >"$work/tcpreplay.log" 2>&1
		sleep 1
		cpu=$(worker_cpu "$p")
		kill -INT "$p"
		wait "$p" || true
		read -r got dropped < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["packets"], d["capture"]["dropped"])' "$work/k.json")
		echo "pcap,$run,fluxprobe,$w,$packets,$got,$dropped,$cpu,$(awk -v c="$cpu" -v n="$got" 'BEGIN { printf "%.0f", n ? c * 1e9 / n : 0 }')"
	done
	eal=(--no-huge --no-pci -m 512 -l 0,1 --file-prefix "fp-kbench-$$" --log-level=lib.eal:error
		--vdev net_af_xdp0,iface=veth1)
	ip netns exec "$ns" "$fp" --dpdk --summary json -q -- "${eal[@]}" >"$work/x.json" 2>/dev/null &
	p=$!
	sleep 2
	nsx tcpreplay -q -i veth0 --topspeed "$pcap" >"$work/tcpreplay.log" 2>&1
	sleep 1
	kill -INT "$p"
	wait "$p" || true
	read -r got dropped < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["packets"], d["capture"]["dropped"])' "$work/x.json")
	echo "afxdp,$run,fluxprobe,1,$packets,$got,$dropped,,"
	{ ip netns exec "$ns" timeout -s INT 12 stdbuf -oL dpdk-testpmd "${eal[@]}" -- \
		--forward-mode=rxonly --total-num-mbufs 16384 --stats-period 1 </dev/null >"$work/testpmd.log" 2>&1 || true; } &
	sleep 3
	nsx tcpreplay -q -i veth0 --topspeed "$pcap" >"$work/tcpreplay.log" 2>&1
	wait
	got=$(grep -o 'RX-packets: *[0-9]*' "$work/testpmd.log" | tail -1 | grep -o '[0-9]*$' || echo 0)
	echo "afxdp,$run,testpmd,1,$packets,$got,,,"
done
