"""Minimal classic-PCAP reading for the snapflow-pcap tests (both byte orders, us and ns)."""
import struct


def read_pcap(path):
    """(header bytes, [(ts_ns, caplen, wire, data)]) of a classic PCAP file."""
    with open(path, "rb") as f:
        blob = f.read()
    magic_le = struct.unpack_from("<I", blob, 0)[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    else:
        endian = ">"
    magic = struct.unpack_from(endian + "I", blob, 0)[0]
    scale = 1 if magic == 0xA1B23C4D else 1000
    records = []
    off = 24
    while off + 16 <= len(blob):
        sec, frac, caplen, wire = struct.unpack_from(endian + "IIII", blob, off)
        data = blob[off + 16:off + 16 + caplen]
        assert len(data) == caplen, f"{path}: truncated record at byte {off}"
        records.append((sec * 1_000_000_000 + frac * scale, caplen, wire, data))
        off += 16 + caplen
    assert off == len(blob), f"{path}: {len(blob) - off} trailing bytes"
    return blob[:24], records


def indices_in(source, subset, ts_exact=True):
    """Positions in source of the records of subset (which must be a subsequence of it)."""
    out = []
    i = 0
    for ts, caplen, wire, data in subset:
        while i < len(source):
            s = source[i]
            same_ts = s[0] == ts if ts_exact else s[0] // 1000 == ts // 1000
            if same_ts and s[1] == caplen and s[2] == wire and s[3] == data:
                break
            i += 1
        assert i < len(source), "record not found in the source, or out of order"
        out.append(i)
        i += 1
    return out
