/*
 * parse: the parser's entry points.  Owns the push API (sniffing JSON
 * from XML on the first significant byte), the feed builder that the XML
 * and JSON readers fill (priorities between competing elements, limits on
 * items, enclosures and categories), item keys, and freeing feeds.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "parse_int.h"
#include "url.h"
#include "util.h"

const char *
feed_format_name(enum feed_format f)
{
	switch (f) {
	case FEED_FORMAT_RSS09X:
		return "rss0.9x";
	case FEED_FORMAT_RSS10:
		return "rss1.0";
	case FEED_FORMAT_RSS20:
		return "rss2.0";
	case FEED_FORMAT_ATOM03:
		return "atom0.3";
	case FEED_FORMAT_ATOM10:
		return "atom1.0";
	case FEED_FORMAT_CDF:
		return "cdf";
	case FEED_FORMAT_JSON10:
		return "json1.0";
	case FEED_FORMAT_JSON11:
		return "json1.1";
	case FEED_FORMAT_UNKNOWN:
		break;
	}
	return "unknown";
}

/* ---- the builder ---- */

void
builder_init(struct builder *b, size_t max_items)
{
	memset(b, 0, sizeof(*b));
	b->feed = xcalloc(1, sizeof(*b->feed));
	b->feed->updated = DATE_NONE;
	b->feed->hints.ttl_minutes = -1;
	b->feed->hints.sy_period_seconds = -1;
	b->feed->hints.sy_frequency = -1;
	b->feed_published = DATE_NONE;
	b->max_items = max_items != 0 ? max_items : PARSE_MAX_ITEMS_DEFAULT;
}

void
builder_clear(struct builder *b)
{
	if (b->item != NULL && b->dropping) {
		item_clear(b->item);
		free(b->item);
	}
	b->item = NULL;
	feed_free(b->feed);
	b->feed = NULL;
}

void
builder_item_begin(struct builder *b)
{
	struct feed *f = b->feed;

	if (b->item != NULL)
		builder_item_end(b);
	memset(b->item_prio, 0, sizeof(b->item_prio));
	if (f->n_items + b->n_handed >= b->max_items) {
		/* Parsed into a scratch item and thrown away. */
		b->dropping = true;
		b->item = xcalloc(1, sizeof(*b->item));
	} else {
		if (f->n_items == b->items_cap) {
			b->items_cap = b->items_cap ? b->items_cap * 2 : 16;
			f->items = xreallocarray(f->items, b->items_cap,
			    sizeof(*f->items));
		}
		b->dropping = false;
		b->item = &f->items[f->n_items++];
		memset(b->item, 0, sizeof(*b->item));
	}
	b->item->published = DATE_NONE;
	b->item->updated = DATE_NONE;
	b->item->duration = -1;
}

/*
 * The identity of an item for dedup within its feed: the id as written,
 * else the canonical link (the link itself if it is not http), else a hash
 * of title and content ("hash:" and 16 hex digits).
 */
static char *
item_key(const struct item *it)
{
	uint64_t h = HASH64_INIT;
	const char *body;
	char *k;

	if (it->id != NULL && it->id[0] != '\0')
		return xstrdup(it->id);
	if (it->link != NULL && it->link[0] != '\0') {
		if ((k = url_canonical(it->link)) != NULL)
			return k;
		return xstrdup(it->link);
	}
	body = it->content != NULL ? it->content : it->summary;
	if (it->title != NULL)
		h = hash64(h, it->title, strlen(it->title));
	h = hash64(h, "", 1);		/* title "ab" + "c" != "a" + "bc" */
	if (body != NULL)
		h = hash64(h, body, strlen(body));
	return xasprintf("hash:%016" PRIx64, h);
}

void
builder_item_end(struct builder *b)
{
	struct item *it = b->item;

	if (it == NULL)
		return;
	b->item = NULL;
	if (b->dropping) {
		item_clear(it);
		free(it);
		b->feed->n_items_dropped++;
		b->dropping = false;
		return;
	}
	it->key = item_key(it);
	if (b->item_cb != NULL) {
		/* Streaming: the slot is used again by the next item. */
		b->item_cb(it, b->item_arg);
		item_clear(it);
		b->feed->n_items--;
		b->n_handed++;
	}
}

static char **
str_slot(struct builder *b, bool item, enum pfield f)
{
	if (item) {
		struct item *it = b->item;

		switch (f) {
		case PF_TITLE:
			return &it->title;
		case PF_LINK:
			return &it->link;
		case PF_AUTHOR:
			return &it->author;
		case PF_SUMMARY:
			return &it->summary;
		case PF_CONTENT:
			return &it->content;
		case PF_ID:
			return &it->id;
		case PF_COMMENTS:
			return &it->comments;
		case PF_IMAGE:
			return &it->image;
		default:
			return NULL;
		}
	}
	switch (f) {
	case PF_TITLE:
		return &b->feed->title;
	case PF_LINK:
		return &b->feed->link;
	case PF_AUTHOR:
		return &b->feed->author;
	case PF_SUMMARY:
		return &b->feed->description;
	case PF_IMAGE:
		return &b->feed->image;
	case PF_LANGUAGE:
		return &b->feed->language;
	default:
		return NULL;
	}
}

bool
builder_has(struct builder *b, bool item, enum pfield f, int p)
{
	if (item && b->item == NULL)
		return true;		/* nowhere to put it: as if set */
	return (item ? b->item_prio : b->feed_prio)[f] >= p;
}

void
builder_set(struct builder *b, bool item, enum pfield f, int prio,
    char *value)
{
	uint8_t *pr = item ? b->item_prio : b->feed_prio;
	char **slot;

	if (value == NULL)
		return;
	if ((item && b->item == NULL) ||
	    (slot = str_slot(b, item, f)) == NULL || pr[f] > prio) {
		free(value);
		return;
	}
	/* An empty value never replaces a real one. */
	if (value[0] == '\0' && *slot != NULL && (*slot)[0] != '\0') {
		free(value);
		return;
	}
	str_take(slot, value);
	pr[f] = (uint8_t)prio;
}

void
builder_set_date(struct builder *b, bool item, enum pfield f, int prio,
    int64_t t)
{
	uint8_t *pr = item ? b->item_prio : b->feed_prio;
	int64_t *slot;

	if (t == DATE_NONE || (item && b->item == NULL) || pr[f] > prio)
		return;
	if (item)
		slot = f == PF_PUBLISHED ? &b->item->published :
		    &b->item->updated;
	else
		slot = f == PF_PUBLISHED ? &b->feed_published :
		    &b->feed->updated;
	*slot = t;
	pr[f] = (uint8_t)prio;
}

void
builder_add_category(struct builder *b, char *cat)
{
	struct item *it = b->item;
	size_t i;

	if (it == NULL || cat == NULL || cat[0] == '\0' ||
	    it->n_categories >= PARSE_MAX_CATEGORIES) {
		free(cat);
		return;
	}
	for (i = 0; i < it->n_categories; i++) {
		if (strcmp(it->categories[i], cat) == 0) {
			free(cat);
			return;
		}
	}
	it->categories = xreallocarray(it->categories, it->n_categories + 1,
	    sizeof(*it->categories));
	it->categories[it->n_categories++] = cat;
}

void
builder_add_enclosure(struct builder *b, char *url, char *type,
    int64_t length)
{
	struct item *it = b->item;
	struct enclosure *e;
	size_t i;

	if (it == NULL || url == NULL || url[0] == '\0' ||
	    it->n_enclosures >= PARSE_MAX_ENCLOSURES)
		goto drop;
	for (i = 0; i < it->n_enclosures; i++) {
		e = &it->enclosures[i];
		if (strcmp(e->url, url) == 0) {
			/* The same file twice (enclosure + media:content). */
			if (e->type == NULL) {
				e->type = type;
				type = NULL;
			}
			if (e->length < 0)
				e->length = length;
			goto drop;
		}
	}
	it->enclosures = xreallocarray(it->enclosures, it->n_enclosures + 1,
	    sizeof(*it->enclosures));
	e = &it->enclosures[it->n_enclosures++];
	e->url = url;
	e->type = type;
	e->length = length;
	return;
drop:
	free(url);
	free(type);
}

struct feed *
builder_finish(struct builder *b)
{
	struct feed *f;

	builder_item_end(b);
	f = b->feed;
	b->feed = NULL;
	if (f->updated == DATE_NONE)
		f->updated = b->feed_published;
	/* Shrink the item array to what is used. */
	if (f->n_items > 0 && f->n_items < b->items_cap)
		f->items = xreallocarray(f->items, f->n_items,
		    sizeof(*f->items));
	return f;
}

void
item_clear(struct item *it)
{
	size_t i;

	free(it->id);
	free(it->title);
	free(it->link);
	free(it->author);
	free(it->summary);
	free(it->content);
	free(it->comments);
	free(it->image);
	free(it->key);
	free(it->text);
	for (i = 0; i < it->n_enclosures; i++) {
		free(it->enclosures[i].url);
		free(it->enclosures[i].type);
	}
	free(it->enclosures);
	for (i = 0; i < it->n_categories; i++)
		free(it->categories[i]);
	free(it->categories);
	memset(it, 0, sizeof(*it));
}

void
feed_free(struct feed *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_items; i++)
		item_clear(&f->items[i]);
	free(f->items);
	free(f->title);
	free(f->link);
	free(f->description);
	free(f->author);
	free(f->image);
	free(f->language);
	free(f);
}

/* ---- the push API ---- */

enum parser_mode {
	MODE_SNIFF,		/* nothing significant seen yet */
	MODE_XML,
	MODE_JSON,		/* buffering the whole document */
	MODE_FAILED,
};

struct parser {
	enum parser_mode	 mode;
	char			*base_url;	/* owned copies of the opts */
	char			*content_type;
	struct parse_opts	 opts;
	struct builder		 b;
	struct buf		 held;		/* sniffing, or the JSON text */
	struct xml_parser	*xml;
	char			*err;		/* the first failure */
};

struct parser *
parser_new(const struct parse_opts *opts)
{
	struct parser *p = xcalloc(1, sizeof(*p));

	if (opts != NULL) {
		p->base_url = opts->base_url ? xstrdup(opts->base_url) : NULL;
		p->content_type = opts->content_type ?
		    xstrdup(opts->content_type) : NULL;
		p->opts.max_items = opts->max_items;
		p->opts.item_cb = opts->item_cb;
		p->opts.item_arg = opts->item_arg;
	}
	p->opts.base_url = p->base_url;
	p->opts.content_type = p->content_type;
	builder_init(&p->b, p->opts.max_items);
	p->b.item_cb = p->opts.item_cb;
	p->b.item_arg = p->opts.item_arg;
	return p;
}

void
parser_free(struct parser *p)
{
	if (p == NULL)
		return;
	xml_parser_free(p->xml);
	builder_clear(&p->b);
	buf_free(&p->held);
	free(p->base_url);
	free(p->content_type);
	free(p->err);
	free(p);
}

static int
fail(struct parser *p, char *msg, char **ret_err)
{
	p->mode = MODE_FAILED;
	if (p->err == NULL)
		p->err = msg;
	else
		free(msg);
	if (ret_err != NULL)
		*ret_err = xstrdup(p->err);
	return -1;
}

/*
 * JSON if the first significant byte (after a UTF-8 BOM and whitespace)
 * is '{'; XML otherwise.  Returns false while only whitespace was seen.
 */
static bool
sniff(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->held.data;
	size_t n = p->held.len, i = 0;

	if (n > 0 && n < 3 && s[0] == 0xef)
		return false;		/* maybe a BOM cut short */
	if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		i = 3;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	if (i == n)
		return false;
	if (s[i] == '{') {
		p->mode = MODE_JSON;
	} else {
		p->mode = MODE_XML;
		p->xml = xml_parser_new(&p->opts, &p->b);
	}
	return true;
}

int
parser_push(struct parser *p, const char *data, size_t len, char **ret_err)
{
	char *err = NULL;

	switch (p->mode) {
	case MODE_FAILED:
		if (ret_err != NULL)
			*ret_err = xstrdup(p->err);
		return -1;
	case MODE_SNIFF:
		buf_append(&p->held, data, len);
		if (!sniff(p)) {
			if (p->held.len > 65536)
				return fail(p, xstrdup("not a feed: no markup "
				    "in the first 64 KiB"), ret_err);
			return 0;
		}
		if (p->mode == MODE_JSON)
			return 0;
		if (xml_parser_push(p->xml, p->held.data, p->held.len, false,
		    &err) == -1)
			return fail(p, err, ret_err);
		buf_free(&p->held);
		return 0;
	case MODE_JSON:
		if (p->held.len + len > PARSE_MAX_JSON)
			return fail(p, xasprintf("JSON feed larger than %u "
			    "MiB", PARSE_MAX_JSON >> 20), ret_err);
		buf_append(&p->held, data, len);
		return 0;
	case MODE_XML:
		if (xml_parser_push(p->xml, data, len, false, &err) == -1)
			return fail(p, err, ret_err);
		return 0;
	}
	return 0;
}

int
parser_finish(struct parser *p, struct feed **ret_feed, char **ret_err)
{
	enum feed_format fmt = FEED_FORMAT_UNKNOWN;
	char *err = NULL;

	switch (p->mode) {
	case MODE_FAILED:
		if (ret_err != NULL)
			*ret_err = xstrdup(p->err);
		return -1;
	case MODE_SNIFF:
		if (!sniff(p))
			return fail(p, xstrdup(p->held.len == 0 ?
			    "empty document" : "empty document (only "
			    "whitespace)"), ret_err);
		if (p->mode == MODE_XML &&
		    xml_parser_push(p->xml, p->held.data, p->held.len, false,
		    &err) == -1)
			return fail(p, err, ret_err);
		if (p->mode == MODE_XML)
			buf_free(&p->held);
		return parser_finish(p, ret_feed, ret_err);
	case MODE_JSON:
		if (json_feed_parse(p->held.data, p->held.len, &p->opts, &p->b,
		    &fmt, &err) == -1)
			return fail(p, err, ret_err);
		buf_free(&p->held);
		break;
	case MODE_XML:
		if (xml_parser_push(p->xml, NULL, 0, true, &err) == -1)
			return fail(p, err, ret_err);
		fmt = xml_parser_format(p->xml);
		break;
	}
	p->b.feed->format = fmt;
	*ret_feed = builder_finish(&p->b);
	/* What is left behind is an empty builder: start a fresh one. */
	builder_init(&p->b, p->opts.max_items);
	p->mode = MODE_FAILED;
	p->err = xstrdup("parser already finished");
	return 0;
}

int
parse_feed(const char *data, size_t len, const struct parse_opts *opts,
    struct feed **ret_feed, char **ret_err)
{
	struct parser *p = parser_new(opts);
	struct feed *f = NULL;
	int r;

	r = parser_push(p, data, len, ret_err);
	if (r == 0)
		r = parser_finish(p, &f, ret_err);
	parser_free(p);
	if (r == 0)
		*ret_feed = f;
	return r;
}
