/*
 * ctl_parse: `feedctl parse [--base URL] [--content-type TYPE] FILE|-`.
 * Feeds the file to the push parser in chunks and prints what feedd
 * understands of it as one JSON object (the contract of the shared feed
 * corpus, plus the item key and the fields beyond it).  Items are written
 * as the parser finishes them, so memory stays flat in the feed's size.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

#define READ_CHUNK	(64u << 10)

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
jdate(int64_t t)
{
	char s[DATE_RFC3339_LEN + 1];

	if (t == DATE_NONE)
		return json_null();
	date_format_rfc3339(t, s, sizeof(s));
	return json_string(s);
}

static json_t *
item_json(const struct item *it)
{
	json_t *o = json_object(), *a, *e;
	size_t i;

	json_object_set_new(o, "key", jstr(it->key));
	json_object_set_new(o, "id", jstr(it->id));
	json_object_set_new(o, "title", jstr(it->title));
	json_object_set_new(o, "link", jstr(it->link));
	json_object_set_new(o, "author", jstr(it->author));
	json_object_set_new(o, "published", jdate(it->published));
	json_object_set_new(o, "updated", jdate(it->updated));
	json_object_set_new(o, "summary", jstr(it->summary));
	json_object_set_new(o, "content", jstr(it->content));
	a = json_array();
	for (i = 0; i < it->n_enclosures; i++) {
		const struct enclosure *en = &it->enclosures[i];

		e = json_object();
		json_object_set_new(e, "url", jstr(en->url));
		json_object_set_new(e, "type", jstr(en->type));
		json_object_set_new(e, "length", en->length >= 0 ?
		    json_integer(en->length) : json_null());
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "enclosures", a);
	a = json_array();
	for (i = 0; i < it->n_categories; i++)
		json_array_append_new(a, json_string(it->categories[i]));
	json_object_set_new(o, "categories", a);
	json_object_set_new(o, "comments", jstr(it->comments));
	json_object_set_new(o, "image", jstr(it->image));
	json_object_set_new(o, "duration", it->duration >= 0 ?
	    json_integer(it->duration) : json_null());
	return o;
}

static json_t *
hints_json(const struct feed_hints *h)
{
	json_t *o = json_object(), *a;
	int i;

	json_object_set_new(o, "ttl_minutes", h->ttl_minutes >= 0 ?
	    json_integer(h->ttl_minutes) : json_null());
	json_object_set_new(o, "sy_period_seconds", h->sy_period_seconds >= 0 ?
	    json_integer(h->sy_period_seconds) : json_null());
	json_object_set_new(o, "sy_frequency", h->sy_frequency >= 0 ?
	    json_integer(h->sy_frequency) : json_null());
	a = json_array();
	for (i = 0; i < 24; i++)
		if (h->skip_hours & (UINT32_C(1) << i))
			json_array_append_new(a, json_integer(i));
	json_object_set_new(o, "skip_hours", a);
	a = json_array();
	for (i = 0; i < 7; i++)
		if (h->skip_days & (1u << i))
			json_array_append_new(a, json_integer(i));
	json_object_set_new(o, "skip_days", a);
	return o;
}

/*
 * Items are written as the parser hands them over (parse_opts.item_cb),
 * so memory stays flat however long the feed; the feed's own fields,
 * which may come after the items in the document, close the object.
 */
struct out {
	FILE	*f;
	size_t	 n;
	int	 err;
};

static void
item_cb(struct item *it, void *arg)
{
	struct out *o = arg;
	json_t *j = item_json(it);

	fputs(o->n++ == 0 ? "{\"items\":[" : ",", o->f);
	if (json_dumpf(j, o->f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
		o->err = 1;
	json_decref(j);
}

/* The rest of the object after the items. */
static int
print_feed(const struct feed *f, struct out *out)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "format",
	    json_string(feed_format_name(f->format)));
	json_object_set_new(o, "title", jstr(f->title));
	json_object_set_new(o, "link", jstr(f->link));
	json_object_set_new(o, "description", jstr(f->description));
	json_object_set_new(o, "updated", jdate(f->updated));
	json_object_set_new(o, "author", jstr(f->author));
	json_object_set_new(o, "image", jstr(f->image));
	json_object_set_new(o, "language", jstr(f->language));
	json_object_set_new(o, "hints", hints_json(&f->hints));
	json_object_set_new(o, "items_dropped",
	    json_integer((json_int_t)f->n_items_dropped));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return -1;
	/* "],", then the object without its opening brace. */
	if (out->n == 0)
		fputs("{\"items\":[", out->f);
	fprintf(out->f, "],%s\n", s + 1);
	free(s);
	if (fflush(out->f) != 0 || ferror(out->f) || out->err)
		return -1;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: feedctl parse [--base URL] "
	    "[--content-type TYPE] FILE|-\n");
}

int
ctl_parse(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "base", required_argument, NULL, 'b' },
		{ "content-type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct out out = { .f = stdout };
	struct parse_opts po = { .item_cb = item_cb, .item_arg = &out };
	struct parser *p;
	struct feed *f = NULL;
	const char *path, *name;
	char *buf, *err = NULL;
	ssize_t n;
	int c, fd, r = -1;

	while ((c = getopt_long(argc, argv, "b:t:", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case 'b':
			po.base_url = optarg;
			break;
		case 't':
			po.content_type = optarg;
			break;
		default:
			usage();
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage();
		return CTL_EXIT_USAGE;
	}
	path = argv[optind];
	name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "feedctl: %s: %s\n", name, strerror(errno));
		return CTL_EXIT_ERROR;
	}
	buf = xmalloc(READ_CHUNK);
	p = parser_new(&po);
	for (;;) {
		n = read(fd, buf, READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err = xstrdup(strerror(errno));
			break;
		}
		if (n == 0) {
			r = parser_finish(p, &f, &err);
			break;
		}
		if (parser_push(p, buf, (size_t)n, &err) == -1)
			break;
	}
	parser_free(p);
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r == -1) {
		fprintf(stderr, "feedctl: %s: %s\n", name,
		    err != NULL ? err : "cannot parse");
		free(err);
		return CTL_EXIT_ERROR;
	}
	r = print_feed(f, &out);
	feed_free(f);
	if (r == -1) {
		fprintf(stderr, "feedctl: %s: cannot write the output\n", name);
		return CTL_EXIT_ERROR;
	}
	return CTL_EXIT_OK;
}
