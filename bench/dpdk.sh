#!/usr/bin/env bash
# DPDK line rate through the PMD: captures replayed from memory by net_pcap infinite_rx, each
# fluxprobe run right after a dpdk-testpmd --forward-mode=rxonly run on the same vdev, file and
# EAL memory (the replay itself costs CPU on the same core, so the ratio is the probe's own cost).
#   bench/dpdk.sh [--duration S] [--runs R] [--scenarios "small large two churn smallpool"]
#                 [--probe-args "ARGS"] [--no-testpmd]     (FLUXPROBE=BINARY picks another build)
# Prints CSV: scenario,run,tool,mpps,extra
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10 runs=3 scenarios="small large two churn" probe_args="" testpmd=1
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--probe-args) probe_args=$2; shift 2 ;;
	--no-testpmd) testpmd=0; shift ;;
	-h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "dpdk bench: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
gen() { [ -s "$work/$1.pcap" ] || build/bench/fpgen -o "$work/$1.pcap" "${@:2}" >"$work/$1.json"; }
gen small -n 20000 -f 10000 -u            # 10k flows, 64-byte frames
gen large -n 2000000 -f 1000000 -u        # 1M flows, streamed from DRAM
gen half1 -n 20000 -f 10000 -u -r 2       # two workers: one file per queue
gen half2 -n 20000 -f 10000 -u -r 3
gen churn -n 2000000 -f 1000000 -u -r 4   # 2 packets per flow: with a 50 ms idle timeout
                                          # every replay round is 1M new flows

eal=(--no-huge --no-pci --file-prefix fp-bench --log-level=lib.eal:error)
testpmd_mpps() { # EAL args..., then -- testpmd args: median of the per-second Rx-pps after the first
	[ "$testpmd" = 1 ] || { printf skipped; return; }
	{ timeout -s INT $((duration + 8)) stdbuf -oL dpdk-testpmd "$@" --forward-mode=rxonly --stats-period 1 \
		</dev/null 2>/dev/null || true; } | awk '/Rx-pps:/ && $2 > 0 { print $2 }' | tail -n +2 |
		sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", NR ? v[int((NR + 1) / 2)] / 1e6 : 0 }'
}
probe() { # scenario-specific fluxprobe args...; prints mpps and extra
	# shellcheck disable=SC2086 # --probe-args is a list of words
	"${FLUXPROBE:-build/probe/fluxprobe}" --dpdk --duration "$duration" --summary json -q $probe_args "$@" 2>/dev/null |
		tail -1 | python3 -c 'import json,sys
d = json.load(sys.stdin)
r = sum(d["records"].values())
print("%.2f %s" % (d["packets"] / d["capture_seconds"] / 1e6,
      "records/s=%.0f records_dropped=%d flows_created=%d imissed=%d" % (r / d["capture_seconds"],
      d["records_dropped"], d["flows_created"], sum(p["imissed"] for p in d["ports"]))))'
}

echo "scenario,run,tool,mpps,extra"
for run in $(seq "$runs"); do
	for sc in $scenarios; do
		case "$sc" in
		small)
			vdev="net_pcap0,rx_pcap=$work/small.pcap,infinite_rx=1"
			t=$(testpmd_mpps "${eal[@]}" -m 1024 -l 0,1 --vdev "$vdev" -- --total-num-mbufs 65536)
			p=$(probe --mbufs 65536 --idle-timeout 300 --active-timeout 600 \
				-- "${eal[@]}" -m 1024 -l 0,1 --vdev "$vdev") ;;
		smallpool) # the same file, a pool just big enough: the replay's mbufs stay in cache
			vdev="net_pcap0,rx_pcap=$work/small.pcap,infinite_rx=1"
			t=$(testpmd_mpps "${eal[@]}" -m 1024 -l 0,1 --vdev "$vdev" -- --total-num-mbufs 24576 --mbuf-size 256)
			p=$(probe --mbufs 24576 --mbuf-size 128 --idle-timeout 300 --active-timeout 600 \
				-- "${eal[@]}" -m 1024 -l 0,1 --vdev "$vdev") ;;
		large)
			vdev="net_pcap0,rx_pcap=$work/large.pcap,infinite_rx=1"
			t=$(testpmd_mpps "${eal[@]}" -m 2048 -l 0,1 --vdev "$vdev" -- --total-num-mbufs 2100000 --mbuf-size 256)
			p=$(probe --mbufs 2100000 --mbuf-size 128 --idle-timeout 300 --active-timeout 600 \
				-- "${eal[@]}" -m 2048 -l 0,1 --vdev "$vdev") ;;
		two)
			vdev="net_pcap0,rx_pcap=$work/half1.pcap,rx_pcap=$work/half2.pcap,infinite_rx=1"
			t=$(testpmd_mpps "${eal[@]}" -m 1024 --lcores 0@0,1@0,2@1 --vdev "$vdev" -- --total-num-mbufs 131072 --rxq 2 --txq 2 --nb-cores 2)
			p=$(probe --mbufs 131072 --idle-timeout 300 --active-timeout 600 \
				-- "${eal[@]}" -m 1024 --lcores 0@0,1@0,2@1 --vdev "$vdev") ;;
		churn)
			vdev="net_pcap0,rx_pcap=$work/churn.pcap,infinite_rx=1"
			t=$(testpmd_mpps "${eal[@]}" -m 2048 -l 0,1 --vdev "$vdev" -- --total-num-mbufs 2100000 --mbuf-size 256)
			p=$(probe --mbufs 2100000 --mbuf-size 128 --idle-timeout 0.05 --ring-size 1048576 \
				-- "${eal[@]}" -m 2048 -l 0,1 --vdev "$vdev") ;;
		esac
		echo "$sc,$run,testpmd,$t,"
		echo "$sc,$run,fluxprobe,${p%% *},${p#* }"
	done
done
