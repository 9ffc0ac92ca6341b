/* tests/fuzz/fuzz_optimize.c: libFuzzer harness for load + optimize + save.
 *
 * A model that loads goes through shape inference, the default pass pipeline with
 * the IR checker after every pass, serialization to memory and loading again: what
 * `onnx-opt optimize --verify` does, without files. Constant folding runs kernels of
 * the executor, under the default memory limit. */
#include <stdint.h>
#include <stdlib.h>

#include "diag.h"
#include "graph.h"
#include "onnx_io.h"
#include "shape.h"
#include "../../passes/pass.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ox_pipeline_opts po = { "default", NULL, false, 0, 0, true, false };
	struct ox_model *m, *again;
	struct ox_diag d;
	uint8_t *buf;
	size_t len;

	ox_diag_init(&d, "fuzz");
	if (ox_model_load_buffer(data, size, NULL, &m, &d) < 0)
		goto out;
	if (ox_shape_infer(m, 0, &d) < 0 || ox_pipeline_run(m, &po, NULL, &d) < 0)
		goto free;
	if (ox_graph_verify(m->graph, &d) < 0)
		abort(); /* a pass broke an invariant: a bug, not bad input */
	if (ox_model_save_buffer(m, &buf, &len, &d) < 0)
		goto free;
	if (ox_model_load_buffer(buf, len, NULL, &again, &d) == 0)
		ox_model_free(again);
	free(buf);
free:
	ox_model_free(m);
out:
	ox_diag_release(&d);
	return 0;
}
