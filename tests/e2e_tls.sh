#!/usr/bin/env bash
# IPFIX over TLS (RFC 7011 section 11) into a TLS listener (socat OPENSSL-LISTEN) with a CA this
# test makes; ipfixDump (libfixbuf) decodes what the listener received:
#  1. verified by the CA and the address: every packet of the capture arrives;
#  2. a listener whose certificate that CA did not sign, and one whose certificate names another
#     host: nothing is sent, the log says why, the summary counts it, the exit status says loss;
#  3. mutual TLS: without a client certificate the listener refuses; with one, all arrives;
#  4. the listener comes up only after the probe started: the probe retries and delivers;
#  5. the same settings from a configuration file.
source "$(dirname "$0")/lib.sh"

# --- a CA, a server certificate for 127.0.0.1, a rogue one, one for another name, a client's
ossl() { openssl "$@" >/dev/null 2>&1 || fail "openssl $1 failed"; }
mkcert() { # NAME SUBJECT SAN CA-PREFIX
	ossl req -new -newkey rsa:2048 -nodes -keyout "$T/$1.key" -subj "/CN=$2" -out "$T/$1.csr"
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$T/$1.ext"
	ossl x509 -req -in "$T/$1.csr" -CA "$T/$4.pem" -CAkey "$T/$4.key" -CAcreateserial -days 2 \
		-extfile "$T/$1.ext" -out "$T/$1.pem"
}
for ca in ca rogue; do
	ossl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$ca.key" -subj "/CN=fluxprobe test $ca" \
		-days 2 -out "$T/$ca.pem"
done
mkcert server 127.0.0.1 "IP:127.0.0.1,DNS:localhost" ca
mkcert fake 127.0.0.1 "IP:127.0.0.1,DNS:localhost" rogue
mkcert other collector.example "DNS:collector.example" ca
mkcert client fluxprobe-client "DNS:fluxprobe-client" ca

"$FPGEN" -o "$T/in.pcap" -n 20000 -f 2000 -6 30 -r 3 >"$T/truth.json"
want_packets=$(json_get "$T/truth.json" packets)

# listen NAME CERT [socat options]: a one-connection TLS listener writing what it decrypts to
# $T/NAME.bin; sets PORT and LPID
listen() {
	local name=$1 cert=$2
	shift 2
	PORT=$(free_udp_port)
	socat -u "OPENSSL-LISTEN:$PORT,reuseaddr,bind=127.0.0.1,cert=$T/$cert.pem,key=$T/$cert.key,$*" \
		"CREATE:$T/$name.bin" 2>"$T/$name.socat" &
	LPID=$!
	PIDS+=("$LPID")
	for _ in $(seq 100); do
		ss -ltn "sport = :$PORT" | contains LISTEN && return 0
		sleep 0.05
	done
	fail "socat did not listen on $PORT"
}
# decoded NAME: packets in the IPFIX stream the listener received (0 when none)
decoded() {
	[ -s "$T/$1.bin" ] || { echo 0; return; }
	ipfixDump --in "$T/$1.bin" --data 2>"$T/$1.dump.err" |
		awk '/packetDeltaCount/ {s += $NF} END {print s + 0}'
}
probe() { # NAME extra options...: a file run into the listener on $PORT
	local name=$1
	shift
	"$FLUXPROBE" --read "$T/in.pcap" --collector "tls://127.0.0.1:$PORT" --summary json \
		--idle-timeout 300 "$@" >"$T/$name.json" 2>"$T/$name.log"
}

# 1. verified: all arrives, ipfixDump decodes it
listen good server verify=0
probe good --tls-ca "$T/ca.pem" || { cat "$T/good.log"; fail "TLS export failed"; }
wait "$LPID" || true
expect_eq "packets ipfixDump decodes (verified TLS)" "$(decoded good)" "$want_packets"
expect_eq "summary transport" "$(json_get "$T/good.json" collectors.0.transport)" tls
expect_eq "TLS failures" "$(json_get "$T/good.json" collectors.0.tls_failures)" 0

# 2. refused: a rogue CA's certificate, then a certificate for another name
for case in "fake:certificate refused" "other:certificate refused"; do
	cert=${case%%:*}
	listen "bad-$cert" "$cert" verify=0
	rc=0
	probe "bad-$cert" --tls-ca "$T/ca.pem" || rc=$?
	kill "$LPID" 2>/dev/null || true
	wait "$LPID" 2>/dev/null || true
	expect_eq "exit status, $cert certificate (records lost)" "$rc" 1
	expect_eq "packets received with the $cert certificate" "$(decoded "bad-$cert")" 0
	grep -q "TLS ${case#*:}" "$T/bad-$cert.log" || { cat "$T/bad-$cert.log"; fail "the log does not say why ($cert)"; }
	n=$(json_get "$T/bad-$cert.json" collectors.0.tls_failures)
	[ "$n" -ge 1 ] || fail "summary tls_failures is $n with the $cert certificate"
	note "$cert: $(grep -o 'TLS certificate refused: [^;]*' "$T/bad-$cert.log" | head -1)"
done

# 3. mutual TLS: the listener asks for a client certificate the CA signed
listen mtls-none server "verify=1,cafile=$T/ca.pem"
rc=0
probe mtls-none --tls-ca "$T/ca.pem" || rc=$?
kill "$LPID" 2>/dev/null || true
wait "$LPID" 2>/dev/null || true
expect_eq "exit status without a client certificate" "$rc" 1
expect_eq "packets received without a client certificate" "$(decoded mtls-none)" 0
grep -q "collector tls://127.0.0.1:$PORT: TLS session ended by the collector" "$T/mtls-none.log" || { cat "$T/mtls-none.log"; fail "no TLS line in the log"; }
note "no client certificate: $(grep -o "TLS session ended[^;]*" "$T/mtls-none.log" | head -1)"
listen mtls server "verify=1,cafile=$T/ca.pem"
probe mtls --tls-ca "$T/ca.pem" --tls-cert "$T/client.pem" --tls-key "$T/client.key" ||
	{ cat "$T/mtls.log"; fail "mutual TLS export failed"; }
wait "$LPID" || true
expect_eq "packets ipfixDump decodes (mutual TLS)" "$(decoded mtls)" "$want_packets"

# 4. the listener comes 1.5 s after the probe: reconnect with backoff, then everything
PORT=$(free_udp_port)
"$FLUXPROBE" --read "$T/in.pcap" --collector "tls://127.0.0.1:$PORT" --tls-ca "$T/ca.pem" \
	--summary json --idle-timeout 300 >"$T/late.json" 2>"$T/late.log" &
ppid=$!
sleep 1.5
socat -u "OPENSSL-LISTEN:$PORT,reuseaddr,bind=127.0.0.1,cert=$T/server.pem,key=$T/server.key,verify=0" \
	"CREATE:$T/late.bin" 2>"$T/late.socat" &
LPID=$!
PIDS+=("$LPID")
rc=0
wait "$ppid" || rc=$?
wait "$LPID" || true
expect_eq "exit status, collector late" "$rc" 0
expect_eq "packets ipfixDump decodes (collector late)" "$(decoded late)" "$want_packets"

# 5. the same from a configuration file (keys are the long option names)
listen conf server "verify=1,cafile=$T/ca.pem"
cat >"$T/tls.conf" <<CONF
collector = tls://127.0.0.1:$PORT
tls-ca = $T/ca.pem
tls-cert = $T/client.pem
tls-key = $T/client.key
CONF
"$FLUXPROBE" --config "$T/tls.conf" --read "$T/in.pcap" --idle-timeout 300 -q ||
	fail "TLS export from a configuration file failed"
wait "$LPID" || true
expect_eq "packets ipfixDump decodes (configuration file)" "$(decoded conf)" "$want_packets"

# bad options name themselves
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --collector "tls://127.0.0.1:$PORT" --tls-ca "$T/missing.pem" -q 2>"$T/opt.log" || rc=$?
[ "$rc" -ne 0 ] && grep -q "missing.pem" "$T/opt.log" || fail "a missing --tls-ca file is not named ($(cat "$T/opt.log"))"
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --collector "tls://127.0.0.1:$PORT" --tls-key "$T/client.key" -q 2>"$T/opt2.log" || rc=$?
[ "$rc" -ne 0 ] && grep -q -- "--tls-cert" "$T/opt2.log" || fail "--tls-key without --tls-cert accepted"
echo "ok: IPFIX over TLS verified, refused, mutual, late"
