#!/usr/bin/env python3
"""Sums pcap2json's flow documents (NDJSON on stdin) per flow across snapshots.

Prints one line per flow: SRC DST SPORT DPORT TRANSPORT PACKETS BYTES VNI (VNI "-" when the
document has no snapflow.tunnel.vni; a flow whose documents disagree prints "mixed").
"""
import json
import sys

flows = {}
for line in sys.stdin:
    doc = json.loads(line)
    if doc.get("event", {}).get("dataset") != "snapflow.flow":
        continue
    src, dst = doc["source"], doc["destination"]
    key = (src["ip"], dst["ip"], str(src.get("port", "-")), str(dst.get("port", "-")),
           doc["network"]["transport"])
    vni = str(doc.get("snapflow", {}).get("tunnel", {}).get("vni", "-"))
    packets, octets, seen = flows.get(key, (0, 0, vni))
    flows[key] = (packets + doc["network"]["packets"], octets + doc["network"]["bytes"],
                  seen if seen == vni else "mixed")
for key, (packets, octets, vni) in sorted(flows.items()):
    print(" ".join(key), packets, octets, vni)
