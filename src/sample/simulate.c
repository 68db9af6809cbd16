/* Simulation of one customer: attributes, subscription history, charges and refunds, then
 * product events, appended to a chunk as compact records. Key design choice: time advances
 * by billing periods, not days. Each decision (cancel, change, renew) is taken at a period
 * end with a probability derived from a constant monthly hazard, so the planted effects are
 * exact by construction: a monthly subscription cancels at each renewal with probability h,
 * an annual one with 1 - (1 - h)^12, and an adopter's h is a quarter of a non-adopter's.
 * Changes take effect at renewal (no proration), so a subscription row is a span of
 * constant price and every charge falls on a row's period start. */
#include <math.h>
#include <string.h>

#include "sample/sample_int.h"

/* ==== parameters (documented in segkit/sample.h and docs/sample-data.md) ================= */

/* Share of customers who signed up before the window (the base at its start); calibrated
 * with the hazards so that a customer has about 20 transactions in a 36-month window. */
#define P_PRE_WINDOW 0.74
/* Signups grow exponentially, doubling every three years. */
#define GROWTH_PER_DAY (0.69314718055994531 / (3.0 * 365.25))

static const double size_weights[SK__N_SIZES] = {35, 30, 20, 10, 5};
static const double plan_by_size[SK__N_SIZES][SK__N_PLANS] = {
    {55, 35, 9, 1}, {30, 45, 20, 5}, {12, 40, 35, 13}, {5, 25, 40, 30}, {2, 13, 35, 50}};
static const double p_annual[SK__N_PLANS] = {0.08, 0.12, 0.18, 0.30};
static const int seat_range[SK__N_SIZES][2] = {{1, 5}, {2, 20}, {5, 60}, {10, 200}, {25, 500}};
static const double channel_by_size[3][7] = {
    {30, 25, 15, 5, 3, 12, 10}, {20, 20, 15, 12, 15, 10, 8}, {10, 8, 12, 20, 40, 6, 4}};

/* Monthly churn hazard of a monthly-billed, 11-50 employee, non-adopting customer. */
static const double base_hazard[SK__N_PLANS] = {0.030, 0.020, 0.015, 0.010};
static const double size_hazard[SK__N_SIZES] = {1.25, 1.0, 0.9, 0.8, 0.7};
#define ANNUAL_HAZARD_FACTOR 0.5
#define ADOPTER_HAZARD_RATIO 0.25
static const double p_adopt[SK__N_PLANS] = {0.20, 0.35, 0.45, 0.50};
#define ADOPT_ACCOUNTING_BONUS 0.10

#define TRIAL_DAYS 14
#define P_TRIAL_CONVERT 0.70
#define P_REACTIVATE_PAID 0.15
#define P_REACTIVATE_TRIAL 0.05
#define P_DISCOUNT 0.15
#define P_REFUND_FULL 0.015
#define P_REFUND_HALF 0.005

/* Changes at a renewal the customer did not cancel: per monthly renewal, per annual one. */
enum { CH_SEAT_UP, CH_SEAT_DOWN, CH_UPGRADE, CH_DOWNGRADE, CH_INTERVAL, CH_COUNT };
static const double p_change[2][CH_COUNT] = {{0.020, 0.0066, 0.008, 0.004, 0.004},
                                             {0.20, 0.066, 0.08, 0.04, 0.05}};

/* Events: share of logins followed by a feature use; an adopter's feature use is
 * invoice_automation with this probability. Activity falls linearly to this floor over
 * the last DECLINE_DAYS before a cancellation. */
#define P_FEATURE_AFTER_LOGIN 0.6
#define P_ADOPTER_USES_INVOICING 0.4
#define DECLINE_DAYS 90
#define DECLINE_FLOOR 0.15
#define EVENT_BLOCK_DAYS 30

/* ==== state of one customer's simulation ================================================= */

typedef struct sim {
  const sk__world *w;
  sk__chunk *c;
  sk__rng rng;             /* SK__STREAM_CUSTOMER */
  sk__rng drng;            /* SK__STREAM_DIRTY, used only when dirty */
  bool dirty;
  double dirty_p;
  uint32_t cust;           /* chunk-local index */
  size_t first_sub;        /* the customer's first row in c->subs */
  int size;
  bool adopter;
  int currency;
  int discount;
  int32_t bill_second;     /* billing runs at this second of the day */
  int plan, interval, seats; /* the current row's terms */
} sim;

typedef enum outcome { OUT_ACTIVE, OUT_CANCEL, OUT_CHANGE } outcome;

static uint8_t dirty_bit(sim *s, uint8_t bit) {
  if (!s->dirty) {
    return 0;
  }
  return sk__rng_chance(&s->drng, s->dirty_p) ? bit : 0;
}

/* ==== attributes ========================================================================= */

/* Quantile of a density proportional to e^{g t} on [0, span): customers are numbered in
 * signup order by giving customer i the i-th slice of [0, 1). */
static int32_t growth_quantile(int32_t lo, int32_t hi, double v) {
  double span = (double)(hi - lo);
  double t = log1p(v * expm1(GROWTH_PER_DAY * span)) / GROWTH_PER_DAY;
  int32_t day = lo + (int32_t)t;
  return day < hi ? day : hi - 1;
}

static int32_t signup_day(const sk__world *w, int64_t index, sk__rng *r) {
  double u = ((double)index + sk__rng_uniform(r)) / (double)w->opt.n_customers;
  if (u < P_PRE_WINDOW) {
    /* Customers from before the window are the ones still active at its start; their
     * trial ended before it. */
    return growth_quantile(w->history_start, w->window_start - TRIAL_DAYS - 1, u / P_PRE_WINDOW);
  }
  return growth_quantile(w->window_start, w->window_end + 1,
                         (u - P_PRE_WINDOW) / (1.0 - P_PRE_WINDOW));
}

static int draw_seats(sk__rng *r, int size) {
  /* Log-uniform between the size band's bounds: many small teams, a long tail. */
  double lo = log((double)seat_range[size][0]);
  double hi = log((double)seat_range[size][1] + 1.0);
  int seats = (int)exp(lo + sk__rng_uniform(r) * (hi - lo));
  return seats < 1 ? 1 : seats;
}

static void draw_name(sim *s, sk__cust_rec *cr) {
  const sk__country *co = &sk__countries[cr->country];
  sk__rng *r = &s->rng;
  cr->surname = (uint16_t)sk__rng_below(r, (uint32_t)co->n_surnames);
  /* A second, different surname for "Müller & Weiß" style names. */
  uint32_t other = 1 + sk__rng_below(r, (uint32_t)co->n_surnames - 1);
  cr->surname2 = (uint16_t)((cr->surname + other) % (uint32_t)co->n_surnames);
  cr->noun = (uint8_t)sk__rng_below(r, (uint32_t)sk__n_company_nouns);
  cr->adjective = (uint8_t)sk__rng_below(r, (uint32_t)sk__n_company_adjectives);
  cr->legal_form = (uint8_t)sk__rng_below(r, (uint32_t)co->n_legal_forms);
  static const double form_weights[6] = {48, 30, 12, 6, 2, 0};
  double w[6];
  memcpy(w, form_weights, sizeof w);
  bool french = strcmp(co->code, "FR") == 0 || strcmp(co->code, "CH") == 0 ||
                strcmp(co->code, "BE") == 0;
  w[5] = french ? 25 : 0; /* "Société Lefèvre SARL" */
  cr->name_form = (uint8_t)sk__rng_choose(r, w, 6);
}

static int choose_country(sk__rng *r) {
  double total = 0.0;
  for (int i = 0; i < sk__n_countries; i++) {
    total += sk__countries[i].weight;
  }
  double u = sk__rng_uniform(r) * total;
  for (int i = 0; i < sk__n_countries - 1; i++) {
    if (u < sk__countries[i].weight) {
      return i;
    }
    u -= sk__countries[i].weight;
  }
  return sk__n_countries - 1;
}

static void draw_attributes(sim *s, int64_t index, sk__cust_rec *cr) {
  sk__rng *r = &s->rng;
  memset(cr, 0, sizeof *cr);
  cr->signup = signup_day(s->w, index, r);
  cr->size = (uint8_t)sk__rng_choose(r, size_weights, SK__N_SIZES);
  cr->industry = (uint8_t)sk__rng_choose(r, sk__industry_weights, sk__n_industries);
  cr->country = (uint8_t)choose_country(r);
  cr->city = (uint8_t)sk__rng_below(r, (uint32_t)sk__countries[cr->country].n_cities);
  int band = cr->size <= 1 ? 0 : (cr->size == 2 ? 1 : 2);
  cr->channel = (uint8_t)sk__rng_choose(r, channel_by_size[band], sk__n_channels);
  draw_name(s, cr);

  s->size = cr->size;
  s->currency = sk__countries[cr->country].currency;
  s->plan = sk__rng_choose(r, plan_by_size[cr->size], SK__N_PLANS);
  s->interval = sk__rng_chance(r, p_annual[s->plan]) ? SK__YEAR : SK__MONTH;
  s->seats = draw_seats(r, cr->size);
  s->discount = 0;
  if (sk__rng_chance(r, P_DISCOUNT)) {
    s->discount = sk__rng_chance(r, 0.6) ? 10 : 20;
  }
  double pa = p_adopt[s->plan] + (cr->industry == sk__industry_accounting ? ADOPT_ACCOUNTING_BONUS : 0);
  s->adopter = sk__rng_chance(r, pa);
  s->bill_second = (int32_t)sk__rng_below(r, 86400);
  cr->dirty = (uint8_t)(dirty_bit(s, SK__DIRTY_DUPLICATE) | dirty_bit(s, SK__DIRTY_BAD_DATE));
}

/* ==== subscription rows and charges ========================================================= */

static segkit_status open_row(sim *s, int32_t start, int32_t trial_end, int reason,
                              size_t *row_out) {
  sk__chunk *c = s->c;
  segkit_status st = sk__grow((void **)&c->subs, &c->subs_cap, c->n_subs + 1, sizeof *c->subs);
  if (st != SEGKIT_OK) {
    return st;
  }
  sk__sub_rec *sr = &c->subs[c->n_subs];
  memset(sr, 0, sizeof *sr);
  sr->cust = s->cust;
  sr->start = start;
  sr->trial_end = trial_end;
  sr->end = SK__NO_DATE;
  sr->seats = s->seats;
  sr->unit_price_cents = sk__price_cents[s->plan][s->interval][s->currency];
  sr->plan = (uint8_t)s->plan;
  sr->interval = (uint8_t)s->interval;
  sr->currency = (uint8_t)s->currency;
  sr->discount_pct = (uint8_t)s->discount;
  sr->status = SK__ST_ACTIVE;
  sr->start_reason = (uint8_t)reason;
  *row_out = c->n_subs++;
  return SEGKIT_OK;
}

static void close_row(sim *s, size_t row, int32_t end, int status) {
  sk__sub_rec *sr = &s->c->subs[row];
  sr->end = end;
  sr->status = (uint8_t)status;
  sr->dirty = dirty_bit(s, SK__DIRTY_END_FIRST);
}

static segkit_status push_tx(sim *s, size_t row, int64_t ts, int64_t amount, int kind,
                             int32_t refund_of, size_t *index_out) {
  sk__chunk *c = s->c;
  segkit_status st = sk__grow((void **)&c->txs, &c->txs_cap, c->n_txs + 1, sizeof *c->txs);
  if (st != SEGKIT_OK) {
    return st;
  }
  sk__tx_rec *t = &c->txs[c->n_txs];
  t->ts = ts;
  t->amount_cents = amount;
  t->cust = s->cust;
  t->sub = (uint32_t)row;
  t->refund_of = refund_of;
  t->currency = (uint8_t)s->currency;
  t->kind = (uint8_t)kind;
  t->dirty = (uint8_t)(dirty_bit(s, SK__DIRTY_DUPLICATE) | dirty_bit(s, SK__DIRTY_BAD_DATE));
  if (kind == SK__TX_CHARGE) {
    t->dirty |= dirty_bit(s, SK__DIRTY_NEGATIVE);
  }
  *index_out = c->n_txs++;
  return SEGKIT_OK;
}

/* The charge for the billing period starting on `day`, and maybe a refund of it. */
static segkit_status charge(sim *s, size_t row, int32_t day) {
  const sk__sub_rec *sr = &s->c->subs[row];
  int64_t gross = (int64_t)sr->seats * sr->unit_price_cents;
  int64_t amount = (gross * (100 - sr->discount_pct) + 50) / 100;
  int64_t ts = (int64_t)day * SK__SECONDS_PER_DAY + s->bill_second;
  size_t idx;
  segkit_status st = push_tx(s, row, ts, amount, SK__TX_CHARGE, -1, &idx);
  if (st != SEGKIT_OK) {
    return st;
  }
  double u = sk__rng_uniform(&s->rng);
  if (u >= P_REFUND_FULL + P_REFUND_HALF) {
    return SEGKIT_OK;
  }
  int64_t refund = u < P_REFUND_FULL ? amount : (amount + 1) / 2;
  /* 1-20 days later: always before the next charge, which is at least 28 days away, so
   * a customer's transactions stay in time order without sorting. */
  int32_t rday = day + 1 + (int32_t)sk__rng_below(&s->rng, 20);
  int64_t rts = (int64_t)rday * SK__SECONDS_PER_DAY + sk__rng_below(&s->rng, 86400);
  if (rday > s->w->window_end) {
    return SEGKIT_OK;
  }
  size_t ridx;
  return push_tx(s, row, rts, refund, SK__TX_REFUND, (int32_t)idx, &ridx);
}

/* x^12 by multiplication: exact IEEE arithmetic, so the result does not depend on libm. */
static double pow12(double x) {
  double x2 = x * x;
  double x4 = x2 * x2;
  return x4 * x4 * x4;
}

static double monthly_hazard(const sim *s) {
  double h = base_hazard[s->plan] * size_hazard[s->size];
  if (s->interval == SK__YEAR) {
    h *= ANNUAL_HAZARD_FACTOR;
  }
  if (s->adopter) {
    h *= ADOPTER_HAZARD_RATIO;
  }
  return h;
}

/* Apply change `kind` to the current terms; returns the start reason of the next row, or
 * -1 when the change does not apply (an upgrade from the top plan, fewer than one seat). */
static int apply_change(sim *s, int kind) {
  switch (kind) {
  case CH_SEAT_UP: {
    int add = (int)lround(s->seats * (0.1 + 0.4 * sk__rng_uniform(&s->rng)));
    s->seats += add < 1 ? 1 : add;
    return SK__SR_SEAT_INCREASE;
  }
  case CH_SEAT_DOWN: {
    if (s->seats < 2) {
      return -1;
    }
    int cut = (int)lround(s->seats * (0.1 + 0.2 * sk__rng_uniform(&s->rng)));
    s->seats -= cut < 1 ? 1 : cut;
    return SK__SR_SEAT_DECREASE;
  }
  case CH_UPGRADE:
    if (s->plan + 1 >= SK__N_PLANS) {
      return -1;
    }
    s->plan++;
    return SK__SR_UPGRADE;
  case CH_DOWNGRADE:
    if (s->plan == 0) {
      return -1;
    }
    s->plan--;
    return SK__SR_DOWNGRADE;
  default:
    s->interval = s->interval == SK__MONTH ? SK__YEAR : SK__MONTH;
    return SK__SR_INTERVAL_CHANGE;
  }
}

/* Smallest k >= 1 with anchor + k periods >= day, for a row that started before the window:
 * the customer's first decision in the window is at that boundary. */
static int first_period_at_or_after(int32_t anchor, int months_per, int32_t day) {
  int64_t ya;
  int64_t yd;
  unsigned ma;
  unsigned md;
  unsigned da;
  unsigned dd;
  sk__civil_from_days(anchor, &ya, &ma, &da);
  sk__civil_from_days(day, &yd, &md, &dd);
  int64_t months = (yd * 12 + md) - (ya * 12 + ma);
  int k = (int)(months / months_per) - 1;
  if (k < 1) {
    k = 1;
  }
  while (sk__add_months(anchor, k * months_per) < day) {
    k++;
  }
  while (k > 1 && sk__add_months(anchor, (k - 1) * months_per) >= day) {
    k--;
  }
  return k;
}

/* Bill the row period by period from period k; stop at the window end (the row stays
 * active), at a cancellation or at a change, whose day goes to *day_out. */
static segkit_status run_periods(sim *s, size_t row, int32_t anchor, int k, outcome *out,
                                 int *change_out, int32_t *day_out) {
  const sk__world *w = s->w;
  for (;;) {
    int months_per = s->interval == SK__YEAR ? 12 : 1;
    int32_t begin = sk__add_months(anchor, k * months_per);
    if (begin >= w->window_start && begin <= w->window_end) {
      segkit_status st = charge(s, row, begin);
      if (st != SEGKIT_OK) {
        return st;
      }
    }
    int32_t next = sk__add_months(anchor, (k + 1) * months_per);
    if (next > w->window_end) {
      *out = OUT_ACTIVE;
      return SEGKIT_OK;
    }
    double h = monthly_hazard(s);
    double p_cancel = s->interval == SK__YEAR ? 1.0 - pow12(1.0 - h) : h;
    *day_out = next;
    if (sk__rng_chance(&s->rng, p_cancel)) {
      *out = OUT_CANCEL;
      return SEGKIT_OK;
    }
    double p_any = 0.0;
    for (int i = 0; i < CH_COUNT; i++) {
      p_any += p_change[s->interval][i];
    }
    if (sk__rng_chance(&s->rng, p_any)) {
      int kind = sk__rng_choose(&s->rng, p_change[s->interval], CH_COUNT);
      int reason = apply_change(s, kind);
      if (reason >= 0) {
        *change_out = reason;
        *out = OUT_CHANGE;
        return SEGKIT_OK;
      }
    }
    k++;
  }
}

/* After a cancellation on `day`: maybe come back 1-12 months later, on the same or a
 * cheaper plan, without a trial. Returns the day of return or SK__NO_DATE. */
static int32_t reactivation_day(sim *s, int32_t day, bool was_trial) {
  double p = was_trial ? P_REACTIVATE_TRIAL : P_REACTIVATE_PAID;
  if (!sk__rng_chance(&s->rng, p)) {
    return SK__NO_DATE;
  }
  int32_t back = sk__add_months(day, 1 + (int)sk__rng_below(&s->rng, 12));
  if (s->plan > 0 && sk__rng_chance(&s->rng, 0.3)) {
    s->plan--;
  }
  if (s->interval == SK__YEAR && sk__rng_chance(&s->rng, 0.5)) {
    s->interval = SK__MONTH;
  }
  return back <= s->w->window_end ? back : SK__NO_DATE;
}

static segkit_status simulate_history(sim *s, int32_t signup) {
  const sk__world *w = s->w;
  size_t row;
  int32_t trial_end = signup + TRIAL_DAYS;
  segkit_status st = open_row(s, signup, trial_end, SK__SR_NEW, &row);
  if (st != SEGKIT_OK) {
    return st;
  }
  int32_t anchor = trial_end;
  int k = 0;
  if (signup < w->window_start) {
    k = first_period_at_or_after(anchor, s->interval == SK__YEAR ? 12 : 1, w->window_start) - 1;
  } else if (trial_end > w->window_end) {
    s->c->subs[row].status = SK__ST_TRIALING;
    return SEGKIT_OK;
  } else if (!sk__rng_chance(&s->rng, P_TRIAL_CONVERT)) {
    close_row(s, row, trial_end, SK__ST_CANCELED);
    anchor = reactivation_day(s, trial_end, true);
    if (anchor == SK__NO_DATE) {
      return SEGKIT_OK;
    }
    st = open_row(s, anchor, SK__NO_DATE, SK__SR_REACTIVATION, &row);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  for (;;) {
    outcome out;
    int reason = 0;
    int32_t day = 0;
    st = run_periods(s, row, anchor, k, &out, &reason, &day);
    if (st != SEGKIT_OK || out == OUT_ACTIVE) {
      return st;
    }
    k = 0;
    if (out == OUT_CHANGE) {
      close_row(s, row, day, SK__ST_REPLACED);
      anchor = day;
    } else {
      close_row(s, row, day, SK__ST_CANCELED);
      anchor = reactivation_day(s, day, false);
      if (anchor == SK__NO_DATE) {
        return SEGKIT_OK;
      }
      reason = SK__SR_REACTIVATION;
    }
    st = open_row(s, anchor, SK__NO_DATE, reason, &row);
    if (st != SEGKIT_OK) {
      return st;
    }
  }
}

/* ==== events ============================================================================ */

/* Day the service span containing row `i` ends by cancellation, or SK__NO_DATE when the
 * customer is still a customer at the window end. Rows replaced by a change continue the
 * span. */
static int32_t span_churn_day(const sk__chunk *c, size_t i) {
  for (size_t j = i; j < c->n_subs; j++) {
    if (c->subs[j].status == SK__ST_CANCELED) {
      return c->subs[j].end;
    }
    if (c->subs[j].status != SK__ST_REPLACED) {
      return SK__NO_DATE;
    }
  }
  return SK__NO_DATE;
}

static double activity_factor(int32_t churn_day, int32_t mid_day) {
  if (churn_day == SK__NO_DATE) {
    return 1.0;
  }
  double left = (double)(churn_day - mid_day);
  if (left >= DECLINE_DAYS) {
    return 1.0;
  }
  if (left < 0) {
    left = 0;
  }
  return DECLINE_FLOOR + (1.0 - DECLINE_FLOOR) * left / DECLINE_DAYS;
}

typedef struct event_gen {
  sim *s;
  sk__rng rng;             /* SK__STREAM_EVENTS */
  double engagement;       /* the customer's activity level, 0.5-1.5 */
  bool need_invoicing;     /* an adopter's first block still owes an invoice_automation use */
  size_t n;                /* events in scratch */
} event_gen;

static segkit_status scratch_push(event_gen *g, int64_t ts, uint8_t code) {
  sk__chunk *c = g->s->c;
  if (g->n == c->scratch_cap) {
    /* Both arrays always have scratch_cap slots; grow the second to the first's new size. */
    size_t cap = c->scratch_cap;
    segkit_status st = sk__grow((void **)&c->scratch_ts, &cap, g->n + 1, sizeof *c->scratch_ts);
    if (st != SEGKIT_OK) {
      return st;
    }
    size_t kind_cap = c->scratch_cap;
    st = sk__grow((void **)&c->scratch_kind, &kind_cap, cap, 1);
    if (st != SEGKIT_OK) {
      return st;
    }
    c->scratch_cap = cap < kind_cap ? cap : kind_cap;
  }
  c->scratch_ts[g->n] = ts;
  c->scratch_kind[g->n] = code;
  g->n++;
  return SEGKIT_OK;
}

static uint8_t draw_feature(event_gen *g) {
  if (g->s->adopter && sk__rng_chance(&g->rng, P_ADOPTER_USES_INVOICING)) {
    return (uint8_t)sk__feature_invoice_automation;
  }
  return (uint8_t)sk__rng_choose(&g->rng, sk__feature_weights, sk__n_features);
}

/* Events of one block [lo, hi) of days, sorted by time and appended to the chunk. Codes:
 * 0 = login, 1 + f = feature_used of feature f. */
static segkit_status block_events(event_gen *g, int32_t lo, int32_t hi, int32_t churn_day) {
  sim *s = g->s;
  g->n = 0;
  int64_t t0 = (int64_t)lo * SK__SECONDS_PER_DAY;
  int64_t t1 = (int64_t)hi * SK__SECONDS_PER_DAY;
  uint32_t span = (uint32_t)(t1 - t0);
  double login_rate = s->w->opt.events_per_month / (1.0 + P_FEATURE_AFTER_LOGIN);
  double mean = login_rate * g->engagement * activity_factor(churn_day, (lo + hi) / 2) *
                (double)(hi - lo) / EVENT_BLOCK_DAYS;
  int logins = sk__rng_poisson(&g->rng, mean);
  bool has_invoicing = false;
  for (int i = 0; i < logins; i++) {
    int64_t ts = t0 + sk__rng_below(&g->rng, span);
    segkit_status st = scratch_push(g, ts, 0);
    if (st != SEGKIT_OK) {
      return st;
    }
    if (!sk__rng_chance(&g->rng, P_FEATURE_AFTER_LOGIN)) {
      continue;
    }
    uint8_t f = draw_feature(g);
    int64_t fts = ts + 60 + sk__rng_below(&g->rng, 1740);
    if (fts < t1) {
      has_invoicing |= f == sk__feature_invoice_automation;
      st = scratch_push(g, fts, (uint8_t)(1 + f));
      if (st != SEGKIT_OK) {
        return st;
      }
    }
  }
  if (g->need_invoicing && !has_invoicing) {
    int64_t ts = t0 + sk__rng_below(&g->rng, span);
    segkit_status st = scratch_push(g, ts, (uint8_t)(1 + sk__feature_invoice_automation));
    if (st != SEGKIT_OK) {
      return st;
    }
  }
  g->need_invoicing = false;
  /* Insertion sort: a block holds a handful of events. */
  sk__chunk *c = s->c;
  for (size_t i = 1; i < g->n; i++) {
    int64_t ts = c->scratch_ts[i];
    uint8_t code = c->scratch_kind[i];
    size_t j = i;
    while (j > 0 && c->scratch_ts[j - 1] > ts) {
      c->scratch_ts[j] = c->scratch_ts[j - 1];
      c->scratch_kind[j] = c->scratch_kind[j - 1];
      j--;
    }
    c->scratch_ts[j] = ts;
    c->scratch_kind[j] = code;
  }
  segkit_status st = sk__grow((void **)&c->events, &c->events_cap, c->n_events + g->n,
                              sizeof *c->events);
  if (st != SEGKIT_OK) {
    return st;
  }
  for (size_t i = 0; i < g->n; i++) {
    sk__event_rec *e = &c->events[c->n_events++];
    e->ts = c->scratch_ts[i];
    e->cust = s->cust;
    e->kind = c->scratch_kind[i] == 0 ? SK__EV_LOGIN : SK__EV_FEATURE;
    e->feature = c->scratch_kind[i] == 0 ? 0 : (uint8_t)(c->scratch_kind[i] - 1);
    e->dirty = (uint8_t)(dirty_bit(s, SK__DIRTY_DUPLICATE) | dirty_bit(s, SK__DIRTY_FUTURE));
  }
  return SEGKIT_OK;
}

static segkit_status simulate_events(sim *s, int64_t index) {
  const sk__world *w = s->w;
  if (w->opt.events_per_month <= 0.0) {
    return SEGKIT_OK;
  }
  event_gen g;
  sk__rng_init(&g.rng, w->opt.seed, SK__STREAM_EVENTS, (uint64_t)index);
  g.s = s;
  g.engagement = 0.5 + sk__rng_uniform(&g.rng);
  g.need_invoicing = s->adopter;
  g.n = 0;
  sk__chunk *c = s->c;
  for (size_t i = s->first_sub; i < c->n_subs; i++) {
    const sk__sub_rec *sr = &c->subs[i];
    int32_t lo = sr->start > w->window_start ? sr->start : w->window_start;
    int32_t hi = sr->end == SK__NO_DATE || sr->end > w->window_end ? w->window_end + 1 : sr->end;
    int32_t churn = span_churn_day(c, i);
    for (int32_t b = lo; b < hi; b += EVENT_BLOCK_DAYS) {
      int32_t e = b + EVENT_BLOCK_DAYS < hi ? b + EVENT_BLOCK_DAYS : hi;
      segkit_status st = block_events(&g, b, e, churn);
      if (st != SEGKIT_OK) {
        return st;
      }
    }
  }
  return SEGKIT_OK;
}

/* ==== entry point ========================================================================= */

segkit_status sk__simulate_customer(const sk__world *w, int64_t index, sk__chunk *c) {
  sim s;
  memset(&s, 0, sizeof s);
  s.w = w;
  s.c = c;
  s.cust = (uint32_t)(index - c->first);
  s.first_sub = c->n_subs;
  s.dirty = w->opt.dirty;
  s.dirty_p = w->opt.dirty_share;
  sk__rng_init(&s.rng, w->opt.seed, SK__STREAM_CUSTOMER, (uint64_t)index);
  if (s.dirty) {
    sk__rng_init(&s.drng, w->opt.seed, SK__STREAM_DIRTY, (uint64_t)index);
  }
  sk__cust_rec *cr = &c->cust[s.cust];
  draw_attributes(&s, index, cr);
  segkit_status st = simulate_history(&s, cr->signup);
  if (st != SEGKIT_OK) {
    return st;
  }
  return simulate_events(&s, index);
}
