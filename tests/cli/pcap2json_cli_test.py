#!/usr/bin/env python3
"""Command-line behaviour of pcap2json: exact sums, stdin, several files, and bad input.

Bad input must give one clear line on stderr naming the file, record and byte offset, a
non-zero exit, no crash, and every document for the packets before the fault.
Usage: pcap2json_cli_test.py PCAP2JSON SNAPFLOW_GEN WORKDIR
"""
import calendar
import gzip
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
import unittest

from pcap_records import read_pcap  # noqa: E402  (beside this file)

PCAP2JSON, SNAPFLOW_GEN, WORKDIR = sys.argv[1:4]
del sys.argv[1:4]

PACKET = 64
RECORD = 16 + PACKET


def generate(name, *args):
    path = os.path.join(WORKDIR, name + ".pcap")
    subprocess.run([SNAPFLOW_GEN, "-o", path, *args], check=True, capture_output=True)
    return path


def pcap2json(*args, stdin=None):
    return subprocess.run([PCAP2JSON, "--no-progress", *args], capture_output=True, input=stdin)


def docs(stdout):
    return [json.loads(line) for line in stdout.decode().splitlines()]


def flow_sums(documents):
    flows = [d for d in documents if d["event"]["dataset"] == "snapflow.flow"]
    return (sum(d["network"]["packets"] for d in flows), sum(d["network"]["bytes"] for d in flows))


def write_pcap(path, records, linktype=1, snaplen=65535):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for ts, data, wire in records:
            f.write(struct.pack("<IIII", ts, 0, len(data), wire))
            f.write(data)


def write_pcap_ns(path, records):
    """Nanosecond classic PCAP of (ts_ns, caplen, wire, data) records, as read_pcap returns."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for ts, caplen, wire, data in records:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, caplen, wire))
            f.write(data)


def ns_of(stamp):
    """Nanoseconds since the epoch of an RFC 3339 UTC time stamp with 9 decimals."""
    seconds, fraction = stamp.rstrip("Z").split(".")
    return int(calendar.timegm(time.strptime(seconds, "%Y-%m-%dT%H:%M:%S"))) * 10**9 + int(
        fraction.ljust(9, "0"))


class Pcap2JsonCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sample = generate("sample", "--flows", "50", "--packets", "1000", "--size", str(PACKET),
                              "--seed", "3")

    def assert_one_line_error(self, result, *needles):
        self.assertEqual(result.returncode, 1, result.stderr)
        err = result.stderr.decode().strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("pcap2json: "), err)
        for needle in needles:
            self.assertIn(needle, err)

    def test_help_and_version(self):
        r = pcap2json("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ("--interval", "--bulk", "--gzip", "--json-packet", "--threads", "--stats",
                     "--top-n", "--format", "--observer", "--capture", "--output"):
            self.assertIn(flag, r.stdout.decode())
        self.assertIn("pcap2json", pcap2json("--version").stdout.decode())

    def test_usage_errors_exit_2_with_the_flag_named(self):
        for args, needle in ((["--interval", "5parsecs", self.sample], "--interval"),
                             (["--interval", "2h", self.sample], "--interval"),
                             (["--threads", "zero", self.sample], "--threads"),
                             (["--bogus", self.sample], "--bogus"),
                             ([], "no input")):
            r = pcap2json(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(needle, r.stderr.decode())
            self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1)

    def test_documents_account_for_every_packet_and_byte(self):
        size = os.path.getsize(self.sample)
        r = pcap2json("--stats", self.sample)
        self.assertEqual(r.returncode, 0, r.stderr)
        packets, wire = flow_sums(docs(r.stdout))
        self.assertEqual(packets, 1000)
        self.assertEqual(wire, size - 24 - 1000 * 16)
        self.assertIn("exact", r.stderr.decode())

    def test_totals_documents_equal_flow_sums_per_snapshot(self):
        documents = docs(pcap2json(self.sample).stdout)
        per_snapshot = {}
        for d in documents:
            if d["event"]["dataset"] == "snapflow.flow":
                s = per_snapshot.setdefault(d["@timestamp"], [0, 0, 0])
                s[0] += d["network"]["packets"]
                s[1] += d["network"]["bytes"]
                s[2] += 1
        totals = {d["@timestamp"]: [d["network"]["packets"], d["network"]["bytes"],
                                    d["snapflow"]["flows"]]
                  for d in documents if d["event"]["dataset"] == "snapflow.totals"}
        self.assertEqual(per_snapshot, totals)

    def test_stdin_gives_the_same_documents_as_the_file(self):
        with open(self.sample, "rb") as f:
            data = f.read()
        from_stdin = pcap2json("--capture", "x", "-", stdin=data)
        from_file = pcap2json("--capture", "x", self.sample)
        self.assertEqual(from_stdin.returncode, 0, from_stdin.stderr)
        self.assertEqual(sorted(from_stdin.stdout.splitlines()), sorted(from_file.stdout.splitlines()))

    def test_gzip_bulk_output_is_standard_gzip_with_action_lines(self):
        out = os.path.join(WORKDIR, "out.ndjson.gz")
        r = pcap2json("--bulk", "--gzip", "-o", out, self.sample)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = gzip.open(out, "rt").read().splitlines()
        self.assertEqual(len(lines) % 2, 0)
        actions = [json.loads(l) for l in lines[0::2]]
        self.assertTrue(all("create" in a and a["create"]["_index"].startswith("snapflow-") for a in actions))
        ids = [a["create"]["_id"] for a in actions]
        self.assertEqual(len(ids), len(set(ids)), "ids are unique")
        again = os.path.join(WORKDIR, "again.ndjson.gz")
        pcap2json("--bulk", "--gzip", "-o", again, self.sample)
        ids_again = [json.loads(l)["create"]["_id"] for l in gzip.open(again, "rt").read().splitlines()[0::2]]
        self.assertEqual(sorted(ids), sorted(ids_again), "ids are deterministic")

    def test_every_thread_count_writes_the_same_bytes(self):
        # One 100 ms snapshot of 12 000 generated flows (11 400 of them send within 36 000
        # packets): its flow documents are encoded in parallel runs of 4 096 that cross shard
        # boundaries; their order, and the totals document before its flows, must not depend
        # on the threads or on how large each written batch is.
        capture = generate("many_flows", "--flows", "12000", "--packets", "36000", "--size",
                           str(PACKET), "--rate", "1000000", "--seed", "6")
        outputs = {}
        for threads in ("1", "2", "4"):
            plain = os.path.join(WORKDIR, f"threads{threads}.ndjson")
            packed = os.path.join(WORKDIR, f"threads{threads}.ndjson.gz")
            r = pcap2json("--threads", threads, "-o", plain, capture)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = pcap2json("--threads", threads, "--bulk", "--gzip", "-o", packed, capture)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(plain, "rb") as f:
                outputs[threads] = (f.read(), gzip.open(packed).read())
        self.assertTrue(outputs["1"] == outputs["2"] == outputs["4"], "outputs differ by threads")
        documents = docs(outputs["1"][0])
        datasets = [d["event"]["dataset"] for d in documents]
        self.assertEqual(datasets[0], "snapflow.totals")
        self.assertEqual(datasets.count("snapflow.totals"), 1, "all packets in one snapshot")
        self.assertEqual(datasets.count("snapflow.flow"), documents[0]["snapflow"]["flows"])
        self.assertGreater(datasets.count("snapflow.flow"), 2 * 4096, "more than two runs")
        self.assertEqual(flow_sums(documents), (36000, 36000 * PACKET))

    def test_top_n_keeps_its_order_whatever_the_threads(self):
        # --top-n 5000 of 11 400 flows: the kept flows span two runs of 4 096, encoded in
        # parallel and written in order, then the "other" document that folds the rest.
        capture = generate("many_flows_top", "--flows", "12000", "--packets", "36000", "--size",
                           str(PACKET), "--rate", "1000000", "--seed", "6")
        outputs = {}
        for threads in ("1", "2", "4"):
            r = pcap2json("--threads", threads, "--top-n", "5000", capture)
            self.assertEqual(r.returncode, 0, r.stderr)
            outputs[threads] = r.stdout
        self.assertTrue(outputs["1"] == outputs["2"] == outputs["4"], "outputs differ by threads")
        documents = docs(outputs["1"])
        self.assertEqual(documents[0]["event"]["dataset"], "snapflow.totals")
        kept = [d for d in documents[1:-1]]
        self.assertEqual(len(kept), 5000)
        self.assertFalse(any(d["snapflow"].get("other") for d in kept))
        sizes = [d["network"]["bytes"] for d in kept]
        self.assertEqual(sizes, sorted(sizes, reverse=True), "largest first")
        other = documents[-1]
        self.assertTrue(other["snapflow"]["other"])
        self.assertEqual(other["snapflow"]["other_flows"], documents[0]["snapflow"]["flows"] - 5000)
        self.assertEqual(flow_sums(documents[1:]), (36000, 36000 * PACKET))

    def test_full_output_device_fails_with_one_line_error(self):
        # /dev/full fails every write (ENOSPC): whichever thread writes the batch that fails,
        # the run stops with one line that names the file.
        if not os.access("/dev/full", os.W_OK):
            self.skipTest("no /dev/full")
        capture = generate("full_device", "--flows", "12000", "--packets", "36000", "--size",
                           str(PACKET), "--rate", "1000000", "--seed", "6")
        for threads in ("1", "2"):
            r = pcap2json("--threads", threads, "-o", "/dev/full", capture)
            self.assert_one_line_error(r, "/dev/full", "No space left on device")

    def test_several_files_are_read_in_time_order(self):
        early = generate("early", "--flows", "5", "--packets", "100", "--start", "1700000000000000000", "--seed", "4")
        late = generate("late", "--flows", "5", "--packets", "100", "--start", "1700000100000000000", "--seed", "5")
        r = pcap2json("--json-packet", late, early)
        self.assertEqual(r.returncode, 0, r.stderr)
        stamps = [d["@timestamp"] for d in docs(r.stdout)]
        self.assertEqual(len(stamps), 200)
        self.assertEqual(stamps, sorted(stamps))

    def test_packet_mode_one_document_per_packet(self):
        r = pcap2json("--json-packet", self.sample)
        self.assertEqual(r.returncode, 0, r.stderr)
        documents = docs(r.stdout)
        self.assertEqual(len(documents), 1000)
        self.assertEqual([d["snapflow"]["record"] for d in documents], list(range(1, 1001)))

    def test_truncated_file_reports_record_and_offset_and_keeps_earlier_documents(self):
        with open(self.sample, "rb") as f:
            data = f.read()
        path = os.path.join(WORKDIR, "truncated.pcap")
        cut = 24 + 700 * RECORD + 30  # inside record 701
        with open(path, "wb") as f:
            f.write(data[:cut])
        r = pcap2json(path)
        self.assert_one_line_error(r, "truncated.pcap", "record 701", "byte %d" % (24 + 700 * RECORD))
        self.assertEqual(flow_sums(docs(r.stdout))[0], 700)

    def test_truncated_file_with_skip_bad_records_succeeds_and_counts(self):
        with open(self.sample, "rb") as f:
            data = f.read()
        path = os.path.join(WORKDIR, "truncated_skip.pcap")
        with open(path, "wb") as f:
            f.write(data[:24 + 700 * RECORD + 30])
        r = pcap2json("--skip-bad-records", "--stats", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(flow_sums(docs(r.stdout))[0], 700)
        self.assertIn("skipped", r.stderr.decode())

    def test_wrong_magic(self):
        path = os.path.join(WORKDIR, "notpcap.pcap")
        with open(path, "wb") as f:
            f.write(b"GIF89a" + bytes(100))
        self.assert_one_line_error(pcap2json(path), "notpcap.pcap", "magic")

    def test_oversize_captured_length(self):
        path = os.path.join(WORKDIR, "oversize.pcap")
        frame = bytes(60)
        write_pcap(path, [(1, frame, 60), (2, frame, 60)])
        with open(path, "r+b") as f:  # second record claims 300000 captured bytes
            f.seek(24 + 16 + 60 + 8)
            f.write(struct.pack("<I", 300000))
        r = pcap2json(path)
        self.assert_one_line_error(r, "oversize.pcap", "record 2", "byte 100")
        self.assertEqual(flow_sums(docs(r.stdout))[0], 1)

    def test_garbage_between_records_is_an_error_or_skipped(self):
        with open(self.sample, "rb") as f:
            data = f.read()
        path = os.path.join(WORKDIR, "garbage.pcap")
        at = 24 + 500 * RECORD
        with open(path, "wb") as f:
            f.write(data[:at] + bytes([0xFF]) * 37 + data[at:])
        self.assert_one_line_error(pcap2json(path), "garbage.pcap", "record 501")
        r = pcap2json("--skip-bad-records", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(flow_sums(docs(r.stdout))[0], 1000)

    def test_unknown_link_type_is_an_error(self):
        path = os.path.join(WORKDIR, "linktype.pcap")
        write_pcap(path, [(1, bytes(60), 60)], linktype=147)
        self.assert_one_line_error(pcap2json(path), "linktype.pcap", "link type 147")

    def test_empty_and_missing_files(self):
        empty = os.path.join(WORKDIR, "empty.pcap")
        open(empty, "wb").close()
        self.assert_one_line_error(pcap2json(empty), "empty.pcap")
        self.assert_one_line_error(pcap2json(os.path.join(WORKDIR, "missing.pcap")), "missing.pcap")

    def test_sigint_stops_a_replay_and_the_same_command_finishes_it(self):
        # Half the capture through stdin, SIGINT once documents are out, then the rest (a read
        # blocked on the pipe returns with it). The snapshots still open are not exported, so
        # every document written is one a complete run writes too: running again finishes.
        path = generate("interrupted", "--flows", "200", "--packets", "400000", "--size",
                        str(PACKET), "--rate", "100000", "--seed", "8")
        full = pcap2json("--capture", "replay", path)
        self.assertEqual(full.returncode, 0, full.stderr)
        with open(path, "rb") as f:
            data = f.read()
        half = 24 + 200000 * RECORD
        out = os.path.join(WORKDIR, "interrupted.ndjson")
        proc = subprocess.Popen([PCAP2JSON, "--no-progress", "--stats", "--capture", "replay",
                                 "-o", out, "-"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        # Returns once pcap2json has taken all but a pipe's worth: 16 MB are far more than its
        # read buffer, so closed snapshots' documents are on their way.
        proc.stdin.write(data[:half])
        proc.stdin.flush()
        proc.send_signal(signal.SIGINT)
        try:
            proc.stdin.write(data[half:])
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode()
        proc.stderr.close()
        self.assertEqual(proc.wait(60), 130, err)
        last = err.strip().splitlines()[-1]
        self.assertRegex(last, r"^pcap2json: interrupted after \d+ packets: the last \d+ "
                               r"\(\d+ bytes\), in snapshots still open, were not exported; "
                               r"run the same command again")
        self.assertIn("exact", err)
        read, unexported = (int(x) for x in
                            re.match(r"pcap2json: interrupted after (\d+) packets: the last (\d+)",
                                     last).groups())
        self.assertGreater(unexported, 0)
        with open(out, "rb") as f:
            cut = f.read().splitlines()
        whole = set(full.stdout.splitlines())
        self.assertTrue(cut, err)
        self.assertEqual([line for line in cut if line not in whole], [],
                         "a document the complete run does not write")
        self.assertEqual(flow_sums(docs(b"\n".join(cut)))[0], read - unexported)

    def test_a_stop_ends_a_wait_on_an_idle_stdin(self):
        # The pipe stays open and silent: before the capture header, and after some packets.
        # A stop must not wait for data or the end of the stream: the reader's blocking read
        # also waits on FileInput's cancel eventfd.
        with open(self.sample, "rb") as f:
            data = f.read()
        for sig, sent, message in ((signal.SIGTERM, b"", r"^pcap2json: interrupted before the "
                                    r"first packet; nothing was read$"),
                                   (signal.SIGINT, data, r"^pcap2json: interrupted after 1000 "
                                    r"packets: the last \d+ \(\d+ bytes\), in snapshots still "
                                    r"open, were not exported")):
            proc = subprocess.Popen([PCAP2JSON, "--no-progress", "--stats", "-o", os.devnull,
                                     "-"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            proc.stdin.write(sent)
            proc.stdin.flush()
            time.sleep(1)  # it has read what there is and waits in read(2)
            started = time.monotonic()
            proc.send_signal(sig)
            try:
                code = proc.wait(10)
            finally:
                proc.kill()
                proc.stdin.close()
            err = proc.stderr.read().decode()
            proc.stderr.close()
            self.assertEqual(code, 130, err)
            self.assertLess(time.monotonic() - started, 5, err)
            self.assertRegex(err.strip().splitlines()[-1], message)

    def test_sharded_workers_produce_exactly_the_single_runs_documents(self):
        # Eight rotated files, overlapping in time in pairs (two capture queues). Four workers,
        # each given every file in another order, must together write exactly the documents
        # (action and source lines, so ids too) that one run over all files writes.
        files = []
        for i in range(8):
            files.append(generate("rot%d" % i, "--flows", "20", "--packets", "600", "--size",
                                  "imix", "--rate", "2000", "--start",
                                  str(1795392000000000000 + (i // 2) * 250_000_000),
                                  "--seed", str(100 + i)))

        def bulk_lines(*args):
            r = pcap2json("--bulk", "--observer", "o", "--capture", "rot", "--stats", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b": exact", r.stderr)
            lines = r.stdout.decode().splitlines()
            return [lines[k] + "\n" + lines[k + 1] for k in range(0, len(lines), 2)]

        single = sorted(bulk_lines(*files))
        procs = []
        for i in range(1, 5):
            order = files[i:] + files[:i]
            out = os.path.join(WORKDIR, "shard%d.ndjson" % i)
            procs.append((out, subprocess.Popen(
                [PCAP2JSON, "--no-progress", "--bulk", "--observer", "o", "--capture", "rot",
                 "--shard", "%d/4" % i, "-o", out, *order], stderr=subprocess.PIPE)))
        sharded = []
        for out, proc in procs:
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
            with open(out) as f:
                lines = f.read().splitlines()
            sharded += [lines[k] + "\n" + lines[k + 1] for k in range(0, len(lines), 2)]
        self.assertGreater(len(single), 100)
        self.assertEqual(sorted(sharded), single)
        # The shards split the files between them: no document twice.
        self.assertEqual(len(set(sharded)), len(sharded))

    def test_a_clock_stepping_back_starts_snapshots_afresh(self):
        # A capture concatenated out of order: a second copy of it two hours earlier; then a
        # copy starting 300 ms before the first one's end (within --clock-step: late packets).
        _, records = read_pcap(generate("steps", "--flows", "20", "--packets", "2000", "--rate",
                                        "2000", "--start", "2026-11-23T10:00:00Z", "--seed", "5"))
        hours, blip = 2 * 3600 * 10**9, 300 * 10**6
        shifted = records + [(ts - hours, *rest) for ts, *rest in records]
        path = os.path.join(WORKDIR, "steps-back.pcap")
        write_pcap_ns(path, shifted)
        r = pcap2json("--stats", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        stats = r.stderr.decode()
        self.assertIn("clock stepped back  1 times", stats)
        self.assertRegex(stats, r"late packets +0 ")
        self.assertIn(": exact", stats)
        # Every 100 ms snapshot holds exactly the packets time-stamped in it.
        buckets = {}
        for ts, _, wire, _ in shifted:
            start = ts // 10**8 * 10**8
            packets, nbytes = buckets.get(start, (0, 0))
            buckets[start] = (packets + 1, nbytes + wire)
        counted = {}
        documents = docs(r.stdout)
        for d in documents:
            if d["event"]["dataset"] != "snapflow.flow":
                continue
            start = ns_of(d["@timestamp"])
            packets, nbytes = counted.get(start, (0, 0))
            counted[start] = (packets + d["network"]["packets"], nbytes + d["network"]["bytes"])
        self.assertEqual(counted, buckets)
        ids = [(d["@timestamp"], d["snapflow"].get("flow_id"), d["snapflow"]["record"])
               for d in documents]
        self.assertEqual(len(ids), len(set(ids)))

        # Off, or a step within --clock-step: folded into the oldest open snapshot, flagged.
        r = pcap2json("--stats", "--clock-step", "0", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr.decode(), r"late packets +%d " % len(records))
        self.assertNotIn("clock stepped back", r.stderr.decode())
        self.assertEqual(flow_sums(docs(r.stdout)), flow_sums(documents))
        span = records[-1][0] - records[0][0]  # the copy restarts 300 ms before the newest
        write_pcap_ns(path, records + [(ts + span - blip, *rest) for ts, *rest in records])
        r = pcap2json("--stats", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("clock stepped back", r.stderr.decode())
        self.assertIn(": exact", r.stderr.decode())
        r = pcap2json("--clock-step", "10ms", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--clock-step: must be longer than --reorder-window", r.stderr)

    def test_shard_is_validated(self):
        for bad in ("0/4", "5/4", "1/0", "x", "2"):
            r = pcap2json("--shard", bad, self.sample)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn(b"--shard", r.stderr)
        r = pcap2json("--shard", "1/2", "-", stdin=b"")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    os.makedirs(WORKDIR, exist_ok=True)
    unittest.main(verbosity=2)
