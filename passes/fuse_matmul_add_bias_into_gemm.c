/* passes/fuse_matmul_add_bias_into_gemm.c: Add(MatMul(A, B), C) with A and B 2-D
 * and C broadcasting to the product's [M, N] without growing it is Gemm(A, B, C).
 * Needs: uses, shapes (ranks and dims). Breaks: shapes (the Gemm's output gets the
 * Add's type). Fixed point: no. Opset 7 and later (Gemm's broadcasting C); float,
 * double and float16. The MatMul output must be read by the Add alone. */
#include "config.h"

#include "pass.h"

/* C broadcasts unidirectionally to [m, n] (each -1 when unknown). */
static bool
fits(const struct ox_value *c, int64_t m, int64_t n)
{
	int rc = ox_pass_rank(c);
	int64_t want[2] = { m, n };

	if (rc < 0 || rc > 2)
		return false;
	for (int k = 0; k < rc; k++) {
		int64_t d = ox_pass_dim(c, k), w = want[2 - rc + k];

		if (d != 1 && (d < 0 || d != w))
			return false;
	}
	return true;
}

int
ox_pass_fuse_matmul_add_bias_into_gemm(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	if (ox_pass_opset(g) < 7)
		return 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *add = g->nodes[i];

		if (!ox_pass_is(add, "Add") || add->n_in != 2 || !add->in[0] || !add->in[1] || !add->out[0])
			continue;
		for (int side = 0; side < 2; side++) {
			struct ox_value *x = add->in[side], *c = add->in[1 - side];
			struct ox_node *mm = x->producer, *gemm;
			int dt;

			if (!mm || mm->graph != g || !ox_pass_is(mm, "MatMul") || !ox_pass_single_use(x) ||
			    !mm->in[0] || !mm->in[1])
				continue;
			dt = ox_pass_elem(mm->in[0]);
			if ((dt != OX_FLOAT && dt != OX_DOUBLE && dt != OX_FLOAT16) || ox_pass_elem(c) != dt ||
			    ox_pass_rank(mm->in[0]) != 2 || ox_pass_rank(mm->in[1]) != 2 ||
			    !fits(c, ox_pass_dim(mm->in[0], 0), ox_pass_dim(mm->in[1], 1)))
				continue;
			if (!(gemm = ox_node_new(g, "Gemm", "", 3, 1)))
				return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
			gemm->name = mm->name;
			gemm->out[0]->type = add->out[0]->type;
			if ((r = ox_node_set_input(gemm, 0, mm->in[0])) < 0 ||
			    (r = ox_node_set_input(gemm, 1, mm->in[1])) < 0 ||
			    (r = ox_node_set_input(gemm, 2, c)) < 0 ||
			    (r = ox_pass_replace(add->out[0], gemm->out[0])) < 0)
				return ox_diag_error(pc->diag, r, "out of memory");
			ox_node_kill(add);
			ox_pass_kill(mm);
			n++;
			break;
		}
	}
	return n;
}
