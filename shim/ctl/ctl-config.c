/*
 * kshimctl config: every setting kshim reads, with its value and where it
 * came from (a file's file:line, an environment variable, or the default),
 * as `git config --show-origin` does. The table is config.c's.
 */
#include "config.h"
#include "ctl.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_config(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, json = 0;
	(void)ctl;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return ctl_usage(ctl_find_cmd("config"), stdout);
		default: return ctl_bad_option("config", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		error("config: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	struct config cfg;
	config_init(&cfg);
	int bad = config_load(&cfg) < 0;	/* what loaded is still shown; the errors were printed */
	size_t n;
	const struct setting *st = config_settings(&n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct config_value *v = config_field(&cfg, &st[i]);
		char *key = xasprintf("%s.%s", st[i].section, st[i].key);
		if (json) {
			json_t *e = json_pack("{s:s,s:s,s:s,s:s}", "key", key, "env", st[i].env, "default", st[i].def,
					      "what", st[i].what);
			json_object_set_new(e, "value", v->value ? json_bytes(v->value) : json_null());
			json_object_set_new(e, "origin", json_string(v->value ? v->origin : "default"));
			json_array_append_new(arr, e);
		} else if (v->value) {
			printf("%-16s %-28s %s\n", key, v->value, v->origin);
		} else {
			printf("%-16s %-28s default: %s\n", key, "-", st[i].def);
		}
		free(key);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(arr);
	config_release(&cfg);
	return bad ? 2 : 0;
}
