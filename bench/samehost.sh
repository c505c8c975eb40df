#!/usr/bin/env bash
# Export into nfcapd on this host, on nfcapd's DEFAULT receive buffer, everything at its defaults
# (issue 22): fluxprobe watches the collector's socket instead of pacing. Side by side, one run
# each per round, same capture:
#   scan:  N packets that make N flow records (each its own flow) → fluxprobe into nfcapd, and
#          nfpcapd -H into the same nfcapd;
#   flows: N packets in N/10 flows → fluxprobe into nfcapd, and softflowd into nfcapd.
#   bench/samehost.sh [--runs R] [--packets N]      (FLUXPROBE=BINARY picks another build)
# CSV: capture,run,tool,wall_s,cpu_s,records_at_collector,flows_in_truth,receiver_drops
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 packets=10000000
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "samehost: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
fp=${FLUXPROBE:-build/probe/fluxprobe}
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
out=$(mktemp -d /dev/shm/fp-samehost.XXXXXX)
nf=
trap '[ -n "$nf" ] && kill "$nf" 2>/dev/null; rm -rf "$out"' EXIT
gen() { # name flows
	local f=$work/samehost-$1-$packets.pcap
	[ -s "$f" ] || build/bench/fpgen -o "$f" -n "$packets" -f "$2" -6 30 -V 0 >"$f.json"
	echo "$f"
}
declare -A pcaps=([scan]=$(gen scan "$packets") [flows]=$(gen flows $((packets / 10))))
port=9995
nfcapd_up() { # nfcapd on loopback, default buffer, LZ4 files on tmpfs
	rm -rf "$out/nf" && mkdir -p "$out/nf"
	nfcapd -w "$out/nf" -b 127.0.0.1 -p $port -t 3600 -y >/dev/null 2>&1 &
	nf=$!
	for _ in $(seq 100); do [ -n "$(ss -Hlun "sport = :$port")" ] && break; sleep 0.05; done
}
nfcapd_down() { # prints the records nfcapd stored
	sleep 1
	kill "$nf"
	wait "$nf" 2>/dev/null || true
	nf=
	nfdump -R "$out/nf" -I | awk -F': ' '$1 == "Flows" {print $2}'
}
timed() { /usr/bin/time -f '%e %U %S' -o "$out/time" "$@"; }
cpu() { awk -v u="$1" -v s="$2" 'BEGIN {print u + s}'; }
echo "capture,run,tool,wall_s,cpu_s,records_at_collector,flows_in_truth,receiver_drops"
for run in $(seq "$runs"); do
	for cap in scan flows; do
		pcap=${pcaps[$cap]}
		truth=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["flows"])' "$pcap.json")
		nfcapd_up
		timed "$fp" --read "$pcap" --collector 127.0.0.1:$port --summary json -q >"$out/fp.json" || true
		read -r wall u s < <(tail -1 "$out/time")
		drops=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["collectors"][0]["receiver_drops"])' "$out/fp.json")
		echo "$cap,$run,fluxprobe,$wall,$(cpu "$u" "$s"),$(nfcapd_down),$truth,$drops"
		if [ $cap = scan ]; then
			# nfpcapd sending to the same nfcapd (-H), as peers.sh runs it
			nfcapd_up
			timed nfpcapd -r "$pcap" -H "127.0.0.1/$port" -e 600,300 -B 2000000 >/dev/null 2>&1
			read -r wall u s < <(tail -1 "$out/time")
			echo "$cap,$run,nfpcapd,$wall,$(cpu "$u" "$s"),$(nfcapd_down),$truth,"
		else
			nfcapd_up
			# softflowd -r reads the file, then waits on its control socket: once it has
			# processed every packet, it is asked to export everything and exit
			timed softflowd -r "$pcap" -n 127.0.0.1:$port -v 10 -6 -T vlan -m 2000000 -d \
				-p "$out/sfd.pid" -c "$out/sfd.ctl" >/dev/null 2>&1 &
			tp=$!
			until softflowctl -c "$out/sfd.ctl" statistics 2>/dev/null |
				grep -q "^Packets processed: $packets\$"; do sleep 0.05; done
			softflowctl -c "$out/sfd.ctl" shutdown >/dev/null 2>&1 || true
			wait "$tp" || true
			read -r wall u s < <(tail -1 "$out/time")
			echo "$cap,$run,softflowd,$wall,$(cpu "$u" "$s"),$(nfcapd_down),$truth,"
		fi
	done
done
