/*
 * fuzz_extract: article extraction under arbitrary bytes, with the
 * charset paths taken by a Content-Type chosen from the first byte.  Any
 * input gives an article whose strings are well-formed UTF-8 without
 * NULs, and empty text comes with a reason.  A libFuzzer target; the
 * replay driver runs it over tests/fuzz/corpus/extract/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const char *s, bool may_be_null)
{
	if (s == NULL) {
		if (!may_be_null)
			abort();
		return;
	}
	if (!utf8_valid(s, strlen(s)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		NULL, "text/html", "text/html; charset=utf-8",
		"text/html; charset=windows-1252", "text/html; charset=shift_jis",
		"text/html; charset=utf-16", "text/html; charset=gb2312",
		"text/html; charset=\"koi8-r\"",
	};
	struct extract_opts o = { "https://example.com/a/b.html", NULL };
	struct article *a = NULL;
	char *err = NULL;

	if (size > 0) {
		o.content_type = types[data[0] % (sizeof(types) /
		    sizeof(types[0]))];
		data++;
		size--;
	}
	if (extract_article((const char *)data, size, &o, &a, &err) == -1)
		abort();
	check(a->title, true);
	check(a->byline, true);
	check(a->published, true);
	check(a->lang, true);
	check(a->text, false);
	check(a->html, false);
	if (a->text[0] == '\0' && a->reason == NULL)
		abort();
	article_free(a);
	return 0;
}
