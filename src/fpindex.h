/*
 * fpindex: the near-duplicate band index, in memory.
 *
 * Maps each band key of a recent item's fingerprint (dedup_text_bands) to
 * the item, so that a new text's DEDUP_BANDS keys find the recent items of
 * other feeds that share one.  The store keeps the fingerprints themselves
 * (items.fingerprint) and fills an index from them when it opens.
 *
 * Bounded: it holds at most FPINDEX_MAX_ITEMS items; past that, the items
 * with the oldest times go first (copies of a story appear within days).
 * Keys are kept as 32-bit checks, so a rare candidate shares no band at
 * all: callers compare the texts before they believe one.
 *
 * Pure memory: no I/O, no errors (allocation failure aborts, as in util).
 */
#ifndef FEEDD_FPINDEX_H
#define FEEDD_FPINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "dedup.h"

/* 16 entries of 8 bytes an item, at most 3/4 full: a table of 8 MiB. */
#define FPINDEX_MAX_ITEMS	49152

struct fpindex;

struct fpindex	*fpindex_new(void);
void		 fpindex_free(struct fpindex *);

/*
 * Indexes item id (> 0) of feed_id; time orders items for eviction.  An
 * id already indexed must be removed first (fpindex_remove).
 */
void	fpindex_add(struct fpindex *, int64_t id, int64_t feed_id,
	    int64_t time, const int64_t bands[DEDUP_BANDS]);

/*
 * Forgets item id, given the bands it was added with; nothing if it is
 * not there.
 */
void	fpindex_remove(struct fpindex *, int64_t id,
	    const int64_t bands[DEDUP_BANDS]);

/*
 * Fills ids with up to max distinct items that share a band with bands
 * and belong to a feed other than not_feed, in band order; returns how
 * many.
 */
size_t	fpindex_find(const struct fpindex *, const int64_t bands[DEDUP_BANDS],
	    int64_t not_feed, int64_t *ids, size_t max);

/* Items indexed. */
size_t	fpindex_count(const struct fpindex *);

#endif
