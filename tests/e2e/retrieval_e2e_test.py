#!/usr/bin/env python3
"""PCAP retrieval end to end (issue 8) against the real daemon: snapflow-capture captures with
libpcap on a veth pair whose peer lives in a network namespace made for the test, tcpreplay
sends generated traffic (plain IPv4/IPv6 TCP/UDP/ICMP and VXLAN-mirrored, IMIX sizes) in three
parts, a named capture covering the middle one. The ring is then read with Python from its
files alone (ring_records.py) and written as ring.pcap: the reference every answer is held to.

  windows      random /pcap/splittime windows (epoch ns, ULL, RFC 3339) equal what
               `editcap -A -B` cuts from ring.pcap, byte for byte; trailers count them;
  links        every link /plain/list, /plain/view and /plain/split serve (CSV and JSON) is
               followed: each download's size and count equal its row, and each split row
               equals editcap's cut of the ring (or of the capture's records);
  filters      fmadio Filter= and FilterBPF= over HTTP keep exactly what tcpdump -r (or tshark,
               for inner VXLAN headers) keeps from ring.pcap; PCAPNG reads back in tshark;
  bandwidth    /ring/bandwidth sums equal the ring's totals, points a reference from the records;
  answers      /filter/check positions and tokens; 416 with oldest/newest, 400, 404;
  README       the "spot it, pull it" commands as written: pcap2json --pcap-link-base on the
               ring, jq picks a document's link, curl | tcpdump -nr - lists its packets
               (the search-node variant runs with SNAPFLOW_RETRIEVAL_SEARCH=1, see CMake).
Needs root (ip netns, veth, raw sockets). About a minute.
Usage: retrieval_e2e_test.py SNAPFLOW_CAPTURE SNAPFLOW_GEN PCAP2JSON SOURCE_DIR WORKDIR
"""
import bisect
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from pcap_records import indices_in, read_pcap  # noqa: E402
from ring_records import catalog, ring_records, write_pcap  # noqa: E402

CAPTURE, GEN, PCAP2JSON, SOURCE_DIR, WORKDIR = sys.argv[1:6]
del sys.argv[1:6]
USER, PASSWORD = "admin", "e2e-retrieval"
TAG = str(os.getpid() % 100000)
NS, HOST_IF, PEER_IF = "sfretr" + TAG, "sfrh" + TAG, "sfrp" + TAG

# (fmadio Filter=, "bpf" | "tshark", equivalent): a subset of tests/cli/filter_crosscheck.py's
# table over HTTP (the library itself is cross-checked there, case by case).
FILTERS = [
    ("ipv4.proto==tcp", "bpf", "ip proto 6"),
    ("tcp.port==443", "bpf", "tcp port 443"),
    ("udp.port.dst==53,123", "bpf", "udp dst port 53 or udp dst port 123"),
    ("ipv6.addr==fd00::/16", "bpf", "ip6 net fd00::/16"),
    ("ipv4.addr.src==10.0.0.0/26", "bpf", "src net 10.0.0.0/26"),
    ("frame.size<=128", "bpf", "len <= 128"),
    ("icmp.type==8", "bpf", "icmp[icmptype] == 8"),
    ("all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;dns:udp.port==53;"
     "expr=((!all_udp) & (all_tcp)) | dns", "bpf", "(not ip proto 17 and ip proto 6) or udp port 53"),
    ("vxlan.vni==1001", "tshark", "vxlan.vni == 1001"),
    ("inner.ipv4.addr.src==10.0.0.0/26", "tshark", "ip.src#2 == 10.0.0.0/26"),
    ("inner.tcp.port.dst==443", "tshark", "vxlan && tcp.dstport == 443"),
    ("inner.ipv6.addr==fd00::/16 & udp.port.dst==4789", "tshark", "vxlan && ipv6.addr == fd00::/16"),
]


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=check, capture_output=True, **kw)


def ns_time(ts):
    return "%d.%09d" % (ts // 10**9, ts % 10**9)


def rfc3339(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 10**9)) + ".%09dZ" % (ts % 10**9)


class Retrieval(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (ip netns, veth, raw sockets)")
        for tool in ("tcpreplay", "editcap", "mergecap", "tcpdump", "tshark", "jq", "curl"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(tool + " is not installed")
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.daemon = None
        cls.created = False
        try:
            cls.set_up()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def set_up(cls):
        run(f"set -e; ip netns add {NS}; ip link add {HOST_IF} type veth peer name {PEER_IF} mtu 9000;"
            f" ip link set {HOST_IF} mtu 9000; ip link set {PEER_IF} netns {NS};"
            f" sysctl -qw net.ipv6.conf.{HOST_IF}.disable_ipv6=1;"
            f" ip netns exec {NS} sysctl -qw net.ipv6.conf.{PEER_IF}.disable_ipv6=1;"
            f" ip link set {HOST_IF} up; ip netns exec {NS} ip link set {PEER_IF} up")
        cls.created = True
        common = ["--size", "imix", "--mix", "6,3,1", "--ipv6", "0.25", "-q"]
        plain, vxlan = cls.path("plain.pcap"), cls.path("vxlan.pcap")
        run([GEN, "--flows", "150", "--packets", "8000", "--rate", "8000", "--seed", "21", *common,
             "-o", plain])
        run([GEN, "--tunnel", "vxlan", "--flows", "60", "--packets", "4000", "--rate", "4000",
             "--seed", "22", *common, "-o", vxlan])
        merged = cls.path("traffic.pcap")
        run(["mergecap", "-F", "nsecpcap", "-w", merged, plain, vxlan])
        cls.parts = []
        for k, (a, b) in enumerate([(1, 4000), (4001, 8000), (8001, 12000)]):
            part = cls.path("part%d.pcap" % k)
            run(["editcap", "-r", merged, part, "%d-%d" % (a, b)])
            cls.parts.append(part)
        with open(cls.path("creds"), "w") as f:
            f.write("%s:%s\n" % (USER, PASSWORD))
        os.chmod(cls.path("creds"), 0o600)
        cls.home = cls.path("home")
        os.makedirs(cls.home)
        with open(os.path.join(cls.home, ".snapflow.netrc"), "w") as f:
            f.write("machine 127.0.0.1 login %s password %s\n" % (USER, PASSWORD))
        os.chmod(os.path.join(cls.home, ".snapflow.netrc"), 0o600)
        cls.netrc = os.path.join(cls.home, ".snapflow.netrc")

        cls.ring = cls.path("ring")
        cls.log_file = open(cls.path("daemon.log"), "w")
        log = cls.log_file
        cls.daemon = subprocess.Popen(
            [CAPTURE, "--source=pcap:" + HOST_IF, "--ring-dir=" + cls.ring, "--ring-bytes=64M",
             "--ring-segment-bytes=1M", "--api-listen=127.0.0.1:0", "--flush-interval=20ms",
             "--api-credentials-file=" + cls.path("creds")], stdout=log, stderr=log)
        cls.api = None
        for _ in range(200):
            m = re.search(r"ready: api on (127\.0\.0\.1:\d+)", cls.log())
            if m:
                cls.api = "http://" + m.group(1)
                break
            time.sleep(0.05)
        assert cls.api, cls.log()
        sent = 0
        for k, part in enumerate(cls.parts):
            if k == 1:
                assert cls.get("/sysmaster/capture_start?StreamName=e2e-mid")[0] == 200
            run(["ip", "netns", "exec", NS, "tcpreplay", "-q", "--pps=8000", "-i", PEER_IF, part])
            sent += 4000
            cls.wait_captured(sent)
            if k == 1:
                assert cls.get("/sysmaster/capture_stop")[0] == 200
        time.sleep(0.3)  # a few commits: the ring holds everything captured
        cls.link, cls.snaplen, cls.records = ring_records(cls.ring)
        status = json.loads(cls.get("/sysmaster/status?format=json")[2])
        assert len(cls.records) == status["packets_captured"], (len(cls.records), status)
        assert status["packets_captured"] + status["packets_dropped"] == sent, status
        cls.times = [r[1] for r in cls.records]
        cls.ring_pcap = cls.path("ring.pcap")
        write_pcap(cls.ring_pcap, cls.records, cls.link, cls.snaplen)
        first, end = catalog(cls.ring)["e2e-mid"]
        base = cls.records[0][0]
        cls.mid = cls.records[first - base:end - base]
        cls.mid_pcap = cls.path("mid.pcap")
        write_pcap(cls.mid_pcap, cls.mid, cls.link, cls.snaplen)
        if status["packets_dropped"] == 0:
            # What was captured is the traffic sent, packet for packet, in order.
            sent_records = read_pcap(merged)[1]
            assert [r[4] for r in cls.records] == [r[3] for r in sent_records]

    @classmethod
    def tearDownClass(cls):
        if cls.daemon is not None:
            cls.daemon.terminate()
            try:
                cls.daemon.wait(20)
            except subprocess.TimeoutExpired:
                cls.daemon.kill()
                cls.daemon.wait()
            cls.log_file.close()
        if cls.created:
            run(f"ip netns del {NS}; ip link del {HOST_IF}", check=False)

    @classmethod
    def path(cls, name):
        return os.path.join(WORKDIR, name)

    @classmethod
    def log(cls):
        with open(cls.path("daemon.log")) as f:
            return f.read()

    @classmethod
    def get(cls, path, out=None):
        """curl (as an operator would, credentials from a netrc file): status, headers (and
        trailers) as a dict, body (bytes, or written to out)."""
        headers = cls.path("headers.txt")
        body = out or cls.path("body.bin")
        r = run(["curl", "-s", "--netrc-file", cls.netrc, "-D", headers, "-o", body,
                 "-w", "%{http_code}", cls.api + path], check=False)
        fields = {}
        with open(headers, "rb") as f:
            for line in f.read().decode("latin-1").splitlines():
                if ":" in line:
                    k, v = line.split(":", 1)
                    fields[k.strip().lower()] = v.strip()
        with open(body, "rb") as f:
            data = f.read()
        return int(r.stdout or 0), fields, data

    @classmethod
    def wait_captured(cls, want):
        for _ in range(300):
            s = json.loads(cls.get("/sysmaster/status?format=json")[2])
            if s["packets_captured"] + s["packets_dropped"] >= want:
                return
            time.sleep(0.1)
        raise AssertionError("capture did not account for %d packets" % want)

    def download(self, path, name="download.pcap"):
        status, headers, data = self.get(path, self.path(name))
        self.assertEqual(status, 200, (path, data[:300]))
        records = read_pcap(self.path(name))[1]
        self.assertEqual(headers.get("x-snapflow-records"), str(len(records)), path)
        self.assertEqual(headers.get("x-snapflow-records-skipped"), "0", path)
        return data

    def editcap(self, source, start, stop):
        out = self.path("editcap.pcap")
        run(["editcap", "-F", "nsecpcap", "-A", ns_time(start), "-B", ns_time(stop), source, out])
        with open(out, "rb") as f:
            return f.read()

    def test_random_windows_equal_editcap(self):
        rng = random.Random(8)
        first, last = self.times[0], self.times[-1]
        for round_ in range(30):
            a = rng.randrange(first - 10**8, last)
            b = a + 1 + rng.randrange(0, (last - first) // 3)
            form = round_ % 3
            start, stop = ((str(a), str(b)), (str(a) + "ULL", str(b) + "ULL"),
                           (rfc3339(a), rfc3339(b)))[form]
            got = self.download("/pcap/splittime?Start=%s&Stop=%s" % (
                urllib.parse.quote(start), urllib.parse.quote(stop)))
            self.assertEqual(got, self.editcap(self.ring_pcap, a, b), (a, b))

    def test_every_link_is_followed_and_every_split_equals_editcap(self):
        status, _, listing = self.get("/plain/list")
        self.assertEqual(status, 200)
        rows = [line.split(",") for line in listing.decode().splitlines()]
        self.assertEqual([r[0] for r in rows], ["e2e-mid"])
        name, size, packets, _, single, view = rows[0]
        with open(self.mid_pcap, "rb") as f:
            self.assertEqual(self.download(single), f.read())
        self.assertEqual((int(size), int(packets)),
                         (os.path.getsize(self.mid_pcap), len(self.mid)))
        splits = 0
        for view_link, source in ((view, self.mid_pcap), ("/plain/view", self.ring_pcap)):
            for as_json in (False, True):
                status, headers, body = self.get(view_link + ("&" if "?" in view_link else "?") +
                                                 "format=json" if as_json else view_link)
                self.assertEqual(status, 200, view_link)
                if as_json:
                    links = [v["link"] for v in json.loads(body)["views"]]
                else:
                    links = [line.split(",", 1)[1] for line in body.decode().splitlines()]
                self.assertEqual(len(links), 13)
                for link in links:
                    status, _, body = self.get(link + "&format=json" if as_json else link)
                    self.assertEqual(status, 200, link)
                    if as_json:
                        table = json.loads(body)
                        cut = [(r["url"], r["size_bytes"], r["packets"], r["start_ns"], r["stop_ns"])
                               for r in table["splits"]]
                    else:
                        cut = []
                        for line in body.decode().splitlines():
                            _, size_text, count_text, url = line.split(",")
                            q = urllib.parse.parse_qs(url.split("?", 1)[1])
                            cut.append((url, int(size_text), int(count_text),
                                        int(q["Start"][0]), int(q["Stop"][0])))
                    total = 0
                    for url, size_bytes, count, start, stop in cut:
                        got = self.download(url)
                        self.assertEqual((len(got), len(read_pcap(self.path("download.pcap"))[1])),
                                         (size_bytes, count), url)
                        if not as_json:  # each row once against editcap is enough
                            self.assertEqual(got, self.editcap(source, start, stop), url)
                        total += count
                        splits += 1
                    scope = len(self.mid) if source == self.mid_pcap else len(self.records)
                    self.assertEqual(total, scope, link)
        self.assertGreater(splits, 60)

    def ours(self, path):
        self.download(path, "filtered.pcap")
        return indices_in(self.records_as_read, read_pcap(self.path("filtered.pcap"))[1])

    def test_filters_match_tcpdump_and_tshark(self):
        Retrieval.records_as_read = read_pcap(self.ring_pcap)[1]
        window = "/pcap/splittime?Start=%d&Stop=%d" % (self.times[0], self.times[-1] + 1)
        for fmadio, tool, expression in FILTERS:
            with self.subTest(filter=fmadio):
                ours = self.ours(window + "&Filter=" + urllib.parse.quote(fmadio, safe=""))
                if tool == "bpf":
                    run(["tcpdump", "--time-stamp-precision=nano", "-r", self.ring_pcap, "-w",
                         self.path("tcpdump.pcap"), expression])
                    theirs = indices_in(self.records_as_read,
                                        read_pcap(self.path("tcpdump.pcap"))[1])
                    # The same expression as FilterBPF= runs libpcap in the daemon.
                    self.assertEqual(self.ours(window + "&FilterBPF=" +
                                               urllib.parse.quote(expression, safe="")), theirs)
                else:
                    r = run(["tshark", "-n", "-r", self.ring_pcap, "-Y", expression, "-T",
                             "fields", "-e", "frame.number"])
                    theirs = [int(n) - 1 for n in r.stdout.split()]
                self.assertEqual(ours, theirs, "%s: %d vs %d" % (fmadio, len(ours), len(theirs)))
                self.assertGreater(len(ours), 0, fmadio)
                self.assertLess(len(ours), len(self.records), fmadio)
        # /pcap/single takes the same filters; PCAPNG reads back in tshark.
        status, _, _ = self.get("/pcap/single?StreamName=e2e-mid&FilterBPF=udp&format=pcapng",
                                self.path("mid-udp.pcapng"))
        self.assertEqual(status, 200)
        run(["tcpdump", "-r", self.mid_pcap, "-w", self.path("mid-udp.pcap"), "udp"])
        r = run(["tshark", "-n", "-r", self.path("mid-udp.pcapng"), "-T", "fields", "-e",
                 "frame.len"])
        want = [str(rec[2]) for rec in read_pcap(self.path("mid-udp.pcap"))[1]]
        self.assertEqual(r.stdout.decode().split(), want)

    def test_bandwidth_sums_and_points(self):
        wire = sum(r[3] for r in self.records)
        mid_first, mid_end = self.mid[0][0], self.mid[-1][0] + 1
        a, b = self.times[len(self.times) // 5], self.times[4 * len(self.times) // 5]
        for query, scope in (("", None), ("?Points=100000", None), ("?Points=57", None),
                             ("?Start=%d&Stop=%d&Points=333" % (a, b), None),
                             ("?StreamName=e2e-mid&Points=2000", (mid_first, mid_end))):
            status, headers, body = self.get("/ring/bandwidth" + query)
            self.assertEqual(status, 200, query)
            self.assertEqual(headers.get("x-snapflow-bandwidth-exact"), "true", query)
            doc = json.loads(body)
            self.assertEqual(list(doc), ["start_ns", "stop_ns", "step_ns", "oldest_ns",
                                         "newest_ns", "points"])
            step = doc["step_ns"]
            self.assertEqual(step % 10**6, 0)
            records = self.records if scope is None else self.mid
            self.assertEqual((doc["oldest_ns"], doc["newest_ns"]), (records[0][1], records[-1][1]))
            times = [r[1] for r in records]
            for k, (t, packets, wire_bytes) in enumerate(doc["points"]):
                self.assertEqual(t, doc["start_ns"] + k * step)
                lo, hi = bisect.bisect_left(times, t), bisect.bisect_left(times, t + step)
                self.assertEqual((packets, wire_bytes),
                                 (hi - lo, sum(r[3] for r in records[lo:hi])), (query, k))
            if "Start" not in query:
                self.assertEqual(sum(p[1] for p in doc["points"]), len(records))
                self.assertEqual(sum(p[2] for p in doc["points"]),
                                 wire if scope is None else sum(r[3] for r in records))

    def test_filter_check_and_error_answers(self):
        for query, status, position, token in (
                ("Filter=" + urllib.parse.quote("tcp.port == 443 & !udp.port==53"), 200, None, None),
                ("Filter=" + urllib.parse.quote("tcp.port==80 | udp.prot==53"), 400, 16, "udp.prot"),
                ("Filter=" + urllib.parse.quote("ipv4.addr==10.0.0.0/40"), 400, 12, "10.0.0.0/40"),
                ("FilterBPF=" + urllib.parse.quote("tcp port 443"), 200, None, None)):
            code, _, body = self.get("/filter/check?" + query)
            doc = json.loads(body)
            self.assertEqual(code, status, body)
            if status == 200:
                self.assertTrue(doc["ok"])
            else:
                self.assertEqual((doc["ok"], doc["position"], doc["token"]),
                                 (False, position, token), body)
        self.assertEqual(json.loads(self.get("/filter/check?Filter=tcp.port%20%3D%3D%20443")[2]),
                         {"ok": True, "filter": "tcp.port==443"})
        last = self.times[-1]
        code, headers, body = self.get("/pcap/splittime?Start=%d&Stop=%d" % (last + 10**9,
                                                                          last + 2 * 10**9))
        self.assertEqual(code, 416, body)
        self.assertEqual((int(headers["x-snapflow-oldest-ns"]), int(headers["x-snapflow-newest-ns"])),
                         (self.times[0], last))
        for path, code, says in (
                ("/pcap/splittime?Start=%d&Stop=%d" % (last, last), 400, b"Stop must be after"),
                ("/pcap/splittime?Start=%d&Stop=%d&Filter=tcp.port%%3D80" % (last - 10**9, last),
                 400, b"filter position 9 at '='"),
                ("/pcap/splittime?StreamName=nosuch&Start=1&Stop=2", 404, b"no capture named"),
                ("/plain/split?StreamView=split_7sec", 400, b"unknown split view")):
            status, _, body = self.get(path)
            self.assertEqual(status, code, (path, body))
            self.assertIn(says, body)

    def readme_block(self, marker):
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            text = f.read()
        at = text.index("<!-- " + marker + " -->")
        block = re.search(r"```sh\n(.*?)```", text[at:], re.S)
        return block.group(1)

    def pull_as_written(self, block, cwd, env):
        """Runs a README block; returns tcpdump's packets, each as one string.

        tcpdump prints a tunnelled packet on several lines (VXLAN: outer, then inner), and
        only a packet's first line starts with its time stamp."""
        r = subprocess.run(["bash", "-eo", "pipefail", "-c", block], cwd=cwd, env=env,
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        packets = []
        for line in r.stdout.decode().splitlines():
            if re.match(r"\d\d:\d\d:\d\d\.\d+ ", line) or not packets:
                packets.append(line)
            else:
                packets[-1] += " / " + line
        return packets

    def test_readme_spot_it_pull_it_from_ndjson(self):
        # pcap2json reads the ring with document links, as the README's live command does.
        docs = self.path("snapflows.ndjson")
        run([PCAP2JSON, "--ring", self.ring, "--no-progress", "--pcap-link-base", self.api,
             "-o", docs])
        env = dict(os.environ, HOME=self.home)
        packets = self.pull_as_written(self.readme_block("spot-it-pull-it-ndjson"), WORKDIR, env)
        with open(docs) as f:
            flows = [d for d in map(json.loads, f) if d.get("destination", {}).get("port") == 443]
        self.assertEqual(len(packets), flows[0]["network"]["packets"], packets[:3])
        self.assertTrue(all(".443: " in packet for packet in packets), packets[:3])
        # Whichever flow comes first, a VXLAN-mirrored one's link pulls its packets too.
        tunnelled = next(d for d in flows if "tunnel" in d["snapflow"])
        block = self.readme_block("spot-it-pull-it-ndjson").splitlines()[1].replace(
            '"$link"', "'" + tunnelled["snapflow"]["pcap_link"] + "'")
        packets = self.pull_as_written(block, WORKDIR, env)
        self.assertEqual(len(packets), tunnelled["network"]["packets"], packets[:3])
        self.assertTrue(all("vni %d" % tunnelled["snapflow"]["tunnel"]["vni"] in packet
                            and ".443: " in packet for packet in packets), packets[:3])

    def test_readme_spot_it_pull_it_from_a_search_query(self):
        if os.environ.get("SNAPFLOW_RETRIEVAL_SEARCH") != "1":
            self.skipTest("runs an OpenSearch node: ctest -R retrieval_readme_search_e2e_test")
        env = dict(os.environ, SNAPFLOW_SEARCH_INSTANCE="retr")
        script = os.path.join(SOURCE_DIR, "scripts", "search-server.sh")
        url = run([script, "start", "opensearch"], env=env).stdout.decode().split()[-1]
        self.addCleanup(run, [script, "stop", "opensearch"], check=False, env=env)
        # The node keeps its data between runs: documents of an earlier run link to a daemon
        # that is gone, and the README's query could pick one of them.
        run(["curl", "-sf", "-XDELETE", url + "/snapflow-*"])
        run([PCAP2JSON, "--ring", self.ring, "--no-progress", "--pcap-link-base", self.api,
             "--es-host", url])
        run(["curl", "-sf", "-XPOST", url + "/snapflow-*/_refresh"])
        env = dict(os.environ, HOME=self.home, ES=url)
        packets = self.pull_as_written(self.readme_block("spot-it-pull-it-search"), WORKDIR, env)
        # The document the README's query picks: its packets, all to port 443.
        r = run(["curl", "-sf", url + "/snapflow-*/_search?size=1&sort=network.bytes:desc"
                 "&q=destination.port:443"])
        doc = json.loads(r.stdout)["hits"]["hits"][0]["_source"]
        self.assertEqual(len(packets), doc["network"]["packets"], packets[:3])
        self.assertTrue(all(".443: " in packet for packet in packets), packets[:3])


if __name__ == "__main__":
    unittest.main(verbosity=2)
