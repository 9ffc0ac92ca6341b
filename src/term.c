/* term.c: colour and the progress line. See term.h. */
#include "config.h"

#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Set once by ox_term_init() before any thread starts, read-only afterwards. */
static struct {
	bool colour_allowed;  /* by the options and the environment */
	bool progress;        /* stderr is a terminal and no --quiet */
	bool quiet;
} term;

#define PROGRESS_INTERVAL 0.1 /* seconds between redraws */

void
ox_term_init(bool no_color, bool quiet)
{
	const char *nc = getenv("NO_COLOR"), *tt = getenv("TERM");

	term.quiet = quiet;
	term.colour_allowed = !no_color && !(nc && *nc) && !(tt && !strcmp(tt, "dumb"));
	term.progress = !quiet && isatty(STDERR_FILENO);
}

bool
ox_term_quiet(void)
{
	return term.quiet;
}

bool
ox_term_color(FILE *f)
{
	return term.colour_allowed && f && isatty(fileno(f));
}

const char *
ox_term_style(FILE *f, enum ox_style style)
{
	static const char *const sgr[] = {
		[OX_STYLE_RESET] = "\033[0m",
		[OX_STYLE_BOLD] = "\033[1m",
		[OX_STYLE_CHANGED] = "\033[33m",
		[OX_STYLE_WARN] = "\033[33m",
		[OX_STYLE_BAD] = "\033[31m",
	};

	return ox_term_color(f) ? sgr[style] : "";
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void
ox_progress_start(struct ox_progress *p, const char *label, size_t total)
{
	memset(p, 0, sizeof *p);
	if (!term.progress)
		return;
	p->label = label;
	p->total = total;
	p->active = true;
	p->t_start = now();
	ox_progress_update(p, 0, NULL, true);
}

/* The line never reaches the last column, so no terminal wraps it. */
static void
draw(struct ox_progress *p, size_t done, const char *detail)
{
	char line[512];
	int room = columns() - 1, n;

	if (room > (int)sizeof line - 1)
		room = (int)sizeof line - 1;
	if (p->total)
		n = snprintf(line, sizeof line, "%s %zu/%zu (%zu%%)", p->label, done, p->total,
			     done * 100 / p->total);
	else
		n = snprintf(line, sizeof line, "%s", p->label);
	if (n < 0)
		return;
	if (n > room)
		n = room;
	if (detail && *detail && n + 8 < room) {
		size_t len = strlen(detail), fit = (size_t)(room - n - 2);

		/* A long path keeps its end, where the file name is. */
		if (len > fit)
			n += snprintf(line + n, sizeof line - (size_t)n, "  ...%s", detail + len - fit + 3);
		else
			n += snprintf(line + n, sizeof line - (size_t)n, "  %s", detail);
	}
	line[n] = '\0';
	fprintf(stderr, "\r%s", line);
	/* Cover what a longer previous line left. */
	if (p->shown > n)
		fprintf(stderr, "%*s\r%s", p->shown - n, "", line);
	fflush(stderr);
	p->shown = n;
}

void
ox_progress_update(struct ox_progress *p, size_t done, const char *detail, bool force)
{
	double t;

	if (!p->active)
		return;
	t = now();
	if (!force && t - p->t_last < PROGRESS_INTERVAL)
		return;
	p->t_last = t;
	draw(p, done, detail);
}

void
ox_progress_clear(struct ox_progress *p)
{
	if (!p->active || !p->shown)
		return;
	fprintf(stderr, "\r%*s\r", p->shown, "");
	fflush(stderr);
	p->shown = 0;
}

void
ox_progress_end(struct ox_progress *p)
{
	ox_progress_clear(p);
	p->active = false;
}
