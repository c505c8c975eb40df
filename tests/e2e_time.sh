#!/usr/bin/env bash
# Time past 2^31 seconds (2038-01-19 03:14:08 UTC): a pcap file stores seconds as an unsigned
# 32-bit number, good until 2106. A capture spanning that second must give flow times on both
# sides of it, in JSON, IPFIX and NetFlow v9 as nfdump reads them, and the end reason the run
# gives every flow (the end of the file: forced end), not a timeout computed from a wrapped clock.
source "$(dirname "$0")/lib.sh"

# 20000 packets at 2000/s from 2038-01-19 03:14:03: ten seconds across the signed 32-bit limit
"$FPGEN" -o "$T/in.pcap" -n 20000 -f 2000 -p 2000 -t 2147483643 -r 9 >"$T/truth.json"
"$FLUXPROBE" --read "$T/in.pcap" --json "$T/flows.json" -q || fail "fluxprobe failed"
python3 - "$T/flows.json" <<'PY' || fail "JSON times wrong past 2038-01-19"
import json, sys
starts, ends, reasons = [], [], set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    starts.append(r["flowStartMilliseconds"])
    ends.append(r["flowEndMilliseconds"])
    reasons.add(r["flowEndReason"])
lo, hi = min(starts), max(ends)
print("# JSON: first %s, last %s, end reasons %s" % (lo, hi, sorted(reasons)))
assert lo.startswith("2038-01-19T03:14:03"), lo
assert hi.startswith("2038-01-19T03:14:12"), hi
assert reasons == {4}, reasons  # forced end: the file ended, nothing timed out
PY
raise_rmem_max 16777216
for fmt in ipfix nfv9; do
	port=$(free_udp_port)
	start_nfcapd "$T/nf-$fmt" "$port" -B 16777216
	"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" --format "$fmt" --no-options -q ||
		fail "fluxprobe failed ($fmt)"
	sleep 0.5
	stop_nfcapd
	expect_collector "nfdump flows ($fmt)" "$(nfdump_stat "$T/nf-$fmt" Flows)" "$(json_get "$T/truth.json" flows)"
	first=$(nfdump -R "$T/nf-$fmt" -q -o "fmt:%ts" -O tstart | awk "NR == 1" | tr -s ' ' | sed 's/^ //')
	last=$(nfdump -R "$T/nf-$fmt" -q -o "fmt:%te" -O tend | tail -1 | tr -s ' ' | sed 's/^ //')
	note "$fmt at nfdump: first $first, last $last"
	case "$first $last" in
	"2038-01-19 03:14:03"*" 2038-01-19 03:14:12"*) ;;
	*) fail "$fmt times at nfdump wrong: $first .. $last" ;;
	esac
done
echo "ok: flow times past 2038-01-19 in JSON, IPFIX and v9"
