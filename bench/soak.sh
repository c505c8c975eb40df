#!/usr/bin/env bash
# Soak: fluxprobe at full rate with continuous flow churn, RSS sampled every 10 s; then leak checks
# on a shorter run (LeakSanitizer in the ASan build, valgrind memcheck on the release build).
#   bench/soak.sh [--minutes M] [--no-leak-check]   (default 10 minutes)
# Churn: net_pcap infinite_rx replays 1M two-packet flows with a 50 ms idle timeout, so every
# replay round is 1M new flows. Fails if RSS after the first minute grows by more than 2 %.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10 leak=1
while [ $# -gt 0 ]; do
	case "$1" in
	--minutes) minutes=$2; shift 2 ;;
	--no-leak-check) leak=0; shift ;;
	-h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "soak: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
[ -s "$work/churn.pcap" ] || build/bench/fpgen -o "$work/churn.pcap" -n 2000000 -f 1000000 -u -r 4 >/dev/null

secs=$((minutes * 60))
build/probe/fluxprobe --dpdk --duration "$secs" --idle-timeout 0.05 --ring-size 1048576 \
	--mbufs 2100000 --mbuf-size 128 --summary json -q \
	-- --no-huge --no-pci -m 2048 -l 0,1 --file-prefix fp-soak --log-level=lib.eal:error \
	--vdev "net_pcap0,rx_pcap=$work/churn.pcap,infinite_rx=1" >"$work/soak.json" 2>/dev/null &
pid=$!
echo "t_s,rss_kib"
first=
for t in $(seq 10 10 "$secs"); do
	sleep 10
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
	[ -n "$rss" ] || break
	echo "$t,$rss"
	[ "$t" -ge 60 ] && [ -z "$first" ] && first=$rss
	last=$rss
done
wait "$pid"
python3 - "$work/soak.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = sum(d["records"].values())
print(f"# {d['packets']:,} packets in {d['capture_seconds']:.0f} s ({d['packets'] / d['capture_seconds'] / 1e6:.2f} Mpps), "
      f"{d['flows_created']:,} flows created, {r:,} records, {d['records_dropped']} dropped, "
      f"exporter CPU {d['exporter_cpu_seconds']:.1f} s")
PY
growth=$(awk -v a="${first:-0}" -v b="${last:-0}" 'BEGIN { printf "%.2f", a ? (b - a) * 100 / a : 0 }')
echo "# RSS after 1 min ${first:-?} KiB, at the end ${last:-?} KiB: ${growth} % growth"
awk -v g="$growth" 'BEGIN { exit !(g <= 2) }' || { echo "FAIL: RSS grew ${growth} %"; exit 1; }

[ "$leak" = 1 ] || exit 0
build/bench/fpgen -o "$work/leak.pcap" -n 200000 -f 50000 -r 8 >/dev/null
[ -x build-asan/probe/fluxprobe ] || scripts/setup --asan >/dev/null
ASAN_OPTIONS=detect_leaks=1:exitcode=86 build-asan/probe/fluxprobe --read "$work/leak.pcap" \
	--idle-timeout 0.01 --max-flows 4096 -q && echo "# LeakSanitizer: no leak (churn run on the ASan build)"
# valgrind does not know every -march=native instruction: a plain x86-64 build for it
[ -f build-valgrind/build.ninja ] || meson setup build-valgrind -Dnative=false -Ddpdk=disabled \
	-Dtests=false -Dbuildtype=debugoptimized >/dev/null
ninja -C build-valgrind >/dev/null
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=87 -q \
	build-valgrind/probe/fluxprobe --read "$work/leak.pcap" --idle-timeout 0.01 --max-flows 4096 -q &&
	echo "# valgrind memcheck: no error, no definite or indirect leak"
