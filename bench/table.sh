#!/usr/bin/env bash
# The flow table beside DPDK's rte_hash and beside a previous build, side by side (issue 22):
# fp-bench-pipeline (parse → table → expiry, 64-byte frames from memory, one core) in rounds.
# Each round: one process that holds this build's fluxprobe table and DPDK's rte_hash (through the
# same parser) and alternates them pass by pass (`--table both`), so each fluxprobe/rte_hash ratio
# is a pair measured under the same conditions; and, with --base, one process of another build's
# benchmark (the previous main), run the same way beside its own rte_hash. This guest's speed
# changes from one process (and one second) to the next by up to 40 %: the ratio to rte_hash is
# the median of the per-pair ratios, the other figures medians over all runs.
# --prefetch N: the benchmark prefetches each frame N frames before parsing it (as a receive loop
# over a ring does); without it every frame's first touch waits for DRAM, on both sides alike.
#   bench/table.sh [--rounds R] [--flows "10000 1000000"] [--packets N] [--prefetch N]
#                  [--base BUILD_DIR]
# CSV: flows,round,table,run,mpps,table_bytes_per_flow; then one median line per flows and table.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 flows="10000 1000000" packets=10000000 base= prefetch=0
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--prefetch) prefetch=$2; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "table: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/bench/fp-bench-pipeline ] || scripts/setup >/dev/null
out=$(mktemp -d /tmp/fp-table.XXXXXX)
trap 'rm -rf "$out"' EXIT
# private copies: a rebuild while this runs changes nothing measured
cp build/bench/fp-bench-pipeline "$out/this"
tables=(both)
if [ -n "$base" ]; then
	cp "$base/bench/fp-bench-pipeline" "$out/base"
	if [ "$prefetch" != 0 ] && ! "$out/base" --help | grep -q -- --prefetch; then
		echo "table: --prefetch: the benchmark of $base has no --prefetch" >&2
		exit 2
	fi
	tables+=(base)
fi
{
echo "flows,round,table,run,mpps,table_bytes_per_flow,ratio_to_rte_hash"
for f in $flows; do
	for r in $(seq "$rounds"); do
		for t in "${tables[@]}"; do
			case $t in
			both) cmd=("$out/this" --table both) ;;
			base) cmd=("$out/base" --table both) ;;
			esac
			pf=()
			[ "$prefetch" = 0 ] || pf=(--prefetch "$prefetch")
			"${cmd[@]}" --flows "$f" --packets "$packets" --runs 3 "${pf[@]}" 2>/dev/null >"$out/o"
			bpf=$(tail -1 "$out/o" | python3 -c 'import json,sys; print(json.load(sys.stdin)["table_bytes_per_flow"])')
			grep '"run"' "$out/o" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
ratio = {d["run"]: d["ratio"] for d in rows if "ratio" in d}
for d in rows:
    if "mpps" in d:
        t = d["table"]
        if sys.argv[4] == "base":
            t = "base" if t == "fluxprobe" else "base_rte_hash"
        print("%s,%s,%s,%d,%.2f,%s,%s" % (sys.argv[1], sys.argv[2], t, d["run"], d["mpps"],
              sys.argv[3] if t in ("fluxprobe", "base") else "",
              ratio.get(d["run"], "") if t in ("fluxprobe", "base") else ""))
' "$f" "$r" "$bpf" "$t"
		done
	done
done
} | tee "$out/csv"
python3 - "$out/csv" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for f in dict.fromkeys(r["flows"] for r in rows):
    med = {}
    for t in dict.fromkeys(r["table"] for r in rows):
        v = [float(r["mpps"]) for r in rows if r["flows"] == f and r["table"] == t]
        med[t] = statistics.median(v)
        bpf = [r["table_bytes_per_flow"] for r in rows if r["flows"] == f and r["table"] == t][0]
        print(f"# flows {f}: {t} median {med[t]:.2f} Mpps over {len(v)} runs"
              + (f", {bpf} table bytes per flow" if t in ("fluxprobe", "base") else ""))
    for t in ("fluxprobe", "base"):
        pairs = [float(r["ratio_to_rte_hash"]) for r in rows
                 if r["flows"] == f and r["table"] == t]
        if pairs:
            print(f"# flows {f}: {t} / rte_hash = {statistics.median(pairs):.2f} (median of"
                  f" {len(pairs)} pairs, {min(pairs):.2f}-{max(pairs):.2f})")
    if "base" in med:
        print(f"# flows {f}: fluxprobe / base = {med['fluxprobe'] / med['base']:.2f} (medians,"
              " each process with its own rte_hash beside it)")
EOF
