/*
 * bench_server: the Varlink service's speed targets from issue 5,
 * measured end to end (client library, socket, server, store):
 *
 *   1. ListItems round trip for 50 unread items on a 1,000,000-item
 *      store, one client after the other (target: median < 5 ms);
 *   2. 100 clients listing in parallel while the server's loop also
 *      stores a refresh of 1,000 feeds (10 new items each, one feed per
 *      transaction, as the daemon does): no errors, p99 (target < 50 ms).
 *      Each client waits THINK ms between calls (-t, default 100, as a
 *      person or a script does); -t 0 measures a saturated server; -q
 *      leaves out the refreshes.
 *
 *   bench_server [-n ITEMS] [-r ROUNDS] [-c CLIENTS] [-t THINK] [-k] [DIR]
 *
 * DIR (default: a new directory under /tmp) holds feedd.db; an existing
 * one is used as it is (e.g. the one `bench_store -k DIR` leaves, with
 * realistic items), else ITEMS (default 1,000,000) simple items across
 * 1,000 feeds are stored first.  -k keeps the directory.  Not part of
 * `make check`: run with `make bench`.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "bench.h"
#include "client.h"
#include "parse.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define FEEDS		1000
#define BASE_TIME	1704067200	/* 2024-01-01T00:00:00Z */
/* Calls before the measured ones (the first pay for cold caches). */
#define WARM_UP		20

static void
die(const char *what, char *err)
{
	fprintf(stderr, "bench_server: %s: %s\n", what, err ? err : "failed");
	exit(1);
}

/*
 * Text unlike any other item's, so that near-duplicate detection finds
 * nothing to join (like real feeds, unlike "item 1", "item 2", ...):
 * words of random syllables from a generator seeded by the item.
 */
static void
words(struct buf *b, uint64_t seed, int n)
{
	static const char *const syl[] = { "ka", "lo", "mi", "ne", "ru", "sa",
	    "ti", "vo", "bre", "dra", "fel", "gun", "hos", "jor", "kil",
	    "mon", "pra", "quo", "ster", "tal", "ven", "wix", "zor", "ob" };
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	int i, j, k;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ' ');
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		k = 1 + (int)(x % 3);
		for (j = 0; j < k; j++)
			buf_puts(b, syl[(x >> (8 + 5 * j)) % ARRAY_SIZE(syl)]);
	}
}

/* Stores items [from, from+n) of feed f in one apply. */
static void
store_batch(struct store *st, int64_t feed_id, int f, int from, int n,
    int64_t now, int64_t **ret_new, size_t *ret_n)
{
	struct store_apply_opts ao = { .now = now };
	struct store_apply_result res = { 0 };
	struct feed fd = { 0 };
	char *err = NULL;
	int i;

	fd.format = FEED_FORMAT_RSS20;
	fd.items = xcalloc(n, sizeof(*fd.items));
	fd.n_items = n;
	for (i = 0; i < n; i++) {
		struct item *it = &fd.items[i];
		int k = from + i;

		it->id = xasprintf("urn:bench:%d:%d", f, k);
		it->key = xstrdup(it->id);
		struct buf t = { 0 };

		words(&t, (uint64_t)f << 32 | (uint32_t)k, 8);
		it->title = buf_take(&t);
		buf_puts(&t, "<p>");
		words(&t, ((uint64_t)f << 32 | (uint32_t)k) ^ 0xabcdef, 40);
		buf_puts(&t, "</p>");
		it->summary = buf_take(&t);
		it->link = xasprintf("https://site%d.example/%d/%d.html", f,
		    k / 100, k);
		it->published = BASE_TIME + (int64_t)k * 600 + f;
		it->updated = DATE_NONE;
		it->duration = -1;
	}
	if (store_feed_apply(st, feed_id, &fd, &ao, &res, &err) == -1)
		die("store_feed_apply", err);
	if (ret_new) {
		*ret_new = res.new_ids;
		*ret_n = res.n_new;
		res.new_ids = NULL;
	}
	store_apply_result_clear(&res);
	for (i = 0; i < n; i++) {
		free(fd.items[i].id);
		free(fd.items[i].key);
		free(fd.items[i].title);
		free(fd.items[i].link);
		free(fd.items[i].summary);
	}
	free(fd.items);
}

static int64_t feed_ids[FEEDS];

static void
ensure_feeds(struct store *st)
{
	char name[32], url[64], *err = NULL;
	int f;

	for (f = 0; f < FEEDS; f++) {
		snprintf(name, sizeof(name), "bench%04d", f);
		snprintf(url, sizeof(url), "https://site%d.example/feed", f);
		if (store_feed_ensure(st, name, url, STORE_ORIGIN_CONFIG,
		    &feed_ids[f], &err) == -1)
			die("store_feed_ensure", err);
	}
}

static void
populate(struct store *st, int items)
{
	int per = items / FEEDS, f, k, n;
	double t0 = bench_wall();
	char *err = NULL;

	/* Filling is setup, not what is measured: no fsync per feed. */
	if (store_exec(st, "PRAGMA synchronous=OFF", &err) == -1)
		die("PRAGMA synchronous", err);
	ensure_feeds(st);
	/* A feed's history in one transaction each: the fastest way in. */
	for (k = 0; k < per; k += 1000) {
		n = per - k < 1000 ? per - k : 1000;
		for (f = 0; f < FEEDS; f++) {
			store_batch(st, feed_ids[f], f, k, n,
			    BASE_TIME + (int64_t)k * 600, NULL, NULL);
			if (f % 100 == 99)
				fprintf(stderr, "  %d items...\n",
				    k * FEEDS + (f + 1) * n);
		}
	}
	printf("stored %d items in %d feeds: %.1f s\n", per * FEEDS, FEEDS,
	    bench_wall() - t0);
}

/* ---- the server process ---- */

struct load {
	struct store	*store;
	struct server	*server;
	ev_timer	 timer;
	int		 feed;		/* next feed to "refresh" */
	int		 round;
	bool		 on;
};

static void
load_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct load *l = w->data;
	int64_t *ids = NULL;
	size_t n = 0;

	if (!l->on)
		return;
	/* One feed per tick, as fetches complete one by one. */
	store_batch(l->store, feed_ids[l->feed], l->feed,
	    1000000 + l->round * 10, 10, time(NULL), &ids, &n);
	server_notify_items(l->server, ids, n);
	free(ids);
	if (++l->feed == FEEDS) {
		l->feed = 0;
		l->round++;
	}
}

static void
usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct load *l = w->data;

	l->on = true;
	ev_timer_start(loop, &l->timer);
}

static void
term_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void
serve(const char *db, const char *sock, int ready_fd)
{
	struct server_opts so = { .path = sock, .mode = 0600 };
	struct server_hooks hooks = { 0 };
	struct ev_loop *loop = ev_default_loop(0);
	struct load l = { 0 };
	ev_signal sterm, susr1;
	char *err = NULL;

	if (store_open(db, &l.store, &err) == -1)
		die(db, err);
	ensure_feeds(l.store);
	if (server_new(loop, l.store, &so, &hooks, &l.server, &err) == -1)
		die("server_new", err);
	/* 1,000 feeds in 10 s: one every 10 ms. */
	ev_timer_init(&l.timer, load_cb, 0.01, 0.01);
	l.timer.data = &l;
	ev_signal_init(&sterm, term_cb, SIGTERM);
	ev_signal_init(&susr1, usr1_cb, SIGUSR1);
	susr1.data = &l;
	ev_signal_start(loop, &sterm);
	ev_signal_start(loop, &susr1);
	if (write(ready_fd, "r", 1) != 1)
		exit(1);
	close(ready_fd);
	ev_run(loop, 0);
	server_free(l.server);
	store_close(l.store);
	fprintf(stderr, "server: stored %d feed refreshes meanwhile\n",
	    l.round * FEEDS + l.feed);
	exit(0);
}

/* ---- clients ---- */

static double
pct(double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

/* rounds ListItems calls; latencies in ms to out; returns errors. */
static int
client_rounds(const char *sock, int rounds, int think_ms, double *out)
{
	struct client *cl;
	json_t *reply;
	char *error = NULL, *err = NULL;
	int i, errors = 0;
	double t0;

	if (client_connect(sock, &cl, &err) != 0)
		die("connect", err);
	for (i = 0; i < rounds; i++) {
		t0 = bench_wall();
		if (client_call(cl, "org.feedd.ListItems",
		    json_pack("{s:b,s:i}", "unread", 1, "limit", 50), &reply,
		    &error, &err) != 0 ||
		    json_array_size(json_object_get(reply, "items")) != 50) {
			errors++;
			free(error);
			free(err);
			error = err = NULL;
		}
		out[i] = (bench_wall() - t0) * 1e3;
		json_decref(reply);
		reply = NULL;
		if (think_ms > 0)
			usleep(think_ms * 1000);
	}
	client_free(cl);
	return errors;
}

static void
report(const char *what, double *v, size_t n, int errors)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	printf("%s: %zu calls, %d errors; median %.2f ms, p90 %.2f ms, "
	    "p99 %.2f ms, max %.2f ms\n", what, n, errors, pct(v, n, 0.5),
	    pct(v, n, 0.9), pct(v, n, 0.99), v[n - 1]);
}

int
main(int argc, char **argv)
{
	int items = 1000000, rounds = 1000, clients = 100, keep = 0;
	int think = 100, quiet = 0;
	int c, i, pfd[2], errors = 0;
	char ready;
	char *dir, *db, *sock, *err = NULL, tmpl[] = "/tmp/bench_server.XXXXXX";
	struct store *st;
	struct stat sb;
	double *lat;
	pid_t srv;

	while ((c = getopt(argc, argv, "n:r:c:t:qk")) != -1) {
		switch (c) {
		case 'n':
			items = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'c':
			clients = atoi(optarg);
			break;
		case 't':
			think = atoi(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			fprintf(stderr, "usage: bench_server [-n ITEMS] "
			    "[-r ROUNDS] [-c CLIENTS] [-t THINK] [-q] [-k] "
			    "[DIR]\n");
			return 2;
		}
	}
	if (optind < argc) {
		dir = xstrdup(argv[optind]);
		mkdir(dir, 0700);
		keep = 1;
	} else if ((dir = mkdtemp(tmpl)) != NULL)
		dir = xstrdup(dir);
	else
		die("mkdtemp", strerror(errno));
	db = xasprintf("%s/feedd.db", dir);
	sock = xasprintf("%s/feedd.sock", dir);
	signal(SIGPIPE, SIG_IGN);

	if (stat(db, &sb) == -1) {
		if (store_open(db, &st, &err) == -1)
			die(db, err);
		populate(st, items);
		store_close(st);
	} else
		printf("using %s as it is\n", db);

	if (pipe(pfd) == -1)
		die("pipe", strerror(errno));
	fflush(stdout);
	if ((srv = fork()) == 0) {
		close(pfd[0]);
		serve(db, sock, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &ready, 1) != 1)
		die("server", xstrdup("did not start"));
	close(pfd[0]);

	/* 1. One client, one call after the other (a warm-up first). */
	lat = xcalloc(rounds > WARM_UP ? rounds : WARM_UP, sizeof(*lat));
	client_rounds(sock, WARM_UP, 0, lat);
	errors = client_rounds(sock, rounds, 0, lat);
	report("ListItems(unread, limit 50), 1 client", lat, rounds, errors);
	free(lat);

	/* 2. Many clients at once, while the loop stores refreshes. */
	if (!quiet)
		kill(srv, SIGUSR1);
	{
		int per = rounds / 10 > 10 ? rounds / 10 : 10;
		int fds[2];
		size_t n = 0, total = (size_t)per * clients;
		pid_t *pids = xcalloc(clients, sizeof(*pids));

		lat = xcalloc(total, sizeof(*lat));
		if (pipe(fds) == -1)
			die("pipe", strerror(errno));
		fflush(stdout);
		for (i = 0; i < clients; i++) {
			if ((pids[i] = fork()) == 0) {
				double *mine = xcalloc(per, sizeof(*mine));
				int e;

				close(fds[0]);
				e = client_rounds(sock, per, think, mine);
				/* Errors travel as negative latencies. */
				for (int j = 0; j < per; j++)
					if (j < e)
						mine[j] = -mine[j] - 1;
				if (write(fds[1], mine,
				    per * sizeof(*mine)) < 0)
					_exit(1);
				_exit(0);
			}
		}
		close(fds[1]);
		errors = 0;
		for (;;) {
			ssize_t r = read(fds[0], (char *)lat + n * sizeof(*lat),
			    (total - n) * sizeof(*lat));

			if (r <= 0)
				break;
			n += r / sizeof(*lat);
		}
		close(fds[0]);
		for (i = 0; i < clients; i++)
			waitpid(pids[i], NULL, 0);
		free(pids);
		for (size_t j = 0; j < n; j++)
			if (lat[j] < 0) {
				errors++;
				lat[j] = -lat[j] - 1;
			}
		printf("(%d clients x %d calls, %d ms apart)\n", clients, per,
		    think);
		report(quiet ? "ListItems(unread, limit 50), parallel" :
		    "ListItems(unread, limit 50), parallel, while storing "
		    "refreshes", lat, n, errors);
		free(lat);
	}
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	if (!keep) {
		unlink(db);
		for (i = 0; i < 3; i++) {
			char *p = xasprintf("%s%s", db, i == 0 ? "-wal" :
			    i == 1 ? "-shm" : "-journal");

			unlink(p);
			free(p);
		}
		rmdir(dir);
	} else
		printf("kept %s\n", dir);
	free(db);
	free(sock);
	free(dir);
	return 0;
}
