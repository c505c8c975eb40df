#!/usr/bin/python3
"""--geoip's values in one output against the truth that libmaxminddb's own tool, mmdblookup,
gives for every address.

Usage:
  geo_check.py truth ADDRS ASN.mmdb CITY.mmdb COUNTRY.mmdb > TRUTH.json
      each address of ADDRS (one a line) looked up with mmdblookup in each database
  geo_check.py check TRUTH.json asn|city|country SOURCE PATH [PORT]
      every record of the output has, for its source and its destination, what the truth says
      for the databases given (asn: AS number and organisation; city: with the ASN database,
      country, city and location from the City database; country: the country, from the
      Country database); a value the truth lacks must be absent (or 0 / "" where the output
      has a column or element whatever the record). Sources:
        json PATH            --json lines (IANA names and ours)
        ecs PATH             --json-schema ecs
        nfdump DIR           nfdump -o fmt:%sa|%da|%sas|%das on nfcapd files (AS numbers)
        tshark PCAPNG PORT   IPFIX or v9 decoded by tshark: cflow.srcas/dstas and ntop's
                             src_ip_country, src_ip_city ...
        nfacctd CSV          pmacct's print plugin: SRC_AS, DST_AS, SRC_IP, DST_IP
        clickhouse TSV       src_ip, dst_ip, src_as, dst_as, src_as_org, dst_as_org,
                             src_country, dst_country, src_city, dst_city
"""
import ipaddress
import json
import subprocess
import sys


def parse_mmdblookup(text):
    """mmdblookup's dump (a JSON-like tree, each value followed by <type>) as Python values."""
    toks = []
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s in ("{", "}", "[", "]"):
            toks.append(s)
        elif s.endswith(":") and s.startswith('"'):
            toks.append(("key", json.loads(s[:-1].strip())))
        else:
            val, _, typ = s.rpartition(" <")
            typ = typ.rstrip(">")
            if typ == "utf8_string":
                toks.append(("val", json.loads(val)))
            elif typ in ("double", "float"):
                toks.append(("val", float(val)))
            elif typ == "boolean":
                toks.append(("val", val == "true"))
            else:
                toks.append(("val", int(val)))
    pos = 0

    def value():
        nonlocal pos
        t = toks[pos]
        pos += 1
        if t == "{":
            d = {}
            while toks[pos] != "}":
                k = toks[pos][1]
                pos += 1
                d[k] = value()
            pos += 1
            return d
        if t == "[":
            a = []
            while toks[pos] != "]":
                a.append(value())
            pos += 1
            return a
        return t[1]

    return value() if toks else None


def lookup(db, addr):
    r = subprocess.run(["mmdblookup", "--file", db, "--ip", addr], capture_output=True, text=True)
    if r.returncode != 0 or "Could not find an entry" in r.stdout + r.stderr:
        return None
    return parse_mmdblookup(r.stdout)


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def norm(addr):
    a = ipaddress.ip_address(addr)
    return str(a.ipv4_mapped or a) if a.version == 6 else str(a)


if sys.argv[1] == "truth":
    addrs_path, asn_db, city_db, country_db = sys.argv[2:6]
    truth = {}
    for a in open(addrs_path).read().split():
        e = {}
        asn = lookup(asn_db, a)
        if get(asn, "autonomous_system_number") is not None:
            e["asn"] = get(asn, "autonomous_system_number")
            e["org"] = get(asn, "autonomous_system_organization")
        for kind, db in (("city", city_db), ("country", country_db)):
            g = lookup(db, a)
            cc = get(g, "country", "iso_code") or get(g, "registered_country", "iso_code")
            if cc:
                e[kind + "_cc"] = cc
        g = lookup(city_db, a)
        if get(g, "city", "names", "en"):
            e["city"] = get(g, "city", "names", "en")
        if get(g, "location", "latitude") is not None:
            e["loc"] = [get(g, "location", "latitude"), get(g, "location", "longitude")]
        truth[norm(a)] = e
    json.dump(truth, sys.stdout, indent=0, ensure_ascii=False)
    sys.exit(0)

truth_path, kind, source, path = sys.argv[2:6]
truth = json.load(open(truth_path))
bad, seen = [], 0
country_key = "city_cc" if kind == "city" else "country_cc"


def want(addr):
    """What the output must carry for this address (None where the truth has nothing)."""
    t = truth[norm(addr)]
    w = {"asn": t.get("asn"), "org": t.get("org")}
    if kind in ("city", "country"):
        w["cc"] = t.get(country_key)
    if kind == "city":
        w["city"] = t.get("city")
        w["loc"] = t.get("loc")
    return w


def compare(where, addr, got, zero_is_none=False):
    global seen
    seen += 1
    w = want(addr)
    for k, v in got.items():
        if k not in w:
            continue
        if zero_is_none and v in (0, ""):
            v = None
        if k == "loc" and v is not None and w[k] is not None:
            if abs(v[0] - w[k][0]) > 5e-5 or abs(v[1] - w[k][1]) > 5e-5:
                bad.append("%s %s: location %r, want %r" % (where, addr, v, w[k]))
            continue
        if v != w[k]:
            bad.append("%s %s: %s %r, want %r" % (where, addr, k, v, w[k]))


if source == "json":
    for n, line in enumerate(open(path)):
        d = json.loads(line)
        v6 = d["ipVersion"] == 6
        for side, addr_key in (("source", "sourceIPv6Address" if v6 else "sourceIPv4Address"),
                               ("destination", "destinationIPv6Address" if v6 else
                                "destinationIPv4Address")):
            pre = "bgpSource" if side == "source" else "bgpDestination"
            loc = d.get(side + "Location")
            compare("line %d %s" % (n, side), d[addr_key], {
                "asn": d.get(pre + "AsNumber"), "org": d.get(side + "AsOrganization"),
                "cc": d.get(side + "Country"), "city": d.get(side + "City"),
                "loc": [loc["lat"], loc["lon"]] if loc else None})
elif source == "ecs":
    for n, line in enumerate(open(path)):
        d = json.loads(line)
        for side in ("source", "destination"):
            s = d[side]
            loc = get(s, "geo", "location")
            compare("line %d %s" % (n, side), s["ip"], {
                "asn": get(s, "as", "number"), "org": get(s, "as", "organization", "name"),
                "cc": get(s, "geo", "country_iso_code"), "city": get(s, "geo", "city_name"),
                "loc": [loc["lat"], loc["lon"]] if loc else None})
elif source == "nfdump":
    out = subprocess.run(["nfdump", "-R", path, "-q", "-N", "-6", "-o", "fmt:%sa|%da|%sas|%das"],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        c = [x.strip() for x in line.split("|")]
        if len(c) == 4:
            compare("nfdump", c[0], {"asn": int(c[2])}, zero_is_none=True)
            compare("nfdump", c[1], {"asn": int(c[3])}, zero_is_none=True)
elif source == "tshark":
    import tempfile
    from cflow_records import by_ports
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(["tshark", "-n", "-r", path, "-d", "udp.port==%s,cflow" % sys.argv[6],
                        "-T", "json", "-J", "cflow"], check=True, stdout=out,
                       stderr=subprocess.DEVNULL)
        records = by_ports(out.name)
    for d in records.values():
        v6 = "cflow.srcaddrv6" in d
        src, dst = d["cflow.srcaddrv6" if v6 else "cflow.srcaddr"], \
            d["cflow.dstaddrv6" if v6 else "cflow.dstaddr"]
        for addr, pre, ntop in ((src, "src", "cflow.pie.ntop.src_ip_"),
                                (dst, "dst", "cflow.pie.ntop.dst_ip_")):
            got = {"asn": int(d["cflow.%sas" % pre])}
            if kind != "asn":  # tshark shows no field for an empty (unknown) one
                got["cc"] = d.get(ntop + "country")
            if kind == "city":  # tshark reads ntop's strings as ASCII: a byte past it is U+FFFD
                c = d.get(ntop + "city")
                w = truth[norm(addr)].get("city")
                if c is not None and w is not None and c == "".join(
                        ch if ord(ch) < 128 else "\ufffd" * len(ch.encode()) for ch in w):
                    c = w
                got["city"] = c
            compare("tshark", addr, got, zero_is_none=True)
elif source == "nfacctd":
    lines = open(path).read().splitlines()
    head = lines[0].split(",")
    for line in lines[1:]:
        r = dict(zip(head, line.split(",")))
        compare("nfacctd", r["SRC_IP"], {"asn": int(r["SRC_AS"])}, zero_is_none=True)
        compare("nfacctd", r["DST_IP"], {"asn": int(r["DST_AS"])}, zero_is_none=True)
elif source == "clickhouse":
    for line in open(path):
        c = line.rstrip("\n").split("\t")
        for i, addr in ((0, c[0]), (1, c[1])):
            compare("clickhouse", addr, {"asn": int(c[2 + i]), "org": c[4 + i],
                                         "cc": c[6 + i], "city": c[8 + i]}, zero_is_none=True)
else:
    sys.exit("unknown source " + source)

if seen == 0:
    bad.append("no record read")
if bad:
    print("%s: %d differences: %s" % (source, len(bad), "; ".join(bad[:8])))
    sys.exit(1)
print("%s: %d addresses of records, each as mmdblookup says (%s)" % (source, seen, kind))
