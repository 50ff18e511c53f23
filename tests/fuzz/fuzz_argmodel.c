/*
 * The argv model: NUL-separated words (the first byte picks the tool family),
 * with a response file made of the input itself, parsed and extended the
 * way kshim does per call.
 */
#include "fuzz.h"
#include "argmodel.h"
#include "strvec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum tool_family fam = (enum tool_family)(data[0] % 3);
	data++, size--;
	/* words: NUL-separated, at most 512 */
	struct strvec words = STRVEC_INIT;
	strvec_push(&words, fam == FAM_CLANG ? "clang-19" : fam == FAM_GNULD ? "ld.lld-19" : "objtool");
	char *text = fuzz_string(data, size);
	for (size_t off = 0; off < size && words.nr < 512;) {
		size_t n = strnlen((const char *)data + off, size - off);
		char *w = strndup((const char *)data + off, n);
		strvec_push_nodup(&words, w);
		off += n + 1;
	}
	struct cmdline cl;
	cmdline_parse(&cl, fam, words.v);
	for (size_t i = 0; i < cl.nr; i++)
		(void)cmdline_has(&cl, cl.argv.v[cl.args[i].index]);
	char *more[] = { "-O2", "-o", "x.o", NULL };
	cmdline_append(&cl, more);
	cmdline_release(&cl);

	/* the same bytes as a response file, expanded and parsed */
	const char *rsp = fuzz_file(data, size, ".rsp");
	char *at = malloc(strlen(rsp) + 2);
	sprintf(at, "@%s", rsp);
	char *argv[] = { words.v[0], "-c", at, NULL };
	struct strvec expanded = STRVEC_INIT;
	if (argmodel_expand_atfiles(argv, &expanded) >= 0) {
		cmdline_parse(&cl, fam, expanded.v);
		cmdline_release(&cl);
	}
	strvec_clear(&expanded);
	struct strvec split = STRVEC_INIT;
	argmodel_split_response(text, &split);
	strvec_clear(&split);
	free(at);
	free(text);
	strvec_clear(&words);
	return 0;
}
