/*
 * kshimctl: the admin CLI. Thin: global options and dispatch; the commands
 * live in shim/ctl/. `kshimctl help` lists them, `kshimctl CMD --help`
 * explains one, kshimctl(1) has the long form.
 */
#include "ctl.h"
#include "util.h"

#include <stdio.h>
#include <string.h>


#define DIR_OPT "  --dir DIR        the log directory (default: $KSHIM_DIR, else the nearest .kshim/)\n"
#define BUILD_OPT "  -b, --build ID   a build id, a unique prefix of one, 'last' or 'last~N'\n"

const struct ctl_cmd ctl_cmds[] = {
	{ "log", cmd_log, "print the recorded calls",
	  "usage: kshimctl log [OPTIONS]\n\n"
	  "Print recorded calls, one line each:\n"
	  "  START ROLE MODE STATUS WALL OUTPUTS [probe: WHY]\n"
	  "STATUS is the exit code or the signal that killed the tool. Programs that the\n"
	  "preload library could not reach (static, other ELF class) are listed as\n"
	  "\"preload not intercepted: PROGRAM: why\".\n\n"
	  BUILD_OPT
	  "  -r, --role ROLE  cc, hostcc, ld, objtool, or exec (the --all-execs records)\n"
	  "  -e, --execs      also the programs recorded by 'kshimctl make --all-execs'\n"
	  "  -o, --output GLOB  calls with an output matching GLOB ('**' crosses '/'),\n"
	  "                   as kbuild wrote it (relative to the build directory)\n"
	  "  -f, --failed     calls that exited non-zero or died by a signal\n"
	  "  -p, --probes     kbuild's probes only;  --no-probes: real calls only\n"
	  "  -j, --json       the records as JSON Lines (for jq)\n"
	  "  -v, --verbose    also print the argv that ran\n" DIR_OPT },
	{ "stats", cmd_stats, "summarise a build: calls per role, probes, failures, time",
	  "usage: kshimctl stats [-b BUILD] [--json] [--dir DIR]\n\n"
	  "Summarise one build (default: the last): calls, probes and failures per role,\n"
	  "total wall and CPU time of the tools, the slowest calls, and records that\n"
	  "could not be written (lost) or were found torn.\n\n" BUILD_OPT
	  "  -j, --json       as one JSON object\n" DIR_OPT },
	{ "builds", cmd_builds, "list the builds in the log",
	  "usage: kshimctl builds [--json] [--dir DIR]\n\n"
	  "List builds in the order they started. A build is one top-level make run:\n"
	  "'kshimctl make' names it and records its command and exit status; a make run\n"
	  "by hand is found from the process tree (id make-PID-TICKS).\n\n"
	  "  -j, --json       as a JSON array\n" DIR_OPT },
	{ "compdb", cmd_compdb, "write compile_commands.json from the commands that ran",
	  "usage: kshimctl compdb [-b BUILD] [-o FILE] [--latest] [--keep-launcher] [--exclude GLOB]...\n"
	  "                       [--dir DIR]\n\n"
	  "Write a compilation database (for clangd and clang-tidy) from the argv that\n"
	  "actually ran, after kshim's rules: absolute \"file\", \"directory\", \"arguments\",\n"
	  "\"output\". One entry per file a call compiles (its operands; never -include or\n"
	  "-imacros headers, depfiles or outputs) and per output, as Bear writes them.\n"
	  "Probes are left out; so is a launcher (ccache, distcc) before the compiler.\n\n" BUILD_OPT
	  "  -o, --output FILE  where to write (default compile_commands.json; '-' = stdout)\n"
	  "  --latest         one entry per file: the last call that compiled it\n"
	  "  --keep-launcher  keep a launcher in \"arguments\"\n"
	  "  --exclude GLOB   leave out files whose path (relative to the build directory)\n"
	  "                   matches, e.g. 'tools/**'; repeatable\n" DIR_OPT },
	{ "rules", cmd_rules, "check rule files, or show what they do to a call",
	  "usage: kshimctl rules check [--no-tool] [--against BUILD] [--json] [--dir DIR] [FILES...]\n"
	  "       kshimctl rules test [-v] -- CALL...\n\n"
	  "check: load the rule files (default: the ones kshim loads: /etc/kshim/rules.d,\n"
	  "~/.config/kshim/rules.d, $KSHIM_RULES, the trusted .kshim/rules.d here; or FILES)\n"
	  "and report, as file:line: errors, rules that undo each other, flags the real\n"
	  "tool rejects (asked as kbuild's cc-option does; --no-tool skips that), and with\n"
	  "--against BUILD the rules that match no call of that build. Exit 0 clean,\n"
	  "1 findings, 2 usage. --json: {rules, files, errors, findings: [{kind (undo,\n"
	  "rejected, dead), file, line, message}]} (a file's parse errors go to stderr).\n\n"
	  "test: what the rules do to one call, without running it: the argv that would\n"
	  "run and each change with its rule and file:line; -v also lists the rules that\n"
	  "did not match and the first condition that failed.\n"
	  "example: kshimctl rules test -- kshim -D__KERNEL__ -O2 -c kernel/fork.c -o kernel/fork.o\n" },
	{ "explain", cmd_explain, "why a recorded output was made the way it was",
	  "usage: kshimctl explain [-b BUILD] [--json] [--dir DIR] OUTPUT\n\n"
	  "For the last call that made OUTPUT (as kbuild wrote it, e.g. kernel/fork.o) and\n"
	  "objtool's rewrite of it, print each argument that rules added, removed or\n"
	  "replaced, with the rule's name and file:line, then the rules (as the files\n"
	  "are now) that did not match, each with the first condition that failed.\n"
	  "--json: {output, calls: [{role, mode, tool, build, status, rules (the changes,\n"
	  "as recorded), not_matched: [{rule, why}]}]}.\n" BUILD_OPT DIR_OPT },
	{ "stale", cmd_stale, "outputs that the current rules would make differently",
	  "usage: kshimctl stale [-b BUILD] [--invalidate] [--json] [--dir DIR]\n\n"
	  "kbuild rebuilds a target only when its own command line changes, so a changed\n"
	  "rule file does nothing by itself. stale re-applies the current rules to the\n"
	  "newest recorded call that made each output (and objtool's rewrite of it), in\n"
	  "all builds or only BUILD, and lists the outputs whose command, tool or\n"
	  "environment would differ, one per line: OUTPUT<TAB>why.\n"
	  "--invalidate removes exactly those files, so that the next make rebuilds them\n"
	  "and what depends on them, and nothing else. --json: [{output, why, role, mode,\n"
	  "removed}].\n" BUILD_OPT DIR_OPT },
	{ "fingerprint", cmd_fingerprint, "the manifest of a build: outputs, tools and rules as digests",
	  "usage: kshimctl fingerprint [-o FILE] [--provenance] [--dir DIR] [BUILD]\n\n"
	  "Write the manifest of BUILD (default: the last) as JSON with sorted keys:\n"
	  "every output (relative to the build directory) with its SHA-256, its ELF\n"
	  "layout digest, the role and tool that made it and the digest of the argv that\n"
	  "ran (build and source directories written as $B and $S); every tool with its\n"
	  "SHA-256 and --version line; the rule files that changed calls, with their\n"
	  "SHA-256 as they are now. Nothing in it depends on time, process ids or where\n"
	  "the tree is: two clean builds of the same tree give the same manifest.\n"
	  "Records carry the digests in their \"fp\" member (KSHIM_FINGERPRINT=0 turns\n"
	  "them off).\n\n"
	  "  -o, --output FILE  write there ('-' = stdout, the default)\n" DIR_OPT },
	{ "pin", cmd_pin, "save a build's flags and tools as a pin; check a build against one",
	  "usage: kshimctl pin save [--dir DIR] [--whole-tree] -o FILE [BUILD]\n"
	  "       kshimctl pin check [--dir DIR] [--whole-tree] [--json] FILE [BUILD]\n\n"
	  "save: write the effective argv (after rules) and the tool (path and SHA-256)\n"
	  "of every output of BUILD (default: the last) as a pin: plain text, one block\n"
	  "per output and role, sorted, one argument per line, build and source\n"
	  "directories written $B and $S. It diffs well in git.\n\n"
	  "check: compare BUILD with the pin FILE: outputs whose flags or tool drifted\n"
	  "(added and removed arguments, reordering, another tool), outputs the pin\n"
	  "does not know, pinned outputs the build did not make (an incremental build).\n"
	  "Exit 0 when nothing drifted and nothing is unpinned, 1 otherwise, 2 on error.\n\n"
	  "Live: [pin] file = FILE and mode = warn|error|enforce in the config (or\n"
	  "KSHIM_PIN, KSHIM_PIN_MODE): warn records drift in the call's record and\n"
	  "says so once per build; error fails the call, naming the output and the\n"
	  "difference; enforce runs the pinned argv, and the pinned tool if its digest\n"
	  "still matches (else it is an error).\n\n"
	  "  -o, --output FILE  (save) where to write; '-' = stdout\n"
	  "  --json             (check) the report as JSON\n"
	  "  --whole-tree       the tree as BUILD left it: also the outputs that earlier\n"
	  "                     builds of the same directory made and BUILD did not remake\n"
	  "                     (what an incremental build links)\n" DIR_OPT },
	{ "bundle", cmd_bundle, "a self-contained reproducer of one recorded call; --check re-runs one",
	  "usage: kshimctl bundle [--dir DIR] [--build BUILD] [--all-files] -o FILE.tar.gz OUTPUT\n"
	  "       kshimctl bundle --check [--keep] FILE.tar.gz\n\n"
	  "Pack the last successful call that made OUTPUT (relative to the build\n"
	  "directory, as kshimctl log shows it) into FILE.tar.gz: bundle.json (argv and\n"
	  "cwd with the build and source directories written $B and $S, the tool's\n"
	  "path, SHA-256 and version, the allowlisted environment, every file read with\n"
	  "its digest, the outputs' digests), run.sh, and the files it read from the\n"
	  "build and source trees: its inputs, the members of thin archives, the headers\n"
	  "of its depfile. Files outside the two trees (the compiler's own headers) are\n"
	  "named with their digests, not packed, unless --all-files. A file that changed\n"
	  "since the call is an error. The same call gives the same bytes.\n\n"
	  "--check: extract into a temporary directory, verify the packed files, this\n"
	  "machine's copies of the others and the tool, run the call there, and compare\n"
	  "the outputs' digests. Exit 0 when every output is identical, 1 when one\n"
	  "differs (or an input or the tool does), 2 on error (a damaged bundle).\n\n"
	  "  -o, --output FILE  where to write the bundle\n"
	  "  -b, --build BUILD  look in this build only (default: the whole log)\n"
	  "  --all-files        pack files outside the build and source trees too\n"
	  "  --keep             (--check) keep the temporary directory\n" DIR_OPT },
	{ "sweep", cmd_sweep, "relink with seed after seed, run a test on each layout, report which fail",
	  "usage: kshimctl sweep [--dir DIR] --seeds SEEDS --test CMD [--stop-on-fail] [--jobs N]\n"
	  "                      [--timeout SEC] [--results FILE] [--rerun] [--from BUILD]\n"
	  "                      [--relink steps|make] [-- MAKE ARGS]\n"
	  "       kshimctl sweep --emit --seeds SEEDS --test CMD [...]   one command per seed\n"
	  "       kshimctl sweep --merge [--results FILE] FILE...        join results of --emit runs\n"
	  "       kshimctl sweep --table [--results FILE]                print the results\n\n"
	  "The reference is the last build in which a layout rule matched a call (see\n"
	  "kshim-rules(5), 'layout'); those calls' outputs (kbuild's vmlinux.o) are what a\n"
	  "seed changes. For each seed: remove them, run 'kshimctl make' again with the\n"
	  "recorded make arguments (or MAKE ARGS) and KSHIM_SEED=N, so that make relinks\n"
	  "exactly what depends on them, then run CMD with /bin/sh in the build directory\n"
	  "(KSHIM_SEED and KSHIM_SWEEP_BUILD_DIR set). Exit status 0 = pass. A failed\n"
	  "relink is a build-error, with make's error line as the reason.\n\n"
	  "The first seed's make also learns the link sub-makes (kbuild's Makefile.vmlinux_o,\n"
	  "Makefile.modpost, Makefile.vmlinux, the boot image's: the makes still running\n"
	  "when the first layout call started), with their environments; later seeds run\n"
	  "only those (\"relink\": \"steps\"), which skips the top-level make's probes and\n"
	  "descent. A step that fails, or leaves a layout output unwritten, sends the seed\n"
	  "through make (\"steps_failed\" says why). The steps are learned again by every\n"
	  "sweep; a tree changed during a sweep needs --relink make.\n\n"
	  "Recorded per seed: result, exit status, reason (the test's FAIL line, else its\n"
	  "last line), the last 10 lines of its output, the layout digest of each layout\n"
	  "output, SHA-256 of the link outputs and of arch/*/boot/bzImage, the times of\n"
	  "the relink, of its link steps (from the log) and of the test, and the number of\n"
	  "compiler calls during the relink (0 for a layout-only relink; a sweep warns\n"
	  "otherwise). Results go to FILE (default DIR/sweep.json) after every seed; seeds\n"
	  "already there are skipped unless --rerun. Logs: DIR/sweep/seed-N.{make,test}.log.\n\n"
	  "  --seeds SEEDS    N, N-M, or a comma list of those (e.g. 1-50 or 3,7,10-12)\n"
	  "  --test CMD       the test command (e.g. the QEMU oracle kshim-qemu-boot)\n"
	  "  --stop-on-fail   stop at the first seed that does not pass\n"
	  "  -j, --jobs N     N seeds at once, in the build directory and N-1 copies of it\n"
	  "                   made of hard links (DIR/sweep/tree-K); the files a relink writes\n"
	  "                   (measured on the first seed) are real copies in each; each\n"
	  "                   copy is mounted at the build directory's own path in a private\n"
	  "                   mount namespace (root, or unprivileged user namespaces)\n"
	  "  --timeout SEC    kill a test that runs longer (a fail: 'test timed out')\n"
	  "  --emit           print one self-contained command per seed instead (for GNU\n"
	  "                   parallel, a CI matrix, a batch scheduler); each writes\n"
	  "                   DIR/sweep-seed-N.json, which --merge joins\n"
	  "  --from BUILD     the reference build (default: the last with a layout call)\n"
	  "  --relink HOW     steps (default): the link sub-makes alone after the first\n"
	  "                   seed; make: every seed through the top-level make\n\n"
	  "Exit: 0 every requested seed passed, 1 one did not, 2 usage or setup error.\n"
	  "Afterwards the build directory holds the last seed's layout.\n" DIR_OPT },
	{ "replay", cmd_replay, "rebuild the layout of one seed exactly; --verify checks its digests",
	  "usage: kshimctl replay [--dir DIR] --seed N [--verify] [--test CMD] [--results FILE]\n"
	  "                       [--json] [--from BUILD] [-- MAKE ARGS]\n\n"
	  "Relink the build with seed N through make, as kshimctl sweep's first seed does\n"
	  "(seed 0: the plain layout; the whole tree is checked on the way)\n"
	  "and print the layout digests and file digests. --verify compares them with the\n"
	  "ones a sweep recorded for N (DIR/sweep.json or --results) and names each one\n"
	  "that differs. --test CMD runs the test too.\n\n"
	  "Exit: 0 (relinked; verified; the test passed), 1 (a digest differs, the test\n"
	  "failed or the relink did), 2 usage error.\n" DIR_OPT },
	{ "bisect", cmd_bisect, "find the object, then the flag, that separates a good build from a bad one",
	  "usage: kshimctl bisect [--dir DIR] --good PIN|BUILD --bad PIN|BUILD --test CMD\n"
	  "                       [--all] [--objects-only] [--timeout SEC] [--json] [-- MAKE ARGS]\n\n"
	  "GOOD and BAD are pin files or builds of the log (a build stands for the tree as\n"
	  "it left it, earlier builds' objects included). The candidates are the compiled\n"
	  "objects whose effective argv or compiler differ; links and objtool stay the\n"
	  "good side's (every make that bisect runs enforces a pin, see kshimctl pin).\n\n"
	  "1. populate: the candidates of each side are built once, through make with that\n"
	  "   side's pin enforced (only they are removed first; skipped when the tree holds\n"
	  "   what the side's records say), and kept in DIR/objects (content-addressed).\n"
	  "2. objects: mixes of good and bad objects are put in the tree, relinked with\n"
	  "   'kshimctl make' (the recorded make arguments, or MAKE ARGS) and tested with\n"
	  "   CMD (/bin/sh, in the build directory; exit 0 = pass). The all-good and\n"
	  "   all-bad mixes first, then halving: at most ceil(log2 N)+2 test runs for N\n"
	  "   objects, no compiles. --all: go on until the bad build without the culprits\n"
	  "   found passes. A -B in the make arguments is left out; a mix that make\n"
	  "   rebuilt anyway (a newer source) is an error, not a result.\n"
	  "3. flags: on the culprit (each, with --all), subsets of the differences\n"
	  "   between its good and bad command (added, removed and replaced arguments,\n"
	  "   an option with its argument as one; the compiler if it differs) are\n"
	  "   compiled by make and tested: at most ceil(log2 F)+2 compiles for F\n"
	  "   differences. If no single one fails alone, the smallest failing\n"
	  "   combination is searched.\n\n"
	  "The answer names the object, the difference, the rules of the bad build that\n"
	  "put it there (file:line), and writes DIR/bisect/fix.ini (a rule per culprit that\n"
	  "undoes it on that object) and DIR/bisect/fix.pin (the bad pin with the culprits\n"
	  "as in the good one). Good and bad that differ only in their layout seed are\n"
	  "named layout-only: use kshimctl replay and sweep. Progress, with an ETA, on\n"
	  "stderr. Every result is kept in DIR/bisect/state.json: the same bisect started\n"
	  "again skips what it already knows (a new question starts over). The tree is\n"
	  "the good build again at the end. Logs: DIR/bisect/*.make.log, *.test.log.\n\n"
	  "  --good, --bad     a pin file or a build (id, prefix, last, last~N)\n"
	  "  --test CMD        the test (e.g. kshim-qemu-boot bzImage initramfs.cpio)\n"
	  "  --timeout SEC     a test running longer fails ('test timed out')\n"
	  "  --all             find every object that the failure needs\n"
	  "  --objects-only    stop after the object stage\n"
	  "  --json            the answer as one JSON object on stdout\n\n"
	  "Exit: 0 a culprit named; 1 no answer (the good build fails, the bad one passes,\n"
	  "nothing differs, a combination of objects); 2 usage or setup error (a make\n"
	  "that failed); 3 layout-only.\n" DIR_OPT },
	{ "report", cmd_report, "a build, its sweep and a diff as one self-contained HTML page",
	  "usage: kshimctl report [--dir DIR] [-o FILE] [--diff BASE] [--sweep FILE | --no-sweep]\n"
	  "                       [--json] [BUILD]\n\n"
	  "Write one HTML file (default report.html; no network: inline CSS, SVG and\n"
	  "script, the data gzip-compressed inside) about BUILD (default last):\n"
	  "  - a timeline: each call a bar across the parallel slots, coloured by role,\n"
	  "    probes faint, failures outlined; hover shows the command and the rules\n"
	  "    applied;\n"
	  "  - the critical path: from the call that ended last, back through the call\n"
	  "    that wrote one of its inputs and finished last before it started;\n"
	  "  - the slowest calls, calls and time per role (probes apart), rules fired;\n"
	  "  - a sweep (DIR/sweep.json when there is one, or --sweep FILE): a grid of\n"
	  "    seeds, pass or fail, with their layout digests;\n"
	  "  - --diff BASE: what changed from BASE to BUILD (as kshimctl diff).\n"
	  "A plain summary goes to stdout (--json: as JSON, with the page's size).\n"
	  "The page needs a browser with DecompressionStream (Chromium 80, Firefox\n"
	  "113, Safari 16.4 or later).\n\n"
	  "  -o, --output FILE  where to write the page (written whole, then renamed)\n"
	  "  --diff BASE        add the diff from build BASE\n"
	  "  --sweep FILE       the sweep results to show (kshimctl sweep --results)\n"
	  "  --no-sweep         leave DIR/sweep.json out\n"
	  "  --json             the summary as JSON\n\n"
	  "Exit: 0 written; 2 usage or input errors (unknown build, unwritable file).\n" DIR_OPT },
	{ "diff", cmd_diff, "what changed between two builds, output by output, and why",
	  "usage: kshimctl diff [-v] [--json] [--dir DIR] BUILD_A BUILD_B\n\n"
	  "Compare the outputs of two builds of the log (ids, unique prefixes, 'last',\n"
	  "'last~N') by their digests and, for each that differs, compare the calls that\n"
	  "made it, the maker first and then what rewrote it (objtool): 'tool' (another\n"
	  "binary), 'flags' (the arguments only in A and only in B, and the rules that\n"
	  "put them there), 'inputs' (which input files and which headers of the\n"
	  "depfile), or 'nondeterministic' (same tool, flags, inputs and headers). ELF\n"
	  "outputs: whether only the layout moved or the contents changed, and which\n"
	  "sections. A summary first; -v the details; --json all of it.\n"
	  "Exit 0 when every output is identical, 1 when some differ, 2 on errors.\n\n"
	  "  -v, --verbose    flags, rules, inputs and sections for each output\n"
	  "  -j, --json       one JSON object (sorted keys)\n" DIR_OPT },
	{ "trust", cmd_trust, "vet project-local rule files (.kshim/rules.d) so that kshim uses them",
	  "usage: kshimctl trust [FILES|DIRS...]\n"
	  "       kshimctl trust --revoke [FILES|DIRS...]\n"
	  "       kshimctl trust --list\n\n"
	  "A build directory may carry rule files in .kshim/rules.d; kshim ignores them\n"
	  "(and says so once per build) until you have read them and run 'kshimctl trust',\n"
	  "which records each file's SHA-256 under its real path in\n"
	  "${XDG_CONFIG_HOME:-~/.config}/kshim/trusted. A file whose bytes change is\n"
	  "untrusted again. Only files that load without errors can be trusted.\n"
	  "Default: the .ini files of the nearest .kshim/rules.d (here or in a parent).\n\n"
	  "  -r, --revoke     forget the files instead\n"
	  "  -l, --list       print the store: digest, path, ok | changed | missing\n"
	  "  -j, --json       with --list: as JSON [{digest, path, state}]\n" },
	{ "make", cmd_make, "run make with kshim as CC, HOSTCC, LD, HOSTLD and every tool exec'd by path",
	  "usage: kshimctl make [--all-execs] [--no-preload | --preload-only] [--tools LIST] [--dir DIR]\n"
	  "                     [--build-id ID] [--] MAKEARGS...\n\n"
	  "Run make with CC=kshim HOSTCC=kshim LD=kshim-ld HOSTLD=kshim-ld (absolute\n"
	  "paths next to kshimctl) and LD_PRELOAD=libkshim-preload.so, which routes every\n"
	  "exec of a known tool by any path (./tools/objtool/objtool, clang*, ld.lld*,\n"
	  "ld.mold, mold) through the matching kshim role. One build: KSHIM_BUILD and\n"
	  "KSHIM_DIR are set for every call, start and end records (command, exit\n"
	  "status) are logged. The log goes to BUILD_DIR/.kshim, where BUILD_DIR comes\n"
	  "from O= and -C in MAKEARGS. Exits with make's status.\n\n"
	  "  --all-execs      also log every other program run (argv, cwd, exit status,\n"
	  "                   time) as an \"exec\" record: link-vmlinux.sh step by step\n"
	  "  --no-preload     no LD_PRELOAD; objtool=kshim-objtool on make's command line\n"
	  "  --preload-only   no CC=, HOSTCC=, LD=, HOSTLD= on make's command line: the\n"
	  "                   preload alone routes the tools, and kbuild's .cmd files stay\n"
	  "                   those of a plain make (relink a tree built without kshim\n"
	  "                   through it, and nothing is compiled again)\n"
	  "  --tools LIST     what the preload routes, as ROLE:GLOB words (default\n"
	  "                   \"objtool:objtool cc:clang cc:clang-[0-9]* ld:ld.lld\n"
	  "                   ld:ld.lld-[0-9]* ld:ld.mold ld:mold\"); ROLE is cc, ld, objtool\n"
	  "  --build-id ID    name the build (default YYYYmmdd-HHMMSS-PID)\n"
	  "  --dir DIR        the log directory\n\n"
	  "A static program (or one of the other ELF class) cannot load the preload\n"
	  "library; the first exec of each such program in a build is logged as a\n"
	  "\"preload\" record, so that nothing is missed silently.\n\n"
	  "example: kshimctl make --all-execs -- LLVM=-19 -j\"$(nproc)\" bzImage\n" },
	{ "config", cmd_config, "every setting, its value and where it came from",
	  "usage: kshimctl config [--json]\n\n"
	  "Print every setting kshim reads: section.key, its value, and where it came\n"
	  "from: a file's file:line (/etc/kshim/config.ini, ~/.config/kshim/config.ini,\n"
	  "$KSHIM_CONFIG, later files winning), the environment variable (which wins over\n"
	  "every file), or the default. Exit 2 when a file or a value is wrong (the error\n"
	  "is printed, and what loaded is still shown).\n\n"
	  "  -j, --json       as JSON: key, value, origin, env, default, what\n" },
	{ "demo", cmd_demo, "build Debian's linux-source-6.12 through kshim and boot it in QEMU",
	  "usage: kshimctl demo [--cache DIR] [--out DIR] [--jobs N] [--no-boot] [--config-only] [--clean]\n"
	  "                     [--lto thin|full|none] [--no-install] [--packages]\n\n"
	  "Extract /usr/src/linux-source-6.12.tar.xz once into the cache, configure a\n"
	  "tinyconfig-based x86_64 kernel (serial console, initramfs, ORC so objtool runs),\n"
	  "build it through 'kshimctl make' with LLVM=-19, and boot it in QEMU (TCG) with a\n"
	  "busybox initramfs that prints KSHIM-BOOT-OK. Exit 0 when the kernel booted.\n"
	  "--lto thin|full: Clang ThinLTO or full LTO, with kCFI and IBT; none: kCFI and\n"
	  "IBT without LTO.\n"
	  "The Debian packages it needs (--packages lists them: the source, kbuild's tools,\n"
	  "busybox, QEMU) are installed with apt-get when missing, as root or through sudo\n"
	  "without a password; --no-install names them and stops (exit 2) instead.\n" },
};
const size_t ctl_ncmds = ARRAY_SIZE(ctl_cmds);

static void usage(FILE *f)
{
	fprintf(f, "usage: kshimctl [--version] [--help] COMMAND [ARGS]\n\n"
		   "kshim sits between kbuild and clang, ld.lld and objtool, logs every call and\n"
		   "applies rules. Use it as: make LLVM=-19 CC=kshim HOSTCC=kshim LD=kshim-ld\n"
		   "objtool=kshim-objtool, or 'kshimctl make -- ...'.\n\ncommands:\n");
	for (size_t i = 0; i < ctl_ncmds; i++)
		fprintf(f, "  %-11s %s\n", ctl_cmds[i].name, ctl_cmds[i].summary);
	fprintf(f, "  %-11s %s\n", "help", "show this list, or 'help COMMAND' for one command");
	fprintf(f, "\n'kshimctl COMMAND --help' explains one command; see also kshim(1), kshimctl(1).\n");
}

int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	util_progname = "kshimctl";
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("kshimctl %s\n", KSHIM_VERSION);
		return 0;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		const struct ctl_cmd *cmd = ctl_find_cmd(argv[2]);
		if (!cmd) {
			error("no command '%s' (see 'kshimctl help')", argv[2]);
			return 2;
		}
		return ctl_usage(cmd, stdout);
	}
	const struct ctl_cmd *cmd = ctl_find_cmd(name);
	if (!cmd) {
		error("no command '%s' (see 'kshimctl help')", name);
		return 2;
	}
	int ret = cmd->fn(&ctl, argc - 1, argv + 1);
	ctl_release(&ctl);
	return ret;
}
