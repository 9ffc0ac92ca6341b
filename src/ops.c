/* ops.c: lookups over the generated operator table (ops_table.c). */
#include "ops.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

static const char *const category_names[OX_OPC_COUNT] = {
	[OX_OPC_LAYER] = "layer",
	[OX_OPC_ACTIVATION] = "activation",
	[OX_OPC_POOL] = "pool",
	[OX_OPC_NORMALIZATION] = "normalization",
	[OX_OPC_DROPOUT] = "dropout",
	[OX_OPC_SHAPE] = "shape",
	[OX_OPC_TENSOR] = "tensor",
	[OX_OPC_TRANSFORM] = "transform",
	[OX_OPC_DATA] = "data",
	[OX_OPC_QUANTIZATION] = "quantization",
	[OX_OPC_CONTROL] = "control",
	[OX_OPC_LOGIC] = "logic",
	[OX_OPC_ARITHMETIC] = "arithmetic",
	[OX_OPC_REDUCE] = "reduce",
	[OX_OPC_SEQUENCE] = "sequence",
	[OX_OPC_ML] = "ml",
	[OX_OPC_OTHER] = "other",
};

/* The rows spell the default domain "". */
static const char *
canonical_domain(const char *domain)
{
	if (domain == NULL || strcmp(domain, "ai.onnx") == 0)
		return "";
	return domain;
}

/* The ox_op_names_ entry of (domain, op_type), or NULL. */
static const struct ox_op_name *
find_name(const char *domain, const char *op_type)
{
	int lo = 0, hi = ox_op_names_len_;

	if (op_type == NULL)
		return NULL;
	domain = canonical_domain(domain);
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const struct ox_op_name *e = &ox_op_names_[mid];
		int c = strcmp(e->domain, domain);

		if (c == 0)
			c = strcmp(e->name, op_type);
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
ox_op_count(void)
{
	return ox_op_table_len_;
}

const struct ox_op_schema *
ox_op_at(int i)
{
	if (i < 0 || i >= ox_op_table_len_)
		return NULL;
	return &ox_op_table_[i];
}

int
ox_op_index(const struct ox_op_schema *s)
{
	ptrdiff_t i = s - ox_op_table_;

	assert(i >= 0 && i < ox_op_table_len_);
	return (int)i;
}

const struct ox_op_schema *
ox_op_find(const char *domain, const char *op_type, int opset)
{
	const struct ox_op_name *e = find_name(domain, op_type);
	int i;

	if (e == NULL)
		return NULL;
	/* At most a dozen versions per op: newest first is as fast as a search. */
	for (i = e->first + e->count - 1; i >= e->first; i--)
		if (ox_op_table_[i].since_version <= opset)
			return &ox_op_table_[i];
	return NULL;
}

const struct ox_op_schema *
ox_op_versions(const char *domain, const char *op_type, int *n)
{
	const struct ox_op_name *e = find_name(domain, op_type);

	*n = e ? e->count : 0;
	return e ? &ox_op_table_[e->first] : NULL;
}

int
ox_op_until(const struct ox_op_schema *s)
{
	int i = ox_op_index(s);

	if (i + 1 < ox_op_table_len_ && strcmp(s[1].name, s->name) == 0 &&
	    strcmp(s[1].domain, s->domain) == 0)
		return s[1].since_version;
	return 0;
}

const char *
ox_op_category_name(enum ox_op_category c)
{
	if ((int)c < 0 || c >= OX_OPC_COUNT)
		return NULL;
	return category_names[c];
}

const struct ox_op_attr *
ox_op_attr_find(const struct ox_op_schema *s, const char *name)
{
	int lo = 0, hi = s->n_attrs;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(s->attrs[mid].name, name);

		if (c == 0)
			return &s->attrs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct ox_op_tc *
ox_op_tc_find(const struct ox_op_schema *s, const char *name)
{
	int i;

	for (i = 0; i < s->n_tcs; i++)
		if (strcmp(s->tcs[i].name, name) == 0)
			return &s->tcs[i];
	return NULL;
}

/* The formal of list f (n long) that argument i binds to. */
static const struct ox_op_formal *
bind(const struct ox_op_formal *f, int n, int max, int i)
{
	if (i < 0 || i >= max || n == 0)
		return NULL;
	if (i >= n) {
		/* Only a variadic last formal takes more than n arguments; max says so. */
		return &f[n - 1];
	}
	return &f[i];
}

const struct ox_op_formal *
ox_op_input(const struct ox_op_schema *s, int i)
{
	return bind(s->inputs, s->n_inputs, s->max_inputs, i);
}

const struct ox_op_formal *
ox_op_output(const struct ox_op_schema *s, int i)
{
	return bind(s->outputs, s->n_outputs, s->max_outputs, i);
}

bool
ox_op_dtype_allowed(const struct ox_op_schema *s, int input, int dtype)
{
	const struct ox_op_formal *f = ox_op_input(s, input);

	return f != NULL && ox_op_mask_has(f->tensor, dtype);
}

bool
ox_op_output_dtype_allowed(const struct ox_op_schema *s, int output, int dtype)
{
	const struct ox_op_formal *f = ox_op_output(s, output);

	return f != NULL && ox_op_mask_has(f->tensor, dtype);
}

void
ox_op_set_infer(const struct ox_op_schema *s, ox_op_infer_fn *fn)
{
	ox_op_infer_hooks_[ox_op_index(s)] = fn;
}

void
ox_op_set_kernel(const struct ox_op_schema *s, ox_op_kernel_fn *fn)
{
	ox_op_kernel_hooks_[ox_op_index(s)] = fn;
}

ox_op_infer_fn *
ox_op_infer(const struct ox_op_schema *s)
{
	return ox_op_infer_hooks_[ox_op_index(s)];
}

ox_op_kernel_fn *
ox_op_kernel(const struct ox_op_schema *s)
{
	return ox_op_kernel_hooks_[ox_op_index(s)];
}
