#!/usr/bin/env bash
# --clickhouse against real ClickHouse servers (Debian's clickhouse-server, started here in a
# temporary directory on free ports):
#  1. the table made by `fluxprobe --clickhouse-schema` (run with clickhouse-client -n): a
#     generated capture (IPv4/IPv6, TCP/UDP/ICMP, VLAN) inserted: every flow's packets and bytes
#     equal the generator's truth, and the rows equal what was exported;
#  2. --biflow --fields latency, credentials from the environment: each row's counters, reverse
#     counters and latencies equal the JSON lines of the same run;
#  3. --dpi on real DNS and HTTP captures, credentials from --clickhouse-auth FILE: application,
#     names, method and status equal the JSON lines;
#  4. a refused login: rows counted lost, said (LOSS line), exit status 1;
#  5. the server stopped for 3 s in the middle of a run and started again: every row inserted;
#  6. the server gone for the whole run with a small backlog: the loss counted and said, exit 1;
#  7. two servers, a Distributed table over them (--clickhouse-cluster): both shards hold rows,
#     the totals through the Distributed table are exact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clickhouse.sh"
here=$(dirname "$0")
command -v clickhouse-server >/dev/null || fail "clickhouse-server is not installed (scripts/setup)"

rows_vs_truth() { # NAME TABLE TRUTH.csv: per-flow sums in the table = the truth
	ch_query "$1" "SELECT proto, IPv6NumToString(src_ip), IPv6NumToString(dst_ip),
		if(proto IN (1, 58), 0, src_port), if(proto IN (1, 58), icmp_type * 256 + icmp_code, dst_port),
		vlan, sum(packets), sum(bytes) FROM $2
		GROUP BY proto, src_ip, dst_ip, src_port, dst_port, icmp_type, icmp_code, vlan
		FORMAT TSV" >"$T/rows.tsv" || fail "SELECT from $2 failed"
	python3 - "$3" "$T/rows.tsv" <<'PY'
import csv, ipaddress, sys
def addr(a):
    ip = ipaddress.ip_address(a)
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)
w = {}
for r in csv.DictReader(open(sys.argv[1])):
    k = (r["proto"], addr(r["src"]), addr(r["dst"]), r["sport"], r["dport"], r["vlan"])
    p, b = w.get(k, (0, 0))
    w[k] = (p + int(r["packets"]), b + int(r["bytes"]))
g = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    g[(f[0], addr(f[1]), addr(f[2]), f[3], f[4], f[5])] = (int(f[6]), int(f[7]))
bad = [k for k in w if g.get(k) != w[k]] + [k for k in g if k not in w]
print("# flows: %d in the truth, %d in the table, %d differ" % (len(w), len(g), len(bad)))
for k in bad[:5]:
    print("# differs:", k, w.get(k), g.get(k))
sys.exit(1 if bad else 0)
PY
}

rows_vs_json() { # NAME TABLE JSON: each row's fields = the JSON line of the same flow
	ch_query "$1" "SELECT community_id, start_us, packets, bytes, rev_packets, rev_bytes,
		ifNull(client_latency_us, -1), ifNull(server_latency_us, -1), ifNull(app_latency_us, -1),
		application, application_id, tls_server_name, dns_query, http_host, http_method,
		http_status, user_agent FROM $2 FORMAT TSV" >"$T/rows.tsv" || fail "SELECT failed"
	python3 - "$3" "$T/rows.tsv" <<'PY'
import datetime, json, sys
def us(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return round(t.timestamp() * 1e6)
want = {}
for line in open(sys.argv[1]):
    x = json.loads(line)
    k = (x["communityId"], us(x["flowStartMicroseconds"]), x["packetDeltaCount"])
    want[k] = [x["octetDeltaCount"], x.get("reversePacketDeltaCount", 0),
               x.get("reverseOctetDeltaCount", 0),
               x.get("clientNetworkLatencyMicroseconds", -1),
               x.get("serverNetworkLatencyMicroseconds", -1),
               x.get("applicationLatencyMicroseconds", -1),
               x.get("applicationName", ""), x.get("applicationId", 0),
               x.get("tlsServerName", ""), x.get("dnsQueryName", ""),
               x.get("httpRequestHost", ""), x.get("httpRequestMethod", ""),
               x.get("httpStatusCode", 0), x.get("httpUserAgent", "")]
got = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    k = (f[0], int(f[1]), int(f[2]))
    got[k] = [int(f[3]), int(f[4]), int(f[5]), int(f[6]), int(f[7]), int(f[8]), f[9],
              int(f[10]), f[11], f[12], f[13], f[14], int(f[15]), f[16]]
bad = [k for k in want if got.get(k) != want[k]] + [k for k in got if k not in want]
print("# rows: %d JSON lines, %d rows, %d differ" % (len(want), len(got), len(bad)))
for k in bad[:5]:
    print("# differs:", k, want.get(k), got.get(k))
sys.exit(1 if bad or not want else 0)
PY
}

note "1. --clickhouse-schema, then a generated capture"
ch_start a
"$FLUXPROBE" --clickhouse-schema --clickhouse "${CH_URL[a]}" >"$T/schema.sql" ||
	fail "--clickhouse-schema failed"
grep -q "ENGINE = MergeTree" "$T/schema.sql" || fail "no MergeTree in the schema: $(cat "$T/schema.sql")"
ch_query a "$(cat "$T/schema.sql")" || fail "clickhouse-client -n refused the schema"
"$FPGEN" -o "$T/in.pcap" -n 200000 -f 20000 -6 30 -V 30 -r 61 -c "$T/truth.csv" >"$T/truth.json"
"$FLUXPROBE" --read "$T/in.pcap" --clickhouse "${CH_URL[a]}" --summary json -q >"$T/s1.json" ||
	fail "fluxprobe --clickhouse failed"
expect_eq "rows (count())" "$(ch_query a 'SELECT count() FROM flows')" "$(json_get "$T/s1.json" records_exported)"
expect_eq "sink records (summary)" "$(json_get "$T/s1.json" sinks.0.records)" "$(json_get "$T/s1.json" records_exported)"
expect_eq "packets (sum)" "$(ch_query a 'SELECT sum(packets) FROM flows')" "$(json_get "$T/truth.json" packets)"
expect_eq "bytes (sum)" "$(ch_query a 'SELECT sum(bytes) FROM flows')" "$(json_get "$T/truth.json" bytes)"
rows_vs_truth a flows "$T/truth.csv" || fail "the table's flows differ from the truth"

note "2. --biflow --fields latency, credentials from the environment"
ch_query a "$(sed 's/EXISTS flows/EXISTS lat/' "$T/schema.sql")"
/usr/bin/python3 "$here/latency_gen.py" "$T/lat" 42 >/dev/null
FLUXPROBE_CLICKHOUSE_USER=probe FLUXPROBE_CLICKHOUSE_PASSWORD=fp-secret \
	"$FLUXPROBE" --read "$T/lat.pcap" --biflow --fields latency --json "$T/lat-lines.json" \
	--clickhouse "${CH_URL[a]}" --clickhouse-table lat -q || fail "--biflow --fields latency failed"
rows_vs_json a lat "$T/lat-lines.json" || fail "biflow/latency rows differ from the JSON lines"

note "3. --dpi, credentials from --clickhouse-auth"
ch_query a "$(sed 's/EXISTS flows/EXISTS app/' "$T/schema.sql")"
echo "probe:fp-secret" >"$T/auth"
for f in dns_udp.pcap dns_tcp.pcap ipv4_tcp_http_xml.pcap http_headers.pcap; do
	[ -f "$here/pcaps/tcpdump/$f" ] || continue
	"$FLUXPROBE" --read "$here/pcaps/tcpdump/$f" --dpi --json "$T/app.json" \
		--clickhouse "${CH_URL[a]}" --clickhouse-table app --clickhouse-auth "$T/auth" -q ||
		fail "--dpi --clickhouse on $f failed"
done
rows_vs_json a app "$T/app.json" || fail "DPI rows differ from the JSON lines"
expect_eq "rows naming an application" "$(ch_query a "SELECT count() > 0 FROM app WHERE application != ''")" 1

note "4. a refused login"
echo "probe:wrong" >"$T/bad-auth"
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --count 1000 --clickhouse "${CH_URL[a]}" --clickhouse-auth "$T/bad-auth" \
	--summary json >"$T/s4.json" 2>"$T/p4.log" || rc=$?
expect_eq "exit status with rows refused" "$rc" 1
lost=$(json_get "$T/s4.json" sinks.0.records_lost)
expect_eq "rows refused, counted" "$lost" "$(json_get "$T/s4.json" records_exported)"
grep -q "LOSS in this run: $lost flow records not inserted into --clickhouse" "$T/p4.log" ||
	fail "the refusal is not in the last lines: $(tail -3 "$T/p4.log")"
grep -q "rows refused: HTTP" "$T/p4.log" || fail "the server's answer is not logged"
grep "LOSS in this run" "$T/p4.log" | contains "the server refused the login: check the user and password" ||
	fail "a refused login's LOSS line gives another remedy: $(grep LOSS "$T/p4.log")"
grep "LOSS in this run" "$T/p4.log" | contains "clickhouse-schema" &&
	fail "a refused login's LOSS line advises --clickhouse-schema: $(grep LOSS "$T/p4.log")"
# a table that does not exist: named as such, with the statement that creates it
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --count 1000 --clickhouse "${CH_URL[a]}" --clickhouse-table nosuch \
	2>"$T/p4t.log" >/dev/null || rc=$?
expect_eq "exit status with no table" "$rc" 1
grep "LOSS in this run" "$T/p4t.log" | contains "the table (or its database) does not exist: create it with fluxprobe --clickhouse-schema" ||
	fail "a missing table's LOSS line: $(grep LOSS "$T/p4t.log")"
grep "LOSS in this run" "$T/p4t.log" | contains "(Protocol error)" &&
	fail "a missing table reported as a protocol error: $(grep LOSS "$T/p4t.log")"
# https:// to the plain HTTP port: TLS named, to the end
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --count 1000 --clickhouse "${CH_URL[a]/http:/https:}" \
	2>"$T/p4s.log" >/dev/null || rc=$?
expect_eq "exit status with https to an http port" "$rc" 1
grep "LOSS in this run" "$T/p4s.log" | contains "(\(SSL connect error\|TLS handshake failed: .*\)): TLS failed: an https:// URL for a server that speaks plain HTTP" ||
	fail "https to an http port: $(grep LOSS "$T/p4s.log")"
grep "LOSS in this run" "$T/p4s.log" | contains "Connection refused" &&
	fail "https to an http port said 'Connection refused' at the end"
grep -q "waiting up to [0-9]* s more for it to take the [0-9]* rows queued" "$T/p4s.log" ||
	fail "the end did not say what it waits for: $(cat "$T/p4s.log")"

note "5. the server stopped for 3 s in the middle of a run"
ch_query a "TRUNCATE TABLE flows"
# one-packet flows idling out after 1 s: rows go in all along the run; once the first are in, the
# probe is held (SIGSTOP) while the server stops, so the outage falls in the middle of the run
"$FPGEN" -o "$T/big.pcap" -n 2000000 -f 2000000 -6 30 -V 0 -r 62 >"$T/big.json"
"$FLUXPROBE" --read "$T/big.pcap" --idle-timeout 1 --clickhouse "${CH_URL[a]}" --summary json \
	>"$T/s5.json" 2>"$T/p5.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 400); do
	[ "$(ch_query a 'SELECT count() FROM flows')" -gt 0 ] && break
	sleep 0.02
done
kill -STOP "$probe"
n0=$(ch_query a 'SELECT count() FROM flows')
ch_stop a
kill -CONT "$probe"
sleep 3
ch_restart a
wait "$probe" || fail "fluxprobe failed across the restart: $(tail -3 "$T/p5.log")"
note "rows in before the stop: $n0 of $(json_get "$T/big.json" flows)"
[ "$n0" -lt "$(json_get "$T/big.json" flows)" ] || fail "every row was in before the stop: no outage mid-run"
grep -q "rows wait in the backlog" "$T/p5.log" || fail "the outage was not logged: $(cat "$T/p5.log")"
grep -q "inserting again" "$T/p5.log" || fail "the recovery was not logged"
expect_eq "rows after a restart" "$(ch_query a 'SELECT count() FROM flows')" "$(json_get "$T/big.json" flows)"
expect_eq "packets after a restart" "$(ch_query a 'SELECT sum(packets) FROM flows')" "$(json_get "$T/big.json" packets)"
expect_eq "rows lost" "$(json_get "$T/s5.json" sinks.0.records_lost)" 0

note "6. no server for the whole run, a small backlog"
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --clickhouse "http://127.0.0.1:$(free_tcp_port)" \
	--export-backlog 131072 --summary json >"$T/s6.json" 2>"$T/p6.log" || rc=$?
expect_eq "exit status with no server" "$rc" 1
lost=$(json_get "$T/s6.json" sinks.0.records_lost)
expect_eq "rows lost = rows exported" "$lost" "$(json_get "$T/s6.json" records_exported)"
grep -q "LOSS in this run: $lost flow records not inserted into --clickhouse" "$T/p6.log" ||
	fail "the loss is not in the last lines: $(tail -3 "$T/p6.log")"

note "7. two servers behind a Distributed table"
ch_ports b
ch_ports c
ch_start b c
ch_start c b
"$FLUXPROBE" --clickhouse-schema --clickhouse "${CH_URL[b]}" --clickhouse-cluster fp >"$T/cluster.sql" ||
	fail "--clickhouse-schema --clickhouse-cluster failed"
for s in b c; do ch_query $s "$(cat "$T/cluster.sql")" || fail "server $s refused the cluster schema"; done
"$FLUXPROBE" --read "$T/in.pcap" --clickhouse "${CH_URL[b]}" -q || fail "fluxprobe into the Distributed table failed"
want=$(json_get "$T/truth.json" flows)
for _ in $(seq 100); do # the Distributed table sends the other shard's rows in the background
	[ "$(ch_query b 'SELECT count() FROM flows')" = "$want" ] && break
	sleep 0.2
done
nb=$(ch_query b 'SELECT count() FROM flows_local')
nc=$(ch_query c 'SELECT count() FROM flows_local')
note "shards: b holds $nb rows, c holds $nc"
[ "$nb" -gt 0 ] && [ "$nc" -gt 0 ] || fail "a shard holds no rows (b $nb, c $nc)"
expect_eq "rows through the Distributed table" "$(ch_query b 'SELECT count() FROM flows')" "$want"
expect_eq "shards' rows add up" "$((nb + nc))" "$want"
expect_eq "packets through the Distributed table" "$(ch_query c 'SELECT sum(packets) FROM flows')" \
	"$(json_get "$T/truth.json" packets)"
note "8. scripts/clickhouse-report: the daily views, against the truth"
rep() { "$here/../scripts/clickhouse-report" --port "${CH_TCP[b]}" --top 3 "$@"; }
for r in talkers destinations ports protocols applications slots; do
	rep "$r" >"$T/rep-$r.txt" || fail "clickhouse-report $r failed"
done
python3 - "$T/truth.csv" "$T/rep-talkers.txt" "$T/rep-protocols.txt" <<'PY' || fail "reports differ from the truth"
import collections, csv, ipaddress, sys
by_src, by_proto = collections.Counter(), collections.Counter()
for r in csv.DictReader(open(sys.argv[1])):
    by_src[str(ipaddress.ip_address(r["src"]))] += int(r["bytes"])
    by_proto[r["proto"]] += int(r["bytes"])
def rows(path):  # PrettyCompact: │ a │ b │ ... rows
    for line in open(path):
        if line.startswith("│"):
            yield [c.strip() for c in line.strip().strip("│").split("│")]
top = [r for r in rows(sys.argv[2])]
want = sorted(by_src.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
got = [(r[0], int(r[3])) for r in top]
print("# top talkers:", got, "truth:", want)
protos = {r[0]: int(r[3]) for r in rows(sys.argv[3])}
print("# bytes per protocol:", protos, "truth:", dict(by_proto))
sys.exit(not (got == want and protos == dict(by_proto)))
PY
host=$(sed -n 's/^│ \([^ ]*\) .*/\1/p' "$T/rep-talkers.txt" | head -1)
rep host "$host" >"$T/rep-host.txt" || fail "clickhouse-report host failed"
grep -q "$host" "$T/rep-host.txt" || fail "the top talker's conversations do not name it"
# options after the report's name count as before it; into a file no escape codes
"$here/../scripts/clickhouse-report" ports --top 2 --port "${CH_TCP[b]}" >"$T/rep-after.txt" ||
	fail "clickhouse-report ports --top 2 --port N failed"
expect_eq "rows of 'ports --top 2'" "$(grep -c '^│' "$T/rep-after.txt")" 2
if grep -q $'\x1b' "$T"/rep-*.txt; then fail "escape codes in a report written to a file"; fi
q=$("$here/../scripts/clickhouse-report" talkers --from '2026-12-05 08:00:00' \
	--to '2026-12-05 09:00:00' --sql)
grep -q "time_end >= toDateTime('2026-12-05 08:00:00', 'UTC') AND time_start < toDateTime('2026-12-05 09:00:00'" \
	<<<"$q" || fail "talkers --from --to: the window is not in the query: $q"
for bad in "talkers --from 2026-02-30\ 00:00:00" "talkers --top" "ports extra" "nosuch"; do
	rc=0
	eval "\"$here/../scripts/clickhouse-report\" $bad --sql" >/dev/null 2>"$T/rep.err" || rc=$?
	expect_eq "clickhouse-report $bad: exit status" "$rc" 2
done
echo "ok: --clickhouse inserts every record, waits out a restart, says what it lost"
