/* Engagement states from an events log (segkit_engagement_compute): active, at_risk,
 * dormant from the recency and the frequency of each customer's events as of a day.
 * Key design choice: the RFM pass's shape (keymap.c slots, a row range per thread folded
 * into flat per-slot arrays, merged after), since an events log is the largest table a
 * workspace usually holds. */
#include <stdlib.h>
#include <string.h>

#include "family/family_int.h"

#define N_COLS 4

static const char *const k_state_names[SEGKIT_ENGAGEMENT_COUNT] = {"active", "at_risk",
                                                                   "dormant"};

const char *segkit_engagement_state_name(segkit_engagement_state s) {
  return (unsigned)s < SEGKIT_ENGAGEMENT_COUNT ? k_state_names[s] : NULL;
}

void segkit_engagement_options_init(segkit_engagement_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->customer = "customer_id";
  opt->timestamp = "timestamp";
  opt->window_days = 30;
  opt->active_days = 7;
  opt->active_min_events = 2;
  opt->dormant_days = 30;
}

static segkit_status check_options(const segkit_engagement_options *o, segkit_error *err) {
  if (o->window_days < 1 || o->active_days < 1 || o->active_days > o->window_days ||
      o->dormant_days < o->active_days || o->active_min_events < 1) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "engagement thresholds window %d, active %d days / %lld events, "
                            "dormant %d days are inconsistent (expected window >= active >= "
                            "1, dormant >= active, events >= 1)",
                            (int)o->window_days, (int)o->active_days,
                            (long long)o->active_min_events, (int)o->dormant_days);
  }
  return SEGKIT_OK;
}

typedef struct part {
  const sk__fam_col *cust, *ts;
  const sk__keymap *km;
  int32_t as_of, window_start;
  size_t r0, r1;
  uint32_t *last;      /* biased day (day ^ 0x80000000), 0 = no event */
  int64_t *in_window;
} part;

static void *run_part(void *arg) {
  part *p = arg;
  for (size_t row = p->r0; row < p->r1; row++) {
    if (sk__fam_is_null(p->cust, row) || sk__fam_is_null(p->ts, row)) {
      continue;
    }
    int32_t day = sk__fam_day(p->ts, row);
    if (day > p->as_of) {
      continue;
    }
    uint32_t slot = sk__keymap_slot(p->km, sk__fam_key(p->cust, row));
    uint32_t biased = (uint32_t)day ^ 0x80000000u;
    p->last[slot] = biased > p->last[slot] ? biased : p->last[slot];
    p->in_window[slot] += day >= p->window_start;
  }
  return NULL;
}

static segkit_status run_rows(part *parts, int np, size_t n_rows, size_t n_slots,
                              segkit_error *err) {
  size_t k = n_slots ? n_slots : 1;
  for (int i = 0; i < np; i++) {
    parts[i].last = calloc(k, sizeof *parts[i].last);
    parts[i].in_window = calloc(k, sizeof *parts[i].in_window);
    if (parts[i].last == NULL || parts[i].in_window == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n_slots);
    }
    parts[i].r0 = n_rows * (size_t)i / (size_t)np;
    parts[i].r1 = n_rows * (size_t)(i + 1) / (size_t)np;
  }
  sk__run_workers(run_part, parts, sizeof parts[0], np);
  for (int i = 1; i < np; i++) {
    for (size_t s = 0; s < n_slots; s++) {
      parts[0].last[s] = parts[i].last[s] > parts[0].last[s] ? parts[i].last[s] : parts[0].last[s];
      parts[0].in_window[s] += parts[i].in_window[s];
    }
  }
  return SEGKIT_OK;
}

typedef struct out_cols {
  int64_t *keys, *since, *count;
  uint32_t *state;
  size_t n;
} out_cols;

static segkit_status classify(const part *a, const sk__keymap *km,
                              const segkit_engagement_options *o, out_cols *out,
                              size_t counts[SEGKIT_ENGAGEMENT_COUNT], segkit_error *err) {
  size_t n = 0;
  for (size_t s = 0; s < km->n_slots; s++) {
    n += a->last[s] != 0;
  }
  size_t k = n ? n : 1;
  out->keys = malloc(k * sizeof *out->keys);
  out->since = malloc(k * sizeof *out->since);
  out->count = malloc(k * sizeof *out->count);
  out->state = malloc(k * sizeof *out->state);
  if (!out->keys || !out->since || !out->count || !out->state) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n);
  }
  size_t i = 0;
  for (size_t s = 0; s < km->n_slots; s++) {
    if (a->last[s] == 0) {
      continue;
    }
    int64_t since = (int64_t)o->as_of - (int32_t)(a->last[s] ^ 0x80000000u);
    segkit_engagement_state st = SEGKIT_ENGAGEMENT_AT_RISK;
    if (since <= o->active_days && a->in_window[s] >= o->active_min_events) {
      st = SEGKIT_ENGAGEMENT_ACTIVE;
    } else if (since > o->dormant_days) {
      st = SEGKIT_ENGAGEMENT_DORMANT;
    }
    out->keys[i] = sk__keymap_key(km, s);
    out->since[i] = since;
    out->count[i] = a->in_window[s];
    out->state[i] = st;
    if (counts != NULL) {
      counts[st]++;
    }
    i++;
  }
  out->n = n;
  return SEGKIT_OK;
}

static segkit_status make_table(const segkit_column *cust, out_cols *o, segkit_table **out,
                                segkit_error *err) {
  segkit_column_arrays cols[N_COLS];
  memset(cols, 0, sizeof cols);
  uint64_t *off = NULL;
  char *bytes = NULL;
  segkit_status s = sk__fam_customer_column(cust, o->keys, o->n, &cols[0], err);
  if (s == SEGKIT_OK) {
    s = sk__fam_label_column("state", k_state_names, SEGKIT_ENGAGEMENT_COUNT, o->state,
                             &cols[3], &off, &bytes, err);
  }
  if (s != SEGKIT_OK) {
    free((void *)cols[0].data);
    return s;
  }
  cols[1] = (segkit_column_arrays){
      .name = "days_since_last", .type = SEGKIT_TYPE_INT64, .data = o->since};
  cols[2] = (segkit_column_arrays){
      .name = "events_in_window", .type = SEGKIT_TYPE_INT64, .data = o->count};
  o->since = NULL;
  o->count = NULL;
  o->state = NULL;
  s = sk__fam_table_take(o->n, N_COLS, cols, out, err);
  free(off);
  free(bytes);
  return s;
}

static void cleanup(part *parts, int np, out_cols *o, sk__keymap *km) {
  for (int i = 0; i < np; i++) {
    free(parts[i].last);
    free(parts[i].in_window);
  }
  free(o->keys);
  free(o->since);
  free(o->count);
  free(o->state);
  sk__keymap_free(km);
}

segkit_status segkit_engagement_compute(const segkit_table *events,
                                        const segkit_engagement_options *opt,
                                        segkit_table **out,
                                        size_t counts[SEGKIT_ENGAGEMENT_COUNT],
                                        segkit_error *err) {
  if (events == NULL || opt == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_engagement_compute: NULL argument");
  }
  segkit_status s = check_options(opt, err);
  sk__fam_col cust;
  sk__fam_col ts;
  if (s == SEGKIT_OK) {
    s = sk__fam_find(events, opt->customer, "customer", SK__FAM_KEY_TYPES, true, &cust, err);
  }
  if (s == SEGKIT_OK) {
    s = sk__fam_find(events, opt->timestamp, "timestamp", SK__FAM_DAY_TYPES, true, &ts, err);
  }
  if (s != SEGKIT_OK) {
    return s;
  }
  if (counts != NULL) {
    memset(counts, 0, SEGKIT_ENGAGEMENT_COUNT * sizeof *counts);
  }
  size_t n_rows = segkit_table_n_rows(events);
  sk__keymap km;
  part parts[SK__FAM_MAX_THREADS];
  out_cols o;
  memset(&o, 0, sizeof o);
  memset(parts, 0, sizeof parts);
  int np = sk__fam_threads(opt->n_threads, n_rows);
  s = sk__keymap_build(&cust, n_rows, &km, err);
  if (s != SEGKIT_OK) {
    return s;
  }
  int64_t window_start = (int64_t)opt->as_of - opt->window_days + 1;
  for (int i = 0; i < np; i++) {
    parts[i] = (part){.cust = &cust, .ts = &ts, .km = &km, .as_of = opt->as_of,
                      .window_start = window_start < INT32_MIN ? INT32_MIN : (int32_t)window_start};
  }
  s = run_rows(parts, np, n_rows, km.n_slots, err);
  if (s == SEGKIT_OK) {
    s = classify(&parts[0], &km, opt, &o, counts, err);
  }
  if (s == SEGKIT_OK) {
    s = make_table(cust.col, &o, out, err);
  }
  cleanup(parts, np, &o, &km);
  return s;
}
