/*
 * Unit tests for fpindex, the in-memory near-duplicate band index.
 *
 * A slip in a hash table's deletion, eviction or slot reuse loses or
 * invents candidates silently: the store would then miss copies of a story
 * or compare texts in vain.  So the main test drives the index with random
 * operations against a naive model (an array of items and their bands) and
 * checks every answer exactly; the others pin down eviction, re-indexing an
 * item whose text changed, not_feed, max and band order, and the reuse of
 * freed slots.
 *
 * Bands are made so that two share their low 32 bits (all the index keeps)
 * only when a test copies one on purpose: the false positives fpindex.h
 * allows never happen, and answers must be exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
size_t	__sanitizer_get_current_allocated_bytes(void);
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

#include "fpindex.h"

#define NB		DEDUP_BANDS
#define NONE		(-1)		/* a not_feed that no item has */
#define MODEL_OPS	40000
#define EVICT_SHARE	8		/* as in fpindex.c */
#define EVICT_ADDS	(FPINDEX_MAX_ITEMS * 11 / 8 + 100)
#define REUSE_LIVE	100
#define REUSE_CYCLES	100000

struct item {
	int64_t		 id, feed, time;
	int64_t		 bands[NB];
};

static uint64_t rng;
static uint32_t n_fresh = 1, n_at_end;

/* xorshift64*: every run makes the same operations. */
static size_t
rnd_below(uint64_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (size_t)(rng * 0x2545F4914F6CDD1DULL % n);
}

/* murmur3's finaliser: a bijection on 32 bits that looks random. */
static uint32_t
mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	return h ^ (h >> 16);
}

/*
 * A 52-bit band whose low 32 bits no other band has: mix32 of a counter,
 * or, at_end, one whose home is among the last 8 positions of any table
 * (up to 2^20), so that their runs wrap around the end of the table.
 */
static int64_t
fresh_band(bool at_end)
{
	uint32_t lo;

	if (at_end) {
		assert_true(n_at_end < 4096 * 8);
		lo = (n_at_end >> 3) << 20 | 0xffff8 | (n_at_end & 7);
		n_at_end++;
	} else {
		do
			lo = mix32(n_fresh++);
		while ((lo & 0xffff8) == 0xffff8);
	}
	return (int64_t)rnd_below(1 << 20) << 32 | lo;
}

static void
item_new(struct item *it, int64_t id, int64_t feed, int64_t time)
{
	it->id = id;
	it->feed = feed;
	it->time = time;
	for (size_t b = 0; b < NB; b++)
		it->bands[b] = fresh_band(false);
}

static void
item_add(struct fpindex *x, const struct item *it)
{
	fpindex_add(x, it->id, it->feed, it->time, it->bands);
}

/* fpindex_find, checking that it writes nothing past max. */
static size_t
find(const struct fpindex *x, const int64_t *q, int64_t not_feed,
    int64_t *ids, size_t max)
{
	size_t n;

	ids[max] = INT64_MIN;
	n = fpindex_find(x, q, not_feed, ids, max);
	assert_true(n <= max && ids[max] == INT64_MIN);
	return n;
}

static bool
has(const int64_t *ids, size_t n, int64_t id)
{
	while (n > 0)
		if (ids[--n] == id)
			return true;
	return false;
}

/* Exactly items a and b (0: none) share band. */
static void
expect_band(const struct fpindex *x, int64_t band, int64_t a, int64_t b)
{
	static int64_t q[NB];	/* the other bands: nobody's */
	int64_t ids[9];
	size_t n;

	if (q[1] == 0)
		for (n = 1; n < NB; n++)
			q[n] = fresh_band(false);
	q[0] = band;
	n = find(x, q, NONE, ids, 8);
	assert_int_equal(n, (a != 0) + (b != 0));
	assert_true((a == 0 || has(ids, n, a)) && (b == 0 || has(ids, n, b)));
}

/* ---- the model-based test ---- */

static struct item *m_v;		/* the items indexed, in no order */
static size_t m_n, m_gone_n;
static struct item m_gone[64];		/* items removed lately */

/*
 * The first band of q that it shares, or NB.  A band is only ever copied
 * to the same position, so comparing by position finds every shared one.
 */
static size_t
first_shared(const struct item *it, const int64_t *q)
{
	size_t b;

	for (b = 0; b < NB && it->bands[b] != q[b]; b++)
		;
	return b;
}

/* An item indexed (if any), or one not: removed lately, or new. */
static void
pick_item(struct item *it, bool indexed)
{
	size_t k = rnd_below(65);

	if (indexed && m_n > 0)
		*it = m_v[rnd_below(m_n)];
	else if (k < m_gone_n && k < 64)
		*it = m_gone[k];
	else
		item_new(it, (int64_t)1 << 40, 1, 0);
}

/* Compares the index's answer to q with the model's. */
static void
model_find(const struct fpindex *x, const int64_t *q, int64_t not_feed,
    size_t max)
{
	int64_t ids[65];
	size_t first[64], n, k, i, limit, want = 0, got = 0;

	n = find(x, q, not_feed, ids, max);
	/* Each one an item indexed, of another feed, sharing a band... */
	for (k = 0; k < n; k++) {
		for (i = 0; i < m_n && m_v[i].id != ids[k]; i++)
			;
		assert_true(i < m_n && m_v[i].feed != not_feed);
		first[k] = first_shared(&m_v[i], q);
		assert_true(first[k] < NB && !has(ids, k, ids[k]));
		assert_true(k == 0 || first[k] >= first[k - 1]);
	}
	/* ...and all of those sharing the bands it went through. */
	limit = n < max ? NB : first[n - 1];
	for (k = 0; k < n; k++)
		got += first[k] < limit;
	for (i = 0; i < m_n; i++)
		want += m_v[i].feed != not_feed &&
		    first_shared(&m_v[i], q) < limit;
	assert_int_equal(got, want);
}

static void
model_remove(struct fpindex *x)
{
	struct item a;
	size_t i;

	if (m_n == 0 || rnd_below(8) == 0) {
		/* Not there: nothing goes, even if its bands are an item's. */
		pick_item(&a, false);
		if (m_n > 0 && rnd_below(2) == 0)
			memcpy(a.bands, m_v[rnd_below(m_n)].bands,
			    sizeof(a.bands));
		fpindex_remove(x, a.id, a.bands);
		return;
	}
	i = rnd_below(m_n);
	fpindex_remove(x, m_v[i].id, m_v[i].bands);
	m_gone[m_gone_n++ % 64] = m_v[i];
	m_v[i] = m_v[--m_n];
}

static void
test_model(void **state)
{
	struct fpindex *x = fpindex_new();
	struct item *it, a;
	int64_t q[NB], ids[65];
	size_t op, r, i, b;

	rng = 0x5eed;
	m_v = calloc(MODEL_OPS, sizeof(*m_v));
	for (op = 0; op < MODEL_OPS; op++) {
		/* The index fills (its table grows), then drains. */
		r = rnd_below(100);
		if (r < (op < MODEL_OPS / 2 ? 60 : 30)) {
			it = &m_v[m_n];
			item_new(it, (int64_t)op + 1, 1 + rnd_below(4),
			    rnd_below(1000000));
			for (b = 0; b < NB; b++) {
				r = rnd_below(64);
				if (r < 8 && m_n > 0)	/* a copied story */
					it->bands[b] =
					    m_v[rnd_below(m_n)].bands[b];
				else if (r == 63)
					it->bands[b] = fresh_band(true);
			}
			item_add(x, it);
			m_n++;
		} else if (r < 90)
			model_remove(x);
		else {
			/* An item's bands, an absent one's, or a mixture. */
			r = rnd_below(3);
			pick_item(&a, r == 0);
			for (b = 0; b < NB; b++) {
				if (r == 2)
					pick_item(&a, rnd_below(2) == 0);
				q[b] = a.bands[b];
			}
			model_find(x, q, rnd_below(5),
			    rnd_below(4) == 0 ? 1 + rnd_below(3) : 64);
		}
		assert_int_equal(fpindex_count(x), m_n);
		if (op != MODEL_OPS / 2)
			continue;
		/* At the peak, every band of every item finds it. */
		assert_true(m_n > 5000);	/* 80,000 entries: 2^17 */
		for (i = 0; i < m_n; i++)
			for (b = 0; b < NB; b++) {
				item_new(&a, 0, 0, 0);
				a.bands[b] = m_v[i].bands[b];
				assert_true(has(ids, find(x, a.bands, NONE,
				    ids, 64), m_v[i].id));
			}
	}
	while (m_n > 0)
		model_remove(x);
	assert_int_equal(fpindex_count(x), 0);
	for (i = 0; i < 64; i++)
		for (b = 0; b < NB; b++)
			expect_band(x, m_gone[i].bands[b], 0, 0);
	fpindex_free(x);
	free(m_v);
}

/* ---- directed tests ---- */

/* (time, id) order, as evict_oldest drops items. */
static int
older(const void *a, const void *b)
{
	const struct item *p = *(struct item *const *)a;
	const struct item *q = *(struct item *const *)b;

	if (p->time != q->time)
		return p->time < q->time ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

static void
test_eviction(void **state)
{
	struct fpindex *x = fpindex_new();
	struct item *v = calloc(EVICT_ADDS, sizeof(*v)), **live, *it;
	bool *kept = calloc(EVICT_ADDS, sizeof(*kept));
	size_t n_live = 0, evictions = 0, i, k, b, drop;
	int64_t t;

	rng = 0xe71c7;
	live = calloc(FPINDEX_MAX_ITEMS, sizeof(*live));
	/* Times in random order, eight to each so that ties go by id. */
	for (i = 0; i < EVICT_ADDS; i++)
		v[i].time = (int64_t)i / 8;
	for (i = EVICT_ADDS - 1; i > 0; i--) {
		k = rnd_below(i + 1);
		t = v[i].time, v[i].time = v[k].time, v[k].time = t;
	}
	for (i = 0; i < EVICT_ADDS; i++) {
		it = &v[i];
		/* Ids in no order of addition: mix32 is a bijection. */
		item_new(it, mix32((uint32_t)i + 1), 1 + i % 7, it->time);
		/* The oldest go first: their runs cross the end of the table. */
		if (it->time < 128)
			it->bands[0] = fresh_band(true);
		if (n_live == FPINDEX_MAX_ITEMS) {
			qsort(live, n_live, sizeof(*live), older);
			drop = n_live / EVICT_SHARE;
			memmove(live, live + drop, (n_live - drop) *
			    sizeof(*live));
			n_live -= drop;
			evictions++;
		}
		live[n_live++] = it;
		item_add(x, it);
		assert_int_equal(fpindex_count(x), n_live);
	}
	assert_int_equal(evictions, 4);
	assert_true(n_live < FPINDEX_MAX_ITEMS);
	/* Exactly the items the model kept are found, each by every band. */
	for (k = 0; k < n_live; k++)
		kept[live[k] - v] = true;
	for (i = 0; i < EVICT_ADDS; i++)
		for (b = 0; b < NB; b++)
			expect_band(x, v[i].bands[b], kept[i] ? v[i].id : 0, 0);
	fpindex_free(x);
	free(live);
	free(kept);
	free(v);
}

/* An item whose text changed is removed and added again with new bands. */
static void
test_readd_changed(void **state)
{
	struct fpindex *x = fpindex_new();
	struct item a, b, c;
	int64_t old[NB];
	size_t i;

	rng = 0xadd;
	item_new(&a, 1, 1, 100);
	item_new(&b, 2, 2, 100);
	b.bands[3] = a.bands[3];
	a.bands[6] = a.bands[5];	/* one band twice: indexed twice */
	item_add(x, &a);
	item_add(x, &b);
	memcpy(old, a.bands, sizeof(old));
	fpindex_remove(x, a.id, a.bands);
	assert_int_equal(fpindex_count(x), 1);
	for (i = NB / 2; i < NB; i++)
		a.bands[i] = fresh_band(false);
	item_add(x, &a);
	assert_int_equal(fpindex_count(x), 2);
	/* Its old bands find it only where kept; b keeps band 3. */
	for (i = 0; i < NB; i++) {
		expect_band(x, old[i], i < NB / 2 ? 1 : 0, i == 3 ? 2 : 0);
		expect_band(x, a.bands[i], 1, i == 3 ? 2 : 0);
	}
	/* Removed again, its slot goes to c: no stale entry leads there. */
	fpindex_remove(x, a.id, a.bands);
	item_new(&c, 3, 3, 100);
	item_add(x, &c);
	for (i = 0; i < NB; i++) {
		expect_band(x, old[i], 0, i == 3 ? 2 : 0);
		expect_band(x, a.bands[i], 0, i == 3 ? 2 : 0);
	}
	assert_int_equal(fpindex_count(x), 2);
	fpindex_free(x);
}

static void
test_not_feed_max_order(void **state)
{
	struct fpindex *x = fpindex_new();
	struct item q, it[6];
	int64_t ids[17];
	size_t k;

	rng = 0xfeed;
	item_new(&q, 0, 0, 0);
	for (k = 0; k < 6; k++)		/* feeds 1 2 3 1 2 3 */
		item_new(&it[k], 10 + k, 1 + k % 3, 0);
	/* Bands shared with q, not always where q has them. */
	it[0].bands[5] = q.bands[5];	/* 10, feed 1: band 5 */
	it[1].bands[9] = q.bands[0];	/* 11, feed 2: band 0 */
	it[2].bands[4] = q.bands[9];	/* 12, feed 3: bands 2 and 9 */
	it[2].bands[14] = q.bands[2];
	it[3].bands[0] = q.bands[0];	/* 13, feed 1: band 0 */
	it[4].bands[1] = q.bands[15];	/* 14, feed 2: band 15 */
	for (k = 0; k < 6; k++)		/* 15, feed 3: none */
		item_add(x, &it[k]);
	/* Band order; within band 0, either. */
	assert_int_equal(find(x, q.bands, NONE, ids, 16), 5);
	assert_true(ids[0] + ids[1] == 24 && (ids[0] == 11 || ids[0] == 13));
	assert_true(ids[2] == 12 && ids[3] == 10 && ids[4] == 14);
	assert_int_equal(find(x, q.bands, 1, ids, 16), 3);
	assert_true(ids[0] == 11 && ids[1] == 12 && ids[2] == 14);
	assert_int_equal(find(x, q.bands, 2, ids, 16), 3);
	assert_true(ids[0] == 13 && ids[1] == 12 && ids[2] == 10);
	assert_int_equal(find(x, q.bands, 3, ids, 16), 4);
	assert_true(ids[0] + ids[1] == 24 && ids[2] == 10 && ids[3] == 14);
	/* max stops it, at the first items in band order. */
	assert_int_equal(find(x, q.bands, NONE, ids, 3), 3);
	assert_true(ids[0] + ids[1] == 24 && ids[2] == 12);
	assert_int_equal(find(x, q.bands, NONE, ids, 1), 1);
	assert_true(ids[0] == 11 || ids[0] == 13);
	assert_int_equal(find(x, q.bands, NONE, ids, 0), 0);
	fpindex_free(x);
}

/* Bytes allocated, to see the index's own memory; 0 where unknown. */
static size_t
heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__)
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#else
	return 0;
#endif
}

/* A long run of removals and additions reuses slots and table entries. */
static void
test_slot_reuse(void **state)
{
	struct fpindex *x = fpindex_new();
	struct item v[REUSE_LIVE], gone;
	int64_t next_id = 1;
	size_t cycle, k, b, heap = 0;

	rng = 0x5107;
	for (k = 0; k < REUSE_LIVE; k++) {
		item_new(&v[k], next_id++, 1 + k % 5, 0);
		item_add(x, &v[k]);
	}
	for (cycle = 0; cycle < REUSE_CYCLES; cycle++) {
		if (cycle == 1000)	/* grown to its steady size */
			heap = heap_in_use();
		k = rnd_below(REUSE_LIVE);
		gone = v[k];
		fpindex_remove(x, gone.id, gone.bands);
		item_new(&v[k], next_id++, 1 + k % 5, (int64_t)cycle);
		item_add(x, &v[k]);
		assert_int_equal(fpindex_count(x), REUSE_LIVE);
		expect_band(x, gone.bands[cycle % NB], 0, 0);
		k = rnd_below(REUSE_LIVE);
		expect_band(x, v[k].bands[cycle % NB], v[k].id, 0);
	}
	/* Without reuse, 100,000 more slots: megabytes. */
	assert_true(heap_in_use() <= heap + 4096);
	for (k = 0; k < REUSE_LIVE; k++)
		for (b = 0; b < NB; b++)
			expect_band(x, v[k].bands[b], v[k].id, 0);
	fpindex_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_readd_changed),
		cmocka_unit_test(test_not_feed_max_order),
		cmocka_unit_test(test_slot_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
