/* api.c: the public interface of libonnxopt (include/onnxopt.h), a thin layer over
 * the format layer and the pass manager that turns diagnostics into one text. */
#include "config.h"

#include "onnxopt.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "graph.h"
#include "onnx_io.h"
#include "../passes/pass.h"

const char *
ox_version(void)
{
	return PACKAGE_VERSION;
}

/* Every diagnostic of d, one per line, into a malloc'ed *err; when d holds none,
 * the code's name. Returns code. */
static int
fail(struct ox_diag *d, int code, char **err)
{
	size_t len = 0, n = 0;
	char **lines;
	char *text;

	if (!err)
		return code;
	*err = NULL;
	lines = calloc(d->n + 1, sizeof *lines);
	if (!lines)
		return code;
	for (size_t i = 0; i < d->n; i++)
		if ((lines[n] = ox_diag_format(d, i)))
			len += strlen(lines[n++]) + 1;
	if (n == 0 && (lines[0] = strdup(ox_strerror(code))))
		len = strlen(lines[n++]) + 1;
	text = malloc(len + 1);
	if (text) {
		text[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (i)
				strcat(text, "\n");
			strcat(text, lines[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	*err = text;
	return code;
}

int
ox_load(const char *path, struct ox_model **out, char **err)
{
	struct ox_diag d;
	int r;

	*out = NULL;
	ox_diag_init(&d, path);
	if (!path)
		r = ox_diag_error(&d, OX_EUSAGE, "no model path given");
	else
		r = ox_model_load(path, out, &d);
	if (r < 0) {
		*out = NULL;
		fail(&d, r, err);
	}
	ox_diag_release(&d);
	return r < 0 ? r : 0;
}

int
ox_optimize(struct ox_model *m, const char *passes, char **err)
{
	struct ox_pipeline_opts po = { .passes = passes ? passes : "default" };
	struct ox_diag d;
	int r;

	ox_diag_init(&d, m ? m->path : NULL);
	if (!m)
		r = ox_diag_error(&d, OX_EUSAGE, "no model given");
	else
		r = ox_pipeline_run(m, &po, NULL, &d);
	if (r < 0)
		fail(&d, r, err);
	ox_diag_release(&d);
	return r < 0 ? r : 0;
}

int
ox_save(struct ox_model *m, const char *path, char **err)
{
	struct ox_diag d;
	int r;

	ox_diag_init(&d, path);
	if (!m || !path)
		r = ox_diag_error(&d, OX_EUSAGE, "no model or no output path given");
	else
		r = ox_model_save(m, path, NULL, &d);
	if (r < 0)
		fail(&d, r, err);
	ox_diag_release(&d);
	return r < 0 ? r : 0;
}

size_t
ox_model_node_count(const struct ox_model *m)
{
	return m && m->graph ? m->graph->n_nodes : 0;
}
