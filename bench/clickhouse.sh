#!/usr/bin/env bash
# Records per second into one local ClickHouse (Debian's clickhouse-server 18.16, started here in
# a temporary directory), same capture, side by side:
#   fluxprobe --read F --clickhouse URL          (RowBinary over HTTP, batches)
#   fluxprobe --read F --json - | clickhouse-client --query 'INSERT ... FORMAT JSONEachRow'
# The JSON pipe's table has only the 12 columns it fills (the probe's has 42), which favours it.
#   bench/clickhouse.sh [--runs R] [--records N]     (FLUXPROBE=BINARY picks another build)
# CSV: run,path,wall_s,cpu_s,rows,records_per_s
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 records=2000000
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--records) records=$2; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "clickhouse: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
fp=$(realpath "${FLUXPROBE:-build/probe/fluxprobe}")
export FLUXPROBE=$fp
FPGEN=$(realpath build/bench/fpgen)
source tests/lib.sh
source tests/clickhouse.sh
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
pcap=$work/clickhouse-$records.pcap
[ -s "$pcap" ] || "$FPGEN" -o "$pcap" -n "$records" -f "$records" -6 30 -V 0 >"$pcap.json"
ch_start bench
"$fp" --clickhouse-schema --clickhouse "${CH_URL[bench]}" >"$T/schema.sql"
ch_query bench "$(cat "$T/schema.sql")"
ch_query bench "CREATE TABLE flows_json (flowStartMicroseconds String, flowEndMicroseconds String,
	sourceIPv4Address String, destinationIPv4Address String, sourceIPv6Address String,
	destinationIPv6Address String, protocolIdentifier UInt8, sourceTransportPort UInt16,
	destinationTransportPort UInt16, packetDeltaCount UInt64, octetDeltaCount UInt64,
	communityId String) ENGINE = MergeTree() ORDER BY tuple()"
timed() { /usr/bin/time -f '%e %U %S' -o "$T/time" "$@"; }
echo "run,path,wall_s,cpu_s,rows,records_per_s"
for run in $(seq "$runs"); do
	ch_query bench "TRUNCATE TABLE flows"
	timed "$fp" --read "$pcap" --clickhouse "${CH_URL[bench]}" -q
	read -r wall u s <"$T/time"
	rows=$(ch_query bench "SELECT count() FROM flows")
	awk -v r="$run" -v w="$wall" -v u="$u" -v s="$s" -v n="$rows" \
		'BEGIN { printf "%d,--clickhouse,%.2f,%.2f,%d,%.0f\n", r, w, u + s, n, n / w }'
	ch_query bench "TRUNCATE TABLE flows_json"
	timed bash -c "'$fp' --read '$pcap' --json - -q | clickhouse-client --port ${CH_TCP[bench]} \
		--input_format_skip_unknown_fields 1 --query 'INSERT INTO flows_json FORMAT JSONEachRow'"
	read -r wall u s <"$T/time"
	rows=$(ch_query bench "SELECT count() FROM flows_json")
	awk -v r="$run" -v w="$wall" -v u="$u" -v s="$s" -v n="$rows" \
		'BEGIN { printf "%d,--json - | clickhouse-client,%.2f,%.2f,%d,%.0f\n", r, w, u + s, n, n / w }'
done
