/*
 * dedup: identity helpers and near-duplicate text fingerprints.  See
 * dedup.h for the contract; the store does the lookups.
 *
 * Near duplicates: a text becomes the set of its word 3-shingles (words
 * lower-cased, punctuation dropped, each CJK character a word of its own).
 * MinHash gives DEDUP_BANDS x DEDUP_ROWS minimum values; each band of
 * DEDUP_ROWS of them hashes to a band key.  Two texts of Jaccard
 * similarity J share at least one band key with probability
 * 1 - (1 - J^2)^16: 0.78 at J = 0.3, 0.94 at 0.4, 0.99 at 0.5.  Unrelated
 * news texts have J below 0.01 (6e-5 on average on the labelled set), so
 * they almost never share one.  A shared band only makes a candidate;
 * dedup_same_story() decides on the exact shingle sets:
 *
 * - containment, the share of the shorter text's shingles found in the
 *   other, at least 0.65: copies of a dispatch are often cut short or
 *   given a byline and a footer, which Jaccard punishes and containment
 *   does not; with a Jaccard floor of 0.3 so that a short item quoted
 *   whole inside a long roundup is not its copy;
 * - the figures agree: copies report the same numbers, while stories
 *   written from one template (earnings, match reports, police appeals,
 *   weather warnings, last month's rate decision) differ precisely in
 *   theirs;
 * - a short text (a teaser) must be nearly identical and name a word of
 *   a headline, so shared boilerplate alone ("subscribe to read") is not
 *   a story.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "html.h"
#include "util.h"

#define DEDUP_ROWS		2
#define DEDUP_K			(DEDUP_BANDS * DEDUP_ROWS)
#define SHINGLE_WORDS		3
/* Texts are compared on their first words only: bounded work. */
#define MAX_WORDS		20000
/* Title words kept for the short-text rule. */
#define MAX_TITLE_WORDS		64
#define BAND_MASK		((UINT64_C(1) << 52) - 1)

/*
 * Decision thresholds, chosen between the two classes of the labelled set
 * (tests/data/dedup): copies have containment 0.70 and more, different
 * stories that share a background paragraph or quotation below 0.40, and
 * template stories up to 0.68, which the figures then tell apart.
 */
#define SAME_CONTAINMENT	0.65
#define MIN_JACCARD		0.30
#define SHORT_SHINGLES		40
#define SHORT_JACCARD		0.75
/* Figures: compared when both texts have this many distinct ones. */
#define MIN_NUMBERS		3
#define MAX_NUMBERS		64
#define SAME_NUMBERS		0.50

/*
 * The shingles are sorted (for the exact comparison) only when a text is
 * first compared: most texts are only fingerprinted, and MinHash does not
 * care for order or repeats.  Sorting was a quarter of fingerprinting.
 */
struct dedup_text {
	uint64_t	*sh;		/* owned; shingle hashes: distinct and
					 * sorted once settled */
	size_t		 n;
	bool		 settled;
	uint64_t	 tw[MAX_TITLE_WORDS]; /* sorted title word hashes */
	size_t		 ntw;
	uint64_t	*words;		/* owned; the first words; once settled,
					 * sorted and distinct for a short text,
					 * NULL for a long one */
	size_t		 nwords;
	uint64_t	 nums[MAX_NUMBERS]; /* sorted distinct figures */
	size_t		 nnums;
};

/* A 64-bit finaliser (splitmix64's): every input bit moves every output bit. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

uint64_t
dedup_content_hash(const char *title, const char *summary,
    const char *content)
{
	const char *parts[3] = { title, summary, content };
	uint64_t h = HASH64_INIT;
	bool any = false;
	size_t i;

	for (i = 0; i < 3; i++) {
		/* The separator keeps ("ab", "c") apart from ("a", "bc"). */
		h = hash64(h, "\x1f", 1);
		if (parts[i] != NULL && *parts[i] != '\0') {
			h = hash64(h, parts[i], strlen(parts[i]));
			any = true;
		}
	}
	if (!any)
		return 0;
	/* 0 is reserved for "no text". */
	return h == 0 ? 1 : h;
}

bool
dedup_guid_is_global(const char *guid)
{
	static const char *const schemes[] = {
		"http://", "https://", "tag:", "urn:",
	};
	const char *host;
	size_t i;

	if (guid == NULL || strlen(guid) < 12)
		return false;
	for (i = 0; i < ARRAY_SIZE(schemes); i++) {
		if (!str_has_prefix_ci(guid, schemes[i]))
			continue;
		if (i >= 2)
			return true;
		/* A URL needs a dotted host to be anybody's in particular. */
		host = guid + strlen(schemes[i]);
		for (; *host != '\0' && *host != '/'; host++)
			if (*host == '.')
				return true;
		return false;
	}
	return false;
}

bool
dedup_link_is_article(const char *canonical)
{
	const char *p;

	if (canonical == NULL || (p = strstr(canonical, "://")) == NULL)
		return false;
	p += 3;
	p += strcspn(p, "/?#");
	if (*p == '?')
		return true;
	if (*p != '/')
		return false;
	/* "/" alone, or followed only by a query-less end. */
	return p[1] != '\0' && p[1] != '#';
}

static bool
has_text(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
			return true;
	return false;
}

char *
dedup_body_text(const char *content_html, const char *summary_html)
{
	const char *src[2] = { content_html, summary_html };
	char *t;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (!has_text(src[i]))
			continue;
		t = html_to_text(src[i], strlen(src[i]));
		if (has_text(t))
			return t;
		free(t);
	}
	return NULL;
}

/* ---- tokens ---- */

/*
 * Decodes one UTF-8 sequence at *p (input is valid UTF-8 from the parser
 * or html_to_text; anything else is read byte by byte as U+FFFD).
 */
static uint32_t
next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n, i;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		n = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		n = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		n = 3;
	} else {
		*p = s + 1;
		return 0xfffd;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return 0xfffd;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return cp;
}

enum cp_class { CP_SEP, CP_WORD, CP_SOLO };

static enum cp_class
classify(uint32_t cp)
{
	if (cp < 0x80) {
		if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		    (cp >= 'A' && cp <= 'Z'))
			return CP_WORD;
		return CP_SEP;
	}
	/* Latin-1 punctuation and symbols, x and division signs. */
	if ((cp >= 0xa0 && cp <= 0xbf) || cp == 0xd7 || cp == 0xf7)
		return CP_SEP;
	/* General punctuation, currency, letterlike and other symbols. */
	if (cp >= 0x2000 && cp <= 0x2bff)
		return CP_SEP;
	/* CJK symbols and punctuation; fullwidth ASCII punctuation. */
	if ((cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff00 && cp <= 0xff0f) ||
	    (cp >= 0xff1a && cp <= 0xff20) || cp == 0xfffd)
		return CP_SEP;
	/* Kana, CJK ideographs: written without spaces, one word each. */
	if ((cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0x20000 && cp <= 0x2fa1f))
		return CP_SOLO;
	return CP_WORD;
}

/* Simple case folding for the scripts where it matters most. */
static uint32_t
fold(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp < 0xc0)
		return cp;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 32;
	if (cp >= 0x100 && cp <= 0x17f && cp != 0x130 && cp != 0x131)
		return cp | 1;		/* Latin Extended-A pairs (roughly) */
	if (cp >= 0x391 && cp <= 0x3ab)
		return cp + 32;		/* Greek */
	if (cp >= 0x410 && cp <= 0x42f)
		return cp + 32;		/* Cyrillic */
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 80;
	return cp;
}


struct word {
	uint64_t	 h;
	size_t		 len;		/* code points */
	bool		 digits;	/* only ASCII digits */
	bool		 solo;		/* a CJK character */
};

/* An ASCII letter or digit: a word character without decoding. */
static bool
is_ascii_word(uint32_t c)
{
	return c - '0' < 10 || (c | 0x20) - 'a' < 26;
}

/* Calls fn for each word of s; stops after max words.  Returns the count. */
static size_t
for_each_word(const char *s, size_t max,
    void (*fn)(const struct word *, void *), void *arg)
{
	const unsigned char *p = (const unsigned char *)s;
	struct word w = { 0 }, solo;
	size_t n = 0, len = 0;
	uint64_t h = 0;
	uint32_t cp, c;
	bool digits = false;
	enum cp_class cls;

	if (s == NULL)
		return 0;
	/* The word being read in locals, not in w, whose address fn gets. */
	while (*p != '\0' && n < max) {
		c = *p;
		if (is_ascii_word(c)) {
			/* ASCII runs, most of most texts: a tight loop. */
			if (len == 0) {
				h = UINT64_C(0xcbf29ce484222325);
				digits = true;
			}
			do {
				if (c >= 'A')
					c |= 0x20;
				h = (h ^ c) * UINT64_C(0x100000001b3);
				digits = digits && c <= '9';
				len++;
				c = *++p;
			} while (is_ascii_word(c));
			continue;
		}
		cp = next_cp(&p);
		cls = classify(cp);
		if (cls == CP_WORD) {
			if (len == 0) {
				h = UINT64_C(0xcbf29ce484222325);
				digits = true;
			}
			h = (h ^ fold(cp)) * UINT64_C(0x100000001b3);
			digits = digits && cp >= '0' && cp <= '9';
			len++;
			continue;
		}
		if (len > 0) {
			w.h = mix64(h);
			w.len = len;
			w.digits = digits;
			fn(&w, arg);
			n++;
			len = 0;
		}
		if (cls == CP_SOLO && n < max) {
			solo.h = mix64(cp ^ UINT64_C(0x5bd1e995));
			solo.len = 1;
			solo.digits = false;
			solo.solo = true;
			fn(&solo, arg);
			n++;
		}
	}
	if (len > 0 && n < max) {
		w.h = mix64(h);
		w.len = len;
		w.digits = digits;
		fn(&w, arg);
		n++;
	}
	return n;
}

struct shingler {
	uint64_t	 w[SHINGLE_WORDS];
	size_t		 nw;
	uint64_t	*sh;
	size_t		 n;
	size_t		 cap;
	uint64_t	*words;		/* the first cap_words words */
	size_t		 nwords;
	size_t		 cap_words;
};

static void
shingle_word_cb(const struct word *word, void *arg)
{
	struct shingler *s = arg;

	if (s->nwords < s->cap_words)
		s->words[s->nwords++] = word->h;

	memmove(s->w, s->w + 1, sizeof(s->w[0]) * (SHINGLE_WORDS - 1));
	s->w[SHINGLE_WORDS - 1] = word->h;
	if (++s->nw < SHINGLE_WORDS)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->sh = xreallocarray(s->sh, s->cap, sizeof(*s->sh));
	}
	s->sh[s->n++] = mix64(s->w[0] ^ mix64(s->w[1] ^ mix64(s->w[2])));
}

static bool
isalnum_ascii(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static void
insertion_sort(uint64_t *v, size_t n)
{
	size_t i, j;
	uint64_t x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/*
 * Sorts v by its bits from shift + 8 down: a most-significant-digit radix
 * sort, a byte at a time, the buckets of well-mixed hashes soon small
 * enough for insertion sort.  A text's few hundred shingles take one pass;
 * an LSD sort's eight passes over 256 counters each cost more than the
 * sorting itself.  qsort's comparison callbacks were 9% of the CPU time of
 * storing a cold refresh (bench/run.py).
 */
static void
msd_sort(uint64_t *v, uint64_t *tmp, size_t n, int shift)
{
	size_t count[257], i, b, start;

	if (n < 32 || shift < 0) {
		insertion_sort(v, n);
		return;
	}
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		count[((v[i] >> shift) & 0xff) + 1]++;
	for (b = 0; b < 256; b++)
		count[b + 1] += count[b];
	for (i = 0; i < n; i++)
		tmp[count[(v[i] >> shift) & 0xff]++] = v[i];
	memcpy(v, tmp, n * sizeof(*v));
	/* count[b] is now the end of bucket b. */
	for (b = 0, start = 0; b < 256; start = count[b], b++)
		if (count[b] - start > 1)
			msd_sort(v + start, tmp + start, count[b] - start,
			    shift - 8);
}

static void
sort_u64(uint64_t *v, size_t n)
{
	uint64_t *tmp;

	if (n < 32) {
		insertion_sort(v, n);
		return;
	}
	tmp = xreallocarray(NULL, n, sizeof(*tmp));
	msd_sort(v, tmp, n, 56);
	free(tmp);
}

static size_t
sort_unique(uint64_t *v, size_t n)
{
	size_t i, j;

	if (n == 0)
		return 0;
	sort_u64(v, n);
	for (i = 1, j = 1; i < n; i++)
		if (v[i] != v[j - 1])
			v[j++] = v[i];
	return j;
}

/* Words too common to say that two headlines are about one thing. */
static const char *const title_stopwords[] = {
	"about", "after", "again", "against", "also", "amid", "been",
	"before", "being", "could", "from", "have", "into", "more", "most",
	"news", "over", "says", "said", "than", "that", "their", "there",
	"these", "they", "this", "under", "update", "video", "watch", "were",
	"what", "when", "where", "which", "while", "will", "with", "would",
	"your",
};

static void
one_word_cb(const struct word *w, void *arg)
{
	*(uint64_t *)arg = w->h;
}

static bool
is_title_stopword(uint64_t h)
{
	static uint64_t stop[ARRAY_SIZE(title_stopwords)];
	static bool init;
	size_t i;

	if (!init) {
		for (i = 0; i < ARRAY_SIZE(stop); i++)
			for_each_word(title_stopwords[i], 1, one_word_cb,
			    &stop[i]);
		init = true;
	}
	for (i = 0; i < ARRAY_SIZE(stop); i++)
		if (stop[i] == h)
			return true;
	return false;
}

static void
title_word_cb(const struct word *w, void *arg)
{
	struct dedup_text *t = arg;

	if (w->digits || (w->len < 4 && !w->solo) || is_title_stopword(w->h))
		return;
	if (t->ntw < MAX_TITLE_WORDS)
		t->tw[t->ntw++] = w->h;
}

/*
 * The figures of a text: "4.25", "3,000", "8:42", "23rd", "1143", each a
 * run of ASCII letters and digits that starts with a digit, with ".,:"
 * kept between digits.
 */
static void
read_numbers(struct dedup_text *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t h;

	if (s == NULL)
		return;
	while (*p != '\0' && t->nnums < MAX_NUMBERS) {
		if (!(*p >= '0' && *p <= '9') ||
		    (p > (const unsigned char *)s && isalnum_ascii(p[-1]))) {
			p++;
			continue;
		}
		h = UINT64_C(0xcbf29ce484222325);
		while (isalnum_ascii(*p) || ((*p == '.' || *p == ',' ||
		    *p == ':') && p[1] >= '0' && p[1] <= '9' &&
		    p[-1] >= '0' && p[-1] <= '9')) {
			h = (h ^ (uint64_t)(*p | 0x20)) * UINT64_C(0x100000001b3);
			p++;
		}
		t->nums[t->nnums++] = mix64(h);
	}
}

/* The MinHash family's constants, drawn once from splitmix64. */
static uint64_t minhash_xor[DEDUP_K], minhash_mul[DEDUP_K];

static void
minhash_init(void)
{
	static bool done;
	uint64_t x = UINT64_C(0x2545f4914f6cdd1d);
	size_t k;

	if (done)
		return;
	for (k = 0; k < DEDUP_K; k++) {
		x += UINT64_C(0x9e3779b97f4a7c15);
		minhash_xor[k] = mix64(x);
		x += UINT64_C(0x9e3779b97f4a7c15);
		minhash_mul[k] = mix64(x) | 1;
	}
	done = true;
}

struct dedup_text *
dedup_text_new(const char *title, const char *text)
{
	struct dedup_text *t = xcalloc(1, sizeof(*t));
	struct shingler s = { 0 };
	size_t nwords;

	/* Words are kept for short texts only (SHORT_SHINGLES + a few). */
	s.cap_words = SHORT_SHINGLES + SHINGLE_WORDS;
	s.words = xcalloc(s.cap_words, sizeof(*s.words));
	nwords = for_each_word(text, MAX_WORDS, shingle_word_cb, &s);
	t->sh = s.sh;
	t->n = nwords >= DEDUP_MIN_WORDS ? s.n : 0;
	t->words = s.words;
	t->nwords = s.nwords;
	for_each_word(title, MAX_TITLE_WORDS, title_word_cb, t);
	t->ntw = sort_unique(t->tw, t->ntw);
	read_numbers(t, text);
	t->nnums = sort_unique(t->nums, t->nnums);
	return t;
}

/* Sorts what the exact comparison reads (see struct dedup_text). */
static void
settle(struct dedup_text *t)
{
	if (t->settled)
		return;
	t->n = sort_unique(t->sh, t->n);
	if (t->n > 0 && t->n < SHORT_SHINGLES)
		t->nwords = sort_unique(t->words, t->nwords);
	else {
		free(t->words);
		t->words = NULL;
		t->nwords = 0;
	}
	t->settled = true;
}

/*
 * The minimum of one MinHash function over a text's shingles: most of
 * the CPU time of fingerprinting.  GCC on x86-64 also builds it for AVX2
 * and AVX-512 (picked at load time by the CPU), where the loop runs four
 * or eight shingles at a time: two to five times as fast, same values.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"),
    optimize("tree-vectorize")))
#endif
static uint64_t
minhash_min(const uint64_t *sh, size_t n, uint64_t x, uint64_t m)
{
	uint64_t v, lo = UINT64_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		v = (sh[i] ^ x) * m;
		v = v >> 32 | v << 32;
		lo = v < lo ? v : lo;
	}
	return lo;
}

/*
 * The MinHash values of a text, computed when its bands are asked for:
 * the texts the store only compares with dedup_same_story() never need
 * them.  One hash function per k: the (already well mixed) shingle hash
 * xor a per-k constant, times an odd per-k multiplier, high bits first
 * (multiply-shift hashing): two operations, not a full mix.
 */
static void
minhash(const struct dedup_text *t, uint64_t *mins)
{
	size_t k;

	minhash_init();
	for (k = 0; k < DEDUP_K; k++)
		mins[k] = minhash_min(t->sh, t->n, minhash_xor[k],
		    minhash_mul[k]);
}

void
dedup_text_free(struct dedup_text *t)
{
	if (t == NULL)
		return;
	free(t->sh);
	free(t->words);
	free(t);
}

size_t
dedup_text_size(struct dedup_text *t)
{
	settle(t);
	return t->n;
}

size_t
dedup_text_bands(const struct dedup_text *t, int64_t *bands)
{
	uint64_t h, mins[DEDUP_K];
	size_t b, r;

	if (t->n == 0)
		return 0;
	minhash(t, mins);
	for (b = 0; b < DEDUP_BANDS; b++) {
		h = mix64(b + 1);
		for (r = 0; r < DEDUP_ROWS; r++)
			h = mix64(h ^ mins[b * DEDUP_ROWS + r]);
		bands[b] = (int64_t)(h & BAND_MASK);
	}
	return DEDUP_BANDS;
}

/* Size of the intersection of two sorted sets. */
static size_t
intersect(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;

	while (i < na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else {
			n++;
			i++;
			j++;
		}
	}
	return n;
}

/* True if t is short and names a significant word of a's or b's title. */
static bool
mentions_title(const struct dedup_text *t, const struct dedup_text *a,
    const struct dedup_text *b)
{
	if (t->words == NULL)
		return true;	/* long texts are judged on the text alone */
	return intersect(t->words, t->nwords, a->tw, a->ntw) > 0 ||
	    intersect(t->words, t->nwords, b->tw, b->ntw) > 0;
}

/* Copies report the same figures (the shorter's are in the longer). */
static bool
numbers_agree(const struct dedup_text *a, const struct dedup_text *b)
{
	size_t nmin = a->nnums < b->nnums ? a->nnums : b->nnums;

	if (nmin < MIN_NUMBERS)
		return true;	/* too few to say */
	return (double)intersect(a->nums, a->nnums, b->nums, b->nnums) >=
	    SAME_NUMBERS * (double)nmin;
}

bool
dedup_same_story(struct dedup_text *a, struct dedup_text *b,
    double *ret_similarity)
{
	size_t inter, nmin;
	double j, c;

	settle(a);
	settle(b);
	if (a->n == 0 || b->n == 0) {
		*ret_similarity = 0;
		return false;
	}
	inter = intersect(a->sh, a->n, b->sh, b->n);
	nmin = a->n < b->n ? a->n : b->n;
	j = (double)inter / (double)(a->n + b->n - inter);
	c = (double)inter / (double)nmin;
	*ret_similarity = c;
	if (!numbers_agree(a, b))
		return false;
	if (nmin >= SHORT_SHINGLES)
		return c >= SAME_CONTAINMENT && j >= MIN_JACCARD;
	/*
	 * A short text (a teaser) must also be about a headline: name one
	 * of the words of either title.  The same "subscribe to read"
	 * boilerplate under two different headlines mentions neither.
	 */
	return j >= SHORT_JACCARD && mentions_title(a, a, b) &&
	    mentions_title(b, a, b);
}

bool
dedup_text_match(struct dedup_text *a, struct dedup_text *b,
    double *ret_similarity)
{
	int64_t ba[DEDUP_BANDS], bb[DEDUP_BANDS];
	bool shared = false;
	size_t i, j;

	*ret_similarity = 0;
	if (dedup_text_bands(a, ba) == 0 || dedup_text_bands(b, bb) == 0)
		return false;
	for (i = 0; i < DEDUP_BANDS && !shared; i++)
		for (j = 0; j < DEDUP_BANDS && !shared; j++)
			shared = ba[i] == bb[j];
	if (!shared)
		return false;
	return dedup_same_story(a, b, ret_similarity);
}
