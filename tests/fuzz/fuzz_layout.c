/* Layout inputs kshim reads from the build tree: thin archives (member lists), action values, seeds. */
#include "fuzz.h"
#include "layout.h"
#include "thinar.h"
#include "util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".a");
	struct thinar ar = THINAR_INIT;
	thinar_read(path, &ar);
	thinar_release(&ar);
	file_kind(path);
	char *s = fuzz_string(data, size);
	enum layout_kind k;
	char *glob = NULL;
	const char *why;
	if (layout_parse(s, &k, &glob, &why) == 0)
		free(glob);
	uint64_t seed;
	layout_seed(s, "fuzz", &seed);
	free(s);
	return 0;
}
