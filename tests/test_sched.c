/*
 * Unit tests for sched: intervals, hints as lower bounds, backoff,
 * Retry-After, skipHours/skipDays, start-up spreading.  Expected values are
 * worked out by hand from the rules in sched.h (and RFC 9110 for dates).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"
#include "sched.h"

#define RND_MAX UINT64_MAX

static const struct sched_policy hourly = { .interval = 3600 };

static void
test_interval_plain(void **state)
{
	struct sched_hints h = { .max_age = -1 };

	assert_int_equal(sched_interval(&hourly, NULL), 3600);
	assert_int_equal(sched_interval(&hourly, &h), 3600);
	assert_int_equal(sched_next_ok(&hourly, &h, 1000, 0), 4600);
	/* Jitter adds at most 10%, never subtracts. */
	assert_int_equal(sched_next_ok(&hourly, &h, 1000, RND_MAX),
	    1000 + 3600 + 359);
}

static void
test_hints_are_lower_bounds(void **state)
{
	struct feed_hints fh = { 0 };
	struct sched_hints h = { .max_age = 7200 };

	assert_int_equal(sched_interval(&hourly, &h), 7200);
	h.max_age = 600;			/* shorter: ignored */
	assert_int_equal(sched_interval(&hourly, &h), 3600);
	h.max_age = 10 * 86400;			/* capped at a day */
	assert_int_equal(sched_interval(&hourly, &h), 86400);

	h.max_age = -1;
	h.date = 1000000;
	h.expires = 1000000 + 5400;
	assert_int_equal(sched_interval(&hourly, &h), 5400);
	h.expires = 1000000 - 5;		/* already expired */
	assert_int_equal(sched_interval(&hourly, &h), 3600);
	/* Expires without Date: relative to our clock. */
	h.date = 0;
	h.expires = 5000 + 7200;
	assert_int_equal(sched_next_ok(&hourly, &h, 5000, 0), 5000 + 7200);

	h.expires = 0;
	h.feed = &fh;
	fh.ttl_minutes = 120;
	assert_int_equal(sched_interval(&hourly, &h), 7200);
	fh.ttl_minutes = 0;
	fh.sy_period_seconds = 3600;		/* hourly, twice: 30 min */
	fh.sy_frequency = 2;
	assert_int_equal(sched_interval(&hourly, &h), 3600);
	fh.sy_period_seconds = 86400;		/* daily */
	fh.sy_frequency = 1;
	assert_int_equal(sched_interval(&hourly, &h), 86400);
}

static void
test_adaptive(void **state)
{
	struct sched_policy p = { .interval = 3600, .adaptive = true,
	    .min_interval = 900, .max_interval = 86400 };
	struct sched_hints h = { .max_age = -1, .observed = 20000 };

	assert_int_equal(sched_interval(&p, &h), 10000);
	h.observed = 100;
	assert_int_equal(sched_interval(&p, &h), 900);
	h.observed = 400000;
	assert_int_equal(sched_interval(&p, &h), 86400);
	h.observed = 0;				/* unknown: the interval */
	assert_int_equal(sched_interval(&p, &h), 3600);
	p.adaptive = false;
	h.observed = 20000;
	assert_int_equal(sched_interval(&p, &h), 3600);
}

static void
test_backoff(void **state)
{
	struct sched_policy fast = { .interval = 5 };

	/* Base min(interval, 60 s), doubled per error, half to all of it. */
	assert_int_equal(sched_backoff(&hourly, 1, 0), 30);
	assert_int_equal(sched_backoff(&hourly, 1, RND_MAX), 59);
	assert_int_equal(sched_backoff(&hourly, 3, 0), 120);
	assert_int_equal(sched_backoff(&hourly, 20, 0), 43200);
	assert_int_equal(sched_backoff(&hourly, 20, RND_MAX), 86399);
	assert_int_equal(sched_backoff(&hourly, 1000, RND_MAX), 86399);
	assert_int_equal(sched_backoff(&fast, 2, 0), 5);
	assert_int_equal(sched_backoff(&fast, 1, 0), 2);
}

static void
test_retry_after(void **state)
{
	assert_int_equal(sched_parse_retry_after("120", 1000), 1120);
	assert_int_equal(sched_parse_retry_after(" 7 ", 1000), 1007);
	/* RFC 9110's example date, computed by hand. */
	assert_int_equal(sched_parse_retry_after(
	    "Wed, 21 Oct 2015 07:28:00 GMT", 1000), 1445412480);
	assert_int_equal(sched_parse_retry_after("soon", 1000), 0);
	assert_int_equal(sched_parse_retry_after("", 1000), 0);
	assert_int_equal(sched_parse_retry_after(NULL, 1000), 0);
	assert_int_equal(sched_parse_retry_after("99999999999", 0),
	    SCHED_RETRY_AFTER_CAP);

	/* Honoured as a lower bound over the backoff, capped at a week. */
	assert_int_equal(sched_next_error(&hourly, 1, 1600, 1000, 0), 1600);
	assert_int_equal(sched_next_error(&hourly, 1, 1001, 1000, 0), 1030);
	assert_int_equal(sched_next_error(&hourly, 1, 1000 + 30 * 86400, 1000,
	    0), 1000 + 7 * 86400);
	assert_int_equal(sched_next_error(&hourly, 1, 0, 1000, 0), 1030);
}

static void
test_max_age(void **state)
{
	assert_int_equal(sched_parse_max_age("public, max-age=300"), 300);
	assert_int_equal(sched_parse_max_age("MAX-AGE=7"), 7);
	assert_int_equal(sched_parse_max_age("s-maxage=100, max-age=60"), 60);
	assert_int_equal(sched_parse_max_age("private=\"a,max-age=1\", "
	    "max-age=5"), 5);
	assert_int_equal(sched_parse_max_age("no-cache"), -1);
	assert_int_equal(sched_parse_max_age("max-age"), -1);
	assert_int_equal(sched_parse_max_age("max-age="), -1);
	assert_int_equal(sched_parse_max_age(""), -1);
	assert_int_equal(sched_parse_max_age(NULL), -1);
}

static void
test_skip(void **state)
{
	/* 1970-01-01 00:00 UTC was a Thursday (day 4). */
	assert_int_equal(sched_skip(0, 1u << 0, 0), 3600);
	assert_int_equal(sched_skip(0, 0x3f, 0), 6 * 3600);
	assert_int_equal(sched_skip(0, 0, 1u << 4), 86400);
	/* Thursday and Friday skipped, and hour 0: Saturday 01:00. */
	assert_int_equal(sched_skip(0, 1u, (1u << 4) | (1u << 5)),
	    2 * 86400 + 3600);
	/* 2023-11-14T22:13:20Z, a Tuesday; hour 22 skipped: 23:00. */
	assert_int_equal(sched_skip(1700000000, 1u << 22, 0), 1700002800);
	assert_int_equal(sched_skip(1700000000, 1u << 21, 0), 1700000000);
	/* Everything skipped: ignored. */
	assert_int_equal(sched_skip(1700000000, 0xffffff, 0), 1700000000);
	assert_int_equal(sched_skip(1700000000, 0, 0x7f), 1700000000);
}

static void
test_next_ok_applies_skip(void **state)
{
	struct feed_hints fh = { .skip_hours = 1u << 1 };
	struct sched_hints h = { .max_age = -1, .feed = &fh };

	/* 00:00 + 1 h lands in skipped hour 1: moved to 02:00. */
	assert_int_equal(sched_next_ok(&hourly, &h, 0, 0), 7200);
}

static void
test_observed(void **state)
{
	int64_t t1[] = { 100, 200, 400, 700 };
	int64_t t2[] = { 100, 200 };
	int64_t t3[] = { 700, 0, 100, 400, 200 };
	int64_t t4[30];
	size_t i;

	assert_int_equal(sched_observed_interval(t1, 4), 200);
	assert_int_equal(sched_observed_interval(t2, 2), 0);
	assert_int_equal(sched_observed_interval(t3, 5), 200);
	/* Only the 20 newest count: gaps 10 among them, 1000 further back. */
	for (i = 0; i < 30; i++)
		t4[i] = i < 10 ? (int64_t)i * 1000 : 100000 + (int64_t)i * 10;
	assert_int_equal(sched_observed_interval(t4, 30), 10);
}

static void
test_spread(void **state)
{
	assert_true(sched_spread(0, 1, 3600) == 0);
	assert_true(sched_spread(50, 100, 3600) == 2.5);
	assert_true(sched_spread(50, 100, 4) == 1);
	assert_true(sched_spread(50000, 100000, 3600) == 150);
	assert_true(sched_spread(99, 100, 3600) < 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_plain),
		cmocka_unit_test(test_hints_are_lower_bounds),
		cmocka_unit_test(test_adaptive),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_next_ok_applies_skip),
		cmocka_unit_test(test_observed),
		cmocka_unit_test(test_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
