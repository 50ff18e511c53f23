/* The log reader: framed records, torn and glued lines, checksums, JSON. */
#include "fuzz.h"
#include "log.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".jsonl");
	struct log_reader r;
	if (log_reader_open(&r, path) == 0) {
		r.quiet = 1;
		json_t *rec;
		int n = 0;
		while (log_reader_next(&r, &rec) > 0 && n++ < 100000) {
			/* what kshimctl does with a record's byte strings */
			json_t *argv = json_object_get(rec, "argv"), *v;
			size_t i;
			json_array_foreach(argv, i, v) free(json_bytes_decode(v));
			json_decref(rec);
		}
		log_reader_close(&r);
	}
	(void)log_line_valid((const char *)data, size);
	return 0;
}
