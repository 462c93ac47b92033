"""Shared pieces of the web UI's browser tests (ui_browser_test.py) and its benchmark
(scripts/bench-ui.py): a veth pair whose peer lives in a network namespace, tcpreplay from
inside it, snapflow-capture on the host end with its API on loopback, the API through urllib
(the "curl" side), a PCAP reader, and Debian's Chromium driven by Playwright.

Names of namespaces and links carry the tag "ui" and the pid, so parallel runs do not collide.
Everything started here is stopped by close() / the context managers, even after a failure.
"""
import base64
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USER = "admin"
PASSWORD = "ui-e2e-secret"


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=check, capture_output=True,
                          text=True, **kw)


def wait_until(predicate, timeout_s, step_s=0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step_s)


class Veth:
    """host_if <-> peer_if (in namespace ns), MTU 9000, IPv6 off, no addresses: only the replayed
    packets cross the link."""

    def __init__(self, tag="ui"):
        suffix = "%s%d" % (tag, os.getpid() % 100000)
        self.ns = "sfns" + suffix
        self.host_if = "sfh" + suffix
        self.peer_if = "sfp" + suffix
        self.created = False
        run("set -e; ip netns add {ns}; ip link add {h} type veth peer name {p} mtu 9000; "
            "ip link set {h} mtu 9000; ip link set {p} netns {ns}; "
            "sysctl -qw net.ipv6.conf.{h}.disable_ipv6=1; "
            "ip netns exec {ns} sysctl -qw net.ipv6.conf.{p}.disable_ipv6=1; "
            "ip link set {h} up; ip netns exec {ns} ip link set {p} up"
            .format(ns=self.ns, h=self.host_if, p=self.peer_if))
        self.created = True

    def replay_cmd(self, pcap, pps):
        return ["ip", "netns", "exec", self.ns, "tcpreplay", "-q", "--pps=%d" % pps,
                "-i", self.peer_if, pcap]

    def replay(self, pcap, pps):
        run(self.replay_cmd(pcap, pps))

    def replay_background(self, pcap, pps):
        return subprocess.Popen(self.replay_cmd(pcap, pps), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def close(self):
        if self.created:
            run("ip netns del %s; ip link del %s" % (self.ns, self.host_if), check=False)
            self.created = False


class Daemon:
    """snapflow-capture on host_if, API on 127.0.0.1 (any free port), Basic auth."""

    def __init__(self, binary, workdir, iface, extra=()):
        self.workdir = workdir
        creds = os.path.join(workdir, "creds")
        with open(creds, "w") as f:
            f.write("%s:%s\n" % (USER, PASSWORD))
        os.chmod(creds, 0o600)
        self.ring = os.path.join(workdir, "ring")
        self.log_path = os.path.join(workdir, "daemon.log")
        args = [binary, "--source=pcap:" + iface, "--ring-dir=" + self.ring, "--ring-bytes=64M",
                "--ring-segment-bytes=4M", "--api-listen=127.0.0.1:0",
                "--api-credentials-file=" + creds, "--flush-interval=20ms", *extra]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
        ready = wait_until(lambda: self._ready() or self.proc.poll() is not None, 20)
        m = self._ready()
        if not ready or not m:
            self.stop()
            raise RuntimeError("snapflow-capture did not start:\n" + self.log())
        self.address = m
        self.base = "http://" + m
        self.api = Api(self.base)

    def _ready(self):
        m = re.search(r"ready: api on ([0-9.]+:\d+),", self.log())
        return m.group(1) if m else None

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def cpu_seconds(self):
        """utime + stime of the whole process, from /proc."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


class HttpError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body[:200]))
        self.status = status
        self.body = body


class Api:
    """The API as a script sees it: Basic auth, no browser headers."""

    def __init__(self, base, user=USER, password=PASSWORD):
        self.base = base
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def request(self, path, method="GET", headers=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     headers={"Authorization": self.auth, **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def get(self, path):
        status, body = self.request(path)
        if status != 200:
            raise HttpError(status, body.decode(errors="replace"))
        return body

    def json(self, path):
        return json.loads(self.get(path))

    def status(self):
        return self.json("/sysmaster/status?format=json")

    def has_endpoint(self, path):
        status, body = self.request(path)
        return not (status == 404 and b"no such endpoint" in body)


def read_pcap(path):
    """[(ts_ns, data, wire_length)] of a classic PCAP (µs or ns magic, either byte order)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        raise ValueError("%s: %d bytes, no PCAP header" % (path, len(blob)))
    magic = blob[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
             b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}
    if magic not in table:
        raise ValueError("%s: not a classic PCAP (magic %s)" % (path, magic.hex()))
    order, scale = table[magic]
    records = []
    at = 24
    while at < len(blob):
        if at + 16 > len(blob):
            raise ValueError("%s: record header cut at byte %d" % (path, at))
        sec, frac, incl, orig = struct.unpack(order + "IIII", blob[at:at + 16])
        at += 16
        if at + incl > len(blob):
            raise ValueError("%s: record cut at byte %d" % (path, at))
        records.append((sec * 1_000_000_000 + frac * scale, blob[at:at + incl], orig))
        at += incl
    return records


class Browser:
    """Debian's Chromium through Playwright, with a fresh profile directory; the operator's
    context knows the API's credentials (the answer to the browser's Basic-auth prompt)."""

    def __init__(self, workdir):
        from playwright.sync_api import sync_playwright
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir)
        self.downloads = os.path.join(workdir, "downloads")
        os.makedirs(self.downloads, exist_ok=True)
        self._pw = sync_playwright().start()
        try:
            self.context = self._pw.chromium.launch_persistent_context(
                self.profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                http_credentials={"username": USER, "password": PASSWORD},
                accept_downloads=True, downloads_path=self.downloads,
                viewport={"width": 1280, "height": 860}, color_scheme="dark")
        except Exception:
            self._pw.stop()
            raise
        self.console_errors = []
        self.context.on("page", self._watch)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self._watch(self.page)

    def _watch(self, page):
        """Console errors and uncaught exceptions as (page URL, text)."""
        page.on("console", lambda m: m.type == "error" and self.console_errors.append((page.url, m.text)))
        page.on("pageerror", lambda e: self.console_errors.append((page.url, "page error: %s" % e)))

    def status_without_login(self, url, password):
        """(status without credentials, status of a browser answering the prompt with password)."""
        browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            anonymous = browser.new_context().request.get(url).status
            page = browser.new_context(http_credentials={"username": USER, "password": password}).new_page()
            return anonymous, page.goto(url).status
        finally:
            browser.close()

    def close(self):
        try:
            self.context.close()
        finally:
            self._pw.stop()
            shutil.rmtree(self.profile, ignore_errors=True)
