/* passes/fuse_bn_into_conv.c: BatchNormalization (inference mode, constant
 * parameters) after a Conv, ConvTranspose, Gemm or 2-D MatMul with constant weights
 * is a per-output-channel scale s = scale / sqrt(var + eps) and shift
 * t = bias - mean * s: the weights of each output channel are multiplied by s and the
 * bias becomes bias * s + t. A MatMul becomes a Gemm carrying the new bias.
 * Needs: uses, shapes (the MatMul operand's rank). Breaks: shapes (new
 * initializers, and the Gemm's output). Fixed point: no.
 * The producer's output must be read by the BatchNormalization alone, which must
 * leave its training outputs unread. float and double weights only. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "pass.h"

static bool
float_tensor(const struct ox_tensor *t, int dtype)
{
	return t && t->dtype == dtype && (dtype == OX_FLOAT || dtype == OX_DOUBLE) && t->data;
}

/* s and t per channel from bn's constants (m channels, dtype); false when they are not
 * constants of that size. */
static bool
bn_coeffs(const struct ox_node *bn, int dtype, int64_t m, double *s, double *t)
{
	const struct ox_tensor *p[4];
	double eps = ox_node_attr_float(bn, "epsilon", 1e-5f);

	for (int k = 0; k < 4; k++) {
		p[k] = ox_pass_const(bn->in[k + 1]);
		if (!float_tensor(p[k], dtype) || p[k]->nelem != m)
			return false;
	}
	for (int64_t c = 0; c < m; c++) {
		double var = ox_pass_get(p[3], c) + eps;

		if (!(var > 0))
			return false;
		s[c] = ox_pass_get(p[0], c) / sqrt(var);
		t[c] = ox_pass_get(p[1], c) - ox_pass_get(p[2], c) * s[c];
	}
	return true;
}

/* Whether bn is in inference mode with only Y read. */
static bool
bn_plain(const struct ox_node *bn, int64_t opset)
{
	if (bn->n_in < 5 || bn->n_out < 1 || !bn->out[0])
		return false;
	for (int k = 0; k < 5; k++)
		if (!bn->in[k])
			return false;
	for (int k = 1; k < bn->n_out; k++)
		if (bn->out[k] && (bn->out[k]->n_uses || ox_value_is_graph_output(bn->out[k])))
			return false;
	if (opset < 7 && !ox_node_attr_int(bn, "is_test", 0))
		return false;
	if (opset < 9 && !ox_node_attr_int(bn, "spatial", 1))
		return false;
	return !ox_node_attr_int(bn, "training_mode", 0);
}

/* The new weights of p: channel of each weight element scaled. */
static struct ox_value *
scaled_weights(struct ox_graph *g, struct ox_value *w, const double *s, int64_t (*chan)(int64_t, const void *),
	       const void *arg)
{
	const struct ox_tensor *t = ox_pass_const(w);
	struct ox_value *v = ox_pass_new_init(g, w->name, t->dtype, t->ndim, t->dims);

	if (!v)
		return NULL;
	for (int64_t i = 0; i < t->nelem; i++)
		ox_pass_put(v->init, i, ox_pass_get(t, i) * s[chan(i, arg)]);
	return v;
}

struct geom {
	int64_t inner;   /* elements per index of the dim that names the channel */
	int64_t d0, d1;  /* first two dims */
	int64_t group;   /* ConvTranspose: groups */
	int kind;        /* 0: channel = dim 0; 1: ConvTranspose; 2: channel = dim 1 of 2-D */
};

static int64_t
chan_of(int64_t i, const void *arg)
{
	const struct geom *gm = arg;

	switch (gm->kind) {
	case 0:
		return i / gm->inner;
	case 1: {
		int64_t c = i / (gm->d1 * gm->inner), j = (i / gm->inner) % gm->d1;

		return (c / (gm->d0 / gm->group)) * gm->d1 + j;
	}
	default:
		return i % gm->d1;
	}
}

static int
fuse(struct ox_graph *g, struct ox_node *bn, int64_t opset)
{
	struct ox_value *x = bn->in[0], *wv, *bv, *out;
	struct ox_node *p = x->producer;
	const struct ox_tensor *w, *b = NULL;
	struct geom gm = { 1, 0, 0, 1, 0 };
	double *s = NULL, *t = NULL;
	int64_t m, dims[1];
	double beta = 1;
	bool matmul = false;
	int dtype, r = 0;

	if (!p || p->graph != g || !ox_pass_single_use(x) || p->n_in < 2 || !p->in[0] || !p->in[1])
		return 0;
	w = ox_pass_const(p->in[1]);
	if (!w || (w->dtype != OX_FLOAT && w->dtype != OX_DOUBLE) || !w->data || w->ndim < 2)
		return 0;
	dtype = w->dtype;
	gm.d0 = w->dims[0];
	gm.d1 = w->dims[1];
	for (int k = 1; k < w->ndim; k++)
		gm.inner *= w->dims[k];
	if (ox_pass_is(p, "Conv")) {
		m = gm.d0;
	} else if (ox_pass_is(p, "ConvTranspose")) {
		gm.kind = 1;
		gm.group = ox_node_attr_int(p, "group", 1);
		gm.inner /= gm.d1;
		if (gm.group < 1 || gm.d0 % gm.group)
			return 0;
		m = gm.d1 * gm.group;
	} else if (ox_pass_is(p, "Gemm") || (matmul = ox_pass_is(p, "MatMul"))) {
		if (w->ndim != 2 || (matmul && (ox_pass_rank(p->in[0]) != 2 || opset < 7)))
			return 0;
		if (!matmul && ox_node_attr_int(p, "transB", 0)) {
			gm.kind = 0;
			m = gm.d0;
		} else {
			gm.kind = 2;
			m = gm.d1;
		}
		if (!matmul) {
			beta = ox_node_attr_float(p, "beta", 1);
			if (opset < 7)
				return 0;
		}
	} else {
		return 0;
	}
	if (p->n_in > 2 && p->in[2]) {
		b = ox_pass_const(p->in[2]);
		if (!float_tensor(b, dtype) || (b->nelem != m && b->nelem != 1) ||
		    (b->ndim == 2 && b->dims[0] != 1))
			return 0;
	}
	s = malloc((size_t)m * sizeof *s);
	t = malloc((size_t)m * sizeof *t);
	if (!s || !t) {
		r = OX_ENOMEM;
		goto out;
	}
	if (!bn_coeffs(bn, dtype, m, s, t) || !ox_pass_can_replace(bn->out[0], x))
		goto out;
	if (!(wv = scaled_weights(g, p->in[1], s, chan_of, &gm))) {
		r = OX_ENOMEM;
		goto out;
	}
	dims[0] = m;
	if (!(bv = ox_pass_new_init(g, p->in[1]->name, dtype, 1, dims))) {
		r = OX_ENOMEM;
		goto out;
	}
	for (int64_t c = 0; c < m; c++)
		ox_pass_put(bv->init, c, (b ? beta * ox_pass_get(b, b->nelem == 1 ? 0 : c) : 0) * s[c] + t[c]);
	if (matmul) {
		struct ox_node *gemm = ox_node_new(g, "Gemm", "", 3, 1);

		if (!gemm || (r = ox_node_set_input(gemm, 0, p->in[0])) < 0 ||
		    (r = ox_node_set_input(gemm, 1, wv)) < 0 || (r = ox_node_set_input(gemm, 2, bv)) < 0)
			goto out;
		gemm->name = p->name;
		out = gemm->out[0];
		out->type = bn->out[0]->type;
	} else {
		if ((r = ox_node_set_input(p, 1, wv)) < 0)
			goto out;
		if (p->n_in > 2)
			r = ox_node_set_input(p, 2, bv);
		else
			r = ox_node_add_input(p, bv);
		if (r < 0 || (!matmul && ox_pass_is(p, "Gemm") && (r = ox_node_set_attr_float(p, "beta", 1)) < 0))
			goto out;
		out = x;
	}
	if ((r = ox_pass_replace(bn->out[0], out)) < 0)
		goto out;
	ox_node_kill(bn);
	if (matmul)
		ox_pass_kill(p);
	r = 1;
out:
	free(s);
	free(t);
	return r;
}

int
ox_pass_fuse_bn_into_conv(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *bn = g->nodes[i];

		if (!ox_pass_is(bn, "BatchNormalization") || !bn_plain(bn, opset))
			continue;
		if ((r = fuse(g, bn, opset)) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		n += r;
	}
	return n;
}
