/*
 * Helper of test_store_crash.py: applies feed batches to a store for ever
 * and reports on stdout what is committed, so that the driver can kill it
 * at a random instant and check that nothing it reported was lost.
 *
 *   test_store_crash DB RUN
 *
 * Lines (each written whole, after the commit returned):
 *   O                  the store is open (created, migrated)
 *   C FEED KEY...      a batch of FEED committed, with these item keys
 *   R ID               item ID marked read
 *   K NAME POSITION    cursor NAME committed at POSITION
 * Each batch also lists the previous batch's items again, as a real feed
 * lists its recent items, so the driver can check they are stored once
 * (with other texts: edits, on both sides of the search index's mark,
 * which moves a slice at a time as the daemon moves it when idle).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define FEEDS		4
#define PER_BATCH	12

/* Paragraphs combined into item texts; copies across feeds make stories. */
static const char *const words[] = {
	"council", "river", "budget", "harbour", "election", "museum",
	"railway", "drought", "festival", "hospital", "bridge", "school",
	"market", "stadium", "airport", "library", "forest", "factory",
};

static void
add_item(struct feed *f, const char *key, unsigned seed)
{
	struct item *it;
	struct buf b = { 0 };
	size_t i;

	f->items = xreallocarray(f->items, f->n_items + 1, sizeof(*f->items));
	it = &f->items[f->n_items++];
	memset(it, 0, sizeof(*it));
	it->id = xstrdup(key);
	it->key = xstrdup(key);
	it->title = xasprintf("Story %u about the %s", seed,
	    words[seed % ARRAY_SIZE(words)]);
	it->link = xasprintf("https://news%u.example/%s", seed % 3, key);
	buf_puts(&b, "<p>");
	for (i = 0; i < 40; i++)
		buf_printf(&b, "%s %u ", words[(seed + i * 7) %
		    ARRAY_SIZE(words)], (seed * 31 + (unsigned)i) % 97);
	buf_puts(&b, "</p>");
	it->content = buf_take(&b);
	it->published = DATE_NONE;
	it->updated = DATE_NONE;
	it->duration = -1;
}


int
main(int argc, char **argv)
{
	struct store *s;
	struct feed *f;
	struct store_apply_opts o = { 0 };
	struct store_apply_result r;
	int64_t ids[FEEDS], pos;
	char *err = NULL, name[32], key[64], holder[32];
	unsigned run, batch, j, seed;
	bool is_new, more;
	int k;

	if (argc != 3) {
		fprintf(stderr, "usage: test_store_crash DB RUN\n");
		return 2;
	}
	run = (unsigned)strtoul(argv[2], NULL, 10);
	srand(run);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (store_open(argv[1], &s, &err) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (k = 0; k < FEEDS; k++) {
		snprintf(name, sizeof(name), "feed%d", k);
		if (store_feed_ensure(s, name, "https://x.example/feed",
		    STORE_ORIGIN_CONFIG, &ids[k], &err) == -1) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	printf("O\n");
	snprintf(holder, sizeof(holder), "run%u", run);
	for (batch = 0;; batch++) {
		f = xcalloc(1, sizeof(*f));
		k = (int)(batch % FEEDS);
		snprintf(name, sizeof(name), "feed%d", k);
		for (j = 0; j < PER_BATCH; j++) {
			seed = (unsigned)rand();
			snprintf(key, sizeof(key), "r%u-b%u-%u", run, batch, j);
			add_item(f, key, seed);
		}
		/* The same feed's previous batch, listed again. */
		if (batch >= FEEDS)
			for (j = 0; j < PER_BATCH; j++) {
				snprintf(key, sizeof(key), "r%u-b%u-%u", run,
				    batch - FEEDS, j);
				add_item(f, key, j);
			}
		o.now = (int64_t)time(NULL);
		if (store_feed_apply(s, ids[k], f, &o, &r, &err) == -1) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		printf("C %s", name);
		for (j = 0; j < PER_BATCH; j++)
			printf(" %s", f->items[j].key);
		printf("\n");
		if (r.n_new > 0) {
			struct store_filter flt = { 0 };

			flt.ids = &r.new_ids[(size_t)rand() % r.n_new];
			flt.n_ids = 1;
			if (store_mark(s, &flt, STORE_MARK_READ, o.now, NULL,
			    NULL, &err) == -1) {
				fprintf(stderr, "%s\n", err);
				return 1;
			}
			printf("R %lld\n", (long long)*flt.ids);
			/* A killed run's lease expires after 2 s. */
			if (batch % 5 == 0 &&
			    store_cursor_lease(s, "crash", holder, o.now, 2,
			    &pos, &is_new, &err) == 0 &&
			    store_cursor_commit(s, "crash", holder,
			    r.new_ids[r.n_new - 1], &err) == 0)
				printf("K crash %lld\n",
				    (long long)r.new_ids[r.n_new - 1]);
			free(err);
			err = NULL;
		}
		store_apply_result_clear(&r);
		feed_free(f);
		if (batch % 3 == 2 && store_index(s, 7, &more, &err) == -1) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
}
