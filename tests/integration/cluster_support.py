"""Helpers for the fault tests against a real 3-node cluster (tests/integration/cluster_*_test.py):
cluster control through scripts/search-cluster.sh, a paced feed of a capture into pcap2json's
stdin (so an ingest lasts long enough for a fault to land in the middle of it), the reference
document ids of a capture (pcap2json --bulk to a file), the ids actually stored (scroll), the
exactness checks every scenario ends with, and an nginx reverse proxy (plain or TLS with Basic
auth or API keys) whose access log counts the requests that reached it.

Nothing here mocks a server: every query goes to the real nodes.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap2json_search as ps  # noqa: E402

SOURCE_DIR = os.environ.get("SNAPFLOW_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FLAVOUR = os.environ.get("SNAPFLOW_SEARCH_FLAVOUR", "opensearch")
CLUSTER_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "search-cluster.sh")
# Where the nodes keep their data (the disk the flood-stage test measures).
RUN_ROOT = os.environ.get("SNAPFLOW_SEARCH_RUN", os.path.join(
    os.environ.get("SNAPFLOW_SEARCH_CACHE", "/var/cache/snapflow/search"), "run"))


def wait_until(predicate, timeout_s, step_s=0.2):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step_s)


class Cluster:
    """The fixture's cluster (search_cluster_start_<flavour>); nodes are numbered from 1."""

    def __init__(self, flavour=FLAVOUR):
        self.flavour = flavour
        self.urls = self.script("urls").split(",")
        self.search = ps.Search(self.urls[0])

    def script(self, *args, timeout=600):
        r = subprocess.run([CLUSTER_SCRIPT, args[0], self.flavour, *args[1:]],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("search-cluster.sh %s: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout.strip()

    def hosts(self, first=1):
        """--es-host value listing every node, starting with node `first`."""
        order = self.urls[first - 1:] + self.urls[:first - 1]
        return ",".join(order)

    def node_of_name(self, name):
        return int(name.rsplit("-", 1)[1])

    def running(self, n):
        return subprocess.run([CLUSTER_SCRIPT, "pid", self.flavour, str(n)],
                              capture_output=True).returncode == 0

    def kill(self, n):
        self.script("kill", str(n))

    def stop_node(self, n):
        self.script("stop-node", str(n))

    def start_node(self, n):
        self.script("start-node", str(n))

    def start_nodes(self, nodes):
        """Starts several nodes at once (each waits until it has joined)."""
        errors = []

        def one(n):
            try:
                self.start_node(n)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=one, args=(n,)) for n in nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def any_search(self):
        """A Search on a running node (node 1 may be down)."""
        for n, url in enumerate(self.urls, 1):
            if self.running(n):
                return ps.Search(url)
        raise RuntimeError("no node running")

    def request(self, method, path, body=None, timeout=60):
        return self.any_search().request(method, path, body, timeout)

    def health(self, status="green", timeout_s=120):
        code, body = self.request(
            "GET", "/_cluster/health?wait_for_status=%s&wait_for_nodes=%d&timeout=%ds" %
            (status, len(self.urls), timeout_s), timeout=timeout_s + 10)
        return code == 200 and not body.get("timed_out", True)

    def shard_nodes(self, prefix):
        """{index: (primary node number, [replica node numbers])} of started copies."""
        code, rows = self.request("GET", "/_cat/shards/%s-*?format=json&h=index,prirep,state,node"
                                  % prefix)
        out = collections.defaultdict(lambda: [None, []])
        if code != 200:
            return {}
        for row in rows:
            if row.get("state") != "STARTED" or not row.get("node"):
                continue
            n = self.node_of_name(row["node"])
            if row["prirep"] == "p":
                out[row["index"]][0] = n
            else:
                out[row["index"]][1].append(n)
        return {k: (v[0], v[1]) for k, v in out.items() if v[0] is not None}

    def heal(self):
        """Back to the fixture's state: every node running, no exclusions, default settings."""
        # Together: a lone node cannot join before a quorum of masters is back.
        self.start_nodes([n for n in range(1, len(self.urls) + 1) if not self.running(n)])
        self.request("DELETE", "/_cluster/voting_config_exclusions?wait_for_removal=false")
        self.request("PUT", "/_cluster/settings", {"persistent": DISK_RESET,
                                                   "transient": DISK_RESET})
        # OpenSearch's flood-stage create-index block is persistent; normally the monitor
        # lifts it, but not if thresholds were switched off first.
        self.request("PUT", "/_cluster/settings", {"persistent": {
            "cluster.blocks.create_index": None}})
        self.health("green", 120)


# Cluster settings a flood-stage test changes, all back to their defaults (null).
DISK_RESET = {
    "cluster.routing.allocation.disk.threshold_enabled": None,
    "cluster.routing.allocation.disk.watermark.low": None,
    "cluster.routing.allocation.disk.watermark.high": None,
    "cluster.routing.allocation.disk.watermark.flood_stage": None,
    "cluster.info.update.interval": None,
    "cluster.blocks.read_only_allow_delete": None,
}


def generate(gen, workdir, name, *args):
    path = os.path.join(workdir, name + ".pcap")
    subprocess.run([gen, "-q", "-o", path, *args], check=True, capture_output=True)
    return path


def reference(pcap2json, path, prefix, observer, capture):
    """[(index, id, dataset, packets, bytes)] of every document one clean run produces."""
    out = path + "." + prefix + ".bulk"
    r = subprocess.run([pcap2json, "--bulk", "-o", out, "--no-progress", "--index-prefix", prefix,
                        "--observer", observer, "--capture", capture, path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    docs = []
    with open(out) as f:
        for action in f:
            source = json.loads(next(f))
            meta = json.loads(action)["create"]
            network = source.get("network", {})
            docs.append((meta["_index"], meta["_id"], source["event"]["dataset"],
                         network.get("packets", 0), network.get("bytes", 0), source))
    os.remove(out)
    return docs


def stored_ids(search, prefix):
    """Every (index, _id) of prefix-*, duplicates kept, by scroll (no fielddata on _id needed)."""
    search.refresh(prefix)
    code, body = search.request("POST", "/%s-*/_search?scroll=1m" % prefix,
                                {"size": 5000, "_source": False, "sort": ["_doc"]})
    assert code == 200, body
    out = []
    scroll_id = body.get("_scroll_id")
    while body["hits"]["hits"]:
        out.extend((h["_index"], h["_id"]) for h in body["hits"]["hits"])
        code, body = search.request("POST", "/_search/scroll",
                                    {"scroll": "1m", "scroll_id": scroll_id})
        assert code == 200, body
        scroll_id = body.get("_scroll_id", scroll_id)
    search.request("DELETE", "/_search/scroll", {"scroll_id": scroll_id})
    return out


class PacedFeed:
    """Writes a capture file into a process's stdin over `seconds` of wall time, in order, as
    a live source would; blocks when the reader does (backpressure), and closes at the end.
    The data from `hold` on (default: the last tenth) is held back until release() (called when
    a fault is over), so the ingest lasts at least as long as the fault however long the
    cluster takes to recover."""

    def __init__(self, path, stdin, seconds, chunk=64 * 1024, hold=0.9):
        self.error = None
        with open(path, "rb") as f:
            self.data = f.read()
        self.stdin, self.seconds, self.chunk = stdin, seconds, chunk
        self.hold = hold
        self.released = threading.Event()
        self.held = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        start = time.monotonic()
        try:
            hold_at = int(len(self.data) * self.hold)
            for off in range(0, len(self.data), self.chunk):
                if off >= hold_at and not self.released.is_set():
                    self.held.set()
                    self.released.wait(900)
                    start = time.monotonic() - self.seconds * off / len(self.data)
                due = start + self.seconds * off / len(self.data)
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.stdin.write(self.data[off:off + self.chunk])
                self.stdin.flush()
        except (BrokenPipeError, ValueError) as e:  # the reader exited early
            self.error = e
        finally:
            try:
                self.stdin.close()
            except BrokenPipeError:
                pass

    def release(self):
        self.released.set()

    def join(self, timeout=None):
        self.released.set()
        self.thread.join(timeout)


class Ingest:
    """pcap2json --es-host reading a paced capture from stdin; stderr kept in a log file."""

    def __init__(self, pcap2json, path, hosts, prefix, workdir, seconds, observer, capture,
                 extra=(), env=None, hold=0.9):
        self.log_path = os.path.join(workdir, prefix + ".log")
        self.dead_letter = os.path.join(workdir, prefix + ".dead")
        self.args = [pcap2json, "--no-progress", "--stats", "--es-host", hosts, "--index-prefix",
                     prefix, "--observer", observer, "--capture", capture, "--es-flush-interval",
                     "200ms", "--es-dead-letter", self.dead_letter, *extra, "-"]
        self.started = time.monotonic()
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=log,
                                         env=env if env is not None else os.environ.copy())
        self.feed = PacedFeed(path, self.proc.stdin, seconds, hold=hold)
        self.seconds = None

    def release(self):
        """Lets the feed finish (the fault is over)."""
        self.feed.release()

    def running(self):
        """Still ingesting: pcap2json alive and the feed not finished."""
        return self.proc.poll() is None

    def wait(self, timeout=300):
        self.feed.release()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.feed.join(10)
        self.seconds = time.monotonic() - self.started
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stats(self):
        return ps.parse_stats(self.log())


def check_exact(test, search, prefix, docs, path, dead_ids=()):
    """The index holds exactly the reference documents minus the dead-lettered ones, each once,
    and the flow and totals sums equal the capture's (less what was dead-lettered). Returns
    (expected, indexed, duplicates, lost)."""
    ids = stored_ids(search, prefix)
    dead = set(dead_ids)
    expected = collections.Counter((d[0], d[1]) for d in docs if d[1] not in dead)
    got = collections.Counter(ids)
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    lost = sum(1 for k in expected if k not in got)
    extra = sum(1 for k in got if k not in expected)
    test.assertEqual((duplicates, lost, extra), (0, 0, 0),
                     "duplicates, lost, unexpected documents")
    test.assertEqual(search.count(prefix), sum(expected.values()))
    packets, wire = ps.pcap_totals(path)
    for dataset in ("snapflow.flow", "snapflow.totals"):
        want = [0, 0, 0]
        for d in docs:
            if d[2] == dataset and d[1] not in dead:
                want[0] += 1
                want[1] += d[3]
                want[2] += d[4]
        test.assertEqual(search.sums(prefix, dataset, refresh=False), tuple(want), dataset)
        if not dead:
            test.assertEqual(tuple(want[1:]), (packets, wire), dataset)
    return sum(expected.values()), len(ids), duplicates, lost


class Results:
    """One line per scenario for docs/reliability.md, printed and appended to a file."""

    def __init__(self, workdir):
        self.path = os.environ.get("SNAPFLOW_RELIABILITY_RESULTS",
                                   os.path.join(workdir, "results.ndjson"))

    def record(self, **fields):
        fields["flavour"] = FLAVOUR
        line = json.dumps(fields, sort_keys=True)
        sys.stderr.write("RESULT " + line + "\n")
        with open(self.path, "a") as f:
            f.write(line + "\n")


# --- nginx ---------------------------------------------------------------------------------------

def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(workdir, name):
    """A self-signed CA (name.key, name.pem) in workdir."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=snapflow test CA " + name, "-keyout", name + ".key", "-out", name + ".pem",
            cwd=workdir)
    return os.path.join(workdir, name + ".pem")


def make_server_cert(workdir, ca, name="server"):
    """A certificate for 127.0.0.1 and localhost signed by CA `ca`."""
    with open(os.path.join(workdir, name + ".ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
            name + ".key", "-out", name + ".csr", cwd=workdir)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem",
            cwd=workdir)
    return os.path.join(workdir, name + ".pem"), os.path.join(workdir, name + ".key")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """Debian's nginx as a reverse proxy to the cluster's nodes, run in the foreground by the
    test (its own prefix directory, pid file and logs). Servers: `plain` (http, no auth),
    and, when tls is given, `basic` (https + Basic auth from an htpasswd file) and `apikey`
    (https + a fixed `Authorization: ApiKey …` header). The access log has one line per request:
    server name, status, request line, and the time in seconds (msec resolution)."""

    def __init__(self, workdir, upstreams, tls=None, basic=None, api_key=None):
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx not found: run scripts/install-deps.sh")
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.access_log = os.path.join(self.dir, "logs", "access.log")
        self.error_log = os.path.join(self.dir, "logs", "error.log")
        self.ports = {"plain": free_port()}
        servers = [self.server("plain", "listen 127.0.0.1:%d;" % self.ports["plain"], "")]
        if tls:
            cert, key = tls
            listen = ("listen 127.0.0.1:%%d ssl;\n    ssl_certificate %s;\n"
                      "    ssl_certificate_key %s;" % (cert, key))
            if basic:
                user, password = basic
                htpasswd = os.path.join(self.dir, "htpasswd")
                # The password goes through stdin, never a command line.
                subprocess.run(["htpasswd", "-i", "-c", "-B", htpasswd, user], input=password,
                               text=True, check=True, capture_output=True)
                self.ports["basic"] = free_port()
                servers.append(self.server(
                    "basic", listen % self.ports["basic"],
                    'auth_basic "snapflow"; auth_basic_user_file %s;' % htpasswd))
            if api_key:
                self.ports["apikey"] = free_port()
                # The key is compared in nginx's config (mode 600), never logged.
                servers.append(self.server(
                    "apikey", listen % self.ports["apikey"],
                    'if ($http_authorization != "ApiKey %s") { return 401; }' % api_key))
        upstream = "\n".join("    server %s max_fails=0;" % u.split("://", 1)[1]
                             for u in upstreams)
        conf = """
worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(error_log)s info;
events { worker_connections 256; }
http {
  client_body_temp_path %(dir)s/tmp/body;
  proxy_temp_path %(dir)s/tmp/proxy;
  fastcgi_temp_path %(dir)s/tmp/fastcgi;
  uwsgi_temp_path %(dir)s/tmp/uwsgi;
  scgi_temp_path %(dir)s/tmp/scgi;
  log_format counted '$server_name $status "$request" $msec';
  access_log %(access_log)s counted;
  client_max_body_size 600m;
  client_body_buffer_size 16m;
  upstream search {
%(upstream)s
    keepalive 8;
  }
%(servers)s
}
""" % {"dir": self.dir, "error_log": self.error_log, "access_log": self.access_log,
       "upstream": upstream, "servers": "\n".join(servers)}
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(os.open(self.conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(conf)
        # Workers run as root here only because the test runs as root and nginx must read the
        # test's private files; it listens on loopback only.
        args = ["nginx", "-p", self.dir, "-c", self.conf]
        if os.geteuid() == 0:
            args += ["-g", "user root;"]
        self.proc = subprocess.Popen(args,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_until(lambda: self.proc.poll() is not None or self.answers(), 20):
            self.stop()
            raise RuntimeError("nginx did not start")
        if self.proc.poll() is not None:
            raise RuntimeError("nginx exited: " + self.proc.stderr.read().decode())

    @staticmethod
    def server(name, listen, auth):
        return """  server {
    server_name %s;
    %s
    location / {
      %s
      proxy_pass http://search;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "";
      proxy_read_timeout 300s;
    }
  }""" % (name, listen, auth)

    def answers(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/" % self.ports["plain"],
                                        timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def url(self, name):
        scheme = "http" if name == "plain" else "https"
        return "%s://127.0.0.1:%d" % (scheme, self.ports[name])

    def requests(self, server=None, path="/_bulk", since=0.0, until=float("inf")):
        """[(status, time)] of requests to `path` logged by `server` within [since, until]."""
        out = []
        try:
            with open(self.access_log) as f:
                for line in f:
                    name, status, rest = line.split(" ", 2)
                    request, _, msec = rest.rpartition(" ")
                    t = float(msec)
                    if server not in (None, name) or path not in request:
                        continue
                    if since <= t <= until:
                        out.append((int(status), t))
        except FileNotFoundError:
            pass
        return out

    def logs(self):
        text = ""
        for p in (self.access_log, self.error_log):
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()
        return text

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
