#!/usr/bin/env bash
# --json where its lines cannot all go: a reader that closes the pipe (| head) ends the run as
# SIGPIPE would, with a LOSS line whose count is exactly the lines that did not reach it; a full
# disk leaves whole lines only, and the summary counts written + lost = records. Live too: a
# closed pipe ends a live capture on a quiet link. Needs root (tmpfs, ip netns).
source "$(dirname "$0")/lib.sh"
"$FPGEN" -o "$T/in.pcap" -n 200000 -f 50000 -6 30 >/dev/null

# 1. a file into | head -1
set +o pipefail
{ r=0; "$FLUXPROBE" --read "$T/in.pcap" --json - 2>"$T/pipe.log" || r=$?; echo $r >"$T/pipe.rc"; } |
	head -1 >"$T/first"
set -o pipefail
expect_eq "exit status after the reader left" "$(cat "$T/pipe.rc")" 1
python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read())' "$T/first" ||
	fail "head got no whole JSON line"
reached=$(sed -n 's/.*the reader closed the pipe after \([0-9]*\) lines.*/\1/p' "$T/pipe.log")
lost=$(sed -n 's/.*LOSS in this run: \([0-9]*\) JSON lines not written to --json - (Broken pipe).*/\1/p' "$T/pipe.log")
[ -n "$reached" ] && [ -n "$lost" ] || { cat "$T/pipe.log"; fail "no reader-gone or LOSS line"; }
grep -q "the reader closed the pipe" <(grep LOSS "$T/pipe.log") ||
	fail "the LOSS line gives no remedy for a closed pipe: $(grep LOSS "$T/pipe.log")"
expect_eq "lines the reader took + LOSS line's count" "$((reached + lost))" 50000
[ "$reached" -ge 1 ] || fail "the reader got no line"

# 2. a reader that takes exactly 1000 lines: it took them all, and nothing else is counted as
# reaching it (the pipe held more when it left)
set +o pipefail
{ "$FLUXPROBE" --read "$T/in.pcap" --json - 2>"$T/p2.log" || true; } |
	python3 -c 'import sys
for i in range(1000): sys.stdin.readline()' 
set -o pipefail
reached=$(sed -n 's/.*the reader closed the pipe after \([0-9]*\) lines.*/\1/p' "$T/p2.log")
[ "$reached" -ge 1000 ] || fail "a reader that read 1000 lines: $reached counted as reaching it"
lost=$(sed -n 's/.*LOSS in this run: \([0-9]*\) JSON lines.*/\1/p' "$T/p2.log")
expect_eq "reached + lost (reader of 1000 lines)" "$((reached + lost))" 50000

# 3. a full disk: whole lines only, written + lost = records
mkdir "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full"
trap 'umount -l "$T/full" 2>/dev/null || true; cleanup' EXIT
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --json "$T/full/flows.json" --summary json \
	>"$T/s.json" 2>"$T/full.log" || rc=$?
expect_eq "exit status on a full disk" "$rc" 1
[ "$(tail -c1 "$T/full/flows.json" | od -An -c | tr -d ' ')" = '\n' ] ||
	fail "the JSON file ends in a partial line"
lines=$(wc -l <"$T/full/flows.json")
python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$T/full/flows.json" || fail "a line does not parse"
w=$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
s=[x for x in d["sinks"] if x["sink"]=="json"][0]
print(s["records"], s["records_lost"])' "$T/s.json")
read -r written notw <<<"$w"
expect_eq "lines in the file = summary's written" "$lines" "$written"
expect_eq "written + lost on a full disk" "$((written + notw))" 50000
grep -q "LOSS.*JSON lines not written.*(No space left on device): its file system is full" "$T/full.log" ||
	fail "no LOSS line naming the full disk: $(grep LOSS "$T/full.log")"
umount -l "$T/full"

# 4. live, a quiet link: the closed pipe is noticed and the run ends by itself
netns_up jsonpipe
set +o pipefail
ip netns exec "$NS" bash -c "'$FLUXPROBE' --interface veth1 --idle-timeout 1 --json - 2>'$T/live.log'; echo \$? >'$T/live.rc'" |
	head -1 >"$T/live.first" &
reader=$!
for _ in $(seq 100); do grep -q "capturing on" "$T/live.log" 2>/dev/null && break; sleep 0.05; done
/usr/bin/python3 - "$NS" <<'PY' >/dev/null 2>&1
import subprocess, sys
from scapy.all import Ether, IP, UDP, wrpcap
pk = [Ether()/IP(src="198.18.0.%d" % (i + 1), dst="198.19.0.1")/UDP(sport=1000 + i, dport=9) for i in range(3)]
wrpcap("/dev/shm/fp-jsonpipe.pcap", pk)
PY
ip netns exec "$NS" tcpreplay -q -i veth0 /dev/shm/fp-jsonpipe.pcap >/dev/null 2>&1
rm -f /dev/shm/fp-jsonpipe.pcap
# the flows leave at the idle timeout (1 s); the probe must end within 20 s, its exit status
# saying whether a line was lost (head may have read all three at once)
for _ in $(seq 200); do [ -s "$T/live.rc" ] && break; sleep 0.1; done
set -o pipefail
[ -s "$T/live.rc" ] || fail "a live run into a closed pipe went on (more than 20 s)"
rc=$(cat "$T/live.rc")
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "live: exit status $rc after the reader left"
[ "$rc" = 0 ] || grep -q "LOSS in this run: [12] JSON lines" "$T/live.log" ||
	fail "live: exit status 1 without a LOSS line for the lines head did not take"
note "live: the run ended by itself after the reader left (exit status $rc)"
wait "$reader" || true
echo "ok: --json: a closed pipe ends the run with an exact LOSS line; a full disk keeps whole lines"
