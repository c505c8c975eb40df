#!/usr/bin/env bash
# Flow churn: records per second delivered with nothing lost, and what export costs.
#   bench/churn.sh [--runs R] [--scenarios "exporter rates live dpdk-sink dpdk-nfcapd file"]
#                  [--duration S] [--extra "OPTIONS"] [--input FILE]
#                  (FLUXPROBE=BINARY picks another build; --extra: more fluxprobe options for the
#                  DPDK scenarios, e.g. --geoip ...; --input: their capture instead of fpgen's)
# exporter     one exporter core to a UDP sink: --read of 2M one-packet flows, unpaced;
#              records per exporter CPU second
# rates        file mode into nfcapd on its default socket buffers at several --export-rate
#              values: what nfcapd counted (the measurement behind the default)
# live         libpcap on a veth in a network namespace, tcpreplay --topspeed of 2M new flows
#              (idle timeout 1 s) into nfcapd on default buffers
# dpdk-sink    DPDK, one worker, net_pcap infinite_rx of 1M flows x 2 packets, idle 50 ms (every
#              replay round is 1M new flows), to a UDP socket nobody reads
# dpdk-nfcapd  the same into nfcapd with a 256 MiB socket buffer
# file         10M packets / 1M flows, fluxprobe with default settings vs softflowd, each into
#              nfcapd on default buffers: wall time and what nfcapd counted
# Prints CSV: scenario,run,setting,wall_s,records,records_per_s,dropped,collector_flows,extra
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 duration=10 scenarios="exporter rates live dpdk-sink dpdk-nfcapd file" extra=() input=
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--extra) read -r -a extra <<<"$2"; shift 2 ;;
	--input) input=$2; shift 2 ;;
	-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "churn: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
fp=${FLUXPROBE:-build/probe/fluxprobe}
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
gen() { [ -s "$work/$1.pcap" ] || build/bench/fpgen -o "$work/$1.pcap" "${@:2}" >"$work/$1.json"; }
ns=fp-churn-$$ pids=() old_rmem=$(sysctl -n net.core.rmem_max)
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	sysctl -qw net.core.rmem_max="$old_rmem"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# nfcapd_start DIR PORT [args]: sets NF; nfcapd_flows DIR after nfcapd_stop
nfcapd_start() {
	rm -rf "$1"; mkdir -p "$1"
	${NSX:-} nfcapd -w "$1" -b 127.0.0.1 -p "$2" -t 3600 "${@:3}" >/dev/null 2>&1 &
	NF=$!; pids+=("$NF")
	for _ in $(seq 100); do [ -n "$(${NSX:-} ss -Hlun "sport = :$2")" ] && break; sleep 0.05; done
}
nfcapd_stop() { sleep 1; kill -TERM "$NF"; wait "$NF" 2>/dev/null || true; }
nfcapd_flows() { nfdump -R "$1" -I | awk -F': ' '$1 == "Flows" { print $2 }'; }
# summary fields: wall records records_per_s dropped exporter_cpu
summ() { python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
r = d["records_exported"]
print("%.2f %d %.0f %d %.3f %d" % (d["seconds"], r, r / max(d["capture_seconds"], 1e-9),
      d["records_dropped"], d["exporter_cpu_seconds"], d.get("unpaced_ms", 0)))' "$1"; }

gen scan -n 2000000 -f 2000000 -u              # one packet per flow
gen churn -n 2000000 -f 1000000 -u -r 4        # as bench/dpdk.sh: 2 packets per flow
gen peers -n 10000000 -f 1000000 -6 30 -V 30   # as bench/peers.sh

echo "scenario,run,setting,wall_s,records,records_per_s,dropped,collector_flows,extra"
for run in $(seq "$runs"); do
	for sc in $scenarios; do
		case "$sc" in
		exporter)
			p=$(port)
			python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); time.sleep(600)' "$p" &
			sink=$!; pids+=("$sink"); sleep 0.3
			"$fp" --read "$work/scan.pcap" --collector "127.0.0.1:$p" --export-rate 0 --no-options \
				--summary json -q >"$work/s.json" || true
			kill "$sink"
			read -r wall rec _ drop cpu _ < <(summ "$work/s.json")
			echo "exporter,$run,unpaced to a sink,$wall,$rec,$(python3 -c "print('%.0f' % ($rec / $cpu))"),$drop,,exporter_cpu_s=$cpu Mrecords_per_exporter_cpu_s=$(python3 -c "print('%.2f' % ($rec / $cpu / 1e6))")" ;;
		rates)
			for f in scan peers; do
				for rate in 20000 25000 30000 40000 50000; do
					p=$(port); nfcapd_start "$work/nf" "$p"
					"$fp" --read "$work/$f.pcap" --collector "127.0.0.1:$p" --export-rate "$rate" \
						--no-options --idle-timeout 300 --active-timeout 600 --summary json -q >"$work/s.json" || true
					nfcapd_stop
					read -r wall rec _ drop _ _ < <(summ "$work/s.json")
					echo "rates,$run,$f --export-rate $rate,$wall,$rec,,$drop,$(nfcapd_flows "$work/nf"),"
				done
			done ;;
		live)
			ip netns add "$ns"
			NSX="ip netns exec $ns"
			$NSX ip link add veth0 type veth peer name veth1
			for l in lo veth0 veth1; do $NSX ip link set "$l" up; done
			p=5000; nfcapd_start "$work/nf" "$p"
			$NSX "$fp" --interface veth1 --collector "127.0.0.1:$p" --no-options --idle-timeout 1 \
				--summary json -q 'net 198.18.0.0/15 or net 2001:db8::/32' >"$work/s.json" &
			probe=$!; sleep 1
			$NSX tcpreplay -q -i veth0 --topspeed "$work/scan.pcap" >"$work/tcpreplay.log" 2>&1
			sleep 2; kill -INT "$probe"; wait "$probe" || true
			nfcapd_stop
			NSX=
			ip netns del "$ns"
			read -r wall rec rps drop cpu unp < <(summ "$work/s.json")
			pps=$(grep -o '[0-9.]* pps' "$work/tcpreplay.log" | head -1)
			cdrop=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"]["dropped"])' "$work/s.json")
			echo "live,$run,libpcap veth topspeed,$wall,$rec,$rps,$drop,$(nfcapd_flows "$work/nf"),replay=$pps capture_dropped=$cdrop exporter_cpu_s=$cpu unpaced_ms=$unp" ;;
		dpdk-sink|dpdk-nfcapd)
			p=$(port)
			if [ "$sc" = dpdk-sink ]; then
				python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); time.sleep(600)' "$p" &
				NF=$!; pids+=("$NF"); sleep 0.3
			else
				sysctl -qw net.core.rmem_max=268435456
				nfcapd_start "$work/nf" "$p" -B 268435456
			fi
			"$fp" --dpdk --duration "$duration" --collector "127.0.0.1:$p" --no-options --summary json -q "${extra[@]}" \
				--mbufs 2100000 --mbuf-size 128 --idle-timeout 0.05 --ring-size 1048576 \
				-- --no-huge --no-pci --file-prefix fp-churn --log-level=lib.eal:error -m 2048 -l 0,1 \
				--vdev "net_pcap0,rx_pcap=${input:-$work/churn.pcap},infinite_rx=1" >"$work/s.json" 2>/dev/null || true
			if [ "$sc" = dpdk-sink ]; then kill "$NF"; flows=; else nfcapd_stop; flows=$(nfcapd_flows "$work/nf"); fi
			read -r wall rec rps drop cpu unp < <(summ "$work/s.json")
			created=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["flows_created"], "%.2f" % (d["packets"] / d["capture_seconds"] / 1e6))' "$work/s.json")
			echo "$sc,$run,1 worker idle 50 ms,$wall,$rec,$rps,$drop,$flows,flows_created=${created% *} mpps=${created#* } exporter_cpu_s=$cpu unpaced_ms=$unp" ;;
		file)
			p=$(port); nfcapd_start "$work/nf" "$p"
			/usr/bin/time -o "$work/time" -f "%e" "$fp" --read "$work/peers.pcap" --collector "127.0.0.1:$p" \
				--idle-timeout 300 --active-timeout 600 --no-options -q --summary json >"$work/s.json" || true
			nfcapd_stop
			read -r _ rec _ drop _ _ < <(summ "$work/s.json")
			echo "file,$run,fluxprobe defaults,$(cat "$work/time"),$rec,,$drop,$(nfcapd_flows "$work/nf"),"
			p=$(port); nfcapd_start "$work/nf" "$p"
			rm -f "$work/softflowd.ctl"
			/usr/bin/time -o "$work/time" -f "%e" softflowd -r "$work/peers.pcap" -n "127.0.0.1:$p" -v 10 -6 \
				-T vlan -m 2000000 -d -p "$work/softflowd.pid" -c "$work/softflowd.ctl" >/dev/null 2>&1 &
			tp=$!
			until softflowctl -c "$work/softflowd.ctl" statistics 2>/dev/null |
				grep -q "^Packets processed: 10000000\$"; do sleep 0.05; done
			softflowctl -c "$work/softflowd.ctl" shutdown >/dev/null 2>&1 || true
			wait "$tp" || true
			nfcapd_stop
			echo "file,$run,softflowd 1.1.0,$(cat "$work/time"),,,,$(nfcapd_flows "$work/nf")," ;;
		*) echo "churn: unknown scenario $sc" >&2; exit 2 ;;
		esac
	done
done
