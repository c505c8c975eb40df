#!/usr/bin/env bash
# The command line as an operator meets it: --help lists every option with its default, a bad
# option or value exits non-zero naming it, and a collector nobody listens on does not stop the
# capture or lose a count.
source "$(dirname "$0")/lib.sh"

"$FLUXPROBE" --help >"$T/help"
for opt in --read --interface --filter --collector --format --idle-timeout --active-timeout \
	--fin-timeout --max-flows --mtu --observation-domain --template-interval --template-packets \
	--export-rate --export-backlog --config --ring-size --snaplen --summary --quiet --help \
	--version; do
	grep -q -- "$opt" "$T/help" || fail "--help does not list $opt"
done
for d in "default 15)" "default 60)" "default 1048576" "default 1500)" "default ipfix)"; do
	grep -qF -- "$d" "$T/help" || fail "--help does not give the default '$d'"
done
note "--help lists every option with defaults"
# --help comes from the option table: the man page must name every option it lists, and no
# line of it runs past 80 columns.
man=$(dirname "$0")/../probe/fluxprobe.8
for opt in $(grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+|^      --[a-z0-9-]+' "$T/help" | grep -oE -- '--[a-z0-9-]+'); do
	grep -qF -- "$(echo "$opt" | sed 's/-/\\-/g')" "$man" || fail "the man page does not name $opt"
done
[ -z "$(awk 'length > 80' "$T/help")" ] || fail "--help has lines over 80 columns"
note "the man page names every option --help lists"

# bad_args EXPECTED-TEXT ARGS...: must exit non-zero and say EXPECTED-TEXT on stderr
bad_args() {
	local want=$1
	shift
	if "$FLUXPROBE" "$@" >"$T/out" 2>"$T/err"; then fail "'$*' exited 0"; fi
	grep -qF -- "$want" "$T/err" || fail "'$*' said: $(cat "$T/err") (want '$want')"
	note "rejected: $* → $(head -1 "$T/err")"
}
"$FPGEN" -o "$T/in.pcap" -n 2000 -f 200 >"$T/truth.json"
bad_args "--bogus" --bogus -r "$T/in.pcap"
bad_args "--idle-timeout" -r "$T/in.pcap" --idle-timeout soon
bad_args "--idle-timeout" -r "$T/in.pcap" --idle-timeout -5
bad_args "--max-flows" -r "$T/in.pcap" --max-flows 0
bad_args "--max-flows" -r "$T/in.pcap" --max-flows 12abc
bad_args "--mtu" -r "$T/in.pcap" --mtu 100
bad_args "--format" -r "$T/in.pcap" --format netflow5
bad_args "--collector" -r "$T/in.pcap" --collector 127.0.0.1
bad_args "--collector" -r "$T/in.pcap" --collector 127.0.0.1:99999
bad_args "--collector" -r "$T/in.pcap" --collector "[2001:db8::1:2055"
bad_args "--summary" -r "$T/in.pcap" --summary xml
bad_args "needs a value" -r "$T/in.pcap" --collector
bad_args "exactly one of --read FILE, --interface IFACE or --dpdk" --format ipfix
bad_args "no-such.pcap" -r "$T/no-such.pcap"
bad_args "TCP and TLS export are IPFIX only" -r "$T/in.pcap" --format nfv9 --collector tcp://127.0.0.1:4739
bad_args "udp://, tcp:// or tls://" -r "$T/in.pcap" --collector sctp://127.0.0.1:4739
bad_args "--export-backlog" -r "$T/in.pcap" --export-backlog 12X
bad_args "--export-backlog" -r "$T/in.pcap" --export-backlog 1K
bad_args "--fields: 'vni' is not one of" -r "$T/in.pcap" --fields ingress,vni
bad_args "--fields: '' is not one of" -r "$T/in.pcap" --fields mpls,
bad_args "carries only ingress" -r "$T/in.pcap" --format nfv5 --fields ingress,mpls
bad_args "--ifindex" -r "$T/in.pcap" --ifindex 3,x
bad_args "--ifindex" -r "$T/in.pcap" --ifindex 4294967296
bad_args "--collector-mode" -r "$T/in.pcap" --collector-mode roundrobin
# an option that means nothing without another is refused, naming both; from a file, said
bad_args "--json-schema needs --json" -r "$T/in.pcap" --json-schema ecs
bad_args "--subdir-layout needs --flow-dir" -r "$T/in.pcap" --subdir-layout 2
bad_args "--clickhouse-ttl needs --clickhouse-schema" -r "$T/in.pcap" --clickhouse-ttl 30
bad_args "--pcap-snaplen needs --pcap-dir" -r "$T/in.pcap" --pcap-snaplen 96
bad_args "--rotate needs --flow-dir or --pcap-dir" -r "$T/in.pcap" --rotate 60
printf 'subdir-layout = 2\n' >"$T/needs.conf"
"$FLUXPROBE" --config "$T/needs.conf" -r "$T/in.pcap" -q 2>"$T/err" >/dev/null ||
	fail "a configuration file's key without its option: refused, not said"
grep -qF -- "--subdir-layout (configuration file): ignored without --flow-dir" "$T/err" ||
	fail "a configuration file's key without its option, not said: $(cat "$T/err")"
# ClickHouse: the URL and the names that go into SQL are checked as read, with the file's line
bad_args "not a ClickHouse name" --clickhouse-schema --clickhouse-table 'x;DROP TABLE y'
bad_args "not a ClickHouse name" --clickhouse-schema --clickhouse-cluster 'a b'
printf '# ClickHouse\nclickhouse = localhost:8123\n' >"$T/ch.conf"
bad_args "line 2, key 'clickhouse'" --config "$T/ch.conf" -r "$T/in.pcap"
# the same collector twice, by name or by another name, would get every record twice
bad_args "the same collector as 127.0.0.1:2055" -r "$T/in.pcap" -n 127.0.0.1:2055 -n 127.0.0.1:2055
bad_args "the same collector as 127.0.0.1:2055" -r "$T/in.pcap" -n 127.0.0.1:2055 -n localhost:2055

# The config file: a bad key or value names the file, the line and the key.
printf '# comment\nread = %s\n\nidle-timeout = soon\n' "$T/in.pcap" >"$T/bad-value.conf"
bad_args "bad-value.conf line 4, key 'idle-timeout'" --config "$T/bad-value.conf"
printf 'read = %s\nidle-timout = 5\n' "$T/in.pcap" >"$T/bad-key.conf"
bad_args "bad-key.conf line 2: unknown key 'idle-timout'" --config "$T/bad-key.conf"
printf 'read = %s\nquiet = perhaps\n' "$T/in.pcap" >"$T/bad-bool.conf"
bad_args "bad-bool.conf line 2: key 'quiet'" --config "$T/bad-bool.conf"
bad_args "no-such.conf" --config "$T/no-such.conf"
# ... and the command line overrides it: its --collector list replaces the file's.
printf 'read = %s\ncollector = 127.0.0.1:9\ncollector = 127.0.0.1:10\nsummary = json\nquiet = yes\n' \
	"$T/in.pcap" >"$T/good.conf"
"$FLUXPROBE" --config "$T/good.conf" >"$T/conf1.json" || fail "--config good.conf failed"
expect_eq "collectors from the file" "$(json_get "$T/conf1.json" collectors.1.collector)" 127.0.0.1:10
"$FLUXPROBE" --config "$T/good.conf" --collector 127.0.0.1:11 --idle-timeout 3 >"$T/conf2.json" ||
	fail "--config good.conf with overrides failed"
expect_eq "command line collector replaces the file's" \
	"$(python3 -c 'import json,sys; print([c["collector"] for c in json.load(open(sys.argv[1]))["collectors"]])' "$T/conf2.json")" \
	"['127.0.0.1:11']"
expect_eq "packets with a config file" "$(json_get "$T/conf2.json" packets)" "$(json_get "$T/truth.json" packets)"
# The file as an operator writes it: inline comments ('#' or ';' after a blank), indented lines,
# quoted values, a long filter; every way getopt spells --config reads it.
long=$(python3 -c "print(' or '.join('port %d' % p for p in range(1, 60)))")
cat >"$T/human.conf" <<CONF
# fluxprobe.conf
read = $T/in.pcap        # the capture
   collector = 127.0.0.1:9   # repeatable
collector = 127.0.0.1:10 ; another
filter = "not ($long)"
summary = json
quiet = yes
CONF
for form in "--config $T/human.conf" "-c $T/human.conf" "-c$T/human.conf" "--conf $T/human.conf" \
	"--conf=$T/human.conf"; do
	# shellcheck disable=SC2086 # two words or one
	"$FLUXPROBE" $form >"$T/h.json" || fail "$form: the README-style file did not start"
	expect_eq "collectors read with $form" \
		"$(python3 -c 'import json,sys; print([c["collector"] for c in json.load(open(sys.argv[1]))["collectors"]])' "$T/h.json")" \
		"['127.0.0.1:9', '127.0.0.1:10']"
done
expect_eq "packets through the long quoted filter" "$(json_get "$T/h.json" packets)" \
	"$("$FLUXPROBE" -r "$T/in.pcap" --summary json -q "not ($long)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')"
printf 'read = %s\nfilter = icmp\n  udp\n' "$T/in.pcap" >"$T/cont.conf"
bad_args "cont.conf line 3: not a 'key = value' line: 'udp'" --config "$T/cont.conf"
bad_args "is a directory" -c "$T"
# The command line overrides the file's source and filter; options may follow a filter.
printf 'interface = lo\nfilter = udp\n' >"$T/src.conf"
"$FLUXPROBE" -c "$T/src.conf" --read "$T/in.pcap" ip6 --summary json -q >"$T/o1.json" ||
	fail "--read and a trailing filter did not override the file's interface and filter"
expect_eq "source overridden by --read" "$(json_get "$T/o1.json" source)" file
"$FLUXPROBE" --read "$T/in.pcap" --summary json -q ip6 >"$T/o2.json"
expect_eq "filter from the command line, options after it" "$(json_get "$T/o1.json" packets)" \
	"$(json_get "$T/o2.json" packets)"
bad_args "--filter or as trailing arguments, not both" -r "$T/in.pcap" --filter tcp udp

# A file cut mid-packet, a pcapng mixing link types: the message names the file, what came
# before is exported, the exit status says the capture failed.
head -c 30000 "$T/in.pcap" >"$T/cut.pcap"
bad_args "--read $T/cut.pcap: truncated dump file" -r "$T/cut.pcap"
mergecap -F pcapng -w "$T/mixed.pcapng" "$T/in.pcap" "$(dirname "$0")/pcaps/tcpdump/HDLC.pcap" 2>/dev/null &&
	bad_args "--read $T/mixed.pcapng: an interface has a type 104" -r "$T/mixed.pcapng"

bad_args "--interface fp-no-such0" -i fp-no-such0
bad_args "filter" -r "$T/in.pcap" "not a ( valid filter"

# -V; 0 = no limit as --help says; settings that do not apply are named, not dropped silently
"$FLUXPROBE" -V | contains "^fluxprobe [0-9]" || fail "-V printed no version"
"$FLUXPROBE" -r "$T/in.pcap" --count 0 --duration 0 --snaplen 128 --mbufs 4096 --summary json \
	>"$T/z.json" 2>"$T/z.log" || fail "--count 0 --duration 0 refused"
expect_eq "packets with --count 0 (no limit)" "$(json_get "$T/z.json" packets)" "$(json_get "$T/truth.json" packets)"
grep -q -- "--snaplen: ignored with --read" "$T/z.log" || fail "--snaplen with --read not named"
grep -q -- "--mbufs: ignored without --dpdk" "$T/z.log" || fail "--mbufs without --dpdk not named"
bad_args "TCP and TLS export are IPFIX only (NetFlow v5" -r "$T/in.pcap" --format nfv5 --collector tcp://127.0.0.1:4739

bad_args "--user fp-no-such-user" -r "$T/in.pcap" --user fp-no-such-user
bad_args "--group needs --user" -r "$T/in.pcap" --group nogroup
if [ "$(id -u)" = 0 ]; then
	"$FLUXPROBE" -r "$T/in.pcap" --user nobody --summary json -q >"$T/u.json"
	expect_eq "uid after --user nobody" "$(json_get "$T/u.json" uid)" "$(id -u nobody)"
	# what a user without the capture capabilities is told (where nobody may run this build)
	if su nobody -s /bin/sh -c "test -x '$FLUXPROBE'" 2>/dev/null; then
		if su nobody -s /bin/sh -c "'$FLUXPROBE' -i lo" >"$T/out" 2>"$T/err"; then
			fail "-i as nobody exited 0"
		fi
		grep -q "CAP_NET_RAW" "$T/err" || fail "-i as nobody: $(cat "$T/err") (want CAP_NET_RAW)"
		note "as nobody: $(tail -1 "$T/err")"
	fi
	"$FLUXPROBE" -r "$T/in.pcap" --user "$(id -u nobody)" --summary json -q >"$T/u2.json" ||
		fail "--user with a numeric id failed"
	expect_eq "uid after --user $(id -u nobody) (numeric)" "$(json_get "$T/u2.json" uid)" "$(id -u nobody)"
	expect_eq "capabilities after --user nobody" "$(json_get "$T/u.json" capabilities_effective)" \
		0000000000000000
	expect_eq "packets after dropping privileges" "$(json_get "$T/u.json" packets)" \
		"$(json_get "$T/truth.json" packets)"
fi

# No collector listening: capture and counting go on, exit 0
port=$(free_udp_port)
"$FLUXPROBE" -r "$T/in.pcap" -n "127.0.0.1:$port" -n "[::1]:$port" --summary json -q >"$T/s.json" ||
	fail "fluxprobe failed when no collector listens"
expect_eq "packets with no collector" "$(json_get "$T/s.json" packets)" "$(json_get "$T/truth.json" packets)"
expect_eq "records with no collector" "$(json_get "$T/s.json" records_exported)" "$(json_get "$T/truth.json" flows)"

# options records by default (RFC 7011 section 4), none with --no-options (the last one wins)
"$FLUXPROBE" -r "$T/in.pcap" -n "127.0.0.1:$port" --summary json -q >"$T/o.json"
[ "$(json_get "$T/o.json" options_messages)" -ge 2 ] ||
	fail "no options records by default (RFC 7011 section 4: periodically and at exit)"
note "options messages by default: $(json_get "$T/o.json" options_messages)"
"$FLUXPROBE" -r "$T/in.pcap" -n "127.0.0.1:$port" --options --no-options --summary json -q >"$T/o.json"
expect_eq "options messages with --no-options last" "$(json_get "$T/o.json" options_messages)" 0
"$FLUXPROBE" -r "$T/in.pcap" -n "127.0.0.1:$port" --no-options --summary json -q >"$T/o.json"
expect_eq "options messages with --no-options" "$(json_get "$T/o.json" options_messages)" 0

# A BPF filter as trailing arguments
"$FLUXPROBE" -r "$T/in.pcap" --summary json -q ip6 >"$T/f.json"
[ "$(json_get "$T/f.json" packets)" -gt 0 ] || fail "filter 'ip6' matched nothing"
[ "$(json_get "$T/f.json" records_exported_ipv4)" = 0 ] || fail "filter 'ip6' let IPv4 through"
note "trailing BPF filter applied"

# Offline results do not depend on speed: two runs give the same summary counters
"$FPGEN" -o "$T/slow.pcap" -n 2000 -f 200 --pps 1000 >/dev/null # a flow's packets 200 ms apart
"$FLUXPROBE" -r "$T/slow.pcap" --idle-timeout 0.1 --summary json -q >"$T/a.json"
"$FLUXPROBE" -r "$T/slow.pcap" --idle-timeout 0.1 --summary json -q >"$T/b.json"
expect_eq "idle records, run 1 vs 2" "$(json_get "$T/a.json" records.idle_timeout)" \
	"$(json_get "$T/b.json" records.idle_timeout)"
[ "$(json_get "$T/a.json" records.idle_timeout)" -gt 0 ] || fail "no idle expiry with a 100 ms timeout"
# JSON lines carry every flow whatever the export format holds (v5: IPv4 only), and with
# --sample N they carry the interval, so a consumer can scale the raw counters.
"$FLUXPROBE" -r "$T/in.pcap" --format nfv5 --json "$T/v5.json" -q || fail "--format nfv5 --json failed"
expect_eq "JSON lines with --format nfv5 (IPv6 too)" "$(wc -l <"$T/v5.json")" "$(json_get "$T/truth.json" flows)"
"$FLUXPROBE" -r "$T/in.pcap" --sample 10 --json "$T/sampled.json" -q || fail "--sample --json failed"
expect_eq "JSON lines without samplingInterval 10" 	"$(grep -vc '"samplingInterval":10[,}]' "$T/sampled.json" || true)" 0

# --json to a full disk: the loss is logged at once and in the last line, and the exit status
# says not everything was written; --daemon has no stdout for --json -.
rc=0
"$FLUXPROBE" -r "$T/in.pcap" --json /dev/full 2>"$T/full.log" || rc=$?
expect_eq "exit status, --json /dev/full" "$rc" 1
tail -1 "$T/full.log" | contains "LOSS in this run: 200 JSON lines not written to --json /dev/full" ||
	fail "the last line does not report the JSON lines lost: $(tail -1 "$T/full.log")"
bad_args "--json -: --daemon has no standard output" -r "$T/in.pcap" --daemon --json -

# What was read but set aside is in the final lines, with its summary counter: malformed
# packets by reason, fragments that never met their first, IPv6 flows NetFlow v5 cannot carry.
corpus=$(dirname "$0")/pcaps/tcpdump
"$FLUXPROBE" -r "$corpus/ip6_frag_asan.pcap" 2>"$T/aside.log" || true
grep -q "1 malformed packets skipped (truncated_ipv6_ext 1)" "$T/aside.log" ||
	fail "malformed packets not in the final lines: $(cat "$T/aside.log")"
"$FLUXPROBE" -r "$corpus/ipv6_frag6_negative_len.pcap" 2>"$T/aside.log" || true
grep -q "fragments: 1 never met their first fragment" "$T/aside.log" ||
	fail "fragments given up not in the final lines: $(cat "$T/aside.log")"
"$FLUXPROBE" -r "$T/in.pcap" --format nfv5 2>"$T/aside.log" || true
grep -q "$(json_get "$T/truth.json" ipv6_flows) IPv6 flow records not exported: NetFlow v5" "$T/aside.log" ||
	fail "v5's IPv6 flows not in the final lines: $(cat "$T/aside.log")"
note "set aside, in the final lines: $(grep -c . "$T/aside.log") lines"

# A second SIGINT ends a slow, paced drain: the rest goes out unpaced, nothing is lost. (More
# flows than the worker's ring holds: the worker waits for the exporter, so the run is still
# reading when the signals come, and stops reading at the first.)
"$FPGEN" -o "$T/many.pcap" -n 200000 -f 200000 -u >"$T/many.json"
port=$(free_udp_port)
# a collector that reads (and drops) what comes: one on this host is watched, and a socket nobody
# reads would fill and count drops (the probe reports them)
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(60)
while True: s.recv(65535)' "$port" &
PIDS+=("$!")
"$FLUXPROBE" -r "$T/many.pcap" -n "127.0.0.1:$port" --export-rate 100 --no-options --summary json \
	--json "$T/rotate.json" >"$T/hurry.json" 2>"$T/hurry.log" &
probe=$!
sleep 1
# logrotate meanwhile: the file moves away, SIGHUP, and the lines go on in a new one
mv "$T/rotate.json" "$T/rotate.json.1"
kill -HUP "$probe"
sleep 0.5
kill -INT "$probe"
sleep 0.2
kill -INT "$probe"
rc=0
t0=$(date +%s)
wait "$probe" || rc=$?
expect_eq "exit status after two signals" "$rc" 0
# paced, the ~10,700 messages would take ~107 s at 100/s; unpaced it is seconds (the ASan build
# spends ~14 s writing the 200k JSON lines beside them)
[ $(($(date +%s) - t0)) -le 45 ] || fail "the second signal did not hurry the drain (100 msgs/s: ~107 s)"
grep -q "second signal" "$T/hurry.log" || fail "the second signal was not acknowledged"
created=$(json_get "$T/hurry.json" flows_created)
expect_eq "records sent after two signals (= flows created)" \
	"$(json_get "$T/hurry.json" collectors.0.records)" "$created"
[ -s "$T/rotate.json.1" ] && [ -s "$T/rotate.json" ] || fail "SIGHUP did not reopen the --json file"
expect_eq "JSON lines before + after the rotation" "$(cat "$T/rotate.json.1" "$T/rotate.json" | wc -l)" \
	"$created"
# A file the probe is given that cannot be opened is named with the system's reason.
bad_args "--tls-ca $T/none.pem: No such file or directory" -r "$T/in.pcap" \
	--collector tls://127.0.0.1:4739 --tls-ca "$T/none.pem"
bad_args "--tls-cert $T/none.pem: No such file or directory" -r "$T/in.pcap" \
	--collector tls://127.0.0.1:4739 --tls-cert "$T/none.pem"
bad_args "--config $T/none.conf: No such file or directory" -c "$T/none.conf"
bad_args "No such file or directory" -r "$T/none.pcap"
bad_args "--json $T/none/x.json: No such file or directory" -r "$T/in.pcap" --json "$T/none/x.json"
bad_args "--pidfile $T/none/x.pid: No such file or directory" -r "$T/in.pcap" --pidfile "$T/none/x.pid"

# --read shows how far it is: without a terminal the periodic lines say the percentage of the
# file, elapsed and estimated time left; from a pipe, the bytes read.
"$FPGEN" -o "$T/long.pcap" -n 1500000 -f 1000 >/dev/null
"$FLUXPROBE" -r "$T/long.pcap" --stats-interval 0.05 2>"$T/progress.log" ||
	fail "the long read failed: $(cat "$T/progress.log")"
grep -Eq "^file [0-9.]+ % \([0-9.]+ [kMG]?B of [0-9.]+ [kMG]?B\), [0-9:]+ elapsed, ~[0-9:]+ left \| " \
	"$T/progress.log" || fail "no progress in the periodic lines: $(head -3 "$T/progress.log")"
note "progress: $(grep -m1 '^file' "$T/progress.log" | cut -d'|' -f1)"
cat "$T/long.pcap" | "$FLUXPROBE" -r - --stats-interval 0.05 2>"$T/progress.log" ||
	fail "the long read from a pipe failed"
grep -Eq "^read [0-9.]+ [kMG]?B, [0-9:]+ elapsed \| " "$T/progress.log" ||
	fail "no bytes read in the periodic lines of standard input: $(head -3 "$T/progress.log")"
rm -f "$T/long.pcap"
echo "ok: command line"
