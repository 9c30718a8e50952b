/*
 * sax_floor: the floor for any feed parser built on libxml2.  Push-parses
 * a file with libxml2's SAX2 interface, in 64 KiB chunks as feedd does,
 * with callbacks that do nothing, and prints nothing.
 *
 *   sax_floor FILE|-
 *
 * Exit status 1 if the document is not well-formed (so a benchmark that
 * compares against it notices a broken corpus).  Only `make bench` runs it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#define CHUNK	(64u << 10)

static void
start_ns(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int n_ns, const xmlChar **ns, int n_attrs,
    int n_defaulted, const xmlChar **attrs)
{
}

static void
end_ns(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
}

static void
chars(void *ctx, const xmlChar *ch, int len)
{
}

int
main(int argc, char **argv)
{
	static char buf[CHUNK];
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctxt;
	ssize_t n;
	int fd, ok;

	if (argc != 2) {
		fprintf(stderr, "usage: sax_floor FILE|-\n");
		return 2;
	}
	if (strcmp(argv[1], "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(argv[1], O_RDONLY)) == -1) {
		fprintf(stderr, "sax_floor: %s: %s\n", argv[1],
		    strerror(errno));
		return 2;
	}
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = start_ns;
	sax.endElementNs = end_ns;
	sax.characters = chars;
	sax.cdataBlock = chars;
	ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, argv[1]);
	if (ctxt == NULL)
		return 2;
	/* Big text nodes are normal in feeds (whole articles). */
	xmlCtxtUseOptions(ctxt, XML_PARSE_HUGE | XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		xmlParseChunk(ctxt, buf, (int)n, 0);
	xmlParseChunk(ctxt, NULL, 0, 1);
	ok = ctxt->wellFormed;
	xmlFreeParserCtxt(ctxt);
	xmlCleanupParser();
	return ok ? 0 : 1;
}
