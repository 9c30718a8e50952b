/*
 * daemon: the per-feed runtime and the fetch -> parse -> store -> extract
 * pipeline (see daemon.h).  Owns the configuration in force, the store,
 * the fetcher, the server, one struct dfeed per followed feed (its timer,
 * its fetch job, its fetch state), the article jobs, the Refresh waiters
 * and the housekeeping timers.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdatomic.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <math.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <libxml/parser.h>

#include "daemon.h"
#include "date.h"
#include "extract.h"
#include "fetch.h"
#include "html.h"
#include "log.h"
#include "parse.h"
#include "sanitize.h"
#include "sched.h"
#include "sdnotify.h"
#include "server.h"
#include "store.h"
#include "url.h"
#include "util.h"
#include "work.h"

/* At most this many articles are fetched for one fetch of a feed. */
#define ARTICLES_PER_FETCH	50
/* fulltext = auto: content shorter than this (as text) is a teaser. */
#define AUTO_SHORT_TEXT		600
/* Rules look at this much of an item's text. */
#define RULE_TEXT_MAX		65536
/* Retention: rows per slice, and the pause between slices. */
#define RETENTION_BUDGET	500
#define SLICE_PAUSE		0.01
#define RETENTION_EVERY		3600.
#define MAINTAIN_EVERY		86400.
#define STATUS_EVERY		5.
/*
 * Fetched feeds are stored in batches (see struct pending): a batch is
 * the fetches that ended in one turn of the loop, written before the
 * loop waits again (ev_prepare), or at once when it holds this many
 * feeds or items, so that it never blocks the loop (and the clients it
 * serves) for long, the parsed feeds it holds stay small, and the worker
 * thread soon gets more to parse (a cold refresh of 1,000 feeds took
 * 5.9 s with batches of up to 1,000 items, 5.1 s with 125; commits cost
 * little in WAL mode).
 */
#define BATCH_MAX_FEEDS		32
#define BATCH_MAX_ITEMS		125
/*
 * New items join the search index when the loop is idle, this many at a
 * time (about 20 ms of work): a client's call waits at most that long.
 */
#define INDEX_SLICE		250
/*
 * Feed bodies go to the parser on the worker thread (work.h) in pieces of
 * this size; the loop waits while the worker has more than WORK_MAX_COST
 * bytes to parse, or PARSE_MAX_UNSTORED fetched bodies whose items have
 * not joined a batch yet (each holds about three times its size once
 * parsed and sanitized).  Holding new fetches back instead was slower
 * (cold refresh of 1,000 feeds 6.1 s, not 5.2 s).
 */
#define PARSE_PIECE		65536
#define WORK_MAX_COST		(4 << 20)
#define PARSE_MAX_UNSTORED	8

#define FEED_ACCEPT "application/rss+xml, application/atom+xml, " \
	"application/feed+json, application/json;q=0.9, " \
	"application/rdf+xml;q=0.9, application/xml;q=0.9, " \
	"text/xml;q=0.9, */*;q=0.5"
#define PAGE_ACCEPT "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

struct waiter;
struct article_job;
struct pending;
struct parse_job;

/* A set of waiters: the Refresh calls that wait for one unit of work. */
struct waiters {
	struct waiter	**v;		/* each holds one reference for us */
	size_t		 n;
};

struct dfeed {
	struct daemon		*d;
	char			*name;		/* owned; the tree key */
	int64_t			 id;
	const struct feed_conf	*conf;		/* d->cfg's or own */
	struct feed_conf	*own;		/* runtime feeds: owned */
	struct store_fetch_state st;		/* owned strings */
	ev_timer		 timer;
	bool			 scheduled;
	int64_t			 due;		/* Unix time, when scheduled */
	struct fetch_job	*job;		/* owned by the fetcher */
	struct parse_job	*parse;		/* its body's, till parsed */
	bool			 forced;	/* a Refresh: even if disabled */
	struct waiters		 waiting;	/* for the fetch in flight */
	enum fetch_addr_class	 addr_class;	/* of its server, for articles */
	struct feed_hints	 hints;		/* from the last parse */
	bool			 have_hints;
	int64_t			 observed;	/* gap between posts, or 0 */
	bool			 requeue_pending;	/* extractions left over */
	LIST_HEAD(, article_job) articles;
	TAILQ_ENTRY(dfeed)	 entry;		/* d->feeds */
};

struct article_job {
	struct daemon		*d;
	struct dfeed		*feed;		/* NULL once it is gone */
	int64_t			 item_id;
	char			*url;
	struct fetch_job	*job;
	struct waiters		 waiting;
	LIST_ENTRY(article_job)	 entry;		/* feed->articles or d->orphans */
};

/* One Refresh (or extract) call waiting for its units of work. */
struct waiter {
	server_done_cb		 cb;
	void			*arg;
	size_t			 refs;		/* units still to finish */
	size_t			 failed;
	char			*first_error;
	LIST_ENTRY(waiter)	 entry;		/* d->waiters */
};

/*
 * A fetch's outcome waiting to be stored.  The feeds whose fetches end
 * close together are stored in one transaction, a savepoint each (store
 * batch): a commit costs per page written, and each feed's items touch
 * the same random index pages, so one commit for 30 feeds costs about
 * what one did for each.  Nothing is told (watchers, Refresh waiters,
 * the log, the schedule of a stored feed) before the commit; a crash
 * loses at most the batch, which the next fetch brings back (the
 * validators are saved with the content, never before it).
 */
struct pending {
	struct dfeed		*feed;
	struct feed		*f;		/* owned; NULL: fetch state only */
	size_t			 n_all;		/* items before the rules */
	size_t			 dropped;	/* by the rules */
	struct fetch_result	 r;		/* owned: its headers (no body) */
	struct store_fetch_state st;		/* owned: the state to save */
	char			*why;		/* owned: why the fetch failed */
	struct waiters		 waiting;	/* the fetch's Refresh calls */
	/* Filled by the batch. */
	bool			 stored;
	char			*err;		/* owned: why it was not */
	struct store_apply_result ar;
	TAILQ_ENTRY(pending)	 entry;		/* d->batch */
};

/*
 * A feed's body on its way through the worker thread (work.h): handed to
 * its parser in pieces as it arrives, then parsed to the end and its items
 * sanitized there, and back to the loop.  The loop thread owns the job
 * until parse_job_submit(), the worker from then until finish_done(), back
 * on the loop; the worker reads the fields the loop set before, and the
 * two share only the atomics.
 */
struct parse_job {
	struct dfeed		*feed;		/* NULL once it is gone */
	struct parser		*parser;
	struct buf		 piece;		/* bytes not yet handed over */
	size_t			 total;		/* bytes received */
	bool			 submitted;	/* parse_job_submit() called */
	char			*base_url;	/* for the sanitizer */
	struct fetch_result	 r;		/* the fetch's outcome */
	struct feed		*f;		/* the result */
	char			*err;		/* why the parser refused it */
	atomic_bool		 failed;	/* the parser refused it */
	atomic_bool		 cancelled;	/* nobody wants the result */
};

/* A piece of a body, for the parser. */
struct parse_piece {
	struct parse_job	*job;
	char			*data;
	size_t			 len;
};

struct daemon {
	struct ev_loop		*loop;		/* borrowed */
	struct config		*cfg;		/* owned */
	char			*config_path;	/* owned, or NULL */
	bool			 config_is_default;
	char			*db_path;	/* owned */
	struct store		*store;		/* owned */
	struct fetch		*fetch;		/* owned */
	struct work		*work;		/* owned: parses and sanitizes */
	struct server		*server;	/* owned */
	void			*by_name;	/* tsearch tree of dfeed */
	TAILQ_HEAD(, dfeed)	 feeds;
	size_t			 n_feeds;
	LIST_HEAD(, article_job) orphans;	/* articles of removed feeds */
	size_t			 n_articles;
	LIST_HEAD(, waiter)	 waiters;
	TAILQ_HEAD(, pending)	 batch;		/* fetched, to store */
	size_t			 batch_feeds;
	size_t			 batch_items;
	size_t			 items_since_trim; /* give_back_memory() */
	ev_prepare		 batch_prepare;	/* stores the batch */
	ev_idle			 index_idle;	/* indexes new items */
	int64_t			 started;
	int64_t			 n_items;
	int64_t			 n_unread;
	bool			 stopping;
	const char		*state;		/* for Status */
	/* Housekeeping. */
	ev_timer		 retention_timer;
	ev_timer		 maintain_timer;
	ev_timer		 status_timer;
	ev_timer		 slice_timer;
	char			**retention_feeds;	/* names left to do */
	size_t			 retention_n, retention_i;
	bool			 retention_running;
	char			*last_status;
	struct server_hooks	 hooks;		/* the server borrows them */
};

static void	feed_schedule(struct dfeed *, int64_t due);
static void	feed_fetch_now(struct dfeed *);
static void	article_done_cb(struct fetch_result *, void *);
static void	pending_free(struct daemon *, struct pending *, const char *);
static void	parse_job_cancel(struct dfeed *);

/* ---- small helpers ---- */

static int64_t
now_unix(void)
{
	return (int64_t)time(NULL);
}

/*
 * The current time rounded up, as the base of due times: a delay counted
 * from it is never shorter than asked (Retry-After: 3 means 3 s, not 2.1).
 */
static int64_t
now_ceil(void)
{
	return (int64_t)ceil(ev_time());
}

static uint64_t
rnd64(void)
{
	return (uint64_t)arc4random() << 32 | arc4random();
}

/* "2026-01-02T03:04:05Z" */
static const char *
fmt_time(int64_t t, char *buf, size_t len)
{
	date_format_rfc3339(t, buf, len);
	return buf;
}

/* "90 s", "15 min", "2 h", "3 d": a delay for people. */
static char *
fmt_delay(int64_t s)
{
	if (s < 120)
		return xasprintf("%lld s", (long long)s);
	if (s < 2 * 3600)
		return xasprintf("%lld min", (long long)(s + 30) / 60);
	if (s < 2 * 86400)
		return xasprintf("%.1f h", (double)s / 3600);
	return xasprintf("%.1f d", (double)s / 86400);
}

static void
fetch_state_clear(struct store_fetch_state *st)
{
	free(st->url);
	free(st->etag);
	free(st->last_modified);
	free(st->last_error);
	memset(st, 0, sizeof(*st));
}

/* Moves src into dst (which is cleared first). */
static void
fetch_state_take(struct store_fetch_state *dst, struct store_fetch_state *src)
{
	fetch_state_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static void
fetch_state_copy(struct store_fetch_state *dst,
    const struct store_fetch_state *src)
{
	*dst = *src;
	dst->url = src->url ? xstrdup(src->url) : NULL;
	dst->etag = src->etag ? xstrdup(src->etag) : NULL;
	dst->last_modified = src->last_modified ?
	    xstrdup(src->last_modified) : NULL;
	dst->last_error = src->last_error ? xstrdup(src->last_error) : NULL;
}

/* ---- waiters (Refresh --wait, extract --item) ---- */

static struct waiter *
waiter_new(struct daemon *d, server_done_cb cb, void *arg)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	w->refs = 1;		/* the caller's, dropped when set up */
	LIST_INSERT_HEAD(&d->waiters, w, entry);
	return w;
}

static void
waiter_unref(struct waiter *w, const char *err)
{
	if (err != NULL) {
		w->failed++;
		if (w->first_error == NULL)
			w->first_error = xstrdup(err);
	}
	if (--w->refs > 0)
		return;
	LIST_REMOVE(w, entry);
	if (w->failed == 0)
		w->cb(w->arg, NULL);
	else if (w->failed == 1)
		w->cb(w->arg, w->first_error);
	else {
		char *msg = xasprintf("%s (and %zu more failures)",
		    w->first_error, w->failed - 1);

		w->cb(w->arg, msg);
		free(msg);
	}
	free(w->first_error);
	free(w);
}

static void
waiters_add(struct waiters *ws, struct waiter *w)
{
	ws->v = xreallocarray(ws->v, ws->n + 1, sizeof(*ws->v));
	ws->v[ws->n++] = w;
	w->refs++;
}

/* Every waiter of src also waits for the unit dst. */
static void
waiters_copy(struct waiters *dst, const struct waiters *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		waiters_add(dst, src->v[i]);
}

/* The unit is over: drops its references (err: why it failed). */
static void
waiters_release(struct waiters *ws, const char *err)
{
	struct waiter **v = ws->v;
	size_t i, n = ws->n;

	ws->v = NULL;
	ws->n = 0;
	for (i = 0; i < n; i++)
		waiter_unref(v[i], err);
	free(v);
}

/* ---- the feed table ---- */

static int
dfeed_cmp(const void *a, const void *b)
{
	const struct dfeed *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static struct dfeed *
feed_find(struct daemon *d, const char *name)
{
	struct dfeed key = { .name = (char *)name };
	struct dfeed **found = tfind(&key, &d->by_name, dfeed_cmp);

	return found ? *found : NULL;
}

/* A feed_conf for a runtime feed, from the global settings. */
static struct feed_conf *
runtime_conf(const struct config *cfg, const struct store_feed *sf)
{
	struct feed_conf *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(sf->name);
	c->url = xstrdup(sf->config_url);
	c->interval = cfg->interval;
	c->fulltext = sf->fulltext ? FULLTEXT_YES : FULLTEXT_NO;
	c->user_agent = cfg->user_agent ? xstrdup(cfg->user_agent) : NULL;
	c->enabled = true;
	c->max_body = cfg->max_body;
	c->keep_days = cfg->keep_days;
	c->keep_items = cfg->keep_items;
	return c;
}

static void
runtime_conf_free(struct feed_conf *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->url);
	free(c->user_agent);
	free(c);
}

static void feed_timer_cb(struct ev_loop *, ev_timer *, int);

static struct dfeed *
feed_add(struct daemon *d, struct store_feed *sf, const struct feed_conf *conf)
{
	struct dfeed *df = xcalloc(1, sizeof(*df));

	df->d = d;
	df->name = xstrdup(sf->name);
	df->id = sf->id;
	if (conf != NULL)
		df->conf = conf;
	else
		df->conf = df->own = runtime_conf(d->cfg, sf);
	fetch_state_take(&df->st, &sf->fetch);
	if (df->st.url == NULL || *df->st.url == '\0')
		str_set(&df->st.url, df->conf->url);
	df->addr_class = FETCH_ADDR_UNKNOWN;
	df->requeue_pending = true;
	LIST_INIT(&df->articles);
	ev_timer_init(&df->timer, feed_timer_cb, 0., 0.);
	df->timer.data = df;
	if (tsearch(df, &d->by_name, dfeed_cmp) == NULL)
		abort();
	TAILQ_INSERT_TAIL(&d->feeds, df, entry);
	d->n_feeds++;
	return df;
}

static void
article_job_free(struct article_job *aj, const char *err)
{
	if (aj->job != NULL)
		fetch_cancel(aj->job);
	LIST_REMOVE(aj, entry);
	aj->d->n_articles--;
	waiters_release(&aj->waiting, err);
	free(aj->url);
	free(aj);
}

/* Stops a feed: its timer, its transfer; its articles finish alone. */
static void
dfeed_free(struct daemon *d, struct dfeed *df, const char *why)
{
	struct article_job *aj;
	struct pending *p, *next;

	/* What it fetched and nobody stored yet goes with it. */
	for (p = TAILQ_FIRST(&d->batch); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->feed == df)
			pending_free(d, p, why);
	}
	ev_timer_stop(d->loop, &df->timer);
	if (df->job != NULL)
		fetch_cancel(df->job);
	df->job = NULL;
	parse_job_cancel(df);
	waiters_release(&df->waiting, why);
	while ((aj = LIST_FIRST(&df->articles)) != NULL) {
		LIST_REMOVE(aj, entry);
		aj->feed = NULL;
		LIST_INSERT_HEAD(&d->orphans, aj, entry);
	}
	tdelete(df, &d->by_name, dfeed_cmp);
	TAILQ_REMOVE(&d->feeds, df, entry);
	d->n_feeds--;
	fetch_state_clear(&df->st);
	runtime_conf_free(df->own);
	free(df->name);
	free(df);
}

/* ---- scheduling ---- */

static struct sched_policy
feed_policy(const struct dfeed *df)
{
	const struct config *cfg = df->d->cfg;
	struct sched_policy p = {
		.interval = df->conf->interval > 0 ? df->conf->interval :
		    cfg->interval,
		.adaptive = cfg->adaptive,
		.min_interval = cfg->min_interval,
		.max_interval = cfg->max_interval,
	};

	return p;
}

static void
feed_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dfeed *df = w->data;

	df->scheduled = false;
	feed_fetch_now(df);
}

static void
feed_schedule(struct dfeed *df, int64_t due)
{
	struct daemon *d = df->d;
	/* libev counts from ev_now(), the start of this loop iteration, which
	 * may lie a slow callback in the past: counting from it is exact. */
	double delay = (double)due - ev_now(d->loop);

	ev_timer_stop(d->loop, &df->timer);
	df->scheduled = false;
	if (d->stopping || df->st.disabled)
		return;
	ev_timer_set(&df->timer, delay > 0 ? delay : 0., 0.);
	ev_timer_start(d->loop, &df->timer);
	df->scheduled = true;
	df->due = due;
}

/* Starts every feed that is due; spreads those due now over a window. */
static void
schedule_all(struct daemon *d, struct dfeed **v, size_t n)
{
	int64_t now = now_unix();
	size_t i, n_due = 0, k = 0;

	/* Timers count from the loop's idea of now, which may be as old as
	 * the start-up work before this: bring it up to date. */
	ev_now_update(d->loop);

	for (i = 0; i < n; i++)
		if (!v[i]->st.disabled && v[i]->st.next_due <= now)
			n_due++;
	for (i = 0; i < n; i++) {
		struct dfeed *df = v[i];

		if (df->st.disabled) {
			log_info("feed %s: disabled (%s)", df->name,
			    df->st.last_error ? df->st.last_error :
			    "after an earlier error");
			continue;
		}
		if (df->st.next_due > now) {
			feed_schedule(df, df->st.next_due);
			continue;
		}
		feed_schedule(df, now);
		/* Spread over a window: set the timer in fractions. */
		ev_timer_stop(d->loop, &df->timer);
		ev_timer_set(&df->timer, sched_spread(k++, n_due,
		    feed_policy(df).interval), 0.);
		ev_timer_start(d->loop, &df->timer);
	}
}

/* ---- rules and full text decisions ---- */

/* The title, or the text of content (else summary) that sanitize_item set. */
static bool
rule_match(const regex_t *re, const struct item *it)
{
	size_t len;
	char *head;
	bool hit;

	if (it->title != NULL && regexec(re, it->title, 0, NULL, 0) == 0)
		return true;
	if (it->text == NULL)
		return false;
	if ((len = strlen(it->text)) <= RULE_TEXT_MAX)
		return regexec(re, it->text, 0, NULL, 0) == 0;
	head = xstrndup(it->text, utf8_cut(it->text, len, RULE_TEXT_MAX));
	hit = regexec(re, head, 0, NULL, 0) == 0;
	free(head);
	return hit;
}

/*
 * Moves the items the keep/block rules reject behind the others and hides
 * them (f->n_items shrinks); returns how many.  The caller restores
 * n_items before feed_free() so that they are freed too.
 */
static size_t
apply_rules(const struct feed_conf *conf, struct feed *f)
{
	size_t i, k = 0;

	if (conf->keep_re == NULL && conf->block_re == NULL)
		return 0;
	for (i = 0; i < f->n_items; i++) {
		struct item *it = &f->items[i];
		bool keep = true;

		if (conf->keep_re != NULL && !rule_match(conf->keep_re, it))
			keep = false;
		if (keep && conf->block_re != NULL &&
		    rule_match(conf->block_re, it))
			keep = false;
		if (keep) {
			if (k != i) {
				struct item tmp = f->items[k];

				f->items[k] = *it;
				*it = tmp;
			}
			k++;
		}
	}
	i = f->n_items - k;
	f->n_items = k;
	return i;
}

/* fulltext = auto: no content, short content, or a "read more" ending. */
static bool
wants_article(enum fulltext mode, const struct store_item *it)
{
	static const char *const teasers[] = {
		"read more", "continue reading", "read the rest",
		"read full", "full story", "more\xc2\xbb", "more \xc2\xbb",
		"[\xe2\x80\xa6]", "[...]", "\xe2\x80\xa6", "...",
		"weiterlesen", "lire la suite", "leer m\xc3\xa1s",
		"continua a leggere", "lees verder", "ler mais",
	};
	const char *html = it->content ? it->content : it->summary;
	char *text, *tail;
	size_t len, i, tl;
	bool want = false;

	if (it->link == NULL || !url_is_http(it->link))
		return false;
	if (mode == FULLTEXT_YES)
		return true;
	if (mode != FULLTEXT_AUTO)
		return false;
	if (html == NULL || *html == '\0')
		return true;
	text = html_to_text(html, strlen(html));
	len = strlen(text);
	while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
		len--;
	text[len] = '\0';
	if (len < AUTO_SHORT_TEXT)
		want = true;
	tail = text + (len > 80 ? len - 80 : 0);
	for (i = 0; tail[i] != '\0'; i++)
		if (tail[i] >= 'A' && tail[i] <= 'Z')
			tail[i] = (char)(tail[i] - 'A' + 'a');
	tl = strlen(tail);
	for (i = 0; !want && i < ARRAY_SIZE(teasers); i++) {
		size_t n = strlen(teasers[i]);

		/* At the very end, or as the last words before a link. */
		if (tl >= n && (strcmp(tail + tl - n, teasers[i]) == 0 ||
		    strstr(tail + (tl > 30 ? tl - 30 : 0), teasers[i]) != NULL))
			want = true;
	}
	free(text);
	return want;
}

/* ---- articles ---- */

/* The address class articles of df may use: where df itself lives. */
static enum fetch_addr_class
feed_class(const struct dfeed *df)
{
	char *host;
	enum fetch_addr_class c;

	if (df == NULL)
		return FETCH_ADDR_UNKNOWN;
	if (df->addr_class != FETCH_ADDR_UNKNOWN)
		return df->addr_class;
	/* Not fetched yet: a literal address in its URL says it. */
	host = url_host(df->st.url ? df->st.url : df->conf->url);
	if (host == NULL)
		return FETCH_ADDR_UNKNOWN;
	if (host[0] == '[') {
		size_t l = strlen(host);

		memmove(host, host + 1, l);
		if (l >= 2)
			host[l - 2] = '\0';
	}
	c = strcmp(host, "localhost") == 0 ? FETCH_ADDR_LOOPBACK :
	    fetch_addr_classify_str(host);
	free(host);
	return c;
}

static struct article_job *
article_start(struct daemon *d, struct dfeed *df, int64_t item_id,
    const char *url, const struct waiters *ws, struct waiter *w)
{
	struct article_job *aj = xcalloc(1, sizeof(*aj));
	const struct feed_conf *c = df ? df->conf : NULL;
	struct fetch_request req = {
		.url = url,
		.prio = FETCH_PRIO_ARTICLE,
		.accept = PAGE_ACCEPT,
		.user_agent = c ? c->user_agent : NULL,
		.proxy = c ? c->proxy : NULL,
		.http1 = c ? c->http1 : false,
		.guard = true,
		.allow = feed_class(df),
	};

	aj->d = d;
	aj->feed = df;
	aj->item_id = item_id;
	aj->url = xstrdup(url);
	if (ws != NULL)
		waiters_copy(&aj->waiting, ws);
	if (w != NULL)
		waiters_add(&aj->waiting, w);
	if (df != NULL)
		LIST_INSERT_HEAD(&df->articles, aj, entry);
	else
		LIST_INSERT_HEAD(&d->orphans, aj, entry);
	d->n_articles++;
	aj->job = fetch_start(d->fetch, &req, article_done_cb, aj);
	return aj;
}

static bool
is_html_type(const char *ct)
{
	if (ct == NULL)
		return true;
	while (*ct == ' ')
		ct++;
	return str_has_prefix_ci(ct, "text/html") ||
	    str_has_prefix_ci(ct, "application/xhtml+xml") ||
	    str_has_prefix_ci(ct, "text/plain");
}

static void
article_done_cb(struct fetch_result *r, void *arg)
{
	struct article_job *aj = arg;
	struct daemon *d = aj->d;
	const char *fname = aj->feed ? aj->feed->name : "(removed)";
	struct store_article art = { .status = STORE_EXTRACT_FAILED };
	struct article *a = NULL;
	char *why = NULL, *err = NULL;
	bool stored = true;

	aj->job = NULL;
	if (r->error != NULL)
		why = xstrdup(r->error);
	else if (r->status != 200)
		why = xasprintf("HTTP %d", r->status);
	else if (!is_html_type(r->content_type))
		why = xasprintf("not a web page (%s)", r->content_type);
	else {
		struct extract_opts eo = { .url = r->url ? r->url : aj->url,
		    .content_type = r->content_type };

		if (extract_article(r->body ? r->body : "", r->len, &eo, &a,
		    &err) == -1) {
			why = err;
			err = NULL;
		} else if (a->text == NULL || *a->text == '\0')
			why = xstrdup(a->reason ? a->reason :
			    "no article found in the page");
	}
	if (why == NULL) {
		art.status = STORE_EXTRACT_OK;
		art.title = a->title;
		art.byline = a->byline;
		art.text = a->text;
		art.html = a->html;
	} else
		art.error = why;
	if (store_item_set_article(d->store, aj->item_id, &art, &err) == -1) {
		log_err("feed %s: item %lld: cannot store its article: %s",
		    fname, (long long)aj->item_id, err);
		free(err);
		err = NULL;
		stored = false;
	} else {
		if (why == NULL)
			log_info("feed %s: item %lld: article extracted "
			    "(%zu bytes of text)", fname,
			    (long long)aj->item_id, strlen(a->text));
		else
			log_info("feed %s: item %lld: no article: %s", fname,
			    (long long)aj->item_id, why);
		if (d->server != NULL)
			server_notify_items(d->server, &aj->item_id, 1);
	}
	article_free(a);
	/* Waiters learn of failures to store, not of pages without text. */
	article_job_free(aj, stored ? NULL : "cannot store an article");
	free(why);
}

/* Queues article fetches for the new items of df that want them. */
static void
queue_articles(struct daemon *d, struct dfeed *df, const int64_t *ids,
    size_t n)
{
	struct store_filter flt = { .ids = ids, .n_ids = n,
	    .all_copies = true, .with_bodies = true,
	    .limit = ARTICLES_PER_FETCH };
	struct store_item *items = NULL;
	size_t n_items = 0, i, queued = 0;
	char *err = NULL;

	if (df->conf->fulltext == FULLTEXT_NO || n == 0)
		return;
	if (store_items_list(d->store, &flt, &items, &n_items, &err) == -1) {
		log_err("feed %s: cannot list new items for full text: %s",
		    df->name, err);
		free(err);
		return;
	}
	for (i = 0; i < n_items; i++) {
		struct store_article pending = {
			.status = STORE_EXTRACT_PENDING };

		if (!wants_article(df->conf->fulltext, &items[i]))
			continue;
		if (store_item_set_article(d->store, items[i].id, &pending,
		    &err) == -1) {
			log_err("feed %s: item %lld: %s", df->name,
			    (long long)items[i].id, err);
			free(err);
			err = NULL;
			continue;
		}
		article_start(d, df, items[i].id, items[i].link, &df->waiting,
		    NULL);
		queued++;
	}
	if (queued > 0)
		log_info("feed %s: fetching %zu article%s for full text",
		    df->name, queued, queued == 1 ? "" : "s");
	store_items_free(items, n_items);
}

/* Extractions a previous run left pending: queued once the feed's class
 * is known. */
static void
requeue_pending(struct daemon *d, struct dfeed *df)
{
	struct store_filter flt = { .feed = df->name, .all_copies = true,
	    .extract_pending = true, .limit = ARTICLES_PER_FETCH };
	struct store_item *items = NULL;
	size_t n = 0, i;
	char *err = NULL;

	df->requeue_pending = false;
	if (df->conf->fulltext == FULLTEXT_NO)
		return;
	if (store_items_list(d->store, &flt, &items, &n, &err) == -1) {
		free(err);
		return;
	}
	for (i = 0; i < n; i++)
		if (items[i].link != NULL && url_is_http(items[i].link))
			article_start(d, df, items[i].id, items[i].link, NULL,
			    NULL);
	if (n > 0)
		log_info("feed %s: resuming %zu pending extraction%s",
		    df->name, n, n == 1 ? "" : "s");
	store_items_free(items, n);
}

/* ---- a feed fetch and its outcome ---- */

static void feed_done_cb(struct fetch_result *, void *);
static int feed_body_cb(const struct fetch_head *, const char *, size_t,
    void *);

static void
feed_fetch_now(struct dfeed *df)
{
	struct daemon *d = df->d;
	const struct feed_conf *c = df->conf;
	struct fetch_request req = {
		.url = df->st.url ? df->st.url : c->url,
		.prio = FETCH_PRIO_FEED,
		.etag = df->st.etag,
		.last_modified = df->st.last_modified,
		.accept = FEED_ACCEPT,
		.user_agent = c->user_agent,
		.headers = (const char *const *)c->headers,
		.n_headers = c->n_headers,
		.username = c->username,
		.password = c->password,
		.proxy = c->proxy,
		.http1 = c->http1,
		.max_body = c->max_body,
		.body_cb = feed_body_cb,
	};

	/* Also while the last body is parsed: it is stored first. */
	if (d->stopping || df->job != NULL || df->parse != NULL)
		return;
	if (df->st.disabled && !df->forced)
		return;
	ev_timer_stop(d->loop, &df->timer);
	df->scheduled = false;
	log_debug("feed %s: fetching %s", df->name, req.url);
	df->job = fetch_start(d->fetch, &req, feed_done_cb, df);
}

static void
save_state(struct daemon *d, struct dfeed *df)
{
	char *err = NULL;

	if (store_feed_save_fetch(d->store, df->id, &df->st, &err) == -1) {
		log_err("feed %s: cannot save its fetch state: %s", df->name,
		    err);
		free(err);
	}
}

/* An error: back off (honouring Retry-After), log, schedule. */
static void
feed_failed(struct dfeed *df, const struct fetch_result *r, const char *what)
{
	struct sched_policy p = feed_policy(df);
	int64_t now = now_ceil(), retry = 0, next;
	char tbuf[DATE_RFC3339_LEN + 1], *delay;

	if (r != NULL && (r->status == 429 || r->status == 503))
		retry = sched_parse_retry_after(r->retry_after, now);
	df->st.error_streak++;
	str_set(&df->st.last_error, what);
	next = sched_next_error(&p, df->st.error_streak, retry, now, rnd64());
	df->st.next_due = next;
	delay = fmt_delay(next - now);
	log_warn("feed %s: %s, retrying in %s at %s%s", df->name, what, delay,
	    fmt_time(next, tbuf, sizeof(tbuf)),
	    retry > 0 ? " (Retry-After)" : "");
	free(delay);
	feed_schedule(df, next);
}

/* The state a success (200 stored, or 304) leaves: the next regular fetch. */
static void
success_state(const struct dfeed *df, const struct fetch_result *r,
    struct store_fetch_state *st)
{
	struct sched_policy p = feed_policy(df);
	struct sched_hints h = {
		.max_age = sched_parse_max_age(r->cache_control),
		.expires = sched_parse_http_date(r->expires),
		.date = sched_parse_http_date(r->date),
		.feed = df->have_hints ? &df->hints : NULL,
		.observed = df->observed,
	};
	int64_t now = now_ceil();

	/* "no-cache" and "no-store" say nothing about how often to poll. */
	if (r->cache_control != NULL &&
	    (strstr(r->cache_control, "no-store") != NULL ||
	    strstr(r->cache_control, "no-cache") != NULL))
		h.max_age = -1;
	st->last_success = now;
	st->error_streak = 0;
	str_set(&st->last_error, NULL);
	st->disabled = false;
	st->next_due = sched_next_ok(&p, &h, now, rnd64());
}

static int64_t
observed_gap(const struct feed *f)
{
	int64_t *t;
	size_t i, n = 0;
	int64_t gap;

	if (f->n_items < 3)
		return 0;
	t = xreallocarray(NULL, f->n_items, sizeof(*t));
	for (i = 0; i < f->n_items; i++) {
		int64_t v = f->items[i].published != DATE_NONE ?
		    f->items[i].published : f->items[i].updated;

		if (v != DATE_NONE)
			t[n++] = v;
	}
	gap = sched_observed_interval(t, n);
	free(t);
	return gap;
}

/* ---- the batch of fetched feeds to store (see struct pending) ---- */

static void
pending_free(struct daemon *d, struct pending *p, const char *why)
{
	TAILQ_REMOVE(&d->batch, p, entry);
	d->batch_feeds--;
	if (p->f != NULL) {
		d->batch_items -= p->f->n_items;
		p->f->n_items = p->n_all;
		feed_free(p->f);
	}
	waiters_release(&p->waiting, why);
	fetch_result_clear(&p->r);
	fetch_state_clear(&p->st);
	store_apply_result_clear(&p->ar);
	free(p->why);
	free(p->err);
	free(p);
	if (TAILQ_EMPTY(&d->batch))
		ev_prepare_stop(d->loop, &d->batch_prepare);
}

/* After the commit: what a stored feed's fetch leads to. */
static void
pending_stored(struct daemon *d, struct pending *p)
{
	struct dfeed *df = p->feed;
	struct store_apply_result *ar = &p->ar;
	struct buf msg = { 0 };

	fetch_state_take(&df->st, &p->st);
	d->n_items += (int64_t)ar->n_new;
	d->n_unread += (int64_t)ar->n_new;
	if (ar->n_new > 0 || ar->n_changed > 0)
		buf_printf(&msg, "%zu new, %zu changed", ar->n_new,
		    ar->n_changed);
	else
		buf_puts(&msg, "nothing new");
	buf_printf(&msg, " (%zu item%s", p->n_all, p->n_all == 1 ? "" : "s");
	if (p->dropped > 0)
		buf_printf(&msg, ", %zu dropped by rules", p->dropped);
	buf_puts(&msg, ")");
	log_info("feed %s: %s", df->name, msg.data);
	buf_free(&msg);
	if (p->f->n_items_dropped > 0)
		log_notice("feed %s: %zu items beyond the parse limit ignored",
		    df->name, p->f->n_items_dropped);
	if (d->server != NULL) {
		if (ar->n_new > 0)
			server_notify_items(d->server, ar->new_ids, ar->n_new);
		if (ar->n_changed > 0)
			server_notify_items(d->server, ar->changed_ids,
			    ar->n_changed);
	}
	queue_articles(d, df, ar->new_ids, ar->n_new);
	feed_schedule(df, df->st.next_due);
}

/*
 * Once a refresh is over, returns the freed heap to the system: a refresh
 * of thousands of feeds leaves glibc's heap fragmented (parsed feeds,
 * response bodies and sanitizer trees freed in a different order than
 * they were made), and without this the daemon sits idle at its peak.
 * Only after parsed items: unchanged (304) feeds leave nothing to give.
 */
static void
give_back_memory(struct daemon *d)
{
#ifdef HAVE_MALLOC_TRIM
	if (d->items_since_trim > 0 &&
	    fetch_active(d->fetch, FETCH_PRIO_FEED) == 0 &&
	    fetch_queued(d->fetch, FETCH_PRIO_FEED) == 0 &&
	    d->n_articles == 0) {
		malloc_trim(0);
		d->items_since_trim = 0;
	}
#else
	(void)d;
#endif
}

/*
 * Stores every pending outcome in one transaction, a savepoint each: a
 * feed that cannot be stored fails alone, the others are committed.
 * Then tells everyone, in the order the fetches ended.
 */
static void
batch_flush(struct daemon *d)
{
	struct pending *p;
	char *err = NULL, *batch_err = NULL;
	size_t n_feeds = d->batch_feeds, n_items = d->batch_items;
	double t0;

	if (TAILQ_EMPTY(&d->batch))
		return;
	t0 = ev_time();
	if (store_batch_begin(d->store, &err) == -1) {
		batch_err = err;
		err = NULL;
	}
	TAILQ_FOREACH(p, &d->batch, entry) {
		struct dfeed *df = p->feed;

		if (batch_err != NULL)
			break;
		if (p->f == NULL) {
			/* Only the state: its outcome is already known. */
			if (store_feed_save_fetch(d->store, df->id, &p->st,
			    &err) == -1) {
				log_err("feed %s: cannot save its fetch "
				    "state: %s", df->name, err);
				free(err);
				err = NULL;
			}
			continue;
		}
		{
			struct store_apply_opts ao = { .now = now_unix(),
			    .on_update = df->conf->on_update ==
			    ON_UPDATE_UNREAD ? STORE_ON_UPDATE_UNREAD :
			    STORE_ON_UPDATE_KEEP, .fetch = &p->st };

			/* Validators only with the content stored. */
			str_set(&p->st.etag, p->r.etag);
			str_set(&p->st.last_modified, p->r.last_modified);
			success_state(df, &p->r, &p->st);
			if (store_feed_apply(d->store, df->id, p->f, &ao,
			    &p->ar, &err) == -1) {
				p->err = err;
				err = NULL;
			} else
				p->stored = true;
		}
	}
	if (batch_err == NULL && store_batch_commit(d->store, &err) == -1) {
		batch_err = err;
		err = NULL;
	}
	if (batch_err != NULL)
		log_err("cannot store %zu fetched feed%s: %s", n_feeds,
		    n_feeds == 1 ? "" : "s", batch_err);
	else if (n_feeds > 1)
		log_debug("stored %zu fetched feeds (%zu items) in %.0f ms",
		    n_feeds, n_items, (ev_time() - t0) * 1000);
	while ((p = TAILQ_FIRST(&d->batch)) != NULL) {
		struct dfeed *df = p->feed;
		char *why = NULL;

		if (p->f == NULL) {
			/* Logged and scheduled when the fetch ended. */
			pending_free(d, p, p->why);
			continue;
		}
		if (batch_err == NULL && p->stored) {
			pending_stored(d, p);
			pending_free(d, p, NULL);
			continue;
		}
		why = xasprintf("cannot store: %s",
		    batch_err != NULL ? batch_err : p->err);
		feed_failed(df, &p->r, why);
		save_state(d, df);
		pending_free(d, p, why);
		free(why);
	}
	free(batch_err);
	d->items_since_trim += n_items;
	give_back_memory(d);
	if (n_items > 0 && !d->stopping)
		ev_idle_start(d->loop, &d->index_idle);
}

/* A slice of the search index, while nothing else is to be done. */
static void
index_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct daemon *d = w->data;
	char *err = NULL;
	bool more;

	(void)revents;
	if (store_index(d->store, INDEX_SLICE, &more, &err) == -1) {
		/* The next batch tries again; a search catches up anyway. */
		log_err("cannot index new items for search: %s", err);
		free(err);
		more = false;
	}
	if (!more) {
		ev_idle_stop(loop, w);
		/* Indexing fragments the heap too. */
		d->items_since_trim++;
		give_back_memory(d);
	}
}

static void
batch_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	batch_flush(w->data);
}

/*
 * Queues the outcome of df's fetch: f (taken; NULL: only df's fetch
 * state, a copy of which is saved), r's headers (taken), why it failed.
 * Df's Refresh waiters wait for the batch now.
 */
static void
batch_add(struct daemon *d, struct dfeed *df, struct feed *f, size_t n_all,
    size_t dropped, struct fetch_result *r, const char *why)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->feed = df;
	p->f = f;
	p->n_all = n_all;
	p->dropped = dropped;
	if (r != NULL) {
		p->r = *r;
		memset(r, 0, sizeof(*r));
		free(p->r.body);	/* parsed already */
		p->r.body = NULL;
	}
	fetch_state_copy(&p->st, &df->st);
	p->why = why != NULL ? xstrdup(why) : NULL;
	p->waiting = df->waiting;
	memset(&df->waiting, 0, sizeof(df->waiting));
	TAILQ_INSERT_TAIL(&d->batch, p, entry);
	d->batch_feeds++;
	if (f != NULL)
		d->batch_items += f->n_items;
	if (d->batch_feeds >= BATCH_MAX_FEEDS ||
	    d->batch_items >= BATCH_MAX_ITEMS)
		batch_flush(d);
	else
		ev_prepare_start(d->loop, &d->batch_prepare);
}

/* A parsed and sanitized feed: the rules, then the batch.  Takes f. */
static void
feed_prepare(struct daemon *d, struct dfeed *df, struct feed *f,
    struct fetch_result *r)
{
	size_t dropped, n_all;

	df->hints = f->hints;
	df->have_hints = true;
	df->observed = observed_gap(f);
	n_all = f->n_items;
	dropped = apply_rules(df->conf, f);
	batch_add(d, df, f, n_all, dropped, r, NULL);
}

/* ---- parsing on the worker thread (see struct parse_job) ---- */

static struct parse_job *
parse_job_new(struct dfeed *df, const char *url, const char *content_type)
{
	struct parse_job *job = xcalloc(1, sizeof(*job));
	struct parse_opts po = {
		.base_url = url != NULL ? url : df->st.url,
		.content_type = content_type,
	};

	job->feed = df;
	job->parser = parser_new(&po);
	atomic_init(&job->failed, false);
	atomic_init(&job->cancelled, false);
	return job;
}

static void
parse_job_free(struct parse_job *job)
{
	parser_free(job->parser);
	buf_free(&job->piece);
	free(job->base_url);
	fetch_result_clear(&job->r);
	feed_free(job->f);
	free(job->err);
	free(job);
}

/* Worker: a piece of the body, unless the parser gave up already. */
static void
piece_run(void *arg)
{
	struct parse_piece *pc = arg;
	struct parse_job *job = pc->job;
	char *err = NULL;

	if (!atomic_load(&job->failed) && !atomic_load(&job->cancelled) &&
	    parser_push(job->parser, pc->data, pc->len, &err) == -1) {
		/* parser_finish() says why again. */
		free(err);
		atomic_store(&job->failed, true);
	}
	free(pc->data);
	free(pc);
}

/* Loop: hands the bytes collected so far to the worker. */
static void
parse_job_push(struct daemon *d, struct parse_job *job)
{
	struct parse_piece *pc = xmalloc(sizeof(*pc));

	pc->job = job;
	pc->len = job->piece.len;
	pc->data = buf_take(&job->piece);
	work_submit(d->work, piece_run, NULL, pc, pc->len);
}

/*
 * Worker: the rest of the body, the end of the parse, the sanitizer (item
 * HTML is stored only in its sanitized form: every client, digest or
 * script that shows it later gets safe HTML; the identity keys were
 * computed by the parser from the original).
 */
static void
finish_run(void *arg)
{
	struct parse_job *job = arg;
	char *err = NULL;
	size_t i;

	if (atomic_load(&job->cancelled))
		return;
	if (job->piece.len > 0 && parser_push(job->parser, job->piece.data,
	    job->piece.len, &err) == -1)
		free(err);
	if (parser_finish(job->parser, &job->f, &job->err) == -1)
		return;
	/* Also the items' plain text, from the same parse, for the store. */
	for (i = 0; i < job->f->n_items; i++)
		sanitize_item(&job->f->items[i], job->base_url);
}

/* Loop: what a 2xx response led to, once parsed. */
static void
finish_done(void *arg)
{
	struct parse_job *job = arg;
	struct dfeed *df = job->feed;
	char *why;

	if (df == NULL) {
		/* The feed went away meanwhile. */
		parse_job_free(job);
		return;
	}
	df->parse = NULL;
	if (job->err == NULL) {
		/* Stored, scheduled and told with its batch. */
		feed_prepare(df->d, df, job->f, &job->r);
		job->f = NULL;
	} else {
		why = xasprintf("cannot parse the feed: %s", job->err);
		feed_failed(df, &job->r, why);
		batch_add(df->d, df, NULL, 0, 0, NULL, why);
		free(why);
	}
	parse_job_free(job);
}

/* Loop: the job is the worker's now, until finish_done(). */
static void
parse_job_submit(struct daemon *d, struct parse_job *job)
{
	job->submitted = true;
	work_submit(d->work, finish_run, finish_done, job, job->total);
}

/* Loop: nobody wants df's parse any more; finish_done() frees it. */
static void
parse_job_cancel(struct dfeed *df)
{
	struct parse_job *job = df->parse;

	if (job == NULL)
		return;
	df->parse = NULL;
	job->feed = NULL;
	atomic_store(&job->cancelled, true);
	if (!job->submitted)
		parse_job_submit(df->d, job);
}

/* Parses a feed's body as it arrives, so a large one is never held whole. */
static int
feed_body_cb(const struct fetch_head *head, const char *data, size_t len,
    void *arg)
{
	struct dfeed *df = arg;
	struct parse_job *job = df->parse;

	if (job == NULL)
		job = df->parse = parse_job_new(df, head->url,
		    head->content_type);
	/* The parser refused what came so far: no use fetching the rest. */
	if (atomic_load(&job->failed))
		return -1;
	buf_append(&job->piece, data, len);
	job->total += len;
	if (job->piece.len >= PARSE_PIECE)
		parse_job_push(df->d, job);
	return 0;
}

static void
feed_done_cb(struct fetch_result *r, void *arg)
{
	struct dfeed *df = arg;
	struct daemon *d = df->d;
	struct parse_job *job = df->parse;
	char *why = NULL;

	df->job = NULL;
	df->forced = false;
	df->st.last_fetch = now_unix();
	df->st.last_status = r->status;
	if (r->addr_class != FETCH_ADDR_UNKNOWN)
		df->addr_class = r->addr_class;
	/* Before this fetch marks its own new items pending. */
	if (df->requeue_pending && df->addr_class != FETCH_ADDR_UNKNOWN)
		requeue_pending(d, df);

	if (r->moved_to != NULL && (r->status == 200 || r->status == 304) &&
	    r->error == NULL && df->st.url != NULL &&
	    strcmp(r->moved_to, df->st.url) != 0) {
		log_notice("feed %s: moved permanently from %s to %s",
		    df->name, df->st.url, r->moved_to);
		str_set(&df->st.url, r->moved_to);
	}

	/*
	 * A whole 2xx body goes to the parser, and so does one that the
	 * parser refused (which cut the transfer short): its error comes
	 * first.  Other bodies cut short are not parsed.
	 */
	if ((job != NULL && atomic_load(&job->failed)) ||
	    (r->status >= 200 && r->status < 300 && r->error == NULL)) {
		/* An empty body never reached feed_body_cb. */
		if (job == NULL)
			job = df->parse = parse_job_new(df, r->url,
			    r->content_type);
		log_debug("feed %s: %zu bytes fetched, to the parser",
		    df->name, job->total);
		/* Here (a fetch callback) the done callbacks may run. */
		work_wait(d->work, PARSE_MAX_UNSTORED - 1);
		job->r = *r;
		memset(r, 0, sizeof(*r));
		str_set(&job->base_url, df->st.url);
		parse_job_submit(d, job);
		return;
	}
	parse_job_cancel(df);
	if (r->error != NULL && r->status == 0)
		why = xstrdup(r->error);
	else if (r->error != NULL)
		why = xasprintf("HTTP %d: %s", r->status, r->error);
	else if (r->status == 304) {
		log_info("feed %s: 304 not modified", df->name);
		/* A 304 may carry fresher validators (RFC 9110 15.4.5). */
		if (r->etag != NULL)
			str_set(&df->st.etag, r->etag);
		if (r->last_modified != NULL)
			str_set(&df->st.last_modified, r->last_modified);
		success_state(df, r, &df->st);
		feed_schedule(df, df->st.next_due);
		batch_add(d, df, NULL, 0, 0, NULL, NULL);
	} else if (r->status == 410) {
		df->st.disabled = true;
		df->st.error_streak++;
		str_set(&df->st.last_error, "HTTP 410 Gone: the publisher "
		    "removed this feed; disabled until its URL changes or it "
		    "is refreshed by hand");
		log_warn("feed %s: HTTP 410 Gone, disabled (fix its URL or "
		    "remove it)", df->name);
		batch_add(d, df, NULL, 0, 0, NULL, "HTTP 410 Gone");
	} else
		why = xasprintf("HTTP %d", r->status);

	if (why != NULL) {
		feed_failed(df, r, why);
		batch_add(d, df, NULL, 0, 0, NULL, why);
	}
	free(why);
}

/* ---- the hooks the server calls ---- */

static void
refresh_one(struct dfeed *df, struct waiter *w)
{
	struct article_job *aj;

	/* Extractions still under way from an earlier fetch count too: the
	 * caller wants the feed up to date, articles included. */
	LIST_FOREACH(aj, &df->articles, entry)
		waiters_add(&aj->waiting, w);
	waiters_add(&df->waiting, w);
	if (df->job == NULL && df->parse == NULL) {
		df->forced = true;
		feed_fetch_now(df);
	}
}

static int
hook_refresh(void *ctx, const char *const *names, size_t n,
    server_done_cb done_cb, void *arg, char **ret_err)
{
	struct daemon *d = ctx;
	struct waiter *w;
	struct dfeed *df;
	size_t i;

	if (d->stopping) {
		*ret_err = xstrdup("feedd is stopping");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (feed_find(d, names[i]) == NULL) {
			*ret_err = xasprintf("no feed named %s", names[i]);
			return -1;
		}
	w = waiter_new(d, done_cb, arg);
	if (n == 0) {
		TAILQ_FOREACH(df, &d->feeds, entry)
			refresh_one(df, w);
	} else
		for (i = 0; i < n; i++)
			refresh_one(feed_find(d, names[i]), w);
	log_info("refresh of %s requested", n == 0 ? "every feed" :
	    n == 1 ? names[0] : "several feeds");
	waiter_unref(w, NULL);
	return 0;
}

static void
next_due_min(struct daemon *d, int64_t *ret)
{
	struct dfeed *df;
	int64_t m = 0;

	TAILQ_FOREACH(df, &d->feeds, entry)
		if (df->scheduled && (m == 0 || df->due < m))
			m = df->due;
	*ret = m;
}

static void
hook_status(void *ctx, struct server_status *ret)
{
	struct daemon *d = ctx;

	memset(ret, 0, sizeof(*ret));
	ret->started = d->started;
	ret->state = d->state;
	ret->fetches_in_flight = fetch_active(d->fetch, FETCH_PRIO_FEED);
	ret->fetches_queued = fetch_queued(d->fetch, FETCH_PRIO_FEED);
	ret->extractions_in_flight = d->n_articles;
	next_due_min(d, &ret->next_fetch);
	ret->config_path = d->config_path;
	ret->db_path = d->db_path;
}

static struct dfeed *start_feed(struct daemon *, const char *,
    const struct feed_conf *, bool);

static void
hook_feed_added(void *ctx, const char *name)
{
	struct daemon *d = ctx;
	struct dfeed *df;

	if (d->stopping)
		return;
	if ((df = feed_find(d, name)) != NULL)
		dfeed_free(d, df, "feed replaced");
	df = start_feed(d, name, NULL, true);
	if (df != NULL)
		log_info("feed %s: added at run time (%s)", name, df->st.url);
}

static void
hook_feed_removed(void *ctx, const char *name)
{
	struct daemon *d = ctx;
	struct dfeed *df = feed_find(d, name);

	if (df == NULL)
		return;
	log_info("feed %s: removed at run time (its items stay)", name);
	dfeed_free(d, df, "feed removed");
}

static int
hook_extract_item(void *ctx, int64_t id, server_done_cb done_cb, void *arg,
    char **ret_err)
{
	struct daemon *d = ctx;
	struct store_item *it = NULL;
	struct waiter *w;
	char *err = NULL;

	if (d->stopping) {
		*ret_err = xstrdup("feedd is stopping");
		return -1;
	}
	if (store_item_get(d->store, id, &it, &err) == -1) {
		*ret_err = err;
		return -1;
	}
	if (it->link == NULL || !url_is_http(it->link)) {
		*ret_err = xasprintf("item %lld has no http(s) link",
		    (long long)id);
		store_items_free(it, 1);
		return -1;
	}
	w = waiter_new(d, done_cb, arg);
	article_start(d, feed_find(d, it->feed_name), id, it->link, NULL, w);
	log_info("item %lld: article extraction requested", (long long)id);
	store_items_free(it, 1);
	waiter_unref(w, NULL);
	return 0;
}

/*
 * A feed's newest items' articles again: what its fulltext and rules
 * would now give for the items already stored.
 */
static int
hook_extract_feed(void *ctx, const char *name, size_t limit,
    server_done_cb done_cb, void *arg, size_t *ret_queued, char **ret_err)
{
	struct daemon *d = ctx;
	struct store_filter flt = { .feed = name, .all_copies = true,
	    .limit = limit };
	struct store_item *items = NULL;
	struct dfeed *df = feed_find(d, name);
	struct waiter *w;
	size_t n = 0, i, queued = 0;

	if (d->stopping) {
		*ret_err = xstrdup("feedd is stopping");
		return -1;
	}
	if (store_items_list(d->store, &flt, &items, &n, ret_err) == -1)
		return -1;
	/* Our reference keeps done_cb from running before waiter_unref. */
	w = waiter_new(d, done_cb, arg);
	for (i = 0; i < n; i++)
		if (items[i].link != NULL && url_is_http(items[i].link)) {
			article_start(d, df, items[i].id, items[i].link,
			    NULL, w);
			queued++;
		}
	*ret_queued = queued;
	log_info("feed %s: extraction of %zu article%s requested", name,
	    queued, queued == 1 ? "" : "s");
	store_items_free(items, n);
	waiter_unref(w, NULL);
	return 0;
}

/* ---- feeds from the configuration and the store ---- */

/*
 * Makes sure name is in the store (config feeds: with conf's URL) and
 * starts following it; schedule: fetch now rather than at its next due.
 */
static struct dfeed *
start_feed(struct daemon *d, const char *name, const struct feed_conf *conf,
    bool now)
{
	struct store_feed *sf = NULL;
	size_t n = 0;
	struct dfeed *df;
	char *err = NULL;
	int64_t id;

	if (conf != NULL && store_feed_ensure(d->store, name, conf->url,
	    STORE_ORIGIN_CONFIG, &id, &err) == -1) {
		log_err("feed %s: cannot add it to the store: %s", name, err);
		free(err);
		return NULL;
	}
	if (store_feed_list(d->store, name, &sf, &n, &err) == -1 || n != 1) {
		log_err("feed %s: cannot read it from the store: %s", name,
		    err ? err : "not found");
		free(err);
		store_feeds_free(sf, n);
		return NULL;
	}
	df = feed_add(d, &sf[0], conf);
	store_feeds_free(sf, n);
	if (now)
		df->st.next_due = 0;
	schedule_all(d, &df, 1);
	return df;
}

static int
load_feeds(struct daemon *d, char **ret_err)
{
	struct store_feed *sf = NULL;
	struct dfeed **v;
	size_t n = 0, i, k = 0;
	char *err = NULL;

	/* The configured feeds exist in the store with their URLs... */
	for (i = 0; i < d->cfg->n_feeds; i++) {
		const struct feed_conf *c = &d->cfg->feeds[i];
		int64_t id;

		if (!c->enabled)
			continue;
		if (store_feed_ensure(d->store, c->name, c->url,
		    STORE_ORIGIN_CONFIG, &id, &err) == -1) {
			*ret_err = xasprintf("%s:%d: feed %s: %s", c->file,
			    c->line, c->name, err);
			free(err);
			return -1;
		}
	}
	if (store_feed_list(d->store, NULL, &sf, &n, &err) == -1) {
		*ret_err = err;
		return -1;
	}
	v = xreallocarray(NULL, n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		const struct feed_conf *c = NULL;

		if (sf[i].origin == STORE_ORIGIN_CONFIG) {
			c = config_feed(d->cfg, sf[i].name);
			/* ...and the ones no longer configured stop. */
			if (c == NULL || !c->enabled) {
				if (store_feed_remove(d->store, sf[i].name,
				    &err) == -1) {
					log_err("feed %s: %s", sf[i].name, err);
					free(err);
					err = NULL;
				} else
					log_info("feed %s: no longer in the "
					    "configuration, stopped (its items "
					    "stay)", sf[i].name);
				continue;
			}
		}
		if (feed_find(d, sf[i].name) != NULL)
			continue;
		v[k++] = feed_add(d, &sf[i], c);
	}
	store_feeds_free(sf, n);
	schedule_all(d, v, k);
	free(v);
	return 0;
}

/* ---- housekeeping: retention and maintenance, in slices ---- */

static void
slice_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	const struct feed_conf *c = NULL;
	struct store_retention rt = { .include_unread = d->cfg->expire_unread };
	const char *name;
	bool more = false;
	char *err = NULL;

	if (d->retention_i >= d->retention_n) {
		struct store_stats ss;

		d->retention_running = false;
		ev_timer_stop(loop, w);
		if (store_stats(d->store, &ss, NULL) == 0) {
			d->n_items = ss.n_items;
			d->n_unread = ss.n_unread;
		}
		log_info("retention done");
		return;
	}
	name = d->retention_feeds[d->retention_i];
	if (config_feed(d->cfg, name) != NULL)
		c = config_feed(d->cfg, name);
	rt.feed = name;
	rt.max_age_days = c ? c->keep_days : d->cfg->keep_days;
	rt.max_items_per_feed = c ? c->keep_items : d->cfg->keep_items;
	if (rt.max_age_days > 0 || rt.max_items_per_feed > 0) {
		if (store_retention_run(d->store, &rt, now_unix(),
		    RETENTION_BUDGET, &more, &err) == -1) {
			log_err("feed %s: retention: %s", name, err);
			free(err);
			more = false;
		}
	}
	if (!more)
		d->retention_i++;
}

static void
retention_start(struct daemon *d)
{
	struct dfeed *df;
	size_t i;

	if (d->retention_running || d->stopping)
		return;
	for (i = 0; i < d->retention_n; i++)
		free(d->retention_feeds[i]);
	free(d->retention_feeds);
	d->retention_feeds = xreallocarray(NULL, d->n_feeds + 1,
	    sizeof(char *));
	d->retention_n = 0;
	TAILQ_FOREACH(df, &d->feeds, entry)
		d->retention_feeds[d->retention_n++] = xstrdup(df->name);
	d->retention_i = 0;
	d->retention_running = true;
	ev_timer_set(&d->slice_timer, 0., SLICE_PAUSE);
	ev_timer_start(d->loop, &d->slice_timer);
}

static void
retention_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	retention_start(w->data);
}

static void
maintain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	char *err = NULL;
	double t0 = ev_time();

	if (d->stopping)
		return;
	if (store_maintain(d->store, &err) == -1) {
		log_err("store maintenance: %s", err);
		free(err);
	} else
		log_info("store maintenance done in %.0f ms",
		    (ev_time() - t0) * 1000);
}

/* ---- status ---- */

void
daemon_counts(struct daemon *d, struct daemon_counts *ret)
{
	struct dfeed *df;

	memset(ret, 0, sizeof(*ret));
	ret->feeds = d->n_feeds;
	ret->fetching = fetch_active(d->fetch, FETCH_PRIO_FEED);
	ret->queued = fetch_queued(d->fetch, FETCH_PRIO_FEED);
	ret->articles = d->n_articles;
	ret->items = d->n_items;
	ret->unread = d->n_unread;
	TAILQ_FOREACH(df, &d->feeds, entry)
		if (df->st.last_error != NULL)
			ret->errors++;
}

char *
daemon_status_line(struct daemon *d)
{
	struct daemon_counts c;
	struct buf b = { 0 };

	daemon_counts(d, &c);
	buf_printf(&b, "%zu feeds", c.feeds);
	if (c.fetching + c.queued > 0)
		buf_printf(&b, ", %zu fetching", c.fetching + c.queued);
	if (c.articles > 0)
		buf_printf(&b, ", %zu articles", c.articles);
	if (c.errors > 0)
		buf_printf(&b, ", %zu failing", c.errors);
	buf_printf(&b, ", %lld items", (long long)c.items);
	return buf_take(&b);
}

static void
status_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	char *s = daemon_status_line(d);

	if (d->last_status == NULL || strcmp(s, d->last_status) != 0) {
		sdnotifyf(NULL, "STATUS=%s", s);
		str_take(&d->last_status, s);
	} else
		free(s);
}

/* ---- life cycle ---- */

static struct fetch_opts
fetch_opts_of(const struct config *cfg)
{
	struct fetch_opts o = {
		.max_connections = cfg->max_connections,
		.max_per_host = cfg->max_per_host,
		.timeout = (long)cfg->timeout,
		.max_body = cfg->max_body,
		.user_agent = cfg->user_agent,
	};

	return o;
}

int
daemon_new(struct ev_loop *loop, struct config *cfg,
    const struct daemon_opts *opts, struct daemon **ret, char **ret_err)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	struct fetch_opts fo = fetch_opts_of(cfg);
	struct store_stats ss;
	char *err = NULL;

	d->loop = loop;
	d->cfg = cfg;
	d->config_path = opts->config_path ? xstrdup(opts->config_path) :
	    NULL;
	d->config_is_default = opts->config_is_default;
	d->started = now_unix();
	d->state = "starting";
	TAILQ_INIT(&d->feeds);
	LIST_INIT(&d->orphans);
	LIST_INIT(&d->waiters);
	TAILQ_INIT(&d->batch);
	ev_prepare_init(&d->batch_prepare, batch_prepare_cb);
	d->batch_prepare.data = d;
	ev_idle_init(&d->index_idle, index_idle_cb);
	d->index_idle.data = d;
	ev_timer_init(&d->retention_timer, retention_cb, 300., RETENTION_EVERY);
	d->retention_timer.data = d;
	ev_timer_init(&d->maintain_timer, maintain_cb, 3600., MAINTAIN_EVERY);
	d->maintain_timer.data = d;
	ev_timer_init(&d->status_timer, status_cb, STATUS_EVERY, STATUS_EVERY);
	d->status_timer.data = d;
	ev_timer_init(&d->slice_timer, slice_cb, 0., SLICE_PAUSE);
	d->slice_timer.data = d;

	d->db_path = xasprintf("%s/feedd.db", cfg->state_dir);
	if (store_open(d->db_path, &d->store, &err) == -1) {
		*ret_err = xasprintf("%s: %s", d->db_path, err);
		free(err);
		goto fail;
	}
	if (fetch_new(loop, &fo, &d->fetch, &err) == -1) {
		*ret_err = err;
		goto fail;
	}
	/* libxml2 sets itself up once, here, before a second thread uses it. */
	xmlInitParser();
	if (work_new(loop, WORK_MAX_COST, &d->work, &err) == -1) {
		*ret_err = err;
		goto fail;
	}
	if (store_stats(d->store, &ss, NULL) == 0) {
		d->n_items = ss.n_items;
		d->n_unread = ss.n_unread;
	}
	if (load_feeds(d, ret_err) == -1)
		goto fail;
	{
		struct server_opts so = {
			.path = cfg->socket_path,
			.have_fd = opts->listen_fd >= 0,
			.fd = opts->listen_fd,
			.group = cfg->socket_group,
		};

		d->hooks.ctx = d;
		d->hooks.refresh = hook_refresh;
		d->hooks.status = hook_status;
		d->hooks.feed_added = hook_feed_added;
		d->hooks.feed_removed = hook_feed_removed;
		d->hooks.extract_item = hook_extract_item;
		d->hooks.extract_feed = hook_extract_feed;
		if (server_new(loop, d->store, &so, &d->hooks, &d->server,
		    &err) == -1) {
			*ret_err = err;
			goto fail;
		}
	}
	ev_timer_start(loop, &d->retention_timer);
	ev_timer_start(loop, &d->maintain_timer);
	ev_timer_start(loop, &d->status_timer);
	/* Items a stop or a crash left out of the search index. */
	ev_idle_start(loop, &d->index_idle);
	d->state = "running";
	*ret = d;
	return 0;
fail:
	daemon_free(d);
	return -1;
}

/* A feed whose configuration changed in a way that needs a new fetch. */
static bool
conf_needs_refetch(const struct feed_conf *a, const struct feed_conf *b)
{
	return strcmp(a->url, b->url) != 0;
}

static void
feeds_repoint(struct daemon *d)
{
	struct dfeed *df;

	TAILQ_FOREACH(df, &d->feeds, entry) {
		if (df->own != NULL) {
			/* Runtime feeds follow the global settings. */
			struct feed_conf *c = df->own;

			c->interval = d->cfg->interval;
			str_set(&c->user_agent, d->cfg->user_agent);
			c->max_body = d->cfg->max_body;
			c->keep_days = d->cfg->keep_days;
			c->keep_items = d->cfg->keep_items;
			continue;
		}
		df->conf = config_feed(d->cfg, df->name);
	}
}

int
daemon_reload(struct daemon *d, char **ret_errs)
{
	struct config *cfg = NULL, *old = d->cfg;
	struct config_diff diff;
	struct fetch_opts fo;
	size_t i;

	if (config_load(d->config_path, d->config_is_default, &cfg,
	    ret_errs) == -1)
		return -1;
	if (strcmp(cfg->state_dir, old->state_dir) != 0)
		log_warn("reload: state_dir changed: takes effect at the next "
		    "start");
	if (strcmp(cfg->socket_path, old->socket_path) != 0)
		log_warn("reload: socket changed: takes effect at the next "
		    "start");
	config_diff(old, cfg, &diff);

	/* Removed (and newly disabled) feeds stop; their items stay. */
	for (i = 0; i < diff.n_removed; i++) {
		struct dfeed *df = feed_find(d, diff.removed[i]);
		char *err = NULL;

		if (df == NULL || df->own != NULL)
			continue;
		dfeed_free(d, df, "feed removed from the configuration");
		if (store_feed_remove(d->store, diff.removed[i], &err) == -1) {
			log_err("feed %s: %s", diff.removed[i], err);
			free(err);
		}
		log_info("feed %s: removed from the configuration, stopped "
		    "(its items stay)", diff.removed[i]);
	}
	d->cfg = cfg;
	for (i = 0; i < diff.n_changed; i++) {
		const struct feed_conf *nc = config_feed(cfg, diff.changed[i]);
		const struct feed_conf *oc = config_feed(old, diff.changed[i]);
		struct dfeed *df = feed_find(d, diff.changed[i]);
		char *err = NULL;

		if (nc == NULL)
			continue;
		if (!nc->enabled) {
			if (df != NULL)
				dfeed_free(d, df, "feed disabled");
			if (store_feed_remove(d->store, nc->name, &err) == -1) {
				log_err("feed %s: %s", nc->name, err);
				free(err);
			}
			log_info("feed %s: disabled in the configuration",
			    nc->name);
			continue;
		}
		if (df == NULL || (oc != NULL && conf_needs_refetch(oc, nc))) {
			if (df != NULL)
				dfeed_free(d, df, "feed URL changed");
			/* store_feed_ensure resets URL and validators. */
			if ((df = start_feed(d, nc->name, nc, true)) != NULL) {
				df->st.disabled = false;
				log_info("feed %s: configuration changed, "
				    "fetching %s", nc->name, nc->url);
			}
			continue;
		}
		df->conf = nc;
		log_info("feed %s: configuration changed", nc->name);
		/* A new interval applies from the last fetch on. */
		if (oc != NULL && oc->interval != nc->interval &&
		    df->scheduled && df->st.last_fetch > 0 &&
		    df->st.error_streak == 0)
			feed_schedule(df, df->st.last_fetch + nc->interval);
	}
	for (i = 0; i < diff.n_added; i++) {
		const struct feed_conf *nc = config_feed(cfg, diff.added[i]);
		struct dfeed *df;

		if (nc == NULL || !nc->enabled)
			continue;
		if ((df = feed_find(d, nc->name)) != NULL)
			dfeed_free(d, df, "feed replaced");
		if (start_feed(d, nc->name, nc, false) != NULL)
			log_info("feed %s: added (%s)", nc->name, nc->url);
	}
	feeds_repoint(d);
	config_diff_clear(&diff);
	config_free(old);
	fo = fetch_opts_of(cfg);
	fetch_set_opts(d->fetch, &fo);
	log_set_level(cfg->log_level);
	log_notice("configuration reloaded: %zu feeds", d->n_feeds);
	/* Retention limits may have changed: apply them now, in slices. */
	retention_start(d);
	return 0;
}

void
daemon_stop(struct daemon *d)
{
	struct dfeed *df;
	struct article_job *aj;
	struct waiter *w;

	if (d->stopping)
		return;
	/* What was fetched is parsed and stored, before anything stops. */
	if (d->work != NULL)
		work_drain(d->work);
	batch_flush(d);
	d->stopping = true;
	d->state = "stopping";
	ev_timer_stop(d->loop, &d->retention_timer);
	ev_timer_stop(d->loop, &d->maintain_timer);
	ev_timer_stop(d->loop, &d->status_timer);
	ev_timer_stop(d->loop, &d->slice_timer);
	ev_idle_stop(d->loop, &d->index_idle);
	TAILQ_FOREACH(df, &d->feeds, entry) {
		ev_timer_stop(d->loop, &df->timer);
		if (df->job != NULL)
			fetch_cancel(df->job);
		df->job = NULL;
		waiters_release(&df->waiting, "feedd is stopping");
		while ((aj = LIST_FIRST(&df->articles)) != NULL)
			article_job_free(aj, "feedd is stopping");
	}
	while ((aj = LIST_FIRST(&d->orphans)) != NULL)
		article_job_free(aj, "feedd is stopping");
	/* Anything left waits on nothing now. */
	while ((w = LIST_FIRST(&d->waiters)) != NULL) {
		w->refs = 1;
		waiter_unref(w, "feedd is stopping");
	}
	server_free(d->server);
	d->server = NULL;
}

void
daemon_free(struct daemon *d)
{
	struct dfeed *df;
	size_t i;

	if (d == NULL)
		return;
	daemon_stop(d);
	while ((df = TAILQ_FIRST(&d->feeds)) != NULL)
		dfeed_free(d, df, "feedd is stopping");
	/* Only the cancelled parses of fetches cut short are left. */
	work_free(d->work);
	fetch_free(d->fetch);
	store_close(d->store);
	for (i = 0; i < d->retention_n; i++)
		free(d->retention_feeds[i]);
	free(d->retention_feeds);
	config_free(d->cfg);
	free(d->config_path);
	free(d->db_path);
	free(d->last_status);
	free(d);
}
