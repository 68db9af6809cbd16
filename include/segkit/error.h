/* segkit/error.h: status codes and the error object every fallible call fills.
 *
 * Every function that can fail returns a segkit_status (SEGKIT_OK is 0) and takes a
 * caller-owned segkit_error *err, which it fills on failure and leaves untouched on
 * success. The error says what went wrong and, when the cause is in the user's input,
 * where: input file, 1-based line and column, and the field (column name) involved.
 * The library never prints and never exits; the CLI and server render the error with
 * segkit_error_format() as "file:line:column: message".
 *
 * err may be NULL when the caller does not care about details. The struct is plain
 * data, safe to copy, and needs no cleanup. */
#ifndef SEGKIT_ERROR_H
#define SEGKIT_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SEGKIT_BUILDING)
#define SEGKIT_API __attribute__((visibility("default")))
#else
#define SEGKIT_API
#endif

#if defined(__GNUC__)
#define SEGKIT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SEGKIT_PRINTF(fmt, args)
#endif

/* X-macro: name, CLI exit class, default message. The exit class groups statuses the way
 * `segkit` exit codes do (see docs/cli.md): 2 usage, 3 data, 4 environment, 5 internal. */
#define SEGKIT_STATUS_MAP(X)                                                       \
  X(OK, 0, "success")                                                              \
  X(ERR_USAGE, 2, "invalid argument")                                              \
  X(ERR_PARSE, 3, "malformed input")                                               \
  X(ERR_TYPE, 3, "value does not fit the column type")                             \
  X(ERR_SCHEMA, 3, "schema mismatch")                                              \
  X(ERR_NOT_FOUND, 3, "not found")                                                 \
  X(ERR_EXISTS, 3, "already exists")                                               \
  X(ERR_LIMIT, 3, "a configured limit was exceeded")                               \
  X(ERR_IO, 4, "input/output error")                                               \
  X(ERR_NOMEM, 4, "out of memory")                                                 \
  X(ERR_STORE, 4, "workspace error")                                               \
  X(ERR_INTERNAL, 5, "internal error")

typedef enum segkit_status {
#define SEGKIT_STATUS_ENUM(name, exit_class, msg) SEGKIT_##name,
  SEGKIT_STATUS_MAP(SEGKIT_STATUS_ENUM)
#undef SEGKIT_STATUS_ENUM
  SEGKIT_STATUS_COUNT
} segkit_status;

typedef struct segkit_error {
  segkit_status code;
  char file[256];     /* input file the problem is in, "" if none */
  int64_t line;       /* 1-based line in that file, 0 if not applicable */
  int64_t column;     /* 1-based byte column in that line, 0 if not applicable */
  char field[128];    /* column / field / option name involved, "" if none */
  char message[768];  /* what is wrong, then "(expected ...)" where that helps */
} segkit_error;

/* "ERR_PARSE" style name of a status; never NULL. */
SEGKIT_API const char *segkit_status_name(segkit_status s);
/* Default one-line description of a status; never NULL. */
SEGKIT_API const char *segkit_status_message(segkit_status s);
/* CLI exit code class of a status (0, 2, 3, 4 or 5). */
SEGKIT_API int segkit_status_exit_class(segkit_status s);

/* Reset to SEGKIT_OK with empty location. */
SEGKIT_API void segkit_error_clear(segkit_error *err);

/* Fill err (if non-NULL) and return code, so callers can `return segkit_error_set(...)`. */
SEGKIT_API segkit_status segkit_error_set(segkit_error *err, segkit_status code,
                                          const char *fmt, ...) SEGKIT_PRINTF(3, 4);

/* As segkit_error_set, with a location in the user's input. file/field may be NULL. */
SEGKIT_API segkit_status segkit_error_set_at(segkit_error *err, segkit_status code,
                                             const char *file, int64_t line, int64_t column,
                                             const char *field, const char *fmt, ...)
    SEGKIT_PRINTF(7, 8);

/* Render "file:line:column: message" (parts that are unknown are left out) into buf.
 * Returns the length the full text needs, like snprintf. */
SEGKIT_API size_t segkit_error_format(const segkit_error *err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
