/*
 * dedup: the pure half of feedd's three-level deduplication; the store
 * does the lookups.
 *
 *   1. within a feed: an item's identity key (filled by the parser), and
 *      a content hash that tells an edited item from an unchanged one and
 *      recognises feeds whose ids change on every fetch;
 *   2. across feeds: canonical links (url_canonical()) and globally unique
 *      guids, when they really name one article;
 *   3. across feeds: near-identical text, by MinHash over word 3-shingles
 *      with locality-sensitive hashing.  A text yields DEDUP_BANDS band
 *      keys; two texts that share one are candidates, and a candidate is
 *      accepted only on the exact shingle similarity (dedup_same_story),
 *      so the bands decide speed and recall, never precision.
 *
 * Pure: no I/O, no logging, no database.
 */
#ifndef FEEDD_DEDUP_H
#define FEEDD_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Hash of what a reader sees of an item (title, summary, content), for
 * "was it edited?" and "is this the same item under a new id?".  0 means
 * the item has no text at all (never treated as a match).
 */
uint64_t dedup_content_hash(const char *title, const char *summary,
	    const char *content);

/*
 * True if a guid names one article worldwide, so that two feeds carrying
 * it carry the same article: an absolute URI such as an http(s) URL, a
 * tag: URI or a urn:uuid, long enough not to be a counter.  Plain numbers
 * and short slugs are unique only within their feed.
 */
bool	dedup_guid_is_global(const char *guid);

/*
 * True if a canonical link can name one article: it has a path beyond "/"
 * or a query.  Items of many feeds link to their site's front page.
 */
bool	dedup_link_is_article(const char *canonical);

/*
 * The text an item is compared and indexed by: the plain text of content,
 * else of summary (both HTML).  NULL if neither has text.  Caller frees.
 */
char	*dedup_body_text(const char *content_html, const char *summary_html);

/* ---- near-duplicate text ---- */

/* Band keys per text; each is a 52-bit number (exact as a JSON number). */
#define DEDUP_BANDS		16
/* Texts with fewer words are not fingerprinted: too little evidence. */
#define DEDUP_MIN_WORDS		12

/* One text's shingle set, plus its title words for short texts. */
struct dedup_text;

/*
 * Reads plain text (and the item's title, may be NULL; it is not part of
 * the shingles since outlets rewrite headlines).  Never NULL.
 */
struct dedup_text *dedup_text_new(const char *title, const char *text);
void	dedup_text_free(struct dedup_text *);

/*
 * Number of distinct shingles; 0 if the text is too short to compare.
 * This and the comparisons below sort a text's shingles the first time
 * (fingerprinting alone never needs them sorted): hence not const.
 */
size_t	dedup_text_size(struct dedup_text *);

/*
 * Fills bands with the text's DEDUP_BANDS band keys and returns
 * DEDUP_BANDS, or returns 0 when the text is too short to fingerprint.
 */
size_t	dedup_text_bands(const struct dedup_text *, int64_t *bands);

/*
 * The similarity of two texts in *ret_similarity (the share of the
 * shorter text's shingles found in the other, in [0, 1]), and whether
 * they are copies of one story: similar enough, and reporting the same
 * figures.  Short texts (teasers) need more: a higher similarity, and each
 * must name a word of one of the headlines, so that two items whose only
 * text is the same boilerplate ("subscribe to read ...") under different
 * headlines are not taken for one story.
 */
bool	dedup_same_story(struct dedup_text *, struct dedup_text *,
	    double *ret_similarity);

/*
 * What the store decides for a pair, without a database: the texts share
 * a band (the store would find one from the other) and dedup_same_story()
 * accepts them.  For tests and evaluation.
 */
bool	dedup_text_match(struct dedup_text *, struct dedup_text *,
	    double *ret_similarity);

#endif
