/* Private header of the sample module: random streams, civil-date arithmetic, the compact
 * records a simulated chunk of customers produces, and the text buffers they are formatted
 * into. The pipeline is simulate (simulate.c) -> assign ids -> format (format.c) -> write
 * in customer order (outfile.c), driven by generate.c; the survey (survey.c) is separate.
 * Records use chunk-local indices so a chunk can be simulated before the global ids of its
 * rows are known. */
#ifndef SEGKIT_SAMPLE_INT_H
#define SEGKIT_SAMPLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "segkit/error.h"
#include "segkit/sample.h"

/* ==== random streams (rng.c) ============================================================
 * xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", ACM
 * TOMS 2021), one generator per (seed, stream, index). The 256-bit state is filled by four
 * splitmix64 outputs (Steele, Lea & Flood, OOPSLA 2014) from a 64-bit key mixing the three
 * numbers, so streams are independent of the order in which they are created. */
typedef struct sk__rng {
  uint64_t s[4];
} sk__rng;

enum {
  SK__STREAM_CUSTOMER = 1, /* attributes, subscriptions, transactions */
  SK__STREAM_EVENTS = 2,   /* product events, so the events knob leaves the rest alone */
  SK__STREAM_DIRTY = 3,    /* defects, so dirty output keeps every clean row */
  SK__STREAM_SURVEY = 4,   /* one per respondent */
  SK__STREAM_CUSTOMER_SURVEY = 5 /* one per customer: the customer survey */
};

void sk__rng_init(sk__rng *r, uint64_t seed, uint64_t stream, uint64_t index);

static inline uint64_t sk__rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t sk__rng_next(sk__rng *r) {
  uint64_t *s = r->s;
  uint64_t result = sk__rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = sk__rotl(s[3], 45);
  return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double sk__rng_uniform(sk__rng *r) {
  return (double)(sk__rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1, by Lemire's multiply-shift on 32 bits (bias below
 * n / 2^32, irrelevant for the small ranges used here). */
static inline uint32_t sk__rng_below(sk__rng *r, uint32_t n) {
  uint64_t x = sk__rng_next(r) >> 32;
  return (uint32_t)((x * n) >> 32);
}

static inline bool sk__rng_chance(sk__rng *r, double p) {
  return sk__rng_uniform(r) < p;
}

/* Index drawn with probability proportional to w[i] (n >= 1, weights >= 0, sum > 0). */
int sk__rng_choose(sk__rng *r, const double *w, int n);
/* Standard normal (Marsaglia polar method). */
double sk__rng_normal(sk__rng *r);
/* Poisson(mean), mean >= 0: Knuth's product method below 30, rounded normal above. */
int sk__rng_poisson(sk__rng *r, double mean);

/* ==== civil dates ========================================================================
 * Days since 1970-01-01, proleptic Gregorian, by Howard Hinnant's algorithms
 * ("chrono-Compatible Low-Level Date Algorithms"). Local copies so this module needs
 * nothing beyond the core error object. */
static inline int32_t sk__days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + (int64_t)doe - 719468);
}

static inline void sk__civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d) {
  int64_t z = (int64_t)days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The day `months` calendar months after `day`, keeping its day of month and clamping
 * to the month's last day (Jan 31 + 1 month = Feb 28/29), as billing anchors do. Billing
 * dates are always computed from the anchor (anchor + k months), never chained, so a
 * subscription started on the 31st is billed on the 31st whenever the month has one. */
static inline int32_t sk__add_months(int32_t day, int months) {
  int64_t y;
  unsigned m;
  unsigned d;
  sk__civil_from_days(day, &y, &m, &d);
  int64_t total = y * 12 + (int64_t)(m - 1) + months;
  int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
  unsigned nm = (unsigned)(total - ny * 12) + 1;
  static const unsigned month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned last = month_days[nm - 1];
  bool leap = (ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0;
  if (nm == 2 && leap) {
    last = 29;
  }
  return sk__days_from_civil(ny, nm, d < last ? d : last);
}

#define SK__SECONDS_PER_DAY INT64_C(86400)
#define SK__NO_DATE INT32_MIN

/* ==== vocabularies (vocab.c) ============================================================ */
enum { SK__N_PLANS = 4, SK__N_SIZES = 5, SK__N_CURRENCIES = 3 };
enum { SK__MONTH = 0, SK__YEAR = 1 };
enum { SK__USD = 0, SK__EUR = 1, SK__GBP = 2 };

typedef struct sk__country {
  const char *code;     /* ISO 3166-1 alpha-2 */
  double weight;
  int currency;
  const char *const *cities;
  int n_cities;
  const char *const *surnames; /* for company names */
  int n_surnames;
  const char *const *legal_forms;
  int n_legal_forms;
} sk__country;

extern const sk__country sk__countries[];
extern const int sk__n_countries;
extern const char *const sk__size_names[SK__N_SIZES];
extern const char *const sk__industry_names[];
extern const double sk__industry_weights[];
extern const int sk__n_industries;
extern const int sk__industry_accounting; /* index of the accounting industry */
extern const char *const sk__channel_names[];
extern const int sk__n_channels;
extern const char *const sk__plan_names[SK__N_PLANS];
extern const char *const sk__currency_codes[SK__N_CURRENCIES];
/* List price in cents per seat per interval: [plan][interval][currency]. */
extern const int32_t sk__price_cents[SK__N_PLANS][2][SK__N_CURRENCIES];
extern const char *const sk__company_nouns[];
extern const int sk__n_company_nouns;
extern const char *const sk__company_adjectives[];
extern const int sk__n_company_adjectives;
extern const char *const sk__feature_names[];
extern const double sk__feature_weights[];
extern const int sk__n_features;
extern const int sk__feature_invoice_automation;

/* ==== records ============================================================================ */
enum { /* subscription status as of the window end */
  SK__ST_TRIALING = 0,
  SK__ST_ACTIVE,
  SK__ST_CANCELED,
  SK__ST_REPLACED
};
enum { /* why a subscription row started */
  SK__SR_NEW = 0,
  SK__SR_REACTIVATION,
  SK__SR_UPGRADE,
  SK__SR_DOWNGRADE,
  SK__SR_SEAT_INCREASE,
  SK__SR_SEAT_DECREASE,
  SK__SR_INTERVAL_CHANGE
};
enum { SK__TX_CHARGE = 0, SK__TX_REFUND = 1 };
enum { SK__EV_LOGIN = 0, SK__EV_FEATURE = 1 };
enum { /* deliberate defects (options.dirty), bits */
  SK__DIRTY_DUPLICATE = 1,  /* the row is written twice (customers: with another city) */
  SK__DIRTY_BAD_DATE = 2,   /* a date or timestamp that is not a valid date */
  SK__DIRTY_NEGATIVE = 4,   /* a negative charge amount */
  SK__DIRTY_END_FIRST = 8,  /* a subscription that ends before it starts */
  SK__DIRTY_FUTURE = 16     /* an event time decades after the window */
};

typedef struct sk__cust_rec {
  int32_t signup;          /* day */
  uint16_t surname;        /* index into the country's surnames */
  uint16_t surname2;
  uint8_t noun, adjective, legal_form, name_form;
  uint8_t country, city, size, industry, channel;
  uint8_t dirty;
} sk__cust_rec;

typedef struct sk__sub_rec {
  uint32_t cust;           /* chunk-local customer index */
  int32_t start;           /* day */
  int32_t trial_end;       /* day, or SK__NO_DATE */
  int32_t end;             /* first day without service, or SK__NO_DATE */
  int32_t seats;
  int32_t unit_price_cents;
  uint8_t plan, interval, currency, discount_pct, status, start_reason, dirty;
} sk__sub_rec;

typedef struct sk__tx_rec {
  int64_t ts;              /* seconds since the epoch */
  int64_t amount_cents;    /* positive; the kind says charge or refund */
  uint32_t cust;           /* chunk-local */
  uint32_t sub;            /* chunk-local subscription index */
  int32_t refund_of;       /* chunk-local index of the refunded charge, or -1 */
  uint8_t currency, kind, dirty;
} sk__tx_rec;

typedef struct sk__event_rec {
  int64_t ts;
  uint32_t cust;
  uint8_t kind, feature, dirty;
} sk__event_rec;

/* A growable text buffer. */
typedef struct sk__buf {
  char *data;
  size_t len;
  size_t cap;
} sk__buf;

segkit_status sk__buf_reserve(sk__buf *b, size_t extra);
void sk__buf_free(sk__buf *b);

/* Grow *items (of elem bytes each) so it holds at least need elements. */
segkit_status sk__grow(void **items, size_t *cap, size_t need, size_t elem);

/* Derived, read-only generation parameters shared by all threads. */
typedef struct sk__world {
  segkit_sample_options opt;
  int32_t window_start;    /* first day */
  int32_t window_end;      /* last day (inclusive) */
  int32_t history_start;   /* earliest signup of a customer from before the window */
  /* "YYYY-MM-DD" of every day in [date_lo, date_lo + n_dates), so formatting a date is a
   * 10-byte copy. Days outside the range are formatted the slow way. */
  int32_t date_lo;
  int32_t n_dates;
  char (*date_text)[10];
} sk__world;

/* The output of one chunk of consecutive customers. */
typedef struct sk__chunk {
  int64_t first;           /* index of the chunk's first customer */
  int64_t n;               /* customers in the chunk */
  sk__cust_rec *cust;
  size_t cust_cap;
  sk__sub_rec *subs;
  size_t n_subs, subs_cap;
  sk__tx_rec *txs;
  size_t n_txs, txs_cap;
  sk__event_rec *events;
  size_t n_events, events_cap;
  int64_t sub_base, tx_base, event_base; /* global ids of the first row - 1 */
  sk__buf text[4];         /* customers, subscriptions, transactions, events */
  int64_t rows[4];
  int64_t dirty_rows[4];
  /* scratch for one customer's events */
  int64_t *scratch_ts;
  uint8_t *scratch_kind;
  size_t scratch_cap;
} sk__chunk;

void sk__chunk_reset(sk__chunk *c, int64_t first, int64_t n);
void sk__chunk_free(sk__chunk *c);

/* simulate.c: append customer `index` (global) to the chunk. */
segkit_status sk__simulate_customer(const sk__world *w, int64_t index, sk__chunk *c);

/* format.c */
segkit_status sk__format_chunk(const sk__world *w, sk__chunk *c);
extern const char sk__header_customers[];
extern const char sk__header_subscriptions[];
extern const char sk__header_transactions[];
extern const char sk__header_events[];
char *sk__put_u64(char *p, uint64_t v);
char *sk__put_date(const sk__world *w, char *p, int32_t day);
/* Append s as one RFC 4180 field (quoted when it holds a comma, quote, CR or LF). */
char *sk__put_csv_field(char *p, const char *s, size_t n);

/* ==== output files (outfile.c) ===========================================================
 * Written to NAME.tmp through a 1 MiB block buffer, renamed to NAME by commit. */
typedef struct sk__outfile {
  FILE *fp;
  char *path;              /* final path, for errors */
  char *tmp_path;
  char *block;
  size_t len;
  int64_t bytes;
} sk__outfile;

segkit_status sk__outfile_open(sk__outfile *f, const char *dir, const char *name,
                               segkit_error *err);
segkit_status sk__outfile_write(sk__outfile *f, const char *data, size_t n, segkit_error *err);
/* Flush and close; the file stays under its temporary name. */
segkit_status sk__outfile_close(sk__outfile *f, segkit_error *err);
/* Rename the closed temporary file to its final name and release the object. */
segkit_status sk__outfile_commit(sk__outfile *f, segkit_error *err);
/* Close if open, remove the temporary file, release the object. Safe on a zeroed object. */
void sk__outfile_discard(sk__outfile *f);

/* survey.c: write survey.csv, survey_codebook.json and survey_truth.csv into the three
 * open files and count rows into the summary. */
segkit_status sk__survey_write(const sk__world *w, sk__outfile *survey, sk__outfile *codebook,
                               sk__outfile *truth, segkit_sample_summary *sum,
                               segkit_error *err);
/* survey_margins.csv: the market's company-size and region margins, from a segment mix
 * the survey's sample under-represents (survey.c). */
segkit_status sk__survey_margins_write(sk__outfile *f, segkit_sample_summary *sum,
                                       segkit_error *err);
/* customer_survey.csv: a share of the customers answering the attitude battery, their
 * segments drawn from the customer mix (survey.c). */
segkit_status sk__customer_survey_write(const sk__world *w, sk__outfile *f,
                                        segkit_sample_summary *sum, segkit_error *err);

#endif
