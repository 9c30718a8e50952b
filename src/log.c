/*
 * log: stderr logging with journal priority prefixes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static const char *log_progname = "feedd";
static int log_level = LOG_INFO;
static bool log_journal;

/*
 * systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to
 * stderr; only if stderr is still that stream do we speak its prefix
 * protocol (sd-daemon(3)).
 */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(fileno(stderr), &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, int level)
{
	log_progname = progname;
	log_level = level;
	log_journal = stderr_is_journal();
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_level_parse(const char *s)
{
	static const struct {
		const char	*name;
		int		 level;
	} levels[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(levels); i++)
		if (strcmp(s, levels[i].name) == 0)
			return levels[i].level;
	return -1;
}

void
log_msg(int prio, const char *fmt, ...)
{
	struct buf line = { 0 };
	va_list ap;

	if (prio > log_level)
		return;
	if (log_journal)
		buf_printf(&line, "<%d>", prio);
	else
		buf_printf(&line, "%s: ", log_progname);
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent writers never mix. */
	buf_putc(&line, '\n');
	fwrite(line.data, 1, line.len, stderr);
	fflush(stderr);
	buf_free(&line);
}
