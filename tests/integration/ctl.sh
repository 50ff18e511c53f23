#!/bin/bash
# kshimctl: builds, log filters, stats, compdb, make, help.
. "$(dirname "$0")/../lib.sh"

mini_project() {
	mkdir -p src
	printf 'int f(void){return 1;}\n' > src/f.c
	printf 'int f(void);\nint main(void){return f() - 1;}\n' > src/main.c
	cat > Makefile <<'MK'
all: prog
%.o: %.c
	$(CC) -Wp,-MMD,$(@D)/.$(@F).d -c -o $@ $<
prog: src/f.o src/main.o
	$(CC) -fuse-ld=lld -o $@ $^
probe:
	@$(CC) -Werror -c -x c /dev/null -o /dev/null && echo probe-ok
MK
}

test_make_marks_a_build() {
	mini_project
	LLVM=-19 kshimctl make -- -s all probe > out 2> err
	assert_eq status 0 "$?"
	assert_contains "probe ran" "$(cat out)" probe-ok
	./prog || fail "the program built through kshim does not run"
	n=$(kshimctl builds --json | jq length)
	assert_eq "one build" 1 "$n"
	# f.o, main.o, the link, the probe; not the ld.lld that clang runs for the link (clang's internals)
	assert_eq "calls" 4 "$(kshimctl builds --json | jq '.[0].calls')"
	assert_eq "no ld record" "" "$(kshimctl log --json | jq -r 'select(.role == "ld") | .tool')"
	assert_eq "exit" 0 "$(kshimctl builds --json | jq '.[0].exit')"
	kshimctl builds | grep -q "make.*all probe" || fail "builds does not show the command"
	# a second build, by hand: make is found through /proc
	touch src/f.c
	make -s CC=kshim LLVM=-19 all > /dev/null
	assert_eq "two builds" 2 "$(kshimctl builds --json | jq length)"
	kshimctl builds --json | jq -r '.[1].build' | grep -q '^make-[0-9]*-[0-9]*$' || fail "hand build id"
	assert_eq "last build calls" 2 "$(kshimctl log -b last --json | wc -l)"
	assert_eq "last~1 calls" 4 "$(kshimctl log -b last~1 --json | wc -l)"
}

# Options anywhere on the command line, as GNU tools take them; "--" ends them.
test_options_after_operands() {
	mini_project
	LLVM=-19 kshimctl make -- -s all > /dev/null 2>&1
	kshimctl pin save last -o p.pin 2> err || fail "pin save BUILD -o FILE: $(cat err)"
	[ -s p.pin ] || fail "no pin written"
	kshimctl pin check p.pin last --json > check.json || fail "pin check FILE BUILD --json"
	assert_eq "--json after the operands" 0 "$(jq '.drifted | length' check.json)"
	assert_eq "log: filters after others" "$(kshimctl log --json -b last | wc -l)" "$(kshimctl log -b last --json | wc -l)"
	kshimctl diff last last -v > out || fail "diff A B -v"
	kshimctl fingerprint last -o m.json && [ -s m.json ] || fail "fingerprint BUILD -o FILE"
	kshimctl explain src/f.o --build last > out 2>&1 || fail "explain OBJ --build: $(cat out)"
	# make hands everything from its first make argument on to make (-s here is make's)
	LLVM=-19 kshimctl make all -s > out 2>&1
	assert_eq "make: the rest is make's" 0 "$?"
}

# kbuild's conventions for where a build goes: O=, KBUILD_OUTPUT (the documented alternative),
# M= (an external module: its directory). The log goes to that directory.
test_kbuild_output_and_external_modules() {
	mini_project
	mkdir out mod
	KBUILD_OUTPUT=$T/out make -s CC=kshim LLVM=-19 all > /dev/null || fail "make with KBUILD_OUTPUT"
	[ -f out/.kshim/log.jsonl ] || fail "KBUILD_OUTPUT: no log in out/"
	[ ! -e .kshim ] || fail "KBUILD_OUTPUT: a log in the source tree"
	assert_eq "KBUILD_OUTPUT: the calls" 3 "$(kshimctl log --dir out/.kshim --json | wc -l)"
	rm -f prog src/*.o
	make -s CC=kshim LLVM=-19 M=$T/mod all > /dev/null || fail "make M="
	[ -f mod/.kshim/log.jsonl ] || fail "M=: no log in the module directory"
	[ ! -e .kshim ] || fail "M=: a log in the source tree"
	rm -f prog src/*.o
	KBUILD_OUTPUT=$T/out LLVM=-19 kshimctl make -- -s ARCH=x86 all > /dev/null 2> err || fail "kshimctl make: $(cat err)"
	assert_contains "kshimctl make says where" "$(cat err)" "log in $T/out/.kshim"
	assert_eq "kbuild's variables in the build record" '{"ARCH":"x86","LLVM":"-19","KBUILD_OUTPUT":"'"$T"'/out"}' \
		"$(grep '"event":"start"' out/.kshim/log.jsonl | tail -n 1 | jq -c .kbuild)"
}

# install.sh: what kshim needs to run by default; --dev adds the tests' and the demo's packages.
# kshimctl demo names (--no-install) or installs the packages it misses.
test_install_and_demo_packages() {
	local run dev p
	run=" $("$KSHIM_TESTS/../install.sh" --list) "
	dev=" $("$KSHIM_TESTS/../install.sh" --dev --list) "
	for p in clang-19 lld-19 llvm-19 libjansson-dev; do
		assert_contains "default: $p" "$run" " $p "
	done
	for p in chromium valgrind libcmocka-dev linux-source-6.12 qemu-system-x86 busybox-static lintian; do
		case $run in *" $p "*) fail "default installs $p, a test or demo package" ;; esac
		assert_contains "--dev: $p" "$dev" " $p "
	done
	for p in $(kshimctl demo --packages); do
		assert_contains "--dev: the demo's $p" "$dev" " $p "
	done
	# a machine where none of them is installed (dpkg-query finds nothing)
	mkdir bin && printf '#!/bin/sh\nexit 1\n' > bin/dpkg-query && chmod +x bin/dpkg-query
	PATH=$T/bin:$PATH kshimctl demo --no-install --cache "$T/c" > out 2> err
	assert_eq "--no-install: status" 2 "$?"
	assert_contains "... names what to install" "$(cat err)" "missing packages: linux-source-6.12 make flex"
	assert_contains "... and how" "$(cat err)" "sudo apt-get install linux-source-6.12"
	[ ! -e c ] || fail "--no-install: the demo started anyway"
}

# kshimctl config: each setting's value and where it came from.
test_config_shows_values_and_origins() {
	mkdir -p cfg/kshim
	printf '[log]\nrequired = yes\n[pin]\nmode = error\n' > cfg/kshim/config.ini
	XDG_CONFIG_HOME=$T/cfg KSHIM_PIN_MODE=enforce KSHIM_DIR=$T/logs kshimctl config > out
	assert_eq "status" 0 "$?"
	assert_contains "a file's value, file:line" "$(grep '^log.required' out)" "yes"
	assert_contains "... its origin" "$(grep '^log.required' out)" "$T/cfg/kshim/config.ini:2"
	assert_contains "the environment wins" "$(grep '^pin.mode' out)" "env KSHIM_PIN_MODE"
	assert_contains "an unset one: its default" "$(grep '^pin.file' out)" "default: none"
	assert_eq "--json" "$T/logs env KSHIM_DIR" \
		"$(XDG_CONFIG_HOME=$T/cfg KSHIM_DIR=$T/logs kshimctl config --json | jq -r '.[] | select(.key == "log.dir") | "\(.value) \(.origin)"')"
	printf '[pin]\nmode = sometimes\n' > cfg/kshim/config.ini
	XDG_CONFIG_HOME=$T/cfg kshimctl config > out 2> err
	assert_eq "a bad value: status 2" 2 "$?"
	assert_contains "file:line" "$(cat err)" "config.ini:2: pin mode 'sometimes' is not warn, error or enforce"
}

# Bash completion: commands, a command's options (from its --help), build ids, seeds.
test_bash_completion() {
	. "$KSHIM_TESTS/../completion/kshimctl.bash"
	comp() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _kshimctl; echo "${COMPREPLY[*]}"; }
	assert_eq "a command" "pin" "$(comp kshimctl pi)"
	assert_eq "a subcommand" "save" "$(comp kshimctl pin sa)"
	assert_contains "an option, from --help" "$(comp kshimctl log --js)" "--json"
	assert_contains "replay's options" "$(comp kshimctl replay --ver)" "--verify"
	mini_project
	LLVM=-19 kshimctl make --build-id first -- -s all > /dev/null 2>&1
	assert_contains "build ids" "$(comp kshimctl diff "")" "first"
	assert_contains "... and last~N" "$(comp kshimctl log -b la)" "last~1"
	mkdir -p .kshim && printf '{"seeds": {"3": {"seed": 3}, "7": {"seed": 7}}}\n' > .kshim/sweep.json
	assert_eq "seeds from the results" "3 7" "$(comp kshimctl replay --seed "")"
	assert_eq "--lto values" "thin" "$(comp kshimctl demo --lto th)"
}

test_log_filters() {
	mini_project
	LLVM=-19 kshimctl make -- -s all probe > /dev/null 2>&1
	assert_eq "--probes" 1 "$(kshimctl log --probes --json | wc -l)"
	assert_eq "--no-probes" 3 "$(kshimctl log --no-probes --json | wc -l)"
	assert_eq "--output" "src/f.o" "$(kshimctl log --output 'src/*.o' --json | jq -r '.outputs[0]' | head -n 1)"
	assert_eq "--output **" 2 "$(kshimctl log --output '**.o' --json | wc -l)"
	assert_eq "--role" 4 "$(kshimctl log --role hostcc --json | wc -l)"
	assert_eq "--role cc" 0 "$(kshimctl log --role cc --json | wc -l)"
	assert_eq "--failed" 0 "$(kshimctl log --failed --json | wc -l)"
	printf 'int x = ;\n' > src/f.c
	LLVM=-19 kshimctl make -- -s all > /dev/null 2>&1 && fail "broken build succeeded"
	assert_eq "--failed" 1 "$(kshimctl log --failed --json | wc -l)"
	kshimctl log -b last | grep -q " 1 .*src/f.o" || fail "text log does not show the failure"
	kshimctl log --role nosuch 2> err; assert_eq "bad role" 2 "$?"
	kshimctl log --output 'a[b' 2> err; assert_eq "bad glob" 2 "$?"
	assert_contains "bad glob message" "$(cat err)" "unterminated"
}

test_stats() {
	mini_project
	LLVM=-19 kshimctl make -- -s all probe > /dev/null 2>&1
	kshimctl stats --json > s.json
	assert_eq calls 4 "$(jq .calls s.json)"
	assert_eq probes 1 "$(jq .probes s.json)"
	assert_eq hostcc 4 "$(jq .roles.hostcc.calls s.json)"
	assert_eq lost 0 "$(jq .lost s.json)"
	assert_eq slowest 3 "$(jq '.slowest | length' s.json)"
	kshimctl stats | grep -q "^hostcc *4 *1 *0" || fail "text stats: $(kshimctl stats)"
}

# kshimctl reads a record's build and type from its first bytes and parses only
# the records a query needs: records of another shape and damaged ones still count.
test_records_parsed_only_when_needed_still_all_counted() {
	mini_project
	LLVM=-19 kshimctl make -- -s all > /dev/null 2>&1
	# a record whose "build" is not where kshim writes it, and one with a good checksum around bad JSON
	python3 - .kshim/log.jsonl <<'PY'
import json, sys, zlib
path = sys.argv[1]
lines = open(path).read().splitlines()
call = next(json.loads(l) for l in lines if '"type":"call"' in l and 'src/f.o' in l)
call.pop('crc32')
moved = {k: v for k, v in call.items() if k != 'build'}
moved['build'] = 'moved-build'
moved['outputs'] = ['src/moved "q".o']
def seal(body):
    return body + ',"crc32":"%08x"}' % zlib.crc32(body.encode())
with open(path, 'a') as f:
    f.write(seal(json.dumps(moved, separators=(',', ':'))[:-1]) + '\n')
    f.write(seal('{"kshim":1,"type":"call","build":"bad-build","x":[1,') + '\n')
PY
	assert_eq "found by its build" 'src/moved "q".o' "$(kshimctl log -b moved-build --json | jq -r '.outputs[0]')"
	assert_eq "found by its output" 1 "$(kshimctl log --output 'src/moved "q".o' --json | wc -l)"
	assert_eq "a literal output matches whole names only" 0 "$(kshimctl log --output 'f.o' --json | wc -l)"
	kshimctl builds --json > builds.json 2> err
	assert_eq "builds lists both" "moved-build bad-build" "$(jq -r '.[1:][] | .build' builds.json | tr '\n' ' ' | sed 's/ $//')"
	kshimctl log --json > all.json 2> err
	assert_eq "every good record listed" 4 "$(wc -l < all.json)"
	assert_contains "bad JSON reported where it is" "$(cat err)" "log.jsonl:$(wc -l < .kshim/log.jsonl): record has a valid checksum but is not a JSON object"
	assert_eq "stats of the last build" 0 "$(kshimctl stats -b moved-build --json 2>/dev/null | jq '.failed')"
}

# An entry for each file a call compiles, never for what its options name; one per (file, output);
# no launcher; --latest, --exclude, --keep-launcher.
test_compdb_entries_are_the_compiled_files() {
	mkdir -p src tools
	printf '#define HDR 1\n' > src/cfg.h
	printf 'int f(void){return HDR;}\n' > src/f.c
	printf 'int g(void){return 2;}\n' > tools/g.c
	printf '\t.text\n\t.globl s\ns:\tret\n' > src/s.S
	cat > Makefile <<'MK'
all: src/f.o src/f-again.o src/s.o tools/g.o
src/f.o src/f-again.o: src/f.c
	$(CC) -Wp,-MMD,$(@D)/.$(@F).d -include src/cfg.h -c -o $@ $<
%.o: %.S
	$(CC) -c -o $@ $<
tools/g.o: tools/g.c
	$(CC) -c -o $@ $<
MK
	printf '[rule cc]\nrole = cc hostcc\nsource = tools/**\nlauncher = ccache\nenv = CCACHE_DISABLE=1\n' > r.ini
	KSHIM_RULES=$T/r.ini LLVM=-19 kshimctl make -- -s all > /dev/null 2> err || fail "build: $(cat err)"
	kshimctl compdb -o db.json 2> /dev/null
	assert_eq "the compiled files, per output" "src/f.c src/f.c src/s.S tools/g.c" \
		"$(jq -r '[.[].file | ltrimstr("'"$T"'/")] | sort | join(" ")' db.json)"
	assert_eq "no header, no depfile" 0 "$(jq '[.[] | select(.file | test("\\.h$|\\.d$"))] | length' db.json)"
	assert_eq "two outputs of src/f.c" "$T/src/f-again.o $T/src/f.o" \
		"$(jq -r '[.[] | select(.file | endswith("f.c")) | .output] | sort | join(" ")' db.json)"
	assert_eq "the launcher left out" /usr/bin/clang-19 "$(jq -r '.[] | select(.file | endswith("g.c")) | .arguments[0]' db.json)"
	kshimctl compdb --keep-launcher -o keep.json 2> /dev/null
	assert_eq "--keep-launcher" /usr/bin/ccache "$(jq -r '.[] | select(.file | endswith("g.c")) | .arguments[0]' keep.json)"
	kshimctl compdb --latest -o latest.json 2> /dev/null
	assert_eq "--latest: one per file" 3 "$(jq length latest.json)"
	kshimctl compdb --exclude 'tools/**' -o ex.json 2> /dev/null
	assert_eq "--exclude" 0 "$(jq '[.[] | select(.file | contains("/tools/"))] | length' ex.json)"
	kshimctl compdb --exclude '[' -o bad.json 2> err
	assert_eq "a bad glob: usage error" 2 "$?"
	assert_contains "says why" "$(cat err)" "--exclude '['"
}

test_compdb_is_what_ran() {
	mini_project
	LLVM=-19 kshimctl make -- -s all > /dev/null 2>&1
	kshimctl compdb -o cc.json 2> err
	assert_eq entries 2 "$(jq length cc.json)"
	assert_eq "absolute file" "$T/src/f.c" "$(jq -r '.[] | select(.file | endswith("f.c")) | .file' cc.json)"
	assert_eq directory "$T" "$(jq -r '.[0].directory' cc.json)"
	assert_eq "real compiler" /usr/bin/clang-19 "$(jq -r '.[0].arguments[0]' cc.json)"
	# usable: run the recorded command again
	cmd=$(jq -r '.[] | select(.file | endswith("main.c")) | .arguments | @sh' cc.json)
	eval "$cmd" || fail "recorded command does not run"
	# and clangd takes it as its compilation database
	cp cc.json compile_commands.json
	clangd --compile-commands-dir=. --check=src/main.c > clangd.log 2>&1 || fail "clangd --check failed: $(tail -n 5 clangd.log)"
	grep -q "Loaded compilation database" clangd.log || fail "clangd did not load the database"
	grep -q "All checks completed, 0 errors" clangd.log || fail "clangd found errors: $(grep -i error clangd.log | head -n 3)"
}

test_help_everywhere() {
	kshimctl --help | grep -q "commands:" || fail "kshimctl --help"
	for c in log stats builds compdb make demo; do
		kshimctl "$c" --help > out || fail "$c --help status"
		grep -q "usage: kshimctl $c" out || fail "$c --help text"
		kshimctl help "$c" | grep -q "usage: kshimctl $c" || fail "help $c"
	done
	kshimctl nosuch 2> err; assert_eq "unknown command" 2 "$?"
	kshimctl log --nosuch 2> err; assert_eq "unknown option" 2 "$?"
	assert_contains msg "$(cat err)" "unknown option '--nosuch'"
}

test_no_log_dir_is_clear_error() {
	kshimctl log 2> err
	assert_eq status 2 "$?"
	assert_contains msg "$(cat err)" "no .kshim directory"
}

run_tests
