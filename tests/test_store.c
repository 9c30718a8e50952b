/*
 * Unit tests for store: opening and refusing files, migrations from every
 * older schema, feeds, the three dedup levels through store_feed_apply,
 * read marks across a story's copies, listing filters, search, articles,
 * cursors and leases, retention and tombstones, and faults (disk full,
 * a locked database).  Expected values come from the contract in store.h
 * and issue 3, worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "date.h"
#include "dedup.h"
#include "parse.h"
#include "store.h"
#include "util.h"

/*
 * A realistic "now", so that fingerprints are inside their window; read
 * once, so that a value computed early in a test still equals one
 * computed later when a second boundary passes in between (a slow
 * sanitizer build makes that likely).
 */
static int64_t now_at_start;
#define NOW	now_at_start
#define DAY	86400
/* Items with a near-duplicate fingerprint (inside the window). */
#define FP_ROWS	"SELECT count(*) FROM items WHERE fingerprint IS NOT NULL"

struct ctx {
	char		 dir[64];
	char		*path;
	struct store	*s;
};

/* ---- fixtures ---- */

static int
setup(void **state)
{
	struct ctx *c = xcalloc(1, sizeof(*c));
	char *err = NULL;

	snprintf(c->dir, sizeof(c->dir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(c->dir) == NULL)
		return -1;
	c->path = xasprintf("%s/feedd.db", c->dir);
	if (store_open(c->path, &c->s, &err) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = c;
	return 0;
}

static void
rm_db(const char *path)
{
	char *p;

	unlink(path);
	p = xasprintf("%s-wal", path);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", path);
	unlink(p);
	free(p);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	store_close(c->s);
	rm_db(c->path);
	rmdir(c->dir);
	free(c->path);
	free(c);
	return 0;
}

/* A feed document built by hand, as the parser would return it. */
static struct feed *
feed_new(const char *title)
{
	struct feed *f = xcalloc(1, sizeof(*f));

	f->title = title ? xstrdup(title) : NULL;
	f->link = xstrdup("https://example.org/");
	return f;
}

static struct item *
feed_add(struct feed *f, const char *key, const char *title, const char *link,
    const char *content)
{
	struct item *it;

	f->items = xreallocarray(f->items, f->n_items + 1, sizeof(*f->items));
	it = &f->items[f->n_items++];
	memset(it, 0, sizeof(*it));
	it->id = key ? xstrdup(key) : NULL;
	it->key = key ? xstrdup(key) : link ? xstrdup(link) : NULL;
	it->title = title ? xstrdup(title) : NULL;
	it->link = link ? xstrdup(link) : NULL;
	it->content = content ? xstrdup(content) : NULL;
	it->published = DATE_NONE;
	it->updated = DATE_NONE;
	it->duration = -1;
	return it;
}


static int64_t
ensure(struct store *s, const char *name)
{
	char *err = NULL, *url = xasprintf("https://%s.example/feed", name);
	int64_t id = 0;

	assert_int_equal(store_feed_ensure(s, name, url, STORE_ORIGIN_CONFIG,
	    &id, &err), 0);
	free(url);
	assert_true(id > 0);
	return id;
}

static struct store_apply_result
apply(struct store *s, int64_t feed_id, struct feed *f, int64_t now,
    enum store_on_update on_update)
{
	struct store_apply_opts o = { .now = now, .on_update = on_update };
	struct store_apply_result r;
	char *err = NULL;

	if (store_feed_apply(s, feed_id, f, &o, &r, &err) == -1)
		fail_msg("apply: %s", err);
	return r;
}

static size_t
list(struct store *s, const struct store_filter *f, struct store_item **ret)
{
	struct store_item *v;
	char *err = NULL;
	size_t n;

	if (store_items_list(s, f, &v, &n, &err) == -1)
		fail_msg("list: %s", err);
	*ret = v;
	return n;
}

static size_t
count(struct store *s, const struct store_filter *f)
{
	struct store_item *v;
	size_t n = list(s, f, &v);

	store_items_free(v, n);
	return n;
}

static struct store_item *
get(struct store *s, int64_t id)
{
	struct store_item *it;
	char *err = NULL;

	if (store_item_get(s, id, &it, &err) == -1)
		fail_msg("get %lld: %s", (long long)id, err);
	return it;
}

static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static bool
integrity_ok(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	bool ok;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &st, NULL), SQLITE_OK);
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static void
mark(struct store *s, int64_t id, enum store_mark how, size_t expect_changed)
{
	struct store_filter f = { .ids = &id, .n_ids = 1 };
	int64_t *ids = NULL;
	size_t n = 0;
	char *err = NULL;

	if (store_mark(s, &f, how, NOW, &ids, &n, &err) == -1)
		fail_msg("mark: %s", err);
	assert_int_equal(n, expect_changed);
	free(ids);
}

/* A wire dispatch and a rewrite of it by another outlet. */
static const char wire_a[] =
	"<p>The regional water authority said on Tuesday that reservoir "
	"levels across the northern valley had fallen to their lowest point "
	"in thirty years, and announced restrictions on garden irrigation "
	"starting next Monday.</p><p>Officials said the restrictions would "
	"remain in place until the autumn rains return, and that farms "
	"would be asked to cut their use by a fifth. Residents who ignore "
	"the rules could face fines, the authority said in a statement.</p>"
	"<p>Rainfall over the past twelve months has been less than half the "
	"long-term average, according to the national weather service.</p>";
static const char wire_b[] =
	"<p><em>By Staff Reporter</em></p><p>The regional water authority "
	"said Tuesday that reservoir levels across the northern valley had "
	"fallen to their lowest point in thirty years, and announced "
	"restrictions on garden irrigation starting next Monday.</p><p>"
	"Officials said the restrictions would remain in place until the "
	"autumn rains return, and that farms would be asked to cut their use "
	"by a fifth. Residents who ignore the rules could face fines, the "
	"authority said in a statement.</p><p>Rainfall over the past twelve "
	"months has been less than half the long-term average, according to "
	"the national weather service.</p><p>Sign up for our morning "
	"newsletter to get the day's headlines.</p>";
static const char other_story[] =
	"<p>The city council voted on Wednesday to extend the tram line to "
	"the eastern suburbs, ending a debate that has lasted nearly a "
	"decade. Construction is expected to begin next spring and to take "
	"three years, the transport department said.</p><p>Opponents argued "
	"that the money would be better spent on buses, which serve more "
	"neighbourhoods, but the motion passed by a wide margin after a "
	"long session.</p>";

/* ---- opening ---- */

static void
test_open_creates_and_reopens(void **state)
{
	struct ctx *c = *state;
	struct store *s2;
	char *err = NULL;

	assert_int_equal(sql_int(c->path, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(sql_int(c->path, "PRAGMA application_id"),
	    0x66656564);
	/* WAL is a property of the file: a plain connection sees it. */
	{
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal(sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	ensure(c->s, "one");
	store_close(c->s);
	c->s = NULL;
	assert_int_equal(store_open(c->path, &s2, &err), 0);
	c->s = s2;
	{
		struct store_feed *f;
		size_t n;

		assert_int_equal(store_feed_list(c->s, NULL, &f, &n, &err), 0);
		assert_int_equal(n, 1);
		assert_string_equal(f[0].name, "one");
		store_feeds_free(f, n);
	}
}

static void
expect_open_fails(const char *path, const char *needle)
{
	struct store *s = NULL;
	char *err = NULL;

	assert_int_equal(store_open(path, &s, &err), -1);
	assert_null(s);
	assert_non_null(err);
	if (strstr(err, path) == NULL || strstr(err, needle) == NULL)
		fail_msg("error \"%s\" should name %s and say %s", err, path,
		    needle);
	free(err);
}

static void
test_open_refuses_bad_files(void **state)
{
	struct ctx *c = *state;
	char *p;
	FILE *fp;
	size_t i;

	/* Not a database at all: refused, and left as it was. */
	p = xasprintf("%s/garbage.db", c->dir);
	fp = fopen(p, "w");
	for (i = 0; i < 8192; i++)
		fputc((int)(i * 7 + 3) & 0xff, fp);
	fclose(fp);
	expect_open_fails(p, "not a usable database");
	{
		struct stat sb;

		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_size, 8192);
	}
	unlink(p);
	free(p);

	/* Another program's database. */
	p = xasprintf("%s/other.db", c->dir);
	sql_exec(p, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
	expect_open_fails(p, "not a feedd database");
	assert_int_equal(sql_int(p, "SELECT count(*) FROM t"), 1);
	rm_db(p);
	free(p);

	/* From a newer feedd. */
	store_close(c->s);
	c->s = NULL;
	sql_exec(c->path, "PRAGMA user_version = 99");
	expect_open_fails(c->path, "newer");
	{
		char *sql = xasprintf("PRAGMA user_version = %d",
		    store_schema_version());

		sql_exec(c->path, sql);
		free(sql);
	}

	/* A directory, and a file in a missing directory. */
	expect_open_fails(c->dir, "not a regular file");
	p = xasprintf("%s/missing/feedd.db", c->dir);
	{
		struct store *s;
		char *err = NULL;

		assert_int_equal(store_open(p, &s, &err), -1);
		assert_non_null(strstr(err, p));
		free(err);
	}
	free(p);

	/* Damaged pages inside an otherwise valid file. */
	{
		struct store *s;
		char *err = NULL;
		int64_t fid;
		struct feed *f = feed_new("x");
		struct store_apply_result r;
		long pos;

		p = xasprintf("%s/damaged.db", c->dir);
		assert_int_equal(store_open(p, &s, &err), 0);
		fid = ensure(s, "d");
		for (i = 0; i < 200; i++) {
			char key[32];

			snprintf(key, sizeof(key), "k%zu", i);
			feed_add(f, key, "a title", NULL, other_story);
		}
		r = apply(s, fid, f, NOW, STORE_ON_UPDATE_KEEP);
		store_apply_result_clear(&r);
		feed_free(f);
		assert_int_equal(store_maintain(s, &err), 0);
		store_close(s);
		fp = fopen(p, "r+");
		fseek(fp, 0, SEEK_END);
		pos = ftell(fp);
		/* Overwrite the middle of the file (b-tree pages). */
		fseek(fp, pos / 2 - 4096, SEEK_SET);
		for (i = 0; i < 8192; i++)
			fputc(0x5a, fp);
		fclose(fp);
		expect_open_fails(p, "corrupt");
		rm_db(p);
		free(p);
	}

	/* Unreadable (meaningless for root, who reads everything). */
	if (geteuid() != 0) {
		chmod(c->path, 0);
		expect_open_fails(c->path, "cannot read and write");
		chmod(c->path, 0600);
	}
	{
		char *err = NULL;

		assert_int_equal(store_open(c->path, &c->s, &err), 0);
	}
}

/* ---- migrations ---- */

static void
test_migrations_from_every_version(void **state)
{
	struct ctx *c = *state;
	int v, latest = store_schema_version();
	char *err = NULL, *p, *sql;
	struct store *s;
	int64_t now = NOW;

	assert_true(latest >= 2);
	for (v = 1; v < latest; v++) {
		p = xasprintf("%s/v%d.db", c->dir, v);
		assert_int_equal(store_create_version(p, v, &err), 0);
		assert_int_equal(sql_int(p, "PRAGMA user_version"), v);
		/* What a version-1 feedd wrote (later columns: defaults). */
		sql = xasprintf(
		    "INSERT INTO feeds (id, name, config_url) VALUES "
		    "(1, 'old', 'https://old.example/feed');"
		    "INSERT INTO items (id, feed_id, key, title, link, "
		    "canonical_link, sort_time, first_seen, content_hash, read, "
		    "story_id, content) VALUES "
		    "(1, 1, 'a', 'Reservoirs at a low', 'https://n.example/a', "
		    "'https://n.example/a', %lld, %lld, 11, 0, 1, '%s'),"
		    "(2, 1, 'b', 'Tram line extended', 'https://n.example/b', "
		    "'https://n.example/b', %lld, %lld, 12, 1, 2, '%s');"
		    "INSERT INTO item_keys VALUES (1, 'a', 1, 11, %lld),"
		    "(1, 'b', 2, 12, %lld);",
		    (long long)now, (long long)now, wire_a, (long long)now,
		    (long long)now, other_story, (long long)now,
		    (long long)now);
		sql_exec(p, sql);
		free(sql);
		/* From version 2 on, feedd also wrote the plain text. */
		if (v >= 2) {
			/* ... and indexed it. */
			char *t1 = dedup_body_text(wire_a, NULL);
			char *t2 = dedup_body_text(other_story, NULL);

			sql = sqlite3_mprintf("UPDATE items SET body_text = "
			    "CASE id WHEN 1 THEN %Q ELSE %Q END;"
			    "INSERT INTO items_fts (items_fts) "
			    "VALUES ('rebuild')", t1, t2);
			sql_exec(p, sql);
			sqlite3_free(sql);
			/* From version 3 on, fingerprints and (up to
			 * version 4) their bands, and counts per feed. */
			if (v >= 3) {
				const char *titles[] = { "Reservoirs at a low",
				    "Tram line extended" };
				const char *texts[] = { t1, t2 };
				int64_t bands[DEDUP_BANDS];
				struct dedup_text *t;
				struct buf b = { 0 };
				size_t i, j, nb;

				for (i = 0; i < 2; i++) {
					t = dedup_text_new(titles[i], texts[i]);
					nb = dedup_text_bands(t, bands);
					assert_int_equal(nb, DEDUP_BANDS);
					buf_clear(&b);
					buf_printf(&b, "UPDATE items SET "
					    "fingerprint = '[");
					for (j = 0; j < nb; j++)
						buf_printf(&b, "%s%lld", j ? "," :
						    "", (long long)bands[j]);
					buf_printf(&b, "]' WHERE id = %zu;",
					    i + 1);
					for (j = 0; v < 5 && j < nb; j++)
						buf_printf(&b, "INSERT INTO "
						    "fp_bands VALUES (%lld, %zu, "
						    "1);", (long long)bands[j],
						    i + 1);
					sql_exec(p, b.data);
					dedup_text_free(t);
				}
				buf_free(&b);
				sql_exec(p, "UPDATE feeds SET n_items = 2, "
				    "n_unread = 1");
			}
			free(t1);
			free(t2);
		}
		if (store_open(p, &s, &err) == -1)
			fail_msg("from v%d: %s", v, err);
		assert_int_equal(sql_int(p, "PRAGMA user_version"), latest);
		/* Old rows readable, counted, searchable, fingerprinted. */
		{
			struct store_filter f = { .all_copies = true };
			struct store_feed *feeds;
			size_t n;

			assert_int_equal(count(s, &f), 2);
			f.search = "reservoir";
			assert_int_equal(count(s, &f), 1);
			f.search = "tram";
			assert_int_equal(count(s, &f), 1);
			assert_int_equal(store_feed_list(s, "old", &feeds, &n,
			    &err), 0);
			assert_int_equal(n, 1);
			assert_int_equal(feeds[0].n_items, 2);
			assert_int_equal(feeds[0].n_unread, 1);
			store_feeds_free(feeds, n);
		}
		store_close(s);
		assert_int_equal(sql_int(p, FP_ROWS), 2);
		/* The search index's merge settings (version 6). */
		assert_int_equal(sql_int(p, "SELECT v FROM items_fts_config "
		    "WHERE k = 'automerge'"), 16);
		assert_int_equal(sql_int(p, "SELECT v FROM items_fts_config "
		    "WHERE k = 'crisismerge'"), 64);
		/* A copy of item 1 in a new feed now joins its story. */
		assert_int_equal(store_open(p, &s, &err), 0);
		{
			int64_t fid = ensure(s, "new");
			struct feed *fd = feed_new("new");
			struct store_apply_result r;
			struct store_item *it;

			feed_add(fd, "x", "Water limits", "https://m.example/x",
			    wire_b);
			r = apply(s, fid, fd, now, STORE_ON_UPDATE_KEEP);
			assert_int_equal(r.n_joined, 1);
			it = get(s, r.new_ids[0]);
			assert_int_equal(it->story_id, 1);
			store_items_free(it, 1);
			store_apply_result_clear(&r);
			feed_free(fd);
		}
		assert_true(integrity_ok(p));
		store_close(s);
		rm_db(p);
		free(p);
	}
	/* Creating over an existing file is refused. */
	assert_int_equal(store_create_version(c->path, 1, &err), -1);
	free(err);
}

/* ---- feeds ---- */

static void
test_feeds(void **state)
{
	struct ctx *c = *state;
	struct store_fetch_state fs = { 0 };
	struct store_feed *f;
	char *err = NULL;
	int64_t id, id2;
	size_t n;

	assert_int_equal(store_feed_ensure(c->s, "lwn", "https://lwn.net/rss",
	    STORE_ORIGIN_CONFIG, &id, &err), 0);
	assert_int_equal(store_feed_ensure(c->s, "lwn", "https://lwn.net/rss",
	    STORE_ORIGIN_CONFIG, &id2, &err), 0);
	assert_int_equal(id, id2);

	fs.url = "https://lwn.net/headlines/rss";
	fs.etag = "\"abc\"";
	fs.last_modified = "Tue, 01 Oct 2024 10:00:00 GMT";
	fs.last_fetch = 100;
	fs.last_success = 90;
	fs.next_due = 3700;
	fs.error_streak = 2;
	fs.last_status = 304;
	fs.last_error = "HTTP 503";
	fs.disabled = false;
	assert_int_equal(store_feed_save_fetch(c->s, id, &fs, &err), 0);
	assert_int_equal(store_feed_list(c->s, "lwn", &f, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(f->config_url, "https://lwn.net/rss");
	assert_string_equal(f->fetch.url, "https://lwn.net/headlines/rss");
	assert_string_equal(f->fetch.etag, "\"abc\"");
	assert_string_equal(f->fetch.last_modified,
	    "Tue, 01 Oct 2024 10:00:00 GMT");
	assert_int_equal(f->fetch.last_fetch, 100);
	assert_int_equal(f->fetch.last_success, 90);
	assert_int_equal(f->fetch.next_due, 3700);
	assert_int_equal(f->fetch.error_streak, 2);
	assert_int_equal(f->fetch.last_status, 304);
	assert_string_equal(f->fetch.last_error, "HTTP 503");
	assert_false(f->removed);
	assert_int_equal(f->origin, STORE_ORIGIN_CONFIG);
	store_feeds_free(f, n);

	/* Same URL again keeps what was learnt; a new URL voids it. */
	assert_int_equal(store_feed_ensure(c->s, "lwn", "https://lwn.net/rss",
	    STORE_ORIGIN_CONFIG, &id2, &err), 0);
	assert_int_equal(store_feed_list(c->s, "lwn", &f, &n, &err), 0);
	assert_string_equal(f->fetch.etag, "\"abc\"");
	store_feeds_free(f, n);
	assert_int_equal(store_feed_ensure(c->s, "lwn", "https://lwn.net/atom",
	    STORE_ORIGIN_CONFIG, &id2, &err), 0);
	assert_int_equal(id2, id);
	assert_int_equal(store_feed_list(c->s, "lwn", &f, &n, &err), 0);
	assert_string_equal(f->config_url, "https://lwn.net/atom");
	assert_null(f->fetch.url);
	assert_null(f->fetch.etag);
	assert_null(f->fetch.last_modified);
	assert_int_equal(f->fetch.next_due, 0);
	store_feeds_free(f, n);

	/* Runtime feed with options; bad options refused. */
	assert_int_equal(store_feed_ensure(c->s, "added", "https://a.example/",
	    STORE_ORIGIN_RUNTIME, &id2, &err), 0);
	assert_int_equal(store_feed_set_options(c->s, "added", true,
	    "{\"interval\": 7200}", &err), 0);
	assert_int_equal(store_feed_set_options(c->s, "added", true, "[1]",
	    &err), -1);
	assert_non_null(strstr(err, "not a JSON object"));
	free(err);
	err = NULL;
	assert_int_equal(store_feed_set_options(c->s, "added", true, "{oops",
	    &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_feed_set_options(c->s, "nope", true, NULL,
	    &err), -1);
	assert_non_null(strstr(err, "no feed named nope"));
	free(err);
	err = NULL;
	assert_int_equal(store_feed_list(c->s, "added", &f, &n, &err), 0);
	assert_true(f->fulltext);
	assert_int_equal(f->origin, STORE_ORIGIN_RUNTIME);
	assert_string_equal(f->options, "{\"interval\":7200}");
	store_feeds_free(f, n);

	/* Removed feeds leave the list, stay findable by name, revive. */
	assert_int_equal(store_feed_remove(c->s, "added", &err), 0);
	assert_int_equal(store_feed_list(c->s, NULL, &f, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].name, "lwn");
	store_feeds_free(f, n);
	assert_int_equal(store_feed_list(c->s, "added", &f, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(f->removed);
	store_feeds_free(f, n);
	assert_int_equal(store_feed_remove(c->s, "ghost", &err), -1);
	assert_non_null(strstr(err, "ghost"));
	free(err);
	err = NULL;
	assert_int_equal(store_feed_ensure(c->s, "added", "https://a.example/",
	    STORE_ORIGIN_RUNTIME, &id2, &err), 0);
	assert_int_equal(store_feed_list(c->s, NULL, &f, &n, &err), 0);
	assert_int_equal(n, 2);
	store_feeds_free(f, n);
	assert_int_equal(store_feed_list(c->s, "ghost", &f, &n, &err), 0);
	assert_int_equal(n, 0);
	store_feeds_free(f, n);

	assert_int_equal(store_feed_save_fetch(c->s, 9999, &fs, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_feed_ensure(c->s, "", "x", STORE_ORIGIN_CONFIG,
	    &id2, &err), -1);
	free(err);
}

/* ---- level 1: within a feed ---- */

static void
test_apply_new_unchanged_changed(void **state)
{
	struct ctx *c = *state;
	int64_t fid = ensure(c->s, "blog"), id1, id2;
	struct store_apply_result r;
	struct store_item *it;
	struct feed *f;

	f = feed_new("A blog");
	feed_add(f, "post-2", "Second", "https://blog.example/2", "<p>two</p>");
	feed_add(f, "post-1", "First", "https://blog.example/1", "<p>one</p>");
	r = apply(c->s, fid, f, NOW, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 2);
	assert_int_equal(r.n_changed, 0);
	/* Oldest (last in the document) stored first. */
	assert_true(r.new_ids[0] < r.new_ids[1]);
	id1 = r.new_ids[0];
	id2 = r.new_ids[1];
	store_apply_result_clear(&r);

	r = apply(c->s, fid, f, NOW + 60, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 0);
	assert_int_equal(r.n_changed, 0);
	assert_int_equal(r.n_unchanged, 2);
	store_apply_result_clear(&r);

	it = get(c->s, id1);
	assert_string_equal(it->title, "First");
	assert_string_equal(it->key, "post-1");
	assert_string_equal(it->guid, "post-1");
	assert_string_equal(it->feed_name, "blog");
	assert_int_equal(it->story_id, id1);
	assert_null(it->story_reason);
	assert_false(it->read);
	store_items_free(it, 1);

	/* Edited in place: same id, no new unread item; read state kept. */
	mark(c->s, id1, STORE_MARK_READ, 1);
	free(f->items[1].title);
	f->items[1].title = xstrdup("First (corrected)");
	r = apply(c->s, fid, f, NOW + 120, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 0);
	assert_int_equal(r.n_changed, 1);
	assert_int_equal(r.changed_ids[0], id1);
	store_apply_result_clear(&r);
	it = get(c->s, id1);
	assert_string_equal(it->title, "First (corrected)");
	assert_true(it->read);
	store_items_free(it, 1);

	/* on_update = unread: an edit resurfaces the item. */
	free(f->items[1].content);
	f->items[1].content = xstrdup("<p>one, with an update</p>");
	r = apply(c->s, fid, f, NOW + 180, STORE_ON_UPDATE_UNREAD);
	assert_int_equal(r.n_changed, 1);
	store_apply_result_clear(&r);
	it = get(c->s, id1);
	assert_false(it->read);
	assert_string_equal(it->content, "<p>one, with an update</p>");
	store_items_free(it, 1);
	(void)id2;
	feed_free(f);
}

static void
test_guid_churn_and_rekeying(void **state)
{
	struct ctx *c = *state;
	int64_t fid = ensure(c->s, "churn");
	struct store_apply_result r;
	struct store_filter all = { .all_copies = true };
	struct feed *f;
	int round;
	char key[32];

	/* Ids that change on every fetch, no links: the text decides. */
	for (round = 0; round < 5; round++) {
		f = feed_new("churn");
		snprintf(key, sizeof(key), "urn:x:%d:a", round);
		feed_add(f, key, "Alpha", NULL, "<p>alpha text</p>");
		snprintf(key, sizeof(key), "urn:x:%d:b", round);
		feed_add(f, key, "Beta", NULL, "<p>beta text</p>");
		r = apply(c->s, fid, f, NOW + round, STORE_ON_UPDATE_KEEP);
		assert_int_equal(r.n_new, round == 0 ? 2 : 0);
		store_apply_result_clear(&r);
		feed_free(f);
	}
	all.feed = "churn";
	assert_int_equal(count(c->s, &all), 2);

	/* Random guids, stable links: the same item (also when edited). */
	for (round = 0; round < 3; round++) {
		f = feed_new("churn");
		snprintf(key, sizeof(key), "rnd-%d", rand());
		feed_add(f, key, "Gamma", "https://c.example/gamma?utm_source=x",
		    round < 2 ? "<p>gamma</p>" : "<p>gamma, edited</p>");
		r = apply(c->s, fid, f, NOW + 10 + round, STORE_ON_UPDATE_KEEP);
		assert_int_equal(r.n_new, round == 0 ? 1 : 0);
		assert_int_equal(r.n_changed, round == 2 ? 1 : 0);
		store_apply_result_clear(&r);
		feed_free(f);
	}
	assert_int_equal(count(c->s, &all), 3);

	/* A feed whose items all link to one page: distinct items. */
	f = feed_new("churn");
	feed_add(f, "incident-1", "Database maintenance",
	    "https://status.example/", "<p>db</p>");
	feed_add(f, "incident-2", "Network outage",
	    "https://status.example/", "<p>net</p>");
	r = apply(c->s, fid, f, NOW + 20, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 2);
	store_apply_result_clear(&r);
	feed_free(f);
	assert_int_equal(count(c->s, &all), 5);

	/* Duplicate entries within one document: stored once. */
	f = feed_new("churn");
	feed_add(f, "dup", "Twice", "https://c.example/twice", "<p>t</p>");
	feed_add(f, "dup", "Twice", "https://c.example/twice", "<p>t</p>");
	r = apply(c->s, fid, f, NOW + 30, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 1);
	assert_int_equal(r.n_unchanged, 1);
	store_apply_result_clear(&r);
	feed_free(f);
}

/* ---- levels 2 and 3, and stories ---- */

static void
test_cross_feed_url_and_guid(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "all"), fb = ensure(c->s, "tech");
	struct store_filter f = { .read = STORE_NO };
	struct store_apply_result r;
	struct store_item *v, *it;
	struct feed *da, *db;
	int64_t a_id, b_id;
	size_t n;

	da = feed_new("all");
	feed_add(da, "https://news.example/p/1", "Chip shortage eases",
	    "https://News.Example:443/p/1#top", "<p>chips</p>");
	feed_add(da, "tag:news.example,2024:42", "Rates held", 
	    "https://proxy.example/r/abc", "<p>rates</p>");
	feed_add(da, "17", "Local fair opens", "https://news.example/",
	    "<p>fair</p>");
	r = apply(c->s, fa, da, NOW, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 3);
	store_apply_result_clear(&r);

	db = feed_new("tech");
	/* Same article behind a tracking link. */
	feed_add(db, "t-1", "The chip shortage is easing",
	    "https://news.example/p/1?utm_source=rss&utm_medium=feed",
	    "<p>chips, shorter</p>");
	/* A global id, carried through another link. */
	feed_add(db, "tag:news.example,2024:42", "Central bank holds rates",
	    "https://other.example/rates", "<p>rates again</p>");
	/* A counter id and a front-page link: names no single article. */
	feed_add(db, "17", "Robotics club wins", "https://news.example/",
	    "<p>robots</p>");
	r = apply(c->s, fb, db, NOW + 1, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 3);
	assert_int_equal(r.n_joined, 2);
	store_apply_result_clear(&r);

	/* Unread view: one row per story, the copies attached. */
	n = list(c->s, &f, &v);
	assert_int_equal(n, 4);
	store_items_free(v, n);
	f.all_copies = true;
	assert_int_equal(count(c->s, &f), 6);

	f.all_copies = false;
	f.search = "chips";
	n = list(c->s, &f, &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].feed_name, "all");
	assert_int_equal(v[0].n_also, 1);
	assert_string_equal(v[0].also[0].feed_name, "tech");
	assert_string_equal(v[0].also[0].link,
	    "https://news.example/p/1?utm_source=rss&utm_medium=feed");
	a_id = v[0].id;
	b_id = v[0].also[0].item_id;
	store_items_free(v, n);
	it = get(c->s, b_id);
	assert_int_equal(it->story_id, a_id);
	assert_string_equal(it->story_reason, "same canonical URL");
	assert_string_equal(it->canonical_link, "https://news.example/p/1");
	store_items_free(it, 1);

	f.search = "rates";
	n = list(c->s, &f, &v);
	assert_int_equal(n, 1);
	it = get(c->s, v[0].also[0].item_id);
	assert_string_equal(it->story_reason, "same guid");
	store_items_free(it, 1);
	store_items_free(v, n);

	/* Feed view: that feed's copy is listed even though it joined. */
	f.search = NULL;
	f.feed = "tech";
	assert_int_equal(count(c->s, &f), 3);
	feed_free(da);
	feed_free(db);
}

static void
test_text_similarity_and_read_marks(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "wire"), fb = ensure(c->s, "daily"),
	    fc = ensure(c->s, "late");
	struct store_filter unread = { .read = STORE_NO };
	struct store_apply_result r;
	struct store_item *it;
	struct feed *d;
	int64_t a, b, other, cid;
	double sim;

	d = feed_new("wire");
	feed_add(d, "w1", "Reservoirs fall to 30-year low",
	    "https://wire.example/w1", wire_a);
	feed_add(d, "w2", "Council backs tram extension",
	    "https://wire.example/w2", other_story);
	r = apply(c->s, fa, d, NOW, STORE_ON_UPDATE_KEEP);
	other = r.new_ids[0];
	a = r.new_ids[1];
	store_apply_result_clear(&r);
	feed_free(d);

	d = feed_new("daily");
	feed_add(d, "d1", "Garden watering banned as valley dries up",
	    "https://daily.example/d1", wire_b);
	r = apply(c->s, fb, d, NOW + 5, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_joined, 1);
	b = r.new_ids[0];
	store_apply_result_clear(&r);
	feed_free(d);

	it = get(c->s, b);
	assert_int_equal(it->story_id, a);
	assert_non_null(it->story_reason);
	assert_true(sscanf(it->story_reason, "text similarity %lf", &sim) == 1);
	assert_true(sim >= 0.5 && sim <= 1.0);
	assert_int_equal(it->n_also, 1);
	assert_int_equal(it->also[0].item_id, a);
	store_items_free(it, 1);
	it = get(c->s, other);
	assert_int_equal(it->story_id, other);
	store_items_free(it, 1);
	assert_int_equal(count(c->s, &unread), 2);

	/* Reading the copy reads the story; unread brings both back. */
	mark(c->s, b, STORE_MARK_READ, 2);
	it = get(c->s, a);
	assert_true(it->read);
	assert_true(it->read_at > 0);
	store_items_free(it, 1);
	assert_int_equal(count(c->s, &unread), 1);
	mark(c->s, a, STORE_MARK_UNREAD, 2);
	assert_int_equal(count(c->s, &unread), 2);
	mark(c->s, a, STORE_MARK_READ, 2);
	mark(c->s, a, STORE_MARK_READ, 0);

	/* A copy arriving after the story was read is read already. */
	d = feed_new("late");
	feed_add(d, "l1", "Water restrictions announced",
	    "https://late.example/l1", wire_a);
	r = apply(c->s, fc, d, NOW + 10, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_joined, 1);
	cid = r.new_ids[0];
	store_apply_result_clear(&r);
	feed_free(d);
	it = get(c->s, cid);
	assert_true(it->read);
	assert_int_equal(it->story_id, a);
	assert_int_equal(it->n_also, 2);
	store_items_free(it, 1);
	assert_int_equal(count(c->s, &unread), 1);

	/* Stars are per item. */
	mark(c->s, b, STORE_MARK_STAR, 1);
	it = get(c->s, a);
	assert_false(it->starred);
	store_items_free(it, 1);
	it = get(c->s, b);
	assert_true(it->starred);
	assert_true(it->starred_at > 0);
	store_items_free(it, 1);
	{
		struct store_filter f = { .starred = STORE_YES };
		struct store_item *v;
		size_t n = list(c->s, &f, &v);

		/* Collapsed, but the starred copy is the one selected. */
		assert_int_equal(n, 1);
		assert_int_equal(v[0].id, b);
		store_items_free(v, n);
	}
	mark(c->s, b, STORE_MARK_UNSTAR, 1);
	mark(c->s, b, STORE_MARK_UNSTAR, 0);
}

/* ---- listing and search ---- */

static void
test_list_filters(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "a"), fb = ensure(c->s, "b");
	struct store_filter f = { 0 };
	struct store_apply_result r;
	struct store_item *v;
	struct feed *d;
	int64_t ids[6], t0 = NOW - 10 * DAY;
	size_t n, i;
	char key[16], title[32], body[64];

	/* Six unrelated items, first seen a day apart, a/b alternating. */
	for (i = 0; i < 6; i++) {
		d = feed_new(NULL);
		snprintf(key, sizeof(key), "k%zu", i);
		snprintf(title, sizeof(title), "Item number %zu", i);
		snprintf(body, sizeof(body), "<p>body %zu %s</p>", i,
		    i % 2 ? "odd" : "even");
		feed_add(d, key, title, NULL, body);
		r = apply(c->s, i % 2 ? fb : fa, d, t0 + (int64_t)i * DAY,
		    STORE_ON_UPDATE_KEEP);
		ids[i] = r.new_ids[0];
		store_apply_result_clear(&r);
		feed_free(d);
	}
	/* Newest first; limit and offset. */
	n = list(c->s, &f, &v);
	assert_int_equal(n, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(v[i].id, ids[5 - i]);
	assert_null(v[0].content);	/* no bodies unless asked */
	store_items_free(v, n);
	f.limit = 2;
	f.offset = 1;
	n = list(c->s, &f, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, ids[4]);
	assert_int_equal(v[1].id, ids[3]);
	store_items_free(v, n);
	f.oldest_first = true;
	n = list(c->s, &f, &v);
	assert_int_equal(v[0].id, ids[1]);
	store_items_free(v, n);

	memset(&f, 0, sizeof(f));
	f.feed = "b";
	assert_int_equal(count(c->s, &f), 3);
	f.feed = "nope";
	assert_int_equal(count(c->s, &f), 0);
	f.feed = NULL;
	f.since = t0 + 2 * DAY;
	assert_int_equal(count(c->s, &f), 4);
	f.until = t0 + 4 * DAY;
	assert_int_equal(count(c->s, &f), 2);
	f.since = f.until = 0;
	f.after_id = ids[3];
	assert_int_equal(count(c->s, &f), 2);
	f.after_id = 0;
	f.ids = ids;
	f.n_ids = 2;
	f.with_bodies = true;
	n = list(c->s, &f, &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].content, "<p>body 0 even</p>");
	store_items_free(v, n);

	/* Published dates order the list, capped at first seen. */
	d = feed_new(NULL);
	feed_add(d, "old", "From the archive", NULL, "<p>x</p>")->published =
	    t0 - 100 * DAY;
	feed_add(d, "future", "From the future", NULL, "<p>y</p>")->published =
	    NOW + 365 * DAY;
	r = apply(c->s, fa, d, NOW, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);
	memset(&f, 0, sizeof(f));
	n = list(c->s, &f, &v);
	assert_int_equal(n, 8);
	assert_string_equal(v[0].title, "From the future");
	assert_int_equal(v[0].published, NOW + 365 * DAY);
	assert_string_equal(v[7].title, "From the archive");
	assert_int_equal(v[7].updated, DATE_NONE);
	store_items_free(v, n);

	/* Marking the page a client sees: the two newest, no more. */
	{
		struct store_filter m = { .read = STORE_NO, .limit = 2 };
		int64_t *changed;
		size_t nc;
		char *err = NULL;

		assert_int_equal(store_mark(c->s, &m, STORE_MARK_READ, NOW,
		    &changed, &nc, &err), 0);
		assert_int_equal(nc, 2);
		free(changed);
		memset(&f, 0, sizeof(f));
		f.read = STORE_YES;
		n = list(c->s, &f, &v);
		assert_int_equal(n, 2);
		assert_string_equal(v[0].title, "From the future");
		store_items_free(v, n);
		assert_int_equal(store_mark(c->s, &m, STORE_MARK_UNREAD, NOW,
		    NULL, NULL, &err), 0);	/* read ones: not selected */
		assert_int_equal(count(c->s, &f), 2);
		f.read = STORE_NO;
		assert_int_equal(store_mark(c->s, &f, STORE_MARK_UNREAD, NOW,
		    NULL, NULL, &err), 0);
		f.read = STORE_YES;
		m.read = STORE_YES;
		m.limit = 0;
		assert_int_equal(store_mark(c->s, &m, STORE_MARK_UNREAD, NOW,
		    NULL, NULL, &err), 0);
		assert_int_equal(count(c->s, &f), 0);
		memset(&f, 0, sizeof(f));
	}

	/* Marks by filter: everything in feed b. */
	{
		struct store_filter m = { .feed = "b" };
		int64_t *changed;
		size_t nc;
		char *err = NULL;

		assert_int_equal(store_mark(c->s, &m, STORE_MARK_READ, NOW,
		    &changed, &nc, &err), 0);
		assert_int_equal(nc, 3);
		free(changed);
		assert_int_equal(store_mark(c->s, &m, STORE_MARK_READ, NOW,
		    NULL, NULL, &err), 0);
		f.read = STORE_NO;
		assert_int_equal(count(c->s, &f), 5);
		f.read = STORE_YES;
		assert_int_equal(count(c->s, &f), 3);
	}
}

static void
test_search(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "s");
	struct store_filter f = { 0 };
	struct store_apply_result r;
	struct feed *d;
	char *err = NULL;
	struct store_item *v;
	size_t n;

	d = feed_new(NULL);
	feed_add(d, "1", "Kernel release notes", NULL,
	    "<p>The <b>scheduler</b> got faster; caf&eacute; owners "
	    "rejoice.</p>");
	feed_add(d, "2", "Gardening tips", NULL,
	    "<p>Plant tomatoes after the last frost.</p>");
	feed_add(d, "3", "Markup", NULL,
	    "<p class=\"scheduler\">nothing about it</p>");
	r = apply(c->s, fa, d, NOW, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);

	f.search = "scheduler";
	assert_int_equal(count(c->s, &f), 1);	/* text, not markup */
	f.search = "cafe";			/* diacritics folded */
	assert_int_equal(count(c->s, &f), 1);
	f.search = "title:gardening";
	assert_int_equal(count(c->s, &f), 1);
	f.search = "tomato*";
	assert_int_equal(count(c->s, &f), 1);
	f.search = "kernel OR tomatoes";
	n = list(c->s, &f, &v);
	assert_int_equal(n, 2);
	/* Newest stored first; the document's first item is stored last. */
	assert_string_equal(v[0].title, "Kernel release notes");
	assert_string_equal(v[1].title, "Gardening tips");
	store_items_free(v, n);
	f.oldest_first = true;
	n = list(c->s, &f, &v);
	assert_string_equal(v[0].title, "Gardening tips");
	store_items_free(v, n);
	f.oldest_first = false;
	f.search = "\"last frost\"";
	assert_int_equal(count(c->s, &f), 1);

	/* Syntax errors are errors, not crashes. */
	f.search = "\"unbalanced";
	assert_int_equal(store_items_list(c->s, &f, &v, &n, &err), -1);
	assert_true(str_has_prefix(err, "search: "));
	free(err);
	err = NULL;
	f.search = "nosuchcolumn:foo";
	assert_int_equal(store_items_list(c->s, &f, &v, &n, &err), -1);
	assert_true(str_has_prefix(err, "search: "));
	free(err);
	err = NULL;
	f.search = "AND OR";
	assert_int_equal(store_items_list(c->s, &f, &v, &n, &err), -1);
	free(err);
	err = NULL;
	/* Search in a mark: a bad query fails the whole mark. */
	f.search = "(";
	assert_int_equal(store_mark(c->s, &f, STORE_MARK_READ, NOW, NULL,
	    NULL, &err), -1);
	free(err);
	err = NULL;
	f.search = "kernel";
	f.read = STORE_NO;
	assert_int_equal(count(c->s, &f), 1);
}

/*
 * The index and the items after fts_state.indexed_to are the whole table,
 * at every step: a slice at a time, after edits on both sides of the
 * mark, after a reopen; a search catches up first.
 */
#define FTS_CONSISTENT \
	"BEGIN; INSERT INTO items_fts (rowid, title, body_text, " \
	"article_text) SELECT id, title, body_text, article_text FROM items " \
	"WHERE id > (SELECT indexed_to FROM fts_state); " \
	"INSERT INTO items_fts (items_fts) VALUES ('integrity-check'); " \
	"ROLLBACK"

static void
test_search_index_late(void **state)
{
	struct ctx *c = *state;
	int64_t fid = ensure(c->s, "late");
	struct store_filter q = { .all_copies = true };
	struct store_apply_result r;
	struct feed *d;
	char *err = NULL;
	bool more;

	d = feed_new(NULL);
	feed_add(d, "c", "Third", NULL, "<p>cormorant</p>");
	feed_add(d, "b", "Second", NULL, "<p>bittern</p>");
	feed_add(d, "a", "First", NULL, "<p>avocet</p>");
	r = apply(c->s, fid, d, NOW, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 3);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(sql_int(c->path, "SELECT indexed_to FROM fts_state"),
	    0);
	sql_exec(c->path, FTS_CONSISTENT);

	/* One slice of one item: "a", stored first. */
	assert_int_equal(store_index(c->s, 1, &more, &err), 0);
	assert_true(more);
	assert_int_equal(sql_int(c->path, "SELECT indexed_to FROM fts_state"),
	    sql_int(c->path, "SELECT id FROM items WHERE key = 'a'"));
	sql_exec(c->path, FTS_CONSISTENT);

	/* Edits of an indexed item and of one not indexed yet. */
	d = feed_new(NULL);
	feed_add(d, "c", "Third", NULL, "<p>curlew</p>");
	feed_add(d, "b", "Second", NULL, "<p>bittern</p>");
	feed_add(d, "a", "First", NULL, "<p>albatross</p>");
	r = apply(c->s, fid, d, NOW + 60, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_changed, 2);
	store_apply_result_clear(&r);
	feed_free(d);
	sql_exec(c->path, FTS_CONSISTENT);

	/* A new handle goes on from the mark. */
	store_close(c->s);
	assert_int_equal(store_open(c->path, &c->s, &err), 0);
	sql_exec(c->path, FTS_CONSISTENT);
	q.search = "avocet OR cormorant";
	assert_int_equal(count(c->s, &q), 0);
	q.search = "albatross OR bittern OR curlew";
	assert_int_equal(count(c->s, &q), 3);
	assert_int_equal(sql_int(c->path, "SELECT indexed_to FROM fts_state"),
	    sql_int(c->path, "SELECT max(id) FROM items"));
	assert_int_equal(store_index(c->s, 100, &more, &err), 0);
	assert_false(more);
	sql_exec(c->path, "INSERT INTO items_fts (items_fts) "
	    "VALUES ('integrity-check')");
}

static void
test_articles(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "wire"), fb = ensure(c->s, "teaser"), a, b;
	struct store_article art = { 0 };
	struct store_apply_result r;
	struct store_filter f = { 0 };
	struct store_item *it;
	struct feed *d;
	char *err = NULL, *text;

	d = feed_new(NULL);
	feed_add(d, "w", "Reservoirs fall", "https://w.example/1", wire_a);
	r = apply(c->s, fa, d, NOW, STORE_ON_UPDATE_KEEP);
	a = r.new_ids[0];
	store_apply_result_clear(&r);
	feed_free(d);
	/* A teaser feed: too little text to match anything. */
	d = feed_new(NULL);
	feed_add(d, "t", "Valley runs dry", "https://t.example/1",
	    "<p>Read the full story.</p>");
	r = apply(c->s, fb, d, NOW, STORE_ON_UPDATE_KEEP);
	b = r.new_ids[0];
	assert_int_equal(r.n_joined, 0);
	store_apply_result_clear(&r);
	feed_free(d);

	art.status = STORE_EXTRACT_PENDING;
	assert_int_equal(store_item_set_article(c->s, b, &art, &err), 0);
	f.extract_pending = true;
	assert_int_equal(count(c->s, &f), 1);
	f.extract_pending = false;

	/* The extracted article: stored, searchable, and it joins a story. */
	text = xstrdup(wire_b);
	{
		/* Plain text, as the extractor gives it. */
		char *p, *q;

		for (p = q = text; *p != '\0'; p++) {
			if (*p == '<') {
				p = strchr(p, '>');
				*q++ = ' ';
				continue;
			}
			*q++ = *p;
		}
		*q = '\0';
	}
	art.status = STORE_EXTRACT_OK;
	art.title = "Valley runs dry";
	art.byline = "Staff Reporter";
	art.text = text;
	art.html = "<p>article html</p>";
	assert_int_equal(store_item_set_article(c->s, b, &art, &err), 0);
	it = get(c->s, b);
	assert_int_equal(it->extract_status, STORE_EXTRACT_OK);
	assert_string_equal(it->article_title, "Valley runs dry");
	assert_string_equal(it->article_byline, "Staff Reporter");
	assert_string_equal(it->article_html, "<p>article html</p>");
	assert_int_equal(it->story_id, a);
	assert_true(str_has_prefix(it->story_reason, "text similarity"));
	store_items_free(it, 1);
	f.search = "newsletter";	/* only in the article */
	assert_int_equal(count(c->s, &f), 1);

	/* A failed retry keeps the article and records why. */
	art.status = STORE_EXTRACT_FAILED;
	art.error = "HTTP 404";
	art.text = NULL;
	assert_int_equal(store_item_set_article(c->s, b, &art, &err), 0);
	it = get(c->s, b);
	assert_int_equal(it->extract_status, STORE_EXTRACT_FAILED);
	assert_string_equal(it->extract_error, "HTTP 404");
	assert_non_null(it->article_text);
	store_items_free(it, 1);
	assert_int_equal(store_item_set_article(c->s, 424242, &art, &err), -1);
	assert_non_null(strstr(err, "424242"));
	free(err);
	free(text);
}

/* ---- cursors ---- */

static void
test_cursors(void **state)
{
	struct ctx *c = *state;
	int64_t pos = -1;
	bool is_new = false;
	char *err = NULL;

	assert_int_equal(store_cursor_lease(c->s, "daily", "run-1", 1000, 60,
	    &pos, &is_new, &err), 0);
	assert_int_equal(pos, 0);
	assert_true(is_new);
	/* A second run cannot take it while the lease holds. */
	assert_int_equal(store_cursor_lease(c->s, "daily", "run-2", 1030, 60,
	    &pos, &is_new, &err), -1);
	assert_non_null(strstr(err, "cursor daily is in use"));
	free(err);
	err = NULL;
	assert_int_equal(store_cursor_commit(c->s, "daily", "run-2", 50, &err),
	    -1);
	free(err);
	err = NULL;
	/* The holder may renew it, then commit. */
	assert_int_equal(store_cursor_lease(c->s, "daily", "run-1", 1040, 60,
	    &pos, &is_new, &err), 0);
	assert_int_equal(store_cursor_commit(c->s, "daily", "run-1", 42, &err),
	    0);
	assert_int_equal(store_cursor_commit(c->s, "daily", "run-1", 43, &err),
	    -1);	/* the lease ended with the commit */
	free(err);
	err = NULL;
	assert_int_equal(store_cursor_lease(c->s, "daily", "run-2", 1050, 60,
	    &pos, &is_new, &err), 0);
	assert_int_equal(pos, 42);
	assert_false(is_new);
	/* Never backwards. */
	assert_int_equal(store_cursor_commit(c->s, "daily", "run-2", 7, &err),
	    0);
	assert_int_equal(store_cursor_lease(c->s, "daily", "run-3", 1060, 60,
	    &pos, &is_new, &err), 0);
	assert_int_equal(pos, 42);
	/* An expired lease can be taken over; the old holder lost it. */
	assert_int_equal(store_cursor_lease(c->s, "daily", "run-4", 1200, 60,
	    &pos, &is_new, &err), 0);
	assert_int_equal(store_cursor_commit(c->s, "daily", "run-3", 99, &err),
	    -1);
	assert_non_null(strstr(err, "run-4"));
	free(err);
	err = NULL;
	assert_int_equal(store_cursor_release(c->s, "daily", "run-4", &err), 0);
	assert_int_equal(store_cursor_release(c->s, "daily", "run-4", &err), 0);
	assert_int_equal(store_cursor_lease(c->s, "daily", "run-5", 1201, 60,
	    &pos, &is_new, &err), 0);
	assert_int_equal(pos, 42);
	assert_int_equal(store_cursor_release(c->s, "nope", "x", &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_cursor_lease(c->s, "", "x", 1, 1, &pos, &is_new,
	    &err), -1);
	free(err);
}

/* ---- retention ---- */

static void
run_retention(struct store *s, const struct store_retention *r, int64_t now,
    size_t budget)
{
	char *err = NULL;
	bool more = true;
	int calls = 0;

	while (more) {
		if (store_retention_run(s, r, now, budget, &more, &err) == -1)
			fail_msg("retention: %s", err);
		assert_true(++calls < 10000);
	}
}

static void
test_retention(void **state)
{
	struct ctx *c = *state;
	int64_t now = NOW, fid = ensure(c->s, "r"), ids[10];
	int64_t t0 = now - 100 * DAY + DAY / 2;	/* off the day boundaries */
	struct store_retention ret = { .max_age_days = 30 };
	struct store_filter all = { .all_copies = true };
	struct store_apply_result r;
	struct store_stats st;
	struct feed *d;
	char key[16], body[64], *err = NULL;
	size_t i;

	/* Ten items, k0 oldest; each fetch lists all of them. */
	d = feed_new(NULL);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%zu", 9 - i);
		snprintf(body, sizeof(body), "<p>item %zu</p>", 9 - i);
		feed_add(d, key, key, NULL, body)->published =
		    t0 + (int64_t)(9 - i) * 10 * DAY;
	}
	r = apply(c->s, fid, d, now - DAY, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 10);
	memcpy(ids, r.new_ids, sizeof(ids));
	store_apply_result_clear(&r);
	/* Published t0 + i*10 days; older than 30 days: k0..k6. */
	for (i = 0; i < 7; i++)
		if (i != 3)
			mark(c->s, ids[i], STORE_MARK_READ, 1);
	mark(c->s, ids[1], STORE_MARK_STAR, 1);

	run_retention(c->s, &ret, now, 2);
	/* Gone: k0, k2, k4, k5, k6 (read, not starred).  Kept: k1 (starred),
	 * k3 (unread), k7..k9 (recent). */
	assert_int_equal(count(c->s, &all), 5);
	assert_int_equal(store_stats(c->s, &st, &err), 0);
	assert_int_equal(st.n_items, 5);
	assert_int_equal(st.n_tombstones, 5);
	assert_int_equal(st.n_starred, 1);

	/* Still listed by the feed: the deleted items do not come back. */
	r = apply(c->s, fid, d, now, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 0);
	assert_int_equal(r.n_unchanged, 10);
	store_apply_result_clear(&r);

	/* Told to, unread and starred go too. */
	ret.include_unread = ret.include_starred = true;
	run_retention(c->s, &ret, now, 100);
	assert_int_equal(count(c->s, &all), 3);

	/* Count limit: keep the newest 2 (k9, k8). */
	memset(&ret, 0, sizeof(ret));
	ret.max_items_per_feed = 2;
	ret.include_unread = true;
	ret.feed = "r";
	run_retention(c->s, &ret, now, 1);
	assert_int_equal(count(c->s, &all), 2);
	ret.feed = "ghost";
	{
		bool more;

		assert_int_equal(store_retention_run(c->s, &ret, now, 10, &more,
		    &err), -1);
		free(err);
		err = NULL;
	}

	/* Tombstones go once the feed stops listing their items. */
	feed_free(d);
	d = feed_new(NULL);
	feed_add(d, "k9", "k9", NULL, "<p>item 9</p>")->published =
	    t0 + 90 * DAY;
	r = apply(c->s, fid, d, now + 3 * DAY, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	memset(&ret, 0, sizeof(ret));
	run_retention(c->s, &ret, now + 3 * DAY, 3);
	assert_int_equal(store_stats(c->s, &st, &err), 0);
	assert_int_equal(st.n_tombstones, 0);
	assert_int_equal(st.n_items, 2);
	feed_free(d);

	assert_int_equal(store_maintain(c->s, &err), 0);
}

static void
test_retention_moves_story_head(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "wire"), fb = ensure(c->s, "daily"), a, b;
	struct store_retention ret = { .max_age_days = 1 };
	struct store_filter unread = { .read = STORE_NO };
	struct store_apply_result r;
	struct store_item *it;
	struct feed *d;

	d = feed_new(NULL);
	feed_add(d, "w", "Reservoirs", "https://w.example/1", wire_a)->published
	    = NOW - 5 * DAY;
	r = apply(c->s, fa, d, NOW - 5 * DAY, STORE_ON_UPDATE_KEEP);
	a = r.new_ids[0];
	store_apply_result_clear(&r);
	feed_free(d);
	d = feed_new(NULL);
	feed_add(d, "d", "Water", "https://d.example/1", wire_b);
	r = apply(c->s, fb, d, NOW, STORE_ON_UPDATE_KEEP);
	b = r.new_ids[0];
	assert_int_equal(r.n_joined, 1);
	store_apply_result_clear(&r);
	feed_free(d);

	/* The head goes (told to take unread too); the copy leads now. */
	ret.include_unread = true;
	run_retention(c->s, &ret, NOW, 10);
	it = get(c->s, b);
	assert_int_equal(it->story_id, b);
	assert_null(it->story_reason);
	assert_int_equal(it->n_also, 0);
	store_items_free(it, 1);
	assert_int_equal(count(c->s, &unread), 1);
	(void)a;
}

static void
test_fingerprint_window(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "wire"), fb = ensure(c->s, "daily");
	struct store_retention ret = { 0 };
	struct store_apply_result r;
	struct feed *d;

	d = feed_new(NULL);
	feed_add(d, "w", "Reservoirs", "https://w.example/1", wire_a);
	r = apply(c->s, fa, d, NOW - 40 * DAY, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(sql_int(c->path, FP_ROWS), 1);
	/* Maintenance expires them (by the real clock) ... */
	{
		char *err = NULL;

		assert_int_equal(store_maintain(c->s, &err), 0);
	}
	assert_int_equal(sql_int(c->path, FP_ROWS), 0);
	/* ... as any retention run does. */
	run_retention(c->s, &ret, NOW, 100);
	assert_int_equal(sql_int(c->path, FP_ROWS), 0);
	/* A copy 40 days later is its own story. */
	d = feed_new(NULL);
	feed_add(d, "d", "Water", "https://d.example/1", wire_b);
	r = apply(c->s, fb, d, NOW, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_joined, 0);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(sql_int(c->path, FP_ROWS), 1);
}

static struct feed *big_feed(const char *, size_t);

/*
 * The band index lives in memory, built from the stored fingerprints:
 * copies are found in the transaction that stores the original, after
 * the store is opened again, and not after a rollback that undid what
 * the index had been told (an edit's new text).
 */
static void
test_fingerprint_index(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "many"), fb = ensure(c->s, "copies");
	size_t n_items = 3000, i, j;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct store_apply_opts o = { .now = NOW };
	struct store_apply_result r;
	struct buf b = { 0 };
	char key[32], *first = NULL, *last = NULL, *err = NULL, *sql;
	struct feed *d;
	int64_t pages;

	d = feed_new(NULL);
	for (i = 0; i < n_items; i++) {
		buf_clear(&b);
		buf_puts(&b, "<p>");
		/* Long enough to be no teaser; words without digits. */
		for (j = 0; j < 120; j++) {
			uint64_t w;

			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			w = (x * 0x2545f4914f6cdd1dULL) >> 52;
			buf_printf(&b, "%c%c%c ", "abcdefghijklmnop"[w & 15],
			    "abcdefghijklmnop"[(w >> 4) & 15],
			    "abcdefghijklmnop"[w >> 8]);
		}
		buf_puts(&b, "</p>");
		snprintf(key, sizeof(key), "k%zu", i);
		feed_add(d, key, key, NULL, b.data);
		/* The document lists newest first: the last is stored first. */
		if (i == n_items - 1)
			first = xstrdup(b.data);
		if (i == 0)
			last = xstrdup(b.data);
	}
	/* A copy in the same batch as its original is found. */
	assert_int_equal(store_batch_begin(c->s, &err), 0);
	assert_int_equal(store_feed_apply(c->s, fa, d, &o, &r, &err), 0);
	assert_int_equal(r.n_new, n_items);
	store_apply_result_clear(&r);
	feed_free(d);
	d = feed_new(NULL);
	feed_add(d, "c1", "k2999", NULL, first);
	assert_int_equal(store_feed_apply(c->s, fb, d, &o, &r, &err), 0);
	assert_int_equal(r.n_joined, 1);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(store_batch_commit(c->s, &err), 0);
	assert_int_equal(sql_int(c->path, FP_ROWS), n_items + 1);

	/* Opened again, the store rebuilds the index from the database. */
	store_close(c->s);
	assert_int_equal(store_open(c->path, &c->s, &err), 0);
	d = feed_new(NULL);
	feed_add(d, "c2", "k0", NULL, last);
	r = apply(c->s, fb, d, NOW, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_joined, 1);
	store_apply_result_clear(&r);
	feed_free(d);

	/*
	 * k1 is edited, in a feed too large for the disk: the apply fails
	 * and is rolled back.  The index had dropped k1's bands for the
	 * edit's; k1 is unchanged, so a copy of its text still finds it.
	 */
	pages = sql_int(c->path, "PRAGMA page_count");
	sql = xasprintf("PRAGMA max_page_count = %lld", (long long)pages + 2);
	assert_int_equal(store_exec(c->s, sql, &err), 0);
	free(sql);
	d = big_feed("big", 2000);
	feed_add(d, "k1", "k1", NULL, "<p>An edit that changes everything in "
	    "this item, so that its fingerprint is a new one entirely.</p>");
	assert_int_equal(store_feed_apply(c->s, fa, d, &o, &r, &err), -1);
	free(err);
	err = NULL;
	feed_free(d);
	assert_int_equal(store_exec(c->s, "PRAGMA max_page_count = 1000000000",
	    &err), 0);
	d = feed_new(NULL);
	/* k1's text, as the generator above made it. */
	{
		char *t = NULL;
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT content FROM "
		    "items WHERE key = 'k1'", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		t = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(db);
		feed_add(d, "c3", "k1", NULL, t);
		free(t);
	}
	r = apply(c->s, fb, d, NOW, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_joined, 1);
	store_apply_result_clear(&r);
	feed_free(d);

	/* Items deleted behind the store's back are no candidates. */
	sql_exec(c->path, "PRAGMA foreign_keys = ON; "
	    "DELETE FROM items WHERE key IN ('k0', 'c2')");
	d = feed_new(NULL);
	feed_add(d, "c4", "k0", NULL, last);
	r = apply(c->s, ensure(c->s, "third"), d, NOW, STORE_ON_UPDATE_KEEP);
	assert_int_equal(r.n_new, 1);
	assert_int_equal(r.n_joined, 0);
	store_apply_result_clear(&r);
	feed_free(d);
	free(first);
	free(last);
	buf_free(&b);
}

static void
test_housekeeping_per_feed(void **state)
{
	struct ctx *c = *state;
	int64_t now = NOW, fa = ensure(c->s, "wire"), fb = ensure(c->s, "x");
	struct store_retention ret = { .feed = "wire" };
	struct store_apply_result r;
	struct store_stats st;
	struct feed *d;
	char *err = NULL;

	/* Old text in "wire", recent text in "x". */
	d = feed_new(NULL);
	feed_add(d, "w", "Reservoirs", "https://w.example/1", wire_a);
	feed_add(d, "gone", "Tram", "https://w.example/2", other_story);
	r = apply(c->s, fa, d, now - 40 * DAY, STORE_ON_UPDATE_KEEP);
	/* Stored oldest (last listed) first: new_ids[1] is "w". */
	mark(c->s, r.new_ids[1], STORE_MARK_READ, 1);
	store_apply_result_clear(&r);
	feed_free(d);
	d = feed_new(NULL);
	feed_add(d, "o", "Tram", "https://x.example/1", other_story);
	r = apply(c->s, fb, d, now, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(sql_int(c->path, FP_ROWS), 3);

	/* A run for one feed, without limits: its old fingerprints go. */
	run_retention(c->s, &ret, now, 5);
	assert_int_equal(sql_int(c->path, FP_ROWS), 1);

	/* Its tombstones go once it no longer lists them. */
	ret.max_age_days = 30;
	run_retention(c->s, &ret, now, 5);
	assert_int_equal(store_stats(c->s, &st, &err), 0);
	assert_int_equal(st.n_tombstones, 1);	/* "w" read; "gone" unread */
	assert_int_equal(st.n_items, 2);
	d = feed_new(NULL);
	feed_add(d, "gone", "Tram", "https://w.example/2", other_story);
	r = apply(c->s, fa, d, now + 5 * DAY, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);
	memset(&ret, 0, sizeof(ret));
	ret.feed = "wire";
	run_retention(c->s, &ret, now + 5 * DAY, 5);
	assert_int_equal(store_stats(c->s, &st, &err), 0);
	assert_int_equal(st.n_tombstones, 0);
	/* "gone" was never deleted: still there, still unread. */
	assert_int_equal(st.n_items, 2);
	assert_int_equal(st.n_unread, 2);
}

static void
test_maintain_vacuums(void **state)
{
	struct ctx *c = *state;
	int64_t now = NOW, fid = ensure(c->s, "big");
	struct store_retention ret = { .max_age_days = 1,
	    .include_unread = true };
	struct store_apply_result r;
	struct feed *d;
	struct buf body = { 0 };
	char key[32], *err = NULL;
	int64_t before, after;
	size_t i;

	for (i = 0; i < 300; i++)
		buf_puts(&body, "<p>Plenty of words to take up pages.</p>");
	d = feed_new(NULL);
	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		feed_add(d, key, key, NULL, body.data);
	}
	r = apply(c->s, fid, d, now - 10 * DAY, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);
	buf_free(&body);
	before = sql_int(c->path, "PRAGMA page_count");
	assert_true(before > 4096);
	run_retention(c->s, &ret, now, 500);
	assert_int_equal(store_maintain(c->s, &err), 0);
	before = sql_int(c->path, "PRAGMA page_count");
	/* Deleted, then a maintenance pass gives the space back. */
	assert_true(sql_int(c->path, "PRAGMA freelist_count") == 0);
	assert_true(before < 1024);
	/* A second pass has nothing to vacuum. */
	assert_int_equal(store_maintain(c->s, &err), 0);
	after = sql_int(c->path, "PRAGMA page_count");
	assert_true(after < 1024);
}

/* ---- faults ---- */

static struct feed *
big_feed(const char *prefix, size_t n)
{
	struct feed *d = feed_new(NULL);
	char key[64], body[512];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s-%zu", prefix, i);
		snprintf(body, sizeof(body), "<p>%s %zu: %s</p>", prefix, i,
		    "filler text that takes room in the pages of the database "
		    "so that the file grows quickly with every new item stored");
		feed_add(d, key, key, NULL, body);
	}
	return d;
}

static void
test_disk_full(void **state)
{
	struct ctx *c = *state;
	int64_t fid = ensure(c->s, "full");
	struct store_filter all = { .all_copies = true };
	struct store_apply_opts o = { .now = NOW };
	struct store_apply_result r;
	struct feed *d;
	char *err = NULL, *sql;
	int64_t pages;

	d = big_feed("first", 20);
	r = apply(c->s, fid, d, NOW, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);

	/* No room for more pages: the whole feed fails, nothing half done. */
	pages = sql_int(c->path, "PRAGMA page_count");
	sql = xasprintf("PRAGMA max_page_count = %lld", (long long)pages + 2);
	assert_int_equal(store_exec(c->s, sql, &err), 0);
	free(sql);
	d = big_feed("second", 2000);
	memset(&r, 0x55, sizeof(r));
	assert_int_equal(store_feed_apply(c->s, fid, d, &o, &r, &err), -1);
	assert_non_null(strstr(err, "full"));
	assert_non_null(strstr(err, c->path));
	assert_int_equal(r.n_new, (size_t)0x5555555555555555ULL);	/* untouched */
	free(err);
	err = NULL;
	assert_int_equal(count(c->s, &all), 20);
	assert_true(integrity_ok(c->path));

	/* Space returns: the retry stores everything. */
	assert_int_equal(store_exec(c->s, "PRAGMA max_page_count = 1000000000",
	    &err), 0);
	assert_int_equal(store_feed_apply(c->s, fid, d, &o, &r, &err), 0);
	assert_int_equal(r.n_new, 2000);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(count(c->s, &all), 2020);
}

/*
 * A batch: feeds stored in one transaction, a savepoint each.  A feed
 * that fails leaves nothing (not even its search terms) and the others
 * commit; feeds of one batch see each other (a copy joins its story);
 * nothing is visible to another connection before the commit; a
 * rollback undoes the whole batch.
 */
static void
test_batch(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "wire"), fb = ensure(c->s, "broken");
	int64_t fc = ensure(c->s, "outlet"), fd = ensure(c->s, "late");
	struct store_filter all = { .all_copies = true }, q = { 0 };
	struct store_fetch_state st = { .etag = "\"a1\"", .last_success = NOW,
	    .next_due = NOW + 3600 };
	struct store_fetch_state st_b = { .last_error = "HTTP 500",
	    .error_streak = 1 };
	struct store_apply_opts o = { .now = NOW, .fetch = &st };
	struct store_apply_result ra, rb, rc;
	struct store_feed *feeds;
	struct store_item *v;
	struct feed *da, *db, *dc;
	char *err = NULL;
	size_t n;

	/* A failure in the middle of a feed, after some of it is written. */
	sql_exec(c->path, "CREATE TRIGGER boom BEFORE INSERT ON items "
	    "WHEN new.title = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
	da = feed_new("Wire");
	feed_add(da, "https://wire.example/a", "Reservoirs at a low", NULL,
	    wire_a);
	feed_add(da, "https://wire.example/t", "Tram line", NULL, other_story);
	db = feed_new("Broken");
	feed_add(db, "b2", "boom", NULL, "<p>never stored</p>");
	feed_add(db, "b1", "Zanzibarish marmalade", NULL,
	    "<p>quixotically unique words</p>");
	dc = feed_new("Outlet");
	feed_add(dc, "https://outlet.example/b", "Water limits", NULL, wire_b);

	assert_int_equal(store_batch_begin(c->s, &err), 0);
	assert_int_equal(store_feed_apply(c->s, fa, da, &o, &ra, &err), 0);
	assert_int_equal(ra.n_new, 2);
	o.fetch = NULL;
	assert_int_equal(store_feed_apply(c->s, fb, db, &o, &rb, &err), -1);
	assert_non_null(strstr(err, "boom"));
	free(err);
	err = NULL;
	assert_int_equal(store_feed_save_fetch(c->s, fb, &st_b, &err), 0);
	/* An unknown feed fails alone, too. */
	assert_int_equal(store_feed_save_fetch(c->s, 9999, &st_b, &err), -1);
	free(err);
	err = NULL;
	/* The copy in another feed of the same batch joins the story. */
	assert_int_equal(store_feed_apply(c->s, fc, dc, &o, &rc, &err), 0);
	assert_int_equal(rc.n_new, 1);
	assert_int_equal(rc.n_joined, 1);
	/* Nothing is visible outside, and no other write runs meanwhile. */
	assert_int_equal(sql_int(c->path, "SELECT count(*) FROM items"), 0);
	assert_int_equal(store_mark(c->s, &all, STORE_MARK_READ, NOW, NULL,
	    NULL, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_batch_commit(c->s, &err), 0);

	assert_int_equal(sql_int(c->path, "SELECT count(*) FROM items"), 3);
	assert_int_equal(count(c->s, &all), 3);
	all.all_copies = false;
	assert_int_equal(count(c->s, &all), 2);	/* one story, two copies */
	all.all_copies = true;
	q.search = "reservoir";
	assert_int_equal(count(c->s, &q), 1);	/* the story, once */
	q.all_copies = true;
	assert_int_equal(count(c->s, &q), 2);
	q.search = "quixotically OR zanzibarish OR never";
	assert_int_equal(count(c->s, &q), 0);	/* the failed feed's terms */
	sql_exec(c->path, "INSERT INTO items_fts (items_fts) "
	    "VALUES ('integrity-check')");
	assert_true(integrity_ok(c->path));
	/* The validators came with the content; the failure's state too. */
	assert_int_equal(store_feed_list(c->s, "wire", &feeds, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(feeds[0].fetch.etag, "\"a1\"");
	assert_int_equal(feeds[0].fetch.next_due, NOW + 3600);
	assert_int_equal(feeds[0].n_items, 2);
	store_feeds_free(feeds, n);
	assert_int_equal(store_feed_list(c->s, "broken", &feeds, &n, &err), 0);
	assert_string_equal(feeds[0].fetch.last_error, "HTTP 500");
	assert_int_equal(feeds[0].n_items, 0);
	store_feeds_free(feeds, n);
	/* The ids the results name are the stored ones. */
	n = list(c->s, &all, &v);
	assert_int_equal(n, 3);
	assert_true(v[0].id == rc.new_ids[0] || v[0].id == ra.new_ids[0] ||
	    v[0].id == ra.new_ids[1]);
	store_items_free(v, n);
	store_apply_result_clear(&ra);
	store_apply_result_clear(&rc);
	feed_free(da);
	feed_free(db);
	feed_free(dc);

	/* A rolled back batch leaves nothing, and the store goes on. */
	sql_exec(c->path, "DROP TRIGGER boom");
	da = feed_new("Late");
	feed_add(da, "l1", "Rolled back", NULL, "<p>ephemeral words</p>");
	assert_int_equal(store_batch_begin(c->s, &err), 0);
	assert_int_equal(store_batch_begin(c->s, &err), -1);	/* no nesting */
	free(err);
	err = NULL;
	assert_int_equal(store_feed_apply(c->s, fd, da, &o, &ra, &err), 0);
	store_apply_result_clear(&ra);
	store_batch_rollback(c->s);
	assert_int_equal(count(c->s, &all), 3);
	q.search = "ephemeral";
	assert_int_equal(count(c->s, &q), 0);
	assert_int_equal(store_batch_commit(c->s, &err), -1);	/* none open */
	free(err);
	err = NULL;
	assert_int_equal(store_feed_apply(c->s, fd, da, &o, &ra, &err), 0);
	assert_int_equal(ra.n_new, 1);
	store_apply_result_clear(&ra);
	assert_int_equal(count(c->s, &q), 1);
	feed_free(da);
	sql_exec(c->path, "INSERT INTO items_fts (items_fts) "
	    "VALUES ('integrity-check')");
}

static void
test_busy(void **state)
{
	struct ctx *c = *state;
	int64_t fid = ensure(c->s, "busy"), id;
	struct store_filter all = { .all_copies = true };
	struct store_apply_opts o = { .now = NOW };
	struct store_apply_result r;
	struct feed *d;
	sqlite3 *other;
	char *err = NULL;
	int64_t pos;
	bool is_new;

	d = big_feed("one", 3);
	r = apply(c->s, fid, d, NOW, STORE_ON_UPDATE_KEEP);
	id = r.new_ids[0];
	store_apply_result_clear(&r);
	feed_free(d);

	assert_int_equal(store_exec(c->s, "PRAGMA busy_timeout = 50", &err), 0);
	assert_int_equal(sqlite3_open(c->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);

	d = big_feed("two", 3);
	assert_int_equal(store_feed_apply(c->s, fid, d, &o, &r, &err), -1);
	assert_non_null(strstr(err, "locked"));
	free(err);
	err = NULL;
	{
		struct store_filter f = { .ids = &id, .n_ids = 1 };

		assert_int_equal(store_mark(c->s, &f, STORE_MARK_READ, NOW,
		    NULL, NULL, &err), -1);
		free(err);
		err = NULL;
	}
	assert_int_equal(store_cursor_lease(c->s, "c", "h", 1, 1, &pos,
	    &is_new, &err), -1);
	free(err);
	err = NULL;
	/* Reads still work (WAL), and nothing was lost. */
	assert_int_equal(count(c->s, &all), 3);

	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	assert_int_equal(store_feed_apply(c->s, fid, d, &o, &r, &err), 0);
	assert_int_equal(r.n_new, 3);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(count(c->s, &all), 6);
}

static void
test_stats(void **state)
{
	struct ctx *c = *state;
	int64_t fa = ensure(c->s, "wire"), fb = ensure(c->s, "daily");
	struct store_apply_result r;
	struct store_stats st;
	struct feed *d;
	char *err = NULL;

	d = feed_new(NULL);
	feed_add(d, "w", "Reservoirs", "https://w.example/1", wire_a);
	feed_add(d, "o", "Tram", "https://w.example/2", other_story);
	r = apply(c->s, fa, d, NOW, STORE_ON_UPDATE_KEEP);
	store_apply_result_clear(&r);
	feed_free(d);
	d = feed_new(NULL);
	feed_add(d, "d", "Water", "https://d.example/1", wire_b);
	r = apply(c->s, fb, d, NOW, STORE_ON_UPDATE_KEEP);
	mark(c->s, r.new_ids[0], STORE_MARK_STAR, 1);
	store_apply_result_clear(&r);
	feed_free(d);
	assert_int_equal(store_feed_remove(c->s, "daily", &err), 0);

	assert_int_equal(store_stats(c->s, &st, &err), 0);
	assert_int_equal(st.n_feeds, 1);
	assert_int_equal(st.n_items, 3);
	assert_int_equal(st.n_unread, 3);
	assert_int_equal(st.n_unread_stories, 2);
	assert_int_equal(st.n_stories, 2);
	assert_int_equal(st.n_starred, 1);
	assert_int_equal(st.n_tombstones, 0);
	assert_true(st.db_bytes > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_open_creates_and_reopens),
		T(test_open_refuses_bad_files),
		T(test_migrations_from_every_version),
		T(test_feeds),
		T(test_apply_new_unchanged_changed),
		T(test_guid_churn_and_rekeying),
		T(test_cross_feed_url_and_guid),
		T(test_text_similarity_and_read_marks),
		T(test_list_filters),
		T(test_search),
		T(test_search_index_late),
		T(test_articles),
		T(test_cursors),
		T(test_retention),
		T(test_retention_moves_story_head),
		T(test_fingerprint_window),
		T(test_fingerprint_index),
		T(test_housekeeping_per_feed),
		T(test_maintain_vacuums),
		T(test_disk_full),
		T(test_batch),
		T(test_busy),
		T(test_stats),
#undef T
	};

	now_at_start = (int64_t)time(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
