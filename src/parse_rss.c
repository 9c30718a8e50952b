/*
 * parse_rss: what the elements of RSS 0.90-0.94, 1.0 (RDF) and 2.0 and of
 * Microsoft's CDF mean to the feed.  Only direct children of the channel
 * and of an item count, so the <title> of an <image>, <textInput> or
 * <source> never becomes the feed's or the item's.  Elements of other
 * namespaces go to parse_mod.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_int.h"
#include "url.h"
#include "util.h"

/* CDF attributes are written in any case (HREF, href). */
static char *
attr_ci(struct xml_parser *xp, const struct xstart *xs, const char *name)
{
	int i;

	for (i = 0; i < xs->nattrs; i++) {
		const struct xattr *a = &xs->attrs[i];

		if (a->prefix == NULL &&
		    strcasecmp((const char *)a->local, name) == 0)
			return xstrndup((const char *)a->value,
			    (size_t)(a->end - a->value));
	}
	return NULL;
}

static void
cdf_attrs(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	struct builder *b = xml_builder(xp);
	char *v;

	if ((v = attr_ci(xp, xs, "href")) != NULL) {
		builder_set(b, item, PF_LINK, 2, xml_resolve(xp, xs->el, v));
		free(v);
	}
	if ((v = attr_ci(xp, xs, "lastmod")) != NULL) {
		builder_set_date(b, item, PF_UPDATED, 2, date_parse(v));
		free(v);
	}
}

static enum xrole
root(struct xml_parser *xp, const struct xstart *xs)
{
	char *v;

	switch (xs->el->tok) {
	case XT_RSS:
		/* 0.91 (Netscape and Userland), 0.92-0.94; else 2.0. */
		v = xml_attr(xp, xs, XNS_NONE, "version");
		xml_set_format(xp, v != NULL && str_has_prefix(v, "0.9") ?
		    FEED_FORMAT_RSS09X : FEED_FORMAT_RSS20);
		free(v);
		return XR_RSS;
	case XT_RDF:
		xml_set_format(xp, FEED_FORMAT_RSS10);
		return XR_RDF;
	case XT_CHANNEL:
		if (strcmp((const char *)xs->el->name, "CHANNEL") == 0) {
			xml_set_format(xp, FEED_FORMAT_CDF);
			cdf_attrs(xp, xs, false);
		} else
			xml_set_format(xp, FEED_FORMAT_RSS09X);
		return XR_FEED;
	default:
		return XR_NONE;
	}
}

static enum xrole
item_begin(struct xml_parser *xp, const struct xstart *xs)
{
	struct builder *b = xml_builder(xp);
	char *v;

	builder_item_begin(b);
	if (xml_format(xp) == FEED_FORMAT_CDF) {
		cdf_attrs(xp, xs, true);
	} else if ((v = xml_attr(xp, xs, XNS_RDF, "about")) != NULL) {
		/* RSS 1.0: rdf:about is the item's id. */
		builder_set(b, true, PF_ID, 1, v);
	}
	return XR_ITEM;
}

static enum xrole
enclosure(struct xml_parser *xp, const struct xstart *xs)
{
	char *url, *type, *len;
	int64_t n = -1;

	url = xml_attr_url(xp, xs, XNS_NONE, "url");
	type = xml_attr(xp, xs, XNS_NONE, "type");
	if ((len = xml_attr(xp, xs, XNS_NONE, "length")) != NULL) {
		char *end;
		long long v = strtoll(len, &end, 10);

		if (end != len && *end == '\0' && v >= 0)
			n = v;
		free(len);
	}
	if (type != NULL && type[0] == '\0') {
		free(type);
		type = NULL;
	}
	if (url != NULL && type != NULL && str_has_prefix(type, "image/") &&
	    !builder_has(xml_builder(xp), true, PF_IMAGE, 1))
		builder_set(xml_builder(xp), true, PF_IMAGE, 0, xstrdup(url));
	builder_add_enclosure(xml_builder(xp), url, type, n);
	return XR_NONE;
}

static enum xrole
guid(struct xml_parser *xp, const struct xstart *xs)
{
	char *v = xml_attr(xp, xs, XNS_NONE, "isPermaLink");
	bool permalink = v == NULL || strcasecmp(v, "false") != 0;

	free(v);
	xml_capture(xp, permalink ? XS_GUID_PERMALINK : XS_ID, true, PF_ID, 2,
	    XTY_TEXT);
	return XR_CAPTURED;
}

static enum xrole
item_child(struct xml_parser *xp, const struct xstart *xs)
{
	switch (xs->el->tok) {
	case XT_TITLE:
		xml_capture(xp, XS_TITLE, true, PF_TITLE, 2, XTY_GUESS);
		break;
	case XT_LINK:
		xml_capture(xp, XS_URL, true, PF_LINK, 2, XTY_TEXT);
		break;
	case XT_DESCRIPTION:
		xml_capture(xp, XS_RSS_DESCRIPTION, true, PF_SUMMARY, 2,
		    XTY_HTML);
		break;
	case XT_ABSTRACT:	/* CDF */
		xml_capture(xp, XS_HTML, true, PF_SUMMARY, 2, XTY_GUESS);
		break;
	case XT_SUMMARY:	/* not RSS, but seen: beats <description> */
		xml_capture(xp, XS_HTML, true, PF_SUMMARY, 3, XTY_HTML);
		break;
	case XT_FULLITEM:
		xml_capture(xp, XS_HTML, true, PF_CONTENT, 1, XTY_HTML);
		break;
	case XT_GUID:
		return guid(xp, xs);
	case XT_AUTHOR:
		xml_capture(xp, XS_STR, true, PF_AUTHOR, 2, XTY_TEXT);
		break;
	case XT_CATEGORY:
		xml_capture(xp, XS_CATEGORY, true, PF_TITLE, 0, XTY_TEXT);
		break;
	case XT_COMMENTS:
		xml_capture(xp, XS_URL, true, PF_COMMENTS, 2, XTY_TEXT);
		break;
	case XT_PUBDATE:
		xml_capture(xp, XS_DATE, true, PF_PUBLISHED, 2, XTY_TEXT);
		break;
	case XT_ENCLOSURE:
		return enclosure(xp, xs);
	default:
		return XR_NONE;		/* <source> and the unknown */
	}
	return XR_CAPTURED;
}

static enum xrole
channel_child(struct xml_parser *xp, const struct xstart *xs)
{
	switch (xs->el->tok) {
	case XT_ITEM:
		return item_begin(xp, xs);
	case XT_TITLE:
		xml_capture(xp, XS_TITLE, false, PF_TITLE, 2, XTY_GUESS);
		break;
	case XT_LINK:
		xml_capture(xp, XS_URL, false, PF_LINK, 2, XTY_TEXT);
		break;
	case XT_DESCRIPTION:
		xml_capture(xp, XS_HTML, false, PF_SUMMARY, 2, XTY_HTML);
		break;
	case XT_ABSTRACT:	/* CDF */
		xml_capture(xp, XS_HTML, false, PF_SUMMARY, 2, XTY_GUESS);
		break;
	case XT_LANGUAGE:
		xml_capture(xp, XS_STR, false, PF_LANGUAGE, 2, XTY_TEXT);
		break;
	case XT_PUBDATE:
		xml_capture(xp, XS_DATE, false, PF_PUBLISHED, 2, XTY_TEXT);
		break;
	case XT_LASTBUILDDATE:
		xml_capture(xp, XS_DATE, false, PF_UPDATED, 2, XTY_TEXT);
		break;
	case XT_MANAGINGEDITOR:
		xml_capture(xp, XS_STR, false, PF_AUTHOR, 2, XTY_TEXT);
		break;
	case XT_WEBMASTER:
		xml_capture(xp, XS_STR, false, PF_AUTHOR, 0, XTY_TEXT);
		break;
	case XT_TTL:
		xml_capture(xp, XS_TTL, false, PF_TITLE, 0, XTY_TEXT);
		break;
	case XT_IMAGE:
		return XR_IMAGE;
	case XT_SKIPHOURS:
		return XR_SKIPHOURS;
	case XT_SKIPDAYS:
		return XR_SKIPDAYS;
	case XT_LOGO: {		/* CDF */
		char *v = attr_ci(xp, xs, "href");

		if (v != NULL) {
			builder_set(xml_builder(xp), false, PF_IMAGE, 2,
			    xml_resolve(xp, xs->el, v));
			free(v);
		}
		return XR_NONE;
	}
	default:
		return XR_NONE;		/* textInput, cloud, the unknown */
	}
	return XR_CAPTURED;
}

enum xrole
rss_start(struct xml_parser *xp, const struct xstart *xs)
{
	const struct xelem *parent = xs->parent;
	const struct xelem *el = xs->el;

	if (parent == NULL)
		return root(xp, xs);
	if (!xml_is_native(xp, el))
		return mod_start(xp, xs);
	switch (parent->role) {
	case XR_RSS:
		if (el->tok == XT_CHANNEL)
			return XR_FEED;
		if (el->tok == XT_ITEM)		/* items outside the channel */
			return item_begin(xp, xs);
		return XR_NONE;
	case XR_RDF:
		switch (el->tok) {
		case XT_CHANNEL:
			if (el->ns == XNS_RSS090)
				xml_set_format(xp, FEED_FORMAT_RSS09X);
			return XR_FEED;
		case XT_ITEM:
			return item_begin(xp, xs);
		case XT_IMAGE:
			return XR_IMAGE;
		default:
			return XR_NONE;
		}
	case XR_FEED:
		return channel_child(xp, xs);
	case XR_ITEM:
		return item_child(xp, xs);
	case XR_IMAGE:
		if (el->tok == XT_URL) {
			xml_capture(xp, XS_URL, false, PF_IMAGE, 2, XTY_TEXT);
			return XR_CAPTURED;
		}
		return XR_NONE;
	case XR_SKIPHOURS:
		if (el->tok == XT_HOUR) {
			xml_capture(xp, XS_SKIP_HOUR, false, PF_TITLE, 0,
			    XTY_TEXT);
			return XR_CAPTURED;
		}
		return XR_NONE;
	case XR_SKIPDAYS:
		if (el->tok == XT_DAY) {
			xml_capture(xp, XS_SKIP_DAY, false, PF_TITLE, 0,
			    XTY_TEXT);
			return XR_CAPTURED;
		}
		return XR_NONE;
	default:
		return XR_NONE;
	}
}
