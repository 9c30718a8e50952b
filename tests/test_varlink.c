/*
 * test_varlink: the Varlink wire format — framing NUL-terminated messages
 * out of arbitrary chunks, calls and replies as varlink.org defines them,
 * and typed parameters.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "varlink.h"

static void
test_framer_chunks(void **state)
{
	static const char stream[] = "{\"a\":1}\0{\"b\":2}\0{\"c\"";
	struct varlink_framer f = { 0 };
	const char *msg;
	size_t len, i;
	int n = 0, r;

	/* One byte at a time: messages come out whole and in order. */
	for (i = 0; i < sizeof(stream) - 1; i++) {
		varlink_framer_push(&f, stream + i, 1);
		while ((r = varlink_framer_next(&f, &msg, &len)) == 1) {
			n++;
			assert_int_equal(len, 7);
			assert_int_equal(msg[len], '\0');
			assert_memory_equal(msg, n == 1 ? "{\"a\":1}" :
			    "{\"b\":2}", 7);
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(n, 2);
	/* The incomplete third message waits. */
	assert_int_equal(varlink_framer_pending(&f), 4);
	varlink_framer_push(&f, ":3}", 4);	/* with its NUL */
	assert_int_equal(varlink_framer_next(&f, &msg, &len), 1);
	assert_string_equal(msg, "{\"c\":3}");
	assert_int_equal(varlink_framer_pending(&f), 0);
	varlink_framer_free(&f);
}

static void
test_framer_cap(void **state)
{
	struct varlink_framer f = { .max = 10 };
	const char *msg;
	size_t len;

	/* Exactly the cap is fine. */
	varlink_framer_push(&f, "0123456789", 11);
	assert_int_equal(varlink_framer_next(&f, &msg, &len), 1);
	assert_int_equal(len, 10);
	/* One more byte, even before its NUL arrives, is not. */
	varlink_framer_push(&f, "01234567890", 11);
	assert_int_equal(varlink_framer_next(&f, &msg, &len), -1);
	varlink_framer_free(&f);

	/* An over-long message with its NUL in the same chunk. */
	f = (struct varlink_framer){ .max = 4 };
	varlink_framer_push(&f, "abcdef", 7);
	assert_int_equal(varlink_framer_next(&f, &msg, &len), -1);
	varlink_framer_free(&f);

	/* An empty message is a message (and not JSON: the caller's call). */
	f = (struct varlink_framer){ 0 };
	varlink_framer_push(&f, "\0", 1);
	assert_int_equal(varlink_framer_next(&f, &msg, &len), 1);
	assert_int_equal(len, 0);
	varlink_framer_free(&f);
}

static void
test_call_parse(void **state)
{
	static const char good[] = "{\"method\":\"org.feedd.ListItems\","
	    "\"parameters\":{\"limit\":5},\"more\":true,\"x.vendor\":{}}";
	struct varlink_call c;
	char *err = NULL;
	const char *s;

	assert_int_equal(varlink_call_parse(good, strlen(good), &c, &err), 0);
	assert_string_equal(c.method, "org.feedd.ListItems");
	assert_true(c.more);
	assert_false(c.oneway);
	assert_false(c.upgrade);
	assert_int_equal(json_integer_value(json_object_get(c.params,
	    "limit")), 5);
	varlink_call_clear(&c);

	/* Parameters may be absent or null: an empty object. */
	assert_int_equal(varlink_call_parse("{\"method\":\"a.b.C\"}",
	    strlen("{\"method\":\"a.b.C\"}"), &c, NULL), 0);
	assert_true(json_is_object(c.params));
	assert_int_equal(json_object_size(c.params), 0);
	varlink_call_clear(&c);
	s = "{\"method\":\"a.b.C\",\"parameters\":null,\"oneway\":null}";
	assert_int_equal(varlink_call_parse(s, strlen(s), &c, NULL), 0);
	assert_true(json_is_object(c.params));
	varlink_call_clear(&c);
}

static void
test_call_parse_bad(void **state)
{
	static const char *bad[] = {
		"",
		"not json",
		"[1,2]",
		"\"string\"",
		"{\"method\":1}",
		"{\"parameters\":{}}",
		"{\"method\":\"a.b.C\",\"parameters\":[]}",
		"{\"method\":\"a.b.C\",\"parameters\":\"x\"}",
		"{\"method\":\"a.b.C\",\"more\":\"yes\"}",
		"{\"method\":\"a.b.C\",\"oneway\":1}",
		"{\"method\":\"a.b.C\",\"upgrade\":{}}",
		"{\"method\":\"a.b.C\"} trailing",
		"{\"method\":\"a.b.C\",\"method\":\"a.b.D\"}",
		/* Invalid UTF-8 and an escaped NUL. */
		"{\"method\":\"a.b.\xff\"}",
		"{\"method\":\"a.b.C\\u0000\"}",
	};
	struct varlink_call c;
	size_t i;
	char *err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		assert_int_equal(varlink_call_parse(bad[i], strlen(bad[i]),
		    &c, &err), -1);
		assert_non_null(err);
		free(err);
	}
}

static void
test_deep_nesting(void **state)
{
	struct varlink_call c;
	struct buf b = { 0 };
	int i;

	/* Far deeper than any parser stack should go: refused, no crash. */
	buf_puts(&b, "{\"method\":\"a.b.C\",\"parameters\":{\"x\":");
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	for (i = 0; i < 100000; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "}}");
	assert_int_equal(varlink_call_parse(b.data, b.len, &c, NULL), -1);
	buf_free(&b);
}

static void
test_reply_parse(void **state)
{
	struct varlink_reply r;
	static const char err[] = "{\"error\":\"org.feedd.NoSuchItem\","
	    "\"parameters\":{\"id\":7}}";

	static const char more[] = "{\"parameters\":{\"a\":1},"
	    "\"continues\":true}";

	assert_int_equal(varlink_reply_parse(more, strlen(more), &r, NULL),
	    0);
	assert_null(r.error);
	assert_true(r.continues);
	varlink_reply_clear(&r);
	assert_int_equal(varlink_reply_parse(err, strlen(err), &r, NULL), 0);
	assert_string_equal(r.error, "org.feedd.NoSuchItem");
	assert_false(r.continues);
	varlink_reply_clear(&r);
	/* A reply without parameters (sd-varlink omits them). */
	assert_int_equal(varlink_reply_parse("{}", 2, &r, NULL), 0);
	assert_true(json_is_object(r.params));
	varlink_reply_clear(&r);
	assert_int_equal(varlink_reply_parse("{\"error\":5}",
	    strlen("{\"error\":5}"), &r, NULL), -1);
}

static void
test_put(void **state)
{
	struct buf b = { 0 };
	json_t *p = json_pack("{s:i}", "limit", 5);
	json_t *v;
	double nan = 0.0 / 0.0;

	assert_int_equal(varlink_put_call(&b, "org.feedd.ListItems", p,
	    VARLINK_CALL_MORE), 0);
	/* One message, NUL-terminated, that parses back to the same call. */
	assert_int_equal(b.data[b.len - 1], '\0');
	assert_int_equal(strlen(b.data), b.len - 1);
	v = json_loads(b.data, 0, NULL);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "method")),
	    "org.feedd.ListItems");
	assert_true(json_is_true(json_object_get(v, "more")));
	assert_null(json_object_get(v, "oneway"));
	assert_true(json_equal(json_object_get(v, "parameters"), p));
	json_decref(v);
	buf_clear(&b);

	assert_int_equal(varlink_put_reply(&b, NULL, true), 0);
	v = json_loads(b.data, 0, NULL);
	assert_true(json_is_true(json_object_get(v, "continues")));
	assert_true(json_is_object(json_object_get(v, "parameters")));
	json_decref(v);
	buf_clear(&b);

	json_decref(p);
	p = json_pack("{s:s}", "parameter", "x");
	assert_int_equal(varlink_put_error(&b, VARLINK_ERR_INVALID_PARAMETER,
	    p), 0);
	v = json_loads(b.data, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(v, "error")),
	    "org.varlink.service.InvalidParameter");
	json_decref(v);
	buf_clear(&b);

	/* NaN cannot be JSON: refused, buffer untouched. */
	buf_puts(&b, "keep");
	json_decref(p);
	p = json_pack("{s:f}", "x", nan);
	if (p != NULL) {
		assert_int_equal(varlink_put_reply(&b, p, false), -1);
		assert_int_equal(b.len, 4);
		json_decref(p);
	}
	buf_free(&b);
}

static void
test_json_string(void **state)
{
	json_t *s;

	s = varlink_json_string("caf\xc3\xa9");
	assert_string_equal(json_string_value(s), "caf\xc3\xa9");
	json_decref(s);
	/* Invalid UTF-8 becomes U+FFFD instead of failing. */
	s = varlink_json_string("a\xff" "b");
	assert_non_null(s);
	assert_string_equal(json_string_value(s), "a\xef\xbf\xbd" "b");
	json_decref(s);
	s = varlink_json_string(NULL);
	assert_true(json_is_null(s));
}

static void
test_method_split(void **state)
{
	const char *m;
	char *iface;

	assert_true(varlink_method_split("org.feedd.ListItems", &iface, &m));
	assert_string_equal(iface, "org.feedd");
	assert_string_equal(m, "ListItems");
	free(iface);
	assert_true(varlink_method_split("io.systemd.Unit.List", NULL, NULL));
	assert_true(varlink_method_split("org.example-x.a1.Do", NULL, NULL));
	assert_false(varlink_method_split("ListItems", NULL, NULL));
	assert_false(varlink_method_split("feedd.listItems", NULL, NULL));
	assert_false(varlink_method_split("org..feedd.X", NULL, NULL));
	assert_false(varlink_method_split("org.feedd-.X", NULL, NULL));
	assert_false(varlink_method_split("org.feedd.List_Items", NULL, NULL));
	assert_false(varlink_method_split(".X", NULL, NULL));
	/* An interface needs two labels. */
	assert_false(varlink_method_split("org.X", NULL, NULL));
	assert_false(varlink_method_split("feedd.", NULL, NULL));
}

static void
test_params(void **state)
{
	json_t *p;
	bool unread = false, unread_set = false, all = true;
	int64_t limit = 100, *ids = NULL;
	const char *feed = NULL, **names = NULL;
	size_t n_ids = 0, n_names = 0;
	struct varlink_field fields[] = {
		{ "unread", VARLINK_BOOL, false, &unread, NULL, &unread_set },
		{ "all", VARLINK_BOOL, false, &all, NULL, NULL },
		{ "limit", VARLINK_INT, false, &limit, NULL, NULL },
		{ "feed", VARLINK_STRING, true, &feed, NULL, NULL },
		{ "ids", VARLINK_INTS, false, &ids, &n_ids, NULL },
		{ "names", VARLINK_STRINGS, false, &names, &n_names, NULL },
	};
	const size_t nf = sizeof(fields) / sizeof(fields[0]);

	p = json_pack("{s:b,s:n,s:i,s:s,s:[i,i,i],s:[s]}", "unread", 1,
	    "all", "limit", 7, "feed", "lwn", "ids", 3, 1, 2, "names", "x");
	assert_null(varlink_params_read(p, fields, nf));
	assert_true(unread && unread_set);
	assert_true(all);		/* null: untouched */
	assert_int_equal(limit, 7);
	assert_string_equal(feed, "lwn");
	assert_int_equal(n_ids, 3);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[2], 2);
	assert_int_equal(n_names, 1);
	assert_string_equal(names[0], "x");
	free(ids);
	free(names);
	json_decref(p);

	/* Each kind of wrong names the parameter. */
	p = json_pack("{s:s}", "feed", "x");
	assert_null(varlink_params_read(p, fields, nf));
	json_object_set_new(p, "limit", json_string("5"));
	assert_string_equal(varlink_params_read(p, fields, nf), "limit");
	json_object_set_new(p, "limit", json_real(5.0));
	assert_string_equal(varlink_params_read(p, fields, nf), "limit");
	json_object_del(p, "limit");
	json_object_set_new(p, "ids", json_pack("[i,s]", 1, "2"));
	assert_string_equal(varlink_params_read(p, fields, nf), "ids");
	json_object_del(p, "ids");
	json_object_set_new(p, "unread", json_integer(1));
	assert_string_equal(varlink_params_read(p, fields, nf), "unread");
	json_object_del(p, "unread");
	json_object_set_new(p, "bogus", json_true());
	assert_string_equal(varlink_params_read(p, fields, nf), "bogus");
	json_object_del(p, "bogus");
	json_object_set_new(p, "feed", json_null());
	assert_string_equal(varlink_params_read(p, fields, nf), "feed");
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framer_chunks),
		cmocka_unit_test(test_framer_cap),
		cmocka_unit_test(test_call_parse),
		cmocka_unit_test(test_call_parse_bad),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_reply_parse),
		cmocka_unit_test(test_put),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_method_split),
		cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
