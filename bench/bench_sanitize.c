/*
 * bench_sanitize: the HTML sanitizer alone, as the daemon runs it after a
 * parse: sanitize_item() on every item of the given feeds, with the feed's
 * URL as the base.  The feeds are parsed first and their HTML copied
 * before each run, so only sanitize_item() is timed.
 *
 *   bench_sanitize [-n RUNS] [-d DUMP] FILE...
 *
 * Prints the items and each run's CPU time on stderr.  With -d, writes what
 * sanitize_item() made of every item (and html_to_text() of the original
 * HTML) to DUMP, so that a change to the sanitizer can be shown to leave
 * its output byte-identical.  Only `make bench` builds it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "html.h"
#include "parse.h"
#include "sanitize.h"
#include "util.h"

/* One item's HTML as the parser left it, kept to sanitize again. */
struct orig {
	struct item	*it;
	char		*summary;
	char		*content;
};

static char *
read_file(const char *path, size_t *ret_len)
{
	struct buf b = { 0 };
	char chunk[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	buf_puts(&b, "");
	*ret_len = b.len;
	return buf_take(&b);
}

/* A field as `name len\nbytes\n`, or `name NULL\n`. */
static void
dump_field(FILE *fp, const char *name, const char *s)
{
	if (s == NULL) {
		fprintf(fp, "%s NULL\n", name);
		return;
	}
	fprintf(fp, "%s %zu\n", name, strlen(s));
	fwrite(s, 1, strlen(s), fp);
	fputc('\n', fp);
}

int
main(int argc, char **argv)
{
	struct feed **feeds;
	char **urls;
	struct orig *o = NULL;
	size_t n_feeds = 0, n = 0, cap = 0, i, j;
	const char *dump = NULL;
	double *times, t0;
	int runs = 5, r, c;
	FILE *fp = NULL;

	while ((c = getopt(argc, argv, "n:d:")) != -1) {
		switch (c) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'd':
			dump = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc || runs < 1)
		goto usage;
	if (dump != NULL && (fp = fopen(dump, "wb")) == NULL) {
		fprintf(stderr, "bench_sanitize: %s: %s\n", dump,
		    strerror(errno));
		return 2;
	}
	feeds = xcalloc((size_t)(argc - optind), sizeof(*feeds));
	urls = xcalloc((size_t)(argc - optind), sizeof(*urls));
	for (; optind < argc; optind++) {
		const char *path = argv[optind], *name;
		struct parse_opts po = { 0 };
		struct feed *f = NULL;
		char *data, *err = NULL;
		size_t len;

		if ((data = read_file(path, &len)) == NULL) {
			fprintf(stderr, "bench_sanitize: %s: %s\n", path,
			    strerror(errno));
			return 2;
		}
		name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		urls[n_feeds] = xasprintf("http://127.0.0.1:8080/feeds/%s",
		    name);
		po.base_url = urls[n_feeds];
		if (parse_feed(data, len, &po, &f, &err) == -1) {
			if (fp != NULL)
				fprintf(fp, "FEED %s ERROR %s\n", path, err);
			free(err);
			free(data);
			free(urls[n_feeds]);
			continue;
		}
		free(data);
		if (fp != NULL)
			fprintf(fp, "FEED %s %zu\n", path, f->n_items);
		for (i = 0; i < f->n_items; i++) {
			struct item *it = &f->items[i];

			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				o = xreallocarray(o, cap, sizeof(*o));
			}
			o[n].it = it;
			o[n].summary = it->summary;
			o[n].content = it->content;
			it->summary = it->content = NULL;
			n++;
		}
		feeds[n_feeds++] = f;
	}

	times = xcalloc((size_t)runs, sizeof(*times));
	for (r = 0; r < runs; r++) {
		const char *base;

		for (i = 0; i < n; i++) {
			struct item *it = o[i].it;

			free(it->summary);
			free(it->content);
			it->summary = o[i].summary ? xstrdup(o[i].summary) :
			    NULL;
			it->content = o[i].content ? xstrdup(o[i].content) :
			    NULL;
		}
		t0 = bench_cpu();
		for (j = 0; j < n_feeds; j++) {
			base = urls[j];
			for (i = 0; i < feeds[j]->n_items; i++)
				sanitize_item(&feeds[j]->items[i], base);
		}
		times[r] = bench_cpu() - t0;
		fprintf(stderr, "run %d: %.3f s\n", r + 1, times[r]);
		if (r + 1 < runs || fp == NULL)
			continue;
		for (i = 0; i < n; i++) {
			struct item *it = o[i].it;
			char *t;

			fprintf(fp, "ITEM %zu\n", i);
			dump_field(fp, "summary", it->summary);
			dump_field(fp, "content", it->content);
			dump_field(fp, "text", it->text);
			t = html_to_text(o[i].content, o[i].content ?
			    strlen(o[i].content) : 0);
			dump_field(fp, "to_text", t);
			free(t);
		}
	}
	qsort(times, (size_t)runs, sizeof(*times), bench_cmp_double);
	fprintf(stderr, "bench_sanitize: %zu items, median %.3f s "
	    "(%.2f ms per 1000 items), min %.3f s\n", n, times[runs / 2],
	    n ? times[runs / 2] * 1e6 / (double)n : 0.0, times[0]);

	for (i = 0; i < n; i++) {
		free(o[i].summary);
		free(o[i].content);
	}
	for (j = 0; j < n_feeds; j++) {
		feed_free(feeds[j]);
		free(urls[j]);
	}
	free(feeds);
	free(urls);
	free(o);
	free(times);
	if (fp != NULL && fclose(fp) != 0) {
		fprintf(stderr, "bench_sanitize: %s: %s\n", dump,
		    strerror(errno));
		return 1;
	}
	return 0;

usage:
	fprintf(stderr, "usage: bench_sanitize [-n RUNS] [-d DUMP] FILE...\n");
	return 2;
}
