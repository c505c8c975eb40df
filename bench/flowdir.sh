#!/usr/bin/env bash
# Flow files: fluxprobe --flow-dir against nfpcapd -w on the same capture, side by side, LZ4 on
# both (fluxprobe's default, nfpcapd -y), the output on tmpfs so the disk is not what is
# measured.
#   bench/flowdir.sh [--runs R] [--packets N]      (FLUXPROBE=BINARY picks another build)
# Captures: N packets in N/10 flows ("flows"), N packets each its own flow ("scan": one record
# per packet, every flow with its own MAC pair as fpgen makes them), and the same scan with 4 MAC
# pairs for all flows ("scan-span": a span port between routers sees their few MACs). Prints CSV: capture,run,tool,wall_s,cpu_s,records,flows_in_truth,bytes_on_disk,
# writer_cpu_s (fluxprobe: its exporter thread, which encodes, compresses and writes)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 packets=10000000
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "flowdir: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
fp=${FLUXPROBE:-build/probe/fluxprobe}
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
out=$(mktemp -d /dev/shm/fp-flowdir.XXXXXX)
trap 'rm -rf "$out"' EXIT

gen() { # name flows [fpgen options]
	local f=$work/flowdir-$1-$packets.pcap n=$2
	shift 2
	[ -s "$f" ] || build/bench/fpgen -o "$f" -n "$packets" -f "$n" -6 30 -V 0 "$@" >"$f.json"
	echo "$f"
}
declare -A pcaps
pcaps[flows]=$(gen flows $((packets / 10)))
pcaps[scan]=$(gen scan "$packets")
pcaps[scan-span]=$(gen scan-span "$packets" --mac-pairs 4)

# time -f: wall, user+sys
timed() { /usr/bin/time -f '%e %U %S' -o "$out/time" "$@"; }
echo "capture,run,tool,wall_s,cpu_s,records,flows_in_truth,bytes_on_disk,writer_cpu_s"
for run in $(seq "$runs"); do
	for cap in flows scan scan-span; do
		pcap=${pcaps[$cap]}
		truth=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["flows"])' "$pcap.json")
		rm -rf "$out/fp" "$out/nf"
		timed "$fp" --read "$pcap" --flow-dir "$out/fp" --summary json -q >"$out/fp.json"
		read -r wall u s <"$out/time"
		recs=$(nfdump -R "$out/fp" -I | awk -F': ' '$1 == "Flows" {print $2}')
		wcpu=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exporter_cpu_seconds"])' "$out/fp.json")
		echo "$cap,$run,fluxprobe,$wall,$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}'),$recs,$truth,$(du -sb "$out/fp" | cut -f1),$wcpu"
		mkdir -p "$out/nf"
		timed nfpcapd -r "$pcap" -w "$out/nf" -y >/dev/null 2>&1
		read -r wall u s <"$out/time"
		recs=$(nfdump -R "$out/nf" -I | awk -F': ' '$1 == "Flows" {print $2}')
		echo "$cap,$run,nfpcapd,$wall,$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}'),$recs,$truth,$(du -sb "$out/nf" | cut -f1),"
	done
done
