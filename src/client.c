/*
 * client: the blocking Varlink client feedctl uses: one connection, one
 * call at a time, replies read into a varlink_framer.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util.h"
#include "varlink.h"

/* Replies may carry many items with their bodies (a full digest). */
#define CLIENT_MAX_REPLY	(256 * 1024 * 1024)

struct client {
	int		 fd;
	char		*path;
	struct varlink_framer in;
};

int
client_connect(const char *path, struct client **ret, char **ret_err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct client *cl;
	char *p;
	int fd, e;

	p = path ? xstrdup(path) : config_default_socket();
	if (strlen(p) >= sizeof(sun.sun_path)) {
		*ret_err = xasprintf("socket path too long: %s", p);
		free(p);
		return -1;
	}
	memcpy(sun.sun_path, p, strlen(p) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*ret_err = xasprintf("socket: %s", strerror(errno));
		free(p);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) {
			*ret_err = xasprintf("no feedd is listening on %s "
			    "(%s); "
			    "start it with 'feedd' (or 'systemctl %sstart "
			    "feedd'), or point --socket or FEEDD_SOCKET at its "
			    "socket", p, strerror(e),
			    geteuid() == 0 ? "" : "--user ");
			free(p);
			return CLIENT_NO_DAEMON;
		}
		*ret_err = xasprintf("cannot connect to %s: %s", p,
		    strerror(e));
		free(p);
		return -1;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->fd = fd;
	cl->path = p;
	cl->in.max = CLIENT_MAX_REPLY;
	*ret = cl;
	return 0;
}

const char *
client_path(const struct client *cl)
{
	return cl->path;
}

static int
send_all(struct client *cl, const char *data, size_t len, char **ret_err)
{
	ssize_t n;

	while (len > 0) {
		n = send(cl->fd, data, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*ret_err = xasprintf("sending to %s: %s", cl->path,
			    strerror(errno));
			return -1;
		}
		data += n;
		len -= n;
	}
	return 0;
}

static int
send_call(struct client *cl, const char *method, json_t *params, int flags,
    char **ret_err)
{
	struct buf b = { 0 };
	int rc;

	if (varlink_put_call(&b, method, params, flags) == -1) {
		*ret_err = xasprintf("%s: parameters cannot be encoded",
		    method);
		buf_free(&b);
		return -1;
	}
	rc = send_all(cl, b.data, b.len, ret_err);
	buf_free(&b);
	return rc;
}

/* Reads the next reply. */
static int
read_reply(struct client *cl, struct varlink_reply *ret, char **ret_err)
{
	const char *msg;
	size_t len;
	ssize_t n;
	char *err = NULL;
	int r;

	for (;;) {
		r = varlink_framer_next(&cl->in, &msg, &len);
		if (r == 1)
			break;
		if (r == -1) {
			*ret_err = xasprintf("reply from %s is too large",
			    cl->path);
			return -1;
		}
		n = read(cl->fd, varlink_framer_space(&cl->in, 65536), 65536);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*ret_err = xasprintf("reading from %s: %s", cl->path,
			    strerror(errno));
			return -1;
		}
		if (n == 0) {
			*ret_err = xasprintf("feedd closed the connection on "
			    "%s", cl->path);
			return -1;
		}
		varlink_framer_commit(&cl->in, n);
	}
	if (varlink_reply_parse(msg, len, ret, &err) == -1) {
		*ret_err = xasprintf("bad reply from %s: %s", cl->path, err);
		free(err);
		return -1;
	}
	return 0;
}

/* Hands over an error reply; 1. */
static int
take_error(struct varlink_reply *r, char **ret_error, json_t **ret_params)
{
	if (ret_error)
		*ret_error = xstrdup(r->error);
	if (ret_params)
		*ret_params = json_incref(r->params);
	varlink_reply_clear(r);
	return 1;
}

int
client_call(struct client *cl, const char *method, json_t *params,
    json_t **ret_params, char **ret_error, char **ret_err)
{
	struct varlink_reply r;
	int rc;

	rc = send_call(cl, method, params, 0, ret_err);
	json_decref(params);
	if (rc == -1 || read_reply(cl, &r, ret_err) == -1)
		return -1;
	if (r.error != NULL)
		return take_error(&r, ret_error, ret_params);
	if (ret_params)
		*ret_params = json_incref(r.params);
	varlink_reply_clear(&r);
	return 0;
}

int
client_call_more(struct client *cl, const char *method, json_t *params,
    int (*reply_cb)(void *, json_t *), void *arg, char **ret_error,
    json_t **ret_params, char **ret_err)
{
	struct varlink_reply r;
	bool more;
	int rc;

	rc = send_call(cl, method, params, VARLINK_CALL_MORE, ret_err);
	json_decref(params);
	if (rc == -1)
		return -1;
	do {
		if (read_reply(cl, &r, ret_err) == -1)
			return -1;
		if (r.error != NULL)
			return take_error(&r, ret_error, ret_params);
		more = r.continues;
		rc = reply_cb(arg, r.params);
		varlink_reply_clear(&r);
	} while (more && rc == 0);
	return 0;
}

int
client_call_oneway(struct client *cl, const char *method, json_t *params,
    char **ret_err)
{
	int rc;

	rc = send_call(cl, method, params, VARLINK_CALL_ONEWAY, ret_err);
	json_decref(params);
	return rc;
}

/* A string parameter of an error, for messages. */
static const char *
param_str(json_t *params, const char *key)
{
	const char *s = json_string_value(json_object_get(params, key));

	return s ? s : "?";
}

char *
client_error_text(const char *error, json_t *params)
{
	const char *name;
	char *dump, *s;

	name = str_has_prefix(error, "org.feedd.") ? error + 10 : error;
	if (strcmp(name, "NoSuchItem") == 0)
		return xasprintf("no item with id %" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(params, "id")));
	if (strcmp(name, "NoSuchFeed") == 0)
		return xasprintf("no feed named '%s'",
		    param_str(params, "name"));
	if (strcmp(name, "FeedExists") == 0)
		return xasprintf("feed '%s' already exists (same name or URL)",
		    param_str(params, "name"));
	if (strcmp(name, "FeedReadOnly") == 0)
		return xasprintf("feed '%s' is defined in feeds.d: remove it "
		    "there and reload feedd", param_str(params, "name"));
	if (strcmp(name, "InvalidURL") == 0)
		return xasprintf("not an http(s) URL: %s",
		    param_str(params, "url"));
	if (strcmp(name, "InvalidQuery") == 0)
		return xasprintf("bad search query '%s': %s",
		    param_str(params, "query"), param_str(params, "reason"));
	if (strcmp(name, "CursorBusy") == 0)
		return xasprintf("digest cursor '%s' is in use by another run",
		    param_str(params, "cursor"));
	if (strcmp(name, "LeaseInvalid") == 0)
		return xasprintf("digest cursor '%s' is no longer leased by "
		    "this run", param_str(params, "cursor"));
	if (strcmp(name, "RefreshFailed") == 0)
		return xasprintf("refresh failed: %s",
		    param_str(params, "reason"));
	if (strcmp(name, "ExtractFailed") == 0)
		return xasprintf("extraction failed: %s",
		    param_str(params, "reason"));
	if (strcmp(name, "ReplyTooLarge") == 0)
		return xstrdup("the reply would be too large: ask for fewer "
		    "items (--limit)");
	if (strcmp(name, "InternalError") == 0)
		return xasprintf("feedd failed: %s",
		    param_str(params, "reason"));
	if (strcmp(error, VARLINK_ERR_INVALID_PARAMETER) == 0)
		return xasprintf("invalid parameter '%s'",
		    param_str(params, "parameter"));
	if (strcmp(error, VARLINK_ERR_METHOD_NOT_FOUND) == 0 ||
	    strcmp(error, VARLINK_ERR_METHOD_NOT_IMPLEMENTED) == 0)
		return xasprintf("this feedd does not offer %s",
		    param_str(params, "method"));
	dump = params ? json_dumps(params, JSON_COMPACT) : NULL;
	s = xasprintf("%s %s", error, dump ? dump : "");
	free(dump);
	return s;
}

void
client_free(struct client *cl)
{
	if (cl == NULL)
		return;
	close(cl->fd);
	varlink_framer_free(&cl->in);
	free(cl->path);
	free(cl);
}
