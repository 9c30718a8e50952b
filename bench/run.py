#!/usr/bin/env python3
"""run: feedd measured beside its peers on this machine, in one run
(issue 9).  `make bench` runs it; by hand:

    bench/run.py --builddir BUILD [--quick] [--runs N] [--peer-runs N]
                 [--only parse,cold,warm,idle,list] [--workdir DIR]

Measures, each as median (min-max) over several runs, beside the peers
and floors measured in the same run:

  parse  `feedctl parse` on one 50 MB RSS feed, against a libxml2 SAX2 push
         parse with empty callbacks (bench/sax_floor, the floor of any
         parser built on libxml2), `xmllint --stream --noout` and `sfeed`;
         wall, CPU, peak RSS, and peak RSS on a feed a tenth the size;
  cold   a first refresh of 1,000 feeds from a loopback server
         (bench/feedserve), with no latency and with 50 ms per request:
         feedd (fresh state directory; from its start until `feedctl
         refresh --wait` returns, and until a search returns, when every
         item is searchable; its CPU time includes that indexing),
         `sfeed_update` (maxjobs 16) and
         `newsboat -x reload` (reload-threads 16), against `curl -Z
         --parallel-max 16` fetching every URL (the network floor);
  warm   the same again when every feed answers 304: feedd's next
         `refresh --wait`, newsboat's reload once it sends validators,
         sfeed_update (which fetches everything again), against curl
         sending each feed's ETag;
  idle   feedd's resident memory when idle after a first refresh of
         10,000 feeds with 500,000 items (the store is kept; a later run
         refreshes a copy of it, every feed answering 304, and measures
         that instead);
  list   `feedctl list --limit 50` round trips, process start included,
         against a feedd whose store holds 1,000,000 items.

CPU is user + system time of the whole process tree; peak RSS is the
largest single process's.  The peers are installed with apt-get when
missing (as root or with sudo); a peer that cannot be had is left out.
Everything is generated under BUILD/bench (the corpus is kept between
runs); a quiet machine gives meaningful figures: the load average is
printed with the table.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")
TIME = "/usr/bin/time"
PEER_PACKAGES = {"time": "time", "sfeed": "sfeed", "sfeed_update": "sfeed",
                 "newsboat": "newsboat", "curl": "curl",
                 "xmllint": "libxml2-utils"}


def say(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


# ---- measuring processes ----

class Sample:
    def __init__(self, wall, cpu, rss_mb, status=0, note=None):
        self.wall, self.cpu, self.rss = wall, cpu, rss_mb
        self.status, self.note = status, note


def run_measured(argv, stdin=None, stdout=None, env=None, cwd=None,
                 timeout=3600, stderr=None):
    """Runs argv; wall time, CPU of it and every descendant it waited for,
    peak RSS of the largest of them.  Through GNU time: a child forked from
    this (large) Python process would count its RSS as its own peak."""
    fin = open(stdin, "rb") if isinstance(stdin, str) else stdin
    fout = open(stdout, "wb") if isinstance(stdout, str) else stdout
    tfd, tpath = tempfile.mkstemp(prefix="bench-time-")
    os.close(tfd)
    t0 = time.monotonic()
    p = subprocess.Popen([TIME, "-f", "%U %S %M %x", "-o", tpath, "--"] +
                         argv, stdin=fin or subprocess.DEVNULL,
                         stdout=fout or subprocess.DEVNULL,
                         stderr=stderr or subprocess.DEVNULL, env=env,
                         cwd=cwd, start_new_session=True)
    killer = threading.Timer(timeout, lambda: os.killpg(p.pid,
                                                        signal.SIGKILL))
    killer.start()
    p.wait()
    wall = time.monotonic() - t0
    killer.cancel()
    for f, given in ((fin, stdin), (fout, stdout)):
        if isinstance(given, str):
            f.close()
    try:
        with open(tpath) as f:
            last = f.read().strip().splitlines()[-1].split()
        user, sys_, rss_kb, status = (float(last[0]), float(last[1]),
                                      int(last[2]), int(last[3]))
    except (OSError, IndexError, ValueError):
        user = sys_ = rss_kb = 0
        status = p.returncode or -1
    finally:
        os.unlink(tpath)
    return Sample(wall, user + sys_, rss_kb / 1024.0, status)


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 (1-based) of the whole line.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_mem(pid):
    """(VmRSS, VmHWM) in MB."""
    rss = hwm = 0.0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024.0
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024.0
    return rss, hwm


class Stat:
    """Samples of one measure."""

    def __init__(self):
        self.samples = []

    def add(self, s):
        self.samples.append(s)

    def values(self, what):
        return [getattr(s, what) for s in self.samples
                if getattr(s, what) is not None]

    def median(self, what):
        v = self.values(what)
        return statistics.median(v) if v else None

    def fmt(self, what, unit):
        v = self.values(what)
        if not v:
            return "-"
        m = statistics.median(v)
        if len(v) == 1:
            return fmt_num(m, unit)
        return "%s (%s-%s)" % (fmt_num(m, unit), fmt_num(min(v), ""),
                               fmt_num(max(v), ""))


def fmt_num(x, unit):
    if x >= 100:
        s = "%.0f" % x
    elif x >= 10:
        s = "%.1f" % x
    elif x >= 1:
        s = "%.2f" % x
    else:
        s = "%.3f" % x
    return s + unit


# ---- peers ----

def ensure_peers(skip_install):
    missing = sorted({PEER_PACKAGES[p] for p in PEER_PACKAGES
                      if shutil.which(p) is None})
    if missing and not skip_install:
        cmd = ["apt-get", "install", "-y", "-q"] + missing
        if os.geteuid() != 0:
            if shutil.which("sudo") is None:
                cmd = None
            else:
                cmd = ["sudo", "-n"] + cmd
        if cmd is not None:
            say("installing", " ".join(missing))
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            if subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL) != 0:
                subprocess.call(cmd[:-len(missing) - 3] + ["apt-get",
                                "update", "-q"], env=env,
                                stdout=subprocess.DEVNULL)
                subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL)
    have = {p: shutil.which(p) is not None for p in PEER_PACKAGES}
    for p, ok in sorted(have.items()):
        if not ok:
            say("%s is missing (Debian package %s): left out" %
                (p, PEER_PACKAGES[p]))
    return have


def version_of(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


# ---- the loopback server ----

class Server:
    def __init__(self, builddir, root, latency_ms=0, port=0):
        self.proc = subprocess.Popen(
            [os.path.join(builddir, "bench", "feedserve"), "-t", "7200",
             "-l", str(latency_ms), "-p", str(port), root],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise OSError("feedserve could not listen on port %d" % port)
        self.port = int(line)
        self.base = "http://127.0.0.1:%d" % self.port

    def stats(self):
        with urllib.request.urlopen(self.base + "/_stats", timeout=10) as r:
            return json.load(r)

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---- feedd ----

class Feedd:
    """A feedd with a fresh state directory following the given feeds."""

    def __init__(self, builddir, rundir, urls, settings=None):
        self.feedd = os.path.join(builddir, "src", "feedd")
        self.feedctl = os.path.join(builddir, "src", "feedctl")
        self.dir = rundir
        shutil.rmtree(rundir, ignore_errors=True)
        os.makedirs(os.path.join(rundir, "feeds.d"))
        self.sock = os.path.join(rundir, "feedd.sock")
        self.state = os.path.join(rundir, "state")
        self.conf = os.path.join(rundir, "feedd.conf")
        s = {"state_dir": self.state, "socket": self.sock,
             "feeds_dir": os.path.join(rundir, "feeds.d"),
             "interval": "1d", "max_connections": "16",
             "max_per_host": "16", "timeout": "120s",
             "log_level": "info"}
        s.update(settings or {})
        with open(self.conf, "w") as f:
            f.write("[feedd]\n")
            for k, v in s.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(rundir, "feeds.d", "bench.conf"), "w") as f:
            for name, url in urls:
                f.write("[%s]\nurl = %s\n\n" % (name, url))
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "feedd.log"), "ab")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.feedd, "-c", self.conf, "--foreground"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("feedd exited: see %s/feedd.log" %
                                   self.dir)
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                time.sleep(0.002)

    def ctl(self, *args, timeout=3600, stdout=None):
        return run_measured([self.feedctl, "--socket", self.sock] +
                            list(args), timeout=timeout, stdout=stdout)

    def cpu(self):
        return proc_cpu(self.proc.pid)

    def mem(self):
        return proc_mem(self.proc.pid)

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.log.close()

    def items(self):
        db = os.path.join(self.state, "feedd.db")
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
        try:
            return con.execute("SELECT count(*) FROM items").fetchone()[0]
        finally:
            con.close()


# ---- the measures ----

class Bench:
    def __init__(self, args):
        self.args = args
        self.b = os.path.abspath(args.builddir)
        self.work = os.path.abspath(args.workdir or
                                    os.path.join(self.b, "bench", "work"))
        self.corpus = os.path.join(os.path.dirname(self.work), "corpus")
        self.rows = []          # (section, what, feedd, others, target)
        self.notes = []
        os.makedirs(self.work, exist_ok=True)

    def prog(self, *p):
        return os.path.join(self.b, *p)

    def row(self, section, what, value, versus, target=None):
        self.rows.append((section, what, value, versus, target))
        print("  %-7s %-34s %-28s %s%s" % (
            section, what, value, versus,
            ("   [target: %s]" % target) if target else ""), flush=True)

    # -- corpus --

    def generate(self):
        a = self.args
        cmd = [sys.executable, os.path.join(HERE, "gen_corpus.py"),
               "--feeds", str(a.feeds), "--big-mb", str(a.big_mb),
               "--idle-feeds", str(a.idle_feeds), self.corpus]
        t = time.monotonic()
        subprocess.check_call(cmd)
        with open(os.path.join(self.corpus, "manifest.json")) as f:
            self.manifest = json.load(f)
        say("corpus ready in %.0f s: %s" % (time.monotonic() - t,
                                           self.corpus))

    def feed_urls(self, server, sub="feeds"):
        files = sorted(n for n in os.listdir(os.path.join(self.corpus, sub))
                       if not n.endswith(".gz"))
        return [("f" + os.path.splitext(n)[0], "%s/%s" % (server.base, n))
                for n in files]

    # -- 1. parse --

    def parse(self):
        a = self.args
        big = os.path.join(self.corpus, "big.rss")
        tenth = os.path.join(self.corpus, "big_tenth.rss")
        mb = os.path.getsize(big) / 1e6
        progs = [("sax", [self.prog("bench", "sax_floor"), big], None)]
        if self.have["xmllint"]:
            progs.append(("xmllint", ["xmllint", "--stream", "--noout", big],
                          None))
        if self.have["sfeed"]:
            progs.append(("sfeed", ["sfeed"], big))
        progs.append(("feedd", [self.prog("src", "feedctl"), "parse", big],
                      None))
        progs.append(("feedd_tenth", [self.prog("src", "feedctl"), "parse",
                                      tenth], None))
        st = {n: Stat() for n, _, _ in progs}
        say("parse: %.0f MB, %d runs" % (mb, a.runs))
        for _ in range(a.runs):
            for name, argv, stdin in progs:
                s = run_measured(argv, stdin=stdin, stdout=os.devnull)
                if s.status != 0:
                    say("parse: %s exited %d" % (name, s.status))
                st[name].add(s)
        sax = st["sax"].median("wall")
        f = st["feedd"]
        vs = ["SAX floor %s" % st["sax"].fmt("wall", " s")]
        ratio = f.median("wall") / sax
        for n in ("xmllint", "sfeed"):
            if n in st:
                vs.append("%s %s (feedd %.2fx)" % (
                    n, st[n].fmt("wall", " s"),
                    f.median("wall") / st[n].median("wall")))
        self.row("parse", "feedctl parse %.0f MB: wall" % mb,
                 f.fmt("wall", " s"), "%.2fx floor; " % ratio + "; ".join(vs),
                 "<= sfeed, ~1.2x floor")
        self.row("parse", "throughput", "%.0f MB/s" % (mb / f.median("wall")),
                 "floor %.0f MB/s" % (mb / sax))
        self.row("parse", "CPU", f.fmt("cpu", " s"),
                 "; ".join("%s %s" % (n, st[n].fmt("cpu", " s"))
                           for n in ("sax", "xmllint", "sfeed") if n in st))
        self.row("parse", "peak RSS (50 MB / 5 MB feed)",
                 "%s / %s" % (f.fmt("rss", " MB"),
                              st["feedd_tenth"].fmt("rss", " MB")),
                 "; ".join("%s %s" % (n, st[n].fmt("rss", " MB"))
                           for n in ("sax", "xmllint", "sfeed") if n in st),
                 "flat in file size")
        self.parse_stats = st

    # -- 2./3. refresh of 1,000 feeds --

    def curl_config(self, server, urls, conditional):
        path = os.path.join(self.work, "curl%s.cfg" %
                            ("-cond" if conditional else ""))
        with open(path, "w") as f:
            first = True
            for name, url in urls:
                if not first:
                    f.write("next\n")
                first = False
                f.write('url = "%s"\noutput = "/dev/null"\n' % url)
                if conditional:
                    fn = os.path.join(self.corpus, "feeds",
                                      url.rsplit("/", 1)[1])
                    sb = os.stat(fn)
                    f.write('header = "If-None-Match: \\"%x-%x\\""\n' % (
                        int(sb.st_mtime), sb.st_size))
        return ["curl", "--no-progress-meter", "-Z", "--parallel-max", "16",
                "-K", path]

    def sfeed_config(self, urls, state):
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)
        rc = os.path.join(state, "sfeedrc")
        with open(rc, "w") as f:
            f.write('sfeedpath="%s/feeds"\nmaxjobs=16\nfeeds() {\n' % state)
            for name, url in urls:
                f.write('\tfeed "%s" "%s"\n' % (name, url))
            f.write("}\n")
        return ["sfeed_update", rc], dict(os.environ, HOME=state)

    def newsboat_config(self, urls, state):
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)
        with open(os.path.join(state, "urls"), "w") as f:
            for name, url in urls:
                f.write("%s\n" % url)
        with open(os.path.join(state, "config"), "w") as f:
            f.write("reload-threads 16\n")
        argv = ["newsboat", "-u", os.path.join(state, "urls"),
                "-c", os.path.join(state, "cache.db"),
                "-C", os.path.join(state, "config"), "-x", "reload"]
        return argv, dict(os.environ, HOME=state, TERM="dumb")

    def check_server(self, server, name, want_ok=None, want_304=None):
        s = server.stats()
        bad = []
        if want_ok is not None and s["ok"] < want_ok:
            bad.append("%d of %d answered 200" % (s["ok"], want_ok))
        if want_304 is not None and s["not_modified"] < want_304:
            bad.append("%d of %d answered 304" % (s["not_modified"],
                                                  want_304))
        if bad:
            say("%s: %s" % (name, ", ".join(bad)))
            return "%s: %s" % (name, ", ".join(bad))
        return None

    def feedd_refresh(self, server, urls, tag, warm_stats=None):
        """One cold refresh by a new feedd; then (if warm_stats) warm ones."""
        d = Feedd(self.b, os.path.join(self.work, "feedd-" + tag), urls)
        server.stats()
        try:
            d.start()
            r = d.ctl("refresh", "--wait")
            wall = time.monotonic() - d.t0
            if r.status != 0:
                say("feedd %s: refresh --wait exited %d" % (tag, r.status))
            # New items join the search index when the daemon is idle; a
            # search waits for the rest, so its return is when every item
            # is searchable, and the CPU time counts that work too.
            s = d.ctl("search", "--limit", "1", "bench", stdout=os.devnull)
            searchable = time.monotonic() - d.t0
            cpu = d.cpu() + r.cpu + s.cpu
            rss, hwm = d.mem()
            note = self.check_server(server, "feedd " + tag, len(urls))
            cold = Sample(wall, cpu, hwm, r.status or s.status, note)
            cold.searchable = searchable
            cold.items = d.items()
            if warm_stats is not None:
                for _ in range(self.args.runs):
                    server.stats()
                    c0 = d.cpu()
                    r = d.ctl("refresh", "--wait")
                    s = Sample(r.wall, d.cpu() - c0 + r.cpu, d.mem()[1],
                               r.status)
                    s.note = self.check_server(server, "feedd warm", None,
                                               len(urls))
                    warm_stats.add(s)
        finally:
            d.stop()
        return cold

    def refresh(self, latency):
        a = self.args
        server = Server(self.b, os.path.join(self.corpus, "feeds"), latency)
        urls = self.feed_urls(server)
        n = len(urls)
        tag = "%dms" % latency
        warm = latency == 0 and "warm" in a.only
        names = ["curl", "feedd"]
        if self.have["sfeed_update"] and self.have["sfeed"]:
            names.append("sfeed")
        if self.have["newsboat"]:
            names.append("newsboat")
        st = {k: Stat() for k in names}
        wst = {k: Stat() for k in names}
        curl = self.curl_config(server, urls, False)
        curl_cond = self.curl_config(server, urls, True)
        say("cold refresh of %d feeds, latency %d ms: %d runs (feedd %d, "
            "peers %d)" % (n, latency, a.runs, a.refresh_runs, a.peer_runs))
        try:
            for i in range(max(a.runs, a.refresh_runs, a.peer_runs)):
                if i < a.runs:
                    server.stats()
                    s = run_measured(curl)
                    s.note = self.check_server(server, "curl", n)
                    st["curl"].add(s)
                if i < a.refresh_runs:
                    s = self.feedd_refresh(server, urls, tag,
                                           wst["feedd"] if warm and i == 0
                                           else None)
                    st["feedd"].add(s)
                    if s.items != self.manifest["feeds"]["items"]:
                        say("feedd stored %d items of %d" % (
                            s.items, self.manifest["feeds"]["items"]))
                if i >= a.peer_runs:
                    continue
                if "sfeed" in st:
                    state = os.path.join(self.work, "sfeed-" + tag)
                    argv, env = self.sfeed_config(urls, state)
                    server.stats()
                    s = run_measured(argv, env=env, cwd=state)
                    s.note = self.check_server(server, "sfeed_update", n)
                    st["sfeed"].add(s)
                    if warm and i == 0 and a.sfeed_warm:
                        server.stats()
                        s = run_measured(argv, env=env, cwd=state)
                        wst["sfeed"].add(s)
                if "newsboat" in st:
                    state = os.path.join(self.work, "newsboat-" + tag)
                    argv, env = self.newsboat_config(urls, state)
                    server.stats()
                    s = run_measured(argv, env=env, cwd=state)
                    s.note = self.check_server(server, "newsboat", n)
                    st["newsboat"].add(s)
                    if warm and i == 0:
                        self.newsboat_warm(server, argv, env, state, n,
                                           wst["newsboat"])
            if warm:
                for _ in range(a.runs):
                    server.stats()
                    s = run_measured(curl_cond)
                    s.note = self.check_server(server, "curl warm", None, n)
                    wst["curl"].add(s)
        finally:
            server.close()
        self.report_refresh("cold", tag, st, n, latency)
        if warm:
            self.report_refresh("warm", tag, wst, n, latency)
            if "sfeed" in st and not a.sfeed_warm:
                self.notes.append("warm: sfeed_update sends no validators, "
                                  "so its warm refresh costs what its cold "
                                  "one does (--sfeed-warm measures it)")

    def newsboat_warm(self, server, argv, env, state, n, stat):
        # newsboat sends validators only from a later reload on: the first
        # reload (of at most three) whose feeds mostly answer 304 counts.
        for _ in range(3):
            server.stats()
            s = run_measured(argv, env=env, cwd=state)
            if server.stats()["not_modified"] >= n * 0.9:
                stat.add(s)
                return
        self.notes.append("newsboat sent no validators in three reloads")

    def report_refresh(self, kind, tag, st, n, latency):
        f, c = st["feedd"], st["curl"]
        label = "%s %d feeds, %d ms" % (kind, n, latency)
        vs = ["curl floor %s" % c.fmt("wall", " s")]
        for p in ("sfeed", "newsboat"):
            if p in st and st[p].samples:
                vs.append("%s %s (feedd %.3fx)" % (
                    p, st[p].fmt("wall", " s"),
                    f.median("wall") / st[p].median("wall")))
        if kind == "cold":
            target = "<= 10x floor" if latency == 0 else "<= 1.5x floor"
        else:
            target = "<= 2x conditional floor"
        self.row(kind, label + ": wall", f.fmt("wall", " s"),
                 "%.1fx floor; " % (f.median("wall") / c.median("wall")) +
                 "; ".join(vs), target)
        if kind == "cold":
            ts = sorted(x.searchable for x in f.samples)
            self.row(kind, label + ": all searchable", "%.1f s" %
                     ts[len(ts) // 2], "the search index caught up (the "
                     "daemon indexes new items when idle)")
        vs = ["curl %s" % c.fmt("cpu", " s")]
        for p in ("sfeed", "newsboat"):
            if p in st and st[p].samples:
                vs.append("%s %s (feedd %.3fx)" % (
                    p, st[p].fmt("cpu", " s"),
                    f.median("cpu") / st[p].median("cpu")))
        target = None
        if kind == "cold" and latency == 0:
            target = "<= 0.05x newsboat"
        elif kind == "warm":
            target = "<= 2x floor + 0.1 s (%.2f s)" % (
                2 * c.median("cpu") + 0.1)
        self.row(kind, label + ": CPU", f.fmt("cpu", " s"), "; ".join(vs),
                 target)
        vs = ["; ".join("%s %s" % (p, st[p].fmt("rss", " MB"))
                        for p in ("curl", "sfeed", "newsboat")
                        if p in st and st[p].samples)]
        self.row(kind, label + ": peak RSS", f.fmt("rss", " MB"), vs[0],
                 "<= 64 MB" if kind == "cold" else None)
        for p, s in st.items():
            for x in s.samples:
                if x.note:
                    self.notes.append(x.note)
        if kind == "cold":
            items = [x.items for x in f.samples]
            self.row(kind, label + ": items stored", "%d" % items[0],
                     "of %d in the feeds" % self.manifest["feeds"]["items"])

    # -- 4. idle memory with 10,000 feeds --

    def idle(self):
        """The store of a first refresh of the idle corpus is kept (it
        takes long to make), with the server's port: later runs serve the
        corpus on that port again (the feeds' URLs are the same, so their
        validators hold), start feedd on a copy, refresh every feed (all
        304) and measure it idle."""
        root = os.path.join(self.corpus, "idle")
        n = len([n for n in os.listdir(root) if not n.endswith(".gz")])
        cache = os.path.join(os.path.dirname(self.work), "store-idle-%d" % n)
        port_file = os.path.join(cache, "port")
        server = None
        if os.path.exists(os.path.join(cache, "feedd.db")):
            try:
                with open(port_file) as f:
                    server = Server(self.b, root, port=int(f.read()))
            except (OSError, ValueError):
                say("idle: the kept store's port is taken or unknown: "
                    "a first refresh again")
                shutil.rmtree(cache)
        first = server is None
        if first:
            server = Server(self.b, root)
        urls = self.feed_urls(server, "idle")
        d = Feedd(self.b, os.path.join(self.work, "feedd-idle"), urls)
        if not first:
            os.makedirs(d.state)
            shutil.copy(os.path.join(cache, "feedd.db"),
                        os.path.join(d.state, "feedd.db"))
        say("idle: %s refresh of %d feeds" % ("first" if first else "a",
                                              len(urls)))
        note = None
        try:
            server.stats()
            d.start()
            r = d.ctl("refresh", "--wait")
            wall = time.monotonic() - d.t0
            cpu = d.cpu()
            note = self.check_server(server, "feedd idle",
                                     len(urls) if first else None,
                                     None if first else len(urls))
            time.sleep(5)
            rss, hwm = d.mem()
            items = d.items()
        finally:
            d.stop()
            server.close()
        if first and r.status == 0 and note is None:
            os.makedirs(cache, exist_ok=True)
            shutil.copy(os.path.join(d.state, "feedd.db"),
                        os.path.join(cache, "feedd.db"))
            with open(port_file, "w") as f:
                f.write("%d\n" % server.port)
        if note:
            self.notes.append(note)
        self.row("idle", "%d feeds, %d items: idle RSS" % (len(urls), items),
                 "%.1f MB" % rss, "peak %.1f MB, during the %s refresh" % (
                     hwm, "first" if first else "(all 304)"), "<= 64 MB")
        self.row("idle", "the %s refresh" % ("first" if first else
                                            "304 (warm)"),
                 "%.1f s" % wall, "CPU %.1f s%s" % (
                     cpu, ", %.0f items/s" % (items / wall) if first else ""))

    # -- 5. feedctl list on 1,000,000 items --

    def list(self):
        a = self.args
        cache = os.path.join(os.path.dirname(self.work), "store-%d" %
                             a.list_items)
        db = os.path.join(cache, "feedd.db")
        if not os.path.exists(db):
            say("list: building a store of %d items (kept in %s)" %
                (a.list_items, cache))
            os.makedirs(cache, exist_ok=True)
            # bench_server fills an empty directory with items of 1,000
            # feeds bench0000..bench0999 before it measures; one round.
            subprocess.check_call([self.prog("bench", "bench_server"),
                                   "-n", str(a.list_items), "-r", "1",
                                   "-c", "1", "-q", "-k", cache],
                                  stdout=subprocess.DEVNULL)
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        names = [r[0] for r in con.execute("SELECT name FROM feeds")]
        con.close()
        server = Server(self.b, os.path.join(self.corpus, "feeds"))
        # The store's feeds, pointing at nothing (they are not fetched
        # within the run: a day's interval, spread).
        urls = [(nm, server.base + "/none/%d" % i)
                for i, nm in enumerate(names)]
        d = Feedd(self.b, os.path.join(self.work, "feedd-list"), urls,
                  {"log_level": "warning"})
        os.makedirs(d.state)
        shutil.copy(db, os.path.join(d.state, "feedd.db"))
        st = Stat()
        try:
            d.start()
            d.ctl("list", "--limit", "50")     # warm the page cache
            for _ in range(a.list_runs):
                st.add(d.ctl("list", "--limit", "50"))
            items = d.items()
        finally:
            d.stop()
            server.close()
        self.row("list", "feedctl list --limit 50, %d items" % items,
                 st.fmt("wall", " s"), "%d runs, process start included" %
                 a.list_runs, "< 5 ms server round trip (bench_server)")

    # -- the table --

    def table(self):
        load = os.getloadavg()
        cpu = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        print()
        print("machine: %s, %d CPUs, %.0f GB, %s %s; load average %.2f "
              "%.2f %.2f" % (cpu, os.cpu_count(), mem, platform.system(),
                             platform.release(), *load))
        print("peers: %s; %s; %s; %s" % (
            version_of(["newsboat", "--version"]),
            "sfeed " + (version_of(["dpkg-query", "-W", "-f",
                                    "${Version}", "sfeed"])),
            version_of(["curl", "--version"]).split(" (")[0],
            version_of(["xmllint", "--version"])))
        print()
        print("| measure | feedd | beside it (same run) | target |")
        print("|---|---|---|---|")
        for sec, what, val, vs, target in self.rows:
            print("| %s | %s | %s | %s |" % (what, val, vs, target or ""))
        if self.notes:
            print()
            print("notes:")
            for n in self.notes:
                print("  " + n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=".")
    ap.add_argument("--workdir")
    ap.add_argument("--quick", action="store_true",
                    help="a smaller run, to try the benchmark itself")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--refresh-runs", type=int, default=2,
                    help="cold refreshes by feedd (each from scratch)")
    ap.add_argument("--peer-runs", type=int, default=1)
    ap.add_argument("--sfeed-warm", action="store_true",
                    help="also run sfeed_update a second time (it sends "
                    "no validators: as slow as the first)")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--big-mb", type=int, default=50)
    ap.add_argument("--idle-feeds", type=int, default=10000)
    ap.add_argument("--list-items", type=int, default=1000000)
    ap.add_argument("--list-runs", type=int, default=30)
    ap.add_argument("--only", default="parse,cold,warm,idle,list")
    ap.add_argument("--no-install", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.feeds, args.big_mb, args.idle_feeds = 200, 10, 1000
        args.list_items, args.runs, args.list_runs = 100000, 2, 10
        args.refresh_runs = 1
    args.only = set(args.only.split(","))

    t0 = time.monotonic()
    b = Bench(args)
    b.have = ensure_peers(args.no_install)
    if not b.have["curl"] or not b.have["time"]:
        say("curl (the network floor) and GNU time are needed")
        return 1
    b.generate()
    if "parse" in args.only:
        b.parse()
    if "cold" in args.only or "warm" in args.only:
        b.refresh(0)
    if "cold" in args.only:
        b.refresh(50)
    if "idle" in args.only:
        b.idle()
    if "list" in args.only:
        b.list()
    b.table()
    say("done in %.0f s" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
