#!/bin/bash
# Fingerprints in records: the tool's identity (cached), the argv digest (independent of
# where the tree is), input and output digests, ELF layouts, objtool's before/after.
. "$(dirname "$0")/../lib.sh"
export LLVM=-19
sha() { sha256sum "$1" | cut -d' ' -f1; }

test_records_carry_digests_that_match_the_files() {
	printf 'int f(int x) { return x + 1; }\nint g = 3;\n' > a.c
	kshim -O2 -c a.c -o a.o
	rec=$(records | tail -n 1)
	tool=$(echo "$rec" | jq -r .tool)
	assert_eq "tool digest" "$(sha "$tool")" "$(echo "$rec" | jq -r .fp.tool.sha256)"
	# kshim never runs the tool with --version by itself; kshimctl fingerprint asks, once per binary
	assert_eq "no version in the record" null "$(echo "$rec" | jq -r .fp.tool.version)"
	assert_contains "version in the manifest" "$(kshimctl fingerprint | jq -r --arg t "$tool" '.tools[$t].version')" "clang version 19"
	assert_contains "and remembered" "$(records | tail -n 1 | jq -r .tool)" "clang"
	kshim -O2 -c a.c -o a.o
	assert_contains "the next record has it" "$(records | tail -n 1 | jq -r .fp.tool.version)" "clang version 19"
	assert_eq "input digest" "$(sha a.c)" "$(echo "$rec" | jq -r '.fp.inputs["a.c"]')"
	assert_eq "output digest" "$(sha a.o)" "$(echo "$rec" | jq -r '.fp.outputs["a.o"].sha256')"
	# a section's digest is the digest of its bytes
	llvm-objcopy-19 -O binary --only-section=.text a.o text.bin
	assert_eq ".text digest" "$(sha text.bin)" \
		"$(echo "$rec" | jq -r '.fp.outputs["a.o"].sections[] | select(.name == ".text") | .sha256')"
	assert_eq "section count (without the null section)" "$(llvm-readelf-19 -S a.o | grep -c '^ *\[ *[1-9][0-9]*\]')" \
		"$(echo "$rec" | jq '.fp.outputs["a.o"].sections | length')"
	[ "$(echo "$rec" | jq -r '.fp.outputs["a.o"].layout | length')" = 64 ] || fail "no layout digest"
}

test_layout_digest_tells_moved_from_changed() {
	printf 'int f(int x) { return x + 1; }\n' > a.c
	kshim -O2 -c a.c -o a.o
	kshim -O2 -c a.c -o b.o
	# same source, same flags: same layout and contents
	l=$(records | jq -r '.fp.outputs[]?.layout' | sort -u | wc -l)
	assert_eq "same layout" 1 "$l"
	# a different constant: same layout (sizes unchanged), different .text
	printf 'int f(int x) { return x + 2; }\n' > a.c
	kshim -O2 -c a.c -o c.o
	r=$(records | tail -n 1)
	assert_eq "layout unchanged" "$(records | head -n 1 | jq -r '.fp.outputs["a.o"].layout')" "$(echo "$r" | jq -r '.fp.outputs["c.o"].layout')"
	[ "$(records | head -n 1 | jq -r '.fp.outputs["a.o"].sha256')" != "$(echo "$r" | jq -r '.fp.outputs["c.o"].sha256')" ] || fail "contents should differ"
	# more code: the layout moves
	printf 'int f(int x) { return x * x + x / 3 + 7; }\nint h(int y) { return y - 1; }\n' > a.c
	kshim -O2 -c a.c -o d.o
	[ "$(records | head -n 1 | jq -r '.fp.outputs["a.o"].layout')" != "$(records | tail -n 1 | jq -r '.fp.outputs["d.o"].layout')" ] || fail "layout should differ"
}

test_argv_digest_does_not_depend_on_where_the_tree_is() {
	# each tree built by its own make: that make's directory is the build directory ("$B")
	for d in one two; do
		mkdir -p "$d/include" && printf '#define N 1\n' > "$d/include/n.h"
		printf '#include "n.h"\nint n = N;\n' > "$d/a.c"
		printf 'a.o: a.c\n\t$(CC) -I$(CURDIR)/include $(FLAGS) -c a.c -o a.o\n' > "$d/Makefile"
		KSHIM_DIR=$T/.kshim make -s -C "$d" CC=kshim FLAGS=-O2
	done
	rm one/a.o
	KSHIM_DIR=$T/.kshim make -s -C one CC=kshim FLAGS=-O1
	digests=$(records | jq -r .fp.argv)
	assert_eq "same command in two trees" 1 "$(echo "$digests" | head -n 2 | sort -u | wc -l)"
	assert_eq "another flag" 2 "$(echo "$digests" | sort -u | wc -l)"
}

test_objtool_record_has_before_and_after() {
	cat > objtool <<'SH'
#!/bin/sh
for a; do f=$a; done
printf 'x' >> "$f"
SH
	chmod +x objtool
	printf 'original' > o.o
	before=$(sha o.o)
	KSHIM_OBJTOOL=$T/objtool kshim-objtool --orc o.o
	rec=$(records | tail -n 1)
	assert_eq "before" "$before" "$(echo "$rec" | jq -r '.fp.before["o.o"]')"
	assert_eq "after" "$(sha o.o)" "$(echo "$rec" | jq -r '.fp.outputs["o.o"].sha256')"
}

test_probes_and_switch_off_have_no_fingerprint() {
	kshim -Werror -c -x c /dev/null -o /dev/null
	assert_eq "probe" null "$(records | tail -n 1 | jq -c .fp)"
	printf 'int x;\n' > a.c
	KSHIM_FINGERPRINT=0 kshim -c a.c -o a.o
	assert_eq "KSHIM_FINGERPRINT=0" null "$(records | tail -n 1 | jq -c .fp)"
	# a failed call: identity and argv, but no outputs
	printf 'int x = ;\n' > bad.c
	kshim -c bad.c -o bad.o 2> /dev/null
	assert_eq "failed call outputs" null "$(records | tail -n 1 | jq -c .fp.outputs)"
	[ "$(records | tail -n 1 | jq -r .fp.argv | wc -c)" = 65 ] || fail "failed call without argv digest"
}

test_tool_identity_is_hashed_once_per_binary() {
	cp /bin/true mytool
	printf 'x\n' > in.c
	KSHIM_CC=$T/mytool kshim -c in.c -o out.o
	KSHIM_CC=$T/mytool kshim -c in.c -o out.o
	assert_eq "one cache line" 1 "$(grep -c "$T/mytool" "$XDG_CACHE_HOME/kshim/toolids")"
	assert_eq "digest" "$(sha mytool)" "$(records | tail -n 1 | jq -r .fp.tool.sha256)"
	printf '\n' >> mytool	# another binary at the same path: hashed again
	KSHIM_CC=$T/mytool kshim -c in.c -o out.o
	assert_eq "rehashed" "$(sha mytool)" "$(records | tail -n 1 | jq -r .fp.tool.sha256)"
}

test_manifest_of_two_clean_builds_is_identical() {
	mkdir -p src
	printf '#define K 3\n' > src/k.h
	printf '#include "k.h"\nint f(void) { return K; }\n' > src/f.c
	printf 'int f(void);\nint main(void) { return f() - 3; }\n' > src/main.c
	cat > Makefile <<'MK'
prog: src/f.o src/main.o
	$(CC) -fuse-ld=lld -o $@ $^
%.o: %.c
	$(CC) -O2 -c -o $@ $<
clean:
	rm -f prog src/*.o
MK
	kshimctl make -- -s > /dev/null 2>&1 && kshimctl fingerprint -o m1.json
	make -s clean && kshimctl make -- -s > /dev/null 2>&1 && kshimctl fingerprint -o m2.json
	assert_eq "outputs" "prog src/f.o src/main.o" "$(jq -r '.outputs | keys | join(" ")' m1.json)"
	cmp m1.json m2.json || { diff -u m1.json m2.json | head -n 30; fail "two clean builds, different manifests"; }
	# a changed header changes f.o and prog, nothing else
	printf '#define K 4\n' > src/k.h
	make -s clean && kshimctl make -- -s > /dev/null 2>&1; kshimctl fingerprint -o m3.json
	changed=$(jq -r --slurpfile a m1.json '.outputs | to_entries[] | select(.value.sha256 != $a[0].outputs[.key].sha256) | .key' m3.json | paste -sd' ')
	assert_eq "changed outputs" "prog src/f.o" "$changed"
}

test_changed_header_is_named_by_diff() {
	# headers come from the depfile; their digests from the build's shared table
	mkdir -p src include
	printf '#define K 3\n' > include/k.h
	printf '#define J 1\n' > include/j.h
	printf '#include "k.h"\nint f(void) { return K; }\n' > src/f.c
	printf '#include "j.h"\nint g(void) { return J; }\n' > src/g.c
	cat > Makefile <<'MK'
all: src/f.o src/g.o
%.o: %.c
	$(CC) -Iinclude -Wp,-MMD,$(dir $@).$(notdir $@).d -O2 -c -o $@ $<
clean:
	rm -f src/*.o src/.*.d
MK
	kshimctl make -- -s > /dev/null 2>&1
	assert_eq "deps recorded" "2 2" "$(kshimctl log --json --no-probes | jq -r 'select(.fp.deps) | .fp.deps.n' | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "all indexed" "" "$(kshimctl log --json | jq -r '.fp.deps.unindexed // empty')"
	make -s clean && kshimctl make -- -s > /dev/null 2>&1
	kshimctl diff last~1 last > out
	assert_eq "same headers: identical" 0 "$?"
	printf '#define K 4\n' > include/k.h
	make -s clean && kshimctl make -- -s > /dev/null 2>&1
	kshimctl diff -v last~1 last > out
	assert_eq "a header changed" 1 "$?"
	assert_contains "f.o: inputs" "$(cat out)" "src/f.o: inputs"
	assert_contains "which header" "$(cat out)" "inputs changed: \$B/include/k.h"
	assert_not_contains "g.o untouched" "$(cat out)" "src/g.o"
	# the tables are gone: still "inputs", said as best it can
	rm -rf .kshim/deps
	assert_contains "without tables" "$(kshimctl diff -v last~1 last)" "depfile digests differ"
}

test_provenance_statement() {
	printf 'int f(void) { return 1; }\n' > f.c
	printf 'int g(void) { return 2; }\n' > g.c
	printf '[rule dbg]\nrole = cc hostcc\noutput = g.o\nadd = -g\n' > r.ini
	cat > Makefile <<'MK'
all: vmlinux m.ko arch/x86/boot/bzImage
%.o: %.c
	$(CC) -O2 -c -o $@ $<
vmlinux: f.o
	$(LD) -r -o $@ $^ && printf sorted >> $@
m.ko: g.o
	$(LD) -r -o $@ $^
arch/x86/boot/bzImage: vmlinux
	mkdir -p $(dir $@) && cat vmlinux vmlinux > $@
MK
	# vmlinux is rewritten after its link (as scripts/sorttable does): the statement has the final bytes.
	# bzImage is made by a program kshim does not wrap (as arch/x86/boot/tools/build is): a subject by its file,
	# because this build wrote it; an older arch/arm/boot/bzImage is not this build's
	mkdir -p arch/arm/boot && echo old > arch/arm/boot/bzImage && touch -d '2020-01-01' arch/arm/boot/bzImage
	mkdir -p arch/x86_64/boot && ln -s ../../x86/boot/bzImage arch/x86_64/boot/bzImage	# as kbuild makes it
	KSHIM_RULES=$T/r.ini kshimctl make -- -s > /dev/null 2>&1
	kshimctl fingerprint --provenance -o st.json
	assert_eq "exit" 0 "$?"
	assert_eq "statement" "https://in-toto.io/Statement/v1 https://slsa.dev/provenance/v1" \
		"$(jq -r '[._type, .predicateType] | join(" ")' st.json)"
	assert_eq "subjects" "arch/x86/boot/bzImage $(sha arch/x86/boot/bzImage) m.ko $(sha m.ko) vmlinux $(sha vmlinux)" \
		"$(jq -r '[.subject[] | .name, .digest.sha256] | join(" ")' st.json)"
	ld=$(kshimctl log --json --output vmlinux | jq -r .tool)
	assert_eq "the linker, with its digest" "$(sha "$ld")" \
		"$(jq -r --arg u "file://$ld" '.predicate.buildDefinition.resolvedDependencies[] | select(.uri == $u) | .digest.sha256' st.json)"
	assert_eq "the rule file" "$(sha r.ini)" \
		"$(jq -r --arg u "file://$T/r.ini" '.predicate.buildDefinition.resolvedDependencies[] | select(.uri == $u) | .digest.sha256' st.json)"
	assert_contains "make's argv" "$(jq -c .predicate.buildDefinition.externalParameters.make st.json)" '"-s"'
	assert_eq "times" "true" "$(jq '.predicate.runDetails.metadata | (.startedOn | test("^20[0-9-]+T[0-9:]+Z$")) and .finishedOn >= .startedOn' st.json)"
	# nothing to state: an error, not an empty statement
	kshim -c f.c -o only.o
	kshimctl fingerprint --provenance > /dev/null 2> err
	assert_eq "no subjects" 2 "$?"
	assert_contains "why" "$(cat err)" "no vmlinux, bzImage or module"
}

test_old_header_tables_are_pruned() {
	printf '#include "k.h"\nint f(void) { return K; }\n' > f.c
	printf '#define K 1\n' > k.h
	printf 'f.o: f.c\n\t$(CC) -Wp,-MMD,.f.o.d -c -o $@ $<\n' > Makefile
	for i in $(seq 12); do
		rm -f f.o && kshimctl make -- -s > /dev/null 2>&1
	done
	assert_eq "tables kept" 10 "$(ls .kshim/deps/*.tab | wc -l)"
	last=$(kshimctl builds | awk 'NR > 1 { id = $1 } END { print id }')
	[ -f ".kshim/deps/$last.tab" ] || fail "the newest build's table was pruned"
	assert_eq "every build still in the log" 12 "$(kshimctl log --json | jq -r .build | sort -u | wc -l)"
}

test_damaged_header_table_never_breaks_a_call() {
	printf '#include "k.h"\nint f(void) { return K; }\n' > f.c
	printf '#define K 1\n' > k.h
	kshim -Wp,-MMD,.f.o.d -c f.c -o f.o
	tab=$(ls .kshim/deps/*.tab)
	[ -f "$tab" ] || fail "no header table"
	size=$(stat -c %s "$tab")
	# random bytes with the right magic, then random bytes, then a truncated file: calls go on
	{ head -c 8 "$tab"; head -c $((size - 8)) /dev/urandom; } > t && cat t > "$tab"
	kshim -Wp,-MMD,.f.o.d -c f.c -o f.o
	assert_eq "garbage slots: call ok" 0 "$?"
	head -c "$size" /dev/urandom > "$tab"
	kshim -Wp,-MMD,.f.o.d -c f.c -o f.o
	assert_eq "garbage: call ok" 0 "$?"
	assert_eq "garbage: headers hashed anyway" "2 2" "$(records | tail -n 1 | jq -r '[.fp.deps.n, .fp.deps.unindexed] | join(" ")')"
	: > "$tab"
	kshim -Wp,-MMD,.f.o.d -c f.c -o f.o
	assert_eq "truncated: call ok" 0 "$?"
	assert_eq "every call recorded" 4 "$(records | wc -l)"
	kshimctl diff "$(records | head -n 1 | jq -r .build)" "$(records | tail -n 1 | jq -r .build)" > /dev/null
	[ $? -le 1 ] || fail "diff on a damaged table"
}

test_diff_names_what_changed_and_why() {
	mkdir -p src
	for x in f g h; do
		printf 'int %s(int n) { int s = 0; for (int i = 0; i < n; i++) s += i * 3; return s; }\n' $x > src/$x.c
	done
	cat > Makefile <<'MK'
all: src/f.o src/g.o src/h.o
%.o: %.c
	$(CC) -O2 $(CFLAGS_$(notdir $@)) -c -o $@ $<
clean:
	rm -f src/*.o
MK
	kshimctl make -- -s > /dev/null 2>&1
	make -s clean && kshimctl make -- -s > /dev/null 2>&1
	kshimctl diff last~1 last > out
	assert_eq "identical builds" 0 "$?"
	assert_contains "summary" "$(cat out)" "3 output(s) identical, 0 differ"
	# B: a flag for one object (kbuild's CFLAGS_x.o), a changed source, a rule on another
	printf 'int g(int n) { int s = 0; for (int i = 0; i < n; i++) s += i * 5; return s; }\n' > src/g.c
	printf '[rule h-o0]\nrole = cc hostcc\noutput = src/h.o\nreplace = -O2 => -O0\n' > r.ini
	make -s clean && KSHIM_RULES=$T/r.ini kshimctl make -- -s CFLAGS_f.o=-O0 > /dev/null 2>&1
	kshimctl diff -v last~1 last > out
	assert_eq "different builds" 1 "$?"
	cat out
	assert_contains "f.o: flags" "$(cat out)" "src/f.o: flags"
	assert_contains "the flag" "$(cat out)" "only in B: -O0"
	assert_contains "g.o: inputs" "$(cat out)" "src/g.o: inputs"
	assert_contains "which input" "$(cat out)" "inputs changed: src/g.c"
	assert_contains "h.o: flags by a rule" "$(cat out)" "by rule h-o0"
	kshimctl diff --json last~1 last > d.json
	assert_eq "json reasons" "flags inputs flags" "$(jq -r '[.outputs["src/f.o","src/g.o","src/h.o"].reason] | join(" ")' d.json)"
	assert_eq "elf detail" "true" "$(jq -r '.outputs["src/g.o"].elf.changed | index(".text") != null' d.json)"
}

run_tests
