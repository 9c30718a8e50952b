/*
 * parse_mod: the namespaced modules RSS and Atom feeds share: Dublin Core
 * (dc:, dcterms:), content:encoded, xhtml:body, syndication (sy:), iTunes,
 * Media RSS, FeedBurner's origLink, and atom:link inside RSS.  Priorities
 * are below the core elements they duplicate, so e.g. <title> beats
 * dc:title and <description> beats itunes:summary whatever the order.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_int.h"
#include "util.h"

static enum xrole
cap(struct xml_parser *xp, enum xsink sink, bool item, enum pfield f,
    int prio, enum xtype t)
{
	xml_capture(xp, sink, item, f, prio, t);
	return XR_CAPTURED;
}

static enum xrole
dc(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	switch (xs->el->tok) {
	case XT_TITLE:
		return cap(xp, XS_TITLE, item, PF_TITLE, 1, XTY_GUESS);
	case XT_CREATOR:
		return cap(xp, XS_STR, item, PF_AUTHOR, 2, XTY_TEXT);
	case XT_PUBLISHER:
		return item ? XR_NONE :
		    cap(xp, XS_STR, false, PF_AUTHOR, 0, XTY_TEXT);
	case XT_DATE:
		return cap(xp, XS_DATE, item, PF_UPDATED, 1, XTY_TEXT);
	case XT_SUBJECT:
		return item ? cap(xp, XS_CATEGORY, true, PF_TITLE, 0,
		    XTY_TEXT) : XR_NONE;
	case XT_DESCRIPTION:
		return cap(xp, XS_HTML, item, PF_SUMMARY, 1, XTY_HTML);
	case XT_LANGUAGE:
		return item ? XR_NONE :
		    cap(xp, XS_STR, false, PF_LANGUAGE, 1, XTY_TEXT);
	default:
		return XR_NONE;
	}
}

static enum xrole
dcterms(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	switch (xs->el->tok) {
	case XT_ISSUED:
		return cap(xp, XS_DATE, item, PF_PUBLISHED, 1, XTY_TEXT);
	case XT_CREATED:
		return cap(xp, XS_DATE, item, PF_PUBLISHED, 0, XTY_TEXT);
	case XT_MODIFIED:
		return cap(xp, XS_DATE, item, PF_UPDATED, 1, XTY_TEXT);
	default:
		return XR_NONE;
	}
}

/* The value of an attribute without namespace, e.g. itunes:image/@href. */
static char *
attr(struct xml_parser *xp, const struct xstart *xs, const char *name)
{
	return xml_attr(xp, xs, XNS_NONE, name);
}

static enum xrole
itunes(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	struct builder *b = xml_builder(xp);
	char *v;

	switch (xs->el->tok) {
	case XT_AUTHOR:
		return cap(xp, XS_STR, item, PF_AUTHOR, 1, XTY_TEXT);
	case XT_SUMMARY:
		return cap(xp, XS_HTML, item, PF_SUMMARY, 0, XTY_TEXT);
	case XT_DURATION:
		return item ? cap(xp, XS_DURATION, true, PF_TITLE, 0, XTY_TEXT) :
		    XR_NONE;
	case XT_IMAGE:
		if ((v = xml_attr_url(xp, xs, XNS_NONE, "href")) != NULL)
			builder_set(b, item, PF_IMAGE, item ? 2 : 1, v);
		return XR_NONE;
	case XT_CATEGORY:
		if (item && (v = attr(xp, xs, "text")) != NULL)
			builder_add_category(b, v);
		return XR_ITUNES_CATEGORY;
	default:
		return XR_NONE;
	}
}

/* media:content: kept until its end, where its kind is known. */
static enum xrole
media_content(struct xml_parser *xp, const struct xstart *xs)
{
	struct xml_scratch *s = xml_scratch(xp);
	char *len;

	xml_scratch_clear(s);
	s->m_url = xml_attr_url(xp, xs, XNS_NONE, "url");
	s->m_type = attr(xp, xs, "type");
	s->m_medium = attr(xp, xs, "medium");
	if ((len = attr(xp, xs, "fileSize")) != NULL) {
		char *end;
		long long v = strtoll(len, &end, 10);

		if (end != len && *end == '\0' && v >= 0)
			s->m_length = v;
		free(len);
	}
	return XR_MEDIA_CONTENT;
}

void
mod_media_end(struct xml_parser *xp)
{
	struct xml_scratch *s = xml_scratch(xp);
	struct builder *b = xml_builder(xp);
	bool image;

	if (s->m_url == NULL)
		goto out;
	image = (s->m_medium != NULL && strcmp(s->m_medium, "image") == 0) ||
	    (s->m_type != NULL && str_has_prefix(s->m_type, "image/"));
	if (image) {
		if (!builder_has(b, true, PF_IMAGE, 1)) {
			builder_set(b, true, PF_IMAGE, 1, s->m_url);
			s->m_url = NULL;
		}
	} else {
		builder_add_enclosure(b, s->m_url, s->m_type, s->m_length);
		s->m_url = NULL;
		s->m_type = NULL;
	}
out:
	xml_scratch_clear(s);
}

static enum xrole
media(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	struct builder *b = xml_builder(xp);
	char *v;

	if (!item) {
		if (xs->el->tok == XT_THUMBNAIL &&
		    (v = xml_attr_url(xp, xs, XNS_NONE, "url")) != NULL)
			builder_set(b, false, PF_IMAGE, 0, v);
		return XR_NONE;
	}
	switch (xs->el->tok) {
	case XT_GROUP:
		return XR_MEDIA_GROUP;
	case XT_CONTENT:
		if (xs->parent->role == XR_MEDIA_CONTENT)
			return XR_NONE;
		return media_content(xp, xs);
	case XT_THUMBNAIL:
		/* The first thumbnail is the item's picture. */
		if (!builder_has(b, true, PF_IMAGE, 2) &&
		    (v = xml_attr_url(xp, xs, XNS_NONE, "url")) != NULL)
			builder_set(b, true, PF_IMAGE, 2, v);
		return XR_NONE;
	case XT_TITLE:
		/* Of the item (or group), not of one media:content. */
		if (xs->parent->role == XR_MEDIA_CONTENT)
			return XR_NONE;
		return cap(xp, XS_TITLE, true, PF_TITLE, 0, XTY_TEXT);
	case XT_DESCRIPTION:
		if (xs->parent->role == XR_MEDIA_CONTENT)
			return XR_NONE;
		v = attr(xp, xs, "type");
		xml_capture(xp, XS_HTML, true, PF_SUMMARY, 0,
		    v != NULL && strcasecmp(v, "html") == 0 ? XTY_HTML :
		    XTY_TEXT);
		free(v);
		return XR_CAPTURED;
	default:
		return XR_NONE;
	}
}

/* atom:link in an RSS feed: an alternate is a link of last resort. */
static enum xrole
atom_link(struct xml_parser *xp, const struct xstart *xs, bool item)
{
	char *rel = attr(xp, xs, "rel"), *href;

	if (rel == NULL || strcmp(rel, "alternate") == 0) {
		href = xml_attr_url(xp, xs, XNS_NONE, "href");
		builder_set(xml_builder(xp), item, PF_LINK, 0, href);
	}
	free(rel);
	return XR_NONE;
}

enum xrole
mod_start(struct xml_parser *xp, const struct xstart *xs)
{
	const struct xelem *el = xs->el;
	enum xrole pr = xs->parent->role;
	bool item;

	switch (pr) {
	case XR_ITEM:
	case XR_MEDIA_GROUP:
	case XR_MEDIA_CONTENT:
		item = true;
		break;
	case XR_FEED:
		item = false;
		break;
	case XR_ITUNES_CATEGORY:
		/* Nested iTunes categories are categories too. */
		if (el->ns == XNS_ITUNES && el->tok == XT_CATEGORY)
			return itunes(xp, xs, true);
		return XR_NONE;
	default:
		return XR_NONE;
	}
	if ((pr == XR_MEDIA_GROUP || pr == XR_MEDIA_CONTENT) &&
	    el->ns != XNS_MEDIA)
		return XR_NONE;		/* inside media:group: media only */
	switch (el->ns) {
	case XNS_DC:
		return dc(xp, xs, item);
	case XNS_DCTERMS:
		return dcterms(xp, xs, item);
	case XNS_CONTENT:
		if (item && el->tok == XT_ENCODED)
			return cap(xp, XS_HTML, true, PF_CONTENT, 2, XTY_HTML);
		return XR_NONE;
	case XNS_XHTML:
		if (item && el->tok == XT_BODY)
			return cap(xp, XS_HTML, true, PF_CONTENT, 2, XTY_XHTML);
		return XR_NONE;
	case XNS_SY:
		if (item)
			return XR_NONE;
		if (el->tok == XT_UPDATEPERIOD)
			return cap(xp, XS_SY_PERIOD, false, PF_TITLE, 0,
			    XTY_TEXT);
		if (el->tok == XT_UPDATEFREQUENCY)
			return cap(xp, XS_SY_FREQUENCY, false, PF_TITLE, 0,
			    XTY_TEXT);
		return XR_NONE;
	case XNS_ITUNES:
		return itunes(xp, xs, item);
	case XNS_MEDIA:
		return media(xp, xs, item);
	case XNS_FEEDBURNER:
		/* The publisher's own link behind FeedBurner's redirect. */
		if (item && el->tok == XT_ORIGLINK)
			return cap(xp, XS_URL, true, PF_LINK, 3, XTY_TEXT);
		return XR_NONE;
	case XNS_ATOM10:
		if (el->tok == XT_LINK)
			return atom_link(xp, xs, item);
		if (el->tok == XT_UPDATED)
			return cap(xp, XS_DATE, item, PF_UPDATED, 1, XTY_TEXT);
		return XR_NONE;
	default:
		return XR_NONE;
	}
}
