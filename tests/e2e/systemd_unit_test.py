#!/usr/bin/env python3
"""packaging/systemd: the unit and its DPDK drop-in pass `systemd-analyze verify` without a
warning, and `systemd-analyze security --offline` rates the sandbox OK or better (it cannot see
that the daemon drops root itself, so root counts against it). The unit's ExecStart is pointed
at the built binary (verify checks that it exists). No root needed; skipped without systemd.
Usage: systemd_unit_test.py PACKAGING_DIR SNAPFLOW_CAPTURE
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

PACKAGING, BINARY = sys.argv[1:3]
del sys.argv[1:3]
UNIT = "snapflow-capture.service"


def analyze(*args, unit_path):
    env = dict(os.environ, SYSTEMD_UNIT_PATH=unit_path + ":", SYSTEMD_LOG_COLOR="0")
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, env=env)


@unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
class SystemdUnit(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="snapflow-unit-")
        with open(os.path.join(PACKAGING, UNIT)) as f:
            text = f.read()
        self.text = text
        with open(os.path.join(self.dir, UNIT), "w") as f:
            f.write(text.replace("/usr/local/bin/snapflow-capture", os.path.abspath(BINARY)))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def verify(self):
        r = analyze("verify", UNIT, unit_path=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Unknown or misspelt keys are only warnings: the unit must not produce any.
        self.assertEqual(r.stderr.strip(), "", r.stderr)

    def test_unit_verifies(self):
        self.verify()

    def test_dpdk_drop_in_verifies(self):
        os.mkdir(os.path.join(self.dir, UNIT + ".d"))
        shutil.copy(os.path.join(PACKAGING, "dpdk.conf.example"),
                    os.path.join(self.dir, UNIT + ".d", "dpdk.conf"))
        self.verify()

    def test_sandbox_directives(self):
        for line in ["NoNewPrivileges=yes", "ProtectSystem=strict",
                     "ReadWritePaths=/var/lib/snapflow/ring", "ProtectHome=yes", "PrivateTmp=yes",
                     "MemoryDenyWriteExecute=yes", "SystemCallArchitectures=native",
                     "RestrictAddressFamilies=AF_PACKET AF_INET AF_INET6 AF_NETLINK AF_UNIX"]:
            self.assertIn("\n" + line + "\n", self.text)
        bounding = re.search(r"^CapabilityBoundingSet=(.*)$", self.text, re.M).group(1).split()
        self.assertEqual(sorted(bounding), sorted(
            ["CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP",
             "CAP_CHOWN", "CAP_DAC_OVERRIDE"]))
        self.assertIn("SystemCallFilter=~@mount", self.text)

    def test_security_rating(self):
        r = analyze("security", "--offline=true", "--no-pager", os.path.join(self.dir, UNIT),
                    unit_path=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        print(f"systemd-analyze security: {m.group(1)} {m.group(2)}", file=sys.stderr)
        self.assertLessEqual(float(m.group(1)), 3.9, r.stdout)


if __name__ == "__main__":
    unittest.main()
