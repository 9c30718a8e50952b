"""The daemon under test: runs the real feedd with a private configuration,
state directory, socket and notify socket, and lets a test watch its log,
its service-manager notifications and its database.

    with feeddrun.Feedd(feeds={"a": {"url": ...}}, interval="1s") as d:
        d.start()
        d.wait_log(r"feed a: \\d+ new")
        rows = d.query("SELECT etag FROM feeds WHERE name = 'a'")

Everything lives in one temporary directory that is removed at the end;
the process is killed if a test fails before stopping it.
"""

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

import feeddtest


class Buffered:
    """A TAP producer's stand-in for one sub-test run in a thread: results
    are kept and replayed in order by replay()."""

    def __init__(self, name):
        self.name = name
        self.events = []

    def ok(self, cond, name, diag=None):
        self.events.append(("ok", bool(cond), name, diag))
        return cond

    def diag(self, msg):
        self.events.append(("diag", msg))

    def replay(self, tap):
        for e in self.events:
            if e[0] == "ok":
                tap.ok(e[1], e[2], e[3])
            else:
                tap.diag(e[1])


def run_parallel(tap, tests, *args):
    """Runs each fn(sub_tap, *args) in its own thread, then reports them
    in order.  An exception is a failure of that sub-test."""
    subs = []
    threads = []

    def run(fn, sub):
        try:
            fn(sub, *args)
        except Exception:
            import traceback
            sub.ok(False, fn.__name__, traceback.format_exc())

    for fn in tests:
        sub = Buffered(fn.__name__)
        t = threading.Thread(target=run, args=(fn, sub), daemon=True)
        t.start()
        subs.append(sub)
        threads.append(t)
    for t, sub in zip(threads, subs):
        t.join(120)
        if t.is_alive():
            sub.ok(False, sub.name + " finished in time")
        sub.replay(tap)


# An article page an extractor finds a body in, with navigation and a
# footer to leave out.
ARTICLE = """<!doctype html><html><head><title>A story</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>A story</h1>
<p>This is the first paragraph of a story that goes on for a while so that
an extractor has something to find, with enough words in it to count.</p>
<p>A second paragraph follows, just as long, about the same story, with
more words, commas, and full stops. It keeps going for a bit longer.</p>
<p>And a third one, to be safe: the extractor wants real paragraphs with
punctuation, not navigation links or a footer.</p>
</article><footer>Copyright</footer></body></html>"""

class Client:
    """A Varlink client of the daemon's socket: call() returns a reply's
    parameters, or raises RuntimeError on an error reply and
    ConnectionError when feedd closes the connection."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def call(self, method, params=None):
        """Calls org.feedd.METHOD (or a fully qualified method)."""
        if "." not in method:
            method = "org.feedd." + method
        self.s.sendall(json.dumps({"method": method,
                                   "parameters": params or {}}).encode()
                       + b"\0")
        while b"\0" not in self.buf:
            data = self.s.recv(1 << 16)
            if not data:
                raise ConnectionError("closed by feedd")
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        r = json.loads(msg)
        if "error" in r:
            raise RuntimeError("%s: %s" % (r["error"], r.get("parameters")))
        return r.get("parameters", {})

    def close(self):
        self.s.close()


def wait_until(fn, timeout=10.0, step=0.02):
    """Polls fn() until it returns something true; returns that or None."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() >= end:
            return None
        time.sleep(step)


class Feedd:
    """tap: when given, leaving the `with` block checks through it that
    feedd exits 0 within 5 s without a sanitizer report."""

    def __init__(self, feeds=None, tap=None, **settings):
        self.tap = tap
        self.dir = tempfile.mkdtemp(prefix="feedd-test-")
        self.state = os.path.join(self.dir, "state")
        self.socket = os.path.join(self.dir, "feedd.sock")
        self.feeds_dir = os.path.join(self.dir, "feeds.d")
        self.conf = os.path.join(self.dir, "feedd.conf")
        self.db_path = os.path.join(self.state, "feedd.db")
        os.mkdir(self.feeds_dir)
        self.settings = {"log_level": "debug", "interval": "1h",
                         "timeout": "5s"}
        self.settings.update(settings)
        self.proc = None
        self.lines = []
        self.notes = []
        self.lock = threading.Lock()
        self._threads = []
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.1)
        self.write_config(feeds or {})

    # ---- configuration ----

    def write_config(self, feeds, **settings):
        self.settings.update(settings)
        with open(self.conf, "w") as f:
            f.write("[feedd]\n")
            f.write("state_dir = %s\n" % self.state)
            f.write("socket = %s\n" % self.socket)
            f.write("feeds_dir = %s\n" % self.feeds_dir)
            for k, v in self.settings.items():
                f.write("%s = %s\n" % (k, v))
        for name in os.listdir(self.feeds_dir):
            os.unlink(os.path.join(self.feeds_dir, name))
        with open(os.path.join(self.feeds_dir, "test.conf"), "w") as f:
            for name, kv in feeds.items():
                f.write("[%s]\n" % name)
                for k, v in kv.items():
                    f.write("%s = %s\n" % (k, v))
                f.write("\n")

    def write_raw(self, text, name="test.conf"):
        with open(os.path.join(self.feeds_dir, name), "w") as f:
            f.write(text)

    # ---- the process ----

    def start(self, args=(), env=None):
        e = dict(os.environ)
        e["NOTIFY_SOCKET"] = self.notify_path
        e.pop("JOURNAL_STREAM", None)
        e.update(env or {})
        self.proc = subprocess.Popen(
            [feeddtest.FEEDD, "-c", self.conf, "--foreground"] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=e)
        self.t0 = time.monotonic()
        for target in (self._read_log, self._read_notify):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _read_log(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                self.lines.append((time.monotonic(), line))

    def _read_notify(self):
        while self.notify is not None:
            try:
                msg = self.notify.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.notes.append((time.monotonic(),
                                   msg.decode("utf-8", "replace")))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self):
        self.mark = len(self.lines)
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, timeout=10):
        """SIGTERM; returns (exit status, seconds it took)."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc, time.monotonic() - t

    def stop_clean(self):
        """Stops it; (True, "") if it exited 0 within 5 s without a
        sanitizer report, else (False, why)."""
        rc, secs = self.stop()
        for t in self._threads[:1]:
            t.join(5)
        text = self.log_text()
        if rc != 0:
            return False, "exit status %s\n%s" % (rc, text)
        if secs >= 5:
            return False, "took %.1f s to stop" % secs
        if "Sanitizer" in text or "runtime error:" in text:
            return False, text
        return True, ""

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            for t in self._threads:
                t.join(2)
        if self.notify is not None:
            self.notify.close()
            self.notify = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None and self.running() and self.tap is not None:
            ok, why = self.stop_clean()
            self.tap.ok(ok, "feedd stopped cleanly", why)
        self.close()

    # ---- observing ----

    def log(self):
        with self.lock:
            return [l for _, l in self.lines]

    def log_text(self):
        return "\n".join(self.log())

    def grep(self, pattern, start=0):
        rx = re.compile(pattern)
        return [l for l in self.log()[start:] if rx.search(l)]

    def wait_log(self, pattern, timeout=10, start=0, count=1):
        """Waits for count log lines (from line start on) matching."""
        return wait_until(lambda: len(self.grep(pattern, start)) >= count
                          and self.grep(pattern, start), timeout)

    def notifications(self):
        with self.lock:
            return [m for _, m in self.notes]

    def wait_notify(self, text, timeout=10):
        return wait_until(lambda: any(text in m for m in
                                      self.notifications()), timeout)

    def query(self, sql, args=()):
        """Reads the database (read-only; WAL lets us read while it runs)."""
        if not os.path.exists(self.db_path):
            return []
        con = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True,
                              timeout=5)
        try:
            return con.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            return []  # not created yet, or busy: ask again
        finally:
            con.close()

    def feed(self, name):
        """The feed's row as a dict, or None."""
        if not os.path.exists(self.db_path):
            return None
        con = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True,
                              timeout=5)
        con.row_factory = sqlite3.Row
        try:
            r = con.execute("SELECT * FROM feeds WHERE name = ?",
                            (name,)).fetchone()
            return dict(r) if r else None
        except sqlite3.OperationalError:
            return None
        finally:
            con.close()

    def items(self, name):
        return self.query("SELECT i.title FROM items i JOIN feeds f ON "
                          "f.id = i.feed_id WHERE f.name = ? ORDER BY i.id",
                          (name,))
