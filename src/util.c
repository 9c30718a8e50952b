/*
 * util: allocation, growable buffers, small string and UTF-8 helpers.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static void __attribute__((noreturn))
out_of_memory(size_t n)
{
	fprintf(stderr, "out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(nmemb * size);
	return p;
}

void *
xreallocarray(void *old, size_t nmemb, size_t size)
{
	size_t n;
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	n = nmemb * size;
	p = realloc(old, n > 0 ? n : 1);
	if (p == NULL)
		out_of_memory(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	n = strnlen(s, n);
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	struct buf b = { 0 };

	buf_vprintf(&b, fmt, ap);
	return buf_take(&b);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;

	if (n > SIZE_MAX - b->len - 1)
		out_of_memory(SIZE_MAX);
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->data[b->len] = '\0';
	b->cap = cap;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	buf_append(b, &ch, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *
buf_take(struct buf *b)
{
	char *s = b->data;

	if (s == NULL)
		s = xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

bool
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void
str_set(char **dst, const char *src)
{
	str_take(dst, src != NULL ? xstrdup(src) : NULL);
}

void
str_take(char **dst, char *src)
{
	free(*dst);
	*dst = src;
}

int
utf8_sequence(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	/* The table of RFC 3629 section 4: no overlongs, no surrogates. */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i < len; i++) {
		if (i >= n)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return (int)len;
}

/* utf8_sequence() for callers to whom a cut-short sequence is ill-formed. */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	int len = utf8_sequence((const char *)s, n);

	return len > 0 ? (size_t)len : 0;
}

size_t
mem_span4(const void *s, size_t n, unsigned char a, unsigned char b,
    unsigned char c, unsigned char d)
{
	const unsigned char *p = s;
	size_t i = 0;
#ifdef HAVE_BYTES16
	bytes16 v;
	size_t k;

	for (; i + 16 <= n; i += 16) {
		memcpy(&v, p + i, 16);
		/* Runs are often short: the hit itself, not its block. */
		k = bytes16_first((bytes16)((v == a) | (v == b) | (v == c) |
		    (v == d)));
		if (k < 16)
			return i + k;
	}
#endif
	for (; i < n; i++)
		if (p[i] == a || p[i] == b || p[i] == c || p[i] == d)
			break;
	return i;
}

/*
 * Bytes from i on that are ASCII and not NUL, eight at a time: most text
 * is, and a call per byte is what the UTF-8 checks spend their time on.
 */
static size_t
ascii_run(const unsigned char *p, size_t i, size_t len)
{
	uint64_t v;

	while (i + 8 <= len) {
		memcpy(&v, p + i, 8);
		if (((v & 0x8080808080808080ULL) |
		    ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL))
		    != 0)
			break;
		i += 8;
	}
	while (i < len && p[i] != 0 && p[i] < 0x80)
		i++;
	return i;
}

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((i = ascii_run(p, i, len)) == len)
			break;
		if ((n = utf8_seq_len(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

void
utf8_append_clean(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, n;

	while (i < len) {
		if ((i = ascii_run(p, i, len)) == len)
			break;
		n = utf8_seq_len(p + i, len - i);
		if (n != 0 && p[i] != '\0') {
			i += n;
			continue;
		}
		buf_append(b, s + start, i - start);
		if (n == 0)
			buf_puts(b, "\xef\xbf\xbd");
		i++;
		start = i;
	}
	buf_append(b, s + start, i - start);
}

size_t
utf8_decode(const char *s, size_t n, uint32_t *ret_cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = utf8_seq_len(p, n), i;
	uint32_t c;

	if (len == 0) {
		*ret_cp = 0xfffd;
		return 1;
	}
	if (len == 1) {
		*ret_cp = p[0];
		return 1;
	}
	/* The lead byte keeps 7 - len bits, each continuation 6. */
	c = p[0] & (0x7f >> len);
	for (i = 1; i < len; i++)
		c = (c << 6) | (p[i] & 0x3f);
	*ret_cp = c;
	return len;
}

int
unicode_width(uint32_t c)
{
	if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) ||
	    c == 0xfeff)
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

uint64_t
hash64(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}
