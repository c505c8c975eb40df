#!/usr/bin/python3
"""--payload's bytes against the capture they came from.

Usage: payload_check.py CAPTURE JSON BYTES [biflow] [--ipfixdump TXT | --clickhouse TSV]
The truth: for each direction of each TCP or UDP flow of CAPTURE (tshark), the payload of its
first packet that has one. Each JSON line's payload (base64) must be that of its direction, cut
at BYTES, and absent where the direction sent none; with biflow, reversePayload the responder's.
--ipfixdump: libfixbuf's ipfixDump --yaf output of the IPFIX export of the same run must carry
the same bytes in YAF's payload / reversePayload; --clickhouse: rows of src_port, dst_port,
proto, hex(payload), hex(rev_payload) must too. Ports identify the flows (a loopback capture)."""
import base64
import json
import re
import subprocess
import sys

cap, json_path, nbytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
rest = sys.argv[4:]
biflow = "biflow" in rest
out = subprocess.run(["tshark", "-r", cap, "-T", "fields", "-e", "ip.proto", "-e", "tcp.srcport",
                      "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport", "-e",
                      "tcp.payload", "-e", "udp.payload", "-E", "occurrence=f"],
                     check=True, capture_output=True, text=True).stdout
first = {}  # (proto, sport, dport) -> the first payload
seen = set()
for line in out.splitlines():
    c = line.split("\t")
    if len(c) < 7 or not c[0]:
        continue
    proto = int(c[0])
    sport, dport = (c[1], c[2]) if proto == 6 else (c[3], c[4])
    if not sport:
        continue
    k = (proto, int(sport), int(dport))
    seen.add(k)
    data = bytes.fromhex((c[5] if proto == 6 else c[6]).replace(":", ""))
    if data and k not in first:
        first[k] = data

bad, n, compared = [], 0, 0


def expect(where, k, got):
    global compared
    want = first.get(k, b"")[:nbytes]
    compared += 1
    if got != want:
        bad.append("%s %s: %d bytes %r..., want %d bytes %r..." % (where, k, len(got), got[:16],
                                                                  len(want), want[:16]))


records = {}
for line in open(json_path):
    d = json.loads(line)
    if d.get("protocolIdentifier") not in (6, 17):
        continue
    k = (d["protocolIdentifier"], d["sourceTransportPort"], d["destinationTransportPort"])
    fwd = base64.b64decode(d["payload"]) if "payload" in d else b""
    rev = base64.b64decode(d["reversePayload"]) if "reversePayload" in d else b""
    if "payload" in d and not fwd or "reversePayload" in d and not rev:
        bad.append("%s: an empty payload written" % (k,))
    records[k] = (fwd, rev)
    n += 1
    expect("json", k, fwd)
    if biflow:
        expect("json reverse", (k[0], k[2], k[1]), rev)
    elif rev:
        bad.append("%s: reversePayload without --biflow" % (k,))
if n == 0:
    bad.append("no TCP or UDP record")

if "--ipfixdump" in rest:
    text = open(rest[rest.index("--ipfixdump") + 1]).read()
    got = {}
    # ipfixDump prints each data record's elements one a line, "(PEN/id) name : value"; octet
    # arrays (--hexdump) as "(len: N) 0x..."
    for rec in re.split(r"\n(?=--- data record)", text):
        f = {}
        for m in re.finditer(r"^\s*\([\d/]+\)(?:\s*\(S\))?\s+(\w+)\s*:\s*(.*)$", rec, re.M):
            f[m.group(1)] = m.group(2).strip()
        if "sourceTransportPort" not in f:
            continue

        def hexval(name):
            v = f.get(name, "")
            m = re.search(r"0x([0-9a-fA-F]*)", v)
            return bytes.fromhex(m.group(1)) if m else b""
        k = (int(f["protocolIdentifier"]), int(f["sourceTransportPort"]),
             int(f["destinationTransportPort"]))
        got[k] = (hexval("payload"), hexval("reversePayload"))
    if not got:
        bad.append("ipfixDump: no data record read")
    for k, v in got.items():
        if k in records and v != records[k]:
            bad.append("ipfix %s: %r / %r, the JSON lines say %r / %r" % (
                k, v[0][:12], v[1][:12], records[k][0][:12], records[k][1][:12]))
    compared += len(got)
if "--clickhouse" in rest:
    rows = 0
    for line in open(rest[rest.index("--clickhouse") + 1]):
        c = line.rstrip("\n").split("\t")
        k = (int(c[2]), int(c[0]), int(c[1]))
        if k[0] not in (6, 17):
            continue
        rows += 1
        v = (bytes.fromhex(c[3]), bytes.fromhex(c[4]))
        if records.get(k) != v:
            bad.append("clickhouse %s: %r / %r, the JSON lines say %r" % (k, v[0][:12], v[1][:12],
                                                                         records.get(k)))
    if rows != n:
        bad.append("clickhouse: %d rows, the JSON lines %d" % (rows, n))
    compared += rows

if bad:
    print("# %d differences: %s" % (len(bad), "; ".join(bad[:6])))
    sys.exit(1)
print("# %d records, %d payloads compared (BYTES %d%s), each as captured" % (
    n, compared, nbytes, ", biflow" if biflow else ""))
