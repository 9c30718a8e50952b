/*
 * fuzz_sanitize: the HTML sanitizer under arbitrary bytes.  Whatever comes
 * in, what comes out is well-formed UTF-8 and, parsed again, holds no
 * element or attribute outside the allow-list: no script, style, frames,
 * forms, event handlers, style attributes, or javascript:/vbscript:/data:
 * URLs (data: only for raster images).  A libFuzzer target; the replay
 * driver runs it over tests/fuzz/corpus/sanitize/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "sanitize.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const forbidden[] = {
	"script", "style", "iframe", "object", "embed", "form", "input",
	"button", "select", "textarea", "meta", "base", "link", "svg", "math",
	"frame", "frameset", "applet", "template", "audio", "video", NULL,
};

static bool
url_ok(const char *name, const char *v)
{
	while (*v != '\0' && (unsigned char)*v <= 0x20)
		v++;
	if (strncasecmp(v, "javascript:", 11) == 0 ||
	    strncasecmp(v, "vbscript:", 9) == 0)
		return false;
	if (strncasecmp(v, "data:", 5) == 0)
		return strcmp(name, "src") == 0 &&
		    strncasecmp(v, "data:image/", 11) == 0 &&
		    strncasecmp(v, "data:image/svg", 14) != 0;
	return true;
}

static bool
check_cb(xmlNode *n, void *arg)
{
	const xmlAttr *a;
	size_t i;

	(void)arg;
	if (n->type != XML_ELEMENT_NODE)
		return true;
	for (i = 0; forbidden[i] != NULL; i++)
		if (strcmp((const char *)n->name, forbidden[i]) == 0)
			abort();
	for (a = n->properties; a != NULL; a = a->next) {
		const char *name = (const char *)a->name;
		const char *v = html_attr(n, name);

		if (strncasecmp(name, "on", 2) == 0 ||
		    strcasecmp(name, "style") == 0 ||
		    strcasecmp(name, "class") == 0 || strcasecmp(name, "id") == 0)
			abort();
		if ((strcmp(name, "href") == 0 || strcmp(name, "src") == 0 ||
		    strcmp(name, "cite") == 0) && v != NULL && !url_ok(name, v))
			abort();
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *base = "https://example.com/dir/page.html";
	char *out;
	htmlDocPtr doc;

	/* The first byte picks whether there is a base URL. */
	if (size > 0 && (data[0] & 1)) {
		base = NULL;
	}
	out = sanitize_html((const char *)data, size, base);
	if (!utf8_valid(out, strlen(out)))
		abort();
	if ((doc = html_parse_utf8(out, strlen(out))) != NULL) {
		html_walk((xmlNode *)doc, check_cb, NULL, NULL);
		xmlFreeDoc(doc);
	}
	free(out);
	return 0;
}
