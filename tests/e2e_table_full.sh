#!/usr/bin/env bash
# A full table: 100k concurrent flows through --max-flows 1000. The least recently seen flows are
# evicted ("lack of resources"), memory stays at what was preallocated, and the packets and bytes
# nfcapd receives still add up exactly to the input. Also: timestamps that go backwards in a
# file are counted and change no total.
source "$(dirname "$0")/lib.sh"

"$FPGEN" -o "$T/in.pcap" -n 1000000 -f 100000 -6 30 -V 30 -r 23 >"$T/truth.json"
port=$(free_udp_port)
raise_rmem_max 16777216
start_nfcapd "$T/nf" "$port" -B 16777216
/usr/bin/time -o "$T/time" -f "%M" "$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" \
	--max-flows 1000 --idle-timeout 300 --summary json -q >"$T/s.json"
sleep 0.5
stop_nfcapd
evicted=$(json_get "$T/s.json" records.lack_of_resources)
[ "$evicted" -gt 100000 ] || fail "only $evicted flows evicted from a 1000-entry table"
note "evicted for lack of resources: $evicted"
expect_eq "records at nfcapd" "$(nfdump_stat "$T/nf" Flows)" "$(json_get "$T/s.json" records_exported)"
expect_eq "packets at nfcapd" "$(nfdump_stat "$T/nf" Packets)" "$(json_get "$T/truth.json" packets)"
expect_eq "bytes at nfcapd" "$(nfdump_stat "$T/nf" Bytes)" "$(json_get "$T/truth.json" bytes)"
expect_eq "records dropped" "$(json_get "$T/s.json" records_dropped)" 0
rss=$(cat "$T/time")
[ "$rss" -lt 65536 ] || fail "peak RSS $rss KiB with a 1000-flow table"
note "peak RSS ${rss} KiB"

# Swap the timestamps of two packets far apart: the later one now comes first in time.
python3 - "$T/in.pcap" "$T/back.pcap" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
offs, off = [], 24
while off + 16 <= len(data) and len(offs) < 2000:
    offs.append(off)
    off += 16 + struct.unpack("<I", data[off + 8:off + 12])[0]
a, b = offs[100], offs[1900]
data[a:a + 8], data[b:b + 8] = data[b:b + 8], data[a:a + 8]
open(sys.argv[2], "wb").write(data)
PY
"$FLUXPROBE" --read "$T/back.pcap" --summary json -q >"$T/b.json"
back=$(json_get "$T/b.json" timestamps_backwards)
[ "$back" -ge 1 ] || fail "timestamps going backwards not counted"
note "timestamps going backwards: $back"
expect_eq "packets with time going backwards" "$(json_get "$T/b.json" packets_exported)" "$(json_get "$T/truth.json" packets)"
expect_eq "bytes with time going backwards" "$(json_get "$T/b.json" bytes_exported)" "$(json_get "$T/truth.json" bytes)"
echo "ok: full table and time going backwards lose nothing"
