#!/usr/bin/env python3
"""The web UI (issue 10) in a real browser: Debian's headless Chromium driven by Playwright,
against snapflow-capture capturing from a veth pair that tcpreplay feeds from a network
namespace (ui_harness.py). In order, on one daemon:

  1. log in (the browser's Basic-auth answer; without it the UI is 401), watch the status
     counters move while packets are replayed, and end equal to the API's (no drops);
  2. a bad capture name is refused in the form; REC (a POST with the CSRF token) and STOP a named
     capture; the Captures page shows it with the right packet count; its PCAP downloaded through
     the UI equals the replayed file packet for packet;
  3. its split views (split_1sec) sum to the capture and their downloads, joined, are the
     capture's download;
  4. Filters: a bad filter shows the daemon's error at its position (the token marked), blocks
     and an expression compose a valid filter, which is applied to downloads;
  5. Ring bandwidth: the chart of the whole ring; a window brushed with the mouse downloads
     exactly the ring's records in [Start, Stop) (reference: snapflow-pcap, which reads the ring
     files itself, cut in Python), and with the applied filter exactly what tcpdump keeps of
     that reference; zooming re-queries the visible range;
  6. CSRF: pages served from another origin (a second HTTP server on another port, reached as
     localhost and as 127.0.0.1) try capture_stop with a form POST, fetch (no-cors, and with a
     forged token header), an image and a form GET: all refused, the capture keeps running; the
     same URL from a script with credentials stops it;
  7. no Content-Security-Policy violation or script error on any page.
Screenshots of every page go to $SNAPFLOW_UI_SCREENSHOTS (docs/img when refreshing the docs) or
the work directory. Tests 3-5 need wip/retrieval's endpoints (/plain/view, /plain/split,
/filter/check, /ring/bandwidth, /pcap/splittime); a daemon without them skips those checks and
says so. Needs root (netns, veth), tcpreplay, chromium and the Python playwright package.
Usage: ui_browser_test.py SNAPFLOW_CAPTURE SNAPFLOW_GEN SNAPFLOW_PCAP WORKDIR
"""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

CAPTURE, GEN, PCAP, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ui_harness as H  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

LIVE_PACKETS = 4000
REC_PACKETS = 3000
REC_NAME = "ui-rec.1"
FILTER = "t:ip.proto==tcp;big:frame.size>=500;expr=t & big"
FILTER_TCPDUMP = "ip proto 6 and greater 500"  # the same packets, by tcpdump's decoder


def number(text):
    return int(re.sub(r"[^0-9]", "", text) or "0")


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


class UiBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (ip netns, veth)")
        for tool in ("tcpreplay", "tcpdump"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(tool + " is not installed")
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.shots = os.environ.get("SNAPFLOW_UI_SCREENSHOTS") or os.path.join(WORKDIR, "screenshots")
        os.makedirs(cls.shots, exist_ok=True)
        cls.live = os.path.join(WORKDIR, "live.pcap")
        cls.rec = os.path.join(WORKDIR, "rec.pcap")
        H.run([GEN, "-q", "-o", cls.live, "--flows", "60", "--packets", str(LIVE_PACKETS),
               "--size", "imix", "--seed", "21"])
        H.run([GEN, "-q", "-o", cls.rec, "--flows", "40", "--packets", str(REC_PACKETS),
               "--size", "imix", "--mix", "6,3,1", "--seed", "22"])
        cls.veth = cls.daemon = cls.browser = None
        try:
            cls.veth = H.Veth("ui")
            cls.daemon = H.Daemon(CAPTURE, WORKDIR, cls.veth.host_if)
            cls.api = cls.daemon.api
            cls.browser = H.Browser(WORKDIR)
        except BaseException:
            cls.tearDownClass()
            raise
        cls.page = cls.browser.page
        cls.ui = cls.daemon.base + "/ui/"

    @classmethod
    def tearDownClass(cls):
        for close in (lambda: cls.browser and cls.browser.close(),
                      lambda: cls.daemon and cls.daemon.stop(),
                      lambda: cls.veth and cls.veth.close()):
            try:
                close()
            except Exception as e:  # keep tearing down
                print("teardown: %s" % e, file=sys.stderr)

    def shot(self, name):
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=os.path.join(self.shots, "ui-%s.png" % name), full_page=True)

    def goto(self, page_name):
        self.page.goto(self.ui + "#" + page_name)
        self.page.wait_for_selector("#page-%s:not([hidden])" % page_name)

    def needs(self, *paths):
        missing = [p for p in paths if not self.api.has_endpoint(p)]
        if missing:
            self.skipTest("the daemon has no %s (wip/retrieval)" % ", ".join(missing))

    def wait_captured(self, total):
        ok = H.wait_until(lambda: self.api.status()["packets_captured"] >= total, 30)
        self.assertTrue(ok, self.api.status())
        s = self.api.status()
        self.assertEqual(s["packets_captured"], total, s)
        self.assertEqual(s["packets_dropped"], 0, s)

    # 1 ------------------------------------------------------------------------------------------
    def test_1_login_and_live_status(self):
        self.assertEqual(self.browser.status_without_login(self.ui, "wrong"), (401, 401))
        response = self.page.goto(self.ui + "#status")
        self.assertEqual(response.status, 200)
        # Waits go through selectors and Playwright's expect(), never a JavaScript string: the
        # UI's CSP forbids eval, so wait_for_function("...") may be refused in the page.
        expect(self.page.locator("#s-updated")).not_to_be_empty()
        self.assertEqual(number(self.page.inner_text("#s-packets-captured")), 0)
        replay = self.veth.replay_background(self.live, 1000)  # 4 s
        seen, rates = [], []
        try:
            while replay.poll() is None:
                time.sleep(0.4)
                seen.append(number(self.page.inner_text("#s-packets-captured")))
                rates.append(self.page.inner_text("#s-bps"))
        finally:
            replay.wait()
        self.assertEqual(replay.returncode, 0)
        self.wait_captured(LIVE_PACKETS)
        expect(self.page.locator("#s-packets-captured")).to_have_text(format(LIVE_PACKETS, ","),
                                                                      timeout=5000)
        between = sorted({v for v in seen if 0 < v < LIVE_PACKETS})
        self.assertGreaterEqual(len(between), 2, "counter values seen while replaying: %s" % seen)
        self.assertEqual(seen, sorted(seen), "the counter went backwards: %s" % seen)
        self.assertTrue(any(r not in ("0 b/s", "—") for r in rates), rates)
        self.assertEqual(self.page.inner_text("#s-link"), "UP")
        self.assertEqual(number(self.page.inner_text("#s-drops")), 0)
        self.shot("status")

    # 2 ------------------------------------------------------------------------------------------
    def test_2_rec_stop_files_and_downloads(self):
        self.goto("status")
        self.page.fill("#rec-name", "bad name/1")
        self.assertIn("A-Z", self.page.inner_text("#rec-name-error"))
        self.assertTrue(self.page.is_disabled("#rec-start"))
        self.page.fill("#rec-name", ".hidden")
        self.assertIn("must not start", self.page.inner_text("#rec-name-error"))
        self.page.fill("#rec-name", REC_NAME)
        self.assertEqual(self.page.inner_text("#rec-name-error"), "")
        before = self.api.status()["packets_captured"]
        with self.page.expect_request(lambda r: "capture_start" in r.url) as started:
            self.page.click("#rec-start")
        self.assertEqual(started.value.method, "POST")
        self.assertTrue(started.value.headers.get("x-csrf-token", "").startswith("v1."))
        self.page.wait_for_selector("#s-capture:has-text('Recording')")
        self.page.wait_for_selector("#rec-badge:not([hidden])")
        self.assertTrue(self.api.status()["capture_active"])
        self.veth.replay(self.rec, 5000)
        self.wait_captured(before + REC_PACKETS)
        self.page.click("#rec-stop")
        self.page.wait_for_selector("#toast:has-text('stopped')")
        self.assertIn("%d packets" % REC_PACKETS, self.page.inner_text("#toast"))
        self.page.wait_for_selector("#s-capture:has-text('Stopped')")
        self.assertFalse(self.api.status()["capture_active"])

        self.goto("files")
        row = "#captures tr[data-name='%s']" % REC_NAME
        self.page.wait_for_selector(row)
        self.assertEqual(number(self.page.inner_text(row + " td.packets")), REC_PACKETS)
        with self.page.expect_download() as dl:
            self.page.click(row + " a[download]")
        path = os.path.join(WORKDIR, "rec-download.pcap")
        dl.value.save_as(path)
        got = H.read_pcap(path)
        sent = H.read_pcap(self.rec)
        self.assertEqual(len(got), REC_PACKETS)
        # The daemon stamps packets with the capture time: compare bytes and wire lengths.
        self.assertEqual([(d, w) for _, d, w in got], [(d, w) for _, d, w in sent])
        self.__class__.rec_records = got
        self.shot("captures")

    # 3 ------------------------------------------------------------------------------------------
    def test_3_split_views(self):
        self.needs("/plain/view", "/plain/split", "/pcap/splittime")
        got = getattr(self, "rec_records", None)
        self.assertIsNotNone(got, "test 2 made no capture")
        self.goto("files")
        row = "#captures tr[data-name='%s']" % REC_NAME
        self.page.wait_for_selector(row)
        self.page.click(row + " button[aria-controls]")
        detail = "#%s-detail" % self.page.get_attribute(row, "id")
        self.page.select_option(detail + " select", "split_1sec")
        table = detail + " table[data-mode='split_1sec']"
        self.page.wait_for_selector(table)
        counts = [number(t) for t in self.page.locator(table + " td.packets").all_inner_texts()]
        self.assertEqual(sum(counts), REC_PACKETS, counts)
        joined = []
        links = self.page.locator(table + " a[download]")
        self.assertEqual(links.count(), len(counts))
        for i in range(links.count()):
            with self.page.expect_download() as dl:
                links.nth(i).click()
            part = os.path.join(WORKDIR, "split-%d.pcap" % i)
            dl.value.save_as(part)
            records = H.read_pcap(part)
            self.assertEqual(len(records), counts[i])
            joined += records
        self.assertEqual(joined, got)
        self.shot("captures-splits")

    # 4 ------------------------------------------------------------------------------------------
    def test_4_filter_builder(self):
        self.needs("/filter/check")
        self.goto("filter")
        bad = "tcp.port=443"
        self.page.fill("#filter-text", bad)
        self.page.wait_for_selector("#filter-result.bad")
        status, body = self.api.request("/filter/check?Filter=" + urllib.parse.quote(bad, safe=""))
        self.assertEqual(status, 400)
        expected = json.loads(body)
        self.assertEqual(self.page.get_attribute("#filter-result", "data-position"),
                         str(expected["position"]))
        self.assertIn("Position %d" % expected["position"], self.page.inner_text("#filter-result"))
        token = expected.get("token") or bad[expected["position"] - 1]
        mark = self.page.inner_text("#filter-marked mark")
        self.assertTrue(token.startswith(mark) or mark.startswith(token), (mark, token))
        self.assertEqual(self.page.inner_text("#filter-marked"), bad)
        self.assertEqual(self.page.get_attribute("#filter-text", "aria-invalid"), "true")

        # Blocks and an expression; a bad value is flagged in its block's row.
        self.page.click("#filter-clear")
        for _ in range(2):
            self.page.click("#filter-add")
        rows = self.page.locator("#filter-blocks tbody tr")
        for i, (name, field, op, values) in enumerate(
                [("t", "ip.proto", "==", "tcp"), ("big", "frame.size", ">=", "5x0")]):
            cells = rows.nth(i).locator("td")
            cells.nth(0).locator("input").fill(name)
            cells.nth(1).locator("select").select_option(field)
            cells.nth(2).locator("select").select_option(op)
            cells.nth(3).locator("input").fill(values)
        self.page.fill("#filter-expr", "t & big")
        self.page.wait_for_selector("#filter-result.bad")
        self.page.wait_for_selector("#filter-blocks tbody tr:nth-child(2) input[aria-invalid='true']")
        self.shot("filters")
        rows.nth(1).locator("td").nth(3).locator("input").fill("500")
        self.page.wait_for_selector("#filter-result.ok")
        self.assertEqual(self.page.input_value("#filter-text"), FILTER)
        self.page.fill("#filter-bpf", "tcp port")  # libpcap's own error
        self.page.wait_for_selector("#filter-bpf-result.bad")
        self.page.fill("#filter-bpf", "")
        self.page.wait_for_selector("#filter-bpf-result.ok")
        self.page.click("#filter-apply")
        self.page.wait_for_selector("#filter-badge:not([hidden])")
        self.assertEqual(self.page.inner_text("#filter-badge-text"), FILTER)

    # 5 ------------------------------------------------------------------------------------------
    def test_5_ring_chart_brush_and_download(self):
        self.needs("/ring/bandwidth", "/pcap/splittime")
        self.goto("ring")
        self.page.wait_for_selector("#ring-meta[data-points]", timeout=20000)
        ring_packets = self.api.status()["packets_captured"]
        whole = os.path.join(WORKDIR, "ring-whole.pcap")
        info = json.loads(H.run([PCAP, "info", "--ring", self.daemon.ring,
                                               "--format", "json"]).stdout)
        H.run([PCAP, "extract", "--ring", self.daemon.ring, "--start", str(info["oldest_ns"]),
               "--stop", str(info["newest_ns"] + 1), "-o", whole])
        ring_records = H.read_pcap(whole)
        self.assertEqual(len(ring_records), ring_packets)
        # The ring holds what was sent: the live file, then the named capture's.
        sent = [(d, w) for _, d, w in H.read_pcap(self.live) + H.read_pcap(self.rec)]
        self.assertEqual([(d, w) for _, d, w in ring_records], sent)

        box = self.page.locator("#ring-chart .u-over").bounding_box()
        y = box["y"] + box["height"] / 2
        self.page.mouse.move(box["x"] + box["width"] * 0.3, y)
        self.page.mouse.down()
        self.page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
        self.page.mouse.up()
        self.page.wait_for_selector("#ring-download[href]")
        if self.page.is_enabled("#ring-use-filter"):
            self.page.uncheck("#ring-use-filter")
        q = query_of(self.page.get_attribute("#ring-download", "href"))
        self.assertNotIn("Filter", q)
        start, stop = int(q["Start"]), int(q["Stop"])
        expected = [r for r in ring_records if start <= r[0] < stop]
        self.assertGreater(len(expected), 0)
        self.assertLess(len(expected), len(ring_records))
        with self.page.expect_download() as dl:
            self.page.click("#ring-download")
        path = os.path.join(WORKDIR, "window.pcap")
        dl.value.save_as(path)
        self.assertEqual(H.read_pcap(path), expected)
        self.shot("ring")

        # The same window with the applied filter (test 4): what tcpdump keeps of the reference.
        if self.page.is_enabled("#ring-use-filter"):
            reference = os.path.join(WORKDIR, "window-ref.pcap")
            shutil.copy(path, reference)
            kept = os.path.join(WORKDIR, "window-ref-filtered.pcap")
            H.run(["tcpdump", "--time-stamp-precision=nano", "-nr", reference, "-w", kept,
                   FILTER_TCPDUMP])
            self.page.check("#ring-use-filter")
            q = query_of(self.page.get_attribute("#ring-download", "href"))
            self.assertEqual(q["Filter"], FILTER)
            with self.page.expect_download() as dl:
                self.page.click("#ring-download")
            filtered = os.path.join(WORKDIR, "window-filtered.pcap")
            dl.value.save_as(filtered)
            want = H.read_pcap(kept)
            self.assertGreater(len(want), 0)
            self.assertEqual(H.read_pcap(filtered), want)

        # Zoom to the selection: the chart asks again for exactly that range.
        with self.page.expect_request(lambda r: "/ring/bandwidth" in r.url) as asked:
            self.page.click("#ring-zoom-sel")
        zq = query_of(asked.value.url)
        self.assertEqual((int(zq["Start"]), int(zq["Stop"])), (start, stop))
        self.page.wait_for_selector("#ring-meta[data-view='%d-%d']" % (start, stop))
        # Keyboard: focus the chart, "+" zooms in around the selection, "0" is the whole ring.
        self.page.focus("#ring-chart")
        with self.page.expect_request(lambda r: "/ring/bandwidth" in r.url) as asked:
            self.page.keyboard.press("+")
        kq = query_of(asked.value.url)
        self.assertLess(int(kq["Stop"]) - int(kq["Start"]), stop - start)

    # 6 ------------------------------------------------------------------------------------------
    def test_6_cross_site_capture_stop_is_refused(self):
        started = self.api.json("/sysmaster/capture_start?StreamName=csrf-victim")
        self.assertTrue(started["Status"], started)
        # The operator is logged in: the browser holds the credentials for the API's origin.
        self.goto("status")
        target = self.daemon.base + "/sysmaster/capture_stop"
        page_html = ATTACK_PAGE.replace("TARGET", target).encode()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), attack_handler(page_html))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        seen = {}  # origin -> [(resource type, method, status or failure)]
        current = [None]

        def on_request_done(r, outcome):
            if "capture_stop" in r.url:
                seen.setdefault(current[0], []).append((r.resource_type, r.method, outcome))

        def on_response(response):
            on_request_done(response.request, response.status)

        def on_failed(request):
            # A body the browser withholds from the page (Cross-Origin-Resource-Policy, framing)
            # fails here; the request itself reached the daemon.
            if not (request.failure or "").startswith("net::ERR_BLOCKED_BY_RESPONSE"):
                on_request_done(request, request.failure)

        context = self.browser.context
        context.on("response", on_response)
        context.on("requestfailed", on_failed)
        context.on("request", lambda r: on_request_done(r, "sent"))
        try:
            port = server.server_address[1]
            for origin in ("http://localhost:%d" % port, "http://127.0.0.1:%d" % port):
                current[0] = origin
                attacker = context.new_page()
                attacker.goto(origin + "/attack.html")
                expect(attacker).to_have_title(re.compile("done"), timeout=10000)
                time.sleep(1.0)  # the form and image requests complete
                attacker.close()
                s = self.api.status()
                self.assertTrue(s["capture_active"], "%s stopped the capture: %s" % (origin, seen))
        finally:
            context.remove_listener("response", on_response)
            context.remove_listener("requestfailed", on_failed)
            server.shutdown()
            server.server_close()
        s = self.api.status()
        self.assertTrue(s["capture_active"])
        self.assertEqual(s["capture_name"], "csrf-victim")
        for origin, events in seen.items():
            sent = {(t, m) for t, m, o in events if o == "sent"}
            # Every vector went out: image, fetch POST and GET (no-cors), form POST and GET; the
            # fetch with a custom header only as its CORS preflight, which the daemon answers 405.
            self.assertTrue({("image", "GET"), ("fetch", "POST"), ("fetch", "GET"),
                             ("document", "POST"), ("document", "GET")} <= sent, (origin, events))
            self.assertIn(("other", "OPTIONS", 405), events, origin)
            self.assertFalse([e for e in events if e[2] == 200], (origin, events))
        # Same site (another port of 127.0.0.1): the browser attaches the operator's credentials,
        # and the daemon refuses the forms by their origin (403). From another site Chromium
        # does not even attach them (its credential cache is partitioned by top-level site): 401.
        same_site = seen["http://127.0.0.1:%d" % server.server_address[1]]
        self.assertIn(("document", "POST", 403), same_site)
        self.assertIn(("document", "GET", 403), same_site)
        # The same URL from a script with the credentials works (fmadio scripts keep working).
        stopped = self.api.json("/sysmaster/capture_stop")
        self.assertTrue(stopped["Status"], stopped)
        self.assertFalse(self.api.status()["capture_active"])

    # 7 ------------------------------------------------------------------------------------------
    def test_7_themes_and_no_policy_violations(self):
        self.goto("status")
        while self.page.inner_text("#theme-toggle") != "Theme: light":
            self.page.click("#theme-toggle")
        self.page.wait_for_timeout(1200)  # one poll and a redraw in the new colours
        self.shot("status-light")
        self.page.click("#theme-toggle")  # auto (dark in this browser)
        violations = [(url, e) for url, e in self.browser.console_errors
                      if url.startswith(self.ui) and
                      ("Content Security Policy" in e or e.startswith("page error"))]
        self.assertEqual(violations, [])


ATTACK_PAGE = """<!doctype html><title>attack</title>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="post" method="POST" action="TARGET" target="sink1"></form>
<form id="get" method="GET" action="TARGET" target="sink2"></form>
<img src="TARGET" alt="">
<script>
const t = "TARGET";
Promise.allSettled([
  fetch(t, {method: "POST", mode: "no-cors", credentials: "include"}),
  fetch(t, {method: "GET", mode: "no-cors", credentials: "include"}),
  fetch(t, {method: "POST", credentials: "include", headers: {"X-CSRF-Token": "v1.0.forged"}}),
]).then(() => {
  document.getElementById("post").submit();
  document.getElementById("get").submit();
  document.title += " done";
});
</script>"""


def attack_handler(page):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass
    return Handler


if __name__ == "__main__":
    unittest.main(verbosity=2)
