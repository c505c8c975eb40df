#!/usr/bin/env bash
# Every capture of tests/pcaps/tcpdump (830 real files, many malformed on purpose) goes through
# `fluxprobe --read`. Pass: no crash, no sanitizer report, exit 0 (or 1 with a message for a file
# libpcap cannot open or a link type we do not decode), and for every file read to the end the
# summary accounts each frame exactly once: frames = packets + not_ip + parse errors +
# duplicates (--dedup).
# Usage: corpus.sh [DIR]   (run it with the ASan+UBSan build's fluxprobe in FLUXPROBE)
set -uo pipefail
: "${FLUXPROBE:?}"
dir=${1:-$(cd "$(dirname "$0")" && pwd)/pcaps/tcpdump}
[ -d "$dir" ] || { echo "FAIL: corpus directory $dir not found"; exit 1; }
out=$(mktemp -d /tmp/fp-corpus.XXXXXX)
trap 'rm -rf "$out"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86

one() {
	local f=$1 base
	base=$(basename "$f")
	# twice: as captured, and opening every tunnel (--decap auto) with every optional field kept
	# per flow, duplicates counted once (--dedup), each record's direction (--local-net), each
	# flow's first payload bytes (--payload, a JSON line base64 each), each TCP connection's TLS
	# handshake read (--fields tls: its reassembly, JA3/JA4, certificates), TCP analysis (--fields
	# tcp), nDPI
	# inspecting every flow (when this build has it), IPFIX messages, JSON lines,
	# nfcapd files (--flow-dir, then read back by nfdump) and the packet store (--pcap-dir,
	# then its index searched by fluxprobe extract) written
	for mode in none auto; do
		local more=()
		# a collector (nothing listens: datagrams refused, counted) so that records are
		# encoded as IPFIX too
		[ "$mode" = none ] || more=(--fields all,tls,tcp --json /dev/null $DPI --flow-dir "$out/$base.fd"
			--collector 127.0.0.1:9 --pcap-dir "$out/$base.pd" --dedup --payload 200
			--local-net 198.18.0.0/15,10.0.0.0/8,2001:db8::/32,fe80::/10)
		"$FLUXPROBE" --read "$f" --decap "$mode" "${more[@]}" --max-flows 65536 --summary json -q \
			>"$out/$base.$mode.json" 2>"$out/$base.$mode.err"
		echo "$? $base.$mode" >>"$out/rc"
	done
	# what was written reads back: nfdump's records = the probe's records exported (compared
	# with the summary at the end, in one python run rather than one per capture)
	if [ -d "$out/$base.fd" ]; then
		nfdump -R "$out/$base.fd" -q -N -o 'fmt:%pr' 2>/dev/null | grep -c '^ *[0-9]' >"$out/$base.nfdump"
		rm -rf "$out/$base.fd"
	fi
	# every packet accounted is stored, and extract reads the store (0 found, 1 none: not 2)
	if [ -d "$out/$base.pd" ]; then
		local rc=0
		"$FLUXPROBE" extract --pcap-dir "$out/$base.pd" --flow 'udp 198.18.0.1:53 198.18.0.2:53' \
			-w "$out/$base.x.pcap" >/dev/null 2>"$out/$base.extract.err" || rc=$?
		echo "$((rc == 1 ? 0 : rc)) $base.extract" >>"$out/rc"
		rm -rf "$out/$base.pd" "$out/$base.x.pcap"
	fi
}
DPI=
if case "$(ldd "$FLUXPROBE")" in *libndpi*) true ;; *) false ;; esac then DPI=--dpi; fi
echo "# corpus: second pass with --decap auto --fields all --dedup --payload --local-net ${DPI:-(this build has no nDPI)}"
export -f one
export FLUXPROBE out DPI
find "$dir" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 |
	xargs -0 -P "$(nproc)" -n 1 bash -c 'one "$0"'

files=$(grep -c '\.none$' "$out/rc")
bad=0
while read -r rc base; do
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "FAIL: $base: exit $rc"; sed -n '1,30p' "$out/$base.err"; bad=$((bad + 1))
	elif grep -q "Sanitizer\|runtime error" "$out/$base.err"; then
		echo "FAIL: $base: sanitizer report"; sed -n '1,30p' "$out/$base.err"; bad=$((bad + 1))
	elif [ "$rc" -eq 1 ] && ! [ -s "$out/$base.err" ]; then
		echo "FAIL: $base: exit 1 without a message"; bad=$((bad + 1))
	fi
done <"$out/rc"
read -r ok unbalanced frames packets < <(python3 - "$out" <<'PY'
import glob, json, os, sys
ok = unbalanced = frames = packets = 0
for f in glob.glob(sys.argv[1] + "/*.json"):
    txt = open(f).read().strip()
    if not txt:
        continue
    d = json.loads(txt)
    ok += 1
    frames += d["frames"]; packets += d["packets"]
    if d["frames"] != d["packets"] + d["not_ip"] + d["parse_errors"] + d["packets_duplicate"] or \
       d["packets_exported"] != d["packets"] or d["bytes_exported"] != d["bytes"]:
        unbalanced += 1
        print("unbalanced:", f, file=sys.stderr)
    if not f.endswith(".auto.json"):
        continue
    base = f[:-len(".auto.json")]
    # --flow-dir: nfdump reads back every record exported
    if os.path.exists(base + ".nfdump"):
        n = int(open(base + ".nfdump").read().split()[0])
        if n != d["records_exported"]:
            unbalanced += 1
            print("--flow-dir: nfdump reads %d records, %d were exported: %s"
                  % (n, d["records_exported"], f), file=sys.stderr)
    # --pcap-dir: every packet accounted is stored
    if "pcap_store" in d and d["pcap_store"]["packets"] != d["packets"]:
        unbalanced += 1
        print("--pcap-dir: %d stored, %d accounted: %s"
              % (d["pcap_store"]["packets"], d["packets"], f), file=sys.stderr)
print(ok, unbalanced, frames, packets)
PY
)
refused=$(awk '$1 == 1' "$out/rc" | wc -l)
echo "# $files captures: $ok read ($frames frames, $packets into flows), $refused refused with a message"
[ "$unbalanced" -eq 0 ] || { echo "FAIL: $unbalanced summaries do not add up"; bad=$((bad + 1)); }
[ "$files" -ge 800 ] || { echo "FAIL: only $files captures found in $dir"; bad=$((bad + 1)); }
[ "$bad" -eq 0 ] || exit 1
echo "ok: corpus"
