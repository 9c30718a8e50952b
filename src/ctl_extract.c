/*
 * ctl_extract: `feedctl extract [--url URL] [--content-type TYPE]
 * FILE|-|URL` -- the article in a page, as one JSON object
 * {"title","byline","published","lang","text","html"} (and "reason" when
 * no text was found).  Works without the daemon: a file, standard input,
 * or an http(s) URL fetched with httpget() (bounded, http(s) only).
 * `feedctl extract --item ID` asks the daemon to fetch and extract a
 * stored item's article again (after its feed's rules changed, or a
 * failure) and prints what it stored; `--feed NAME` does it for a feed's
 * newest items.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "extract.h"
#include "httpget.h"
#include "url.h"
#include "util.h"
#include "varlink.h"

/* Limits of a fetch from the command line. */
#define FETCH_MAX_BYTES		(16 * 1024 * 1024)
#define FETCH_TIMEOUT		30L

struct page {
	struct buf	 body;
	char		*content_type;	/* from the server, or NULL */
	char		*url;		/* after redirects, or NULL */
};

static void
page_free(struct page *p)
{
	buf_free(&p->body);
	free(p->content_type);
	free(p->url);
}

/*
 * A short process spends most of an extraction on page faults (each costs
 * tens of microseconds in a VM): grow the heap in one step, keep freed
 * memory for reuse, and back it with transparent huge pages, so the parse
 * tree sits on a few 2 MiB pages instead of a thousand 4 KiB ones.  The
 * heap from here up to the next 2 MiB boundary is reserved untouched (a
 * huge page needs a whole aligned extent nobody touched yet).  Only a
 * hint: without THP nothing changes.
 */
static void *heap_reserved[2];

static void
heap_release(void)
{
	free(heap_reserved[0]);
	free(heap_reserved[1]);
	heap_reserved[0] = heap_reserved[1] = NULL;
}

static void
heap_prepare(void)
{
	const uintptr_t huge = 2 * 1024 * 1024;
	uintptr_t start, end, top;

	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	mallopt(M_TOP_PAD, 32 * 1024 * 1024);
	/* Larger than anything freed yet: carved from the heap's top. */
	if ((heap_reserved[0] = malloc(256 * 1024)) == NULL)
		return;
	top = (uintptr_t)heap_reserved[0] + 256 * 1024;
	start = (top + huge - 1) & ~(huge - 1);
	end = (uintptr_t)sbrk(0);
	if (end <= start + huge)
		return;
	if (start - top > 4096)
		heap_reserved[1] = malloc(start - top - 64);
	madvise((void *)start, end - start, MADV_HUGEPAGE);
}

/* Reads at most max bytes of f: the extractor reads no more anyway. */
static int
read_stream(FILE *f, size_t max, struct buf *b)
{
	char tmp[65536];
	size_t n;

	while (b->len < max) {
		n = fread(tmp, 1, sizeof(tmp) < max - b->len ? sizeof(tmp) :
		    max - b->len, f);
		if (n == 0)
			break;
		buf_append(b, tmp, n);
	}
	return ferror(f) ? -1 : 0;
}

static int
fetch(const char *url, struct page *p, char **ret_err)
{
	struct httpget_opts o = { FETCH_MAX_BYTES, FETCH_TIMEOUT, NULL,
	    "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5" };
	struct httpget_result r = { 0 };

	if (httpget(url, &o, &r, ret_err) == -1)
		return -1;
	p->body = r.body;
	p->content_type = r.content_type;
	p->url = r.url;
	return 0;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void
usage(void)
{
	fprintf(stderr, "usage: feedctl extract [--url URL] "
	    "[--content-type TYPE] FILE|-|URL\n"
	    "       feedctl extract --item ID\n"
	    "       feedctl extract --feed NAME [--limit N] [--wait]\n");
}

static int
extract_item(const char *arg, struct ctl_opts *opts)
{
	json_t *reply = NULL, *item, *article;
	int64_t id;
	int status;

	if (ctl_parse_id(arg, &id) == -1)
		return ctl_usage("extract", "extract --item ID",
		    "an item id is a positive number");
	status = ctl_run("extract", opts, "org.feedd.ExtractItem",
	    json_pack("{s:I}", "id", (json_int_t)id), &reply);
	if (status != CTL_EXIT_OK)
		return status;
	item = json_object_get(reply, "item");
	article = json_object_get(item, "article");
	if (!json_is_object(article)) {
		fprintf(stderr, "feedctl extract: item %lld: no article "
		    "stored\n", (long long)id);
		status = CTL_EXIT_ERROR;
	} else if (ctl_print_json(article) == -1)
		status = CTL_EXIT_ERROR;
	else
		status = ctl_finish_output("extract");
	json_decref(reply);
	return status;
}

static int
extract_feed(const char *name, const char *limit_arg, bool wait,
    struct ctl_opts *opts)
{
	json_t *params, *reply = NULL;
	json_int_t queued;
	int64_t limit = 100;
	int status;

	if (limit_arg != NULL && (ctl_parse_id(limit_arg, &limit) == -1 ||
	    limit > 10000))
		return ctl_usage("extract", "extract --feed NAME [--limit N] "
		    "[--wait]", "--limit takes 1 to 10000");
	params = json_pack("{s:o,s:I,s:b}", "feed", varlink_json_string(name),
	    "limit", (json_int_t)limit, "wait", wait);
	status = ctl_run("extract", opts, "org.feedd.ExtractFeed", params,
	    &reply);
	if (status != CTL_EXIT_OK)
		return status;
	queued = json_integer_value(json_object_get(reply, "queued"));
	if (opts->json)
		ctl_print_json(reply);
	else
		printf("%s %lld article%s of %s\n", wait ? "extracted" :
		    "extracting", (long long)queued, queued == 1 ? "" : "s",
		    name);
	json_decref(reply);
	return ctl_finish_output("extract");
}

int
ctl_extract(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "url", required_argument, NULL, 'u' },
		{ "content-type", required_argument, NULL, 't' },
		{ "item", required_argument, NULL, 'i' },
		{ "feed", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct extract_opts eo = { 0 };
	struct page page = { 0 };
	struct article *a = NULL;
	const char *src, *url = NULL, *ctype = NULL, *item = NULL;
	const char *feed = NULL, *limit = NULL;
	bool wait = false;
	char *err = NULL;
	json_t *o;
	FILE *f;
	int c, status = CTL_EXIT_ERROR;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case 'u':
			url = optarg;
			break;
		case 't':
			ctype = optarg;
			break;
		case 'i':
			item = optarg;
			break;
		case 'f':
			feed = optarg;
			break;
		case 'n':
			limit = optarg;
			break;
		case 'w':
			wait = true;
			break;
		case 'h':
			usage();
			return CTL_EXIT_OK;
		default:
			usage();
			return CTL_EXIT_USAGE;
		}
	}
	if (feed != NULL) {
		if (optind != argc || item != NULL || url != NULL ||
		    ctype != NULL) {
			usage();
			return CTL_EXIT_USAGE;
		}
		return extract_feed(feed, limit, wait, opts);
	}
	if (limit != NULL || wait) {
		usage();
		return CTL_EXIT_USAGE;
	}
	if (item != NULL) {
		if (optind != argc || url != NULL || ctype != NULL) {
			usage();
			return CTL_EXIT_USAGE;
		}
		return extract_item(item, opts);
	}
	if (optind + 1 != argc) {
		usage();
		return CTL_EXIT_USAGE;
	}
	src = argv[optind];
	heap_prepare();
	if (url_is_http(src)) {
		if (fetch(src, &page, &err) == -1) {
			fprintf(stderr, "feedctl extract: %s\n", err);
			goto out;
		}
	} else {
		f = strcmp(src, "-") == 0 ? stdin : fopen(src, "rb");
		if (f == NULL) {
			fprintf(stderr, "feedctl extract: %s: %s\n", src,
			    strerror(errno));
			goto out;
		}
		if (read_stream(f, EXTRACT_MAX_INPUT, &page.body) == -1) {
			fprintf(stderr, "feedctl extract: %s: read error\n",
			    src);
			if (f != stdin)
				fclose(f);
			goto out;
		}
		if (f != stdin)
			fclose(f);
	}
	/* An empty --url (unknown origin) is no URL. */
	eo.url = url != NULL && url[0] != '\0' ? url : page.url;
	eo.content_type = ctype != NULL ? ctype : page.content_type;
	if (extract_article(page.body.data ? page.body.data : "",
	    page.body.len, &eo, &a, &err) == -1) {
		fprintf(stderr, "feedctl extract: %s: %s\n", src, err);
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "title", str_or_null(a->title));
	json_object_set_new(o, "byline", str_or_null(a->byline));
	json_object_set_new(o, "published", str_or_null(a->published));
	json_object_set_new(o, "lang", str_or_null(a->lang));
	json_object_set_new(o, "text", json_string(a->text));
	json_object_set_new(o, "html", json_string(a->html));
	if (a->reason != NULL)
		json_object_set_new(o, "reason", json_string(a->reason));
	if (json_dumpf(o, stdout, JSON_INDENT(opts->json ? 2 : 0) |
	    JSON_PRESERVE_ORDER) == -1 || putchar('\n') == EOF ||
	    fflush(stdout) == EOF)
		fprintf(stderr, "feedctl extract: cannot write output\n");
	else
		status = CTL_EXIT_OK;
	json_decref(o);
out:
	article_free(a);
	page_free(&page);
	free(err);
	heap_release();
	return status;
}
