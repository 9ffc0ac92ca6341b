/* ops/training.c: the optimizer ops of ai.onnx.preview.training: Adagrad, Momentum,
 * Adam. Each updates n tensors at once; inputs are R, T, then groups of n. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ops/kernel.h"

enum opt { ADAGRAD, MOMENTUM, ADAM };

static int
optimizer(struct ox_kctx *k, enum opt kind)
{
	int groups = kind == ADAM ? 4 : 3, n;
	const struct ox_tensor *R = ox_kin(k, 0), *T = ox_kin(k, 1);
	double r, t, alpha, beta, eps, norm, post;
	char buf[16];
	bool nesterov = !strcmp(ox_kattr_s(k, "mode", "standard", buf, sizeof buf), "nesterov");

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if ((k->n_in - 2) % groups || k->n_out != (k->n_in - 2) / groups * (groups - 1))
		return ox_kerr(k, OX_EINVAL, "inputs and outputs do not form groups of %d", groups);
	n = (k->n_in - 2) / groups;
	r = ox_get_f64(R, 0);
	t = (double)ox_get_i64(T, 0);
	norm = ox_kattr_f(k, "norm_coefficient", 0);
	post = ox_kattr_f(k, "norm_coefficient_post", 0);
	switch (kind) {
	case ADAGRAD:
		alpha = 0;
		beta = ox_kattr_f(k, "decay_factor", 0);
		eps = ox_kattr_f(k, "epsilon", 0);
		r = r / (1 + t * beta);
		break;
	case MOMENTUM:
		alpha = ox_kattr_f(k, "alpha", 0);
		beta = ox_kattr_f(k, "beta", 0);
		eps = 0;
		break;
	default:
		alpha = ox_kattr_f(k, "alpha", 0.9f);
		beta = ox_kattr_f(k, "beta", 0.999f);
		eps = ox_kattr_f(k, "epsilon", 1e-6f);
		if (t > 0)
			r = r * sqrt(1 - pow(beta, t)) / (1 - pow(alpha, t));
		break;
	}
	for (int i = 0; i < n; i++) {
		const struct ox_tensor *x = ox_kin(k, 2 + i), *g = ox_kin(k, 2 + n + i);
		const struct ox_tensor *v = ox_kin(k, 2 + 2 * n + i), *h = kind == ADAM ? ox_kin(k, 2 + 3 * n + i) : NULL;
		struct ox_tensor *ox, *ov, *oh = NULL;

		if (!x || !g || !v || (kind == ADAM && !h))
			return ox_kerr(k, OX_EINVAL, "input group %d is incomplete", i);
		if (!ox_dtype_is_float(x->dtype))
			return ox_kdtype(k, x->dtype);
		if (g->nelem != x->nelem || v->nelem != x->nelem || (h && h->nelem != x->nelem))
			return ox_kerr(k, OX_EINVAL, "group %d: shapes differ", i);
		if (!(ox = ox_kout(k, i, x->dtype, x->ndim, x->dims)) ||
		    !(ov = ox_kout(k, n + i, v->dtype, v->ndim, v->dims)) ||
		    (h && !(oh = ox_kout(k, 2 * n + i, h->dtype, h->ndim, h->dims))))
			return OX_ENOMEM;
		for (int64_t j = 0; j < x->nelem; j++) {
			double xv = ox_get_f64(x, j), gr = norm * xv + ox_get_f64(g, j), vv = ox_get_f64(v, j), nx, nv;

			switch (kind) {
			case ADAGRAD:
				nv = vv + gr * gr;
				nx = xv - r * gr / (sqrt(nv) + eps);
				break;
			case MOMENTUM:
				nv = alpha * vv + (t > 0 ? beta : 1) * gr;
				nx = nesterov ? xv - r * (gr + alpha * nv) : xv - r * nv;
				break;
			default: {
				double nh = beta * ox_get_f64(h, j) + (1 - beta) * gr * gr;

				nv = alpha * vv + (1 - alpha) * gr;
				nx = (1 - post) * (xv - r * nv / (sqrt(nh) + eps));
				ox_set_f64(oh, j, nh);
				break;
			}
			}
			ox_set_f64(ox, j, nx);
			ox_set_f64(ov, j, nv);
		}
	}
	return 0;
}

int ox_op_adagrad(struct ox_kctx *k) { return optimizer(k, ADAGRAD); }
int ox_op_momentum(struct ox_kctx *k) { return optimizer(k, MOMENTUM); }
int ox_op_adam(struct ox_kctx *k) { return optimizer(k, ADAM); }
