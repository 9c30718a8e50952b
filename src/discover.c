/*
 * discover: feed autodiscovery over the shared HTML helpers (html.h):
 * decode the page, parse it with libxml2's HTML parser, walk it without
 * recursion, keep the alternate links of feed types.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "discover.h"
#include "html.h"
#include "url.h"
#include "util.h"

/* Link types that announce a feed (lower case, parameters ignored). */
static const char *const feed_types[] = {
	"application/rss+xml",
	"application/atom+xml",
	"application/rdf+xml",
	"application/feed+json",
	"application/json",	/* JSON Feed before feed+json was registered */
	"application/xml",
	"text/xml",
};

/* Caps on hostile pages. */
#define MAX_LINKS	100

struct walk {
	char		*base;		/* first <base href>, raw */
	char		*hrefs[MAX_LINKS];	/* raw, in document order */
	size_t		 n;
};

/* Whether the space-separated token list has tok (ASCII case-insensitive). */
static bool
has_token(const char *list, const char *tok)
{
	size_t len = strlen(tok), n;
	const char *p = list;

	while (*p) {
		p += strspn(p, " \t\n\f\r");
		n = strcspn(p, " \t\n\f\r");
		if (n == len && strncasecmp(p, tok, len) == 0)
			return true;
		p += n;
	}
	return false;
}

static bool
is_feed_type(const char *type)
{
	size_t i, n;

	type += strspn(type, " \t");
	/* "application/rss+xml; charset=utf-8" */
	n = strcspn(type, "; \t");
	for (i = 0; i < ARRAY_SIZE(feed_types); i++)
		if (strlen(feed_types[i]) == n &&
		    strncasecmp(type, feed_types[i], n) == 0)
			return true;
	return false;
}

static bool
enter_cb(xmlNode *node, void *arg)
{
	struct walk *w = arg;
	const char *name, *rel, *type, *href;

	if (node->type != XML_ELEMENT_NODE || node->name == NULL)
		return true;
	name = (const char *)node->name;
	if (strcasecmp(name, "base") == 0 && w->base == NULL &&
	    (href = html_attr(node, "href")) != NULL)
		w->base = xstrdup(href);
	if (strcasecmp(name, "link") != 0)
		return true;
	rel = html_attr(node, "rel");
	type = html_attr(node, "type");
	href = html_attr(node, "href");
	if (rel && type && href && *href && w->n < MAX_LINKS &&
	    has_token(rel, "alternate") && is_feed_type(type))
		w->hrefs[w->n++] = xstrdup(href);
	return false;
}

void
discover_feeds(const char *html, size_t len, const char *content_type,
    const char *page_url, char ***ret_urls, size_t *ret_n)
{
	struct walk w = { 0 };
	struct buf text = { 0 };
	char **urls, *base, *u;
	size_t i, j, n = 0;
	htmlDocPtr doc;

	html_decode(&text, html, len, html_sniff_charset(html, len,
	    content_type));
	doc = html_parse_utf8(text.data ? text.data : "", text.len);
	buf_free(&text);
	if (doc != NULL) {
		html_walk(xmlDocGetRootElement(doc), enter_cb, NULL, &w);
		xmlFreeDoc(doc);
	}
	base = w.base ? url_resolve(page_url, w.base) : NULL;
	urls = xcalloc(w.n + 1, sizeof(*urls));
	for (i = 0; i < w.n; i++) {
		u = url_resolve(base ? base : page_url, w.hrefs[i]);
		free(w.hrefs[i]);
		if (u == NULL || !url_is_http(u)) {
			free(u);
			continue;
		}
		for (j = 0; j < n; j++)
			if (strcmp(urls[j], u) == 0)
				break;
		if (j < n)
			free(u);
		else
			urls[n++] = u;
	}
	free(base);
	free(w.base);
	*ret_urls = urls;
	*ret_n = n;
}

void
discover_free(char **urls)
{
	size_t i;

	if (urls == NULL)
		return;
	for (i = 0; urls[i] != NULL; i++)
		free(urls[i]);
	free(urls);
}
