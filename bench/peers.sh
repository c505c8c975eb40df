#!/usr/bin/env bash
# Side by side on the same capture: fluxprobe, softflowd and nfpcapd each read a generated file
# (default 10M packets, 1M flows, 64-byte frames) and export to their own nfcapd on loopback.
# For each run: wall time, CPU time (user+sys), peak RSS, and what the collector received.
# Raises net.core.rmem_max (restored after) so the collectors, not the socket, are the limit.
# fluxprobe runs twice: with its default export pacing (20000 messages/s, what a collector on
# default socket buffers needs) and unpaced (--export-rate 0), as the peers export.
#   bench/peers.sh [--packets N] [--flows F] [--runs R] [--tools "fluxprobe softflowd ..."]
#                  [--base BUILD_DIR]   (tool "base-unpaced": that build's fluxprobe, unpaced)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=10000000 flows=1000000 runs=3 tools="fluxprobe fluxprobe-unpaced softflowd nfpcapd" base=
while [ $# -gt 0 ]; do
	case "$1" in
	--packets) packets=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "peers: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
pcap=$work/peers-$packets-$flows.pcap
[ -s "$pcap" ] || build/bench/fpgen -o "$pcap" -n "$packets" -f "$flows" -6 30 -V 30 >"$pcap.truth.json"
old_rmem=$(sysctl -n net.core.rmem_max)
collector=
trap 'sysctl -qw net.core.rmem_max='"$old_rmem"'; [ -n "$collector" ] && kill "$collector" 2>/dev/null; rm -rf "$work/nf"' EXIT
sysctl -qw net.core.rmem_max=268435456
echo "# truth: $(cat "$pcap.truth.json")"
echo "tool,run,wall_s,cpu_s,peak_rss_mb,mpps_wall,collector_flows,collector_packets,collector_bytes"
for run in $(seq "$runs"); do
	for tool in $tools; do
		port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		rm -rf "$work/nf"
		mkdir -p "$work/nf"
		nfcapd -w "$work/nf" -b 127.0.0.1 -p "$port" -t 3600 -B 200000000 >/dev/null 2>&1 &
		collector=$!
		for _ in $(seq 100); do [ -n "$(ss -Hlun "sport = :$port")" ] && break; sleep 0.05; done
		case "$tool" in
		fluxprobe) cmd=(build/probe/fluxprobe --read "$pcap" --collector "127.0.0.1:$port"
				--idle-timeout 300 --active-timeout 600 -q) ;;
		fluxprobe-unpaced) cmd=(build/probe/fluxprobe --read "$pcap" --collector "127.0.0.1:$port"
				--idle-timeout 300 --active-timeout 600 --export-rate 0 -q) ;;
		base-unpaced) cmd=("${base:?--base BUILD_DIR}/probe/fluxprobe" --read "$pcap"
				--collector "127.0.0.1:$port" --idle-timeout 300 --active-timeout 600
				--export-rate 0 -q) ;;
		softflowd) cmd=(softflowd -r "$pcap" -n "127.0.0.1:$port" -v 10 -6 -T vlan -m 2000000
				-d -p "$work/softflowd.pid" -c "$work/softflowd.ctl") ;;
		nfpcapd) cmd=(nfpcapd -r "$pcap" -H "127.0.0.1/$port" -e 600,300 -B 2000000) ;;
		*) echo "peers: unknown tool $tool" >&2; exit 2 ;;
		esac
		if [ "$tool" = softflowd ]; then
			# softflowd -r reads the file, then waits on its control socket: poll until it
			# has processed every packet, then ask it to export everything and exit.
			/usr/bin/time -o "$work/time" -f "%e %U %S %M" "${cmd[@]}" >"$work/$tool.log" 2>&1 &
			tp=$!
			until softflowctl -c "$work/softflowd.ctl" statistics 2>/dev/null |
				grep -q "^Packets processed: $packets\$"; do sleep 0.05; done
			softflowctl -c "$work/softflowd.ctl" shutdown >/dev/null 2>&1 || true
			wait "$tp" || true
		else
			/usr/bin/time -o "$work/time" -f "%e %U %S %M" "${cmd[@]}" >"$work/$tool.log" 2>&1 || true
		fi
		sleep 1
		kill -TERM "$collector"; wait "$collector" 2>/dev/null || true; collector=
		read -r wall user sys rss <"$work/time"
		stat=$(nfdump -R "$work/nf" -I 2>/dev/null || true)
		get() { awk -F': ' -v k="$1" '$1 == k {print $2}' <<<"$stat"; }
		awk -v t="$tool" -v r="$run" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v p="$packets" \
			-v f="$(get Flows)" -v pk="$(get Packets)" -v b="$(get Bytes)" \
			'BEGIN { printf "%s,%d,%.2f,%.2f,%.0f,%.2f,%s,%s,%s\n", t, r, w, u + s, m / 1024, p / w / 1e6, f, pk, b }'
	done
done
