/*
 * opml: OPML subscription lists on libxml2 -- parsed into a tree without
 * network access or entity expansion and walked without recursion, and
 * written with libxml2's text writer, which does the escaping.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "digest.h"
#include "opml.h"
#include "util.h"

/*
 * Category outlines written nested at most this deep; what is deeper
 * stays in the last one's name ("a/b/...").  libxml2 refuses documents
 * nested past 256 levels, and nobody files feeds 32 categories deep.
 */
#define OPML_WRITE_DEPTH	32

/* ---- reading ---- */

/* An attribute by name, ignoring case ("xmlurl" exists in the wild). */
static char *
attr_ci(const xmlNode *n, const char *name)
{
	const xmlAttr *a;
	xmlChar *v;
	char *s, *t;
	size_t len;

	for (a = n->properties; a != NULL; a = a->next) {
		if (xmlStrcasecmp(a->name, BAD_CAST name) != 0)
			continue;
		if ((v = xmlNodeGetContent((const xmlNode *)a)) == NULL)
			return NULL;
		/* Trimmed; empty counts as absent. */
		s = (char *)v + strspn((char *)v, " \t\r\n");
		len = strlen(s);
		while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
			len--;
		t = len > 0 ? xstrndup(s, len) : NULL;
		xmlFree(v);
		return t;
	}
	return NULL;
}

static bool
is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static const xmlNode *
child_element(const xmlNode *n, const char *name)
{
	for (n = n->children; n != NULL; n = n->next)
		if (is_element(n, name))
			return n;
	return NULL;
}

static bool
has_element_children(const xmlNode *n)
{
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

/* The outline's name: title, else text. */
static char *
outline_name(const xmlNode *n)
{
	char *s = attr_ci(n, "title");

	return s != NULL ? s : attr_ci(n, "text");
}

static char *
join_path(char **parts, size_t n)
{
	struct buf b = { 0 };
	size_t i;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, '/');
		buf_puts(&b, parts[i]);
	}
	return buf_take(&b);
}

/*
 * Keeps the first error of a parse, which says where the file went wrong
 * (the last one is often just "premature end of data").  libxml2 hands the
 * parser context as data; ours hangs off its _private.
 */
static void
first_error_cb(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	char **first = ctxt->_private;
	size_t n;

	if (*first != NULL || e == NULL || e->level < XML_ERR_ERROR ||
	    e->message == NULL)
		return;
	n = strlen(e->message);
	while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
		n--;
	*first = xasprintf("line %d: %.*s", e->line, (int)n, e->message);
}

void
opml_free(struct opml *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n_feeds; i++) {
		free(o->feeds[i].title);
		free(o->feeds[i].xml_url);
		free(o->feeds[i].html_url);
		free(o->feeds[i].category);
	}
	free(o->feeds);
	free(o->title);
	free(o);
}

/*
 * Walks the outlines under body in document order, keeping the path of
 * category outlines it is inside.  No recursion: the tree may be as deep
 * as libxml2 allows.
 */
static void
collect_feeds(struct opml *o, const xmlNode *body)
{
	const xmlNode *n = body->children;
	char **path = NULL, *url;
	size_t depth = 0;
	struct opml_feed *f;

	while (n != NULL) {
		if (is_element(n, "outline")) {
			url = attr_ci(n, "xmlUrl");
			if (url != NULL && o->n_feeds < OPML_MAX_FEEDS) {
				o->feeds = xreallocarray(o->feeds,
				    o->n_feeds + 1, sizeof(*o->feeds));
				f = &o->feeds[o->n_feeds++];
				f->title = outline_name(n);
				f->xml_url = url;
				f->html_url = attr_ci(n, "htmlUrl");
				f->category = join_path(path, depth);
				f->line = (int)xmlGetLineNo(n);
			} else if (url == NULL && has_element_children(n)) {
				/* A category: its outlines come next. */
				path = xreallocarray(path, depth + 1,
				    sizeof(*path));
				path[depth] = outline_name(n);
				if (path[depth] == NULL)
					path[depth] = xstrdup("(untitled)");
				depth++;
				n = n->children;
				continue;
			} else
				free(url);
		}
		/* Next sibling, else up out of finished categories. */
		while (n != NULL && n->next == NULL) {
			n = n->parent;
			if (n == body || n == NULL) {
				n = NULL;
				break;
			}
			free(path[--depth]);
		}
		if (n != NULL)
			n = n->next;
	}
	while (depth > 0)
		free(path[--depth]);
	free(path);
}

int
opml_parse(const char *data, size_t len, struct opml **ret, char **ret_err)
{
	xmlParserCtxtPtr ctxt;
	const xmlNode *root, *head, *body, *title;
	struct opml *o;
	xmlDocPtr doc;
	xmlChar *t;
	char *first = NULL;

	if (len > OPML_MAX_BYTES) {
		*ret_err = xasprintf("larger than %d MiB",
		    OPML_MAX_BYTES >> 20);
		return -1;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		*ret_err = xstrdup("out of memory");
		return -1;
	}
	ctxt->_private = &first;
	ctxt->sax->serror = first_error_cb;
	/* No network, no external DTD, no entity substitution, no output. */
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_BIG_LINES);
	xmlFreeParserCtxt(ctxt);
	if (doc == NULL) {
		*ret_err = first != NULL ? first :
		    xstrdup("line 1: not well-formed XML");
		return -1;
	}
	free(first);
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is_element(root, "opml")) {
		*ret_err = xasprintf("line %ld: not an OPML file (the document "
		    "is <%s>, not <opml>)", root ? xmlGetLineNo(root) : 1L,
		    root ? (const char *)root->name : "empty");
		xmlFreeDoc(doc);
		return -1;
	}
	if ((body = child_element(root, "body")) == NULL) {
		*ret_err = xasprintf("line %ld: <opml> has no <body>",
		    xmlGetLineNo(root));
		xmlFreeDoc(doc);
		return -1;
	}
	o = xcalloc(1, sizeof(*o));
	if ((head = child_element(root, "head")) != NULL &&
	    (title = child_element(head, "title")) != NULL &&
	    (t = xmlNodeGetContent(title)) != NULL) {
		if (*t != '\0')
			o->title = xstrdup((char *)t);
		xmlFree(t);
	}
	collect_feeds(o, body);
	xmlFreeDoc(doc);
	*ret = o;
	return 0;
}

/* ---- writing ---- */

/* s as XML can carry it: valid UTF-8 without C0 controls but tab/LF. */
static char *
xml_clean(const char *s)
{
	struct buf b = { 0 };
	char *p, *w;

	utf8_append_clean(&b, s, strlen(s));
	if (b.data == NULL)
		return xstrdup("");
	for (p = w = b.data; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x20 || *p == '\t' || *p == '\n')
			*w++ = *p;
	*w = '\0';
	return buf_take(&b);
}

static void
write_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *v;

	if (value == NULL)
		return;
	v = xml_clean(value);
	xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST v);
	free(v);
}

static void
write_element(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *v = xml_clean(value);

	xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST v);
	free(v);
}

/* Stable order by category, so each category is written once. */
static int
feed_ptr_cmp(const void *a, const void *b)
{
	const struct opml_feed *x = *(struct opml_feed *const *)a;
	const struct opml_feed *y = *(struct opml_feed *const *)b;
	int c;

	if (x->category == NULL || y->category == NULL)
		c = (x->category != NULL) - (y->category != NULL);
	else
		c = strcmp(x->category, y->category);
	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* Number of leading "/"-separated parts a and b share. */
static size_t
common_parts(const char *a, const char *b)
{
	size_t n = 0, i = 0;

	if (a == NULL || b == NULL)
		return 0;
	for (;; i++) {
		if ((a[i] == '/' || a[i] == '\0') &&
		    (b[i] == '/' || b[i] == '\0')) {
			n++;
			if (a[i] == '\0' || b[i] == '\0')
				return n;
		} else if (a[i] != b[i])
			return n;
	}
}

void
opml_write(struct buf *out, const char *title, const struct opml_feed *feeds,
    size_t n, int64_t now)
{
	const struct opml_feed **order, *f, *prev = NULL;
	xmlTextWriterPtr w;
	xmlBufferPtr xb;
	struct buf date = { 0 };
	size_t i, open = 0, keep, part;
	const char *p;
	char *name;

	xb = xmlBufferCreate();
	w = xmlNewTextWriterMemory(xb, 0);
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	xmlTextWriterStartElement(w, BAD_CAST "opml");
	write_attr(w, "version", "2.0");
	xmlTextWriterStartElement(w, BAD_CAST "head");
	write_element(w, "title", title);
	mime_date(&date, now);
	write_element(w, "dateCreated", date.data);
	write_element(w, "docs", "http://opml.org/spec2.opml");
	xmlTextWriterEndElement(w);
	xmlTextWriterStartElement(w, BAD_CAST "body");

	order = xreallocarray(NULL, n + 1, sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = &feeds[i];
	qsort(order, n, sizeof(*order), feed_ptr_cmp);
	for (i = 0; i < n; i++) {
		f = order[i];
		/* Close the categories this feed is not in, open its own. */
		if (prev != NULL && prev->category != NULL &&
		    f->category != NULL &&
		    strcmp(prev->category, f->category) == 0)
			keep = open;
		else if ((keep = prev != NULL ? common_parts(prev->category,
		    f->category) : 0) > OPML_WRITE_DEPTH - 1)
			keep = OPML_WRITE_DEPTH - 1;
		for (; open > keep; open--)
			xmlTextWriterEndElement(w);
		for (part = 0, p = f->category; p != NULL; part++) {
			/* The last level takes the rest of the path. */
			size_t len = part < OPML_WRITE_DEPTH - 1 ?
			    strcspn(p, "/") : strlen(p);

			if (part >= open) {
				name = xstrndup(p, len);
				xmlTextWriterStartElement(w, BAD_CAST "outline");
				write_attr(w, "text", name);
				write_attr(w, "title", name);
				free(name);
				open++;
			}
			p = p[len] == '/' ? p + len + 1 : NULL;
		}
		xmlTextWriterStartElement(w, BAD_CAST "outline");
		write_attr(w, "type", "rss");
		write_attr(w, "text", f->title != NULL ? f->title :
		    f->xml_url);
		write_attr(w, "title", f->title);
		write_attr(w, "xmlUrl", f->xml_url);
		write_attr(w, "htmlUrl", f->html_url);
		xmlTextWriterEndElement(w);
		prev = f;
	}
	for (; open > 0; open--)
		xmlTextWriterEndElement(w);
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	free(order);
	buf_free(&date);
}
