#!/usr/bin/env python3
"""docker-compose.yml is valid (`docker-compose config`, Debian's docker-compose validates
without an engine) and every path it mounts or builds from exists in the repository, as do
the files the Dockerfile copies and the scripts the services run."""
import os
import re
import subprocess
import sys
import unittest

import yaml

sys.dont_write_bytecode = True
SOURCE = os.path.abspath(os.environ.get(
    "SNAPFLOW_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))
COMPOSE = os.path.join(SOURCE, "docker-compose.yml")


class Compose(unittest.TestCase):
    def test_config_validates(self):
        r = subprocess.run(["docker-compose", "-f", COMPOSE, "config", "-q"], cwd=SOURCE,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_mounted_paths_exist(self):
        with open(COMPOSE) as f:
            spec = yaml.safe_load(f)
        mounts = 0
        for name, service in spec["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("."):
                    mounts += 1
                    self.assertTrue(os.path.exists(os.path.join(SOURCE, source)),
                                    "%s mounts %s, which is not in the repository" % (name, source))
                else:
                    self.assertIn(source, spec["volumes"], name)
            build = service.get("build")
            if build:
                self.assertTrue(os.path.isfile(os.path.join(SOURCE, build, "Dockerfile")))
            for word in (service.get("entrypoint") or []) + (service.get("command") or []):
                m = re.match(r"/usr/local/share/snapflow/compose/(.+)", str(word))
                if m:
                    self.assertTrue(os.path.isfile(os.path.join(SOURCE, "scripts", "compose",
                                                                m.group(1))), word)
        self.assertGreaterEqual(mounts, 4)

    def test_dockerfile_copies_existing_paths(self):
        with open(os.path.join(SOURCE, "Dockerfile")) as f:
            for line in f:
                m = re.match(r"COPY (?!--from)(\S+) ", line)
                if m and m.group(1) != ".":
                    self.assertTrue(os.path.exists(os.path.join(SOURCE, m.group(1))), line)

    def test_grafana_provisioning_points_at_the_mounted_dashboards(self):
        with open(COMPOSE) as f:
            grafana = yaml.safe_load(f)["services"]["grafana"]
        mounted = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
        with open(os.path.join(SOURCE, "grafana/provisioning/dashboards/snapflow-elasticsearch.yaml")) as f:
            path = yaml.safe_load(f)["providers"][0]["options"]["path"]
        base = "/var/lib/grafana/dashboards/snapflow"
        self.assertTrue(path.startswith(base))
        local = os.path.join(SOURCE, mounted[base], os.path.relpath(path, base))
        self.assertTrue(os.listdir(local), local)


if __name__ == "__main__":
    unittest.main(verbosity=2)
