"""What a capture holds, decoded by tshark (an independent decoder, not snapflow's), and the
numbers every dashboard panel must show for it: per-interval histograms, top-N tables with the
search engines' ordering rules, per-VNI sums, late packets.

A Packet is one frame: time (integer ns), wire length, innermost IP addresses, transport and
ports (what snapflow's flow documents carry as source.*, destination.*, network.transport) and,
for VXLAN, the VNI and outer endpoints (snapflow.tunnel.*).
"""
import collections
import ipaddress
import subprocess

FIELDS = ["frame.time_epoch", "frame.len", "frame.protocols", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "sctp.srcport",
          "sctp.dstport", "vxlan.vni"]
TRANSPORTS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "ipv6-icmp", "sctp": "sctp"}
Packet = collections.namedtuple(
    "Packet", "ts_ns length src dst transport sport dport vni outer_src outer_dst tunnel")


def epoch_ns(text):
    sec, _, frac = text.strip().partition(".")
    return int(sec) * 1_000_000_000 + int((frac + "000000000")[:9])


def _ip(text):
    return str(ipaddress.ip_address(text)) if text else None


def decode(path):
    """[Packet] of every frame of `path`, in file order, read by tshark."""
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    packets = []
    for line in out.splitlines():
        col = dict(zip(FIELDS, line.split("\t")))
        values = {k: (v.split(",") if v else []) for k, v in col.items()}
        layers = col["frame.protocols"].split(":")
        ip_layers = [i for i, p in enumerate(layers) if p in ("ip", "ipv6")]
        src = dst = transport = sport = dport = outer_src = outer_dst = None
        if ip_layers:
            inner = ip_layers[-1]
            family = layers[inner]
            src = _ip(values[family + ".src"][-1])
            dst = _ip(values[family + ".dst"][-1])
            nxt = layers[inner + 1] if inner + 1 < len(layers) else None
            transport = TRANSPORTS.get(nxt)
            if transport in ("tcp", "udp", "sctp") and values[transport + ".srcport"]:
                sport = int(values[transport + ".srcport"][-1])
                dport = int(values[transport + ".dstport"][-1])
            if len(ip_layers) > 1:
                outer = layers[ip_layers[0]]
                outer_src = _ip(values[outer + ".src"][0])
                outer_dst = _ip(values[outer + ".dst"][0])
        vni = int(values["vxlan.vni"][0]) if values["vxlan.vni"] else None
        packets.append(Packet(epoch_ns(col["frame.time_epoch"]), int(col["frame.len"]), src, dst,
                              transport, sport, dport, vni, outer_src, outer_dst,
                              "vxlan" if vni is not None else None))
    return packets


def histogram(packets, interval_ns, key=lambda p: True):
    """{bucket start ms: [packets, bytes]} over the packets `key` accepts."""
    out = collections.defaultdict(lambda: [0, 0])
    for p in packets:
        if key(p):
            b = out[p.ts_ns // interval_ns * interval_ns // 1_000_000]
            b[0] += 1
            b[1] += p.length
    return dict(out)


def last_slot_ends(packets, interval_ns, slot_ns):
    """{bucket start ms: end (ms) of the last slot_ns snapshot with packets in the bucket}."""
    out = {}
    for p in packets:
        bucket = p.ts_ns // interval_ns * interval_ns // 1_000_000
        end = (p.ts_ns // slot_ns * slot_ns + slot_ns) // 1_000_000
        out[bucket] = max(out.get(bucket, 0), end)
    return out


def late_packets(packets, interval_ns, window_ns):
    """Packets whose snapshot had closed when they arrived: a snapshot [S, S+I) closes once the
    largest timestamp read reaches S + I + W (docs/architecture.md, decision 0002)."""
    late = []
    newest = None
    for p in packets:
        start = p.ts_ns // interval_ns * interval_ns
        if newest is not None and newest >= start + interval_ns + window_ns:
            late.append(p)
        newest = p.ts_ns if newest is None else max(newest, p.ts_ns)
    return late


def _sort_key(value):
    """The engines' key order for ties: ip fields by their 16-byte form, numbers, strings."""
    if isinstance(value, str):
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return (2, value)
        packed = addr.packed if addr.version == 6 else b"\0" * 10 + b"\xff\xff" + addr.packed
        return (0, packed)
    return (1, value)


def top_table(packets, levels, key=lambda p: True):
    """Rows of nested top-N terms ordered by bytes (ties: key ascending), as the terms
    aggregation returns them: [(keys..., bytes, packets)]. `levels` = [(attribute, size)]; an
    attribute may be a function of the packet. Packets lacking an attribute are not in any
    bucket of that level (terms skip missing)."""
    def walk(group, depth, prefix):
        attr, size = levels[depth]
        sub = collections.defaultdict(list)
        for p in group:
            v = attr(p) if callable(attr) else getattr(p, attr)
            if v is not None:
                sub[v].append(p)
        ranked = sorted(sub.items(),
                        key=lambda kv: (-sum(p.length for p in kv[1]), _sort_key(kv[0])))[:size]
        rows = []
        for value, members in ranked:
            if depth + 1 == len(levels):
                rows.append(tuple(prefix) + (value, sum(p.length for p in members), len(members)))
            else:
                rows += walk(members, depth + 1, prefix + [value])
        return rows
    return walk([p for p in packets if key(p)], 0, [])


def family(packet):
    """flow documents' network.type of an IP packet: ipv4 or ipv6."""
    return "ipv6" if ":" in packet.src else "ipv4"


def sums(packets, key=lambda p: True):
    chosen = [p for p in packets if key(p)]
    return len(chosen), sum(p.length for p in chosen)
