/*
 * fuzz_varlink: the Varlink wire format under arbitrary bytes — framing
 * in arbitrary chunks, parsing each message as a call and as a reply,
 * reading typed parameters, splitting method names, and re-encoding what
 * parsed (which must parse back to the same call).  A libFuzzer target;
 * the replay driver runs it over tests/fuzz/corpus/varlink/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varlink.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_call(const char *msg, size_t len)
{
	bool b = false;
	int64_t i = 0, *ints = NULL;
	const char *s = NULL, **strs = NULL, *m = NULL;
	size_t n_ints = 0, n_strs = 0;
	const struct varlink_field fields[] = {
		{ "b", VARLINK_BOOL, false, &b, NULL, NULL },
		{ "i", VARLINK_INT, false, &i, NULL, NULL },
		{ "s", VARLINK_STRING, false, &s, NULL, NULL },
		{ "ids", VARLINK_INTS, false, &ints, &n_ints, NULL },
		{ "feeds", VARLINK_STRINGS, false, &strs, &n_strs, NULL },
	};
	struct varlink_call c, again;
	struct buf out = { 0 };
	char *iface = NULL;

	if (varlink_call_parse(msg, len, &c, NULL) == -1)
		return;
	if (varlink_params_read(c.params, fields, 5) == NULL) {
		free(ints);
		free(strs);
	}
	if (varlink_method_split(c.method, &iface, &m))
		free(iface);
	/* What we accept we can say again, and it means the same. */
	if (varlink_put_call(&out, c.method, c.params,
	    (c.oneway ? VARLINK_CALL_ONEWAY : 0) |
	    (c.more ? VARLINK_CALL_MORE : 0)) == 0) {
		if (varlink_call_parse(out.data, out.len - 1, &again,
		    NULL) == -1 || strcmp(again.method, c.method) != 0 ||
		    !json_equal(again.params, c.params))
			abort();
		varlink_call_clear(&again);
	}
	buf_free(&out);
	varlink_call_clear(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct varlink_framer f = { .max = 65536 };
	struct varlink_reply r;
	const char *msg;
	size_t len, off, chunk;
	int rc;

	if (size == 0)
		return 0;
	/* The first byte picks the chunk size the bytes arrive in. */
	chunk = data[0] % 64 + 1;
	for (off = 1; off < size; off += chunk) {
		varlink_framer_push(&f, data + off,
		    size - off < chunk ? size - off : chunk);
		while ((rc = varlink_framer_next(&f, &msg, &len)) == 1) {
			if (memchr(msg, '\0', len) != NULL || msg[len] != '\0')
				abort();
			check_call(msg, len);
			if (varlink_reply_parse(msg, len, &r, NULL) == 0)
				varlink_reply_clear(&r);
		}
		if (rc == -1)
			break;
	}
	varlink_framer_free(&f);
	return 0;
}
