/* shape/ml.c: the ai.onnx.ml ops whose outputs are tensors. Their inputs are a batch
 * of feature rows, [N, C] (a single row [C] counts as N = 1), and the output sizes
 * come from attributes: the class labels, the number of targets, the categories.
 * Where a size depends on how a runtime lays out a binary problem (SVMClassifier's
 * scores) it is left unknown. Map and sequence ops (ZipMap, CastMap,
 * DictVectorizer) are not typed here. */
#include "config.h"

#include <string.h>

#include "shape.h"

#define UNK ((struct ox_dim){ .kind = OX_DIM_UNKNOWN })

/* The batch size N of a feature input. */
static struct ox_dim
rows(const struct ox_node *node, int i)
{
	const struct ox_type *x = ox_infer_in(node, i);

	if (!x || x->rank < 1 || x->rank > 2)
		return UNK;
	return x->rank == 1 ? ox_dim_of(1) : x->dims[0];
}

static bool
has_attr(const struct ox_node *node, const char *name)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	return a && (a->n_ints || a->n_floats || a->n_strings || a->t);
}

static int64_t
attr_count(const struct ox_node *node, const char *name)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	if (!a)
		return 0;
	return (int64_t)(a->n_ints + a->n_floats + a->n_strings);
}

static int
same_shape(struct ox_infer *ic, struct ox_node *node, int elem)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int e = elem ? elem : ox_infer_in_elem(node, 0);

	if (!x)
		return e ? ox_infer_set(ic, node, 0, e, -1, NULL) : 0;
	return ox_infer_set(ic, node, 0, e, x->rank, x->dims);
}

/* Binarizer, Imputer: the input's type. */
static int
same_as_input(struct ox_infer *ic, struct ox_node *node)
{
	return same_shape(ic, node, 0);
}

/* Normalizer, Scaler: float of the input's shape. */
static int
to_float(struct ox_infer *ic, struct ox_node *node)
{
	return same_shape(ic, node, OX_FLOAT);
}

/* Strings map to integers and integers to strings. */
static int
category_mapper(struct ox_infer *ic, struct ox_node *node)
{
	int e = ox_infer_in_elem(node, 0);

	if (e != OX_STRING && e != OX_INT64)
		return 0;
	return same_shape(ic, node, e == OX_STRING ? OX_INT64 : OX_STRING);
}

/* LabelEncoder-1 maps strings to integers and back; later versions name the output
 * type by which values_* attribute they carry. */
static int
label_encoder(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_attr *t = ox_node_attr(node, "values_tensor");
	int e = 0, in = ox_infer_in_elem(node, 0);

	if (ox_infer_schema(ic)->since_version < 2)
		e = in == OX_STRING ? OX_INT64 : in == OX_INT64 ? OX_STRING : 0;
	else if (has_attr(node, "values_strings"))
		e = OX_STRING;
	else if (has_attr(node, "values_int64s"))
		e = OX_INT64;
	else if (has_attr(node, "values_floats"))
		e = OX_FLOAT;
	else if (t && t->t)
		e = t->t->dtype;
	return e ? same_shape(ic, node, e) : 0;
}

/* Indices select along the last axis: [..., K] with K the number of indices. A 1-D
 * input's result is laid out differently by runtimes, so only its type is given. */
static int
array_feature_extractor(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *ix = ox_infer_in(node, 1);
	int e = ox_infer_in_elem(node, 0);
	struct ox_dim dims[OX_MAX_RANK];
	int64_t k = 1;

	if (!x || x->rank < 2 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, e, -1, NULL);
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	dims[x->rank - 1] = UNK;
	for (int i = 0; ix && ix->rank >= 0 && i < ix->rank; i++) {
		if (ix->dims[i].kind != OX_DIM_VALUE || __builtin_mul_overflow(k, ix->dims[i].value, &k)) {
			k = -1;
			break;
		}
	}
	if (ix && ix->rank >= 0 && k >= 0)
		dims[x->rank - 1] = ox_dim_of(k);
	return ox_infer_set(ic, node, 0, e, x->rank, dims);
}

/* Inputs [N, Ci] side by side: float [N, sum(inputdimensions)]. */
static int
feature_vectorizer(struct ox_infer *ic, struct ox_node *node)
{
	size_t n;
	const int64_t *d = ox_infer_attr_ints(node, "inputdimensions", &n);
	int64_t sum = 0;

	for (size_t i = 0; d && i < n; i++)
		if (d[i] < 0 || __builtin_add_overflow(sum, d[i], &sum))
			return ox_infer_fail(ic, node, "inputdimensions entry %lld is invalid", (long long)d[i]);
	return ox_infer_set(ic, node, 0, OX_FLOAT, 2, (struct ox_dim[2]){ rows(node, 0), d ? ox_dim_of(sum) : UNK });
}

/* Each input element becomes a one-hot row over the categories. */
static int
one_hot_encoder(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int64_t n = attr_count(node, "cats_int64s") + attr_count(node, "cats_strings");
	struct ox_dim dims[OX_MAX_RANK];

	if (!x || x->rank < 0 || x->rank >= OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, OX_FLOAT, -1, NULL);
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	dims[x->rank] = n ? ox_dim_of(n) : UNK;
	return ox_infer_set(ic, node, 0, OX_FLOAT, x->rank + 1, dims);
}

/* Regressors: float [N, targets]; the attribute naming the count differs. */
static int
regressor(struct ox_infer *ic, struct ox_node *node)
{
	int64_t t;
	int e = OX_FLOAT;

	if (strcmp(node->op_type, "LinearRegressor") == 0) {
		t = ox_node_attr_int(node, "targets", 1);
	} else if (strcmp(node->op_type, "SVMRegressor") == 0) {
		t = 1;
	} else {
		t = ox_node_attr_int(node, "n_targets", -1);
		/* TreeEnsemble-5 computes in the input's type. */
		if (strcmp(node->op_type, "TreeEnsemble") == 0 && ox_infer_in_elem(node, 0))
			e = ox_infer_in_elem(node, 0);
	}
	return ox_infer_set(ic, node, 0, e, 2, (struct ox_dim[2]){ rows(node, 0), t > 0 ? ox_dim_of(t) : UNK });
}

/* Classifiers: labels [N] (int64 or string, as the class labels are) and scores
 * float [N, E] with one column per class label. */
static int
classifier(struct ox_infer *ic, struct ox_node *node)
{
	int64_t ni = attr_count(node, "classlabels_ints") + attr_count(node, "classlabels_int64s");
	int64_t ns = attr_count(node, "classlabels_strings");
	struct ox_dim n = rows(node, 0), e = UNK;
	int r;

	if (ni && ns)
		return ox_infer_fail(ic, node, "class labels are both integers and strings");
	if (!ni && !ns)
		return 0;
	if (strcmp(node->op_type, "SVMClassifier") != 0)
		e = ox_dim_of(ni + ns);
	if ((r = ox_infer_set(ic, node, 0, ns ? OX_STRING : OX_INT64, 1, &n)) < 0)
		return r;
	return ox_infer_set(ic, node, 1, OX_FLOAT, 2, (struct ox_dim[2]){ n, e });
}

const struct ox_shape_rule ox_shape_rules_ml[] = {
	{ "ai.onnx.ml", "ArrayFeatureExtractor", array_feature_extractor },
	{ "ai.onnx.ml", "Binarizer", same_as_input }, { "ai.onnx.ml", "Imputer", same_as_input },
	{ "ai.onnx.ml", "Normalizer", to_float }, { "ai.onnx.ml", "Scaler", to_float },
	{ "ai.onnx.ml", "CategoryMapper", category_mapper },
	{ "ai.onnx.ml", "LabelEncoder", label_encoder },
	{ "ai.onnx.ml", "FeatureVectorizer", feature_vectorizer },
	{ "ai.onnx.ml", "OneHotEncoder", one_hot_encoder },
	{ "ai.onnx.ml", "LinearRegressor", regressor }, { "ai.onnx.ml", "SVMRegressor", regressor },
	{ "ai.onnx.ml", "TreeEnsembleRegressor", regressor }, { "ai.onnx.ml", "TreeEnsemble", regressor },
	{ "ai.onnx.ml", "LinearClassifier", classifier }, { "ai.onnx.ml", "SVMClassifier", classifier },
	{ "ai.onnx.ml", "TreeEnsembleClassifier", classifier },
	{ NULL, NULL, NULL },
};
