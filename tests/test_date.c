/*
 * Unit tests for date: each expected instant was worked out by hand from
 * the format's definition (RFC 822/2822, RFC 3339, ISO 8601), not by
 * running the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "date.h"

/* Compares through the formatter, itself pinned by known epoch values. */
static void
check(const char *in, const char *want)
{
	char out[DATE_RFC3339_LEN + 1];
	int64_t t = date_parse(in);

	if (want == NULL) {
		if (t != DATE_NONE) {
			date_format_rfc3339(t, out, sizeof(out));
			fail_msg("'%s' should be unreadable, got %s",
			    in != NULL ? in : "NULL", out);
		}
		return;
	}
	if (t == DATE_NONE)
		fail_msg("'%s' unreadable, want %s", in, want);
	date_format_rfc3339(t, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("'%s' -> %s, want %s", in, out, want);
}

static void
test_format_known_instants(void **state)
{
	char out[DATE_RFC3339_LEN + 1];

	date_format_rfc3339(0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	date_format_rfc3339(1234567890, out, sizeof(out));
	assert_string_equal(out, "2009-02-13T23:31:30Z");
	date_format_rfc3339(951782400, out, sizeof(out));	/* leap day */
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	date_format_rfc3339(-1, out, sizeof(out));
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	assert_int_equal(date_parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(date_parse("2009-02-13T23:31:30Z"), 1234567890);
}

static void
test_rfc822(void **state)
{
	check("Thu, 01 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21Z");
	/* Two-digit year: RFC 2822 4.3, 00-49 is 20xx, 50-99 19xx. */
	check("Thu, 01 Jan 04 19:48:21 GMT", "2004-01-01T19:48:21Z");
	check("Fri, 01 Jan 99 00:00:00 GMT", "1999-01-01T00:00:00Z");
	/* No day name, no seconds, numeric zone. */
	check("1 Jan 2004 19:48 +0100", "2004-01-01T18:48:00Z");
	check("Tue, 10 Jun 2003 04:00:00 -0530", "2003-06-10T09:30:00Z");
	/* Extra whitespace and a comment. */
	check("  Tue,  10  Jun 2003   04:00:00 +0000 (UTC) ",
	    "2003-06-10T04:00:00Z");
	/* US zones (RFC 822 section 5). */
	check("Sat, 01 Jan 2005 12:00:00 EST", "2005-01-01T17:00:00Z");
	check("Sat, 02 Jul 2005 12:00:00 PDT", "2005-07-02T19:00:00Z");
	/* Military zones mean -0000 (RFC 2822 4.3); J is not a zone. */
	check("Sat, 01 Jan 2005 12:00:00 Z", "2005-01-01T12:00:00Z");
	check("Sat, 01 Jan 2005 12:00:00 A", "2005-01-01T12:00:00Z");
	check("Sat, 01 Jan 2005 12:00:00 J", NULL);
	/* Full month name and Disney's zones without S/D. */
	check("Mon, 26 January 2004 16:31:00 ET", "2004-01-26T21:31:00Z");
	check("Mon, 26 January 2004 16:31:00 AT", "2004-01-26T20:31:00Z");
	check("Mon, 26 January 2004 16:31:00 PT", "2004-01-27T00:31:00Z");
	/* asctime order with a zone before the year. */
	check("Sun Jan  4 16:29:06 PST 2004", "2004-01-05T00:29:06Z");
	/* Perforce: Y/M/D. */
	check("Fri, 2006/09/15 08:19:53 EDT", "2006-09-15T12:19:53Z");
	check("Wed, 19 Aug 2009 18:28:00 Etc/GMT", "2009-08-19T18:28:00Z");
	check("10 Jun 2003 04:00 GMT+2", "2003-06-10T02:00:00Z");
	/* 12-hour clock. */
	check("Jun 10, 2003 4:05 PM GMT", "2003-06-10T16:05:00Z");
	check("Jun 10, 2003 12:05 AM GMT", "2003-06-10T00:05:00Z");
	/* No zone: read as UTC. */
	check("10 Jun 2003 04:00:00", "2003-06-10T04:00:00Z");
}

static void
test_other_languages(void **state)
{
	/* Greek day and month names; EST is -0500. */
	check("Κυρ, 11 Ιούλ 2004 12:00:00 EST", "2004-07-11T17:00:00Z");
	/* Hungarian month inside an ISO-like form. */
	check("2004-július-13T9:15-05:00", "2004-07-13T14:15:00Z");
	check("Di, 13 Okt 2009 10:00:00 +0200", "2009-10-13T08:00:00Z");
	/* Korean blogs: local time, KST is +0900; 오후 is PM. */
	check("2004-05-25 오후 11:23:17", "2004-05-25T14:23:17Z");
	check("2004년 05월 28일  01:31:15", "2004-05-27T16:31:15Z");
}

static void
test_iso8601(void **state)
{
	check("2003-12-31T10:14:55Z", "2003-12-31T10:14:55Z");
	check("2003-12-31T10:14:55-08:00", "2003-12-31T18:14:55Z");
	check("2003-12-31T10:14:55.123456+05:30", "2003-12-31T04:44:55Z");
	check("2003-12-31t10:14:55z", "2003-12-31T10:14:55Z");
	check("2003-12-31 10:14:55", "2003-12-31T10:14:55Z");
	check("2003-12-31T10:14Z", "2003-12-31T10:14:00Z");
	check("2003-12-31T10:14:55+0100", "2003-12-31T09:14:55Z");
	check("2003-12-31T10:14:55+01", "2003-12-31T09:14:55Z");
	/* Basic format. */
	check("20031231T101455Z", "2003-12-31T10:14:55Z");
	check("20031231", "2003-12-31T00:00:00Z");
	/* Reduced precision. */
	check("2003", "2003-01-01T00:00:00Z");
	check("2003-12", "2003-12-01T00:00:00Z");
	/* Ordinal dates: day 335 of 2003 is Dec 1 (2003 is not leap). */
	check("2003-335", "2003-12-01T00:00:00Z");
	check("2003335", "2003-12-01T00:00:00Z");
	check("2004-366", "2004-12-31T00:00:00Z");
	check("2003-366", NULL);
	/*
	 * Week dates: week 1 holds Jan 4.  2004-01-04 is a Sunday, so
	 * week 1 of 2004 starts on Monday 2003-12-29.
	 */
	check("2004-W01-1", "2003-12-29T00:00:00Z");
	check("2004W011", "2003-12-29T00:00:00Z");
	check("2004-W01", "2003-12-29T00:00:00Z");
	/* 2009 has 53 weeks; its last day is Sunday 2010-01-03. */
	check("2009-W53-7", "2010-01-03T00:00:00Z");
	check("2010-W53-1", NULL);
	/* Truncated forms with an implied century. */
	check("-03-12", "2003-12-01T00:00:00Z");
	check("-0312", "2003-12-01T00:00:00Z");
	check("03-12-31", "2003-12-31T00:00:00Z");
	check("03335", "2003-12-01T00:00:00Z");
	/* Google's three-digit month. */
	check("2003-012-31T10:14:55+00:00", "2003-12-31T10:14:55Z");
	/* Rollover: 61 minutes and offsets across month ends. */
	check("2003-12-31T10:61:55Z", "2003-12-31T11:01:55Z");
	check("2004-02-28T18:14:55-08:00", "2004-02-29T02:14:55Z");
	check("2000-02-28T18:14:55-08:00", "2000-02-29T02:14:55Z");
	check("1900-02-28T18:14:55-08:00", "1900-03-01T02:14:55Z");
	check("2003-02-28T18:14:55-08:00", "2003-03-01T02:14:55Z");
	check("2003-12-31T24:00:00Z", "2004-01-01T00:00:00Z");
}

static void
test_unreadable(void **state)
{
	check(NULL, NULL);
	check("", NULL);
	check("   ", NULL);
	check("garbage", NULL);
	check("yesterday", NULL);
	/* Day/month order unknowable: never guessed. */
	check("01/02/2003", NULL);
	check("2003-02-30", NULL);
	check("2003-13-01", NULL);
	check("2003-12-31T25:00:00Z", NULL);
	check("2003-12-31T10:00:00+25:00", NULL);
	check("Thu, 32 Jan 2004 19:48:21 GMT", NULL);
	check("Thu, 01 Foo 2004 19:48:21 GMT", NULL);
	check("Thu, 01 Jan 2004 19:48:21 XYZ", NULL);
	check("2003-12-31T10:14:55Zjunk", NULL);
	check("99999999999999999999", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known_instants),
		cmocka_unit_test(test_rfc822),
		cmocka_unit_test(test_other_languages),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
