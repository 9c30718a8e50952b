/*
 * store: the SQLite database that is feedd's single source of truth: feeds,
 * items, read state, stories (copies of one story across feeds), digest
 * cursors and the full-text index.  This is the only module that speaks SQL.
 *
 * Every function returns 0 on success and -1 on failure with a one-line
 * reason in *ret_err (caller frees; ret_err may be NULL), leaving its other
 * out-parameters untouched.  Every write is one transaction: it either
 * happens whole or not at all.  Fetched feeds may also be stored several
 * at a time, in a batch (store_batch_begin): one transaction in which
 * each feed is a savepoint, so that one commit pays for many feeds.
 */
#ifndef FEEDD_STORE_H
#define FEEDD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct feed;
struct store;

/*
 * Opens (creating if missing) the database at path and migrates its schema
 * forward.  Refuses a file that is unreadable, corrupt or from a newer
 * feedd: never recreates over user data.
 */
int	store_open(const char *path, struct store **ret, char **ret_err);
void	store_close(struct store *);

/* ---- feeds ---- */

enum store_origin {
	STORE_ORIGIN_CONFIG = 0,	/* feeds.d */
	STORE_ORIGIN_RUNTIME = 1,	/* added through the socket */
};

/* What the fetcher learnt; persisted so restarts resume the schedule. */
struct store_fetch_state {
	char		*url;		/* current URL (after permanent moves) */
	char		*etag;
	char		*last_modified;
	int64_t		 last_fetch;	/* last attempt, or 0 */
	int64_t		 last_success;	/* last 200/304, or 0 */
	int64_t		 next_due;	/* 0: as soon as possible */
	int		 error_streak;
	int		 last_status;	/* HTTP status, 0 if none */
	char		*last_error;	/* NULL when the last fetch was fine */
	bool		 disabled;	/* e.g. after HTTP 410 */
};

struct store_feed {
	int64_t		 id;
	char		*name;
	char		*config_url;	/* as configured / added */
	enum store_origin origin;
	bool		 removed;	/* no longer followed; items kept */
	bool		 fulltext;	/* runtime feeds only; feeds.d says */
	char		*options;	/* runtime feeds: JSON object, or NULL */
	char		*title;		/* from the document */
	char		*site_link;
	struct store_fetch_state fetch;
	int64_t		 n_items;
	int64_t		 n_unread;
};

/*
 * Makes sure a feed of that name exists with that configured URL and
 * origin, returning its id.  A changed configured URL resets the current
 * URL and validators; a feed that was removed becomes active again.
 */
int	store_feed_ensure(struct store *, const char *name, const char *url,
	    enum store_origin, int64_t *ret_id, char **ret_err);
/* Marks a feed as no longer followed; its items stay. */
int	store_feed_remove(struct store *, const char *name, char **ret_err);
/*
 * Stores the options of a runtime feed: fulltext, and any others as a
 * JSON object (options_json may be NULL; anything but an object is an
 * error).  The store keeps them for the daemon; it does not read them.
 */
int	store_feed_set_options(struct store *, const char *name, bool fulltext,
	    const char *options_json, char **ret_err);
int	store_feed_save_fetch(struct store *, int64_t feed_id,
	    const struct store_fetch_state *, char **ret_err);
/*
 * NULL name: every followed feed; else that feed, removed or not (n = 0
 * if there is none).  *ret is an array of n feeds (NULL when n = 0).
 */
int	store_feed_list(struct store *, const char *name,
	    struct store_feed **ret, size_t *ret_n, char **ret_err);
void	store_feeds_free(struct store_feed *, size_t n);

/* ---- applying a fetched feed ---- */

enum store_on_update {
	STORE_ON_UPDATE_KEEP = 0,	/* edited items keep their read state */
	STORE_ON_UPDATE_UNREAD,		/* edited items become unread again */
};

struct store_apply_opts {
	int64_t		 now;
	enum store_on_update on_update;
	/* Saved with the items (as store_feed_save_fetch would), so that
	 * validators never describe content that was not stored; or NULL. */
	const struct store_fetch_state *fetch;
};

struct store_apply_result {
	int64_t		*new_ids;	/* owned; items stored for the first time */
	size_t		 n_new;
	int64_t		*changed_ids;	/* owned; stored items whose text changed */
	size_t		 n_changed;
	size_t		 n_unchanged;
	size_t		 n_joined;	/* new items that joined an existing story */
};

/*
 * Stores what a fetch of feed_id returned, in one transaction (or one
 * savepoint of the open batch), deduplicating within the feed and across
 * feeds (same canonical URL, near-identical text).  Also records the
 * document's title and site link.  On failure nothing of it is stored.
 */
int	store_feed_apply(struct store *, int64_t feed_id, const struct feed *,
	    const struct store_apply_opts *, struct store_apply_result *ret,
	    char **ret_err);
void	store_apply_result_clear(struct store_apply_result *);

/*
 * A batch: store_feed_apply and store_feed_save_fetch calls between
 * store_batch_begin and store_batch_commit share one transaction, each a
 * savepoint: a call that fails leaves no trace and the batch goes on;
 * nothing of the batch is durable before store_batch_commit returns 0.
 * A failed commit, or store_batch_rollback, undoes every call of the
 * batch: their results are void.  No other write may run while a batch
 * is open (it fails), so the caller keeps a batch within one turn of its
 * event loop: a user's mark read never waits behind it, and a crash
 * loses at most the batch.  A commit costs per page it writes, and the
 * indexes of a thousand feeds' items are touched at random: a batch of
 * 30 feeds writes little more than one feed alone did.
 */
int	store_batch_begin(struct store *, char **ret_err);
int	store_batch_commit(struct store *, char **ret_err);
void	store_batch_rollback(struct store *);

/*
 * New items join the full-text index late, in slices: this adds up to max
 * of those waiting (one transaction), and sets *ret_more when others
 * still wait.  A search adds them all first, so it never misses an item;
 * the daemon calls this when it is idle.  Not inside a batch.
 */
int	store_index(struct store *, size_t max, bool *ret_more,
	    char **ret_err);

/* ---- items ---- */

enum store_extract_status {
	STORE_EXTRACT_NONE = 0,		/* not wanted or not tried yet */
	STORE_EXTRACT_PENDING,
	STORE_EXTRACT_OK,
	STORE_EXTRACT_FAILED,
};

/* Another copy of the same story (in another feed, or a repost). */
struct store_copy {
	int64_t		 item_id;
	char		*feed_name;
	char		*link;
};

struct store_item {
	int64_t		 id;
	int64_t		 feed_id;
	char		*feed_name;
	char		*key;
	char		*guid;
	char		*link;
	char		*canonical_link;
	char		*title;
	char		*author;
	int64_t		 published;	/* DATE_NONE if unknown */
	int64_t		 updated;	/* DATE_NONE if unknown */
	int64_t		 first_seen;
	char		*summary;	/* HTML */
	char		*content;	/* HTML */
	/* The extracted article, when there is one. */
	enum store_extract_status extract_status;
	char		*extract_error;
	char		*article_title;
	char		*article_byline;
	char		*article_text;
	char		*article_html;
	bool		 read;
	bool		 starred;
	int64_t		 read_at;	/* 0 if unread */
	int64_t		 starred_at;	/* 0 if not starred */
	int64_t		 story_id;
	/* Why this item joined its story: "same guid", "same canonical URL",
	 * "text similarity 0.93"; NULL for the story's first item. */
	char		*story_reason;
	struct store_copy *also;	/* the story's other copies */
	size_t		 n_also;
};

enum store_tristate { STORE_ANY = 0, STORE_YES, STORE_NO };

struct store_filter {
	const int64_t	*ids;		/* only these items (NULL: no limit) */
	size_t		 n_ids;
	enum store_tristate read;
	enum store_tristate starred;
	const char	*feed;		/* feed name, or NULL */
	int64_t		 since;		/* first_seen >= since (0: no limit) */
	int64_t		 until;		/* first_seen < until (0: no limit) */
	/* id > after_id (0: no limit): ids only grow, so a cursor's
	 * position is the last id it delivered. */
	int64_t		 after_id;
	const char	*search;	/* FTS5 query, or NULL */
	bool		 extract_pending; /* only STORE_EXTRACT_PENDING items */
	/*
	 * false: one row per story, its earliest copy the filter selects
	 * (without feed, starred, ids or search filters: the story's first
	 * copy, and since/until/after_id apply to it).
	 */
	bool		 all_copies;
	size_t		 limit;		/* 0: no limit */
	size_t		 offset;
	bool		 oldest_first;	/* default: newest first */
	bool		 with_bodies;	/* fill summary/content/article_* */
};

/*
 * Newest first (by published date, capped at first seen, else first
 * seen), ties by id.  Search results: newest stored first (by id), so a
 * common word costs no more than a rare one.  A bad search query is an
 * error ("search: ...").
 */
int	store_items_list(struct store *, const struct store_filter *,
	    struct store_item **ret, size_t *ret_n, char **ret_err);
/* One item with its bodies and its story's other copies. */
int	store_item_get(struct store *, int64_t id, struct store_item **ret,
	    char **ret_err);
void	store_items_free(struct store_item *, size_t n);

enum store_mark {
	STORE_MARK_READ,
	STORE_MARK_UNREAD,
	STORE_MARK_STAR,
	STORE_MARK_UNSTAR,
};

/*
 * Marks the items the filter selects.  Read and unread apply to whole
 * stories: marking any copy read marks every copy read.  *ret_ids (may be
 * NULL) receives the ids whose state actually changed.
 */
int	store_mark(struct store *, const struct store_filter *, enum store_mark,
	    int64_t now, int64_t **ret_ids, size_t *ret_n, char **ret_err);

/* ---- extracted articles ---- */

struct store_article {
	enum store_extract_status status;
	const char	*error;
	const char	*title;
	const char	*byline;
	const char	*text;
	const char	*html;
};

int	store_item_set_article(struct store *, int64_t item_id,
	    const struct store_article *, char **ret_err);

/* ---- digest cursors ---- */

/*
 * A cursor is a named position (an item sequence number) for digests.
 * Leasing it lets one run at a time use it: a second lease before the first
 * expires or is released fails with EBUSY-like "cursor NAME is in use".
 */
int	store_cursor_lease(struct store *, const char *name, const char *holder,
	    int64_t now, int64_t ttl_seconds, int64_t *ret_position,
	    bool *ret_is_new, char **ret_err);
/* Moves the cursor (only by its lease holder) and releases the lease. */
int	store_cursor_commit(struct store *, const char *name, const char *holder,
	    int64_t position, char **ret_err);
int	store_cursor_release(struct store *, const char *name,
	    const char *holder, char **ret_err);

/* ---- housekeeping ---- */

struct store_retention {
	const char	*feed;		/* only this feed (NULL: every feed) */
	int64_t		 max_age_days;	/* 0: no age limit (by first seen) */
	int64_t		 max_items_per_feed; /* 0: no count limit */
	bool		 include_unread;	/* also delete unread items */
	bool		 include_starred;	/* also delete starred items */
};

/*
 * Deletes what the limits allow, at most budget_rows rows per call so the
 * loop stays responsive; *ret_more says whether another call is needed
 * (call again with the same limits until it is false).  Never forgets the
 * identity of an item its feed still lists: a deleted item leaves a
 * tombstone that keeps it from coming back as new, dropped once the feed
 * stopped listing it.  Each run also drops those tombstones and the text
 * fingerprints older than the near-duplicate window (30 days), for the
 * feeds in scope: call it for every feed now and then (daily), with or
 * without limits, or once with feed = NULL.
 */
int	store_retention_run(struct store *, const struct store_retention *,
	    int64_t now, size_t budget_rows, bool *ret_more, char **ret_err);
/*
 * Housekeeping on a schedule (daily, say), not on every start: drops the
 * tombstones and expired fingerprints of every feed (as a retention run
 * without limits would, up to 100,000 rows), PRAGMA optimize, merges the
 * search index a little, and VACUUMs when a quarter of the file is free.
 */
int	store_maintain(struct store *, char **ret_err);

struct store_stats {
	int64_t		 n_feeds;	/* followed */
	int64_t		 n_items;
	int64_t		 n_unread;	/* items */
	int64_t		 n_unread_stories;
	int64_t		 n_starred;
	int64_t		 n_stories;
	int64_t		 n_tombstones;	/* identities of deleted items */
	int64_t		 db_bytes;
};

int	store_stats(struct store *, struct store_stats *ret, char **ret_err);

/* ---- for tests and diagnostics ---- */

/* The schema version this feedd writes (PRAGMA user_version). */
int	store_schema_version(void);
/*
 * Creates a new database at path with the schema of an older version
 * (1 .. store_schema_version()), as an older feedd left it: the start
 * of migration tests.
 */
int	store_create_version(const char *path, int version, char **ret_err);
/* Runs SQL on the store's connection (e.g. PRAGMA max_page_count). */
int	store_exec(struct store *, const char *sql, char **ret_err);

#endif
