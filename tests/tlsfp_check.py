#!/usr/bin/env python3
"""--fields tls against the capture, as tshark dissects it (tests/e2e_tlsfp.sh).

usage: tlsfp_check.py CAPTURE CERT RECORDS.json [--ecs ECS.json] [--ipfix IPFIX.pdml]
                      [--clickhouse CH.tsv] [--min N]

Truth, per TCP connection (the client's port): tshark's tls.handshake.ja3 and ja3s; JA4 made
here from tshark's fields of the ClientHello (FoxIO's JA4.md: ciphers, extensions, signature
algorithms, supported versions, ALPN, server name; GREASE left out) -- an implementation apart
from fluxprobe's C; the version (supported_version, else the handshake's), the cipher suite and
the ALPN the ServerHello chose; and, for a full TLS 1.2 handshake, the subject, issuer and end
of validity of CERT as openssl prints them (-nameopt RFC2253).
Every record of each connection (both directions) must carry exactly that, in the JSON lines,
in ECS, in the IPFIX records tshark decoded, and in ClickHouse's rows.
"""
import calendar
import hashlib
import json
import subprocess
import sys
import time

GREASE = {0x0A0A + 0x1010 * i for i in range(16)}

TSHARK_FIELDS = [
    "tcp.srcport", "tcp.dstport", "tls.handshake.type", "tls.handshake.ja3",
    "tls.handshake.ja3s", "tls.handshake.ciphersuite", "tls.handshake.extension.type",
    "tls.handshake.sig_hash_alg", "tls.handshake.extensions.supported_version",
    "tls.handshake.extensions_alpn_str", "tls.handshake.extensions_server_name",
    "tls.handshake.version",
]


def tshark_hellos(capture):
    cmd = ["tshark", "-r", capture, "-2", "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2 || tls.handshake.type == 11",
           "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(TSHARK_FIELDS) - len(v))
        rows.append({f: (x.split(";") if x else []) for f, x in zip(TSHARK_FIELDS, v)})
    return rows


def num(x):
    return int(x, 0)


def ja4(r):
    """FoxIO's JA4 of a ClientHello from tshark's fields."""
    ciphers = [num(c) for c in r["tls.handshake.ciphersuite"] if num(c) not in GREASE]
    exts = [num(e) for e in r["tls.handshake.extension.type"] if num(e) not in GREASE]
    sigs = [num(s) for s in r["tls.handshake.sig_hash_alg"] if num(s) not in GREASE]
    sv = [num(v) for v in r["tls.handshake.extensions.supported_version"] if num(v) not in GREASE]
    version = max(sv) if sv else num(r["tls.handshake.version"][0])
    vname = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
             0x0200: "s2", 0x0100: "s1"}.get(version, "00")
    sni = "d" if 0 in exts else "i"
    alpn = r["tls.handshake.extensions_alpn_str"]
    a = "00"
    if alpn and alpn[0]:
        v = alpn[0]
        a = v[0] + v[-1] if (v[0].isalnum() and v[-1].isalnum()) else "??"

    def h(s):
        return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"
    c = ",".join("%04x" % x for x in sorted(ciphers))
    e = ",".join("%04x" % x for x in sorted(x for x in exts if x not in (0, 0x10)))
    if sigs:
        e += "_" + ",".join("%04x" % x for x in sigs)
    return "t%s%s%02d%02d%s_%s_%s" % (vname, sni, min(len(ciphers), 99), min(len(exts), 99), a,
                                      h(c), h(e))


def cert_truth(cert):
    def x509(*args):
        return subprocess.run(["openssl", "x509", "-in", cert, "-noout", *args],
                              capture_output=True, text=True, check=True).stdout.strip()
    subject = x509("-subject", "-nameopt", "RFC2253").split("=", 1)[1]
    issuer = x509("-issuer", "-nameopt", "RFC2253").split("=", 1)[1]
    end = x509("-enddate").split("=", 1)[1]
    t = calendar.timegm(time.strptime(end, "%b %d %H:%M:%S %Y %Z"))
    return subject, issuer, t


def truth(capture, cert):
    subject, issuer, not_after = cert_truth(cert)
    conns = {}
    for r in tshark_hellos(capture):
        types = [num(t) for t in r["tls.handshake.type"]]
        sport, dport = int(r["tcp.srcport"][0]), int(r["tcp.dstport"][0])
        if 1 in types:
            c = conns.setdefault(sport, {})
            c["tlsJa3"] = r["tls.handshake.ja3"][0]
            c["tlsJa4"] = ja4(r)
            sni = r["tls.handshake.extensions_server_name"]
            if sni:
                c["tlsServerName"] = sni[0]
            alpn = r["tls.handshake.extensions_alpn_str"]
            if alpn:
                c["tlsAlpnOffered"] = alpn[0]
        if 2 in types:
            c = conns.setdefault(dport, {})
            c["tlsJa3s"] = r["tls.handshake.ja3s"][0]
            sv = r["tls.handshake.extensions.supported_version"]
            version = num(sv[0]) if sv else num(r["tls.handshake.version"][0])
            c["tlsVersion"] = version
            c["tlsCipherSuite"] = num(r["tls.handshake.ciphersuite"][0])
            alpn = r["tls.handshake.extensions_alpn_str"]
            if alpn:
                c["tlsAlpn"] = alpn[0]
            # TLS 1.2: a full handshake's Certificate follows (resumed sessions have none)
            c["_full12"] = c.get("_full12", False) or (version < 0x0304 and 11 in types)
        if 11 in types and dport in conns:
            conns[dport]["_full12"] = True
    for c in conns.values():
        if c.pop("_full12", False):
            c["tlsServerSubject"] = subject
            c["tlsServerIssuer"] = issuer
            c["tlsServerNotAfter"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                   time.gmtime(not_after))
    return conns


TLS_KEYS = ["tlsServerName", "tlsJa3", "tlsJa4", "tlsJa3s", "tlsVersion", "tlsCipherSuite",
            "tlsAlpnOffered", "tlsAlpn", "tlsServerSubject", "tlsServerIssuer",
            "tlsServerNotAfter"]


def client_port(rec, conns):
    for p in (rec.get("sourceTransportPort"), rec.get("destinationTransportPort")):
        if p in conns:
            return p
    return None


def check_json(path, conns, errors):
    seen = {}
    for line in open(path):
        rec = json.loads(line)
        if rec.get("protocolIdentifier") != 6:
            continue
        p = client_port(rec, conns)
        got = {k: rec[k] for k in TLS_KEYS if k in rec}
        if p is None:
            if got:
                errors.append("%s: a record of no TLS connection has %s" % (path, got))
            continue
        seen[p] = seen.get(p, 0) + 1
        if got != conns[p]:
            errors.append("%s: connection from port %d: %s, tshark: %s" % (path, p, got, conns[p]))
    for p in conns:
        if seen.get(p, 0) < 2:
            errors.append("%s: connection from port %d: %d records, 2 wanted" % (path, p, seen.get(p, 0)))
    return seen


ECS_OF = {"tlsServerName": "tls.client.server_name", "tlsJa3": "tls.client.ja3",
          "tlsJa4": "fluxprobe.tls.ja4", "tlsJa3s": "tls.server.ja3s",
          "tlsAlpnOffered": "fluxprobe.tls.alpn_offered", "tlsAlpn": "tls.next_protocol",
          "tlsServerSubject": "tls.server.subject", "tlsServerIssuer": "tls.server.issuer"}
VERSIONS = {0x0301: "1.0", 0x0302: "1.1", 0x0303: "1.2", 0x0304: "1.3"}


def dotted(doc, path):
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def check_ecs(path, conns, errors):
    for line in open(path):
        doc = json.loads(line)
        ports = (dotted(doc, "source.port"), dotted(doc, "destination.port"))
        p = next((x for x in ports if x in conns), None)
        if p is None:
            if dotted(doc, "tls") is not None:
                errors.append("ECS: a record of no TLS connection has tls: %s" % dotted(doc, "tls"))
            continue
        want = conns[p]
        for k, path_ in ECS_OF.items():
            if dotted(doc, path_) != want.get(k):
                errors.append("ECS %s of port %d: %r, want %r" % (path_, p, dotted(doc, path_), want.get(k)))
        if dotted(doc, "tls.version") != VERSIONS.get(want.get("tlsVersion")):
            errors.append("ECS tls.version of port %d: %r" % (p, dotted(doc, "tls.version")))
        if want.get("tlsVersion") and dotted(doc, "tls.version_protocol") != "tls":
            errors.append("ECS tls.version_protocol of port %d" % p)
        if "tlsServerNotAfter" in want and dotted(doc, "tls.server.not_after")[:19] != want["tlsServerNotAfter"][:19]:
            errors.append("ECS tls.server.not_after of port %d: %r" % (p, dotted(doc, "tls.server.not_after")))


IPFIX_FIELDS = ["cflow.pie.ixia.ja3-fingerprint", "cflow.pie.gigamon.sslserverversion",
                "cflow.pie.gigamon.sslservercipher", "cflow.pie.gigamon.sslcertificatesubject",
                "cflow.pie.gigamon.sslcertificateissuer",
                "cflow.pie.gigamon.sslcertificatevalidnotafter", "cflow.pie.ntop.ssl_server_name"]


def ipfix_records(pdml):
    """The data records of tshark's PDML of the IPFIX messages: {field: shown value}."""
    import xml.etree.ElementTree as ET
    for _, el in ET.iterparse(pdml):
        if el.tag != "packet":
            continue
        for f in el.iter("field"):
            if f.get("name") == "" and (f.get("show") or "").startswith("Flow "):
                yield {c.get("name"): c.get("show") or "" for c in f if c.get("name")}
        el.clear()


def check_ipfix(path, conns, errors):
    """tshark's decode (-T pdml) of the IPFIX records: Ixia's JA3, Gigamon's version, cipher,
    subject, issuer, not-after, ntop's server name."""
    n = 0
    for rec in ipfix_records(path):
        if "cflow.srcport" not in rec:
            continue
        sp, dp = int(rec["cflow.srcport"]), int(rec["cflow.dstport"])
        p = sp if sp in conns else dp if dp in conns else None
        got = [rec.get(f, "") for f in IPFIX_FIELDS]
        if p is None:
            continue
        n += 1
        w = conns[p]
        want = [w.get("tlsJa3", ""), str(w.get("tlsVersion", 0)), str(w.get("tlsCipherSuite", 0)),
                w.get("tlsServerSubject", ""), w.get("tlsServerIssuer", ""),
                w.get("tlsServerNotAfter", "")[:19] + ("Z" if "tlsServerNotAfter" in w else ""),
                w.get("tlsServerName", "")]
        if got != want:
            errors.append("IPFIX record of port %d: %s, want %s" % (p, got, want))
    if n < 2 * len(conns):
        errors.append("IPFIX: %d records of TLS connections, %d wanted" % (n, 2 * len(conns)))


def check_clickhouse(path, conns, errors):
    """rows: src_port, dst_port, tls_ja3, tls_ja4, tls_ja3s, tls_version, tls_cipher,
    tls_alpn, tls_server_subject"""
    n = 0
    for line in open(path):
        v = line.rstrip("\n").split("\t")
        sp, dp = int(v[0]), int(v[1])
        p = sp if sp in conns else dp if dp in conns else None
        if p is None:
            continue
        n += 1
        w = conns[p]
        want = [w.get("tlsJa3", ""), w.get("tlsJa4", ""), w.get("tlsJa3s", ""),
                str(w.get("tlsVersion", 0)), str(w.get("tlsCipherSuite", 0)),
                w.get("tlsAlpn", ""), w.get("tlsServerSubject", "")]
        if v[2:9] != want:
            errors.append("ClickHouse row of port %d: %s, want %s" % (p, v[2:9], want))
    if n < 2 * len(conns):
        errors.append("ClickHouse: %d rows of TLS connections, %d wanted" % (n, 2 * len(conns)))


def main():
    args = sys.argv[1:]
    opts = {}
    while len(args) > 3 and args[-2].startswith("--"):
        opts[args[-2]] = args[-1]
        args = args[:-2]
    capture, cert, records = args
    conns = truth(capture, cert)
    errors = []
    if len(conns) < int(opts.get("--min", "1")):
        errors.append("only %d TLS connections in the capture" % len(conns))
    check_json(records, conns, errors)
    if "--ecs" in opts:
        check_ecs(opts["--ecs"], conns, errors)
    if "--ipfix" in opts:
        check_ipfix(opts["--ipfix"], conns, errors)
    if "--clickhouse" in opts:
        check_clickhouse(opts["--clickhouse"], conns, errors)
    for e in errors[:20]:
        print(e)
    if errors:
        return 1
    ja4s = sorted({c["tlsJa4"] for c in conns.values() if "tlsJa4" in c})
    certs = sum(1 for c in conns.values() if "tlsServerSubject" in c)
    print("%d connections, %d distinct JA4 (%s ...), %d certificates: every record as tshark and openssl"
          % (len(conns), len(ja4s), ", ".join(ja4s[:2]), certs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
