#!/usr/bin/env bash
# --dedup's cost on the worker (issue 38: at most 10 ns per packet at 10k flows): fp-bench-pipeline
# (parse → table → expiry, 64-byte frames from memory, one core), every frame different
# (--unique: a counter in the payload, as real packets are), without and with the dedup window,
# alternating process by process. Per round: ns per packet of each, and the difference; then the
# medians. Nothing is a duplicate in these frames (the benchmark counts them: 0), so every packet
# pays the full cost (a hash of its IP packet and WINDOW comparisons) and nothing is skipped.
#   bench/dedup.sh [--rounds R] [--flows F] [--packets N] [--window W]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 flows=10000 packets=10000000 window=8
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	--window) window=$2; shift 2 ;;
	-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "dedup: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/bench/fp-bench-pipeline ] || scripts/setup >/dev/null
bench=build/bench/fp-bench-pipeline
mpps() { "$bench" --flows "$flows" --packets "$packets" --runs 3 "$@" | tail -1 |
	python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["median_mpps"], d["duplicates"])'; }
echo "round,off_ns_per_packet,on_ns_per_packet,cost_ns,duplicates"
costs=() offs=() ons=()
for ((r = 0; r < rounds; r++)); do
	if ((r % 2 == 0)); then
		read -r off _ < <(mpps --unique)
		read -r on dups < <(mpps --dedup "$window")
	else
		read -r on dups < <(mpps --dedup "$window")
		read -r off _ < <(mpps --unique)
	fi
	read -r a b c < <(python3 -c "print(1000/$off, 1000/$on, 1000/$on - 1000/$off)")
	printf '%d,%.2f,%.2f,%.2f,%s\n' "$r" "$a" "$b" "$c" "$dups"
	offs+=("$a") ons+=("$b") costs+=("$c")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf 'median,%.2f,%.2f,%.2f,flows %s window %s\n' "$(median "${offs[@]}")" \
	"$(median "${ons[@]}")" "$(median "${costs[@]}")" "$flows" "$window"
