#!/usr/bin/env python3
"""Credentials and TLS against a real TLS endpoint (issue 13, item 3).

The test distributions have no security plugin, so Debian's nginx terminates TLS in front of
the cluster's three nodes with a certificate from a CA this test generates, and checks either
a Basic auth user (htpasswd, bcrypt) or an `Authorization: ApiKey …` header. pcap2json:

* right user and password (environment), right API key (credentials file): exit 0, the index
  holds exactly the capture's documents;
* wrong password, wrong API key: one clear line naming HTTP 401 and the host, exit 1, within
  seconds, and at most one request per sender at nginx (no retry storm);
* a CA that did not sign the server's certificate: one line naming the certificate problem,
  exit 1, and not one request reaching nginx's access log.

No secret appears in any output or log (pcap2json's, nginx's access and error logs).

Usage: cluster_tls_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
"""
import os
import secrets
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_scenario import (PCAP2JSON, ClusterScenario, cs, main,  # noqa: E402
                              OBSERVER)

SENDERS = 2  # --es-in-flight


class ClusterTls(ClusterScenario):
    capture_args = ("--flows", "20", "--packets", "20000", "--size", "imix", "--rate", "10000",
                    "--seed", "61", "--start", "2026-03-02T08:00:00Z")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = "snapflow-ingest"
        cls.password = "pw-" + secrets.token_urlsafe(18)
        cls.api_key = "key-" + secrets.token_urlsafe(24)
        cs.make_ca(cls.workdir, "ca")
        cs.make_ca(cls.workdir, "other-ca")
        cert = cs.make_server_cert(cls.workdir, "ca")
        cls.ca = os.path.join(cls.workdir, "ca.pem")
        cls.other_ca = os.path.join(cls.workdir, "other-ca.pem")
        cls.nginx = cs.Nginx(cls.workdir, cls.cluster.urls, tls=cert,
                             basic=(cls.user, cls.password), api_key=cls.api_key)
        cls.outputs = []

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        super().tearDownClass()

    def run_pcap2json(self, server, ca, env_extra=None, args=()):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPFLOW_ES_")}
        env.update(env_extra or {})
        dead = os.path.join(self.workdir, self.prefix + ".dead")
        started_wall, started = time.time(), time.monotonic()
        r = subprocess.run([PCAP2JSON, "--no-progress", "--stats", "--es-host",
                            self.nginx.url(server), "--es-ca-file", ca, "--index-prefix",
                            self.prefix, "--observer", OBSERVER, "--capture", "clus",
                            "--es-in-flight", str(SENDERS), "--es-dead-letter", dead, *args,
                            self.capture], capture_output=True, text=True, env=env, timeout=120)
        took = time.monotonic() - started
        time.sleep(0.2)  # nginx writes its access log line after the response
        requests = self.nginx.requests(server=server, since=started_wall)
        self.outputs.append(r.stdout + r.stderr)
        return r, took, requests

    def assert_no_secret(self):
        texts = self.outputs + [self.nginx.logs()]
        for name in os.listdir(self.workdir):
            if name.endswith((".dead", ".log")):
                with open(os.path.join(self.workdir, name), errors="replace") as f:
                    texts.append(f.read())
        for text in texts:
            self.assertNotIn(self.password, text)
            self.assertNotIn(self.api_key, text)

    def check_refused(self, r, took, requests, expect, max_requests):
        self.assertEqual(r.returncode, 1, r.stderr)
        last = r.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("pcap2json: "), r.stderr)
        for text in expect:
            self.assertIn(text, last)
        self.assertNotIn("<title", last.lower())  # a proxy's HTML page: its title only
        self.assertLess(took, 15, r.stderr)
        self.assertLessEqual(len(requests), max_requests, requests)
        self.assertEqual(cs.ps.Search(self.cluster.urls[0]).count(self.prefix), 0)
        self.assert_no_secret()
        self.results.record(scenario=self.scenario, expected=len(self.reference()), indexed=0,
                            duplicates=0, lost=0, exit=r.returncode, seconds=round(took, 1),
                            requests=len(requests), message=last)

    def check_accepted(self, r, took, requests):
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = self.reference()
        stats = cs.ps.parse_stats(r.stderr)
        self.assertEqual(stats["acked"], len(docs), r.stderr)
        expected, indexed, duplicates, lost = cs.check_exact(
            self, self.cluster.any_search(), self.prefix, docs, self.capture)
        self.assertTrue(requests and all(s == 200 for s, _ in requests), requests)
        self.assert_no_secret()
        self.results.record(scenario=self.scenario, expected=expected, indexed=indexed,
                            duplicates=duplicates, lost=lost, exit=0, seconds=round(took, 1),
                            requests=len(requests))

    def test_tls_basic_auth_accepted(self):
        self.check_accepted(*self.run_pcap2json(
            "basic", self.ca, {"SNAPFLOW_ES_USER": self.user, "SNAPFLOW_ES_PASSWORD":
                               self.password}))

    def test_tls_api_key_accepted(self):
        creds = os.path.join(self.workdir, "credentials")
        with open(os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("api_key=%s\n" % self.api_key)
        self.check_accepted(*self.run_pcap2json("apikey", self.ca,
                                                args=("--es-credentials-file", creds)))

    def test_tls_wrong_password(self):
        r, took, requests = self.run_pcap2json(
            "basic", self.ca, {"SNAPFLOW_ES_USER": self.user,
                               "SNAPFLOW_ES_PASSWORD": self.password + "x"})
        self.check_refused(r, took, requests, ["HTTP 401", self.nginx.url("basic"),
                                               "authentication failed"], SENDERS)
        self.assertTrue(requests and all(s == 401 for s, _ in requests), requests)

    def test_tls_wrong_api_key(self):
        r, took, requests = self.run_pcap2json(
            "apikey", self.ca, {"SNAPFLOW_ES_API_KEY": "key-" + secrets.token_urlsafe(24)})
        self.check_refused(r, took, requests, ["HTTP 401", "authentication failed"], SENDERS)
        self.assertTrue(requests and all(s == 401 for s, _ in requests), requests)

    def test_tls_wrong_ca(self):
        r, took, requests = self.run_pcap2json(
            "basic", self.other_ca, {"SNAPFLOW_ES_USER": self.user,
                                     "SNAPFLOW_ES_PASSWORD": self.password})
        self.check_refused(r, took, requests, ["certificate", "--es-ca-file"], 0)


if __name__ == "__main__":
    main()
