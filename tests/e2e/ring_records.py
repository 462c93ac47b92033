"""A capture ring read by Python from its files and docs/ring.md alone (no snapflow code): the
reference the retrieval end-to-end tests compare the API's answers with.

ring_records(dir) -> (link_type, snaplen, records), records = [(ring_no, ts_ns, caplen, wire,
data)] in ring order: every committed record of every live segment (seg-NNNNN.pcap up to the
committed length its newest valid metadata slot names), numbered ring-wide from the segment's
base packet count. catalog(dir) -> {name: (first_ring_no, end_ring_no or None while active)}.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import pcap2json_search as ps  # noqa: E402  (read_segment_meta: docs/ring.md's metadata slots)


def layout(ring_dir):
    fields = {}
    with open(os.path.join(ring_dir, "ring.meta")) as f:
        for line in f:
            if "=" in line:
                key, value = line.strip().split("=", 1)
                fields[key] = int(value)
    return fields


def ring_records(ring_dir):
    geometry = layout(ring_dir)
    metas = []
    for name in os.listdir(ring_dir):
        if name.startswith("seg-") and name.endswith(".meta"):
            meta = ps.read_segment_meta(os.path.join(ring_dir, name))
            if meta and meta["seq"] != 0 and meta["committed"] >= 24:
                meta["slot"] = int(name[4:9])
                metas.append(meta)
    metas.sort(key=lambda m: m["seq"])
    newest = metas[-1]["seq"] if metas else 0
    live = [m for m in metas if m["seq"] + geometry["segment_count"] > newest]
    records = []
    for meta in live:
        with open(os.path.join(ring_dir, "seg-%05d.pcap" % meta["slot"]), "rb") as f:
            blob = f.read(meta["committed"])
        assert len(blob) == meta["committed"], "segment shorter than committed"
        number = meta["base_packets"]
        offset = 24
        while offset < len(blob):
            sec, nsec, caplen, wire = struct.unpack_from("<IIII", blob, offset)
            data = blob[offset + 16:offset + 16 + caplen]
            assert len(data) == caplen, "torn record inside committed data"
            records.append((number, sec * 1_000_000_000 + nsec, caplen, wire, data))
            number += 1
            offset += 16 + caplen
        assert number == meta["base_packets"] + meta["packets"], "record count != metadata"
    return geometry["link_type"], geometry["snaplen"], records


def catalog(ring_dir):
    out = {}
    path = os.path.join(ring_dir, "catalog")
    if not os.path.exists(path):
        return out
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines[1:]:
        f = line.split(" ")
        name, active = f[0], f[1] == "1"
        out[name] = (int(f[6]), None if active else int(f[11]))
    return out


def write_pcap(path, records, link_type=1, snaplen=262144):
    """A nanosecond PCAP of (ring_no, ts, caplen, wire, data) records, as the API serves one."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, snaplen, link_type))
        for _, ts, caplen, wire, data in records:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, caplen, wire))
            f.write(data)
