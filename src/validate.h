/* validate.h: is a model valid ONNX? Every problem found, each with a stable code.
 *
 * This is the ONNX checker's job (onnx.checker.check_model) done on the IR: the model
 * header (IR version, opset imports), graph structure (SSA, defined before use,
 * inputs, outputs and initializers), every node against its operator registry row at
 * the model's opset (op known, arity, attributes and their types, type constraints
 * where element types are known, deprecated versions), tensors, sparse tensors,
 * subgraphs and model-local functions. Unlike the checker it does not stop at the
 * first problem: each one becomes one struct ox_vissue, and a run lists them all.
 *
 * Codes are stable: a number ("OX-V031") and a short name ("unknown-op"), listed once
 * in OX_VALIDATE_CODES below and documented in docs/validate.md. Numbers are never
 * reused for a different rule; a retired rule keeps its number unused.
 *
 * What the loader (onnx_io.h) already refuses never reaches the checks here: a model
 * it rejects for a structural reason (an undefined input, a name defined twice, a
 * cycle, tensor data that does not match its shape, bad external data) is reported
 * by ox_validate_file() as one issue carrying the loader's message, under the code
 * that names the rule. A file that is no ONNX model at all (not a protobuf, no graph,
 * unreadable, over a safety limit) is "unreadable", not "invalid".
 *
 * Ownership: a report owns copies of every string in it; release it with
 * ox_vreport_release(). The model passed to ox_validate_model() is only read, except
 * with OX_VALIDATE_FULL, where shape inference stores inferred types on its values.
 * Validation of different models may run in parallel threads once
 * ox_validate_prepare() has run (it registers the shape-inference hooks).
 */
#ifndef OX_VALIDATE_H
#define OX_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "graph.h"

/* The list of codes: X(number, ENUM, "name", severity). Severity is what the problem
 * is by default: errors make a model invalid, warnings do not, notes only inform. */
#define OX_VALIDATE_CODES(X) \
	X(1, UNREADABLE, "unreadable", OX_ERROR) \
	X(2, LOAD_REJECTED, "load-rejected", OX_ERROR) \
	X(3, UNDEFINED_VALUE, "undefined-value", OX_ERROR) \
	X(4, DUPLICATE_DEFINITION, "duplicate-definition", OX_ERROR) \
	X(5, EMPTY_NAME, "empty-name", OX_ERROR) \
	X(6, TENSOR_DATA_SIZE, "tensor-data-size", OX_ERROR) \
	X(7, EXTERNAL_DATA, "external-data", OX_ERROR) \
	X(8, CYCLE, "cycle", OX_ERROR) \
	X(11, IR_VERSION_MISSING, "ir-version-missing", OX_ERROR) \
	X(12, IR_VERSION_UNKNOWN, "ir-version-unknown", OX_ERROR) \
	X(13, OPSET_MISSING, "opset-missing", OX_ERROR) \
	X(14, OPSET_FORBIDDEN, "opset-forbidden", OX_ERROR) \
	X(15, OPSET_NOT_IMPORTED, "opset-not-imported", OX_ERROR) \
	X(16, OPSET_VERSION_INVALID, "opset-version-invalid", OX_ERROR) \
	X(17, OPSET_DUPLICATE, "opset-duplicate", OX_WARNING) \
	X(18, IR_OPSET_MISMATCH, "ir-opset-mismatch", OX_WARNING) \
	X(20, GRAPH_NAME_EMPTY, "graph-name-empty", OX_ERROR) \
	X(21, NOT_TOPOLOGICAL, "not-topological", OX_ERROR) \
	X(23, INITIALIZER_NOT_INPUT, "initializer-not-input", OX_ERROR) \
	X(24, VALUE_TYPE_MISSING, "value-type-missing", OX_ERROR) \
	X(25, VALUE_ELEM_TYPE_MISSING, "value-elem-type-missing", OX_ERROR) \
	X(26, VALUE_SHAPE_MISSING, "value-shape-missing", OX_ERROR) \
	X(27, NODE_NO_IO, "node-without-io", OX_ERROR) \
	X(28, OP_TYPE_EMPTY, "op-type-empty", OX_ERROR) \
	X(29, DUPLICATE_NODE_NAME, "duplicate-node-name", OX_WARNING) \
	X(30, DOMAIN_ALIAS, "domain-alias", OX_NOTE) \
	X(31, UNKNOWN_OP, "unknown-op", OX_ERROR) \
	X(32, DEPRECATED_OP, "deprecated-op", OX_ERROR) \
	X(33, INPUT_COUNT, "input-count", OX_ERROR) \
	X(34, OUTPUT_COUNT, "output-count", OX_ERROR) \
	X(35, REQUIRED_INPUT_EMPTY, "required-input-empty", OX_ERROR) \
	X(36, REQUIRED_OUTPUT_EMPTY, "required-output-empty", OX_ERROR) \
	X(37, UNKNOWN_ATTRIBUTE, "unknown-attribute", OX_ERROR) \
	X(38, ATTRIBUTE_TYPE, "attribute-type", OX_ERROR) \
	X(39, ATTRIBUTE_MISSING, "attribute-missing", OX_ERROR) \
	X(40, ATTRIBUTE_TYPE_MISSING, "attribute-type-missing", OX_ERROR) \
	X(41, ATTRIBUTE_VALUE_FIELD, "attribute-value-field", OX_ERROR) \
	X(42, ATTRIBUTE_VALUE_EMPTY, "attribute-value-empty", OX_ERROR) \
	X(43, ATTRIBUTE_NAME_EMPTY, "attribute-name-empty", OX_ERROR) \
	X(44, TYPE_CONSTRAINT, "type-constraint", OX_ERROR) \
	X(45, TYPE_BINDING, "type-binding", OX_ERROR) \
	X(46, CUSTOM_OP, "custom-op", OX_NOTE) \
	X(47, ATTRIBUTE_DUPLICATE, "attribute-duplicate", OX_ERROR) \
	X(50, TENSOR_DTYPE_MISSING, "tensor-dtype-missing", OX_ERROR) \
	X(51, DTYPE_UNKNOWN, "dtype-unknown", OX_ERROR) \
	X(52, TENSOR_EMPTY_WITH_DATA, "tensor-empty-with-data", OX_ERROR) \
	X(60, SPARSE_VALUES_RANK, "sparse-values-rank", OX_ERROR) \
	X(61, SPARSE_DIMS, "sparse-dims", OX_ERROR) \
	X(62, SPARSE_INDICES_TYPE, "sparse-indices-type", OX_ERROR) \
	X(63, SPARSE_INDICES_SHAPE, "sparse-indices-shape", OX_ERROR) \
	X(64, SPARSE_INDEX_RANGE, "sparse-index-range", OX_ERROR) \
	X(65, SPARSE_INDEX_ORDER, "sparse-index-order", OX_ERROR) \
	X(66, SPARSE_NO_INDICES, "sparse-no-indices", OX_ERROR) \
	X(67, SPARSE_MALFORMED, "sparse-malformed", OX_ERROR) \
	X(70, FUNCTION_NAME_EMPTY, "function-name-empty", OX_ERROR) \
	X(71, FUNCTION_DOMAIN_MISSING, "function-domain-missing", OX_ERROR) \
	X(72, FUNCTION_DUPLICATE_OUTPUT, "function-duplicate-output", OX_ERROR) \
	X(73, FUNCTION_DUPLICATE_ATTRIBUTE, "function-duplicate-attribute", OX_ERROR) \
	X(74, FUNCTION_OPSET_MISMATCH, "function-opset-mismatch", OX_ERROR) \
	X(75, ATTRIBUTE_REF_WITH_VALUE, "attribute-ref-with-value", OX_ERROR) \
	X(80, SHAPE_CONTRADICTION, "shape-contradiction", OX_ERROR) \
	X(81, FULL_UNAVAILABLE, "full-check-unavailable", OX_WARNING)

enum ox_vcode {
#define X(num, id, name, sev) OX_V_##id = num,
	OX_VALIDATE_CODES(X)
#undef X
};

/* One problem. Strings are NULL when they do not apply. */
struct ox_vissue {
	int code;                  /* enum ox_vcode */
	enum ox_severity severity;
	char *graph;               /* where: NULL for the main graph and the model header,
				    * else "node/attr" paths or "function dom:name" */
	char *node;                /* node name (may be empty when the node has none) */
	char *op;                  /* op type, when about a node */
	char *message;
};

/* The outcome for one model. */
enum ox_vstatus { OX_VALID = 0, OX_INVALID = 1, OX_UNREADABLE = 2 };

struct ox_vreport {
	const char *file;          /* not owned */
	struct ox_vissue *issues;
	size_t n, cap;
	size_t n_errors, n_warnings, n_notes;
	enum ox_vstatus status;    /* set by ox_validate_model / ox_validate_file */
	bool oom;                  /* an issue was dropped for lack of memory */
};

enum {
	/* Also run shape and type inference and report contradictions, like
	 * check_model(full_check=True). */
	OX_VALIDATE_FULL = 1 << 0,
};

void ox_vreport_init(struct ox_vreport *r, const char *file);
void ox_vreport_release(struct ox_vreport *r);

/* Check m and append every problem to r; sets r->status (valid or invalid).
 * Returns the number of errors, or OX_ENOMEM. */
int ox_validate_model(struct ox_model *m, unsigned flags, struct ox_vreport *r);

/* Load path and check it. A model the loader refuses is invalid (one issue with the
 * loader's message) or unreadable (see above). Returns the number of errors, or
 * OX_ENOMEM. */
int ox_validate_file(const char *path, unsigned flags, struct ox_vreport *r);

/* Register what validation needs before threads share the registry. Idempotent. */
void ox_validate_prepare(void);

/* "unknown-attribute" for OX_V_UNKNOWN_ATTRIBUTE; NULL for a number not in use. */
const char *ox_validate_code_name(int code);

/* "OX-V037" into buf (at least 8 bytes); returns buf. */
const char *ox_validate_code_id(int code, char *buf, size_t len);

/* The default severity of a code. */
enum ox_severity ox_validate_code_severity(int code);

#endif
