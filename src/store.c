/*
 * store: feedd's SQLite database -- schema and migrations, feeds, items
 * and their stories, read state, full-text search, digest cursors and
 * housekeeping.  The only file that speaks SQL.  See store.h.
 *
 * Decisions worth knowing:
 * - Schema changes are a list of migrations (data, below), applied in
 *   order at open, each in its own transaction with the user_version bump;
 *   a new database is built by running them all, so every upgrade path is
 *   the path a fresh database takes.
 * - WAL, synchronous=NORMAL for feed applies (a power cut can lose the
 *   last applied feeds, which the next fetch brings back; a process crash
 *   loses nothing committed) and synchronous=FULL for what only the user
 *   can recreate: read/star marks, cursors, feed definitions.
 * - Identities live in item_keys (feed, key) -> item, apart from items:
 *   one item may be known under several keys (feeds whose ids change on
 *   every fetch, re-keyed CMS migrations), and a deleted item leaves its
 *   keys behind as tombstones (item_id NULL) so that it never comes back
 *   as new while the feed still lists it.
 * - A story is its first item's id: items.story_id, equal to id for the
 *   story's head.  Read state is kept equal across a story's copies, so
 *   "unread stories" is the partial index items_unread_heads.
 * - Full-text search: an FTS5 table with external content (the items
 *   table: title, body_text, article_text), so the text is stored once.
 *   body_text is the plain text of content/summary: indexing HTML would
 *   index markup, and the same text feeds the fingerprints.
 * - New items join the index late: it holds exactly the items up to
 *   fts_state.indexed_to, and store_index() adds the ones after, in
 *   slices, when the daemon is idle -- or all at once before a search,
 *   so a search never misses an item.  Indexing is a third of the work
 *   of storing new items (FTS5 tokenises about 25 MB of text a second
 *   here), and a refresh that stores thousands need not wait for it.
 *   The index is kept in sync by this file, not by triggers: FTS5
 *   flushes its pending terms into a new segment at every statement
 *   savepoint, and an insert that fires a trigger opens one, so a
 *   trigger-kept index wrote one segment per item (measured: 40% of the
 *   cost of storing a feed).  Changes to indexed items are queued and
 *   written just before COMMIT (a batch's savepoints roll back their part
 *   of the queue).  Only this file writes items, so nothing else can let
 *   the index drift (a hand-made DELETE leaves stale index entries, which
 *   queries ignore since they join items).
 * - Near-duplicate fingerprints are kept (items.fingerprint) only for
 *   items first seen in the last DEDUP_WINDOW: copies of a story appear
 *   within days.  Their band index lives in memory (fpindex.h), built
 *   from those fingerprints at the first lookup and kept in step by every
 *   change made here; a rollback drops it, to be built again from what
 *   the database then holds.  It was a table until schema version 5, and
 *   maintaining it cost half the time of storing new items.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "date.h"
#include "dedup.h"
#include "fpindex.h"
#include "parse.h"
#include "store.h"
#include "url.h"
#include "util.h"

/* PRAGMA application_id: "feed". */
#define STORE_APP_ID		0x66656564
#define BUSY_TIMEOUT_MS		1000
/* Near-duplicate matching looks this far back. */
#define DEDUP_WINDOW		(30 * 86400)
/* A tombstone goes once its feed has not listed it for this long. */
#define TOMBSTONE_GRACE		(2 * 86400)
/* item_keys.listed is refreshed at most this often (saves writes). */
#define LISTED_REFRESH		86400
/* Candidates checked for one new item. */
#define MAX_CANDIDATES		64
/* Quick check at open only below this size: start-up stays fast. */
#define QUICK_CHECK_MAX_BYTES	(64 * 1024 * 1024)
/* Longest values stored; feeds are untrusted. */
#define MAX_KEY			1024
#define MAX_SHORT		(16 * 1024)	/* title, author, links, guid */
#define MAX_BODY		(4 * 1024 * 1024) /* summary, content, article */
/* Dynamic (filter) statements kept prepared. */
#define DYN_CACHE		24

enum story_reason {
	REASON_NONE = 0,
	REASON_GUID,
	REASON_URL,
	REASON_TEXT,
};

/* ---- the statements ---- */

enum st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_FEED_GET_BY_NAME,
	ST_FEED_INSERT,
	ST_FEED_RECONFIGURE,
	ST_FEED_REVIVE,
	ST_FEED_REMOVE,
	ST_FEED_EXISTS,
	ST_FEED_SAVE_FETCH,
	ST_FEED_SET_OPTIONS,
	ST_FEED_LIST_ALL,
	ST_FEED_LIST_ONE,
	ST_FEED_APPLIED,
	ST_NEXT_ID,
	ST_KEY_GET,
	ST_KEY_TOUCH,
	ST_KEY_SET_HASH,
	ST_KEY_PUT,
	ST_KEY_BY_HASH,
	ST_FEED_BY_CANON,
	ST_OTHER_BY_GUID,
	ST_OTHER_BY_CANON,
	ST_CANON_IN_FEED,
	ST_FEED_COUNT_NEW,
	ST_FP_LOAD,
	ST_ITEM_COMPARE,
	ST_ITEM_INSERT,
	ST_ITEM_UPDATE,
	ST_ITEM_FP_GET,
	ST_ITEM_FEED,
	ST_ITEM_FP_SET,
	ST_STORY_UNREAD,
	ST_STORY_SIZE,
	ST_STORY_JOIN,
	ST_COPIES,
	ST_ARTICLE_OK,
	ST_ARTICLE_STATUS,
	ST_CURSOR_GET,
	ST_CURSOR_INSERT,
	ST_CURSOR_LEASE,
	ST_CURSOR_COMMIT,
	ST_CURSOR_RELEASE,
	ST_ITEM_DELETE,
	ST_STORY_MIN,
	ST_STORY_MOVE,
	ST_TOMB_SCAN,
	ST_TOMB_DELETE,
	ST_FEED_LAST_APPLY,
	ST_FP_EXPIRED,
	ST_STATS,
	ST_FTS_INSERT,
	ST_FTS_DELETE,
	ST_ITEM_FTS_OLD,
	ST_FTS_TO,
	ST_FTS_HI,
	ST_FTS_CATCH_UP,
	ST_FTS_SET_TO,
	ST_FTS_PENDING,
	ST__MAX
};

#define ITEM_COLS_PLAIN \
	"i.id, i.feed_id, f.name, i.key, i.guid, i.link, i.canonical_link, " \
	"i.title, i.author, i.published, i.updated, i.first_seen, i.read, " \
	"i.read_at, i.starred, i.starred_at, i.story_id, i.story_reason, " \
	"i.story_similarity, i.extract_status"
#define ITEM_COLS_BODIES \
	", i.summary, i.content, i.extract_error, i.article_title, " \
	"i.article_byline, i.article_text, i.article_html"

static const char *const st_sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT feed",
	[ST_RELEASE] = "RELEASE feed",
	[ST_ROLLBACK_TO] = "ROLLBACK TO feed",
	[ST_FEED_GET_BY_NAME] =
	    "SELECT id, config_url, origin, removed FROM feeds WHERE name = ?",
	[ST_FEED_INSERT] =
	    "INSERT INTO feeds (name, config_url, origin) VALUES (?, ?, ?)",
	[ST_FEED_RECONFIGURE] =
	    "UPDATE feeds SET config_url = ?, url = NULL, etag = NULL, "
	    "last_modified = NULL, next_due = 0, error_streak = 0, "
	    "disabled = 0 WHERE id = ?",
	[ST_FEED_REVIVE] =
	    "UPDATE feeds SET removed = 0, origin = ? WHERE id = ?",
	[ST_FEED_REMOVE] =
	    "UPDATE feeds SET removed = 1 WHERE name = ?",
	[ST_FEED_EXISTS] = "SELECT id FROM feeds WHERE name = ?",
	[ST_FEED_SAVE_FETCH] =
	    "UPDATE feeds SET url = ?, etag = ?, last_modified = ?, "
	    "last_fetch = ?, last_success = ?, next_due = ?, "
	    "error_streak = ?, last_status = ?, last_error = ?, "
	    "disabled = ? WHERE id = ?",
	[ST_FEED_SET_OPTIONS] =
	    "UPDATE feeds SET fulltext = ?, options = json(?) WHERE name = ?",
#define FEED_COLS \
	"id, name, config_url, origin, removed, fulltext, options, title, " \
	"site_link, url, etag, last_modified, last_fetch, last_success, " \
	"next_due, error_streak, last_status, last_error, disabled, " \
	"n_items, n_unread"
	[ST_FEED_LIST_ALL] =
	    "SELECT " FEED_COLS " FROM feeds WHERE removed = 0 ORDER BY name",
	[ST_FEED_LIST_ONE] = "SELECT " FEED_COLS " FROM feeds WHERE name = ?",
	[ST_FEED_APPLIED] =
	    "UPDATE feeds SET title = ?, site_link = ?, last_apply = ? "
	    "WHERE id = ?",
	[ST_NEXT_ID] =
	    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence "
	    "WHERE name = 'items'), 0), coalesce((SELECT max(id) FROM items), 0))",
	[ST_KEY_GET] =
	    "SELECT item_id, content_hash, listed FROM item_keys "
	    "WHERE feed_id = ? AND key = ?",
	[ST_KEY_TOUCH] =
	    "UPDATE item_keys SET listed = ? WHERE feed_id = ? AND key = ?",
	[ST_KEY_SET_HASH] =
	    "UPDATE item_keys SET content_hash = ?, listed = ? "
	    "WHERE feed_id = ? AND key = ?",
	[ST_KEY_PUT] =
	    "INSERT INTO item_keys (feed_id, key, item_id, content_hash, listed) "
	    "VALUES (?, ?, ?, ?, ?)",
	/*
	 * Without INDEXED BY, SQLite 3.40 walks the whole feed's keys by the
	 * primary key (feed_id, key) instead: a feed of 100,000 items took
	 * minutes to store (issue 8).
	 */
	[ST_KEY_BY_HASH] =
	    "SELECT k.item_id, i.canonical_link, i.content_hash FROM item_keys k "
	    "INDEXED BY item_keys_hash "
	    "LEFT JOIN items i ON i.id = k.item_id "
	    "WHERE k.feed_id = ? AND k.content_hash = ? LIMIT 8",
	[ST_FEED_BY_CANON] =
	    "SELECT id, title, content_hash FROM items "
	    "WHERE canonical_link = ? AND feed_id = ? LIMIT 8",
	[ST_OTHER_BY_GUID] =
	    "SELECT id, story_id, read, read_at, feed_id FROM items "
	    "WHERE guid = ? AND feed_id != ? ORDER BY id LIMIT 1",
	[ST_OTHER_BY_CANON] =
	    "SELECT id, story_id, read, read_at, feed_id FROM items "
	    "WHERE canonical_link = ? AND feed_id != ? ORDER BY id LIMIT 1",
	/* The link must name one item in that feed, too. */
	[ST_CANON_IN_FEED] =
	    "SELECT count(*) FROM (SELECT 1 FROM items WHERE canonical_link = ? "
	    "AND feed_id = ? LIMIT 2)",
	[ST_FEED_COUNT_NEW] =
	    "UPDATE feeds SET n_items = n_items + ?, n_unread = n_unread + ? "
	    "WHERE id = ?",
	/* Newest first: what the index keeps when there are too many. */
	[ST_FP_LOAD] =
	    "SELECT id, feed_id, sort_time, fingerprint FROM items "
	    "INDEXED BY items_fp_recent "
	    "WHERE fingerprint IS NOT NULL AND first_seen >= ? "
	    "ORDER BY id DESC LIMIT ?",
	[ST_ITEM_COMPARE] =
	    "SELECT feed_id, story_id, read, read_at, first_seen, title, "
	    "coalesce(nullif(article_text, ''), body_text) FROM items "
	    "WHERE id = ?",
	[ST_ITEM_INSERT] =
	    "INSERT INTO items (id, feed_id, key, guid, link, canonical_link, "
	    "title, author, published, updated, sort_time, summary, content, "
	    "content_hash, first_seen, read, read_at, story_id, story_reason, "
	    "story_similarity, body_text, fingerprint) VALUES (?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_ITEM_UPDATE] =
	    "UPDATE items SET guid = ?1, link = ?2, canonical_link = ?3, "
	    "title = ?4, author = ?5, published = ?6, updated = ?7, "
	    "sort_time = min(coalesce(?8, first_seen), first_seen), "
	    "summary = ?9, content = ?10, content_hash = ?11, "
	    "body_text = ?12 WHERE id = ?13",
	[ST_ITEM_FP_GET] =
	    "SELECT fingerprint, first_seen, title, "
	    "coalesce(nullif(article_text, ''), body_text), feed_id, story_id "
	    "FROM items WHERE id = ?",
	[ST_ITEM_FEED] = "SELECT feed_id, sort_time FROM items WHERE id = ?",
	[ST_ITEM_FP_SET] = "UPDATE items SET fingerprint = ? WHERE id = ?",
	[ST_STORY_UNREAD] =
	    "UPDATE items SET read = 0, read_at = 0 WHERE read = 1 AND "
	    "story_id = (SELECT story_id FROM items WHERE id = ?)",
	[ST_STORY_SIZE] = "SELECT count(*) FROM items WHERE story_id = ?",
	[ST_STORY_JOIN] =
	    "UPDATE items SET story_id = ?, story_reason = ?, "
	    "story_similarity = ?, read = ?, read_at = ? WHERE id = ?",
	[ST_COPIES] =
	    "SELECT i.id, f.name, i.link FROM items i "
	    "JOIN feeds f ON f.id = i.feed_id "
	    "WHERE i.story_id = ? AND i.id != ? ORDER BY i.id LIMIT 100",
	[ST_ARTICLE_OK] =
	    "UPDATE items SET extract_status = ?, extract_error = ?, "
	    "article_title = ?, article_byline = ?, article_text = ?, "
	    "article_html = ? WHERE id = ?",
	[ST_ARTICLE_STATUS] =
	    "UPDATE items SET extract_status = ?, extract_error = ? "
	    "WHERE id = ?",
	[ST_CURSOR_GET] =
	    "SELECT position, committed, holder, lease_until FROM cursors "
	    "WHERE name = ?",
	[ST_CURSOR_INSERT] =
	    "INSERT INTO cursors (name, holder, lease_until) VALUES (?, ?, ?)",
	[ST_CURSOR_LEASE] =
	    "UPDATE cursors SET holder = ?, lease_until = ? WHERE name = ?",
	[ST_CURSOR_COMMIT] =
	    "UPDATE cursors SET position = max(position, ?), committed = 1, "
	    "holder = NULL, lease_until = 0 WHERE name = ? AND holder = ?",
	[ST_CURSOR_RELEASE] =
	    "UPDATE cursors SET holder = NULL, lease_until = 0 "
	    "WHERE name = ? AND holder = ?",
	[ST_ITEM_DELETE] =
	    "DELETE FROM items WHERE id = ? "
	    "RETURNING story_id, title, body_text, article_text, fingerprint",
	[ST_FTS_INSERT] =
	    "INSERT INTO items_fts (rowid, title, body_text, article_text) "
	    "VALUES (?, ?, ?, ?)",
	[ST_FTS_DELETE] =
	    "INSERT INTO items_fts (items_fts, rowid, title, body_text, "
	    "article_text) VALUES ('delete', ?, ?, ?, ?)",
	[ST_ITEM_FTS_OLD] =
	    "SELECT title, body_text, article_text FROM items WHERE id = ?",
	[ST_FTS_TO] = "SELECT indexed_to FROM fts_state",
	/* The last of the next ?2 items after ?1, or the last item. */
	[ST_FTS_HI] =
	    "SELECT coalesce((SELECT id FROM items WHERE id > ?1 ORDER BY id "
	    "LIMIT 1 OFFSET ?2 - 1), (SELECT max(id) FROM items), 0)",
	[ST_FTS_CATCH_UP] =
	    "INSERT INTO items_fts (rowid, title, body_text, article_text) "
	    "SELECT id, title, body_text, article_text FROM items "
	    "WHERE id > ?1 AND id <= ?2",
	[ST_FTS_SET_TO] = "UPDATE fts_state SET indexed_to = ?",
	[ST_FTS_PENDING] =
	    "SELECT coalesce((SELECT max(id) FROM items), 0) > "
	    "(SELECT indexed_to FROM fts_state)",
	[ST_STORY_MIN] = "SELECT min(id) FROM items WHERE story_id = ?",
	[ST_STORY_MOVE] =
	    "UPDATE items SET story_id = ?1, story_reason = CASE WHEN id = ?1 "
	    "THEN 0 ELSE story_reason END, story_similarity = CASE WHEN "
	    "id = ?1 THEN NULL ELSE story_similarity END WHERE story_id = ?2",
	[ST_TOMB_SCAN] =
	    "SELECT key, listed FROM item_keys WHERE item_id IS NULL "
	    "AND feed_id = ? AND key > ? ORDER BY key LIMIT ?",
	[ST_TOMB_DELETE] =
	    "DELETE FROM item_keys WHERE feed_id = ? AND key = ? "
	    "AND item_id IS NULL",
	[ST_FEED_LAST_APPLY] = "SELECT last_apply FROM feeds WHERE id = ?",
	[ST_FP_EXPIRED] =
	    "SELECT id, fingerprint FROM items WHERE feed_id = ? AND "
	    "fingerprint IS NOT NULL AND first_seen < ? LIMIT ?",
	[ST_STATS] =
	    "SELECT (SELECT count(*) FROM feeds WHERE removed = 0), "
	    "(SELECT coalesce(sum(n_items), 0) FROM feeds), "
	    "(SELECT coalesce(sum(n_unread), 0) FROM feeds), "
	    "(SELECT count(*) FROM items WHERE read = 0 AND story_id = id), "
	    "(SELECT count(*) FROM items WHERE starred = 1), "
	    "(SELECT count(*) FROM items WHERE story_id = id), "
	    "(SELECT count(*) FROM item_keys WHERE item_id IS NULL), "
	    "(SELECT page_count * page_size FROM pragma_page_count(), "
	    "pragma_page_size())",
};

struct dyn_stmt {
	char		*sql;		/* owned; the cache key */
	sqlite3_stmt	*st;		/* owned */
	uint64_t	 used;		/* for LRU eviction */
};

/* Where a sliced retention run stands between calls. */
struct retention_pos {
	bool		 active;
	int64_t		 scope;		/* the run's feed, 0: every feed */
	int		 phase;
	int64_t		 t;		/* walk position: time and id */
	int64_t		 id;
	int64_t		 feed;		/* the feed being tidied */
	bool		 started;	/* count walk: past the offset */
	char		*key;		/* tombstone position: owned */
};

/* A change to the full-text index, written at COMMIT (see the top). */
struct fts_op {
	bool		 del;		/* remove these values, else add them */
	int64_t		 id;
	char		*title;		/* owned, each may be NULL */
	char		*body;
	char		*article;
};

struct store {
	sqlite3		*db;		/* owned */
	char		*path;		/* owned */
	sqlite3_stmt	*st[ST__MAX];	/* owned; prepared on first use */
	struct dyn_stmt	 dyn[DYN_CACHE];
	uint64_t	 dyn_clock;
	bool		 sync_full;	/* current PRAGMA synchronous */
	struct retention_pos ret;
	struct fts_op	*fts;		/* owned; this transaction's changes */
	size_t		 n_fts;
	size_t		 cap_fts;
	bool		 batch;		/* store_batch_begin()'s is open */
	bool		 ready;		/* opened and migrated */
	int64_t		 fts_to;	/* indexed_to, while a transaction is open */
	struct fpindex	*fpi;		/* owned; NULL: built when needed */
};

/* ---- errors and statement helpers ---- */

static int
fail(char **ret_err, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int
fail(char **ret_err, const char *fmt, ...)
{
	va_list ap;

	if (ret_err != NULL) {
		va_start(ap, fmt);
		*ret_err = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A database error, naming the file: "PATH: what: sqlite's message". */
static int
db_fail(struct store *s, char **ret_err, const char *what)
{
	const char *msg = sqlite3_errmsg(s->db);

	if (sqlite3_errcode(s->db) == SQLITE_FULL)
		msg = "database or disk is full";
	return fail(ret_err, "%s: %s: %s", s->path, what, msg);
}

static sqlite3_stmt *
st_get(struct store *s, enum st id, char **ret_err)
{
	if (s->st[id] == NULL &&
	    sqlite3_prepare_v3(s->db, st_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL) != SQLITE_OK) {
		db_fail(s, ret_err, "preparing a statement");
		s->st[id] = NULL;
	}
	return s->st[id];
}

/* A statement for SQL built at run time, from a small LRU cache. */
static sqlite3_stmt *
dyn_get(struct store *s, const char *sql, char **ret_err)
{
	struct dyn_stmt *d, *victim = &s->dyn[0];
	size_t i;

	for (i = 0; i < DYN_CACHE; i++) {
		d = &s->dyn[i];
		if (d->sql != NULL && strcmp(d->sql, sql) == 0) {
			d->used = ++s->dyn_clock;
			return d->st;
		}
		if (d->used < victim->used)
			victim = d;
	}
	if (victim->st != NULL)
		sqlite3_finalize(victim->st);
	free(victim->sql);
	victim->sql = NULL;
	victim->st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &victim->st, NULL) != SQLITE_OK) {
		db_fail(s, ret_err, "preparing a query");
		sqlite3_finalize(victim->st);
		victim->st = NULL;
		return NULL;
	}
	victim->sql = xstrdup(sql);
	victim->used = ++s->dyn_clock;
	return victim->st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Text capped at max bytes (cut at a UTF-8 boundary). */
static void
bind_text_max(sqlite3_stmt *st, int i, const char *v, size_t max)
{
	size_t n;

	if (v == NULL) {
		sqlite3_bind_null(st, i);
		return;
	}
	n = utf8_cut(v, strlen(v), max);
	sqlite3_bind_text(st, i, v, (int)n, SQLITE_STATIC);
}

/* A copy of v cut to max bytes at a UTF-8 boundary, or NULL. */
static char *
capped(const char *v, size_t max)
{
	if (v == NULL)
		return NULL;
	return xstrndup(v, utf8_cut(v, strlen(v), max));
}

static void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == DATE_NONE)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

static char *
col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v == NULL ? NULL : xstrdup((const char *)v);
}

static int64_t
col_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return DATE_NONE;
	return sqlite3_column_int64(st, i);
}

/* Reads an item's indexed text, to take it out of the index. */
static int
fts_old(struct store *s, int64_t id, char **title, char **body,
    char **article, char **ret_err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = st_get(s, ST_ITEM_FTS_OLD, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*title = col_str(st, 0);
		*body = col_str(st, 1);
		*article = col_str(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? fail(ret_err, "no item %" PRId64,
		    id) : db_fail(s, ret_err, "reading an item");
	return 0;
}

/*
 * Steps a statement (parameters bound) that yields at most one row with
 * an integer first: *ret, or 0 when there is no row.  Resets it.
 */
static int
st_int(struct store *s, sqlite3_stmt *st, int64_t *ret, char **ret_err,
    const char *what)
{
	int rc = sqlite3_step(st);

	*ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_fail(s, ret_err, what);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Steps a statement that returns no row, then resets it. */
static int
st_exec(struct store *s, sqlite3_stmt *st, char **ret_err, const char *what)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_fail(s, ret_err, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* Runs SQL text (several statements, no parameters). */
static int
exec_sql(struct store *s, const char *sql, char **ret_err, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fail(ret_err, "%s: %s: %s", s->path, what,
		    sqlite3_errcode(s->db) == SQLITE_FULL ?
		    "database or disk is full" : msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Reads one integer from a one-row query. */
static int
query_int(struct store *s, const char *sql, int64_t *ret, char **ret_err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, ret_err, "reading the database");
	rc = st_int(s, st, ret, ret_err, "reading the database");
	sqlite3_finalize(st);
	return rc;
}

/* ---- transactions ---- */

/*
 * Starts a write transaction, taking the write lock at once (so a busy
 * database fails here, before any work).  durable: commit with fsync.
 */
static void	tx_rollback(struct store *);

static int
tx_begin(struct store *s, bool durable, char **ret_err)
{
	sqlite3_stmt *st;

	if (s->batch)
		return fail(ret_err, "%s: a batch of feeds is being stored",
		    s->path);
	if (durable != s->sync_full) {
		if (exec_sql(s, durable ? "PRAGMA synchronous = FULL" :
		    "PRAGMA synchronous = NORMAL", ret_err, "setting sync") == -1)
			return -1;
		s->sync_full = durable;
	}
	if ((st = st_get(s, ST_BEGIN, ret_err)) == NULL ||
	    st_exec(s, st, ret_err, "starting a transaction") == -1)
		return -1;
	/* Holding the write lock: nobody moves it until COMMIT. */
	if (s->ready && ((st = st_get(s, ST_FTS_TO, ret_err)) == NULL ||
	    st_int(s, st, &s->fts_to, ret_err, "reading the index state") == -1)) {
		tx_rollback(s);
		return -1;
	}
	return 0;
}

/* ---- the full-text index (see the note at the top) ---- */

static void
fts_queue(struct store *s, bool del, int64_t id, const char *title,
    const char *body, const char *article)
{
	struct fts_op *op;

	if (s->n_fts == s->cap_fts) {
		s->cap_fts = s->cap_fts ? s->cap_fts * 2 : 64;
		s->fts = xreallocarray(s->fts, s->cap_fts, sizeof(*s->fts));
	}
	op = &s->fts[s->n_fts++];
	op->del = del;
	op->id = id;
	op->title = title ? xstrdup(title) : NULL;
	op->body = body ? xstrdup(body) : NULL;
	op->article = article ? xstrdup(article) : NULL;
}

/* Forgets the queued changes from mark on (a rolled back savepoint's). */
static void
fts_truncate(struct store *s, size_t mark)
{
	size_t i;

	for (i = mark; i < s->n_fts; i++) {
		free(s->fts[i].title);
		free(s->fts[i].body);
		free(s->fts[i].article);
	}
	if (mark < s->n_fts)
		s->n_fts = mark;
}

static void
fts_clear(struct store *s)
{
	fts_truncate(s, 0);
}

/* Writes the queued changes, in order; the last statements before COMMIT. */
static int
fts_flush(struct store *s, char **ret_err)
{
	struct fts_op *op;
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->n_fts && rc == 0; i++) {
		op = &s->fts[i];
		if ((st = st_get(s, op->del ? ST_FTS_DELETE : ST_FTS_INSERT,
		    ret_err)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, op->id);
		bind_text(st, 2, op->title);
		bind_text(st, 3, op->body);
		bind_text(st, 4, op->article);
		rc = st_exec(s, st, ret_err, "indexing text");
	}
	fts_clear(s);
	return rc;
}

/* The band index may hold what a rollback undid: built again when needed. */
static void
fp_forget(struct store *s)
{
	fpindex_free(s->fpi);
	s->fpi = NULL;
}

static void
tx_rollback(struct store *s)
{
	sqlite3_stmt *st;

	fts_clear(s);
	fp_forget(s);
	/* SQLite may have rolled back already (e.g. on SQLITE_FULL). */
	if (sqlite3_get_autocommit(s->db))
		return;
	if ((st = st_get(s, ST_ROLLBACK, NULL)) != NULL)
		st_exec(s, st, NULL, "rolling back");
}

static int
tx_commit(struct store *s, char **ret_err)
{
	sqlite3_stmt *st;

	if (fts_flush(s, ret_err) == -1 ||
	    (st = st_get(s, ST_COMMIT, ret_err)) == NULL ||
	    st_exec(s, st, ret_err, "committing") == -1) {
		tx_rollback(s);
		return -1;
	}
	return 0;
}

/*
 * A unit of work that is a transaction of its own, or a savepoint of
 * the open batch (store_batch_begin): unit_begin, then unit_end or
 * unit_abort.  *mark remembers where the unit's index changes start.
 */
static int
unit_begin(struct store *s, size_t *mark, char **ret_err)
{
	sqlite3_stmt *st;

	*mark = s->n_fts;
	if (!s->batch)
		return tx_begin(s, false, ret_err);
	/* SQLite rolls the whole transaction back on some errors (disk
	 * full): the batch is over, and so is every unit in it. */
	if (sqlite3_get_autocommit(s->db))
		return fail(ret_err, "%s: the batch was rolled back after an "
		    "earlier error", s->path);
	if ((st = st_get(s, ST_SAVEPOINT, ret_err)) == NULL)
		return -1;
	return st_exec(s, st, ret_err, "starting a savepoint");
}

static void
unit_abort(struct store *s, size_t mark)
{
	sqlite3_stmt *st;

	if (!s->batch) {
		tx_rollback(s);
		return;
	}
	fts_truncate(s, mark);
	fp_forget(s);
	if (sqlite3_get_autocommit(s->db))
		return;
	if ((st = st_get(s, ST_ROLLBACK_TO, NULL)) != NULL)
		st_exec(s, st, NULL, "rolling back a savepoint");
	if ((st = st_get(s, ST_RELEASE, NULL)) != NULL)
		st_exec(s, st, NULL, "releasing a savepoint");
}

static int
unit_end(struct store *s, size_t mark, char **ret_err)
{
	sqlite3_stmt *st;

	if (!s->batch)
		return tx_commit(s, ret_err);
	if ((st = st_get(s, ST_RELEASE, ret_err)) == NULL ||
	    st_exec(s, st, ret_err, "releasing a savepoint") == -1) {
		unit_abort(s, mark);
		return -1;
	}
	return 0;
}

int
store_batch_begin(struct store *s, char **ret_err)
{
	if (tx_begin(s, false, ret_err) == -1)
		return -1;
	s->batch = true;
	return 0;
}

int
store_batch_commit(struct store *s, char **ret_err)
{
	if (!s->batch)
		return fail(ret_err, "%s: no batch to commit", s->path);
	s->batch = false;
	if (sqlite3_get_autocommit(s->db)) {
		fts_clear(s);
		return fail(ret_err, "%s: the batch was rolled back after an "
		    "error", s->path);
	}
	return tx_commit(s, ret_err);
}

void
store_batch_rollback(struct store *s)
{
	if (!s->batch)
		return;
	s->batch = false;
	tx_rollback(s);
}

int
store_index(struct store *s, size_t max, bool *ret_more, char **ret_err)
{
	sqlite3_stmt *st;
	int64_t pending, hi;

	*ret_more = false;
	/* A read first: no write lock taken for nothing. */
	if ((st = st_get(s, ST_FTS_PENDING, ret_err)) == NULL ||
	    st_int(s, st, &pending, ret_err, "reading the index state") == -1)
		return -1;
	if (!pending)
		return 0;
	if (tx_begin(s, false, ret_err) == -1)
		return -1;
	if ((st = st_get(s, ST_FTS_HI, ret_err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, s->fts_to);
	sqlite3_bind_int64(st, 2, (int64_t)(max > 0 ? max : 1));
	if (st_int(s, st, &hi, ret_err, "indexing text") == -1)
		goto fail;
	if (hi > s->fts_to) {
		if ((st = st_get(s, ST_FTS_CATCH_UP, ret_err)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, s->fts_to);
		sqlite3_bind_int64(st, 2, hi);
		if (st_exec(s, st, ret_err, "indexing text") == -1 ||
		    (st = st_get(s, ST_FTS_SET_TO, ret_err)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, hi);
		if (st_exec(s, st, ret_err, "indexing text") == -1)
			goto fail;
	}
	if (tx_commit(s, ret_err) == -1)
		return -1;
	if ((st = st_get(s, ST_FTS_PENDING, ret_err)) == NULL ||
	    st_int(s, st, &pending, ret_err, "reading the index state") == -1)
		return -1;
	*ret_more = pending != 0;
	return 0;
fail:
	tx_rollback(s);
	return -1;
}

/* Before a search: every item in the index (see the top). */
static int
index_all(struct store *s, char **ret_err)
{
	bool more = true;

	/* Slices: FTS5 holds a slice's terms in memory until COMMIT. */
	while (more)
		if (store_index(s, 1024, &more, ret_err) == -1)
			return -1;
	return 0;
}

/* ---- schema ---- */

/*
 * Version 1: feeds, items, identities, cursors.  Large columns (summary,
 * content) come last in items, so that listing reads no overflow pages.
 */
static const char schema_v1[] =
	"CREATE TABLE feeds ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" config_url TEXT NOT NULL,"
	" origin INTEGER NOT NULL DEFAULT 0,"
	" removed INTEGER NOT NULL DEFAULT 0,"
	" title TEXT,"
	" site_link TEXT,"
	" url TEXT,"
	" etag TEXT,"
	" last_modified TEXT,"
	" last_fetch INTEGER NOT NULL DEFAULT 0,"
	" last_success INTEGER NOT NULL DEFAULT 0,"
	" next_due INTEGER NOT NULL DEFAULT 0,"
	" error_streak INTEGER NOT NULL DEFAULT 0,"
	" last_status INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" last_apply INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE items ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" guid TEXT,"
	" link TEXT,"
	" canonical_link TEXT,"
	" title TEXT,"
	" author TEXT,"
	" published INTEGER,"
	" updated INTEGER,"
	" sort_time INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" content_hash INTEGER NOT NULL,"
	" read INTEGER NOT NULL DEFAULT 0,"
	" read_at INTEGER NOT NULL DEFAULT 0,"
	" starred INTEGER NOT NULL DEFAULT 0,"
	" starred_at INTEGER NOT NULL DEFAULT 0,"
	" story_id INTEGER NOT NULL,"
	" story_reason INTEGER NOT NULL DEFAULT 0,"
	" story_similarity REAL,"
	" extract_status INTEGER NOT NULL DEFAULT 0,"
	" summary TEXT,"
	" content TEXT);"
	"CREATE INDEX items_feed ON items (feed_id, sort_time);"
	"CREATE INDEX items_story ON items (story_id);"
	"CREATE INDEX items_canonical ON items (canonical_link)"
	" WHERE canonical_link IS NOT NULL;"
	"CREATE INDEX items_guid ON items (guid) WHERE guid IS NOT NULL;"
	"CREATE INDEX items_sort ON items (sort_time);"
	"CREATE INDEX items_first_seen ON items (first_seen);"
	"CREATE INDEX items_unread_heads ON items (sort_time)"
	" WHERE read = 0 AND story_id = id;"
	"CREATE INDEX items_starred ON items (starred_at) WHERE starred = 1;"
	"CREATE INDEX items_pending ON items (id) WHERE extract_status = 1;"
	"CREATE TABLE item_keys ("
	" feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" item_id INTEGER REFERENCES items (id) ON DELETE SET NULL,"
	" content_hash INTEGER NOT NULL,"
	" listed INTEGER NOT NULL,"
	" PRIMARY KEY (feed_id, key)) WITHOUT ROWID;"
	"CREATE INDEX item_keys_item ON item_keys (item_id);"
	"CREATE INDEX item_keys_hash ON item_keys (feed_id, content_hash);"
	"CREATE TABLE cursors ("
	" name TEXT PRIMARY KEY,"
	" position INTEGER NOT NULL DEFAULT 0,"
	" committed INTEGER NOT NULL DEFAULT 0,"
	" holder TEXT,"
	" lease_until INTEGER NOT NULL DEFAULT 0);";

/* Version 2: extracted articles, the plain body text, full-text search. */
static const char schema_v2_before[] =
	"ALTER TABLE items ADD COLUMN body_text TEXT;"
	"ALTER TABLE items ADD COLUMN extract_error TEXT;"
	"ALTER TABLE items ADD COLUMN article_title TEXT;"
	"ALTER TABLE items ADD COLUMN article_byline TEXT;"
	"ALTER TABLE items ADD COLUMN article_text TEXT;"
	"ALTER TABLE items ADD COLUMN article_html TEXT;";

static const char schema_v2_after[] =
	"CREATE VIRTUAL TABLE items_fts USING fts5 ("
	" title, body_text, article_text,"
	" content = 'items', content_rowid = 'id',"
	" tokenize = 'unicode61 remove_diacritics 2');"
	"INSERT INTO items_fts (items_fts) VALUES ('rebuild');";

/*
 * Version 3: near-duplicate fingerprints, runtime feed options, per-feed
 * counters kept by triggers (so listing 10,000 feeds counts nothing).
 */
static const char schema_v3_before[] =
	"ALTER TABLE items ADD COLUMN fingerprint TEXT;"
	"CREATE INDEX items_fingerprint ON items (feed_id, first_seen)"
	" WHERE fingerprint IS NOT NULL;"
	"CREATE TABLE fp_bands ("
	" band INTEGER NOT NULL,"
	" item_id INTEGER NOT NULL,"
	" feed_id INTEGER NOT NULL,"
	" PRIMARY KEY (band, item_id)) WITHOUT ROWID;"
	"CREATE TRIGGER items_fp_ad AFTER DELETE ON items"
	" WHEN old.fingerprint IS NOT NULL BEGIN"
	" DELETE FROM fp_bands WHERE item_id = old.id AND band IN"
	" (SELECT value FROM json_each(old.fingerprint));"
	" END;"
	"ALTER TABLE feeds ADD COLUMN fulltext INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN options TEXT;"
	"ALTER TABLE feeds ADD COLUMN n_items INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE feeds ADD COLUMN n_unread INTEGER NOT NULL DEFAULT 0;"
	"UPDATE feeds SET"
	" n_items = (SELECT count(*) FROM items WHERE feed_id = feeds.id),"
	" n_unread = (SELECT count(*) FROM items WHERE feed_id = feeds.id"
	" AND read = 0);"
	/* Inserts are counted once per feed applied (ST_FEED_COUNT_NEW). */
	"CREATE TRIGGER items_count_ad AFTER DELETE ON items BEGIN"
	" UPDATE feeds SET n_items = n_items - 1,"
	" n_unread = n_unread - (old.read = 0) WHERE id = old.feed_id;"
	" END;"
	"CREATE TRIGGER items_count_au AFTER UPDATE OF read ON items"
	" WHEN old.read != new.read BEGIN"
	" UPDATE feeds SET n_unread = n_unread + (new.read = 0) -"
	" (old.read = 0) WHERE id = new.feed_id;"
	" END;";

/* Version 4: new fingerprint bands gather in fp_new first. */
static const char schema_v4[] =
	"CREATE TABLE fp_new ("
	" band INTEGER NOT NULL,"
	" item_id INTEGER NOT NULL,"
	" feed_id INTEGER NOT NULL,"
	" PRIMARY KEY (band, item_id)) WITHOUT ROWID;"
	"DROP TRIGGER items_fp_ad;"
	"CREATE TRIGGER items_fp_ad AFTER DELETE ON items"
	" WHEN old.fingerprint IS NOT NULL BEGIN"
	" DELETE FROM fp_bands WHERE item_id = old.id AND band IN"
	" (SELECT value FROM json_each(old.fingerprint));"
	" DELETE FROM fp_new WHERE item_id = old.id AND band IN"
	" (SELECT value FROM json_each(old.fingerprint));"
	" END;";

/*
 * Version 5: the band index moves into memory (fpindex.h), built from the
 * fingerprints through a covering index: fingerprint is the last column
 * of a row of several kilobytes, read through its overflow pages, and
 * reading 49,152 of them from a cold page cache took 6.7 s, 0.36 s so.
 * New items join the full-text index late (all items so far are in it).
 */
static const char schema_v5[] =
	"DROP TRIGGER items_fp_ad;"
	"DROP TABLE fp_new;"
	"DROP TABLE fp_bands;"
	"CREATE INDEX items_fp_recent ON items"
	" (id, feed_id, sort_time, first_seen, fingerprint)"
	" WHERE fingerprint IS NOT NULL;"
	"CREATE TABLE fts_state (indexed_to INTEGER NOT NULL);"
	"INSERT INTO fts_state SELECT coalesce(max(id), 0) FROM items;";

/*
 * Version 6: the search index merges its segments less eagerly.  New items
 * join it in slices, a segment each, and merging every four segments
 * (FTS5's default) was a third of the cost of indexing; the daily
 * maintenance merges further.  Searches are no slower.
 */
static const char schema_v6[] =
	"INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 16);"
	"INSERT INTO items_fts (items_fts, rank) VALUES ('crisismerge', 64);";

static int	migrate_v2_body_text(struct store *, char **);
static int	migrate_v3_fingerprints(struct store *, char **);

/*
 * The migrations, in order: SQL, then code that fills new columns from
 * old ones, then SQL that needs them filled.  Entry i takes the schema
 * from version i to i + 1.  Never edit a released entry: add one.
 */
static const struct migration {
	const char	*sql;
	int		(*fn)(struct store *, char **);
	const char	*sql_after;
} migrations[] = {
	{ schema_v1, NULL, NULL },
	{ schema_v2_before, migrate_v2_body_text, schema_v2_after },
	{ schema_v3_before, migrate_v3_fingerprints, NULL },
	{ schema_v4, NULL, NULL },
	{ schema_v5, NULL, NULL },
	{ schema_v6, NULL, NULL },
};

int
store_schema_version(void)
{
	return (int)ARRAY_SIZE(migrations);
}

/* v2: the plain text of existing items, for search and fingerprints. */
static int
migrate_v2_body_text(struct store *s, char **ret_err)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	char *text;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT id, content, summary FROM items",
	    -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	    "UPDATE items SET body_text = ? WHERE id = ?", -1, &upd,
	    NULL) != SQLITE_OK) {
		db_fail(s, ret_err, "migrating to version 2");
		goto out;
	}
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		text = dedup_body_text(
		    (const char *)sqlite3_column_text(sel, 1),
		    (const char *)sqlite3_column_text(sel, 2));
		bind_text(upd, 1, text);
		sqlite3_bind_int64(upd, 2, sqlite3_column_int64(sel, 0));
		rc = st_exec(s, upd, ret_err, "migrating to version 2");
		free(text);
		if (rc == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		db_fail(s, ret_err, "migrating to version 2");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return ret;
}

static int	fp_replace(struct store *, int64_t id, const char *old_json,
		    const char *title, const char *text, struct dedup_text **,
		    int64_t *bands, size_t *ret_nb, char **);

/* v3: fingerprints of the items still inside the near-duplicate window. */
static int
migrate_v3_fingerprints(struct store *s, char **ret_err)
{
	sqlite3_stmt *sel = NULL;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(s->db,
	    "SELECT id, title, coalesce(nullif(article_text, ''), body_text) "
	    "FROM items WHERE first_seen >= ?", -1, &sel, NULL) != SQLITE_OK) {
		db_fail(s, ret_err, "migrating to version 3");
		goto out;
	}
	sqlite3_bind_int64(sel, 1, (int64_t)time(NULL) - DEDUP_WINDOW);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (fp_replace(s, sqlite3_column_int64(sel, 0), NULL,
		    (const char *)sqlite3_column_text(sel, 1),
		    (const char *)sqlite3_column_text(sel, 2), NULL, NULL,
		    NULL, ret_err) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		db_fail(s, ret_err, "migrating to version 3");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(sel);
	return ret;
}

/* Brings the schema from its version to target, one migration at a time. */
static int
migrate(struct store *s, int from, int target, char **ret_err)
{
	const struct migration *m;
	char *sql;
	int v;

	for (v = from; v < target; v++) {
		m = &migrations[v];
		if (tx_begin(s, true, ret_err) == -1)
			return -1;
		sql = xasprintf("PRAGMA user_version = %d;"
		    "PRAGMA application_id = %d;", v + 1, STORE_APP_ID);
		if (exec_sql(s, m->sql, ret_err, "migrating the schema") == -1 ||
		    (m->fn != NULL && m->fn(s, ret_err) == -1) ||
		    (m->sql_after != NULL && exec_sql(s, m->sql_after, ret_err,
		    "migrating the schema") == -1) ||
		    exec_sql(s, sql, ret_err, "migrating the schema") == -1) {
			free(sql);
			tx_rollback(s);
			return -1;
		}
		free(sql);
		if (tx_commit(s, ret_err) == -1)
			return -1;
	}
	return 0;
}

/* ---- opening ---- */

static void
store_free(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < ST__MAX; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < DYN_CACHE; i++) {
		sqlite3_finalize(s->dyn[i].st);
		free(s->dyn[i].sql);
	}
	if (s->db != NULL)
		sqlite3_close(s->db);
	fts_clear(s);
	free(s->fts);
	fpindex_free(s->fpi);
	free(s->ret.key);
	free(s->path);
	free(s);
}

/*
 * Decides whether the file is a feedd database we may use, before
 * anything is written to it.  Sets *ret_version.
 */
static int
check_file(struct store *s, int *ret_version, char **ret_err)
{
	int64_t app_id, version, n_objects, bytes;
	char *msg = NULL;
	int rc;

	/* The first read of the header: "file is not a database" here. */
	if (query_int(s, "PRAGMA application_id", &app_id, NULL) == -1 ||
	    query_int(s, "PRAGMA user_version", &version, NULL) == -1 ||
	    query_int(s, "SELECT count(*) FROM sqlite_master", &n_objects,
	    NULL) == -1) {
		rc = sqlite3_errcode(s->db);
		if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
			return fail(ret_err, "%s: not a usable database (%s); "
			    "move it away or restore it from a backup", s->path,
			    sqlite3_errmsg(s->db));
		return db_fail(s, ret_err, "cannot read the database");
	}
	if (app_id != STORE_APP_ID && (app_id != 0 || n_objects > 0))
		return fail(ret_err, "%s: not a feedd database (it belongs to "
		    "another program); refusing to touch it", s->path);
	if (version > store_schema_version())
		return fail(ret_err, "%s: database schema version %" PRId64
		    " is newer than this feedd supports (%d); upgrade feedd",
		    s->path, version, store_schema_version());
	if (version == 0 && n_objects > 0)
		return fail(ret_err, "%s: not a feedd database (it has tables "
		    "but no feedd schema version)", s->path);
	/*
	 * A full check costs time in proportion to the file: only small
	 * databases get one at start-up; larger ones meet corruption when
	 * a query reads the damaged pages (an error for that operation).
	 */
	if (query_int(s, "SELECT page_count * page_size FROM "
	    "pragma_page_count(), pragma_page_size()", &bytes, ret_err) == -1)
		return -1;
	if (version > 0 && bytes <= QUICK_CHECK_MAX_BYTES) {
		sqlite3_stmt *st;
		const char *res;

		if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st,
		    NULL) != SQLITE_OK)
			return db_fail(s, ret_err, "checking the database");
		rc = sqlite3_step(st);
		res = rc == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(st, 0) : NULL;
		if (res == NULL || strcmp(res, "ok") != 0) {
			msg = xstrdup(res != NULL ? res : sqlite3_errmsg(s->db));
			sqlite3_finalize(st);
			fail(ret_err, "%s: database is corrupt (%s); move it "
			    "away or restore it from a backup", s->path, msg);
			free(msg);
			return -1;
		}
		sqlite3_finalize(st);
	}
	*ret_version = (int)version;
	return 0;
}

/*
 * Opens path and migrates it to target.  create_only: path must not
 * exist (store_create_version).
 */
static int
open_at(const char *path, int target, bool create_only, struct store **ret,
    char **ret_err)
{
	struct store *s;
	struct stat sb;
	char *mode = NULL;
	int version = 0, flags;

	if (stat(path, &sb) == 0) {
		if (create_only)
			return fail(ret_err, "%s: already exists", path);
		if (!S_ISREG(sb.st_mode))
			return fail(ret_err, "%s: not a regular file", path);
		if (access(path, R_OK | W_OK) == -1)
			return fail(ret_err, "%s: cannot read and write the "
			    "database: %s", path, strerror(errno));
	} else if (errno != ENOENT)
		return fail(ret_err, "%s: %s", path, strerror(errno));

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		if (s->db == NULL)
			fail(ret_err, "%s: cannot open the database: out of "
			    "memory", path);
		else
			db_fail(s, ret_err, "cannot open the database");
		goto fail;
	}
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		fail(ret_err, "%s: the database is read-only", path);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (check_file(s, &version, ret_err) == -1)
		goto fail;
	/*
	 * A page cache that holds the hot indexes (the default 2 MB makes
	 * every apply re-read them), and checkpoints (each an fsync of the
	 * database) every 64 MB of WAL rather than every 4 MB: a third less
	 * wall time when storing feeds.  8 MB of cache and no mmap: both
	 * count in the daemon's resident memory, which issue 9 caps at
	 * 64 MB; a cold refresh of 1,000 feeds (bench/run.py) peaked at
	 * 267 MB with 64 MB and 1 GB of mmap (most of it mapped database
	 * pages), at 45 MB with 16 MB, for the same CPU time (41 s both).
	 * Since the band index left the database (version 5), 8 MB store
	 * as fast as 16 (bench/bench_store: 5.2 s and 5.5 s).
	 */
	if (exec_sql(s, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA cache_size = -8192;"
	    "PRAGMA mmap_size = 0;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA wal_autocheckpoint = 16384;"
	    "PRAGMA journal_size_limit = 67108864;", ret_err,
	    "configuring") == -1)
		goto fail;
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1,
		    &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
			db_fail(s, ret_err, "switching to WAL mode");
			sqlite3_finalize(st);
			goto fail;
		}
		mode = col_str(st, 0);
		sqlite3_finalize(st);
		if (mode == NULL || strcmp(mode, "wal") != 0) {
			fail(ret_err, "%s: cannot use WAL mode (journal mode "
			    "stays %s)", path, mode ? mode : "unknown");
			goto fail;
		}
		free(mode);
		mode = NULL;
	}
	if (version < target && migrate(s, version, target, ret_err) == -1)
		goto fail;
	s->ready = target == store_schema_version();
	*ret = s;
	return 0;
fail:
	free(mode);
	store_free(s);
	return -1;
}

int
store_open(const char *path, struct store **ret, char **ret_err)
{
	return open_at(path, store_schema_version(), false, ret, ret_err);
}

int
store_create_version(const char *path, int version, char **ret_err)
{
	struct store *s;

	if (version < 1 || version > store_schema_version())
		return fail(ret_err, "no schema version %d", version);
	if (open_at(path, version, true, &s, ret_err) == -1)
		return -1;
	store_free(s);
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	/* Cheap, and keeps the planner's statistics current. */
	exec_sql(s, "PRAGMA optimize", NULL, "optimizing");
	store_free(s);
}

int
store_exec(struct store *s, const char *sql, char **ret_err)
{
	return exec_sql(s, sql, ret_err, "executing");
}

/* ---- feeds ---- */

int
store_feed_ensure(struct store *s, const char *name, const char *url,
    enum store_origin origin, int64_t *ret_id, char **ret_err)
{
	sqlite3_stmt *st;
	int64_t id;
	char *old_url = NULL;
	int rc;
	bool removed;
	int old_origin;

	if (name == NULL || *name == '\0' || url == NULL || *url == '\0')
		return fail(ret_err, "a feed needs a name and a URL");
	if (strlen(name) > MAX_SHORT || strlen(url) > MAX_SHORT)
		return fail(ret_err, "feed name or URL too long");
	if (tx_begin(s, true, ret_err) == -1)
		return -1;
	if ((st = st_get(s, ST_FEED_GET_BY_NAME, ret_err)) == NULL)
		goto fail;
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		old_url = col_str(st, 1);
		old_origin = sqlite3_column_int(st, 2);
		removed = sqlite3_column_int(st, 3) != 0;
		sqlite3_reset(st);
	} else if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		if ((st = st_get(s, ST_FEED_INSERT, ret_err)) == NULL)
			goto fail;
		bind_text(st, 1, name);
		bind_text(st, 2, url);
		sqlite3_bind_int(st, 3, origin);
		if (st_exec(s, st, ret_err, "adding a feed") == -1)
			goto fail;
		id = sqlite3_last_insert_rowid(s->db);
		goto done;
	} else {
		db_fail(s, ret_err, "reading feeds");
		sqlite3_reset(st);
		goto fail;
	}
	if (old_url == NULL || strcmp(old_url, url) != 0) {
		/* A new address: what was learnt about the old one is void. */
		if ((st = st_get(s, ST_FEED_RECONFIGURE, ret_err)) == NULL)
			goto fail;
		bind_text(st, 1, url);
		sqlite3_bind_int64(st, 2, id);
		if (st_exec(s, st, ret_err, "updating a feed") == -1)
			goto fail;
	}
	if (removed || old_origin != (int)origin) {
		if ((st = st_get(s, ST_FEED_REVIVE, ret_err)) == NULL)
			goto fail;
		sqlite3_bind_int(st, 1, origin);
		sqlite3_bind_int64(st, 2, id);
		if (st_exec(s, st, ret_err, "updating a feed") == -1)
			goto fail;
	}
done:
	if (tx_commit(s, ret_err) == -1)
		goto fail_committed;
	free(old_url);
	*ret_id = id;
	return 0;
fail:
	tx_rollback(s);
fail_committed:
	free(old_url);
	return -1;
}

/* The id of a feed by name; 0 if there is none. */
static int
feed_id_by_name(struct store *s, const char *name, int64_t *ret_id,
    char **ret_err)
{
	sqlite3_stmt *st;

	if ((st = st_get(s, ST_FEED_EXISTS, ret_err)) == NULL)
		return -1;
	bind_text(st, 1, name);
	return st_int(s, st, ret_id, ret_err, "reading feeds");
}

int
store_feed_remove(struct store *s, const char *name, char **ret_err)
{
	sqlite3_stmt *st;
	int64_t id;

	if (name == NULL)
		return fail(ret_err, "no feed named");
	if (tx_begin(s, true, ret_err) == -1)
		return -1;
	if (feed_id_by_name(s, name, &id, ret_err) == -1)
		goto fail;
	if (id == 0) {
		fail(ret_err, "no feed named %s", name);
		goto fail;
	}
	if ((st = st_get(s, ST_FEED_REMOVE, ret_err)) == NULL)
		goto fail;
	bind_text(st, 1, name);
	if (st_exec(s, st, ret_err, "removing a feed") == -1)
		goto fail;
	return tx_commit(s, ret_err);
fail:
	tx_rollback(s);
	return -1;
}

int
store_feed_set_options(struct store *s, const char *name, bool fulltext,
    const char *options_json, char **ret_err)
{
	sqlite3_stmt *st;
	int64_t id, is_object;
	char *q;

	if (name == NULL)
		return fail(ret_err, "no feed named");
	if (options_json != NULL) {
		if (strlen(options_json) > MAX_SHORT)
			return fail(ret_err, "feed %s: options too long", name);
		/* Checked apart so a bad value gets its own message. */
		q = sqlite3_mprintf("SELECT json_valid(%Q) AND "
		    "json_type(%Q) = 'object'", options_json, options_json);
		if (query_int(s, q, &is_object, ret_err) == -1) {
			sqlite3_free(q);
			return -1;
		}
		sqlite3_free(q);
		if (!is_object)
			return fail(ret_err, "feed %s: options are not a JSON "
			    "object", name);
	}
	if (tx_begin(s, true, ret_err) == -1)
		return -1;
	if (feed_id_by_name(s, name, &id, ret_err) == -1)
		goto fail;
	if (id == 0) {
		fail(ret_err, "no feed named %s", name);
		goto fail;
	}
	if ((st = st_get(s, ST_FEED_SET_OPTIONS, ret_err)) == NULL)
		goto fail;
	sqlite3_bind_int(st, 1, fulltext);
	bind_text(st, 2, options_json);
	bind_text(st, 3, name);
	if (st_exec(s, st, ret_err, "setting feed options") == -1)
		goto fail;
	return tx_commit(s, ret_err);
fail:
	tx_rollback(s);
	return -1;
}

static int
save_fetch(struct store *s, int64_t feed_id,
    const struct store_fetch_state *f, char **ret_err)
{
	sqlite3_stmt *st;

	if ((st = st_get(s, ST_FEED_SAVE_FETCH, ret_err)) == NULL)
		return -1;
	bind_text_max(st, 1, f->url, MAX_SHORT);
	bind_text_max(st, 2, f->etag, MAX_SHORT);
	bind_text_max(st, 3, f->last_modified, MAX_SHORT);
	sqlite3_bind_int64(st, 4, f->last_fetch);
	sqlite3_bind_int64(st, 5, f->last_success);
	sqlite3_bind_int64(st, 6, f->next_due);
	sqlite3_bind_int(st, 7, f->error_streak);
	sqlite3_bind_int(st, 8, f->last_status);
	bind_text_max(st, 9, f->last_error, MAX_SHORT);
	sqlite3_bind_int(st, 10, f->disabled);
	sqlite3_bind_int64(st, 11, feed_id);
	if (st_exec(s, st, ret_err, "saving fetch state") == -1)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return fail(ret_err, "no feed with id %" PRId64, feed_id);
	return 0;
}

int
store_feed_save_fetch(struct store *s, int64_t feed_id,
    const struct store_fetch_state *f, char **ret_err)
{
	size_t mark;

	if (unit_begin(s, &mark, ret_err) == -1)
		return -1;
	if (save_fetch(s, feed_id, f, ret_err) == -1) {
		unit_abort(s, mark);
		return -1;
	}
	return unit_end(s, mark, ret_err);
}

static void
feed_read_row(sqlite3_stmt *st, struct store_feed *f)
{
	f->id = sqlite3_column_int64(st, 0);
	f->name = col_str(st, 1);
	f->config_url = col_str(st, 2);
	f->origin = sqlite3_column_int(st, 3) == STORE_ORIGIN_RUNTIME ?
	    STORE_ORIGIN_RUNTIME : STORE_ORIGIN_CONFIG;
	f->removed = sqlite3_column_int(st, 4) != 0;
	f->fulltext = sqlite3_column_int(st, 5) != 0;
	f->options = col_str(st, 6);
	f->title = col_str(st, 7);
	f->site_link = col_str(st, 8);
	f->fetch.url = col_str(st, 9);
	f->fetch.etag = col_str(st, 10);
	f->fetch.last_modified = col_str(st, 11);
	f->fetch.last_fetch = sqlite3_column_int64(st, 12);
	f->fetch.last_success = sqlite3_column_int64(st, 13);
	f->fetch.next_due = sqlite3_column_int64(st, 14);
	f->fetch.error_streak = sqlite3_column_int(st, 15);
	f->fetch.last_status = sqlite3_column_int(st, 16);
	f->fetch.last_error = col_str(st, 17);
	f->fetch.disabled = sqlite3_column_int(st, 18) != 0;
	f->n_items = sqlite3_column_int64(st, 19);
	f->n_unread = sqlite3_column_int64(st, 20);
}

int
store_feed_list(struct store *s, const char *name, struct store_feed **ret,
    size_t *ret_n, char **ret_err)
{
	struct store_feed *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	st = st_get(s, name == NULL ? ST_FEED_LIST_ALL : ST_FEED_LIST_ONE,
	    ret_err);
	if (st == NULL)
		return -1;
	if (name != NULL)
		bind_text(st, 1, name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		memset(&v[n], 0, sizeof(v[n]));
		feed_read_row(st, &v[n++]);
	}
	if (rc != SQLITE_DONE) {
		db_fail(s, ret_err, "listing feeds");
		sqlite3_reset(st);
		store_feeds_free(v, n);
		return -1;
	}
	sqlite3_reset(st);
	*ret = v;
	*ret_n = n;
	return 0;
}

void
store_feeds_free(struct store_feed *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].config_url);
		free(v[i].options);
		free(v[i].title);
		free(v[i].site_link);
		free(v[i].fetch.url);
		free(v[i].fetch.etag);
		free(v[i].fetch.last_modified);
		free(v[i].fetch.last_error);
	}
	free(v);
}

/* ---- fingerprints and story matching ---- */

/* A story an item joins, and why. */
struct match {
	int64_t		 story_id;	/* 0: none */
	bool		 read;
	int64_t		 read_at;
	enum story_reason reason;
	double		 similarity;
};

/* "[k1,k2,...]": band keys are non-negative (52 bits). */
static char *
bands_json(const int64_t *bands, size_t n)
{
	char *out = xmalloc(n * 21 + 3), *p = out, digits[24];
	uint64_t v;
	size_t i, k;

	*p++ = '[';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		v = (uint64_t)bands[i];
		k = 0;
		do {
			digits[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		while (k > 0)
			*p++ = digits[--k];
	}
	*p++ = ']';
	*p = '\0';
	return out;
}

/* The bands of a fingerprint bands_json() wrote; 0 if it is not one. */
static size_t
bands_parse(const char *json, int64_t *bands)
{
	const char *p = json;
	char *end;
	size_t n = 0;

	if (json == NULL || *p++ != '[')
		return 0;
	while (n < DEDUP_BANDS) {
		if (*p < '0' || *p > '9')
			return 0;
		bands[n++] = strtoll(p, &end, 10);
		p = end;
		if (*p != (n < DEDUP_BANDS ? ',' : ']'))
			return 0;
		p++;
	}
	return *p == '\0' ? n : 0;
}

/*
 * Builds the band index from the fingerprints of the window, unless it
 * is there.  Reads inside the open transaction: it sees that
 * transaction's own items, and fp_forget() drops it if they go.
 */
static int
fp_load(struct store *s, int64_t now, char **ret_err)
{
	int64_t bands[DEDUP_BANDS];
	sqlite3_stmt *st;
	int rc;

	if (s->fpi != NULL)
		return 0;
	if ((st = st_get(s, ST_FP_LOAD, ret_err)) == NULL)
		return -1;
	s->fpi = fpindex_new();
	sqlite3_bind_int64(st, 1, now - DEDUP_WINDOW);
	sqlite3_bind_int64(st, 2, FPINDEX_MAX_ITEMS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (bands_parse((const char *)sqlite3_column_text(st, 3),
		    bands) == DEDUP_BANDS)
			fpindex_add(s->fpi, sqlite3_column_int64(st, 0),
			    sqlite3_column_int64(st, 1),
			    sqlite3_column_int64(st, 2), bands);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fp_forget(s);
		return db_fail(s, ret_err, "reading fingerprints");
	}
	return 0;
}

/* Indexes a new fingerprint, if the index is built (else its build will). */
static void
fp_add(struct store *s, int64_t id, int64_t feed_id, int64_t time,
    const int64_t *bands, size_t n)
{
	if (s->fpi != NULL && n == DEDUP_BANDS)
		fpindex_add(s->fpi, id, feed_id, time, bands);
}

/* Takes a fingerprint (as stored, may be NULL) out of the index. */
static void
fp_drop(struct store *s, int64_t id, const char *json)
{
	int64_t bands[DEDUP_BANDS];

	if (s->fpi != NULL && bands_parse(json, bands) == DEDUP_BANDS)
		fpindex_remove(s->fpi, id, bands);
}

/*
 * (Re)writes the fingerprint of item id from its title and best text,
 * dropping the bands of its old one (old_json, may be NULL).  The text
 * and its bands are handed back when ret_text is not NULL.
 */
static int
fp_replace(struct store *s, int64_t id, const char *old_json,
    const char *title, const char *text, struct dedup_text **ret_text,
    int64_t *bands, size_t *ret_nb, char **ret_err)
{
	struct dedup_text *t;
	int64_t b[DEDUP_BANDS], feed_id, time;
	sqlite3_stmt *st;
	char *json = NULL;
	size_t nb;
	int rc;

	fp_drop(s, id, old_json);
	if ((st = st_get(s, ST_ITEM_FEED, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	feed_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	time = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? fail(ret_err, "no item %" PRId64,
		    id) : db_fail(s, ret_err, "reading an item");
	rc = -1;
	t = dedup_text_new(title, text);
	nb = dedup_text_bands(t, b);
	if (nb > 0)
		json = bands_json(b, nb);
	if ((st = st_get(s, ST_ITEM_FP_SET, ret_err)) == NULL)
		goto out;
	bind_text(st, 1, json);
	sqlite3_bind_int64(st, 2, id);
	if (st_exec(s, st, ret_err, "saving a fingerprint") == -1)
		goto out;
	fp_add(s, id, feed_id, time, b, nb);
	rc = 0;
	if (ret_text != NULL) {
		*ret_text = t;
		t = NULL;
		memcpy(bands, b, sizeof(b));
		*ret_nb = nb;
	}
out:
	dedup_text_free(t);
	free(json);
	return rc;
}

/*
 * Level 3: the most similar recent item of another feed whose text makes
 * it the same story as t.  Candidates come from the band index only.
 */
static int
find_text_match(struct store *s, int64_t feed_id, int64_t now,
    struct dedup_text *t, const int64_t *bands, size_t nb,
    struct match *ret, char **ret_err)
{
	int64_t cand[MAX_CANDIDATES];
	size_t n, i;
	struct dedup_text *ct;
	sqlite3_stmt *st;
	double sim;
	int rc;

	if (nb != DEDUP_BANDS)
		return 0;
	if (fp_load(s, now, ret_err) == -1)
		return -1;
	n = fpindex_find(s->fpi, bands, feed_id, cand, MAX_CANDIDATES);
	if ((st = st_get(s, ST_ITEM_COMPARE, ret_err)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, cand[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) != feed_id &&
		    sqlite3_column_int64(st, 4) >= now - DEDUP_WINDOW) {
			ct = dedup_text_new(
			    (const char *)sqlite3_column_text(st, 5),
			    (const char *)sqlite3_column_text(st, 6));
			if (dedup_same_story(t, ct, &sim) &&
			    (ret->story_id == 0 || sim > ret->similarity)) {
				ret->story_id = sqlite3_column_int64(st, 1);
				ret->read = sqlite3_column_int(st, 2) != 0;
				ret->read_at = sqlite3_column_int64(st, 3);
				ret->reason = REASON_TEXT;
				ret->similarity = sim;
			}
			dedup_text_free(ct);
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			db_fail(s, ret_err, "comparing texts");
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
	}
	return 0;
}

/* Level 1 across feeds (a guid that names one article) and level 2. */
static int
find_id_match(struct store *s, enum st which, const char *value,
    int64_t feed_id, enum story_reason reason, struct match *ret,
    char **ret_err)
{
	struct match m = { 0 };
	int64_t other_feed = 0, n;
	sqlite3_stmt *st;
	int rc;

	if ((st = st_get(s, which, ret_err)) == NULL)
		return -1;
	bind_text_max(st, 1, value, MAX_SHORT);
	sqlite3_bind_int64(st, 2, feed_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m.story_id = sqlite3_column_int64(st, 1);
		m.read = sqlite3_column_int(st, 2) != 0;
		m.read_at = sqlite3_column_int64(st, 3);
		m.reason = reason;
		other_feed = sqlite3_column_int64(st, 4);
	} else if (rc != SQLITE_DONE) {
		db_fail(s, ret_err, "looking up stories");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if (m.story_id == 0)
		return 0;
	if (which == ST_OTHER_BY_CANON) {
		/* A link shared by several items of that feed is no article's. */
		if ((st = st_get(s, ST_CANON_IN_FEED, ret_err)) == NULL)
			return -1;
		bind_text_max(st, 1, value, MAX_SHORT);
		sqlite3_bind_int64(st, 2, other_feed);
		if (st_int(s, st, &n, ret_err, "looking up stories") == -1)
			return -1;
		if (n != 1)
			return 0;
	}
	*ret = m;
	return 0;
}

/* ---- applying a fetched feed ---- */

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}


struct apply_ctx {
	struct store	*s;
	int64_t		 feed_id;
	int64_t		 now;
	enum store_on_update on_update;
	struct store_apply_result r;
	size_t		 cap_new;
	size_t		 cap_changed;
	int64_t		 first_new_id;	/* ids from here on are new */
	int64_t		 next_id;
	int64_t		 n_new_unread;
};

static void
push_id(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = id;
}

/* Publication time, else update time, capped at first seen. */
static int64_t
item_time(const struct item *it)
{
	return it->published != DATE_NONE ? it->published : it->updated;
}

/*
 * The title and the plain text an item is stored, indexed and fingerprinted
 * by, capped as stored (the text may be NULL).  Caller frees both.
 */
static void
item_texts(const struct item *it, char **ret_title, char **ret_body)
{
	char *text;

	if (it->text != NULL)
		*ret_body = capped(it->text, MAX_BODY);
	else {
		text = dedup_body_text(it->content, it->summary);
		*ret_body = capped(text, MAX_BODY);
		free(text);
	}
	*ret_title = capped(it->title, MAX_SHORT);
}

/* A known item whose text changed: updated in place. */
static int
update_item(struct apply_ctx *c, int64_t id, const struct item *it,
    const char *canonical, uint64_t hash, char **ret_err)
{
	struct store *s = c->s;
	sqlite3_stmt *st;
	char *body, *title, *fp = NULL;
	char *old_title = NULL, *old_body = NULL, *old_article = NULL;
	int rc;

	item_texts(it, &title, &body);
	if ((id <= s->fts_to && fts_old(s, id, &old_title, &old_body,
	    &old_article, ret_err) == -1) ||
	    (st = st_get(s, ST_ITEM_UPDATE, ret_err)) == NULL) {
		free(body);
		free(title);
		return -1;
	}
	if (id <= s->fts_to &&
	    (!str_eq(old_title, title) || !str_eq(old_body, body))) {
		fts_queue(s, true, id, old_title, old_body, old_article);
		fts_queue(s, false, id, title, body, old_article);
	}
	free(old_title);
	free(old_body);
	free(old_article);
	bind_text_max(st, 1, it->id, MAX_SHORT);
	bind_text_max(st, 2, it->link, MAX_SHORT);
	bind_text_max(st, 3, canonical, MAX_SHORT);
	bind_text(st, 4, title);
	bind_text_max(st, 5, it->author, MAX_SHORT);
	bind_time(st, 6, it->published);
	bind_time(st, 7, it->updated);
	bind_time(st, 8, item_time(it));
	bind_text_max(st, 9, it->summary, MAX_BODY);
	bind_text_max(st, 10, it->content, MAX_BODY);
	sqlite3_bind_int64(st, 11, (int64_t)hash);
	bind_text(st, 12, body);
	sqlite3_bind_int64(st, 13, id);
	rc = st_exec(s, st, ret_err, "updating an item");
	free(body);
	free(title);
	if (rc == -1)
		return -1;
	if (c->on_update == STORE_ON_UPDATE_UNREAD) {
		if ((st = st_get(s, ST_STORY_UNREAD, ret_err)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		if (st_exec(s, st, ret_err, "marking unread") == -1)
			return -1;
	}
	/* The fingerprint follows the text while the item is recent. */
	if ((st = st_get(s, ST_ITEM_FP_GET, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		char *ftitle = col_str(st, 2), *ftext = col_str(st, 3);

		fp = col_str(st, 0);
		sqlite3_reset(st);
		rc = fp_replace(s, id, fp, ftitle, ftext, NULL, NULL, NULL,
		    ret_err);
		free(ftitle);
		free(ftext);
		free(fp);
		if (rc == -1)
			return -1;
	} else {
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			db_fail(s, ret_err, "reading an item");
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
	}
	if (id < c->first_new_id)
		push_id(&c->r.changed_ids, &c->r.n_changed, &c->cap_changed,
		    id);
	return 0;
}

static int
key_put(struct apply_ctx *c, const char *key, int64_t item_id, uint64_t hash,
    char **ret_err)
{
	sqlite3_stmt *st;

	if ((st = st_get(c->s, ST_KEY_PUT, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, c->feed_id);
	bind_text(st, 2, key);
	if (item_id != 0)
		sqlite3_bind_int64(st, 3, item_id);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, (int64_t)hash);
	sqlite3_bind_int64(st, 5, c->now);
	return st_exec(c->s, st, ret_err, "storing an identity");
}


/* A new item: finds its story, stores it, indexes its fingerprint. */
static int
insert_item(struct apply_ctx *c, const struct item *it, const char *key,
    const char *canonical, uint64_t hash, bool shared_link, char **ret_err)
{
	struct store *s = c->s;
	struct dedup_text *t;
	struct match m = { 0 };
	int64_t bands[DEDUP_BANDS], id, when;
	sqlite3_stmt *st;
	char *body, *title, *json = NULL;
	size_t nb;
	int rc = -1;

	item_texts(it, &title, &body);
	t = dedup_text_new(title, body);
	nb = dedup_text_bands(t, bands);
	if (dedup_guid_is_global(it->id) &&
	    find_id_match(s, ST_OTHER_BY_GUID, it->id, c->feed_id,
	    REASON_GUID, &m, ret_err) == -1)
		goto out;
	if (m.story_id == 0 && canonical != NULL && !shared_link &&
	    dedup_link_is_article(canonical) &&
	    find_id_match(s, ST_OTHER_BY_CANON, canonical, c->feed_id,
	    REASON_URL, &m, ret_err) == -1)
		goto out;
	if (m.story_id == 0 && nb > 0 &&
	    find_text_match(s, c->feed_id, c->now, t, bands, nb, &m,
	    ret_err) == -1)
		goto out;

	id = c->next_id++;
	when = item_time(it);
	if (when == DATE_NONE || when > c->now)
		when = c->now;
	if (nb > 0)
		json = bands_json(bands, nb);
	if ((st = st_get(s, ST_ITEM_INSERT, ret_err)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, c->feed_id);
	bind_text(st, 3, key);
	bind_text_max(st, 4, it->id, MAX_SHORT);
	bind_text_max(st, 5, it->link, MAX_SHORT);
	bind_text_max(st, 6, canonical, MAX_SHORT);
	bind_text(st, 7, title);
	bind_text_max(st, 8, it->author, MAX_SHORT);
	bind_time(st, 9, it->published);
	bind_time(st, 10, it->updated);
	sqlite3_bind_int64(st, 11, when);
	bind_text_max(st, 12, it->summary, MAX_BODY);
	bind_text_max(st, 13, it->content, MAX_BODY);
	sqlite3_bind_int64(st, 14, (int64_t)hash);
	sqlite3_bind_int64(st, 15, c->now);
	sqlite3_bind_int(st, 16, m.read);
	sqlite3_bind_int64(st, 17, m.read ? m.read_at : 0);
	sqlite3_bind_int64(st, 18, m.story_id != 0 ? m.story_id : id);
	sqlite3_bind_int(st, 19, m.reason);
	if (m.reason == REASON_TEXT)
		sqlite3_bind_double(st, 20, m.similarity);
	else
		sqlite3_bind_null(st, 20);
	bind_text(st, 21, body);
	bind_text(st, 22, json);
	if (st_exec(s, st, ret_err, "storing an item") == -1 ||
	    key_put(c, key, id, hash, ret_err) == -1)
		goto out;
	fp_add(s, id, c->feed_id, when, bands, nb);
	push_id(&c->r.new_ids, &c->r.n_new, &c->cap_new, id);
	if (m.story_id != 0)
		c->r.n_joined++;
	if (!m.read)
		c->n_new_unread++;
	rc = 0;
out:
	dedup_text_free(t);
	free(body);
	free(title);
	free(json);
	return rc;
}

/*
 * Looks for the item under another key in the same feed: the same link
 * and title (a re-keyed item), or the same text with compatible links
 * (ids that change on every fetch).  *ret_found; *ret_id 0 for a
 * tombstone.  *ret_shared_link: the feed already uses this link for a
 * different item, so the link does not name one article.
 */
static int
find_alias(struct apply_ctx *c, const struct item *it, const char *canonical,
    uint64_t hash, bool *ret_found, int64_t *ret_id, uint64_t *ret_hash,
    bool *ret_shared_link, char **ret_err)
{
	struct store *s = c->s;
	sqlite3_stmt *st;
	const char *v;
	int rc;

	*ret_found = *ret_shared_link = false;
	if (canonical != NULL) {
		if ((st = st_get(s, ST_FEED_BY_CANON, ret_err)) == NULL)
			return -1;
		bind_text_max(st, 1, canonical, MAX_SHORT);
		sqlite3_bind_int64(st, 2, c->feed_id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			*ret_shared_link = true;
			v = (const char *)sqlite3_column_text(st, 1);
			if (!*ret_found && str_eq(v, it->title)) {
				*ret_found = true;
				*ret_id = sqlite3_column_int64(st, 0);
				*ret_hash = (uint64_t)sqlite3_column_int64(st,
				    2);
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_fail(s, ret_err, "looking up links");
		if (*ret_found)
			return 0;
	}
	if (hash == 0)
		return 0;
	if ((st = st_get(s, ST_KEY_BY_HASH, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, c->feed_id);
	sqlite3_bind_int64(st, 2, (int64_t)hash);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 1);
		if (canonical == NULL || v == NULL || strcmp(v, canonical) == 0) {
			*ret_found = true;
			*ret_id = sqlite3_column_int64(st, 0);
			*ret_hash = (uint64_t)sqlite3_column_int64(st, 2);
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(s, ret_err, "looking up identities");
	return 0;
}

static int
apply_item(struct apply_ctx *c, const struct item *it, char **ret_err)
{
	struct store *s = c->s;
	char keybuf[32], *canonical = NULL;
	const char *key = it->key;
	int64_t item_id = 0, listed;
	uint64_t hash, khash = 0;
	bool found, shared_link;
	sqlite3_stmt *st;
	int rc;

	hash = dedup_content_hash(it->title, it->summary, it->content);
	/* The parser fills key; this is only a safety net. */
	if (key == NULL || *key == '\0')
		key = it->link;
	if (key == NULL || *key == '\0') {
		if (hash == 0)
			return 0;	/* nothing tells this item apart */
		snprintf(keybuf, sizeof(keybuf), "hash:%016" PRIx64, hash);
		key = keybuf;
	}
	if (strlen(key) > MAX_KEY) {
		snprintf(keybuf, sizeof(keybuf), "long:%016" PRIx64,
		    hash64(HASH64_INIT, key, strlen(key)));
		key = keybuf;
	}

	if ((st = st_get(s, ST_KEY_GET, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, c->feed_id);
	bind_text(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		item_id = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(st, 0);
		khash = (uint64_t)sqlite3_column_int64(st, 1);
		listed = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
		if (item_id == 0 || khash == hash) {
			/* Unchanged, or a tombstone: the feed still lists it. */
			c->r.n_unchanged++;
			if (c->now - listed < LISTED_REFRESH)
				return 0;
			if ((st = st_get(s, ST_KEY_TOUCH, ret_err)) == NULL)
				return -1;
			sqlite3_bind_int64(st, 1, c->now);
			sqlite3_bind_int64(st, 2, c->feed_id);
			bind_text(st, 3, key);
			return st_exec(s, st, ret_err, "storing an identity");
		}
		canonical = it->link != NULL ? url_canonical(it->link) : NULL;
		rc = update_item(c, item_id, it, canonical, hash, ret_err);
		free(canonical);
		if (rc == -1 ||
		    (st = st_get(s, ST_KEY_SET_HASH, ret_err)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, (int64_t)hash);
		sqlite3_bind_int64(st, 2, c->now);
		sqlite3_bind_int64(st, 3, c->feed_id);
		bind_text(st, 4, key);
		return st_exec(s, st, ret_err, "storing an identity");
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, ret_err, "looking up identities");

	canonical = it->link != NULL ? url_canonical(it->link) : NULL;
	if (find_alias(c, it, canonical, hash, &found, &item_id, &khash,
	    &shared_link, ret_err) == -1)
		goto fail;
	if (found) {
		if (key_put(c, key, item_id, hash, ret_err) == -1)
			goto fail;
		if (item_id != 0 && khash != hash) {
			if (update_item(c, item_id, it, canonical, hash,
			    ret_err) == -1)
				goto fail;
		} else
			c->r.n_unchanged++;
	} else if (insert_item(c, it, key, canonical, hash, shared_link,
	    ret_err) == -1)
		goto fail;
	free(canonical);
	return 0;
fail:
	free(canonical);
	return -1;
}

int
store_feed_apply(struct store *s, int64_t feed_id, const struct feed *feed,
    const struct store_apply_opts *o, struct store_apply_result *ret,
    char **ret_err)
{
	struct apply_ctx c = { 0 };
	sqlite3_stmt *st;
	size_t i, mark;

	c.s = s;
	c.feed_id = feed_id;
	c.now = o != NULL && o->now != 0 ? o->now : (int64_t)time(NULL);
	c.on_update = o != NULL ? o->on_update : STORE_ON_UPDATE_KEEP;
	if (unit_begin(s, &mark, ret_err) == -1)
		return -1;
	if ((st = st_get(s, ST_FEED_APPLIED, ret_err)) == NULL)
		goto fail;
	bind_text_max(st, 1, feed->title, MAX_SHORT);
	bind_text_max(st, 2, feed->link, MAX_SHORT);
	sqlite3_bind_int64(st, 3, c.now);
	sqlite3_bind_int64(st, 4, feed_id);
	if (st_exec(s, st, ret_err, "storing a feed") == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		fail(ret_err, "no feed with id %" PRId64, feed_id);
		goto fail;
	}
	if ((st = st_get(s, ST_NEXT_ID, ret_err)) == NULL ||
	    st_int(s, st, &c.next_id, ret_err, "reading item ids") == -1)
		goto fail;
	c.first_new_id = ++c.next_id;
	/* Oldest first (feeds list newest first): ids follow time. */
	for (i = feed->n_items; i > 0; i--)
		if (apply_item(&c, &feed->items[i - 1], ret_err) == -1)
			goto fail;
	if (c.r.n_new > 0) {
		if ((st = st_get(s, ST_FEED_COUNT_NEW, ret_err)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, (int64_t)c.r.n_new);
		sqlite3_bind_int64(st, 2, c.n_new_unread);
		sqlite3_bind_int64(st, 3, feed_id);
		if (st_exec(s, st, ret_err, "counting items") == -1)
			goto fail;
	}
	/* Validators only ever saved with the content they describe. */
	if (o != NULL && o->fetch != NULL &&
	    save_fetch(s, feed_id, o->fetch, ret_err) == -1)
		goto fail;
	if (unit_end(s, mark, ret_err) == -1)
		goto fail_committed;
	*ret = c.r;
	return 0;
fail:
	unit_abort(s, mark);
fail_committed:
	store_apply_result_clear(&c.r);
	return -1;
}

void
store_apply_result_clear(struct store_apply_result *r)
{
	if (r == NULL)
		return;
	free(r->new_ids);
	free(r->changed_ids);
	memset(r, 0, sizeof(*r));
}

/* ---- extracted articles ---- */

int
store_item_set_article(struct store *s, int64_t item_id,
    const struct store_article *a, char **ret_err)
{
	struct dedup_text *t = NULL;
	struct match m = { 0 };
	int64_t bands[DEDUP_BANDS], first_seen, feed_id, story_id, size;
	int64_t now = (int64_t)time(NULL);
	char *fp = NULL, *title = NULL, *text = NULL;
	sqlite3_stmt *st;
	size_t nb = 0;
	int rc;

	if (tx_begin(s, false, ret_err) == -1)
		return -1;
	if (a->status == STORE_EXTRACT_OK) {
		char *ot = NULL, *ob = NULL, *oa = NULL, *na;

		if (item_id <= s->fts_to && fts_old(s, item_id, &ot, &ob, &oa,
		    ret_err) == -1)
			goto fail;
		na = capped(a->text, MAX_BODY);
		if (item_id <= s->fts_to && !str_eq(oa, na)) {
			fts_queue(s, true, item_id, ot, ob, oa);
			fts_queue(s, false, item_id, ot, ob, na);
		}
		free(ot);
		free(ob);
		free(oa);
		free(na);
		if ((st = st_get(s, ST_ARTICLE_OK, ret_err)) == NULL)
			goto fail;
		sqlite3_bind_int(st, 1, a->status);
		bind_text_max(st, 2, a->error, MAX_SHORT);
		bind_text_max(st, 3, a->title, MAX_SHORT);
		bind_text_max(st, 4, a->byline, MAX_SHORT);
		bind_text_max(st, 5, a->text, MAX_BODY);
		bind_text_max(st, 6, a->html, MAX_BODY);
		sqlite3_bind_int64(st, 7, item_id);
	} else {
		/* A failed or pending attempt keeps an earlier article. */
		if ((st = st_get(s, ST_ARTICLE_STATUS, ret_err)) == NULL)
			goto fail;
		sqlite3_bind_int(st, 1, a->status);
		bind_text_max(st, 2, a->error, MAX_SHORT);
		sqlite3_bind_int64(st, 3, item_id);
	}
	if (st_exec(s, st, ret_err, "storing an article") == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		fail(ret_err, "no item %" PRId64, item_id);
		goto fail;
	}
	if (a->status != STORE_EXTRACT_OK)
		goto done;

	/*
	 * The article is the best text there is: refingerprint, and let a
	 * story of its own join an existing one (issue 6: "the story dedup
	 * re-run with the better text").
	 */
	if ((st = st_get(s, ST_ITEM_FP_GET, ret_err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, item_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_fail(s, ret_err, "reading an item");
		sqlite3_reset(st);
		goto fail;
	}
	fp = col_str(st, 0);
	first_seen = sqlite3_column_int64(st, 1);
	title = col_str(st, 2);
	text = col_str(st, 3);
	feed_id = sqlite3_column_int64(st, 4);
	story_id = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	if (first_seen < now - DEDUP_WINDOW)
		goto done;
	if (fp_replace(s, item_id, fp, title, text, &t, bands, &nb,
	    ret_err) == -1)
		goto fail;
	if (story_id != item_id || nb == 0)
		goto done;
	if ((st = st_get(s, ST_STORY_SIZE, ret_err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, item_id);
	if (st_int(s, st, &size, ret_err, "reading a story") == -1)
		goto fail;
	if (size != 1)
		goto done;
	if (find_text_match(s, feed_id, now, t, bands, nb, &m,
	    ret_err) == -1)
		goto fail;
	if (m.story_id != 0) {
		if ((st = st_get(s, ST_STORY_JOIN, ret_err)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, m.story_id);
		sqlite3_bind_int(st, 2, m.reason);
		sqlite3_bind_double(st, 3, m.similarity);
		sqlite3_bind_int(st, 4, m.read);
		sqlite3_bind_int64(st, 5, m.read ? m.read_at : 0);
		sqlite3_bind_int64(st, 6, item_id);
		if (st_exec(s, st, ret_err, "joining a story") == -1)
			goto fail;
	}
done:
	if (tx_commit(s, ret_err) == -1)
		goto fail_committed;
	dedup_text_free(t);
	free(fp);
	free(title);
	free(text);
	return 0;
fail:
	tx_rollback(s);
fail_committed:
	dedup_text_free(t);
	free(fp);
	free(title);
	free(text);
	return -1;
}

/* ---- queries built from filters ---- */

#define MAX_PARAMS	24

struct query {
	struct buf	 sql;
	struct {
		bool	 text;
		int64_t	 i;
		const char *s;
	}		 p[MAX_PARAMS];
	int		 np;
	char		*ids_json;	/* owned */
};

static void
q_int(struct query *q, int64_t v)
{
	q->p[q->np].text = false;
	q->p[q->np++].i = v;
}

static void
q_text(struct query *q, const char *v)
{
	q->p[q->np].text = true;
	q->p[q->np++].s = v;
}

static void
q_bind(struct query *q, sqlite3_stmt *st)
{
	int i;

	for (i = 0; i < q->np; i++) {
		if (q->p[i].text)
			bind_text(st, i + 1, q->p[i].s);
		else
			sqlite3_bind_int64(st, i + 1, q->p[i].i);
	}
}

static void
q_free(struct query *q)
{
	buf_free(&q->sql);
	free(q->ids_json);
}

/* Unread or all stories by date alone: the heads' indexes answer. */
static bool
heads_only(const struct store_filter *f)
{
	return !f->all_copies && f->ids == NULL && f->feed == NULL &&
	    f->starred == STORE_ANY && f->search == NULL && !f->extract_pending;
}

/* " AND ..." for every filter but search, on the items alias a. */
static void
q_conds(struct query *q, const struct store_filter *f, char a)
{
	struct buf b = { 0 };
	size_t i;

	if (f->ids != NULL) {
		if (q->ids_json == NULL) {
			buf_putc(&b, '[');
			for (i = 0; i < f->n_ids; i++)
				buf_printf(&b, "%s%" PRId64, i ? "," : "",
				    f->ids[i]);
			buf_putc(&b, ']');
			q->ids_json = buf_take(&b);
		}
		buf_printf(&q->sql,
		    " AND %c.id IN (SELECT value FROM json_each(?))", a);
		q_text(q, q->ids_json);
	}
	if (f->read != STORE_ANY)
		buf_printf(&q->sql, " AND %c.read = %d", a,
		    f->read == STORE_YES);
	if (f->starred != STORE_ANY)
		buf_printf(&q->sql, " AND %c.starred = %d", a,
		    f->starred == STORE_YES);
	if (f->feed != NULL) {
		buf_printf(&q->sql, " AND %c.feed_id = "
		    "(SELECT id FROM feeds WHERE name = ?)", a);
		q_text(q, f->feed);
	}
	if (f->since != 0) {
		buf_printf(&q->sql, " AND %c.first_seen >= ?", a);
		q_int(q, f->since);
	}
	if (f->until != 0) {
		buf_printf(&q->sql, " AND %c.first_seen < ?", a);
		q_int(q, f->until);
	}
	if (f->after_id != 0) {
		buf_printf(&q->sql, " AND %c.id > ?", a);
		q_int(q, f->after_id);
	}
	if (f->extract_pending)
		buf_printf(&q->sql, " AND %c.extract_status = 1", a);
}

static void
q_limit(struct query *q, const struct store_filter *f)
{
	if (f->limit != 0 || f->offset != 0) {
		buf_puts(&q->sql, " LIMIT ? OFFSET ?");
		q_int(q, f->limit != 0 && f->limit <= INT64_MAX ?
		    (int64_t)f->limit : -1);
		q_int(q, f->offset <= INT64_MAX ? (int64_t)f->offset : 0);
	}
}

/*
 * A search is driven by the full-text index, which yields matches in
 * rowid order: newest stored first, stopping at the limit, so a word in
 * half the items costs no more than a rare one.  A copy is left out when
 * an earlier copy of its story also matches (checked per row, through
 * the index's rowid lookup).
 */
static void
q_search(struct query *q, const struct store_filter *f, const char *cols,
    bool join_feeds)
{
	buf_printf(&q->sql, "SELECT %s FROM items_fts JOIN items i "
	    "ON i.id = items_fts.rowid%s WHERE items_fts MATCH ?", cols,
	    join_feeds ? " JOIN feeds f ON f.id = i.feed_id" : "");
	q_text(q, f->search);
	q_conds(q, f, 'i');
	if (!f->all_copies) {
		buf_puts(&q->sql, " AND NOT EXISTS (SELECT 1 FROM items j "
		    "JOIN items_fts x ON x.rowid = j.id WHERE "
		    "j.story_id = i.story_id AND j.id < i.id AND "
		    "x.items_fts MATCH ?");
		q_text(q, f->search);
		q_conds(q, f, 'j');
		buf_puts(&q->sql, ")");
	}
	buf_puts(&q->sql, f->oldest_first ? " ORDER BY items_fts.rowid" :
	    " ORDER BY items_fts.rowid DESC");
	q_limit(q, f);
}

/* "SELECT cols FROM items i ... WHERE <filter> ORDER BY ... LIMIT ..." */
static void
q_select(struct query *q, const struct store_filter *f, const char *cols,
    bool join_feeds)
{
	if (f->search != NULL) {
		q_search(q, f, cols, join_feeds);
		return;
	}
	buf_printf(&q->sql, "SELECT %s FROM items i%s WHERE ", cols,
	    join_feeds ? " JOIN feeds f ON f.id = i.feed_id" : "");
	if (f->all_copies) {
		buf_puts(&q->sql, "1");
		q_conds(q, f, 'i');
	} else if (heads_only(f)) {
		/* Matches the partial indexes' "read = 0 AND story_id = id". */
		buf_puts(&q->sql, "i.story_id = i.id");
		q_conds(q, f, 'i');
	} else {
		/*
		 * Each story's earliest copy among those selected: no earlier
		 * copy is selected.  Checked per row (most stories have one
		 * copy), so the listing streams in index order to its limit.
		 */
		buf_puts(&q->sql, "1");
		q_conds(q, f, 'i');
		buf_puts(&q->sql, " AND NOT EXISTS (SELECT 1 FROM items j "
		    "WHERE j.story_id = i.story_id AND j.id < i.id");
		q_conds(q, f, 'j');
		buf_puts(&q->sql, ")");
	}
	buf_puts(&q->sql, f->oldest_first ?
	    " ORDER BY i.sort_time, i.id" :
	    " ORDER BY i.sort_time DESC, i.id DESC");
	q_limit(q, f);
}

/* An error while running a filter's query: a bad search is the user's. */
static int
query_fail(struct store *s, const struct store_filter *f, char **ret_err)
{
	if (f->search != NULL && sqlite3_errcode(s->db) == SQLITE_ERROR)
		return fail(ret_err, "search: invalid query \"%s\": %s",
		    f->search, sqlite3_errmsg(s->db));
	return db_fail(s, ret_err, "querying items");
}

static char *
reason_text(int reason, sqlite3_stmt *st, int col)
{
	switch (reason) {
	case REASON_GUID:
		return xstrdup("same guid");
	case REASON_URL:
		return xstrdup("same canonical URL");
	case REASON_TEXT:
		return xasprintf("text similarity %.2f",
		    sqlite3_column_double(st, col));
	default:
		return NULL;
	}
}

static void
item_read_row(sqlite3_stmt *st, struct store_item *it, bool bodies)
{
	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(st, 0);
	it->feed_id = sqlite3_column_int64(st, 1);
	it->feed_name = col_str(st, 2);
	it->key = col_str(st, 3);
	it->guid = col_str(st, 4);
	it->link = col_str(st, 5);
	it->canonical_link = col_str(st, 6);
	it->title = col_str(st, 7);
	it->author = col_str(st, 8);
	it->published = col_time(st, 9);
	it->updated = col_time(st, 10);
	it->first_seen = sqlite3_column_int64(st, 11);
	it->read = sqlite3_column_int(st, 12) != 0;
	it->read_at = sqlite3_column_int64(st, 13);
	it->starred = sqlite3_column_int(st, 14) != 0;
	it->starred_at = sqlite3_column_int64(st, 15);
	it->story_id = sqlite3_column_int64(st, 16);
	it->story_reason = reason_text(sqlite3_column_int(st, 17), st, 18);
	switch (sqlite3_column_int(st, 19)) {
	case STORE_EXTRACT_PENDING:
		it->extract_status = STORE_EXTRACT_PENDING;
		break;
	case STORE_EXTRACT_OK:
		it->extract_status = STORE_EXTRACT_OK;
		break;
	case STORE_EXTRACT_FAILED:
		it->extract_status = STORE_EXTRACT_FAILED;
		break;
	default:
		it->extract_status = STORE_EXTRACT_NONE;
	}
	if (!bodies)
		return;
	it->summary = col_str(st, 20);
	it->content = col_str(st, 21);
	it->extract_error = col_str(st, 22);
	it->article_title = col_str(st, 23);
	it->article_byline = col_str(st, 24);
	it->article_text = col_str(st, 25);
	it->article_html = col_str(st, 26);
}

/* Fills it->also with the story's other copies. */
static int
item_copies(struct store *s, struct store_item *it, char **ret_err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if ((st = st_get(s, ST_COPIES, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, it->story_id);
	sqlite3_bind_int64(st, 2, it->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (it->n_also == cap) {
			cap = cap ? cap * 2 : 4;
			it->also = xreallocarray(it->also, cap,
			    sizeof(*it->also));
		}
		it->also[it->n_also].item_id = sqlite3_column_int64(st, 0);
		it->also[it->n_also].feed_name = col_str(st, 1);
		it->also[it->n_also].link = col_str(st, 2);
		it->n_also++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, ret_err, "reading a story");
	return 0;
}

int
store_items_list(struct store *s, const struct store_filter *f,
    struct store_item **ret, size_t *ret_n, char **ret_err)
{
	struct query q = { 0 };
	struct store_item *v = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *st;
	int rc;

	if (f->search != NULL && index_all(s, ret_err) == -1)
		return -1;
	q_select(&q, f, f->with_bodies ? ITEM_COLS_PLAIN ITEM_COLS_BODIES :
	    ITEM_COLS_PLAIN, true);
	if ((st = dyn_get(s, q.sql.data, ret_err)) == NULL) {
		q_free(&q);
		return -1;
	}
	q_bind(&q, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		item_read_row(st, &v[n++], f->with_bodies);
	}
	if (rc != SQLITE_DONE) {
		query_fail(s, f, ret_err);
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	for (i = 0; i < n; i++)
		if (item_copies(s, &v[i], ret_err) == -1)
			goto fail;
	q_free(&q);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	q_free(&q);
	store_items_free(v, n);
	return -1;
}

int
store_item_get(struct store *s, int64_t id, struct store_item **ret,
    char **ret_err)
{
	struct store_filter f = { 0 };
	struct store_item *v;
	size_t n;

	f.ids = &id;
	f.n_ids = 1;
	f.all_copies = true;
	f.with_bodies = true;
	if (store_items_list(s, &f, &v, &n, ret_err) == -1)
		return -1;
	if (n == 0) {
		free(v);
		return fail(ret_err, "no item %" PRId64, id);
	}
	*ret = v;
	return 0;
}

void
store_items_free(struct store_item *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(v[i].feed_name);
		free(v[i].key);
		free(v[i].guid);
		free(v[i].link);
		free(v[i].canonical_link);
		free(v[i].title);
		free(v[i].author);
		free(v[i].summary);
		free(v[i].content);
		free(v[i].extract_error);
		free(v[i].article_title);
		free(v[i].article_byline);
		free(v[i].article_text);
		free(v[i].article_html);
		free(v[i].story_reason);
		for (j = 0; j < v[i].n_also; j++) {
			free(v[i].also[j].feed_name);
			free(v[i].also[j].link);
		}
		free(v[i].also);
	}
	free(v);
}

int
store_mark(struct store *s, const struct store_filter *filter,
    enum store_mark mark, int64_t now, int64_t **ret_ids, size_t *ret_n,
    char **ret_err)
{
	struct store_filter f = *filter;
	struct query q = { 0 };
	int64_t *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	if (f.search != NULL && index_all(s, ret_err) == -1)
		return -1;
	/* Without a limit the selection is a set: no representatives. */
	if (f.limit == 0 && f.offset == 0)
		f.all_copies = true;
	switch (mark) {
	case STORE_MARK_READ:
		buf_puts(&q.sql, "UPDATE items SET read = 1, read_at = ? "
		    "WHERE read = 0 AND story_id IN (SELECT story_id FROM "
		    "items WHERE id IN (");
		q_int(&q, now);
		break;
	case STORE_MARK_UNREAD:
		buf_puts(&q.sql, "UPDATE items SET read = 0, read_at = 0 "
		    "WHERE read = 1 AND story_id IN (SELECT story_id FROM "
		    "items WHERE id IN (");
		break;
	case STORE_MARK_STAR:
		buf_puts(&q.sql, "UPDATE items SET starred = 1, "
		    "starred_at = ? WHERE starred = 0 AND id IN (");
		q_int(&q, now);
		break;
	case STORE_MARK_UNSTAR:
	default:
		buf_puts(&q.sql, "UPDATE items SET starred = 0, "
		    "starred_at = 0 WHERE starred = 1 AND id IN (");
		break;
	}
	q_select(&q, &f, "i.id", false);
	buf_puts(&q.sql, mark == STORE_MARK_READ || mark == STORE_MARK_UNREAD ?
	    ")) RETURNING id" : ") RETURNING id");
	if (tx_begin(s, true, ret_err) == -1) {
		q_free(&q);
		return -1;
	}
	if ((st = dyn_get(s, q.sql.data, ret_err)) == NULL)
		goto fail;
	q_bind(&q, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		push_id(&v, &n, &cap, sqlite3_column_int64(st, 0));
	if (rc != SQLITE_DONE) {
		query_fail(s, &f, ret_err);
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	if (tx_commit(s, ret_err) == -1)
		goto fail_committed;
	q_free(&q);
	if (ret_ids != NULL)
		*ret_ids = v;
	else
		free(v);
	if (ret_n != NULL)
		*ret_n = n;
	return 0;
fail:
	tx_rollback(s);
fail_committed:
	q_free(&q);
	free(v);
	return -1;
}

/* ---- digest cursors ---- */

int
store_cursor_lease(struct store *s, const char *name, const char *holder,
    int64_t now, int64_t ttl_seconds, int64_t *ret_position,
    bool *ret_is_new, char **ret_err)
{
	sqlite3_stmt *st;
	int64_t position = 0, until;
	char *cur = NULL;
	bool is_new = true;
	int rc;

	if (name == NULL || *name == '\0' || holder == NULL || *holder == '\0')
		return fail(ret_err, "a cursor lease needs a name and a holder");
	if (strlen(name) > MAX_SHORT || strlen(holder) > MAX_SHORT)
		return fail(ret_err, "cursor name or holder too long");
	if (tx_begin(s, true, ret_err) == -1)
		return -1;
	if ((st = st_get(s, ST_CURSOR_GET, ret_err)) == NULL)
		goto fail;
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, ret_err, "reading cursors");
		sqlite3_reset(st);
		goto fail;
	}
	until = now + (ttl_seconds > 0 ? ttl_seconds : 0);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		if ((st = st_get(s, ST_CURSOR_INSERT, ret_err)) == NULL)
			goto fail;
		bind_text(st, 1, name);
		bind_text(st, 2, holder);
		sqlite3_bind_int64(st, 3, until);
		if (st_exec(s, st, ret_err, "creating a cursor") == -1)
			goto fail;
		goto done;
	}
	position = sqlite3_column_int64(st, 0);
	is_new = sqlite3_column_int(st, 1) == 0;
	cur = col_str(st, 2);
	if (cur != NULL && strcmp(cur, holder) != 0 &&
	    sqlite3_column_int64(st, 3) > now) {
		char when[DATE_RFC3339_LEN + 1];

		date_format_rfc3339(sqlite3_column_int64(st, 3), when,
		    sizeof(when));
		fail(ret_err, "cursor %s is in use (leased by %s until %s)",
		    name, cur, when);
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	if ((st = st_get(s, ST_CURSOR_LEASE, ret_err)) == NULL)
		goto fail;
	bind_text(st, 1, holder);
	sqlite3_bind_int64(st, 2, until);
	bind_text(st, 3, name);
	if (st_exec(s, st, ret_err, "leasing a cursor") == -1)
		goto fail;
done:
	if (tx_commit(s, ret_err) == -1)
		goto fail_committed;
	free(cur);
	*ret_position = position;
	*ret_is_new = is_new;
	return 0;
fail:
	tx_rollback(s);
fail_committed:
	free(cur);
	return -1;
}

static int
cursor_end(struct store *s, enum st which, const char *name,
    const char *holder, int64_t position, char **ret_err)
{
	sqlite3_stmt *st;
	char *cur = NULL;
	int rc, n = 1;

	if (name == NULL || holder == NULL)
		return fail(ret_err, "a cursor needs a name and a holder");
	if (tx_begin(s, true, ret_err) == -1)
		return -1;
	if ((st = st_get(s, which, ret_err)) == NULL)
		goto fail;
	if (which == ST_CURSOR_COMMIT)
		sqlite3_bind_int64(st, n++, position);
	bind_text(st, n++, name);
	bind_text(st, n, holder);
	if (st_exec(s, st, ret_err, "updating a cursor") == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		/* Say why: no such cursor, or someone else holds it. */
		if ((st = st_get(s, ST_CURSOR_GET, ret_err)) == NULL)
			goto fail;
		bind_text(st, 1, name);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			cur = col_str(st, 2);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			fail(ret_err, "no cursor named %s", name);
		else if (rc != SQLITE_ROW)
			db_fail(s, ret_err, "reading cursors");
		else if (which == ST_CURSOR_RELEASE && cur == NULL)
			goto done;	/* nobody holds it: nothing to release */
		else
			fail(ret_err, "cursor %s is not leased by %s%s%s", name,
			    holder, cur ? " (it is leased by " : "",
			    cur ? cur : "");
		if (cur != NULL && ret_err != NULL && *ret_err != NULL &&
		    rc == SQLITE_ROW) {
			char *m = xasprintf("%s)", *ret_err);

			free(*ret_err);
			*ret_err = m;
		}
		goto fail;
	}
done:
	free(cur);
	return tx_commit(s, ret_err);
fail:
	free(cur);
	tx_rollback(s);
	return -1;
}

int
store_cursor_commit(struct store *s, const char *name, const char *holder,
    int64_t position, char **ret_err)
{
	return cursor_end(s, ST_CURSOR_COMMIT, name, holder, position, ret_err);
}

int
store_cursor_release(struct store *s, const char *name, const char *holder,
    char **ret_err)
{
	return cursor_end(s, ST_CURSOR_RELEASE, name, holder, 0, ret_err);
}

/* ---- housekeeping ---- */

/*
 * A run: the age limit over the items in scope, then feed by feed its
 * count limit, its tombstones and its expired fingerprints.
 */
enum { PHASE_AGE, PHASE_COUNT, PHASE_TOMBSTONES, PHASE_FINGERPRINTS,
    PHASE_NEXT_FEED, PHASE_DONE };

/* Deletes one item; its copies get a new head if it was the first. */
static int
delete_item(struct store *s, int64_t id, char **ret_err)
{
	sqlite3_stmt *st;
	int64_t story = 0, head = 0;
	int rc;

	if ((st = st_get(s, ST_ITEM_DELETE, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		story = sqlite3_column_int64(st, 0);
		if (id <= s->fts_to)
			fts_queue(s, true, id,
			    (const char *)sqlite3_column_text(st, 1),
			    (const char *)sqlite3_column_text(st, 2),
			    (const char *)sqlite3_column_text(st, 3));
		fp_drop(s, id, (const char *)sqlite3_column_text(st, 4));
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		db_fail(s, ret_err, "deleting an item");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if (story != id)
		return 0;
	if ((st = st_get(s, ST_STORY_MIN, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (st_int(s, st, &head, ret_err, "reading a story") == -1)
		return -1;
	if (head == 0)
		return 0;
	if ((st = st_get(s, ST_STORY_MOVE, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, head);
	sqlite3_bind_int64(st, 2, id);
	return st_exec(s, st, ret_err, "moving a story");
}

/*
 * One slice of a walk over items in order (sql binds: [feed,] a, then
 * the position when started, then the limit), deleting those the limits
 * allow.  *work grows by the rows deleted and a quarter of those read;
 * *ret_done at the end of the walk.
 */
static int
retention_walk(struct store *s, const struct store_retention *r,
    const char *sql, int64_t feed_id, int64_t a, bool with_pos,
    int64_t limit, size_t *work, bool *ret_done, char **ret_err)
{
	struct retention_pos *p = &s->ret;
	sqlite3_stmt *st;
	int64_t *del = NULL, n = 0;
	size_t ndel = 0, cap = 0, i;
	int rc, k = 1;

	if ((st = dyn_get(s, sql, ret_err)) == NULL)
		return -1;
	if (feed_id != 0)
		sqlite3_bind_int64(st, k++, feed_id);
	sqlite3_bind_int64(st, k++, a);
	if (with_pos) {
		sqlite3_bind_int64(st, k++, p->t);
		sqlite3_bind_int64(st, k++, p->id);
	}
	sqlite3_bind_int64(st, k, limit);
	/* Collected first: no deleting under a running SELECT. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		p->id = sqlite3_column_int64(st, 0);
		p->t = sqlite3_column_int64(st, 1);
		if ((r->include_unread || sqlite3_column_int(st, 2)) &&
		    (r->include_starred || !sqlite3_column_int(st, 3)))
			push_id(&del, &ndel, &cap, p->id);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(del);
		return db_fail(s, ret_err, "scanning items");
	}
	p->started = true;
	for (i = 0; i < ndel; i++) {
		if (delete_item(s, del[i], ret_err) == -1) {
			free(del);
			return -1;
		}
	}
	free(del);
	*work += ndel + (size_t)n / 4;
	*ret_done = n < limit;
	return 0;
}

/* A feed's tombstones that it no longer lists. */
static int
tidy_tombstones(struct store *s, int64_t examine, size_t *work,
    bool *ret_done, char **ret_err)
{
	struct retention_pos *p = &s->ret;
	sqlite3_stmt *st;
	char **del = NULL;
	size_t nd = 0, cap = 0, i;
	int64_t n = 0, last_apply = 0;
	int rc = 0;

	if ((st = st_get(s, ST_FEED_LAST_APPLY, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->feed);
	if (st_int(s, st, &last_apply, ret_err, "reading feeds") == -1)
		return -1;
	if ((st = st_get(s, ST_TOMB_SCAN, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->feed);
	bind_text(st, 2, p->key != NULL ? p->key : "");
	sqlite3_bind_int64(st, 3, examine);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		str_set(&p->key, (const char *)sqlite3_column_text(st, 0));
		/* Still listed at the last fetch (listed is refreshed daily). */
		if (sqlite3_column_int64(st, 1) >= last_apply - TOMBSTONE_GRACE)
			continue;
		if (nd == cap) {
			cap = cap ? cap * 2 : 16;
			del = xreallocarray(del, cap, sizeof(*del));
		}
		del[nd++] = xstrdup(p->key);
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : db_fail(s, ret_err, "scanning identities");
	for (i = 0; i < nd; i++) {
		if (rc == 0 && (st = st_get(s, ST_TOMB_DELETE, ret_err)) == NULL)
			rc = -1;
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, p->feed);
			bind_text(st, 2, del[i]);
			rc = st_exec(s, st, ret_err, "dropping a tombstone");
		}
		free(del[i]);
	}
	free(del);
	*work += nd + (size_t)n / 4;
	*ret_done = n < examine;
	return rc;
}

/* A feed's fingerprints older than the near-duplicate window. */
static int
tidy_fingerprints(struct store *s, int64_t now, size_t budget, size_t *work,
    bool *ret_done, char **ret_err)
{
	struct retention_pos *p = &s->ret;
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	char **fps = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	if ((st = st_get(s, ST_FP_EXPIRED, ret_err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->feed);
	sqlite3_bind_int64(st, 2, now - DEDUP_WINDOW);
	sqlite3_bind_int64(st, 3, (int64_t)budget);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xreallocarray(ids, cap, sizeof(*ids));
			fps = xreallocarray(fps, cap, sizeof(*fps));
		}
		ids[n] = sqlite3_column_int64(st, 0);
		fps[n++] = col_str(st, 1);
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : db_fail(s, ret_err, "scanning fingerprints");
	for (i = 0; i < n; i++) {
		if (rc == 0)
			fp_drop(s, ids[i], fps[i]);
		if (rc == 0 && (st = st_get(s, ST_ITEM_FP_SET, ret_err)) == NULL)
			rc = -1;
		if (rc == 0) {
			sqlite3_bind_null(st, 1);
			sqlite3_bind_int64(st, 2, ids[i]);
			rc = st_exec(s, st, ret_err, "dropping a fingerprint");
		}
		free(fps[i]);
	}
	free(ids);
	free(fps);
	*work += n;
	*ret_done = n < budget;
	return rc;
}

static int
next_feed(struct store *s, int64_t after, int64_t *ret, char **ret_err)
{
	char *sql = xasprintf("SELECT coalesce((SELECT min(id) FROM feeds "
	    "WHERE id > %" PRId64 "), 0)", after);
	int rc = query_int(s, sql, ret, ret_err);

	free(sql);
	return rc;
}

static int
retention_slice(struct store *s, const struct store_retention *r,
    int64_t now, size_t budget, char **ret_err)
{
	struct retention_pos *p = &s->ret;
	int64_t examine = (int64_t)budget * 4;
	size_t work = 0;
	bool done;

	while (p->phase != PHASE_DONE && work < budget) {
		done = true;
		switch (p->phase) {
		case PHASE_AGE:
			if (r->max_age_days > 0 && retention_walk(s, r,
			    p->scope != 0 ?
			    "SELECT id, sort_time, read, starred FROM items "
			    "WHERE feed_id = ? AND sort_time < ? AND "
			    "(sort_time, id) > (?, ?) ORDER BY sort_time, id "
			    "LIMIT ?" :
			    "SELECT id, sort_time, read, starred FROM items "
			    "WHERE sort_time < ? AND (sort_time, id) > (?, ?) "
			    "ORDER BY sort_time, id LIMIT ?", p->scope,
			    now - r->max_age_days * 86400, true, examine,
			    &work, &done, ret_err) == -1)
				return -1;
			if (done) {
				p->feed = p->scope;
				if (p->scope == 0 &&
				    next_feed(s, 0, &p->feed, ret_err) == -1)
					return -1;
				p->phase = p->feed != 0 ? PHASE_COUNT :
				    PHASE_DONE;
				p->started = false;
			}
			break;
		case PHASE_COUNT:
			if (r->max_items_per_feed > 0 && retention_walk(s, r,
			    p->started ?
			    "SELECT id, sort_time, read, starred FROM items "
			    "WHERE feed_id = ? AND ? >= 0 AND "
			    "(sort_time, id) < (?, ?) "
			    "ORDER BY sort_time DESC, id DESC LIMIT ?" :
			    "SELECT id, sort_time, read, starred FROM items "
			    "WHERE feed_id = ?1 ORDER BY sort_time DESC, "
			    "id DESC LIMIT ?3 OFFSET ?2", p->feed,
			    r->max_items_per_feed, p->started, examine, &work,
			    &done, ret_err) == -1)
				return -1;
			if (done) {
				p->phase = PHASE_TOMBSTONES;
				free(p->key);
				p->key = NULL;
			}
			break;
		case PHASE_TOMBSTONES:
					if (tidy_tombstones(s, examine, &work, &done,
			    ret_err) == -1)
				return -1;
			if (done)
				p->phase = PHASE_FINGERPRINTS;
			break;
		case PHASE_FINGERPRINTS:
			if (tidy_fingerprints(s, now, budget, &work, &done,
			    ret_err) == -1)
				return -1;
			if (done)
				p->phase = PHASE_NEXT_FEED;
			break;
		case PHASE_NEXT_FEED:
			if (p->scope != 0)
				p->feed = 0;
			else if (next_feed(s, p->feed, &p->feed, ret_err) == -1)
				return -1;
			p->phase = p->feed != 0 ? PHASE_COUNT : PHASE_DONE;
			p->started = false;
			break;
		}
	}
	return 0;
}

int
store_retention_run(struct store *s, const struct store_retention *r,
    int64_t now, size_t budget_rows, bool *ret_more, char **ret_err)
{
	struct retention_pos *p = &s->ret;
	int64_t feed_id = 0;

	if (budget_rows == 0)
		budget_rows = 1;
	if (budget_rows > 1000000)
		budget_rows = 1000000;
	if (r->feed != NULL) {
		if (feed_id_by_name(s, r->feed, &feed_id, ret_err) == -1)
			return -1;
		if (feed_id == 0)
			return fail(ret_err, "no feed named %s", r->feed);
	}
	/* A new run, or the caller moved on to another scope. */
	if (!p->active || p->scope != feed_id) {
		free(p->key);
		memset(p, 0, sizeof(*p));
		p->active = true;
		p->scope = feed_id;
		p->phase = PHASE_AGE;
		p->t = INT64_MIN;
	}
	if (tx_begin(s, false, ret_err) == -1)
		return -1;
	if (retention_slice(s, r, now, budget_rows, ret_err) == -1) {
		tx_rollback(s);
		p->active = false;
		return -1;
	}
	if (tx_commit(s, ret_err) == -1) {
		p->active = false;
		return -1;
	}
	if (p->phase == PHASE_DONE)
		p->active = false;
	*ret_more = p->active;
	return 0;
}

int
store_maintain(struct store *s, char **ret_err)
{
	struct store_retention none = { 0 };
	int64_t free_pages, pages;
	bool more = true;
	int slices;

	/*
	 * Housekeeping every retention run does for its feeds, here for
	 * all of them, so that it happens even for feeds without limits
	 * (bounded: 20 slices of 5,000 rows).
	 */
	for (slices = 0; more && slices < 20; slices++)
		if (store_retention_run(s, &none, (int64_t)time(NULL), 5000,
		    &more, ret_err) == -1)
			return -1;
	if (exec_sql(s, "PRAGMA optimize", ret_err, "optimizing") == -1)
		return -1;
	/* A bounded merge of the full-text index's segments. */
	if (tx_begin(s, false, ret_err) == -1)
		return -1;
	if (exec_sql(s, "INSERT INTO items_fts (items_fts, rank) "
	    "VALUES ('merge', 500)", ret_err, "merging the search index") == -1) {
		tx_rollback(s);
		return -1;
	}
	if (tx_commit(s, ret_err) == -1)
		return -1;
	if (query_int(s, "PRAGMA freelist_count", &free_pages, ret_err) == -1 ||
	    query_int(s, "PRAGMA page_count", &pages, ret_err) == -1)
		return -1;
	/* VACUUM rewrites the whole file: only when a quarter is free. */
	if (free_pages > 1024 && free_pages * 4 > pages &&
	    exec_sql(s, "VACUUM", ret_err, "vacuuming") == -1)
		return -1;
	return exec_sql(s, "PRAGMA wal_checkpoint(TRUNCATE)", ret_err,
	    "checkpointing");
}

int
store_stats(struct store *s, struct store_stats *ret, char **ret_err)
{
	struct store_stats r = { 0 };
	sqlite3_stmt *st;

	if ((st = st_get(s, ST_STATS, ret_err)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_fail(s, ret_err, "counting");
		sqlite3_reset(st);
		return -1;
	}
	r.n_feeds = sqlite3_column_int64(st, 0);
	r.n_items = sqlite3_column_int64(st, 1);
	r.n_unread = sqlite3_column_int64(st, 2);
	r.n_unread_stories = sqlite3_column_int64(st, 3);
	r.n_starred = sqlite3_column_int64(st, 4);
	r.n_stories = sqlite3_column_int64(st, 5);
	r.n_tombstones = sqlite3_column_int64(st, 6);
	r.db_bytes = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	*ret = r;
	return 0;
}
