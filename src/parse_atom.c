/*
 * parse_atom: what the elements of Atom 1.0 (RFC 4287) and Atom 0.3 mean
 * to the feed: text constructs (text, html, xhtml; 0.3's MIME types and
 * modes, base64), links by relation (alternate preferred, enclosures,
 * replies), person constructs, and the dates of both versions.  Elements
 * of other namespaces go to parse_mod.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_int.h"
#include "util.h"

/*
 * How the text construct at xs is to be read: Atom 1.0's type="text",
 * "html", "xhtml" or a MIME type; Atom 0.3's MIME type with
 * mode="xml|escaped|base64".  Sets base64 and the <div> stripping.
 */
static enum xtype
construct_type(struct xml_parser *xp, const struct xstart *xs, bool *ret_b64,
    bool *ret_strip)
{
	char *type = xml_attr(xp, xs, XNS_NONE, "type");
	char *mode = xml_attr(xp, xs, XNS_NONE, "mode");
	enum xtype t = XTY_TEXT;
	bool xmlish;

	*ret_b64 = false;
	*ret_strip = false;
	if (type == NULL || type[0] == '\0' || strcasecmp(type, "text") == 0 ||
	    strcasecmp(type, "text/plain") == 0) {
		t = XTY_TEXT;
	} else if (strcasecmp(type, "html") == 0 ||
	    strcasecmp(type, "text/html") == 0) {
		t = XTY_HTML;
	} else if (strcasecmp(type, "xhtml") == 0) {
		t = XTY_XHTML;
		*ret_strip = true;
	} else {
		size_t n = strlen(type);

		xmlish = strcasecmp(type, "application/xhtml+xml") == 0 ||
		    (n > 4 && strcasecmp(type + n - 4, "+xml") == 0) ||
		    (n > 4 && strcasecmp(type + n - 4, "/xml") == 0);
		if (xmlish)
			t = XTY_XHTML;
		else if (str_has_prefix_ci(type, "text/"))
			t = XTY_TEXT;
		else {
			/* Any other media type is base64 (RFC 4287 4.1.3.3). */
			t = XTY_HTML;
			*ret_b64 = true;
		}
	}
	if (mode != NULL) {
		if (strcasecmp(mode, "base64") == 0) {
			*ret_b64 = true;
			if (t == XTY_XHTML)
				t = XTY_HTML;
		} else if (strcasecmp(mode, "escaped") == 0 && t == XTY_XHTML) {
			t = XTY_HTML;
		}
	}
	/*
	 * Atom 0.3 plain text, and any decoded base64 said to be text, was
	 * HTML as often as not: read it as HTML when it looks like HTML.
	 */
	if (t == XTY_TEXT && (*ret_b64 || xml_format(xp) == FEED_FORMAT_ATOM03))
		t = XTY_GUESS;
	free(type);
	free(mode);
	return t;
}

static enum xrole
text_construct(struct xml_parser *xp, const struct xstart *xs,
    enum xsink sink, bool item, enum pfield f, int prio)
{
	bool b64, strip;
	enum xtype t = construct_type(xp, xs, &b64, &strip);

	/* content src="...": the content is elsewhere; nothing inline. */
	if (f == PF_CONTENT) {
		char *src = xml_attr(xp, xs, XNS_NONE, "src");

		if (src != NULL) {
			free(src);
			return XR_NONE;
		}
	}
	xml_capture(xp, sink, item, f, prio, t);
	if (b64)
		xml_capture_base64(xp);
	if (strip)
		xml_capture_strip_div(xp);
	return XR_CAPTURED;
}

/*
 * <link rel href type length>: the first alternate link is the item's (an
 * HTML one before any other), enclosures and replies go where they
 * belong, self/related/via are not the item's.
 */
static enum xrole
link(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	struct builder *b = xml_builder(xp);
	char *rel = xml_attr(xp, xs, XNS_NONE, "rel");
	char *type = xml_attr(xp, xs, XNS_NONE, "type");
	char *href = xml_attr_url(xp, xs, XNS_NONE, "href");
	bool html;

	if (href == NULL)
		goto out;
	html = type == NULL || type[0] == '\0' ||
	    strcasecmp(type, "text/html") == 0 ||
	    strcasecmp(type, "application/xhtml+xml") == 0;
	if (rel == NULL || rel[0] == '\0' || strcasecmp(rel, "alternate") == 0 ||
	    strcmp(rel, "http://www.iana.org/assignments/relation/alternate")
	    == 0) {
		int prio = html ? 3 : 2;

		if (!builder_has(b, item, PF_LINK, prio)) {
			builder_set(b, item, PF_LINK, prio, href);
			href = NULL;
		}
	} else if (strcasecmp(rel, "enclosure") == 0 && item) {
		char *len = xml_attr(xp, xs, XNS_NONE, "length");
		int64_t n = -1;

		if (len != NULL) {
			char *end;
			long long v = strtoll(len, &end, 10);

			if (end != len && *end == '\0' && v >= 0)
				n = v;
			free(len);
		}
		if (type != NULL && str_has_prefix(type, "image/") &&
		    !builder_has(b, true, PF_IMAGE, 1))
			builder_set(b, true, PF_IMAGE, 0, xstrdup(href));
		if (type != NULL && type[0] == '\0') {
			free(type);
			type = NULL;
		}
		builder_add_enclosure(b, href, type, n);
		href = NULL;
		type = NULL;
	} else if (strcasecmp(rel, "replies") == 0 && item && html) {
		builder_set(b, true, PF_COMMENTS, 1, href);
		href = NULL;
	}
out:
	free(rel);
	free(type);
	free(href);
	return XR_NONE;
}

static enum xrole
person(struct xml_parser *xp, bool item)
{
	struct xml_scratch *s = xml_scratch(xp);

	xml_scratch_clear(s);
	s->p_item = item;
	return XR_PERSON;
}

void
atom_person_end(struct xml_parser *xp)
{
	struct xml_scratch *s = xml_scratch(xp);
	char *v = NULL;

	if (s->name != NULL && s->name[0] != '\0' && s->email != NULL &&
	    s->email[0] != '\0')
		v = xasprintf("%s (%s)", s->name, s->email);
	else if (s->name != NULL && s->name[0] != '\0')
		v = xstrdup(s->name);
	else if (s->email != NULL && s->email[0] != '\0')
		v = xstrdup(s->email);
	/* The first author of an entry or feed is the one shown. */
	if (v != NULL && !builder_has(xml_builder(xp), s->p_item, PF_AUTHOR,
	    2))
		builder_set(xml_builder(xp), s->p_item, PF_AUTHOR, 2, v);
	else
		free(v);
	xml_scratch_clear(s);
}

static enum xrole
category(struct xml_parser *xp, const struct xstart *xs)
{
	char *v = xml_attr(xp, xs, XNS_NONE, "term");

	if (v == NULL || v[0] == '\0') {
		free(v);
		v = xml_attr(xp, xs, XNS_NONE, "label");
	}
	if (v != NULL) {
		struct buf b = { 0 };

		buf_puts(&b, v);
		free(v);
		text_collapse(&b);
		builder_add_category(xml_builder(xp), buf_take(&b));
	}
	return XR_NONE;
}

/* Children of <entry> (item) or <feed> (!item) in the Atom namespace. */
static enum xrole
child(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	switch (xs->el->tok) {
	case XT_ENTRY:
		if (item)
			return XR_NONE;
		builder_item_begin(xml_builder(xp));
		return XR_ITEM;
	case XT_TITLE:
		return text_construct(xp, xs, XS_TITLE, item, PF_TITLE, 2);
	case XT_SUBTITLE:
	case XT_TAGLINE:
		if (item)
			return XR_NONE;
		return text_construct(xp, xs, XS_HTML, false, PF_SUMMARY, 2);
	case XT_SUMMARY:
		return text_construct(xp, xs, XS_HTML, item, PF_SUMMARY, 2);
	case XT_CONTENT:
		if (!item)
			return XR_NONE;
		return text_construct(xp, xs, XS_HTML, true, PF_CONTENT, 2);
	case XT_LINK:
		return link(xp, xs, item);
	case XT_ID:
		if (!item)
			return XR_NONE;
		xml_capture(xp, XS_ID, true, PF_ID, 2, XTY_TEXT);
		return XR_CAPTURED;
	case XT_UPDATED:
		xml_capture(xp, XS_DATE, item, PF_UPDATED, 2, XTY_TEXT);
		return XR_CAPTURED;
	case XT_MODIFIED:
		xml_capture(xp, XS_DATE, item, PF_UPDATED, 1, XTY_TEXT);
		return XR_CAPTURED;
	case XT_PUBLISHED:
		xml_capture(xp, XS_DATE, item, PF_PUBLISHED, 2, XTY_TEXT);
		return XR_CAPTURED;
	case XT_ISSUED:
		xml_capture(xp, XS_DATE, item, PF_PUBLISHED, 1, XTY_TEXT);
		return XR_CAPTURED;
	case XT_CREATED:
		xml_capture(xp, XS_DATE, item, PF_PUBLISHED, 0, XTY_TEXT);
		return XR_CAPTURED;
	case XT_AUTHOR:
		return person(xp, item);
	case XT_CATEGORY:
		return item ? category(xp, xs) : XR_NONE;
	case XT_LOGO:
		if (item)
			return XR_NONE;
		xml_capture(xp, XS_URL, false, PF_IMAGE, 2, XTY_TEXT);
		return XR_CAPTURED;
	case XT_ICON:
		if (item)
			return XR_NONE;
		xml_capture(xp, XS_URL, false, PF_IMAGE, 1, XTY_TEXT);
		return XR_CAPTURED;
	default:
		return XR_NONE;		/* source, contributor, rights ... */
	}
}

enum xrole
atom_start(struct xml_parser *xp, const struct xstart *xs)
{
	const struct xelem *parent = xs->parent;
	const struct xelem *el = xs->el;
	char *v;

	if (parent == NULL) {
		v = xml_attr(xp, xs, XNS_NONE, "version");
		if (el->ns == XNS_ATOM03 || (el->ns != XNS_ATOM10 && v != NULL &&
		    str_has_prefix(v, "0.")))
			xml_set_format(xp, FEED_FORMAT_ATOM03);
		else
			xml_set_format(xp, FEED_FORMAT_ATOM10);
		free(v);
		if ((v = xml_attr(xp, xs, XNS_XML, "lang")) != NULL)
			builder_set(xml_builder(xp), false, PF_LANGUAGE, 0, v);
		return XR_FEED;
	}
	if (!xml_is_native(xp, el))
		return mod_start(xp, xs);
	switch (parent->role) {
	case XR_FEED:
		return child(xp, xs, false);
	case XR_ITEM:
		return child(xp, xs, true);
	case XR_PERSON:
		switch (el->tok) {
		case XT_NAME:
			xml_capture(xp, XS_PERSON_NAME, false, PF_AUTHOR, 0,
			    XTY_TEXT);
			return XR_CAPTURED;
		case XT_EMAIL:
			xml_capture(xp, XS_PERSON_EMAIL, false, PF_AUTHOR, 0,
			    XTY_TEXT);
			return XR_CAPTURED;
		case XT_URI:
		case XT_URL:
			xml_capture(xp, XS_PERSON_URI, false, PF_AUTHOR, 0,
			    XTY_TEXT);
			return XR_CAPTURED;
		default:
			return XR_NONE;
		}
	default:
		return XR_NONE;
	}
}
