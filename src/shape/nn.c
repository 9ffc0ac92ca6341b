/* shape/nn.c: layers: MatMul and Gemm (and their integer/quantized forms), Conv,
 * ConvTranspose, Col2Im, pooling, RoI ops, Resize/Upsample, DepthToSpace, recurrent
 * layers, Einsum. Spatial sizes follow the formulas of the ONNX operator documents. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shape.h"

#define UNK ((struct ox_dim){ .kind = OX_DIM_UNKNOWN })

static int
matmul_shape(struct ox_infer *ic, struct ox_node *node, int ia, int ib, int elem)
{
	const struct ox_type *a = ox_infer_in(node, ia), *b = ox_infer_in(node, ib);
	struct ox_dim dims[OX_MAX_RANK + 2];
	const struct ox_dim *ka, *kb;
	int ra, rb, rank, batch, n = 0;

	if (!a || !b || a->rank < 0 || b->rank < 0 || a->rank > OX_MAX_RANK || b->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	ra = a->rank;
	rb = b->rank;
	if (ra == 0 || rb == 0)
		return ox_infer_fail(ic, node, "MatMul input has rank 0");
	ka = &a->dims[ra - 1];
	kb = &b->dims[rb == 1 ? 0 : rb - 2];
	if (ka->kind == OX_DIM_VALUE && kb->kind == OX_DIM_VALUE && ka->value != kb->value)
		return ox_infer_fail(ic, node, "inner dimensions differ: '%s' has %lld, '%s' has %lld",
				     node->in[ia]->name, (long long)ka->value, node->in[ib]->name,
				     (long long)kb->value);
	/* Batch dims broadcast; 1-D operands have none. */
	{
		int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;

		batch = ba > bb ? ba : bb;
		for (int i = 0; i < batch; i++) {
			const struct ox_dim *x = i >= batch - ba ? &a->dims[i - (batch - ba)] : NULL;
			const struct ox_dim *y = i >= batch - bb ? &b->dims[i - (batch - bb)] : NULL;

			if (!x || (x->kind == OX_DIM_VALUE && x->value == 1 && y))
				dims[n++] = *y;
			else if (!y || (y->kind == OX_DIM_VALUE && y->value == 1))
				dims[n++] = *x;
			else if (x->kind == OX_DIM_VALUE && y->kind == OX_DIM_VALUE && x->value != y->value)
				return ox_infer_fail(ic, node, "batch dimensions cannot broadcast: %lld and %lld",
						     (long long)x->value, (long long)y->value);
			else if (x->kind == OX_DIM_VALUE)
				dims[n++] = *x;
			else if (y->kind == OX_DIM_VALUE)
				dims[n++] = *y;
			else if (ox_dim_same(x, y))
				dims[n++] = *x;
			else
				dims[n++] = UNK;
		}
	}
	if (ra >= 2)
		dims[n++] = a->dims[ra - 2];
	if (rb >= 2)
		dims[n++] = b->dims[rb - 1];
	rank = n;
	return ox_infer_set(ic, node, 0, elem, rank, dims);
}

static int
matmul(struct ox_infer *ic, struct ox_node *node)
{
	return matmul_shape(ic, node, 0, 1, ox_infer_in_elem(node, 0) ? ox_infer_in_elem(node, 0)
								       : ox_infer_in_elem(node, 1));
}

static int
matmul_integer(struct ox_infer *ic, struct ox_node *node)
{
	return matmul_shape(ic, node, 0, 1, OX_INT32);
}

static int
qlinear_matmul(struct ox_infer *ic, struct ox_node *node)
{
	return matmul_shape(ic, node, 0, 3, ox_infer_in_elem(node, 7));
}

static int
gemm(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *a = ox_infer_in(node, 0), *b = ox_infer_in(node, 1);
	int elem = ox_infer_in_elem(node, 0);
	bool ta = ox_node_attr_int(node, "transA", 0), tb = ox_node_attr_int(node, "transB", 0);
	struct ox_dim dims[2];

	if (!a || !b || a->rank != 2 || b->rank != 2)
		return ox_infer_set(ic, node, 0, elem, a && b && a->rank >= 0 && b->rank >= 0 ? 2 : -1,
				    (struct ox_dim[2]){ UNK, UNK });
	{
		const struct ox_dim *ka = &a->dims[ta ? 0 : 1], *kb = &b->dims[tb ? 1 : 0];

		if (ka->kind == OX_DIM_VALUE && kb->kind == OX_DIM_VALUE && ka->value != kb->value)
			return ox_infer_fail(ic, node, "inner dimensions differ: %lld and %lld",
					     (long long)ka->value, (long long)kb->value);
	}
	dims[0] = a->dims[ta ? 1 : 0];
	dims[1] = b->dims[tb ? 0 : 1];
	return ox_infer_set(ic, node, 0, elem, 2, dims);
}

/* ceil or floor of a / b for b > 0. */
static int64_t
div_round(int64_t a, int64_t b, bool up)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) == (b < 0) && up)
		q++;
	if (a % b != 0 && (a < 0) != (b < 0) && !up)
		q--;
	return q;
}

static bool
attr_str_is(const struct ox_node *node, const char *name, const char *what)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	return a && a->s.len == strlen(what) && memcmp(a->s.data, what, a->s.len) == 0;
}

static bool
auto_pad_is(const struct ox_node *node, const char *what)
{
	return attr_str_is(node, "auto_pad", what);
}

/* Spatial output sizes of a window op over x (N, C, spatial...): kernel k (nsp
 * entries); out dims 2.. written. */
static int
window_dims(struct ox_infer *ic, struct ox_node *node, const struct ox_type *x, const int64_t *k,
	    int nsp, bool ceil_mode, bool has_dilation, struct ox_dim *dims)
{
	size_t n_s, n_p, n_d;
	const int64_t *s = ox_infer_attr_ints(node, "strides", &n_s);
	const int64_t *p = ox_infer_attr_ints(node, "pads", &n_p);
	const int64_t *d = has_dilation ? ox_infer_attr_ints(node, "dilations", &n_d) : NULL;
	bool same = auto_pad_is(node, "SAME_UPPER") || auto_pad_is(node, "SAME_LOWER");
	bool valid = auto_pad_is(node, "VALID");

	if ((s && n_s != (size_t)nsp) || (p && n_p != (size_t)nsp * 2) || (d && n_d != (size_t)nsp))
		return ox_infer_fail(ic, node, "strides, pads or dilations do not match %d spatial dims", nsp);
	for (int i = 0; i < nsp; i++) {
		const struct ox_dim *in = &x->dims[2 + i];
		int64_t st = s ? s[i] : 1, dl = d ? d[i] : 1, eff, total;

		if (st <= 0 || dl <= 0 || k[i] <= 0)
			return ox_infer_fail(ic, node, "stride, dilation and kernel must be positive");
		if (in->kind != OX_DIM_VALUE) {
			dims[2 + i] = UNK;
			continue;
		}
		eff = (k[i] - 1) * dl + 1;
		if (same) {
			dims[2 + i] = ox_dim_of(div_round(in->value, st, true));
			continue;
		}
		total = in->value - eff;
		if (!valid && p)
			total += p[i] + p[i + nsp];
		if (total < 0)
			return ox_infer_fail(ic, node, "window of %lld does not fit spatial dim %d of %lld",
					     (long long)eff, i, (long long)in->value);
		dims[2 + i] = ox_dim_of(div_round(total, st, ceil_mode) + 1);
	}
	return 0;
}

static int
conv_like(struct ox_infer *ic, struct ox_node *node, int ix, int iw, int elem)
{
	const struct ox_type *x = ox_infer_in(node, ix), *w = ox_infer_in(node, iw);
	struct ox_dim dims[OX_MAX_RANK];
	int64_t k[OX_MAX_RANK];
	size_t nk;
	const int64_t *ks = ox_infer_attr_ints(node, "kernel_shape", &nk);
	int rank, nsp, r;

	rank = x ? x->rank : w ? w->rank : -1;
	if (rank < 0 || rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (rank < 3)
		return ox_infer_fail(ic, node, "input has rank %d, less than 3", rank);
	nsp = rank - 2;
	if (w && w->rank >= 0 && w->rank != rank)
		return ox_infer_fail(ic, node, "weight rank %d differs from input rank %d", w->rank, rank);
	dims[0] = x ? x->dims[0] : UNK;
	dims[1] = w && w->rank > 0 ? w->dims[0] : UNK;
	if (x && w && w->rank > 1) {
		int64_t group = ox_node_attr_int(node, "group", 1);
		const struct ox_dim *c = &x->dims[1], *wc = &w->dims[1];

		if (c->kind == OX_DIM_VALUE && wc->kind == OX_DIM_VALUE && group > 0 &&
		    c->value != wc->value * group)
			return ox_infer_fail(ic, node, "input has %lld channels, weight expects %lld x group %lld",
					     (long long)c->value, (long long)wc->value, (long long)group);
	}
	if (ks && nk != (size_t)nsp)
		return ox_infer_fail(ic, node, "kernel_shape has %zu entries for %d spatial dims", nk, nsp);
	for (int i = 0; i < nsp; i++) {
		if (ks) {
			k[i] = ks[i];
		} else if (w && w->rank == rank && w->dims[2 + i].kind == OX_DIM_VALUE) {
			k[i] = w->dims[2 + i].value;
		} else {
			for (int j = 0; j < nsp; j++)
				dims[2 + j] = UNK;
			return ox_infer_set(ic, node, 0, elem, rank, dims);
		}
	}
	if (!x) {
		for (int j = 0; j < nsp; j++)
			dims[2 + j] = UNK;
	} else if ((r = window_dims(ic, node, x, k, nsp, false, true, dims)) < 0) {
		return r;
	}
	return ox_infer_set(ic, node, 0, elem, rank, dims);
}

static int
conv(struct ox_infer *ic, struct ox_node *node)
{
	return conv_like(ic, node, 0, 1, ox_infer_in_elem(node, 0));
}

static int
conv_integer(struct ox_infer *ic, struct ox_node *node)
{
	return conv_like(ic, node, 0, 1, OX_INT32);
}

static int
qlinear_conv(struct ox_infer *ic, struct ox_node *node)
{
	return conv_like(ic, node, 0, 3, ox_infer_in_elem(node, 7));
}

static int
conv_transpose(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *w = ox_infer_in(node, 1);
	int elem = ox_infer_in_elem(node, 0);
	struct ox_dim dims[OX_MAX_RANK];
	size_t nk, n_s, n_p, n_d, n_op, n_os;
	const int64_t *ks = ox_infer_attr_ints(node, "kernel_shape", &nk);
	const int64_t *s = ox_infer_attr_ints(node, "strides", &n_s);
	const int64_t *p = ox_infer_attr_ints(node, "pads", &n_p);
	const int64_t *d = ox_infer_attr_ints(node, "dilations", &n_d);
	const int64_t *op = ox_infer_attr_ints(node, "output_padding", &n_op);
	const int64_t *os = ox_infer_attr_ints(node, "output_shape", &n_os);
	int64_t group = ox_node_attr_int(node, "group", 1);
	bool same = auto_pad_is(node, "SAME_UPPER") || auto_pad_is(node, "SAME_LOWER");
	int rank, nsp;

	if (!x || x->rank < 3 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	rank = x->rank;
	nsp = rank - 2;
	dims[0] = x->dims[0];
	dims[1] = w && w->rank > 1 && w->dims[1].kind == OX_DIM_VALUE
		? ox_dim_of(w->dims[1].value * group) : UNK;
	if ((s && n_s != (size_t)nsp) || (p && n_p != (size_t)nsp * 2) || (d && n_d != (size_t)nsp) ||
	    (op && n_op != (size_t)nsp) || (ks && nk != (size_t)nsp))
		return ox_infer_fail(ic, node, "attribute lengths do not match %d spatial dims", nsp);
	for (int i = 0; i < nsp; i++) {
		const struct ox_dim *in = &x->dims[2 + i];
		int64_t k, st = s ? s[i] : 1, dl = d ? d[i] : 1;

		if (os && n_os >= (size_t)nsp) {
			dims[2 + i] = ox_dim_of(os[n_os - nsp + i]);
			continue;
		}
		if (ks)
			k = ks[i];
		else if (w && w->rank == rank && w->dims[2 + i].kind == OX_DIM_VALUE)
			k = w->dims[2 + i].value;
		else
			k = -1;
		if (in->kind != OX_DIM_VALUE || k < 0) {
			dims[2 + i] = UNK;
			continue;
		}
		if (same)
			dims[2 + i] = ox_dim_of(in->value * st);
		else
			dims[2 + i] = ox_dim_of(st * (in->value - 1) + (op ? op[i] : 0) + (k - 1) * dl + 1 -
						(p ? p[i] + p[i + nsp] : 0));
	}
	return ox_infer_set(ic, node, 0, elem, rank, dims);
}

static int
pool(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0), rank, r;
	struct ox_dim dims[OX_MAX_RANK];
	size_t nk;
	const int64_t *ks = ox_infer_attr_ints(node, "kernel_shape", &nk);
	bool ceil_mode = ox_node_attr_int(node, "ceil_mode", 0) != 0;

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK) {
		r = ox_infer_set(ic, node, 0, elem, -1, NULL);
		return r < 0 ? r : ox_infer_set(ic, node, 1, OX_INT64, -1, NULL);
	}
	rank = x->rank;
	if (rank < 3 || !ks || nk != (size_t)(rank - 2))
		return ox_infer_fail(ic, node, "kernel_shape does not match input rank %d", rank);
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	if ((r = window_dims(ic, node, x, ks, rank - 2, ceil_mode, true, dims)) < 0)
		return r;
	if ((r = ox_infer_set(ic, node, 0, elem, rank, dims)) < 0)
		return r;
	return ox_infer_set(ic, node, 1, OX_INT64, rank, dims);
}

static int
global_pool(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	struct ox_dim dims[OX_MAX_RANK];

	if (!x || x->rank < 2 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), -1, NULL);
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	for (int i = 2; i < x->rank; i++)
		dims[i] = ox_dim_of(1);
	return ox_infer_set(ic, node, 0, x->elem, x->rank, dims);
}

static int
roi_pool(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *rois = ox_infer_in(node, 1);
	bool align = strcmp(node->op_type, "RoiAlign") == 0;
	size_t n;
	const int64_t *ps = ox_infer_attr_ints(node, "pooled_shape", &n);
	struct ox_dim dims[4];

	dims[0] = rois && rois->rank >= 1 ? rois->dims[0] : UNK;
	dims[1] = x && x->rank >= 2 ? x->dims[1] : UNK;
	if (align) {
		dims[2] = ox_dim_of(ox_node_attr_int(node, "output_height", 1));
		dims[3] = ox_dim_of(ox_node_attr_int(node, "output_width", 1));
	} else {
		dims[2] = ps && n == 2 ? ox_dim_of(ps[0]) : UNK;
		dims[3] = ps && n == 2 ? ox_dim_of(ps[1]) : UNK;
	}
	return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), 4, dims);
}

static int
max_unpool(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int64_t os[OX_SHAPE_KNOWN_MAX];
	int64_t n = node->n_in > 2 && node->in[2] ? ox_infer_ints(ic, node, 2, os) : -1;
	struct ox_dim dims[OX_MAX_RANK];
	size_t nk, n_s, n_p;
	const int64_t *ks = ox_infer_attr_ints(node, "kernel_shape", &nk);
	const int64_t *s = ox_infer_attr_ints(node, "strides", &n_s);
	const int64_t *p = ox_infer_attr_ints(node, "pads", &n_p);
	int elem = ox_infer_in_elem(node, 0);

	if (n >= 0 && n <= OX_MAX_RANK) {
		for (int64_t i = 0; i < n; i++)
			dims[i] = ox_dim_of(os[i]);
		return ox_infer_set(ic, node, 0, elem, (int)n, dims);
	}
	if (node->n_in > 2 && node->in[2]) {
		const struct ox_type *t = ox_infer_in(node, 2);

		if (t && t->rank == 1 && t->dims[0].kind == OX_DIM_VALUE && t->dims[0].value <= OX_MAX_RANK)
			return ox_infer_set(ic, node, 0, elem, (int)t->dims[0].value,
					    (struct ox_dim[OX_MAX_RANK]){ UNK });
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	}
	if (!x || x->rank < 3 || x->rank > OX_MAX_RANK || !ks || nk != (size_t)(x->rank - 2))
		return ox_infer_set(ic, node, 0, elem, x ? x->rank : -1, (struct ox_dim[OX_MAX_RANK]){ UNK });
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	for (int i = 0; i < x->rank - 2; i++) {
		int64_t st = s && n_s > (size_t)i ? s[i] : 1;
		const struct ox_dim *in = &x->dims[2 + i];

		dims[2 + i] = in->kind == OX_DIM_VALUE
			? ox_dim_of((in->value - 1) * st + ks[i] - (p && n_p == nk * 2 ? p[i] + p[i + nk] : 0))
			: UNK;
	}
	return ox_infer_set(ic, node, 0, elem, x->rank, dims);
}

static int
depth_space(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int64_t b = ox_node_attr_int(node, "blocksize", 0);
	bool to_space = strcmp(node->op_type, "DepthToSpace") == 0;
	struct ox_dim dims[4];

	if (!x || x->rank != 4 || b <= 0)
		return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), x && x->rank >= 0 ? 4 : -1,
				    (struct ox_dim[4]){ UNK, UNK, UNK, UNK });
	dims[0] = x->dims[0];
	for (int i = 1; i < 4; i++) {
		const struct ox_dim *d = &x->dims[i];
		bool shrink = (i == 1) == to_space;
		int64_t f = i == 1 ? b * b : b;

		if (d->kind != OX_DIM_VALUE)
			dims[i] = UNK;
		else if (shrink && d->value % f)
			return ox_infer_fail(ic, node, "dim %d (%lld) is not a multiple of %lld", i,
					     (long long)d->value, (long long)f);
		else
			dims[i] = ox_dim_of(shrink ? d->value / f : d->value * f);
	}
	return ox_infer_set(ic, node, 0, x->elem, 4, dims);
}

/* The float contents of a constant input (initializer or Constant node), up to max. */
static int64_t
const_floats(const struct ox_value *v, float *out, int64_t max)
{
	const struct ox_tensor *t = v ? v->init : NULL;

	if (v && !t && v->producer && ox_node_is(v->producer, "", "Constant")) {
		const struct ox_attr *a = ox_node_attr(v->producer, "value");

		if (a && a->t)
			t = a->t;
		else if ((a = ox_node_attr(v->producer, "value_floats")) && (int64_t)a->n_floats <= max) {
			memcpy(out, a->floats, a->n_floats * sizeof *out);
			return (int64_t)a->n_floats;
		}
	}
	if (!t || !t->data || t->nelem > max)
		return -1;
	for (int64_t i = 0; i < t->nelem; i++) {
		if (t->dtype == OX_FLOAT) {
			memcpy(&out[i], (const char *)t->data + 4 * i, 4);
		} else if (t->dtype == OX_DOUBLE) {
			double x;

			memcpy(&x, (const char *)t->data + 8 * i, 8);
			out[i] = (float)x;
		} else {
			return -1;
		}
	}
	return t->nelem;
}

/* A size computed in floating point, or unknown when it is not a valid dim (a huge
 * scale must not reach an undefined float-to-integer conversion). */
static struct ox_dim
float_dim(double v)
{
	if (!(v >= 0 && v < 9.0e18))
		return UNK;
	return ox_dim_of((int64_t)v);
}

/* Resize and Upsample. The output size comes from "sizes" when given (its known
 * elements may be symbols: PyTorch builds it from Shape of the input), else from
 * floor(in * scale). Since opset 18, "axes" names the dims that scales or sizes
 * cover (the others keep their size), and keep_aspect_ratio_policy turns sizes
 * into one scale for all those axes: the smallest (not_larger) or largest
 * (not_smaller) of sizes[i] / in[i], with out[i] = round(scale * in[i]). */
static int
resize(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0), rank;
	int since = ox_infer_schema(ic)->since_version;
	float sc[OX_MAX_RANK];
	int64_t n;
	struct ox_dim dims[OX_MAX_RANK];
	int is = strcmp(node->op_type, "Upsample") == 0 || since < 11 ? 1 : 2;
	int ax[OX_MAX_RANK], nax;
	size_t na;
	const int64_t *axes = ox_infer_attr_ints(node, "axes", &na);
	const struct ox_known *ks;
	bool seen[OX_MAX_RANK] = { 0 };

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	rank = x->rank;
	if (axes && is == 2) {
		if (na > (size_t)rank)
			return ox_infer_fail(ic, node, "axes has %zu entries for rank %d", na, rank);
		for (size_t i = 0; i < na; i++) {
			if (!ox_infer_axis(axes[i], rank, false, &ax[i]) || seen[ax[i]])
				return ox_infer_fail(ic, node, "axes entry %lld is invalid for rank %d",
						     (long long)axes[i], rank);
			seen[ax[i]] = true;
		}
		nax = (int)na;
	} else {
		for (int i = 0; i < rank; i++)
			ax[i] = i;
		nax = rank;
	}
	memcpy(dims, x->dims, (size_t)rank * sizeof *dims);
	if (is == 2 && node->n_in > 3 && node->in[3] && (ks = ox_infer_known(ic, node->in[3])) && ks->n > 0) {
		bool stretch = !attr_str_is(node, "keep_aspect_ratio_policy", "not_larger") &&
			       !attr_str_is(node, "keep_aspect_ratio_policy", "not_smaller");

		if (ks->n != nax)
			return ox_infer_fail(ic, node, "sizes has %lld entries for %d axes", (long long)ks->n, nax);
		if (stretch || since < 18) {
			for (int i = 0; i < nax; i++)
				dims[ax[i]] = ks->v[i];
		} else {
			bool larger = attr_str_is(node, "keep_aspect_ratio_policy", "not_smaller");
			float scale = 0;

			for (int i = 0; i < nax; i++) {
				const struct ox_dim *in = &x->dims[ax[i]];
				float s;

				if (in->kind != OX_DIM_VALUE || ks->v[i].kind != OX_DIM_VALUE || in->value <= 0) {
					scale = -1;
					break;
				}
				s = (float)ks->v[i].value / (float)in->value;
				if (i == 0 || (larger ? s > scale : s < scale))
					scale = s;
			}
			for (int i = 0; i < nax; i++)
				dims[ax[i]] = scale < 0 ? UNK : float_dim(roundf(scale * (float)x->dims[ax[i]].value));
		}
		return ox_infer_set(ic, node, 0, elem, rank, dims);
	}
	n = -1;
	if (node->n_in > is && node->in[is]) {
		n = const_floats(node->in[is], sc, OX_MAX_RANK);
	} else if (since < 9) {
		const struct ox_attr *a = ox_node_attr(node, "scales");

		if (a && a->n_floats <= OX_MAX_RANK) {
			memcpy(sc, a->floats, a->n_floats * sizeof *sc);
			n = (int64_t)a->n_floats;
		}
	}
	if (n != nax) {
		if (n >= 0 && (n > 0 || !(is == 2 && node->n_in > 3 && node->in[3])))
			return ox_infer_fail(ic, node, "scales has %lld entries for %d axes", (long long)n, nax);
		for (int i = 0; i < nax; i++)
			dims[ax[i]] = UNK;
		return ox_infer_set(ic, node, 0, elem, rank, dims);
	}
	for (int i = 0; i < nax; i++) {
		const struct ox_dim *d = &x->dims[ax[i]];

		if (sc[i] <= 0)
			return ox_infer_fail(ic, node, "scale %g is not positive", (double)sc[i]);
		if (d->kind == OX_DIM_VALUE)
			dims[ax[i]] = float_dim(floorf((float)d->value * sc[i]));
		else if (sc[i] == 1.0f)
			dims[ax[i]] = *d;
		else
			dims[ax[i]] = UNK;
	}
	return ox_infer_set(ic, node, 0, elem, rank, dims);
}

static int
rnn(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0), r = 0;
	const struct ox_attr *dir = ox_node_attr(node, "direction");
	int64_t nd = dir && dir->s.len == 13 && memcmp(dir->s.data, "bidirectional", 13) == 0 ? 2 : 1;
	int64_t hidden = ox_node_attr_int(node, "hidden_size", -1);
	bool batch_first = ox_node_attr_int(node, "layout", 0) != 0;
	struct ox_dim seq = UNK, batch = UNK, h = hidden > 0 ? ox_dim_of(hidden) : UNK;

	if (x && x->rank == 3) {
		seq = x->dims[batch_first ? 1 : 0];
		batch = x->dims[batch_first ? 0 : 1];
	}
	if (hidden <= 0) {
		const struct ox_type *rw = ox_infer_in(node, 2);
		/* R is [num_directions, gates * hidden, hidden]. */
		if (rw && rw->rank == 3)
			h = rw->dims[2];
	}
	if (batch_first)
		r = ox_infer_set(ic, node, 0, elem, 4, (struct ox_dim[4]){ batch, seq, ox_dim_of(nd), h });
	else
		r = ox_infer_set(ic, node, 0, elem, 4, (struct ox_dim[4]){ seq, ox_dim_of(nd), batch, h });
	for (int k = 1; r >= 0 && k < 3; k++) {
		if (batch_first)
			r = ox_infer_set(ic, node, k, elem, 3, (struct ox_dim[3]){ batch, ox_dim_of(nd), h });
		else
			r = ox_infer_set(ic, node, k, elem, 3, (struct ox_dim[3]){ ox_dim_of(nd), batch, h });
	}
	return r;
}

static int
grid_sample(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *g = ox_infer_in(node, 1);
	struct ox_dim dims[OX_MAX_RANK];
	int rank = x ? x->rank : g ? g->rank : -1;

	if (rank < 3 || rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), -1, NULL);
	dims[0] = x ? x->dims[0] : g->dims[0];
	dims[1] = x ? x->dims[1] : UNK;
	for (int i = 2; i < rank; i++)
		dims[i] = g && g->rank == rank ? g->dims[i - 1] : UNK;
	return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), rank, dims);
}

/* Col2Im: input [N, C * prod(block_shape), L] -> [N, C, image_shape...], where L
 * must be the number of block positions: the product over spatial dims of
 * floor((image + pad_begin + pad_end - dilation * (block - 1) - 1) / stride) + 1. */
static int
col2im(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *it = ox_infer_in(node, 1);
	int elem = ox_infer_in_elem(node, 0);
	int64_t img[OX_SHAPE_KNOWN_MAX], blk[OX_SHAPE_KNOWN_MAX], ni, nb, nsp = -1, prod = 1, blocks = 1;
	size_t n_s, n_p, n_d;
	const int64_t *s = ox_infer_attr_ints(node, "strides", &n_s);
	const int64_t *p = ox_infer_attr_ints(node, "pads", &n_p);
	const int64_t *d = ox_infer_attr_ints(node, "dilations", &n_d);
	struct ox_dim dims[OX_MAX_RANK];

	ni = ox_infer_ints(ic, node, 1, img);
	nb = ox_infer_ints(ic, node, 2, blk);
	if (ni >= 0)
		nsp = ni;
	else if (nb >= 0)
		nsp = nb;
	else if (it && it->rank == 1 && it->dims[0].kind == OX_DIM_VALUE)
		nsp = it->dims[0].value;
	if (x && x->rank >= 0 && x->rank != 3)
		return ox_infer_fail(ic, node, "input has rank %d, not 3", x->rank);
	if (nsp < 0 || nsp + 2 > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if ((ni >= 0 && nb >= 0 && ni != nb) || (s && n_s != (size_t)nsp) || (p && n_p != 2 * (size_t)nsp) ||
	    (d && n_d != (size_t)nsp))
		return ox_infer_fail(ic, node, "image_shape, block_shape, strides, pads and dilations differ in length");
	dims[0] = x && x->rank == 3 ? x->dims[0] : UNK;
	dims[1] = UNK;
	for (int64_t i = 0; i < nsp; i++) {
		dims[2 + i] = ni >= 0 ? ox_dim_of(img[i]) : UNK;
		if (nb >= 0 && (blk[i] <= 0 || __builtin_mul_overflow(prod, blk[i], &prod)))
			return ox_infer_fail(ic, node, "block_shape entry %lld is invalid", (long long)blk[i]);
		if (ni >= 0 && nb >= 0 && blocks >= 0) {
			int64_t st = s ? s[i] : 1, dl = d ? d[i] : 1, span, reach;

			/* span = image + pads - dilation * (block - 1) - 1 */
			if (st <= 0 || dl <= 0 || img[i] < 0 ||
			    __builtin_add_overflow(img[i], p ? p[i] : 0, &span) ||
			    __builtin_add_overflow(span, p ? p[i + nsp] : 0, &span) ||
			    __builtin_mul_overflow(dl, blk[i] - 1, &reach) ||
			    __builtin_sub_overflow(span, reach + 1, &span) || span < 0)
				return ox_infer_fail(ic, node, "blocks do not fit the image in spatial dim %lld",
						     (long long)i);
			if (__builtin_mul_overflow(blocks, span / st + 1, &blocks))
				blocks = -1;
		}
	}
	if (nb >= 0 && x && x->rank == 3) {
		const struct ox_dim *cb = &x->dims[1], *l = &x->dims[2];

		if (cb->kind == OX_DIM_VALUE) {
			if (cb->value % prod)
				return ox_infer_fail(ic, node, "dim 1 (%lld) is not a multiple of the block size %lld",
						     (long long)cb->value, (long long)prod);
			dims[1] = ox_dim_of(cb->value / prod);
		} else if (prod == 1) {
			dims[1] = *cb;
		}
		if (ni >= 0 && blocks >= 0 && l->kind == OX_DIM_VALUE && l->value != blocks)
			return ox_infer_fail(ic, node, "input has %lld blocks, the image holds %lld",
					     (long long)l->value, (long long)blocks);
	}
	return ox_infer_set(ic, node, 0, elem, (int)nsp + 2, dims);
}

/* Einsum: letters of each operand map to dims; "..." broadcasts. */
static int
einsum(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_attr *eq = ox_node_attr(node, "equation");
	int elem = ox_infer_in_elem(node, 0);
	struct ox_dim letter[128], ell[OX_MAX_RANK], dims[OX_MAX_RANK];
	bool seen[128] = { 0 };
	int order[128], n_order = 0, n_ell = -1, rank = 0, op = 0;
	char buf[512];
	const char *p, *arrow;

	if (!eq || !eq->has_s || eq->s.len >= sizeof buf)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	memcpy(buf, eq->s.data, eq->s.len);
	buf[eq->s.len] = 0;
	arrow = strstr(buf, "->");
	for (p = buf; *p && p != arrow; op++) {
		const struct ox_type *t = ox_infer_in(node, op);
		int i = 0, nl = 0, ell_at = -1;
		const char *q;

		while (*p == ' ')
			p++;
		for (q = p; *q && *q != ',' && q != arrow; q++) {
			if (*q == '.') {
				if (ell_at < 0)
					ell_at = nl;
				continue;
			}
			if (*q != ' ')
				nl++;
		}
		if (!t || t->rank < 0 || t->rank > OX_MAX_RANK)
			return ox_infer_set(ic, node, 0, elem, -1, NULL);
		{
			int ne = ell_at >= 0 ? t->rank - nl : 0;

			if (ne < 0)
				return ox_infer_fail(ic, node, "equation has more letters than operand %d has dims", op);
			for (; p < q; p++) {
				unsigned char c = (unsigned char)*p;

				if (c == ' ')
					continue;
				if (c == '.') {
					if (p[1] == '.' && p[2] == '.') {
						/* Ellipsis dims broadcast right-aligned. */
						if (ne > n_ell) {
							for (int j = n_ell < 0 ? 0 : n_ell; j < ne; j++)
								ell[j] = ox_dim_of(1);
							n_ell = ne;
						} else if (n_ell < 0) {
							n_ell = 0;
						}
						for (int j = 0; j < ne; j++) {
							const struct ox_dim *dd = &t->dims[i + j];
							struct ox_dim *e = &ell[n_ell - ne + j];

							if (e->kind == OX_DIM_VALUE && e->value == 1)
								*e = *dd;
						}
						i += ne;
						p += 2;
					}
					continue;
				}
				if (c >= 128 || i >= t->rank)
					return ox_infer_set(ic, node, 0, elem, -1, NULL);
				if (!seen[c]) {
					seen[c] = true;
					letter[c] = t->dims[i];
					order[n_order++] = c;
				} else if (letter[c].kind != OX_DIM_VALUE ||
					   (letter[c].value == 1 && t->dims[i].kind == OX_DIM_VALUE)) {
					letter[c] = t->dims[i];
				}
				i++;
			}
		}
		if (*p == ',')
			p++;
	}
	if (n_ell < 0)
		n_ell = 0;
	if (arrow) {
		for (p = arrow + 2; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '.' && p[1] == '.' && p[2] == '.') {
				for (int j = 0; j < n_ell && rank < OX_MAX_RANK; j++)
					dims[rank++] = ell[j];
				p += 2;
			} else if (c < 128 && seen[c] && rank < OX_MAX_RANK) {
				dims[rank++] = letter[c];
			} else if (c != ' ') {
				return ox_infer_set(ic, node, 0, elem, -1, NULL);
			}
		}
	} else {
		/* Implicit output: ellipsis dims, then letters seen once, alphabetically. */
		int count[128] = { 0 };

		for (p = buf; *p; p++)
			if ((unsigned char)*p < 128)
				count[(unsigned char)*p]++;
		for (int j = 0; j < n_ell; j++)
			dims[rank++] = ell[j];
		for (int c = 'A'; c <= 'z' && rank < OX_MAX_RANK; c++)
			if (seen[c] && count[c] == 1)
				dims[rank++] = letter[c];
	}
	(void)order;
	return ox_infer_set(ic, node, 0, elem, rank, dims);
}

const struct ox_shape_rule ox_shape_rules_nn[] = {
	{ NULL, "MatMul", matmul }, { NULL, "MatMulInteger", matmul_integer },
	{ NULL, "QLinearMatMul", qlinear_matmul }, { NULL, "Gemm", gemm },
	{ NULL, "Conv", conv }, { NULL, "ConvInteger", conv_integer },
	{ NULL, "QLinearConv", qlinear_conv }, { NULL, "ConvTranspose", conv_transpose },
	{ NULL, "MaxPool", pool }, { NULL, "AveragePool", pool }, { NULL, "LpPool", pool },
	{ NULL, "GlobalAveragePool", global_pool }, { NULL, "GlobalMaxPool", global_pool },
	{ NULL, "GlobalLpPool", global_pool },
	{ NULL, "MaxRoiPool", roi_pool }, { NULL, "RoiAlign", roi_pool },
	{ NULL, "MaxUnpool", max_unpool },
	{ NULL, "DepthToSpace", depth_space }, { NULL, "SpaceToDepth", depth_space },
	{ NULL, "Resize", resize }, { NULL, "Upsample", resize },
	{ NULL, "RNN", rnn }, { NULL, "GRU", rnn }, { NULL, "LSTM", rnn },
	{ NULL, "GridSample", grid_sample }, { NULL, "Einsum", einsum }, { NULL, "Col2Im", col2im },
	{ NULL, NULL, NULL },
};
