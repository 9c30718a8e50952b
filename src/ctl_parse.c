/*
 * ctl_parse: `feedctl parse [--base URL] [--content-type TYPE] FILE|-`.
 * Feeds the file to the push parser in chunks and prints what feedd
 * understands of it as one JSON object (the contract of the shared feed
 * corpus, plus the item key and the fields beyond it).  Items are written
 * as the parser finishes them, so memory stays flat in the feed's size.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

#define READ_CHUNK	(64u << 10)
#define OUT_FLUSH	(64u << 10)	/* output bytes buffered before a write */

/*
 * The JSON is written by hand into one buffer that goes out in large
 * writes: building a jansson object per item and dumping it through stdio
 * a few bytes at a time took more time than parsing the feed.  The bytes
 * are those json_dumpf(JSON_COMPACT | JSON_PRESERVE_ORDER) wrote, which
 * the corpus checker and scripts read.
 */
struct out {
	FILE		*f;
	struct buf	 b;
	size_t		 n;		/* items written */
	int		 err;
};

/*
 * How jansson escapes a byte in a string: 0 as is, 'u' as \u00XX, else
 * a backslash and that letter.  Bytes from 0x80 on are kept: parse.h
 * promises well-formed UTF-8.
 */
static const char json_esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	['"'] = '"', ['\\'] = '\\',
};

/*
 * Punctuation and member names ("],\"name\":"), copied in place while the
 * buffer has room: a call to buf_append for each of the twenty-odd per
 * item was a measurable share of the output.
 */
#define PUT_LIT(o, lit)	put_raw(&(o)->b, lit, sizeof(lit) - 1)

static inline void
put_raw(struct buf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n)
		buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
out_flush(struct out *o)
{
	if (o->b.len > 0 && fwrite(o->b.data, 1, o->b.len, o->f) != o->b.len)
		o->err = 1;
	buf_clear(&o->b);
}

/*
 * Copies the prefix of [s, s+n) with nothing to escape (no byte below
 * 0x20, no '"', no '\\') to d and returns its length: a few vector
 * compares per sixteen bytes, where bit tricks on eight took three times
 * as many instructions.  Whole blocks are stored before they are
 * checked, copying as it scans where a memcpy after the scan read the
 * string twice, so up to fifteen bytes past the prefix are written too
 * (never past d + n).
 */
static size_t
copy_plain(char *d, const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef HAVE_BYTES16
	bytes16 v;
	size_t k;

	for (; i + 16 <= n; i += 16) {
		memcpy(&v, s + i, 16);
		memcpy(d + i, &v, 16);
		k = bytes16_first((bytes16)((v < 0x20) | (v == '"') |
		    (v == '\\')));
		if (k < 16)
			return i + k;
	}
#endif
	for (; i < n && json_esc[s[i]] == 0; i++)
		d[i] = (char)s[i];
	return i;
}

/* A JSON string, or null for NULL. */
static void
put_str(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k, n;
	char *d;

	if (s == NULL) {
		PUT_LIT(o, "null");
		return;
	}
	n = strlen(s);
	/*
	 * Room for the worst case, every byte as \u00XX, so the runs and
	 * escapes are stored directly: an append each cost more than the
	 * copying.
	 */
	buf_reserve(&o->b, 6 * n + 2);
	d = o->b.data + o->b.len;
	*d++ = '"';
	for (i = 0; (i += (k = copy_plain(d, p + i, n - i))) < n; i++) {
		d += k;
		*d++ = '\\';
		*d = json_esc[p[i]];
		if (*d++ == 'u') {
			*d++ = '0';
			*d++ = '0';
			*d++ = hex[p[i] >> 4];
			*d++ = hex[p[i] & 0xf];
		}
	}
	d += k;
	*d++ = '"';
	*d = '\0';
	o->b.len = (size_t)(d - o->b.data);
}

/* A number, or null when negative (unknown). */
static void
put_int(struct out *o, int64_t v)
{
	if (v < 0)
		PUT_LIT(o, "null");
	else
		buf_printf(&o->b, "%lld", (long long)v);
}

static void
put_date(struct out *o, int64_t t)
{
	char s[DATE_RFC3339_LEN + 1];

	if (t == DATE_NONE) {
		PUT_LIT(o, "null");
		return;
	}
	date_format_rfc3339(t, s, sizeof(s));
	put_str(o, s);
}

static void
put_item(struct out *o, const struct item *it)
{
	size_t i;

	PUT_LIT(o, "{\"key\":");
	put_str(o, it->key);
	PUT_LIT(o, ",\"id\":");
	put_str(o, it->id);
	PUT_LIT(o, ",\"title\":");
	put_str(o, it->title);
	PUT_LIT(o, ",\"link\":");
	put_str(o, it->link);
	PUT_LIT(o, ",\"author\":");
	put_str(o, it->author);
	PUT_LIT(o, ",\"published\":");
	put_date(o, it->published);
	PUT_LIT(o, ",\"updated\":");
	put_date(o, it->updated);
	PUT_LIT(o, ",\"summary\":");
	put_str(o, it->summary);
	PUT_LIT(o, ",\"content\":");
	put_str(o, it->content);
	PUT_LIT(o, ",\"enclosures\":[");
	for (i = 0; i < it->n_enclosures; i++) {
		const struct enclosure *en = &it->enclosures[i];

		if (i > 0)
			PUT_LIT(o, ",");
		PUT_LIT(o, "{\"url\":");
		put_str(o, en->url);
		PUT_LIT(o, ",\"type\":");
		put_str(o, en->type);
		PUT_LIT(o, ",\"length\":");
		put_int(o, en->length);
		PUT_LIT(o, "}");
	}
	PUT_LIT(o, "],\"categories\":[");
	for (i = 0; i < it->n_categories; i++) {
		if (i > 0)
			PUT_LIT(o, ",");
		put_str(o, it->categories[i]);
	}
	PUT_LIT(o, "],\"comments\":");
	put_str(o, it->comments);
	PUT_LIT(o, ",\"image\":");
	put_str(o, it->image);
	PUT_LIT(o, ",\"duration\":");
	put_int(o, it->duration);
	PUT_LIT(o, "}");
}

/* The hours or days set in a skipHours/skipDays mask, as an array. */
static void
put_bits(struct out *o, uint32_t mask, int n)
{
	bool first = true;
	int i;

	PUT_LIT(o, "[");
	for (i = 0; i < n; i++) {
		if (mask & (UINT32_C(1) << i)) {
			buf_printf(&o->b, first ? "%d" : ",%d", i);
			first = false;
		}
	}
	PUT_LIT(o, "]");
}

static void
put_hints(struct out *o, const struct feed_hints *h)
{
	PUT_LIT(o, "{\"ttl_minutes\":");
	put_int(o, h->ttl_minutes);
	PUT_LIT(o, ",\"sy_period_seconds\":");
	put_int(o, h->sy_period_seconds);
	PUT_LIT(o, ",\"sy_frequency\":");
	put_int(o, h->sy_frequency);
	PUT_LIT(o, ",\"skip_hours\":");
	put_bits(o, h->skip_hours, 24);
	PUT_LIT(o, ",\"skip_days\":");
	put_bits(o, h->skip_days, 7);
	PUT_LIT(o, "}");
}

/*
 * Items are written as the parser hands them over (parse_opts.item_cb),
 * so memory stays flat however long the feed; the feed's own fields,
 * which may come after the items in the document, close the object.
 */
static void
item_cb(struct item *it, void *arg)
{
	struct out *o = arg;

	if (o->n++ == 0)
		PUT_LIT(o, "{\"items\":[");
	else
		PUT_LIT(o, ",");
	put_item(o, it);
	if (o->b.len >= OUT_FLUSH)
		out_flush(o);
}

/* The rest of the object after the items. */
static int
print_feed(const struct feed *f, struct out *o)
{
	if (o->n == 0)
		PUT_LIT(o, "{\"items\":[");
	PUT_LIT(o, "],\"format\":");
	put_str(o, feed_format_name(f->format));
	PUT_LIT(o, ",\"title\":");
	put_str(o, f->title);
	PUT_LIT(o, ",\"link\":");
	put_str(o, f->link);
	PUT_LIT(o, ",\"description\":");
	put_str(o, f->description);
	PUT_LIT(o, ",\"updated\":");
	put_date(o, f->updated);
	PUT_LIT(o, ",\"author\":");
	put_str(o, f->author);
	PUT_LIT(o, ",\"image\":");
	put_str(o, f->image);
	PUT_LIT(o, ",\"language\":");
	put_str(o, f->language);
	PUT_LIT(o, ",\"hints\":");
	put_hints(o, &f->hints);
	PUT_LIT(o, ",\"items_dropped\":");
	buf_printf(&o->b, "%zu}\n", f->n_items_dropped);
	out_flush(o);
	if (fflush(o->f) != 0 || ferror(o->f) || o->err)
		return -1;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: feedctl parse [--base URL] "
	    "[--content-type TYPE] FILE|-\n");
}

int
ctl_parse(int argc, char **argv, struct ctl_opts *opts)
{
	static const struct option longopts[] = {
		CTL_GLOBAL_LONGOPTS,
		{ "base", required_argument, NULL, 'b' },
		{ "content-type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct out out = { .f = stdout };
	struct parse_opts po = { .item_cb = item_cb, .item_arg = &out };
	struct parser *p;
	struct feed *f = NULL;
	const char *path, *name;
	char *buf, *err = NULL;
	ssize_t n;
	int c, fd, r = -1;

	while ((c = getopt_long(argc, argv, "b:t:", longopts, NULL)) != -1) {
		if (ctl_global_option(c, optarg, opts))
			continue;
		switch (c) {
		case 'b':
			po.base_url = optarg;
			break;
		case 't':
			po.content_type = optarg;
			break;
		default:
			usage();
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage();
		return CTL_EXIT_USAGE;
	}
	path = argv[optind];
	name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "feedctl: %s: %s\n", name, strerror(errno));
		return CTL_EXIT_ERROR;
	}
	buf = xmalloc(READ_CHUNK);
	p = parser_new(&po);
	for (;;) {
		n = read(fd, buf, READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err = xstrdup(strerror(errno));
			break;
		}
		if (n == 0) {
			r = parser_finish(p, &f, &err);
			break;
		}
		if (parser_push(p, buf, (size_t)n, &err) == -1)
			break;
	}
	parser_free(p);
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r == -1) {
		/* The items handed over before the failure stay written. */
		out_flush(&out);
		buf_free(&out.b);
		fprintf(stderr, "feedctl: %s: %s\n", name,
		    err != NULL ? err : "cannot parse");
		free(err);
		return CTL_EXIT_ERROR;
	}
	r = print_feed(f, &out);
	feed_free(f);
	buf_free(&out.b);
	if (r == -1) {
		fprintf(stderr, "feedctl: %s: cannot write the output\n", name);
		return CTL_EXIT_ERROR;
	}
	return CTL_EXIT_OK;
}
