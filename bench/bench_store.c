/*
 * bench_store: the store's speed targets from issue 3, measured.
 *
 *   1. upsert 100,000 items across 1,000 feeds (target < 2 s), and the
 *      same feeds again unchanged (a warm refresh);
 *   2. grown to 1,000,000 items over simulated months, list 50 unread
 *      stories (target < 5 ms) and other views;
 *   3. a search (target < 20 ms).
 *
 * Items are generated deterministically: titles and two-paragraph HTML
 * bodies of 60-120 words drawn from a Zipf-like vocabulary, links and
 * guids like real feeds', and 3% copies of other feeds' items (same link
 * or same text) so that every dedup level does its work.
 *
 *   bench_store [-n ITEMS] [-f FEEDS] [-b FEEDS] [-k] [-r] [-x SQL] [DIR]
 *
 * -b: feeds stored per transaction (a store batch, as the daemon groups
 * the feeds that arrive together; default 32; 1: one transaction each).
 *
 * DIR (default: a new directory under /tmp) holds the database; -k keeps
 * it; -r reuses the database a -k run left there and only measures
 * reading; -x runs SQL right after opening (for experiments).
 *
 * The machine's own speed is measured beside: the "floor" is a bare
 * INSERT of the same rows (title, link, content) into a table with one
 * index, one transaction per feed, through SQLite directly.  Not part of
 * `make check`: run with `make bench`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"
#include "date.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define VOCABULARY	6000
#define RARE_WORD	"zephyrine"	/* in ~0.1% of items */
#define MID_WORD	"quillon"	/* in ~1% of items */
#define DAY		86400

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	/* xorshift64*: deterministic across runs and machines */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static double
rng01(void)
{
	return (double)(rng() >> 11) / (double)(1ULL << 53);
}

static char	*vocab[VOCABULARY];
static size_t	 batch = 32;
static double	 floor_wall, floor_cpu;

static void
make_vocabulary(void)
{
	static const char *const syl[] = {
		"ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "da",
		"gu", "ha", "ji", "bo", "fe", "ze", "cu", "wa", "ny", "tor",
		"lin", "mar", "sen", "dal", "qui", "ber", "ost", "ran",
	};
	size_t i, n, k;
	struct buf b = { 0 };

	for (i = 0; i < VOCABULARY; i++) {
		n = 1 + i % 3 + (i > 200);
		buf_clear(&b);
		for (k = 0; k < n; k++)
			buf_puts(&b, syl[(i * 7 + k * 13 + i / 28) %
			    ARRAY_SIZE(syl)]);
		buf_printf(&b, "%zu", i % 10 == 0 ? i : (size_t)0);
		vocab[i] = buf_take(&b);
		if (vocab[i][strlen(vocab[i]) - 1] == '0' && i % 10 != 0)
			vocab[i][strlen(vocab[i]) - 1] = '\0';
	}
	buf_free(&b);
}

/* Zipf-like: common words often, most words rarely. */
static const char *
word(void)
{
	double u = rng01();

	return vocab[(size_t)(VOCABULARY * u * u * u)];
}

static void
words(struct buf *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_puts(b, word());
		buf_putc(b, i + 1 == n ? '.' : ' ');
	}
}

struct gen_item {
	char	*guid;
	char	*title;
	char	*link;
	char	*content;
};

static void
fill_item(struct item *it, const struct gen_item *g, int64_t published)
{
	memset(it, 0, sizeof(*it));
	it->id = xstrdup(g->guid);
	it->key = xstrdup(g->guid);
	it->title = xstrdup(g->title);
	it->link = xstrdup(g->link);
	it->content = xstrdup(g->content);
	it->author = xstrdup("Staff");
	it->published = published;
	it->updated = DATE_NONE;
	it->duration = -1;
}

static void
gen_item(struct gen_item *g, size_t feed, size_t seq)
{
	struct buf b = { 0 };
	double u;

	g->guid = xasprintf("https://site%zu.example/%zu/post-%zu", feed,
	    seq / 1000, seq);
	g->link = xasprintf("https://site%zu.example/%zu/post-%zu?utm_source=rss",
	    feed, seq / 1000, seq);
	words(&b, 6 + rng() % 5);
	g->title = buf_take(&b);
	buf_puts(&b, "<p>");
	words(&b, 30 + rng() % 30);
	u = rng01();
	if (u < 0.001)
		buf_puts(&b, " " RARE_WORD);
	else if (u < 0.011)
		buf_puts(&b, " " MID_WORD);
	buf_puts(&b, "</p><p>");
	words(&b, 30 + rng() % 30);
	buf_puts(&b, "</p>");
	g->content = buf_take(&b);
}

static void
gen_free(struct gen_item *g)
{
	free(g->guid);
	free(g->title);
	free(g->link);
	free(g->content);
}


static void
die(const char *what, char *err)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, err ? err : "?");
	exit(1);
}

/*
 * New items join the search index later, when the daemon is idle: this
 * does that work.  Its wall time; its CPU time in *ret_cpu.
 */
static double
index_new_items(struct store *s, double *ret_cpu)
{
	double t0 = bench_wall(), c0 = bench_cpu();
	char *err = NULL;
	bool more = true;

	while (more)
		if (store_index(s, 1024, &more, &err) == -1)
			die("index", err);
	if (ret_cpu != NULL)
		*ret_cpu = bench_cpu() - c0;
	return bench_wall() - t0;
}

/*
 * One round: every feed gets per_feed new items (newest first, as feeds
 * list them); a few are copies of the previous feed's items of the same
 * round.  prev[i] holds feed i's last items.
 */
static double
round_apply(struct store *s, const int64_t *feed_ids, size_t n_feeds,
    size_t per_feed, size_t round, int64_t when, struct gen_item **prev,
    size_t *ret_new, size_t *ret_joined, double *ret_cpu)
{
	struct store_apply_opts o = { .now = when };
	struct store_apply_result r;
	struct feed *f;
	struct gen_item *cur;
	double t0, c0, total = 0;
	size_t i, j, k;
	char *err = NULL;

	for (i = 0; i < n_feeds; i++) {
		cur = xcalloc(per_feed, sizeof(*cur));
		for (j = 0; j < per_feed; j++) {
			k = per_feed - 1 - j;
			gen_item(&cur[j], i, round * per_feed + k);
			/* 3%: another outlet's copy (link or text). */
			if (i > 0 && prev[i - 1] != NULL && rng() % 100 < 3) {
				struct gen_item *o2 = &prev[i - 1][j];

				if (rng() % 2) {
					free(cur[j].link);
					cur[j].link = xstrdup(o2->link);
				} else {
					free(cur[j].content);
					cur[j].content = xstrdup(o2->content);
				}
			}
		}
		f = xcalloc(1, sizeof(*f));
		f->items = xcalloc(per_feed, sizeof(*f->items));
		for (j = 0; j < per_feed; j++)
			fill_item(&f->items[j], &cur[j],
			    when - (int64_t)(j * 600));
		f->n_items = per_feed;
		t0 = bench_wall();
		c0 = bench_cpu();
		if (batch > 1 && i % batch == 0 &&
		    store_batch_begin(s, &err) == -1)
			die("batch", err);
		if (store_feed_apply(s, feed_ids[i], f, &o, &r, &err) == -1)
			die("apply", err);
		if (batch > 1 && ((i + 1) % batch == 0 || i + 1 == n_feeds) &&
		    store_batch_commit(s, &err) == -1)
			die("commit", err);
		total += bench_wall() - t0;
		*ret_cpu += bench_cpu() - c0;
		*ret_new += r.n_new;
		*ret_joined += r.n_joined;
		store_apply_result_clear(&r);
		feed_free(f);
		/* prev[i - 1] is already this round's; prev[i] the last. */
		if (prev[i] != NULL) {
			for (j = 0; j < per_feed; j++)
				gen_free(&prev[i][j]);
			free(prev[i]);
		}
		prev[i] = cur;
	}
	return total;
}

/*
 * The floor: the same kind of rows, bare, through SQLite alone (one
 * index, one transaction per feed, WAL, synchronous=NORMAL).
 */
static void
floor_insert(const char *dir, size_t n_feeds, size_t per_feed)
{
	char *path = xasprintf("%s/floor.db", dir), *p;
	struct gen_item g;
	sqlite3_stmt *st;
	sqlite3 *db;
	double t0, c0;
	size_t i, j;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;"
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, feed INTEGER, "
	    "guid TEXT, title TEXT, link TEXT, content TEXT);"
	    "CREATE UNIQUE INDEX t_guid ON t (feed, guid);", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t (feed, guid, title, link, "
	    "content) VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		die("floor", xstrdup(sqlite3_errmsg(db)));
	t0 = bench_wall();
	c0 = bench_cpu();
	for (i = 0; i < n_feeds; i++) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (j = 0; j < per_feed; j++) {
			gen_item(&g, i, j);
			sqlite3_bind_int64(st, 1, (int64_t)i);
			sqlite3_bind_text(st, 2, g.guid, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, g.title, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, g.link, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, g.content, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("floor", xstrdup(sqlite3_errmsg(db)));
			sqlite3_reset(st);
			gen_free(&g);
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	floor_wall = bench_wall() - t0;
	floor_cpu = bench_cpu() - c0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("  %-44s %8.3f s  (CPU %.3f s)\n", "floor: bare INSERT of "
	    "the same rows", floor_wall, floor_cpu);
	unlink(path);
	p = xasprintf("%s-wal", path);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", path);
	unlink(p);
	free(p);
	free(path);
	/* The store's run draws the same items. */
	rng_state = 0x9e3779b97f4a7c15ULL;
}

/* Median and max of n runs of a listing, in milliseconds. */
static void
time_list(struct store *s, const char *label, const struct store_filter *f,
    int n)
{
	struct store_item *v;
	double *t = xcalloc((size_t)n, sizeof(*t)), t0;
	size_t got = 0;
	char *err = NULL;
	int i;

	for (i = 0; i < n; i++) {
		t0 = bench_wall();
		if (store_items_list(s, f, &v, &got, &err) == -1)
			die(label, err);
		t[i] = (bench_wall() - t0) * 1000;
		store_items_free(v, got);
	}
	qsort(t, (size_t)n, sizeof(*t), bench_cmp_double);
	printf("  %-44s %8.3f ms median  %8.3f ms max  (%zu rows)\n", label,
	    t[n / 2], t[n - 1], got);
	free(t);
}

int
main(int argc, char **argv)
{
	size_t total = 1000000, n_feeds = 1000, per_feed = 100, rounds, i;
	size_t n_new = 0, n_joined = 0;
	struct gen_item **prev = NULL;
	struct store_stats st;
	struct store *s;
	int64_t *feed_ids = NULL, base = (int64_t)time(NULL) - 400 * DAY;
	char dir[64] = "", *path, *err = NULL, name[32], label[64];
	char mid_feed[32];
	const char *exec_sql = NULL;
	bool keep = false, reuse = false;
	double t, t0, cpu;
	int c;

	while ((c = getopt(argc, argv, "b:n:f:krx:")) != -1) {
		switch (c) {
		case 'r':
			reuse = true;
			keep = true;
			break;
		case 'x':
			exec_sql = optarg;	/* experiments: SQL after open */
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			total = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			n_feeds = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			keep = true;
			break;
		default:
			fprintf(stderr, "usage: bench_store [-n ITEMS] "
			    "[-f FEEDS] [-b FEEDS] [-k] [-r] [-x SQL] [DIR]\n");
			return 2;
		}
	}
	if (optind < argc)
		snprintf(dir, sizeof(dir), "%s", argv[optind]);
	else {
		snprintf(dir, sizeof(dir), "/tmp/bench_store.XXXXXX");
		if (mkdtemp(dir) == NULL)
			die("mkdtemp", NULL);
	}
	if (n_feeds == 0 || total < n_feeds * per_feed)
		die("options", xstrdup("need at least 100 items per feed"));
	rounds = total / (n_feeds * per_feed);
	path = xasprintf("%s/feedd.db", dir);
	make_vocabulary();
	if (reuse) {
		if (store_open(path, &s, &err) == -1)
			die("open", err);
		if (store_stats(s, &st, &err) == -1)
			die("stats", err);
		printf("bench_store: %s, %lld items (reused)\n", path,
		    (long long)st.n_items);
		goto reading;
	}
	unlink(path);
	floor_insert(dir, n_feeds, per_feed);
	if (store_open(path, &s, &err) == -1)
		die("open", err);
	if (exec_sql != NULL && store_exec(s, exec_sql, &err) == -1)
		die("-x", err);
	feed_ids = xcalloc(n_feeds, sizeof(*feed_ids));
	prev = xcalloc(n_feeds, sizeof(*prev));
	for (i = 0; i < n_feeds; i++) {
		snprintf(name, sizeof(name), "feed%04zu", i);
		if (store_feed_ensure(s, name, "https://bench.example/feed",
		    STORE_ORIGIN_CONFIG, &feed_ids[i], &err) == -1)
			die("ensure", err);
	}
	printf("bench_store: %s, %zu feeds, %zu items per feed and round, "
	    "%zu feed%s per transaction\n", path, n_feeds, per_feed,
	    batch > 1 ? batch : 1, batch > 1 ? "s" : "");

	/* 1. The first 100,000 items, a batch of feeds per transaction. */
	cpu = 0;
	t = round_apply(s, feed_ids, n_feeds, per_feed, 0, base, prev, &n_new,
	    &n_joined, &cpu);
	snprintf(label, sizeof(label), "upsert %zu items across %zu feeds",
	    n_new, n_feeds);
	printf("  %-44s %8.3f s  (CPU %.3f s; %.0f items/s; %zu joined "
	    "stories)\n", label, t, cpu, (double)n_new / t, n_joined);
	if (floor_cpu > 0)
		printf("  %-44s %8.1fx wall, %.1fx CPU\n", "  ... over the floor",
		    t / floor_wall, cpu / floor_cpu);
	{
		double ti, ci;

		ti = index_new_items(s, &ci);
		printf("  %-44s %8.3f s  (CPU %.3f s)\n",
		    "  ... then the search index (idle time)", ti, ci);
		printf("  %-44s %8.3f s\n", "  ... upsert and index", t + ti);
	}

	/* The same documents again: nothing changes (a warm refresh). */
	{
		struct store_apply_opts o = { .now = base + 3600 };
		struct store_apply_result r;
		struct feed *f;
		size_t j, unchanged = 0;
		double c0;

		t = 0;
		cpu = 0;
		for (i = 0; i < n_feeds; i++) {
			f = xcalloc(1, sizeof(*f));
			f->items = xcalloc(per_feed, sizeof(*f->items));
			for (j = 0; j < per_feed; j++)
				fill_item(&f->items[j], &prev[i][j],
				    base - (int64_t)(j * 600));
			f->n_items = per_feed;
			t0 = bench_wall();
			c0 = bench_cpu();
			if (store_feed_apply(s, feed_ids[i], f, &o, &r,
			    &err) == -1)
				die("apply", err);
			t += bench_wall() - t0;
			cpu += bench_cpu() - c0;
			unchanged += r.n_unchanged;
			store_apply_result_clear(&r);
			feed_free(f);
		}
		printf("  %-44s %8.3f s  (CPU %.3f s; %zu unchanged)\n",
		    "the same feeds again, unchanged", t, cpu, unchanged);
	}

	/* 2. Grow to the full size over simulated months. */
	t0 = bench_wall();
	for (size_t rd = 1; rd < rounds; rd++) {
		struct store_retention ret = { 0 };
		struct store_filter f = { .until = base +
		    (int64_t)(rd - 1) * 30 * DAY + 1 };
		bool more = true;

		round_apply(s, feed_ids, n_feeds, per_feed, rd,
		    base + (int64_t)rd * 30 * DAY, prev, &n_new, &n_joined,
		    &cpu);
		/* Older rounds mostly read, as a reader leaves them. */
		f.read = STORE_NO;
		if (store_mark(s, &f, STORE_MARK_READ, base +
		    (int64_t)rd * 30 * DAY, NULL, NULL, &err) == -1)
			die("mark", err);
		while (more)
			if (store_retention_run(s, &ret, base +
			    (int64_t)rd * 30 * DAY, 5000, &more, &err) == -1)
				die("retention", err);
		index_new_items(s, NULL);
		fprintf(stderr, "\r  growing: %zu items", n_new);
	}
	fprintf(stderr, "\n");
	if (store_maintain(s, &err) == -1)
		die("maintain", err);
	if (store_stats(s, &st, &err) == -1)
		die("stats", err);
	printf("  %-44s %8.1f s  (%lld items, %lld unread stories, "
	    "%.0f MB)\n", "grown to full size (not a target)", bench_wall() - t0,
	    (long long)st.n_items, (long long)st.n_unread_stories,
	    (double)st.db_bytes / 1e6);

reading:
	if (st.n_items <= 0)
		die("stats", xstrdup("no items"));
	/* 3. Reading. */
	{
		struct store_filter f = { .read = STORE_NO, .limit = 50 };

		time_list(s, "list 50 unread stories", &f, 201);
		f.offset = 5000;
		time_list(s, "list 50 unread stories, offset 5,000", &f, 51);
		f.offset = 0;
		snprintf(mid_feed, sizeof(mid_feed), "feed%04zu", n_feeds / 2);
		f.feed = mid_feed;
		time_list(s, "list 50 unread of one feed", &f, 201);
		f.feed = NULL;
		f.read = STORE_ANY;
		time_list(s, "list 50 stories, read or not", &f, 201);
		f.all_copies = true;
		f.read = STORE_NO;
		time_list(s, "list 50 unread items, all copies", &f, 201);
		f.all_copies = false;
		f.with_bodies = true;
		time_list(s, "list 50 unread stories with bodies", &f, 101);
		f.with_bodies = false;
		f.read = STORE_ANY;
		f.search = RARE_WORD;
		time_list(s, "search a rare word (~0.1% of items)", &f, 51);
		f.search = MID_WORD;
		time_list(s, "search a word in ~1% of items", &f, 51);
		f.search = MID_WORD " AND " RARE_WORD;
		time_list(s, "search two words (AND)", &f, 51);
		f.search = vocab[1];
		time_list(s, "search a very common word", &f, 21);
		f.search = NULL;
	}
	{
		struct store_item *it;
		double ts[101];
		int k;

		for (k = 0; k < 101; k++) {
			t0 = bench_wall();
			if (store_item_get(s, (int64_t)(1 + (k * 7919) %
			    (long long)st.n_items), &it, &err) == -1) {
				free(err);
				err = NULL;
			} else
				store_items_free(it, 1);
			ts[k] = (bench_wall() - t0) * 1000;
		}
		qsort(ts, 101, sizeof(ts[0]), bench_cmp_double);
		printf("  %-44s %8.3f ms median\n", "get one item", ts[50]);
		for (k = 0; k < 21; k++) {
			struct store_filter f = { 0 };
			int64_t id = 1 + (k * 104729) % st.n_items;

			f.ids = &id;
			f.n_ids = 1;
			t0 = bench_wall();
			if (store_mark(s, &f, k % 2 ? STORE_MARK_UNREAD :
			    STORE_MARK_READ, base, NULL, NULL, &err) == -1)
				die("mark", err);
			ts[k] = (bench_wall() - t0) * 1000;
		}
		qsort(ts, 21, sizeof(ts[0]), bench_cmp_double);
		printf("  %-44s %8.3f ms median (fsync)\n",
		    "mark one story read/unread", ts[10]);
		t0 = bench_wall();
		if (store_stats(s, &st, &err) == -1)
			die("stats", err);
		printf("  %-44s %8.3f ms\n", "statistics",
		    (bench_wall() - t0) * 1000);
	}

	store_close(s);
	for (i = 0; prev != NULL && i < n_feeds; i++) {
		size_t j;

		if (prev[i] == NULL)
			continue;
		for (j = 0; j < per_feed; j++)
			gen_free(&prev[i][j]);
		free(prev[i]);
	}
	free(prev);
	free(feed_ids);
	for (i = 0; i < VOCABULARY; i++)
		free(vocab[i]);
	if (!keep) {
		char *p;

		unlink(path);
		p = xasprintf("%s-wal", path);
		unlink(p);
		free(p);
		p = xasprintf("%s-shm", path);
		unlink(p);
		free(p);
		if (optind >= argc)
			rmdir(dir);
	}
	free(path);
	return 0;
}
