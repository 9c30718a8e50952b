/*
 * fpindex: the near-duplicate band index, in memory.  See fpindex.h.
 *
 * Why in memory, not a table: band keys are random, so each new item's
 * sixteen keys land on sixteen random pages of an on-disk index, and
 * storing a cold refresh's items spent over half of its time reading,
 * dirtying and writing those pages (bench/bench_store: 100,000 items
 * took 14.9 s with the fp_bands table, 7.0 s without it).  The index only
 * ever serves the recent past, so it is small, and it is rebuilt from
 * items.fingerprint when the store opens.
 *
 * One open-addressing table (linear probing, deletion by backward shift)
 * of (key, slot) pairs for all bands, and an array of item slots.  Band
 * keys are 52 random bits with the band number mixed in; an entry keeps
 * their low 32, which also choose its home position.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fpindex.h"
#include "util.h"

#define MIN_TABLE	1024
#define MAX_TABLE	((size_t)1 << 20)
/* At FPINDEX_MAX_ITEMS, this share of the oldest items goes at once. */
#define EVICT_SHARE	8

struct fp_entry {
	uint32_t	 key;
	uint32_t	 slot;		/* index into items + 1; 0: empty */
};

struct fp_item {
	int64_t		 id;		/* 0: a free slot */
	int64_t		 feed_id;
	int64_t		 time;
};

struct fpindex {
	struct fp_entry	*tab;		/* owned */
	size_t		 mask;		/* table size - 1 */
	size_t		 n_entries;
	struct fp_item	*items;		/* owned */
	size_t		 n_slots;	/* slots ever used (free or not) */
	size_t		 cap_slots;
	uint32_t	*free;		/* owned; free slots */
	size_t		 n_free;
	size_t		 cap_free;
	size_t		 count;		/* items indexed */
};

struct fpindex *
fpindex_new(void)
{
	struct fpindex *x = xcalloc(1, sizeof(*x));

	x->tab = xcalloc(MIN_TABLE, sizeof(*x->tab));
	x->mask = MIN_TABLE - 1;
	return x;
}

void
fpindex_free(struct fpindex *x)
{
	if (x == NULL)
		return;
	free(x->tab);
	free(x->items);
	free(x->free);
	free(x);
}

size_t
fpindex_count(const struct fpindex *x)
{
	return x->count;
}

static void
entry_put(struct fp_entry *tab, size_t mask, uint32_t key, uint32_t slot)
{
	size_t i = key & mask;

	while (tab[i].slot != 0)
		i = (i + 1) & mask;
	tab[i].key = key;
	tab[i].slot = slot;
}

/* Empties position i, moving later entries of its run back (no tombstones). */
static void
entry_delete(struct fpindex *x, size_t i)
{
	size_t j = i, home;

	for (;;) {
		j = (j + 1) & x->mask;
		if (x->tab[j].slot == 0)
			break;
		home = x->tab[j].key & x->mask;
		/* Movable unless its home lies in (i, j]. */
		if (((j - home) & x->mask) >= ((j - i) & x->mask)) {
			x->tab[i] = x->tab[j];
			i = j;
		}
	}
	x->tab[i].slot = 0;
	x->n_entries--;
}

static void
table_grow(struct fpindex *x)
{
	size_t size = (x->mask + 1) * 2, i;
	struct fp_entry *tab = xcalloc(size, sizeof(*tab));

	for (i = 0; i <= x->mask; i++)
		if (x->tab[i].slot != 0)
			entry_put(tab, size - 1, x->tab[i].key,
			    x->tab[i].slot);
	free(x->tab);
	x->tab = tab;
	x->mask = size - 1;
}

static void
slot_release(struct fpindex *x, uint32_t slot)
{
	x->items[slot].id = 0;
	if (x->n_free == x->cap_free) {
		x->cap_free = x->cap_free ? x->cap_free * 2 : 64;
		x->free = xreallocarray(x->free, x->cap_free, sizeof(*x->free));
	}
	x->free[x->n_free++] = slot;
	x->count--;
}

struct age {
	int64_t		 time;
	int64_t		 id;
	uint32_t	 slot;
};

static int
age_cmp(const void *a, const void *b)
{
	const struct age *p = a, *q = b;

	if (p->time != q->time)
		return p->time < q->time ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

/* Drops the oldest EVICT_SHARE-th of the items, by time, then id. */
static void
evict_oldest(struct fpindex *x)
{
	struct age *v = xreallocarray(NULL, x->count, sizeof(*v));
	size_t n = 0, i, drop;

	for (i = 0; i < x->n_slots; i++)
		if (x->items[i].id != 0)
			v[n++] = (struct age){ x->items[i].time, x->items[i].id,
			    (uint32_t)i };
	qsort(v, n, sizeof(*v), age_cmp);
	drop = n / EVICT_SHARE > 0 ? n / EVICT_SHARE : n;
	for (i = 0; i < drop; i++)
		x->items[v[i].slot].id = 0;	/* marks the entries to go */
	/* A deletion can pull the next entry into i: look at i again. */
	for (i = 0; i <= x->mask; ) {
		if (x->tab[i].slot != 0 && x->items[x->tab[i].slot - 1].id == 0)
			entry_delete(x, i);
		else
			i++;
	}
	for (i = 0; i < drop; i++)
		slot_release(x, v[i].slot);
	free(v);
}

void
fpindex_add(struct fpindex *x, int64_t id, int64_t feed_id, int64_t time,
    const int64_t bands[DEDUP_BANDS])
{
	uint32_t slot;
	size_t b;

	if (x->count >= FPINDEX_MAX_ITEMS)
		evict_oldest(x);
	while ((x->n_entries + DEDUP_BANDS) * 4 > (x->mask + 1) * 3 &&
	    x->mask + 1 < MAX_TABLE)
		table_grow(x);
	/*
	 * Only entries a wrong fpindex_remove() left behind can fill the
	 * largest table this far: starting afresh keeps every probe finite.
	 */
	if ((x->n_entries + DEDUP_BANDS) * 8 > (x->mask + 1) * 7) {
		memset(x->tab, 0, (x->mask + 1) * sizeof(*x->tab));
		x->n_entries = x->count = x->n_slots = x->n_free = 0;
	}
	if (x->n_free > 0)
		slot = x->free[--x->n_free];
	else {
		if (x->n_slots == x->cap_slots) {
			x->cap_slots = x->cap_slots ? x->cap_slots * 2 : 64;
			x->items = xreallocarray(x->items, x->cap_slots,
			    sizeof(*x->items));
		}
		slot = (uint32_t)x->n_slots++;
	}
	x->items[slot] = (struct fp_item){ id, feed_id, time };
	x->count++;
	for (b = 0; b < DEDUP_BANDS; b++)
		entry_put(x->tab, x->mask, (uint32_t)bands[b], slot + 1);
	x->n_entries += DEDUP_BANDS;
}

void
fpindex_remove(struct fpindex *x, int64_t id, const int64_t bands[DEDUP_BANDS])
{
	uint32_t key, slot = 0;
	size_t b, i;

	for (b = 0; b < DEDUP_BANDS; b++) {
		key = (uint32_t)bands[b];
		for (i = key & x->mask; x->tab[i].slot != 0;
		    i = (i + 1) & x->mask) {
			if (x->tab[i].key == key &&
			    x->items[x->tab[i].slot - 1].id == id) {
				slot = x->tab[i].slot;
				entry_delete(x, i);
				break;
			}
		}
	}
	if (slot != 0)
		slot_release(x, slot - 1);
}

size_t
fpindex_find(const struct fpindex *x, const int64_t bands[DEDUP_BANDS],
    int64_t not_feed, int64_t *ids, size_t max)
{
	const struct fp_item *it;
	uint32_t key;
	size_t n = 0, b, i, k;

	for (b = 0; b < DEDUP_BANDS && n < max; b++) {
		key = (uint32_t)bands[b];
		for (i = key & x->mask; x->tab[i].slot != 0 && n < max;
		    i = (i + 1) & x->mask) {
			if (x->tab[i].key != key)
				continue;
			it = &x->items[x->tab[i].slot - 1];
			if (it->feed_id == not_feed)
				continue;
			for (k = 0; k < n && ids[k] != it->id; k++)
				;
			if (k == n)
				ids[n++] = it->id;
		}
	}
	return n;
}
