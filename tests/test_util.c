/*
 * Unit tests for util: buffers and UTF-8 cleaning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
test_buf_grows_and_stays_terminated(void **state)
{
	struct buf b = { 0 };
	char *s;
	int i;

	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_true(str_has_prefix(b.data, "0,1,2,"));
	buf_clear(&b);
	assert_string_equal(b.data, "");
	buf_puts(&b, "x");
	s = buf_take(&b);
	assert_string_equal(s, "x");
	assert_null(b.data);
	free(s);
	s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);
}

static void
test_utf8_valid(void **state)
{
	assert_true(utf8_valid("h\xc3\xa9", 3));
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_false(utf8_valid("\xc3", 1));		/* truncated */
	assert_false(utf8_valid("\xc0\xaf", 2));	/* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(utf8_valid("\xff", 1));

	/* One sequence: its length, 0 if ill-formed, -1 if cut short. */
	assert_int_equal(utf8_sequence("a", 1), 1);
	assert_int_equal(utf8_sequence("\xe2\x82\xac", 3), 3);
	assert_int_equal(utf8_sequence("\xe2\x82", 2), -1);
	assert_int_equal(utf8_sequence("\xf0\x9f\x98", 3), -1);
	assert_int_equal(utf8_sequence("\xe2\x41", 2), 0);
	assert_int_equal(utf8_sequence("\xe0\x80", 2), 0);	/* overlong */
	assert_int_equal(utf8_sequence("\xed\xa0", 2), 0);	/* surrogate */
	assert_int_equal(utf8_sequence("\x80", 1), 0);
}

static void
test_utf8_append_clean(void **state)
{
	struct buf b = { 0 };

	utf8_append_clean(&b, "a\xff" "b\0c\xc3\xa9", 7);
	assert_string_equal(b.data, "a\xef\xbf\xbd" "bc\xc3\xa9");
	buf_free(&b);
}

/* utf8_cut never leaves half a character, and cuts nothing it need not. */
static void
test_utf8_cut(void **state)
{
	/* a, e-acute (2 bytes), euro sign (3), G clef (4), b */
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e" "b";
	const size_t ends[] = { 0, 1, 3, 6, 10, 11 };
	size_t max, k, len = strlen(s);

	(void)state;
	for (max = 0; max <= len + 2; max++) {
		size_t n = utf8_cut(s, len, max);

		/* The longest whole-character prefix within max. */
		for (k = 0; k + 1 < sizeof(ends) / sizeof(ends[0]) &&
		    ends[k + 1] <= max; k++)
			;
		assert_int_equal(n, ends[k]);
		assert_true(utf8_valid(s, n));
	}
	/* Bytes that are no UTF-8 at all are cut where asked. */
	assert_int_equal(utf8_cut("\xff\xfe\xfd", 3, 2), 2);
}

/*
 * mem_span4 stops at the first of its bytes wherever it falls: in a
 * sixteen-byte block, on its edges, in the tail after the last block.
 */
static void
test_mem_span4(void **state)
{
	char s[80];
	size_t n, at;

	(void)state;
	for (n = 0; n <= sizeof(s); n++) {
		memset(s, 'x', sizeof(s));
		assert_int_equal(mem_span4(s, n, '<', '&', '>', '"'), n);
		for (at = 0; at < n; at++) {
			memset(s, 'x', sizeof(s));
			s[at] = "<&>\""[at % 4];
			if (at + 1 < n)
				s[at + 1] = '<';	/* the first one counts */
			assert_int_equal(mem_span4(s, n, '<', '&', '>', '"'),
			    at);
			/* A byte asked for once is enough; others pass. */
			assert_int_equal(mem_span4(s, n, 'q', 'q', 'q', 'q'),
			    n);
		}
	}
	/* High bytes are bytes like any other. */
	memset(s, 0xe9, sizeof(s));
	s[37] = (char)0xff;
	assert_int_equal(mem_span4(s, sizeof(s), 0xff, 0xff, 0xff, 0xff), 37);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_stays_terminated),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_append_clean),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_mem_span4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
