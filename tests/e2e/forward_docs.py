#!/usr/bin/env python3
"""Sums pcap2json's flow documents (NDJSON on stdin) by their forwarding annotation.

Prints one line per (source IP, destination IP, snapflow.capture_mode, snapflow.rule.id,
snapflow.rule.direction, snapflow.rule.name, labels.mirror_session): those six fields and the
summed network.packets. An absent field prints "-". Non-flow documents are skipped.
"""
import json
import sys

sums = {}
for line in sys.stdin:
    doc = json.loads(line)
    if doc.get("event", {}).get("dataset") != "snapflow.flow":
        continue
    snap = doc.get("snapflow", {})
    rule = snap.get("rule", {})
    key = (doc.get("source", {}).get("ip", "-"), doc.get("destination", {}).get("ip", "-"),
           snap.get("capture_mode", "-"), str(rule.get("id", "-")), rule.get("direction", "-"),
           rule.get("name", "-") or "-", doc.get("labels", {}).get("mirror_session", "-"))
    sums[key] = sums.get(key, 0) + doc["network"]["packets"]
for key, packets in sorted(sums.items()):
    print(" ".join(key), packets)
