"""A loopback HTTP server for feedd's tests that records every request.

Used two ways:
  * imported by the python integration tests: `srv = Server(); srv.start()`,
    then `srv.resource(path, body, ...)`, `srv.route(path, fn)`, and
    `srv.requests` (every request with its headers, in order);
  * run as a program (`python3 httpd.py`) by the C tests: prints the port on
    stdout, serves the built-in routes below, and exits when stdin closes.

It listens on 127.0.0.1 on a port the OS chooses.  Built-in routes (query
parameters in brackets):
  /feed.xml                 a small RSS feed with ETag "v1" and a fixed
                            Last-Modified; 304 when either validator matches
  /echo                     the request headers as text/plain
  /redirect[code,to]        a redirect (default 302) to `to`
  /chain[n,code,to]         n redirects with `code`, then to `to`
  /status[code,retry_after] an empty response with that status
  /big[bytes]               a text body of that size
  /gzip[bytes]              that many 'a's, gzip-encoded
  /bomb[mb]                 a gzip bomb: mb MiB of zeros in a small body
  /slow[bytes,delay]        one byte every `delay` seconds
  /hang                     never answers
  /delay[ms]                answers after ms milliseconds (for concurrency)
  /loop                     redirects to itself
  /file                     redirects to file:///etc/passwd
  /stats                    JSON: max concurrent requests per path, and
                            connections (distinct client ports) seen
"""

import gzip
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loopback</title>
<link>http://example.org/</link><description>test</description>
<item><title>One</title><link>http://example.org/1</link>
<guid>one</guid><description>first</description></item>
</channel></rss>
"""
FEED_ETAG = '"v1"'
FEED_LM = "Sat, 01 Jan 2022 00:00:00 GMT"


class Request:
    """One request as the server saw it."""

    def __init__(self, handler):
        self.method = handler.command
        self.raw_path = handler.path
        u = urllib.parse.urlsplit(handler.path)
        self.path = u.path
        self.query = dict(urllib.parse.parse_qsl(u.query))
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.header_list = list(handler.headers.items())
        self.time = time.monotonic()
        self.port = handler.client_address[1]

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<%s %s %r>" % (self.method, self.raw_path, self.headers)


class Resource:
    """A document served with validators: 304 on an exact match."""

    def __init__(self, body, content_type="application/rss+xml",
                 etag=None, last_modified=None, headers=None, status=200):
        self.body = body if isinstance(body, bytes) else body.encode()
        self.content_type = content_type
        self.etag = etag
        self.last_modified = last_modified
        self.headers = headers or {}
        self.status = status

    def serve(self, h, req):
        inm = req.header("If-None-Match")
        ims = req.header("If-Modified-Since")
        hdrs = dict(self.headers)
        if self.etag:
            hdrs["ETag"] = self.etag
        if self.last_modified:
            hdrs["Last-Modified"] = self.last_modified
        if ((self.etag and inm == self.etag) or
                (self.last_modified and ims == self.last_modified
                 and inm is None)):
            h.reply(304, b"", None, hdrs)
            return
        h.reply(self.status, self.body, self.content_type, hdrs)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "feedd-test-httpd"
    # Headers and body go out in two writes: without TCP_NODELAY the body
    # waits for the client's delayed ACK (40 ms a response).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/plain", headers=None,
              length=None):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status != 304 and status >= 200:
            self.send_header("Content-Length",
                             str(len(body) if length is None else length))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        srv = self.server.owner
        req = Request(self)
        with srv.lock:
            srv.requests.append(req)
            srv.ports.add(req.port)
            srv.inflight[req.path] = srv.inflight.get(req.path, 0) + 1
            srv.max_inflight[req.path] = max(
                srv.max_inflight.get(req.path, 0), srv.inflight[req.path])
            total = sum(srv.inflight.values())
            srv.max_total = max(srv.max_total, total)
        try:
            fn = srv.routes.get(req.path)
            builtin = getattr(self, "route_" + req.path.strip("/")
                              .replace(".", "_"), None)
            if isinstance(fn, Resource):
                fn.serve(self, req)
            elif fn is not None:
                fn(self, req)
            elif builtin is not None:
                builtin(req)
            else:
                self.reply(404, b"not found\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with srv.lock:
                srv.inflight[req.path] -= 1

    do_HEAD = do_GET

    # ---- built-in routes ----

    def route_feed_xml(self, req):
        Resource(FEED, etag=FEED_ETAG, last_modified=FEED_LM).serve(self, req)

    def route_echo(self, req):
        body = "".join("%s: %s\n" % kv for kv in req.header_list)
        self.reply(200, body.encode())

    def route_redirect(self, req):
        code = int(req.query.get("code", "302"))
        self.reply(code, b"", None, {"Location": req.query.get("to", "/")})

    def route_chain(self, req):
        n = int(req.query.get("n", "1"))
        code = req.query.get("code", "301")
        to = req.query.get("to", "/feed.xml")
        if n <= 1:
            loc = to
        else:
            loc = "/chain?" + urllib.parse.urlencode(
                {"n": n - 1, "code": code, "to": to})
        self.reply(int(code), b"", None, {"Location": loc})

    def route_status(self, req):
        hdrs = {}
        if "retry_after" in req.query:
            hdrs["Retry-After"] = req.query["retry_after"]
        self.reply(int(req.query.get("code", "200")), b"", None, hdrs)

    def route_big(self, req):
        self.reply(200, b"x" * int(req.query.get("bytes", "1000")))

    def route_gzip(self, req):
        data = gzip.compress(b"a" * int(req.query.get("bytes", "1000")))
        self.reply(200, data, "text/plain", {"Content-Encoding": "gzip"})

    def route_bomb(self, req):
        data = self.server.owner.bomb(int(req.query.get("mb", "64")))
        self.reply(200, data, "application/rss+xml",
                   {"Content-Encoding": "gzip"})

    def route_slow(self, req):
        n = int(req.query.get("bytes", "100"))
        delay = float(req.query.get("delay", "1"))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        for _ in range(n):
            self.wfile.write(b"x")
            self.wfile.flush()
            if self.server.owner.stopping.wait(delay):
                break

    def route_hang(self, req):
        self.server.owner.stopping.wait(3600)
        self.close_connection = True

    def route_delay(self, req):
        self.server.owner.stopping.wait(int(req.query.get("ms", "100")) /
                                        1000)
        self.reply(200, b"ok\n")

    def route_loop(self, req):
        self.reply(302, b"", None, {"Location": "/loop"})

    def route_file(self, req):
        self.reply(302, b"", None, {"Location": "file:///etc/passwd"})

    def route_stats(self, req):
        srv = self.server.owner
        with srv.lock:
            body = json.dumps({"max_inflight": srv.max_inflight,
                               "max_total": srv.max_total,
                               "connections": len(srv.ports)})
        self.reply(200, body.encode(), "application/json")


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # Clients that hang up (timeouts, size caps) are part of the tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Server:
    """The recording server; start() it, stop() it (also on failure)."""

    def __init__(self, host="127.0.0.1"):
        self.lock = threading.Lock()
        self.requests = []
        self.routes = {}
        self.ports = set()
        self.inflight = {}
        self.max_inflight = {}
        self.max_total = 0
        self.stopping = threading.Event()
        self._bombs = {}
        self.httpd = _HTTPServer((host, 0), Handler)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = None

    def url(self, path):
        return self.base + path

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def route(self, path, fn):
        """fn(handler, request) answers requests for path."""
        self.routes[path] = fn

    def resource(self, path, body, **kw):
        r = Resource(body, **kw)
        self.routes[path] = r
        return r

    def bomb(self, mb):
        if mb not in self._bombs:
            self._bombs[mb] = gzip.compress(b"\0" * (mb << 20), 9)
        return self._bombs[mb]

    def seen(self, path=None):
        """Requests so far (for one path)."""
        with self.lock:
            return [r for r in self.requests if path is None or
                    r.path == path]


def main():
    srv = Server().start()
    print(srv.port, flush=True)
    try:
        sys.stdin.read()
    finally:
        srv.stop()
        os._exit(0)


if __name__ == "__main__":
    main()
