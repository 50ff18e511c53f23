/*
 * log: the JSON Lines log of calls, written by many processes at once.
 *
 * Format: one JSON object per line. The last member is always
 *   ,"crc32":"xxxxxxxx"}
 * where xxxxxxxx is the zlib CRC32 (lowercase hex) of every byte of the line
 * before that member. So the suffix has a fixed length (20 bytes) and a
 * reader checks a line without parsing it first. The first member is always
 * {"kshim":<schema>, so a record can be found again after a torn one.
 *
 * Writing: the log file is opened O_APPEND and each record goes out in one
 * write(2) under flock(LOCK_EX), so that no filesystem can interleave records.
 * A writer killed mid-write leaves at most its own record torn: the next
 * writer checks the last byte under the lock and starts a new line when the
 * record before it did not end in one.
 *
 * Reading: lines that fail the check are torn (or damaged); they are counted,
 * reported with their line number and skipped, never parsed. A valid record
 * glued to the end of a torn one is recovered.
 */
#ifndef KSHIM_LOG_H
#define KSHIM_LOG_H

#include "names.h"

#include <jansson.h>
#include <stdio.h>

#define LOG_CRC_SUFFIX_LEN 20	/* ,"crc32":"xxxxxxxx"} */

/* Serialize rec as a framed line (with crc32 and '\n'). Heap string; *len set. */
char *log_frame(json_t *rec, size_t *len);
/* Compact JSON text of j, exactly as json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(16)); heap. */
char *json_compact(const json_t *j, size_t *len);
/* 1 if line[0..len) (without '\n') is a well-framed record with a valid checksum. */
int log_line_valid(const char *line, size_t len);
/*
 * The record in a line of the log (without its newline): the line itself when
 * its checksum holds, else a complete record after torn bytes on the same
 * line, else NULL. *len is the record's length.
 */
const char *log_line_record(const char *line, size_t n, size_t *len);

struct log_writer {
	int fd;
	char *path;
	int open_errno;	/* why fd < 0 */
};

/* Create dir if needed and open dir/log.jsonl for appending. 0 or -1 (errno in w->open_errno). */
int log_writer_open(struct log_writer *w, const char *dir);
/* Append one framed line. 0 or -1 with errno set. */
int log_writer_append(struct log_writer *w, const char *line, size_t len);
void log_writer_close(struct log_writer *w);

/*
 * Records that could not be written are counted per log dir and build, in
 * ${XDG_RUNTIME_DIR:-/tmp}/kshim-<uid>/lost/. Returns 1 the first time for
 * this (log dir, build) pair, so the caller warns once per build.
 */
int log_count_lost(const char *log_dir, const char *build, const char *reason);
/* Number of lost records for (log dir, build); 0 if none. */
long log_lost_count(const char *log_dir, const char *build);
char *log_lost_path(const char *log_dir, const char *build);

struct log_reader {
	FILE *f;
	char *path;
	char *line;
	size_t cap;
	long lineno;
	long torn;		/* lines that failed the check */
	long records;
	int quiet;		/* do not print torn-line reports */
	long first_torn_line;
};

int log_reader_open(struct log_reader *r, const char *path);
/* 1: *rec is a new reference; 0: end of log; -1: read error. */
int log_reader_next(struct log_reader *r, json_t **rec);
void log_reader_close(struct log_reader *r);

/* argv element helpers: valid UTF-8 -> JSON string, else {"base64": "..."} */
json_t *json_bytes(const char *s);
/* Standard base64 (with padding) of n bytes; heap string. */
char *base64_encode(const void *data, size_t n);
/* Decode what json_bytes produced; heap string or NULL. */
char *json_bytes_decode(const json_t *j);
/*
 * Byte strings as JSON object keys (paths in fp.inputs, fp.outputs): as they
 * are when UTF-8, else "base64:" and their base64 (also for UTF-8 keys that
 * start so). Heap strings.
 */
char *json_key_bytes(const char *s);
char *json_key_decode(const char *key);

#endif
