#!/usr/bin/env bash
# --json: one JSON object per flow record, beside a collector. Every line parses (Python's json),
# timestamps are ISO 8601 UTC, and the set of flows (protocol, addresses, ports or ICMP
# type/code, VLAN, packets, bytes) equals the generator's per-flow truth exactly, while nfcapd
# receives the same totals over IPFIX. `--json -` writes to stdout. --json-schema ecs writes the
# same records as ECS documents (see the end).
source "$(dirname "$0")/lib.sh"

"$FPGEN" -o "$T/in.pcap" -n 200000 -f 20000 -6 30 -V 30 -r 81 -c "$T/truth.csv" >"$T/truth.json"
port=$(free_udp_port)
raise_rmem_max 16777216
start_nfcapd "$T/nf" "$port" -B 16777216
"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" --json "$T/flows.json" \
	--idle-timeout 300 --active-timeout 600 --summary json -q >"$T/summary.json"
sleep 0.5
stop_nfcapd
expect_eq "JSON records (summary)" "$(json_get "$T/summary.json" json_records)" \
	"$(json_get "$T/truth.json" flows)"
expect_collector "nfdump flows beside it" "$(nfdump_stat "$T/nf" Flows)" "$(json_get "$T/truth.json" flows)"

python3 - "$T/flows.json" "$T/truth.csv" <<'PY' || fail "JSON lines differ from the truth"
import csv, ipaddress, json, sys
from collections import Counter
from datetime import datetime

def norm(a):
    return str(ipaddress.ip_address(a))

got = Counter()
for n, line in enumerate(open(sys.argv[1]), 1):
    r = json.loads(line)
    for k in ("flowStartMilliseconds", "flowEndMilliseconds"):
        assert r[k].endswith("Z"), (n, k, r[k])
        datetime.fromisoformat(r[k][:-1] + "+00:00")
    v6 = r["ipVersion"] == 6
    src = r["sourceIPv6Address" if v6 else "sourceIPv4Address"]
    dst = r["destinationIPv6Address" if v6 else "destinationIPv4Address"]
    proto = r["protocolIdentifier"]
    if proto in (1, 58):
        sport, dport = 0, r["icmpTypeCodeIPv6" if v6 else "icmpTypeCodeIPv4"]
    else:
        sport, dport = r["sourceTransportPort"], r["destinationTransportPort"]
    got[(proto, norm(src), norm(dst), sport, dport, r.get("vlanId", 0),
         r["packetDeltaCount"], r["octetDeltaCount"])] += 1
want = Counter()
for row in csv.DictReader(open(sys.argv[2])):
    want[(int(row["proto"]), norm(row["src"]), norm(row["dst"]), int(row["sport"]),
          int(row["dport"]), int(row["vlan"]), int(row["packets"]), int(row["bytes"]))] += 1
if got != want:
    print("only in JSON:", list((got - want).items())[:5])
    print("only in truth:", list((want - got).items())[:5])
    sys.exit(1)
print(f"# {sum(got.values())} JSON lines parse, ISO 8601 times, every flow equals the truth")
PY

"$FLUXPROBE" --read "$T/in.pcap" --json - -q | python3 -c 'import json,sys; print(sum(json.loads(l)["packetDeltaCount"] for l in sys.stdin))' >"$T/stdout.sum"
expect_eq "packets via --json -" "$(cat "$T/stdout.sum")" "$(json_get "$T/truth.json" packets)"
# --json-schema ecs: the same records as Elastic Common Schema documents. tests/ecs_check.py
# checks every field against ECS's own definitions (tests/ecs_fields.txt, from elastic/ecs
# generated/ecs/ecs_flat.yml) and every value against the IPFIX-named line of the same record:
#  - the generated capture, with active-timeout reports (event.type without "end");
#  - --biflow --fields all --decap auto over QinQ, MPLS, IPv6 flow labels (fields_gen.py);
#  - --fields latency over TCP handshakes (latency_gen.py).
here=$(dirname "$0")
ecs_pair() { # NAME INPUT OPTIONS...: both schemas, then the check
	local name=$1 in=$2
	shift 2
	"$FLUXPROBE" --read "$in" "$@" --json "$T/$name.ipfix.json" -q || fail "$name: ipfix failed"
	"$FLUXPROBE" --read "$in" "$@" --json-schema ecs --json "$T/$name.ecs.json" -q ||
		fail "$name: --json-schema ecs failed"
	python3 "$here/ecs_check.py" "$here/ecs_fields.txt" "$T/$name.ecs.json" "$T/$name.ipfix.json" ||
		fail "$name: the ECS lines are not what ECS defines or differ from the IPFIX lines"
}
"$FPGEN" -o "$T/slow.pcap" -n 20000 -f 2000 -6 30 -V 30 -p 1000 -r 82 >/dev/null
ecs_pair generated "$T/slow.pcap" --active-timeout 5
grep -q '"type":\["connection"\]' "$T/generated.ecs.json" ||
	fail "no active-timeout report (event.type without end) among the ECS lines"
/usr/bin/python3 "$here/fields_gen.py" "$T/fields.pcap" "$T/fields.json" 200 12 >/dev/null
ecs_pair fields "$T/fields.pcap" --biflow --fields all --decap auto --ifindex 7
/usr/bin/python3 "$here/latency_gen.py" "$T/lat" 43 >/dev/null
ecs_pair latency "$T/lat.pcap" --fields latency
echo "ok: JSON lines, IPFIX and ECS names"
