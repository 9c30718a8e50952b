/*
 * digest_mime: the mail encodings the mbox digest needs -- RFC 2047
 * encoded words in headers, RFC 2045 quoted-printable bodies and RFC 5322
 * dates.  Declared in digest.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "util.h"

/* RFC 5322 wants header lines under 78 characters. */
#define HEADER_WIDTH	78
/* Bytes per encoded word: 39 bytes are 52 base64 characters, so
 * "Subject: =?UTF-8?B?...?=" stays under HEADER_WIDTH. */
#define WORD_BYTES	39
/* Quoted-printable lines: 76 characters with the soft break's '='. */
#define QP_WIDTH	76

static void
base64(struct buf *b, const unsigned char *p, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_putc(b, tab[v >> 18 & 63]);
		buf_putc(b, tab[v >> 12 & 63]);
		buf_putc(b, tab[v >> 6 & 63]);
		buf_putc(b, tab[v & 63]);
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		buf_putc(b, tab[v >> 18 & 63]);
		buf_putc(b, tab[v >> 12 & 63]);
		buf_puts(b, "==");
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		buf_putc(b, tab[v >> 18 & 63]);
		buf_putc(b, tab[v >> 12 & 63]);
		buf_putc(b, tab[v >> 6 & 63]);
		buf_putc(b, '=');
	}
}

/* A copy of s with control characters as spaces, in valid UTF-8. */
static char *
header_clean(const char *s)
{
	struct buf b = { 0 };
	char *p;

	utf8_append_clean(&b, s, strlen(s));
	if (b.data == NULL)
		return xstrdup("");
	for (p = b.data; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return buf_take(&b);
}

/* Whether s can go into a header as it is. */
static bool
header_plain(const char *s)
{
	const char *p;
	size_t word = 0;

	if (strstr(s, "=?") != NULL)	/* would read as an encoded word */
		return false;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			return false;
		/* A word too long to fold under the line limit. */
		word = *p == ' ' ? 0 : word + 1;
		if (word > HEADER_WIDTH - 10)
			return false;
	}
	return true;
}

/*
 * Appends s as encoded words, each on its own folded line after the
 * first.  Words end on UTF-8 character boundaries, as RFC 2047 section 5
 * requires.
 */
static void
encoded_words(struct buf *b, const char *s)
{
	size_t len = strlen(s), n;
	bool first = true;

	while (len > 0) {
		n = len < WORD_BYTES ? len : WORD_BYTES;
		while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = len < WORD_BYTES ? len : WORD_BYTES;
		if (!first)
			buf_puts(b, "\n ");
		buf_puts(b, "=?UTF-8?B?");
		base64(b, (const unsigned char *)s, n);
		buf_puts(b, "?=");
		first = false;
		s += n;
		len -= n;
	}
}

/* Appends ASCII words folded at spaces under HEADER_WIDTH. */
static void
folded_words(struct buf *b, const char *s, size_t col)
{
	size_t wlen;
	bool first = true;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		wlen = strcspn(s, " ");
		if (!first && col + 1 + wlen > HEADER_WIDTH) {
			buf_puts(b, "\n ");
			col = 1;
		} else if (!first) {
			buf_putc(b, ' ');
			col++;
		}
		buf_append(b, s, wlen);
		col += wlen;
		s += wlen;
		first = false;
	}
}

void
mime_header(struct buf *b, const char *name, const char *value)
{
	char *v = header_clean(value);

	buf_printf(b, "%s: ", name);
	if (header_plain(v))
		folded_words(b, v, strlen(name) + 2);
	else
		encoded_words(b, v);
	buf_putc(b, '\n');
	free(v);
}

/* RFC 5322 specials: a display name with one must be quoted. */
static bool
phrase_needs_quotes(const char *s)
{
	return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

/* Appends one address, its display name encoded or quoted as needed. */
static void
put_address(struct buf *b, const char *s)
{
	const char *lt = strrchr(s, '<'), *p;
	char *name;
	size_t n;

	if (lt == NULL) {
		buf_puts(b, s);
		return;
	}
	n = (size_t)(lt - s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	/* A name already quoted is taken without its quotes. */
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		name = xstrndup(s + 1, n - 2);
	else
		name = xstrndup(s, n);
	if (*name == '\0') {
		/* Nothing to show: the address alone. */
	} else if (!header_plain(name)) {
		encoded_words(b, name);
		buf_putc(b, ' ');
	} else if (phrase_needs_quotes(name)) {
		buf_putc(b, '"');
		for (p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(b, '\\');
			buf_putc(b, *p);
		}
		buf_puts(b, "\" ");
	} else {
		buf_printf(b, "%s ", name);
	}
	buf_puts(b, lt);
	free(name);
}

void
mime_address_header(struct buf *b, const char *name, const char *value)
{
	char *v = header_clean(value), *addr;
	const char *p, *start;
	bool quoted = false, first = true;
	int angle = 0;
	size_t col = strlen(name) + 2, mark, n;

	buf_printf(b, "%s: ", name);
	/* Split at commas outside quotes and angle brackets. */
	for (p = start = v;; p++) {
		if (*p == '"' && (p == v || p[-1] != '\\'))
			quoted = !quoted;
		else if (!quoted && *p == '<')
			angle++;
		else if (!quoted && *p == '>' && angle > 0)
			angle--;
		if (*p != '\0' && (*p != ',' || quoted || angle > 0))
			continue;
		while (*start == ' ')
			start++;
		n = (size_t)(p - start);
		while (n > 0 && start[n - 1] == ' ')
			n--;
		if (n > 0) {
			addr = xstrndup(start, n);
			if (!first) {
				buf_putc(b, ',');
				col++;
				if (col + 1 + n > HEADER_WIDTH) {
					buf_puts(b, "\n ");
					col = 1;
				} else {
					buf_putc(b, ' ');
					col++;
				}
			}
			mark = b->len;
			put_address(b, addr);
			col += b->len - mark;
			if (memchr(b->data + mark, '\n', b->len - mark))
				col = b->len - mark;	/* roughly */
			free(addr);
			first = false;
		}
		if (*p == '\0')
			break;
		start = p + 1;
	}
	buf_putc(b, '\n');
	free(v);
}

/* Whether the byte at s[i] must be written =XX; col: output column. */
static bool
qp_must_encode(const char *s, size_t i, size_t len, size_t col)
{
	unsigned char c = (unsigned char)s[i];

	if (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t'))
		return true;
	/* Blanks at the end of a line would be lost in transport. */
	if ((c == ' ' || c == '\t') && (i + 1 == len || s[i + 1] == '\n'))
		return true;
	/* ".\n" ends sendmail's input; "From " starts an mbox message. */
	if (col == 0 && (c == '.' ||
	    (c == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0)))
		return true;
	return false;
}

void
mime_qp(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0;
	unsigned char c;
	bool enc;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\n') {
			buf_putc(b, '\n');
			col = 0;
			continue;
		}
		enc = qp_must_encode(s, i, len, col);
		if (col + (enc ? 3 : 1) > QP_WIDTH - 1) {
			buf_puts(b, "=\n");	/* soft line break */
			col = 0;
			enc = qp_must_encode(s, i, len, col);
		}
		if (enc) {
			buf_putc(b, '=');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
			col += 3;
		} else {
			buf_putc(b, (char)c);
			col++;
		}
	}
}

/* Names in English whatever the locale, as mail and mbox want them. */
static const char *const day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static void
utc(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, tm) == NULL) {
		tt = 0;
		gmtime_r(&tt, tm);
	}
}

void
mime_date(struct buf *b, int64_t t)
{
	struct tm tm;

	utc(t, &tm);
	buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    day_names[tm.tm_wday % 7], tm.tm_mday, month_names[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
mbox_from_line(struct buf *b, const char *from, int64_t t)
{
	const char *lt = strrchr(from, '<'), *gt;
	char *addr;
	struct tm tm;

	/* The envelope sender: the addr-spec of "Name <addr>" or addr. */
	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		addr = xstrndup(from + strspn(from, " \t"),
		    strcspn(from + strspn(from, " \t"), " \t,"));
	utc(t, &tm);
	/* ctime(3)'s layout, as mbox(5) has it. */
	buf_printf(b, "From %s %s %s %2d %02d:%02d:%02d %d\n",
	    *addr != '\0' && strpbrk(addr, " \t\r\n") == NULL ? addr :
	    "MAILER-DAEMON", day_names[tm.tm_wday % 7],
	    month_names[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, tm.tm_year + 1900);
	free(addr);
}
