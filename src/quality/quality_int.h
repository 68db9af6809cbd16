/* Private helpers of the data-quality module. */
#ifndef SEGKIT_QUALITY_INT_H
#define SEGKIT_QUALITY_INT_H

#include <stddef.h>
#include <stdint.h>

/* Sort keys ascending (LSD radix, 8 bits a pass, passes where every key has the same byte
 * skipped). tmp has room for n keys. The result ends in keys. */
void sk__radix_sort_u64(uint64_t *keys, uint64_t *tmp, size_t n);

/* Order-preserving maps to unsigned keys and back. */
uint64_t sk__key_from_i64(int64_t v);
int64_t sk__i64_from_key(uint64_t k);
uint64_t sk__key_from_f64(double v);
double sk__f64_from_key(uint64_t k);

#endif
