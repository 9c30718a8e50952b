/*
 * client: a blocking Varlink client for feedctl — connect to feedd's
 * socket, call a method, read its reply (or the replies of a stream).
 * Parameters and replies are jansson values in the shapes documented in
 * src/org.feedd.varlink.
 *
 *	struct client *cl;
 *	json_t *reply;
 *	char *error, *err;
 *
 *	if (client_connect(NULL, &cl, &err) != 0) ... (message in err)
 *	switch (client_call(cl, "org.feedd.ListItems",
 *	    json_pack("{s:b}", "unread", 1), &reply, &error, &err)) {
 *	case 0:  ... json_object_get(reply, "items") ...; json_decref(reply)
 *	case 1:  ... daemon said no: client_error_text(error, reply)
 *	case -1: ... transport failure: err
 *	}
 *	client_free(cl);
 */
#ifndef FEEDD_CLIENT_H
#define FEEDD_CLIENT_H

#include <stdbool.h>

#include <jansson.h>

struct client;

/* client_connect(): nobody listens on the socket (feedd is not running). */
#define CLIENT_NO_DAEMON	(-2)

/*
 * Connects to path (NULL: the daemon's default, config_default_socket():
 * /run/feedd/feedd.sock for root, else $XDG_RUNTIME_DIR/feedd/feedd.sock).
 * Returns 0, or -1 with *ret_err,
 * or CLIENT_NO_DAEMON with *ret_err naming the path tried and saying how
 * to start feedd.
 */
int	 client_connect(const char *path, struct client **ret, char **ret_err);
const char *client_path(const struct client *);

/*
 * Calls method with params (stolen; NULL for none) and waits for its
 * reply: 0 with *ret_params (caller decrefs); 1 if the daemon replied
 * with an error, *ret_error its name (caller frees) and *ret_params its
 * parameters; -1 with *ret_err if the connection failed.
 */
int	 client_call(struct client *, const char *method, json_t *params,
	    json_t **ret_params, char **ret_error, char **ret_err);

/*
 * Calls method with "more" and hands each reply's parameters (borrowed)
 * to reply_cb until one does not continue, or reply_cb returns non-zero
 * (then the connection is unusable for further calls).  Returns like
 * client_call(); on 0 there is nothing in *ret_params.
 */
int	 client_call_more(struct client *, const char *method, json_t *params,
	    int (*reply_cb)(void *arg, json_t *params), void *arg,
	    char **ret_error, json_t **ret_params, char **ret_err);

/*
 * Sends a call without waiting for (or getting) a reply.  0 or -1 with
 * *ret_err.
 */
int	 client_call_oneway(struct client *, const char *method,
	    json_t *params, char **ret_err);

/*
 * A sentence for an error reply: "no feed named 'x'", "invalid parameter
 * 'limit'", ...; unknown errors are shown as name and parameters.  Caller
 * frees.
 */
char	*client_error_text(const char *error, json_t *params);

void	 client_free(struct client *);

#endif
