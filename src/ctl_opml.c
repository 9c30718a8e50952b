/*
 * ctl_opml: `feedctl import FILE.opml` and `feedctl export`, the way feed
 * lists move between readers.  Import adds each feed at run time
 * (AddFeed), skipping those already followed, so importing twice adds
 * nothing twice; export writes every followed feed (ListFeeds) as OPML.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client.h"
#include "ctl.h"
#include "opml.h"
#include "url.h"
#include "util.h"

/* Longest name import makes up, before a "-2" to make it unique. */
#define IMPORT_NAME_MAX	40

/* ---- import ---- */

static int
read_input(const char *path, struct buf *b, char **ret_err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		*ret_err = xstrdup(strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > OPML_MAX_BYTES) {
			*ret_err = xasprintf("larger than %d MiB",
			    OPML_MAX_BYTES >> 20);
			if (f != stdin)
				fclose(f);
			return -1;
		}
		buf_append(b, chunk, n);
	}
	if (ferror(f)) {
		*ret_err = xstrdup(strerror(errno));
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

/*
 * A name for the command line: "LWN.net headlines" -> "lwn-net-headlines",
 * "Café Zürich" -> "café-zürich".  ASCII letters and digits are kept in
 * lower case, other UTF-8 characters as they are, the rest become one
 * dash.  Cut at a character boundary.
 */
static char *
slug(const char *s)
{
	struct buf b = { 0 };
	bool dash = false;
	size_t n;

	while (s != NULL && *s != '\0') {
		unsigned char c = (unsigned char)*s;

		n = 1;
		if (c >= 0x80)
			while (((unsigned char)s[n] & 0xc0) == 0x80)
				n++;
		if (c >= 0x80 ? utf8_valid(s, n) : isalnum(c)) {
			if (b.len + n + 1 > IMPORT_NAME_MAX)
				break;
			if (dash && b.len > 0)
				buf_putc(&b, '-');
			dash = false;
			if (c < 0x80)
				buf_putc(&b, tolower(c));
			else
				buf_append(&b, s, n);
		} else
			dash = true;
		s += n;
	}
	return b.len > 0 ? buf_take(&b) : NULL;
}

struct names {
	char		**v;
	size_t		 n;
};

static bool
names_has(const struct names *ns, const char *s)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return true;
	return false;
}

static void
names_add(struct names *ns, const char *s)
{
	ns->v = xreallocarray(ns->v, ns->n + 1, sizeof(*ns->v));
	ns->v[ns->n++] = xstrdup(s);
}

static void
names_free(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

/* Both the URL as written and its canonical form, to recognise repeats. */
static void
urls_add(struct names *urls, const char *url)
{
	char *c;

	if (url == NULL)
		return;
	names_add(urls, url);
	if ((c = url_canonical(url)) != NULL) {
		names_add(urls, c);
		free(c);
	}
}

static bool
urls_has(const struct names *urls, const char *url)
{
	char *c = url_canonical(url);
	bool has = names_has(urls, url) || (c != NULL && names_has(urls, c));

	free(c);
	return has;
}

/* A name no feed has: from the title, else the host; "-2"... if taken. */
static char *
unique_name(const struct opml_feed *f, const struct names *taken)
{
	char *base = slug(f->title), *host, *name;
	int i;

	if (base == NULL) {
		host = url_host(f->xml_url);
		base = slug(host != NULL && str_has_prefix(host, "www.") ?
		    host + 4 : host);
		free(host);
		if (base == NULL)
			base = xstrdup("feed");
	}
	name = xstrdup(base);
	for (i = 2; names_has(taken, name); i++) {
		free(name);
		name = xasprintf("%s-%d", base, i);
	}
	free(base);
	return name;
}

int
ctl_import(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		CTL_GLOBAL_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct names taken = { 0 }, urls = { 0 };
	struct buf data = { 0 };
	struct opml *o = NULL;
	struct client *cl = NULL;
	json_t *reply = NULL, *feed, *added, *existing, *failed;
	const struct opml_feed *f;
	const char *path;
	char *err = NULL, *error = NULL, *name, *text;
	size_t i;
	int c, rc = CTL_EXIT_USAGE;

	added = json_array();
	existing = json_array();
	failed = json_array();
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		if (c == 'h') {
			printf("usage: feedctl import FILE.opml|-\n");
			rc = CTL_EXIT_OK;
			goto out;
		}
		fprintf(stderr, "usage: feedctl import FILE.opml|-\n");
		goto out;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: feedctl import FILE.opml|-\n");
		goto out;
	}
	path = argv[optind];
	rc = CTL_EXIT_ERROR;
	if (read_input(path, &data, &err) == -1 ||
	    opml_parse(data.data != NULL ? data.data : "", data.len, &o,
	    &err) == -1) {
		fprintf(stderr, "feedctl: import: %s: %s\n", path, err);
		goto out;
	}

	/* What is followed already: by name and by URL. */
	if ((rc = ctl_connect("import", opts, &cl)) != CTL_EXIT_OK)
		goto out;
	if ((rc = ctl_call("import", cl, "org.feedd.ListFeeds", json_object(),
	    &reply)) != CTL_EXIT_OK)
		goto out;
	json_array_foreach(json_object_get(reply, "feeds"), i, feed) {
		names_add(&taken, json_string_value(json_object_get(feed,
		    "name")));
		urls_add(&urls, json_string_value(json_object_get(feed,
		    "url")));
		urls_add(&urls, json_string_value(json_object_get(feed,
		    "current_url")));
	}
	json_decref(reply);
	reply = NULL;

	for (i = 0; i < o->n_feeds; i++) {
		f = &o->feeds[i];
		if (!url_is_http(f->xml_url)) {
			fprintf(stderr, "feedctl: import: %s:%d: '%s' is not an "
			    "http or https URL; skipped\n", path, f->line,
			    f->xml_url);
			json_array_append_new(failed, json_string(f->xml_url));
			continue;
		}
		if (urls_has(&urls, f->xml_url)) {
			json_array_append_new(existing,
			    json_string(f->xml_url));
			continue;
		}
		name = unique_name(f, &taken);
		switch (client_call(cl, "org.feedd.AddFeed", json_pack(
		    "{s:s, s:s}", "url", f->xml_url, "name", name), &reply,
		    &error, &err)) {
		case 0:
			json_array_append_new(added, json_string(name));
			names_add(&taken, name);
			urls_add(&urls, f->xml_url);
			break;
		case 1:
			if (strcmp(error, "org.feedd.FeedExists") == 0) {
				/* Added meanwhile, or a URL we did not see. */
				json_array_append_new(existing,
				    json_string(f->xml_url));
			} else {
				text = client_error_text(error, reply);
				fprintf(stderr, "feedctl: import: %s:%d: %s: "
				    "%s\n", path, f->line, f->xml_url, text);
				free(text);
				json_array_append_new(failed,
				    json_string(f->xml_url));
			}
			free(error);
			error = NULL;
			break;
		default:
			fprintf(stderr, "feedctl: import: %s\n", err);
			free(name);
			goto out;
		}
		json_decref(reply);
		reply = NULL;
		free(name);
	}
	if (opts->json) {
		reply = json_pack("{s:O, s:O, s:O}", "added", added,
		    "existing", existing, "failed", failed);
		ctl_print_json(reply);
	} else {
		printf("%s: %zu feed%s added, %zu already followed", path,
		    json_array_size(added), json_array_size(added) == 1 ? "" :
		    "s", json_array_size(existing));
		if (json_array_size(failed) > 0)
			printf(", %zu failed", json_array_size(failed));
		printf("\n");
	}
	rc = ctl_finish_output("import");
	if (rc == CTL_EXIT_OK && json_array_size(failed) > 0)
		rc = CTL_EXIT_ERROR;
out:
	json_decref(reply);
	json_decref(added);
	json_decref(existing);
	json_decref(failed);
	client_free(cl);
	opml_free(o);
	names_free(&taken);
	names_free(&urls);
	buf_free(&data);
	free(err);
	return rc;
}

/* ---- export ---- */

int
ctl_export(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		CTL_GLOBAL_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct opml_feed *feeds = NULL, *f;
	struct buf out = { 0 };
	json_t *reply = NULL, *feed;
	const char *url;
	size_t i, n = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		if (c == 'h') {
			printf("usage: feedctl export\n");
			return CTL_EXIT_OK;
		}
		fprintf(stderr, "usage: feedctl export\n");
		return CTL_EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: feedctl export\n");
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_run("export", opts, "org.feedd.ListFeeds", json_object(),
	    &reply)) != CTL_EXIT_OK)
		return rc;
	feeds = xcalloc(json_array_size(json_object_get(reply, "feeds")) + 1,
	    sizeof(*feeds));
	json_array_foreach(json_object_get(reply, "feeds"), i, feed) {
		/* Where the feed lives now, after permanent redirects. */
		url = json_string_value(json_object_get(feed, "current_url"));
		if (url == NULL)
			url = json_string_value(json_object_get(feed, "url"));
		if (url == NULL)
			continue;
		f = &feeds[n++];
		f->xml_url = (char *)url;
		f->title = (char *)json_string_value(json_object_get(feed,
		    "title"));
		if (f->title == NULL)
			f->title = (char *)json_string_value(json_object_get(
			    feed, "name"));
		f->html_url = (char *)json_string_value(json_object_get(feed,
		    "site"));
	}
	opml_write(&out, "feedd subscriptions", feeds, n, (int64_t)time(NULL));
	fwrite(out.data, 1, out.len, stdout);
	rc = ctl_finish_output("export");
	buf_free(&out);
	free(feeds);
	json_decref(reply);
	return rc;
}
