#!/usr/bin/env bash
# --dedup: a capture in which every packet comes twice, as two SPAN ports see it (the second copy
# with VLAN 20 and other MACs, 0-5 packets later: tests/dedup_gen.py) gives the records of the
# capture of each packet once, line for line, with every copy counted (packets_duplicate), said
# in the last lines and the live statistics line, and the packet store holding each packet once;
# a capture without repeats loses nothing; a packet repeated byte for byte a second apart is
# traffic, its copy 1 ms later a duplicate; copies further apart than the window are not
# duplicates (and are with a wider one); live, replayed through a veth to two workers, the
# same; bad windows
# name the option. The config file's key takes yes and a number.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
copies=$(/usr/bin/python3 "$here/dedup_gen.py" "$T" 40 10 2>/dev/null)
summary() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(d["frames"], d["packets"], d.get("packets_duplicate", "absent"))' "$1"; }
lines() { sort "$1"; } # JSON lines, order aside (the exporter's order follows expiry)
run() { # NAME CAPTURE ARGS...: JSON lines and summary
	local name=$1 cap=$2
	shift 2
	"$FLUXPROBE" --read "$cap" --idle-timeout 300 --json "$T/$name.jsonl" --summary json "$@" \
		>"$T/$name.json" 2>"$T/$name.log"
}

run single "$T/single.pcap"
run double "$T/double.pcap" --dedup
expect_eq "frames, packets, duplicates (twice over, --dedup)" "$(summary "$T/double.json")" \
	"$((2 * copies)) $copies $copies"
cmp -s <(lines "$T/single.jsonl") <(lines "$T/double.jsonl") ||
	fail "--dedup on a doubled capture: records differ from the capture of each packet once"
note "records of the doubled capture with --dedup = the single capture's ($(wc -l <"$T/single.jsonl") lines)"
grep -q "$copies duplicate packets counted once (--dedup 8" "$T/double.log" ||
	fail "the last lines do not say the duplicates: $(tail -5 "$T/double.log")"
expect_eq "per worker" "$(json_get "$T/double.json" workers.0.packets_duplicate)" "$copies"

run single_dd "$T/single.pcap" --dedup
expect_eq "frames, packets, duplicates (no repeats, --dedup)" "$(summary "$T/single_dd.json")" \
	"$copies $copies 0"
cmp -s "$T/single.jsonl" "$T/single_dd.jsonl" || fail "--dedup changed a capture without repeats"

run far8 "$T/far.pcap" --dedup
expect_eq "copies 12 packets later, window 8" "$(summary "$T/far8.json")" \
	"$((2 * copies)) $((2 * copies)) 0"
run far16 "$T/far.pcap" --dedup 16
expect_eq "copies 12 packets later, window 16" "$(summary "$T/far16.json")" \
	"$((2 * copies)) $copies $copies"
run far16b "$T/far.pcap" --dedup=16
expect_eq "--dedup=16" "$(summary "$T/far16b.json")" "$((2 * copies)) $copies $copies"

# traffic that repeats itself byte for byte, a second apart (VRRP-like), is counted; its
# copies a millisecond later are not
run repeat "$T/repeat.pcap" --dedup
expect_eq "the same packet each second, each with a copy 1 ms later" "$(summary "$T/repeat.json")" \
	"10 5 5"

# the packet store: each packet once, the first copy's frame, in order
run store "$T/double.pcap" --dedup --pcap-dir "$T/pd"
expect_eq "packets stored" "$(json_get "$T/store.json" pcap_store.packets)" "$copies"
cmp -s <(/usr/bin/python3 "$here/pcap_records.py" "$T/single.pcap" | cut -d' ' -f2-) \
	<(/usr/bin/python3 "$here/pcap_records.py" "$T"/pd/pcap.* 2>/dev/null | cut -d' ' -f2-) ||
	fail "--pcap-dir with --dedup: the stored packets are not each packet once"
note "the packet store holds each packet once (the first copy's frame), in order"

# the configuration file's key
printf 'dedup = yes\n' >"$T/a.conf"
"$FLUXPROBE" --config "$T/a.conf" --read "$T/double.pcap" -q --summary json >"$T/conf.json"
expect_eq "dedup = yes" "$(summary "$T/conf.json")" "$((2 * copies)) $copies $copies"
printf 'dedup = 16\n' >"$T/b.conf"
"$FLUXPROBE" --config "$T/b.conf" --read "$T/far.pcap" -q --summary json >"$T/conf16.json"
expect_eq "dedup = 16" "$(summary "$T/conf16.json")" "$((2 * copies)) $copies $copies"
"$FLUXPROBE" --read "$T/double.pcap" -q --summary json >"$T/off.json"
expect_eq "without --dedup" "$(summary "$T/off.json")" "$((2 * copies)) $((2 * copies)) 0"

for bad in 0 65 x; do
	if "$FLUXPROBE" --read "$T/single.pcap" -q "--dedup=$bad" >/dev/null 2>"$T/bad.err"; then
		fail "--dedup=$bad was taken"
	fi
	grep -q "dedup" "$T/bad.err" || fail "--dedup=$bad: the error does not name it: $(cat "$T/bad.err")"
done
note "bad windows refused: $(head -1 "$T/bad.err")"

# live, through a veth, two workers in a fanout group (the kernel's flow hash sends both copies
# of a packet to one worker): the same count, and the statistics line says it
netns_up dedup
ip netns exec "$NS" "$FLUXPROBE" --interface veth1 --workers 2 --dedup --idle-timeout 300 \
	--metrics 127.0.0.1:9466 --summary json \
	--json "$T/live.jsonl" >"$T/live.json" 2>"$T/live.log" &
probe=$!
PIDS+=("$probe")
for _ in $(seq 100); do grep -q "capturing on" "$T/live.log" && break; sleep 0.05; done
sleep 0.3
ip netns exec "$NS" tcpreplay -q -i veth0 --pps 20000 "$T/double.pcap" >/dev/null 2>&1 || fail "tcpreplay failed"
for _ in $(seq 30); do # the workers publish their counters every few bursts
	kill -USR1 "$probe"
	sleep 0.2
	grep -q "duplicates skipped $copies" "$T/live.log" && break
done
grep -q "duplicates skipped $copies" "$T/live.log" ||
	fail "the statistics line does not say the duplicates: $(grep pps "$T/live.log" | tail -1)"
metric=$(ip netns exec "$NS" curl -s http://127.0.0.1:9466/metrics |
	awk '/^fluxprobe_packets_duplicate_total\{/ { s += $2 } END { print s + 0 }')
expect_eq "live: fluxprobe_packets_duplicate_total (both workers)" "$metric" "$copies"
kill -INT "$probe"
wait "$probe" || fail "the live probe did not exit 0"
read -r frames packets dups < <(summary "$T/live.json")
lost=$(($(json_get "$T/live.json" capture.dropped) + $(json_get "$T/live.json" capture.if_dropped)))
[ "$lost" = 0 ] || note "the kernel dropped $lost frames before capture (a busy machine)"
expect_eq "live: frames + dropped" "$((frames + lost))" "$((2 * copies))"
[ "$lost" != 0 ] || expect_eq "live: packets, duplicates" "$packets $dups" "$copies $copies"
expect_eq "live: duplicates = the workers' sum" "$dups" \
	"$(($(json_get "$T/live.json" workers.0.packets_duplicate) + $(json_get "$T/live.json" workers.1.packets_duplicate)))"
