/* ops/control.c: If, Loop, Scan and the sequence ops (SequenceEmpty,
 * SequenceConstruct, SequenceInsert, SequenceAt, SequenceErase, SequenceLength,
 * SplitToSequence, ConcatFromSequence).
 *
 * Bodies run through ox_kexec_subgraph, which reads outer-scope values from the
 * running frame. Sequences are OX_XSEQ heap tensors (exec.h); every sequence op
 * builds a new sequence, since values are never changed in place.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

static struct ox_graph *
graph_attr(struct ox_kctx *k, const char *name)
{
	const struct ox_attr *a = ox_node_attr(k->node, name);

	if (!a || !a->g) {
		ox_kerr(k, OX_EINVAL, "attribute '%s' must hold a graph", name);
		return NULL;
	}
	return a->g;
}

static size_t
esize(int dtype)
{
	return (size_t)ox_dtype_bits(dtype) / 8;
}

static bool
plain(struct ox_kctx *k, const struct ox_tensor *t)
{
	if (t->dtype == OX_STRING || (ox_dtype_bits(t->dtype) && ox_dtype_bits(t->dtype) % 8 == 0))
		return true;
	ox_kdtype(k, t->dtype);
	return false;
}

/* Element-range copy that also handles strings. */
static int
copy_range(struct ox_kctx *k, struct ox_tensor *dst, int64_t di, const struct ox_tensor *src, int64_t si, int64_t n)
{
	if (dst->dtype == OX_STRING) {
		for (int64_t i = 0; i < n; i++)
			if (ox_xtensor_set_string(dst, di + i, src->strings[si + i].data, src->strings[si + i].len) < 0)
				return ox_kerr(k, OX_ENOMEM, "out of memory");
		return 0;
	}
	if (n > 0)
		memcpy((char *)dst->data + (size_t)di * esize(dst->dtype),
		       (const char *)src->data + (size_t)si * esize(src->dtype), (size_t)n * esize(dst->dtype));
	return 0;
}

/* Slice i of t along axis, with that axis removed. */
static struct ox_tensor *
take_slice(struct ox_kctx *k, const struct ox_tensor *t, int axis, int64_t i)
{
	int64_t dims[OX_MAX_RANK] = { 0 }, outer = 1, inner = 1;
	struct ox_tensor *o;
	int nd = 0;

	for (int d = 0; d < t->ndim; d++) {
		if (d != axis)
			dims[nd++] = t->dims[d];
		if (d < axis)
			outer *= t->dims[d];
		else if (d > axis)
			inner *= t->dims[d];
	}
	if (!(o = ox_xtensor_new(t->dtype, nd, dims))) {
		ox_kerr(k, OX_ENOMEM, "out of memory");
		return NULL;
	}
	for (int64_t r = 0; r < outer; r++)
		if (copy_range(k, o, r * inner, t, (r * t->dims[axis] + i) * inner, inner) < 0) {
			ox_xtensor_free(o);
			return NULL;
		}
	return o;
}

/* Stack n equally shaped tensors along a new axis (reversed when rev) into out i. */
static int
stack(struct ox_kctx *k, int out, struct ox_tensor *const *ts, int64_t n, int axis, bool rev, int dtype)
{
	int64_t dims[OX_MAX_RANK], outer = 1, inner = 1;
	struct ox_tensor *o;
	const struct ox_tensor *t0 = n ? ts[0] : NULL;
	int nd;

	if (!t0) {
		int64_t zero = 0;

		return ox_kout(k, out, dtype, 1, &zero) ? 0 : OX_ENOMEM;
	}
	if (!plain(k, t0))
		return OX_EUNSUPPORTED;
	nd = t0->ndim + 1;
	if (nd > OX_MAX_RANK || axis < 0 || axis >= nd)
		return ox_kerr(k, OX_EINVAL, "bad stacking axis");
	for (int d = 0, j = 0; d < nd; d++)
		dims[d] = d == axis ? n : t0->dims[j++];
	for (int d = 0; d < axis; d++)
		outer *= dims[d];
	for (int d = axis + 1; d < nd; d++)
		inner *= dims[d];
	for (int64_t i = 0; i < n; i++)
		if (ts[i]->dtype != t0->dtype || ts[i]->nelem != t0->nelem)
			return ox_kerr(k, OX_EINVAL, "stacked tensors differ in shape or dtype");
	if (!(o = ox_kout(k, out, t0->dtype, nd, dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < n; i++) {
		const struct ox_tensor *t = ts[rev ? n - 1 - i : i];

		for (int64_t r = 0; r < outer; r++)
			if (copy_range(k, o, (r * n + i) * inner, t, r * inner, inner) < 0)
				return OX_ENOMEM;
	}
	return 0;
}

int
ox_op_if(struct ox_kctx *k)
{
	const struct ox_tensor *c = ox_kin(k, 0);
	struct ox_graph *g;
	int r;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (c->nelem != 1 || c->dtype == OX_STRING || c->dtype == OX_XSEQ)
		return ox_kerr(k, OX_EINVAL, "cond must hold one element");
	if (!(g = graph_attr(k, ox_get_f64(c, 0) != 0 ? "then_branch" : "else_branch")))
		return OX_EINVAL;
	if (g->n_outputs != (size_t)k->n_out)
		return ox_kerr(k, OX_EINVAL, "the branch has %zu outputs, the node %d", g->n_outputs, k->n_out);
	r = ox_kexec_subgraph(k, g, NULL, 0, k->out);
	return r;
}

int
ox_op_loop(struct ox_kctx *k)
{
	const struct ox_tensor *M = ox_kin(k, 0), *C = ox_kin(k, 1);
	struct ox_graph *body = graph_attr(k, "body");
	int nv = k->n_in - 2, nscan, r = 0;
	int64_t maxi = INT64_MAX, iters = 0, cap = 0;
	bool cond = true;
	const struct ox_tensor **bin = NULL;
	struct ox_tensor **bout = NULL, **state = NULL, ***scans = NULL, *itn = NULL, *cnd = NULL;

	if (!body)
		return OX_EINVAL;
	if (nv < 0 || body->n_inputs != (size_t)nv + 2 || body->n_outputs < (size_t)nv + 1)
		return ox_kerr(k, OX_EINVAL, "the body's inputs and outputs do not match the node");
	nscan = (int)body->n_outputs - 1 - nv;
	if (k->n_out != nv + nscan)
		return ox_kerr(k, OX_EINVAL, "the node has %d outputs, the body makes %d", k->n_out, nv + nscan);
	if (M && M->nelem == 1)
		maxi = ox_get_i64(M, 0);
	if (C && C->nelem == 1)
		cond = ox_get_f64(C, 0) != 0;
	bin = calloc((size_t)nv + 3, sizeof *bin);
	bout = calloc(body->n_outputs + 1, sizeof *bout);
	state = calloc((size_t)nv + 1, sizeof *state);
	scans = calloc((size_t)nscan + 1, sizeof *scans);
	itn = ox_xtensor_new(OX_INT64, 0, NULL);
	cnd = ox_xtensor_new(OX_BOOL, 0, NULL);
	if (!bin || !bout || !state || !scans || !itn || !cnd) {
		r = ox_kerr(k, OX_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < nv; i++) {
		if (!ox_kin(k, 2 + i) || !(state[i] = ox_xtensor_copy(ox_kin(k, 2 + i)))) {
			r = ox_kerr(k, OX_EINVAL, "loop-carried input %d is missing or too large", i);
			goto out;
		}
	}
	while (iters < maxi && cond) {
		((int64_t *)itn->data)[0] = iters;
		((uint8_t *)cnd->data)[0] = cond;
		bin[0] = itn;
		bin[1] = cnd;
		for (int i = 0; i < nv; i++)
			bin[2 + i] = state[i];
		if ((r = ox_kexec_subgraph(k, body, bin, nv + 2, bout)) < 0)
			goto out;
		cond = bout[0]->nelem == 1 && bout[0]->dtype != OX_XSEQ ? ox_get_f64(bout[0], 0) != 0 : false;
		ox_xtensor_free(bout[0]);
		for (int i = 0; i < nv; i++) {
			ox_xtensor_free(state[i]);
			state[i] = bout[1 + i];
		}
		if (iters == cap) {
			cap = cap ? 2 * cap : 16;
			for (int j = 0; j < nscan; j++) {
				struct ox_tensor **ns = realloc(scans[j], (size_t)cap * sizeof *ns);

				if (!ns) {
					for (int q = j; q < nscan; q++)
						ox_xtensor_free(bout[1 + nv + q]);
					r = ox_kerr(k, OX_ENOMEM, "out of memory");
					iters++;
					goto out_partial;
				}
				scans[j] = ns;
			}
		}
		for (int j = 0; j < nscan; j++)
			scans[j][iters] = bout[1 + nv + j];
		iters++;
		if (iters > 10000000) {
			r = ox_kerr(k, OX_ELIMIT, "more than 10^7 iterations");
			goto out;
		}
	}
	for (int i = 0; i < nv; i++) {
		ox_xtensor_free(k->out[i]);
		k->out[i] = state[i];
		state[i] = NULL;
	}
	for (int j = 0; j < nscan && r == 0; j++)
		r = stack(k, nv + j, scans[j], iters, 0, false,
			  body->outputs[1 + nv + j]->type && body->outputs[1 + nv + j]->type->has_elem ?
			  body->outputs[1 + nv + j]->type->elem : OX_FLOAT);
out:
	if (false) {
out_partial:
		iters--;
	}
	for (int j = 0; scans && j < nscan; j++) {
		for (int64_t i = 0; i < iters; i++)
			ox_xtensor_free(scans[j][i]);
		free(scans[j]);
	}
	for (int i = 0; state && i < nv; i++)
		ox_xtensor_free(state[i]);
	free(scans);
	free(state);
	free(bin);
	free(bout);
	ox_xtensor_free(itn);
	ox_xtensor_free(cnd);
	return r;
}

/* One Scan over states (n) and scan inputs (m), opset 9 semantics, outputs into
 * k->out starting at out0 (for opset 8, out0 points into per-batch results). */
static int
scan9(struct ox_kctx *k, struct ox_graph *body, const struct ox_tensor *const *st, int n,
      const struct ox_tensor *const *sc, int m, struct ox_tensor **res)
{
	const int64_t *in_axes, *in_dirs, *out_axes, *out_dirs;
	int64_t nia = ox_kattr_ints(k, "scan_input_axes", &in_axes);
	/* Scan-8 calls the scan inputs' directions "directions". */
	int64_t nid = ox_kattr_ints(k, k->opset < 9 ? "directions" : "scan_input_directions", &in_dirs);
	int64_t noa = ox_kattr_ints(k, "scan_output_axes", &out_axes), nod = ox_kattr_ints(k, "scan_output_directions", &out_dirs);
	int nout = (int)body->n_outputs - n, r = 0;
	int64_t len = -1;
	int axes[64];
	const struct ox_tensor **bin;
	struct ox_tensor **bout, **state, ***outs;
	struct ox_kctx sub = *k;

	if (m > 64 || nout < 0 || body->n_inputs != (size_t)(n + m))
		return ox_kerr(k, OX_EINVAL, "the body does not match the node");
	for (int j = 0; j < m; j++) {
		if (!ox_kaxis(k, nia > j ? in_axes[j] : 0, sc[j]->ndim, &axes[j]))
			return OX_EINVAL;
		if (len >= 0 && sc[j]->dims[axes[j]] != len)
			return ox_kerr(k, OX_EINVAL, "scan inputs differ in length");
		len = sc[j]->dims[axes[j]];
	}
	if (len < 0)
		len = 0;
	bin = calloc((size_t)(n + m) + 1, sizeof *bin);
	bout = calloc(body->n_outputs + 1, sizeof *bout);
	state = calloc((size_t)n + 1, sizeof *state);
	outs = calloc((size_t)nout + 1, sizeof *outs);
	if (!bin || !bout || !state || !outs) {
		r = ox_kerr(k, OX_ENOMEM, "out of memory");
		goto out;
	}
	for (int j = 0; j < nout; j++)
		if (!(outs[j] = calloc((size_t)len + 1, sizeof **outs))) {
			r = ox_kerr(k, OX_ENOMEM, "out of memory");
			goto out;
		}
	for (int i = 0; i < n; i++)
		if (!(state[i] = ox_xtensor_copy(st[i]))) {
			r = ox_kerr(k, OX_ENOMEM, "out of memory");
			goto out;
		}
	for (int64_t t = 0; t < len; t++) {
		struct ox_tensor *slices[64] = { NULL };

		for (int i = 0; i < n; i++)
			bin[i] = state[i];
		for (int j = 0; j < m; j++) {
			int64_t p = nid > j && in_dirs[j] ? len - 1 - t : t;

			if (!(slices[j] = take_slice(k, sc[j], axes[j], p))) {
				for (int q = 0; q < j; q++)
					ox_xtensor_free(slices[q]);
				r = OX_ENOMEM;
				goto out;
			}
			bin[n + j] = slices[j];
		}
		r = ox_kexec_subgraph(k, body, bin, n + m, bout);
		for (int j = 0; j < m; j++)
			ox_xtensor_free(slices[j]);
		if (r < 0)
			goto out;
		for (int i = 0; i < n; i++) {
			ox_xtensor_free(state[i]);
			state[i] = bout[i];
		}
		for (int j = 0; j < nout; j++)
			outs[j][t] = bout[n + j];
	}
	for (int i = 0; i < n; i++) {
		res[i] = state[i];
		state[i] = NULL;
	}
	{
		/* stack() writes k->out; point a private context at res instead. */
		sub.out = res;
		sub.n_out = n + nout;
		for (int j = 0; j < nout && r == 0; j++) {
			int64_t ax = noa > j ? out_axes[j] : 0, rank = len ? outs[j][0]->ndim + 1 : 1;

			if (ax < 0)
				ax += rank;
			r = stack(&sub, n + j, outs[j], len, (int)ax, nod > j && out_dirs[j], OX_FLOAT);
		}
	}
out:
	for (int j = 0; outs && j < nout; j++) {
		for (int64_t t = 0; outs[j] && t < len; t++)
			ox_xtensor_free(outs[j][t]);
		free(outs[j]);
	}
	for (int i = 0; state && i < n; i++)
		ox_xtensor_free(state[i]);
	free(outs);
	free(state);
	free(bin);
	free(bout);
	return r;
}

int
ox_op_scan(struct ox_kctx *k)
{
	struct ox_graph *body = graph_attr(k, "body");
	int64_t m = ox_kattr_i(k, "num_scan_inputs", 0);
	int first = k->opset < 9 ? 1 : 0, n;

	if (!body)
		return OX_EINVAL;
	n = k->n_in - first - (int)m;
	if (m <= 0 || n < 0)
		return ox_kerr(k, OX_EINVAL, "num_scan_inputs does not fit the inputs");
	for (int i = first; i < k->n_in; i++)
		if (!ox_kneed(k, i))
			return OX_EINVAL;
	if (first == 0)
		return scan9(k, body, k->in, n, k->in + n, (int)m, k->out);
	{
		/* Opset 8: every input has a leading batch dim; run each batch item. */
		const struct ox_tensor *x0 = k->in[first];
		int64_t batch = x0->ndim ? x0->dims[0] : 0;
		int nout = k->n_out, r = 0;
		struct ox_tensor ***per = calloc((size_t)nout + 1, sizeof *per);

		if (ox_kin(k, 0))
			return ox_kerr(k, OX_EUNSUPPORTED, "sequence_lens");
		if (!per)
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		for (int j = 0; j < nout; j++)
			if (!(per[j] = calloc((size_t)batch + 1, sizeof **per)))
				r = ox_kerr(k, OX_ENOMEM, "out of memory");
		for (int64_t b = 0; b < batch && r == 0; b++) {
			const struct ox_tensor *ins[128];
			struct ox_tensor *sl[128] = { NULL }, *res[128] = { NULL };

			if (k->n_in - first > 128 || nout > 128) {
				r = ox_kerr(k, OX_ELIMIT, "too many inputs");
				break;
			}
			for (int i = first; i < k->n_in && r == 0; i++) {
				if (!(sl[i - first] = take_slice(k, k->in[i], 0, b)))
					r = OX_ENOMEM;
				ins[i - first] = sl[i - first];
			}
			if (r == 0)
				r = scan9(k, body, ins, n, ins + n, (int)m, res);
			for (int i = 0; i < k->n_in - first; i++)
				ox_xtensor_free(sl[i]);
			for (int j = 0; j < nout; j++)
				per[j][b] = res[j];
		}
		for (int j = 0; j < nout && r == 0; j++)
			r = stack(k, j, per[j], batch, 0, false, OX_FLOAT);
		for (int j = 0; j < nout; j++) {
			for (int64_t b = 0; per[j] && b < batch; b++)
				ox_xtensor_free(per[j][b]);
			free(per[j]);
		}
		free(per);
		return r;
	}
}

/* --- sequences --- */

static int
put_seq(struct ox_kctx *k, struct ox_tensor *seq)
{
	if (!seq)
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	ox_xtensor_free(k->out[0]);
	k->out[0] = seq;
	return 0;
}

/* Append a copy of t to seq (which has room). */
static int
seq_push(struct ox_kctx *k, struct ox_tensor *seq, const struct ox_tensor *t)
{
	struct ox_tensor *c = ox_xtensor_copy(t);

	if (!c)
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	((struct ox_tensor **)seq->data)[seq->nelem++] = c;
	return 0;
}

static bool
is_seq(struct ox_kctx *k, const struct ox_tensor *t)
{
	if (t && t->dtype == OX_XSEQ)
		return true;
	ox_kerr(k, OX_EINVAL, "input 0 must be a sequence");
	return false;
}

int
ox_op_sequence_empty(struct ox_kctx *k)
{
	return put_seq(k, ox_xseq_new((int)ox_kattr_i(k, "dtype", OX_FLOAT), 0));
}

int
ox_op_sequence_construct(struct ox_kctx *k)
{
	struct ox_tensor *s;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!(s = ox_xseq_new(ox_kin(k, 0)->dtype, k->n_in)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int i = 0; i < k->n_in; i++) {
		if (!ox_kin(k, i) || ox_kin(k, i)->dtype != ox_kin(k, 0)->dtype || seq_push(k, s, ox_kin(k, i)) < 0) {
			ox_xtensor_free(s);
			return ox_kerr(k, OX_EINVAL, "input %d is missing or has another dtype", i);
		}
	}
	return put_seq(k, s);
}

/* A position argument: default def, negative counts from the end; in [0, hi]. */
static bool
position(struct ox_kctx *k, const struct ox_tensor *p, int64_t n, int64_t def, int64_t hi, int64_t *out)
{
	int64_t v = p ? ox_get_i64(p, 0) : def;

	if (p && (p->nelem != 1 || !ox_dtype_is_int(p->dtype))) {
		ox_kerr(k, OX_EINVAL, "position must be one integer");
		return false;
	}
	if (v < 0)
		v += n;
	if (v < 0 || v > hi) {
		ox_kerr(k, OX_EINVAL, "position %lld is out of range", (long long)(p ? ox_get_i64(p, 0) : def));
		return false;
	}
	*out = v;
	return true;
}

int
ox_op_sequence_insert(struct ox_kctx *k)
{
	const struct ox_tensor *s = ox_kin(k, 0), *t = ox_kin(k, 1);
	struct ox_tensor *o;
	int64_t pos;

	if (!is_seq(k, s) || !ox_kneed(k, 1) || !position(k, ox_kin(k, 2), s->nelem, s->nelem, s->nelem, &pos))
		return OX_EINVAL;
	if (!(o = ox_xseq_new(s->location, s->nelem + 1)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t i = 0; i <= s->nelem; i++) {
		int r = 0;

		if (i == pos)
			r = seq_push(k, o, t);
		if (r == 0 && i < s->nelem)
			r = seq_push(k, o, ox_xseq_at(s, i));
		if (r < 0) {
			ox_xtensor_free(o);
			return r;
		}
	}
	return put_seq(k, o);
}

int
ox_op_sequence_erase(struct ox_kctx *k)
{
	const struct ox_tensor *s = ox_kin(k, 0);
	struct ox_tensor *o;
	int64_t pos;

	if (!is_seq(k, s) || !position(k, ox_kin(k, 1), s->nelem, s->nelem - 1, s->nelem - 1, &pos))
		return OX_EINVAL;
	if (!(o = ox_xseq_new(s->location, s->nelem)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t i = 0; i < s->nelem; i++)
		if (i != pos && seq_push(k, o, ox_xseq_at(s, i)) < 0) {
			ox_xtensor_free(o);
			return OX_ENOMEM;
		}
	return put_seq(k, o);
}

int
ox_op_sequence_at(struct ox_kctx *k)
{
	const struct ox_tensor *s = ox_kin(k, 0);
	struct ox_tensor *o;
	int64_t pos;

	if (!is_seq(k, s) || !ox_kneed(k, 1) || !position(k, ox_kin(k, 1), s->nelem, 0, s->nelem - 1, &pos))
		return OX_EINVAL;
	if (!(o = ox_xtensor_copy(ox_xseq_at(s, pos))))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	return put_seq(k, o);
}

int
ox_op_sequence_length(struct ox_kctx *k)
{
	const struct ox_tensor *s = ox_kin(k, 0);
	struct ox_tensor *o;

	if (!is_seq(k, s))
		return OX_EINVAL;
	if (!(o = ox_kout(k, 0, OX_INT64, 0, NULL)))
		return OX_ENOMEM;
	((int64_t *)o->data)[0] = s->nelem;
	return 0;
}

int
ox_op_split_to_sequence(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *sp = ox_kin(k, 1);
	bool keep = ox_kattr_i(k, "keepdims", 1);
	int64_t *sizes = NULL, n, outer = 1, inner = 1, pos = 0;
	struct ox_tensor *s;
	int axis;

	if (!ox_kneed(k, 0) || !plain(k, x))
		return OX_EINVAL;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 0), x->ndim, &axis))
		return OX_EINVAL;
	if (sp && sp->nelem > 1) {
		if ((n = ox_kints(k, sp, "split", &sizes)) < 0)
			return (int)n;
	} else {
		int64_t each = sp ? ox_get_i64(sp, 0) : 1, dim = x->dims[axis];

		if (each <= 0)
			return ox_kerr(k, OX_EINVAL, "split must be positive");
		n = (dim + each - 1) / each;
		if (!(sizes = malloc(((size_t)n + 1) * sizeof *sizes)))
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		for (int64_t i = 0; i < n; i++)
			sizes[i] = dim - i * each < each ? dim - i * each : each;
	}
	for (int d = 0; d < axis; d++)
		outer *= x->dims[d];
	for (int d = axis + 1; d < x->ndim; d++)
		inner *= x->dims[d];
	if (!(s = ox_xseq_new(x->dtype, n))) {
		free(sizes);
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	}
	for (int64_t i = 0; i < n; i++) {
		int64_t dims[OX_MAX_RANK];
		int nd = 0;
		struct ox_tensor *t;

		for (int d = 0; d < x->ndim; d++) {
			if (d == axis && !sp && !keep)
				continue;
			dims[nd++] = d == axis ? sizes[i] : x->dims[d];
		}
		if (sizes[i] < 0 || pos + sizes[i] > x->dims[axis] || !(t = ox_xtensor_new(x->dtype, nd, dims))) {
			free(sizes);
			ox_xtensor_free(s);
			return ox_kerr(k, OX_EINVAL, "split sizes do not fit");
		}
		((struct ox_tensor **)s->data)[s->nelem++] = t;
		for (int64_t r = 0; r < outer; r++)
			if (copy_range(k, t, r * sizes[i] * inner, x, (r * x->dims[axis] + pos) * inner, sizes[i] * inner) < 0) {
				free(sizes);
				ox_xtensor_free(s);
				return OX_ENOMEM;
			}
		pos += sizes[i];
	}
	free(sizes);
	return put_seq(k, s);
}

int
ox_op_concat_from_sequence(struct ox_kctx *k)
{
	const struct ox_tensor *s = ox_kin(k, 0), *t0;
	bool newaxis = ox_kattr_i(k, "new_axis", 0);
	int64_t dims[OX_MAX_RANK], outer = 1, inner = 1, pos = 0;
	struct ox_tensor *o;
	int axis, nd;

	if (!is_seq(k, s))
		return OX_EINVAL;
	if (s->nelem == 0)
		return ox_kerr(k, OX_EINVAL, "the sequence is empty");
	t0 = ox_xseq_at(s, 0);
	if (!plain(k, t0))
		return OX_EUNSUPPORTED;
	nd = t0->ndim + newaxis;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 0), nd, &axis))
		return OX_EINVAL;
	if (newaxis)
		return stack(k, 0, (struct ox_tensor *const *)s->data, s->nelem, axis, false, t0->dtype);
	memcpy(dims, t0->dims, (size_t)t0->ndim * sizeof *dims);
	dims[axis] = 0;
	for (int64_t i = 0; i < s->nelem; i++) {
		const struct ox_tensor *t = ox_xseq_at(s, i);

		if (t->ndim != t0->ndim || t->dtype != t0->dtype)
			return ox_kerr(k, OX_EINVAL, "sequence elements differ in rank or dtype");
		for (int d = 0; d < t->ndim; d++)
			if (d != axis && t->dims[d] != t0->dims[d])
				return ox_kerr(k, OX_EINVAL, "sequence elements differ in shape");
		dims[axis] += t->dims[axis];
	}
	for (int d = 0; d < axis; d++)
		outer *= dims[d];
	for (int d = axis + 1; d < nd; d++)
		inner *= dims[d];
	if (!(o = ox_kout(k, 0, t0->dtype, nd, dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < s->nelem; i++) {
		const struct ox_tensor *t = ox_xseq_at(s, i);
		int64_t w = t->dims[axis] * inner;

		for (int64_t r = 0; r < outer; r++)
			if (copy_range(k, o, r * dims[axis] * inner + pos, t, r * w, w) < 0)
				return OX_ENOMEM;
		pos += w;
	}
	return 0;
}
