/* core_int.h: internals of the core module that other files of libsegkit may call.
 *
 * Nothing here is public API: the names carry the sk__ prefix and are hidden by
 * -fvisibility=hidden, so the shared library does not export them. The core module is
 * the base of the module graph (every other module links segkit_core), which is why
 * other modules may include this header; core itself includes no other module's header. */
#ifndef SEGKIT_CORE_INT_H
#define SEGKIT_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- threads (parallel.c) ----------------------------------------------------------- */

/* At most this many worker threads in any computation. */
#define SK__MAX_WORKERS 16

/* Threads to use for n_items: an explicit count (asked > 0) is honoured up to the maximum
 * (tests use it to show results do not depend on it); 0 = one per online CPU, but no more
 * than one per items_per_thread items, below which a thread costs more than it saves. */
int sk__worker_count(int asked, size_t n_items, size_t items_per_thread);

/* Run fn on args[0..n) (elements of `size` bytes), element 0 on the calling thread, the
 * others on new threads (or on the calling thread when one cannot start); returns when
 * all are done. n <= SK__MAX_WORKERS. */
void sk__run_workers(void *(*fn)(void *), void *args, size_t size, int n);

/* ---- hashing (hash.c) ------------------------------------------------------------- */

/* Fast non-cryptographic 64-bit hash of n bytes. Values depend on the seed and on the
 * machine's byte order: never persist them, never compare them across processes. Every
 * output bit depends on every input bit, so callers may take any bits of it. */
uint64_t sk__hash_bytes(const void *data, size_t n, uint64_t seed);

/* ---- date and time pieces shared by datetime.c and time_format.c ------------------ */

/* Days in `month` (1-12) of `year`, Gregorian leap rule. */
unsigned sk__days_in_month(int64_t year, unsigned month);
/* Read a UTC offset at s[0..n): "Z", "+HH", "+HH:MM", "+HHMM" or with '-'. Hours 0-18,
 * minutes 0-59, at most 18:00 in total. On success returns the number of bytes read and
 * sets *seconds_east (UTC+02:00 -> 7200); returns 0 when no valid offset starts at s. */
size_t sk__parse_utc_offset(const char *s, size_t n, int32_t *seconds_east);
/* Microseconds of a validated civil time; no range check beyond what callers did. */
int64_t sk__civil_to_us(int32_t days, unsigned hour, unsigned minute, unsigned second,
                        uint32_t micros, int32_t offset_seconds);
/* Unix seconds of years 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, the range every
 * parser accepts so that any parsed instant formats back as a 4-digit year. */
#define SK_MIN_UNIX_SECONDS INT64_C(-62135596800)
#define SK_MAX_UNIX_SECONDS INT64_C(253402300799)

/* Whether an instant lies in that range (up to 9999-12-31T23:59:59.999999Z). A local time
 * near either end plus its UTC offset can leave it: "9999-12-31T23:59:59-18:00". */
static inline int sk__us_in_range(int64_t us) {
  return us >= SK_MIN_UNIX_SECONDS * 1000000 && us < (SK_MAX_UNIX_SECONDS + 1) * 1000000;
}

#endif
