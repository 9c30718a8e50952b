"""feedd under faults (issue 8): kill -9 at random instants while it
refreshes and clients mark items read, a full disk, a locked database, a
socket directory it may not write.

kill -9: 50 runs (FAULTS_KILLS) of the real daemon against a loopback
server whose feeds grow at every fetch, with two client threads marking
items read through the Varlink socket; each run is killed after a random
0-0.6 s.  After every kill the database passes PRAGMA integrity_check,
holds every item a client was ever shown and every read mark the daemon
acknowledged, and no item twice; each restart replaces the stale socket;
after the last one the schedule resumes (feeds fetched again, as due).

Disk full: the state directory on a 4 MiB tmpfs (mount(8); skipped when
not allowed) filled to the last byte; the write fails with a clear error
for that feed, the daemon keeps serving and, once space returns, the next
retry stores the items without anyone asking.  Locked database: another
process holds a write transaction for 4 s; the same."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feeddtest  # noqa: E402
import httpd  # noqa: E402
from feeddrun import Client, Feedd, wait_until  # noqa: E402

KILLS = int(os.environ.get("FAULTS_KILLS", "50"))


def rss(name, n):
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>%s'
            '</title><link>http://example.org/</link><description>d'
            '</description>%s</channel></rss>' % (name, "".join(
                "<item><title>%s item %d</title><guid>%s-%d</guid>"
                "<link>http://example.org/%s/%d</link><description>"
                "<![CDATA[<p>Body of %s %d, long enough to be worth a page "
                "or two of the database when there are a few of them.</p>"
                "]]></description></item>" % (name, i, name, i, name, i,
                                              name, i)
                for i in range(n)))).encode()


class Growing:
    """Feeds that gain 3 items at every fetch (at most 150)."""

    def __init__(self, srv, names):
        self.n = {name: 3 for name in names}
        self.lock = threading.Lock()
        for name in names:
            srv.route("/" + name, self.route(name))

    def route(self, name):
        def fn(h, req):
            with self.lock:
                n = self.n[name]
                self.n[name] = min(n + 3, 150)
            time.sleep(random.random() * 0.05)
            h.reply(200, rss(name, n), "application/rss+xml")
        return fn


def db_check(tap, path, shown, acked, run):
    """Returns a list of problems (empty: fine)."""
    problems = []
    con = sqlite3.connect(path, timeout=10)
    try:
        res = con.execute("PRAGMA integrity_check").fetchall()
        if res != [("ok",)]:
            problems.append(("integrity_check", res))
        ids = {r[0] for r in con.execute("SELECT id FROM items")}
        missing = [i for i in shown if i not in ids]
        if missing:
            problems.append(("items shown to a client lost", missing[:10]))
        unread = [i for i in acked if con.execute(
            "SELECT read FROM items WHERE id = ?", (i,)).fetchone()
            != (1,)]
        if unread:
            problems.append(("acknowledged read marks lost", unread[:10]))
        dups = con.execute("SELECT feed_id, key, count(*) FROM items "
                           "GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5"
                           ).fetchall()
        if dups:
            problems.append(("duplicate items", dups))
    except sqlite3.DatabaseError as e:
        problems.append(("database error", str(e)))
    finally:
        con.close()
    return problems


def test_kill9(tap, srv):
    names = ["k%d" % i for i in range(8)]
    Growing(srv, names)
    shown, acked = set(), set()
    problems, restarts_ok = [], 0
    rnd = random.Random(int(os.environ.get("FAULTS_SEED", "0")) or None)
    feeds = {n: {"url": srv.url("/" + n), "interval": "1s"}
             for n in names}
    with Feedd(feeds=feeds, log_level="info") as d:
        for run in range(KILLS):
            d.lines = []
            d.start()
            stop = threading.Event()

            def client():
                c = None
                while not stop.is_set():
                    try:
                        if c is None:
                            c = Client(d.socket, timeout=5)
                        items = c.call("ListItems", {
                            "unread": True, "all_copies": True,
                            "limit": 50})["items"]
                        shown.update(it["id"] for it in items)
                        pick = [it["id"] for it in items
                                if rnd.random() < 0.3][:5]
                        if pick:
                            c.call("MarkRead", {"ids": pick})
                            acked.update(pick)
                        c.call("Refresh", {})
                    except (OSError, ConnectionError, RuntimeError,
                            ValueError, KeyError):
                        if c is not None:
                            c.close()
                        c = None
                        time.sleep(0.01)
                if c is not None:
                    c.close()
            up = wait_until(lambda: _connects(d.socket), 10, 0.01)
            if up:
                restarts_ok += 1
            threads = [threading.Thread(target=client, daemon=True)
                       for _ in range(2)]
            for t in threads:
                t.start()
            time.sleep(rnd.random() * 0.6)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            stop.set()
            for t in threads:
                t.join(10)
            p = db_check(tap, d.db_path, shown, acked, run)
            if p:
                problems.append((run, p))
                if len(problems) > 3:
                    break
        tap.ok(restarts_ok == KILLS, "%d of %d restarts served on the "
               "socket a killed daemon left behind" % (restarts_ok, KILLS))
        tap.ok(not problems, "after each of %d kill -9: integrity_check ok, "
               "%d items shown and %d read marks acknowledged all kept, "
               "no duplicates" % (KILLS, len(shown), len(acked)),
               problems[:3])
        n_items = d.query("SELECT count(*) FROM items")[0][0]
        tap.ok(len(acked) > KILLS and n_items > 3 * KILLS,
               "the runs did real work (%d items, %d marks)"
               % (n_items, len(acked)))
        # The schedule resumes: a last run, left alone, fetches again.
        before = len(srv.seen())
        d.lines = []
        d.start()
        ok = wait_until(lambda: len(srv.seen()) >= before + len(names), 15)
        tap.ok(ok, "after the last restart every feed is fetched again "
               "on its own", len(srv.seen()) - before)
        rows = d.query("SELECT count(*) FROM feeds WHERE next_due > 0 AND "
                       "disabled = 0")
        tap.ok(rows and rows[0][0] == len(names),
               "every feed scheduled", rows)
        ok, why = d.stop_clean()
        tap.ok(ok, "feedd stopped cleanly after the kill runs", why)
        tap.ok(db_check(tap, d.db_path, shown, acked, "end") == [],
               "and the database is still whole")


def _connects(path):
    try:
        c = Client(path, timeout=2)
        c.call("Status")
        c.close()
        return True
    except (OSError, ConnectionError, RuntimeError, ValueError):
        return False


def feedctl(d, *args, timeout=60):
    return subprocess.run([feeddtest.FEEDCTL, "--socket", d.socket] +
                          list(args), capture_output=True, text=True,
                          timeout=timeout)


def test_disk_full(tap, srv):
    mnt = tempfile.mkdtemp(prefix="feedd-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755",
                        "feedd-test", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        tap.skip("disk full", "cannot mount a small tmpfs here: %s"
                 % r.stderr.strip())
        return
    try:
        disk_full(tap, srv, mnt)
    finally:
        subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)


def disk_full(tap, srv, mnt):
    state = {"n": 5}
    srv.route("/full.xml", lambda h, r: h.reply(
        200, rss("full", state["n"]), "application/rss+xml"))
    # A short interval makes the error backoff short too (at most the
    # interval): the retry comes within seconds.
    feeds = {"full": {"url": srv.url("/full.xml"), "interval": "6s"}}
    with Feedd(tap=tap, feeds=feeds) as d:
        d.state = os.path.join(mnt, "state")
        d.db_path = os.path.join(d.state, "feedd.db")
        d.write_config(feeds)
        d.start()
        tap.ok(wait_until(lambda: len(d.items("full")) == 5, 15),
               "disk full: 5 items stored first", d.log_text()[-2000:])
        filler = os.path.join(mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        for size in (65536, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
        os.close(fd)
        state["n"] = 150
        r = feedctl(d, "refresh", "--wait", "full")
        # (The error cannot be saved in the database: the log and the
        # client waiting for the refresh say it.)
        err = d.wait_log(r"feed full: cannot store: .*(full|space)", 10)
        tap.ok(err and "disk is full" in r.stderr,
               "disk full: a clear error for the feed, to the client too",
               (err, r.stderr))
        tap.ok(d.running(), "disk full: the daemon stays up")
        r = feedctl(d, "status")
        tap.ok(r.returncode == 0, "disk full: status still answers",
               r.stderr)
        ids = [row[0] for row in d.query("SELECT id FROM items LIMIT 2")]
        r = feedctl(d, "read", *map(str, ids))
        tap.diag("mark read on a full disk: exit %d %s" % (
            r.returncode, r.stderr.strip()))
        tap.ok(r.returncode in (0, 1) and d.running(),
               "disk full: marking read fails or works, nothing worse")
        tap.ok(len(d.items("full")) == 5, "disk full: nothing lost")
        os.unlink(filler)
        ok = wait_until(lambda: len(d.items("full")) == 150, 40)
        tap.ok(ok, "space back: the retry stores all 150 items by itself",
               (len(d.items("full")), d.feed("full")))
        con = sqlite3.connect(d.db_path)
        res = con.execute("PRAGMA integrity_check").fetchall()
        con.close()
        tap.ok(res == [("ok",)], "disk full: integrity_check ok", res)


def test_locked(tap, srv):
    state = {"n": 2}
    srv.route("/lock.xml", lambda h, r: h.reply(
        200, rss("lock", state["n"]), "application/rss+xml"))
    with Feedd(tap=tap, feeds={"lock": {"url": srv.url("/lock.xml"),
                                        "interval": "6s"}}) as d:
        d.start()
        tap.ok(wait_until(lambda: len(d.items("lock")) == 2, 15),
               "locked: 2 items stored first")
        con = sqlite3.connect(d.db_path, timeout=10, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE feeds SET title = title")
        state["n"] = 40
        t0 = time.monotonic()
        r = feedctl(d, "refresh", "--wait", "lock")
        tap.ok(d.running(), "locked: the daemon stays up")
        t1 = time.monotonic()
        r2 = feedctl(d, "status")
        tap.ok(r2.returncode == 0 and time.monotonic() - t1 < 5,
               "locked: status answers (%.1f s)" % (time.monotonic() - t1),
               r2.stderr)
        errs = d.grep(r"feed lock: .*(locked|busy)")
        tap.ok(errs, "locked: a clear error for the feed",
               d.log_text()[-2000:])
        time.sleep(max(0, 4 - (time.monotonic() - t0)))
        con.execute("ROLLBACK")
        con.close()
        ok = wait_until(lambda: len(d.items("lock")) == 40, 40)
        tap.ok(ok, "lock released: the retry stores the items by itself",
               (len(d.items("lock")), d.feed("lock")))


def test_socket_dir(tap, srv):
    """The socket in a directory the daemon may not write: a clear error,
    exit status 1 (run as nobody; root writes anywhere)."""
    if os.geteuid() != 0:
        tap.skip("socket directory permissions", "needs root")
        return
    srv.resource("/sd.xml", rss("sd", 1))
    top = tempfile.mkdtemp(prefix="feedd-sockdir-")
    try:
        os.chmod(top, 0o755)
        state = os.path.join(top, "state")
        os.mkdir(state)
        os.chown(state, 65534, 65534)
        sockdir = os.path.join(top, "run")
        os.mkdir(sockdir, 0o755)     # root's, not writable by nobody
        conf = os.path.join(top, "feedd.conf")
        feeds = os.path.join(top, "feeds.d")
        os.mkdir(feeds)
        with open(os.path.join(feeds, "a.conf"), "w") as f:
            f.write("[sd]\nurl = %s\n" % srv.url("/sd.xml"))
        with open(conf, "w") as f:
            f.write("[feedd]\nstate_dir = %s\nsocket = %s/feedd.sock\n"
                    "feeds_dir = %s\n" % (state, sockdir, feeds))

        def as_nobody():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        r = subprocess.run([feeddtest.FEEDD, "-c", conf], timeout=30,
                           capture_output=True, text=True,
                           preexec_fn=as_nobody)
        tap.ok(r.returncode == 1 and sockdir in r.stderr and
               "ermission" in r.stderr,
               "socket directory not writable: exit 1 naming it",
               (r.returncode, r.stderr))
    finally:
        subprocess.run(["rm", "-rf", top])


def test_access(tap, srv):
    """The real daemon's socket: 0660 as root (0600 for a user's own), and
    a client of another user refused by SO_PEERCRED even when the file's
    mode lets it in."""
    import stat
    srv.resource("/acc.xml", rss("acc", 1))
    with Feedd(tap=tap, feeds={"acc": {"url": srv.url("/acc.xml")}}) as d:
        d.start()
        if not tap.ok(wait_until(lambda: _connects(d.socket), 10),
                      "access: daemon up"):
            return
        mode = stat.S_IMODE(os.stat(d.socket).st_mode)
        want = 0o660 if os.geteuid() == 0 else 0o600
        tap.ok(mode == want, "access: socket mode %o (want %o)"
               % (mode, want))
        if os.geteuid() != 0:
            tap.skip("access: another user", "needs root")
            return
        os.chmod(d.socket, 0o666)
        os.chmod(d.dir, 0o755)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            res = b"error"
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                try:
                    c = Client(d.socket, timeout=5)
                    c.call("Status")
                    res = b"served"
                except (ConnectionError, OSError):
                    res = b"refused"
            finally:
                os.write(w, res)
                os._exit(0)
        os.close(w)
        out = os.read(r, 100).decode()
        os.close(r)
        os.waitpid(pid, 0)
        tap.ok(out == "refused" and d.wait_log(r"refused", 5),
               "access: nobody is refused on a 0666 socket (SO_PEERCRED), "
               "and it is logged", (out, d.log_text()[-1500:]))
        tap.ok(_connects(d.socket), "access: root still served")


def main():
    tap = feeddtest.Tap()
    with httpd.Server() as srv:
        for fn in (test_kill9, test_disk_full, test_locked, test_socket_dir,
                   test_access):
            t0 = time.monotonic()
            fn(tap, srv)
            tap.diag("%s: %.1f s" % (fn.__name__, time.monotonic() - t0))
    tap.done()


if __name__ == "__main__":
    main()
