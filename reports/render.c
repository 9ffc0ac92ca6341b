/* reports/render.c: lay a diagram out and render it with libgvc, in-process (no
 * `dot` program needed at run time; the plugins come from Graphviz's own config). */
#include "config.h"

#include "dot.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gvc.h>

/* One Graphviz context for the whole process, never freed: gvFreeContext leaves the
 * text-size plugin's font cache pointing at freed names, so a second context in the
 * same process reads freed memory (AddressSanitizer shows it in check_dot, which
 * renders several times). The plugins load once, which is also faster. */
static GVC_t *the_gvc;
static pthread_once_t gvc_once = PTHREAD_ONCE_INIT;

static void
gvc_start(void)
{
	the_gvc = gvContext();
}

/* Cairo bitmaps stop at 32767 pixels a side; past it the plugin shrinks the picture
 * itself and says so on stderr. A size in inches (96 dpi) makes the layout shrink
 * first, quietly. */
#define BITMAP_SIZE "330,330"

static bool
is_bitmap(const char *format)
{
	static const char *const bitmaps[] = { "png", "jpg", "jpeg", "gif", "bmp", "webp" };

	for (size_t i = 0; i < sizeof bitmaps / sizeof bitmaps[0]; i++) {
		size_t n = strlen(bitmaps[i]);

		if (!strncmp(format, bitmaps[i], n) && (!format[n] || format[n] == ':'))
			return true;
	}
	return false;
}

int
ox_dot_render(Agraph_t *g, const char *format, char **data, size_t *len,
	      struct ox_diag *d)
{
	GVC_t *gvc;
	char *buf = NULL;
	unsigned int n = 0;
	const char *msg;
	char *size = NULL;
	int r = 0;

	*data = NULL;
	*len = 0;
	ox_dot_quiet();
	(void)ox_dot_graphviz_error();
	if (is_bitmap(format)) {
		const char *old = agget(g, "size");

		size = strdup(old ? old : "");
		if (!size)
			return ox_diag_error(d, OX_ENOMEM, "out of memory rendering the diagram");
		if (!*size)
			agsafeset(g, "size", BITMAP_SIZE, "");
	}
	pthread_once(&gvc_once, gvc_start);
	gvc = the_gvc;
	if (!gvc) {
		free(size);
		return ox_diag_error(d, OX_ENOMEM, "cannot start Graphviz");
	}
	if (gvLayout(gvc, g, "dot") != 0) {
		msg = ox_dot_graphviz_error();
		r = ox_diag_error(d, OX_EINVAL, "Graphviz could not lay the diagram out%s%s",
				  msg ? ": " : "", msg ? msg : "");
		goto out;
	}
	if (gvRenderData(gvc, g, format, &buf, &n) != 0 || !buf) {
		msg = ox_dot_graphviz_error();
		r = ox_diag_error(d, OX_EUNSUPPORTED, "Graphviz cannot render %s%s%s", format,
				  msg ? ": " : "", msg ? msg : "");
	} else {
		/* Ours to free with free(), whatever allocator Graphviz used. */
		*data = malloc(n ? n : 1);
		if (!*data) {
			r = ox_diag_error(d, OX_ENOMEM, "out of memory rendering the diagram");
		} else {
			memcpy(*data, buf, n);
			*len = n;
		}
	}
	gvFreeRenderData(buf);
	gvFreeLayout(gvc, g);
out:
	if (size) {
		agsafeset(g, "size", size, "");
		free(size);
	}
	return r;
}
