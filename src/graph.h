/* graph.h: the in-memory model, graphs, nodes and values (the IR).
 *
 * A model owns one arena; every graph, node, value, attribute, name and tensor of it
 * lives there, and ox_model_free() releases them all at once. Nothing is freed node
 * by node: a killed node is marked dead and dropped from the node list by
 * ox_graph_compact().
 *
 * Values are named and defined once (SSA). Each value knows its producer (NULL for
 * graph inputs, initializers and function inputs) and every use: (node, input index)
 * pairs, including uses by nodes of nested subgraphs that read it from the outer
 * scope. Each node knows its input and output values; an omitted optional input or
 * output is NULL. Those lists stay true as long as mutation goes through the helpers
 * below (set input, replace uses, kill, ...); ox_graph_verify() checks all of it.
 *
 * Every string and optional scalar keeps its presence: NULL means absent from the
 * file, so that a model nobody changed is written back exactly as it came. What the
 * IR does not model is carried as an opaque blob (struct ox_blob) per message.
 */
#ifndef OX_GRAPH_H
#define OX_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "strmap.h"
#include "tensor.h"

struct ox_graph;
struct ox_node;

struct ox_use {
	struct ox_node *node;
	int index;            /* which input of node */
};

struct ox_value {
	const char *name;
	struct ox_graph *graph;     /* the graph that defines it */
	struct ox_node *producer;   /* NULL: graph input, initializer, function input */
	int producer_index;
	struct ox_use *uses;
	size_t n_uses, cap_uses;
	struct ox_type *type;       /* NULL when unknown */
	/* Its ValueInfoProto, when the file had one (input, output or value_info). */
	bool has_info;
	const char *doc;
	struct ox_blob info_rest;
	struct ox_tensor *init;     /* initializer value, or NULL */
	struct ox_blob sparse;      /* sparse initializer (a SparseTensorProto), or empty */
	bool is_sparse;
	bool is_input;              /* listed in the graph's inputs */
	bool dead;                  /* removed; kept only until compaction */
	/* Not a value: a value_info entry kept verbatim in info_rest (a name nothing
	 * defines, or a second entry for a value that differs from its first). Such
	 * entries sit only in graph->value_info. */
	bool info_only;
	int id;                     /* index in graph->values, for side tables */
};

struct ox_attr {
	const char *name;
	bool has_type;
	int type;                   /* AttributeProto.AttributeType */
	const char *ref_attr_name;
	const char *doc;
	bool has_f, has_i, has_s;
	float f;
	int64_t i;
	struct ox_bytes s;
	struct ox_tensor *t;
	struct ox_graph *g;
	float *floats;
	int64_t *ints;
	struct ox_bytes *strings;
	struct ox_tensor **tensors;
	struct ox_graph **graphs;
	size_t n_floats, n_ints, n_strings, n_tensors, n_graphs;
	struct ox_blob rest;        /* sparse tensors, type protos, unknown fields */
};

/* AttributeProto.AttributeType */
enum {
	OX_ATTR_UNDEFINED = 0, OX_ATTR_FLOAT = 1, OX_ATTR_INT = 2, OX_ATTR_STRING = 3,
	OX_ATTR_TENSOR = 4, OX_ATTR_GRAPH = 5, OX_ATTR_FLOATS = 6, OX_ATTR_INTS = 7,
	OX_ATTR_STRINGS = 8, OX_ATTR_TENSORS = 9, OX_ATTR_GRAPHS = 10,
	OX_ATTR_SPARSE_TENSOR = 11, OX_ATTR_SPARSE_TENSORS = 12,
	OX_ATTR_TYPE_PROTO = 13, OX_ATTR_TYPE_PROTOS = 14,
};

struct ox_node {
	const char *name;           /* NULL when absent */
	const char *op_type;
	const char *domain;         /* NULL when absent; "" and "ai.onnx" are ONNX */
	const char *doc;
	struct ox_value **in;       /* NULL entries: omitted optional inputs */
	struct ox_value **out;      /* NULL entries: omitted optional outputs */
	int n_in, n_out;
	struct ox_attr *attrs;
	size_t n_attrs;
	struct ox_blob rest;        /* overload, metadata, device configurations */
	struct ox_graph *graph;
	bool dead;
	int id;                     /* index in graph->nodes at the last compaction */
};

struct ox_graph {
	struct ox_model *model;
	struct ox_graph *parent;    /* enclosing graph for subgraphs, else NULL */
	struct ox_node *owner;      /* the node whose attribute holds this graph */
	const char *name;
	const char *doc;
	struct ox_node **nodes;     /* in order; topological after ox_graph_toposort */
	size_t n_nodes, cap_nodes;
	struct ox_value **values;   /* every value this graph defines */
	size_t n_values, cap_values;
	struct ox_value **inputs, **outputs, **inits, **sparse_inits, **value_info;
	size_t n_inputs, n_outputs, n_inits, n_sparse_inits, n_value_info;
	size_t cap_inputs, cap_outputs, cap_inits, cap_sparse_inits, cap_value_info;
	/* Per output entry: a ValueInfoProto written verbatim instead of the value's own
	 * (an outer-scope value, or a value listed twice with different info). NULL
	 * when no entry needs one. */
	struct ox_blob *output_info;
	struct ox_strmap names;     /* name -> value defined here */
	struct ox_blob rest;        /* quantization annotations, metadata, unknown */
	unsigned name_seq;          /* for fresh value names */
};

struct ox_opset {
	const char *domain;         /* NULL when absent (means ai.onnx) */
	bool has_version;
	int64_t version;
};

/* A model-local function. Its body is a graph whose inputs and outputs are the
 * function's formal parameters (names only; they carry no types). */
struct ox_function {
	const char *name, *domain, *doc;
	const char **attr_names;    /* FunctionProto.attribute */
	size_t n_attr_names;
	struct ox_attr *attr_defaults; /* FunctionProto.attribute_proto */
	size_t n_attr_defaults;
	struct ox_opset *opsets;
	size_t n_opsets;
	struct ox_graph *body;
	struct ox_blob rest;        /* overload, metadata, unknown */
};

/* A file mapped for external data; unmapped when the model is freed. */
struct ox_mapping {
	struct ox_mapping *next;
	void *addr;
	size_t len;
	char *path;                 /* resolved path, for error messages */
	bool readonly;              /* PROT_READ: no page of it is ever dirtied */
};

struct ox_model {
	struct ox_arena arena;
	bool has_ir_version, has_model_version;
	int64_t ir_version, model_version;
	const char *producer_name, *producer_version, *domain, *doc;
	struct ox_opset *opsets;
	size_t n_opsets, cap_opsets;
	struct ox_kv *metadata;
	size_t n_metadata, cap_metadata;
	struct ox_graph *graph;     /* NULL when the file has none */
	struct ox_function **functions;
	size_t n_functions;
	struct ox_blob rest;        /* training info, device configurations, unknown */
	/* Where the model came from: external data locations are relative to dir. */
	char *path, *dir;
	struct ox_mapping *mappings; /* files mapped for external data */
	struct ox_graph **graphs;   /* every graph of the model, to release their maps */
	size_t n_graphs, cap_graphs;
};

/* Limits that keep hostile models from exhausting the machine. */
#define OX_MAX_GRAPH_DEPTH 64       /* nested subgraphs */
#define OX_MAX_RANK 64
/* Nodes and named values in one model, all graphs together: the largest models in
 * use have a few hundred thousand. */
#define OX_MAX_NODES ((size_t)1 << 24)
#define OX_MAX_VALUES ((size_t)1 << 25)

/* --- model --- */

/* A new empty model (ir_version and opsets unset), or NULL. */
struct ox_model *ox_model_new(void);
/* Release the model and everything it owns (arena, mappings). NULL is fine. */
void ox_model_free(struct ox_model *m);
/* The opset version the model imports for domain ("" or "ai.onnx" = ONNX), or -1. */
int64_t ox_model_opset(const struct ox_model *m, const char *domain);
/* true when domain names the default ONNX domain ("" , NULL or "ai.onnx"). */
bool ox_domain_is_onnx(const char *domain);

/* --- graph --- */

/* A new graph in model m, nested in parent (NULL for the main graph). */
struct ox_graph *ox_graph_new(struct ox_model *m, struct ox_graph *parent);

/* The value called name visible from g (g, then its enclosing graphs), or NULL. */
struct ox_value *ox_graph_lookup(const struct ox_graph *g, const char *name);

/* Define a new value in g. name NULL, or already taken in the visible scopes, gets a
 * fresh name derived from it. NULL when memory runs out. */
struct ox_value *ox_value_new(struct ox_graph *g, const char *name);

/* Append v to one of g's ordered lists. 0 or OX_ENOMEM. */
int ox_graph_add_input(struct ox_graph *g, struct ox_value *v);
int ox_graph_add_output(struct ox_graph *g, struct ox_value *v);
int ox_graph_add_init(struct ox_graph *g, struct ox_value *v, struct ox_tensor *t);
int ox_graph_add_value_info(struct ox_graph *g, struct ox_value *v);

/* true when v is listed among g's outputs. */
bool ox_value_is_graph_output(const struct ox_value *v);

/* --- nodes --- */

/* A new node appended to g, with n_in NULL inputs and n_out fresh output values.
 * op_type and domain are copied. */
struct ox_node *ox_node_new(struct ox_graph *g, const char *op_type, const char *domain,
			    int n_in, int n_out);

/* Point input i of node at v (NULL to omit it), keeping use lists true. */
int ox_node_set_input(struct ox_node *node, int i, struct ox_value *v);

/* Append an input. */
int ox_node_add_input(struct ox_node *node, struct ox_value *v);

/* Make every use of old (in its graph and nested graphs) read new_value instead.
 * A graph output keeps its name: when old is one, new_value takes old's name if it is
 * a node result in the same graph that is no graph output itself; otherwise an
 * Identity node from new_value produces old, which stays the output. 0 or OX_ENOMEM. */
int ox_value_replace_uses(struct ox_value *old, struct ox_value *new_value);

/* Remove node: drop it from its inputs' use lists and mark it dead. Its outputs must
 * be unused (they are marked dead too). */
void ox_node_kill(struct ox_node *node);

/* The attribute called name, or NULL. */
struct ox_attr *ox_node_attr(const struct ox_node *node, const char *name);
int64_t ox_node_attr_int(const struct ox_node *node, const char *name, int64_t dflt);
float ox_node_attr_float(const struct ox_node *node, const char *name, float dflt);

/* Set attribute name of node to a value (replacing one of that name, adding it
 * otherwise); values are copied into the model's arena. 0 or OX_ENOMEM. */
int ox_node_set_attr_int(struct ox_node *node, const char *name, int64_t v);
int ox_node_set_attr_float(struct ox_node *node, const char *name, float v);
int ox_node_set_attr_ints(struct ox_node *node, const char *name, const int64_t *v, size_t n);
int ox_node_set_attr_floats(struct ox_node *node, const char *name, const float *v, size_t n);
int ox_node_set_attr_string(struct ox_node *node, const char *name, const char *s);

/* Remove attribute name from node, if present. */
void ox_node_del_attr(struct ox_node *node, const char *name);

/* true when node is op_type in the ONNX domain (domain NULL/""/"ai.onnx") or in domain. */
bool ox_node_is(const struct ox_node *node, const char *domain, const char *op_type);

/* Call fn on every graph-valued attribute of node (g and graphs). */
int ox_node_foreach_subgraph(struct ox_node *node,
			     int (*fn)(struct ox_graph *sub, void *arg), void *arg);

/* --- whole-graph operations --- */

/* Drop dead nodes and values from the lists and renumber ids. */
void ox_graph_compact(struct ox_graph *g);

/* Reorder g's nodes topologically, keeping the current order where it already is one
 * (a stable sort). Values read from the outer scope by a node's subgraphs count as its
 * inputs. OX_EINVAL with a diagnostic naming a node on a cycle. */
int ox_graph_toposort(struct ox_graph *g, struct ox_diag *d);

/* true when g's nodes are already in topological order. */
bool ox_graph_is_sorted(const struct ox_graph *g);

/* Check every invariant of g and its subgraphs: names unique and defined once, every
 * input defined in a visible scope, producer and use lists consistent both ways,
 * outputs defined, no cycle. Reports each problem; 0 or OX_EINVAL. */
int ox_graph_verify(const struct ox_graph *g, struct ox_diag *d);

/* Number of nodes in g and, when deep, in every nested subgraph. */
size_t ox_graph_count_nodes(const struct ox_graph *g, bool deep);

#endif
