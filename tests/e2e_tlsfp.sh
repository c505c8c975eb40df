#!/usr/bin/env bash
# --fields tls with real handshakes: in a network namespace, openssl s_server (a certificate
# signed by a test CA, a subject with characters RFC 4514 escapes) answers openssl s_client
# (TLS 1.2 and 1.3, cipher lists, groups, server names or none, ALPN lists or none, a resumed
# session) and curl, over IPv4 and IPv6; dumpcap records it all. The same capture cut into TCP
# segments of 1 to 97 bytes, every fifth sent twice (tests/tls_resegment.py), makes hellos and
# certificates span many segments with retransmissions among them. Reading those captures:
#   1. every record of each connection (both directions) carries what tshark dissects in its
#      handshake: JA3 and JA3S (tshark's own), JA4 (made by tests/tlsfp_check.py from tshark's
#      fields, apart from the C), version, cipher suite, server name, ALPN offered and chosen,
#      and for full TLS 1.2 handshakes the certificate's subject, issuer and end as openssl
#      prints them; records of other traffic carry none of it;
#   2. ECS (tls.*) the same, with ECS's types (tests/ecs_check.py);
#   3. IPFIX: the elements tshark decodes (Ixia's JA3, Gigamon's version, cipher, subject, issuer,
#      not-after, ntop's server name);
#   4. ClickHouse's columns;
#   5. the summary counts the hellos and what was reassembled; without --fields tls nothing of it
#      is anywhere; a capture cut by --snaplen is counted as gaps, not misread.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
netns_up tlsfp
ns=$NS
nsx() { ip netns exec "$ns" "$@"; }
nsx sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
# a test CA and a server certificate it signs
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 30 \
	-subj "/C=US/O=Flux Test CA/CN=Flux Test Root" >/dev/null 2>&1 || fail "openssl req (CA)"
openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" \
	-subj "/C=US/ST=Test State/L=Springfield/O=Flux, Probe Inc./OU=Lab #1/CN=server.example" \
	>/dev/null 2>&1 || fail "openssl req (server)"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-days 40 -out "$T/srv.pem" >/dev/null 2>&1 || fail "openssl x509 -req"
ip netns exec "$ns" dumpcap -i lo -f "tcp" -w "$T/app.pcapng" -q 2>"$T/dumpcap.log" &
PIDS+=($!)
cap=$!
for _ in $(seq 100); do grep -q Capturing "$T/dumpcap.log" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
ip netns exec "$ns" openssl s_server -accept 8443 -cert "$T/srv.pem" -key "$T/srv.key" -alpn h2,http/1.1 -www \
	-quiet >"$T/tls.log" 2>&1 &
PIDS+=($!)
ip netns exec "$ns" openssl s_server -6 -accept 8444 -cert "$T/srv.pem" -key "$T/srv.key" -www -quiet \
	>"$T/tls6.log" 2>&1 &
PIDS+=($!)
mkdir -p "$T/www" && echo hello >"$T/www/index.html"
ip netns exec "$ns" /usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory "$T/www" >"$T/http.log" 2>&1 &
PIDS+=($!)
sleep 1
clients=(
	"-tls1_2 -servername one.example -alpn h2,http/1.1"
	"-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA -noservername"
	"-tls1_3 -servername three.example"
	"-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -groups X25519 -alpn http/1.1"
	"-tls1_2 -servername again.example -sess_out $T/sess"
	"-tls1_2 -servername again.example -sess_in $T/sess"
)
run_clients() {
	for c in "${clients[@]}"; do
		# shellcheck disable=SC2086 # the options are words
		echo | nsx timeout 5 openssl s_client -connect 127.0.0.1:8443 $c >/dev/null 2>&1 || true
	done
	# s_server -www speaks HTTP/1 only: curl asks for it
	nsx curl -m 5 -sk --http1.1 -o /dev/null https://127.0.0.1:8443/ || true
	nsx curl -m 5 -sk --tlsv1.2 --tls-max 1.2 --http1.1 -o /dev/null https://127.0.0.1:8443/ || true
	nsx curl -m 5 -sk --http1.1 -o /dev/null "https://[::1]:8444/" || true
	nsx curl -m 5 -s -o /dev/null http://127.0.0.1:8080/ || true
}
run_clients
sleep 0.5
kill "$cap"
wait "$cap" 2>/dev/null || true
hellos=$(tshark -r "$T/app.pcapng" -2 -Y "tls.handshake.type == 1" 2>/dev/null | wc -l)
[ "$hellos" -ge 9 ] || fail "only $hellos TLS ClientHellos captured"
note "captured: $hellos TLS connections and HTTP ($(stat -c %s "$T/app.pcapng") bytes)"
probe=("$FLUXPROBE" --read "$T/app.pcapng" -q --idle-timeout 300 --fields tls)
check() { /usr/bin/python3 "$here/tlsfp_check.py" "$T/app.pcapng" "$T/srv.pem" "$@" --min 9; }

note "1. JSON lines against tshark and openssl"
"${probe[@]}" --json "$T/tls.json" --summary json >"$T/summary.json"
check "$T/tls.json" || fail "the JSON lines' TLS fields differ from the capture"
/usr/bin/python3 "$here/tls_resegment.py" "$T/app.pcapng" "$T/split.pcap" ||
	fail "tls_resegment.py"
"$FLUXPROBE" --read "$T/split.pcap" -q --idle-timeout 300 --fields tls --json "$T/split.json" \
	--summary json >"$T/split.summary"
/usr/bin/python3 "$here/tlsfp_check.py" "$T/split.pcap" "$T/srv.pem" "$T/split.json" --min 9 ||
	fail "the TLS fields of the resegmented capture differ from tshark's reassembly"

note "2. ECS"
"${probe[@]}" --json "$T/ecs.json" --json-schema ecs
check "$T/tls.json" --ecs "$T/ecs.json" || fail "ECS's tls.* differ from the capture"
/usr/bin/python3 "$here/ecs_check.py" "$here/ecs_fields.txt" "$T/ecs.json" "$T/tls.json" \
	>"$T/ecs.log" || { cat "$T/ecs.log"; fail "ECS types"; }

note "3. IPFIX, decoded by tshark"
port=$(free_udp_port)
capture_export "$T/ipfix.pcapng" "$port" "${probe[@]}" --collector "127.0.0.1:$port"
tshark -r "$T/ipfix.pcapng" -d "udp.port==$port,cflow" -T pdml >"$T/ipfix.pdml" 2>/dev/null
check "$T/tls.json" --ipfix "$T/ipfix.pdml" || fail "the IPFIX elements differ from the capture"

note "4. ClickHouse"
source "$here/clickhouse.sh"
ch_start t
"$FLUXPROBE" --clickhouse-schema --clickhouse "${CH_URL[t]}" >"$T/schema.sql"
grep -q "tls_ja4 String" "$T/schema.sql" || fail "--clickhouse-schema has no tls_ja4 column"
ch_query t "$(cat "$T/schema.sql")" || fail "clickhouse-client -n refused the schema"
"${probe[@]}" --clickhouse "${CH_URL[t]}" || fail "the run into ClickHouse failed"
ch_query t "SELECT src_port, dst_port, tls_ja3, tls_ja4, tls_ja3s, tls_version, tls_cipher,
	tls_alpn, tls_server_subject FROM flows WHERE proto = 6 FORMAT TabSeparatedRaw" >"$T/ch.tsv"
check "$T/tls.json" --clickhouse "$T/ch.tsv" || fail "ClickHouse's TLS columns differ"
ch_stop t

note "5. counters, off by default, a cut capture"
expect_eq "ClientHellos counted" "$(json_get "$T/summary.json" tls.handshakes)" "$hellos"
re=$(json_get "$T/split.summary" tls.reassembled)
[ "$re" -ge 18 ] || fail "only $re hellos or certificates counted as reassembled when resegmented"
expect_eq "handshakes given up (resegmented)" "$(json_get "$T/split.summary" tls.gaps)" 0
expect_eq "handshakes given up" "$(json_get "$T/summary.json" tls.gaps)" 0
note "$hellos ClientHellos, $(json_get "$T/summary.json" tls.server_hellos) ServerHellos, $(json_get "$T/summary.json" tls.certificates) certificates; resegmented: $re read from several segments"
"$FLUXPROBE" --read "$T/app.pcapng" -q --idle-timeout 300 --json "$T/none.json"
grep -q '"tlsJa3"' "$T/none.json" && fail "TLS fields without --fields tls"
# a snap length of 200 cuts every hello: counted as gaps, and no fingerprint made of half one
editcap -s 200 "$T/app.pcapng" "$T/cut.pcapng" || fail "editcap -s 200"
"$FLUXPROBE" --read "$T/cut.pcapng" -q --idle-timeout 300 --fields tls --json "$T/cut.json" \
	--summary json >"$T/cut.summary"
gaps=$(json_get "$T/cut.summary" tls.gaps)
[ "$gaps" -ge 1 ] || fail "a capture cut at 200 bytes counted no gaps"
grep -q '"tlsJa4"' "$T/cut.json" && fail "a JA4 made from a cut ClientHello"
note "cut at 200 bytes: $gaps handshakes given up, none fingerprinted"
echo "ok: --fields tls: JA3, JA3S as tshark's, JA4 from tshark's fields, certificates as openssl's, in JSON, ECS, IPFIX, ClickHouse"
