/* ops/loss.c: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
 *
 * Both reduce to one routine: loss[n, d] = -logp[n, target[n, d], d] * weight[target],
 * zero where target == ignore_index; "mean" divides by the sum of the weights used.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

/* logp: [N, C, D...] as doubles; writes output 0 for the reduction. */
static int
nll(struct ox_kctx *k, const double *logp, const struct ox_tensor *shape_src, const struct ox_tensor *target,
    const struct ox_tensor *w, int dtype)
{
	int64_t n = shape_src->dims[0], c = shape_src->dims[1], inner = 1, ignore;
	char buf[16];
	const char *red = ox_kattr_s(k, "reduction", "mean", buf, sizeof buf);
	bool has_ignore = ox_node_attr(k->node, "ignore_index") != NULL;
	struct ox_tensor *o;
	double total = 0, wsum = 0;

	ignore = ox_kattr_i(k, "ignore_index", 0);
	for (int d = 2; d < shape_src->ndim; d++)
		inner *= shape_src->dims[d];
	if (!ox_dtype_is_int(target->dtype) || target->nelem != n * inner)
		return ox_kerr(k, OX_EINVAL, "target must be integers shaped like the input without C");
	if (w && w->nelem != c)
		return ox_kerr(k, OX_EINVAL, "weight must have %lld elements", (long long)c);
	if (!strcmp(red, "none")) {
		if (!(o = ox_kout(k, 0, dtype, target->ndim, target->dims)))
			return OX_ENOMEM;
	} else if (!strcmp(red, "mean") || !strcmp(red, "sum")) {
		if (!(o = ox_kout(k, 0, dtype, 0, NULL)))
			return OX_ENOMEM;
	} else {
		return ox_kerr(k, OX_EINVAL, "reduction '%s'", red);
	}
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < inner; j++) {
			int64_t t = ox_get_i64(target, i * inner + j);
			double l = 0, wt = 0;

			if (!(has_ignore && t == ignore)) {
				if (t < 0 || t >= c)
					return ox_kerr(k, OX_EINVAL, "target %lld is out of range [0, %lld)",
						       (long long)t, (long long)c);
				wt = w ? ox_get_f64(w, t) : 1.0;
				l = -logp[(i * c + t) * inner + j] * wt;
			}
			if (!strcmp(red, "none"))
				ox_set_f64(o, i * inner + j, l);
			total += l;
			wsum += wt;
		}
	if (!strcmp(red, "mean"))
		ox_set_f64(o, 0, wsum == 0 ? (w ? NAN : 0) : total / wsum);
	else if (!strcmp(red, "sum"))
		ox_set_f64(o, 0, total);
	return 0;
}

int
ox_op_nll_loss(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *t = ox_kin(k, 1), *w = ox_kin(k, 2);
	double *lp;
	int r;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_nll_loss);
	if (x->dtype != OX_FLOAT && x->dtype != OX_DOUBLE)
		return ox_kdtype(k, x->dtype);
	if (x->ndim < 2)
		return ox_kerr(k, OX_EINVAL, "input rank must be at least 2");
	if (!(lp = malloc(((size_t)x->nelem + 1) * sizeof *lp)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t i = 0; i < x->nelem; i++)
		lp[i] = ox_get_f64(x, i);
	r = nll(k, lp, x, t, w, x->dtype);
	free(lp);
	return r;
}

int
ox_op_softmax_ce_loss(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *t = ox_kin(k, 1), *w = ox_kin(k, 2);
	int64_t n, c, inner = 1;
	double *lp;
	int r;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_softmax_ce_loss);
	if (x->dtype != OX_FLOAT && x->dtype != OX_DOUBLE)
		return ox_kdtype(k, x->dtype);
	if (x->ndim < 2)
		return ox_kerr(k, OX_EINVAL, "input rank must be at least 2");
	n = x->dims[0];
	c = x->dims[1];
	for (int d = 2; d < x->ndim; d++)
		inner *= x->dims[d];
	if (!(lp = malloc(((size_t)x->nelem + 1) * sizeof *lp)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < inner; j++) {
			double mx = -INFINITY, s = 0;

			for (int64_t q = 0; q < c; q++)
				mx = fmax(mx, ox_get_f64(x, (i * c + q) * inner + j));
			for (int64_t q = 0; q < c; q++)
				s += exp(ox_get_f64(x, (i * c + q) * inner + j) - mx);
			for (int64_t q = 0; q < c; q++)
				lp[(i * c + q) * inner + j] = ox_get_f64(x, (i * c + q) * inner + j) - mx - log(s);
		}
	r = nll(k, lp, x, t, w, x->dtype);
	if (r == 0 && k->n_out > 1 && k->node->out[1]) {
		struct ox_tensor *o = ox_kout(k, 1, x->dtype, x->ndim, x->dims);

		if (!o)
			r = OX_ENOMEM;
		for (int64_t i = 0; o && i < x->nelem; i++)
			ox_set_f64(o, i, lp[i]);
	}
	free(lp);
	return r;
}
