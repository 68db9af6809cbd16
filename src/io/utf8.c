/* UTF-8 validation for the readers.
 *
 * Rows are checked only when the tokenizer saw a byte >= 0x80 near them, so this runs on
 * the minority of rows that are not pure ASCII. It still skips ASCII runs 16 bytes at a
 * time (a movemask of the high bits), then checks each multi-byte sequence against the
 * table of well-formed sequences in RFC 3629 section 4 (Unicode 15, table 3-7): that
 * table alone rules out overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16
 * surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF). */
#include <string.h>

#include "io/io_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Length of the valid sequence at s[0..n) starting with a byte >= 0x80, or 0. */
static size_t sequence_length(const uint8_t *s, size_t n) {
  uint8_t b0 = s[0];
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  size_t len;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) {
      lo = 0xA0; /* below is an overlong 2-byte form */
    } else if (b0 == 0xED) {
      hi = 0x9F; /* above are the surrogates D800..DFFF */
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) {
      lo = 0x90; /* below is an overlong 3-byte form */
    } else if (b0 == 0xF4) {
      hi = 0x8F; /* above is beyond U+10FFFF */
    }
  } else {
    return 0; /* continuation byte, C0/C1 (overlong), F5..FF */
  }
  if (n < len) {
    return 0; /* truncated */
  }
  if (s[1] < lo || s[1] > hi) {
    return 0;
  }
  for (size_t i = 2; i < len; i++) {
    if (s[i] < 0x80 || s[i] > 0xBF) {
      return 0;
    }
  }
  return len;
}

/* Offset of the first non-ASCII byte at or after i, or n. */
static size_t skip_ascii(const uint8_t *s, size_t i, size_t n) {
#if defined(__SSE2__)
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    unsigned m = (unsigned)_mm_movemask_epi8(v);
    if (m != 0) {
      return i + (size_t)__builtin_ctz(m);
    }
    i += 16;
  }
#else
  while (i + 8 <= n) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if ((w & UINT64_C(0x8080808080808080)) != 0) {
      break;
    }
    i += 8;
  }
#endif
  while (i < n && s[i] < 0x80) {
    i++;
  }
  return i;
}

size_t sk__utf8_find_invalid(const uint8_t *s, size_t n) {
  size_t i = 0;
  for (;;) {
    i = skip_ascii(s, i, n);
    if (i >= n) {
      return n;
    }
    size_t len = sequence_length(s + i, n - i);
    if (len == 0) {
      return i;
    }
    i += len;
  }
}
