/*
 * serve_store: the Varlink server over a store, without the daemon — for
 * the protocol and feedctl tests (tests/test_protocol.py,
 * tests/test_feedctl.py) and the server benchmark.  The daemon's hooks are
 * stubs that behave like a tiny daemon: Refresh "fetches" one new item per
 * feed (stored for real, then streamed to Watch) and finishes after
 * --delay seconds; a feed named "fail" fails; ExtractItem stores a made-up
 * article.
 *
 *	serve_store --db FILE --socket PATH [--seed N] [--delay S]
 *	    [--send-timeout S] [--idle-timeout S] [--max-clients N]
 *
 * --seed N stores N items in each of the feeds "alpha" and "beta"
 * (feeds.d feeds), titled "Alpha item I" / "Beta item I", linked to
 * https://example.com/alpha/I and https://example.net/beta/I, published
 * 2024-01-01T00:00:00Z + I hours (I = 1..N); and one more item in "beta",
 * "Beta copy of alpha 1", whose link is alpha item 1's with tracking
 * parameters, so that it joins alpha item 1's story.
 *
 * --evil adds a feed "evil" with one item whose title carries terminal
 * control sequences (ESC ] 0 ; ... BEL, ESC [ 2 J, a C1 CSI) and a line
 * break: what feedctl must never pass to a terminal.
 *
 * Prints "ready" on stdout once it listens; exits cleanly on SIGTERM or
 * SIGINT.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "log.h"
#include "parse.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define BASE_TIME	1704067200	/* 2024-01-01T00:00:00Z */

struct pending {
	ev_timer	 timer;
	server_done_cb	 done;
	void		*arg;
	char		*err;
	struct pending	*next;
};

static struct ev_loop *loop;
static struct store *store;
static struct server *server;
static struct pending *pendings;
static double delay = 0.2;
static int fresh;
static int64_t started;

static void
die(const char *what, char *err)
{
	fprintf(stderr, "serve_store: %s: %s\n", what, err ? err : "failed");
	exit(1);
}

/*
 * Stores items [from, to] of a synthetic feed in one apply: titled
 * "TITLE I", linked to LINK I SUFFIX.
 */
static void
apply(const char *feed, int64_t feed_id, const char *title,
    const char *link, const char *suffix, int from, int to, int64_t now)
{
	struct store_apply_opts ao = { .now = now };
	struct store_apply_result res = { 0 };
	struct feed f = { 0 };
	char *err = NULL;
	int i, n = to - from + 1;

	f.format = FEED_FORMAT_ATOM10;
	f.title = xstrdup(feed);
	f.items = xcalloc(n, sizeof(*f.items));
	f.n_items = n;
	for (i = 0; i < n; i++) {
		struct item *it = &f.items[i];

		it->id = xasprintf("%s/%s %d", feed, title, from + i);
		it->key = xstrdup(it->id);
		it->title = xasprintf("%s %d", title, from + i);
		it->link = xasprintf("%s%d%s", link, from + i, suffix);
		it->published = BASE_TIME + (int64_t)(from + i) * 3600;
		it->updated = DATE_NONE;
		it->summary = xasprintf("<p>Summary of %s <b>%d</b>.</p>",
		    feed, from + i);
		it->duration = -1;
	}
	if (store_feed_apply(store, feed_id, &f, &ao, &res, &err) == -1)
		die("store_feed_apply", err);
	if (server != NULL) {
		server_notify_items(server, res.new_ids, res.n_new);
		server_notify_items(server, res.changed_ids, res.n_changed);
	}
	store_apply_result_clear(&res);
	for (i = 0; i < n; i++) {
		free(f.items[i].id);
		free(f.items[i].key);
		free(f.items[i].title);
		free(f.items[i].link);
		free(f.items[i].summary);
	}
	free(f.items);
	free(f.title);
}

static void
seed(int n)
{
	int64_t alpha, beta, now = time(NULL);
	char *err = NULL;
	int i;

	if (store_feed_ensure(store, "alpha", "http://127.0.0.1:9/alpha.xml",
	    STORE_ORIGIN_CONFIG, &alpha, &err) == -1 ||
	    store_feed_ensure(store, "beta", "http://127.0.0.1:9/beta.xml",
	    STORE_ORIGIN_CONFIG, &beta, &err) == -1)
		die("store_feed_ensure", err);
	/* In batches, as fetches would store them. */
	for (i = 1; i <= n; i += 1000) {
		int to = i + 999 < n ? i + 999 : n;

		apply("alpha", alpha, "Alpha item",
		    "https://example.com/alpha/", "", i, to, now);
		apply("beta", beta, "Beta item",
		    "https://example.net/beta/", "", i, to, now);
	}
	if (n > 0)
		apply("beta", beta, "Beta copy of alpha",
		    "https://example.com/alpha/", "?utm_source=beta", 1, 1,
		    now);
}

static void
seed_evil(void)
{
	int64_t id;
	char *err = NULL;

	if (store_feed_ensure(store, "evil", "http://127.0.0.1:9/evil.xml",
	    STORE_ORIGIN_CONFIG, &id, &err) == -1)
		die("store_feed_ensure", err);
	apply("evil", id,
	    "Evil \033]0;pwned\007 title\033[2J\xc2\x9b" "1m\nnext",
	    "https://example.com/evil/", "", 1, 1, time(NULL));
}

/* ---- hooks ---- */

static void
pending_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct pending *p = w->data, **pp;

	for (pp = &pendings; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	p->done(p->arg, p->err);
	free(p->err);
	free(p);
}

static void
finish_later(server_done_cb done, void *arg, const char *err)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->done = done;
	p->arg = arg;
	p->err = err ? xstrdup(err) : NULL;
	ev_timer_init(&p->timer, pending_cb, delay, 0.0);
	p->timer.data = p;
	ev_timer_start(loop, &p->timer);
	p->next = pendings;
	pendings = p;
}

static int
hook_refresh(void *ctx, const char *const *names, size_t n,
    server_done_cb done, void *arg, char **ret_err)
{
	struct store_feed *feeds;
	size_t i, j, nf;
	char *err = NULL, title[160];
	bool failed = false;

	if (store_feed_list(store, NULL, &feeds, &nf, &err) == -1) {
		*ret_err = err;
		return -1;
	}
	for (i = 0; i < nf; i++) {
		if (n > 0) {
			for (j = 0; j < n; j++)
				if (strcmp(names[j], feeds[i].name) == 0)
					break;
			if (j == n)
				continue;
		}
		if (strcmp(feeds[i].name, "fail") == 0) {
			failed = true;
			continue;
		}
		/* One new item, as if the feed had published it. */
		fresh++;
		snprintf(title, sizeof(title), "Fresh %s item", feeds[i].name);
		apply(feeds[i].name, feeds[i].id, title,
		    "https://example.org/fresh/", "", fresh, fresh, time(NULL));
	}
	store_feeds_free(feeds, nf);
	finish_later(done, arg, failed ? "feed fail: HTTP 500" : NULL);
	return 0;
}

static void
hook_status(void *ctx, struct server_status *st)
{
	struct pending *p;

	st->started = started;
	st->state = "running";
	for (p = pendings; p != NULL; p = p->next)
		st->fetches_in_flight++;
	st->db_path = ctx;
}

static void
hook_feed_added(void *ctx, const char *name)
{
	fprintf(stderr, "serve_store: feed added: %s\n", name);
}

static void
hook_feed_removed(void *ctx, const char *name)
{
	fprintf(stderr, "serve_store: feed removed: %s\n", name);
}

static int
hook_extract_item(void *ctx, int64_t id, server_done_cb done, void *arg,
    char **ret_err)
{
	struct store_article a = { .status = STORE_EXTRACT_OK };
	char *text, *err = NULL;

	text = xasprintf("Extracted text of item %lld.", (long long)id);
	a.title = "Extracted title";
	a.byline = "A. Writer";
	a.text = text;
	a.html = "<p>Extracted <em>HTML</em>.</p>";
	if (store_item_set_article(store, id, &a, &err) == -1) {
		free(text);
		*ret_err = err;
		return -1;
	}
	free(text);
	server_notify_items(server, &id, 1);
	finish_later(done, arg, NULL);
	return 0;
}

static void
signal_cb(struct ev_loop *l, ev_signal *w, int revents)
{
	ev_break(l, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'D' },
		{ "send-timeout", required_argument, NULL, 'T' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "max-clients", required_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'M' },
		{ "evil", no_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_opts so = { .mode = 0600 };
	struct server_hooks hooks = {
		.refresh = hook_refresh,
		.status = hook_status,
		.feed_added = hook_feed_added,
		.feed_removed = hook_feed_removed,
		.extract_item = hook_extract_item,
	};
	const char *db = NULL;
	ev_signal sigterm, sigint;
	struct pending *p;
	char *err = NULL;
	int c, n_seed = 0, evil = 0;

	log_init("serve_store", LOG_WARNING);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 's':
			so.path = optarg;
			break;
		case 'n':
			n_seed = atoi(optarg);
			break;
		case 'D':
			delay = atof(optarg);
			break;
		case 'T':
			so.send_timeout = atof(optarg);
			break;
		case 'I':
			so.idle_timeout = atof(optarg);
			break;
		case 'm':
			so.max_clients = atoi(optarg);
			break;
		case 'M':
			so.mode = strtol(optarg, NULL, 8);
			break;
		case 'E':
			evil = 1;
			break;
		default:
			fprintf(stderr, "usage: serve_store --db FILE --socket "
			    "PATH [--seed N] [--delay S] ...\n");
			return 2;
		}
	}
	if (db == NULL || so.path == NULL) {
		fprintf(stderr, "serve_store: --db and --socket are needed\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(0);
	started = time(NULL);
	if (store_open(db, &store, &err) == -1)
		die(db, err);
	if (n_seed > 0)
		seed(n_seed);
	if (evil)
		seed_evil();
	hooks.ctx = (void *)db;
	if (server_new(loop, store, &so, &hooks, &server, &err) == -1)
		die("server_new", err);
	ev_signal_init(&sigterm, signal_cb, SIGTERM);
	ev_signal_init(&sigint, signal_cb, SIGINT);
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	printf("ready\n");
	fflush(stdout);
	ev_run(loop, 0);
	server_free(server);
	/* Requests still in flight end now, after the server: it copes. */
	while ((p = pendings) != NULL) {
		pendings = p->next;
		ev_timer_stop(loop, &p->timer);
		p->done(p->arg, "shutting down");
		free(p->err);
		free(p);
	}
	store_close(store);
	ev_loop_destroy(loop);
	return 0;
}
