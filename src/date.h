/*
 * date: the date formats feeds use, to seconds since the epoch in UTC.
 * RFC 822/1123 and their real-world variants, RFC 3339 / W3CDTF / ISO 8601
 * and the other forms met in the wild.  A date that cannot be read is
 * DATE_NONE: never a guess that silently misdates an item.
 */
#ifndef FEEDD_DATE_H
#define FEEDD_DATE_H

#include <stddef.h>
#include <stdint.h>

/* "No date": distinct from every representable instant. */
#define DATE_NONE	INT64_MIN

/* Seconds since 1970-01-01T00:00:00Z, or DATE_NONE. */
int64_t	date_parse(const char *);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" into out (at least DATE_RFC3339_LEN + 1). */
#define DATE_RFC3339_LEN 20
void	date_format_rfc3339(int64_t t, char *out, size_t outlen);

#endif
