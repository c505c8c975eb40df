#!/usr/bin/env bash
# What `meson install` delivers: binary, man page, systemd units, example configuration.
#  - the man page renders without groff warnings and describes exactly the long options that
#    --help lists (the two are kept in sync by this check);
#  - systemd-analyze accepts both units (paths pointed at the staged install);
#  - the example configuration parses and runs (with a file instead of its interface);
#  - under systemd's readiness protocol (NOTIFY_SOCKET, Type=notify) fluxprobe says READY=1
#    once capture runs and STOPPING=1 when it ends;
#  - every helper script answers --help.
source "$(dirname "$0")/lib.sh"
: "${BUILD_ROOT:?BUILD_ROOT must point at the meson build directory}"
src=$(dirname "$0")/..

meson install -C "$BUILD_ROOT" --destdir "$T/inst" --no-rebuild >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "meson install failed"; }
root=$T/inst/usr/local
for f in sbin/fluxprobe share/man/man8/fluxprobe.8 \
	lib/systemd/system/fluxprobe.service lib/systemd/system/fluxprobe-dpdk.service; do
	[ -s "$root/$f" ] || fail "not installed: $f"
done
# the configuration lives where the documentation and the units say, whatever the prefix
[ -s "$T/inst/etc/fluxprobe/fluxprobe.conf.example" ] || fail "not installed: /etc/fluxprobe/fluxprobe.conf.example"
grep -q -- "--config /etc/fluxprobe/fluxprobe.conf " "$root/lib/systemd/system/fluxprobe.service" ||
	fail "the unit does not read /etc/fluxprobe/fluxprobe.conf"
grep -q "^LogsDirectory=fluxprobe" "$root/lib/systemd/system/fluxprobe.service" ||
	fail "the unit gives --json no writable directory"
note "installed: binary, man page, example config, two units"

groff -man -ww -z "$root/share/man/man8/fluxprobe.8" 2>"$T/groff.err" || fail "groff failed"
[ ! -s "$T/groff.err" ] || { cat "$T/groff.err"; fail "groff warnings in fluxprobe.8"; }
"$root/sbin/fluxprobe" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$T/help.opts"
# in the man page options are written \-\-name
sed 's/\\-/-/g' "$root/share/man/man8/fluxprobe.8" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u \
	>"$T/man.opts"
if ! diff "$T/help.opts" "$T/man.opts" >"$T/opts.diff"; then
	cat "$T/opts.diff"
	fail "--help and fluxprobe(8) disagree on the options (< only in --help, > only in the man page)"
fi
note "man page and --help list the same $(wc -l <"$T/help.opts") long options"

for unit in fluxprobe.service fluxprobe-dpdk.service; do
	sed "s|/usr/local|$root|g" "$root/lib/systemd/system/$unit" >"$T/$unit"
	systemd-analyze verify --man=no "$T/$unit" 2>"$T/verify.err" ||
		{ cat "$T/verify.err"; fail "systemd-analyze rejects $unit"; }
done
note "systemd-analyze verify accepts both units"

"$FPGEN" -o "$T/in.pcap" -n 5000 -f 500 >"$T/truth.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|^interface = .*|read = $T/in.pcap|" -e "s|^metrics = .*|metrics = 127.0.0.1:$port|" \
	"$T/inst/etc/fluxprobe/fluxprobe.conf.example" >"$T/example.conf"
"$root/sbin/fluxprobe" --config "$T/example.conf" --summary json -q >"$T/example.json" ||
	fail "the example configuration does not run"
expect_eq "packets with the example configuration" "$(json_get "$T/example.json" packets)" \
	"$(json_get "$T/truth.json" packets)"

# systemd's notify protocol, as a Type=notify unit sees it
socat -u UNIX-RECV:"$T/notify.sock" CREATE:"$T/notify.txt" &
PIDS+=("$!")
for _ in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$T/notify.sock "$root/sbin/fluxprobe" --read "$T/in.pcap" -q ||
	fail "run with NOTIFY_SOCKET failed"
sleep 0.3
grep -q "READY=1" "$T/notify.txt" || fail "no READY=1 on the notify socket"
grep -q "STOPPING=1" "$T/notify.txt" || fail "no STOPPING=1 on the notify socket"
note "notify socket got: $(tr '\n' ' ' <"$T/notify.txt")"

for s in "$src"/scripts/*; do
	[ -f "$s" ] && [ -x "$s" ] || continue
	"$s" --help >"$T/script-help" 2>&1 || fail "$(basename "$s") --help exits non-zero"
	[ -s "$T/script-help" ] || fail "$(basename "$s") --help says nothing"
done
note "every script answers --help"
echo "ok: install"
