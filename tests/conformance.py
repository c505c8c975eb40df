#!/usr/bin/env python3
"""Check captured IPFIX (RFC 7011) or NetFlow v9 (RFC 3954) export messages against the rules a
collector relies on. Input: a pcap/pcapng of the exporter's UDP datagrams (as dumpcap writes on
loopback). Checks, per message:
  - the header's length (IPFIX) equals the datagram length; the version is the one expected;
  - sequence numbers: IPFIX = data records sent before in this domain, v9 = packets sent before;
  - every set's length is at least 4 and the sets add up to the message exactly;
  - template ids are >= 256; a data set refers to a template sent earlier;
  - a data set holds whole records of its template, its padding is zero and shorter than a record;
  - v9: the header count equals template records + data records;
  - the IP packet (20 + 8 + payload for IPv4) fits the MTU.
usage: conformance.py ipfix|nfv9 CAPTURE [MTU]   (exit 1 and one line per violation)"""
import struct
import subprocess
import sys
import tempfile


def udp_payloads(path):
    with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
        subprocess.run(["editcap", "-F", "pcap", path, tmp.name], check=True,
                       capture_output=True)
        data = open(tmp.name, "rb").read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    l2 = {1: 14, 0: 4, 113: 16, 276: 20, 101: 0}[link]
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ip = frame[l2:]
        if ip[0] >> 4 == 4:
            ihl = (ip[0] & 15) * 4
            iplen = struct.unpack(">H", ip[2:4])[0]
            yield iplen, ip[ihl + 8:iplen]
        else:
            plen = struct.unpack(">H", ip[4:6])[0]
            yield plen + 40, ip[48:40 + plen]


def check(fmt, path, mtu):
    errors, templates = [], {}
    records_before = packets_before = None
    n = 0
    for iplen, msg in udp_payloads(path):
        n += 1
        where = f"message {n}"
        bad = lambda text: errors.append(f"{where}: {text}")
        if iplen > mtu:
            bad(f"IP packet of {iplen} bytes exceeds MTU {mtu}")
        if fmt == "ipfix":
            ver, length, _, seq, _ = struct.unpack(">HHIII", msg[:16])
            if ver != 10:
                bad(f"version {ver}")
            if length != len(msg):
                bad(f"header length {length} != datagram {len(msg)}")
            if records_before is not None and seq != records_before % 2**32:
                bad(f"sequence {seq}, expected {records_before % 2**32}")
            records_before = seq if records_before is None else records_before
            off, tset, oset = 16, 2, 3
        else:
            ver, count, _, _, seq, _ = struct.unpack(">HHIIII", msg[:20])
            if ver != 9:
                bad(f"version {ver}")
            if packets_before is not None and seq != (packets_before + 1) % 2**32:
                bad(f"sequence {seq}, expected {(packets_before + 1) % 2**32}")
            packets_before = seq
            off, tset, oset = 20, 0, 1
        counted = data_records = 0
        while off < len(msg):
            if len(msg) - off < 4:
                bad("trailing bytes after the last set")
                break
            sid, slen = struct.unpack(">HH", msg[off:off + 4])
            if slen < 4 or off + slen > len(msg):
                bad(f"set at {off} has length {slen}")
                break
            body = msg[off + 4:off + slen]
            if sid == tset:
                p = 0
                while len(body) - p >= 4:
                    tid, fc = struct.unpack(">HH", body[p:p + 4])
                    if tid < 256:
                        bad(f"template id {tid} < 256")
                    # RFC 7011 §3.2: an IPFIX IE with the enterprise bit carries a 4-byte PEN
                    p += 4
                    fields = []
                    for _ in range(fc):
                        ie, ln = struct.unpack(">HH", body[p:p + 4])
                        fields.append((ie, ln))
                        p += 8 if fmt == "ipfix" and ie & 0x8000 else 4
                    templates[tid] = sum(l for _, l in fields)
                    counted += 1
                if any(body[p:]):
                    bad("template set padding not zero")
            elif sid == oset:
                p = 0
                while len(body) - p >= 6:
                    tid, a, b = struct.unpack(">HHH", body[p:p + 6])
                    # IPFIX: field count, scope field count; v9: scope and option lengths in bytes
                    nf = a if fmt == "ipfix" else (a + b) // 4
                    if tid < 256:
                        bad(f"options template id {tid} < 256")
                    if fmt == "ipfix" and (b == 0 or b > a):
                        bad(f"options template {tid}: scope count {b} of {a} fields")
                    if len(body) - p < 6 + 4 * nf:
                        bad(f"options template {tid} runs past its set")
                        break
                    templates[tid] = sum(struct.unpack(">HH", body[p + 6 + 4 * i:p + 10 + 4 * i])[1]
                                         for i in range(nf))
                    p += 6 + 4 * nf
                    counted += 1
                if any(body[p:]):
                    bad("options template set padding not zero")
            elif sid >= 256:
                if sid not in templates:
                    bad(f"data set {sid} before its template")
                else:
                    rl = templates[sid]
                    k, pad = divmod(len(body), rl)
                    if pad >= rl or any(body[k * rl:]):
                        bad(f"data set {sid}: padding of {pad} bytes not zero or not shorter than a record")
                    counted += k
                    data_records += k
            else:
                bad(f"unexpected set id {sid}")
            off += slen
        if fmt == "ipfix":
            records_before += data_records
        elif counted != count:
            bad(f"header count {count} != {counted} records in the packet")
    for e in errors[:20]:
        print("conformance:", e)
    print(f"conformance: {n} {fmt} messages checked, {len(errors)} violations")
    return 1 if errors or n == 0 else 0


sys.exit(check(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1500))
