#!/usr/bin/env python3
"""Costs of the web UI, measured (figures go to docs/performance.md). Needs root (veth pair).

  scripts/bench-ui.py [--build build] [--seconds 60] [--ring-gib 1] [--only status|ring]

1. Status page: snapflow-capture's CPU time (utime + stime from /proc) over --seconds with no
   browser, then over --seconds with the Status page open in Debian's headless Chromium (it
   polls /sysmaster/status once a second and /ring/bandwidth every 10 s). The page's cost is the
   difference, as a share of one core; the target is < 1 %.
2. Ring chart: a ring of --ring-gib GiB filled past its size with ring_load (so it has wrapped:
   a full ring, 64 MiB segments), served by snapflow-capture; /ring/bandwidth with
   Points=100000 over the whole ring, 30 times from a script (the "curl" path), then 10 times
   through the browser (the Ring page, 100 000 points: request to drawn chart). The target is
   < 100 ms for the query. Skipped when the daemon has no /ring/bandwidth.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.dont_write_bytecode = True
import ui_harness as H  # noqa: E402


def bench_status(build, seconds, work):
    veth = H.Veth("uib")
    daemon = browser = None
    try:
        daemon = H.Daemon(os.path.join(build, "capture", "snapflow-capture"), work, veth.host_if)
        time.sleep(3)  # past start-up work
        c0 = daemon.cpu_seconds()
        time.sleep(seconds)
        idle = daemon.cpu_seconds() - c0
        browser = H.Browser(work)
        browser.page.goto(daemon.base + "/ui/#status")
        browser.page.wait_for_selector("#s-updated:not(:empty)")
        requests = []
        browser.context.on("request", lambda r: requests.append(r.url))
        c1 = daemon.cpu_seconds()
        browser.page.wait_for_timeout(seconds * 1000)  # lets Playwright count the requests
        with_page = daemon.cpu_seconds() - c1
        polls = sum("/sysmaster/status" in u for u in requests)
        print("status page: daemon CPU over %d s: %.3f s without a browser, %.3f s with the Status "
              "page open (%d status polls, %d requests in all)" %
              (seconds, idle, with_page, polls, len(requests)))
        print("status page: cost of the page %.3f %% of a core (daemon total %.3f %% with it, "
              "%.3f %% without)" % (100 * (with_page - idle) / seconds, 100 * with_page / seconds,
                                    100 * idle / seconds))
    finally:
        if browser:
            browser.close()
        if daemon:
            daemon.stop()
        veth.close()


def bench_ring(build, gib, work):
    ring = os.path.join(work, "ring")
    segment = 64 << 20
    segments = max(4, int(gib * 1024) // 64)
    # 25 % more than fits, so it wraps; at 10 000 frames/s the ring spans over 100 s, so
    # 10^5 points of whole milliseconds fit in it (the series never splits a millisecond).
    frames = int(gib * 1.25 * (1 << 30) / (16 + 1000))
    gen = subprocess.Popen([os.path.join(build, "core", "synth", "snapflow-gen"), "-q", "-o", "-",
                            "--packets", str(frames), "--flows", "5000", "--size", "1000",
                            "--rate", "10000"], stdout=subprocess.PIPE)
    subprocess.run([os.path.join(build, "tests", "cli", "ring_load"), "--ring", ring,
                    "--segment-bytes", str(segment), "--segments", str(segments), "-"],
                   stdin=gen.stdout, check=True)
    gen.wait()
    info = H.run([os.path.join(build, "core", "extract", "snapflow-pcap"), "info", "--ring", ring])
    print("ring: %s" % " ".join(info.stdout.split()))
    veth = H.Veth("uib")
    daemon = browser = None
    try:
        daemon = H.Daemon(os.path.join(build, "capture", "snapflow-capture"), work, veth.host_if,
                          ["--ring-bytes=%d" % (segments * segment),
                           "--ring-segment-bytes=%d" % segment])
        if not daemon.api.has_endpoint("/ring/bandwidth"):
            print("ring chart: skipped, this daemon has no /ring/bandwidth")
            return
        times = []
        for _ in range(30):
            t0 = time.perf_counter()
            body = daemon.api.get("/ring/bandwidth?Points=100000")
            times.append(1000 * (time.perf_counter() - t0))
        points = body.count(b"],[") + 1
        print("ring chart, script: %d points (%d bytes of JSON) over the whole ring: median %.1f ms, "
              "p95 %.1f ms, max %.1f ms (30 requests)" %
              (points, len(body), statistics.median(times),
               sorted(times)[int(0.95 * len(times)) - 1], max(times)))
        browser = H.Browser(work)
        page = browser.page
        page.goto(daemon.base + "/ui/#ring")
        page.wait_for_selector("#ring-meta[data-points]", timeout=30000)
        fetch, total = [], []
        for i in range(10):
            page.evaluate("document.getElementById('ring-meta').dataset.points = ''")
            if i == 0:
                page.select_option("#ring-points", "100000")
            else:
                page.click("#ring-all")
            page.wait_for_selector("#ring-meta[data-points='%d']" % points, timeout=30000)
            fetch.append(float(page.get_attribute("#ring-meta", "data-fetch-ms")))
            total.append(float(page.get_attribute("#ring-meta", "data-total-ms")))
        print("ring chart, browser: %d points: request %.1f ms median (max %.1f), request + "
              "parse + draw %.1f ms median (max %.1f), 10 loads" %
              (points, statistics.median(fetch), max(fetch), statistics.median(total),
               max(total)))
    finally:
        if browser:
            browser.close()
        if daemon:
            daemon.stop()
        veth.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--ring-gib", type=float, default=1.0)
    ap.add_argument("--only", choices=["status", "ring"])
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-ui: needs root (veth pair)")
    work = tempfile.mkdtemp(prefix="snapflow-bench-ui-", dir="/var/tmp")
    os.chmod(work, 0o755)  # snapflow-capture drops to the snapflow user: it must reach the ring
    try:
        if args.only in (None, "status"):
            os.makedirs(os.path.join(work, "status"))
            bench_status(args.build, args.seconds, os.path.join(work, "status"))
        if args.only in (None, "ring"):
            os.makedirs(os.path.join(work, "ring-bench"))
            bench_ring(args.build, args.ring_gib, os.path.join(work, "ring-bench"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
