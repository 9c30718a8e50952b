"""The Varlink server under test, without the daemon: runs tests/serve_store
(the server over a store, with stub daemon hooks) on a private socket and
database, and speaks raw Varlink to it.

    with servetest.Server(seed=3) as srv:
        c = srv.connect()
        reply = c.call("org.feedd.ListItems", {"unread": True})

Used by tests/test_protocol.py and tests/test_feedctl.py.
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import feeddtest

SERVE_STORE = os.path.join(feeddtest.BUILDDIR, "tests", "serve_store")


class Conn:
    """One client connection speaking raw Varlink (NUL-framed JSON)."""

    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send_raw(self, data):
        self.s.sendall(data)

    def send(self, method, params=None, **flags):
        msg = {"method": method}
        if params is not None:
            msg["parameters"] = params
        msg.update(flags)
        self.s.sendall(json.dumps(msg).encode() + b"\0")

    def recv(self):
        """The next message as a dict, or None when the server closed."""
        while b"\0" not in self.buf:
            try:
                data = self.s.recv(1 << 16)
            except ConnectionResetError:
                return None
            if not data:
                return None
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, **flags):
        self.send(method, params, **flags)
        return self.recv()

    def closed(self, timeout=5.0):
        """True if the server closes the connection within timeout
        (whatever it sent before is read and dropped)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.s], [], [], 0.1)
            if not r:
                continue
            try:
                data = self.s.recv(1 << 16)
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not data:
                return True
        return False

    def close(self):
        self.s.close()


class Server:
    """serve_store in a temporary directory; stopped and removed on exit."""

    def __init__(self, seed=0, delay=0.2, args=(), socket_name="feedd.sock"):
        self.dir = tempfile.mkdtemp(prefix="feedd-srv-")
        self.socket = os.path.join(self.dir, "run", socket_name)
        self.db = os.path.join(self.dir, "feedd.db")
        self.seed = seed
        self.delay = delay
        self.args = list(args)
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "stderr")

    def start(self, extra=()):
        cmd = [SERVE_STORE, "--db", self.db, "--socket", self.socket,
               "--seed", str(self.seed), "--delay", str(self.delay)]
        cmd += self.args + list(extra)
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        r, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if r else b""
        if line.strip() != b"ready":
            self.stop()
            raise RuntimeError("serve_store did not start: " +
                               self.log())
        # Seeding only the first time: the store keeps the items.
        self.seed = 0
        return self

    def connect(self, timeout=10.0):
        return Conn(self.socket, timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def log(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sanitizer_report(self):
        """AddressSanitizer/LeakSanitizer/UBSan output in the log, or ""."""
        log = self.log()
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:"):
            if mark in log:
                return log
        return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False
