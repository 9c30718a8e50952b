/*
 * sanitize: allow-list HTML sanitizer over libxml2's HTML tree.  The tree
 * is walked (without recursion) and only what is allowed is written out,
 * so nothing the parser produced reaches the output unless listed here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "parse.h"
#include "sanitize.h"
#include "url.h"
#include "util.h"

enum action {
	ACT_EMIT,	/* element and content */
	ACT_UNWRAP,	/* content only */
	ACT_DROP,	/* neither */
};

/* Elements written out as they are; sorted for bsearch(). */
static const char *const emit_tags[] = {
	"a", "abbr", "address", "article", "aside", "b", "bdi", "bdo",
	"blockquote", "br", "caption", "cite", "code", "col", "colgroup",
	"dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
	"figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
	"hgroup", "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "nav",
	"ol", "p", "picture", "pre", "q", "rp", "rt", "ruby", "s", "samp",
	"section", "small", "source", "span", "strong", "sub", "summary", "sup",
	"table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
	"var", "wbr",
};

/* Elements dropped with everything in them; sorted. */
static const char *const drop_tags[] = {
	"applet", "area", "audio", "base", "basefont", "bgsound", "button",
	"canvas", "datalist", "dialog", "embed", "frame", "frameset", "head",
	"iframe", "input", "isindex", "keygen", "link", "map", "math", "meta",
	"noembed", "noframes", "noscript", "object", "optgroup", "option",
	"output", "param", "portal", "script", "select", "style", "svg",
	"template", "textarea", "title", "track", "video", "xml",
};

/* Attributes allowed on every emitted element. */
static const char *const global_attrs[] = { "dir", "lang", "title" };

static const struct {
	const char	*tag;
	const char	*attr;
} tag_attrs[] = {
	{ "a", "href" },
	{ "blockquote", "cite" }, { "q", "cite" },
	{ "del", "cite" }, { "del", "datetime" },
	{ "ins", "cite" }, { "ins", "datetime" },
	{ "time", "datetime" },
	{ "img", "src" }, { "img", "alt" }, { "img", "width" },
	{ "img", "height" }, { "img", "srcset" }, { "img", "sizes" },
	{ "source", "srcset" }, { "source", "sizes" }, { "source", "media" },
	{ "source", "type" },
	{ "td", "colspan" }, { "td", "rowspan" }, { "td", "headers" },
	{ "th", "colspan" }, { "th", "rowspan" }, { "th", "headers" },
	{ "th", "scope" },
	{ "col", "span" }, { "colgroup", "span" },
	{ "ol", "start" }, { "ol", "reversed" }, { "ol", "type" },
	{ "li", "value" },
	{ "details", "open" },
};

/* Where lazy-loading scripts keep an image's real source. */
static const char *const lazy_src_attrs[] = {
	"data-src", "data-lazy-src", "data-original", "data-lazy",
	"data-url", "data-hi-res-src", "data-native-src",
};
static const char *const lazy_srcset_attrs[] = {
	"data-srcset", "data-lazy-srcset",
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
in_sorted(const char *const *table, size_t n, const char *s)
{
	return bsearch(&s, table, n, sizeof(*table), cmp_str) != NULL;
}

static enum action
tag_action(const char *tag)
{
	if (in_sorted(emit_tags, ARRAY_SIZE(emit_tags), tag))
		return ACT_EMIT;
	if (in_sorted(drop_tags, ARRAY_SIZE(drop_tags), tag))
		return ACT_DROP;
	return ACT_UNWRAP;
}

static bool
attr_allowed(const char *tag, const char *attr)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(global_attrs); i++)
		if (strcmp(attr, global_attrs[i]) == 0)
			return true;
	for (i = 0; i < ARRAY_SIZE(tag_attrs); i++)
		if (strcmp(tag, tag_attrs[i].tag) == 0 &&
		    strcmp(attr, tag_attrs[i].attr) == 0)
			return true;
	return false;
}

/* ---- URLs ---- */

/* Spaces and controls, which browsers strip around URLs (not NUL). */
static bool
is_url_space(unsigned char c)
{
	return c != '\0' && c <= 0x20;
}

/*
 * ref as a browser reads it: leading and trailing spaces and controls
 * trimmed, tabs and newlines inside removed (so "java\tscript:" is seen
 * for what it is).
 */
static char *
url_trim(const char *ref)
{
	const char *end;
	struct buf b = { 0 };

	while (*ref != '\0' && is_url_space((unsigned char)*ref))
		ref++;
	end = ref + strlen(ref);
	while (end > ref && is_url_space((unsigned char)end[-1]))
		end--;
	buf_puts(&b, "");
	for (; ref < end; ref++)
		if (*ref != '\t' && *ref != '\n' && *ref != '\r')
			buf_putc(&b, *ref);
	return buf_take(&b);
}

/* Length of the scheme of url (before its ':'), or 0 if it has none. */
static size_t
scheme_len(const char *url)
{
	size_t i;

	if (!((url[0] >= 'a' && url[0] <= 'z') ||
	    (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	for (i = 1; url[i] != '\0'; i++) {
		char c = url[i];

		if (c == ':')
			return i;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 0;
}

static bool
scheme_is(const char *url, const char *scheme)
{
	size_t n = scheme_len(url);

	return n == strlen(scheme) && str_has_prefix_ci(url, scheme);
}

/* A data: URL of a raster image type, which cannot carry script. */
static bool
is_data_image(const char *url)
{
	static const char *const types[] = {
		"data:image/png", "data:image/gif", "data:image/jpeg",
		"data:image/jpg", "data:image/webp", "data:image/avif",
		"data:image/bmp",
	};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		n = strlen(types[i]);
		if (str_has_prefix_ci(url, types[i]) &&
		    (url[n] == ';' || url[n] == ','))
			return true;
	}
	return false;
}

char *
sanitize_url(const char *base_url, const char *ref, const char *attr)
{
	bool href = strcmp(attr, "href") == 0;
	bool src = strcmp(attr, "src") == 0;
	char *t, *abs;

	if (ref == NULL)
		return NULL;
	t = url_trim(ref);
	if (t[0] == '\0') {
		free(t);
		return NULL;
	}
	if (scheme_len(t) > 0) {
		if (src && is_data_image(t))
			return t;
		if (href && scheme_is(t, "mailto"))
			return t;
		if (!scheme_is(t, "http") && !scheme_is(t, "https")) {
			free(t);
			return NULL;
		}
	}
	abs = url_resolve(base_url, t);
	if (abs != NULL) {
		free(t);
		if (url_is_http(abs))
			return abs;
		free(abs);
		return NULL;
	}
	/* Unresolvable: a relative reference stays as it is, nothing else. */
	if (scheme_len(t) > 0 || str_has_prefix(t, "//")) {
		free(t);
		return NULL;
	}
	return t;
}

/*
 * A srcset list with every candidate URL resolved; candidates whose URL is
 * not allowed are left out.  NULL if none is left.  The list is split as
 * the HTML spec's srcset parser does: a URL runs to white space (data:
 * URLs hold commas), its descriptors to the next comma.
 */
static char *
sanitize_srcset(const char *base_url, const char *srcset)
{
	struct buf out = { 0 };
	const char *p = srcset, *u, *ue, *d, *de;
	char *url, *ok;

	while (*p != '\0') {
		while (*p == ',' || is_url_space((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		u = p;
		while (*p != '\0' && !is_url_space((unsigned char)*p))
			p++;
		ue = p;
		d = de = p;
		if (ue > u && ue[-1] == ',') {
			while (ue > u && ue[-1] == ',')
				ue--;
		} else {
			int paren = 0;

			while (*p != '\0' && (paren > 0 || *p != ',')) {
				if (*p == '(')
					paren++;
				else if (*p == ')' && paren > 0)
					paren--;
				p++;
			}
			de = p;
		}
		if (ue == u)
			continue;
		url = xstrndup(u, (size_t)(ue - u));
		ok = sanitize_url(base_url, url, "src");
		free(url);
		if (ok == NULL)
			continue;
		if (out.len > 0)
			buf_puts(&out, ", ");
		html_escape(&out, ok, strlen(ok), true);
		free(ok);
		while (d < de && is_url_space((unsigned char)*d))
			d++;
		while (de > d && is_url_space((unsigned char)de[-1]))
			de--;
		if (de > d) {
			buf_putc(&out, ' ');
			html_escape(&out, d, (size_t)(de - d), true);
		}
	}
	return out.len > 0 ? buf_take(&out) : (buf_free(&out), NULL);
}

/* ---- emitting ---- */

static bool
all_digits(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (s[n] < '0' || s[n] > '9')
			return false;
	return n > 0 && n <= max;
}

/*
 * Appends ` name="value"` with the value checked for its kind; false if
 * the value was refused.
 */
static bool
emit_attr(struct buf *out, const char *name, const char *value,
    const char *base_url)
{
	char *v = NULL;

	if (strcmp(name, "href") == 0 || strcmp(name, "src") == 0 ||
	    strcmp(name, "cite") == 0) {
		if ((v = sanitize_url(base_url, value, name)) == NULL)
			return false;
		value = v;
	} else if (strcmp(name, "srcset") == 0) {
		/* Already escaped by sanitize_srcset(). */
		if ((v = sanitize_srcset(base_url, value)) == NULL)
			return false;
		buf_puts(out, " srcset=\"");
		buf_puts(out, v);
		buf_putc(out, '"');
		free(v);
		return true;
	} else if (strcmp(name, "width") == 0 || strcmp(name, "height") == 0 ||
	    strcmp(name, "colspan") == 0 || strcmp(name, "rowspan") == 0 ||
	    strcmp(name, "span") == 0 || strcmp(name, "start") == 0 ||
	    strcmp(name, "value") == 0) {
		if (!all_digits(value, 6))
			return false;
	} else if (strcmp(name, "dir") == 0) {
		if (strcmp(value, "ltr") != 0 && strcmp(value, "rtl") != 0 &&
		    strcmp(value, "auto") != 0)
			return false;
	}
	buf_putc(out, ' ');
	buf_puts(out, name);
	buf_append(out, "=\"", 2);
	html_escape(out, value, strlen(value), true);
	buf_putc(out, '"');
	free(v);
	return true;
}

/* A URL or srcset a lazy-loading image keeps in a data-* attribute. */
static const char *
lazy_attr(const xmlNode *n, const char *const *names, size_t count,
    const char **ret_name)
{
	const char *v;
	size_t i;

	for (i = 0; i < count; i++)
		if ((v = html_attr(n, names[i])) != NULL && v[0] != '\0') {
			*ret_name = names[i];
			return v;
		}
	return NULL;
}

/*
 * Writes the start tag of an allowed element.  False if the element is
 * pointless without what was refused (an image without a source).
 */
static bool
emit_start(struct buf *out, const xmlNode *n, const char *base_url)
{
	const char *tag = (const char *)n->name;
	const char *src = NULL, *srcset = NULL, *lazy, *lazy_name;
	const xmlAttr *a;
	size_t mark = out->len;
	bool is_img = strcmp(tag, "img") == 0, has_src = false;

	if (is_img) {
		/* A placeholder (missing or data:) gives way to the real one. */
		src = html_attr(n, "src");
		if ((src == NULL || src[0] == '\0' || scheme_is(src, "data")) &&
		    (lazy = lazy_attr(n, lazy_src_attrs,
		    ARRAY_SIZE(lazy_src_attrs), &lazy_name)) != NULL)
			src = lazy;
		if ((srcset = html_attr(n, "srcset")) == NULL)
			srcset = lazy_attr(n, lazy_srcset_attrs,
			    ARRAY_SIZE(lazy_srcset_attrs), &lazy_name);
	} else if (strcmp(tag, "source") == 0) {
		/* Only as a <picture> alternative, never media. */
		if (n->parent == NULL || n->parent->name == NULL ||
		    strcmp((const char *)n->parent->name, "picture") != 0)
			return false;
	}
	buf_putc(out, '<');
	buf_puts(out, tag);
	for (a = n->properties; a != NULL; a = a->next) {
		const char *name = (const char *)a->name, *value;

		if (name == NULL || !attr_allowed(tag, name))
			continue;
		if (is_img && (strcmp(name, "src") == 0 ||
		    strcmp(name, "srcset") == 0))
			continue;
		value = html_attr(n, name);
		if (emit_attr(out, name, value ? value : "", base_url) &&
		    strcmp(name, "href") == 0)
			has_src = true;
	}
	if (src != NULL && emit_attr(out, "src", src, base_url))
		has_src = true;
	if (srcset != NULL && emit_attr(out, "srcset", srcset, base_url))
		has_src = true;
	/* A link to nowhere is just its text; an image of nothing goes. */
	if ((is_img || strcmp(tag, "a") == 0) && !has_src) {
		out->len = mark;
		out->data[mark] = '\0';
		return false;
	}
	buf_putc(out, '>');
	return true;
}

/* What is due when an element is left (the emit stack's flags). */
#define DUE_END		0x1	/* its end tag */
#define DUE_TEXT	0x2	/* html_text_leave() */
#define DUE_SHOW	0x4	/* text hidden inside it shows again */

struct emit_state {
	struct buf	*out;
	const char	*base_url;
	const xmlNode	*root;
	bool		 skip_root;	/* a document: emit its children */
	/*
	 * The plain text of the output (NULL: not wanted), as html_to_text()
	 * would read it back: only what is emitted counts, each element as
	 * the HTML parser will nest it when it reads the output again.
	 */
	struct html_text *text;
	size_t		 hidden;	/* open elements whose content is no text */
	/* Per open element: what is due when it is left. */
	unsigned char	*stack;
	size_t		 depth;
	size_t		 cap;
	size_t		 emitted;	/* open emitted elements */
};

static void
push(struct emit_state *es, unsigned char c)
{
	if (es->depth == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 64;
		es->stack = xreallocarray(es->stack, es->cap, 1);
	}
	es->stack[es->depth++] = c;
}

/*
 * The text of an emitted element: what is due on leaving it.  A void
 * element the parser knows to be empty (br, img, hr) has no content when
 * the output is read again, so what the sanitizer visits inside it (libxml2
 * nests HTML5's void elements it does not know, such as <source>, around
 * what follows) is read as following it: entered and left at once.
 */
static unsigned char
text_enter(struct emit_state *es, const xmlNode *n, bool is_void)
{
	const char *tag = (const char *)n->name;
	const htmlElemDesc *desc;

	if (es->text == NULL || es->hidden > 0)
		return 0;
	if (is_void && (desc = htmlTagLookup(n->name)) != NULL &&
	    desc->empty) {
		html_text_enter(es->text, tag);
		html_text_leave(es->text, tag);
		return 0;
	}
	if (html_text_enter(es->text, tag))
		return DUE_TEXT;
	es->hidden++;
	return DUE_TEXT | DUE_SHOW;
}

static bool
emit_enter_cb(xmlNode *n, void *arg)
{
	struct emit_state *es = arg;
	const char *tag;
	enum action act;
	bool is_void;

	switch (n->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (n->content != NULL) {
			const char *s = (const char *)n->content;
			size_t len = strlen(s);

			html_escape(es->out, s, len, false);
			if (es->text != NULL && es->hidden == 0)
				html_text_chars(es->text, s, len);
		}
		return false;
	case XML_ELEMENT_NODE:
		break;
	case XML_DOCUMENT_NODE:
	case XML_HTML_DOCUMENT_NODE:
		push(es, 0);
		return true;
	default:
		return false;
	}
	tag = (const char *)n->name;
	act = tag_action(tag);
	if (act == ACT_DROP) {
		push(es, 0);
		return false;
	}
	if ((n == es->root && es->skip_root) || act == ACT_UNWRAP ||
	    es->emitted >= SANITIZE_MAX_DEPTH) {
		push(es, 0);
		return true;
	}
	if (!emit_start(es->out, n, es->base_url)) {
		push(es, 0);
		/* A link without target keeps its text; an image goes. */
		return strcmp(tag, "a") == 0;
	}
	is_void = html_is_void(tag);
	if (is_void) {
		/*
		 * No end tag.  libxml2 2.9 does not know HTML5's void elements
		 * (source, wbr, ...) and nests what follows them inside: visit
		 * those children as the siblings they are.
		 */
		push(es, text_enter(es, n, true));
		return true;
	}
	push(es, DUE_END | text_enter(es, n, false));
	es->emitted++;
	return true;
}

static void
emit_leave_cb(xmlNode *n, void *arg)
{
	struct emit_state *es = arg;
	unsigned char due;

	if (n->type != XML_ELEMENT_NODE && n->type != XML_DOCUMENT_NODE &&
	    n->type != XML_HTML_DOCUMENT_NODE)
		return;
	if (es->depth == 0)
		return;
	due = es->stack[--es->depth];
	if (due & DUE_END) {
		buf_append(es->out, "</", 2);
		buf_puts(es->out, (const char *)n->name);
		buf_putc(es->out, '>');
		es->emitted--;
	}
	if (due & DUE_TEXT)
		html_text_leave(es->text, (const char *)n->name);
	if (due & DUE_SHOW)
		es->hidden--;
}

void
sanitize_node(struct buf *out, const xmlNode *node, const char *base_url)
{
	struct emit_state es = { 0 };

	if (node == NULL)
		return;
	es.out = out;
	es.base_url = base_url;
	es.root = node;
	es.skip_root = node->type != XML_ELEMENT_NODE;
	buf_puts(out, "");
	html_walk((xmlNode *)node, emit_enter_cb, emit_leave_cb, &es);
	free(es.stack);
}

/* The <body> of a parsed document, else the document itself. */
static xmlNode *
doc_body(htmlDocPtr doc)
{
	xmlNode *root = xmlDocGetRootElement(doc), *n;

	if (root == NULL)
		return NULL;
	for (n = root->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, "body") == 0)
			return n;
	return root;
}

/* As dedup_body_text() tells text from none. */
static bool
has_text(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
			return true;
	return false;
}

/*
 * True if libxml2 reads [html, html+len) as nothing but one text node: no
 * markup or reference ('<', '&'), and nothing html_parse_utf8() or the
 * parser would change in the text -- controls and DEL, invalid UTF-8,
 * U+FFFE and U+FFFF (which the parser drops), a leading byte-order mark
 * (which it skips).  About a third of the bench corpus's summaries and
 * contents are such plain text.
 */
static bool
is_plain_text(const char *html, size_t len)
{
	const unsigned char *p = (const unsigned char *)html;
	bool ascii = true;
	size_t i;

	if (len > INT32_MAX ||
	    (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x80) {
			ascii = false;
			if (p[i] == 0xef && i + 2 < len && p[i + 1] == 0xbf &&
			    (p[i + 2] == 0xbe || p[i + 2] == 0xbf))
				return false;
		} else if (p[i] == '<' || p[i] == '&' || p[i] == 0x7f ||
		    (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r'))
			return false;
	}
	return ascii || utf8_valid(html, len);
}

/*
 * What the walk writes for plain text, without the parse: libxml2 skips
 * the white space before the first character and puts the rest in an
 * implied <p>.
 */
static void
emit_plain_text(struct emit_state *es, const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n' ||
	    *s == '\r')) {
		s++;
		len--;
	}
	if (len == 0)
		return;
	buf_append(es->out, "<p>", 3);
	html_escape(es->out, s, len, false);
	buf_append(es->out, "</p>", 4);
	if (es->text != NULL) {
		html_text_enter(es->text, "p");
		html_text_chars(es->text, s, len);
		html_text_leave(es->text, "p");
	}
}

char *
sanitize_html_text(const char *html, size_t len, const char *base_url,
    char **ret_text)
{
	struct buf out = { 0 }, text = { 0 };
	struct html_text ts;
	struct emit_state es = { 0 };
	htmlDocPtr doc;
	xmlNode *body;

	/*
	 * Room for about as much as came in, which is what both usually
	 * come to, instead of growing each from 64 bytes.
	 */
	if (html == NULL)
		len = 0;
	buf_reserve(&out, len);
	if (ret_text != NULL) {
		buf_reserve(&text, len);
		html_text_init(&ts, &text);
		es.text = &ts;
	}
	es.out = &out;
	if (html != NULL && is_plain_text(html, len))
		emit_plain_text(&es, html, len);
	else if (html != NULL && (doc = html_parse_utf8(html, len)) != NULL) {
		if ((body = doc_body(doc)) != NULL) {
			/* The body's (or root's) children, not the wrapper. */
			es.base_url = base_url;
			es.root = body;
			es.skip_root = true;
			html_walk(body, emit_enter_cb, emit_leave_cb, &es);
			free(es.stack);
		}
		xmlFreeDoc(doc);
	}
	if (ret_text != NULL) {
		if (text.data != NULL && has_text(text.data))
			*ret_text = buf_take(&text);
		else {
			*ret_text = NULL;
			buf_free(&text);
		}
	}
	return buf_take(&out);
}

char *
sanitize_html(const char *html, size_t len, const char *base_url)
{
	return sanitize_html_text(html, len, base_url, NULL);
}

/* One field in place: NULL if nothing safe is left in it. */
static void
sanitize_field(char **field, const char *base_url, char **ret_text)
{
	char *h = *field;

	if (h == NULL) {
		if (ret_text != NULL)
			*ret_text = NULL;
		return;
	}
	*field = sanitize_html_text(h, strlen(h), base_url, ret_text);
	free(h);
	if (**field == '\0') {
		free(*field);
		*field = NULL;
	}
}

void
sanitize_item(struct item *it, const char *base_url)
{
	char *text = NULL;

	free(it->text);
	it->text = NULL;
	sanitize_field(&it->content, base_url, &it->text);
	sanitize_field(&it->summary, base_url, it->text == NULL ? &text : NULL);
	if (it->text == NULL)
		it->text = text;
}
