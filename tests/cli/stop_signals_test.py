#!/usr/bin/env python3
"""SIGINT/SIGTERM stop snapflow programs cleanly (base::StopSignals), checked on snapflow-gen:
it stops between packets, says how many it wrote, exits 1, and leaves a complete capture of
exactly those packets (read back by tshark's capinfos, an independent reader).
Usage: stop_signals_test.py PCAP2JSON SNAPFLOW_GEN WORKDIR
"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

_PCAP2JSON, SNAPFLOW_GEN, WORKDIR = sys.argv[1:4]
del sys.argv[1:4]


class StopSignals(unittest.TestCase):
    def stop_generator(self, sig):
        path = os.path.join(WORKDIR, "stopped-%d.pcap" % sig)
        if os.path.exists(path):
            os.remove(path)  # a file from an earlier run must not look like this one's progress
        proc = subprocess.Popen([SNAPFLOW_GEN, "--packets", "4000000000", "--size", "64", "-o",
                                 path], stderr=subprocess.PIPE, text=True)
        # Wait until it is writing (the file grows), then stop it.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not os.path.exists(path)
                                               or os.path.getsize(path) < 1 << 20):
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 1, err)
        m = re.search(r"stopped by (\w+) after (\d+) packets; .* is a complete capture", err)
        self.assertIsNotNone(m, err)
        packets = int(m.group(2))
        self.assertGreater(packets, 0)
        # 24-byte file header, then 16-byte record headers and 64-byte frames: nothing torn.
        self.assertEqual(os.path.getsize(path), 24 + packets * 80)
        out = subprocess.run(["capinfos", "-M", "-c", path], check=True, capture_output=True,
                             text=True).stdout
        self.assertIn("Number of packets:   %d" % packets, out)

    def test_sigterm_leaves_a_complete_capture(self):
        self.stop_generator(signal.SIGTERM)

    def test_sigint_leaves_a_complete_capture(self):
        self.stop_generator(signal.SIGINT)


if __name__ == "__main__":
    os.makedirs(WORKDIR, exist_ok=True)
    unittest.main(verbosity=2)
