/* Random streams for the sample generator: seeding of xoshiro256** generators and the few
 * distributions the simulation needs. Key design choice: a stream is a pure function of
 * (seed, stream, index), so customer i gets the same numbers whichever thread simulates
 * it and in whatever order; that is what makes the output independent of n_threads. */
#include <math.h>

#include "sample/sample_int.h"

/* splitmix64 step (Steele, Lea & Flood 2014): advances *x by the golden gamma and returns
 * its finalised value; used to expand a 64-bit key into xoshiro's 256-bit state, as
 * Vigna recommends. */
static uint64_t splitmix64(uint64_t *x) {
  *x += UINT64_C(0x9E3779B97F4A7C15);
  uint64_t z = *x;
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* The splitmix64 finaliser as a hash; a bijection on 64 bits. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void sk__rng_init(sk__rng *r, uint64_t seed, uint64_t stream, uint64_t index) {
  /* Chained hashing: distinct (stream, index) pairs under one seed give distinct keys
   * unless two 64-bit hashes collide. */
  uint64_t key = mix64(seed + UINT64_C(0x9E3779B97F4A7C15));
  key = mix64(key ^ (stream * UINT64_C(0xD1B54A32D192ED03)));
  key = mix64(key ^ (index + UINT64_C(0x8CB92BA72F3D8DD7)));
  for (int i = 0; i < 4; i++) {
    r->s[i] = splitmix64(&key);
  }
  /* An all-zero state is the one state xoshiro cannot leave; splitmix64 never yields four
   * zeros in a row, but keep the guarantee explicit. */
  if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) {
    r->s[0] = 1;
  }
}

int sk__rng_choose(sk__rng *r, const double *w, int n) {
  double total = 0.0;
  for (int i = 0; i < n; i++) {
    total += w[i];
  }
  double u = sk__rng_uniform(r) * total;
  for (int i = 0; i < n - 1; i++) {
    if (u < w[i]) {
      return i;
    }
    u -= w[i];
  }
  return n - 1;
}

double sk__rng_normal(sk__rng *r) {
  /* Marsaglia & Bray (1964) polar method; the second variate is dropped so a stream's
   * draws do not depend on hidden state. */
  for (;;) {
    double u = 2.0 * sk__rng_uniform(r) - 1.0;
    double v = 2.0 * sk__rng_uniform(r) - 1.0;
    double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) {
      return u * sqrt(-2.0 * log(s) / s);
    }
  }
}

int sk__rng_poisson(sk__rng *r, double mean) {
  if (mean <= 0.0) {
    return 0;
  }
  if (mean >= 30.0) {
    double x = floor(mean + sqrt(mean) * sk__rng_normal(r) + 0.5);
    return x < 0.0 ? 0 : (int)x;
  }
  /* Knuth, TAOCP vol. 2, 3.4.1: multiply uniforms until the product drops below e^-mean. */
  double limit = exp(-mean);
  double prod = sk__rng_uniform(r);
  int k = 0;
  while (prod > limit) {
    k++;
    prod *= sk__rng_uniform(r);
  }
  return k;
}
