#!/usr/bin/env bash
# What --dpi costs on a realistic mix (bench/dpi_mix.py: TLS with server names, HTTP with hosts and
# user agents, DNS queries and answers; whole TCP connections): fluxprobe --read of the same file
# without and with --dpi, alternating, RUNS times each; prints the medians, the cost per packet
# and per flow, and the peak memory.
# Usage: bench/dpi.sh [--connections N] [--runs R]     (FLUXPROBE: the binary, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
n=40000 runs=5
while [ $# -gt 0 ]; do
	case $1 in
	--connections) n=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-h | --help) sed -n '2,6p' "$0"; exit 0 ;;
	*) echo "dpi.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
FP=${FLUXPROBE:-build/probe/fluxprobe}
dir=/tmp/fp-bench-dpi
mkdir -p "$dir"
pcap=$dir/mix-$n.pcap
[ -s "$pcap" ] || /usr/bin/python3 bench/dpi_mix.py "$pcap" "$n" >"$pcap.info"
cat "$pcap.info"
run() { # off|on → "seconds maxrss_kb"
	local extra=()
	[ "$1" = on ] && extra=(--dpi --dpi-max-flows $((n + n / 4)))
	/usr/bin/time -f "%e %M" "$FP" --read "$pcap" "${extra[@]}" --idle-timeout 300 \
		--summary json -q 2>"$dir/time" >"$dir/summary-$1.json"
	cat "$dir/time"
}
"$FP" --read "$pcap" -q >/dev/null # warm the page cache
off=() on=()
for _ in $(seq "$runs"); do
	off+=("$(run off)")
	on+=("$(run on)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_off=$(median "${off[@]%% *}")
m_on=$(median "${on[@]%% *}")
packets=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets"])' "$dir/summary-off.json")
python3 - "$dir/summary-on.json" "$m_off" "$m_on" "$packets" "$n" "${off[0]##* }" "${on[0]##* }" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["dpi"]
off, on, packets, conns = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
extra = on - off
print("wall s, median: off %.3f, --dpi %.3f (+%.3f)" % (off, on, extra))
print("flows inspected %d: classified %d, guessed %d, unknown %d; packets inspected %d of %d; "
      "not inspected %d" % (d["flows_inspected"], d["classified"], d["guessed"], d["unknown"],
                            d["packets_inspected"], packets, d["packets_not_inspected"]))
print("cost: %.0f ns per packet of the capture, %.2f us per inspected packet, %.1f us per flow" % (
    extra * 1e9 / packets, extra * 1e6 / max(d["packets_inspected"], 1), extra * 1e6 / max(d["flows_inspected"], 1)))
print("peak memory: off %s KB, --dpi %s KB; %d bytes per --dpi-max-flows unit" % (
    sys.argv[6], sys.argv[7], d["bytes_per_max_flow"]))
EOF
