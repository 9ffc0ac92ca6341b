/* ops/einsum.c: Einsum by direct summation over every index combination.
 *
 * Each letter (and each dim an ellipsis stands for) becomes one loop index; the
 * output is accumulated in double. Fine for the small contractions models use
 * Einsum for; a BLAS path for matrix-shaped equations is a later optimization.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

#define MAXL 64         /* distinct indices */
#define ELL 128         /* ellipsis dims get codes ELL.. */

struct term {
	int n;
	int code[OX_MAX_RANK];
};

/* Parse one term (letters, at most one "..."), expanding the ellipsis to nell dims
 * (right-aligned codes). Returns false on bad syntax. */
static bool
parse_term(const char *s, const char *e, int rank, struct term *t, int *nell_out)
{
	int letters = 0, nell;
	bool ell = false;

	for (const char *p = s; p < e; p++) {
		if (*p == ' ')
			continue;
		if (*p == '.') {
			if (e - p < 3 || p[1] != '.' || p[2] != '.' || ell)
				return false;
			ell = true;
			p += 2;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			letters++;
		} else {
			return false;
		}
	}
	nell = ell ? rank - letters : 0;
	if (rank >= 0 && (nell < 0 || (!ell && letters != rank)))
		return false;
	if (rank >= 0)
		*nell_out = nell;
	t->n = 0;
	for (const char *p = s; p < e; p++) {
		if (*p == ' ')
			continue;
		if (*p == '.') {
			for (int i = 0; i < (rank >= 0 ? nell : *nell_out); i++)
				t->code[t->n++] = ELL + OX_MAX_RANK - (rank >= 0 ? nell : *nell_out) + i;
			p += 2;
		} else {
			t->code[t->n++] = (unsigned char)*p;
		}
		if (t->n > OX_MAX_RANK)
			return false;
	}
	return true;
}

int
ox_op_einsum(struct ox_kctx *k)
{
	char eq[512];
	const char *e = ox_kattr_s(k, "equation", NULL, eq, sizeof eq), *arrow, *p;
	struct term in[16], out;
	int64_t size[256], idx[MAXL], odims[OX_MAX_RANK], ostr[256] = { 0 };
	int codes[MAXL], ncodes = 0, maxell = 0, dtype;
	bool seen[256] = { false };
	struct ox_tensor *o;
	double *acc;

	if (!e)
		return ox_kerr(k, OX_EINVAL, "no equation");
	if (k->n_in < 1 || k->n_in > 16)
		return ox_kerr(k, OX_EUNSUPPORTED, "%d operands", k->n_in);
	for (int i = 0; i < k->n_in; i++)
		if (!ox_kneed(k, i))
			return OX_EINVAL;
	dtype = ox_kin(k, 0)->dtype;
	if (!ox_dtype_is_float(dtype) && !ox_dtype_is_int(dtype))
		return ox_kdtype(k, dtype);
	for (int i = 0; i < 256; i++)
		size[i] = 1;
	arrow = strstr(e, "->");
	p = e;
	for (int i = 0; i < k->n_in; i++) {
		const char *end = strchr(p, ',');
		const struct ox_tensor *t = ox_kin(k, i);
		int nell;

		if (!end || (arrow && end > arrow))
			end = arrow ? arrow : e + strlen(e);
		if ((i < k->n_in - 1) != (*end == ','))
			return ox_kerr(k, OX_EINVAL, "the equation has another number of operands");
		if (!parse_term(p, end, t->ndim, &in[i], &nell))
			return ox_kerr(k, OX_EINVAL, "term %d of the equation does not fit rank %d", i, t->ndim);
		maxell = nell > maxell ? nell : maxell;
		for (int d = 0; d < in[i].n; d++) {
			int c = in[i].code[d];
			int64_t dim = t->dims[d];

			if (seen[c] && size[c] != dim && size[c] != 1 && dim != 1)
				return ox_kerr(k, OX_EINVAL, "index '%c' has sizes %lld and %lld", c < ELL ? c : '.',
					       (long long)size[c], (long long)dim);
			if (!seen[c] || size[c] == 1)
				size[c] = dim;
			if (!seen[c]) {
				if (ncodes == MAXL)
					return ox_kerr(k, OX_ELIMIT, "too many indices");
				codes[ncodes++] = c;
			}
			seen[c] = true;
		}
		p = end + 1;
	}
	if (arrow) {
		if (!parse_term(arrow + 2, e + strlen(e), -1, &out, &maxell))
			return ox_kerr(k, OX_EINVAL, "bad output term");
	} else {
		/* Implicit output: ellipsis dims, then letters used once, alphabetically. */
		int count[256] = { 0 };

		out.n = 0;
		for (int i = 0; i < maxell; i++)
			out.code[out.n++] = ELL + OX_MAX_RANK - maxell + i;
		for (int i = 0; i < k->n_in; i++)
			for (int d = 0; d < in[i].n; d++)
				count[in[i].code[d]]++;
		for (int c = 'A'; c <= 'z'; c++)
			if (c < ELL && count[c] == 1 && out.n < OX_MAX_RANK)
				out.code[out.n++] = c;
	}
	for (int d = 0; d < out.n; d++) {
		if (!seen[out.code[d]])
			return ox_kerr(k, OX_EINVAL, "output index not in any operand");
		odims[d] = size[out.code[d]];
	}
	if (!(o = ox_kout(k, 0, dtype, out.n, odims)))
		return OX_ENOMEM;
	{
		int64_t s = 1;

		for (int d = out.n - 1; d >= 0; d--) {
			ostr[out.code[d]] += s;
			s *= odims[d];
		}
	}
	if (!(acc = calloc((size_t)o->nelem + 1, sizeof *acc)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int c = 0; c < ncodes; c++) {
		idx[c] = 0;
		if (size[codes[c]] == 0) {
			free(acc);
			return 0;
		}
	}
	for (;;) {
		double prod = 1;
		int64_t op = 0, cur[256];
		int c;

		for (c = 0; c < ncodes; c++) {
			cur[codes[c]] = idx[c];
			op += idx[c] * ostr[codes[c]];
		}
		for (int i = 0; i < k->n_in && prod != 0; i++) {
			const struct ox_tensor *t = ox_kin(k, i);
			int64_t q = 0;

			for (int d = 0; d < in[i].n; d++)
				q = q * t->dims[d] + (t->dims[d] == 1 ? 0 : cur[in[i].code[d]]);
			prod *= ox_get_f64(t, q);
		}
		acc[op] += prod;
		for (c = ncodes - 1; c >= 0; c--) {
			if (++idx[c] < size[codes[c]])
				break;
			idx[c] = 0;
		}
		if (c < 0)
			break;
	}
	for (int64_t i = 0; i < o->nelem; i++)
		ox_set_f64(o, i, acc[i]);
	free(acc);
	return 0;
}
