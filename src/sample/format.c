/* Formatting of a simulated chunk into CSV text, one buffer per file. Key design choice:
 * no printf and no locale in the loop. Integers go out two digits at a time from a table,
 * dates are 10-byte copies from a per-day cache built once (sk__world.date_text), and
 * text from the fixed vocabularies is copied as is; only company names, built from parts,
 * go through the RFC 4180 quoting check. Rows end in LF. */
#include <string.h>

#include "sample/sample_int.h"

const char sk__header_customers[] =
    "customer_id,company_name,signup_date,country,city,company_size,industry,"
    "acquisition_channel\n";
const char sk__header_subscriptions[] =
    "subscription_id,customer_id,plan,billing_interval,interval_count,seats,unit_price,"
    "currency,discount_percent,status,start_reason,started_at,trial_end,ended_at\n";
const char sk__header_transactions[] =
    "transaction_id,customer_id,subscription_id,timestamp,amount,currency,kind,refund_of\n";
const char sk__header_events[] = "event_id,customer_id,timestamp,event,feature\n";

/* Longest row a record can produce, with room to spare; checked once per row. */
#define ROW_MAX 1024

static const char digit_pairs[201] =
    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243"
    "4445464748495051525354555657585960616263646566676869707172737475767778798081828384858687"
    "888990919293949596979899";

static const char *const status_names[] = {"trialing", "active", "canceled", "replaced"};
static const char *const reason_names[] = {"new",           "reactivation",  "upgrade",
                                           "downgrade",     "seat_increase", "seat_decrease",
                                           "interval_change"};
static const char *const interval_names[] = {"month", "year"};

/* ==== scalars =========================================================================== */

static char *put_lit(char *p, const char *s) {
  size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

static char *put2(char *p, unsigned v) {
  memcpy(p, digit_pairs + 2 * v, 2);
  return p + 2;
}

char *sk__put_u64(char *p, uint64_t v) {
  char tmp[24];
  char *end = tmp + sizeof tmp;
  char *q = end;
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    q -= 2;
    memcpy(q, digit_pairs + 2 * r, 2);
  }
  if (v >= 10) {
    q -= 2;
    memcpy(q, digit_pairs + 2 * v, 2);
  } else {
    *--q = (char)('0' + v);
  }
  size_t n = (size_t)(end - q);
  memcpy(p, q, n);
  return p + n;
}

static char *put_date_slow(char *p, int32_t day) {
  int64_t y;
  unsigned m;
  unsigned d;
  sk__civil_from_days(day, &y, &m, &d);
  if (y < 0 || y > 9999) {
    y = y < 0 ? 0 : 9999; /* never produced by the simulation; keep the width fixed */
  }
  p = put2(p, (unsigned)(y / 100));
  p = put2(p, (unsigned)(y % 100));
  *p++ = '-';
  p = put2(p, m);
  *p++ = '-';
  return put2(p, d);
}

char *sk__put_date(const sk__world *w, char *p, int32_t day) {
  int64_t off = (int64_t)day - w->date_lo;
  if (off >= 0 && off < w->n_dates) {
    memcpy(p, w->date_text[off], 10);
    return p + 10;
  }
  return put_date_slow(p, day);
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static char *put_ts(const sk__world *w, char *p, int64_t ts) {
  int64_t day = ts / SK__SECONDS_PER_DAY;
  int64_t sod = ts % SK__SECONDS_PER_DAY;
  if (sod < 0) {
    sod += SK__SECONDS_PER_DAY;
    day--;
  }
  p = sk__put_date(w, p, (int32_t)day);
  *p++ = 'T';
  p = put2(p, (unsigned)(sod / 3600));
  *p++ = ':';
  p = put2(p, (unsigned)(sod / 60 % 60));
  *p++ = ':';
  p = put2(p, (unsigned)(sod % 60));
  *p++ = 'Z';
  return p;
}

/* Cents as a decimal with two digits: 1234 -> "12.34", -5 -> "-0.05". */
static char *put_money(char *p, int64_t cents) {
  uint64_t v = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
  if (cents < 0) {
    *p++ = '-';
  }
  p = sk__put_u64(p, v / 100);
  *p++ = '.';
  return put2(p, (unsigned)(v % 100));
}

char *sk__put_csv_field(char *p, const char *s, size_t n) {
  bool quote = false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch == ',' || ch == '"' || ch == '\n' || ch == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    memcpy(p, s, n);
    return p + n;
  }
  *p++ = '"';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') {
      *p++ = '"';
    }
    *p++ = s[i];
  }
  *p++ = '"';
  return p;
}

static char *put_field(char *p, const char *s) {
  return sk__put_csv_field(p, s, strlen(s));
}

/* ==== customers ========================================================================== */

static size_t company_name(const sk__cust_rec *cr, char *out, size_t size) {
  const sk__country *co = &sk__countries[cr->country];
  const char *sur = co->surnames[cr->surname];
  const char *sur2 = co->surnames[cr->surname2];
  const char *noun = sk__company_nouns[cr->noun];
  const char *adj = sk__company_adjectives[cr->adjective];
  const char *form = co->legal_forms[cr->legal_form];
  const char *parts[8];
  int n = 0;
  switch (cr->name_form) {
  case 1: /* Summit Analytics Inc */
    parts[n++] = adj;
    parts[n++] = " ";
    parts[n++] = noun;
    break;
  case 2: /* Müller & Weiß GmbH */
    parts[n++] = sur;
    parts[n++] = " & ";
    parts[n++] = sur2;
    break;
  case 3: /* Smith, Hayes & Partners: a comma, so the field is quoted */
    parts[n++] = sur;
    parts[n++] = ", ";
    parts[n++] = sur2;
    parts[n++] = " & Partners";
    form = NULL;
    break;
  case 4: /* The "Blue" Studio Company: quotes, doubled inside a quoted field */
    parts[n++] = "The \"";
    parts[n++] = adj;
    parts[n++] = "\" ";
    parts[n++] = noun;
    parts[n++] = " Company";
    form = NULL;
    break;
  case 5: /* Société Lefèvre SARL */
    parts[n++] = "Société ";
    parts[n++] = sur;
    break;
  default: /* Krüger Logistics GmbH */
    parts[n++] = sur;
    parts[n++] = " ";
    parts[n++] = noun;
    break;
  }
  if (form != NULL) {
    parts[n++] = " ";
    parts[n++] = form;
  }
  size_t len = 0;
  for (int i = 0; i < n; i++) {
    size_t k = strlen(parts[i]);
    if (len + k >= size) {
      break;
    }
    memcpy(out + len, parts[i], k);
    len += k;
  }
  return len;
}

/* A date that is not one, for dirty rows; which kind depends on the row. */
static char *put_bad_date(char *p, int32_t day, uint64_t which) {
  int64_t y;
  unsigned m;
  unsigned d;
  sk__civil_from_days(day, &y, &m, &d);
  switch (which % 3) {
  case 0: /* February 30th */
    p = sk__put_u64(p, (uint64_t)y);
    return put_lit(p, "-02-30");
  case 1: /* day-first with slashes */
    p = put2(p, d);
    *p++ = '/';
    p = put2(p, m);
    *p++ = '/';
    return sk__put_u64(p, (uint64_t)y);
  default: /* month 13 */
    p = sk__put_u64(p, (uint64_t)y);
    *p++ = '-';
    p = put_lit(p, "13-");
    return put2(p, d);
  }
}

static char *customer_row(const sk__world *w, char *p, const sk__chunk *c, size_t i,
                          int city_shift) {
  const sk__cust_rec *cr = &c->cust[i];
  const sk__country *co = &sk__countries[cr->country];
  char name[256];
  size_t name_len = company_name(cr, name, sizeof name);
  p = sk__put_u64(p, (uint64_t)(c->first + (int64_t)i + 1));
  *p++ = ',';
  p = sk__put_csv_field(p, name, name_len);
  *p++ = ',';
  if (cr->dirty & SK__DIRTY_BAD_DATE) {
    p = put_bad_date(p, cr->signup, (uint64_t)(c->first + (int64_t)i));
  } else {
    p = sk__put_date(w, p, cr->signup);
  }
  *p++ = ',';
  p = put_lit(p, co->code);
  *p++ = ',';
  p = put_field(p, co->cities[(cr->city + city_shift) % co->n_cities]);
  *p++ = ',';
  p = put_lit(p, sk__size_names[cr->size]);
  *p++ = ',';
  p = put_field(p, sk__industry_names[cr->industry]);
  *p++ = ',';
  p = put_lit(p, sk__channel_names[cr->channel]);
  *p++ = '\n';
  return p;
}

static segkit_status format_customers(const sk__world *w, sk__chunk *c) {
  sk__buf *b = &c->text[0];
  for (size_t i = 0; i < (size_t)c->n; i++) {
    segkit_status st = sk__buf_reserve(b, 2 * ROW_MAX);
    if (st != SEGKIT_OK) {
      return st;
    }
    char *p = customer_row(w, b->data + b->len, c, i, 0);
    c->rows[0]++;
    if (c->cust[i].dirty & SK__DIRTY_BAD_DATE) {
      c->dirty_rows[0]++;
    }
    if (c->cust[i].dirty & SK__DIRTY_DUPLICATE) {
      /* The same id again, as a re-imported record that moved city. */
      p = customer_row(w, p, c, i, 1);
      c->rows[0]++;
      c->dirty_rows[0]++;
    }
    b->len = (size_t)(p - b->data);
  }
  return SEGKIT_OK;
}

/* ==== subscriptions ====================================================================== */

static char *subscription_row(const sk__world *w, char *p, const sk__chunk *c, size_t i) {
  const sk__sub_rec *sr = &c->subs[i];
  p = sk__put_u64(p, (uint64_t)(c->sub_base + (int64_t)i + 1));
  *p++ = ',';
  p = sk__put_u64(p, (uint64_t)(c->first + sr->cust + 1));
  *p++ = ',';
  p = put_lit(p, sk__plan_names[sr->plan]);
  *p++ = ',';
  p = put_lit(p, interval_names[sr->interval]);
  p = put_lit(p, ",1,");
  p = sk__put_u64(p, (uint64_t)sr->seats);
  *p++ = ',';
  p = put_money(p, sr->unit_price_cents);
  *p++ = ',';
  p = put_lit(p, sk__currency_codes[sr->currency]);
  *p++ = ',';
  p = sk__put_u64(p, sr->discount_pct);
  *p++ = ',';
  p = put_lit(p, status_names[sr->status]);
  *p++ = ',';
  p = put_lit(p, reason_names[sr->start_reason]);
  *p++ = ',';
  p = sk__put_date(w, p, sr->start);
  *p++ = ',';
  if (sr->trial_end != SK__NO_DATE) {
    p = sk__put_date(w, p, sr->trial_end);
  }
  *p++ = ',';
  if (sr->end != SK__NO_DATE) {
    int32_t end = (sr->dirty & SK__DIRTY_END_FIRST) ? sr->start - 7 : sr->end;
    p = sk__put_date(w, p, end);
  }
  *p++ = '\n';
  return p;
}

static segkit_status format_subscriptions(const sk__world *w, sk__chunk *c) {
  sk__buf *b = &c->text[1];
  for (size_t i = 0; i < c->n_subs; i++) {
    segkit_status st = sk__buf_reserve(b, ROW_MAX);
    if (st != SEGKIT_OK) {
      return st;
    }
    char *p = subscription_row(w, b->data + b->len, c, i);
    b->len = (size_t)(p - b->data);
    c->rows[1]++;
    if ((c->subs[i].dirty & SK__DIRTY_END_FIRST) && c->subs[i].end != SK__NO_DATE) {
      c->dirty_rows[1]++;
    }
  }
  return SEGKIT_OK;
}

/* ==== transactions ======================================================================= */

static char *bad_timestamp(char *p, int64_t ts, uint64_t which) {
  int32_t day = (int32_t)(ts / SK__SECONDS_PER_DAY);
  if (which % 3 == 2) {
    /* a valid date with an impossible time */
    int64_t y;
    unsigned m;
    unsigned d;
    sk__civil_from_days(day, &y, &m, &d);
    p = sk__put_u64(p, (uint64_t)y);
    *p++ = '-';
    p = put2(p, m);
    *p++ = '-';
    p = put2(p, d);
    return put_lit(p, "T25:61:00Z");
  }
  p = put_bad_date(p, day, which);
  return put_lit(p, "T12:00:00Z");
}

static char *transaction_row(const sk__world *w, char *p, const sk__chunk *c, size_t i) {
  const sk__tx_rec *t = &c->txs[i];
  p = sk__put_u64(p, (uint64_t)(c->tx_base + (int64_t)i + 1));
  *p++ = ',';
  p = sk__put_u64(p, (uint64_t)(c->first + t->cust + 1));
  *p++ = ',';
  p = sk__put_u64(p, (uint64_t)(c->sub_base + t->sub + 1));
  *p++ = ',';
  if (t->dirty & SK__DIRTY_BAD_DATE) {
    p = bad_timestamp(p, t->ts, (uint64_t)(c->tx_base + (int64_t)i));
  } else {
    p = put_ts(w, p, t->ts);
  }
  *p++ = ',';
  p = put_money(p, (t->dirty & SK__DIRTY_NEGATIVE) ? -t->amount_cents : t->amount_cents);
  *p++ = ',';
  p = put_lit(p, sk__currency_codes[t->currency]);
  if (t->kind == SK__TX_CHARGE) {
    p = put_lit(p, ",charge,\n");
    return p;
  }
  p = put_lit(p, ",refund,");
  p = sk__put_u64(p, (uint64_t)(c->tx_base + t->refund_of + 1));
  *p++ = '\n';
  return p;
}

static segkit_status format_transactions(const sk__world *w, sk__chunk *c) {
  sk__buf *b = &c->text[2];
  for (size_t i = 0; i < c->n_txs; i++) {
    segkit_status st = sk__buf_reserve(b, 2 * ROW_MAX);
    if (st != SEGKIT_OK) {
      return st;
    }
    char *row = b->data + b->len;
    char *p = transaction_row(w, row, c, i);
    uint8_t dirty = c->txs[i].dirty;
    c->rows[2]++;
    if (dirty & SK__DIRTY_DUPLICATE) {
      size_t n = (size_t)(p - row);
      memcpy(p, row, n);
      p += n;
      c->rows[2]++;
      c->dirty_rows[2]++;
    }
    if (dirty & (SK__DIRTY_BAD_DATE | SK__DIRTY_NEGATIVE)) {
      c->dirty_rows[2]++;
    }
    b->len = (size_t)(p - b->data);
  }
  return SEGKIT_OK;
}

/* ==== events ============================================================================= */

/* 80 years: far enough that any "in the future" check flags it. */
#define FUTURE_SECONDS (INT64_C(29220) * SK__SECONDS_PER_DAY)

static char *event_row(const sk__world *w, char *p, const sk__chunk *c, size_t i) {
  const sk__event_rec *e = &c->events[i];
  p = sk__put_u64(p, (uint64_t)(c->event_base + (int64_t)i + 1));
  *p++ = ',';
  p = sk__put_u64(p, (uint64_t)(c->first + e->cust + 1));
  *p++ = ',';
  p = put_ts(w, p, (e->dirty & SK__DIRTY_FUTURE) ? e->ts + FUTURE_SECONDS : e->ts);
  if (e->kind == SK__EV_LOGIN) {
    return put_lit(p, ",login,\n");
  }
  p = put_lit(p, ",feature_used,");
  p = put_lit(p, sk__feature_names[e->feature]);
  *p++ = '\n';
  return p;
}

static segkit_status format_events(const sk__world *w, sk__chunk *c) {
  sk__buf *b = &c->text[3];
  for (size_t i = 0; i < c->n_events; i++) {
    segkit_status st = sk__buf_reserve(b, 2 * ROW_MAX);
    if (st != SEGKIT_OK) {
      return st;
    }
    char *row = b->data + b->len;
    char *p = event_row(w, row, c, i);
    uint8_t dirty = c->events[i].dirty;
    c->rows[3]++;
    if (dirty & SK__DIRTY_DUPLICATE) {
      size_t n = (size_t)(p - row);
      memcpy(p, row, n);
      p += n;
      c->rows[3]++;
      c->dirty_rows[3]++;
    }
    if (dirty & SK__DIRTY_FUTURE) {
      c->dirty_rows[3]++;
    }
    b->len = (size_t)(p - b->data);
  }
  return SEGKIT_OK;
}

segkit_status sk__format_chunk(const sk__world *w, sk__chunk *c) {
  segkit_status st = format_customers(w, c);
  if (st == SEGKIT_OK) {
    st = format_subscriptions(w, c);
  }
  if (st == SEGKIT_OK) {
    st = format_transactions(w, c);
  }
  if (st == SEGKIT_OK) {
    st = format_events(w, c);
  }
  return st;
}
