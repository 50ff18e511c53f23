/*
 * kshimctl's load of a log: the scan (checksums, torn lines, each record's
 * build and type read from its first bytes), the raw member reader, the
 * byte-level "may hold" check and the lazy parse, on any bytes.
 */
#include "fuzz.h"

#include <sys/stat.h>
/* ctl.c itself, so that the harness needs no subcommand (ctl_find_cmd's table is empty here) */
#include "ctl/ctl.c"

const struct ctl_cmd ctl_cmds[] = { { 0 } };
const size_t ctl_ncmds = 0;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the log is DIR/log.jsonl, DIR this process's own */
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/kshim-fuzz-ctl-%d", (int)getpid());
		mkdir(dir, 0700);
	}
	char *log = path_join(dir, LOG_FILE);
	FILE *f = fopen(log, "w");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
	struct ctl ctl = { 0 };
	ctl.dir = xstrdup(dir);
	if (ctl_load(&ctl) == 0) {
		static const char *const keys[] = { "probe", "exit", "signal", "start", "end", "build" };
		const char *v[6];
		size_t l[6];
		for (size_t i = 0; i < ctl.nr && i < 10000; i++) {
			size_t len;
			const char *raw = ctl_rec_raw(&ctl, i, &len);
			if (ctl_rec_members(&ctl, i, keys, v, l, 6) == 0)
				for (int k = 0; k < 6; k++)
					if (v[k] && (v[k] < raw || v[k] + l[k] > raw + len))
						__builtin_trap();	/* a value outside its record */
			(void)ctl_rec_may_hold(&ctl, i, "init/main.o");
			(void)ctl_rec_is(&ctl, i, "call", "b");
			json_t *rec = ctl_rec(&ctl, i);
			const char *b = rec_str(rec, "build"), *mb = ctl_rec_build(&ctl, i);
			/* a record that parses: the scan's build is the parsed one */
			if (json_object_size(rec) && ((b == NULL) != (mb == NULL) || (b && strcmp(b, mb) != 0)))
				__builtin_trap();
		}
		size_t n;
		free(ctl_build_list(&ctl, &n));
	}
	unlink(log);
	free(log);
	ctl_release(&ctl);
	return 0;
}
