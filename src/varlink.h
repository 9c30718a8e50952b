/*
 * varlink: the Varlink wire format (varlink.org) that the server and the
 * client share: a stream of JSON objects each terminated by a NUL byte;
 * calls {"method", "parameters", "oneway", "more", "upgrade"} and replies
 * {"parameters", "continues", "error"}; and reading typed parameters out
 * of untrusted JSON.  Pure: bytes in, values out; no I/O, no logging.
 */
#ifndef FEEDD_VARLINK_H
#define FEEDD_VARLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"

/* The largest message either side accepts by default. */
#define VARLINK_MAX_MESSAGE	(1024 * 1024)

/* Errors of the org.varlink.service interface every service provides. */
#define VARLINK_SERVICE		"org.varlink.service"
#define VARLINK_ERR_INTERFACE_NOT_FOUND	VARLINK_SERVICE ".InterfaceNotFound"
#define VARLINK_ERR_METHOD_NOT_FOUND	VARLINK_SERVICE ".MethodNotFound"
#define VARLINK_ERR_METHOD_NOT_IMPLEMENTED \
	VARLINK_SERVICE ".MethodNotImplemented"
#define VARLINK_ERR_INVALID_PARAMETER	VARLINK_SERVICE ".InvalidParameter"
#define VARLINK_ERR_PERMISSION_DENIED	VARLINK_SERVICE ".PermissionDenied"
#define VARLINK_ERR_EXPECTED_MORE	VARLINK_SERVICE ".ExpectedMore"

/*
 * Cuts a byte stream into messages.  Bytes go in with
 * varlink_framer_space() + varlink_framer_commit() (read(2) straight into
 * it) or varlink_framer_push(); whole messages come out of
 * varlink_framer_next().  A zeroed struct with max set is ready to use.
 */
struct varlink_framer {
	struct buf	 buf;		/* owned: received, not returned yet */
	size_t		 start;		/* first unreturned byte */
	size_t		 scanned;	/* bytes after start without a NUL */
	size_t		 max;		/* message cap (no NUL); 0: default */
};

/* At least want bytes of room after what is buffered; commit what you wrote. */
char	*varlink_framer_space(struct varlink_framer *, size_t want);
void	 varlink_framer_commit(struct varlink_framer *, size_t n);
void	 varlink_framer_push(struct varlink_framer *, const void *, size_t);
/*
 * 1: *ret is the next message (NUL-terminated, ret_len bytes without the
 * NUL), valid until the framer is next changed; 0: no whole message yet;
 * -1: the message in progress is longer than the cap (the stream is
 * unusable from here on).
 */
int	 varlink_framer_next(struct varlink_framer *, const char **ret,
	    size_t *ret_len);
/* Bytes received and not yet returned as messages. */
size_t	 varlink_framer_pending(const struct varlink_framer *);
void	 varlink_framer_free(struct varlink_framer *);

/* A parsed call.  Everything is borrowed from root. */
struct varlink_call {
	json_t		*root;		/* owned */
	const char	*method;	/* "interface.Method" */
	json_t		*params;	/* an object, never NULL */
	bool		 oneway;
	bool		 more;
	bool		 upgrade;
};

/*
 * Parses one message as a call.  Fails (the peer does not speak Varlink:
 * close the connection) if it is not a JSON object with a string "method",
 * an object (or null) "parameters" and booleans (or null) for the flags.
 * Unknown keys are ignored, as the spec's vendor extensions require.
 */
int	 varlink_call_parse(const char *msg, size_t len,
	    struct varlink_call *ret, char **ret_err);
void	 varlink_call_clear(struct varlink_call *);

/* A parsed reply.  Everything is borrowed from root. */
struct varlink_reply {
	json_t		*root;		/* owned */
	json_t		*params;	/* an object, never NULL */
	const char	*error;		/* the error's name, or NULL */
	bool		 continues;
};

int	 varlink_reply_parse(const char *msg, size_t len,
	    struct varlink_reply *ret, char **ret_err);
void	 varlink_reply_clear(struct varlink_reply *);

/*
 * Split "org.feedd.ListItems" into interface and method name.  False if
 * the name is not of that form (reverse-domain interface, a dot, a method
 * name starting with an upper-case letter).
 */
bool	 varlink_method_split(const char *name, char **ret_interface,
	    const char **ret_method);

/* Flags of varlink_put_call(). */
#define VARLINK_CALL_ONEWAY	0x1
#define VARLINK_CALL_MORE	0x2

/*
 * Append one message and its NUL to out.  params is borrowed and may be
 * NULL (no parameters).  They fail only if params cannot be encoded as
 * JSON (e.g. a NaN), leaving out as it was.
 */
int	 varlink_put_call(struct buf *out, const char *method, json_t *params,
	    int flags);
int	 varlink_put_reply(struct buf *out, json_t *params, bool continues);
int	 varlink_put_error(struct buf *out, const char *error, json_t *params);

/*
 * A JSON string of s, or null if s is NULL.  Invalid UTF-8 becomes U+FFFD
 * and NUL bytes are dropped, so any C string can be sent.  New reference.
 */
json_t	*varlink_json_string(const char *s);

/* ---- typed parameters ---- */

enum varlink_type {
	VARLINK_BOOL,		/* bool * */
	VARLINK_INT,		/* int64_t * */
	VARLINK_STRING,		/* const char ** (borrowed from the JSON) */
	VARLINK_STRINGS,	/* const char *** (array owned, strings not) */
	VARLINK_INTS,		/* int64_t ** (owned) */
};

struct varlink_field {
	const char	*name;
	enum varlink_type type;
	bool		 required;	/* absent or null is an error */
	void		*ret;		/* see enum varlink_type */
	size_t		*ret_n;		/* array length (arrays only) */
	bool		*ret_set;	/* may be NULL: present and not null */
};

/* Arrays longer than this are refused. */
#define VARLINK_MAX_ARRAY	100000

/*
 * Reads params into the fields' ret pointers; an absent or null optional
 * field leaves its ret untouched.  Returns NULL, or the name of the first
 * parameter that is unknown, missing, of the wrong type or out of range:
 * the InvalidParameter to reply.  On failure nothing is allocated.
 * Arrays are freed by the caller with free().
 */
const char *varlink_params_read(json_t *params,
	    const struct varlink_field *fields, size_t n);

#endif
