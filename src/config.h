/*
 * config: feedd.conf and feeds.d/NAME.conf (INI), validated with every
 * error reported as "file:line: message", and the difference between two
 * loaded configurations (what a reload starts, stops and changes).  Pure
 * apart from reading the files it is pointed at: it never logs and never
 * exits.  The syntax is documented in feedd.conf(5).
 *
 * Every .c file includes "config.h" first, as autoconf projects do; since
 * this header took that name, it brings in autoconf's definitions
 * (PACKAGE_VERSION, ...), which configure writes to autoconf.h.
 */
#include "autoconf.h"

#ifndef FEEDD_CONFIG_H
#define FEEDD_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fulltext {
	FULLTEXT_NO = 0,
	FULLTEXT_YES,
	FULLTEXT_AUTO,	/* when content is missing, short, or a teaser */
};

enum on_update {
	ON_UPDATE_KEEP = 0,	/* an edited item keeps its read state */
	ON_UPDATE_UNREAD,	/* an edited item becomes unread again */
};

/*
 * One [name] section of a feeds.d file.  Settings that have a global value
 * in feedd.conf (interval, user_agent, max_body, keep_days, keep_items) are
 * resolved at load: each holds the feed's own value, else the global one.
 */
struct feed_conf {
	char		*name;		/* the section name */
	char		*url;
	char		*file;		/* where it was defined, for messages */
	int		 line;
	int64_t		 interval;	/* seconds */
	enum fulltext	 fulltext;
	char		*user_agent;
	char		**headers;	/* "Name: value", checked */
	size_t		 n_headers;
	char		*username;	/* NULL: no authentication */
	char		*password;	/* read from password_file at load */
	char		*proxy;		/* URL, or NULL: libcurl's default */
	bool		 http1;		/* no HTTP/2 for broken servers */
	char		*keep;		/* regex source, or NULL */
	char		*block;
	regex_t		*keep_re;	/* REG_EXTENDED|REG_ICASE|REG_NOSUB */
	regex_t		*block_re;
	enum on_update	 on_update;
	bool		 enabled;
	int64_t		 max_body;	/* bytes */
	int64_t		 keep_days;	/* retention; 0: keep forever */
	int64_t		 keep_items;	/* 0: no limit */
};

struct config {
	char		*path;		/* the main file, NULL if none */
	char		*state_dir;
	char		*socket_path;
	char		*socket_group;	/* NULL: the daemon's own group */
	char		*feeds_dir;
	int64_t		 interval;	/* default poll interval, seconds */
	int64_t		 min_interval;	/* bounds for adaptive polling */
	int64_t		 max_interval;
	bool		 adaptive;
	int		 max_connections;
	int		 max_per_host;
	char		*user_agent;
	int64_t		 timeout;	/* seconds per transfer */
	int64_t		 max_body;	/* bytes */
	int		 log_level;	/* LOG_ERR .. LOG_DEBUG */
	int64_t		 keep_days;	/* retention; 0: keep forever */
	int64_t		 keep_items;	/* per feed; 0: no limit */
	bool		 expire_unread;	/* retention may delete unread items */
	struct feed_conf *feeds;	/* sorted by file, then position */
	size_t		 n_feeds;
	struct feed_conf **by_name;	/* private: for config_feed() */
};

/* Sent when neither feedd.conf nor a feed names a User-Agent. */
#define CONFIG_DEFAULT_USER_AGENT \
	"feedd/" PACKAGE_VERSION " (feed aggregator; +https://github.com/feedd/feedd)"

/*
 * Defaults of DESIGN.md: /etc/feedd/feedd.conf, /var/lib/feedd and
 * /run/feedd/feedd.sock as root; otherwise $XDG_CONFIG_HOME/feedd/feedd.conf
 * (~/.config), $XDG_STATE_HOME/feedd (~/.local/state) and
 * $XDG_RUNTIME_DIR/feedd/feedd.sock (without XDG_RUNTIME_DIR: feedd.sock in
 * the state directory).  Caller frees.  config_default_socket() is where
 * feedctl looks when neither --socket nor FEEDD_SOCKET says.
 */
char	*config_default_path(void);
char	*config_default_state_dir(void);
char	*config_default_socket(void);

/*
 * Loads path (which may be missing only if it is the default path: then
 * every setting has its default) and the feeds directory it names.  On
 * errors returns -1 with every error in *ret_errs (caller frees): one line
 * each, "file:line: message\n" ("file: message\n" for a whole file), in
 * file order -- exactly what `feedd --check-config` prints.  ret_errs may
 * be NULL.
 */
int	 config_load(const char *path, bool path_is_default,
	    struct config **ret, char **ret_errs);
/*
 * Parses text as if it were the file `name`: a feedd.conf (its feeds_dir is
 * not read) or, when feeds_file is true, one feeds.d file under default
 * global settings.  For tests and fuzzing.
 */
int	 config_load_text(const char *name, const char *text, size_t len,
	    bool feeds_file, struct config **ret, char **ret_errs);
void	 config_free(struct config *);

/* The feed of that name, or NULL (binary search). */
const struct feed_conf *config_feed(const struct config *, const char *name);

/*
 * Parses "90", "90s", "15m", "2h", "1d", "1w" and sums such as "1h30m" into
 * seconds (at most ten years).  -1 if malformed.
 */
int	 config_parse_duration(const char *, int64_t *ret_seconds);
/*
 * Parses "16M", "512k", "1G", "300" (bytes) into bytes; units are binary
 * and may be written k/K/KiB, M/MiB, G/GiB, B.  -1 if malformed or above
 * 1 TiB.
 */
int	 config_parse_size(const char *, int64_t *ret_bytes);

/* What a reload changes: names of feeds added, removed and changed. */
struct config_diff {
	char		**added;	/* borrowed from the new config */
	size_t		 n_added;
	char		**removed;	/* borrowed from the old config */
	size_t		 n_removed;
	char		**changed;	/* borrowed from the new config */
	size_t		 n_changed;
};

void	 config_diff(const struct config *old, const struct config *new,
	    struct config_diff *ret);
void	 config_diff_clear(struct config_diff *);

#endif
