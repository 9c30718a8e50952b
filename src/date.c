/*
 * date: reading the dates feeds carry.  Two readers: a strict one for the
 * all-numeric ISO 8601 family (RFC 3339, W3CDTF, basic and extended
 * forms, week and ordinal dates, truncated forms), and a token-based one
 * for RFC 822/1123 and what publishers made of it (asctime order, missing
 * day names, two-digit years, named zones, month names in a few languages,
 * the Korean "Nate" forms).  Both end in the same validation and in
 * days-from-civil arithmetic, so nothing depends on the C library's time
 * zone state: exact and thread-safe.
 *
 * Anything a reader does not fully account for is DATE_NONE: an unknown
 * word or an ambiguous day/month order is never guessed.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "date.h"

#define DATE_MAX_INPUT	128	/* longer strings are not dates */
#define DATE_MAX_TOKENS	40

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *ret_y, int *ret_m, int *ret_d)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*ret_d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*ret_m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*ret_y = y + (*ret_m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* RFC 2822 section 4.3: 00-49 are 20xx, 50-99 are 19xx, 3 digits + 1900. */
static int64_t
expand_year(int64_t y, int ndigits)
{
	if (ndigits <= 2)
		return y < 50 ? 2000 + y : 1900 + y;
	if (ndigits == 3)
		return 1900 + y;
	return y;
}

/*
 * The broken-down time every reader fills in.  Minutes and seconds past
 * 59 roll over into the next hour/minute (10:61 reads as 11:01), as the
 * corpus of real feeds expects; the calendar date itself must be valid.
 */
struct tm_parts {
	int64_t	year;
	int	mon, day;		/* 1-based */
	int	hour, min, sec;
	int	offset;			/* seconds east of UTC */
};

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define DATE_MIN	INT64_C(-62135596800)
#define DATE_MAX	INT64_C(253402300799)

static int64_t
parts_to_time(const struct tm_parts *p)
{
	int64_t t;

	if (p->year < 1 || p->year > 9999 || p->mon < 1 || p->mon > 12 ||
	    p->day < 1 || p->day > days_in_month(p->year, p->mon))
		return DATE_NONE;
	if (p->hour < 0 || p->hour > 24 || p->min < 0 || p->min > 99 ||
	    p->sec < 0 || p->sec > 99)
		return DATE_NONE;
	if (p->hour == 24 && (p->min != 0 || p->sec != 0))
		return DATE_NONE;
	if (p->offset < -18 * 3600 || p->offset > 18 * 3600)
		return DATE_NONE;
	t = days_from_civil(p->year, p->mon, p->day) * 86400 +
	    p->hour * 3600 + p->min * 60 + p->sec - p->offset;
	/* Years 1-9999 in UTC too: what RFC 3339 can write. */
	if (t < DATE_MIN || t > DATE_MAX)
		return DATE_NONE;
	return t;
}

/* ---- zone names ---- */

static const struct {
	const char	*name;
	int		 minutes;	/* east of UTC */
} zones[] = {
	{ "z", 0 }, { "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "uct", 0 },
	{ "wet", 0 }, { "west", 60 }, { "bst", 60 },
	{ "cet", 60 }, { "cest", 120 }, { "met", 60 }, { "mest", 120 },
	{ "mez", 60 }, { "mesz", 120 },
	{ "eet", 120 }, { "eest", 180 }, { "msk", 180 },
	{ "jst", 540 }, { "kst", 540 }, { "hkt", 480 }, { "sgt", 480 },
	{ "awst", 480 }, { "acst", 570 }, { "acdt", 630 },
	{ "aest", 600 }, { "aedt", 660 }, { "nzst", 720 }, { "nzdt", 780 },
	/* North America (RFC 822) and the "Disney" zones without S/D. */
	{ "est", -300 }, { "edt", -240 }, { "et", -300 },
	{ "cst", -360 }, { "cdt", -300 }, { "ct", -360 },
	{ "mst", -420 }, { "mdt", -360 }, { "mt", -420 },
	{ "pst", -480 }, { "pdt", -420 }, { "pt", -480 },
	{ "ast", -240 }, { "adt", -180 }, { "at", -240 },
	{ "nst", -210 }, { "ndt", -150 },
	{ "akst", -540 }, { "akdt", -480 }, { "hst", -600 },
};

/*
 * Minutes east of UTC for a zone name (ASCII, any case), or false.  The
 * single-letter military zones are read as RFC 2822 section 4.3 says:
 * RFC 822 gave them the wrong sign, so they all mean -0000 (UTC, offset
 * unknown); "J" is not a zone.
 */
static bool
zone_lookup(const char *s, size_t n, int *ret_minutes)
{
	size_t i;

	if (n == 1 && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z') &&
	    (s[0] | 0x20) != 'j') {
		*ret_minutes = 0;
		return true;
	}
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (strlen(zones[i].name) == n &&
		    strncasecmp(zones[i].name, s, n) == 0) {
			*ret_minutes = zones[i].minutes;
			return true;
		}
	}
	return false;
}

/* ---- month and day names ---- */

/*
 * Month names as publishers write them: English, German, French, Spanish,
 * Italian, Dutch, Hungarian and Greek (full and abbreviated).  ASCII
 * letters compare without case; the others as written here.
 */
static const char *const month_names[12] = {
	"jan|january|januar|janv|janvier|ene|enero|gen|gennaio|januari|"
	    "január|Ιαν|Ιανουαρίου|Ιανουάριος",
	"feb|february|februar|fév|févr|février|fev|fevrier|febrero|febbraio|"
	    "februari|február|Φεβ|Φεβρουαρίου|Φεβρουάριος",
	"mar|march|mär|märz|maerz|mars|marzo|mrt|maart|március|Μάρ|Μαρ|"
	    "Μαρτίου|Μάρτιος",
	"apr|april|avr|avril|abr|abril|aprile|április|Απρ|Απριλίου|Απρίλιος",
	"may|mai|mayo|mag|maggio|mei|máj|május|Μάι|Μαΐ|Μαϊ|Μαΐου|Μάιος",
	"jun|june|juni|juin|junio|giu|giugno|jún|június|Ιούν|Ιουν|Ιον|"
	    "Ιουνίου|Ιούνιος",
	"jul|july|juli|juil|juillet|julio|lug|luglio|júl|július|Ιούλ|Ιουλ|"
	    "Ιολ|Ιουλίου|Ιούλιος",
	"aug|august|août|aout|ago|agosto|augustus|aug|augusztus|Αύγ|Αυγ|"
	    "Αυγούστου|Αύγουστος",
	"sep|sept|september|septembre|septiembre|setiembre|set|settembre|"
	    "szept|szeptember|Σεπ|Σεπτεμβρίου|Σεπτέμβριος",
	"oct|october|okt|oktober|octobre|octubre|ott|ottobre|október|Οκτ|"
	    "Οκτωβρίου|Οκτώβριος",
	"nov|november|novembre|noviembre|Νοέ|Νοε|Νοεμβρίου|Νοέμβριος",
	"dec|december|dez|dezember|déc|décembre|dic|diciembre|dicembre|"
	    "Δεκ|Δεκεμβρίου|Δεκέμβριος",
};

static const char *const day_names =
    "mon|monday|tue|tues|tuesday|wed|wednesday|thu|thur|thurs|thursday|"
    "fri|friday|sat|saturday|sun|sunday";

/* True if the word [s, s+n) is one of the '|'-separated names in list. */
static bool
in_list(const char *list, const char *s, size_t n)
{
	const char *p = list, *e;

	for (;;) {
		e = strchr(p, '|');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && strncasecmp(p, s, n) == 0)
			return true;
		if (*e == '\0')
			return false;
		p = e + 1;
	}
}

static bool
is_day_abbr(const char *s)
{
	static const char days[] = "montuewedthufrisatsun";
	int i;

	for (i = 0; i < 7; i++)
		if (strncasecmp(days + 3 * i, s, 3) == 0)
			return true;
	return false;
}

static int
month_lookup(const char *s, size_t n)
{
	static const char en[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int i;

	/* The common case first: an English abbreviation. */
	if (n == 3) {
		for (i = 0; i < 12; i++)
			if (strncasecmp(en + 3 * i, s, 3) == 0)
				return i + 1;
	}
	for (i = 0; i < 12; i++)
		if (in_list(month_names[i], s, n))
			return i + 1;
	return 0;
}

/* ---- the strict ISO 8601 reader ---- */

/* Reads exactly n digits at *pp. */
static bool
digits(const char **pp, int n, int *ret)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*ret = v;
	return true;
}

static int
count_digits(const char *p)
{
	int n = 0;

	while (p[n] >= '0' && p[n] <= '9')
		n++;
	return n;
}

/* Day number (days since epoch) of ISO year y, week w, weekday d (1=Mon). */
static bool
iso_week_day(int64_t y, int w, int d, int64_t *ret_days)
{
	int64_t jan4 = days_from_civil(y, 1, 4);
	int64_t wd = ((jan4 + 3) % 7 + 7) % 7 + 1;	/* 1970-01-01: Thu */
	int64_t dec28 = days_from_civil(y, 12, 28);
	int64_t weeks = (dec28 - (jan4 - (wd - 1))) / 7 + 1;

	if (w < 1 || w > weeks || d < 1 || d > 7)
		return false;
	*ret_days = jan4 - (wd - 1) + (int64_t)(w - 1) * 7 + (d - 1);
	return true;
}

/*
 * The time of day and zone after a date: [T| ]hh[:mm[:ss[.f]]] or the basic
 * hh[mm[ss[.f]]], then Z, ±hh[[:]mm], a zone name or nothing (UTC).
 */
static bool
iso_time(const char *p, struct tm_parts *t)
{
	if (*p == '\0')
		return true;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return false;
	p++;
	while (*p == ' ')
		p++;
	/* Hours: two digits, or one ("T9:15" is seen in the wild). */
	if (count_digits(p) == 1 && p[1] == ':') {
		t->hour = p[0] - '0';
		p++;
	} else if (!digits(&p, 2, &t->hour))
		return false;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &t->min))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &t->sec))
				return false;
		}
	} else if (count_digits(p) >= 2) {
		digits(&p, 2, &t->min);
		if (count_digits(p) >= 2)
			digits(&p, 2, &t->sec);
	}
	if ((*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
		p++;
		while (*p >= '0' && *p <= '9')	/* fraction: dropped */
			p++;
	}
	while (*p == ' ')
		p++;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		p++;
		if (!digits(&p, 2, &oh))
			return false;
		if (*p == ':')
			p++;
		if (count_digits(p) == 2)
			digits(&p, 2, &om);
		if (oh > 23 || om > 59)
			return false;
		t->offset = sign * (oh * 3600 + om * 60);
	} else if (*p != '\0') {
		/* A zone name: "2003-12-31 10:14:55 PST". */
		const char *w = p;
		int m;

		while ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
			p++;
		if (p == w || !zone_lookup(w, (size_t)(p - w), &m))
			return false;
		t->offset = m * 60;
	}
	return *p == '\0';
}

/* YYYY-DDD and friends: day v of year y, or false. */
static bool
ordinal_day(int64_t y, int v, int64_t *ret_days)
{
	if (v < 1 || v > (is_leap(y) ? 366 : 365))
		return false;
	*ret_days = days_from_civil(y, 1, 1) + v - 1;
	return true;
}

/*
 * The digit-only forms of ISO 8601 and their truncations.  Returns
 * DATE_NONE for anything else, which then goes to the loose reader.
 */
static int64_t
parse_iso(const char *s)
{
	struct tm_parts t = { 0 };
	const char *p = s;
	int64_t days = 0;
	int n, y = 0, v = 0, w, d;
	bool have_days = false, ext;

	t.mon = t.day = 1;
	if (p[0] == '-' && p[1] != '-') {
		/* Truncated: -YY-MM, -YYMM, -YY (century implied). */
		p++;
		if (!digits(&p, 2, &y))
			return DATE_NONE;
		t.year = expand_year(y, 2);
		if (*p == '-')
			p++;
		if (count_digits(p) == 2)
			digits(&p, 2, &t.mon);
		goto time;
	}
	n = count_digits(p);
	switch (n) {
	case 4:
		digits(&p, 4, &y);
		t.year = y;
		if ((ext = *p == '-'))
			p++;
		n = count_digits(p);
		if (*p == 'W' || *p == 'w') {	/* YYYY-Www[-D] */
			p++;
			if (!digits(&p, 2, &w))
				return DATE_NONE;
			d = 1;
			if (ext && *p == '-' && count_digits(p + 1) == 1)
				p++;
			if (count_digits(p) == 1)
				digits(&p, 1, &d);
			if (!iso_week_day(t.year, w, d, &days))
				return DATE_NONE;
			have_days = true;
		} else if (!ext) {
			/* YYYY alone */
		} else if (n == 3 && p[3] == '-' && p[0] == '0') {
			/* YYYY-0MM-DD, as Google once wrote. */
			p++;
			digits(&p, 2, &t.mon);
			p++;
			if (!digits(&p, 2, &t.day))
				return DATE_NONE;
		} else if (n == 3) {		/* YYYY-DDD */
			digits(&p, 3, &v);
			if (!ordinal_day(t.year, v, &days))
				return DATE_NONE;
			have_days = true;
		} else if (n == 2) {		/* YYYY-MM[-DD] */
			digits(&p, 2, &t.mon);
			if (*p == '-') {
				p++;
				if (!digits(&p, 2, &t.day))
					return DATE_NONE;
			}
		} else
			return DATE_NONE;
		break;
	case 8:				/* YYYYMMDD */
		digits(&p, 4, &y);
		t.year = y;
		digits(&p, 2, &t.mon);
		digits(&p, 2, &t.day);
		break;
	case 7:				/* YYYYDDD */
		digits(&p, 4, &y);
		t.year = y;
		digits(&p, 3, &v);
		if (!ordinal_day(t.year, v, &days))
			return DATE_NONE;
		have_days = true;
		break;
	case 6:				/* YYMMDD */
		digits(&p, 2, &y);
		t.year = expand_year(y, 2);
		digits(&p, 2, &t.mon);
		digits(&p, 2, &t.day);
		break;
	case 5:				/* YYDDD */
		digits(&p, 2, &y);
		t.year = expand_year(y, 2);
		digits(&p, 3, &v);
		if (!ordinal_day(t.year, v, &days))
			return DATE_NONE;
		have_days = true;
		break;
	case 2:				/* YY-MM-DD, YY-DDD */
		digits(&p, 2, &y);
		t.year = expand_year(y, 2);
		if (*p != '-')
			return DATE_NONE;
		p++;
		n = count_digits(p);
		if (n == 3) {
			digits(&p, 3, &v);
			if (!ordinal_day(t.year, v, &days))
				return DATE_NONE;
			have_days = true;
		} else if (n == 2 && p[2] == '-') {
			digits(&p, 2, &t.mon);
			p++;
			if (!digits(&p, 2, &t.day))
				return DATE_NONE;
		} else
			return DATE_NONE;
		break;
	default:
		return DATE_NONE;
	}
time:
	if (!iso_time(p, &t))
		return DATE_NONE;
	if (have_days) {
		int64_t yy;

		civil_from_days(days, &yy, &t.mon, &t.day);
		t.year = yy;
	}
	return parts_to_time(&t);
}

/* ---- the loose reader (RFC 822 and everything else) ---- */

enum tok_type { TOK_NUM, TOK_WORD, TOK_PUNCT };

struct tok {
	enum tok_type	 type;
	const char	*s;
	size_t		 len;
	int		 val;		/* TOK_NUM: value; TOK_PUNCT: char */
};

static bool
is_word_byte(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? true : c >= 0x80;
}

static int
tokenize(const char *s, struct tok *toks, int max)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	while (*p != '\0') {
		struct tok *t;

		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		if (n == max)
			return -1;
		t = &toks[n++];
		t->s = (const char *)p;
		if (*p >= '0' && *p <= '9') {
			t->type = TOK_NUM;
			t->val = 0;
			while (*p >= '0' && *p <= '9') {
				if (p - (const unsigned char *)t->s >= 9)
					return -1;
				t->val = t->val * 10 + (*p - '0');
				p++;
			}
		} else if (is_word_byte(*p)) {
			t->type = TOK_WORD;
			while (is_word_byte(*p))
				p++;
		} else {
			t->type = TOK_PUNCT;
			t->val = *p++;
		}
		t->len = (size_t)((const char *)p - t->s);
	}
	return n;
}

static bool
word_is(const struct tok *t, const char *w)
{
	return t->type == TOK_WORD && t->len == strlen(w) &&
	    strncmp(t->s, w, t->len) == 0;
}

static bool
punct_is(const struct tok *t, int c)
{
	return t->type == TOK_PUNCT && t->val == c;
}

static int64_t
parse_loose(const char *s)
{
	struct tok toks[DATE_MAX_TOKENS];
	struct tm_parts t = { 0 };
	struct tok *nums[4];
	int n, i, nnum = 0, ampm = 0, m, korean_ymd[3] = { -1, -1, -1 };
	bool have_time = false, have_zone = false, korean = false;

	n = tokenize(s, toks, DATE_MAX_TOKENS);
	if (n <= 0)
		return DATE_NONE;
	for (i = 0; i < n; i++) {
		struct tok *k = &toks[i];

		if (k->type == TOK_NUM) {
			/* A time: h:mm[:ss[.frac]]. */
			if (!have_time && i + 2 < n && punct_is(&toks[i + 1],
			    ':') && toks[i + 2].type == TOK_NUM &&
			    k->len <= 2 && toks[i + 2].len == 2) {
				t.hour = k->val;
				t.min = toks[i + 2].val;
				i += 2;
				if (i + 2 < n && punct_is(&toks[i + 1], ':') &&
				    toks[i + 2].type == TOK_NUM &&
				    toks[i + 2].len == 2) {
					t.sec = toks[i + 2].val;
					i += 2;
					if (i + 2 < n &&
					    punct_is(&toks[i + 1], '.') &&
					    toks[i + 2].type == TOK_NUM)
						i += 2;
				}
				have_time = true;
				continue;
			}
			if (nnum == 3)
				return DATE_NONE;
			nums[nnum++] = k;
			continue;
		}
		if (k->type == TOK_PUNCT) {
			/* A numeric zone after the time: +hhmm, -hh:mm. */
			if ((k->val == '+' || k->val == '-') && have_time &&
			    !(have_zone && toks[i - 1].type != TOK_WORD) &&
			    i + 1 < n && toks[i + 1].type == TOK_NUM) {
				int sign = k->val == '-' ? -1 : 1, oh, om;
				struct tok *z = &toks[i + 1];

				if (z->len == 4) {
					oh = z->val / 100;
					om = z->val % 100;
					i++;
				} else if (z->len <= 2) {
					oh = z->val;
					om = 0;
					i++;
					if (i + 2 < n &&
					    punct_is(&toks[i + 1], ':') &&
					    toks[i + 2].type == TOK_NUM &&
					    toks[i + 2].len == 2) {
						om = toks[i + 2].val;
						i += 2;
					}
				} else
					return DATE_NONE;
				if (oh > 23 || om > 59)
					return DATE_NONE;
				/* "GMT+2": the sign applies on top of GMT. */
				t.offset = sign * (oh * 3600 + om * 60);
				have_zone = true;
				continue;
			}
			if (k->val == '(') {	/* RFC 822 comment */
				while (i < n && !punct_is(&toks[i], ')'))
					i++;
				continue;
			}
			if (strchr(",-/.:", k->val) != NULL)
				continue;
			return DATE_NONE;
		}
		/* Words: the common ones first. */
		if (k->len == 3 && is_day_abbr(k->s))
			continue;
		if (have_time && !have_zone && zone_lookup(k->s, k->len, &m)) {
			t.offset = m * 60;
			have_zone = true;
			continue;
		}
		if ((m = month_lookup(k->s, k->len)) != 0) {
			if (t.mon != 0)
				return DATE_NONE;
			t.mon = m;
			continue;
		}
		if (in_list(day_names, k->s, k->len))
			continue;
		/* Any word before a comma at the start is a day name. */
		if (i == 0 && n > 1 && punct_is(&toks[1], ','))
			continue;
		if (k->len == 2 && strncasecmp(k->s, "am", 2) == 0) {
			ampm = 1;
			continue;
		}
		if (k->len == 2 && strncasecmp(k->s, "pm", 2) == 0) {
			ampm = 2;
			continue;
		}
		if (word_is(k, "오전") || word_is(k, "오후")) {
			ampm = word_is(k, "오전") ? 1 : 2;
			korean = true;
			continue;
		}
		if (word_is(k, "년") || word_is(k, "월") || word_is(k, "일")) {
			int which = word_is(k, "년") ? 0 : word_is(k, "월") ?
			    1 : 2;

			if (nnum == 0)
				return DATE_NONE;
			korean_ymd[which] = nnum - 1;
			korean = true;
			continue;
		}
		/* "T" between an ISO date and the time. */
		if (k->len == 1 && (k->s[0] == 'T' || k->s[0] == 't') &&
		    !have_time && i + 1 < n && toks[i + 1].type == TOK_NUM)
			continue;
		/* "Etc/GMT". */
		if (k->len == 3 && strncasecmp(k->s, "etc", 3) == 0 &&
		    i + 1 < n && punct_is(&toks[i + 1], '/'))
			continue;
		if (have_time && !have_zone && zone_lookup(k->s, k->len, &m)) {
			t.offset = m * 60;
			have_zone = true;
			continue;
		}
		return DATE_NONE;
	}

	/* Which number is the day, the month, the year. */
	if (korean_ymd[0] >= 0 && korean_ymd[1] >= 0 && korean_ymd[2] >= 0 &&
	    nnum == 3 && t.mon == 0) {
		t.year = expand_year(nums[korean_ymd[0]]->val,
		    (int)nums[korean_ymd[0]]->len);
		t.mon = nums[korean_ymd[1]]->val;
		t.day = nums[korean_ymd[2]]->val;
	} else if (t.mon != 0) {
		struct tok *a, *b;

		if (nnum != 2)
			return DATE_NONE;
		a = nums[0];
		b = nums[1];
		if (a->len >= 3 && b->len <= 2) {	/* 2004 July 13 */
			t.year = a->val;
			t.day = b->val;
		} else if (b->len >= 3 || a->len <= 2) {
			t.day = a->val;
			t.year = expand_year(b->val, (int)b->len);
			if (a->len > 2)
				return DATE_NONE;
		} else
			return DATE_NONE;
	} else {
		/* Numbers only: accept year-first orders, never D/M vs M/D. */
		if (nnum != 3 || nums[0]->len != 4 || nums[1]->len > 2 ||
		    nums[2]->len > 2)
			return DATE_NONE;
		t.year = nums[0]->val;
		t.mon = nums[1]->val;
		t.day = nums[2]->val;
	}
	if (ampm != 0) {
		if (!have_time || t.hour < 1 || t.hour > 12)
			return DATE_NONE;
		if (ampm == 1 && t.hour == 12)
			t.hour = 0;
		else if (ampm == 2 && t.hour != 12)
			t.hour += 12;
	}
	if (!have_zone && korean)
		t.offset = 9 * 3600;	/* Korean blogs write local time */
	return parts_to_time(&t);
}

int64_t
date_parse(const char *s)
{
	char buf[DATE_MAX_INPUT + 1];
	size_t n;
	int64_t t;

	if (s == NULL)
		return DATE_NONE;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strnlen(s, DATE_MAX_INPUT + 1);
	if (n > DATE_MAX_INPUT)
		return DATE_NONE;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n == 0)
		return DATE_NONE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((t = parse_iso(buf)) != DATE_NONE)
		return t;
	return parse_loose(buf);
}

/* The n low decimal digits of v (>= 0), zero-padded. */
static void
put_digits(char *out, int v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
date_format_rfc3339(int64_t t, char *out, size_t outlen)
{
	int64_t days, secs, y;
	int m, d;

	if (outlen == 0)
		return;
	if (t == DATE_NONE) {
		out[0] = '\0';
		return;
	}
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999 || outlen <= DATE_RFC3339_LEN) {
		snprintf(out, outlen, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
		    (long long)y, m, d, (int)(secs / 3600),
		    (int)(secs / 60 % 60), (int)(secs % 60));
		return;
	}
	/* The usual case by hand: a feed listing prints two per item. */
	put_digits(out, (int)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, (int)(secs / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (int)(secs / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (int)(secs % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
}
