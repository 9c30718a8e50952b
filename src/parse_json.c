/*
 * parse_json: JSON Feed 1.0 and 1.1 (jsonfeed.org) with jansson, into the
 * same builder the XML readers fill.  Plain-text members (summary,
 * content_text, description) are escaped into HTML; content_html keeps its
 * markup with its URLs made absolute; links resolve against the document's
 * URL.  jansson rejects invalid UTF-8 and \u0000, and bounds nesting.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "html.h"
#include "parse_int.h"
#include "url.h"
#include "util.h"

static const char *
jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *
plain(const char *s)
{
	struct buf b = { 0 };

	if (s == NULL)
		return NULL;
	buf_puts(&b, s);
	text_collapse(&b);
	return buf_take(&b);
}

static char *
escaped(const char *s)
{
	struct buf b = { 0 };

	if (s == NULL)
		return NULL;
	buf_puts(&b, "");
	html_escape(&b, s, strlen(s), false);
	return buf_take(&b);
}

static char *
resolved(const char *base, const char *s)
{
	char *r;

	if (s == NULL || s[0] == '\0')
		return NULL;
	if ((r = url_resolve(base, s)) != NULL)
		return r;
	return xstrdup(s);
}

/* author (1.0) or the first of authors (1.1): its name, else its URL. */
static char *
author(json_t *obj)
{
	json_t *a = json_object_get(obj, "authors");
	const char *n;

	if (json_is_array(a) && json_array_size(a) > 0)
		a = json_array_get(a, 0);
	else
		a = json_object_get(obj, "author");
	if (!json_is_object(a))
		return NULL;
	if ((n = jstr(a, "name")) != NULL && n[0] != '\0')
		return plain(n);
	if ((n = jstr(a, "url")) != NULL && n[0] != '\0')
		return xstrdup(n);
	return NULL;
}

static void
item(struct builder *b, json_t *it, const char *base)
{
	json_t *v, *e;
	const char *s;
	size_t i;
	char *html;

	builder_item_begin(b);
	v = json_object_get(it, "id");
	if (json_is_string(v))
		builder_set(b, true, PF_ID, 2, xstrdup(json_string_value(v)));
	else if (json_is_integer(v))	/* 1.0 feeds in the wild */
		builder_set(b, true, PF_ID, 2, xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)));
	builder_set(b, true, PF_LINK, 2, resolved(base, jstr(it, "url")));
	builder_set(b, true, PF_LINK, 1, resolved(base,
	    jstr(it, "external_url")));
	builder_set(b, true, PF_TITLE, 2, plain(jstr(it, "title")));
	if ((s = jstr(it, "content_html")) != NULL) {
		html = text_html_resolve(s, strlen(s), base);
		builder_set(b, true, PF_CONTENT, 2,
		    html != NULL ? html : xstrdup(s));
	}
	builder_set(b, true, PF_CONTENT, 1, escaped(jstr(it, "content_text")));
	builder_set(b, true, PF_SUMMARY, 2, escaped(jstr(it, "summary")));
	builder_set(b, true, PF_IMAGE, 2, resolved(base, jstr(it, "image")));
	builder_set(b, true, PF_IMAGE, 1, resolved(base,
	    jstr(it, "banner_image")));
	builder_set_date(b, true, PF_PUBLISHED, 2,
	    date_parse(jstr(it, "date_published")));
	builder_set_date(b, true, PF_UPDATED, 2,
	    date_parse(jstr(it, "date_modified")));
	builder_set(b, true, PF_AUTHOR, 2, author(it));
	v = json_object_get(it, "tags");
	json_array_foreach(v, i, e) {
		if (json_is_string(e))
			builder_add_category(b, plain(json_string_value(e)));
	}
	v = json_object_get(it, "attachments");
	json_array_foreach(v, i, e) {
		json_t *size = json_object_get(e, "size_in_bytes");
		const char *type = jstr(e, "mime_type");

		builder_add_enclosure(b, resolved(base, jstr(e, "url")),
		    type != NULL && type[0] != '\0' ? xstrdup(type) : NULL,
		    json_is_integer(size) && json_integer_value(size) >= 0 ?
		    (int64_t)json_integer_value(size) : -1);
	}
	builder_item_end(b);
}

int
json_feed_parse(const char *data, size_t len, const struct parse_opts *opts,
    struct builder *b, enum feed_format *ret_format, char **ret_err)
{
	json_error_t jerr;
	json_t *root, *items, *it;
	const char *version, *base = opts->base_url;
	enum feed_format fmt;
	size_t i;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;		/* a UTF-8 BOM, which jansson refuses */
		len -= 3;
	}
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*ret_err = xasprintf("not a feed: invalid JSON at line %d: %s",
		    jerr.line, jerr.text);
		return -1;
	}
	version = jstr(root, "version");
	items = json_object_get(root, "items");
	/* A version, or at least items (some 1.0 feeds omit it). */
	if (!json_is_object(root) || (version != NULL ?
	    !str_has_prefix(version, "https://jsonfeed.org/version/") :
	    !json_is_array(items))) {
		json_decref(root);
		*ret_err = xstrdup("not a feed: JSON without a JSON Feed "
		    "version");
		return -1;
	}
	fmt = version != NULL && strcmp(version,
	    "https://jsonfeed.org/version/1.1") == 0 ? FEED_FORMAT_JSON11 :
	    FEED_FORMAT_JSON10;
	builder_set(b, false, PF_TITLE, 2, plain(jstr(root, "title")));
	builder_set(b, false, PF_LINK, 2, resolved(base,
	    jstr(root, "home_page_url")));
	builder_set(b, false, PF_SUMMARY, 2, escaped(jstr(root,
	    "description")));
	builder_set(b, false, PF_IMAGE, 2, resolved(base, jstr(root, "icon")));
	builder_set(b, false, PF_IMAGE, 1, resolved(base,
	    jstr(root, "favicon")));
	builder_set(b, false, PF_LANGUAGE, 2, plain(jstr(root, "language")));
	builder_set(b, false, PF_AUTHOR, 2, author(root));
	json_array_foreach(items, i, it) {
		if (json_is_object(it))
			item(b, it, base);
	}
	json_decref(root);
	*ret_format = fmt;
	return 0;
}
