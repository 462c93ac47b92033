#!/usr/bin/env python3
"""Every program's -o writes into what it is given: a regular file (whole, or not at all under
its name), /dev/null, a FIFO, a character device, a symlink -- and never replaces a device
node or a FIFO with a regular file (snapflow-pcap extract -o /dev/null used to write
/dev/null.part and rename it onto /dev/null).

Programs: snapflow-pcap extract, pcap2json -o, snapflow-gen -o. As root, each first writes to a
private character device made with mknod (same major/minor as /dev/null) in the work
directory, so a regression replaces that node and fails here before /dev/null is touched.
Usage: output_targets_test.py SNAPFLOW_PCAP SNAPFLOW_GEN RING_LOAD PCAP2JSON WORKDIR
"""
import os
import shutil
import stat
import subprocess
import sys
import threading
import unittest

PCAP, GEN, RING_LOAD, PCAP2JSON, WORKDIR = sys.argv[1:6]
del sys.argv[1:6]


def read_fifo(path, sink):
    with open(path, "rb") as f:
        sink.append(f.read())


class OutputTargets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.src = os.path.join(WORKDIR, "traffic.pcap")
        subprocess.run([GEN, "--flows", "50", "--packets", "3000", "--size", "imix", "--rate",
                        "10000", "--seed", "4", "-q", "-o", cls.src], check=True)
        cls.ring = os.path.join(WORKDIR, "ring")
        subprocess.run([RING_LOAD, "--ring", cls.ring, cls.src], check=True)
        with open(cls.src, "rb") as f:
            cls.src_bytes = f.read()
        cls.private_null = None
        if os.geteuid() == 0:
            cls.private_null = os.path.join(WORKDIR, "null-device")
            os.mknod(cls.private_null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))

    # The three programs writing to `out`; each returns its stdout+stderr on failure.
    def programs(self):
        return {
            "snapflow-pcap": [PCAP, "extract", "--ring", self.ring, "--no-progress", "-o"],
            "pcap2json": [PCAP2JSON, "--no-progress", self.src, "-o"],
            "snapflow-gen": [GEN, "--packets", "2000", "--seed", "4", "-q", "-o"],
        }

    def run_to(self, argv, out):
        r = subprocess.run(argv + [out], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))

    def reference(self, name, argv):
        path = os.path.join(WORKDIR, name + ".ref")
        self.run_to(argv, path)
        with open(path, "rb") as f:
            return f.read()

    def assert_char_device(self, path):
        mode = os.lstat(path).st_mode
        self.assertTrue(stat.S_ISCHR(mode), f"{path} is no longer a character device")
        self.assertFalse(os.path.exists(path + ".part"), f"{path}.part was left behind")

    def test_character_devices_stay_devices(self):
        for name, argv in self.programs().items():
            with self.subTest(program=name):
                if self.private_null:
                    self.run_to(argv, self.private_null)
                    self.assert_char_device(self.private_null)
                self.run_to(argv, "/dev/null")
                self.assert_char_device("/dev/null")

    def test_fifos_receive_the_whole_output(self):
        for name, argv in self.programs().items():
            with self.subTest(program=name):
                expected = self.reference(name, argv)
                fifo = os.path.join(WORKDIR, name + ".fifo")
                os.mkfifo(fifo)
                got = []
                reader = threading.Thread(target=read_fifo, args=(fifo, got))
                reader.start()
                self.run_to(argv, fifo)
                reader.join(30)
                self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
                self.assertFalse(os.path.exists(fifo + ".part"))
                self.assertEqual(got[0], expected)
                os.unlink(fifo)

    def test_regular_files_and_symlinks(self):
        for name, argv in self.programs().items():
            with self.subTest(program=name):
                expected = self.reference(name, argv)
                # An existing file is replaced whole; a symlink keeps pointing at its target.
                target = os.path.join(WORKDIR, name + ".target")
                with open(target, "wb") as f:
                    f.write(b"old contents " * 100000)
                link = os.path.join(WORKDIR, name + ".link")
                os.symlink(target, link)
                self.run_to(argv, link)
                self.assertTrue(os.path.islink(link))
                with open(target, "rb") as f:
                    self.assertEqual(f.read(), expected)
                self.assertFalse(os.path.exists(target + ".part"))
                self.assertFalse(os.path.exists(link + ".part"))
                os.unlink(link)
                os.unlink(target)

    def test_snapflow_pcap_whole_ring_is_the_input_and_directories_are_refused(self):
        out = os.path.join(WORKDIR, "whole.pcap")
        self.run_to(self.programs()["snapflow-pcap"], out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.src_bytes)
        r = subprocess.run(self.programs()["snapflow-pcap"] + [WORKDIR], capture_output=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"is a directory", r.stderr)
        self.assertEqual(r.stderr.count(b"\n"), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
