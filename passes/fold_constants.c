/* passes/fold_constants.c: a node whose inputs are all constant is evaluated once,
 * with the executor's kernels, and its outputs become initializers under the same
 * names. Constant nodes become initializers the same way.
 * Needs: uses. Keeps: shapes (the values keep their types). Fixed point: no (nodes
 * are visited in topological order, so a fold feeds the next in the same sweep).
 * A graph output that becomes an initializer keeps its name and type (ONNX allows
 * outputs to name initializers). An If whose condition is constant is replaced by
 * the nodes of its taken branch (see ox_fold_inline_if). Never folded: random ops, nodes with subgraphs,
 * nodes outside the ONNX domain, and nodes whose outputs would take more than
 * --fold-size-limit bytes and more than their inputs do (Tile, Expand,
 * ConstantOfShape would inflate the file). A kernel that fails leaves its node as it
 * was. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "fold.h"

static bool
foldable_op(const struct ox_node *node)
{
	static const char *const never[] = { "RandomNormal", "RandomUniform", "RandomNormalLike",
		"RandomUniformLike", "Multinomial", "Bernoulli", "Dropout" };

	if (!ox_domain_is_onnx(node->domain) || ox_pass_has_subgraph(node) || node->n_out < 1)
		return false;
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		if (strcmp(node->op_type, never[i]) == 0)
			return false;
	return true;
}

/* Bytes of v when its type is static, or 0. */
static size_t
static_bytes(const struct ox_value *v)
{
	int64_t dims[OX_MAX_RANK];
	int r = ox_pass_static_dims(v, dims);
	size_t n;

	if (r < 0 || !ox_pass_elem(v) || !ox_dtype_nbytes(ox_pass_elem(v), ox_shape_numel(r, dims), &n))
		return 0;
	return n;
}

static int
fold(struct ox_node *node, struct ox_pass_ctx *pc, struct ox_diag *scratch)
{
	const struct ox_tensor *small_in[16], **ins = small_in;
	struct ox_tensor *small_out[16] = { NULL }, **outs = small_out;
	size_t in_bytes = 0, out_bytes = 0;
	int r = 0, folded = 0;

	if (!node->n_in && !ox_pass_is(node, "Constant"))
		return 0;
	if ((node->n_in > 16 && !(ins = calloc((size_t)node->n_in, sizeof *ins))) ||
	    (node->n_out > 16 && !(outs = calloc((size_t)node->n_out, sizeof *outs)))) {
		r = OX_ENOMEM;
		goto out;
	}
	for (int i = 0; i < node->n_in; i++) {
		ins[i] = NULL;
		if (!node->in[i])
			continue;
		if (!(ins[i] = ox_pass_const(node->in[i])))
			goto out;
		in_bytes += ins[i]->nbytes;
	}
	for (int i = 0; i < node->n_out; i++)
		if (node->out[i])
			out_bytes += static_bytes(node->out[i]);
	if (!ox_pass_is(node, "Constant") && out_bytes > pc->fold_size_limit && out_bytes > in_bytes)
		goto out;
	if (ox_exec_node(pc->model, node, ins, outs, scratch) < 0)
		goto out;
	out_bytes = 0;
	for (int i = 0; i < node->n_out; i++) {
		if (!node->out[i])
			continue;
		/* Kernels may hand back values no initializer can hold (sequences,
		 * optionals, unsized types): those stay computed at run time. */
		if (outs[i]->dtype != OX_STRING && ox_dtype_bits(outs[i]->dtype) <= 0)
			goto out;
		out_bytes += outs[i]->nbytes;
	}
	if (!ox_pass_is(node, "Constant") && out_bytes > pc->fold_size_limit && out_bytes > in_bytes)
		goto out;
	for (int i = 0; i < node->n_out; i++) {
		struct ox_tensor *t;

		if (!node->out[i])
			continue;
		if (!(t = ox_fold_to_arena(pc->model, outs[i])) || ox_fold_make_init(node, i, t) < 0) {
			r = OX_ENOMEM;
			goto out;
		}
	}
	ox_pass_kill(node);
	folded = 1;
out:
	for (int i = 0; outs && i < node->n_out; i++)
		ox_xtensor_free(outs[i]);
	if (ins != small_in)
		free(ins);
	if (outs != small_out)
		free(outs);
	return r < 0 ? r : folded;
}

int
ox_pass_fold_constants(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	struct ox_diag scratch;
	int n = 0, r = 0, inlined;

	/* A kernel's refusal is no error of the model: it only keeps its node. */
	ox_diag_init(&scratch, NULL);
	do {
		/* Nodes of an inlined branch land at the end of the list, after the If's
		 * readers: another sweep in topological order folds those readers. */
		inlined = 0;
		if ((r = ox_graph_toposort(g, pc->diag)) < 0)
			break;
		for (size_t i = 0; i < g->n_nodes; i++) {
			struct ox_node *node = g->nodes[i];

			if (!node->dead && ox_pass_is(node, "If")) {
				if ((r = ox_fold_inline_if(node, pc)) < 0)
					break;
				inlined += r;
				continue;
			}
			if (node->dead || !foldable_op(node))
				continue;
			if ((r = fold(node, pc, &scratch)) < 0) {
				r = ox_diag_error(pc->diag, r, "out of memory");
				break;
			}
			n += r;
			if (scratch.n > 64) {
				ox_diag_release(&scratch);
				ox_diag_init(&scratch, NULL);
			}
		}
		n += inlined;
		if (inlined)
			ox_graph_compact(g);
	} while (r >= 0 && inlined);
	ox_diag_release(&scratch);
	return r < 0 ? r : n;
}
