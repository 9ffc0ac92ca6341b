/* tests/fuzz/fuzz_load.c: libFuzzer harness for the model loader.
 *
 * Any byte string goes through ox_model_load_buffer(); a model that loads is freed
 * again. Built by `make fuzz` (clang with -fsanitize=fuzzer,address,undefined).
 * External data is refused (no directory), so the harness touches no files. */
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "graph.h"
#include "onnx_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ox_model *m;
	struct ox_diag d;

	ox_diag_init(&d, "fuzz");
	if (ox_model_load_buffer(data, size, NULL, &m, &d) == 0)
		ox_model_free(m);
	ox_diag_release(&d);
	return 0;
}
