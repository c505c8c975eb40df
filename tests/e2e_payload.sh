#!/usr/bin/env bash
# --payload BYTES with real TLS: in a network namespace, openssl s_server answers openssl
# s_client (TLS 1.2 and 1.3, several cipher lists, groups and server names) and curl, beside a
# plain HTTP request and UDP datagrams; dumpcap records it all. Then, reading that capture:
#   1. nfdump's %ja3 on fluxprobe's flow files (computed by nfdump 1.7.1 from the ClientHello in
#      the in-payload element) equals tshark's tls.handshake.ja3 for every TLS connection;
#   2. each record's payload, in the JSON lines (base64), equals the first TCP/UDP payload of
#      its direction in the capture (tshark's tcp.payload / udp.payload), cut at BYTES; with
#      --biflow the responder's first payload too (reversePayload);
#   3. IPFIX carries them in YAF's elements, decoded by libfixbuf's ipfixDump --yaf; what does not
#      fit one message is cut, counted (records_payload_cut) and said on the last lines;
#   4. rows read back from a ClickHouse server hold the same bytes;
#   5. without --payload nothing of it is anywhere; a bad BYTES names itself.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
netns_up payload
ns=$NS
nsx() { ip netns exec "$ns" "$@"; }
ns_app_capture # a server certificate, and dumpcap on loopback into $T/app.pcapng
ip netns exec "$ns" openssl s_server -accept 8443 -cert "$T/srv.pem" -key "$T/srv.key" -www -quiet >"$T/tls.log" 2>&1 &
PIDS+=($!)
mkdir -p "$T/www" && echo hello >"$T/www/index.html"
ip netns exec "$ns" /usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory "$T/www" >"$T/http.log" 2>&1 &
PIDS+=($!)
ip netns exec "$ns" /usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 5353))
while True:
    d, peer = s.recvfrom(4096)
    s.sendto(b"reply to " + d, peer)' >/dev/null 2>&1 &
PIDS+=($!)
sleep 1
clients=(
	"-tls1_2 -servername one.example"
	"-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA -servername two.example"
	"-tls1_3 -servername three.example"
	"-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -groups X25519"
	"-tls1_3 -groups P-256:X448 -alpn h2,http/1.1"
)
for c in "${clients[@]}"; do
	# shellcheck disable=SC2086 # the options are words
	echo | nsx timeout 5 openssl s_client -connect 127.0.0.1:8443 $c >/dev/null 2>&1 || true
done
nsx curl -sk -o /dev/null https://127.0.0.1:8443/ || true
nsx curl -sk --tlsv1.2 --tls-max 1.2 -o /dev/null https://127.0.0.1:8443/ || true
nsx curl -s -o /dev/null http://127.0.0.1:8080/ || true
nsx /usr/bin/python3 -c 'import socket
for i, n in enumerate((5, 100, 3000)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(bytes((i * 7 + k) % 256 for k in range(n)), ("127.0.0.1", 5353))
    s.recvfrom(8192)'
sleep 0.5
kill "$APP_CAP"
wait "$APP_CAP" 2>/dev/null || true
tls=$(tshark -r "$T/app.pcapng" -Y "tls.handshake.type == 1" 2>/dev/null | wc -l)
[ "$tls" -ge 7 ] || fail "only $tls TLS ClientHellos captured"
note "captured: $tls TLS connections, HTTP, 3 UDP exchanges ($(stat -c %s "$T/app.pcapng") bytes)"
probe=("$FLUXPROBE" --read "$T/app.pcapng" -q --idle-timeout 300)

note "1. nfdump %ja3 on the flow files against tshark's tls.handshake.ja3"
"${probe[@]}" --payload 2048 --flow-dir "$T/fd" --json "$T/full.json"
tshark -r "$T/app.pcapng" -Y "tls.handshake.type == 1" -T fields -e tcp.srcport \
	-e tls.handshake.ja3 2>/dev/null | sort >"$T/ja3.tshark"
nfdump -R "$T/fd" -q -N -o "fmt:%sp|%dp|%ja3" 'dst port 8443' 2>/dev/null |
	awk -F'|' '{gsub(/ /, ""); print $1 "\t" $3}' | sort >"$T/ja3.nfdump"
[ "$(wc -l <"$T/ja3.tshark")" -ge 7 ] || fail "tshark computed no JA3"
diff "$T/ja3.tshark" "$T/ja3.nfdump" >"$T/ja3.diff" ||
	{ cat "$T/ja3.diff"; fail "nfdump's %ja3 on fluxprobe's files differs from tshark's JA3"; }
note "$(wc -l <"$T/ja3.tshark") connections, $(cut -f2 "$T/ja3.tshark" | sort -u | wc -l) distinct JA3, each as tshark: $(cut -f2 "$T/ja3.tshark" | sort -u | head -2 | tr '\n' ' ')"

note "2. the bytes: JSON lines against the capture"
check() { # JSON BYTES [biflow]
	/usr/bin/python3 "$here/payload_check.py" "$T/app.pcapng" "$@" || fail "payload bytes differ ($*)"
}
check "$T/full.json" 2048
"${probe[@]}" --payload 64 --json "$T/cut.json"
check "$T/cut.json" 64
"${probe[@]}" --payload 300 --biflow --json "$T/bi.json"
check "$T/bi.json" 300 biflow

note "3. IPFIX: YAF's payload elements, decoded by ipfixDump --yaf"
port=$(free_udp_port)
capture_export "$T/ipfix.pcapng" "$port" "${probe[@]}" --payload 300 --biflow \
	--collector "127.0.0.1:$port"
tshark -r "$T/ipfix.pcapng" -d "udp.port==$port,data" -T fields -e data.data 2>/dev/null |
	tr -d : | xxd -r -p >"$T/ipfix.bin"
ipfixDump --yaf --hexdump=4096 -i "$T/ipfix.bin" >"$T/ipfix.txt" 2>&1 || fail "ipfixDump failed"
/usr/bin/python3 "$here/payload_check.py" "$T/app.pcapng" "$T/bi.json" 300 biflow \
	--ipfixdump "$T/ipfix.txt" || fail "the IPFIX payload elements differ from the JSON lines"

# 2048 bytes each way do not fit one 1500-byte message beside the rest: the IPFIX copy is cut,
# counted and said on the last lines (the JSON lines keep it whole); at 300 nothing is cut
port=$(free_udp_port)
"$FLUXPROBE" --read "$T/app.pcapng" --idle-timeout 300 --payload 2048 --biflow \
	--collector "127.0.0.1:$port" --summary json >"$T/cut.summary" 2>"$T/cut.log"
cut=$(json_get "$T/cut.summary" records_payload_cut)
[ "$cut" -ge 1 ] || fail "no record counted as cut with --payload 2048 in IPFIX"
grep -q "IPFIX records carry their --payload cut to fit one message" "$T/cut.log" ||
	fail "the cut payloads are not said: $(tail -3 "$T/cut.log")"
"${probe[@]}" --payload 300 --biflow --collector "127.0.0.1:$port" --summary json >"$T/nocut.summary"
expect_eq "records cut at --payload 300" "$(json_get "$T/nocut.summary" records_payload_cut)" 0
note "$(grep -o '[0-9]* IPFIX records carry their --payload cut[^;]*' "$T/cut.log")"

note "4. ClickHouse"
source "$here/clickhouse.sh"
ch_start p
"$FLUXPROBE" --clickhouse-schema --clickhouse "${CH_URL[p]}" >"$T/schema.sql"
grep -q "payload String" "$T/schema.sql" || fail "--clickhouse-schema has no payload column"
ch_query p "$(cat "$T/schema.sql")" || fail "clickhouse-client -n refused the schema"
"${probe[@]}" --payload 300 --biflow --clickhouse "${CH_URL[p]}" || fail "the run into ClickHouse failed"
ch_query p "SELECT src_port, dst_port, proto, hex(payload), hex(rev_payload) FROM flows
	FORMAT TabSeparatedRaw" >"$T/ch.tsv"
/usr/bin/python3 "$here/payload_check.py" "$T/app.pcapng" "$T/bi.json" 300 biflow \
	--clickhouse "$T/ch.tsv" || fail "ClickHouse's payload columns differ from the JSON lines"
ch_stop p

note "5. off by default; bad values"
"${probe[@]}" --json "$T/none.json" --flow-dir "$T/fd0"
grep -q '"payload"' "$T/none.json" && fail "a payload without --payload"
nfdump -R "$T/fd0" -q -N -o "fmt:%ja3" 'dst port 8443' 2>/dev/null | contains '[0-9a-f]\{32\}' &&
	fail "nfdump finds a JA3 without --payload"
for bad in 0 2049 lots; do
	if "${probe[@]}" --payload "$bad" >/dev/null 2>"$T/bad.err"; then fail "--payload $bad was taken"; fi
	grep -q -- "--payload" "$T/bad.err" || fail "--payload $bad: the error does not name it: $(cat "$T/bad.err")"
done
note "$(head -1 "$T/bad.err")"
echo "ok: --payload: nfdump's JA3 as tshark's, the bytes as captured in JSON, IPFIX, ClickHouse"
