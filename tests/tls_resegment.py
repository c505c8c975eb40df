#!/usr/bin/env python3
"""Cut every TCP payload of a capture into segments of 1 to MAX bytes (a seeded random size
each), sending every fifth segment twice (a retransmission), so that TLS hellos and
certificates span many segments: tests/e2e_tlsfp.sh reads the result against tshark's own
reassembly of it.

usage: tls_resegment.py IN OUT [MAX]
"""
import random
import sys

from scapy.all import IP, IPv6, TCP, PcapReader, PcapWriter  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    most = int(sys.argv[3]) if len(sys.argv) > 3 else 97
    rnd = random.Random(7)
    out = PcapWriter(dst, sync=True)
    n = 0
    for pkt in PcapReader(src):
        ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
        tcp = pkt.getlayer(TCP)
        data = bytes(tcp.payload) if tcp is not None else b""
        if tcp is None or len(data) <= most:
            out.write(pkt)
            continue
        off = 0
        t = float(pkt.time)
        while off < len(data):
            k = min(rnd.randint(1, most), len(data) - off)
            seg = pkt.copy()
            sip = seg.getlayer(IP) or seg.getlayer(IPv6)
            st = seg.getlayer(TCP)
            st.seq = (tcp.seq + off) & 0xFFFFFFFF
            st.remove_payload()
            st.add_payload(data[off:off + k])
            if sip.version == 4:
                del sip.len
                del sip.chksum
            else:
                del sip.plen
            del st.chksum
            seg = seg.__class__(bytes(seg))
            n += 1
            copies = 2 if n % 5 == 0 else 1
            for _ in range(copies):
                seg.time = t
                t += 1e-6
                out.write(seg)
            off += k
    out.close()


if __name__ == "__main__":
    main()
