# Shared helpers for the end-to-end tests (sourced, not run).
# Each test gets a private temp dir, removed on exit, and kills what it started.
set -euo pipefail

: "${FLUXPROBE:?FLUXPROBE must point at the fluxprobe binary}"
: "${FPGEN:?FPGEN must point at the fpgen binary}"

T=$(mktemp -d /tmp/fp-test.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

# A UDP port nobody listens on now (the kernel picks it).
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
		ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	fail "nothing listens on udp/$1"
}

# start_nfcapd DIR PORT [extra nfcapd args]: a real collector on loopback.
start_nfcapd() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir"
	nfcapd -w "$dir" -b 127.0.0.1 -p "$port" -t 3600 "$@" >"$dir.log" 2>&1 &
	NFCAPD_PID=$!
	PIDS+=("$NFCAPD_PID")
	wait_udp_listen "$port"
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

expect_eq() { # what got want
	[ "$2" = "$3" ] || fail "$1: got $2, want $3"
	note "$1 = $2 (as expected)"
}
