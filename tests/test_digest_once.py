#!/usr/bin/env python3
"""feedctl digest delivers each item exactly once per cursor, through
failures: 20 runs killed in the middle of writing (feedctl blocked on a
full pipe, then SIGKILL), new items arriving in between, a run whose
output cannot be written (/dev/full), and a second run on the same cursor
while the first holds it.  Every item ends up in exactly one completed
digest.  Also --mark-read, and --output replacing a file.

Runs against tests/serve_store (the Varlink server over a real store),
through tests/servetest.py."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import feeddtest  # noqa: E402
import servetest  # noqa: E402

t = feeddtest.Tap()
CURSOR = "daily"
F_SETPIPE_SZ = 1031	# Linux fcntl(2)


def feedctl(srv, *args, stdout=subprocess.PIPE):
    env = dict(os.environ, FEEDD_SOCKET=srv.socket)
    return subprocess.run([feeddtest.FEEDCTL] + list(args), env=env,
                          stdout=stdout, stderr=subprocess.PIPE,
                          timeout=120)


def start_digest(srv, *args):
    """A digest writing into a one-page pipe, so that it is soon stuck in
    the middle of its output if nobody reads."""
    env = dict(os.environ, FEEDD_SOCKET=srv.socket)
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    except OSError:
        pass
    p = subprocess.Popen([feeddtest.FEEDCTL, "digest", "--cursor", CURSOR,
                          "--format", "json", "--full"] + list(args),
                         env=env, stdout=w, stderr=subprocess.DEVNULL)
    os.close(w)
    p.stdout = os.fdopen(r, "rb")
    return p


def digest_ids(out):
    doc = json.loads(out)
    main = [i["id"] for i in doc["items"]]
    also = [c["id"] for i in doc["items"] for c in i.get("also", [])]
    return main, also


def complete_digest(srv, *args, tries=50):
    """Runs a digest to completion, waiting while the cursor is still
    leased by a run that was just killed (its connection closing)."""
    for _ in range(tries):
        p = feedctl(srv, "digest", "--cursor", CURSOR, "--format", "json",
                    "--full", *args)
        if p.returncode == 1 and b"in use" in p.stderr:
            time.sleep(0.1)
            continue
        return p
    return p


def all_item_ids(srv):
    c = srv.connect()
    r = c.call("org.feedd.ListItems", {"all_copies": True, "limit": 10000})
    c.close()
    return {i["id"] for i in r["parameters"]["items"]}


with servetest.Server(seed=40, delay=0.05) as srv:
    srv.start()
    delivered = []		# main ids of every completed digest
    covered = set()		# main and also ids
    killed = 0
    busy_refused = False
    for k in range(20):
        p = start_digest(srv)
        # Read the start, then stop reading: once the pipe is full,
        # feedctl is stuck in the middle of writing the digest.
        head = p.stdout.read(64)
        time.sleep(0.1)
        if k == 3:
            q = feedctl(srv, "digest", "--cursor", CURSOR, "--format",
                        "json")
            busy_refused = (q.returncode == 1 and b"in use" in q.stderr
                            and q.stdout == b"")
        still_writing = p.poll() is None
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        if head.startswith(b"{") and still_writing and \
                p.returncode == -signal.SIGKILL:
            killed += 1
        if k % 4 == 0:
            # New items arrive between the runs.
            feedctl(srv, "refresh", "--wait")
    t.ok(killed == 20, "20 digests killed in the middle of writing",
         killed)
    t.ok(busy_refused, "a second run on a leased cursor is refused, "
         "writing nothing")

    # A digest whose output cannot be written leaves the cursor alone.
    with open("/dev/full", "wb") as full:
        for _ in range(50):
            p = feedctl(srv, "digest", "--cursor", CURSOR, "--format",
                        "text", stdout=full)
            if not (p.returncode == 1 and b"in use" in p.stderr):
                break
            time.sleep(0.1)
    t.ok(p.returncode == 1 and b"stays where it was" in p.stderr,
         "a failed write: exit 1, cursor kept", p.stderr)
    # So does a mail command that fails (sendmail refusing the message).
    p = feedctl(srv, "digest", "--cursor", CURSOR, "--format", "mbox",
                "--pipe", "cat >/dev/null; exit 75")
    t.ok(p.returncode == 1 and b"exit status 75" in p.stderr and
         b"stays where it was" in p.stderr,
         "--pipe: a failing command keeps the cursor", p.stderr)

    # Now to completion, with new items between the runs.
    for k in range(3):
        p = complete_digest(srv)
        ok = p.returncode == 0
        if ok:
            main, also = digest_ids(p.stdout)
            delivered.append(main)
            covered.update(main, also)
        t.ok(ok and (k > 0 or len(delivered[-1]) > 40),
             "completed digest %d" % (k + 1), p.stderr)
        feedctl(srv, "refresh", "--wait")
    p = complete_digest(srv)
    if p.returncode == 0 and p.stdout:
        main, also = digest_ids(p.stdout)
        delivered.append(main)
        covered.update(main, also)

    flat = [i for d in delivered for i in d]
    t.ok(len(flat) == len(set(flat)), "no item in two completed digests",
         [i for i in set(flat) if flat.count(i) > 1][:10])
    missing = all_item_ids(srv) - covered
    t.ok(not missing, "every item in a completed digest",
         sorted(missing)[:20])

    # Nothing new: nothing written, exit 0; --always writes an empty one.
    p = complete_digest(srv)
    t.ok(p.returncode == 0 and p.stdout == b"",
         "nothing new: no output, exit 0", p.stderr)
    p = complete_digest(srv, "--always")
    t.ok(p.returncode == 0 and json.loads(p.stdout)["count"] == 0,
         "--always: an empty digest", p.stderr)

    # --mark-read marks what was delivered, on another cursor.
    feedctl(srv, "refresh", "--wait")
    p = feedctl(srv, "digest", "--since", "1h", "--format", "json",
                "--mark-read", "--unread", "--feed", "alpha")
    ok = p.returncode == 0
    if ok:
        main, _ = digest_ids(p.stdout)
        c = srv.connect()
        r = c.call("org.feedd.ListItems", {"unread": True, "feed": "alpha",
                                           "limit": 10000})
        c.close()
        left = {i["id"] for i in r["parameters"]["items"]} & set(main)
        ok = main and not left
    t.ok(ok, "--mark-read: delivered items are read", p.stderr)
    p = feedctl(srv, "digest", "--since", "1h", "--format", "json",
                "--unread", "--feed", "alpha")
    t.ok(p.returncode == 0 and p.stdout == b"",
         "--unread afterwards: nothing", p.stdout[:200])

    # --output replaces the file whole; a cursor moves only after it.
    out = os.path.join(srv.dir, "digest.html")
    feedctl(srv, "refresh", "--wait")
    p = feedctl(srv, "digest", "--cursor", "page", "--format", "html",
                "--output", out)
    first = open(out, "rb").read() if os.path.exists(out) else b""
    t.ok(p.returncode == 0 and first.startswith(b"<!DOCTYPE html>") and
         first.rstrip().endswith(b"</html>"), "--output: a whole page",
         p.stderr)
    p = feedctl(srv, "digest", "--cursor", "page", "--format", "html",
                "--output", out)
    t.ok(p.returncode == 0 and open(out, "rb").read() == first and
         [f for f in os.listdir(srv.dir) if f.startswith(".digest")] == [],
         "--output: nothing new leaves the page, no temporary file")

    # Unknown feed: the daemon's error, exit 1.
    p = feedctl(srv, "digest", "--feed", "no-such-feed")
    t.ok(p.returncode == 1 and b"no-such-feed" in p.stderr,
         "unknown feed: exit 1", p.stderr)

    t.ok(not srv.sanitizer_report(), "server clean under sanitizers",
         srv.sanitizer_report())

# Without a daemon: exit 3.
p = subprocess.run([feeddtest.FEEDCTL, "--socket", "/nonexistent/sock",
                    "digest"], capture_output=True, timeout=30)
t.ok(p.returncode == 3, "no daemon: exit 3", p.stderr)

t.done()
