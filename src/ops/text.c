/* ops/text.c: StringNormalizer and TfIdfVectorizer. Case mapping is ASCII only. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

static bool
eq_bytes(const struct ox_bytes *a, const struct ox_bytes *b, bool sensitive)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++) {
		int x = a->data[i], y = b->data[i];

		if (!sensitive) {
			x = tolower(x);
			y = tolower(y);
		}
		if (x != y)
			return false;
	}
	return true;
}

int
ox_op_string_normalizer(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	const struct ox_attr *stops = ox_node_attr(k->node, "stopwords");
	bool sensitive = ox_kattr_i(k, "is_case_sensitive", 0);
	char buf[16];
	const char *action = ox_kattr_s(k, "case_change_action", "NONE", buf, sizeof buf);
	int64_t keep = 0, dims[2];
	struct ox_tensor *o;
	bool *kept;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype != OX_STRING)
		return ox_kdtype(k, x->dtype);
	if (!(x->ndim == 1 || (x->ndim == 2 && x->dims[0] == 1)))
		return ox_kerr(k, OX_EINVAL, "input must be [C] or [1, C]");
	if (!(kept = calloc((size_t)x->nelem + 1, sizeof *kept)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t i = 0; i < x->nelem; i++) {
		kept[i] = true;
		for (size_t j = 0; stops && j < stops->n_strings; j++)
			if (eq_bytes(&x->strings[i], &stops->strings[j], sensitive))
				kept[i] = false;
		keep += kept[i];
	}
	dims[0] = 1;
	dims[1] = keep ? keep : 1;
	if (!(o = ox_kout(k, 0, OX_STRING, x->ndim, x->ndim == 1 ? dims + 1 : dims))) {
		free(kept);
		return OX_ENOMEM;
	}
	for (int64_t i = 0, j = 0; i < x->nelem; i++) {
		char *s;

		if (!kept[i])
			continue;
		if (ox_xtensor_set_string(o, j, x->strings[i].data, x->strings[i].len) < 0) {
			free(kept);
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		}
		s = (char *)o->strings[j].data;
		for (size_t c = 0; c < o->strings[j].len; c++) {
			if (!strcmp(action, "LOWER"))
				s[c] = (char)tolower((unsigned char)s[c]);
			else if (!strcmp(action, "UPPER"))
				s[c] = (char)toupper((unsigned char)s[c]);
		}
		j++;
	}
	free(kept);
	return 0;
}

/* Does the n-gram at pool entry p (n tokens) equal the tokens of row at
 * start, start + step, ...? */
static bool
gram_eq(const struct ox_tensor *x, int64_t base, int64_t start, int64_t step, int64_t n,
	const struct ox_attr *ints, const struct ox_attr *strs, int64_t p)
{
	for (int64_t t = 0; t < n; t++) {
		int64_t xi = base + start + t * step;

		if (strs) {
			if (!eq_bytes(&x->strings[xi], &strs->strings[p + t], true))
				return false;
		} else if (ox_get_i64(x, xi) != ints->ints[p + t]) {
			return false;
		}
	}
	return true;
}

int
ox_op_tfidf_vectorizer(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t minn = ox_kattr_i(k, "min_gram_length", 1), maxn = ox_kattr_i(k, "max_gram_length", 1);
	int64_t maxskip = ox_kattr_i(k, "max_skip_count", 0), rows, cols, width = 0, nidx, ncounts, total = 0;
	const struct ox_attr *ints = ox_node_attr(k->node, "pool_int64s"), *strs = ox_node_attr(k->node, "pool_strings");
	const int64_t *counts, *idx;
	const float *weights;
	int64_t nweights = ox_kattr_floats(k, "weights", &weights), dims[2];
	char buf[8];
	const char *mode = ox_kattr_s(k, "mode", "TF", buf, sizeof buf);
	size_t npool;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if ((x->dtype == OX_STRING) != (strs != NULL) || (!strs && !ints))
		return ox_kerr(k, OX_EINVAL, "the pool does not match the input's type");
	npool = strs ? strs->n_strings : ints->n_ints;
	ncounts = ox_kattr_ints(k, "ngram_counts", &counts);
	nidx = ox_kattr_ints(k, "ngram_indexes", &idx);
	if (ncounts < 0 || nidx < 0 || minn < 1 || maxn < minn || maxskip < 0)
		return ox_kerr(k, OX_EINVAL, "bad n-gram attributes");
	for (int64_t i = 0; i < nidx; i++)
		width = idx[i] + 1 > width ? idx[i] + 1 : width;
	if (x->ndim == 1) {
		rows = 1;
		cols = x->dims[0];
	} else if (x->ndim == 2) {
		rows = x->dims[0];
		cols = x->dims[1];
	} else {
		return ox_kerr(k, OX_EINVAL, "input must be 1-D or 2-D");
	}
	dims[0] = rows;
	dims[1] = width;
	if (!(o = ox_kout(k, 0, OX_FLOAT, x->ndim, x->ndim == 1 ? dims + 1 : dims)))
		return OX_ENOMEM;
	for (int64_t n = 1; n <= ncounts; n++) {
		int64_t lo = counts[n - 1], hi = n < ncounts ? counts[n] : (int64_t)npool;

		if (lo < 0 || hi < lo || hi > (int64_t)npool || (hi - lo) % n)
			return ox_kerr(k, OX_EINVAL, "ngram_counts do not fit the pool");
		total += (hi - lo) / n;
	}
	if (total != nidx)
		return ox_kerr(k, OX_EINVAL, "ngram_indexes has %lld entries for %lld n-grams", (long long)nidx,
			       (long long)total);
	for (int64_t r = 0; r < rows; r++) {
		float *out = (float *)o->data + r * width;

		for (int64_t n = minn; n <= maxn && n <= ncounts; n++) {
			int64_t lo = counts[n - 1], hi = n < ncounts ? counts[n] : (int64_t)npool, g0 = 0;

			for (int64_t q = 1; q < n; q++)
				g0 += ((q < ncounts ? counts[q] : (int64_t)npool) - counts[q - 1]) / q;
			for (int64_t skip = 0; skip <= (n == 1 ? 0 : maxskip); skip++) {
				int64_t step = skip + 1;

				for (int64_t start = 0; start + (n - 1) * step < cols; start++)
					for (int64_t p = lo, g = g0; p < hi; p += n, g++)
						if (gram_eq(x, r * cols, start, step, n, ints, strs, p)) {
							out[idx[g]] += 1;
							break;
						}
			}
		}
		for (int64_t i = 0; i < nidx; i++) {
			float w = nweights > i ? weights[i] : 1.0f;
			float *v = &out[idx[i]];

			if (!strcmp(mode, "IDF"))
				*v = *v > 0 ? w : 0;
			else if (!strcmp(mode, "TFIDF"))
				*v *= w;
		}
	}
	return 0;
}
