#!/usr/bin/env python3
"""Sums pcap2json's flow documents (NDJSON on stdin) per flow across snapshots.

Prints one line per flow: SRC DST SPORT DPORT TRANSPORT PACKETS BYTES VNI SESSION (VNI "-" when
the document has no snapflow.tunnel.vni, SESSION "-" without labels.mirror_session; a flow whose
documents disagree prints "mixed").
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
    session = doc.get("labels", {}).get("mirror_session", "-")
    packets, octets, seen, seen_session = flows.get(key, (0, 0, vni, session))
    flows[key] = (packets + doc["network"]["packets"], octets + doc["network"]["bytes"],
                  seen if seen == vni else "mixed",
                  seen_session if seen_session == session else "mixed")
for key, (packets, octets, vni, session) in sorted(flows.items()):
    print(" ".join(key), packets, octets, vni, session)
