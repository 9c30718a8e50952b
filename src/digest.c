/*
 * digest: the digest renderers.  Items are first turned into entries
 * (fields picked out, bodies made into text or safe HTML, sorted into feed
 * groups), then one function per format writes them.  The mbox format
 * wraps the text and HTML renderings in MIME (digest_mime.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "digest.h"
#include "html.h"
#include "sanitize.h"
#include "util.h"

/* One item, ready to be written. */
struct entry {
	const json_t	*item;		/* borrowed from the caller */
	int64_t		 id;
	int64_t		 story;		/* 0 if unknown */
	const char	*feed;
	const char	*title;		/* plain text, or NULL */
	const char	*link;		/* http(s) or mailto, or NULL */
	const char	*author;
	int64_t		 date;		/* published, else first seen */
	int64_t		 first_seen;
	char		*safe_link;	/* owned: link if safe to follow */
	char		*text;		/* owned: plain text body, or NULL */
	char		*html;		/* owned: safe HTML body, or NULL */
	bool		 gone;		/* another copy of a story shown */
};

struct digest {
	const struct digest_opts *opts;
	struct entry	*entries;	/* grouped by feed, newest first */
	size_t		 n;
	size_t		 n_feeds;
	bool		 single;	/* one item's mail: no digest headings */
};

/* ---- reading items ---- */

static const char *
json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

static int64_t
json_date(const json_t *obj, const char *key)
{
	const char *s = json_str(obj, key);

	return s != NULL ? date_parse(s) : DATE_NONE;
}

/* Collapses runs of white space into one space, trimmed. */
static char *
collapse_space(const char *s)
{
	struct buf b = { 0 };
	bool space = false;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, *s);
	}
	return buf_take(&b);
}

/* Bytes of the first n characters of UTF-8 s (or all of it). */
static size_t
utf8_prefix(const char *s, size_t n)
{
	size_t i = 0;

	while (s[i] != '\0' && n > 0) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n--;
	}
	return i;
}

/* An excerpt of at most n characters, cut at a word, marked with "…". */
static char *
excerpt_of(const char *text, size_t n)
{
	char *flat = collapse_space(text), *cut;
	size_t len = utf8_prefix(flat, n), end;

	if (flat[len] == '\0')
		return flat;
	/* Back to the last space, unless that loses more than half. */
	for (end = len; end > len / 2 && flat[end] != ' '; end--)
		;
	if (flat[end] != ' ')
		end = len;
	while (end > 0 && (flat[end - 1] == ' ' || flat[end - 1] == ',' ||
	    flat[end - 1] == ';' || flat[end - 1] == ':'))
		end--;
	cut = xasprintf("%.*s\xe2\x80\xa6", (int)end, flat);
	free(flat);
	return cut;
}

/* Plain text of an HTML body field, or NULL if it has none. */
static char *
field_text(const json_t *obj, const char *key)
{
	const char *html = json_str(obj, key);
	char *t;

	if (html == NULL)
		return NULL;
	t = html_to_text(html, strlen(html));
	if (*t == '\0') {
		free(t);
		return NULL;
	}
	return t;
}

/*
 * The bodies of an item: the whole article (the extracted one when there
 * is one, else the feed's content, else its summary) or an excerpt (of
 * the summary, the feed's own short form, else of the rest).
 */
static void
entry_bodies(struct entry *e, const struct digest_opts *o)
{
	const json_t *article = json_object_get(e->item, "article");
	const char *atext = json_str(article, "text");
	const char *ahtml = json_str(article, "html");
	const char *src;
	char *t;

	if (o->full) {
		if (atext != NULL)
			e->text = xstrdup(atext);
		else if ((e->text = field_text(e->item, "content")) == NULL)
			e->text = field_text(e->item, "summary");
		src = ahtml != NULL ? ahtml : json_str(e->item, "content");
		if (src == NULL)
			src = json_str(e->item, "summary");
		/*
		 * Relative URLs left in a page would load from whatever server
		 * hosts the digest: without an http(s) link to resolve them
		 * against, the text stands in for the HTML.
		 */
		if (src != NULL && e->safe_link != NULL &&
		    (str_has_prefix_ci(e->safe_link, "http://") ||
		    str_has_prefix_ci(e->safe_link, "https://")))
			e->html = sanitize_html(src, strlen(src),
			    e->safe_link);
		return;
	}
	if (o->excerpt == 0)
		return;
	if ((t = field_text(e->item, "summary")) == NULL &&
	    (t = field_text(e->item, "content")) == NULL &&
	    atext != NULL)
		t = xstrdup(atext);
	if (t == NULL)
		return;
	e->text = excerpt_of(t, o->excerpt);
	free(t);
	if (*e->text == '\0') {
		free(e->text);
		e->text = NULL;
	}
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->feed, y->feed);

	if (c != 0)
		return c;
	if (x->date != y->date)
		return x->date > y->date ? -1 : 1;	/* newest first */
	return x->id > y->id ? -1 : x->id < y->id;
}

/* By story, then by place in the digest (pointers into one array). */
static int
story_cmp(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	if (x->story != y->story)
		return x->story < y->story ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void
digest_clear(struct digest *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->entries[i].safe_link);
		free(d->entries[i].text);
		free(d->entries[i].html);
	}
	free(d->entries);
}

static int
digest_build(struct digest *d, const json_t *items,
    const struct digest_opts *o, char **ret_err)
{
	struct entry *e, **order;
	const json_t *item;
	size_t i, k;

	memset(d, 0, sizeof(*d));
	d->opts = o;
	if (!json_is_array(items)) {
		*ret_err = xstrdup("the items are not a JSON array");
		return -1;
	}
	d->entries = xcalloc(json_array_size(items) + 1, sizeof(*d->entries));
	json_array_foreach(items, i, item) {
		e = &d->entries[d->n];
		if (!json_is_object(item) ||
		    !json_is_integer(json_object_get(item, "id")) ||
		    json_str(item, "feed") == NULL) {
			*ret_err = xasprintf("item %zu has no id or feed", i);
			digest_clear(d);
			return -1;
		}
		e->item = item;
		e->id = json_integer_value(json_object_get(item, "id"));
		e->story = json_integer_value(json_object_get(item, "story"));
		e->feed = json_str(item, "feed");
		e->title = json_str(item, "title");
		e->link = json_str(item, "link");
		e->author = json_str(item, "author");
		e->first_seen = json_date(item, "first_seen");
		e->date = json_date(item, "published");
		if (e->date == DATE_NONE)
			e->date = e->first_seen;
		if (e->link != NULL)
			e->safe_link = sanitize_url(NULL, e->link, "href");
		d->n++;
	}
	qsort(d->entries, d->n, sizeof(*d->entries), entry_cmp);

	/* One entry per story (the daemon collapses them already). */
	order = xreallocarray(NULL, d->n + 1, sizeof(*order));
	for (i = 0; i < d->n; i++)
		order[i] = &d->entries[i];
	qsort(order, d->n, sizeof(*order), story_cmp);
	for (i = 1; i < d->n; i++)
		if (order[i]->story != 0 && order[i]->story == order[i - 1]->story)
			order[i]->gone = true;	/* the later copy */
	free(order);
	for (i = 0, k = 0; i < d->n; i++) {
		if (d->entries[i].gone)
			free(d->entries[i].safe_link);
		else
			d->entries[k++] = d->entries[i];
	}
	d->n = k;
	for (i = 0; i < d->n; i++) {
		entry_bodies(&d->entries[i], o);
		if (i == 0 || strcmp(d->entries[i].feed,
		    d->entries[i - 1].feed) != 0)
			d->n_feeds++;
	}
	return 0;
}

/* Entries [i, end) of the feed group that starts at i. */
static size_t
group_end(const struct digest *d, size_t i)
{
	size_t j = i + 1;

	while (j < d->n && strcmp(d->entries[j].feed, d->entries[i].feed) == 0)
		j++;
	return j;
}

/* ---- shared wording ---- */

static const char *
digest_title(const struct digest_opts *o)
{
	return o->title != NULL && *o->title != '\0' ? o->title :
	    "Feed digest";
}

static void
put_date(struct buf *b, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == DATE_NONE || gmtime_r(&tt, &tm) == NULL) {
		buf_puts(b, "date unknown");
		return;
	}
	buf_printf(b, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* "3 items from 2 feeds, 2025-07-01 08:05 UTC" */
static void
put_summary(struct buf *b, const struct digest *d)
{
	if (d->n == 0)
		buf_puts(b, "No new items");
	else
		buf_printf(b, "%zu item%s from %zu feed%s", d->n,
		    d->n == 1 ? "" : "s", d->n_feeds,
		    d->n_feeds == 1 ? "" : "s");
	buf_puts(b, ", ");
	put_date(b, d->opts->now);
}

/* "2025-07-01 08:05 UTC, by Someone" */
static void
put_meta(struct buf *b, const struct entry *e)
{
	put_date(b, e->date);
	if (e->author != NULL)
		buf_printf(b, ", by %s", e->author);
}

static const char *
entry_title(const struct entry *e)
{
	return e->title != NULL ? e->title : "(untitled)";
}

/* ---- text ---- */

/* Display width of [s, s+len) (well-formed UTF-8). */
static size_t
text_width(const char *s, size_t len)
{
	size_t w = 0, i = 0, n;
	uint32_t c;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &c);
		i += n;
		w += (size_t)unicode_width(c);
	}
	return w;
}

/*
 * Appends one line of text word-wrapped at width columns, the first
 * output line starting with first, the others with indent.  A word longer
 * than a line (a URL) gets a line of its own, unbroken.
 */
static void
wrap_hanging(struct buf *b, const char *s, size_t width, const char *first,
    const char *indent)
{
	size_t col = 0, wlen, ww;
	bool empty = true, at_first = true;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		wlen = strcspn(s, " \t");
		ww = text_width(s, wlen);
		if (!empty && col + 1 + ww > width) {
			buf_putc(b, '\n');
			empty = true;
		}
		if (empty) {
			buf_puts(b, at_first ? first : indent);
			col = text_width(at_first ? first : indent,
			    strlen(at_first ? first : indent));
			at_first = false;
			empty = false;
		} else {
			buf_putc(b, ' ');
			col++;
		}
		buf_append(b, s, wlen);
		col += ww;
		s += wlen;
	}
	if (!empty)
		buf_putc(b, '\n');
}

static void
wrap_line(struct buf *b, const char *s, size_t width, const char *indent)
{
	wrap_hanging(b, s, width, indent, indent);
}

/* Appends multi-line text wrapped line by line; blank lines kept (one). */
static void
wrap_text(struct buf *b, const char *text, size_t width, const char *indent)
{
	const char *p = text, *nl;
	char *line;
	bool blank = false;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		line = xstrndup(p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		if (line[strspn(line, " \t\r")] == '\0') {
			blank = true;
		} else {
			if (blank)
				buf_putc(b, '\n');
			blank = false;
			wrap_line(b, line, width, indent);
		}
		free(line);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void
put_also_text(struct buf *b, const struct entry *e, const char *indent)
{
	const json_t *also = json_object_get(e->item, "also"), *c;
	struct buf line = { 0 };
	const char *feed, *link;
	size_t i;

	if (json_array_size(also) == 0)
		return;
	buf_puts(&line, "Also in:");
	json_array_foreach(also, i, c) {
		feed = json_str(c, "feed");
		link = json_str(c, "link");
		buf_printf(&line, "%s %s", i > 0 ? "," : "",
		    feed != NULL ? feed : "?");
		if (link != NULL)
			buf_printf(&line, " <%s>", link);
	}
	wrap_line(b, line.data, DIGEST_TEXT_WIDTH, indent);
	buf_free(&line);
}

/* bullet: "* " in a digest, "" in a mail of its own. */
static void
render_text_entry(struct buf *b, const struct entry *e, const char *bullet)
{
	const char *indent = *bullet != '\0' ? "  " : "";
	struct buf tmp = { 0 };

	wrap_hanging(b, entry_title(e), DIGEST_TEXT_WIDTH, bullet, indent);
	if (e->link != NULL)
		wrap_line(b, e->link, DIGEST_TEXT_WIDTH, indent);
	put_meta(&tmp, e);
	wrap_line(b, tmp.data, DIGEST_TEXT_WIDTH, indent);
	put_also_text(b, e, indent);
	if (e->text != NULL) {
		buf_putc(b, '\n');
		wrap_text(b, e->text, DIGEST_TEXT_WIDTH, indent);
	}
	buf_free(&tmp);
}

static void
render_text(struct buf *b, const struct digest *d)
{
	struct buf tmp = { 0 };
	size_t i, end, n;

	if (!d->single) {
		wrap_line(b, digest_title(d->opts), DIGEST_TEXT_WIDTH, "");
		put_summary(&tmp, d);
		wrap_line(b, tmp.data, DIGEST_TEXT_WIDTH, "");
		buf_clear(&tmp);
	}
	for (i = 0; i < d->n; i = end) {
		end = group_end(d, i);
		if (d->single) {
			render_text_entry(b, &d->entries[i], "");
			continue;
		}
		buf_printf(&tmp, "%s (%zu)", d->entries[i].feed, end - i);
		buf_putc(b, '\n');
		buf_puts(b, tmp.data);
		buf_putc(b, '\n');
		for (n = text_width(tmp.data, tmp.len); n > 0; n--)
			buf_putc(b, '-');
		buf_putc(b, '\n');
		buf_clear(&tmp);
		for (; i < end; i++) {
			buf_putc(b, '\n');
			render_text_entry(b, &d->entries[i], "* ");
		}
	}
	buf_free(&tmp);
}

/* ---- markdown (CommonMark) ---- */

/*
 * Appends s as CommonMark text: the inline specials escaped everywhere,
 * and what would start a block (#, >, -, +, =, "1." ...) at the start of a
 * line.  Backslash escapes are allowed before any ASCII punctuation, so
 * over-escaping is harmless.
 */
static void
md_escape(struct buf *b, const char *s, bool inline_only)
{
	bool line_start = true;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\n' && inline_only) {
			buf_putc(b, ' ');
			continue;
		}
		if (line_start) {
			size_t digits = strspn(p, "0123456789");

			if (digits > 0 && (p[digits] == '.' ||
			    p[digits] == ')')) {
				buf_append(b, p, digits);
				p += digits;
				buf_putc(b, '\\');
				buf_putc(b, *p);
				line_start = false;
				continue;
			}
			if (strchr("-+=", *p) != NULL)
				buf_putc(b, '\\');
		}
		if (strchr("\\`*_[]<>#!|~&", *p) != NULL && *p != '\0')
			buf_putc(b, '\\');
		buf_putc(b, *p);
		line_start = *p == '\n';
	}
}

/* A link destination in <...>, with what could end it percent-encoded. */
static void
md_url(struct buf *b, const char *url)
{
	const unsigned char *p;

	buf_putc(b, '<');
	for (p = (const unsigned char *)url; *p != '\0'; p++) {
		if (*p <= ' ' || *p == '<' || *p == '>' || *p == '\\' ||
		    *p == 0x7f)
			buf_printf(b, "%%%02X", *p);
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '>');
}

static void
md_link(struct buf *b, const char *text, const char *url)
{
	if (url == NULL) {
		md_escape(b, text, true);
		return;
	}
	buf_putc(b, '[');
	md_escape(b, text, true);
	buf_puts(b, "](");
	md_url(b, url);
	buf_putc(b, ')');
}

static void
render_markdown(struct buf *b, const struct digest *d)
{
	const struct entry *e;
	const json_t *also, *c;
	struct buf tmp = { 0 };
	const char *p, *nl;
	char *link;
	size_t i, j, end;

	buf_puts(b, "# ");
	md_escape(b, digest_title(d->opts), true);
	buf_puts(b, "\n\n");
	put_summary(&tmp, d);
	md_escape(b, tmp.data, true);
	buf_puts(b, "\n");
	buf_clear(&tmp);
	for (i = 0; i < d->n; i = end) {
		end = group_end(d, i);
		buf_puts(b, "\n## ");
		md_escape(b, d->entries[i].feed, true);
		buf_printf(b, " (%zu)\n", end - i);
		for (; i < end; i++) {
			e = &d->entries[i];
			buf_puts(b, "\n### ");
			md_link(b, entry_title(e), e->safe_link);
			buf_puts(b, "\n\n");
			put_meta(&tmp, e);
			md_escape(b, tmp.data, true);
			buf_clear(&tmp);
			buf_puts(b, "\n");
			also = json_object_get(e->item, "also");
			if (json_array_size(also) > 0) {
				buf_puts(b, "\nAlso in: ");
				json_array_foreach(also, j, c) {
					if (j > 0)
						buf_puts(b, ", ");
					link = json_str(c, "link") != NULL ?
					    sanitize_url(NULL, json_str(c,
					    "link"), "href") : NULL;
					md_link(b, json_str(c, "feed") != NULL ?
					    json_str(c, "feed") : "?", link);
					free(link);
				}
				buf_puts(b, "\n");
			}
			if (e->text == NULL)
				continue;
			/* Paragraphs as they are; lines within kept apart. */
			buf_puts(b, "\n");
			for (p = e->text; *p != '\0'; p = nl + 1) {
				nl = strchr(p, '\n');
				if (nl == NULL)
					nl = p + strlen(p);
				buf_append(&tmp, p, (size_t)(nl - p));
				md_escape(b, tmp.data != NULL ? tmp.data : "",
				    false);
				buf_clear(&tmp);
				/* A hard break keeps short lines (<br>). */
				if (*nl == '\n' && nl[1] != '\n' &&
				    nl[1] != '\0' && nl > p && nl[-1] != '\n')
					buf_puts(b, "\\\n");
				else if (*nl != '\0')
					buf_putc(b, '\n');
				if (*nl == '\0')
					break;
			}
			buf_puts(b, "\n");
		}
	}
	buf_free(&tmp);
}

/* ---- html ---- */

static const char html_css[] =
	":root{color-scheme:light dark}\n"
	"body{margin:0;padding:1.5em 1em;background:#ffffff;color:#1f2328;"
	"font:16px/1.55 -apple-system,BlinkMacSystemFont,\"Segoe UI\","
	"Roboto,Helvetica,Arial,sans-serif}\n"
	".digest{max-width:42em;margin:0 auto}\n"
	"h1{font-size:1.6em;line-height:1.2;margin:0 0 .25em}\n"
	"h2{font-size:1.2em;margin:2em 0 .6em;padding-bottom:.2em;"
	"border-bottom:1px solid #d0d7de}\n"
	"h3{font-size:1.05em;line-height:1.35;margin:0 0 .2em}\n"
	"a{color:#0969da}\n"
	"article{margin:0 0 1.75em}\n"
	".summary,.meta,.also{color:#59636e}\n"
	".meta,.also{font-size:.875em;margin:.15em 0}\n"
	".body{margin-top:.6em;overflow-wrap:break-word}\n"
	".body img,.body video{max-width:100%;height:auto}\n"
	".body pre{overflow-x:auto;padding:.6em;background:#f6f8fa}\n"
	".body blockquote{margin:.5em 0;padding-left:1em;"
	"border-left:3px solid #d0d7de;color:#59636e}\n"
	"@media (prefers-color-scheme:dark){"
	"body{background:#0d1117;color:#e6edf3}\n"
	"a{color:#4493f8}\n"
	"h2{border-color:#30363d}\n"
	".summary,.meta,.also,.body blockquote{color:#9198a1}\n"
	".body blockquote{border-color:#30363d}\n"
	".body pre{background:#161b22}}\n";

static void
html_text(struct buf *b, const char *s)
{
	html_escape(b, s, strlen(s), false);
}

static void
html_attr_url(struct buf *b, const char *url)
{
	html_escape(b, url, strlen(url), true);
}

static void
html_link(struct buf *b, const char *text, const char *url)
{
	if (url == NULL) {
		html_text(b, text);
		return;
	}
	buf_puts(b, "<a href=\"");
	html_attr_url(b, url);
	buf_puts(b, "\">");
	html_text(b, text);
	buf_puts(b, "</a>");
}

/* Paragraphs of plain text as <p>, single line breaks as <br>. */
static void
html_paragraphs(struct buf *b, const char *text)
{
	const char *p = text, *nl;
	bool open = false;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (nl == p) {
			if (open)
				buf_puts(b, "</p>\n");
			open = false;
		} else {
			buf_puts(b, open ? "<br>\n" : "<p>");
			open = true;
			html_escape(b, p, (size_t)(nl - p), false);
		}
		p = *nl != '\0' ? nl + 1 : nl;
	}
	if (open)
		buf_puts(b, "</p>\n");
}

static void
render_html_entry(struct buf *b, const struct entry *e)
{
	const json_t *also = json_object_get(e->item, "also"), *c;
	struct buf tmp = { 0 };
	char *link;
	size_t j;

	buf_puts(b, "<article>\n<h3>");
	html_link(b, entry_title(e), e->safe_link);
	buf_puts(b, "</h3>\n<p class=\"meta\">");
	put_meta(&tmp, e);
	html_text(b, tmp.data);
	buf_puts(b, "</p>\n");
	if (json_array_size(also) > 0) {
		buf_puts(b, "<p class=\"also\">Also in: ");
		json_array_foreach(also, j, c) {
			if (j > 0)
				buf_puts(b, ", ");
			link = json_str(c, "link") != NULL ? sanitize_url(NULL,
			    json_str(c, "link"), "href") : NULL;
			html_link(b, json_str(c, "feed") != NULL ?
			    json_str(c, "feed") : "?", link);
			free(link);
		}
		buf_puts(b, "</p>\n");
	}
	if (e->html != NULL && *e->html != '\0') {
		buf_puts(b, "<div class=\"body\">\n");
		buf_puts(b, e->html);
		buf_puts(b, "\n</div>\n");
	} else if (e->text != NULL) {
		buf_puts(b, "<div class=\"body\">\n");
		html_paragraphs(b, e->text);
		buf_puts(b, "</div>\n");
	}
	buf_puts(b, "</article>\n");
	buf_free(&tmp);
}

/* One self-contained document for the entries [from, to). */
static void
render_html_range(struct buf *b, const struct digest *d, const char *title,
    size_t from, size_t to, bool summary)
{
	struct buf tmp = { 0 };
	size_t i, end;

	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"color-scheme\" content=\"light dark\">\n"
	    "<meta name=\"supported-color-schemes\" content=\"light dark\">\n"
	    "<meta name=\"generator\" content=\"feedd " PACKAGE_VERSION
	    "\">\n<title>");
	html_text(b, title);
	buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n"
	    "<div class=\"digest\">\n<h1>", html_css);
	html_text(b, title);
	buf_puts(b, "</h1>\n");
	if (summary) {
		put_summary(&tmp, d);
		buf_puts(b, "<p class=\"summary\">");
		html_text(b, tmp.data);
		buf_puts(b, "</p>\n");
	}
	for (i = from; i < to; i = end) {
		end = group_end(d, i);
		if (end > to)
			end = to;
		buf_puts(b, "<section>\n<h2>");
		html_text(b, d->entries[i].feed);
		buf_printf(b, " (%zu)</h2>\n", end - i);
		for (; i < end; i++)
			render_html_entry(b, &d->entries[i]);
		buf_puts(b, "</section>\n");
	}
	buf_puts(b, "</div>\n</body>\n</html>\n");
	buf_free(&tmp);
}

/* ---- json ---- */

static void
render_json(struct buf *b, const struct digest *d)
{
	json_t *root, *arr, *copy;
	char stamp[DATE_RFC3339_LEN + 1];
	const struct entry *e;
	char *s;
	size_t i;

	date_format_rfc3339(d->opts->now, stamp, sizeof(stamp));
	arr = json_array();
	for (i = 0; i < d->n; i++) {
		e = &d->entries[i];
		copy = json_copy((json_t *)e->item);
		/* The body as this digest shows it, in plain text. */
		json_object_set_new(copy, "text", e->text != NULL ?
		    json_string(e->text) : json_null());
		json_array_append_new(arr, copy);
	}
	root = json_pack("{s:s, s:s, s:I, s:I, s:o}",
	    "title", digest_title(d->opts), "generated", stamp,
	    "count", (json_int_t)d->n, "feeds", (json_int_t)d->n_feeds,
	    "items", arr);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	buf_puts(b, s);
	buf_putc(b, '\n');
	free(s);
	json_decref(root);
}

/* ---- mbox ---- */

/*
 * Appends one message: the From_ line, headers, and a multipart/
 * alternative body of text and HTML.  mboxrd quoting is applied to the
 * message, though quoted-printable leaves no line starting "From ".
 */
static void
put_message(struct buf *b, const struct digest_opts *o, const char *subject,
    int64_t date, const char *msgid, const char *text, const char *html)
{
	struct buf m = { 0 };
	const char *p, *q;
	char *boundary;

	/* "=_" cannot occur in quoted-printable text: the boundary is
	 * unique whatever the bodies say. */
	boundary = xasprintf("=_feedd_%016llx", (unsigned long long)
	    hash64(HASH64_INIT, msgid, strlen(msgid)));
	mime_address_header(&m, "From", o->from);
	if (o->to != NULL && *o->to != '\0')
		mime_address_header(&m, "To", o->to);
	mime_header(&m, "Subject", subject);
	buf_puts(&m, "Date: ");
	mime_date(&m, date);
	buf_printf(&m, "\nMessage-ID: %s\n", msgid);
	buf_puts(&m, "Auto-Submitted: auto-generated\n"
	    "X-Mailer: feedd " PACKAGE_VERSION "\n"
	    "MIME-Version: 1.0\n");
	buf_printf(&m, "Content-Type: multipart/alternative;\n"
	    " boundary=\"%s\"\n\n", boundary);
	buf_puts(&m, "This is a MIME message: a plain text and an HTML "
	    "version.\n");
	buf_printf(&m, "\n--%s\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n", boundary);
	mime_qp(&m, text, strlen(text));
	buf_printf(&m, "\n--%s\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n", boundary);
	mime_qp(&m, html, strlen(html));
	buf_printf(&m, "\n--%s--\n", boundary);

	mbox_from_line(b, o->from, date);
	for (p = m.data; *p != '\0'; p = q) {
		q = strchr(p, '\n');
		q = q != NULL ? q + 1 : p + strlen(p);
		if (str_has_prefix(p + strspn(p, ">"), "From "))
			buf_putc(b, '>');
		buf_append(b, p, (size_t)(q - p));
	}
	/* A blank line ends each message of an mbox. */
	buf_putc(b, '\n');
	free(boundary);
	buf_free(&m);
}

static const char *
msgid_domain(const struct digest_opts *o)
{
	return o->msgid_domain != NULL && *o->msgid_domain != '\0' &&
	    strpbrk(o->msgid_domain, "<>@ \t\r\n\"") == NULL ?
	    o->msgid_domain : "localhost";
}

static int
render_mbox(struct buf *b, struct digest *d, char **ret_err)
{
	const struct digest_opts *o = d->opts;
	struct buf text = { 0 }, html = { 0 }, subject = { 0 };
	struct digest one;
	const struct entry *e;
	int64_t lo = 0, hi = 0;
	char *msgid;
	size_t i;

	if (o->from == NULL || *o->from == '\0') {
		*ret_err = xstrdup("mbox needs a From address");
		return -1;
	}
	if (!o->per_item) {
		for (i = 0; i < d->n; i++) {
			if (i == 0 || d->entries[i].id < lo)
				lo = d->entries[i].id;
			if (i == 0 || d->entries[i].id > hi)
				hi = d->entries[i].id;
		}
		render_text(&text, d);
		render_html_range(&html, d, digest_title(o), 0, d->n, true);
		if (o->title != NULL && *o->title != '\0')
			buf_puts(&subject, o->title);
		else if (d->n == 0)
			buf_puts(&subject, "Feed digest: no new items");
		else
			buf_printf(&subject, "Feed digest: %zu new item%s",
			    d->n, d->n == 1 ? "" : "s");
		msgid = xasprintf("<feedd.digest.%lld.%lld-%lld.%zu@%s>",
		    (long long)o->now, (long long)lo, (long long)hi, d->n,
		    msgid_domain(o));
		put_message(b, o, subject.data, o->now, msgid, text.data,
		    html.data);
		free(msgid);
		buf_free(&text);
		buf_free(&html);
		buf_free(&subject);
		return 0;
	}
	for (i = 0; i < d->n; i++) {
		e = &d->entries[i];
		/* A digest of one entry, borrowed from this one. */
		one = *d;
		one.entries = (struct entry *)e;
		one.n = 1;
		one.n_feeds = 1;
		one.single = true;
		render_text(&text, &one);
		buf_printf(&subject, "[%s] %s", e->feed, entry_title(e));
		render_html_range(&html, &one, entry_title(e), 0, 1, false);
		/* Stable per item: a mail client can recognise a repeat. */
		msgid = xasprintf("<feedd.item.%lld.%lld@%s>",
		    (long long)e->id, (long long)(e->first_seen != DATE_NONE ?
		    e->first_seen : 0), msgid_domain(o));
		put_message(b, o, subject.data,
		    e->date != DATE_NONE ? e->date : o->now, msgid, text.data,
		    html.data);
		free(msgid);
		buf_clear(&text);
		buf_clear(&html);
		buf_clear(&subject);
	}
	buf_free(&text);
	buf_free(&html);
	buf_free(&subject);
	return 0;
}

/* ---- entry points ---- */

int
digest_format_parse(const char *s, enum digest_format *ret)
{
	static const struct {
		const char		*name;
		enum digest_format	 format;
	} names[] = {
		{ "text", DIGEST_TEXT }, { "markdown", DIGEST_MARKDOWN },
		{ "md", DIGEST_MARKDOWN }, { "html", DIGEST_HTML },
		{ "json", DIGEST_JSON }, { "mbox", DIGEST_MBOX },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].format;
			return 0;
		}
	}
	return -1;
}

int
digest_render(const json_t *items, const struct digest_opts *o,
    struct buf *out, char **ret_err)
{
	struct digest d;
	int rc = 0;

	if (digest_build(&d, items, o, ret_err) == -1)
		return -1;
	switch (o->format) {
	case DIGEST_TEXT:
		render_text(out, &d);
		break;
	case DIGEST_MARKDOWN:
		render_markdown(out, &d);
		break;
	case DIGEST_HTML:
		render_html_range(out, &d, digest_title(o), 0, d.n, true);
		break;
	case DIGEST_JSON:
		render_json(out, &d);
		break;
	case DIGEST_MBOX:
		rc = render_mbox(out, &d, ret_err);
		break;
	}
	digest_clear(&d);
	return rc;
}
