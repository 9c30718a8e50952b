/*
 * fuzz_opml: OPML under arbitrary bytes.  What parses is written out
 * again with opml_write, which must parse back to the same feed URLs.  A
 * libFuzzer target; the replay driver runs it over tests/fuzz/corpus/opml/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opml.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The feed URLs, sorted: the writer groups feeds by category. */
static char **
sorted_urls(const struct opml *o)
{
	char **v = xcalloc(o->n_feeds + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < o->n_feeds; i++)
		v[i] = o->feeds[i].xml_url;
	qsort(v, o->n_feeds, sizeof(*v), str_ptr_cmp);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opml *o = NULL, *again = NULL;
	struct buf out = { 0 };
	char *err = NULL, **x, **y;
	size_t i;

	if (opml_parse((const char *)data, size, &o, &err) == -1) {
		if (err == NULL || o != NULL)
			abort();
		free(err);
		return 0;
	}
	opml_write(&out, o->title != NULL ? o->title : "t", o->feeds,
	    o->n_feeds, 0);
	if (opml_parse(out.data, out.len, &again, &err) == -1)
		abort();	/* our own output must parse */
	if (again->n_feeds != o->n_feeds)
		abort();
	x = sorted_urls(o);
	y = sorted_urls(again);
	for (i = 0; i < o->n_feeds; i++)
		if (strcmp(x[i], y[i]) != 0)
			abort();
	free(x);
	free(y);
	opml_free(again);
	opml_free(o);
	buf_free(&out);
	return 0;
}
