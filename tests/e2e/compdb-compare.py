#!/usr/bin/env python3
"""compdb-compare GEN KSHIM: the kernel's scripts/clang-tools/gen_compile_commands.py
database (GEN) against kshimctl compdb's (KSHIM) for the same tree. Every file the
kernel's script lists must have a kshim entry with the same directory and the same
arguments (the shell words of kbuild's .cmd line) after argv[0], which kbuild records as
CC (kshim) and kshim as the compiler that ran. Prints the files kshim lists beyond the
script's and exits 1 on any mismatch."""
import json, shlex, sys

gen = json.load(open(sys.argv[1]))
ksh = json.load(open(sys.argv[2]))
by_file = {}
for e in ksh:
    by_file.setdefault(e["file"], []).append(e)
bad = 0
for g in gen:
    want = shlex.split(g["command"])
    cands = by_file.get(g["file"], [])
    if not any(c["directory"] == g["directory"] and c["arguments"][1:] == want[1:] for c in cands):
        bad += 1
        if bad <= 5:
            got = cands[0]["arguments"][1:] if cands else None
            print("differs: %s\n  gen:   %s\n  kshim: %s" % (g["file"], want[1:], got))
extra = sorted(set(by_file) - {g["file"] for g in gen})
print("%d files in the kernel's database, %d in kshim's; %d differ; %d only in kshim's%s" %
      (len(gen), len(by_file), bad, len(extra), (": " + " ".join(extra[:20])) if extra else ""))
sys.exit(1 if bad or not gen else 0)
