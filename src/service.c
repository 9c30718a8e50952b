/*
 * service: the methods of org.feedd and org.varlink.service.  Each handler
 * reads its parameters (anything unknown, missing or mistyped is an
 * InvalidParameter), asks the store or the daemon, and replies through the
 * server.  This file owns the JSON shapes of items and feeds (the IDL in
 * org.feedd.varlink is their documentation), the watch list, and the
 * digest leases of each connection.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/random.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "store.h"
#include "url.h"
#include "util.h"
#include "varlink.h"

#define INTERFACE		"org.feedd"
#define ERR(name)		INTERFACE "." name

#define LIST_DEFAULT_LIMIT	100
#define LIST_MAX_LIMIT		10000
#define DIGEST_MAX_LIMIT	10000
#define DIGEST_DEFAULT_SINCE	86400
/* A lease outlives a crashed daemon by at most this. */
#define LEASE_TTL		3600
/* ids per store call, well under SQLite's bound-parameter limit */
#define ID_CHUNK		500
#define FEED_NAME_MAX		128

const char service_idl[] =
#include "src/feedd_idl.h"
    ;

/* org.varlink.service, as varlink.org defines it. */
static const char varlink_service_idl[] =
    "# The interface every Varlink service provides: what it is and\n"
    "# which interfaces it implements.\n"
    "interface org.varlink.service\n"
    "\n"
    "# The service and the interfaces it provides.\n"
    "method GetInfo() -> (\n"
    "  vendor: string,\n"
    "  product: string,\n"
    "  version: string,\n"
    "  url: string,\n"
    "  interfaces: []string\n"
    ")\n"
    "\n"
    "# The description of one of those interfaces.\n"
    "method GetInterfaceDescription(interface: string) -> "
    "(description: string)\n"
    "\n"
    "error InterfaceNotFound (interface: string)\n"
    "error MethodNotFound (method: string)\n"
    "error MethodNotImplemented (method: string)\n"
    "error InvalidParameter (parameter: string)\n"
    "error PermissionDenied ()\n"
    "error ExpectedMore ()\n";

struct lease {
	char		*cursor;
	char		*holder;
};

struct service_conn {
	struct service	*svc;
	/* Watch: the stream, and the feeds it follows (none: all). */
	struct server_call *watch;
	TAILQ_ENTRY(service_conn) watch_entry;
	char		**watch_feeds;	/* owned */
	size_t		 n_watch_feeds;
	struct lease	*leases;	/* owned */
	size_t		 n_leases;
};

struct service {
	struct store	*store;		/* borrowed */
	const struct server_hooks *hooks; /* borrowed from the server */
	struct server	*server;	/* the owner */
	int64_t		 started;
	TAILQ_HEAD(, service_conn) watchers;
};

/* ---- replies ---- */

static void
reply_invalid(struct server_call *call, const char *param)
{
	server_call_error(call, VARLINK_ERR_INVALID_PARAMETER,
	    json_pack("{s:s}", "parameter", param));
}

/* A store failure: the client learns why, the log too. */
static void
reply_internal(struct server_call *call, const char *what, char *err)
{
	log_warn("%s: %s", what, err ? err : "failed");
	server_call_error(call, ERR("InternalError"),
	    json_pack("{s:o}", "reason",
	    varlink_json_string(err ? err : "failed")));
	free(err);
}

static void
reply_no_feed(struct server_call *call, const char *name)
{
	server_call_error(call, ERR("NoSuchFeed"),
	    json_pack("{s:o}", "name", varlink_json_string(name)));
}

/* Reads params; on failure replies InvalidParameter and returns false. */
static bool
read_params(struct server_call *call, json_t *params,
    const struct varlink_field *fields, size_t n)
{
	const char *bad;

	if ((bad = varlink_params_read(params, fields, n)) == NULL)
		return true;
	reply_invalid(call, bad);
	return false;
}

/* ---- JSON shapes ---- */

/* RFC 3339 string, or null for an unknown date. */
static json_t *
json_date(int64_t t)
{
	char s[DATE_RFC3339_LEN + 1];

	if (t == DATE_NONE)
		return json_null();
	date_format_rfc3339(t, s, sizeof(s));
	return json_string(s);
}

/* The same for times the store keeps as 0 when they never happened. */
static json_t *
json_time(int64_t t)
{
	return t == 0 ? json_null() : json_date(t);
}

static json_t *
item_json(const struct store_item *it, bool bodies)
{
	json_t *o, *also, *art;
	size_t i;

	o = json_object();
	json_object_set_new(o, "id", json_integer(it->id));
	json_object_set_new(o, "feed", varlink_json_string(it->feed_name ?
	    it->feed_name : ""));
	json_object_set_new(o, "title", varlink_json_string(it->title));
	json_object_set_new(o, "link", varlink_json_string(it->link));
	json_object_set_new(o, "author", varlink_json_string(it->author));
	json_object_set_new(o, "published", json_date(it->published));
	json_object_set_new(o, "updated", json_date(it->updated));
	json_object_set_new(o, "first_seen", json_date(it->first_seen));
	json_object_set_new(o, "read", json_boolean(it->read));
	json_object_set_new(o, "starred", json_boolean(it->starred));
	json_object_set_new(o, "story", json_integer(it->story_id));
	also = json_array();
	for (i = 0; i < it->n_also; i++)
		json_array_append_new(also, json_pack("{s:I,s:o,s:o}",
		    "id", (json_int_t)it->also[i].item_id,
		    "feed", varlink_json_string(it->also[i].feed_name ?
		    it->also[i].feed_name : ""),
		    "link", varlink_json_string(it->also[i].link)));
	json_object_set_new(o, "also", also);
	if (!bodies)
		return o;
	json_object_set_new(o, "summary", varlink_json_string(it->summary));
	json_object_set_new(o, "content", varlink_json_string(it->content));
	if (it->extract_status == STORE_EXTRACT_OK && it->article_text) {
		art = json_pack("{s:o,s:o,s:o,s:o}",
		    "title", varlink_json_string(it->article_title),
		    "byline", varlink_json_string(it->article_byline),
		    "text", varlink_json_string(it->article_text),
		    "html", varlink_json_string(it->article_html ?
		    it->article_html : ""));
	} else
		art = json_null();
	json_object_set_new(o, "article", art);
	json_object_set_new(o, "story_reason",
	    varlink_json_string(it->story_reason));
	return o;
}

static json_t *
items_json(const struct store_item *items, size_t n, bool bodies)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, item_json(&items[i], bodies));
	return a;
}

static json_t *
feed_json(const struct store_feed *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", varlink_json_string(f->name));
	json_object_set_new(o, "url", varlink_json_string(f->config_url ?
	    f->config_url : ""));
	json_object_set_new(o, "current_url",
	    varlink_json_string(f->fetch.url));
	json_object_set_new(o, "origin", json_string(
	    f->origin == STORE_ORIGIN_RUNTIME ? "runtime" : "config"));
	json_object_set_new(o, "title", varlink_json_string(f->title));
	json_object_set_new(o, "site", varlink_json_string(f->site_link));
	json_object_set_new(o, "fulltext", json_boolean(f->fulltext));
	json_object_set_new(o, "last_fetch", json_time(f->fetch.last_fetch));
	json_object_set_new(o, "last_success",
	    json_time(f->fetch.last_success));
	json_object_set_new(o, "next_fetch", json_time(f->fetch.next_due));
	json_object_set_new(o, "last_status", f->fetch.last_status ?
	    json_integer(f->fetch.last_status) : json_null());
	json_object_set_new(o, "error",
	    varlink_json_string(f->fetch.last_error));
	json_object_set_new(o, "error_streak",
	    json_integer(f->fetch.error_streak));
	json_object_set_new(o, "disabled", json_boolean(f->fetch.disabled));
	json_object_set_new(o, "items", json_integer(f->n_items));
	json_object_set_new(o, "unread", json_integer(f->n_unread));
	return o;
}

/* ---- lookups ---- */

/*
 * The followed feed named name: 1 and *ret (caller frees with
 * store_feeds_free(*ret, 1)) if there is one, 0 if not, -1 with *ret_err.
 */
static int
find_feed(struct store *store, const char *name, struct store_feed **ret,
    char **ret_err)
{
	struct store_feed *f = NULL;
	size_t n = 0;

	if (store_feed_list(store, name, &f, &n, ret_err) == -1)
		return -1;
	if (n == 0 || f[0].removed || strcmp(f[0].name, name) != 0) {
		store_feeds_free(f, n);
		return 0;
	}
	if (ret)
		*ret = f;
	else
		store_feeds_free(f, n);
	return 1;
}

/*
 * Checks that every id names an item: 0, or 1 with *ret_missing the first
 * that does not, or -1 with *ret_err.
 */
static int
find_missing(struct store *store, const int64_t *ids, size_t n,
    int64_t *ret_missing, char **ret_err)
{
	struct store_filter f = { .all_copies = true };
	struct store_item *items;
	size_t i, j, k, got;

	for (i = 0; i < n; i += ID_CHUNK) {
		f.ids = ids + i;
		f.n_ids = n - i < ID_CHUNK ? n - i : ID_CHUNK;
		if (store_items_list(store, &f, &items, &got, ret_err) == -1)
			return -1;
		for (j = 0; j < f.n_ids; j++) {
			for (k = 0; k < got; k++)
				if (items[k].id == f.ids[j])
					break;
			if (k == got) {
				store_items_free(items, got);
				*ret_missing = f.ids[j];
				return 1;
			}
		}
		store_items_free(items, got);
	}
	return 0;
}

/* Checks feed names; replies NoSuchFeed/InternalError and false if bad. */
static bool
check_feeds(struct service *svc, struct server_call *call,
    const char **names, size_t n)
{
	char *err = NULL;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = find_feed(svc->store, names[i], NULL, &err)) == -1) {
			reply_internal(call, "listing feeds", err);
			return false;
		}
		if (r == 0) {
			reply_no_feed(call, names[i]);
			return false;
		}
	}
	return true;
}

/* ---- org.varlink.service ---- */

static void
m_get_info(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	if (!read_params(call, params, NULL, 0))
		return;
	server_call_reply(call, json_pack("{s:s,s:s,s:s,s:s,s:[s,s]}",
	    "vendor", "feedd", "product", "feedd", "version", PACKAGE_VERSION,
	    "url", PACKAGE_URL,
	    "interfaces", VARLINK_SERVICE, INTERFACE));
}

static void
m_get_interface_description(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char *iface = NULL;
	const struct varlink_field fields[] = {
		{ "interface", VARLINK_STRING, true, &iface, NULL, NULL },
	};
	const char *desc;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (strcmp(iface, INTERFACE) == 0)
		desc = service_idl;
	else if (strcmp(iface, VARLINK_SERVICE) == 0)
		desc = varlink_service_idl;
	else {
		server_call_error(call, VARLINK_ERR_INTERFACE_NOT_FOUND,
		    json_pack("{s:o}", "interface",
		    varlink_json_string(iface)));
		return;
	}
	server_call_reply(call, json_pack("{s:s}", "description", desc));
}

/* ---- items ---- */

static bool
limit_ok(int64_t v, int64_t max)
{
	return v >= 0 && v <= max;
}

/* A page of a list; replies InvalidParameter and false if out of range. */
static bool
page_ok(struct server_call *call, int64_t limit, int64_t offset)
{
	if (!limit_ok(limit, LIST_MAX_LIMIT)) {
		reply_invalid(call, "limit");
		return false;
	}
	if (!limit_ok(offset, INT32_MAX)) {
		reply_invalid(call, "offset");
		return false;
	}
	return true;
}

static void
m_list_items(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	bool unread = false, starred = false, all_copies = false;
	bool unread_set = false, starred_set = false;
	int64_t since = 0, until = 0, limit = LIST_DEFAULT_LIMIT, offset = 0;
	const char *feed = NULL;
	const struct varlink_field fields[] = {
		{ "unread", VARLINK_BOOL, false, &unread, NULL, &unread_set },
		{ "starred", VARLINK_BOOL, false, &starred, NULL,
		    &starred_set },
		{ "feed", VARLINK_STRING, false, &feed, NULL, NULL },
		{ "since", VARLINK_INT, false, &since, NULL, NULL },
		{ "until", VARLINK_INT, false, &until, NULL, NULL },
		{ "all_copies", VARLINK_BOOL, false, &all_copies, NULL, NULL },
		{ "limit", VARLINK_INT, false, &limit, NULL, NULL },
		{ "offset", VARLINK_INT, false, &offset, NULL, NULL },
	};
	struct store_filter f = { 0 };
	struct store_item *items;
	char *err = NULL;
	size_t n;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (!page_ok(call, limit, offset))
		return;
	if (since < 0 || until < 0) {
		reply_invalid(call, since < 0 ? "since" : "until");
		return;
	}
	if (feed != NULL && !check_feeds(svc, call, &feed, 1))
		return;
	if (unread_set)
		f.read = unread ? STORE_NO : STORE_YES;
	if (starred_set)
		f.starred = starred ? STORE_YES : STORE_NO;
	f.feed = feed;
	f.since = since;
	f.until = until;
	f.all_copies = all_copies;
	f.limit = limit;
	f.offset = offset;
	if (limit == 0) {
		/* limit 0 asks for nothing, not for everything. */
		server_call_reply(call, json_pack("{s:[]}", "items"));
		return;
	}
	if (store_items_list(svc->store, &f, &items, &n, &err) == -1) {
		reply_internal(call, "listing items", err);
		return;
	}
	server_call_reply(call, json_pack("{s:o}", "items",
	    items_json(items, n, false)));
	store_items_free(items, n);
}

static void
m_get_item(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	int64_t id = 0, missing;
	const struct varlink_field fields[] = {
		{ "id", VARLINK_INT, true, &id, NULL, NULL },
	};
	struct store_item *it;
	char *err = NULL;
	int r;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if ((r = find_missing(svc->store, &id, 1, &missing, &err)) == -1) {
		reply_internal(call, "getting an item", err);
		return;
	}
	if (r == 1) {
		server_call_error(call, ERR("NoSuchItem"),
		    json_pack("{s:I}", "id", (json_int_t)id));
		return;
	}
	if (store_item_get(svc->store, id, &it, &err) == -1) {
		reply_internal(call, "getting an item", err);
		return;
	}
	server_call_reply(call, json_pack("{s:o}", "item",
	    item_json(it, true)));
	store_items_free(it, 1);
}

static void
mark(struct service *svc, struct server_call *call, json_t *params,
    enum store_mark how)
{
	int64_t *ids = NULL, until = 0, missing, *changed;
	size_t n_ids = 0, n_changed, i;
	bool all = false, ids_set = false;
	const char *feed = NULL;
	const struct varlink_field fields[] = {
		{ "ids", VARLINK_INTS, false, &ids, &n_ids, &ids_set },
		{ "feed", VARLINK_STRING, false, &feed, NULL, NULL },
		{ "all", VARLINK_BOOL, false, &all, NULL, NULL },
		{ "until", VARLINK_INT, false, &until, NULL, NULL },
	};
	struct store_filter f = { .all_copies = true };
	json_t *out;
	char *err = NULL;
	int r;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	/* Either ids, or a feed or everything: never by accident. */
	if (ids_set && (feed != NULL || all || until != 0)) {
		reply_invalid(call, feed ? "feed" : all ? "all" : "until");
		goto out;
	}
	if (!ids_set && feed == NULL && !all) {
		reply_invalid(call, "ids");
		goto out;
	}
	if (until < 0) {
		reply_invalid(call, "until");
		goto out;
	}
	if (feed != NULL && !check_feeds(svc, call, &feed, 1))
		goto out;
	if (ids_set) {
		r = find_missing(svc->store, ids, n_ids, &missing, &err);
		if (r == -1) {
			reply_internal(call, "marking items", err);
			goto out;
		}
		if (r == 1) {
			server_call_error(call, ERR("NoSuchItem"),
			    json_pack("{s:I}", "id", (json_int_t)missing));
			goto out;
		}
	}
	out = json_array();
	f.feed = feed;
	f.until = until;
	/* By ids: in chunks the store can bind; by filter: at once. */
	for (i = 0; i == 0 || i < n_ids; i += ID_CHUNK) {
		if (ids_set) {
			if (n_ids == 0)
				break;
			f.ids = ids + i;
			f.n_ids = n_ids - i < ID_CHUNK ? n_ids - i : ID_CHUNK;
		}
		if (store_mark(svc->store, &f, how, time(NULL), &changed,
		    &n_changed, &err) == -1) {
			json_decref(out);
			reply_internal(call, "marking items", err);
			goto out;
		}
		for (size_t j = 0; j < n_changed; j++)
			json_array_append_new(out, json_integer(changed[j]));
		free(changed);
		if (!ids_set)
			break;
	}
	server_call_reply(call, json_pack("{s:o}", "changed", out));
out:
	free(ids);
}

static void
m_mark_read(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	mark(svc, call, params, STORE_MARK_READ);
}

static void
m_mark_unread(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	mark(svc, call, params, STORE_MARK_UNREAD);
}

static void
m_star(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	mark(svc, call, params, STORE_MARK_STAR);
}

static void
m_unstar(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	mark(svc, call, params, STORE_MARK_UNSTAR);
}

static void
m_search(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char *query = NULL, *feed = NULL;
	bool unread = false, unread_set = false;
	int64_t limit = LIST_DEFAULT_LIMIT, offset = 0;
	const struct varlink_field fields[] = {
		{ "query", VARLINK_STRING, true, &query, NULL, NULL },
		{ "unread", VARLINK_BOOL, false, &unread, NULL, &unread_set },
		{ "feed", VARLINK_STRING, false, &feed, NULL, NULL },
		{ "limit", VARLINK_INT, false, &limit, NULL, NULL },
		{ "offset", VARLINK_INT, false, &offset, NULL, NULL },
	};
	struct store_filter f = { 0 };
	struct store_item *items;
	char *err = NULL;
	size_t n;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (!page_ok(call, limit, offset))
		return;
	if (feed != NULL && !check_feeds(svc, call, &feed, 1))
		return;
	if (unread_set)
		f.read = unread ? STORE_NO : STORE_YES;
	f.feed = feed;
	f.search = query;
	f.limit = limit;
	f.offset = offset;
	if (limit == 0) {
		server_call_reply(call, json_pack("{s:[]}", "items"));
		return;
	}
	if (store_items_list(svc->store, &f, &items, &n, &err) == -1) {
		/* The store names a bad query "search: ..."; the rest is
		 * ours. */
		if (err != NULL && str_has_prefix(err, "search:")) {
			server_call_error(call, ERR("InvalidQuery"),
			    json_pack("{s:o,s:o}",
			    "query", varlink_json_string(query),
			    "reason", varlink_json_string(err)));
			free(err);
		} else
			reply_internal(call, "searching", err);
		return;
	}
	server_call_reply(call, json_pack("{s:o}", "items",
	    items_json(items, n, false)));
	store_items_free(items, n);
}

/* ---- feeds ---- */

static void
m_list_feeds(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char *name = NULL;
	const struct varlink_field fields[] = {
		{ "name", VARLINK_STRING, false, &name, NULL, NULL },
	};
	struct store_feed *feeds = NULL;
	char *err = NULL;
	json_t *a;
	size_t n = 0, i;
	int r;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (name != NULL) {
		if ((r = find_feed(svc->store, name, &feeds, &err)) == -1) {
			reply_internal(call, "listing feeds", err);
			return;
		}
		if (r == 0) {
			reply_no_feed(call, name);
			return;
		}
		n = 1;
	} else if (store_feed_list(svc->store, NULL, &feeds, &n,
	    &err) == -1) {
		reply_internal(call, "listing feeds", err);
		return;
	}
	a = json_array();
	for (i = 0; i < n; i++)
		if (!feeds[i].removed)
			json_array_append_new(a, feed_json(&feeds[i]));
	store_feeds_free(feeds, n);
	server_call_reply(call, json_pack("{s:o}", "feeds", a));
}

/*
 * Feed names are shown in columns and used on command lines and in
 * feeds.d section names: printable, no spaces at the ends, no slashes or
 * brackets, at most FEED_NAME_MAX bytes.
 */
static bool
feed_name_ok(const char *s)
{
	size_t len = strlen(s);
	const unsigned char *p;

	if (len == 0 || len > FEED_NAME_MAX || !utf8_valid(s, len))
		return false;
	if (s[0] == ' ' || s[len - 1] == ' ' || s[0] == '-')
		return false;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '[' ||
		    *p == ']')
			return false;
	return true;
}

/* The default name of a feed: its host without "www.". */
static char *
default_feed_name(const char *url)
{
	char *host, *name;

	if ((host = url_host(url)) == NULL)
		return NULL;
	name = xstrdup(str_has_prefix(host, "www.") ? host + 4 : host);
	free(host);
	return name;
}

static void
m_add_feed(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char *url = NULL, *name = NULL;
	bool fulltext = false;
	const struct varlink_field fields[] = {
		{ "url", VARLINK_STRING, true, &url, NULL, NULL },
		{ "name", VARLINK_STRING, false, &name, NULL, NULL },
		{ "fulltext", VARLINK_BOOL, false, &fulltext, NULL, NULL },
	};
	struct store_feed *feeds = NULL;
	char *err = NULL, *defname = NULL;
	int64_t id;
	size_t n = 0, i;
	int r;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (strlen(url) > 8192 || !url_is_http(url)) {
		server_call_error(call, ERR("InvalidURL"),
		    json_pack("{s:o}", "url", varlink_json_string(url)));
		return;
	}
	if (name == NULL && (name = defname = default_feed_name(url)) == NULL) {
		server_call_error(call, ERR("InvalidURL"),
		    json_pack("{s:o}", "url", varlink_json_string(url)));
		return;
	}
	if (!feed_name_ok(name)) {
		reply_invalid(call, "name");
		goto out;
	}
	/* One feed per name, and one per URL. */
	if (store_feed_list(svc->store, NULL, &feeds, &n, &err) == -1) {
		reply_internal(call, "listing feeds", err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (feeds[i].removed)
			continue;
		if (strcmp(feeds[i].name, name) == 0 ||
		    (feeds[i].config_url &&
		    strcmp(feeds[i].config_url, url) == 0))
			break;
	}
	if (i < n) {
		server_call_error(call, ERR("FeedExists"), json_pack("{s:o}",
		    "name", varlink_json_string(feeds[i].name)));
		store_feeds_free(feeds, n);
		goto out;
	}
	store_feeds_free(feeds, n);
	feeds = NULL;
	if (store_feed_ensure(svc->store, name, url, STORE_ORIGIN_RUNTIME,
	    &id, &err) == -1 ||
	    store_feed_set_options(svc->store, name, fulltext, NULL,
	    &err) == -1) {
		reply_internal(call, "adding a feed", err);
		goto out;
	}
	log_info("feed %s added at run time: %s", name, url);
	if (svc->hooks->feed_added)
		svc->hooks->feed_added(svc->hooks->ctx, name);
	if ((r = find_feed(svc->store, name, &feeds, &err)) != 1) {
		reply_internal(call, "adding a feed", r == -1 ? err :
		    xstrdup("the feed vanished"));
		goto out;
	}
	server_call_reply(call, json_pack("{s:o}", "feed", feed_json(feeds)));
	store_feeds_free(feeds, 1);
out:
	free(defname);
}

static void
m_remove_feed(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char *name = NULL;
	const struct varlink_field fields[] = {
		{ "name", VARLINK_STRING, true, &name, NULL, NULL },
	};
	struct store_feed *f;
	char *err = NULL;
	bool config;
	int r;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if ((r = find_feed(svc->store, name, &f, &err)) == -1) {
		reply_internal(call, "removing a feed", err);
		return;
	}
	if (r == 0) {
		reply_no_feed(call, name);
		return;
	}
	config = f->origin == STORE_ORIGIN_CONFIG;
	store_feeds_free(f, 1);
	if (config) {
		server_call_error(call, ERR("FeedReadOnly"),
		    json_pack("{s:o}", "name", varlink_json_string(name)));
		return;
	}
	if (store_feed_remove(svc->store, name, &err) == -1) {
		reply_internal(call, "removing a feed", err);
		return;
	}
	log_info("feed %s removed at run time", name);
	if (svc->hooks->feed_removed)
		svc->hooks->feed_removed(svc->hooks->ctx, name);
	server_call_reply(call, NULL);
}

/* For hooks whose caller does not wait for the outcome. */
static void
ignore_done_cb(void *arg, const char *err)
{
}

static void
refresh_done_cb(void *arg, const char *err)
{
	struct server_call *call = arg;

	if (err != NULL)
		server_call_error(call, ERR("RefreshFailed"),
		    json_pack("{s:o}", "reason", varlink_json_string(err)));
	else
		server_call_reply(call, NULL);
}

static void
m_refresh(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char **names = NULL;
	size_t n = 0;
	bool wait = false;
	const struct varlink_field fields[] = {
		{ "feeds", VARLINK_STRINGS, false, &names, &n, NULL },
		{ "wait", VARLINK_BOOL, false, &wait, NULL, NULL },
	};
	char *err = NULL;
	int rc;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (svc->hooks->refresh == NULL) {
		server_call_error(call, VARLINK_ERR_METHOD_NOT_IMPLEMENTED,
		    json_pack("{s:s}", "method", ERR("Refresh")));
		goto out;
	}
	if (!check_feeds(svc, call, names, n))
		goto out;
	if (!wait) {
		rc = svc->hooks->refresh(svc->hooks->ctx, names, n,
		    ignore_done_cb, NULL, &err);
		if (rc == 0)
			server_call_reply(call, NULL);
	} else {
		/* done_cb may run before refresh() returns: call is then
		 * gone, and rc is 0. */
		server_call_hold(call);
		rc = svc->hooks->refresh(svc->hooks->ctx, names, n,
		    refresh_done_cb, call, &err);
	}
	if (rc == -1) {
		server_call_error(call, ERR("RefreshFailed"),
		    json_pack("{s:o}", "reason",
		    varlink_json_string(err ? err : "cannot refresh")));
		free(err);
	}
out:
	free(names);
}

/* ---- Watch ---- */

static void
watch_stop(struct service_conn *sc)
{
	size_t i;

	if (sc->watch == NULL)
		return;
	TAILQ_REMOVE(&sc->svc->watchers, sc, watch_entry);
	sc->watch = NULL;
	for (i = 0; i < sc->n_watch_feeds; i++)
		free(sc->watch_feeds[i]);
	free(sc->watch_feeds);
	sc->watch_feeds = NULL;
	sc->n_watch_feeds = 0;
}

static void
m_watch(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char **names = NULL;
	size_t n = 0, i;
	const struct varlink_field fields[] = {
		{ "feeds", VARLINK_STRINGS, false, &names, &n, NULL },
	};

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (!server_call_more(call)) {
		server_call_error(call, VARLINK_ERR_EXPECTED_MORE, NULL);
		goto out;
	}
	if (!check_feeds(svc, call, names, n))
		goto out;
	sc->watch = call;
	sc->watch_feeds = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		sc->watch_feeds[i] = xstrdup(names[i]);
	sc->n_watch_feeds = n;
	TAILQ_INSERT_TAIL(&svc->watchers, sc, watch_entry);
	/* The first reply says the watch is in place. */
	if (server_call_stream(call, json_object()) == -1)
		watch_stop(sc);
out:
	free(names);
}

static bool
watch_wants(const struct service_conn *sc, const char *feed)
{
	size_t i;

	if (sc->n_watch_feeds == 0)
		return true;
	for (i = 0; i < sc->n_watch_feeds; i++)
		if (feed != NULL && strcmp(sc->watch_feeds[i], feed) == 0)
			return true;
	return false;
}

void
service_notify(struct service *svc, const int64_t *ids, size_t n)
{
	struct store_filter f = { .all_copies = true, .oldest_first = true };
	struct service_conn *sc, *next;
	struct store_item *items;
	char *err = NULL;
	size_t i, j, got;
	json_t *msg;

	if (TAILQ_EMPTY(&svc->watchers))
		return;
	for (i = 0; i < n; i += ID_CHUNK) {
		f.ids = ids + i;
		f.n_ids = n - i < ID_CHUNK ? n - i : ID_CHUNK;
		if (store_items_list(svc->store, &f, &items, &got,
		    &err) == -1) {
			log_warn("watch: listing new items: %s", err);
			free(err);
			return;
		}
		for (j = 0; j < got; j++) {
			/* Encoded once, shared by every watcher. */
			msg = json_pack("{s:o}", "item",
			    item_json(&items[j], false));
			/* watch_stop() may unlink sc: get next first. */
			for (sc = TAILQ_FIRST(&svc->watchers); sc != NULL;
			    sc = next) {
				next = TAILQ_NEXT(sc, watch_entry);
				if (!watch_wants(sc, items[j].feed_name))
					continue;
				if (server_call_stream(sc->watch,
				    json_incref(msg)) == -1)
					watch_stop(sc);
			}
			json_decref(msg);
		}
		store_items_free(items, got);
	}
}

/* ---- Status, ExtractItem ---- */

static void
m_status(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	struct server_status st = { 0 };
	struct store_stats stats;
	char *err = NULL;
	json_t *o;
	int64_t now = time(NULL);

	if (!read_params(call, params, NULL, 0))
		return;
	if (store_stats(svc->store, &stats, &err) == -1) {
		reply_internal(call, "reading statistics", err);
		return;
	}
	st.started = svc->started;
	st.state = "running";
	if (svc->hooks->status)
		svc->hooks->status(svc->hooks->ctx, &st);
	o = json_object();
	json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(o, "started", json_date(st.started));
	json_object_set_new(o, "uptime", json_integer(now > st.started ?
	    now - st.started : 0));
	json_object_set_new(o, "state", varlink_json_string(st.state ?
	    st.state : "running"));
	json_object_set_new(o, "clients",
	    json_integer(server_clients(svc->server)));
	json_object_set_new(o, "feeds", json_integer(stats.n_feeds));
	json_object_set_new(o, "items", json_integer(stats.n_items));
	json_object_set_new(o, "unread", json_integer(stats.n_unread));
	json_object_set_new(o, "starred", json_integer(stats.n_starred));
	json_object_set_new(o, "stories", json_integer(stats.n_stories));
	json_object_set_new(o, "db_bytes", json_integer(stats.db_bytes));
	json_object_set_new(o, "fetches_in_flight",
	    json_integer(st.fetches_in_flight));
	json_object_set_new(o, "fetches_queued",
	    json_integer(st.fetches_queued));
	json_object_set_new(o, "extractions_in_flight",
	    json_integer(st.extractions_in_flight));
	json_object_set_new(o, "next_fetch", json_time(st.next_fetch));
	server_call_reply(call, o);
}

struct extract_wait {
	struct server_call *call;
	int64_t		 id;
};

static void
extract_done_cb(void *arg, const char *err)
{
	struct extract_wait *w = arg;
	struct server_call *call = w->call;
	struct service *svc = server_call_service(call);
	struct store_item *it;
	char *serr = NULL;

	if (err != NULL || svc == NULL)
		server_call_error(call, ERR("ExtractFailed"),
		    json_pack("{s:I,s:o}", "id", (json_int_t)w->id, "reason",
		    varlink_json_string(err ? err : "client gone")));
	else if (store_item_get(svc->store, w->id, &it, &serr) == -1)
		reply_internal(call, "getting an item", serr);
	else {
		server_call_reply(call, json_pack("{s:o}", "item",
		    item_json(it, true)));
		store_items_free(it, 1);
	}
	free(w);
}

static void
m_extract_item(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	int64_t id = 0, missing;
	const struct varlink_field fields[] = {
		{ "id", VARLINK_INT, true, &id, NULL, NULL },
	};
	struct extract_wait *w;
	char *err = NULL;
	int r;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (svc->hooks->extract_item == NULL) {
		server_call_error(call, VARLINK_ERR_METHOD_NOT_IMPLEMENTED,
		    json_pack("{s:s}", "method", ERR("ExtractItem")));
		return;
	}
	if ((r = find_missing(svc->store, &id, 1, &missing, &err)) == -1) {
		reply_internal(call, "getting an item", err);
		return;
	}
	if (r == 1) {
		server_call_error(call, ERR("NoSuchItem"),
		    json_pack("{s:I}", "id", (json_int_t)id));
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->call = call;
	w->id = id;
	server_call_hold(call);
	if (svc->hooks->extract_item(svc->hooks->ctx, id, extract_done_cb, w,
	    &err) == -1) {
		server_call_error(call, ERR("ExtractFailed"),
		    json_pack("{s:I,s:o}", "id", (json_int_t)id, "reason",
		    varlink_json_string(err ? err : "cannot extract")));
		free(err);
		free(w);
	}
}

/* ExtractFeed with wait: the reply once every article is done. */
struct extract_feed_wait {
	struct server_call *call;
	size_t		 queued;
};

static void
extract_feed_done_cb(void *arg, const char *err)
{
	struct extract_feed_wait *w = arg;

	/* Each failure is stored with its item; err is the last of them. */
	(void)err;
	server_call_reply(w->call, json_pack("{s:I}", "queued",
	    (json_int_t)w->queued));
	free(w);
}

static void
m_extract_feed(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char *name = NULL;
	int64_t limit = LIST_DEFAULT_LIMIT;
	bool wait = false;
	const struct varlink_field fields[] = {
		{ "feed", VARLINK_STRING, true, &name, NULL, NULL },
		{ "limit", VARLINK_INT, false, &limit, NULL, NULL },
		{ "wait", VARLINK_BOOL, false, &wait, NULL, NULL },
	};
	struct extract_feed_wait *w = NULL;
	size_t queued = 0;
	char *err = NULL;
	int rc;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (svc->hooks->extract_feed == NULL) {
		server_call_error(call, VARLINK_ERR_METHOD_NOT_IMPLEMENTED,
		    json_pack("{s:s}", "method", ERR("ExtractFeed")));
		return;
	}
	if (!limit_ok(limit, LIST_MAX_LIMIT)) {
		reply_invalid(call, "limit");
		return;
	}
	if (!check_feeds(svc, call, &name, 1))
		return;
	if (!wait) {
		rc = svc->hooks->extract_feed(svc->hooks->ctx, name,
		    (size_t)limit, ignore_done_cb, NULL, &queued, &err);
		if (rc == 0)
			server_call_reply(call, json_pack("{s:I}", "queued",
			    (json_int_t)queued));
	} else {
		/* The hook sets w->queued before done_cb can run. */
		w = xcalloc(1, sizeof(*w));
		w->call = call;
		server_call_hold(call);
		rc = svc->hooks->extract_feed(svc->hooks->ctx, name,
		    (size_t)limit, extract_feed_done_cb, w, &w->queued, &err);
	}
	if (rc == -1) {
		server_call_error(call, ERR("ExtractFailed"),
		    json_pack("{s:s,s:o}", "feed", name, "reason",
		    varlink_json_string(err ? err : "cannot extract")));
		free(err);
		free(w);
	}
}

/* ---- digests ---- */

static struct lease *
lease_find(struct service_conn *sc, const char *cursor, const char *holder)
{
	size_t i;

	for (i = 0; i < sc->n_leases; i++)
		if (strcmp(sc->leases[i].cursor, cursor) == 0 &&
		    strcmp(sc->leases[i].holder, holder) == 0)
			return &sc->leases[i];
	return NULL;
}

static void
lease_forget(struct service_conn *sc, struct lease *l)
{
	free(l->cursor);
	free(l->holder);
	*l = sc->leases[--sc->n_leases];
}

/* A lease token nobody can guess: 128 random bits in hex. */
static char *
lease_token(void)
{
	unsigned char r[16];
	char *s;
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Never for 16 bytes once the pool is ready; still unique. */
		static unsigned long n;

		return xasprintf("lease-%ld-%lu-%ld", (long)time(NULL), ++n,
		    (long)getpid());
	}
	s = xmalloc(2 * sizeof(r) + 1);
	for (i = 0; i < sizeof(r); i++)
		snprintf(s + 2 * i, 3, "%02x", r[i]);
	return s;
}

static int
cmp_id_asc(const void *a, const void *b)
{
	const struct store_item *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Newest first, as lists are: by date (published, capped at first seen). */
static int64_t
item_when(const struct store_item *it)
{
	if (it->published == DATE_NONE || it->published > it->first_seen)
		return it->first_seen;
	return it->published;
}

static int
cmp_newest(const void *a, const void *b)
{
	const struct store_item *x = a, *y = b;
	int64_t tx = item_when(x), ty = item_when(y);

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return (x->id < y->id) - (x->id > y->id);
}

struct story_ref {
	int64_t		 story;
	size_t		 idx;
};

static int
cmp_story(const void *a, const void *b)
{
	const struct story_ref *x = a, *y = b;

	if (x->story != y->story)
		return x->story < y->story ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Frees one item of an array without the array (store_items_free can't). */
static void
item_free_one(struct store_item *it)
{
	struct store_item *one = xmalloc(sizeof(*one));

	*one = *it;
	store_items_free(one, 1);
}

/*
 * The items of a digest: story-collapsed items of the feeds (all: none
 * given) with ids above after_id and first seen since `since`; the
 * `limit` smallest ids, so that a cursor moved to the largest of them
 * skips nothing.  *ret is sorted newest first, with bodies if full.
 */
static int
digest_select(struct store *store, const char **feeds, size_t n_feeds,
    int64_t after_id, int64_t since, bool unread, size_t limit, bool full,
    struct store_item **ret, size_t *ret_n, char **ret_err)
{
	struct store_filter f = { 0 };
	struct store_item *all = NULL, *items, *with;
	struct story_ref *refs;
	size_t n_all = 0, n, i, k;
	bool *keep;

	f.after_id = after_id;
	f.since = since;
	f.read = unread ? STORE_NO : STORE_ANY;
	f.oldest_first = true;
	for (i = 0; i == 0 || i < n_feeds; i++) {
		f.feed = n_feeds ? feeds[i] : NULL;
		if (store_items_list(store, &f, &items, &n, ret_err) == -1) {
			store_items_free(all, n_all);
			return -1;
		}
		all = xreallocarray(all, n_all + n + 1, sizeof(*all));
		if (n > 0)
			memcpy(all + n_all, items, n * sizeof(*items));
		n_all += n;
		free(items);	/* its items moved to all */
		if (n_feeds == 0)
			break;
	}
	qsort(all, n_all, sizeof(*all), cmp_id_asc);
	/* One story once, even when it is in several of the feeds: keep
	 * each story's smallest id. */
	refs = xcalloc(n_all + 1, sizeof(*refs));
	keep = xcalloc(n_all + 1, sizeof(*keep));
	for (i = 0; i < n_all; i++) {
		refs[i].story = all[i].story_id;
		refs[i].idx = i;
	}
	qsort(refs, n_all, sizeof(*refs), cmp_story);
	for (i = 0; i < n_all; i++)
		if (i == 0 || refs[i].story != refs[i - 1].story)
			keep[refs[i].idx] = true;
	for (i = 0, k = 0; i < n_all; i++) {
		if (keep[i] && k < limit)
			all[k++] = all[i];
		else
			item_free_one(&all[i]);
	}
	free(refs);
	free(keep);
	n_all = k;
	/* Bodies only for what is delivered, a chunk of ids per query. */
	for (i = 0; full && i < n_all; i += ID_CHUNK) {
		struct store_filter bf = { .all_copies = true,
		    .with_bodies = true };
		int64_t ids[ID_CHUNK];
		size_t j, got;

		bf.n_ids = n_all - i < ID_CHUNK ? n_all - i : ID_CHUNK;
		for (j = 0; j < bf.n_ids; j++)
			ids[j] = all[i + j].id;
		bf.ids = ids;
		if (store_items_list(store, &bf, &with, &got, ret_err) == -1) {
			store_items_free(all, n_all);
			return -1;
		}
		/* all[] is in id order: put each one in its place. */
		for (j = 0; j < got; j++) {
			struct store_item *at = bsearch(&with[j], all + i,
			    bf.n_ids, sizeof(*all), cmp_id_asc);

			if (at == NULL) {
				item_free_one(&with[j]);
				continue;
			}
			item_free_one(at);
			*at = with[j];
		}
		free(with);
	}
	qsort(all, n_all, sizeof(*all), cmp_newest);
	*ret = all;
	*ret_n = n_all;
	return 0;
}

static void
m_digest_begin(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	const char *cursor = NULL, **feeds = NULL;
	int64_t since = DIGEST_DEFAULT_SINCE, limit = DIGEST_MAX_LIMIT;
	int64_t now = time(NULL), position = 0, from = 0, max_id;
	bool unread = false, full = false, is_new = true;
	size_t n_feeds = 0, n = 0, i;
	const struct varlink_field fields[] = {
		{ "cursor", VARLINK_STRING, false, &cursor, NULL, NULL },
		{ "since", VARLINK_INT, false, &since, NULL, NULL },
		{ "feeds", VARLINK_STRINGS, false, &feeds, &n_feeds, NULL },
		{ "unread", VARLINK_BOOL, false, &unread, NULL, NULL },
		{ "limit", VARLINK_INT, false, &limit, NULL, NULL },
		{ "full", VARLINK_BOOL, false, &full, NULL, NULL },
	};
	struct store_item *items = NULL;
	char *holder = NULL, *err = NULL;
	json_t *lease_json;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields)))
		return;
	if (since <= 0 || since > now) {
		reply_invalid(call, "since");
		goto out;
	}
	if (!limit_ok(limit, DIGEST_MAX_LIMIT) || limit == 0) {
		reply_invalid(call, "limit");
		goto out;
	}
	if (cursor != NULL && (*cursor == '\0' || strlen(cursor) > 200)) {
		reply_invalid(call, "cursor");
		goto out;
	}
	if (!check_feeds(svc, call, feeds, n_feeds))
		goto out;
	if (cursor != NULL) {
		holder = lease_token();
		if (store_cursor_lease(svc->store, cursor, holder, now,
		    LEASE_TTL, &position, &is_new, &err) == -1) {
			if (err != NULL && strstr(err, "in use") != NULL) {
				server_call_error(call, ERR("CursorBusy"),
				    json_pack("{s:o}", "cursor",
				    varlink_json_string(cursor)));
				free(err);
			} else
				reply_internal(call, "leasing a cursor", err);
			goto out;
		}
		sc->leases = xreallocarray(sc->leases, sc->n_leases + 1,
		    sizeof(*sc->leases));
		sc->leases[sc->n_leases].cursor = xstrdup(cursor);
		sc->leases[sc->n_leases].holder = xstrdup(holder);
		sc->n_leases++;
	}
	/*
	 * A cursor that never delivered anything (new, or committed at 0)
	 * starts `since` seconds back; afterwards it goes by ids alone.
	 */
	if (is_new || position <= 0)
		from = now - since;
	if (digest_select(svc->store, feeds, n_feeds, position, from, unread,
	    limit, full, &items, &n, &err) == -1) {
		if (cursor != NULL) {
			struct lease *l = lease_find(sc, cursor, holder);

			store_cursor_release(svc->store, cursor, holder, NULL);
			if (l)
				lease_forget(sc, l);
		}
		reply_internal(call, "selecting a digest", err);
		goto out;
	}
	max_id = position;
	for (i = 0; i < n; i++)
		if (items[i].id > max_id)
			max_id = items[i].id;
	lease_json = holder ? json_string(holder) : json_null();
	server_call_reply(call, json_pack("{s:o,s:I,s:o}", "lease", lease_json,
	    "position", (json_int_t)max_id, "items",
	    items_json(items, n, full)));
	store_items_free(items, n);
out:
	free(holder);
	free(feeds);
}

static void
digest_end(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params, bool commit)
{
	const char *cursor = NULL, *holder = NULL;
	int64_t position = 0;
	const struct varlink_field fields[] = {
		{ "cursor", VARLINK_STRING, true, &cursor, NULL, NULL },
		{ "lease", VARLINK_STRING, true, &holder, NULL, NULL },
		{ "position", VARLINK_INT, commit, &position, NULL, NULL },
	};
	struct lease *l;
	char *err = NULL;
	int rc;

	if (!read_params(call, params, fields, ARRAY_SIZE(fields) -
	    (commit ? 0 : 1)))
		return;
	if (position < 0) {
		reply_invalid(call, "position");
		return;
	}
	/* Only the connection that leased it: its lease ends with it. */
	if ((l = lease_find(sc, cursor, holder)) == NULL) {
		server_call_error(call, ERR("LeaseInvalid"), json_pack("{s:o}",
		    "cursor", varlink_json_string(cursor)));
		return;
	}
	if (commit)
		rc = store_cursor_commit(svc->store, cursor, holder, position,
		    &err);
	else
		rc = store_cursor_release(svc->store, cursor, holder, &err);
	lease_forget(sc, l);
	if (rc == -1) {
		/* Expired and taken by another run, most likely. */
		log_warn("digest cursor %s: %s", cursor, err ? err : "failed");
		free(err);
		server_call_error(call, ERR("LeaseInvalid"), json_pack("{s:o}",
		    "cursor", varlink_json_string(cursor)));
		return;
	}
	server_call_reply(call, NULL);
}

static void
m_digest_commit(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	digest_end(svc, sc, call, params, true);
}

static void
m_digest_abort(struct service *svc, struct service_conn *sc,
    struct server_call *call, json_t *params)
{
	digest_end(svc, sc, call, params, false);
}

/* ---- dispatch ---- */

typedef void method_fn(struct service *, struct service_conn *,
    struct server_call *, json_t *);

static const struct {
	const char	*name;
	method_fn	*fn;
} methods[] = {
	{ VARLINK_SERVICE ".GetInfo", m_get_info },
	{ VARLINK_SERVICE ".GetInterfaceDescription",
	    m_get_interface_description },
	{ ERR("ListItems"), m_list_items },
	{ ERR("GetItem"), m_get_item },
	{ ERR("MarkRead"), m_mark_read },
	{ ERR("MarkUnread"), m_mark_unread },
	{ ERR("Star"), m_star },
	{ ERR("Unstar"), m_unstar },
	{ ERR("ListFeeds"), m_list_feeds },
	{ ERR("AddFeed"), m_add_feed },
	{ ERR("RemoveFeed"), m_remove_feed },
	{ ERR("Refresh"), m_refresh },
	{ ERR("Watch"), m_watch },
	{ ERR("Search"), m_search },
	{ ERR("Status"), m_status },
	{ ERR("ExtractItem"), m_extract_item },
	{ ERR("ExtractFeed"), m_extract_feed },
	{ ERR("DigestBegin"), m_digest_begin },
	{ ERR("DigestCommit"), m_digest_commit },
	{ ERR("DigestAbort"), m_digest_abort },
};

void
service_call(struct service *svc, struct service_conn *sc,
    struct server_call *call, const char *method, json_t *params)
{
	char *iface = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(methods); i++) {
		if (strcmp(methods[i].name, method) == 0) {
			methods[i].fn(svc, sc, call, params);
			return;
		}
	}
	if (varlink_method_split(method, &iface, NULL) &&
	    strcmp(iface, INTERFACE) != 0 &&
	    strcmp(iface, VARLINK_SERVICE) != 0) {
		server_call_error(call, VARLINK_ERR_INTERFACE_NOT_FOUND,
		    json_pack("{s:o}", "interface",
		    varlink_json_string(iface)));
	} else {
		server_call_error(call, VARLINK_ERR_METHOD_NOT_FOUND,
		    json_pack("{s:o}", "method", varlink_json_string(method)));
	}
	free(iface);
}

struct service *
service_new(struct store *store, const struct server_hooks *hooks,
    struct server *server)
{
	struct service *svc = xcalloc(1, sizeof(*svc));

	svc->store = store;
	svc->hooks = hooks;
	svc->server = server;
	svc->started = time(NULL);
	TAILQ_INIT(&svc->watchers);
	return svc;
}

void
service_free(struct service *svc)
{
	if (svc == NULL)
		return;
	/* Connections went first (server_free): no watcher is left. */
	free(svc);
}

struct service_conn *
service_conn_new(struct service *svc)
{
	struct service_conn *sc = xcalloc(1, sizeof(*sc));

	sc->svc = svc;
	return sc;
}

void
service_conn_free(struct service *svc, struct service_conn *sc)
{
	char *err = NULL;
	size_t i;

	if (sc == NULL)
		return;
	watch_stop(sc);
	/* A digest that did not commit leaves its cursor where it was. */
	for (i = 0; i < sc->n_leases; i++) {
		if (store_cursor_release(svc->store, sc->leases[i].cursor,
		    sc->leases[i].holder, &err) == -1) {
			log_warn("releasing digest cursor %s: %s",
			    sc->leases[i].cursor, err);
			free(err);
			err = NULL;
		}
		free(sc->leases[i].cursor);
		free(sc->leases[i].holder);
	}
	free(sc->leases);
	free(sc);
}
