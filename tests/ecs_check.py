#!/usr/bin/env python3
"""Check `--json-schema ecs` lines against the ECS field list (tests/ecs_fields.txt) and against
the same records written with `--json-schema ipfix` (same input, same options, same order).

usage: ecs_check.py FIELDS ECS.json IPFIX.json
Every field must be in the list (or under fluxprobe.*), every value of the JSON type its ECS type
takes (keyword: string, or an array of strings; long: integer; ip: an address; date: ISO 8601
UTC), MACs in ECS's notation; and the values must say what the IPFIX names say."""
import ipaddress, json, re, sys

types = {}
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("#"):
        name, typ = line.split()
        types[name] = typ

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
MAC = re.compile(r"^[A-F0-9]{2}(-[A-F0-9]{2}){5,}$")  # the pattern ECS gives for *.mac

def flat(o, prefix=""):
    for k, v in o.items():
        name = prefix + k
        if isinstance(v, dict) and types.get(name) != "geo_point":
            yield from flat(v, name + ".")
        else:
            yield name, v

def ok(typ, v):
    if typ == "keyword":
        return isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))
    if typ == "long":
        return isinstance(v, int) and not isinstance(v, bool)
    if typ == "ip":
        try:
            ipaddress.ip_address(v)
            return True
        except (ValueError, TypeError):
            return False
    if typ == "date":
        return isinstance(v, str) and bool(DATE.match(v))
    if typ == "geo_point":  # the object form: {"lat": degrees, "lon": degrees}
        num = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)
        return (isinstance(v, dict) and set(v) == {"lat", "lon"} and num(v["lat"]) and
                num(v["lon"]) and -90 <= v["lat"] <= 90 and -180 <= v["lon"] <= 180)
    return False

def us(s):  # ISO 8601 with µs -> µs since the epoch
    import datetime
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return round(t.timestamp() * 1e6)

errors, used = [], set()
ecs_lines = [json.loads(l) for l in open(sys.argv[2])]
ipfix_lines = [json.loads(l) for l in open(sys.argv[3])]
if len(ecs_lines) != len(ipfix_lines) or not ecs_lines:
    sys.exit("ECS lines %d, IPFIX lines %d" % (len(ecs_lines), len(ipfix_lines)))
# Two runs write the same records, not always in the same order (the exporter takes what each
# worker's ring holds when it looks): pair them by the record's own identity.
def ecs_id(e):
    f = dict(flat(e))
    return (f.get("network.community_id"), us(f["event.start"]), us(f["event.end"]),
            str(f.get("source.ip")), str(f.get("source.port")))
def ipfix_id(x):
    return (x.get("communityId"), us(x["flowStartMicroseconds"]), us(x["flowEndMicroseconds"]),
            str(x.get("sourceIPv4Address", x.get("sourceIPv6Address"))),
            str(x.get("sourceTransportPort")))
ecs_lines.sort(key=ecs_id)
ipfix_lines.sort(key=ipfix_id)
for n, (e, x) in enumerate(zip(ecs_lines, ipfix_lines)):
    f = dict(flat(e))
    for name, v in f.items():
        if name.startswith("fluxprobe."):
            continue
        if name not in types:
            errors.append("line %d: %s is not an ECS field of the list" % (n, name))
        elif not ok(types[name], v):
            errors.append("line %d: %s = %r is not an ECS %s" % (n, name, v, types[name]))
        else:
            used.add(name)
        if name.endswith(".mac") and not MAC.match(str(v)):
            errors.append("line %d: %s = %r is not in ECS's MAC notation" % (n, name, v))
    v6 = x["ipVersion"] == 6
    want = {
        "source.ip": x["sourceIPv6Address" if v6 else "sourceIPv4Address"],
        "destination.ip": x["destinationIPv6Address" if v6 else "destinationIPv4Address"],
        "network.iana_number": str(x["protocolIdentifier"]),
        "network.type": "ipv6" if v6 else "ipv4",
        "source.bytes": x["octetDeltaCount"],
        "source.packets": x["packetDeltaCount"],
        "network.community_id": x["communityId"],
        "event.start": x["flowStartMicroseconds"],
        "event.end": x["flowEndMicroseconds"],
        "@timestamp": x["flowEndMicroseconds"],
        "source.mac": x["sourceMacAddress"].upper().replace(":", "-"),
        "destination.mac": x["destinationMacAddress"].upper().replace(":", "-"),
        "fluxprobe.end_reason": x["flowEndReason"],
        "event.reason": x["flowEndReasonName"],
    }
    if "sourceTransportPort" in x and x["protocolIdentifier"] in (6, 17, 132):
        want["source.port"] = x["sourceTransportPort"]
        want["destination.port"] = x["destinationTransportPort"]
    if "reversePacketDeltaCount" in x:
        want["destination.packets"] = x["reversePacketDeltaCount"]
        want["destination.bytes"] = x["reverseOctetDeltaCount"]
        want["network.packets"] = x["packetDeltaCount"] + x["reversePacketDeltaCount"]
        want["network.bytes"] = x["octetDeltaCount"] + x["reverseOctetDeltaCount"]
    else:
        want["network.packets"] = x["packetDeltaCount"]
        want["network.bytes"] = x["octetDeltaCount"]
        if "destination.bytes" in f:
            errors.append("line %d: destination.bytes without --biflow" % n)
    if x.get("vlanId", 0) & 0xfff:
        want["network.vlan.id"] = str(x["vlanId"] & 0xfff)
    if "ingressInterface" in x:
        want["observer.ingress.interface.id"] = str(x["ingressInterface"])
    if x.get("dot1qCustomerVlanId"):
        want["network.inner.vlan.id"] = str(x["dot1qCustomerVlanId"])
    if "applicationName" in x:
        parts = x["applicationName"].lower().split(".")
        if parts[0] != "unknown":
            want["network.protocol"] = parts[0]
        if len(parts) > 1:
            want["network.application"] = parts[1]
        want["fluxprobe.application_id"] = x["applicationId"]
    for ipfix_name, ecs_name in (("tlsServerName", "tls.client.server_name"),
                                 ("dnsQueryName", "dns.question.name"),
                                 ("httpRequestHost", "url.domain"),
                                 ("httpRequestMethod", "http.request.method"),
                                 ("httpStatusCode", "http.response.status_code"),
                                 ("httpUserAgent", "user_agent.original")):
        if ipfix_name in x:
            want[ecs_name] = x[ipfix_name]
    lat = {"clientNetworkLatencyMicroseconds": "fluxprobe.latency.client_network_us",
           "serverNetworkLatencyMicroseconds": "fluxprobe.latency.server_network_us",
           "applicationLatencyMicroseconds": "fluxprobe.latency.application_us"}
    for ipfix_name, ecs_name in lat.items():
        if ipfix_name in x:
            want[ecs_name] = x[ipfix_name]
    for ipfix_name, ecs_name in (("bgpSourceAsNumber", "source.as.number"),
                                 ("bgpDestinationAsNumber", "destination.as.number"),
                                 ("sourceAsOrganization", "source.as.organization.name"),
                                 ("destinationAsOrganization", "destination.as.organization.name"),
                                 ("sourceCountry", "source.geo.country_iso_code"),
                                 ("destinationCountry", "destination.geo.country_iso_code"),
                                 ("sourceCity", "source.geo.city_name"),
                                 ("destinationCity", "destination.geo.city_name"),
                                 ("sourceLocation", "source.geo.location"),
                                 ("destinationLocation", "destination.geo.location")):
        if ipfix_name in x:
            want[ecs_name] = x[ipfix_name]
    want["event.duration"] = (us(x["flowEndMicroseconds"]) - us(x["flowStartMicroseconds"])) * 1000
    for name, w in want.items():
        if f.get(name) != w:
            errors.append("line %d: %s = %r, the IPFIX line says %r" % (n, name, f.get(name), w))
    ended = x["flowEndReason"] != 2
    if f.get("event.type") != (["connection", "end"] if ended else ["connection"]):
        errors.append("line %d: event.type %r for end reason %d" % (n, f.get("event.type"), x["flowEndReason"]))
for e in errors[:15]:
    print("#", e)
print("# ECS: %d lines, %d ECS fields used (%s), %d problems" % (
    len(ecs_lines), len(used), " ".join(sorted(used)), len(errors)))
sys.exit(1 if errors else 0)
