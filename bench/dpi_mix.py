#!/usr/bin/python3
"""A realistic application mix for bench/dpi.sh: N connections, 40 % TLS (ClientHello with a server
name, ServerHello, data), 30 % HTTP (request with Host and User-Agent, response), 30 % DNS (query,
answer), each TCP one with its handshake and close; addresses in 198.18.0.0/15, 2001:db8::/32 for
a tenth of them. Usage: dpi_mix.py OUT.pcap [N]"""
import random
import struct
import sys

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.layers.tls.extensions import ServerName, TLS_Ext_ServerName
from scapy.layers.tls.handshake import TLSClientHello, TLSServerHello
from scapy.layers.tls.record import TLS

random.seed(7)
out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20000
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
frames = []  # (time µs, bytes)
t = 1767225600 * 1000000


def ip(i, c2s):
    if i % 10 == 9:
        a, b = "2001:db8::%x" % (i + 1), "2001:db8:1::%x" % (i % 50 + 1)
        return IPv6(src=a, dst=b) if c2s else IPv6(src=b, dst=a)
    a = "198.18.%d.%d" % (i // 250 % 250, i % 250 + 1)
    b = "198.19.0.%d" % (i % 50 + 1)
    return IP(src=a, dst=b) if c2s else IP(src=b, dst=a)


def tcp_conn(i, sport, dport, c2s_payloads, s2c_payloads):
    global t
    seq = {True: 1000, False: 5000}

    def pkt(c2s, flags, data=b""):
        global t
        t += random.randint(20, 400)
        p = Ether(**MAC) / ip(i, c2s) / TCP(sport=sport if c2s else dport, dport=dport if c2s else sport,
                                         flags=flags, seq=seq[c2s], ack=seq[not c2s] if "A" in flags else 0)
        if data:
            p = p / data
        seq[c2s] += len(data) + (1 if "S" in flags or "F" in flags else 0)
        frames.append((t, bytes(p)))
    pkt(True, "S")
    pkt(False, "SA")
    pkt(True, "A")
    for c, s in zip(c2s_payloads, s2c_payloads):
        pkt(True, "PA", c)
        pkt(False, "PA", s)
    pkt(True, "FA")
    pkt(False, "FA")
    pkt(True, "A")


for i in range(n):
    kind = i % 10
    sport = 20000 + i % 40000
    if kind < 4:
        hello = bytes(TLS(msg=[TLSClientHello(ext=[TLS_Ext_ServerName(servernames=[
            ServerName(servername=b"svc%d.tls.example" % (i % 500))])])]))
        server = bytes(TLS(msg=[TLSServerHello()]))
        tcp_conn(i, sport, 443, [hello, b"\x17\x03\x03\x00\x20" + bytes(32)],
                 [server, b"\x17\x03\x03\x00\x40" + bytes(64)])
    elif kind < 7:
        req = b"GET /item/%d HTTP/1.1\r\nHost: www%d.http.example\r\nUser-Agent: bench/%d\r\n\r\n" % (
            i, i % 300, i % 7)
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
        tcp_conn(i, sport, 80, [req], [resp])
    else:
        q = DNS(id=i % 65536, rd=1, qd=DNSQR(qname="host%d.dns.example" % (i % 1000), qtype=1))
        a = DNS(id=i % 65536, qr=1, rd=1, ra=1, qd=q.qd, an=DNSRR(rrname=q.qd.qname, rdata="198.18.9.9"))
        for c2s, msg in ((True, q), (False, a)):
            t += random.randint(20, 400)
            frames.append((t, bytes(Ether(**MAC) / ip(i, c2s) /
                                    UDP(sport=sport if c2s else 53, dport=53 if c2s else sport) / msg)))

frames.sort()
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, b in frames:
        f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(b), len(b)) + b)
print("%d connections, %d packets" % (n, len(frames)))
