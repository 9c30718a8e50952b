/*
 * sched: next due times from intervals, publisher hints, errors and
 * Retry-After.  See sched.h for the rules.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "parse.h"
#include "sched.h"

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* A uniform double in [0, 1) from 53 bits of rnd. */
static double
unit(uint64_t rnd)
{
	return (double)(rnd >> 11) / 9007199254740992.0;
}

/* A publisher's hint raises the interval to at most SCHED_HINT_CAP. */
static int64_t
hint_floor(int64_t interval, int64_t hint)
{
	if (hint <= 0)
		return interval;
	return max64(interval, min64(hint, SCHED_HINT_CAP));
}

int64_t
sched_interval(const struct sched_policy *p, const struct sched_hints *h)
{
	int64_t iv = p->interval > 0 ? p->interval : 3600;

	if (p->adaptive && h != NULL && h->observed > 0) {
		iv = h->observed / 2;
		if (p->min_interval > 0)
			iv = max64(iv, p->min_interval);
		if (p->max_interval > 0)
			iv = min64(iv, p->max_interval);
		if (iv < 1)
			iv = 1;
	}
	if (h == NULL)
		return iv;
	if (h->max_age > 0)
		iv = hint_floor(iv, h->max_age);
	if (h->expires > 0) {
		/* Relative to the server's own clock when it sent one. */
		int64_t base = h->date > 0 ? h->date : 0;

		if (base > 0 && h->expires > base)
			iv = hint_floor(iv, h->expires - base);
	}
	if (h->feed != NULL) {
		const struct feed_hints *f = h->feed;

		if (f->ttl_minutes > 0)
			iv = hint_floor(iv, (int64_t)f->ttl_minutes * 60);
		if (f->sy_period_seconds > 0) {
			int freq = f->sy_frequency > 0 ? f->sy_frequency : 1;

			iv = hint_floor(iv, f->sy_period_seconds / freq);
		}
	}
	return iv;
}

int64_t
sched_next_ok(const struct sched_policy *p, const struct sched_hints *h,
    int64_t now, uint64_t rnd)
{
	int64_t iv = sched_interval(p, h);
	int64_t t;

	/* Expires without a Date header: an absolute time on our clock. */
	if (h != NULL && h->expires > 0 && h->date <= 0 && h->expires > now)
		iv = hint_floor(iv, h->expires - now);
	t = now + iv + (int64_t)(unit(rnd) * ((double)iv / 10));
	if (h != NULL && h->feed != NULL)
		t = sched_skip(t, h->feed->skip_hours, h->feed->skip_days);
	return t;
}

int64_t
sched_backoff(const struct sched_policy *p, int streak, uint64_t rnd)
{
	int64_t base = p->interval > 0 ? min64(p->interval,
	    SCHED_BACKOFF_BASE) : SCHED_BACKOFF_BASE;
	int64_t d = base;
	int i;

	if (streak < 1)
		streak = 1;
	for (i = 1; i < streak && d < SCHED_BACKOFF_CAP; i++)
		d *= 2;
	d = min64(d, SCHED_BACKOFF_CAP);
	/* "Equal jitter": never sooner than half the delay. */
	d = d / 2 + (int64_t)(unit(rnd) * (double)(d - d / 2));
	return max64(d, 1);
}

int64_t
sched_next_error(const struct sched_policy *p, int streak,
    int64_t retry_after, int64_t now, uint64_t rnd)
{
	int64_t t = now + sched_backoff(p, streak, rnd);

	if (retry_after > 0)
		t = max64(t, min64(retry_after, now + SCHED_RETRY_AFTER_CAP));
	return t;
}

int64_t
sched_skip(int64_t t, uint32_t skip_hours, uint8_t skip_days)
{
	int64_t u = t;
	int i;

	skip_hours &= 0xffffffu;
	skip_days &= 0x7fu;
	if (skip_hours == 0xffffffu || skip_days == 0x7fu)
		return t;
	/* A week of hours is enough to leave any pattern of skips. */
	for (i = 0; i <= 24 * 7; i++) {
		int64_t days = u >= 0 ? u / 86400 : (u - 86399) / 86400;
		int hour = (int)((u - days * 86400) / 3600);
		/* 1970-01-01 was a Thursday (4). */
		int wday = (int)(((days % 7) + 7 + 4) % 7);

		if (!(skip_hours & (1u << hour)) && !(skip_days & (1u << wday)))
			return u;
		u = days * 86400 + (int64_t)(hour + 1) * 3600;
	}
	return t;
}

int64_t
sched_parse_http_date(const char *value)
{
	time_t t;

	if (value == NULL || *value == '\0')
		return 0;
	t = curl_getdate(value, NULL);
	return t > 0 ? (int64_t)t : 0;
}

int64_t
sched_parse_retry_after(const char *value, int64_t now)
{
	const char *p;
	char *end;
	long long n;

	if (value == NULL)
		return 0;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value == '\0')
		return 0;
	for (p = value; isdigit((unsigned char)*p); p++)
		;
	if (p != value && (*p == '\0' || *p == ' ' || *p == '\t')) {
		n = strtoll(value, &end, 10);
		if (n < 0 || n > SCHED_RETRY_AFTER_CAP)
			n = SCHED_RETRY_AFTER_CAP;
		return now + n;
	}
	return sched_parse_http_date(value);
}

int64_t
sched_parse_max_age(const char *cc)
{
	const char *p = cc;

	if (cc == NULL)
		return -1;
	while (*p != '\0') {
		const char *tok;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		tok = p;
		while (*p != '\0' && *p != ',' && *p != '=')
			p++;
		len = (size_t)(p - tok);
		while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
			len--;
		if (*p == '=') {
			const char *v = p + 1;
			long long n = 0;
			bool digits = false;

			while (*v == ' ' || *v == '"')
				v++;
			while (isdigit((unsigned char)*v)) {
				if (n < 1000000000LL)
					n = n * 10 + (*v - '0');
				digits = true;
				v++;
			}
			if (len == 7 && strncasecmp(tok, "max-age", 7) == 0 &&
			    digits)
				return n;
			while (*p != '\0' && *p != ',') {
				if (*p == '"') {	/* a quoted value may hold ',' */
					p++;
					while (*p != '\0' && *p != '"')
						p++;
					if (*p == '\0')
						break;
				}
				p++;
			}
		}
	}
	return -1;
}

static int
cmp_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int
cmp_asc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

int64_t
sched_observed_interval(int64_t *times, size_t n)
{
	int64_t gaps[19];
	size_t i, m = 0, k;

	/* Drop unusable times (DATE_NONE, zero) by moving them to the end. */
	for (i = 0, k = 0; i < n; i++)
		if (times[i] > 0)
			times[k++] = times[i];
	n = k;
	if (n < 3)
		return 0;
	qsort(times, n, sizeof(*times), cmp_desc);
	if (n > 20)
		n = 20;
	for (i = 0; i + 1 < n; i++)
		gaps[m++] = times[i] - times[i + 1];
	qsort(gaps, m, sizeof(*gaps), cmp_asc);
	return m % 2 ? gaps[m / 2] : (gaps[m / 2 - 1] + gaps[m / 2]) / 2;
}

double
sched_spread(size_t i, size_t n, int64_t interval)
{
	double window = (double)n * 0.05;

	if (n <= 1)
		return 0;
	if (interval > 0 && window > (double)interval / 2)
		window = (double)interval / 2;
	if (window > 300)
		window = 300;
	return window * (double)i / (double)n;
}
