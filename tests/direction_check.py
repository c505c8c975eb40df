#!/usr/bin/python3
"""Each record's direction in one output against direction_gen.py's truth.

Usage: direction_check.py TRUTH.json flows|biflows SOURCE PATH [PORT]
  json PATH           --json lines (IANA names): direction, and flowDirection 0/1 where the
                      flow crosses the border (inbound/outbound) and absent otherwise
  ecs PATH            --json-schema ecs: network.direction
  tshark PCAPNG PORT  IPFIX or v9 as exported, decoded by tshark: flowDirection (61) is 0 for
                      inbound, 1 for outbound, 255 for internal and external
  nfdump DIR          nfcapd files, nfdump's %dir: I (0) for inbound, E for the rest (nfdump
                      shows any value but 0 as E)
  clickhouse TSV      rows read back from a ClickHouse server: proto, src_ip, dst_ip (as
                      IPv6NumToString writes them), src_port, dst_port, direction
Every flow of the truth must appear once with its direction; nothing else may appear.
"""
import json
import subprocess
import sys

truth_path, which, source, path = sys.argv[1:5]
want = {}
for f in json.load(open(truth_path))[which]:
    want[(f["src"], f["dst"], int(f["sport"]), int(f["dport"]), int(f["proto"]))] = f["direction"]
IE61 = {"inbound": 0, "outbound": 1, "internal": 255, "external": 255}
got, bad = {}, []


def put(k, value):
    if k in got:
        bad.append("%s twice" % (k,))
    got[k] = value


def norm(addr):
    import ipaddress
    a = ipaddress.ip_address(addr)
    return str(a.ipv4_mapped or a) if a.version == 6 else str(a)


if source == "json":
    for line in open(path):
        d = json.loads(line)
        v6 = "sourceIPv6Address" in d
        k = (d["sourceIPv6Address" if v6 else "sourceIPv4Address"],
             d["destinationIPv6Address" if v6 else "destinationIPv4Address"],
             d["sourceTransportPort"], d["destinationTransportPort"], d["protocolIdentifier"])
        ie61 = d.get("flowDirection")
        if d.get("direction") in ("inbound", "outbound") and ie61 != IE61[d["direction"]]:
            bad.append("%s: flowDirection %s beside direction %s" % (k, ie61, d["direction"]))
        if d.get("direction") in ("internal", "external") and ie61 is not None:
            bad.append("%s: flowDirection %s for a flow that crosses no border" % (k, ie61))
        put(k, d.get("direction"))
    compare = lambda w: w
elif source == "ecs":
    for line in open(path):
        d = json.loads(line)
        k = (d["source"]["ip"], d["destination"]["ip"], d["source"]["port"],
             d["destination"]["port"], int(d["network"]["iana_number"]))
        put(k, d["network"].get("direction"))
    compare = lambda w: w
elif source == "tshark":
    import tempfile
    from cflow_records import by_ports  # the records tshark decoded (ports are unique here)
    port = sys.argv[5]
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(["tshark", "-n", "-r", path, "-d", "udp.port==%s,cflow" % port, "-T",
                        "json", "-J", "cflow"], check=True, stdout=out, stderr=subprocess.DEVNULL)
        records = by_ports(out.name)
    for d in records.values():
        v6 = "cflow.srcaddrv6" in d
        k = (norm(d["cflow.srcaddrv6" if v6 else "cflow.srcaddr"]),
             norm(d["cflow.dstaddrv6" if v6 else "cflow.dstaddr"]), int(d["cflow.srcport"]),
             int(d["cflow.dstport"]), int(d["cflow.protocol"]))
        put(k, int(d["cflow.direction"]) if "cflow.direction" in d else None)
    compare = lambda w: IE61[w]
elif source == "nfdump":
    out = subprocess.run(["nfdump", "-R", path, "-q", "-N", "-6", "-o", "fmt:%sa|%da|%sp|%dp|%pr|%dir"],
                         check=True, capture_output=True, text=True).stdout
    proto = {"TCP": 6, "UDP": 17}
    for line in out.splitlines():
        c = [x.strip() for x in line.split("|")]
        if len(c) == 6:
            put((norm(c[0]), norm(c[1]), int(c[2]), int(c[3]), int(proto.get(c[4], c[4]))), c[5])
    compare = lambda w: "I" if w == "inbound" else "E"
elif source == "clickhouse":
    for line in open(path):
        c = line.rstrip("\n").split("\t")
        put((norm(c[1]), norm(c[2]), int(c[3]), int(c[4]), int(c[0])), c[5])
    compare = lambda w: w
else:
    sys.exit("unknown source " + source)

for k, w in want.items():
    if k not in got:
        bad.append("missing %s" % (k,))
    elif got[k] != compare(w):
        bad.append("%s: %r, want %r (%s)" % (k, got[k], compare(w), w))
for k in got:
    if k not in want:
        bad.append("unexpected %s" % (k,))
if bad:
    print("%s: %d differences: %s" % (source, len(bad), "; ".join(bad[:8])))
    sys.exit(1)
print("%s: %d records, every direction as the truth" % (source, len(got)))
