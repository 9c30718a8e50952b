/*
 * util: allocation that never returns NULL, a growable byte buffer and the
 * few string helpers every module needs.  Running out of memory is the one
 * failure feedd does not try to survive: it aborts with a message.
 */
#ifndef FEEDD_UTIL_H
#define FEEDD_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
/* realloc of an array of nmemb elements of size bytes, overflow-checked. */
void	*xreallocarray(void *, size_t nmemb, size_t size);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) PRINTF_LIKE(1, 2);
char	*xvasprintf(const char *, va_list) PRINTF_LIKE(1, 0);

/*
 * A growable buffer.  `data` is NUL-terminated whenever it is not NULL, so
 * text built in a buf can be used as a C string.  A zeroed struct is an
 * empty buffer.
 */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* Makes room for n more bytes (and the NUL): for a known final size. */
void	 buf_reserve(struct buf *, size_t n);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, int);
void	 buf_printf(struct buf *, const char *, ...) PRINTF_LIKE(2, 3);
void	 buf_vprintf(struct buf *, const char *, va_list) PRINTF_LIKE(2, 0);
/* Empties the buffer but keeps its memory for reuse. */
void	 buf_clear(struct buf *);
/* Hands the contents to the caller (never NULL) and empties the buffer. */
char	*buf_take(struct buf *);
void	 buf_free(struct buf *);

/* True if s starts with prefix (case-sensitive / ASCII case-insensitive). */
bool	 str_has_prefix(const char *s, const char *prefix);
bool	 str_has_prefix_ci(const char *s, const char *prefix);
/* Replaces *dst with a copy of src (or NULL), freeing the old value. */
void	 str_set(char **dst, const char *src);
/* Replaces *dst with src, taking ownership. */
void	 str_take(char **dst, char *src);

/*
 * Length in bytes of the UTF-8 sequence at s (n > 0 bytes available) if it
 * is well-formed (no overlongs or surrogates); 0 if it is ill-formed; -1 if
 * it may be a well-formed sequence cut short by the end of the n bytes.
 */
int	 utf8_sequence(const char *s, size_t n);
/* True if [s, s+len) is well-formed UTF-8 (no overlongs or surrogates). */
bool	 utf8_valid(const char *s, size_t len);
/*
 * len cut down to at most max, back to the start of a UTF-8 sequence, so
 * that the first bytes of s make a string without half a character.
 */
size_t	 utf8_cut(const char *s, size_t len, size_t max);
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HAVE_BYTES16 1
/* Sixteen bytes at a time (GCC vectors): compares give 0 or 0xff a byte. */
typedef uint8_t bytes16 __attribute__((vector_size(16)));

/* The index of the first byte set in a compare's result m, or 16. */
static inline size_t
bytes16_first(bytes16 m)
{
	uint64_t w[2];

	__builtin_memcpy(w, &m, sizeof(w));
	if (w[0] != 0)
		return (size_t)__builtin_ctzll(w[0]) / 8;
	if (w[1] != 0)
		return 8 + (size_t)__builtin_ctzll(w[1]) / 8;
	return 16;
}
#endif

/*
 * Length of the prefix of [s, s+n) without any of the bytes a, b, c, d
 * (repeat one to look for fewer): sixteen bytes at a time where the
 * compiler has vectors.
 */
size_t	 mem_span4(const void *s, size_t n, unsigned char a, unsigned char b,
	    unsigned char c, unsigned char d);
/*
 * Appends [s, s+len) to b as well-formed UTF-8 without NUL bytes: invalid
 * sequences become U+FFFD, NULs are dropped.
 */
void	 utf8_append_clean(struct buf *b, const char *s, size_t len);
/*
 * Decodes the code point at s (n > 0 bytes available): returns its length
 * in bytes, or 1 with U+FFFD for a byte that starts no well-formed
 * sequence.
 */
size_t	 utf8_decode(const char *s, size_t n, uint32_t *ret_cp);
/*
 * Columns a code point takes on a terminal, whatever the locale: 0 for
 * combining marks and zero-width characters, 2 for East Asian wide ones
 * and most emoji, else 1 (control characters too: callers replace them).
 */
int	 unicode_width(uint32_t cp);

/*
 * 64-bit FNV-1a hash of [p, p+len) continuing from h (start with
 * HASH64_INIT), so several fields can be hashed in sequence.  Fast and
 * stable across builds and machines (used in stored keys); not
 * collision-resistant against an adversary.
 */
#define HASH64_INIT	UINT64_C(0xcbf29ce484222325)
uint64_t hash64(uint64_t h, const void *p, size_t len);

#endif
