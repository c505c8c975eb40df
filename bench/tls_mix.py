#!/usr/bin/env python3
"""A TLS-heavy capture for bench/tlstcp.sh: F TLS 1.3 connections live at once, each carrying
application-data records (TLS type 23) in frames of 60-400 bytes; every tenth packet belongs to
a new connection's handshake instead (SYN, SYN-ACK, ACK, a Chrome-like ClientHello with its own
server name, a ServerHello: one new connection per 70 packets), which takes the place of the
oldest connection (its FIN each way). Addresses in
198.18.0.0/15. Written with struct, not scapy: millions of packets in seconds.

usage: tls_mix.py OUT.pcap PACKETS FLOWS [SEED]
"""
import random
import struct
import sys

GREASE = 0x2A2A


def u16(v):
    return struct.pack("!H", v)


def ext(t, body):
    return u16(t) + u16(len(body)) + body


def client_hello(rnd, name):
    ciphers = [GREASE, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
               0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
    sni = name.encode()
    exts = b"".join([
        ext(0x0A0A, b""),
        ext(0x0000, u16(len(sni) + 3) + b"\x00" + u16(len(sni)) + sni),
        ext(0x0017, b""),
        ext(0xFF01, b"\x00"),
        ext(0x000A, u16(8) + u16(GREASE) + u16(0x001D) + u16(0x0017) + u16(0x0018)),
        ext(0x000B, b"\x01\x00"),
        ext(0x0023, b""),
        ext(0x0010, u16(12) + b"\x02h2\x08http/1.1"),
        ext(0x0005, b"\x01\x00\x00\x00\x00"),
        ext(0x000D, u16(16) + b"".join(u16(s) for s in (0x0403, 0x0804, 0x0401, 0x0503,
                                                        0x0805, 0x0501, 0x0806, 0x0601))),
        ext(0x0012, b""),
        ext(0x0033, u16(38) + u16(0x001D) + u16(32) + rnd.randbytes(32)),
        ext(0x002D, b"\x01\x01"),
        ext(0x002B, b"\x06" + u16(GREASE) + u16(0x0304) + u16(0x0303)),
        ext(0x001B, b"\x02\x00\x02"),
    ])
    body = (u16(0x0303) + rnd.randbytes(32) + b"\x20" + rnd.randbytes(32) +
            u16(2 * len(ciphers)) + b"".join(u16(c) for c in ciphers) + b"\x01\x00" +
            u16(len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + u16(len(hs)) + hs


def server_hello(rnd):
    exts = ext(0x002B, u16(0x0304)) + ext(0x0033, u16(0x001D) + u16(32) + rnd.randbytes(32))
    body = (u16(0x0303) + rnd.randbytes(32) + b"\x20" + rnd.randbytes(32) + u16(0x1301) + b"\x00" +
            u16(len(exts)) + exts)
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + u16(len(hs)) + hs


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0,
                     src, dst)
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp + payload


class Conn:
    def __init__(self, k, port):
        self.c = bytes((198, 18 + (k >> 16 & 1), k >> 8 & 255, k & 255))
        self.s = bytes((198, 19, 255, 1 + (k % 200)))
        self.cport, self.sport = port, 443
        self.cseq, self.sseq = 1000, 5000


def main():
    out, npackets, nflows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    conns = [Conn(k, 10000 + k % 50000) for k in range(nflows)]
    f = open(out, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    ts = 1767225600 * 1000000
    handshakes, data, nxt, port = 0, 0, 0, 0
    pending = []  # the handshake being written: its packets
    written = 0
    while written < npackets:
        if written % 10 == 9:
            if not pending:  # a new connection in place of the oldest
                k = nxt
                nxt = (nxt + 1) % nflows
                port += 1
                old = conns[k]
                c = conns[k] = Conn(k, 10000 + (port * 7919 + k) % 55000)
                ch = client_hello(rnd, "host%d.example" % (port % 5000))
                sh = server_hello(rnd)
                pending = [
                    frame(c.c, c.s, c.cport, c.sport, c.cseq - 1, 0, 0x02, b""),
                    frame(c.s, c.c, c.sport, c.cport, c.sseq - 1, c.cseq, 0x12, b""),
                    frame(c.c, c.s, c.cport, c.sport, c.cseq, c.sseq, 0x10, b""),
                    frame(c.c, c.s, c.cport, c.sport, c.cseq, c.sseq, 0x18, ch),
                    frame(c.s, c.c, c.sport, c.cport, c.sseq, c.cseq + len(ch), 0x18, sh),
                    # the connection it replaces ends: FIN each way
                    frame(old.c, old.s, old.cport, old.sport, old.cseq, old.sseq, 0x11, b""),
                    frame(old.s, old.c, old.sport, old.cport, old.sseq, old.cseq + 1, 0x11, b""),
                ]
                c.cseq += len(ch)
                c.sseq += len(sh)
                handshakes += 1
            pkt = pending.pop(0)
        else:
            c = conns[rnd.randrange(nflows)]
            n = rnd.randrange(6, 346)
            rec = b"\x17\x03\x03" + u16(n) + bytes(n)
            if rnd.random() < 0.5:
                pkt = frame(c.c, c.s, c.cport, c.sport, c.cseq, c.sseq, 0x18, rec)
                c.cseq += len(rec)
            else:
                pkt = frame(c.s, c.c, c.sport, c.cport, c.sseq, c.cseq, 0x18, rec)
                c.sseq += len(rec)
            data += 1
        ts += 1
        f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(pkt), len(pkt)) + pkt)
        written += 1
    f.close()
    print('{"packets": %d, "handshakes": %d, "data_packets": %d, "flows": %d}'
          % (written, handshakes, data, nflows))


if __name__ == "__main__":
    main()
