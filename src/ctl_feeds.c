/*
 * ctl_feeds: the feedctl commands about feeds and the daemon — feeds,
 * add (with feed discovery from a site's page), remove, refresh, status.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client.h"
#include "ctl.h"
#include "date.h"
#include "discover.h"
#include "httpget.h"
#include "parse.h"
#include "url.h"
#include "util.h"
#include "varlink.h"

#define SGR_RESET	"\033[0m"
#define SGR_BOLD	"\033[1m"
#define SGR_RED		"\033[31m"
#define SGR_YELLOW	"\033[33m"
#define SGR_GREEN	"\033[32m"

/* Discovery reads at most this much of a page. */
#define DISCOVER_MAX_BYTES	(4 * 1024 * 1024)
#define DISCOVER_TIMEOUT	20L


/* Only the global options: for commands without options of their own. */
static int
global_only(int argc, char **argv, struct ctl_opts *opts, const char *cmd,
    const char *synopsis)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (!ctl_global_option(c, optarg, opts))
			return ctl_usage(cmd, synopsis, NULL);
	return CTL_EXIT_OK;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- feeds ---- */

/*
 * What a feed's last fetch says, as one phrase: "ok", "304", "backing
 * off until 14:05 (HTTP 503)", "error: ...", "disabled", "new".
 */
static char *
feed_status(json_t *f, int64_t now, const char **ret_sgr)
{
	json_int_t code = json_integer_value(json_object_get(f, "last_status"));
	json_int_t streak = json_integer_value(json_object_get(f,
	    "error_streak"));
	int64_t next = ctl_json_time(json_object_get(f, "next_fetch"));
	const char *err = jstr(f, "error");
	char when[32];

	if (json_is_true(json_object_get(f, "disabled"))) {
		*ret_sgr = SGR_RED;
		return err ? xasprintf("disabled: %s", err) :
		    xstrdup("disabled");
	}
	if (streak > 0) {
		*ret_sgr = SGR_YELLOW;
		if (next != DATE_NONE && next > now) {
			ctl_format_time(next, when, sizeof(when));
			return xasprintf("backing off until %s (%s)", when,
			    err ? err : "error");
		}
		return xasprintf("error: %s", err ? err : "unknown");
	}
	if (err != NULL) {
		*ret_sgr = SGR_RED;
		return xasprintf("error: %s", err);
	}
	*ret_sgr = SGR_GREEN;
	if (code == 304)
		return xstrdup("304");
	if (code >= 200 && code < 300)
		return xstrdup("ok");
	if (json_is_null(json_object_get(f, "last_fetch"))) {
		*ret_sgr = "";
		return xstrdup("new");
	}
	return xasprintf("HTTP %" JSON_INTEGER_FORMAT, code);
}

static void
print_feeds(json_t *feeds)
{
	int name_w = 4, width = ctl_term_width(), w, room;
	bool color = ctl_use_color();
	int64_t now = time(NULL), t;
	struct buf b = { 0 };
	char last[16], next[32];
	const char *sgr;
	char *status;
	json_t *f;
	size_t i;

	json_array_foreach(feeds, i, f)
		if ((w = ctl_text_width(jstr(f, "name") ?: "")) > name_w)
			name_w = w;
	if (name_w > 24)
		name_w = 24;
	buf_printf(&b, "%-*s %6s %5s  %-16s %s\n", name_w, "NAME", "UNREAD",
	    "LAST", "NEXT", "STATUS");
	json_array_foreach(feeds, i, f) {
		w = ctl_put_text(&b, jstr(f, "name"), name_w, false);
		ctl_pad(&b, name_w - w);
		buf_printf(&b, " %6" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(f, "unread")));
		if ((t = ctl_json_time(json_object_get(f, "last_fetch"))) ==
		    DATE_NONE)
			snprintf(last, sizeof(last), "never");
		else
			ctl_format_age(t, now, last, sizeof(last));
		t = ctl_json_time(json_object_get(f, "next_fetch"));
		if (json_is_true(json_object_get(f, "disabled")))
			snprintf(next, sizeof(next), "-");
		else if (t == DATE_NONE || t <= now)
			snprintf(next, sizeof(next), "now");
		else
			ctl_format_time(t, next, sizeof(next));
		buf_printf(&b, " %5s  %-16s ", last, next);
		status = feed_status(f, now, &sgr);
		room = width > 0 ? width - (name_w + 1 + 6 + 1 + 5 + 2 + 16 +
		    1) : 0;
		if (width > 0 && room < 10)
			room = 10;
		buf_puts(&b, ctl_color(color && *sgr, sgr));
		ctl_put_text(&b, status, room, false);
		buf_puts(&b, ctl_color(color && *sgr, SGR_RESET));
		buf_putc(&b, '\n');
		free(status);
	}
	fputs(b.data, stdout);
	buf_free(&b);
}

int
ctl_feeds(int argc, char **argv, struct ctl_opts *opts)
{
	json_t *reply = NULL, *feeds;
	int rc;

	if ((rc = global_only(argc, argv, opts, "feeds", "feeds")) != 0)
		return rc;
	if (optind < argc)
		return ctl_usage("feeds", "feeds", "unexpected argument");
	if ((rc = ctl_run("feeds", opts, "org.feedd.ListFeeds", NULL,
	    &reply)) != CTL_EXIT_OK)
		return rc;
	feeds = json_object_get(reply, "feeds");
	if (opts->json)
		ctl_print_json(feeds);
	else
		print_feeds(feeds);
	json_decref(reply);
	return ctl_finish_output("feeds");
}

/* ---- add ---- */

/* Whether a body is a feed: it parses as one. */
static bool
is_feed(const struct httpget_result *r)
{
	struct parse_opts po = { .base_url = r->url,
	    .content_type = r->content_type, .max_items = 1 };
	struct feed *feed = NULL;
	char *err = NULL;

	if (parse_feed(r->body.data ? r->body.data : "", r->body.len, &po,
	    &feed, &err) == -1) {
		free(err);
		return false;
	}
	feed_free(feed);
	return true;
}

/*
 * The feed URL for what the user gave: the URL itself if it serves a
 * feed, else the first feed its page announces.  Prints why not and
 * returns NULL if neither.
 */
static char *
discover(const char *url)
{
	struct httpget_opts ho = { .max_bytes = DISCOVER_MAX_BYTES,
	    .timeout = DISCOVER_TIMEOUT,
	    .accept = "application/atom+xml, application/rss+xml, "
		"application/feed+json, application/xml;q=0.9, "
		"text/html;q=0.8, */*;q=0.5" };
	struct httpget_result r;
	char *err = NULL, **urls, *found = NULL;
	size_t n;

	if (httpget(url, &ho, &r, &err) == -1) {
		fprintf(stderr, "feedctl: add: cannot fetch %s (use "
		    "--no-discover to add it as it is)\n", err);
		free(err);
		return NULL;
	}
	if (is_feed(&r)) {
		httpget_result_clear(&r);
		return xstrdup(url);
	}
	discover_feeds(r.body.data ? r.body.data : "", r.body.len,
	    r.content_type, r.url, &urls, &n);
	if (n == 0)
		fprintf(stderr, "feedctl: add: %s is not a feed and announces "
		    "none (no <link rel=\"alternate\"> of a feed type)\n", url);
	else {
		found = xstrdup(urls[0]);
		if (n > 1)
			fprintf(stderr, "feedctl: add: %s announces %zu feeds; "
			    "adding the first, %s\n", url, n, found);
	}
	discover_free(urls);
	httpget_result_clear(&r);
	return found;
}

int
ctl_add(int argc, char **argv, struct ctl_opts *opts)
{
	static const char synopsis[] =
	    "add [--name NAME] [--fulltext] [--no-discover] URL";
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "name", required_argument, NULL, 'n' },
		{ "fulltext", no_argument, NULL, 'F' },
		{ "no-discover", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	bool fulltext = false, disc = true;
	json_t *params, *reply = NULL, *f;
	char *url;
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:FD", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'F':
			fulltext = true;
			break;
		case 'D':
			disc = false;
			break;
		default:
			return ctl_usage("add", synopsis, NULL);
		}
	}
	if (optind + 1 != argc)
		return ctl_usage("add", synopsis, "one URL expected");
	if (!url_is_http(argv[optind]))
		return ctl_usage("add", synopsis, "not an http or https URL");
	url = disc ? discover(argv[optind]) : xstrdup(argv[optind]);
	if (url == NULL)
		return CTL_EXIT_ERROR;
	params = json_pack("{s:o,s:b}", "url", varlink_json_string(url),
	    "fulltext", fulltext);
	if (name != NULL)
		json_object_set_new(params, "name", varlink_json_string(name));
	rc = ctl_run("add", opts, "org.feedd.AddFeed", params, &reply);
	if (rc == CTL_EXIT_OK) {
		f = json_object_get(reply, "feed");
		if (opts->json)
			ctl_print_json(f);
		else
			printf("added feed %s: %s\n", jstr(f, "name"),
			    jstr(f, "url"));
		json_decref(reply);
		rc = ctl_finish_output("add");
	}
	free(url);
	return rc;
}

/* ---- remove ---- */

int
ctl_remove(int argc, char **argv, struct ctl_opts *opts)
{
	static const char synopsis[] = "remove NAME";
	int rc;

	if ((rc = global_only(argc, argv, opts, "remove", synopsis)) != 0)
		return rc;
	if (optind + 1 != argc)
		return ctl_usage("remove", synopsis, "one feed name expected");
	if ((rc = ctl_run("remove", opts, "org.feedd.RemoveFeed",
	    json_pack("{s:o}", "name", varlink_json_string(argv[optind])),
	    NULL)) != CTL_EXIT_OK)
		return rc;
	if (opts->json) {
		json_t *o = json_pack("{s:o}", "removed",
		    varlink_json_string(argv[optind]));

		ctl_print_json(o);
		json_decref(o);
	} else
		printf("removed feed %s (its items are kept)\n",
		    argv[optind]);
	return ctl_finish_output("remove");
}

/* ---- refresh ---- */

int
ctl_refresh(int argc, char **argv, struct ctl_opts *opts)
{
	static const char synopsis[] = "refresh [--wait] [NAME...]";
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "wait", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *names, *o;
	bool wait = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "w", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		if (c == 'w') {
			wait = true;
			continue;
		}
		return ctl_usage("refresh", synopsis, NULL);
	}
	names = json_array();
	for (; optind < argc; optind++)
		json_array_append_new(names, varlink_json_string(argv[optind]));
	o = json_pack("{s:O,s:b}", "feeds", names, "wait", wait);
	if ((rc = ctl_run("refresh", opts, "org.feedd.Refresh", o,
	    NULL)) != CTL_EXIT_OK) {
		json_decref(names);
		return rc;
	}
	if (opts->json) {
		o = json_pack("{s:o,s:b}", "refreshed", names, "waited", wait);
		ctl_print_json(o);
		json_decref(o);
	} else {
		size_t n = json_array_size(names);

		if (n == 0)
			printf(wait ? "refreshed every feed\n" :
			    "refreshing every feed\n");
		else
			printf(wait ? "refreshed %zu feed%s\n" :
			    "refreshing %zu feed%s\n", n, n == 1 ? "" : "s");
		json_decref(names);
	}
	return ctl_finish_output("refresh");
}

/* ---- status ---- */

static json_int_t
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void
print_status(json_t *s)
{
	json_int_t up = jint(s, "uptime");
	double mib = jint(s, "db_bytes") / (1024.0 * 1024.0);
	int64_t next = ctl_json_time(json_object_get(s, "next_fetch"));
	char when[32];

	printf("feedd %s, %s, up %" JSON_INTEGER_FORMAT "d %"
	    JSON_INTEGER_FORMAT "h %" JSON_INTEGER_FORMAT "m\n",
	    jstr(s, "version") ?: "?", jstr(s, "state") ?: "?", up / 86400,
	    up / 3600 % 24, up / 60 % 60);
	printf("feeds:       %" JSON_INTEGER_FORMAT "\n", jint(s, "feeds"));
	printf("items:       %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
	    " unread, %" JSON_INTEGER_FORMAT " starred, %" JSON_INTEGER_FORMAT
	    " stories)\n", jint(s, "items"), jint(s, "unread"),
	    jint(s, "starred"), jint(s, "stories"));
	printf("fetching:    %" JSON_INTEGER_FORMAT " in flight, %"
	    JSON_INTEGER_FORMAT " queued, %" JSON_INTEGER_FORMAT
	    " extractions\n", jint(s, "fetches_in_flight"),
	    jint(s, "fetches_queued"), jint(s, "extractions_in_flight"));
	if (next != DATE_NONE) {
		ctl_format_time(next, when, sizeof(when));
		printf("next fetch:  %s\n", when);
	}
	printf("clients:     %" JSON_INTEGER_FORMAT "\n", jint(s, "clients"));
	printf("database:    %.1f MiB\n", mib);
}

int
ctl_status(int argc, char **argv, struct ctl_opts *opts)
{
	json_t *reply = NULL;
	int rc;

	if ((rc = global_only(argc, argv, opts, "status", "status")) != 0)
		return rc;
	if (optind < argc)
		return ctl_usage("status", "status", "unexpected argument");
	if ((rc = ctl_run("status", opts, "org.feedd.Status", NULL,
	    &reply)) != CTL_EXIT_OK)
		return rc;
	if (opts->json)
		ctl_print_json(reply);
	else
		print_status(reply);
	json_decref(reply);
	return ctl_finish_output("status");
}
