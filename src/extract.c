/*
 * extract: main-article extraction on libxml2's HTML tree.
 *
 * The method is the one Arc90's Readability made common, refined:
 *  1. prepare: decode, parse, drop scripts and styles, turn <br><br>
 *     chains into paragraphs, bring <noscript> images out;
 *  2. metadata from <meta>, JSON-LD and the document (title, byline,
 *     published, language);
 *  3. grab: remove what is invisible or unlikely to be content (by
 *     class/id/role), score each paragraph-like block (length, commas)
 *     into its ancestors, pick the best ancestor discounted by link
 *     density, widen it when the best blocks share a parent, and merge
 *     siblings that look like more of the same;
 *  4. clean the result: forms, share bars, low-content boxes, link lists,
 *     boilerplate paragraphs (cookie notices, "read also", newsletter
 *     pitches, comment policies, tag lists);
 *  5. retry with looser rules if too little text is left.
 *
 * Per-element statistics (text length, link text, commas, counts) are
 * computed bottom-up in one pass and kept on xmlNode._private, so scoring
 * is linear in the page size instead of re-reading subtrees.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "date.h"
#include "extract.h"
#include "html.h"
#include "sanitize.h"
#include "util.h"

/*
 * Deeper nesting is flattened.  Walking up from a node (statistics kept
 * current as nodes go, ancestor tests) costs at most this much.
 */
#define MAX_DEPTH		128
/* Article text shorter than this makes grab retry with looser rules. */
#define CHAR_THRESHOLD		500
#define N_TOP_CANDIDATES	5
/* Pages with more elements get fewer retries. */
#define BIG_PAGE_ELEMENTS	50000
/* A byline longer than this is a paragraph, not a byline. */
#define MAX_BYLINE		100
/* A JSON-LD articleBody shorter than this is a teaser, not a body. */
#define LD_BODY_MIN		200
/* JSON-LD scripts larger than this are not read. */
#define MAX_JSONLD		(1024 * 1024)

/* Ancestors that change how a node is cleaned (struct ninfo.within). */
enum {
	WITHIN_CODE = 1 << 0,
	WITHIN_FIGURE = 1 << 1,
	WITHIN_DATATABLE = 1 << 2,
};

/* Grab passes, strictest first. */
enum {
	FLAG_STRIP_UNLIKELY = 1 << 0,
	FLAG_WEIGHT_CLASSES = 1 << 1,
	FLAG_CLEAN_CONDITIONALLY = 1 << 2,
};

/* Per-element state during one grab pass (xmlNode._private). */
struct ninfo {
	double	 score;
	bool	 candidate;	/* has a score */
	bool	 datatable;
	unsigned within;	/* WITHIN_*: what the node's ancestors are */
	/* Statistics of the subtree, kept current as nodes are removed. */
	int	 text;		/* characters, white space runs counted once */
	double	 link;		/* characters inside links (#links count 0.3) */
	int	 commas;
	int	 n_p, n_img, n_li, n_input, n_embed;
	int	 heading;	/* characters inside h1-h6 */
	int	 list;		/* characters inside ul/ol */
	int	 visible;	/* characters other than white space */
	int	 n_brhr;	/* <br> and <hr> below */
	int	 n_blocks;	/* block elements below */
	int	 n_kept;	/* embedded posts and formulas below */
};

/* Infos come from chunks, never moved once handed out. */
#define INFO_CHUNK	1024
struct info_chunk {
	struct info_chunk	*next;
	size_t			 used;
	struct ninfo		 infos[INFO_CHUNK];
};

struct ctx {
	const char	*url;
	unsigned	 flags;
	size_t		 elements;	/* in the page, counted by the stats */
	const char	*title;		/* for spotting a repeated headline */
	char		*byline;	/* found in the page during grab */
	struct info_chunk *chunks;	/* owned */
};

/* ---- word lists for class, id and role hints ---- */

static const char *const unlikely_words[] = {
	"-ad-", "ai2html", "banner", "breadcrumbs", "combx", "comment",
	"community", "cover-wrap", "disqus", "extra", "footer", "gdpr",
	"header", "legends", "menu", "related", "remark", "replies", "rss",
	"shoutbox", "sidebar", "skyscraper", "social", "sponsor",
	"supplemental", "ad-break", "agegate", "pagination", "pager",
	"popup", "yom-remote", NULL,
};
static const char *const maybe_words[] = {
	"and", "article", "body", "column", "content", "main", "shadow", NULL,
};
static const char *const positive_words[] = {
	"article", "body", "content", "entry", "hentry", "h-entry", "main",
	"page", "pagination", "post", "text", "blog", "story", NULL,
};
static const char *const negative_words[] = {
	"-ad-", "hidden", "banner", "combx", "comment", "com-", "contact",
	"foot", "footer", "footnote", "gdpr", "masthead", "media", "meta",
	"outbrain", "promo", "related", "scroll", "share", "shoutbox",
	"sidebar", "skyscraper", "sponsor", "shopping", "tags", "tool",
	"widget", NULL,
};
static const char *const byline_words[] = {
	"byline", "author", "dateline", "writtenby", "p-author", NULL,
};
static const char *const unlikely_roles[] = {
	"menu", "menubar", "complementary", "navigation", "alert",
	"alertdialog", "dialog", NULL,
};

/* ---- small helpers ---- */

static bool
is_elem(const xmlNode *n)
{
	return n != NULL && n->type == XML_ELEMENT_NODE;
}

static bool
tag_is(const xmlNode *n, const char *tag)
{
	return is_elem(n) && strcmp((const char *)n->name, tag) == 0;
}

static bool
tag_in(const xmlNode *n, const char *const *tags)
{
	size_t i;

	if (!is_elem(n))
		return false;
	for (i = 0; tags[i] != NULL; i++)
		if (strcmp((const char *)n->name, tags[i]) == 0)
			return true;
	return false;
}

static bool
is_heading(const xmlNode *n)
{
	const char *t;

	if (!is_elem(n))
		return false;
	t = (const char *)n->name;
	return t[0] == 'h' && t[1] >= '1' && t[1] <= '6' && t[2] == '\0';
}

static struct ninfo *
info(const xmlNode *n)
{
	return n != NULL ? (struct ninfo *)n->_private : NULL;
}

static bool
contains_any(const char *s, const char *const *words)
{
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strstr(s, words[i]) != NULL)
			return true;
	return false;
}

/* Lower-cased copy of an attribute into out (size cap), "" if absent. */
static void
attr_lower(const xmlNode *n, const char *name, char *out, size_t cap)
{
	const char *v = html_attr(n, name);
	size_t i = 0;

	if (v != NULL)
		for (; v[i] != '\0' && i + 1 < cap; i++)
			out[i] = (char)tolower((unsigned char)v[i]);
	out[i] = '\0';
}

/* "class id", lower case: what the class/id hints are matched against. */
static void
match_string(const xmlNode *n, char *out, size_t cap)
{
	size_t len;

	attr_lower(n, "class", out, cap);
	len = strlen(out);
	if (len + 2 < cap) {
		out[len++] = ' ';
		attr_lower(n, "id", out + len, cap - len);
	}
}

/* True if the space-separated word w is one of the tokens of s. */
static bool
has_token(const char *s, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = s; (p = strstr(p, w)) != NULL; p++)
		if ((p == s || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static bool
is_negative(const char *s)
{
	return contains_any(s, negative_words) || has_token(s, "hid");
}

/* "share" as a word of a class or id (share, share_bar, sharedaddy). */
static bool
is_share(const char *s)
{
	const char *p;

	for (p = s; (p = strstr(p, "share")) != NULL; p++) {
		bool start = p == s || !isalnum((unsigned char)p[-1]);
		const char *e = p + 5;

		if (str_has_prefix(p, "sharedaddy"))
			e = p + 10;
		if (start && !isalnum((unsigned char)*e))
			return true;
	}
	return false;
}

/* Class and id evidence for or against an element: -50 .. +50. */
static int
class_weight(const struct ctx *cx, const xmlNode *n)
{
	char s[256];
	int w = 0;

	if (!(cx->flags & FLAG_WEIGHT_CLASSES))
		return 0;
	attr_lower(n, "class", s, sizeof(s));
	if (s[0] != '\0') {
		if (is_negative(s))
			w -= 25;
		if (contains_any(s, positive_words))
			w += 25;
	}
	attr_lower(n, "id", s, sizeof(s));
	if (s[0] != '\0') {
		if (is_negative(s))
			w -= 25;
		if (contains_any(s, positive_words))
			w += 25;
	}
	return w;
}

/* Number of characters in s with white-space runs counted as one. */
static int
text_chars(const char *s, bool *ret_space_end, bool space_before)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;
	bool space = space_before;

	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f') {
			if (!space)
				n++;
			space = true;
			continue;
		}
		space = false;
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	*ret_space_end = space;
	return n;
}

/* Number of characters in s that are not white space. */
static int
visible_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	for (; *p != '\0'; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' &&
		    *p != '\f' && (*p & 0xc0) != 0x80)
			n++;
	return n;
}

/* Commas of Latin, Arabic, CJK and other scripts. */
static int
count_commas(const char *s)
{
	static const char *const wide[] = {
		"\xd8\x8c", "\xef\xb9\x90", "\xef\xb8\x90", "\xef\xb8\x91",
		"\xe2\xb9\x81", "\xe2\xb8\xb4", "\xe2\xb8\xb2", "\xef\xbc\x8c",
	};
	const char *p;
	int n = 0;
	size_t i;

	for (p = s; *p != '\0'; p++) {
		if (*p == ',') {
			n++;
			continue;
		}
		if ((unsigned char)*p < 0xc0)
			continue;
		for (i = 0; i < ARRAY_SIZE(wide); i++)
			if (str_has_prefix(p, wide[i]))
				n++;
	}
	return n;
}

static bool
raw_text_cb(xmlNode *n, void *arg)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content != NULL)
			buf_puts(arg, (const char *)n->content);
		return false;
	}
	return true;
}

/* Collapses white space runs of s in place and trims it; returns s. */
static char *
squeeze(char *s)
{
	char *o, *p;
	bool space = true;

	for (p = o = s; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' ||
		    *p == '\f') {
			if (!space)
				*o++ = ' ';
			space = true;
			continue;
		}
		space = false;
		*o++ = *p;
	}
	if (o > s && o[-1] == ' ')
		o--;
	*o = '\0';
	return s;
}

/* All the text below n, even where no browser shows it (<title>). */
static char *
raw_text(const xmlNode *n)
{
	struct buf b = { 0 };

	buf_puts(&b, "");
	html_walk((xmlNode *)n, raw_text_cb, NULL, &b);
	return squeeze(buf_take(&b));
}

/* Plain text of a subtree, whitespace collapsed and trimmed. */
static char *
inner_text(const xmlNode *n)
{
	struct buf b = { 0 };

	html_node_text(&b, n);
	return squeeze(buf_take(&b));
}

static bool
is_blank_text(const xmlNode *n)
{
	const unsigned char *p;

	if (n->type != XML_TEXT_NODE)
		return false;
	if (n->content == NULL)
		return true;
	for (p = n->content; *p != '\0'; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' &&
		    *p != '\f')
			return false;
	return true;
}

static xmlNode *
next_elem(xmlNode *n)
{
	for (n = n->next; n != NULL && !is_elem(n); n = n->next)
		;
	return n;
}

static xmlNode *
first_elem(xmlNode *n)
{
	for (n = n->children; n != NULL && !is_elem(n); n = n->next)
		;
	return n;
}

static size_t
count_elem_children(const xmlNode *n)
{
	const xmlNode *c;
	size_t k = 0;

	for (c = n->children; c != NULL; c = c->next)
		if (is_elem(c))
			k++;
	return k;
}

static bool
has_ancestor(const xmlNode *n, const char *tag, int max_depth)
{
	int d = 0;

	for (n = n->parent; is_elem(n); n = n->parent) {
		if (max_depth > 0 && ++d > max_depth)
			return false;
		if (tag_is(n, tag))
			return true;
	}
	return false;
}

static void
remove_node(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

static void
rename_node(xmlNode *n, const char *tag)
{
	xmlNodeSetName(n, (const xmlChar *)tag);
}

/* ---- statistics ---- */

static bool	is_inner_block(const xmlNode *);
static bool	is_kept_content(const xmlNode *);

static struct ninfo *
info_new(struct ctx *cx)
{
	struct info_chunk *c = cx->chunks;

	if (c == NULL || c->used == INFO_CHUNK) {
		c = xcalloc(1, sizeof(*c));
		c->next = cx->chunks;
		cx->chunks = c;
	}
	return &c->infos[c->used++];
}

static void
infos_free(struct ctx *cx)
{
	struct info_chunk *c, *next;

	for (c = cx->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	cx->chunks = NULL;
}

struct stats_walk {
	struct ctx	*cx;
	bool		 space;	/* the text so far ends in white space */
};

static bool
stats_enter_cb(xmlNode *n, void *arg)
{
	struct stats_walk *sw = arg;
	struct ninfo *ni;
	bool end;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content == NULL || n->parent == NULL ||
		    (ni = info(n->parent)) == NULL)
			return false;
		ni->text += text_chars((const char *)n->content, &end,
		    sw->space);
		ni->visible += visible_chars((const char *)n->content);
		ni->commas += count_commas((const char *)n->content);
		sw->space = end;
		return false;
	}
	if (!is_elem(n))
		return n->type == XML_HTML_DOCUMENT_NODE ||
		    n->type == XML_DOCUMENT_NODE;
	if (n->_private == NULL) {
		n->_private = info_new(sw->cx);
		sw->cx->elements++;
	}
	ni = info(n);
	ni->text = ni->commas = 0;
	ni->link = 0;
	ni->n_p = ni->n_img = ni->n_li = ni->n_input = ni->n_embed = 0;
	ni->heading = ni->list = 0;
	ni->visible = ni->n_brhr = ni->n_blocks = ni->n_kept = 0;
	if (html_is_block((const char *)n->name) || tag_is(n, "br"))
		sw->space = true;
	return true;
}

static void
stats_leave_cb(xmlNode *n, void *arg)
{
	struct ninfo *ni, *pi;
	const char *tag;
	const char *href;

	(void)arg;
	if (!is_elem(n) || (ni = info(n)) == NULL)
		return;
	tag = (const char *)n->name;
	if (strcmp(tag, "p") == 0)
		ni->n_p++;
	else if (strcmp(tag, "img") == 0)
		ni->n_img++;
	else if (strcmp(tag, "li") == 0)
		ni->n_li++;
	else if (strcmp(tag, "input") == 0)
		ni->n_input++;
	else if (strcmp(tag, "embed") == 0 || strcmp(tag, "object") == 0 ||
	    strcmp(tag, "iframe") == 0)
		ni->n_embed++;
	else if (strcmp(tag, "a") == 0) {
		/* A script "link" goes nowhere: its text is text. */
		href = html_attr(n, "href");
		if (href != NULL && str_has_prefix_ci(href, "javascript:"))
			ni->link = 0;
		else
			ni->link = ni->text * (href != NULL && href[0] == '#' &&
			    href[1] != '\0' ? 0.3 : 1.0);
	} else if (strcmp(tag, "ul") == 0 || strcmp(tag, "ol") == 0)
		ni->list = ni->text;
	if (is_heading(n))
		ni->heading = ni->text;
	if (n->parent == NULL || (pi = info(n->parent)) == NULL)
		return;
	pi->text += ni->text;
	pi->link += ni->link;
	pi->commas += ni->commas;
	pi->n_p += ni->n_p;
	pi->n_img += ni->n_img;
	pi->n_li += ni->n_li;
	pi->n_input += ni->n_input;
	pi->n_embed += ni->n_embed;
	pi->heading += ni->heading;
	pi->list += ni->list;
	pi->visible += ni->visible;
	pi->n_brhr += ni->n_brhr + (strcmp(tag, "br") == 0 ||
	    strcmp(tag, "hr") == 0);
	pi->n_blocks += ni->n_blocks + is_inner_block(n);
	pi->n_kept += ni->n_kept + is_kept_content(n);
}

/* Computes the statistics of every element below root (included). */
static void
compute_stats(struct ctx *cx, xmlNode *root)
{
	struct stats_walk sw = { cx, true };

	html_walk(root, stats_enter_cb, stats_leave_cb, &sw);
}

/* Removes n, keeping its ancestors' statistics right. */
static void
remove_counted(xmlNode *n)
{
	struct ninfo *ni = info(n), *pi;
	xmlNode *a;

	if (ni != NULL)
		for (a = n->parent; is_elem(a) && (pi = info(a)) != NULL;
		    a = a->parent) {
			pi->text -= ni->text;
			pi->link -= ni->link;
			pi->commas -= ni->commas;
			pi->n_p -= ni->n_p;
			pi->n_img -= ni->n_img;
			pi->n_li -= ni->n_li;
			pi->n_input -= ni->n_input;
			pi->n_embed -= ni->n_embed;
			pi->heading -= ni->heading;
			pi->list -= ni->list;
			pi->visible -= ni->visible;
			pi->n_brhr -= ni->n_brhr + (tag_is(n, "br") ||
			    tag_is(n, "hr"));
			pi->n_blocks -= ni->n_blocks + is_inner_block(n);
			pi->n_kept -= ni->n_kept + is_kept_content(n);
		}
	remove_node(n);
}

static double
link_density(const xmlNode *n)
{
	const struct ninfo *ni = info(n);

	if (ni == NULL || ni->text <= 0)
		return 0;
	return ni->link / ni->text;
}

/* ---- preparation ---- */

struct nodelist {
	xmlNode	**v;
	size_t	  n, cap;
};

static void
nodelist_push(struct nodelist *l, xmlNode *n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 128;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = n;
}


/*
 * Moves everything below depth MAX_DEPTH up to that depth, in document
 * order.  Hostile pages nest thousands deep; real ones never need this.
 */
static void
flatten_deep(xmlNode *root)
{
	xmlNode *n = root, *c, *k, *next, *at;
	int depth = 0;

	while (n != NULL) {
		if (depth >= MAX_DEPTH && n->children != NULL) {
			/* Splice every grandchild in after its parent. */
			for (c = n->children; c != NULL; c = c->next) {
				at = c;
				for (k = c->children; k != NULL; k = next) {
					next = k->next;
					xmlUnlinkNode(k);
					at = xmlAddNextSibling(at, k);
				}
			}
		} else if (n->children != NULL) {
			n = n->children;
			depth++;
			continue;
		}
		while (n != root && n->next == NULL) {
			n = n->parent;
			depth--;
		}
		if (n == root)
			break;
		n = n->next;
	}
}

/* Elements removed before anything else: never part of an article. */
static const char *const junk_tags[] = {
	"script", "style", "noscript", "template", "link", "meta", "object",
	"embed", "applet", "frame", "frameset", "noframes", "iframe",
	"textarea", "select", "button", "svg", "canvas", "dialog",
	NULL,
};

/* Nodes to delete once the walk that found them is over. */
struct prep_walk {
	struct nodelist	 del;
};

static void
defer_delete(struct prep_walk *pw, xmlNode *n)
{
	nodelist_push(&pw->del, n);
}

/* An image a lazy loader will replace: no source, or a data: stub. */
static bool
is_placeholder_img(const xmlNode *n)
{
	const char *src = html_attr(n, "src");

	return src == NULL || src[0] == '\0' || str_has_prefix_ci(src,
	    "data:");
}

/* The single <img> in a subtree, or NULL if it has none or several. */
static xmlNode *
single_image(xmlNode *n)
{
	xmlNode *c, *img = NULL, *sub;

	if (tag_is(n, "img"))
		return n;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE && !is_blank_text(c))
			return NULL;
		if (!is_elem(c))
			continue;
		if ((sub = single_image(c)) == NULL || img != NULL)
			return NULL;
		img = sub;
	}
	return img;
}

/*
 * <noscript><img></noscript> after a lazy-loading placeholder: the
 * noscript image is the real one.
 */
static void
unwrap_noscript_image(xmlNode *ns, struct prep_walk *pw)
{
	xmlNode *prev, *img, *old;

	for (prev = ns->prev; prev != NULL && !is_elem(prev); prev = prev->prev)
		if (!is_blank_text(prev))
			return;
	if (prev == NULL || tag_in(prev, junk_tags) ||
	    (old = single_image(prev)) == NULL ||
	    !is_placeholder_img(old))
		return;
	/* libxml2 keeps noscript content as markup; depth is small here. */
	if ((img = single_image(ns)) == NULL)
		return;
	xmlUnlinkNode(img);
	xmlReplaceNode(prev, img);
	defer_delete(pw, prev);
}

static bool
prep_enter_cb(xmlNode *n, void *arg)
{
	struct prep_walk *pw = arg;

	if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE) {
		defer_delete(pw, n);
		return false;
	}
	if (!is_elem(n))
		return n->type == XML_HTML_DOCUMENT_NODE ||
		    n->type == XML_DOCUMENT_NODE;
	if (tag_is(n, "noscript"))
		unwrap_noscript_image(n, pw);
	if (tag_in(n, junk_tags)) {
		defer_delete(pw, n);
		return false;
	}
	if (tag_is(n, "font"))
		rename_node(n, "span");
	return true;
}

/* A <br> (possibly after white space) follows n. */
static xmlNode *
next_br(xmlNode *n)
{
	for (n = n->next; n != NULL && is_blank_text(n); n = n->next)
		;
	return tag_is(n, "br") ? n : NULL;
}

static const char *const phrasing_tags[] = {
	"abbr", "audio", "b", "bdo", "br", "button", "cite", "code", "data",
	"datalist", "dfn", "em", "embed", "i", "img", "input", "kbd", "label",
	"mark", "math", "meter", "noscript", "object", "output", "progress",
	"q", "ruby", "samp", "script", "select", "small", "span", "strong",
	"sub", "sup", "textarea", "time", "var", "wbr", "font", "u", "s",
	"strike", "tt", "big", NULL,
};

static bool
is_phrasing(const xmlNode *n)
{
	const xmlNode *c;

	if (n->type == XML_TEXT_NODE)
		return true;
	if (!is_elem(n))
		return false;
	if (tag_in(n, phrasing_tags))
		return true;
	if (tag_is(n, "a") || tag_is(n, "del") || tag_is(n, "ins")) {
		for (c = n->children; c != NULL; c = c->next)
			if (is_elem(c) && !is_phrasing(c))
				return false;
		return true;
	}
	return false;
}

/*
 * Two or more <br> in a row end a paragraph: what follows them, up to the
 * next such chain or block, becomes a <p>.  Returns the new <p>, or n.
 */
static xmlNode *
replace_br_chain(xmlNode *n)
{
	xmlNode *br2, *next, *p, *sib;

	if ((br2 = next_br(n)) == NULL)
		return n;
	while (br2 != NULL) {
		next = next_br(br2);
		remove_node(br2);
		br2 = next;
	}
	p = xmlNewDocNode(n->doc, NULL, (const xmlChar *)"p", NULL);
	xmlReplaceNode(n, p);
	xmlFreeNode(n);
	for (sib = p->next; sib != NULL; sib = next) {
		next = sib->next;
		if (tag_is(sib, "br") && next_br(sib) != NULL)
			break;
		if (!is_phrasing(sib))
			break;
		xmlUnlinkNode(sib);
		/* xmlAddChild merges adjacent text: fine here. */
		xmlAddChild(p, sib);
	}
	while (p->last != NULL && is_blank_text(p->last))
		remove_node(p->last);
	if (tag_is(p->parent, "p"))
		rename_node(p->parent, "div");
	return p;
}

/* One pass over the tree: the preparation that reshapes it. */
static void
prepare_tree(xmlNode *root)
{
	struct prep_walk pw = { 0 };
	xmlNode *n;
	size_t i;

	html_walk(root, prep_enter_cb, NULL, &pw);
	/*
	 * In document order: a placeholder replaced by a noscript image is
	 * listed after anything deleted inside it.
	 */
	for (i = 0; i < pw.del.n; i++)
		remove_node(pw.del.v[i]);
	free(pw.del.v);
	/* br chains, walking on from each new paragraph. */
	n = root;
	while (n != NULL) {
		if (tag_is(n, "br"))
			n = replace_br_chain(n);
		if (n->children != NULL && (is_elem(n) ||
		    n->type == XML_HTML_DOCUMENT_NODE)) {
			n = n->children;
			continue;
		}
		while (n != root && n->next == NULL)
			n = n->parent;
		if (n == root)
			break;
		n = n->next;
	}
}

/* ---- metadata ---- */

struct meta {
	char	*title;		/* <title> */
	char	*og_title;	/* og:title, twitter:title, dc.title ... */
	char	*site_name;
	char	*byline;
	char	*published;	/* as written */
	char	*lang;
	char	*h1;		/* text of the only <h1>, if one */
	int	 n_h1;
	char	*time;		/* first <time datetime> */
	/* JSON-LD of an article type. */
	char	*ld_headline;
	char	*ld_author;
	char	*ld_published;
	char	*ld_body;
	char	*ld_lang;
};

static void
meta_free(struct meta *m)
{
	free(m->title);
	free(m->og_title);
	free(m->site_name);
	free(m->byline);
	free(m->published);
	free(m->lang);
	free(m->h1);
	free(m->time);
	free(m->ld_headline);
	free(m->ld_author);
	free(m->ld_published);
	free(m->ld_body);
	free(m->ld_lang);
}

/* Sets *dst to a trimmed copy of s unless *dst is already set or s blank. */
static void
set_once(char **dst, const char *s)
{
	const char *e;

	if (*dst != NULL || s == NULL)
		return;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	if (e > s)
		*dst = xstrndup(s, (size_t)(e - s));
}

static bool
name_in(const char *name, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

static void
meta_tag(struct meta *m, const xmlNode *n)
{
	static const char *const titles[] = {
		"og:title", "twitter:title", "dc.title", "dcterms.title",
		"dc:title", "parsely-title", "sailthru.title", "headline",
		NULL,
	};
	static const char *const authors[] = {
		"author", "article:author", "dc.creator", "dc:creator",
		"dcterms.creator", "parsely-author", "sailthru.author", "byl",
		"citation_author", NULL,
	};
	static const char *const dates[] = {
		"article:published_time", "og:article:published_time",
		"datepublished", "date", "pubdate", "publishdate",
		"publish-date", "published-date", "publication_date",
		"dc.date", "dc.date.issued", "dcterms.date", "dcterms.issued",
		"dcterms.created", "sailthru.date", "parsely-pub-date",
		"article.published", "og:published_time",
		"citation_publication_date", "citation_date", NULL,
	};
	char name[64];
	const char *content = html_attr(n, "content");

	attr_lower(n, "property", name, sizeof(name));
	if (name[0] == '\0')
		attr_lower(n, "name", name, sizeof(name));
	if (name[0] == '\0')
		attr_lower(n, "itemprop", name, sizeof(name));
	if (name[0] == '\0') {
		attr_lower(n, "http-equiv", name, sizeof(name));
		if (strcmp(name, "content-language") == 0 && content != NULL &&
		    strchr(content, ',') == NULL)
			set_once(&m->lang, content);
		return;
	}
	if (content == NULL)
		return;
	if (name_in(name, titles))
		set_once(&m->og_title, content);
	else if (strcmp(name, "og:site_name") == 0 ||
	    strcmp(name, "application-name") == 0)
		set_once(&m->site_name, content);
	else if (name_in(name, authors)) {
		/* article:author is often a profile URL: not a name. */
		if (!str_has_prefix_ci(content, "http://") &&
		    !str_has_prefix_ci(content, "https://"))
			set_once(&m->byline, content);
	} else if (name_in(name, dates))
		set_once(&m->published, content);
	else if ((strcmp(name, "og:locale") == 0 ||
	    strcmp(name, "dc.language") == 0 ||
	    strcmp(name, "language") == 0) && m->lang == NULL) {
		char *l = xstrdup(content), *p;

		/* og:locale writes en_US for en-US. */
		for (p = l; *p != '\0'; p++)
			if (*p == '_')
				*p = '-';
		set_once(&m->lang, l);
		free(l);
	}
}

/* A JSON string, or the names in an author object or array of them. */
static char *
ld_names(json_t *v)
{
	struct buf b = { 0 };
	json_t *e;
	size_t i;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_object(v)) {
		e = json_object_get(v, "name");
		return json_is_string(e) ? xstrdup(json_string_value(e)) : NULL;
	}
	if (!json_is_array(v))
		return NULL;
	json_array_foreach(v, i, e) {
		char *s = ld_names(e);

		if (s == NULL || s[0] == '\0') {
			free(s);
			continue;
		}
		if (b.len > 0)
			buf_puts(&b, ", ");
		buf_puts(&b, s);
		free(s);
		if (i >= 10)
			break;
	}
	return b.len > 0 ? buf_take(&b) : (buf_free(&b), NULL);
}

static bool
ld_is_article(json_t *type)
{
	static const char *const types[] = {
		"Article", "AdvertiserContentArticle", "NewsArticle",
		"AnalysisNewsArticle", "AskPublicQuestionArticle",
		"BackgroundNewsArticle", "OpinionNewsArticle",
		"ReportageNewsArticle", "ReviewNewsArticle", "Report",
		"SatiricalArticle", "ScholarlyArticle",
		"MedicalScholarlyArticle", "SocialMediaPosting", "BlogPosting",
		"LiveBlogPosting", "DiscussionForumPosting", "TechArticle",
		"APIReference", "WebPage", "Blog", "Review", "Recipe", NULL,
	};
	json_t *e;
	size_t i;

	if (json_is_string(type))
		return name_in(json_string_value(type), types);
	if (json_is_array(type))
		json_array_foreach(type, i, e)
			if (json_is_string(e) &&
			    name_in(json_string_value(e), types))
				return true;
	return false;
}

/* Reads an article object (or arrays and @graph holding one). */
static void
ld_visit(struct meta *m, json_t *v, int depth)
{
	json_t *e;
	size_t i;

	if (depth > 8)
		return;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			ld_visit(m, e, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	if ((e = json_object_get(v, "@graph")) != NULL)
		ld_visit(m, e, depth + 1);
	if (!ld_is_article(json_object_get(v, "@type")))
		return;
	/* A WebPage only counts when nothing better is there. */
	if ((e = json_object_get(v, "headline")) != NULL && json_is_string(e))
		set_once(&m->ld_headline, json_string_value(e));
	if ((e = json_object_get(v, "author")) != NULL && m->ld_author == NULL)
		m->ld_author = ld_names(e);
	if ((e = json_object_get(v, "datePublished")) != NULL &&
	    json_is_string(e))
		set_once(&m->ld_published, json_string_value(e));
	if ((e = json_object_get(v, "articleBody")) != NULL &&
	    json_is_string(e))
		set_once(&m->ld_body, json_string_value(e));
	if ((e = json_object_get(v, "inLanguage")) != NULL &&
	    json_is_string(e))
		set_once(&m->ld_lang, json_string_value(e));
}

static void
ld_script(struct meta *m, const xmlNode *n)
{
	struct buf b = { 0 };
	const xmlNode *c;
	json_t *root;

	for (c = n->children; c != NULL; c = c->next)
		if (c->content != NULL && (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE))
			buf_puts(&b, (const char *)c->content);
	if (b.len > 0 && b.len <= MAX_JSONLD) {
		/* Some sites wrap it in a CDATA comment. */
		char *s = b.data, *e = b.data + b.len;

		while (s < e && (isspace((unsigned char)*s)))
			s++;
		if (str_has_prefix(s, "//<![CDATA["))
			s += 11;
		root = json_loadb(s, (size_t)(e - s), JSON_DISABLE_EOF_CHECK |
		    JSON_DECODE_ANY, NULL);
		if (root != NULL) {
			ld_visit(m, root, 0);
			json_decref(root);
		}
	}
	buf_free(&b);
}

struct meta_walk {
	struct meta	*m;
	bool		 in_body;
};

static bool
meta_enter_cb(xmlNode *n, void *arg)
{
	struct meta_walk *mw = arg;
	struct meta *m = mw->m;
	const char *v;

	if (!is_elem(n))
		return n->type == XML_HTML_DOCUMENT_NODE ||
		    n->type == XML_DOCUMENT_NODE;
	switch (n->name[0]) {
	case 'h':
		if (tag_is(n, "html")) {
			if ((v = html_attr(n, "lang")) != NULL ||
			    (v = html_attr(n, "xml:lang")) != NULL)
				set_once(&m->lang, v);
			return true;
		}
		if (tag_is(n, "h1")) {
			if (m->n_h1++ == 0)
				m->h1 = inner_text(n);
			return false;
		}
		break;
	case 'm':
		if (tag_is(n, "meta")) {
			meta_tag(m, n);
			return false;
		}
		break;
	case 's':
		if (tag_is(n, "script")) {
			v = html_attr(n, "type");
			if (v != NULL && strcasecmp(v, "application/ld+json") == 0)
				ld_script(m, n);
			return false;
		}
		if (tag_is(n, "style"))
			return false;
		break;
	case 't':
		if (tag_is(n, "title")) {
			if (m->title == NULL) {
				m->title = raw_text(n);
				if (m->title[0] == '\0')
					str_set(&m->title, NULL);
			}
			return false;
		}
		if (tag_is(n, "time") && m->time == NULL &&
		    (v = html_attr(n, "datetime")) != NULL)
			set_once(&m->time, v);
		break;
	default:
		break;
	}
	/* itemprop dates on any element (content= or datetime=). */
	if ((v = html_attr(n, "itemprop")) != NULL &&
	    strcmp(v, "datePublished") == 0) {
		const char *d = html_attr(n, "content");

		if (d == NULL)
			d = html_attr(n, "datetime");
		set_once(&m->published, d);
	}
	return true;
}

static size_t
count_words(const char *s)
{
	size_t n = 0;
	bool in = false;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s)) {
			in = false;
		} else if (!in) {
			in = true;
			n++;
		}
	}
	return n;
}

/* Case-insensitive equality of two ASCII-ish strings, spaces trimmed. */
static bool
same_text(const char *a, const char *b, size_t blen)
{
	return strlen(a) == blen && strncasecmp(a, b, blen) == 0;
}

/*
 * The headline from a <title>: the site name and section names that
 * sites put around it, apart by " | ", " - ", " — " and the like, go.
 */
static char *
clean_title(const char *title, const char *site, const char *h1)
{
	static const char *const seps[] = {
		" | ", " - ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", " :: ",
		" / ", " \xc2\xbb ", " \xc2\xb7 ", " \\ ", " > ", " \xe2\x80\xa2 ",
		NULL,
	};
	const char *parts[16];
	size_t lens[16], np = 0, i, best, k;
	const char *p = title, *hit, *first;
	size_t seplen = 0;

	if (h1 != NULL && strcasecmp(h1, title) == 0)
		return xstrdup(title);
	while (np < ARRAY_SIZE(parts)) {
		first = NULL;
		for (i = 0; seps[i] != NULL; i++)
			if ((hit = strstr(p, seps[i])) != NULL &&
			    (first == NULL || hit < first)) {
				first = hit;
				seplen = strlen(seps[i]);
			}
		if (first == NULL || np + 1 == ARRAY_SIZE(parts)) {
			parts[np] = p;
			lens[np++] = strlen(p);
			break;
		}
		parts[np] = p;
		lens[np++] = (size_t)(first - p);
		p = first + seplen;
	}
	if (np == 1)
		return xstrdup(title);
	/* A part that is the h1 is the headline (unless the h1 is a logo). */
	for (i = 0; i < np; i++)
		if (h1 != NULL && count_words(h1) >= 3 &&
		    same_text(h1, parts[i], lens[i]))
			return xstrndup(parts[i], lens[i]);
	/* Drop the site name where it stands. */
	if (site != NULL) {
		for (i = 0; i < np; i++)
			if (same_text(site, parts[i], lens[i]))
				break;
		if (i < np) {
			struct buf b = { 0 };

			/* The rest, as it was written. */
			if (i == 0)
				buf_append(&b, parts[1], strlen(parts[1]));
			else
				buf_append(&b, title, (size_t)(parts[i] -
				    title) - seplen);
			if (np == 2 || i == 0 || i == np - 1) {
				char *s = buf_take(&b), *e = s + strlen(s);

				while (e > s && e[-1] == ' ')
					*--e = '\0';
				return s;
			}
			buf_free(&b);
		}
	}
	/* Headline first, site last is the common order. */
	{
		char *firstpart = xstrndup(parts[0], lens[0]);

		if (count_words(firstpart) >= 3)
			return firstpart;
		free(firstpart);
	}
	best = 0;
	for (k = 1; k < np; k++)
		if (lens[k] > lens[best])
			best = k;
	return xstrndup(parts[best], lens[best]);
}

static void
collect_meta(struct meta *m, htmlDocPtr doc)
{
	struct meta_walk mw = { m, false };

	html_walk((xmlNode *)doc, meta_enter_cb, NULL, &mw);
}

/* The article's title: JSON-LD headline, og:title, <title> cleaned, h1. */
static char *
pick_title(const struct meta *m)
{
	if (m->ld_headline != NULL)
		return xstrdup(m->ld_headline);
	if (m->og_title != NULL)
		return clean_title(m->og_title, m->site_name, m->h1);
	if (m->title != NULL)
		return clean_title(m->title, m->site_name, m->h1);
	if (m->h1 != NULL && m->n_h1 == 1)
		return xstrdup(m->h1);
	return NULL;
}

static char *
pick_published(const struct meta *m)
{
	const char *cands[3] = { m->ld_published, m->published, m->time };
	char out[DATE_RFC3339_LEN + 1];
	int64_t t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cands); i++) {
		if (cands[i] == NULL)
			continue;
		if ((t = date_parse(cands[i])) == DATE_NONE)
			continue;
		date_format_rfc3339(t, out, sizeof(out));
		return xstrdup(out);
	}
	return NULL;
}

/* ---- grab ---- */

static bool
is_visible(const xmlNode *n)
{
	const char *style = html_attr(n, "style"), *v;
	char s[256], *o;
	size_t i;

	if (style != NULL) {
		for (i = 0, o = s; style[i] != '\0' && o < s + sizeof(s) - 1;
		    i++)
			if (!isspace((unsigned char)style[i]))
				*o++ = (char)tolower((unsigned char)style[i]);
		*o = '\0';
		if (strstr(s, "display:none") != NULL ||
		    strstr(s, "visibility:hidden") != NULL)
			return false;
	}
	if (html_attr(n, "hidden") != NULL)
		return false;
	if ((v = html_attr(n, "aria-hidden")) != NULL &&
	    strcmp(v, "true") == 0) {
		/* Wikimedia hides the real image from screen readers. */
		v = html_attr(n, "class");
		return v != NULL && strstr(v, "fallback-image") != NULL;
	}
	return true;
}

/* Words of s, lower case, apart by anything but letters and digits. */
static size_t
tokenize(const char *s, char **tok, size_t max, char *store, size_t cap)
{
	size_t n = 0, o = 0;
	bool in = false;

	for (; *s != '\0' && o + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c >= 0x80 || c == '_') {
			if (!in) {
				if (n == max)
					break;
				tok[n++] = store + o;
				in = true;
			}
			store[o++] = (char)tolower(c);
		} else if (in) {
			store[o++] = '\0';
			in = false;
		}
	}
	store[o] = '\0';
	return n;
}

/* How much of b's wording a covers, 0 .. 1. */
static double
text_similarity(const char *a, const char *b)
{
	char *ta[128], *tb[128];
	char sa[2048], sb[2048];
	size_t na, nb, i, j, all = 0, uniq = 0;

	na = tokenize(a, ta, ARRAY_SIZE(ta), sa, sizeof(sa));
	nb = tokenize(b, tb, ARRAY_SIZE(tb), sb, sizeof(sb));
	if (na == 0 || nb == 0)
		return 0;
	for (i = 0; i < nb; i++) {
		all += strlen(tb[i]) + (i > 0);
		for (j = 0; j < na; j++)
			if (strcmp(tb[i], ta[j]) == 0)
				break;
		if (j == na)
			uniq += strlen(tb[i]) + (uniq > 0);
	}
	return all > 0 ? 1.0 - (double)uniq / (double)all : 0;
}

static bool
check_byline(struct ctx *cx, xmlNode *n, const char *ms)
{
	const char *rel, *itemprop;
	char *text;
	size_t len;

	if (cx->byline != NULL)
		return false;
	rel = html_attr(n, "rel");
	itemprop = html_attr(n, "itemprop");
	if (!((rel != NULL && strcmp(rel, "author") == 0) ||
	    (itemprop != NULL && strstr(itemprop, "author") != NULL) ||
	    contains_any(ms, byline_words)))
		return false;
	if (info(n) != NULL && info(n)->visible >= MAX_BYLINE)
		return false;
	text = inner_text(n);
	len = strlen(text);
	if (len > 0 && len < MAX_BYLINE) {
		cx->byline = text;
		return true;
	}
	free(text);
	return false;
}

static bool
header_duplicates_title(const struct ctx *cx, const xmlNode *n)
{
	char *h;
	bool dup;

	if (cx->title == NULL || !(tag_is(n, "h1") || tag_is(n, "h2")))
		return false;
	h = inner_text(n);
	dup = text_similarity(cx->title, h) > 0.75;
	free(h);
	return dup;
}

/* Next element in document order below root; skip_kids skips n's. */
static xmlNode *
next_node(xmlNode *n, const xmlNode *root, bool skip_kids)
{
	xmlNode *c;

	if (!skip_kids && (c = first_elem(n)) != NULL)
		return c;
	while (n != NULL && n != root) {
		if ((c = next_elem(n)) != NULL)
			return c;
		n = n->parent;
	}
	return NULL;
}

/* True if some element below root satisfies pred; iterative. */
static bool
subtree_any(xmlNode *root, bool (*pred)(const xmlNode *))
{
	xmlNode *n = first_elem(root);

	while (n != NULL) {
		if (pred(n))
			return true;
		n = next_node(n, root, false);
	}
	return false;
}

/*
 * Embedded posts (tweets, Instagram, TikTok) quoted in an article are part
 * of it, though their wrappers look like social-media furniture.
 */
static bool
is_embedded_post(const xmlNode *n)
{
	static const char *const classes[] = {
		"twitter-tweet", "instagram-media", "tiktok-embed",
		"reddit-card", "twitter-video", "bluesky-embed", NULL,
	};
	const char *c;
	size_t i;

	if (!tag_is(n, "blockquote") || (c = html_attr(n, "class")) == NULL)
		return false;
	for (i = 0; classes[i] != NULL; i++)
		if (strstr(c, classes[i]) != NULL)
			return true;
	return false;
}

/* Content in any wrapper: embedded posts and MathML formulas. */
static bool
is_kept_content(const xmlNode *n)
{
	return is_embedded_post(n) || tag_is(n, "math");
}

static bool
has_kept_content(xmlNode *n)
{
	if (is_kept_content(n))
		return true;
	if (info(n) != NULL)
		return info(n)->n_kept > 0;
	return subtree_any(n, is_kept_content);
}

/* As subtree_any(), giving up (false) after looking at limit nodes. */
static bool
subtree_any_within(xmlNode *root, bool (*pred)(const xmlNode *),
    size_t limit)
{
	xmlNode *n = first_elem(root);

	while (n != NULL && limit-- > 0) {
		if (pred(n))
			return true;
		n = next_node(n, root, false);
	}
	return false;
}

static bool
is_div_to_p_block(const xmlNode *n)
{
	static const char *const tags[] = {
		"blockquote", "dl", "div", "img", "ol", "p", "pre", "table",
		"ul", NULL,
	};

	return tag_in(n, tags);
}

static bool
without_content(struct ctx *cx, xmlNode *n)
{
	const struct ninfo *ni = info(n);
	size_t kids;

	if (ni == NULL || ni->visible > 0)
		return false;
	/* No text, and nothing but line breaks and rules in it. */
	kids = count_elem_children(n);
	return kids == 0 || kids == (size_t)ni->n_brhr;
}

/* Phrasing runs inside a div that also holds blocks become <p>s. */
static void
wrap_phrasing(struct ctx *cx, xmlNode *div)
{
	xmlNode *c, *next, *p = NULL;

	for (c = div->children; c != NULL; c = next) {
		next = c->next;
		if (is_phrasing(c)) {
			if (p != NULL) {
				xmlUnlinkNode(c);
				if (xmlAddChild(p, c) == NULL)
					xmlFreeNode(c);
			} else if (!is_blank_text(c)) {
				p = xmlNewDocNode(div->doc, NULL,
				    (const xmlChar *)"p", NULL);
				xmlReplaceNode(c, p);
				if (xmlAddChild(p, c) == NULL)
					xmlFreeNode(c);
			}
		} else if (p != NULL) {
			while (p->last != NULL && is_blank_text(p->last))
				remove_node(p->last);
			compute_stats(cx, p);
			p = NULL;
		}
	}
	if (p != NULL) {
		while (p->last != NULL && is_blank_text(p->last))
			remove_node(p->last);
		compute_stats(cx, p);
	}
}

static bool
has_single_p(const xmlNode *n)
{
	const xmlNode *c, *only = NULL;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE && !is_blank_text(c))
			return false;
		if (!is_elem(c))
			continue;
		if (only != NULL)
			return false;
		only = c;
	}
	return only != NULL && tag_is(only, "p");
}

/*
 * The first pass: removes what cannot be content and lists the blocks to
 * score.
 */
/*
 * The first pass: removes what cannot be content and lists the blocks to
 * score.  Top down, so a node's statistics are still right when it is
 * looked at: removals only change those of nodes already passed.
 */
static void
grab_walk(struct ctx *cx, xmlNode *root, struct nodelist *score)
{
	static const char *const to_score[] = {
		"section", "h2", "h3", "h4", "h5", "h6", "p", "td", "pre", NULL,
	};
	xmlNode *n = root, *next, *p;
	bool title_header = cx->title != NULL;
	char ms[512];
	const char *role, *v;

	while (n != NULL) {
		match_string(n, ms, sizeof(ms));
		role = html_attr(n, "role");
		if (!is_visible(n) ||
		    ((v = html_attr(n, "aria-modal")) != NULL &&
		    strcmp(v, "true") == 0 && role != NULL &&
		    strcmp(role, "dialog") == 0) ||
		    check_byline(cx, n, ms)) {
			next = next_node(n, root, true);
			remove_node(n);
			n = next;
			continue;
		}
		if (title_header && header_duplicates_title(cx, n)) {
			title_header = false;
			next = next_node(n, root, true);
			remove_node(n);
			n = next;
			continue;
		}
		if ((cx->flags & FLAG_STRIP_UNLIKELY) && n != root &&
		    (tag_is(n, "nav") ||
		    (contains_any(ms, unlikely_words) &&
		    !contains_any(ms, maybe_words) &&
		    !tag_is(n, "body") && !tag_is(n, "a") &&
		    !has_ancestor(n, "table", 0) &&
		    !has_ancestor(n, "code", 0) &&
		    !has_kept_content(n)) ||
		    (role != NULL && name_in(role, unlikely_roles)))) {
			next = next_node(n, root, true);
			remove_node(n);
			n = next;
			continue;
		}
		if ((tag_is(n, "div") || tag_is(n, "section") ||
		    tag_is(n, "header") || is_heading(n)) &&
		    without_content(cx, n)) {
			next = next_node(n, root, true);
			remove_node(n);
			n = next;
			continue;
		}
		if (tag_in(n, to_score))
			nodelist_push(score, n);
		if (tag_is(n, "div")) {
			wrap_phrasing(cx, n);
			if (has_single_p(n) && link_density(n) < 0.25) {
				p = first_elem(n);
				xmlUnlinkNode(p);
				xmlReplaceNode(n, p);
				xmlFreeNode(n);
				n = p;
				nodelist_push(score, n);
			} else if (!subtree_any(n, is_div_to_p_block)) {
				rename_node(n, "p");
				nodelist_push(score, n);
			}
		}
		n = next_node(n, root, false);
	}
}

static void
init_candidate(struct ctx *cx, xmlNode *n, struct nodelist *cands)
{
	struct ninfo *ni = info(n);
	const char *t = (const char *)n->name;

	if (ni == NULL || ni->candidate)
		return;
	ni->candidate = true;
	ni->score = 0;
	if (strcmp(t, "div") == 0)
		ni->score += 5;
	else if (strcmp(t, "pre") == 0 || strcmp(t, "td") == 0 ||
	    strcmp(t, "blockquote") == 0)
		ni->score += 3;
	else if (strcmp(t, "address") == 0 || strcmp(t, "ol") == 0 ||
	    strcmp(t, "ul") == 0 || strcmp(t, "dl") == 0 ||
	    strcmp(t, "dd") == 0 || strcmp(t, "dt") == 0 ||
	    strcmp(t, "li") == 0 || strcmp(t, "form") == 0)
		ni->score -= 3;
	else if (is_heading(n) || strcmp(t, "th") == 0)
		ni->score -= 5;
	ni->score += class_weight(cx, n);
	if (cands != NULL)
		nodelist_push(cands, n);
}

static void
score_blocks(struct ctx *cx, struct nodelist *score, struct nodelist *cands)
{
	xmlNode *e, *a;
	struct ninfo *ni;
	double s, div;
	size_t i;
	int level;

	for (i = 0; i < score->n; i++) {
		e = score->v[i];
		if (!is_elem(e->parent) || (ni = info(e)) == NULL)
			continue;
		if (ni->text < 25)
			continue;
		s = 1 + (ni->commas + 1) + fmin(ni->text / 100, 3);
		for (a = e->parent, level = 0; is_elem(a) && level < 5;
		    a = a->parent, level++) {
			if (!is_elem(a->parent))
				continue;
			init_candidate(cx, a, cands);
			div = level == 0 ? 1 : level == 1 ? 2 : level * 3;
			info(a)->score += s / div;
		}
	}
}

/* True if n is an ancestor of m. */
static bool
is_ancestor(const xmlNode *n, const xmlNode *m)
{
	for (m = m->parent; m != NULL; m = m->parent)
		if (m == n)
			return true;
	return false;
}

/* The best-scoring block, widened as its neighbourhood suggests. */
static xmlNode *
pick_top(struct ctx *cx, xmlNode *body, struct nodelist *cands)
{
	xmlNode *top[N_TOP_CANDIDATES] = { 0 }, *t, *p, *c, *next;
	size_t i, j, n_alt;
	double last, threshold, ps;
	struct ninfo *ni;

	for (i = 0; i < cands->n; i++) {
		c = cands->v[i];
		ni = info(c);
		ni->score *= 1 - link_density(c);
		for (j = 0; j < N_TOP_CANDIDATES; j++) {
			if (top[j] == NULL || ni->score > info(top[j])->score) {
				memmove(top + j + 1, top + j, (N_TOP_CANDIDATES -
				    j - 1) * sizeof(*top));
				top[j] = c;
				break;
			}
		}
	}
	t = top[0];
	if (t == NULL || tag_is(t, "body") || t == body) {
		/* No winner: everything in the body is the article. */
		t = xmlNewDocNode(body->doc, NULL, (const xmlChar *)"div",
		    NULL);
		for (c = body->children; c != NULL; c = next) {
			next = c->next;
			xmlUnlinkNode(c);
			if (xmlAddChild(t, c) == NULL)
				xmlFreeNode(c);
		}
		xmlAddChild(body, t);
		compute_stats(cx, t);
		init_candidate(cx, t, NULL);
		return t;
	}
	/*
	 * Three or more near-best blocks under one ancestor: the article is
	 * that ancestor (content split in several blocks).
	 */
	for (n_alt = 0, i = 1; i < N_TOP_CANDIDATES && top[i] != NULL; i++)
		if (info(top[i])->score / info(t)->score >= 0.75)
			n_alt++;
	if (n_alt >= 3) {
		for (p = t->parent; is_elem(p) && !tag_is(p, "body");
		    p = p->parent) {
			size_t hits = 0;

			for (i = 1; i < N_TOP_CANDIDATES && top[i] != NULL; i++)
				if (info(top[i])->score / info(t)->score >=
				    0.75 && is_ancestor(p, top[i]))
					hits++;
			if (hits >= 3) {
				t = p;
				break;
			}
		}
	}
	init_candidate(cx, t, NULL);
	/* A parent that scores higher than its best child holds more. */
	last = info(t)->score;
	threshold = last / 3;
	for (p = t->parent; is_elem(p) && !tag_is(p, "body"); p = p->parent) {
		if ((ni = info(p)) == NULL || !ni->candidate)
			continue;
		ps = ni->score;
		if (ps < threshold)
			break;
		if (ps > last) {
			t = p;
			break;
		}
		last = ps;
	}
	/* An only child is as good as its parent, which has the siblings. */
	for (p = t->parent; is_elem(p) && !tag_is(p, "body") &&
	    count_elem_children(p) == 1; p = p->parent)
		t = p;
	init_candidate(cx, t, NULL);
	return t;
}

/* Paragraph-like siblings worth keeping with the top block. */
static bool
sibling_belongs(struct ctx *cx, xmlNode *top, xmlNode *s)
{
	const struct ninfo *ti = info(top), *si = info(s);
	double bonus = 0, threshold = fmax(10, ti->score * 0.2), ld;
	const char *tc = html_attr(top, "class"), *sc = html_attr(s, "class");
	char *text;
	bool ok;
	int len;

	if (tc != NULL && tc[0] != '\0' && sc != NULL && strcmp(tc, sc) == 0)
		bonus += ti->score * 0.2;
	if (si != NULL && si->candidate && si->score + bonus >= threshold)
		return true;
	if (!tag_is(s, "p") || si == NULL)
		return false;
	ld = link_density(s);
	len = si->text;
	if (len > 80 && ld < 0.25)
		return true;
	if (len >= 80 || len == 0 || ld != 0)
		return false;
	/* A short paragraph that ends a sentence. */
	text = inner_text(s);
	ok = strstr(text, ". ") != NULL || (text[0] != '\0' &&
	    text[strlen(text) - 1] == '.');
	free(text);
	return ok;
}

static xmlNode *
gather_siblings(struct ctx *cx, xmlNode *top)
{
	xmlNode *art, *parent = top->parent, *s, *next;

	art = xmlNewDocNode(top->doc, NULL, (const xmlChar *)"div", NULL);
	for (s = first_elem(parent); s != NULL; s = next) {
		next = next_elem(s);
		if (s != top && !sibling_belongs(cx, top, s))
			continue;
		xmlUnlinkNode(s);
		xmlAddChild(art, s);
	}
	/* Keep the container in the document so it is freed with it. */
	xmlAddChild(parent, art);
	return art;
}

/* ---- cleaning the article ---- */

/* Every element named tag below root, in document order. */
static void
collect_tag(xmlNode *root, const char *tag, struct nodelist *l)
{
	xmlNode *n = first_elem(root);

	l->n = 0;
	while (n != NULL) {
		if (tag_is(n, tag))
			nodelist_push(l, n);
		n = next_node(n, root, false);
	}
}

static bool
is_table_part(const xmlNode *n)
{
	static const char *const tags[] = {
		"col", "colgroup", "tfoot", "thead", "th", NULL,
	};

	return tag_in(n, tags);
}

static bool
is_table(const xmlNode *n)
{
	return tag_is(n, "table");
}

/* A table of data, not one laying out the page. */
static bool
is_data_table(xmlNode *t)
{
	const char *v;
	xmlNode *c, *r;
	size_t rows = 0, cols = 0, k, seen;

	if ((v = html_attr(t, "role")) != NULL && strcmp(v, "presentation") == 0)
		return false;
	if ((v = html_attr(t, "datatable")) != NULL && strcmp(v, "0") == 0)
		return false;
	if (html_attr(t, "summary") != NULL)
		return true;
	for (c = first_elem(t); c != NULL; c = next_elem(c))
		if (tag_is(c, "caption") && c->children != NULL)
			return true;
	/* Bounded: a table is judged by its first few thousand nodes. */
	if (subtree_any_within(t, is_table_part, 4096))
		return true;
	if (subtree_any_within(t, is_table, 4096))
		return false;
	r = first_elem(t);
	for (seen = 0; r != NULL && seen < 4096; seen++) {
		if (tag_is(r, "tr")) {
			rows++;
			k = 0;
			for (c = first_elem(r); c != NULL; c = next_elem(c))
				if (tag_is(c, "td"))
					k++;
			if (k > cols)
				cols = k;
		}
		r = next_node(r, t, tag_is(r, "tr"));
	}
	if (rows == 1 || cols == 1)
		return false;
	if (rows >= 10 || cols > 4)
		return true;
	return rows * cols > 10;
}

static void
mark_data_tables(xmlNode *art, struct nodelist *l)
{
	size_t i;

	collect_tag(art, "table", l);
	for (i = 0; i < l->n; i++)
		if (info(l->v[i]) != NULL)
			info(l->v[i])->datatable = is_data_table(l->v[i]);
}

/*
 * Notes on every element below art which of its ancestors are code,
 * figures or data tables: one pass instead of a walk up per question.
 */
static void
mark_within(xmlNode *art)
{
	xmlNode *n = first_elem(art);
	struct ninfo *ni, *pi;
	unsigned w;

	while (n != NULL) {
		if ((ni = info(n)) != NULL) {
			w = 0;
			if ((pi = info(n->parent)) != NULL) {
				w = pi->within;
				if (tag_is(n->parent, "code") ||
				    tag_is(n->parent, "pre"))
					w |= WITHIN_CODE;
				else if (tag_is(n->parent, "figure"))
					w |= WITHIN_FIGURE;
				else if (tag_is(n->parent, "table") &&
				    pi->datatable)
					w |= WITHIN_DATATABLE;
			}
			ni->within = w;
		}
		n = next_node(n, art, false);
	}
}

/* Readability's verdict on a box with few commas. */
static bool
should_remove(struct ctx *cx, xmlNode *n, const char *tag)
{
	const struct ninfo *ni = info(n);
	bool is_list = strcmp(tag, "ul") == 0 || strcmp(tag, "ol") == 0;
	bool remove, in_figure;
	int weight, p, img, li, input;
	double ld, heading;
	xmlNode *c;

	if (ni == NULL)
		return false;
	if (!is_list && ni->text > 0)
		is_list = (double)ni->list / ni->text > 0.9;
	if (strcmp(tag, "table") == 0 && ni->datatable)
		return false;
	if ((ni->within & (WITHIN_DATATABLE | WITHIN_CODE)) ||
	    has_kept_content(n))
		return false;
	weight = class_weight(cx, n);
	if (weight < 0)
		return true;
	if (ni->commas >= 10)
		return false;
	p = ni->n_p - tag_is(n, "p");
	img = ni->n_img;
	li = ni->n_li - tag_is(n, "li") - 100;
	input = ni->n_input;
	heading = ni->text > 0 ? (double)ni->heading / ni->text : 0;
	ld = link_density(n);
	in_figure = (ni->within & WITHIN_FIGURE) != 0;
	remove = (img > 1 && (double)p / img < 0.5 && !in_figure) ||
	    (!is_list && li > p) ||
	    (input > p / 3) ||
	    (!is_list && heading < 0.9 && ni->text < 25 &&
	    (img == 0 || img > 2) && !in_figure) ||
	    (!is_list && weight < 25 && ld > 0.2) ||
	    (weight >= 25 && ld > 0.5);
	if (is_list && remove) {
		/* A plain list of images stays. */
		for (c = first_elem(n); c != NULL; c = next_elem(c))
			if (count_elem_children(c) > 1)
				return true;
		if (img == ni->n_li)
			return false;
	}
	return remove;
}

static void
clean_conditionally(struct ctx *cx, xmlNode *art, const char *tag,
    struct nodelist *l)
{
	size_t i;

	if (!(cx->flags & FLAG_CLEAN_CONDITIONALLY))
		return;
	collect_tag(art, tag, l);
	/* Backwards: inner boxes go before their outer ones are judged. */
	for (i = l->n; i > 0; i--)
		if (should_remove(cx, l->v[i - 1], tag))
			remove_counted(l->v[i - 1]);
}

static void
clean_tag(xmlNode *art, const char *tag, struct nodelist *l)
{
	size_t i;

	collect_tag(art, tag, l);
	for (i = l->n; i > 0; i--)
		remove_counted(l->v[i - 1]);
}

/* Share bars and the like below each top-level block, if short. */
static void
clean_share(xmlNode *art)
{
	xmlNode *top, *n, *next;
	char ms[512];

	for (top = first_elem(art); top != NULL; top = next_elem(top)) {
		n = first_elem(top);
		while (n != NULL) {
			match_string(n, ms, sizeof(ms));
			if (is_share(ms) && info(n) != NULL &&
			    info(n)->text < CHAR_THRESHOLD) {
				next = next_node(n, top, true);
				remove_counted(n);
				n = next;
				continue;
			}
			n = next_node(n, top, false);
		}
	}
}

static void
prep_article(struct ctx *cx, xmlNode *art)
{
	struct nodelist l = { 0 };
	size_t i;
	xmlNode *n;
	struct ninfo *ni;

	compute_stats(cx, art);
	mark_data_tables(art, &l);
	mark_within(art);
	clean_conditionally(cx, art, "form", &l);
	clean_conditionally(cx, art, "fieldset", &l);
	clean_tag(art, "footer", &l);
	clean_tag(art, "aside", &l);
	clean_share(art);
	clean_tag(art, "input", &l);
	/* Headings the page marks as not content. */
	for (i = 1; i <= 2; i++) {
		collect_tag(art, i == 1 ? "h1" : "h2", &l);
		for (; l.n > 0; l.n--)
			if (class_weight(cx, l.v[l.n - 1]) < 0)
				remove_counted(l.v[l.n - 1]);
	}
	clean_conditionally(cx, art, "table", &l);
	clean_conditionally(cx, art, "ul", &l);
	clean_conditionally(cx, art, "div", &l);
	collect_tag(art, "h1", &l);
	for (i = 0; i < l.n; i++)
		rename_node(l.v[i], "h2");
	/* Paragraphs left empty. */
	collect_tag(art, "p", &l);
	for (i = l.n; i > 0; i--) {
		n = l.v[i - 1];
		if ((ni = info(n)) != NULL && ni->n_img == 0 &&
		    ni->n_embed == 0 && ni->text == 0) {
			char *t = inner_text(n);

			if (t[0] == '\0')
				remove_counted(n);
			free(t);
		}
	}
	free(l.v);
}

/* ---- boilerplate inside the article ---- */

/*
 * Words of class and id names (split at punctuation and camelCase, lower
 * case) that name page furniture rather than article text.  A word
 * matches a token it starts ("subscri" matches "subscribe-box").
 */
static const char *const furniture_words[] = {
	"share", "sharing", "social", "related", "newsletter", "subscri",
	"signup", "promo", "cookie", "consent", "gdpr", "breadcrumb",
	"comment", "disqus", "advert", "sponsor", "outbrain", "taboola",
	"recommend", "readmore", "paywall", "donat", "popup", "modal",
	"taglist", "tagcloud", "keywords", "rating", "print", "copyright",
	"trending", "popular", "most-read", "mostread", "rollover", "tooltip",
	"hovercard", "popover", NULL,
};
/* Whole tokens only. */
static const char *const furniture_tokens[] = {
	"ad", "ads", "tag", "tags", "topics", "adsense", "banner", NULL,
};
/*
 * Navigation: furniture when it is mostly links (a MathJax container is
 * "CtxtMenu_Attached" but no menu).
 */
static const char *const nav_words[] = {
	"sidebar", "widget", "toolbar", "pagination", "pager", "footer",
	"follow", NULL,
};
static const char *const nav_tokens[] = {
	"nav", "menu", "also", "more", NULL,
};
/* Furniture only when short: metadata lines around the text. */
static const char *const meta_words[] = {
	"byline", "author", "dateline", "timestamp", "date", "time",
	"published", "updated", "caption", "credit", "meta", "kicker",
	"eyebrow", "category", "categories", "label", "source", "info",
	"posted", NULL,
};
static const char *const author_words[] = { "author", "writer", NULL };
static const char *const author_box_tokens[] = {
	"bio", "box", "about", "info", "details", "description", "profile",
	"card", NULL,
};
static const char *const content_words[] = {
	"content", "article", "body", "entry", "story", "text", "main",
	"post", NULL,
};

struct tokens {
	char	 buf[256];
	char	*v[32];
	size_t	 n;
};

/* Number of words in a hyphenated or underscored name. */
static size_t
slug_words(const char *s)
{
	size_t n = 1;

	for (; *s != '\0'; s++)
		if (*s == '-' || *s == '_')
			n++;
	return n;
}

/* Splits class and id of n into lower-case words. */
static void
class_tokens(const xmlNode *n, struct tokens *t)
{
	const char *names[2] = { html_attr(n, "class"), html_attr(n, "id") };
	size_t o = 0, i;
	const char *p;
	bool in = false;

	t->n = 0;
	for (i = 0; i < 2; i++) {
		if (names[i] == NULL)
			continue;
		/*
		 * An id of many words is a slug made from a heading
		 * ("sharing-with-a-single-developer"), not a role.
		 */
		if (i == 1 && slug_words(names[i]) >= 3)
			continue;
		for (p = names[i]; *p != '\0' && o + 2 < sizeof(t->buf); p++) {
			unsigned char c = (unsigned char)*p;
			bool alnum = isalnum(c);
			bool hump = in && isupper(c) && p > names[i] &&
			    islower((unsigned char)p[-1]);

			if (!alnum || hump) {
				if (in) {
					t->buf[o++] = '\0';
					in = false;
				}
				if (!alnum)
					continue;
			}
			if (!in) {
				if (t->n == ARRAY_SIZE(t->v))
					break;
				t->v[t->n++] = t->buf + o;
				in = true;
			}
			t->buf[o++] = (char)tolower(c);
		}
		if (in) {
			t->buf[o++] = '\0';
			in = false;
		}
	}
	t->buf[o] = '\0';
}

static bool
tokens_match(const struct tokens *t, const char *const *prefixes,
    const char *const *whole)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		for (k = 0; prefixes != NULL && prefixes[k] != NULL; k++)
			if (str_has_prefix(t->v[i], prefixes[k]))
				return true;
		for (k = 0; whole != NULL && whole[k] != NULL; k++)
			if (strcmp(t->v[i], whole[k]) == 0)
				return true;
	}
	return false;
}

/* What the class/id of n says it is. */
enum furniture { FURN_NONE, FURN_META, FURN_BOX };

static enum furniture
furniture_kind(const xmlNode *n, int text, int article_text)
{
	struct tokens t;
	bool content;

	class_tokens(n, &t);
	if (t.n == 0)
		return FURN_NONE;
	content = tokens_match(&t, content_words, NULL);
	if (tokens_match(&t, furniture_words, furniture_tokens) ||
	    (tokens_match(&t, nav_words, nav_tokens) &&
	    link_density(n) > 0.3)) {
		/* A box holding most of the article is the article. */
		if (text * 2 > article_text || (content && text >= 300))
			return FURN_NONE;
		return FURN_BOX;
	}
	if (tokens_match(&t, meta_words, NULL) && text < 200)
		return FURN_META;
	/* "About the author" boxes. */
	if (tokens_match(&t, author_words, NULL) &&
	    tokens_match(&t, NULL, author_box_tokens) &&
	    text * 2 <= article_text)
		return FURN_BOX;
	return FURN_NONE;
}

/*
 * Removes page furniture the article picked up: share bars, related and
 * newsletter boxes, tag lists, comment sections, and short metadata lines
 * (dates, bylines) the page marks as such.
 */
static void
trim_furniture(xmlNode *art)
{
	xmlNode *n, *next;
	int total = info(art) != NULL ? info(art)->text : 0;

	n = first_elem(art);
	while (n != NULL) {
		/* A link's class says how it behaves ("popup"), not what. */
		if (info(n) != NULL && !tag_is(n, "body") && !tag_is(n, "a") &&
		    furniture_kind(n, info(n)->text, total) != FURN_NONE &&
		    !has_kept_content(n)) {
			next = next_node(n, art, true);
			remove_counted(n);
			n = next;
			continue;
		}
		n = next_node(n, art, false);
	}
}

/* ---- boilerplate blocks, by their words ---- */

/* Whole blocks that are only a label of page furniture. */
static const char *const label_texts[] = {
	"advertisement", "advert", "ad", "ads", "sponsored", "anzeige",
	"publicidad", "publicité", "publicidade", "werbung",
	"skip to content", "skip to main content", "comments", "comment",
	"tags", "share", "share this", "share this article", "share this story",
	"print", "email", "e-mail", "tweet", "close", "menu", "search",
	"loading", "related", "related articles", "related stories",
	"related posts", "related content", "more", "read more",
	"continue reading", "show more", "load more", "see more",
	"this slideshow requires javascript", "featured", "trending",
	"popular", "most popular", "most read", "recommended",
	"recommended for you", "you may also like", "you might also like",
	"don't miss", "don\xe2\x80\x99t miss", "newsletter", "subscribe",
	"sign up", "follow us", "listen", "watch", "video", "photos",
	"gallery", "top stories", "latest news", "more stories",
	"more from", "leia mais", "leia tamb\xc3\xa9m", "veja tamb\xc3\xa9m",
	"lesen sie auch", "mehr zum thema", "lire aussi", "lee tambi\xc3\xa9n",
	"ver tambi\xc3\xa9n", "next article", "previous article",
	"back to top", "back", "go back", "tell us what you think",
	"what do you think", "leave a comment", "leave a reply",
	"post a comment", "add a comment", "join the discussion",
	"join the conversation", "voltar", "zur\xc3\xbc" "ck",
	"retour", "volver", "torna indietro", NULL,
};

/* Short blocks starting so are pointers elsewhere, tags or notices. */
static const char *const boiler_prefixes[] = {
	"read more:", "read also", "read next", "see also", "see more:",
	"related:", "related coverage", "more:", "more on this", "don't miss",
	"don\xe2\x80\x99t miss", "also read", "also see", "recommended:",
	"leia tamb\xc3\xa9m", "leia mais:", "veja tamb\xc3\xa9m",
	"lesen sie auch", "lesen sie mehr", "mehr zum thema",
	"lire aussi", "\xc3\xa0 lire aussi", "a lire aussi",
	"lee tambi\xc3\xa9n", "lea tambi\xc3\xa9n", "leer m\xc3\xa1s",
	"ver tambi\xc3\xa9n", "leggi anche", "tags:", "tags ", "tag:",
	"topics:", "filed under", "posted in", "categories:", "category:",
	"share this", "share on", "click to share", "follow us",
	"sign up for", "subscribe to", "advertisement", "photo:",
	"photograph:", "image:", "credit:", "this slideshow", "click here to", "have a tip",
	"get the latest", "watch:", "watch the", "video:", "trending:",
	NULL,
};

/*
 * Words that make a short block a notice: the key word and at least
 * `need` of the others.
 */
static const struct {
	const char	*key;
	int		 need;
	bool		 edge;	/* only among the first or last blocks */
	const char	*words[14];
} notices[] = {
	/* Cookie and consent banners. */
	{ "cookie", 1, false, { "we use", "this site", "this website", "our site",
	    "our website", "you agree", "you consent", "accept",
	    "by continuing", "continue to use", "privacy policy",
	    "cookie policy", "cookie settings", NULL } },
	/* Newsletter and subscription pitches. */
	{ "newsletter", 1, false, { "sign up", "subscribe", "inbox", "delivered",
	    NULL } },
	{ "subscri", 1, false, { "inbox", "unlimited access",
	    "digital access", "subscribe now", "subscribe today", NULL } },
	/* Comment policies, in a few languages. */
	{ "comment", 2, true, { "moderat", "policy", "guideline", "approv",
	    "respect", "offensive", "civil", "rules", "reserve the right",
	    "inappropriate", "abusive", "off-topic", "terms", NULL } },
	{ "coment", 2, true, { "moderad", "pol\xc3\xadtica", "aprovad", "respeit",
	    "respet", "ofens", "regras", "normas", "termos", "t\xc3\xa9rminos",
	    NULL } },
	{ "komment", 2, true, { "moderat", "richtlinien", "regeln", "netiquette",
	    "beleidig", "freigeschaltet", NULL } },
	{ "commentaire", 2, true, { "mod\xc3\xa9r", "charte", "respect",
	    "injurieu", "r\xc3\xa8gles", NULL } },
	/* Affiliate-link disclosures. */
	{ "affiliate", 1, false, { "link", "commission", "disclosure",
	    "earn", NULL } },
	/* Contact lines under the article. */
	{ "reached at", 1, true, { "@", "email", "twitter", NULL } },
	{ "follow him on", 0, true, { NULL } },
	{ "follow her on", 0, true, { NULL } },
	{ "follow them on", 0, true, { NULL } },
	{ "follow us on", 0, true, { NULL } },
	{ "news tip", 0, true, { NULL } },
};

/* Lower case for ASCII letters, in place. */
static void
ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* s without trailing punctuation and spaces, compared with a label. */
static bool
is_label(const char *s)
{
	size_t n = strlen(s), i;

	while (n > 0 && (strchr(" .:!?|>\xc2\xbb\xe2\x80\xa6", s[n - 1]) !=
	    NULL || (unsigned char)s[n - 1] >= 0x80)) {
		/* Drop a trailing "..." or "»" (UTF-8, byte by byte). */
		if ((unsigned char)s[n - 1] >= 0x80 && !(n >= 3 &&
		    memcmp(s + n - 3, "\xe2\x80\xa6", 3) == 0) && !(n >= 2 &&
		    memcmp(s + n - 2, "\xc2\xbb", 2) == 0))
			break;
		n--;
	}
	for (i = 0; label_texts[i] != NULL; i++)
		if (strlen(label_texts[i]) == n &&
		    strncmp(s, label_texts[i], n) == 0)
			return true;
	return false;
}

static bool
is_notice(const char *s, bool edge)
{
	size_t i, k;
	int hits;

	for (i = 0; i < ARRAY_SIZE(notices); i++) {
		if ((notices[i].edge && !edge) ||
		    strstr(s, notices[i].key) == NULL)
			continue;
		hits = 0;
		for (k = 0; k < ARRAY_SIZE(notices[i].words) &&
		    notices[i].words[k] != NULL; k++)
			if (strstr(s, notices[i].words[k]) != NULL)
				hits++;
		if (hits >= notices[i].need)
			return true;
	}
	return false;
}

static size_t
word_count(const char *s)
{
	return count_words(s);
}

/* Words of the line above or below a headline that gives its details. */
static size_t
meta_words_in(const char *s)
{
	static const char *const words[] = {
		"published", "updated", "posted", "modified", "by ",
		"publicado", "atualizado", "actualizado", "por ",
		"ver\xc3\xb6" "ffentlicht", "aktualisiert", "von ", "publi\xc3\xa9",
		"mis \xc3\xa0 jour", "pubblicato", "aggiornato", "category",
		"categoria", "tags", "author", "autor", NULL,
	};
	size_t i, n = 0;

	for (i = 0; words[i] != NULL; i++)
		if (strstr(s, words[i]) != NULL)
			n++;
	return n;
}

/* A line that is a date or time and little else (a dateline). */
static bool
is_dateline(const char *s)
{
	size_t words = 0, digits = 0, n;
	bool year = false, clock = false, in = false, dig = false;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (isspace((unsigned char)*p) || *p == ',' || *p == '|') {
			if (in) {
				words++;
				digits += dig;
			}
			in = dig = false;
			continue;
		}
		in = true;
		if (isdigit((unsigned char)*p)) {
			dig = true;
			if ((p[0] == '1' && p[1] == '9') || (p[0] == '2' &&
			    p[1] == '0'))
				if (isdigit((unsigned char)p[2]) &&
				    isdigit((unsigned char)p[3]) &&
				    !isdigit((unsigned char)p[4]) &&
				    (p == s || !isdigit((unsigned char)p[-1])))
					year = true;
			if (p[1] == ':' && isdigit((unsigned char)p[2]))
				clock = true;
		}
	}
	if (in) {
		words++;
		digits += dig;
	}
	if (words > 20 || !(year || clock))
		return false;
	/* Mostly numbers, or dates with the words that go with them. */
	if (digits >= 2 && digits * 5 >= words)
		return true;
	n = meta_words_in(s);
	return n >= 2 || (n == 1 && words <= 8);
}

/*
 * A photo caption that ends with its credit in parentheses: "... (AP
 * Photo/Jane Roe)", "(Image: Getty)".
 */
static bool
is_credit_caption(const char *s)
{
	static const char *const words[] = {
		"photo", "image", "getty", "credit", "reuters", "afp",
		"shutterstock", "istock", "courtesy", "file", "picture", "foto",
		"bild", NULL,
	};
	const char *open;
	size_t n = strlen(s), i;

	if (n < 2 || s[n - 1] != ')' || (open = strrchr(s, '(')) == NULL)
		return false;
	for (i = 0; words[i] != NULL; i++)
		if (strstr(open, words[i]) != NULL)
			return true;
	return false;
}

/* "Tags: a, b, c ..." however long the list. */
static bool
is_tag_list(const char *s)
{
	static const char *const heads[] = {
		"tags", "tag:", "topics:", "keywords:", "schlagw", "etiquetas",
		"palavras-chave", "mots-cl", NULL,
	};
	const char *p;
	size_t i, commas = 0;

	for (i = 0; heads[i] != NULL; i++)
		if (str_has_prefix(s, heads[i]))
			break;
	if (heads[i] == NULL)
		return false;
	for (p = s; *p != '\0'; p++)
		if (*p == ',' || *p == '|' || *p == '#')
			commas++;
	return commas >= 3;
}

static bool
is_byline_text(const char *s)
{
	static const char *const by[] = {
		"by ", "por ", "von ", "par ", "door ", "di ", "av ", "af ",
		"written by", "posted by", "escrito por", NULL,
	};
	size_t i;

	if (word_count(s) > 8)
		return false;
	for (i = 0; by[i] != NULL; i++)
		if (str_has_prefix(s, by[i]))
			return true;
	return false;
}

static bool
is_text_block(const xmlNode *n)
{
	static const char *const tags[] = {
		"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd",
		"blockquote", "pre", "td", "th", "div", "section", "address",
		"figcaption", "summary", "header", "footer", "article",
		"aside", "nav", "ul", "ol", "dl", "table", "tr", "figure",
		"center", "main", "details", "fieldset", "form", "caption",
		"hgroup", NULL,
	};

	return tag_in(n, tags);
}

static bool
is_inner_block(const xmlNode *n)
{
	return html_is_block((const char *)n->name) || tag_is(n, "li") ||
	    tag_is(n, "td") || tag_is(n, "th");
}

/* Blocks with no block inside: the paragraphs of the article. */
static void
collect_leaf_blocks(xmlNode *art, struct nodelist *l)
{
	xmlNode *n = first_elem(art);

	l->n = 0;
	while (n != NULL) {
		if (is_text_block(n) && info(n) != NULL &&
		    info(n)->n_blocks == 0) {
			nodelist_push(l, n);
			n = next_node(n, art, true);
			continue;
		}
		n = next_node(n, art, false);
	}
}

/* Removes a block and any ancestor it leaves without text. */
static void
remove_block(xmlNode *n, xmlNode *art)
{
	xmlNode *p;

	for (p = n->parent; p != art && is_elem(p) && info(p) != NULL &&
	    info(n) != NULL && info(p)->text == info(n)->text &&
	    info(p)->n_img == 0; p = p->parent)
		n = p;
	remove_counted(n);
}

/*
 * Cuts blocks whose words mark them as furniture: labels ("Advertisement",
 * "Share"), pointers elsewhere ("Read also: ..."), tag lists, cookie,
 * newsletter and comment-policy notices, copyright and contact lines;
 * at the start and end of the article, also datelines and bylines.
 */
static void
trim_boilerplate(xmlNode *art)
{
	struct nodelist l = { 0 };
	char **texts;
	size_t i, k, first = 0, last, n_text;

	collect_leaf_blocks(art, &l);
	if (l.n == 0) {
		free(l.v);
		return;
	}
	texts = xcalloc(l.n, sizeof(*texts));
	for (i = 0; i < l.n; i++) {
		texts[i] = inner_text(l.v[i]);
		ascii_lower(texts[i]);
	}
	/* Edges: the first and last three blocks that have text. */
	for (n_text = 0, i = 0; i < l.n; i++)
		if (texts[i][0] != '\0')
			n_text++;
	last = n_text;
	for (k = 0, i = 0; i < l.n; i++) {
		const char *t = texts[i];
		size_t len = strlen(t);
		bool edge, cut = false;

		if (t[0] == '\0')
			continue;
		edge = k < 3 || k + 3 >= last;
		(void)first;
		k++;
		if (has_kept_content(l.v[i]))
			continue;
		if (len < 60 && is_label(t))
			cut = true;
		else if (len < 250) {
			size_t j;

			for (j = 0; boiler_prefixes[j] != NULL; j++)
				if (str_has_prefix(t, boiler_prefixes[j])) {
					cut = true;
					break;
				}
		} else if (len < 600 && is_tag_list(t))
			cut = true;
		if (!cut && len < 400 && is_notice(t, edge))
			cut = true;
		if (!cut && edge && len < 200 && (is_dateline(t) ||
		    (k <= 3 && is_byline_text(t))))
			cut = true;
		if (!cut && len < 400 && is_credit_caption(t))
			cut = true;
		/*
		 * A paragraph that is all link: a headline pointing to
		 * another page.  (List items and cells of links can be
		 * content: sources, products, results.)
		 */
		if (!cut && len < 200 && info(l.v[i]) != NULL &&
		    link_density(l.v[i]) >= 0.9 && !tag_is(l.v[i], "li") &&
		    !tag_is(l.v[i], "td") && !tag_is(l.v[i], "dd") &&
		    !tag_is(l.v[i], "dt"))
			cut = true;
		if (cut)
			remove_block(l.v[i], art);
	}
	for (i = 0; i < l.n; i++)
		free(texts[i]);
	free(texts);
	free(l.v);
}

/* Captions and figures: kept in the HTML, not part of the text. */
static bool
is_caption(const xmlNode *n)
{
	struct tokens t;
	static const char *const words[] = { "caption", "credit", NULL };

	if (tag_is(n, "figcaption") || tag_is(n, "figure") ||
	    tag_is(n, "picture"))
		return true;
	class_tokens(n, &t);
	return tokens_match(&t, words, NULL);
}

static void
strip_captions(xmlNode *art)
{
	xmlNode *n = first_elem(art), *next;

	while (n != NULL) {
		if (is_caption(n)) {
			next = next_node(n, art, true);
			remove_node(n);
			n = next;
			continue;
		}
		n = next_node(n, art, false);
	}
}

/* ---- driver ---- */

/* Binary data is not worth parsing: image, archive, PDF, NULs. */
static bool
is_binary(const char *data, size_t len)
{
	static const struct {
		const char	*magic;
		size_t		 len;
	} magics[] = {
		{ "%PDF-", 5 }, { "\x89PNG", 4 }, { "GIF8", 4 },
		{ "\xff\xd8\xff", 3 }, { "PK\x03\x04", 4 }, { "\x1f\x8b", 2 },
		{ "BZh", 3 }, { "\xfd" "7zXZ", 5 }, { "RIFF", 4 },
		{ "\x7f" "ELF", 4 }, { "OggS", 4 }, { "ID3", 3 },
	};
	const unsigned char *u = (const unsigned char *)data;
	size_t i, nul = 0, ctl = 0, n = len < 1024 ? len : 1024;

	for (i = 0; i < ARRAY_SIZE(magics); i++)
		if (len >= magics[i].len &&
		    memcmp(data, magics[i].magic, magics[i].len) == 0)
			return true;
	/* UTF-16 text has NULs in every other byte. */
	if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) ||
	    (u[0] == 0xfe && u[1] == 0xff)))
		return false;
	for (i = 0; i < n; i++) {
		if (u[i] == 0)
			nul++;
		else if (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' &&
		    u[i] != '\r' && u[i] != '\f' && u[i] != 0x1b)
			ctl++;
	}
	return nul > 0 || ctl * 10 > n;
}

static xmlNode *
find_body(htmlDocPtr doc)
{
	xmlNode *root = xmlDocGetRootElement(doc), *c;

	if (root == NULL)
		return NULL;
	for (c = first_elem(root); c != NULL; c = next_elem(c))
		if (tag_is(c, "body"))
			return c;
	return root;
}

/* Clears _private everywhere: the infos it points to are about to go. */
static bool
clear_private_cb(xmlNode *n, void *arg)
{
	(void)arg;
	n->_private = NULL;
	return n->children != NULL && (is_elem(n) ||
	    n->type == XML_HTML_DOCUMENT_NODE);
}

struct attempt {
	htmlDocPtr	 doc;
	xmlNode		*art;
	int		 text;
	double		 link_density;
};

/* An "article" mostly of links is a page of navigation, not an article. */
#define MAX_ARTICLE_LINK_DENSITY	0.5

/* One grab pass over a fresh parse; returns its article container. */
static xmlNode *
grab_once(struct ctx *cx, htmlDocPtr doc)
{
	struct nodelist score = { 0 }, cands = { 0 };
	xmlNode *root = xmlDocGetRootElement(doc), *body, *top, *art;

	if (root == NULL || (body = find_body(doc)) == NULL) {
		return NULL;
	}
	compute_stats(cx, (xmlNode *)doc);
	grab_walk(cx, root, &score);
	compute_stats(cx, (xmlNode *)doc);
	score_blocks(cx, &score, &cands);
	top = pick_top(cx, body, &cands);
	art = gather_siblings(cx, top);
	prep_article(cx, art);
	trim_furniture(art);
	trim_boilerplate(art);
	free(score.v);
	free(cands.v);
	return art;
}

/* Parses and prepares a page; the first time, reads its metadata too. */
static htmlDocPtr
parse_prepared(const char *utf8, size_t len, struct meta *m)
{
	htmlDocPtr doc = html_parse_decoded(utf8, len);

	if (doc != NULL) {
		/* Before preparing: that drops <meta> and scripts. */
		if (m != NULL)
			collect_meta(m, doc);
		flatten_deep((xmlNode *)doc);
		prepare_tree((xmlNode *)doc);
	}
	return doc;
}

static void
article_set_text(struct article *a, struct ctx *cx, xmlNode *art,
    const char *url)
{
	struct buf b = { 0 };

	buf_puts(&b, "");
	if (art != NULL)
		html_node_text(&b, art);
	a->text = buf_take(&b);
	buf_puts(&b, "");
	if (art != NULL && a->text[0] != '\0')
		sanitize_node(&b, art, url);
	a->html = buf_take(&b);
	if (art != NULL) {
		strip_captions(art);
		buf_puts(&b, "");
		html_node_text(&b, art);
		free(a->text);
		a->text = buf_take(&b);
	}
}

/*
 * The cross-check with JSON-LD: a page that declares an articleBody much
 * longer than what the HTML gave (a page its scripts fill in) gets that
 * body as its text, one paragraph per line.
 */
static void
ld_body_fallback(struct article *a, const struct meta *m)
{
	char *text;
	size_t n;

	if (m->ld_body == NULL || (n = strlen(m->ld_body)) < LD_BODY_MIN ||
	    strlen(a->text) * 2 >= n)
		return;
	/* It may hold markup or entities. */
	text = html_to_text(m->ld_body, n);
	if (strlen(text) * 2 < n) {
		free(text);
		return;
	}
	free(a->text);
	a->text = text;
	free(a->html);
	a->html = sanitize_html(m->ld_body, n, NULL);
	str_set(&a->reason, NULL);
}

/* "By Jane Roe" and "by Jane Roe • 2 min read": the name. */
static void
clean_byline(struct article *a)
{
	char *b = a->byline, *cut;
	static const char *const seps[] = {
		" \xe2\x80\xa2 ", " | ", " \xc2\xb7 ", NULL,
	};
	size_t i;

	if (b == NULL)
		return;
	if (strncasecmp(b, "by ", 3) == 0)
		memmove(b, b + 3, strlen(b + 3) + 1);
	for (i = 0; seps[i] != NULL; i++)
		if ((cut = strstr(b, seps[i])) != NULL)
			*cut = '\0';
	squeeze(b);
	if (b[0] == '\0')
		str_set(&a->byline, NULL);
}

int
extract_article(const char *data, size_t len, const struct extract_opts *opts,
    struct article **ret, char **ret_err)
{
	static const unsigned passes[] = {
		FLAG_STRIP_UNLIKELY | FLAG_WEIGHT_CLASSES |
		    FLAG_CLEAN_CONDITIONALLY,
		FLAG_WEIGHT_CLASSES | FLAG_CLEAN_CONDITIONALLY,
		FLAG_CLEAN_CONDITIONALLY,
		0,
	};
	struct ctx cx = { 0 };
	struct meta m = { 0 };
	struct article *a;
	struct attempt best = { 0 };
	struct buf u = { 0 };
	const char *charset;
	htmlDocPtr doc;
	xmlNode *art;
	size_t i;
	int text;
	double ld;

	if (data == NULL) {
		if (ret_err != NULL)
			*ret_err = xstrdup("no page");
		return -1;
	}
	a = xcalloc(1, sizeof(*a));
	cx.url = opts != NULL ? opts->url : NULL;
	if (len > EXTRACT_MAX_INPUT)
		len = EXTRACT_MAX_INPUT;
	if (is_binary(data, len)) {
		article_set_text(a, &cx, NULL, NULL);
		a->reason = xstrdup("not an HTML page: binary data");
		*ret = a;
		return 0;
	}
	charset = html_sniff_charset(data, len, opts != NULL ?
	    opts->content_type : NULL);
	html_decode(&u, data, len, charset);
	buf_puts(&u, "");

	for (i = 0; i < ARRAY_SIZE(passes); i++) {
		/* A huge page gets the strictest and the loosest pass only. */
		if (i > 0 && i + 1 < ARRAY_SIZE(passes) &&
		    cx.elements > BIG_PAGE_ELEMENTS)
			continue;
		if ((doc = parse_prepared(u.data, u.len, i == 0 ? &m :
		    NULL)) == NULL)
			break;
		if (i == 0) {
			a->title = pick_title(&m);
			cx.title = a->title;
		}
		cx.flags = passes[i];
		art = grab_once(&cx, doc);
		text = art != NULL && info(art) != NULL ? info(art)->text : 0;
		ld = art != NULL ? link_density(art) : 0;
		html_walk((xmlNode *)doc, clear_private_cb, NULL, NULL);
		infos_free(&cx);
		if (art != NULL && (best.doc == NULL || text > best.text)) {
			if (best.doc != NULL)
				xmlFreeDoc(best.doc);
			best.doc = doc;
			best.art = art;
			best.text = text;
			best.link_density = ld;
		} else
			xmlFreeDoc(doc);
		if (best.text >= CHAR_THRESHOLD)
			break;
	}
	buf_free(&u);

	if (best.link_density > MAX_ARTICLE_LINK_DENSITY) {
		article_set_text(a, &cx, NULL, NULL);
		a->reason = xstrdup("no article: the page is mostly links");
	} else
		article_set_text(a, &cx, best.art, cx.url);
	if (best.doc != NULL)
		xmlFreeDoc(best.doc);
	ld_body_fallback(a, &m);
	if (a->text[0] == '\0' && a->reason == NULL)
		a->reason = xstrdup("no article text found");

	set_once(&a->byline, m.ld_author);
	set_once(&a->byline, m.byline);
	set_once(&a->byline, cx.byline);
	free(cx.byline);
	clean_byline(a);
	a->published = pick_published(&m);
	set_once(&a->lang, m.lang);
	set_once(&a->lang, m.ld_lang);
	meta_free(&m);
	*ret = a;
	return 0;
}

void
article_free(struct article *a)
{
	if (a == NULL)
		return;
	free(a->title);
	free(a->byline);
	free(a->published);
	free(a->lang);
	free(a->text);
	free(a->html);
	free(a->reason);
	free(a);
}
