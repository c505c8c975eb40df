#!/usr/bin/env bash
# --dpi on real traffic this test makes in a network namespace (captured on its loopback with
# dumpcap, then read back): HTTP (python's http.server, curl with several Host headers, user
# agents, methods and a 404), TLS (openssl s_server, s_client with several -servername) and DNS
# (a small responder: A, AAAA, TXT, one NXDOMAIN).
#  1. every flow's names in the JSON lines equal tshark's dissection of the same packets
#     (tls.handshake.extensions_server_name, http.host, http.request.method, http.response.code,
#     http.user_agent, dns.qry.name, dns.qry.type, dns.flags.rcode);
#  2. its application equals what ndpiReader reports for that flow;
#  3. exported as IPFIX, tshark decodes the same names and applications from the records;
#  4. v9 into nfcapd, and the probe's own --flow-dir files: nfdump shows the same %nbid/%nbnam;
#  5. pmacct's nfacctd names each flow's application (class);
#  6. --json-schema ecs carries the names in ECS fields (tls.client.server_name, dns.question.*,
#     url.domain, http.*, user_agent.original, network.protocol).
source "$(dirname "$0")/lib.sh"
"$FLUXPROBE" --dpi --help >/dev/null 2>&1 || fail "fluxprobe --help failed"
if ! has_ndpi "$FLUXPROBE"; then
	fail "this fluxprobe has no nDPI (scripts/setup installs libndpi-dev)"
fi
netns_up dpi
ns=$NS
nsx() { ip netns exec "$ns" "$@"; }

ns_app_capture # a server certificate, and dumpcap on loopback into $T/app.pcapng

# HTTP
mkdir -p "$T/www" && echo hello >"$T/www/index.html"
ip netns exec "$ns" /usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory "$T/www" \
	>"$T/http.log" 2>&1 &
PIDS+=($!)
# TLS
ip netns exec "$ns" openssl s_server -accept 8443 -cert "$T/srv.pem" -key "$T/srv.key" -www -quiet \
	>"$T/tls.log" 2>&1 &
PIDS+=($!)
# DNS: answers A and AAAA and TXT, NXDOMAIN for names under nx.test
cat >"$T/dns.py" <<'PY'
import socket
from scapy.layers.dns import DNS, DNSRR
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    data, peer = s.recvfrom(2048)
    q = DNS(data)
    name = q.qd.qname.decode()
    if "nx.test" in name:
        r = DNS(id=q.id, qr=1, aa=1, rcode=3, qd=q.qd)
    else:
        r = DNS(id=q.id, qr=1, aa=1, qd=q.qd, an=DNSRR(rrname=q.qd.qname, type=q.qd.qtype,
                rdata="198.18.0.7" if q.qd.qtype == 1 else "2001:db8::7" if q.qd.qtype == 28 else "hi"))
    s.sendto(bytes(r), peer)
PY
ip netns exec "$ns" /usr/bin/python3 "$T/dns.py" >"$T/dns.log" 2>&1 &
PIDS+=($!)
sleep 1

for spec in "GET alpha.example fp-agent/1.0 /" "GET beta.example curl-like/7.88 /missing" \
	"HEAD gamma.example fp-agent/2.0 /" "POST delta.example poster/0.1 /"; do
	read -r method host agent path <<<"$spec"
	nsx curl -s -o /dev/null -X "$method" ${method/HEAD/--head} -H "Host: $host" -A "$agent" \
		"http://127.0.0.1:8080$path" >/dev/null 2>&1 || true
done
for sni in one.tls.example two.tls.example three.tls.example; do
	echo | nsx timeout 5 openssl s_client -connect 127.0.0.1:8443 -servername "$sni" >/dev/null 2>&1 || true
done
cat >"$T/ask.py" <<'PY'
import socket
from scapy.layers.dns import DNS, DNSQR
for i, (name, qtype) in enumerate([("www.example.test", 1), ("v6.example.test", 28),
                                   ("txt.example.test", 16), ("missing.nx.test", 1)]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(bytes(DNS(id=100 + i, rd=1, qd=DNSQR(qname=name, qtype=qtype))), ("127.0.0.1", 53))
    s.recvfrom(2048)
    s.close()
PY
nsx /usr/bin/python3 "$T/ask.py" || fail "DNS queries got no answer"
sleep 0.5
kill "$APP_CAP"
wait "$APP_CAP" 2>/dev/null || true

"$FLUXPROBE" --read "$T/app.pcapng" --dpi --json "$T/app.json" --summary json -q >"$T/summary.json" ||
	fail "fluxprobe --dpi failed"
# the same records as ECS documents: tls.client.server_name, dns.question.*, url.domain,
# http.*, user_agent.original and network.protocol/application say what the IPFIX names say, and
# every field is what ECS defines (tests/ecs_fields.txt)
"$FLUXPROBE" --read "$T/app.pcapng" --dpi --json-schema ecs --json "$T/app.ecs.json" -q ||
	fail "fluxprobe --dpi --json-schema ecs failed"
python3 "$(dirname "$0")/ecs_check.py" "$(dirname "$0")/ecs_fields.txt" "$T/app.ecs.json" "$T/app.json" ||
	fail "--dpi --json-schema ecs: fields not as ECS defines them, or not what the IPFIX lines say"
for f in tls.client.server_name dns.question.name url.domain http.request.method \
	http.response.status_code user_agent.original network.protocol; do
	grep -q "\"${f##*.}\"" "$T/app.ecs.json" || fail "--json-schema ecs: no $f in any line"
done
tshark -n -r "$T/app.pcapng" -T fields -E separator='|' -e ip.src -e ip.dst \
	-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
	-e tls.handshake.extensions_server_name -e http.host -e http.request.method \
	-e http.response.code -e http.user_agent -e dns.qry.name -e dns.qry.type -e dns.flags.rcode \
	-e dns.flags.response >"$T/tshark.txt" 2>/dev/null
ndpiReader -i "$T/app.pcapng" -v 2 >"$T/ndpi.txt" 2>&1 || fail "ndpiReader failed"

python3 - "$T/app.json" "$T/tshark.txt" "$T/ndpi.txt" <<'EOF' || fail "--dpi differs from tshark or ndpiReader"
import json, re, sys
flows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "sourceTransportPort" not in r:
        continue
    a = (r["sourceIPv4Address"], r["sourceTransportPort"])
    b = (r["destinationIPv4Address"], r["destinationTransportPort"])
    flows.setdefault(frozenset((a, b)), []).append(r)
# tshark: what each conversation carried
want = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("|")
    src, dst = f[0], f[1]
    sp, dp = (f[2], f[3]) if f[2] else (f[4], f[5])
    k = frozenset(((src, int(sp)), (dst, int(dp))))
    w = want.setdefault(k, {})
    if f[6]:
        w["tlsServerName"] = f[6]
    if f[7]:
        w["httpRequestHost"] = f[7]
    if f[8]:
        w["httpRequestMethod"] = f[8]
    if f[9]:
        w["httpStatusCode"] = int(f[9])
    if f[10]:
        w["httpUserAgent"] = f[10]
    if f[11]:
        w["dnsQueryName"] = f[11]
        w["dnsQueryType"] = int(f[12])
    if f[14] == "True" or f[14] == "1":
        w["dnsResponseCode"] = int(f[13])
# ndpiReader: the application per conversation
ndpi = {}
pat = re.compile(r"(TCP|UDP) ([\d.]+):(\d+) <-> ([\d.]+):(\d+) \[proto: [\d.]+/([^\]]+)\]")
for line in open(sys.argv[3]):
    m = pat.search(line)
    if m:
        ndpi[frozenset(((m[2], int(m[3])), (m[4], int(m[5]))))] = m[6]
bad = checked = 0
kinds = {"tls": 0, "http": 0, "dns": 0}
for k, w in want.items():
    if not w:
        continue
    recs = flows.get(k)
    if not recs:
        print("no record for", sorted(k), w)
        bad += 1
        continue
    for r in recs:
        got = {n: r.get(n) for n in w}
        if got != w:
            print("names of", sorted(k), "got", got, "want (tshark)", w)
            bad += 1
        if ndpi.get(k) != r.get("applicationName"):
            print("application of", sorted(k), "got", r.get("applicationName"), "ndpiReader", ndpi.get(k))
            bad += 1
        checked += 1
    kinds["tls" if "tlsServerName" in w else "http" if "httpRequestHost" in w else "dns"] += 1
print("# %d records of %d conversations checked (%s), %d differences" % (checked, sum(kinds.values()), kinds, bad))
sys.exit(bad != 0 or kinds["tls"] < 3 or kinds["http"] < 4 or kinds["dns"] < 4)
EOF

# 3. IPFIX: the same names reach tshark from the records
port=$(free_udp_port)
capture_export "$T/export.pcapng" "$port" "$FLUXPROBE" --read "$T/app.pcapng" --dpi \
	--collector "127.0.0.1:$port" -q
tshark -n -r "$T/export.pcapng" -d "udp.port==$port,cflow" -T json -J cflow >"$T/ipfix.json" 2>/dev/null
expect_eq "malformed export frames" "$(tshark -n -r "$T/export.pcapng" -d "udp.port==$port,cflow" \
	-Y '_ws.malformed or _ws.expert.severity >= 6291456' 2>/dev/null | wc -l)" 0
python3 - "$T/app.json" "$T/ipfix.json" "$(dirname "$0")" <<'EOF' || fail "IPFIX names differ from the JSON lines"
import json, sys
want = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "sourceTransportPort" in r:
        want[(str(r["sourceTransportPort"]), str(r["destinationTransportPort"]))] = (
            r.get("applicationName", ""), r.get("tlsServerName", ""), r.get("httpRequestHost", ""),
            r.get("httpUserAgent", ""), r.get("dnsQueryName", ""))
# every data record tshark decoded, as the dict of its fields
sys.path.insert(0, sys.argv[3])
from cflow_records import by_ports
names = ("cflow.appl_name", "cflow.pie.ntop.ssl_server_name", "cflow.http_request_host",
         "cflow.http_user_agent", "cflow.pie.ntop.dns_query")
got = {k: tuple(r.get(f, "") for f in names) for k, r in by_ports(sys.argv[2]).items()}
bad = [(k, got.get(k), w) for k, w in want.items() if got.get(k) != w]
for b in bad[:10]:
    print("IPFIX", b[0], "tshark", b[1], "JSON", b[2])
named = sum(1 for w in want.values() if any(w[1:]))
print("# IPFIX: %d records, %d with names, %d differences" % (len(want), named, len(bad)))
sys.exit(bool(bad) or named < 11)
EOF

# 3b. NetFlow v9 carries the application (id and name in 32 bytes): tshark decodes the same
port=$(free_udp_port)
capture_export "$T/export9.pcapng" "$port" "$FLUXPROBE" --read "$T/app.pcapng" --dpi --format nfv9 \
	--collector "127.0.0.1:$port" -q
tshark -n -r "$T/export9.pcapng" -d "udp.port==$port,cflow" -T json -J cflow >"$T/v9.json" 2>/dev/null
python3 - "$T/app.json" "$T/v9.json" "$(dirname "$0")" <<'EOF3' || fail "v9 applications differ from the JSON lines"
import json, sys
want = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "applicationName" in r:
        want[(str(r["sourceTransportPort"]), str(r["destinationTransportPort"]))] = (
            r["applicationName"][:31], "%04x" % r["applicationId"])
sys.path.insert(0, sys.argv[3])
from cflow_records import by_ports
got = {k: (r.get("cflow.appl_name", ""), r.get("cflow.appl_id.selector_id", "").replace(":", ""))
       for k, r in by_ports(sys.argv[2]).items()}
bad = [(k, got.get(k), w) for k, w in want.items() if got.get(k) != w]
for b in bad[:10]:
    print("v9", b[0], "tshark", b[1], "JSON", b[2])
print("# tshark v9: %d records with an application, %d differences" % (len(want), len(bad)))
sys.exit(bool(bad) or not want)
EOF3

# 5. NetFlow v9 into nfcapd: the application ids, and the names the options records map them to,
#    are what nfdump shows as %nbid and %nbnam
port=$(free_udp_port)
start_nfcapd "$T/nf" "$port"
"$FLUXPROBE" --read "$T/app.pcapng" --dpi --format nfv9 --collector "127.0.0.1:$port" -q ||
	fail "fluxprobe --dpi --format nfv9 failed"
sleep 0.5
stop_nfcapd
nfdump -R "$T/nf" -q -N -o 'fmt:%sp %dp %nbid %nbnam' 'proto tcp or proto udp' >"$T/nfdump.txt" 2>&1
# ... and the probe's own flow files (--flow-dir) carry the same ids and names
"$FLUXPROBE" --read "$T/app.pcapng" --dpi --flow-dir "$T/fd" -q || fail "fluxprobe --dpi --flow-dir failed"
nfdump -R "$T/fd" -q -N -o 'fmt:%sp %dp %nbid %nbnam' 'proto tcp or proto udp' >"$T/nfdump-fd.txt" 2>&1
for src in nfdump nfdump-fd; do
python3 - "$T/app.json" "$T/$src.txt" "$src" <<'EOF2' || fail "nfdump's %nbid/%nbnam differ from the JSON lines ($src)"
import json, sys
want = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "applicationName" in r:
        name = r["applicationName"].split(".")[-1]
        want[(str(r["sourceTransportPort"]), str(r["destinationTransportPort"]))] = (
            "13..%d" % r["applicationId"], name + "/nDPI")
got = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) >= 4:
        got[(f[0], f[1])] = (f[2], " ".join(f[3:]))
bad = [(k, got.get(k), w) for k, w in want.items() if got.get(k) != w]
for b in bad[:10]:
    print(sys.argv[3], b[0], "shows", b[1], "want", b[2])
print("# %s: %d records with an application, %d differences" % (
    "nfdump of nfcapd (v9)" if sys.argv[3] == "nfdump" else "nfdump of --flow-dir",
    len(want), len(bad)))
sys.exit(bool(bad) or not want)
EOF2
done

# 6. pmacct's nfacctd: its `class` primitive names each flow's application, from IPFIX and v9
for fmt in ipfix nfv9; do
	port=$(free_udp_port)
	start_nfacctd "$port" "$T/class-$fmt.csv" "src_port, dst_port, class"
	"$FLUXPROBE" --read "$T/app.pcapng" --dpi --format "$fmt" --collector "127.0.0.1:$port" -q ||
		fail "fluxprobe --dpi --format $fmt failed"
	sleep 0.5
	stop_nfacctd
	python3 - "$T/app.json" "$T/class-$fmt.csv" "$fmt" <<'EOF4' || fail "nfacctd's class differs ($fmt)"
import csv, json, sys
want = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "applicationName" in r:
        want[(str(r["sourceTransportPort"]), str(r["destinationTransportPort"]))] = \
            r["applicationName"].split(".")[-1]
got = {(row["SRC_PORT"], row["DST_PORT"]): row["CLASS"] for row in csv.DictReader(open(sys.argv[2]))}
bad = [(k, got.get(k), w) for k, w in want.items() if got.get(k) != w]
for b in bad[:10]:
    print("nfacctd", sys.argv[3], b[0], "class", b[1], "want", b[2])
print("# nfacctd %s: %d flows with an application, %d differences" % (sys.argv[3], len(want), len(bad)))
sys.exit(bool(bad) or not want)
EOF4
done

# 4. more flows than --dpi-max-flows: the rest are counted, said in the last lines, and their
#    records still leave (without an application)
"$FPGEN" -o "$T/many.pcap" -n 4000 -f 400 -r 3 >"$T/many.truth"
"$FLUXPROBE" --read "$T/many.pcap" --dpi --dpi-max-flows 16 --idle-timeout 300 --summary json \
	>"$T/many.json" 2>"$T/many.log" || fail "fluxprobe --dpi-max-flows 16 failed"
n=$(json_get "$T/many.json" dpi.packets_not_inspected)
[ "$n" -gt 0 ] || fail "400 flows through 16 DPI states: no packet counted as not inspected"
grep -q "packets of flows not inspected (all --dpi-max-flows states in use" "$T/many.log" ||
	{ cat "$T/many.log"; fail "the last lines do not say that flows were not inspected"; }
expect_eq "records with 16 DPI states" "$(json_get "$T/many.json" records_exported)" \
	"$(json_get "$T/many.truth" flows)"
note "--dpi-max-flows 16: $n packets of flows not inspected, all records exported"
echo "ok: --dpi names equal tshark's, applications equal ndpiReader's, IPFIX carries them"
