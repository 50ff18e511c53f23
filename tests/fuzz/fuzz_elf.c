/* The ELF layout fingerprint (libelf) of mutated objects, and the depfile parser. */
#include "fuzz.h"
#include "deptab.h"
#include "fingerprint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(const char *path, void *arg)
{
	(void)path;
	(*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".o");
	json_t *fp = file_fingerprint(path, 1);
	json_decref(fp);
	/* the same bytes as a depfile, and as a slot list */
	char *text = fuzz_string(data, size);
	size_t count = 0;
	depfile_parse(text, strlen(text), ignore, &count);
	free(text);
	text = fuzz_string(data, size);
	size_t n;
	free(slots_decode(text, &n));
	free(text);
	return 0;
}
