#!/usr/bin/env bash
# The flow table beside DPDK's rte_hash and beside a previous build, side by side (issue 22):
# fp-bench-pipeline (parse → table → expiry, 64-byte frames from memory, one core) in rounds, each
# round one process per table: this build's fluxprobe table, DPDK's rte_hash through the same
# parser (this build), and, with --base, the same benchmark of another build (the previous main).
# This guest's speed changes from one process to the next by up to 40 %, so every round runs all
# of them back to back and the figures are medians over all rounds.
#   bench/table.sh [--rounds R] [--flows "10000 1000000"] [--packets N] [--base BUILD_DIR]
# CSV: flows,round,table,run,mpps,table_bytes_per_flow; then one median line per flows and table.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 flows="10000 1000000" packets=10000000 base=
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "table: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/bench/fp-bench-pipeline ] || scripts/setup >/dev/null
out=$(mktemp -d /tmp/fp-table.XXXXXX)
trap 'rm -rf "$out"' EXIT
# private copies: a rebuild while this runs changes nothing measured
cp build/bench/fp-bench-pipeline "$out/this"
tables=(fluxprobe rte_hash)
if [ -n "$base" ]; then
	cp "$base/bench/fp-bench-pipeline" "$out/base"
	tables+=(base)
fi
{
echo "flows,round,table,run,mpps,table_bytes_per_flow"
for f in $flows; do
	for r in $(seq "$rounds"); do
		for t in "${tables[@]}"; do
			case $t in
			fluxprobe) cmd=("$out/this") ;;
			rte_hash) cmd=("$out/this" --table rte_hash) ;;
			base) cmd=("$out/base") ;;
			esac
			"${cmd[@]}" --flows "$f" --packets "$packets" --runs 3 2>/dev/null >"$out/o"
			bpf=$(tail -1 "$out/o" | python3 -c 'import json,sys; print(json.load(sys.stdin)["table_bytes_per_flow"])')
			grep '"run"' "$out/o" | python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print("%s,%s,%s,%d,%.2f,%s" % (sys.argv[1], sys.argv[2], sys.argv[3], d["run"], d["mpps"], sys.argv[4]))
' "$f" "$r" "$t" "$bpf"
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
              + (f", {bpf} table bytes per flow" if t != "rte_hash" else ""))
    print(f"# flows {f}: fluxprobe / rte_hash = {med['fluxprobe'] / med['rte_hash']:.2f}"
          + (f", fluxprobe / base = {med['fluxprobe'] / med['base']:.2f}" if "base" in med else ""))
EOF
