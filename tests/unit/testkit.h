/* Helpers shared by the unit tests: temporary directories and files, reading fixtures. */
#ifndef SEGKIT_TESTKIT_H
#define SEGKIT_TESTKIT_H

#include <stddef.h>

/* Make a fresh temporary directory; returns a malloc'd path the caller frees. */
char *tu_mkdtemp(void);
/* Remove a directory tree made by tu_mkdtemp. */
void tu_rmtree(const char *path);
/* Write bytes to dir/name; returns the malloc'd full path. */
char *tu_write_file(const char *dir, const char *name, const void *data, size_t size);
/* Read a whole file; returns malloc'd bytes (NUL-terminated) and sets *size. NULL on error. */
char *tu_read_file(const char *path, size_t *size);
/* malloc'd "a/b". */
char *tu_path_join(const char *a, const char *b);
/* Drift checks of committed reference files: compare two files token by token (split at
 * spaces and newlines); tokens must be the same text or numbers within rel x |committed| +
 * abs_tol. Returns the number of tokens compared, or -1 with `why` naming the first
 * difference (its token number and both values), a length mismatch or an unreadable file. */
long tu_compare_tokens(const char *committed, const char *fresh, double rel, double abs_tol,
                       char *why, size_t why_size);

#endif
