/* The rule-file parser (and, when a file loads, applying it to a kernel compile). */
#include "fuzz.h"
#include "argmodel.h"
#include "classify.h"
#include "rules.h"
#include "strvec.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("KSHIM_NO_RULES_CACHE", "1", 1);	/* parse every input, do not serve it from the cache */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".ini");
	struct ruleset rs;
	ruleset_init(&rs);
	if (ruleset_load_path(&rs, path, 0) == 0) {
		char *argv[] = { "clang-19", "-D__KERNEL__", "-nostdinc", "-O2", "-Wp,-MMD,init/.main.o.d", "-c",
				 "-o", "init/main.o", "init/main.c", NULL };
		struct strvec outs = STRVEC_INIT, ins = STRVEC_INIT;
		strvec_push(&outs, "init/main.o");
		strvec_push(&ins, "init/main.c");
		struct rule_subject subj = { .role = ROLE_CC, .mode = MODE_COMPILE, .outputs = &outs, .inputs = &ins,
					     .tool = "/usr/bin/clang-19" };
		struct rule_effect eff;
		rules_apply(&rs, &subj, FAM_CLANG, argv, &eff);
		rule_effect_release(&eff);
		strvec_clear(&outs);
		strvec_clear(&ins);
	}
	ruleset_release(&rs);
	return 0;
}
