/*
 * fuzz_parse: the feed parser under arbitrary bytes, whole and through the
 * push API in chunks whose sizes the input chooses, so every chunk
 * boundary inside a reference, a CDATA section or a UTF-8 sequence is
 * tried.  Every string of a parsed feed must be well-formed UTF-8 without
 * NUL bytes, and both ways of parsing must agree.  A libFuzzer target; the
 * replay driver runs it over tests/fuzz/corpus/parse/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_str(const char *s)
{
	if (s != NULL && !utf8_valid(s, strlen(s)))
		abort();
}

static void
check_feed(const struct feed *f)
{
	size_t i, j;

	check_str(f->title);
	check_str(f->link);
	check_str(f->description);
	check_str(f->author);
	check_str(f->image);
	check_str(f->language);
	for (i = 0; i < f->n_items; i++) {
		const struct item *it = &f->items[i];

		if (it->key == NULL)
			abort();
		check_str(it->id);
		check_str(it->title);
		check_str(it->link);
		check_str(it->author);
		check_str(it->summary);
		check_str(it->content);
		check_str(it->comments);
		check_str(it->image);
		check_str(it->key);
		for (j = 0; j < it->n_enclosures; j++) {
			check_str(it->enclosures[j].url);
			check_str(it->enclosures[j].type);
		}
		for (j = 0; j < it->n_categories; j++)
			check_str(it->categories[j]);
	}
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_opts o = { .base_url = "http://example.com/feed/",
	    .max_items = 50 };
	struct feed *whole = NULL, *pushed = NULL;
	struct parser *p;
	char *err = NULL, *err2 = NULL;
	size_t off = 0, step;
	unsigned seed;
	int r1, r2;

	if (size < 1)
		return 0;
	/* The first byte picks chunk sizes (and a charset to claim). */
	seed = data[0];
	data++;
	size--;
	if (seed & 0x80)
		o.content_type = "text/xml; charset=iso-8859-1";
	r1 = parse_feed((const char *)data, size, &o, &whole, &err);
	if (r1 == 0)
		check_feed(whole);

	p = parser_new(&o);
	r2 = 0;
	while (off < size && r2 == 0) {
		step = 1 + (seed * 7 + off) % ((seed & 0x3f) + 1);
		if (step > size - off)
			step = size - off;
		r2 = parser_push(p, (const char *)data + off, step, &err2);
		off += step;
	}
	if (r2 == 0)
		r2 = parser_finish(p, &pushed, &err2);
	parser_free(p);
	if (r2 == 0)
		check_feed(pushed);
	/* Chunking must not change the outcome. */
	if (r1 != r2)
		abort();
	if (r1 == 0 && (whole->n_items != pushed->n_items ||
	    !str_eq(whole->title, pushed->title) ||
	    (whole->n_items > 0 && !str_eq(whole->items[0].key,
	    pushed->items[0].key))))
		abort();
	feed_free(whole);
	feed_free(pushed);
	free(err);
	free(err2);
	return 0;
}
