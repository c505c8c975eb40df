#!/usr/bin/env bash
# --pcap-dir: the packets behind the flows, kept in pcap files and found again by flow:
#  1. a generated capture (IPv4/IPv6, TCP/UDP/ICMP, VLAN) over 4 minutes, --rotate 60: one
#     file per minute, named pcap.YYYYMMDDhhmm.0 with its index, none left under a temporary
#     name; the files' records, in name order, equal the input's byte for byte (times, lengths,
#     data); tshark reads every file; the summary counts every packet stored;
#     the same capture from standard input (libpcap, the worker copies the packets) stores the
#     same records as from the file (the writer reads the file again); so do a capture filter
#     and corpus captures whose unparsable frames are left out;
#  2. for 20 random flows of the JSON lines: `fluxprobe extract --community-id` gives exactly
#     the packets `tcpdump -r INPUT 'that 5-tuple, both directions'` gives, byte for byte
#     (TCP/UDP), and as many packets as the flow's records counted (all); --flow in either
#     direction gives the same; a window after the flow finds nothing (exit 1) without opening
#     a file; a file whose index is gone is scanned, says so, and gives the same; the JSON
#     lines' pcapFiles name the files that hold the flow;
#  3. --pcap-snaplen 64 keeps the first 64 bytes (original lengths kept); --pcap-filter keeps
#     what tcpdump's filter keeps; flows count every packet either way;
#  4. --pcap-dir-max: the oldest files go first (logged, counted), the directory stays within
#     the limit plus the newest slot's files;
#  5. SIGKILL in the middle: the files left are whole records that tshark reads, a prefix of
#     the input; the next run renames them and extract scans them;
#  6. a full file system: the packets not stored are counted and said (exit 1), flows exact.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
export TZ=UTC # file names are local time, as the flow files'
recs() { /usr/bin/python3 "$here/pcap_records.py" "$@"; }
store_files() { ls "$1" | grep -E '^pcap\.[0-9]{12}\.[0-9]+(\.[0-9]+)?$' | sed "s|^|$1/|"; }

note "1. 4 minutes of traffic, --rotate 60"
"$FPGEN" -o "$T/in.pcap" -n 120000 -f 3000 -6 30 -V 30 -p 500 -r 7 >"$T/truth.json"
"$FLUXPROBE" --read "$T/in.pcap" --pcap-dir "$T/st" --rotate 60 --json "$T/flows.json" \
	--summary json -q >"$T/s.json" || fail "fluxprobe --pcap-dir failed"
ls "$T/st" >"$T/names"
note "files: $(tr '\n' ' ' <"$T/names")"
grep -Ev '^pcap\.[0-9]{12}\.0(\.idx)?$' "$T/names" && fail "a file not named pcap.YYYYMMDDhhmm.0[.idx]"
expect_eq "pcap files (one per minute)" "$(grep -cv idx "$T/names")" 4
expect_eq "indexes" "$(grep -c idx "$T/names")" 4
expect_eq "packets stored" "$(json_get "$T/s.json" pcap_store.packets)" "$(json_get "$T/truth.json" packets)"
expect_eq "packets not stored" "$(json_get "$T/s.json" pcap_store.packets_not_stored)" 0
recs "$T/in.pcap" >"$T/in.recs"
recs $(store_files "$T/st") >"$T/st.recs"
cmp -s "$T/in.recs" "$T/st.recs" || fail "the store's records differ from the input's"
note "the store's $(wc -l <"$T/st.recs") records equal the input's byte for byte"
n=0
for f in $(store_files "$T/st"); do
	n=$((n + $(tshark -r "$f" 2>/dev/null | wc -l)))
done
expect_eq "packets tshark reads in the files" "$n" "$(json_get "$T/truth.json" packets)"

note "1b. the two ways packets reach the store give the same files"
# a regular file: the writer reads the packets again from it and the worker only marks the
# records it accounted; standard input (libpcap): the worker copies each packet
"$FLUXPROBE" --read - --pcap-dir "$T/stdin" --rotate 60 -q <"$T/in.pcap" ||
	fail "fluxprobe --read - --pcap-dir failed"
cmp -s "$T/in.recs" <(recs $(store_files "$T/stdin")) ||
	fail "the store of standard input differs from the input"
# records the worker never sees (a capture filter) or does not account (frames it cannot
# parse): left out by both ways alike
"$FLUXPROBE" --read "$T/in.pcap" --filter udp --pcap-dir "$T/cf" --rotate 60 \
	--summary json -q >"$T/cf.json" || fail "--filter udp --pcap-dir failed"
tcpdump --time-stamp-precision nano -r "$T/in.pcap" -w "$T/cf.pcap" udp 2>/dev/null
cmp -s <(recs "$T/cf.pcap") <(recs $(store_files "$T/cf")) ||
	fail "--filter udp: the store differs from tcpdump's 'udp'"
expect_eq "--filter udp: packets stored" "$(json_get "$T/cf.json" pcap_store.packets)" "$(json_get "$T/cf.json" packets)"
skipped=0
for c in erspan-type-i-4 eapon1 babel_update_oobr various_gre bgp-4byte-asn dcb_ets \
	dhcp-rfc4388 bgp-lu-multiple-labels isakmp4500; do
	f="$here/pcaps/tcpdump/$c.pcap"
	rm -rf "$T/ca" "$T/cb"
	"$FLUXPROBE" --read "$f" --pcap-dir "$T/ca" --rotate 60 --summary json -q >"$T/ca.json" ||
		fail "$c: --pcap-dir failed"
	"$FLUXPROBE" --read - --pcap-dir "$T/cb" --rotate 60 -q <"$f" || fail "$c: --read - failed"
	cmp -s <(recs $(store_files "$T/ca")) <(recs $(store_files "$T/cb")) ||
		fail "$c: the two ways stored different records"
	expect_eq "$c: packets stored" "$(json_get "$T/ca.json" pcap_store.packets)" "$(json_get "$T/ca.json" packets)"
	skipped=$((skipped + $(json_get "$T/ca.json" frames) - $(json_get "$T/ca.json" packets)))
done
[ "$skipped" -gt 0 ] || fail "no frame of the corpus captures was left out: the check checks nothing"
note "corpus captures: $skipped frames not accounted, not stored, by both ways"

note "2. 20 flows back by Community ID"
# the flows: Community ID, a tcpdump filter for TCP/UDP ones, packets counted in their records,
# the files the records name, and the last packet's time
/usr/bin/python3 - "$T/flows.json" >"$T/picked" <<'PY'
import collections, json, random, sys
recs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    recs[r["communityId"]].append(r)
random.seed(23)
for cid in random.sample(sorted(recs), 20):
    r = recs[cid][0]
    v6 = r["ipVersion"] == 6
    a = r["sourceIPv6Address" if v6 else "sourceIPv4Address"]
    b = r["destinationIPv6Address" if v6 else "destinationIPv4Address"]
    p = r["protocolIdentifier"]
    flt = "-"
    if p in (6, 17):
        sp, dp = r["sourceTransportPort"], r["destinationTransportPort"]
        one = "%s and host %s and host %s and port %d and port %d" % (
            "tcp" if p == 6 else "udp", a, b, sp, dp)
        flt = "(%s) or (vlan and %s)" % (one, one)
        flow = "%s %s %s" % ("tcp" if p == 6 else "udp",
                             ("[%s]:%d" if v6 else "%s:%d") % (b, dp),
                             ("[%s]:%d" if v6 else "%s:%d") % (a, sp))
    else:
        flow = "-"
    packets = sum(x["packetDeltaCount"] for x in recs[cid])
    files = sorted({f for x in recs[cid] for f in x["pcapFiles"]})
    last = max(x["flowEndMicroseconds"] for x in recs[cid])
    print("\t".join([cid, flt, str(packets), ",".join(files), last, flow]))
PY
mkdir "$T/recs"
for f in $(store_files "$T/st"); do recs "$f" | sort >"$T/recs/${f##*/}"; done
i=0
while IFS=$'\t' read -r cid flt packets files last flow; do
	i=$((i + 1))
	"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "$cid" -w "$T/x$i.pcap" \
		2>"$T/x$i.log" || { cat "$T/x$i.log"; fail "extract $cid failed"; }
	grep -q ": scanned$" "$T/x$i.log" && fail "extract scanned an indexed store: $(cat "$T/x$i.log")"
	got=$(recs "$T/x$i.pcap" | wc -l)
	[ "$got" = "$packets" ] || fail "flow $cid: extract gave $got packets, its records counted $packets"
	if [ "$flt" != - ]; then
		tcpdump --time-stamp-precision nano -r "$T/in.pcap" -w "$T/t$i.pcap" "$flt" 2>/dev/null
		cmp -s <(recs "$T/x$i.pcap") <(recs "$T/t$i.pcap") ||
			fail "flow $cid: extract and tcpdump '$flt' differ"
		# the same flow named by its 5-tuple, the other way round
		"$FLUXPROBE" extract --pcap-dir "$T/st" --flow "$flow" -w "$T/y$i.pcap" 2>/dev/null ||
			fail "extract --flow '$flow' failed"
		cmp -s "$T/x$i.pcap" "$T/y$i.pcap" || fail "--flow '$flow' and --community-id differ"
	fi
	# the files the JSON lines name hold every packet of the flow
	[ -z "$(comm -23 <(recs "$T/x$i.pcap" | sort) <(cd "$T/recs" && sort -m $(echo "$files" | tr ',' ' ')))" ] ||
		fail "flow $cid: pcapFiles ($files) do not hold all its packets"
	echo "$cid $last" >"$T/lastflow"
done <"$T/picked"
tu=$(cut -f2 "$T/picked" | grep -cv '^-$' || true)
[ "$tu" -ge 10 ] || fail "only $tu TCP/UDP flows among the 20"
note "20 flows: extract = the records' counts; the $tu TCP/UDP ones = tcpdump's filter, byte for byte, by --flow too; pcapFiles hold them"
read -r cid last <"$T/lastflow"
rc=0
"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "$cid" --from 2030-01-01T00:00:00Z \
	-w "$T/none.pcap" 2>"$T/none.log" || rc=$?
expect_eq "extract after the store's time: exit status" "$rc" 1
grep -q "from 0 of 4 files (0 by index, 0 scanned, 4 outside the window)" "$T/none.log" ||
	fail "files outside the window were opened: $(cat "$T/none.log")"
rc=0
"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "$cid" --to "$last" -w "$T/upto.pcap" \
	2>/dev/null || rc=$?
expect_eq "extract --to the flow's end (ISO 8601, as the JSON lines print it)" \
	"$(recs "$T/upto.pcap" | wc -l)" "$(recs "$T/x$i.pcap" | wc -l)"
# the flow's first and last packet times as bounds, Unix seconds and ISO 8601, to the µs: both
# forms take every packet (a double once lost the edges), and a window from one µs past the
# first packet loses exactly that one
ts=$(tcpdump -tt --time-stamp-precision nano -r "$T/x$i.pcap" 2>/dev/null | awk '{print $1}')
n_all=$(echo "$ts" | wc -l)
n_first=$(echo "$ts" | grep -c "^$(echo "$ts" | head -1 | cut -c1-17)" || true)
read -r u_from u_to i_from i_to u_next <<<"$(python3 -c 'import sys, datetime as d
def us(t): s, f = t.split("."); return int(s), int(f[:6])
def iso(s, u): return d.datetime.fromtimestamp(s, d.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % u
(a, ua), (b, ub) = us(sys.argv[1]), us(sys.argv[2])
n = a * 1000000 + ua + 1
print("%d.%06d %d.%06d %s %s %d.%06d" % (a, ua, b, ub, iso(a, ua), iso(b, ub), n // 1000000, n % 1000000))' \
	"$(echo "$ts" | head -1)" "$(echo "$ts" | tail -1)")"
for w in "$u_from $u_to" "$i_from $i_to"; do
	set -- $w
	"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "$cid" --from "$1" --to "$2" \
		-w "$T/win.pcap" 2>/dev/null || fail "extract --from $1 --to $2 failed"
	expect_eq "extract --from $1 --to $2 (the flow's first and last packet)" \
		"$(recs "$T/win.pcap" | wc -l)" "$n_all"
done
rc=0
"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "$cid" --from "$u_next" \
	-w "$T/win.pcap" 2>/dev/null || rc=$?
[ "$n_all" = "$n_first" ] || expect_eq "extract --from one µs after the first packet" \
	"$(recs "$T/win.pcap" | wc -l)" "$((n_all - n_first))"
rc=0
"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "$cid" --from 2026-02-30T00:00:00Z \
	-w "$T/win.pcap" 2>"$T/win.log" || rc=$?
expect_eq "extract --from 2026-02-30: exit status" "$rc" 2
grep -q "no such date" "$T/win.log" || fail "2026-02-30 not refused as a date: $(cat "$T/win.log")"
# damaged stores: an index whose positions lie outside its file or inside records is named
# and its file scanned (the same packets); a record header no packet can have ends that file's
# scan, named, with exit status 3 (incomplete)
damage() { # DIR MODE: every index's positions moved (out, mid), or a record header of each file
	/usr/bin/python3 - "$@" <<'PY'
import glob, os, struct, sys
d, mode = sys.argv[1], sys.argv[2]
if mode in ("out", "mid"):
    for idx in glob.glob(d + "/*.idx"):
        b = bytearray(open(idx, "rb").read())
        flows, packets = struct.unpack_from("<QQ", b, 24)
        size = os.path.getsize(idx[:-4])
        at = 80 + 24 * flows
        for i in range(packets):
            (v,) = struct.unpack_from("<Q", b, at + 8 * i)
            struct.pack_into("<Q", b, at + 8 * i, size + 4096 if mode == "out" else v + 3)
        open(idx, "wb").write(b)
else:  # a record header in the middle of each file
    for f in glob.glob(d + "/pcap.*"):
        if f.endswith(".idx"):
            continue
        b = bytearray(open(f, "rb").read())
        off, n = 24, 0
        while off + 16 <= len(b) and off < len(b) // 2:
            off += 16 + struct.unpack_from("<I", b, off + 8)[0]
        struct.pack_into("<II", b, off + 8, 0x7fffffff, 60)
        open(f, "wb").write(b)
PY
}
for mode in out mid; do
	rm -rf "$T/bad"
	cp -a "$T/st" "$T/bad"
	damage "$T/bad" $mode
	rc=0
	"$FLUXPROBE" extract --pcap-dir "$T/bad" --community-id "$cid" -w "$T/bad.pcap" \
		2>"$T/bad.log" || rc=$?
	expect_eq "extract with index positions moved ($mode): exit status" "$rc" 0
	grep -q "does not hold what its index .*\.idx says.*damaged index, scanned" "$T/bad.log" ||
		fail "a damaged index ($mode) is not named: $(cat "$T/bad.log")"
	cmp -s "$T/bad.pcap" "$T/x$i.pcap" || fail "a damaged index ($mode): other packets than the whole index gave"
done
rm -rf "$T/bad"
cp -a "$T/st" "$T/bad"
damage "$T/bad" record
rm "$T/bad/"*.idx
rc=0
"$FLUXPROBE" extract --pcap-dir "$T/bad" --community-id "$cid" -w "$T/bad.pcap" 2>"$T/bad.log" || rc=$?
expect_eq "extract over a corrupt record header: exit status (incomplete)" "$rc" 3
grep -q "pcap\.[0-9.]*: a record header no packet can have at byte [0-9]*: the rest of this file is not read" \
	"$T/bad.log" || fail "a corrupt record is not named: $(cat "$T/bad.log")"
grep -q "INCOMPLETE" "$T/bad.log" || fail "the last line does not say the result may be incomplete"
rc=0
"$FLUXPROBE" extract --pcap-dir /etc --community-id "$cid" -w "$T/bad.pcap" 2>"$T/bad.log" || rc=$?
expect_eq "extract --pcap-dir /etc: exit status" "$rc" 2
grep -q "no packet store there" "$T/bad.log" || fail "--pcap-dir /etc: $(cat "$T/bad.log")"
note "damaged indexes named and scanned around; a damaged record named, exit status 3; no store, said"
rm "$T/st/"*.idx
"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "$cid" -w "$T/scan.pcap" \
	2>"$T/scan.log" || fail "extract without indexes failed"
grep -q "has no index: scanned" "$T/scan.log" || fail "extract did not say it scanned"
cmp -s "$T/scan.pcap" "$T/x$i.pcap" || fail "a scan gave other packets than the index"
note "without indexes: scanned (said), the same packets"
rc=0
"$FLUXPROBE" extract --pcap-dir "$T/st" --community-id "1:nope" -w "$T/bad.pcap" 2>"$T/bad.log" || rc=$?
expect_eq "a bad Community ID: exit status" "$rc" 2
grep -q -- "--community-id '1:nope'" "$T/bad.log" || fail "the error does not name the option"

note "3. --pcap-snaplen and --pcap-filter"
"$FLUXPROBE" --read "$T/in.pcap" --pcap-dir "$T/snap" --rotate 60 --pcap-snaplen 64 \
	--summary json -q >"$T/snap.json" || fail "--pcap-snaplen run failed"
cmp -s <(recs --snap 64 "$T/in.pcap") <(recs $(store_files "$T/snap")) ||
	fail "--pcap-snaplen 64: the store is not the input cut to 64 bytes"
expect_eq "flows' packets with --pcap-snaplen" "$(json_get "$T/snap.json" packets)" "$(json_get "$T/truth.json" packets)"
"$FLUXPROBE" --read "$T/in.pcap" --pcap-dir "$T/flt" --rotate 60 --pcap-filter 'udp' \
	--summary json -q >"$T/flt.json" || fail "--pcap-filter run failed"
tcpdump --time-stamp-precision nano -r "$T/in.pcap" -w "$T/udp.pcap" udp 2>/dev/null
cmp -s <(recs "$T/udp.pcap") <(recs $(store_files "$T/flt")) ||
	fail "--pcap-filter udp: the store differs from tcpdump's 'udp'"
expect_eq "filtered + stored" \
	"$(($(json_get "$T/flt.json" pcap_store.packets_filtered) + $(json_get "$T/flt.json" pcap_store.packets)))" \
	"$(json_get "$T/truth.json" packets)"
expect_eq "flows' packets with --pcap-filter" "$(json_get "$T/flt.json" packets)" "$(json_get "$T/truth.json" packets)"
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --pcap-dir "$T/bad" --pcap-filter 'port nonsense' -q 2>"$T/badf.log" || rc=$?
[ "$rc" != 0 ] || fail "a bad --pcap-filter was accepted"
grep -q -- "--pcap-filter 'port nonsense'" "$T/badf.log" || fail "the error does not name --pcap-filter: $(cat "$T/badf.log")"

note "4. --pcap-dir-max: a ring"
"$FPGEN" -o "$T/long.pcap" -n 120000 -f 2000 -p 200 -r 8 >"$T/long.json" # 10 minutes
one=$(($(stat -c %s "$T/st/$(head -1 "$T/names")") * 2)) # about two minutes of this traffic
"$FLUXPROBE" --read "$T/long.pcap" --pcap-dir "$T/ring" --rotate 60 --pcap-dir-max "$one" \
	--summary json >"$T/ring.json" 2>"$T/ring.log" || fail "--pcap-dir-max run failed"
kept=$(store_files "$T/ring" | wc -l)
removed=$(json_get "$T/ring.json" pcap_store.files_removed)
expect_eq "files kept + removed = files written" "$((kept + removed))" "$(json_get "$T/ring.json" pcap_store.files)"
[ "$removed" -ge 5 ] || fail "only $removed files removed"
expect_eq "removals logged" "$(grep -c 'pcap-dir-max: removed' "$T/ring.log")" "$removed"
newest=$(store_files "$T/ring" | tail -1)
used=$(du -B1 -c $(store_files "$T/ring") "$T"/ring/*.idx | tail -1 | cut -f1)
slot=$(du -B1 -c "$newest" "$newest.idx" | tail -1 | cut -f1)
[ "$used" -le $((one + slot)) ] || fail "the directory holds $used bytes, limit $one + the newest slot's $slot"
n=$(recs $(store_files "$T/ring") | wc -l)
cmp -s <(recs $(store_files "$T/ring")) <(recs "$T/long.pcap" | tail -n "$n") ||
	fail "the ring kept something other than the newest packets"
note "ring: $kept files kept ($used bytes, limit $one + $slot), $removed removed, the newest kept"

note "5. SIGKILL in the middle"
mkfifo "$T/fifo"
(cat "$T/long.pcap"; exec sleep 60) >"$T/fifo" &
PIDS+=($!)
"$FLUXPROBE" --read "$T/fifo" --pcap-dir "$T/kill" --rotate 60 -q &
probe=$!
for _ in $(seq 100); do
	[ "$(ls "$T/kill" 2>/dev/null | grep -c current || true)" -ge 1 ] && break
	sleep 0.1
done
sleep 1
kill -KILL "$probe"
wait "$probe" 2>/dev/null || true
left=$(ls "$T/kill" | grep -c '\.current\.' || true)
[ "$left" -ge 1 ] || fail "no file was being written when the probe was killed"
n=0
for f in "$T"/kill/*.current.*; do
	tshark -r "$f" >/dev/null 2>"$T/tshark.err" || fail "tshark cannot read $f: $(cat "$T/tshark.err")"
	n=$((n + $(tshark -r "$f" 2>/dev/null | wc -l)))
done
recs $(ls "$T"/kill/pcap.* | grep -v idx) 2>"$T/cut.log" >"$T/kill.recs"
[ ! -s "$T/cut.log" ] || fail "a record was cut: $(cat "$T/cut.log")"
cmp -s "$T/kill.recs" <(recs "$T/long.pcap" | head -n "$(wc -l <"$T/kill.recs")") ||
	fail "the killed run's files are not the input's first packets"
note "after SIGKILL: $left file(s) being written, whole records ($n packets), tshark reads them"
"$FLUXPROBE" --read "$T/in.pcap" --pcap-dir "$T/kill" --rotate 60 2>"$T/recover.log" ||
	fail "the run after SIGKILL failed"
grep -q "left by a run that did not end" "$T/recover.log" || fail "the leftover files were not renamed"
[ "$(ls "$T/kill" | grep -c current || true)" = 0 ] || fail "files still under a temporary name"
cid=$(head -1 "$T/picked" | cut -f1)
"$FLUXPROBE" extract --pcap-dir "$T/kill" --community-id "$cid" -w "$T/k.pcap" 2>"$T/k.log" || true
grep -q "has no index: scanned" "$T/k.log" || fail "extract did not scan the recovered files: $(cat "$T/k.log")"

note "6. a full file system"
mkdir -p "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full"
trap 'umount -l "$T/full" 2>/dev/null || true; cleanup' EXIT
rc=0
"$FLUXPROBE" --read "$T/in.pcap" --pcap-dir "$T/full/st" --rotate 60 --json "$T/full.json" \
	--summary json >"$T/fs.json" 2>"$T/full.log" || rc=$?
expect_eq "exit status with packets not stored" "$rc" 1
stored=$(json_get "$T/fs.json" pcap_store.packets)
disk=$(json_get "$T/fs.json" pcap_store.packets_not_stored_by_reason.disk)
[ "$disk" -gt 0 ] || fail "no packet counted as not stored on a full disk"
expect_eq "stored + not stored" "$((stored + disk))" "$(json_get "$T/truth.json" packets)"
grep -q "LOSS in this run: $disk packets not stored in --pcap-dir" "$T/full.log" ||
	fail "no LOSS line for the packets not stored: $(tail -3 "$T/full.log")"
grep -q "No space left on device" "$T/full.log" || fail "the cause is not said"
n=0
for f in $(store_files "$T/full/st"); do
	n=$((n + $(recs "$f" | wc -l)))
done
expect_eq "packets in the files on the full disk = stored" "$n" "$stored"
expect_eq "flows' packets (JSON lines) on a full disk" \
	"$(/usr/bin/python3 -c 'import json,sys; print(sum(json.loads(l)["packetDeltaCount"] for l in open(sys.argv[1])))' "$T/full.json")" \
	"$(json_get "$T/truth.json" packets)"
note "full disk: $stored stored, $disk counted as not stored and said; every flow exact"
grep "LOSS in this run: $disk packets not stored" "$T/full.log" | contains "its file system is full" ||
	fail "a full disk's LOSS line does not say so: $(grep LOSS "$T/full.log")"

note "7. the directory taken away in the middle of a run (--user nobody): the cause and its remedy"
chmod 755 "$T"
mkdir -m 755 "$T/perm"
chown nobody "$T/perm"
# the capture from standard input: the first minute's packets, then the directory is made
# read-only, then the next minutes' (whose files cannot be created)
mkfifo "$T/feed"
"$FLUXPROBE" --read - --user nobody --pcap-dir "$T/perm" --rotate 60 <"$T/feed" \
	>/dev/null 2>"$T/perm.log" &
probe=$!
PIDS+=("$probe")
/usr/bin/python3 - "$T/long.pcap" "$T/feed" "$T/perm" <<'PY'
import os, struct, sys, time
src, feed, d = sys.argv[1:4]
data = open(src, "rb").read()
out = open(feed, "wb")
out.write(data[:24])
off, first, moved = 24, None, False
nano = data[:4] in (b"\x4d\x3c\xb2\xa1",)
while off + 16 <= len(data):
    sec, _, cap, _ = struct.unpack_from("<IIII", data, off)
    first = sec if first is None else first
    if not moved and sec >= first - first % 60 + 60:
        out.flush()
        time.sleep(1)
        os.chmod(d, 0o555)
        moved = True
    out.write(data[off:off + 16 + cap])
    off += 16 + cap
out.close()
PY
rc=0
wait "$probe" || rc=$?
chmod 755 "$T/perm"
expect_eq "exit status when the store's directory became read-only" "$rc" 1
grep "LOSS in this run: [0-9]* packets not stored in --pcap-dir" "$T/perm.log" |
	grep -q "(Permission denied): fluxprobe may not write there" ||
	fail "a permission error's LOSS line: $(grep LOSS "$T/perm.log")"
grep "LOSS in this run" "$T/perm.log" | contains "free space" &&
	fail "a permission error advises freeing space: $(grep LOSS "$T/perm.log")"
echo "ok: --pcap-dir keeps every packet accounted; extract gives each flow's, by index or by scan"
