#!/usr/bin/env python3
"""Compare what a consumer decoded of --fields all against fields_gen.py's ground truth.

Usage: fields_check.py TRUTH.json IFINDEX SOURCE ARGS...
  json FILE             fluxprobe's --json lines
  tshark PCAPNG PORT    captured IPFIX or v9 export, decoded by tshark
  nfdump DIR            nfcapd's files, read with nfdump (ingress interface, MPLS labels, VLAN)
  nfacctd CSV           pmacct print plugin CSV (in_iface, mpls_label_top, vlan)

Every flow of the truth must appear exactly once with its packets, octets and fields; nothing
else may appear. Prints one line per source and exits 1 with the first differences otherwise.
"""
import json
import subprocess
import sys

truth_path, ifindex, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
truth = json.load(open(truth_path))["flows"]


def key(src, dst, sport, dport, proto):
    return (str(src), str(dst), int(sport), int(dport), int(proto))


want = {key(f["src"], f["dst"], f["sport"], f["dport"], f["proto"]): f for f in truth}
bad = []


def check(got):
    """got: key -> dict of decoded values (only the ones this source decodes)."""
    for k, g in got.items():
        f = want.get(k)
        if f is None:
            bad.append("unexpected flow %s" % (k,))
            continue
        exp = dict(packets=f["packets"], octets=f["octets"], ingress=ifindex, vlan=f["vlan"],
                   vlan_inner=f["vlan_inner"], flow_label=f["flow_label"],
                   mpls=[tuple(m) for m in f["mpls"]], mpls_top=f["mpls"][0][0],
                   gre_key=f["gre_key"], l2_segment=f["l2_segment"])
        for name, val in g.items():
            if name == "flow_label" and f["ipver"] != 6:
                continue
            if val != exp[name]:
                bad.append("%s (%s): %s = %r, want %r" % (k, f["kind"], name, val, exp[name]))
    missing = set(want) - set(got)
    for k in sorted(missing)[:5]:
        bad.append("missing flow %s (%s)" % (k, want[k]["kind"]))
    if len(missing) > 5:
        bad.append("... %d flows missing in all" % len(missing))


def from_json(path):
    got = {}
    for line in open(path):
        r = json.loads(line)
        v6 = r["ipVersion"] == 6
        k = key(r["sourceIPv6Address" if v6 else "sourceIPv4Address"],
                r["destinationIPv6Address" if v6 else "destinationIPv4Address"],
                r["sourceTransportPort"], r["destinationTransportPort"], r["protocolIdentifier"])
        mpls = []
        for name in ("mplsTopLabelStackSection", "mplsLabelStackSection2", "mplsLabelStackSection3"):
            v = int(r[name], 16)
            mpls.append((v >> 4, (v >> 1) & 7, v & 1))
        got[k] = dict(packets=r["packetDeltaCount"], octets=r["octetDeltaCount"],
                      ingress=r["ingressInterface"], vlan=r["dot1qVlanId"],
                      vlan_inner=r["dot1qCustomerVlanId"], flow_label=r.get("flowLabelIPv6", 0),
                      mpls=mpls, gre_key=r["greKey"], l2_segment=r["layer2SegmentId"])
    return got


def flows_in(pairs):
    """Every 'Flow N' object of a tshark -T json tree, as lists of (name, value) pairs."""
    for name, val in pairs:
        if isinstance(val, list) and val and isinstance(val[0], tuple):
            if name.startswith("Flow "):
                yield val
            else:
                yield from flows_in(val)
        elif isinstance(val, list):
            for item in val:
                if isinstance(item, list):
                    yield from flows_in(item)


def from_tshark(path, port):
    out = subprocess.run(["tshark", "-n", "-r", path, "-d", "udp.port==%s,cflow" % port, "-T", "json"],
                         check=True, capture_output=True, text=True).stdout
    frames = json.loads(out, object_pairs_hook=lambda p: p)
    got = {}
    for frame in frames:
        for flow in flows_in(frame):
            d, mpls = {}, []
            for name, val in flow:
                if name.startswith("MPLS-Label"):
                    m = dict(val)
                    mpls.append((int(m["cflow.mpls_label"]), int(m["cflow.mpls_exp"]),
                                 int(m["cflow.mpls_bos"] or 0)))
                else:
                    d[name] = val
            if "cflow.inputint" not in d:
                continue  # an options record
            v6 = "cflow.srcaddrv6" in d
            k = key(d["cflow.srcaddrv6" if v6 else "cflow.srcaddr"],
                    d["cflow.dstaddrv6" if v6 else "cflow.dstaddr"], d["cflow.srcport"],
                    d["cflow.dstport"], d["cflow.protocol"])
            if k in got:
                bad.append("flow %s decoded twice" % (k,))
            got[k] = dict(packets=int(d["cflow.packets"]), octets=int(d["cflow.octets"]),
                          ingress=int(d["cflow.inputint"]), vlan=int(d["cflow.dot1q_vlan_id"]),
                          vlan_inner=int(d["cflow.dot1q_customer_vlan_id"]),
                          flow_label=int(d.get("cflow.ipv6flowlabel", 0)), mpls=mpls,
                          gre_key=int(d["cflow.gre_key"]),
                          l2_segment=int(d["cflow.layer2_segment_id"]))
    return got


PROTO = {"TCP": 6, "UDP": 17}


def from_nfdump(path):
    fmt = "fmt:%sa|%da|%sp|%dp|%pr|%in|%svln|%mpls1|%mpls2|%mpls3|%pkt|%byt"
    out = subprocess.run(["nfdump", "-R", path, "-q", "-N", "-o", fmt], check=True,
                         capture_output=True, text=True).stdout
    got = {}
    for line in out.splitlines():
        c = [x.strip() for x in line.split("|")]
        if len(c) != 12:
            continue
        k = key(c[0], c[1], c[2], c[3], PROTO.get(c[4], c[4]))
        mpls = [tuple(int(x) for x in m.split("-")) for m in c[7:10]]
        got[k] = dict(packets=int(c[10]), octets=int(c[11]), ingress=int(c[5]), vlan=int(c[6]),
                      mpls=mpls)
    return got


def from_nfacctd(path):
    got = {}
    lines = open(path).read().splitlines()
    head = lines[0].split(",")
    for line in lines[1:]:
        r = dict(zip(head, line.split(",")))
        k = key(r["SRC_IP"], r["DST_IP"], r["SRC_PORT"], r["DST_PORT"], PROTO.get(r["PROTOCOL"].upper(), r["PROTOCOL"]))
        got[k] = dict(packets=int(r["PACKETS"]), octets=int(r["BYTES"]), ingress=int(r["IN_IFACE"]),
                      vlan=int(r["VLAN"]), mpls_top=int(r["MPLS_LABEL_TOP"]))
    return got


if source == "json":
    got = from_json(sys.argv[4])
elif source == "tshark":
    got = from_tshark(sys.argv[4], sys.argv[5])
elif source == "nfdump":
    got = from_nfdump(sys.argv[4])
elif source == "nfacctd":
    got = from_nfacctd(sys.argv[4])
else:
    sys.exit("unknown source " + source)
check(got)
if bad:
    print("%s: %d differences, first ones:" % (source, len(bad)))
    for b in bad[:10]:
        print("  " + b)
    sys.exit(1)
print("%s: all %d flows with their fields" % (source, len(want)))
