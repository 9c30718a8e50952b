#!/usr/bin/env python3
"""Load and soak measurement for feedd (issue 8; not part of make check).

    tests/load/load.py [--feeds 1000] [--clients 100] [--duration 1800]
                       [--latency 0.05] [--interval 60s] [--builddir DIR]
                       [--json OUT]

Starts the real feedd (from DIR, default $FEEDD_BUILDDIR or build/release;
use a build without sanitizers to measure memory) with --feeds feeds on a
loopback server that answers every request after --latency seconds, each
feed gaining an item at every fetch (the newest 20 are served), polled
every --interval; meanwhile --clients client threads (spread over a few
processes) each list unread items, mark a few read, and now and then ask
for a refresh, over the Varlink socket, for --duration seconds.

Reports: client calls and errors, call latency (median, p99, max), feed
fetches, feedd's RSS every 10 s (start, peak, end and the slope of its
second half), and checks at the end that every item the server published
is stored exactly once and the database is whole.  Exit status 1 if any
client call failed, an item is missing or doubled, or integrity_check
fails.  Everything listens on 127.0.0.1 only and stops by itself."""

import argparse
import json
import multiprocessing
import os
import random
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import feeddrun  # noqa: E402
from feeddrun import Client  # noqa: E402
import feeddtest  # noqa: E402
import httpd  # noqa: E402



def client_proc(sock, n_threads, n_feeds, until, seed, out):
    """One process of n_threads clients; puts (latencies, calls, errors)
    on out."""
    lat, errors = [], []
    lock = threading.Lock()

    def worker(k):
        rnd = random.Random(seed * 1000 + k)
        mine, errs = [], []
        try:
            c = Client(sock)
        except OSError as e:
            errs.append("connect: %s" % e)
            c = None
        while c is not None and time.time() < until:
            try:
                t = time.perf_counter()
                items = c.call("ListItems", {"unread": True,
                                             "limit": 50})["items"]
                mine.append(time.perf_counter() - t)
                ids = [it["id"] for it in items if rnd.random() < 0.1]
                if ids:
                    t = time.perf_counter()
                    c.call("MarkRead", {"ids": ids[:5]})
                    mine.append(time.perf_counter() - t)
                if rnd.random() < 0.01:
                    t = time.perf_counter()
                    c.call("Refresh", {"feeds": [
                        "f%d" % rnd.randrange(n_feeds)]})
                    mine.append(time.perf_counter() - t)
            except (OSError, ConnectionError, RuntimeError, ValueError,
                    KeyError) as e:
                errs.append(repr(e))
                try:
                    c = Client(sock)
                except OSError:
                    time.sleep(0.5)
            time.sleep(rnd.uniform(0.05, 0.15))   # think time
        with lock:
            lat.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((lat, errors[:50], len(errors)))


class Feeds:
    """n feeds; each fetch publishes one more item; the newest 20 are
    served.  Remembers every item it published."""

    def __init__(self, srv, n, latency):
        self.count = [0] * n
        self.lock = threading.Lock()
        self.latency = latency
        self.fetches = 0
        for i in range(n):
            srv.route("/f%d.xml" % i, self.route(i))

    def route(self, i):
        def fn(h, req):
            time.sleep(self.latency)
            with self.lock:
                self.count[i] += 1
                self.fetches += 1
                k = self.count[i]
            items = "".join(
                "<item><title>Feed %d item %d</title><guid>f%d-%d</guid>"
                "<link>http://example.org/f%d/%d</link><description>"
                "Item %d of feed %d, words words words.</description>"
                "</item>" % (i, j, i, j, i, j, j, i)
                for j in range(k, max(0, k - 20), -1))
            body = ('<?xml version="1.0"?><rss version="2.0"><channel>'
                    "<title>Feed %d</title><link>http://example.org/f%d"
                    "</link><description>d</description>%s</channel>"
                    "</rss>" % (i, i, items)).encode()
            h.reply(200, body, "application/rss+xml")
        return fn


def rss_kb(pid, field="VmRSS"):
    """VmRSS, or RssAnon: the heap without the mapped database (which
    grows with the database, as SQLite's mmap_size lets it)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--duration", type=float, default=1800)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--interval", default="60s")
    ap.add_argument("--builddir")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.builddir:
        feeddtest.FEEDD = os.path.join(a.builddir, "src", "feedd")
        feeddtest.FEEDCTL = os.path.join(a.builddir, "src", "feedctl")
    print("feedd: %s" % feeddtest.FEEDD, flush=True)

    srv = httpd.Server().start()
    srv.httpd.request_queue_size = 1024
    feeds = Feeds(srv, a.feeds, a.latency)
    conf = {"f%d" % i: {"url": srv.url("/f%d.xml" % i),
                        "interval": a.interval} for i in range(a.feeds)}
    res = {"feeds": a.feeds, "clients": a.clients, "duration": a.duration}
    ok = True
    with feeddrun.Feedd(feeds=conf, log_level="notice",
                        max_connections="32", timeout="30s") as d:
        d.start()
        if not feeddrun.wait_until(lambda: os.path.exists(d.socket), 30):
            print("feedd did not start:\n" + d.log_text())
            return 1
        t0 = time.time()
        until = t0 + a.duration
        out = multiprocessing.Queue()
        nproc = max(1, min(4, a.clients // 25))
        procs = []
        for p in range(nproc):
            n = a.clients // nproc + (1 if p < a.clients % nproc else 0)
            pr = multiprocessing.Process(target=client_proc, args=(
                d.socket, n, a.feeds, until, p + 1, out))
            pr.start()
            procs.append(pr)
        samples = []
        while time.time() < until:
            samples.append((round(time.time() - t0), rss_kb(d.proc.pid),
                            rss_kb(d.proc.pid, "RssAnon")))
            print("t=%4d s  rss %6d kB  anon %6d kB  fetches %6d" % (
                samples[-1][0], samples[-1][1], samples[-1][2],
                feeds.fetches), flush=True)
            if not d.running():
                break
            time.sleep(min(10, max(0.1, until - time.time())))
        lat, errors, n_err = [], [], 0
        for _ in procs:
            l_, e_, n_ = out.get(timeout=120)
            lat += l_
            errors += e_
            n_err += n_
        for pr in procs:
            pr.join(30)
        samples.append((round(time.time() - t0), rss_kb(d.proc.pid),
                        rss_kb(d.proc.pid, "RssAnon")))
        running = d.running()
        # Let fetches in flight finish, then stop and check the store.
        time.sleep(2)
        rc, _ = d.stop(30)
        srv.stop()
        con = sqlite3.connect(d.db_path)
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        dups = con.execute("SELECT count(*) FROM (SELECT 1 FROM items "
                           "GROUP BY feed_id, key HAVING count(*) > 1)"
                           ).fetchone()[0]
        stored = {k for (k,) in con.execute("SELECT key FROM items")}
        con.close()
        published = {"f%d-%d" % (i, j) for i in range(a.feeds)
                     for j in range(1, feeds.count[i] + 1)}
        # The newest item of a feed may have gone out in a fetch the stop
        # cut off: not a loss.  Every other published item must be there.
        missing = sorted(k for k in published - stored
                         if k != "f%s-%d" % (k[1:].split("-")[0],
                                             feeds.count[int(
                                                 k[1:].split("-")[0])]))
        half = samples[len(samples) // 2:]

        def slope(col):
            if len(half) < 2 or half[-1][0] <= half[0][0]:
                return 0.0
            xs = [s[0] for s in half]
            ys = [s[col] for s in half]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            den = sum((x - mx) ** 2 for x in xs) or 1
            return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den
        res.update({
            "calls": len(lat), "errors": n_err, "error_samples": errors[:5],
            "latency_ms": {"median": round(pct(lat, 0.5) * 1000, 2),
                           "p99": round(pct(lat, 0.99) * 1000, 2),
                           "max": round(max(lat) * 1000 if lat else 0, 2)},
            "fetches": feeds.fetches,
            "published": len(published), "stored": len(stored),
            "missing": len(missing), "missing_sample": missing[:5],
            "duplicates": dups, "integrity": integrity[0][0],
            "rss_kb": {"start": samples[0][1],
                       "peak": max(s[1] for s in samples),
                       "end": samples[-1][1],
                       "second_half_slope_kb_per_min": round(slope(1) * 60,
                                                             1)},
            "anon_kb": {"start": samples[0][2],
                        "peak": max(s[2] for s in samples),
                        "end": samples[-1][2],
                        "second_half_slope_kb_per_min": round(slope(2) * 60,
                                                              1)},
            "rss_samples": samples, "feedd_running_at_end": running,
            "feedd_exit": rc,
        })
        ok = (n_err == 0 and dups == 0 and integrity == [("ok",)] and
              running and rc == 0 and not missing)
        if not ok:
            res["log_tail"] = d.log_text()[-3000:]
    print(json.dumps({k: v for k, v in res.items() if k != "rss_samples"},
                     indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
