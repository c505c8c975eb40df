#!/usr/bin/env bash
# The packet store (--pcap-dir), everything on tmpfs (/dev/shm) so the disk is not what is measured.
#   bench/pcapstore.sh [--runs R] [--parts worker,copy,dpdk,writer,extract] [--store-gb G]
#                                                  (FLUXPROBE=BINARY picks another build)
#  worker   the worker's added cost per packet, libpcap path (--read; the worker thread's CPU
#           time, summary workers[0].cpu_seconds, with and without --pcap-dir; its loop's wall
#           time beside), 2M 64-byte packets in 10k and in 1M flows; R runs each, alternating,
#           medians, and the median of each run's own difference (off, then on, back to back).
#  copy     the same from the captures as pcapng (editcap -F pcapng): libpcap reads them and
#           the worker copies each packet into its queue, as it does for a live interface (a
#           classic pcap file is stored by record, without the copy).
#  dpdk     the same through DPDK (net_pcap infinite_rx, 3 s per run): Mpps without and with the
#           store; the added ns per packet is 1000/Mpps(on) - 1000/Mpps(off).
#  writer   one capture written whole: fluxprobe --pcap-dir against tcpdump -w and nfpcapd -p,
#           wall time and MB/s of pcap written.
#  extract  a store of G GB (default 10: fpgen through a pipe, 1400-byte packets, --rotate 60):
#           `fluxprobe extract` of 5 random flows (median wall time) against tcpdump scanning
#           the same files for one of them; both give the same packets.
# Prints CSV lines: part,what,value,unit,detail
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 parts=worker,copy,dpdk,writer,extract gb=10
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift 2 ;;
	--parts) parts=$2; shift 2 ;;
	--store-gb) gb=$2; shift 2 ;;
	-h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "pcapstore: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -x build/probe/fluxprobe ] || scripts/setup >/dev/null
fp=${FLUXPROBE:-build/probe/fluxprobe}
work=${BENCH_DIR:-/tmp/fluxprobe-bench}
mkdir -p "$work"
out=$(mktemp -d /dev/shm/fp-pcapstore.XXXXXX)
trap 'rm -rf "$out"' EXIT
gen() { [ -s "$work/$1.pcap" ] || build/bench/fpgen -o "$work/$1.pcap" "${@:2}" >"$work/$1.json"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
js() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$@"; }
timed() { /usr/bin/time -f '%e %U %S' -o "$out/time" "$@"; }
has() { [[ ",$parts," == *",$1,"* ]]; }
echo "part,what,value,unit,detail"

gen ps10k -n 2000000 -f 10000 -6 0 -V 0 -u
gen ps1m -n 2000000 -f 1000000 -6 0 -V 0 -u

# the worker's CPU time with and without the store; $1: the part's name, $2: the files' suffix
# (pcap: stored by record; pcapng: copied)
worker_part() {
	local part=$1 ext=$2 f
	run() { "$fp" --read "$work/$1.$ext" --summary json -q "${@:3}" >"$2"; } # file, json, args
	for f in ps10k ps1m; do
		off=() on=() woff=() won=() waits=() pair=()
		for _ in $(seq "$runs"); do
			run "$f" "$out/off.json"
			off+=("$(js "$out/off.json" workers.0.cpu_seconds)")
			woff+=("$(js "$out/off.json" capture_seconds)")
			rm -rf "$out/st"
			run "$f" "$out/on.json" --pcap-dir "$out/st"
			on+=("$(js "$out/on.json" workers.0.cpu_seconds)")
			won+=("$(js "$out/on.json" capture_seconds)")
			waits+=("$(js "$out/on.json" pcap_store.buffer_waits)")
			pair+=("$(awk -v a="${off[-1]}" -v b="${on[-1]}" 'BEGIN {printf "%.1f", (b - a) / 2000000 * 1e9}')")
		done
		a=$(median "${off[@]}") b=$(median "${on[@]}")
		echo "$part,$f worker cpu off,$a,s,median of $runs; loop wall $(median "${woff[@]}") s"
		echo "$part,$f worker cpu on,$b,s,median of $runs; loop wall $(median "${won[@]}") s; buffer waits ${waits[*]}"
		echo "$part,$f added per packet,$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", (b - a) / 2000000 * 1e9}'),ns,(cpu on - cpu off) / 2M packets"
		echo "$part,$f added per packet (pairs),$(median "${pair[@]}"),ns,median of the $runs runs' own differences (${pair[*]})"
	done
}
if has worker; then worker_part worker pcap; fi
if has copy; then
	for f in ps10k ps1m; do
		[ -s "$work/$f.pcapng" ] || editcap -F pcapng "$work/$f.pcap" "$work/$f.pcapng"
	done
	worker_part copy pcapng
fi

if has dpdk; then
	eal=(--no-huge --no-pci -m 2048 --file-prefix "fp-bench-$$" --log-level=lib.eal:error -l 0,1)
	mpps() { # file, extra args → "mpps stored not_stored"
		"$fp" --dpdk --duration 3 --summary json -q --mbufs 2100000 --mbuf-size 128 \
			--idle-timeout 300 --active-timeout 600 "${@:2}" \
			-- "${eal[@]}" --vdev "net_pcap0,rx_pcap=$work/$1.pcap,infinite_rx=1" 2>/dev/null |
			tail -1 | python3 -c 'import json,sys
d = json.load(sys.stdin)
p = d.get("pcap_store", {})
print("%.2f %d %d" % (d["packets"] / d["capture_seconds"] / 1e6, p.get("packets", 0), p.get("packets_not_stored", 0)))'
	}
	for f in ps10k ps1m; do
		off=() on=() detail=""
		for _ in $(seq "$runs"); do
			read -r m _ _ < <(mpps "$f")
			off+=("$m")
			rm -rf "$out/st"
			read -r m s ns < <(mpps "$f" --pcap-dir "$out/st")
			on+=("$m")
			detail="$detail stored $s not_stored $ns;"
			rm -rf "$out/st"
		done
		a=$(median "${off[@]}") b=$(median "${on[@]}")
		echo "dpdk,$f Mpps off,$a,Mpps,median of $runs (${off[*]})"
		echo "dpdk,$f Mpps on,$b,Mpps,median of $runs (${on[*]});$detail"
		echo "dpdk,$f added per packet,$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", 1000 / b - 1000 / a}'),ns,1000/Mpps(on) - 1000/Mpps(off)"
	done
fi

if has writer; then
	gen psmix -n 2000000 -f 100000 -s 60 -S 1400 -6 30 -V 0
	size=$(stat -c %s "$work/psmix.pcap")
	for _ in $(seq "$runs"); do
		rm -rf "$out/a" "$out/b" "$out/c" "$out/d"
		timed "$fp" --read "$work/psmix.pcap" --pcap-dir "$out/a" -q
		read -r w u s <"$out/time"
		echo "writer,fluxprobe --pcap-dir,$w,s,$(awk -v n="$size" -v w="$w" 'BEGIN {printf "%.0f MB/s", n / w / 1e6}') cpu $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') s; $(du -sb "$out/a" | cut -f1) bytes with indexes"
		mkdir -p "$out/b"
		timed tcpdump -r "$work/psmix.pcap" -w "$out/b/out.pcap" 2>/dev/null
		read -r w u s <"$out/time"
		echo "writer,tcpdump -w,$w,s,$(awk -v n="$size" -v w="$w" 'BEGIN {printf "%.0f MB/s", n / w / 1e6}') cpu $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') s"
		mkdir -p "$out/c" "$out/d"
		timed nfpcapd -r "$work/psmix.pcap" -w "$out/c" -p "$out/d" >/dev/null 2>&1
		read -r w u s <"$out/time"
		echo "writer,nfpcapd -p,$w,s,$(awk -v n="$size" -v w="$w" 'BEGIN {printf "%.0f MB/s", n / w / 1e6}') cpu $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') s; pcap bytes $(du -sb "$out/d" | cut -f1)"
	done
	rm -rf "$out/a" "$out/b" "$out/c" "$out/d"
fi

if has extract; then
	n=$((gb * 1000000000 / 1416))
	mkfifo "$out/fifo"
	build/bench/fpgen -o "$out/fifo" -n "$n" -f $((n / 15)) -s 1400 -6 30 -V 0 -p 25000 -r 3 \
		>/dev/null &
	timed "$fp" --read "$out/fifo" --pcap-dir "$out/big" --rotate 60 --json "$out/big.json" -q
	wait
	read -r w _ _ <"$out/time"
	echo "extract,store built,$w,s,$(du -sb "$out/big" | cut -f1) bytes in $(ls "$out/big" | grep -vc idx) files (fpgen into a FIFO | fluxprobe --read FIFO)"
	python3 - "$out/big.json" >"$out/picks" <<'PY'
import json, random, sys
lines = open(sys.argv[1]).readlines()
random.seed(5)
for line in random.sample(lines, 5):
    r = json.loads(line)
    v6 = r["ipVersion"] == 6
    a = r["sourceIPv6Address" if v6 else "sourceIPv4Address"]
    b = r["destinationIPv6Address" if v6 else "destinationIPv4Address"]
    p = r["protocolIdentifier"]
    if p in (6, 17):
        flt = "%s and host %s and host %s and port %d and port %d" % (
            "tcp" if p == 6 else "udp", a, b, r["sourceTransportPort"], r["destinationTransportPort"])
    else:
        flt = "(ip proto %d or ip6 proto %d) and host %s and host %s" % (p, p, a, b)
    print(r["communityId"] + "\t" + flt)
PY
	times=()
	while IFS=$'\t' read -r cid flt; do
		sync
		echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
		timed "$fp" extract --pcap-dir "$out/big" --community-id "$cid" -w "$out/x.pcap" 2>"$out/x.log"
		read -r w _ _ <"$out/time"
		times+=("$w")
		echo "extract,fluxprobe extract,$w,s,$(tail -1 "$out/x.log" | sed 's/,//g')"
		last_cid=$cid last_flt=$flt
	done <"$out/picks"
	echo "extract,fluxprobe extract median,$(median "${times[@]}"),s,5 flows"
	timed bash -c "for f in \$(ls '$out/big' | grep -v idx); do tcpdump --time-stamp-precision nano -r '$out/big/'\$f -w - '$last_flt' 2>/dev/null | tail -c +25; done >'$out/t.body'"
	read -r w _ _ <"$out/time"
	same=$(cmp -s <(tail -c +25 "$out/x.pcap") "$out/t.body" && echo "same packets" || echo "DIFFERENT packets")
	echo "extract,tcpdump scanning every file,$w,s,$same as extract for $last_cid ($last_flt)"
	rm -rf "$out/big"
fi
