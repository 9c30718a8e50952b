/*
 * ctl_items: the feedctl commands about items — list, search, watch,
 * show, and read/unread/star/unstar.  Text output is a table that fits
 * the terminal (id, flags, feed, age, title); --json prints the items as
 * the daemon sent them (see src/org.feedd.varlink).
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
#include "html.h"
#include "util.h"
#include "varlink.h"

#define SGR_RESET	"\033[0m"
#define SGR_BOLD	"\033[1m"
#define SGR_DIM		"\033[2m"
#define SGR_FEED	"\033[36m"
#define SGR_STAR	"\033[33m"

/* Widest feed column; longer names are cut. */
#define FEED_COL_MAX	20


/* ---- the item table ---- */

struct cols {
	int		 id;		/* widths */
	int		 feed;
	int		 width;		/* of the terminal; 0: no limit */
	bool		 color;
	int64_t		 now;
};

static int
digits(json_int_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void
cols_fit(struct cols *c, json_t *items)
{
	json_t *it;
	size_t i;
	int w;

	c->id = 1;
	c->feed = 4;
	json_array_foreach(items, i, it) {
		w = digits(json_integer_value(json_object_get(it, "id")));
		if (w > c->id)
			c->id = w;
		w = ctl_text_width(json_string_value(json_object_get(it,
		    "feed")) ?: "");
		if (w > c->feed)
			c->feed = w;
	}
	if (c->feed > FEED_COL_MAX)
		c->feed = FEED_COL_MAX;
}

/* The date an item is listed by: published (not in the future), else
 * first seen. */
static int64_t
item_when(json_t *it)
{
	int64_t pub = ctl_json_time(json_object_get(it, "published"));
	int64_t seen = ctl_json_time(json_object_get(it, "first_seen"));

	if (pub == DATE_NONE || (seen != DATE_NONE && pub > seen))
		return seen;
	return pub;
}

/* "  123 N* lwn      3h  Title [+2]" */
static void
item_line(struct buf *b, json_t *it, const struct cols *c)
{
	bool unread = !json_is_true(json_object_get(it, "read"));
	bool starred = json_is_true(json_object_get(it, "starred"));
	size_t n_also = json_array_size(json_object_get(it, "also"));
	const char *title = json_string_value(json_object_get(it, "title"));
	char age[16], also[32] = "";
	int64_t when;
	int used, room;

	buf_printf(b, "%*" JSON_INTEGER_FORMAT " ", c->id,
	    json_integer_value(json_object_get(it, "id")));
	buf_printf(b, "%c%s%c%s ", unread ? 'N' : ' ',
	    ctl_color(c->color && starred, SGR_STAR), starred ? '*' : ' ',
	    ctl_color(c->color && starred, SGR_RESET));
	buf_puts(b, ctl_color(c->color, SGR_FEED));
	used = ctl_put_text(b, json_string_value(json_object_get(it, "feed")),
	    c->feed, false);
	buf_puts(b, ctl_color(c->color, SGR_RESET));
	ctl_pad(b, c->feed - used + 1);
	when = item_when(it);
	if (when == DATE_NONE)
		snprintf(age, sizeof(age), "-");
	else
		ctl_format_age(when, c->now, age, sizeof(age));
	buf_printf(b, "%s%4s%s  ", ctl_color(c->color, SGR_DIM), age,
	    ctl_color(c->color, SGR_RESET));
	if (n_also > 0)
		snprintf(also, sizeof(also), " [+%zu]", n_also);
	room = 0;
	if (c->width > 0) {
		room = c->width - (c->id + 1 + 3 + c->feed + 1 + 4 + 2) -
		    (int)strlen(also);
		/* A tiny terminal still gets a few letters of each title. */
		if (room < 5)
			room = 5;
	}
	buf_puts(b, ctl_color(c->color && unread, SGR_BOLD));
	ctl_put_text(b, title ? title : "(no title)", room, false);
	buf_puts(b, ctl_color(c->color && unread, SGR_RESET));
	buf_printf(b, "%s\n", also);
}

static void
print_items(json_t *items)
{
	struct cols c = { 0 };
	struct buf b = { 0 };
	json_t *it;
	size_t i;

	cols_fit(&c, items);
	c.width = ctl_term_width();
	c.color = ctl_use_color();
	c.now = time(NULL);
	json_array_foreach(items, i, it) {
		item_line(&b, it, &c);
		fputs(b.data, stdout);
		buf_clear(&b);
	}
	buf_free(&b);
}

/* Prints the "items" of a reply in the chosen form. */
static int
output_items(const char *cmd, const struct ctl_opts *opts, json_t *reply)
{
	json_t *items = json_object_get(reply, "items");

	if (!json_is_array(items)) {
		fprintf(stderr, "feedctl: %s: reply without items\n", cmd);
		return CTL_EXIT_ERROR;
	}
	if (opts->json)
		ctl_print_json(items);
	else
		print_items(items);
	return ctl_finish_output(cmd);
}

/* ---- list ---- */

static const char list_synopsis[] = "list [--unread|--all|--starred] "
    "[--feed NAME] [--since WHEN] [--limit N] [--all-copies]";

static int
parse_limit(const char *s, json_int_t *ret)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0 || v > 10000)
		return -1;
	*ret = v;
	return 0;
}

int
ctl_list(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "unread", no_argument, NULL, 'u' },
		{ "all", no_argument, NULL, 'a' },
		{ "starred", no_argument, NULL, 's' },
		{ "feed", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'n' },
		{ "all-copies", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *params, *reply = NULL;
	json_int_t limit = 0;
	int64_t since;
	int c, rc, which = 'u';

	params = json_object();
	while ((c = getopt_long(argc, argv, "uasf:S:n:c", longopts,
	    NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case 'u':
		case 'a':
		case 's':
			which = c;
			break;
		case 'f':
			json_object_set_new(params, "feed",
			    varlink_json_string(optarg));
			break;
		case 'S':
			if (ctl_parse_when(optarg, time(NULL), &since) == -1) {
				json_decref(params);
				return ctl_usage("list", list_synopsis,
				    "--since takes 24h, 7d, 90m or a date "
				    "like 2024-05-01T00:00:00Z");
			}
			json_object_set_new(params, "since",
			    json_integer(since));
			break;
		case 'n':
			if (parse_limit(optarg, &limit) == -1) {
				json_decref(params);
				return ctl_usage("list", list_synopsis,
				    "--limit takes 1 to 10000");
			}
			json_object_set_new(params, "limit",
			    json_integer(limit));
			break;
		case 'c':
			json_object_set_new(params, "all_copies", json_true());
			break;
		default:
			json_decref(params);
			return ctl_usage("list", list_synopsis, NULL);
		}
	}
	if (optind < argc) {
		json_decref(params);
		return ctl_usage("list", list_synopsis, "unexpected argument");
	}
	if (which == 'u')
		json_object_set_new(params, "unread", json_true());
	else if (which == 's')
		json_object_set_new(params, "starred", json_true());
	if ((rc = ctl_run("list", opts, "org.feedd.ListItems", params,
	    &reply)) != CTL_EXIT_OK)
		return rc;
	rc = output_items("list", opts, reply);
	json_decref(reply);
	return rc;
}

/* ---- search ---- */

static const char search_synopsis[] =
    "search [--unread] [--feed NAME] [--limit N] QUERY";

int
ctl_search(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "unread", no_argument, NULL, 'u' },
		{ "feed", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *params, *reply = NULL;
	json_int_t limit;
	struct buf q = { 0 };
	int c, rc, i;

	params = json_object();
	while ((c = getopt_long(argc, argv, "uf:n:", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case 'u':
			json_object_set_new(params, "unread", json_true());
			break;
		case 'f':
			json_object_set_new(params, "feed",
			    varlink_json_string(optarg));
			break;
		case 'n':
			if (parse_limit(optarg, &limit) == -1) {
				json_decref(params);
				return ctl_usage("search", search_synopsis,
				    "--limit takes 1 to 10000");
			}
			json_object_set_new(params, "limit",
			    json_integer(limit));
			break;
		default:
			json_decref(params);
			return ctl_usage("search", search_synopsis, NULL);
		}
	}
	if (optind >= argc) {
		json_decref(params);
		return ctl_usage("search", search_synopsis, "no query");
	}
	/* Several words are one query, as a shell splits them. */
	for (i = optind; i < argc; i++) {
		if (i > optind)
			buf_putc(&q, ' ');
		buf_puts(&q, argv[i]);
	}
	json_object_set_new(params, "query", varlink_json_string(q.data));
	buf_free(&q);
	if ((rc = ctl_run("search", opts, "org.feedd.Search", params,
	    &reply)) != CTL_EXIT_OK)
		return rc;
	rc = output_items("search", opts, reply);
	json_decref(reply);
	return rc;
}

/* ---- watch ---- */

struct watch_state {
	const struct ctl_opts *opts;
	struct cols	 cols;
	bool		 failed;
};

static int
watch_cb(void *arg, json_t *params)
{
	struct watch_state *w = arg;
	json_t *it = json_object_get(params, "item");
	struct buf b = { 0 };

	/* The first reply only says the watch is in place. */
	if (!json_is_object(it))
		return 0;
	if (w->opts->json) {
		/* One object per line, for line-oriented tools. */
		json_dumpf(it, stdout, JSON_COMPACT | ctl_json_flags());
		putchar('\n');
	} else {
		w->cols.now = time(NULL);
		item_line(&b, it, &w->cols);
		fputs(b.data, stdout);
		buf_free(&b);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		w->failed = true;
		return 1;
	}
	return 0;
}

int
ctl_watch(int argc, char **argv, struct ctl_opts *opts)
{
	static const char synopsis[] = "watch [--feed NAME]...";
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "feed", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_state w = { .opts = opts };
	struct client *cl;
	json_t *feeds, *reply = NULL;
	char *error = NULL, *err = NULL, *text;
	int c, rc;

	feeds = json_array();
	while ((c = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		if (c == 'f') {
			json_array_append_new(feeds,
			    varlink_json_string(optarg));
			continue;
		}
		json_decref(feeds);
		return ctl_usage("watch", synopsis, NULL);
	}
	if (optind < argc) {
		json_decref(feeds);
		return ctl_usage("watch", synopsis, "unexpected argument");
	}
	w.cols.id = 6;
	w.cols.feed = 16;
	w.cols.width = ctl_term_width();
	w.cols.color = ctl_use_color();
	if ((rc = ctl_connect("watch", opts, &cl)) != CTL_EXIT_OK) {
		json_decref(feeds);
		return rc;
	}
	rc = client_call_more(cl, "org.feedd.Watch", json_pack("{s:o}",
	    "feeds", feeds), watch_cb, &w, &error, &reply, &err);
	client_free(cl);
	if (rc == 1) {
		text = client_error_text(error, reply);
		fprintf(stderr, "feedctl: watch: %s\n", text);
		free(text);
		free(error);
		json_decref(reply);
		return CTL_EXIT_ERROR;
	}
	if (w.failed)
		return CTL_EXIT_ERROR;
	/* A watch ends only when feedd goes away. */
	fprintf(stderr, "feedctl: watch: %s\n", rc == -1 ? err :
	    "feedd ended the watch");
	free(err);
	return CTL_EXIT_ERROR;
}

/* ---- show ---- */

static void
header(struct buf *b, const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	buf_printf(b, "%-9s ", name);
	ctl_put_text(b, value, 0, false);
	buf_putc(b, '\n');
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Plain text of an HTML body, or NULL. */
static char *
html_text(const char *html)
{
	if (html == NULL || *html == '\0')
		return NULL;
	return html_to_text(html, strlen(html));
}

static void
show_item(json_t *it, bool as_html)
{
	json_t *article = json_object_get(it, "article"), *also, *cp;
	struct buf b = { 0 };
	char when[32], *text = NULL;
	const char *body, *reason;
	int64_t t;
	size_t i;

	buf_puts(&b, ctl_color(ctl_use_color(), SGR_BOLD));
	ctl_put_text(&b, jstr(it, "title") ? jstr(it, "title") : "(no title)",
	    0, false);
	buf_printf(&b, "%s\n", ctl_color(ctl_use_color(), SGR_RESET));
	header(&b, "Feed:", jstr(it, "feed"));
	header(&b, "Author:", jstr(it, "author"));
	if (json_is_object(article))
		header(&b, "Byline:", jstr(article, "byline"));
	if ((t = ctl_json_time(json_object_get(it, "published"))) !=
	    DATE_NONE) {
		ctl_format_time(t, when, sizeof(when));
		header(&b, "Date:", when);
	}
	if ((t = ctl_json_time(json_object_get(it, "updated"))) != DATE_NONE) {
		ctl_format_time(t, when, sizeof(when));
		header(&b, "Updated:", when);
	}
	header(&b, "Link:", jstr(it, "link"));
	reason = jstr(it, "story_reason");
	buf_printf(&b, "%-9s %" JSON_INTEGER_FORMAT ", story %"
	    JSON_INTEGER_FORMAT "%s%s%s\n", "Id:",
	    json_integer_value(json_object_get(it, "id")),
	    json_integer_value(json_object_get(it, "story")),
	    reason ? " (" : "",
	    reason ? reason : "", reason ? ")" : "");
	buf_printf(&b, "%-9s %s%s\n", "State:",
	    json_is_true(json_object_get(it, "read")) ? "read" : "unread",
	    json_is_true(json_object_get(it, "starred")) ? ", starred" : "");
	buf_putc(&b, '\n');
	/* The extracted article, else the feed's content, else its summary. */
	if (as_html) {
		body = json_is_object(article) ? jstr(article, "html") : NULL;
		if (body == NULL || *body == '\0')
			body = jstr(it, "content");
		if (body == NULL || *body == '\0')
			body = jstr(it, "summary");
		ctl_put_text(&b, body ? body : "", 0, true);
	} else {
		body = json_is_object(article) ? jstr(article, "text") : NULL;
		if (body != NULL && *body != '\0')
			text = xstrdup(body);
		if (text == NULL)
			text = html_text(jstr(it, "content"));
		if (text == NULL || *text == '\0') {
			free(text);
			text = html_text(jstr(it, "summary"));
		}
		ctl_put_text(&b, text ? text : "(no text)", 0, true);
		free(text);
	}
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		buf_putc(&b, '\n');
	also = json_object_get(it, "also");
	if (json_array_size(also) > 0) {
		buf_puts(&b, "\nAlso in:\n");
		json_array_foreach(also, i, cp) {
			buf_printf(&b, "  %" JSON_INTEGER_FORMAT "  ",
			    json_integer_value(json_object_get(cp, "id")));
			ctl_put_text(&b, jstr(cp, "feed"), 0, false);
			if (jstr(cp, "link")) {
				buf_puts(&b, "  ");
				ctl_put_text(&b, jstr(cp, "link"), 0, false);
			}
			buf_putc(&b, '\n');
		}
	}
	fputs(b.data, stdout);
	buf_free(&b);
}

int
ctl_show(int argc, char **argv, struct ctl_opts *opts)
{
	static const char synopsis[] = "show [--html] ID";
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "html", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *reply = NULL, *it;
	bool as_html = false;
	int64_t id;
	int c, rc;

	while ((c = getopt_long(argc, argv, "H", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		if (c == 'H') {
			as_html = true;
			continue;
		}
		return ctl_usage("show", synopsis, NULL);
	}
	if (optind + 1 != argc)
		return ctl_usage("show", synopsis, "one item id expected");
	if (ctl_parse_id(argv[optind], &id) == -1)
		return ctl_usage("show", synopsis, "not an item id");
	if ((rc = ctl_run("show", opts, "org.feedd.GetItem",
	    json_pack("{s:I}", "id", (json_int_t)id), &reply)) != CTL_EXIT_OK)
		return rc;
	it = json_object_get(reply, "item");
	if (opts->json)
		ctl_print_json(it);
	else
		show_item(it, as_html);
	json_decref(reply);
	return ctl_finish_output("show");
}

/* ---- read, unread, star, unstar ---- */

static int
mark(int argc, char **argv, struct ctl_opts *opts, const char *cmd,
    const char *method, const char *done)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "feed", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char synopsis[64];
	json_t *params, *ids, *reply = NULL, *changed, *v;
	int64_t id;
	size_t i, n;
	int c, rc;

	snprintf(synopsis, sizeof(synopsis), "%s ID...|--feed NAME|--all",
	    cmd);
	params = json_object();
	while ((c = getopt_long(argc, argv, "f:a", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case 'f':
			json_object_set_new(params, "feed",
			    varlink_json_string(optarg));
			break;
		case 'a':
			json_object_set_new(params, "all", json_true());
			break;
		default:
			json_decref(params);
			return ctl_usage(cmd, synopsis, NULL);
		}
	}
	if (optind < argc) {
		if (json_object_size(params) > 0) {
			json_decref(params);
			return ctl_usage(cmd, synopsis, "ids, --feed or --all, "
			    "not both");
		}
		ids = json_array();
		for (; optind < argc; optind++) {
			if (ctl_parse_id(argv[optind], &id) == -1) {
				json_decref(ids);
				json_decref(params);
				return ctl_usage(cmd, synopsis,
				    "not an item id");
			}
			json_array_append_new(ids, json_integer(id));
		}
		json_object_set_new(params, "ids", ids);
	} else if (json_object_size(params) == 0) {
		json_decref(params);
		return ctl_usage(cmd, synopsis, "which items?");
	}
	if ((rc = ctl_run(cmd, opts, method, params, &reply)) != CTL_EXIT_OK)
		return rc;
	changed = json_object_get(reply, "changed");
	if (opts->json)
		ctl_print_json(reply);
	else if ((n = json_array_size(changed)) == 0)
		printf("nothing changed\n");
	else {
		/* Read and unread reach every copy of a story: say which. */
		printf("%zu item%s now %s:", n, n == 1 ? "" : "s", done);
		json_array_foreach(changed, i, v) {
			if (i == 50) {
				printf(" ...");
				break;
			}
			printf(" %" JSON_INTEGER_FORMAT, json_integer_value(v));
		}
		putchar('\n');
	}
	json_decref(reply);
	return ctl_finish_output(cmd);
}

int
ctl_read(int argc, char **argv, struct ctl_opts *opts)
{
	return mark(argc, argv, opts, "read", "org.feedd.MarkRead", "read");
}

int
ctl_unread(int argc, char **argv, struct ctl_opts *opts)
{
	return mark(argc, argv, opts, "unread", "org.feedd.MarkUnread",
	    "unread");
}

int
ctl_star(int argc, char **argv, struct ctl_opts *opts)
{
	return mark(argc, argv, opts, "star", "org.feedd.Star", "starred");
}

int
ctl_unstar(int argc, char **argv, struct ctl_opts *opts)
{
	return mark(argc, argv, opts, "unstar", "org.feedd.Unstar",
	    "unstarred");
}
