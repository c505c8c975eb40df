#!/usr/bin/env python3
"""--fields tcp against Wireshark's TCP analysis of the same capture (tests/e2e_tcphealth.sh).

usage: tcpa_check.py CAPTURE RECORDS.json [--biflow] [--ipfix IPFIX.pdml] [--min-retrans N]
                     [--min-ooo N] [--min-zero N]

Truth, per TCP flow direction (source address and port, destination address and port): the
frames tshark marks tcp.analysis.retransmission, fast_retransmission or spurious_retransmission
(counted once each, and their tcp.len summed), out_of_order, zero_window. Every TCP record must
carry exactly these counts (the reverse direction's in the reverse fields with --biflow; a
direction without any: 0). The --min options make sure the capture shows each kind at all.
With --ipfix, ntop's elements in tshark's decode of the IPFIX records must agree too.
"""
import collections
import json
import subprocess
import sys

KINDS = {
    "retrans": "tcp.analysis.retransmission || tcp.analysis.fast_retransmission || "
               "tcp.analysis.spurious_retransmission",
    "ooo": "tcp.analysis.out_of_order",
    "zero": "tcp.analysis.zero_window",
}


def truth(capture):
    counts = collections.defaultdict(lambda: {"retrans": 0, "retrans_bytes": 0, "ooo": 0, "zero": 0})
    for kind, flt in KINDS.items():
        out = subprocess.run(
            ["tshark", "-r", capture, "-Y", flt, "-T", "fields", "-e", "ip.src", "-e", "ipv6.src",
             "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
             "-e", "tcp.len"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            s4, s6, sp, d4, d6, dp, ln = line.split("\t")
            key = (s4 or s6, int(sp), d4 or d6, int(dp))
            counts[key][kind] += 1
            if kind == "retrans":
                counts[key]["retrans_bytes"] += int(ln or 0)
    return counts


def addr(rec, side):
    return rec.get(side + "IPv4Address") or rec.get(side + "IPv6Address")


def main():
    args = sys.argv[1:]
    capture, records = args[0], args[1]
    biflow = "--biflow" in args
    opt = {args[i]: args[i + 1] for i in range(2, len(args) - 1) if args[i].startswith("--min") or
           args[i] == "--ipfix"}
    want = truth(capture)
    errors, seen = [], set()
    fields = [("tcpRetransmittedPackets", "retrans"), ("tcpRetransmittedBytes", "retrans_bytes"),
              ("tcpOutOfOrderPackets", "ooo"), ("tcpZeroWindowPackets", "zero")]
    total = collections.Counter()
    nrec = 0
    for line in open(records):
        rec = json.loads(line)
        if rec.get("protocolIdentifier") != 6:
            continue
        nrec += 1
        fwd = (addr(rec, "source"), rec["sourceTransportPort"], addr(rec, "destination"),
               rec["destinationTransportPort"])
        back = (fwd[2], fwd[3], fwd[0], fwd[1])
        dirs = [("", fwd)] + ([("reverse", back)] if biflow else [])
        for prefix, key in dirs:
            seen.add(key)
            w = want.get(key, {"retrans": 0, "retrans_bytes": 0, "ooo": 0, "zero": 0})
            for name, kind in fields:
                k = (prefix + name[0].upper() + name[1:]) if prefix else name
                got = rec.get(k)
                if got != w[kind]:
                    errors.append("%s %s: %s = %r, tshark: %d" % (prefix or "forward", key, k, got, w[kind]))
                total[kind] += w[kind]
    for key, w in want.items():
        if key not in seen and any(w.values()):
            errors.append("no record of %s, where tshark marks %s" % (key, dict(w)))
    for kind, flag in (("retrans", "--min-retrans"), ("ooo", "--min-ooo"), ("zero", "--min-zero")):
        if total[kind] < int(opt.get(flag, "0")):
            errors.append("the capture has only %d %s segments (%s %s)" % (total[kind], kind, flag, opt[flag]))
    if "--ipfix" in opt:
        check_ipfix(opt["--ipfix"], want, biflow, errors)
    for e in errors[:20]:
        print(e)
    if errors:
        return 1
    print("%d TCP records: %d retransmissions (%d bytes), %d out of order, %d zero windows, "
          "each flow and direction as tshark's analysis" % (nrec, total["retrans"],
                                                           total["retrans_bytes"], total["ooo"],
                                                           total["zero"]))
    return 0


def check_ipfix(pdml, want, biflow, errors):
    import xml.etree.ElementTree as ET
    n = 0
    for _, el in ET.iterparse(pdml):
        if el.tag != "packet":
            continue
        for f in el.iter("field"):
            if f.get("name") != "" or not (f.get("show") or "").startswith("Flow "):
                continue
            r = {c.get("name"): c.get("show") for c in f if c.get("name")}
            if r.get("cflow.protocol") not in ("6", "TCP") or "cflow.srcport" not in r:
                continue
            src = r.get("cflow.srcaddr") or r.get("cflow.srcaddrv6")
            dst = r.get("cflow.dstaddr") or r.get("cflow.dstaddrv6")
            key = (src, int(r["cflow.srcport"]), dst, int(r["cflow.dstport"]))
            back = (key[2], key[3], key[0], key[1])
            zero = {"retrans": 0, "retrans_bytes": 0, "ooo": 0}
            w, wb = want.get(key, zero), want.get(back, zero)
            got = [int(r.get("cflow.pie.ntop.retransmitted_in_pkts", -1)),
                   int(r.get("cflow.pie.ntop.retransmitted_in_bytes", -1)),
                   int(r.get("cflow.pie.ntop.ooorder_in_pkts", -1))]
            exp = [w["retrans"], w["retrans_bytes"], w["ooo"]]
            if biflow:
                got += [int(r.get("cflow.pie.ntop.retransmitted_out_pkts", -1)),
                        int(r.get("cflow.pie.ntop.retransmitted_out_bytes", -1)),
                        int(r.get("cflow.pie.ntop.ooorder_out_pkts", -1))]
                exp += [wb["retrans"], wb["retrans_bytes"], wb["ooo"]]
            n += 1
            if got != exp:
                errors.append("IPFIX %s: %s, tshark: %s" % (key, got, exp))
        el.clear()
    if n == 0:
        errors.append("IPFIX: no TCP record decoded")


if __name__ == "__main__":
    sys.exit(main())
