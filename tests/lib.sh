# Shared helpers for the end-to-end tests (sourced, not run).
# Each test gets a private temp dir, removed on exit, and kills what it started.
set -euo pipefail

: "${FLUXPROBE:?FLUXPROBE must point at the fluxprobe binary}"
: "${FPGEN:?FPGEN must point at the fpgen binary}"

T=$(mktemp -d /tmp/fp-test.XXXXXX)
PIDS=()
RMEM_MAX_WAS=
NETNS_DEL=() # network namespaces a test made itself (netns_up's is deleted by its own trap)
cleanup() {
	[ -z "$RMEM_MAX_WAS" ] || sysctl -qw net.core.rmem_max="$RMEM_MAX_WAS" || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	for n in "${NETNS_DEL[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# cmd | contains [GREP_OPTIONS] PATTERN: true when a line matches. Reads its input to the end:
# `cmd | grep -q` under pipefail fails at random when grep leaves at the first match and cmd
# is killed by SIGPIPE writing the rest (CI's e2e/dpi once failed so on `ldd | grep -q`).
contains() {
	local rc=1
	grep -q "$@" && rc=0
	cat >/dev/null
	return $rc
}

# has_ndpi BINARY: true when that fluxprobe was linked with nDPI.
has_ndpi() {
	case "$(ldd "$1")" in *libndpi*) return 0 ;; esac
	return 1
}

# raise_rmem_max BYTES: let a collector ask for a receive buffer this big (restored on exit).
# A collector that reads 100k+ records from loopback otherwise drops datagrams on a busy
# machine, for reasons outside fluxprobe.
raise_rmem_max() {
	local now
	now=$(sysctl -n net.core.rmem_max)
	[ "$now" -lt "$1" ] || return 0
	RMEM_MAX_WAS=$now
	sysctl -qw net.core.rmem_max="$1"
}
note() { echo "# $*"; }

# A UDP port nobody listens on now (the kernel picks it).
free_tcp_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# JSON field from a file: json_get FILE key[.key...]
json_get() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1" "$2"
}

wait_udp_listen() { # port
	for _ in $(seq 100); do
		[ -n "$(ss -Hlun "sport = :$1")" ] && return 0
		sleep 0.05
	done
	fail "nothing listens on udp/$1"
}

# UDP datagrams the kernel dropped because a receive buffer was full, in network namespace NS
# (default: this one), IPv4 and IPv6 together. The counter outlives the sockets.
udp_rcvbuf_errors() { # [NS]
	local cmd=()
	[ -z "${1:-}" ] || cmd=(ip netns exec "$1")
	"${cmd[@]}" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next }
		$1 == "Udp:" && h { s += $c } $1 == "Udp6RcvbufErrors" { s += $2 } END { print s + 0 }' \
		/proc/net/snmp /proc/net/snmp6
}
UDP_RCVBUF_BASE=$(udp_rcvbuf_errors)
COLLECTOR_NS= # set by start_nfcapd_ns: where expect_collector looks for socket drops

# expect_collector WHAT GOT WANT: a count read at a collector. Equal: passes. Different: the
# receive-buffer drops of the collector's namespace since the test began tell where the records
# went: dropped there, the loss is the collector's socket, outside the probe (said, not failed;
# the probe's own counts are checked separately); none dropped, the probe lost them (fails).
expect_collector() {
	if [ "$2" = "$3" ]; then
		note "$1 = $2 (as expected)"
		return 0
	fi
	local base=0 drops
	[ -n "$COLLECTOR_NS" ] || base=$UDP_RCVBUF_BASE
	drops=$(($(udp_rcvbuf_errors "$COLLECTOR_NS") - base))
	[ "$drops" -gt 0 ] || fail "$1: got $2, want $3; the collector's socket dropped nothing, so the loss is the probe's"
	note "$1: got $2, want $3: the collector's socket dropped $drops datagrams (receive buffer full), a loss outside the probe, not failed"
}

# Receive buffer the test collectors get: room for any burst a test sends, so a busy machine
# does not drop records in the collector's socket (what a collector on default buffers takes is
# measured in bench/, not asserted here).
COLLECTOR_RCVBUF=33554432

# collector_room [nfcapd args]: ROOM=(-B COLLECTOR_RCVBUF) unless the args have -B; raises
# net.core.rmem_max so the kernel grants it.
collector_room() {
	ROOM=()
	raise_rmem_max "$COLLECTOR_RCVBUF"
	case " $* " in *" -B "*) ;; *) ROOM=(-B "$COLLECTOR_RCVBUF") ;; esac
}

# start_nfcapd DIR PORT [extra nfcapd args]: a real collector on loopback, with
# COLLECTOR_RCVBUF unless the arguments give -B.
start_nfcapd() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir"
	collector_room "$@"
	nfcapd -w "$dir" -b 127.0.0.1 -p "$port" -t 3600 "${ROOM[@]}" "$@" >"$dir.log" 2>&1 &
	NFCAPD_PID=$!
	PIDS+=("$NFCAPD_PID")
	wait_udp_listen "$port"
}

# start_nfcapd_ns NS DIR PORT [extra args]: nfcapd on the loopback of network namespace NS.
# Started with `ip netns exec` itself, so NF_PID is nfcapd's own pid (signals reach it).
start_nfcapd_ns() {
	local ns=$1 dir=$2 port=$3
	shift 3
	mkdir -p "$dir"
	collector_room "$@"
	COLLECTOR_NS=$ns
	ip netns exec "$ns" nfcapd -w "$dir" -b 127.0.0.1 -p "$port" -t 3600 "${ROOM[@]}" "$@" \
		>"$dir.log" 2>&1 &
	NF_PID=$!
	PIDS+=("$NF_PID")
	for _ in $(seq 100); do
		[ -n "$(ip netns exec "$ns" ss -Hlun "sport = :$port")" ] && return 0
		sleep 0.05
	done
	fail "nfcapd does not listen on $port in $ns"
}

# start_nfacctd PORT CSV AGGREGATE: pmacct's nfacctd on loopback, print plugin writing CSV rows
# aggregated by AGGREGATE when it stops (stop_nfacctd). Sets NFACCTD_PID.
start_nfacctd() {
	local port=$1 csv=$2 agg=$3
	raise_rmem_max "$COLLECTOR_RCVBUF"
	cat >"$csv.conf" <<CONF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $port
plugins: print[p]
aggregate[p]: $agg
print_output[p]: csv
print_output_file[p]: $csv
print_refresh_time[p]: 3600
nfacctd_time_new: true
nfacctd_pipe_size: $COLLECTOR_RCVBUF
plugin_pipe_size[p]: 102400000
plugin_buffer_size[p]: 102400
CONF
	nfacctd -f "$csv.conf" >"$csv.log" 2>&1 &
	NFACCTD_PID=$!
	PIDS+=("$NFACCTD_PID")
	wait_udp_listen "$port"
}

# stop_nfacctd: SIGINT makes the print plugin write its cache out; wait for it. The plugin is a
# child process that may still be writing when the core process has exited (a busy machine):
# wait for every child to end too.
stop_nfacctd() {
	local kids
	kids=$(pgrep -P "$NFACCTD_PID" || true)
	kill -INT "$NFACCTD_PID"
	wait "$NFACCTD_PID" || true
	for k in $kids; do
		for _ in $(seq 100); do [ -e "/proc/$k" ] || break; sleep 0.1; done
	done
}

# stop_nfcapd: SIGTERM makes nfcapd write out its file; wait for it.
stop_nfcapd() {
	kill -TERM "$NFCAPD_PID"
	wait "$NFCAPD_PID" 2>/dev/null || true
}

# nfdump_stat DIR KEY: one line of `nfdump -I` (Flows, Packets, Bytes, Sequence failures ...)
nfdump_stat() {
	nfdump -R "$1" -I | awk -F': ' -v k="$2" '$1 == k { print $2 }'
}

# expect_live_packets SUMMARY WANT: a live capture saw every replayed packet, or counted what the
# kernel dropped before capture (on a busy machine a veth's backlog may drop one: the interface
# counts it and libpcap reports it as if_dropped). Sets LIVE_SEEN (packets the probe saw) and
# LIVE_LOST (drops counted) for the checks that follow, which then compare with what was seen.
expect_live_packets() {
	LIVE_SEEN=$(json_get "$1" packets)
	LIVE_LOST=$(($(json_get "$1" capture.dropped) + $(json_get "$1" capture.if_dropped)))
	expect_eq "packets seen + dropped before capture (counted)" "$((LIVE_SEEN + LIVE_LOST))" "$2"
	[ "$LIVE_LOST" = 0 ] ||
		note "the kernel dropped $LIVE_LOST packets before capture (a busy machine); counted"
}

expect_eq() { # what got want
	[ "$2" = "$3" ] || fail "$1: got $2, want $3"
	note "$1 = $2 (as expected)"
}

# ns_app_capture: in $NS, a self-signed server certificate ($T/srv.pem, $T/srv.key) for TLS
# servers, and dumpcap recording loopback's TCP and UDP into $T/app.pcapng from now on (its pid
# in APP_CAP: kill it, then wait, before reading the file).
ns_app_capture() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.pem" -days 2 \
		-subj "/CN=server.test" >/dev/null 2>&1 || fail "openssl req"
	ip netns exec "$NS" dumpcap -i lo -f "tcp or udp" -w "$T/app.pcapng" -q 2>"$T/dumpcap.log" &
	APP_CAP=$!
	PIDS+=("$APP_CAP")
	for _ in $(seq 100); do grep -q Capturing "$T/dumpcap.log" 2>/dev/null && break; sleep 0.05; done
	sleep 0.3
}

# netns_up NAME: a network namespace (removed on exit) with loopback up and a veth pair
# veth0 <-> veth1, IPv6 off so the kernel adds no traffic of its own. Sets NS.
netns_up() {
	[ "$(id -u)" = 0 ] || fail "needs root for ip netns"
	NS=fp-$1-$$
	ip netns add "$NS"
	trap 'cleanup; ip netns del "$NS" 2>/dev/null || true' EXIT
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$NS" ip link add veth0 type veth peer name veth1
	for l in lo veth0 veth1; do ip netns exec "$NS" ip link set "$l" up; done
}

# replay_and_stop PCAP PROBE-PID: tcpreplay PCAP into veth0 of $NS at 20 kpps, then SIGINT the
# probe and check it exits 0 (after exporting every flow).
replay_and_stop() {
	ip netns exec "$NS" tcpreplay -q -i veth0 --pps 20000 "$1" >"$T/tcpreplay.log" 2>&1 || {
		cat "$T/tcpreplay.log"; fail "tcpreplay failed"; }
	sleep 1
	kill -INT "$2"
	local rc=0
	wait "$2" || rc=$?
	expect_eq "probe exit status after SIGINT" "$rc" 0
}

# capture_export FILE PORT CMD...: run CMD while dumpcap records every UDP datagram to PORT on
# loopback into FILE (pcapng); stops the capture once CMD is done and the last datagrams are in.
capture_export() {
	local file=$1 port=$2
	shift 2
	dumpcap -i lo -f "udp and dst port $port" -w "$file" -q 2>"$file.log" &
	local dc=$!
	PIDS+=("$dc")
	for _ in $(seq 100); do grep -q "Capturing" "$file.log" 2>/dev/null && break; sleep 0.05; done
	sleep 0.3
	"$@"
	sleep 0.5
	kill -INT "$dc"
	wait "$dc" || true
}
