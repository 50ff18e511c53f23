/* The pin reader: whole-file load and check, the bisecting lookup kshim does per call, word escapes. */
#include "fuzz.h"
#include "pin.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".pin");
	struct pin_block *b;
	size_t n;
	if (pin_load(path, &b, &n) == 0)
		pin_blocks_free(b, n);
	static const char *const keys[][2] = { { "init/main.o", "cc" }, { "vmlinux.o", "ld" }, { "a", "b" }, { "", "" } };
	for (size_t i = 0; i < 4; i++) {
		struct pin_block one;
		if (pin_find(path, keys[i][0], keys[i][1], &one) == 1)
			pin_block_release(&one);
	}
	char *s = fuzz_string(data, size), *e;
	const char *why;
	char *u = pin_unescape(s, "/build", "/src", &why);
	if (u) {
		e = pin_escape(u, "/build", "/src", 1);
		free(e);
		free(u);
	}
	free(s);
	return 0;
}
