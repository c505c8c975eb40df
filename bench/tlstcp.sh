#!/usr/bin/env bash
# --fields tls and --fields tcp: what they add to the worker's CPU per packet (issue 39: at most
# 15 ns per packet past the handshake), each and together, at 10k and 1M flows, on two captures
# read with --read:
#   plain: fpgen's TCP/UDP flows (no TLS: every TCP data packet pays the test of its first
#          payload byte, which is the whole cost past the handshakes);
#   mix:   bench/tls_mix.py's TLS 1.3 connections (application-data records, one new connection's
#          handshake per 70 packets: ClientHello and ServerHello read, JA3/JA4/JA3S made; the
#          connection it replaces ends with a FIN each way, so results are taken and freed).
# Each round runs the file without and with the fields, alternating which goes first, and
# takes the worker thread's CPU seconds from --summary json (reading the file included, the same
# both ways). Prints ns per packet of each and the difference; then medians, and for the mix the
# cost per handshake that the difference implies beyond the plain file's per-packet cost.
#   bench/tlstcp.sh [--rounds R] [--packets N] [--flows "10000 1000000"] [--dir DIR]
#                [--fields "tls tcp tls,tcp"]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 packets=5000000 flow_counts="10000 1000000" dir=/tmp/fp-bench-tls lists="tls tcp tls,tcp"
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	--flows) flow_counts=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--fields) lists=$2; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "tlstcp: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
mkdir -p "$dir"
cpu_ns() { # FILE [OPTIONS...]: the worker's CPU ns per packet
	local f=$1
	shift
	build/probe/fluxprobe --read "$f" -q --max-flows 2000000 --summary json "$@" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); w=d["workers"][0]
print("%.2f" % (w["cpu_seconds"] * 1e9 / d["packets"]))'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "fields,file,flows,round,off_ns_per_packet,on_ns_per_packet,cost_ns"
for flows in $flow_counts; do
	plain=$dir/plain-$flows.pcap mix=$dir/mix-$flows.pcap
	[ -s "$plain" ] || build/bench/fpgen -o "$plain" -n "$packets" -f "$flows" >/dev/null
	[ -s "$mix" ] || /usr/bin/python3 bench/tls_mix.py "$mix" "$packets" "$flows" >"$mix.json"
	for list in $lists; do
		on=(--fields "$list" --tls-max-flows 1000000)
		for kind in plain mix; do
		f=$dir/$kind-$flows.pcap costs=() offs=() ons=()
		for ((r = 0; r < rounds; r++)); do
			if ((r % 2 == 0)); then
				off=$(cpu_ns "$f")
				onv=$(cpu_ns "$f" "${on[@]}")
			else
				onv=$(cpu_ns "$f" "${on[@]}")
				off=$(cpu_ns "$f")
			fi
			c=$(python3 -c "print('%.2f' % ($onv - $off))")
			echo "$list,$kind,$flows,$r,$off,$onv,$c"
			offs+=("$off") ons+=("$onv") costs+=("$c")
		done
		echo "$list,$kind,$flows,median,$(median "${offs[@]}"),$(median "${ons[@]}"),$(median "${costs[@]}")"
		[ "$kind" = plain ] && plain_cost=$(median "${costs[@]}")
		[ "$kind" = mix ] && python3 -c "
import json
m = json.load(open('$mix.json'))
mix_cost = $(median "${costs[@]}")
per_hs = (mix_cost * m['packets'] - $plain_cost * (m['packets'] - 7 * m['handshakes'])) / m['handshakes']
print('$list,mix,$flows,per_handshake_ns,%.0f,(%d handshakes in %d packets)' % (per_hs, m['handshakes'], m['packets']))"
	done
	done
done
