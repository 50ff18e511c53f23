#!/usr/bin/env python3
"""biglog.py SRC.jsonl N OUT.jsonl: a log of N records made of copies of a real one.

Copy K renames every build id B to cK-B, so that the copies are separate
builds, and each record gets its checksum again (kshim's "crc32" suffix: the
CRC-32 of the line up to it, as shim/log.c writes it). For bench/run's
queries on a large log; the records are real kbuild calls.
"""
import sys
import zlib

SUFFIX = b',"crc32":"'


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[0])
    src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(src, 'rb') as f:
        lines = [l.rstrip(b'\n') for l in f if l.strip()]
    if not lines:
        sys.exit(f'biglog.py: {src}: no records')
    written = 0
    with open(out, 'wb') as o:
        copy = 0
        while written < n:
            tag = b'"build":"c%d-' % copy
            for l in lines:
                if written >= n:
                    break
                cut = l.rfind(SUFFIX)
                if cut < 0:
                    continue
                body = l[:cut].replace(b'"build":"', tag)
                o.write(body + SUFFIX + b'%08x"}\n' % zlib.crc32(body))
                written += 1
            copy += 1
    print(f'{out}: {written} records', file=sys.stderr)


if __name__ == '__main__':
    main()
