/* cmd_dot.c: `onnx-opt dot`: draw a model as DOT, SVG or PNG (reports/dot.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "reports/audit.h"
#include "reports/dot.h"
#include "shape.h"
#include "targets.h"

/* Past this many nodes a diagram is unreadable and dot's layout gets slow: repeated
 * blocks are collapsed, or the user raises it (a 5,000-node model renders in
 * seconds). */
#define DEFAULT_MAX_NODES 10000

static void
help(void)
{
	printf("Usage: %s dot MODEL -o OUT.dot|OUT.svg|OUT.png [OPTIONS]\n\n"
	       "Draw the model as Netron does: a box per node coloured by kind of op (layers\n"
	       "blue, activations red, pools green, shape and tensor ops brown, ...), the\n"
	       "weights listed in the box, graph inputs and outputs as ellipses, If/Loop/Scan\n"
	       "bodies as clusters. The format follows OUT's extension (.dot and .gv are DOT\n"
	       "text, not laid out); '-o -' writes DOT to standard output. Layout and\n"
	       "rendering run in-process with Graphviz.\n\n"
	       "Options:\n"
	       "  -o, --output OUT      where to write the diagram (required)\n"
	       "      --rankdir TB|LR   top to bottom (default) or left to right\n"
	       "      --names           head boxes with node names (op type below)\n"
	       "      --attrs           list node attributes as name = value\n"
	       "      --no-weights      leave the constant inputs out of the boxes\n"
	       "      --shapes          label edges with tensor shapes (inferred)\n"
	       "      --max-nodes N     over N nodes, draw runs of repeated blocks (ResNet\n"
	       "                        bottlenecks, transformer layers) as their first\n"
	       "                        block plus one box \"xK repeated\"; refuse the model\n"
	       "                        if that is not enough (default %d, 0: no limit)\n"
	       "      --highlight TARGET  mark nodes the audit finds unsupported (red) or\n"
	       "                        partly supported (orange) on TARGET\n"
	       "      --diff OTHER      draw OTHER (say, the optimized MODEL) and mark its\n"
	       "                        nodes that MODEL has no counterpart for as new\n"
	       "  -h, --help            show this help\n\n"
	       "Exit status: 0 done, 2 usage or input error.\n", ox_prog, DEFAULT_MAX_NODES);
}

enum { OPT_RANKDIR = 256, OPT_NAMES, OPT_ATTRS, OPT_NO_WEIGHTS, OPT_SHAPES, OPT_MAX_NODES,
       OPT_HIGHLIGHT, OPT_DIFF };

/* --highlight: the audit's verdict per node of the drawn model, by node address. */
struct highlight {
	struct ox_strmap marks;     /* "%p" of a node -> its mark bits */
	struct ox_arena keys;
};

/* Both kinds of marks, for the one callback ox_dot_build takes. */
struct marks {
	struct ox_dot_diff *diff;   /* NULL without --diff */
	struct highlight *hl;       /* NULL without --highlight */
};

static unsigned
mark_node(const struct ox_node *node, void *arg)
{
	struct marks *mk = arg;
	unsigned r = 0;
	char key[32];

	if (mk->diff)
		r |= ox_dot_diff_mark(node, mk->diff);
	if (mk->hl) {
		snprintf(key, sizeof key, "%p", (const void *)node);
		r |= (unsigned)(uintptr_t)ox_strmap_get(&mk->hl->marks, key);
	}
	return r;
}

/* Pair the audit's nodes with the IR's. The audit lists them in the order it walks:
 * each graph's nodes in turn, a node's subgraphs right after it, and the bodies of
 * model-local functions (in_function, not drawn) wherever a call needs them. A
 * node out of step means the two walks disagree: refuse rather than mislabel. */
static int
pair_audit(struct highlight *hl, const struct ox_graph *g, const struct ox_audit_model *am,
	   size_t *at, int depth)
{
	if (depth > OX_MAX_GRAPH_DEPTH)
		return 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];
		const struct ox_audit_node *an;
		unsigned mark = 0;

		if (node->dead)
			continue;
		while (*at < am->n_nodes_audited && am->nodes[*at].in_function)
			(*at)++;
		if (*at >= am->n_nodes_audited)
			return OX_EINVAL;
		an = &am->nodes[(*at)++];
		if (strcmp(an->op, node->op_type))
			return OX_EINVAL;
		if (an->checks[0].verdict == OX_VERDICT_UNSUPPORTED)
			mark = OX_DOT_UNSUPPORTED;
		else if (an->checks[0].verdict == OX_VERDICT_PARTIAL)
			mark = OX_DOT_PARTIAL;
		if (mark) {
			char *key = ox_arena_printf(&hl->keys, "%p", (const void *)node);

			if (!key || ox_strmap_put(&hl->marks, key, (void *)(uintptr_t)mark) < 0)
				return OX_ENOMEM;
		}
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];
			int r;

			if (a->g && (r = pair_audit(hl, a->g, am, at, depth + 1)) < 0)
				return r;
			for (size_t j = 0; j < a->n_graphs; j++)
				if ((r = pair_audit(hl, a->graphs[j], am, at, depth + 1)) < 0)
					return r;
		}
	}
	return 0;
}

/* Audit m against the target named spec and record what to mark. */
static int
highlight_init(struct highlight *hl, struct ox_model *m, const char *label, const char *spec,
	       struct ox_diag *d)
{
	struct ox_audit_opts ao = { .infer = true };
	struct ox_target *t = NULL;
	struct ox_audit_model *am = NULL;
	size_t at = 0;
	int r;

	ox_strmap_init(&hl->marks);
	ox_arena_init(&hl->keys);
	if ((r = ox_target_open(spec, &t, d)) < 0)
		return r;
	ox_audit_prepare();
	r = ox_audit_loaded(m, label, &t, 1, &ao, &am);
	if (r < 0)
		r = ox_diag_error(d, r, "the audit for %s failed", spec);
	else if ((r = pair_audit(hl, m->graph, am, &at, 0)) < 0)
		r = ox_diag_error(d, r, r == OX_ENOMEM ? "out of memory" :
				  "the audit's nodes do not match the model's");
	ox_audit_model_free(am);
	ox_target_free(t);
	return r;
}

static void
highlight_release(struct highlight *hl)
{
	ox_strmap_release(&hl->marks);
	ox_arena_release(&hl->keys);
}

/* What OUT's extension asks for: a Graphviz format, or NULL for plain DOT. */
static int
format_of(const char *out, const char **format)
{
	const char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');

	*format = NULL;
	if (!strcmp(out, "-"))
		return 0;
	if (!dot || (slash && dot < slash))
		return -1;
	if (!strcmp(dot, ".dot") || !strcmp(dot, ".gv"))
		return 0;
	if (!strcmp(dot, ".svg"))
		*format = "svg";
	else if (!strcmp(dot, ".png"))
		*format = "png";
	else
		return -1;
	return 0;
}

/* Write len bytes (or, when g is set, its DOT text) to path through a temporary file
 * beside it, renamed into place: a failure leaves any existing file untouched. */
static int
write_atomic(const char *path, const char *data, size_t len, Agraph_t *g, struct ox_diag *d)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd, r = 0;
	bool ok;

	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "wb"))) {
		r = ox_diag_error(d, OX_EIO, "cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return r;
	}
	fchmod(fd, 0644);
	if (g)
		ok = ox_dot_write(g, f, d) == 0;
	else
		ok = fwrite(data, 1, len, f) == len;
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) < 0) {
		r = ox_diag_error(d, OX_EIO, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return r;
}

int
ox_cmd_dot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "rankdir", required_argument, NULL, OPT_RANKDIR },
		{ "names", no_argument, NULL, OPT_NAMES },
		{ "attrs", no_argument, NULL, OPT_ATTRS },
		{ "no-weights", no_argument, NULL, OPT_NO_WEIGHTS },
		{ "shapes", no_argument, NULL, OPT_SHAPES },
		{ "max-nodes", required_argument, NULL, OPT_MAX_NODES },
		{ "highlight", required_argument, NULL, OPT_HIGHLIGHT },
		{ "diff", required_argument, NULL, OPT_DIFF },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ox_dot_opts o = { 0 };
	const char *out = NULL, *format, *highlight = NULL, *other = NULL, *model;
	unsigned long long max_nodes = DEFAULT_MAX_NODES;
	struct ox_model *m = NULL, *drawn, *base = NULL;
	struct ox_dot_diff df;
	struct highlight hl;
	struct marks mk = { 0 };
	bool have_diff = false, have_hl = false;
	char *legend_bad = NULL, *legend_partial = NULL;
	Agraph_t *g = NULL;
	struct ox_diag d;
	char *end, *data = NULL;
	size_t len = 0;
	int c, rc = OX_EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_RANKDIR:
			if (!strcmp(optarg, "LR"))
				o.left_right = true;
			else if (strcmp(optarg, "TB"))
				return ox_cli_usage_error("dot", "--rankdir takes TB or LR, not '%s'", optarg);
			break;
		case OPT_NAMES: o.names = true; break;
		case OPT_ATTRS: o.attrs = true; break;
		case OPT_NO_WEIGHTS: o.no_weights = true; break;
		case OPT_SHAPES: o.shapes = true; break;
		case OPT_MAX_NODES:
			errno = 0;
			max_nodes = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-')
				return ox_cli_usage_error("dot", "--max-nodes takes a count, not '%s'", optarg);
			break;
		case OPT_HIGHLIGHT: highlight = optarg; break;
		case OPT_DIFF: other = optarg; break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("dot", "bad option");
		}
	}
	if (optind != argc - 1)
		return ox_cli_usage_error("dot", "expected one MODEL");
	if (!out)
		return ox_cli_usage_error("dot", "-o OUT is required");
	if (format_of(out, &format) < 0)
		return ox_cli_usage_error("dot", "cannot tell a format from '%s': name it .dot, .svg or .png", out);
	model = argv[optind];
	m = ox_cli_load(model);
	if (!m)
		return OX_EXIT_ERROR;
	drawn = m;
	ox_diag_init(&d, model);
	if (other) {
		/* Draw OTHER; MODEL is the base its nodes are matched against. */
		base = m;
		drawn = m = ox_cli_load(other);
		if (!m)
			goto done;
		d.file = other;
		if (ox_dot_diff_init(&df, base, &d) < 0)
			goto done;
		have_diff = true;
		mk.diff = &df;
		o.legend[0] = "new against the first model";
	}
	if (highlight) {
		if (highlight_init(&hl, drawn, d.file, highlight, &d) < 0) {
			highlight_release(&hl);
			goto done;
		}
		have_hl = true;
		mk.hl = &hl;
		if (asprintf(&legend_bad, "unsupported on %s", highlight) < 0)
			legend_bad = NULL;
		if (asprintf(&legend_partial, "partly supported on %s", highlight) < 0)
			legend_partial = NULL;
		if (!legend_bad || !legend_partial) {
			ox_diag_error(&d, OX_ENOMEM, "out of memory");
			goto done;
		}
		o.legend[1] = legend_partial;
		o.legend[2] = legend_bad;
	}
	if (mk.diff || mk.hl) {
		o.mark = mark_node;
		o.mark_arg = &mk;
	}
	o.max_nodes = (size_t)max_nodes;
	if (o.shapes) {
		/* Inference findings are the business of `infer`: a drawing shows what it
		 * can and stays quiet. */
		struct ox_diag quiet;

		ox_diag_init(&quiet, d.file);
		ox_shape_infer(drawn, 0, &quiet);
		ox_diag_release(&quiet);
	}
	if (ox_dot_build(drawn, &o, &g, NULL, &d) < 0)
		goto done;
	d.file = out;
	if (!format) {
		if (!strcmp(out, "-")) {
			if (ox_dot_write(g, stdout, &d) < 0 || fflush(stdout) != 0)
				goto done;
		} else if (write_atomic(out, NULL, 0, g, &d) < 0) {
			goto done;
		}
	} else {
		if (ox_dot_render(g, format, &data, &len, &d) < 0 ||
		    write_atomic(out, data, len, NULL, &d) < 0)
			goto done;
	}
	rc = OX_EXIT_OK;
done:
	ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
	free(data);
	ox_dot_free(g);
	if (have_diff)
		ox_dot_diff_release(&df);
	if (have_hl)
		highlight_release(&hl);
	free(legend_bad);
	free(legend_partial);
	ox_model_free(m);
	ox_model_free(base);
	return rc;
}
