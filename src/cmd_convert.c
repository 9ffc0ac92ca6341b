/* cmd_convert.c: `onnx-opt convert`: move a model to another opset, up or down. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "onnx_io.h"
#include "../passes/convert/convert.h"

static void
help(void)
{
	printf("Usage: %s convert MODEL --opset N -o OUT [--report FILE.json] [--allow-partial]\n\n"
	       "Convert every ai.onnx node (subgraphs included) from the version the model's\n"
	       "opset import gives it to the version of opset N, up or down, applying an\n"
	       "adapter for every change in between (attributes that became inputs and back,\n"
	       "changed defaults, ops expanded into older ops or replaced by newer ones).\n"
	       "Nodes that cannot be expressed at opset N, or whose dtypes opset N does not\n"
	       "allow, are listed with the reason; the rest is converted anyway.\n"
	       "See docs/convert.md for what is covered.\n\n"
	       "Options:\n"
	       "  -n, --opset N        target ai.onnx opset (required; 7 to %d)\n"
	       "      --ml-opset N     also convert ai.onnx.ml nodes to N\n"
	       "  -o, --output OUT     where to write the converted model (required)\n"
	       "  -r, --report FILE    write a JSON report of the conversion\n"
	       "  -p, --allow-partial  write OUT even when some nodes could not be converted\n"
	       "  -q, --quiet          do not list unconverted nodes on stderr (a global\n"
	       "                       option: no progress line either)\n"
	       "  -h, --help           show this help\n\n"
	       "Exit status: 0 converted, 1 some nodes could not be converted (OUT is written\n"
	       "only with --allow-partial), 2 usage or input error.\n",
	       ox_prog, ox_convert_newest_opset());
}

json_t *
ox_cli_convert_json(const struct ox_convert_report *rep, const char *model, bool written)
{
	json_t *o = json_object(), *items = json_array();

	if (!o || !items) {
		json_decref(o);
		json_decref(items);
		return NULL;
	}
	json_object_set_new(o, "schema_version", json_integer(1));
	json_object_set_new(o, "model", json_string(model));
	json_object_set_new(o, "from_opset", json_integer(rep->from_opset));
	json_object_set_new(o, "to_opset", json_integer(rep->to_opset));
	if (rep->from_opset_ml > 0) {
		json_object_set_new(o, "from_opset_ml", json_integer(rep->from_opset_ml));
		json_object_set_new(o, "to_opset_ml", json_integer(rep->to_opset_ml));
	}
	json_object_set_new(o, "nodes", json_integer((json_int_t)rep->nodes));
	json_object_set_new(o, "nodes_changed", json_integer((json_int_t)rep->nodes_changed));
	json_object_set_new(o, "nodes_added", json_integer((json_int_t)rep->nodes_added));
	json_object_set_new(o, "complete", json_boolean(rep->n_items == 0));
	json_object_set_new(o, "written", json_boolean(written));
	for (size_t i = 0; i < rep->n_items; i++) {
		const struct ox_convert_item *it = &rep->items[i];
		json_t *e = json_object();

		json_object_set_new(e, "graph", json_string(it->graph));
		json_object_set_new(e, "node", json_string(it->node));
		json_object_set_new(e, "op", json_string(it->op));
		json_object_set_new(e, "from_version", json_integer(it->from_version));
		json_object_set_new(e, "reached_version", json_integer(it->stuck_version));
		json_object_set_new(e, "reason", json_string(it->reason));
		json_array_append_new(items, e);
	}
	json_object_set_new(o, "unconverted", items);
	return o;
}

void
ox_cli_convert_print(const char *cmd, const char *model, const struct ox_convert_report *rep)
{
	for (size_t i = 0; i < rep->n_items; i++)
		fprintf(stderr, "%s %s: %s: node '%s' (%s-%d): not converted to opset %d: %s\n",
			ox_prog, cmd, model, rep->items[i].node, rep->items[i].op,
			rep->items[i].from_version, rep->to_opset, rep->items[i].reason);
}

static int
write_report(const struct ox_convert_report *rep, const char *model, const char *path,
	     bool written)
{
	json_t *o = ox_cli_convert_json(rep, model, written);
	int r;

	if (!o)
		return -1;
	r = ox_cli_write_json(o, path, JSON_INDENT(2));
	json_decref(o);
	return r;
}

int
ox_cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "opset", required_argument, NULL, 'n' },
		{ "ml-opset", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, 'r' },
		{ "allow-partial", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ox_convert_opts co = { 0 };
	struct ox_convert_report rep = { 0 };
	const char *out = NULL, *report = NULL;
	bool partial = false, quiet = ox_term_quiet(), written = false;
	struct ox_model *m;
	struct ox_diag d;
	char *end;
	int c, n, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:o:r:ph", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 'm': {
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v <= 0 || v > 1000)
				return ox_cli_usage_error("convert", "bad opset '%s'", optarg);
			if (c == 'n')
				co.target = (int)v;
			else
				co.target_ml = (int)v;
			break;
		}
		case 'o': out = optarg; break;
		case 'r': report = optarg; break;
		case 'p': partial = true; break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("convert", "bad option");
		}
	}
	if (optind != argc - 1)
		return ox_cli_usage_error("convert", "expected one MODEL");
	if (!co.target)
		return ox_cli_usage_error("convert", "--opset N is required");
	if (co.target < 7 || co.target > ox_convert_newest_opset())
		return ox_cli_usage_error("convert", "--opset must be between 7 and %d",
					  ox_convert_newest_opset());
	if (!out)
		return ox_cli_usage_error("convert", "-o OUT is required");
	m = ox_cli_load(argv[optind]);
	if (!m)
		return OX_EXIT_ERROR;
	ox_diag_init(&d, argv[optind]);
	n = ox_convert_model(m, &co, &rep, &d);
	if (n < 0) {
		rc = OX_EXIT_ERROR;
		goto done;
	}
	if (!quiet)
		ox_cli_convert_print("convert", argv[optind], &rep);
	rc = n > 0 ? OX_EXIT_FINDING : OX_EXIT_OK;
	if (n == 0 || partial) {
		/* A failed save names the output. */
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		ox_diag_init(&d, out);
		if (ox_model_save(m, out, NULL, &d) < 0)
			rc = OX_EXIT_ERROR;
		else
			written = true;
	}
	if (report && write_report(&rep, argv[optind], report, written) < 0) {
		fprintf(stderr, "%s convert: cannot write the report '%s'\n", ox_prog, report);
		rc = OX_EXIT_ERROR;
	}
	if (!quiet && n > 0)
		fprintf(stderr, "%s convert: %zu node(s) not converted%s\n", ox_prog, rep.n_items,
			written ? " (written anyway: --allow-partial)" : "; no output written");
done:
	ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
	ox_convert_report_release(&rep);
	ox_model_free(m);
	return rc;
}
