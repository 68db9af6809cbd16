/* Data-quality profile of a table (segkit/describe.h).
 *
 * Each non-string column is turned into order-preserving 64-bit keys and radix sorted
 * once; distinct count, min, max, quartiles, top values, outlier counts and the key
 * duplicate check are then single passes over the sorted keys. String columns never need
 * sorting: counts per dictionary code give distinct values and top values. Columns are
 * profiled on two threads (the machine's cores), each with its own scratch buffers. */
#include "segkit/describe.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality/quality_int.h"
#include "segkit/datetime.h"

enum { DESCRIBE_THREADS = 2 };

void segkit_describe_options_init(segkit_describe_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->top_n = 5;
  opt->fence_k = 3.0;
  opt->now_us = 0;
  opt->min_date_days = segkit_days_from_civil(1990, 1, 1);
}

/* ---- value formatting ---------------------------------------------------------------- */

static char *dup_text(const char *s) {
  size_t n = strlen(s);
  char *p = malloc(n + 1);
  if (p != NULL) {
    memcpy(p, s, n + 1);
  }
  return p;
}

/* Shortest of %.15g / %.17g that reads back as the same double. */
static void format_double(double v, char *buf, size_t size) {
  snprintf(buf, size, "%.15g", v);
  if (strtod(buf, NULL) != v) {
    snprintf(buf, size, "%.17g", v);
  }
}

static char *key_to_text(segkit_type type, uint64_t key) {
  char buf[64];
  switch (type) {
  case SEGKIT_TYPE_FLOAT64:
    format_double(sk__f64_from_key(key), buf, sizeof buf);
    break;
  case SEGKIT_TYPE_BOOL:
    snprintf(buf, sizeof buf, "%s", sk__i64_from_key(key) ? "true" : "false");
    break;
  case SEGKIT_TYPE_DATE:
    segkit_format_date((int32_t)sk__i64_from_key(key), buf, sizeof buf);
    break;
  case SEGKIT_TYPE_TIMESTAMP:
    segkit_format_timestamp(sk__i64_from_key(key), buf, sizeof buf);
    break;
  default:
    snprintf(buf, sizeof buf, "%lld", (long long)sk__i64_from_key(key));
    break;
  }
  return dup_text(buf);
}

static double key_to_double(segkit_type type, uint64_t key) {
  if (type == SEGKIT_TYPE_FLOAT64) {
    return sk__f64_from_key(key);
  }
  return (double)sk__i64_from_key(key);
}

/* ---- top-N selection ------------------------------------------------------------------ */

/* Candidates kept sorted by count descending; ties keep the earlier (smaller) value,
 * because values arrive in ascending order and only a strictly larger count displaces. */
typedef struct top_slot {
  uint64_t key;
  int64_t count;
} top_slot;

static void top_offer(top_slot *slots, size_t *n, size_t cap, uint64_t key, int64_t count) {
  if (cap == 0) {
    return;
  }
  if (*n == cap && slots[cap - 1].count >= count) {
    return;
  }
  size_t pos = *n < cap ? *n : cap - 1;
  while (pos > 0 && slots[pos - 1].count < count) {
    if (pos < cap) {
      slots[pos] = slots[pos - 1];
    }
    pos--;
  }
  slots[pos].key = key;
  slots[pos].count = count;
  if (*n < cap) {
    (*n)++;
  }
}

/* ---- per-column work ---------------------------------------------------------------- */

typedef struct scratch {
  uint64_t *keys;
  uint64_t *tmp;
  int64_t *counts; /* string columns: count per code */
  size_t counts_cap;
} scratch;

typedef struct describe_job {
  const segkit_table *table;
  const segkit_describe_options *opt;
  segkit_table_profile *profile;
  long key_col;
  int64_t now_us;
  atomic_size_t next_col;
  atomic_int failed; /* first failure wins; status and message below */
  segkit_error error;
  pthread_mutex_t error_lock;
} describe_job;

static int name_looks_like_money(const char *name) {
  static const char *const words[] = {"amount", "price", "revenue", "mrr", "arr", "total",
                                      "cost", "fee", "paid", "spend", "value"};
  char lower[128];
  size_t n = strlen(name);
  if (n >= sizeof lower) {
    n = sizeof lower - 1;
  }
  for (size_t i = 0; i < n; i++) {
    lower[i] = (char)tolower((unsigned char)name[i]);
  }
  lower[n] = '\0';
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (strstr(lower, words[i]) != NULL) {
      return 1;
    }
  }
  return 0;
}

/* Fill keys[] with the non-null values of c as sortable keys; returns how many. */
static size_t gather_keys(const segkit_column *c, uint64_t *keys) {
  size_t n = segkit_column_n_rows(c);
  const uint64_t *valid = segkit_column_validity(c);
  size_t m = 0;
  segkit_type type = segkit_column_type(c);
  for (size_t i = 0; i < n; i++) {
    if (!((valid[i >> 6] >> (i & 63)) & 1)) {
      continue;
    }
    uint64_t k;
    switch (type) {
    case SEGKIT_TYPE_INT64:
      k = sk__key_from_i64(segkit_column_int64(c)[i]);
      break;
    case SEGKIT_TYPE_TIMESTAMP:
      k = sk__key_from_i64(segkit_column_timestamp(c)[i]);
      break;
    case SEGKIT_TYPE_DATE:
      k = sk__key_from_i64(segkit_column_date(c)[i]);
      break;
    case SEGKIT_TYPE_BOOL:
      k = sk__key_from_i64(segkit_column_bool(c)[i]);
      break;
    case SEGKIT_TYPE_FLOAT64: {
      double v = segkit_column_float64(c)[i];
      if (isnan(v)) {
        continue; /* NaN has no order; it is neither a value nor in range */
      }
      k = sk__key_from_f64(v);
      break;
    }
    default:
      continue;
    }
    keys[m++] = k;
  }
  return m;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* R/NumPy type 7 quantile of sorted values. */
static double quantile7(segkit_type type, const uint64_t *sorted, size_t n, double p) {
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  double x_lo = key_to_double(type, sorted[lo]);
  if (lo + 1 >= n) {
    return x_lo;
  }
  double x_hi = key_to_double(type, sorted[lo + 1]);
  return x_lo + (h - (double)lo) * (x_hi - x_lo);
}

/* Type 7 quantile of log(x) for positive sorted values: log is monotonic, so the order
 * statistics of log x are the logs of those of x; only the interpolation differs. */
static double quantile7_log(segkit_type type, const uint64_t *sorted, size_t n, double p) {
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  double x_lo = log(key_to_double(type, sorted[lo]));
  if (lo + 1 >= n) {
    return x_lo;
  }
  double x_hi = log(key_to_double(type, sorted[lo + 1]));
  return x_lo + (h - (double)lo) * (x_hi - x_lo);
}

static segkit_status set_top(segkit_column_profile *cp, segkit_type type, const top_slot *slots,
                             size_t n) {
  cp->top = calloc(n > 0 ? n : 1, sizeof *cp->top);
  if (cp->top == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    cp->top[i].value = key_to_text(type, slots[i].key);
    cp->top[i].count = slots[i].count;
    if (cp->top[i].value == NULL) {
      return SEGKIT_ERR_NOMEM;
    }
    cp->n_top = i + 1;
  }
  return SEGKIT_OK;
}

static segkit_status profile_sortable(describe_job *job, const segkit_column *c,
                                      segkit_column_profile *cp, scratch *s) {
  segkit_type type = segkit_column_type(c);
  size_t m = gather_keys(c, s->keys);
  sk__radix_sort_u64(s->keys, s->tmp, m);
  const uint64_t *k = s->keys;
  size_t top_cap = job->opt->top_n;
  top_slot *slots = calloc(top_cap > 0 ? top_cap : 1, sizeof *slots);
  if (slots == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  size_t n_slots = 0;
  int64_t distinct = 0;
  for (size_t i = 0; i < m;) {
    size_t j = i + 1;
    while (j < m && k[j] == k[i]) {
      j++;
    }
    distinct++;
    top_offer(slots, &n_slots, top_cap, k[i], (int64_t)(j - i));
    i = j;
  }
  cp->n_distinct = distinct;
  segkit_status st = set_top(cp, type, slots, n_slots);
  free(slots);
  if (st != SEGKIT_OK || m == 0) {
    return st;
  }
  cp->has_range = true;
  cp->min = key_to_text(type, k[0]);
  cp->max = key_to_text(type, k[m - 1]);
  if (cp->min == NULL || cp->max == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  cp->q1 = quantile7(type, k, m, 0.25);
  cp->median = quantile7(type, k, m, 0.5);
  cp->q3 = quantile7(type, k, m, 0.75);

  int numeric = type == SEGKIT_TYPE_INT64 || type == SEGKIT_TYPE_FLOAT64 || type == SEGKIT_TYPE_BOOL;
  if (numeric) {
    /* Two-pass mean and variance over sorted values: summing in ascending order keeps
     * the rounding error small without compensation tricks. */
    double sum = 0.0;
    for (size_t i = 0; i < m; i++) {
      sum += key_to_double(type, k[i]);
    }
    double mean = sum / (double)m;
    double ss = 0.0;
    for (size_t i = 0; i < m; i++) {
      double d = key_to_double(type, k[i]) - mean;
      ss += d * d;
    }
    cp->has_moments = true;
    cp->mean = mean;
    cp->stddev = m > 1 ? sqrt(ss / (double)(m - 1)) : 0.0;
  }
  if (type == SEGKIT_TYPE_INT64 || type == SEGKIT_TYPE_FLOAT64) {
    double iqr = cp->q3 - cp->q1;
    /* Fences mean nothing when half the values are one number (IQR 0: every other value
     * would be an "outlier") or for 0/1 flags; those columns get no outlier count. */
    bool fences_apply = iqr > 0 && distinct > 2;
    double kf = job->opt->fence_k;
    cp->fence_low = fences_apply ? cp->q1 - kf * iqr : NAN;
    cp->fence_high = fences_apply ? cp->q3 + kf * iqr : NAN;
    /* Amounts, seats and counts are positive and right-skewed: linear fences flag a tenth
     * of ordinary large customers. When the order statistic under Q1 is positive, the
     * column has more than 10 distinct values (not a rating scale) and Bowley skewness
     * (Q3 + Q1 - 2 median) / IQR is above 0.25, fences are taken on the log scale (Tukey's
     * fences on log x), where such data is roughly symmetric; values <= 0 are then below
     * the low fence. */
    double bowley = fences_apply ? (cp->q3 + cp->q1 - 2.0 * cp->median) / iqr : 0.0;
    size_t q1_index = (size_t)floor((double)(m - 1) * 0.25);
    if (fences_apply && distinct > 10 && key_to_double(type, k[q1_index]) > 0 && bowley > 0.25) {
      double lq1 = quantile7_log(type, k, m, 0.25);
      double lq3 = quantile7_log(type, k, m, 0.75);
      cp->fences_log_scale = true;
      cp->fence_low = exp(lq1 - kf * (lq3 - lq1));
      cp->fence_high = exp(lq3 + kf * (lq3 - lq1));
    }
    for (size_t i = 0; i < m; i++) {
      double v = key_to_double(type, k[i]);
      if (v < 0) {
        cp->n_negative++;
      }
      if (!fences_apply) {
        continue;
      }
      if (v < cp->fence_low) {
        cp->n_outliers_low++;
      } else if (v > cp->fence_high) {
        cp->n_outliers_high++;
      }
    }
    cp->negative_suspicious =
        cp->n_negative > 0 &&
        (name_looks_like_money(cp->name) || (double)cp->n_negative <= 0.01 * (double)m);
  }
  if (type == SEGKIT_TYPE_DATE || type == SEGKIT_TYPE_TIMESTAMP) {
    int64_t now = job->now_us;
    int64_t min_days = job->opt->min_date_days;
    for (size_t i = 0; i < m; i++) {
      int64_t v = sk__i64_from_key(k[i]);
      int64_t us = type == SEGKIT_TYPE_DATE ? v * SEGKIT_US_PER_DAY : v;
      int64_t days = type == SEGKIT_TYPE_DATE ? v : floor_div(v, SEGKIT_US_PER_DAY);
      if (us > now) {
        cp->n_future++;
      }
      if (days < min_days) {
        cp->n_before_min_date++;
      }
    }
  }
  return SEGKIT_OK;
}

/* Occurrences of each dictionary code among the non-null rows of a STRING column, into
 * s->counts (grown as needed); shared by the string profile and the key check. */
static segkit_status count_codes(const segkit_column *c, scratch *s) {
  uint32_t dict_size = segkit_column_dict_size(c);
  if (s->counts == NULL || s->counts_cap < dict_size) {
    int64_t *grown = realloc(s->counts, ((size_t)dict_size + 1) * sizeof *grown);
    if (grown == NULL) {
      return SEGKIT_ERR_NOMEM;
    }
    s->counts = grown;
    s->counts_cap = dict_size;
  }
  memset(s->counts, 0, (size_t)dict_size * sizeof *s->counts);
  size_t n = segkit_column_n_rows(c);
  const uint64_t *valid = segkit_column_validity(c);
  const uint32_t *codes = segkit_column_codes(c);
  for (size_t i = 0; i < n; i++) {
    if ((valid[i >> 6] >> (i & 63)) & 1) {
      s->counts[codes[i]]++;
    }
  }
  return SEGKIT_OK;
}

static segkit_status profile_string(describe_job *job, const segkit_column *c,
                                    segkit_column_profile *cp, scratch *s) {
  uint32_t dict_size = segkit_column_dict_size(c);
  if (count_codes(c, s) != SEGKIT_OK) {
    return SEGKIT_ERR_NOMEM;
  }
  size_t top_cap = job->opt->top_n;
  top_slot *slots = calloc(top_cap > 0 ? top_cap : 1, sizeof *slots);
  if (slots == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  size_t n_slots = 0;
  for (uint32_t code = 0; code < dict_size; code++) {
    int64_t cnt = s->counts[code];
    if (cnt == 0) {
      continue;
    }
    cp->n_distinct++;
    size_t len = 0;
    segkit_column_dict_value(c, code, &len);
    if (len == 0) {
      cp->n_empty_strings += cnt;
    }
    top_offer(slots, &n_slots, top_cap, code, cnt);
  }
  /* Ties among strings: order by value bytes, so output does not depend on code order. */
  for (size_t i = 1; i < n_slots; i++) {
    top_slot cur = slots[i];
    size_t j = i;
    while (j > 0 && slots[j - 1].count == cur.count &&
           strcmp(segkit_column_dict_value(c, (uint32_t)slots[j - 1].key, NULL),
                  segkit_column_dict_value(c, (uint32_t)cur.key, NULL)) > 0) {
      slots[j] = slots[j - 1];
      j--;
    }
    slots[j] = cur;
  }
  cp->top = calloc(n_slots > 0 ? n_slots : 1, sizeof *cp->top);
  segkit_status st = cp->top == NULL ? SEGKIT_ERR_NOMEM : SEGKIT_OK;
  for (size_t i = 0; st == SEGKIT_OK && i < n_slots; i++) {
    cp->top[i].value = dup_text(segkit_column_dict_value(c, (uint32_t)slots[i].key, NULL));
    cp->top[i].count = slots[i].count;
    if (cp->top[i].value == NULL) {
      st = SEGKIT_ERR_NOMEM;
    } else {
      cp->n_top = i + 1;
    }
  }
  free(slots);
  return st;
}

/* Duplicate keys: counts per string code, or runs in the sorted keys of other types. */
static segkit_status profile_key(describe_job *job, scratch *s) {
  segkit_table_profile *p = job->profile;
  const segkit_column *c = segkit_table_column(job->table, (size_t)job->key_col);
  segkit_type type = segkit_column_type(c);
  p->n_null_keys = (int64_t)segkit_column_null_count(c);
  enum { MAX_EXAMPLES = 5 };
  top_slot slots[MAX_EXAMPLES];
  size_t n_slots = 0;
  if (type == SEGKIT_TYPE_STRING) {
    uint32_t dict_size = segkit_column_dict_size(c);
    segkit_status st = count_codes(c, s);
    if (st != SEGKIT_OK) {
      return st;
    }
    for (uint32_t code = 0; code < dict_size; code++) {
      if (s->counts[code] > 1) {
        p->n_duplicate_keys++;
        p->n_rows_with_duplicate_key += s->counts[code];
        top_offer(slots, &n_slots, MAX_EXAMPLES, code, s->counts[code]);
      }
    }
    p->duplicate_examples = calloc(n_slots > 0 ? n_slots : 1, sizeof *p->duplicate_examples);
    if (p->duplicate_examples == NULL) {
      return SEGKIT_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_slots; i++) {
      p->duplicate_examples[i].value =
          dup_text(segkit_column_dict_value(c, (uint32_t)slots[i].key, NULL));
      p->duplicate_examples[i].count = slots[i].count;
      if (p->duplicate_examples[i].value == NULL) {
        st = SEGKIT_ERR_NOMEM;
        break;
      }
      p->n_duplicate_examples = i + 1;
    }
    return st;
  }
  size_t m = gather_keys(c, s->keys);
  sk__radix_sort_u64(s->keys, s->tmp, m);
  for (size_t i = 0; i < m;) {
    size_t j = i + 1;
    while (j < m && s->keys[j] == s->keys[i]) {
      j++;
    }
    if (j - i > 1) {
      p->n_duplicate_keys++;
      p->n_rows_with_duplicate_key += (int64_t)(j - i);
      top_offer(slots, &n_slots, MAX_EXAMPLES, s->keys[i], (int64_t)(j - i));
    }
    i = j;
  }
  p->duplicate_examples = calloc(n_slots > 0 ? n_slots : 1, sizeof *p->duplicate_examples);
  if (p->duplicate_examples == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  for (size_t i = 0; i < n_slots; i++) {
    p->duplicate_examples[i].value = key_to_text(type, slots[i].key);
    p->duplicate_examples[i].count = slots[i].count;
    if (p->duplicate_examples[i].value == NULL) {
      return SEGKIT_ERR_NOMEM;
    }
    p->n_duplicate_examples = i + 1;
  }
  return SEGKIT_OK;
}

static void job_fail(describe_job *job, segkit_status st, const char *what) {
  pthread_mutex_lock(&job->error_lock);
  if (atomic_load(&job->failed) == 0) {
    segkit_error_set(&job->error, st, "describe: %s", what);
    atomic_store(&job->failed, 1);
  }
  pthread_mutex_unlock(&job->error_lock);
}

static void *describe_worker(void *arg) {
  describe_job *job = arg;
  size_t n_rows = segkit_table_n_rows(job->table);
  scratch s;
  memset(&s, 0, sizeof s);
  size_t cap = n_rows > 0 ? n_rows : 1;
  s.keys = malloc(cap * sizeof *s.keys);
  s.tmp = malloc(cap * sizeof *s.tmp);
  if (s.keys == NULL || s.tmp == NULL) {
    job_fail(job, SEGKIT_ERR_NOMEM, "out of memory for sort buffers");
    free(s.keys);
    free(s.tmp);
    return NULL;
  }
  size_t n_cols = segkit_table_n_cols(job->table);
  /* Column index n_cols stands for the key-duplicate check. */
  for (;;) {
    size_t i = atomic_fetch_add(&job->next_col, 1);
    if (i > n_cols || atomic_load(&job->failed)) {
      break;
    }
    segkit_status st = SEGKIT_OK;
    if (i == n_cols) {
      if (job->key_col >= 0) {
        st = profile_key(job, &s);
      }
    } else {
      const segkit_column *c = segkit_table_column(job->table, i);
      segkit_column_profile *cp = &job->profile->columns[i];
      st = segkit_column_type(c) == SEGKIT_TYPE_STRING ? profile_string(job, c, cp, &s)
                                                        : profile_sortable(job, c, cp, &s);
    }
    if (st != SEGKIT_OK) {
      job_fail(job, st, "out of memory");
    }
  }
  free(s.keys);
  free(s.tmp);
  free(s.counts);
  return NULL;
}

static segkit_status init_columns(segkit_table_profile *p, const segkit_table *t) {
  size_t n_cols = segkit_table_n_cols(t);
  p->columns = calloc(n_cols > 0 ? n_cols : 1, sizeof *p->columns);
  if (p->columns == NULL) {
    return SEGKIT_ERR_NOMEM;
  }
  p->n_cols = n_cols;
  for (size_t i = 0; i < n_cols; i++) {
    const segkit_column *c = segkit_table_column(t, i);
    segkit_column_profile *cp = &p->columns[i];
    cp->name = dup_text(segkit_column_name(c));
    if (cp->name == NULL) {
      return SEGKIT_ERR_NOMEM;
    }
    cp->type = segkit_column_type(c);
    cp->n_rows = (int64_t)segkit_column_n_rows(c);
    cp->n_null = (int64_t)segkit_column_null_count(c);
    cp->null_share = cp->n_rows > 0 ? (double)cp->n_null / (double)cp->n_rows : 0.0;
  }
  return SEGKIT_OK;
}

/* ---- order checks between start and end columns ------------------------------------- */

/* Whether a column name (compared lower-cased) has one of the words starting at a word
 * boundary: the name's start, or after '_', '-' or ' '. "ended_at" and "trial_end" have
 * "end"; "calendar" and "weekend" do not. "to" and "from", common inside other words, must
 * also end at a boundary: "valid_to" has "to", "total" does not. */
static bool name_has_word(const char *name, const char *const *words, size_t n_words) {
  char lower[128];
  size_t n = strlen(name);
  if (n >= sizeof lower) {
    n = sizeof lower - 1;
  }
  for (size_t i = 0; i < n; i++) {
    lower[i] = (char)tolower((unsigned char)name[i]);
  }
  lower[n] = '\0';
  for (size_t w = 0; w < n_words; w++) {
    size_t len = strlen(words[w]);
    bool whole = strcmp(words[w], "to") == 0 || strcmp(words[w], "from") == 0;
    for (const char *hit = strstr(lower, words[w]); hit != NULL; hit = strstr(hit + 1, words[w])) {
      bool left = hit == lower || strchr("_- ", hit[-1]) != NULL;
      bool right = !whole || hit[len] == '\0' || strchr("_- ", hit[len]) != NULL;
      if (left && right) {
        return true;
      }
    }
  }
  return false;
}

static bool is_start_name(const char *name) {
  static const char *const words[] = {"start", "begin", "created", "signup", "sign_up", "open",
                                      "from"};
  return name_has_word(name, words, sizeof words / sizeof words[0]);
}

static bool is_end_name(const char *name) {
  static const char *const words[] = {"end", "cancel", "churn", "close", "expire", "until", "to"};
  return name_has_word(name, words, sizeof words / sizeof words[0]);
}

static bool is_time_type(segkit_type t) {
  return t == SEGKIT_TYPE_DATE || t == SEGKIT_TYPE_TIMESTAMP;
}

static int64_t value_us(const segkit_column *c, size_t row) {
  if (segkit_column_type(c) == SEGKIT_TYPE_DATE) {
    return (int64_t)segkit_column_date(c)[row] * SEGKIT_US_PER_DAY;
  }
  return segkit_column_timestamp(c)[row];
}

static segkit_status check_order(const segkit_table *t, segkit_table_profile *p) {
  size_t n_cols = segkit_table_n_cols(t);
  size_t n_rows = segkit_table_n_rows(t);
  for (size_t a = 0; a < n_cols; a++) {
    const segkit_column *start = segkit_table_column(t, a);
    if (!is_time_type(segkit_column_type(start)) || !is_start_name(segkit_column_name(start))) {
      continue;
    }
    for (size_t b = 0; b < n_cols; b++) {
      const segkit_column *end = segkit_table_column(t, b);
      if (b == a || !is_time_type(segkit_column_type(end)) ||
          !is_end_name(segkit_column_name(end)) || is_start_name(segkit_column_name(end))) {
        continue;
      }
      segkit_order_check oc = {NULL, NULL, 0, 0};
      for (size_t r = 0; r < n_rows; r++) {
        if (!segkit_column_is_valid(start, r) || !segkit_column_is_valid(end, r)) {
          continue;
        }
        oc.n_compared++;
        oc.n_end_before_start += value_us(end, r) < value_us(start, r);
      }
      segkit_order_check *grown =
          realloc(p->order_checks, (p->n_order_checks + 1) * sizeof *grown);
      if (grown == NULL) {
        return SEGKIT_ERR_NOMEM;
      }
      p->order_checks = grown;
      oc.start_column = dup_text(segkit_column_name(start));
      oc.end_column = dup_text(segkit_column_name(end));
      p->order_checks[p->n_order_checks++] = oc;
      if (oc.start_column == NULL || oc.end_column == NULL) {
        return SEGKIT_ERR_NOMEM;
      }
    }
  }
  return SEGKIT_OK;
}

segkit_status segkit_describe(const segkit_table *t, const segkit_describe_options *opt,
                              segkit_table_profile **out, segkit_error *err) {
  segkit_describe_options defaults;
  if (opt == NULL) {
    segkit_describe_options_init(&defaults);
    opt = &defaults;
  }
  if (t == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "describe: table and out are required");
  }
  if (!(opt->fence_k >= 0.0) || opt->top_n > 1000) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "describe: fence multiplier must be >= 0 and top values <= 1000");
  }
  long key_col = -1;
  if (opt->key != NULL) {
    key_col = segkit_table_column_index(t, opt->key);
    if (key_col < 0) {
      return segkit_error_set_at(err, SEGKIT_ERR_NOT_FOUND, NULL, 0, 0, opt->key,
                                 "no column named '%s' to use as key", opt->key);
    }
  }
  segkit_table_profile *p = calloc(1, sizeof *p);
  if (p == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "describe: out of memory");
  }
  p->n_rows = (int64_t)segkit_table_n_rows(t);
  if (init_columns(p, t) != SEGKIT_OK || (opt->key != NULL && (p->key = dup_text(opt->key)) == NULL)) {
    segkit_table_profile_free(p);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "describe: out of memory");
  }
  describe_job job;
  memset(&job, 0, sizeof job);
  job.table = t;
  job.opt = opt;
  job.profile = p;
  job.key_col = key_col;
  job.now_us = opt->now_us != 0 ? opt->now_us : segkit_now_us();
  atomic_init(&job.next_col, 0);
  atomic_init(&job.failed, 0);
  pthread_mutex_init(&job.error_lock, NULL);
  pthread_t threads[DESCRIBE_THREADS];
  int started = 0;
  for (int i = 1; i < DESCRIBE_THREADS; i++) {
    if (pthread_create(&threads[i], NULL, describe_worker, &job) == 0) {
      started |= 1 << i;
    }
  }
  describe_worker(&job);
  for (int i = 1; i < DESCRIBE_THREADS; i++) {
    if (started & (1 << i)) {
      pthread_join(threads[i], NULL);
    }
  }
  pthread_mutex_destroy(&job.error_lock);
  if (atomic_load(&job.failed)) {
    segkit_table_profile_free(p);
    if (err != NULL) {
      *err = job.error;
    }
    return job.error.code;
  }
  if (check_order(t, p) != SEGKIT_OK) {
    segkit_table_profile_free(p);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "describe: out of memory");
  }
  *out = p;
  return SEGKIT_OK;
}

static void free_top(segkit_top_value *top, size_t n) {
  if (top == NULL) {
    return;
  }
  for (size_t i = 0; i < n; i++) {
    free(top[i].value);
  }
  free(top);
}

void segkit_table_profile_free(segkit_table_profile *p) {
  if (p == NULL) {
    return;
  }
  for (size_t i = 0; i < p->n_cols; i++) {
    segkit_column_profile *cp = &p->columns[i];
    free(cp->name);
    free(cp->min);
    free(cp->max);
    free_top(cp->top, cp->n_top);
  }
  free(p->columns);
  free(p->key);
  free_top(p->duplicate_examples, p->n_duplicate_examples);
  for (size_t i = 0; i < p->n_order_checks; i++) {
    free(p->order_checks[i].start_column);
    free(p->order_checks[i].end_column);
  }
  free(p->order_checks);
  free(p);
}
