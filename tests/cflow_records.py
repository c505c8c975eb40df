"""The flow data records tshark decoded from a capture of IPFIX or NetFlow v9 export
(`tshark -T json -J cflow`), one dict of tshark's field names per record, keyed by ports."""
import json


def by_ports(path):
    """{(source port, destination port): {field: value}} of every data record in the file."""
    found = {}

    def walk(o):
        if isinstance(o, dict):
            if "cflow.srcport" in o and "cflow.dstport" in o:  # one "Flow N" subtree
                found[(o["cflow.srcport"], o["cflow.dstport"])] = o
                return
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.load(open(path)))
    return found
