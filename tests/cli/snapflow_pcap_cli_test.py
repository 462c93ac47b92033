#!/usr/bin/env python3
"""Command-line behaviour of snapflow-pcap on rings written by the real RingWriter.

Downloads are compared byte for byte with what editcap -A/-B cuts from the same packets (and
tshark/editcap read the PCAPNG form); split rows with the downloads of their own URLs; a ring
whose writer was killed serves every committed record; bad input gives one line on stderr and
the documented exit status (2 bad input, 1 failure, 3 window outside the ring).
Usage: snapflow_pcap_cli_test.py SNAPFLOW_PCAP SNAPFLOW_GEN RING_LOAD WORKDIR
"""
import json
import os
import pty
import random
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_records import indices_in, read_pcap  # noqa: E402

PCAP, GEN, RING_LOAD, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]

START_NS = 1_795_392_000_000_000_000  # snapflow-gen's default start, 2026-11-23T00:00:00Z


def run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, **kw)


def pcap(*args, **kw):
    return run(PCAP, *args, **kw)


def editcap_window(src, dst, start_ns, stop_ns):
    a = f"{start_ns // 10**9}.{start_ns % 10**9:09d}"
    b = f"{stop_ns // 10**9}.{stop_ns % 10**9:09d}"
    subprocess.run(["editcap", "-F", "nsecpcap", "-A", a, "-B", b, src, dst], check=True,
                   capture_output=True)
    with open(dst, "rb") as f:
        return f.read()


class SnapflowPcapCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.src = os.path.join(WORKDIR, "traffic.pcap")
        # 30 000 IMIX packets over ~3 s with jitter-free 100 us spacing, IPv6 and ICMP mixed in.
        subprocess.run([GEN, "--flows", "200", "--packets", "30000", "--size", "imix",
                        "--rate", "10000", "--ipv6", "0.2", "--mix", "6,3,1", "--seed", "9",
                        "-q", "-o", cls.src], check=True)
        cls.ring = os.path.join(WORKDIR, "ring")
        subprocess.run([RING_LOAD, "--ring", cls.ring, "--segment-bytes", str(1 << 20),
                        "--capture", "incident:5000:20000", cls.src], check=True)
        _, cls.records = read_pcap(cls.src)

    def path(self, name):
        return os.path.join(WORKDIR, name)

    def assert_error(self, result, status, *needles):
        self.assertEqual(result.returncode, status, result.stderr)
        err = result.stderr.decode().strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("snapflow-pcap: "), err)
        for needle in needles:
            self.assertIn(needle, err)
        self.assertEqual(result.stdout, b"")

    def test_whole_ring_is_the_original_capture(self):
        out = self.path("all.pcap")
        r = pcap("extract", "--ring", self.ring, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as a, open(self.src, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertFalse(os.path.exists(out + ".part"))

    def test_random_windows_equal_editcap(self):
        rng = random.Random(4)
        first, last = self.records[0][0], self.records[-1][0]
        for i in range(12):
            a = rng.randrange(first - 10**8, last)
            b = rng.randrange(a + 1, last + 10**8)
            if i % 3 == 0:
                a = self.records[rng.randrange(len(self.records))][0]  # exactly on a packet
                b = a + rng.randrange(1, 10**9)
            start = str(a) + ("ULL" if i % 2 else "")
            r = pcap("extract", "--ring", self.ring, "--start", start, "--stop", str(b))
            self.assertEqual(r.returncode, 0, r.stderr)
            expected = editcap_window(self.src, self.path("editcap.pcap"), a, b)
            self.assertEqual(r.stdout, expected, f"window {a} {b}")

    def test_rfc3339_and_fmadio_times_name_the_same_window(self):
        a = START_NS + 1_234_500_000
        b = START_NS + 1_734_500_000
        forms = [(str(a), str(b)),
                 ("2026-11-23T00:00:01.2345Z", "2026-11-23T01:00:01.7345+01:00"),
                 ("20261123_00:00:01.234.500.000", "20261123_00:00:01.734.500")]
        outputs = [pcap("extract", "--ring", self.ring, "--start", s, "--stop", e).stdout
                   for s, e in forms]
        self.assertEqual(outputs[0], editcap_window(self.src, self.path("w.pcap"), a, b))
        self.assertEqual(outputs[1], outputs[0])
        self.assertEqual(outputs[2], outputs[0])

    def test_pcapng_carries_the_same_packets(self):
        a, b = START_NS + 500_000_000, START_NS + 900_000_000
        out = self.path("w.pcapng")
        r = pcap("extract", "--ring", self.ring, "--start", str(a), "--stop", str(b),
                 "--format", "pcapng", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        info = run("capinfos", "-t", "-c", "-M", out).stdout.decode()
        self.assertIn("pcapng", info)
        self.assertIn("Number of packets:   4000", info)
        back = self.path("back.pcap")
        subprocess.run(["editcap", "-F", "nsecpcap", out, back], check=True, capture_output=True)
        with open(back, "rb") as f:
            self.assertEqual(f.read(), editcap_window(self.src, self.path("w2.pcap"), a, b))
        n = run("tshark", "-n", "-r", out, "-T", "fields", "-e", "frame.number").stdout.split()
        self.assertEqual(len(n), 4000)

    def test_named_capture_list_view_and_info(self):
        r = pcap("list", "--ring", self.ring)
        self.assertEqual(r.returncode, 0, r.stderr)
        name, size, packets, start, stop = r.stdout.decode().strip().split(",")
        self.assertEqual((name, int(packets)), ("incident", 15000))
        self.assertEqual(int(size), 24 + sum(16 + rec[1] for rec in self.records[5000:20000]))
        self.assertTrue(start.startswith("2026-11-23T00:00:00.5"))
        listed = json.loads(pcap("list", "--ring", self.ring, "--format", "json").stdout)
        self.assertEqual(listed["captures"][0]["size_bytes"], int(size))
        # The capture's download is exactly its records.
        r = pcap("extract", "--ring", self.ring, "--stream", "incident")
        _, recs = read_pcap_bytes(r.stdout, self.path("inc.pcap"))
        self.assertEqual(recs, self.records[5000:20000])
        self.assertEqual(len(r.stdout), int(size))
        views = pcap("view", "--ring", self.ring, "--stream", "incident").stdout.decode()
        self.assertEqual(len(views.splitlines()), 13)
        self.assertIn("split_1sec,/plain/split?StreamName=incident&StreamView=split_1sec\n", views)
        info = dict(line.split(" ", 1) for line in
                    pcap("info", "--ring", self.ring).stdout.decode().splitlines())
        self.assertEqual(int(info["packets"]), len(self.records))
        self.assertEqual(info["oldest"], "2026-11-23T00:00:00.000000000Z")
        j = json.loads(pcap("info", "--ring", self.ring, "--format", "json").stdout)
        self.assertEqual(j["pcap_bytes"], os.path.getsize(self.src))

    def test_split_rows_equal_their_downloads(self):
        for view, stream in (("split_1sec", None), ("split_1MB", None), ("split_1sec", "incident"),
                             ("split_1MB", "incident"), ("split_1min", "incident")):
            args = ["split", "--ring", self.ring, "--view", view, "--format", "json"]
            if stream:
                args += ["--stream", stream]
            r = pcap(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
            table = json.loads(r.stdout)
            total = 0
            for row in table["splits"]:
                self.assertTrue(row["url"].startswith("/pcap/splittime?"))
                cmd = ["extract", "--ring", self.ring, "--start", str(row["start_ns"]), "--stop",
                       str(row["stop_ns"])]
                if stream:
                    cmd += ["--stream", stream]
                    self.assertIn(f"StreamName={stream}&", row["url"])
                got = pcap(*cmd).stdout
                self.assertEqual(len(got), row["size_bytes"], row)
                total += row["packets"]
            self.assertEqual(total, 15000 if stream else len(self.records))
            csv = pcap(*[a for a in args if a not in ("--format", "json")]).stdout.decode()
            self.assertEqual(len(csv.splitlines()), len(table["splits"]))

    def test_ring_whose_writer_was_killed(self):
        ring = self.path("killed")
        shutil.rmtree(ring, ignore_errors=True)
        subprocess.run([RING_LOAD, "--ring", ring, "--segment-bytes", str(1 << 20), "--kill",
                        "--uncommitted", "300", self.src], check=True)
        r = pcap("extract", "--ring", ring)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, recs = read_pcap_bytes(r.stdout, self.path("killed.pcap"))
        # Every committed record (all but the last 300 appended after the last commit; a segment
        # roll in between commits some of those too), in order, nothing torn.
        self.assertGreaterEqual(len(recs), len(self.records) - 300)
        self.assertLess(len(recs), len(self.records))
        self.assertEqual(recs, self.records[:len(recs)])
        info = dict(line.split(" ", 1) for line in
                    pcap("info", "--ring", ring).stdout.decode().splitlines())
        self.assertEqual(int(info["packets"]), len(recs))

    def test_bandwidth_sums_and_points(self):
        # Points of whole milliseconds, each the records of its [t, t + step): exact when the
        # index runs the boundaries fall in are few enough to read.
        times = [r[0] for r in self.records]
        for args in ([], ["--points", "7", "--start", str(times[100]), "--stop",
                          str(times[20000])]):
            r = pcap("bandwidth", "--ring", self.ring, "--format", "json", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, b"")  # exact: no note about the index granularity
            doc = json.loads(r.stdout)
            step = doc["step_ns"]
            self.assertEqual(step % 1_000_000, 0)
            for k, (t, packets, wire) in enumerate(doc["points"]):
                self.assertEqual(t, doc["start_ns"] + k * step)
                inside = [rec for rec in self.records if t <= rec[0] < t + step]
                self.assertEqual((packets, wire), (len(inside), sum(x[2] for x in inside)))
        self.assertEqual(sum(p[1] for p in json.loads(
            pcap("bandwidth", "--ring", self.ring, "--format", "json").stdout)["points"]),
            len(self.records))
        # 3000 boundaries inside 1 ms runs of ~10 records (~15 MB to read): index granularity,
        # said on stderr; the sums stay exact.
        r = pcap("bandwidth", "--ring", self.ring, "--format", "json", "--points", "100000")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"at the index's granularity", r.stderr)
        self.assertEqual(sum(p[1] for p in json.loads(r.stdout)["points"]), len(self.records))
        csv = pcap("bandwidth", "--ring", self.ring, "--points", "3").stdout.decode().splitlines()
        self.assertEqual(len(csv), 3)
        self.assertEqual(sum(int(line.split(",")[1]) for line in csv), len(self.records))
        capture = json.loads(pcap("bandwidth", "--ring", self.ring, "--stream", "incident",
                                  "--format", "json").stdout)
        self.assertEqual(sum(p[1] for p in capture["points"]), 15000)
        self.assert_error(pcap("bandwidth", "--ring", self.ring, "--points", "0"), 2, "Points: ")
        self.assert_error(pcap("bandwidth", "--ring", self.ring, "--filter", "x"), 2,
                          "extract only")

    def test_bad_input_is_one_line_and_a_status(self):
        ring = self.ring
        self.assert_error(pcap("extract", "--ring", self.path("nope")), 1, "nope")
        self.assert_error(pcap("extract", "--ring", ring, "--start", "yesterday"), 2,
                          "Start: invalid time 'yesterday'")
        self.assert_error(pcap("extract", "--ring", ring, "--stop", "2026-13-01T00:00:00Z"), 2,
                          "Stop: invalid time")
        self.assert_error(pcap("extract", "--ring", ring, "--start", "5", "--stop", "5"), 2,
                          "Stop must be after Start")
        self.assert_error(pcap("extract", "--ring", ring, "--filter", "tcp.port=80"), 2,
                          "filter position 9 at '='")
        self.assert_error(pcap("extract", "--ring", ring, "--filter", "ipv4.addr==10.0.0.300"), 2,
                          "filter position 12 at '10.0.0.300'")
        self.assert_error(pcap("extract", "--ring", ring, "--filter", "(tcp.port==1 | x"), 2,
                          "position 16 at 'x': unknown block name")
        self.assert_error(pcap("extract", "--ring", ring, "--bpf", "tcp prt 80"), 2,
                          "BPF filter 'tcp prt 80'", "syntax error")
        self.assert_error(pcap("extract", "--ring", ring, "--stream", "nope"), 1,
                          "no capture named nope")
        self.assert_error(pcap("extract", "--ring", ring, "--stream", "../x"), 2,
                          "invalid StreamName")
        self.assert_error(pcap("extract", "--ring", ring, "--format", "json"), 2, "unknown format")
        self.assert_error(pcap("split", "--ring", ring, "--view", "split_2sec"), 2,
                          "unknown split view 'split_2sec'")
        self.assert_error(pcap("split", "--ring", ring), 2, "--view")
        self.assert_error(pcap("bogus"), 2, "unknown command 'bogus'")
        self.assert_error(pcap("extract", "--ring", ring, "--frobnicate", "1"), 2,
                          "unknown option '--frobnicate'")
        self.assert_error(pcap("list", "--ring", ring, "--filter", "x"), 2, "extract only")
        # Windows outside the ring: status 3, with the ring's oldest and newest times.
        self.assert_error(pcap("extract", "--ring", ring, "--start", "1", "--stop", "2"), 3,
                          "outside the ring's data", "oldest 2026-11-23T00:00:00.000000000Z",
                          "newest 2026-11-23T00:00:02.999900000Z")
        self.assert_error(pcap("extract", "--ring", ring, "--start", "2027-01-01T00:00:00Z",
                               "--stop", "2027-01-02T00:00:00Z"), 3, "outside")
        self.assert_error(pcap("extract", "--ring", ring, "--stream", "incident", "--start",
                               str(START_NS + 2_500_000_000)), 3, "outside capture incident")

    def test_output_never_goes_to_a_terminal_and_progress_only_to_one(self):
        # stdout a terminal: refused, nothing written.
        master, slave = pty.openpty()
        r = subprocess.run([PCAP, "extract", "--ring", self.ring], stdout=slave,
                           stderr=subprocess.PIPE)
        os.close(slave)
        os.close(master)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"refusing to write a capture file to a terminal", r.stderr)
        # stderr a terminal: a progress bar, ending with the totals.
        master, slave = pty.openpty()
        out = self.path("progress.pcap")
        proc = subprocess.Popen([PCAP, "extract", "--ring", self.ring, "-o", out], stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(master)
        self.assertEqual(proc.wait(), 0)
        self.assertIn(b"100.0%", seen)
        self.assertIn(b"30000 packets", seen)
        # Piped stderr: silent.
        r = pcap("extract", "--ring", self.ring, "-o", out)
        self.assertEqual(r.stderr, b"")

    def test_help(self):
        r = pcap("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("info", "list", "view", "split", "extract", "--start", "--filter", "--bpf",
                     "pcapng", "exit status"):
            self.assertIn(word, r.stdout.decode())


def read_pcap_bytes(blob, path):
    with open(path, "wb") as f:
        f.write(blob)
    return read_pcap(path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
