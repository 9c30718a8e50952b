/*
 * varlink: the Varlink wire format shared by server.c and client.c.
 * JSON goes through jansson, which already rejects invalid UTF-8, \u0000,
 * duplicate-less garbage and nesting deeper than its fixed limit; this
 * file adds the framing, the message shapes and parameter typing.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "varlink.h"

/* ---- framing ---- */

static size_t
framer_max(const struct varlink_framer *f)
{
	return f->max ? f->max : VARLINK_MAX_MESSAGE;
}

char *
varlink_framer_space(struct varlink_framer *f, size_t want)
{
	/* Move the unreturned tail to the front before growing. */
	if (f->start > 0) {
		memmove(f->buf.data, f->buf.data + f->start,
		    f->buf.len - f->start);
		f->buf.len -= f->start;
		f->start = 0;
	}
	if (f->buf.cap - f->buf.len < want + 1) {
		size_t cap = f->buf.cap ? f->buf.cap : 4096;

		while (cap - f->buf.len < want + 1)
			cap *= 2;
		f->buf.data = xreallocarray(f->buf.data, cap, 1);
		f->buf.cap = cap;
	}
	return f->buf.data + f->buf.len;
}

void
varlink_framer_commit(struct varlink_framer *f, size_t n)
{
	f->buf.len += n;
}

void
varlink_framer_push(struct varlink_framer *f, const void *data, size_t len)
{
	memcpy(varlink_framer_space(f, len), data, len);
	varlink_framer_commit(f, len);
}

int
varlink_framer_next(struct varlink_framer *f, const char **ret,
    size_t *ret_len)
{
	const char *p, *nul;
	size_t avail;

	avail = f->buf.len - f->start;
	p = f->buf.data + f->start;
	/* Scan only what was not scanned before: a slow sender of a big
	 * message costs linear time, not quadratic. */
	nul = avail > f->scanned ?
	    memchr(p + f->scanned, '\0', avail - f->scanned) : NULL;
	if (nul == NULL) {
		f->scanned = avail;
		if (avail > framer_max(f))
			return -1;
		return 0;
	}
	if ((size_t)(nul - p) > framer_max(f))
		return -1;
	*ret = p;
	*ret_len = nul - p;
	f->start += (nul - p) + 1;
	f->scanned = 0;
	return 1;
}

size_t
varlink_framer_pending(const struct varlink_framer *f)
{
	return f->buf.len - f->start;
}

void
varlink_framer_free(struct varlink_framer *f)
{
	buf_free(&f->buf);
	f->start = f->scanned = 0;
}

/* ---- messages ---- */

static json_t *
load_object(const char *msg, size_t len, char **ret_err)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (ret_err)
			*ret_err = xasprintf("not JSON: %s at byte %d",
			    jerr.text, jerr.position);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		if (ret_err)
			*ret_err = xstrdup("message is not a JSON object");
		return NULL;
	}
	return root;
}

/* A flag: absent and null are false; anything but a boolean is an error. */
static int
get_flag(json_t *root, const char *key, bool *ret)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL || json_is_null(v)) {
		*ret = false;
		return 0;
	}
	if (!json_is_boolean(v))
		return -1;
	*ret = json_is_true(v);
	return 0;
}

/* "parameters": absent or null is {}. */
static int
get_params(json_t *root, json_t **ret)
{
	json_t *v = json_object_get(root, "parameters");

	if (v == NULL || json_is_null(v)) {
		v = json_object();
		json_object_set_new(root, "parameters", v);
	} else if (!json_is_object(v))
		return -1;
	*ret = v;
	return 0;
}

int
varlink_call_parse(const char *msg, size_t len, struct varlink_call *ret,
    char **ret_err)
{
	struct varlink_call c = { 0 };
	const char *bad = NULL;
	json_t *m;

	if ((c.root = load_object(msg, len, ret_err)) == NULL)
		return -1;
	m = json_object_get(c.root, "method");
	if (!json_is_string(m))
		bad = "method";
	else if (get_params(c.root, &c.params) == -1)
		bad = "parameters";
	else if (get_flag(c.root, "oneway", &c.oneway) == -1)
		bad = "oneway";
	else if (get_flag(c.root, "more", &c.more) == -1)
		bad = "more";
	else if (get_flag(c.root, "upgrade", &c.upgrade) == -1)
		bad = "upgrade";
	if (bad != NULL) {
		if (ret_err)
			*ret_err = xasprintf("call has a missing or mistyped "
			    "\"%s\"", bad);
		json_decref(c.root);
		return -1;
	}
	c.method = json_string_value(m);
	*ret = c;
	return 0;
}

void
varlink_call_clear(struct varlink_call *c)
{
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}

int
varlink_reply_parse(const char *msg, size_t len, struct varlink_reply *ret,
    char **ret_err)
{
	struct varlink_reply r = { 0 };
	const char *bad = NULL;
	json_t *e;

	if ((r.root = load_object(msg, len, ret_err)) == NULL)
		return -1;
	e = json_object_get(r.root, "error");
	if (e != NULL && !json_is_null(e) && !json_is_string(e))
		bad = "error";
	else if (get_params(r.root, &r.params) == -1)
		bad = "parameters";
	else if (get_flag(r.root, "continues", &r.continues) == -1)
		bad = "continues";
	if (bad != NULL) {
		if (ret_err)
			*ret_err = xasprintf("reply has a mistyped \"%s\"",
			    bad);
		json_decref(r.root);
		return -1;
	}
	r.error = json_string_value(e);	/* NULL unless a string */
	*ret = r;
	return 0;
}

void
varlink_reply_clear(struct varlink_reply *r)
{
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/*
 * Interface names as the Varlink grammar has them: dot-separated labels
 * of letters, digits and inner dashes, at least two, the first starting
 * with a letter.
 */
static bool
interface_name_ok(const char *s, size_t len)
{
	size_t i, labels = 0;
	bool start = true;

	if (len == 0 || len > 255 || !is_alpha(s[0]))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (start || s[i - 1] == '-')
				return false;
			start = true;
			continue;
		}
		if (start) {
			if (!is_alnum(s[i]))
				return false;
			labels++;
			start = false;
		} else if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return !start && s[len - 1] != '-' && labels >= 2;
}

bool
varlink_method_split(const char *name, char **ret_interface,
    const char **ret_method)
{
	const char *dot, *m;

	if ((dot = strrchr(name, '.')) == NULL)
		return false;
	m = dot + 1;
	if (!(*m >= 'A' && *m <= 'Z'))
		return false;
	for (const char *p = m; *p; p++)
		if (!is_alnum(*p))
			return false;
	if (!interface_name_ok(name, dot - name))
		return false;
	if (ret_interface)
		*ret_interface = xstrndup(name, dot - name);
	if (ret_method)
		*ret_method = m;
	return true;
}

static int
dump_cb(const char *data, size_t len, void *arg)
{
	buf_append(arg, data, len);
	return 0;
}

/* Appends obj as compact JSON and a NUL; restores out on failure. */
static int
put_message(struct buf *out, json_t *obj)
{
	size_t mark = out->len;

	if (json_dump_callback(obj, dump_cb, out, JSON_COMPACT) == -1) {
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
		return -1;
	}
	/* The NUL terminator is part of the message on the wire. */
	buf_append(out, "", 1);
	return 0;
}

int
varlink_put_call(struct buf *out, const char *method, json_t *params,
    int flags)
{
	json_t *m;
	int rc;

	m = json_object();
	json_object_set_new(m, "method", varlink_json_string(method));
	if (params != NULL)
		json_object_set(m, "parameters", params);
	if (flags & VARLINK_CALL_ONEWAY)
		json_object_set_new(m, "oneway", json_true());
	if (flags & VARLINK_CALL_MORE)
		json_object_set_new(m, "more", json_true());
	rc = put_message(out, m);
	json_decref(m);
	return rc;
}

int
varlink_put_reply(struct buf *out, json_t *params, bool continues)
{
	json_t *m;
	int rc;

	m = json_object();
	if (params != NULL)
		json_object_set(m, "parameters", params);
	else
		json_object_set_new(m, "parameters", json_object());
	if (continues)
		json_object_set_new(m, "continues", json_true());
	rc = put_message(out, m);
	json_decref(m);
	return rc;
}

int
varlink_put_error(struct buf *out, const char *error, json_t *params)
{
	json_t *m;
	int rc;

	m = json_object();
	json_object_set_new(m, "error", varlink_json_string(error));
	if (params != NULL)
		json_object_set(m, "parameters", params);
	else
		json_object_set_new(m, "parameters", json_object());
	rc = put_message(out, m);
	json_decref(m);
	return rc;
}

json_t *
varlink_json_string(const char *s)
{
	struct buf b = { 0 };
	json_t *j;
	size_t len;

	if (s == NULL)
		return json_null();
	len = strlen(s);
	if (utf8_valid(s, len))
		return json_stringn_nocheck(s, len);
	utf8_append_clean(&b, s, len);
	j = json_stringn_nocheck(b.data ? b.data : "", b.len);
	buf_free(&b);
	return j;
}

/* ---- typed parameters ---- */

static bool
field_known(const struct varlink_field *fields, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(fields[i].name, key) == 0)
			return true;
	return false;
}

/* Checks v against the field's type; fills nothing. */
static bool
type_ok(const struct varlink_field *f, json_t *v)
{
	size_t i;
	json_t *e;

	switch (f->type) {
	case VARLINK_BOOL:
		return json_is_boolean(v);
	case VARLINK_INT:
		return json_is_integer(v);
	case VARLINK_STRING:
		return json_is_string(v);
	case VARLINK_STRINGS:
	case VARLINK_INTS:
		if (!json_is_array(v) || json_array_size(v) > VARLINK_MAX_ARRAY)
			return false;
		json_array_foreach(v, i, e) {
			if (f->type == VARLINK_STRINGS ? !json_is_string(e) :
			    !json_is_integer(e))
				return false;
		}
		return true;
	}
	return false;
}

const char *
varlink_params_read(json_t *params, const struct varlink_field *fields,
    size_t n)
{
	const char *key;
	json_t *v, *e;
	size_t i, j;

	/* Check everything first, so that failing allocates nothing. */
	json_object_foreach(params, key, v) {
		if (!field_known(fields, n, key))
			return key;
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(params, fields[i].name);
		if (v == NULL || json_is_null(v)) {
			if (fields[i].required)
				return fields[i].name;
			continue;
		}
		if (!type_ok(&fields[i], v))
			return fields[i].name;
	}
	for (i = 0; i < n; i++) {
		const struct varlink_field *f = &fields[i];

		v = json_object_get(params, f->name);
		if (f->ret_set)
			*f->ret_set = v != NULL && !json_is_null(v);
		if (v == NULL || json_is_null(v))
			continue;
		switch (f->type) {
		case VARLINK_BOOL:
			*(bool *)f->ret = json_is_true(v);
			break;
		case VARLINK_INT:
			*(int64_t *)f->ret = json_integer_value(v);
			break;
		case VARLINK_STRING:
			*(const char **)f->ret = json_string_value(v);
			break;
		case VARLINK_STRINGS: {
			const char **a;

			a = xcalloc(json_array_size(v) + 1, sizeof(*a));
			json_array_foreach(v, j, e)
				a[j] = json_string_value(e);
			*(const char ***)f->ret = a;
			*f->ret_n = json_array_size(v);
			break;
		}
		case VARLINK_INTS: {
			int64_t *a;

			a = xcalloc(json_array_size(v) + 1, sizeof(*a));
			json_array_foreach(v, j, e)
				a[j] = json_integer_value(e);
			*(int64_t **)f->ret = a;
			*f->ret_n = json_array_size(v);
			break;
		}
		}
	}
	return NULL;
}
