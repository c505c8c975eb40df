#!/usr/bin/python3
"""Records of classic pcap files, one line each, to compare stores with their input byte for byte:
"SECONDS.NANOSECONDS CAPLEN WIRELEN SHA1-OF-DATA".

  pcap_records.py [--snap N] FILE...   the records of the files in the order given
                                       (--snap N: as if each had been cut to N bytes)
A record cut short at the end of a file (a killed writer) is reported on stderr and ends
that file; a file that is not a classic pcap is an error (exit 2).
"""
import hashlib
import struct
import sys


def records(path, snap):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            sys.exit("%s: no pcap header" % path)
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            end = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            end = ">"
        else:
            sys.exit("%s: not a classic pcap file" % path)
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        while True:
            h = f.read(16)
            if not h:
                return
            if len(h) < 16:
                print("%s: a record header cut short" % path, file=sys.stderr)
                return
            sec, sub, caplen, wirelen = struct.unpack(end + "IIII", h)
            data = f.read(caplen)
            if len(data) < caplen:
                print("%s: a record cut short" % path, file=sys.stderr)
                return
            if snap and caplen > snap:
                data, caplen = data[:snap], snap
            ns = sub if nano else sub * 1000
            yield "%d.%09d %d %d %s" % (sec, ns, caplen, wirelen, hashlib.sha1(data).hexdigest())


def main():
    args = sys.argv[1:]
    snap = 0
    if args[:1] == ["--snap"]:
        snap = int(args[1])
        args = args[2:]
    out = sys.stdout
    for path in args:
        for line in records(path, snap):
            out.write(line + "\n")


main()
