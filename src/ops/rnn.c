/* ops/rnn.c: RNN, GRU and LSTM, all directions, layouts, sequence lengths, clip and
 * the named activation functions. Computed in double with plain loops: recurrent
 * steps are small matrix-vector products. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

enum cell { RNN, GRU, LSTM };

struct act {
	char name[24];
	double alpha, beta;
};

static double
apply(const struct act *a, double x)
{
	const char *n = a->name;

	if (!strcmp(n, "Sigmoid"))
		return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
	if (!strcmp(n, "Tanh"))
		return tanh(x);
	if (!strcmp(n, "Relu"))
		return x > 0 ? x : 0;
	if (!strcmp(n, "LeakyRelu"))
		return x >= 0 ? x : a->alpha * x;
	if (!strcmp(n, "ThresholdedRelu"))
		return x > a->alpha ? x : 0;
	if (!strcmp(n, "HardSigmoid"))
		return fmax(0, fmin(1, a->alpha * x + a->beta));
	if (!strcmp(n, "Elu"))
		return x >= 0 ? x : a->alpha * (exp(x) - 1);
	if (!strcmp(n, "Softsign"))
		return x / (1 + fabs(x));
	if (!strcmp(n, "Softplus"))
		return log1p(exp(x));
	if (!strcmp(n, "Affine"))
		return a->alpha * x + a->beta;
	if (!strcmp(n, "ScaledTanh"))
		return a->alpha * tanh(a->beta * x);
	return NAN;
}

static bool
known(const char *n)
{
	static const char *names[] = { "Sigmoid", "Tanh", "Relu", "LeakyRelu", "ThresholdedRelu", "HardSigmoid",
				       "Elu", "Softsign", "Softplus", "Affine", "ScaledTanh" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(n, names[i]))
			return true;
	return false;
}

static double
dflt_alpha(const char *n)
{
	return !strcmp(n, "LeakyRelu") ? 0.01 : !strcmp(n, "HardSigmoid") ? 0.2 : 1.0;
}

static double
dflt_beta(const char *n)
{
	return !strcmp(n, "HardSigmoid") ? 0.5 : !strcmp(n, "ScaledTanh") ? 1.0 : 0.0;
}

static int
recurrent(struct ox_kctx *k, enum cell cell)
{
	const struct ox_tensor *X = ox_kin(k, 0), *W = ox_kin(k, 1), *R = ox_kin(k, 2), *B = ox_kin(k, 3);
	const struct ox_tensor *SL = ox_kin(k, 4), *H0 = ox_kin(k, 5), *C0 = cell == LSTM ? ox_kin(k, 6) : NULL;
	const struct ox_tensor *P = cell == LSTM ? ox_kin(k, 7) : NULL;
	int G = cell == RNN ? 1 : cell == GRU ? 3 : 4, nact = cell == RNN ? 1 : cell == GRU ? 2 : 3;
	int64_t hs = ox_kattr_i(k, "hidden_size", 0), layout = ox_kattr_i(k, "layout", 0);
	int64_t seq, batch, isz, dirs, ydims[4], hdims[3];
	bool lbr = ox_kattr_i(k, "linear_before_reset", 0), coupled = ox_kattr_i(k, "input_forget", 0);
	double clip = ox_kattr_f(k, "clip", 0);
	bool has_clip = ox_node_attr(k->node, "clip") != NULL;
	char buf[24];
	const char *dir = ox_kattr_s(k, "direction", "forward", buf, sizeof buf);
	struct act acts[6];
	const struct ox_attr *an = ox_node_attr(k->node, "activations");
	const float *al, *be;
	int64_t nal = ox_kattr_floats(k, "activation_alpha", &al), nbe = ox_kattr_floats(k, "activation_beta", &be);
	struct ox_tensor *Y = NULL, *Yh = NULL, *Yc = NULL;
	double *h, *c, *gates, *hn;
	int r = 0;

	for (int i = 0; i < 3; i++)
		if (!ox_kneed(k, i))
			return OX_EINVAL;
	if (X->dtype == OX_FLOAT16 || X->dtype == OX_BFLOAT16)
		return ox_khalf(k, cell == RNN ? ox_op_rnn : cell == GRU ? ox_op_gru : ox_op_lstm);
	if (!ox_dtype_is_float(X->dtype))
		return ox_kdtype(k, X->dtype);
	dirs = !strcmp(dir, "bidirectional") ? 2 : 1;
	if (strcmp(dir, "forward") && strcmp(dir, "reverse") && dirs == 1)
		return ox_kerr(k, OX_EINVAL, "direction '%s'", dir);
	if (X->ndim != 3 || W->ndim != 3 || R->ndim != 3)
		return ox_kerr(k, OX_EINVAL, "X, W and R must be 3-D");
	seq = layout ? X->dims[1] : X->dims[0];
	batch = layout ? X->dims[0] : X->dims[1];
	isz = X->dims[2];
	if (hs <= 0)
		hs = R->dims[2];
	if (W->dims[0] != dirs || W->dims[1] != G * hs || W->dims[2] != isz || R->dims[0] != dirs ||
	    R->dims[1] != G * hs || R->dims[2] != hs || (B && B->nelem != dirs * 2 * G * hs) ||
	    (H0 && H0->nelem != dirs * batch * hs) || (C0 && C0->nelem != dirs * batch * hs) ||
	    (P && P->nelem != dirs * 3 * hs) || (SL && SL->nelem != batch))
		return ox_kerr(k, OX_EINVAL, "W, R, B, initial states or sequence_lens have the wrong shape");
	for (int i = 0; i < nact * dirs; i++) {
		const char *dn = cell == RNN ? "Tanh" : (i % nact == 0 ? "Sigmoid" : "Tanh");
		size_t n = 0;

		if (an && (size_t)i < an->n_strings) {
			n = an->strings[i].len < sizeof acts[i].name - 1 ? an->strings[i].len : sizeof acts[i].name - 1;
			memcpy(acts[i].name, an->strings[i].data, n);
			acts[i].name[n] = 0;
		} else if (an && an->n_strings == (size_t)nact && i >= nact) {
			acts[i] = acts[i - nact];
			continue;
		} else {
			strcpy(acts[i].name, dn);
		}
		if (!known(acts[i].name))
			return ox_kerr(k, OX_EUNSUPPORTED, "activation '%s'", acts[i].name);
		acts[i].alpha = nal > i ? al[i] : dflt_alpha(acts[i].name);
		acts[i].beta = nbe > i ? be[i] : dflt_beta(acts[i].name);
	}
	if (layout) {
		ydims[0] = batch, ydims[1] = seq, ydims[2] = dirs, ydims[3] = hs;
		hdims[0] = batch, hdims[1] = dirs, hdims[2] = hs;
	} else {
		ydims[0] = seq, ydims[1] = dirs, ydims[2] = batch, ydims[3] = hs;
		hdims[0] = dirs, hdims[1] = batch, hdims[2] = hs;
	}
	if ((k->n_out > 0 && k->node->out[0] && !(Y = ox_kout(k, 0, X->dtype, 4, ydims))) ||
	    (k->n_out > 1 && k->node->out[1] && !(Yh = ox_kout(k, 1, X->dtype, 3, hdims))) ||
	    (cell == LSTM && k->n_out > 2 && k->node->out[2] && !(Yc = ox_kout(k, 2, X->dtype, 3, hdims))))
		return OX_ENOMEM;
	h = calloc((size_t)(batch * hs) + 1, sizeof *h);
	c = calloc((size_t)(batch * hs) + 1, sizeof *c);
	hn = calloc((size_t)hs + 1, sizeof *hn);
	gates = calloc((size_t)(G * hs * 2) + 1, sizeof *gates);
	if (!h || !c || !gates || !hn) {
		r = ox_kerr(k, OX_ENOMEM, "out of memory");
		goto out;
	}
	for (int64_t d = 0; d < dirs; d++) {
		bool rev = !strcmp(dir, "reverse") || d == 1;
		const struct act *f = &acts[d * nact], *g = &acts[d * nact + (nact > 1)], *ha = &acts[d * nact + (nact > 2 ? 2 : 0)];
		int64_t wo = d * G * hs * isz, ro = d * G * hs * hs, bo = d * 2 * G * hs, po = d * 3 * hs;

		for (int64_t i = 0; i < batch * hs; i++) {
			h[i] = H0 ? ox_get_f64(H0, d * batch * hs + i) : 0;
			c[i] = C0 ? ox_get_f64(C0, d * batch * hs + i) : 0;
		}
		for (int64_t b = 0; b < batch; b++) {
			int64_t len = SL ? ox_get_i64(SL, b) : seq;

			if (len > seq || len < 0)
				len = seq;
			for (int64_t step = 0; step < len; step++) {
				int64_t t = rev ? len - 1 - step : step;
				double *hb = h + b * hs, *cb = c + b * hs;

				/* gates[j] = x W^T + Wb, gates[G*hs + j] = h R^T + Rb */
				for (int64_t j = 0; j < G * hs; j++) {
					double sx = B ? ox_get_f64(B, bo + j) : 0, sh = B ? ox_get_f64(B, bo + G * hs + j) : 0;

					for (int64_t q = 0; q < isz; q++)
						sx += ox_get_f64(X, layout ? (b * seq + t) * isz + q : (t * batch + b) * isz + q) *
						      ox_get_f64(W, wo + j * isz + q);
					for (int64_t q = 0; q < hs; q++)
						sh += hb[q] * ox_get_f64(R, ro + j * hs + q);
					gates[j] = sx;
					gates[G * hs + j] = sh;
				}
#define CLIP(v) (has_clip ? fmax(-clip, fmin(clip, (v))) : (v))
				for (int64_t j = 0; j < hs; j++) {
					if (cell == RNN) {
						hn[j] = apply(f, CLIP(gates[j] + gates[hs + j]));
					} else if (cell == GRU) {
						double z = apply(f, CLIP(gates[j] + gates[3 * hs + j]));
						double rr = apply(f, CLIP(gates[hs + j] + gates[4 * hs + j])), hh;

						if (lbr) {
							hh = gates[2 * hs + j] + rr * gates[5 * hs + j];
						} else {
							/* (r . h) R_h^T + Rb_h needs r for every element first */
							double s = B ? ox_get_f64(B, bo + 5 * hs + j) : 0;

							for (int64_t q = 0; q < hs; q++) {
								double rq = apply(f, CLIP(gates[hs + q] + gates[4 * hs + q]));

								s += rq * hb[q] * ox_get_f64(R, ro + (2 * hs + j) * hs + q);
							}
							hh = gates[2 * hs + j] + s;
						}
						hh = apply(g, CLIP(hh));
						hn[j] = (1 - z) * hh + z * hb[j];
					} else {
						double pi = P ? ox_get_f64(P, po + j) : 0, pov = P ? ox_get_f64(P, po + hs + j) : 0;
						double pf = P ? ox_get_f64(P, po + 2 * hs + j) : 0;
						double ig = apply(f, CLIP(gates[j] + gates[4 * hs + j] + pi * cb[j]));
						double fg = coupled ? 1 - ig : apply(f, CLIP(gates[2 * hs + j] + gates[6 * hs + j] + pf * cb[j]));
						double cg = apply(g, CLIP(gates[3 * hs + j] + gates[7 * hs + j]));
						double cn = fg * cb[j] + ig * cg;
						double og = apply(f, CLIP(gates[hs + j] + gates[5 * hs + j] + pov * cn));

						hn[j] = og * apply(ha, cn);
						cb[j] = cn;
					}
				}
#undef CLIP
				memcpy(hb, hn, (size_t)hs * sizeof *hb);
				if (Y)
					for (int64_t j = 0; j < hs; j++)
						ox_set_f64(Y, layout ? ((b * seq + t) * dirs + d) * hs + j
								     : ((t * dirs + d) * batch + b) * hs + j, hb[j]);
			}
			for (int64_t j = 0; j < hs; j++) {
				int64_t p = layout ? (b * dirs + d) * hs + j : (d * batch + b) * hs + j;

				if (Yh)
					ox_set_f64(Yh, p, h[b * hs + j]);
				if (Yc)
					ox_set_f64(Yc, p, c[b * hs + j]);
			}
		}
	}
out:
	free(h);
	free(c);
	free(hn);
	free(gates);
	return r;
}

int ox_op_rnn(struct ox_kctx *k) { return recurrent(k, RNN); }
int ox_op_gru(struct ox_kctx *k) { return recurrent(k, GRU); }
int ox_op_lstm(struct ox_kctx *k) { return recurrent(k, LSTM); }
