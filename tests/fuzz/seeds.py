#!/usr/bin/env python3
"""Cut fuzz seeds out of capture files: for fuzz_parse one file per frame ([link selector][frame]),
for fuzz_flow one file per capture (up to 64 frames as [link][time step][length][frame]).

usage: seeds.py OUTDIR CAPTURE... (pcapng files need editcap to convert; others are skipped)"""
import os
import struct
import subprocess
import sys
import tempfile

# index of the link type in fuzz_parse.c's and fuzz_flow.c's tables
PARSE_LINKS = {1: 0, 101: 1, 12: 1, 228: 2, 229: 3, 113: 4, 276: 5, 0: 6, 108: 7}
FLOW_LINKS = {1: 0, 101: 1, 12: 1, 113: 2, 276: 3, 0: 4}


def frames(path):
    data = open(path, "rb").read()
    if len(data) >= 4 and data[:4] == b"\x0a\x0d\x0d\x0a":
        with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
            if subprocess.run(["editcap", "-F", "pcap", path, tmp.name],
                              capture_output=True).returncode != 0:
                return None, []
            data = open(tmp.name, "rb").read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
              b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if endian is None:
        return None, []
    link = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    out, off = [], 24
    while off + 16 <= len(data) and len(out) < 64:
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        out.append(data[off:off + caplen])
        off += caplen
    return link, out


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    for sub in ("parse", "flow"):
        os.makedirs(os.path.join(outdir, sub), exist_ok=True)
    np = nf = 0
    for path in files:
        link, frs = frames(path)
        base = os.path.basename(path)
        if link in PARSE_LINKS:
            for i, fr in enumerate(frs[:8]):
                with open(os.path.join(outdir, "parse", f"{base}.{i}"), "wb") as f:
                    f.write(bytes([PARSE_LINKS[link]]) + fr)
                np += 1
        if link in FLOW_LINKS and frs:
            blob = b"".join(bytes([FLOW_LINKS[link], 1, min(len(fr), 255)]) + fr[:255] for fr in frs)
            with open(os.path.join(outdir, "flow", base), "wb") as f:
                f.write(blob)
            nf += 1
    print(f"{np} parse seeds, {nf} flow seeds in {outdir}")


main()
