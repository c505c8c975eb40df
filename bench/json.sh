#!/usr/bin/env bash
# JSON lines (--json): the exporter thread's CPU seconds for the records of one file, written to
# a file on tmpfs (/dev/shm, so the disk is not what is measured: the kernel's copy into tmpfs
# is then most of it) and to /dev/null (the formatting alone).
#   bench/json.sh [--runs R] [--base BUILD_DIR]
# 2M 64-byte packets in 1M flows (30 % IPv6, fpgen) make 1M records; each run is
#   fluxprobe --read FILE -q --json OUT [--json-schema ecs] --summary json
# and reads the summary's exporter_cpu_seconds. Both schemas (ipfix, ecs), both targets; with
# --base, that build's fluxprobe runs beside this one, alternating. Prints CSV lines:
#   build,schema,target,runs (exporter CPU s),median,records per CPU second
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 base=
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "json: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] && [ -x build/bench/fpgen ] || scripts/setup >/dev/null
[ -z "$base" ] || [ -x "$base/probe/fluxprobe" ] || { echo "json: no $base/probe/fluxprobe" >&2; exit 2; }
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
in=$work/json-1m.pcap
[ -s "$in" ] || build/bench/fpgen -o "$in" -n 2000000 -f 1000000 -6 30 -V 0 -u >"$in.json"
out=$(mktemp -d /dev/shm/fp-json.XXXXXX)
trap 'rm -rf "$out"' EXIT
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

builds=(this)
[ -z "$base" ] || builds+=(base)
echo "build,schema,target,runs (exporter CPU s),median,records per CPU second"
for target in shm null; do
	dest=$out/lines.json
	[ "$target" = shm ] || dest=/dev/null
	for schema in ipfix ecs; do
		declare -A cpu=()
		for ((r = 0; r < runs; r++)); do
			for b in "${builds[@]}"; do
				fp=build/probe/fluxprobe
				[ "$b" = this ] || fp=$base/probe/fluxprobe
				rm -f "$out/lines.json"
				"$fp" --read "$in" -q --json "$dest" --json-schema "$schema" \
					--summary json >"$out/summary.json"
				read -r c n w < <(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(d["exporter_cpu_seconds"], sum(d["records"].values()), d["json_records"])' \
					"$out/summary.json")
				lines=$w # /dev/null: the lines written, as the summary counts them
				[ "$target" = null ] || lines=$(wc -l <"$out/lines.json")
				[ "$lines" = "$n" ] ||
					{ echo "json: $b $schema wrote $lines lines of $n records" >&2; exit 1; }
				cpu[$b]+="$c "
			done
		done
		for b in "${builds[@]}"; do
			# shellcheck disable=SC2086
			m=$(median ${cpu[$b]})
			echo "$b,$schema,$target,${cpu[$b]% },$m,$(python3 -c "print(round($n / $m))")"
		done
		unset cpu
	done
done
