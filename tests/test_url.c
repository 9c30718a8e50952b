/*
 * Unit tests for url: reference resolution (RFC 3986 section 5.4
 * examples), canonical forms for cross-feed dedup, and the small checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"

#define S(x) ((x) != NULL ? (x) : "NULL")

static void
check_resolve(const char *base, const char *ref, const char *want)
{
	char *got = url_resolve(base, ref);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("resolve(%s, %s) = %s, want NULL", S(base),
			    S(ref), got);
		return;
	}
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("resolve(%s, %s) = %s, want %s", S(base), S(ref),
		    S(got), want);
	free(got);
}

static void
check_canonical(const char *in, const char *want)
{
	char *got = url_canonical(in);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("canonical(%s) = %s, want NULL", S(in), got);
		return;
	}
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("canonical(%s) = %s, want %s", S(in), S(got),
		    want);
	free(got);
}

/* RFC 3986 section 5.4.1, base http://a/b/c/d;p?q. */
static void
test_resolve_rfc3986_normal(void **state)
{
	const char *b = "http://a/b/c/d;p?q";

	check_resolve(b, "g", "http://a/b/c/g");
	check_resolve(b, "./g", "http://a/b/c/g");
	check_resolve(b, "g/", "http://a/b/c/g/");
	check_resolve(b, "/g", "http://a/g");
	check_resolve(b, "//g", "http://g/");
	check_resolve(b, "?y", "http://a/b/c/d;p?y");
	check_resolve(b, "g?y", "http://a/b/c/g?y");
	check_resolve(b, "#s", "http://a/b/c/d;p?q#s");
	check_resolve(b, "g#s", "http://a/b/c/g#s");
	check_resolve(b, "", "http://a/b/c/d;p?q");
	check_resolve(b, ".", "http://a/b/c/");
	check_resolve(b, "..", "http://a/b/");
	check_resolve(b, "../g", "http://a/b/g");
	check_resolve(b, "../..", "http://a/");
	check_resolve(b, "../../g", "http://a/g");
	/* 5.4.2: too many ".." stop at the root. */
	check_resolve(b, "../../../g", "http://a/g");
}

static void
test_resolve_feed_cases(void **state)
{
	/* Spaces around links, as in <a href=" /x ">. */
	check_resolve("http://example.com/feed.xml", " /relative/uri ",
	    "http://example.com/relative/uri");
	/* Absolute references ignore the base, whatever their scheme. */
	check_resolve("http://example.com/", "https://other.org/x",
	    "https://other.org/x");
	check_resolve("http://example.com/", "mailto:me@example.com",
	    "mailto:me@example.com");
	check_resolve(NULL, "tag:example.com,2006:/blog/",
	    "tag:example.com,2006:/blog/");
	/* A query with '&' survives. */
	check_resolve(NULL, "http://link/get?a=1&b=2", "http://link/get?a=1&b=2");
	/* Nothing to resolve a relative reference against. */
	check_resolve(NULL, "relative/uri", NULL);
	check_resolve(NULL, NULL, NULL);
	check_resolve("http://example.com/a", NULL, "http://example.com/a");
	/* An empty fragment is no fragment. */
	check_resolve("http://example.com/a?q", "#", "http://example.com/a?q");
	/* Spaces inside a path are percent-encoded, not refused. */
	check_resolve("http://example.com/", "/a b", "http://example.com/a%20b");
}

static void
test_canonical(void **state)
{
	/* Scheme and host case, default port, fragment. */
	check_canonical("HTTP://Example.COM:80/Path?x=1#frag",
	    "http://example.com/Path?x=1");
	check_canonical("https://example.com:443/", "https://example.com/");
	check_canonical("https://example.com:8443/", "https://example.com:8443/");
	/* Tracking parameters go, the others keep their order. */
	check_canonical("http://example.com/a?utm_source=rss&id=5"
	    "&utm_medium=feed&fbclid=abc&b=2&gclid=x&mc_cid=1&mc_eid=2",
	    "http://example.com/a?id=5&b=2");
	check_canonical("http://example.com/a?utm_campaign=x",
	    "http://example.com/a");
	/* A parameter that merely starts like one is kept. */
	check_canonical("http://example.com/a?utmost=1",
	    "http://example.com/a?utmost=1");
	/* Directory index names. */
	check_canonical("http://example.com/blog/index.html",
	    "http://example.com/blog/");
	check_canonical("http://example.com/index.php?p=1",
	    "http://example.com/?p=1");
	check_canonical("http://example.com/myindex.html",
	    "http://example.com/myindex.html");
	/* Dot segments. */
	check_canonical("http://example.com/a/../b/./c",
	    "http://example.com/b/c");
	check_canonical("http://example.com", "http://example.com/");
	/* Trailing dots of the host go, and curl's own IPv4 reading of
	 * what is left applies (found by fuzz_url: canonical forms must be
	 * fixed points). */
	check_canonical("http://example.com../x", "http://example.com/x");
	check_canonical("http://6./x", "http://0.0.0.6/x");
	check_canonical("http://0.0.0.6/x", "http://0.0.0.6/x");
	/* Only http(s). */
	check_canonical("ftp://example.com/x", NULL);
	check_canonical("mailto:me@example.com", NULL);
	check_canonical("/relative", NULL);
	check_canonical(NULL, NULL);
}

static void
test_is_http_and_host(void **state)
{
	char *h;

	assert_true(url_is_http("http://example.com/"));
	assert_true(url_is_http("HTTPS://example.com/x"));
	assert_false(url_is_http("ftp://example.com/"));
	assert_false(url_is_http("file:///etc/passwd"));
	assert_false(url_is_http("example.com"));
	assert_false(url_is_http(NULL));
	h = url_host("http://WWW.Example.com:8080/x");
	assert_string_equal(h, "www.example.com");
	free(h);
	assert_null(url_host("not a url"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_rfc3986_normal),
		cmocka_unit_test(test_resolve_feed_cases),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_is_http_and_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
