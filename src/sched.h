/*
 * sched: when a feed is next due.  Pure: times and what the publisher said
 * in, a due time out; no clock, no randomness of its own (the caller passes
 * a random number, so tests are exact), no I/O.
 *
 * The rules, in the order they apply after a successful fetch:
 *   1. the configured interval (or, with adaptive polling, half the
 *      observed gap between posts, kept within [min, max]);
 *   2. publisher hints raise it, never lower it: Cache-Control max-age,
 *      Expires, RSS <ttl>, sy:updatePeriod/updateFrequency -- each capped
 *      at SCHED_HINT_CAP, so a publisher can slow us to once a day but
 *      not stop us;
 *   3. up to +10% jitter, so feeds on one host drift apart;
 *   4. skipHours/skipDays move the time out of the skipped UTC hours/days.
 * After an error: exponential backoff from min(interval, 60 s), doubled
 * per consecutive error, with jitter, capped at SCHED_BACKOFF_CAP; a
 * Retry-After (429/503) is a lower bound, capped at SCHED_RETRY_AFTER_CAP.
 */
#ifndef FEEDD_SCHED_H
#define FEEDD_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct feed_hints;

#define SCHED_HINT_CAP		(24 * 3600)
#define SCHED_BACKOFF_CAP	(24 * 3600)
#define SCHED_RETRY_AFTER_CAP	(7 * 24 * 3600)
#define SCHED_BACKOFF_BASE	60

struct sched_policy {
	int64_t		 interval;	/* configured, seconds (>= 1) */
	bool		 adaptive;
	int64_t		 min_interval;	/* adaptive bounds; 0: no bound */
	int64_t		 max_interval;
};

/* What a successful fetch said about polling; -1 / 0 where absent. */
struct sched_hints {
	int64_t		 max_age;	/* Cache-Control max-age, s, or -1 */
	int64_t		 expires;	/* Expires, Unix time, or 0 */
	int64_t		 date;		/* the response's Date, or 0 */
	const struct feed_hints *feed;	/* from the document, or NULL */
	int64_t		 observed;	/* typical gap between posts, or 0 */
};

/*
 * The interval (seconds, before jitter and skips) a successful fetch
 * leads to: rules 1 and 2 above.
 */
int64_t	sched_interval(const struct sched_policy *, const struct sched_hints *);

/*
 * Next due time after a successful fetch at now; rnd is any 64-bit random
 * number.  hints may be NULL.
 */
int64_t	sched_next_ok(const struct sched_policy *, const struct sched_hints *,
	    int64_t now, uint64_t rnd);

/*
 * The delay after the streak-th consecutive error (streak >= 1), jitter
 * included: between half and all of base * 2^(streak-1), capped.
 */
int64_t	sched_backoff(const struct sched_policy *, int streak, uint64_t rnd);

/*
 * Next due time after an error at now; retry_after (Unix time, 0: none)
 * is honoured as a lower bound.
 */
int64_t	sched_next_error(const struct sched_policy *, int streak,
	    int64_t retry_after, int64_t now, uint64_t rnd);

/*
 * Moves t forward to the first instant outside the skipped UTC hours (bit
 * h of skip_hours) and days (bit d of skip_days, 0 = Sunday).  A mask that
 * skips everything is ignored.
 */
int64_t	sched_skip(int64_t t, uint32_t skip_hours, uint8_t skip_days);

/*
 * Retry-After (delta seconds or an HTTP date) as a Unix time, or 0 if
 * absent or unreadable.
 */
int64_t	sched_parse_retry_after(const char *value, int64_t now);
/* Cache-Control's max-age (s-maxage ignored), or -1. */
int64_t	sched_parse_max_age(const char *cache_control);
/* An HTTP date (RFC 9110 section 5.6.7) as a Unix time, or 0. */
int64_t	sched_parse_http_date(const char *value);

/*
 * The typical gap between posts: the median of the gaps between the (at
 * most 20) newest of times[] (Unix times, any order; sorted in place).
 * 0 when fewer than 3 usable times.
 */
int64_t	sched_observed_interval(int64_t *times, size_t n);

/*
 * Start-up spreading: the delay (seconds) given to the i-th of n feeds
 * that are due at once, so they start over a window of at most
 * min(n * 50 ms, interval / 2, 300 s) instead of all together.
 */
double	sched_spread(size_t i, size_t n, int64_t interval);

#endif
