/* The segkit side of bench/run: times one library operation and prints one JSON line.
 *   segkit_bench read FILE [THREADS]      parse + type + build a table from a CSV
 *   segkit_bench import FILE WS NAME      read, then store as a dataset (one transaction)
 *   segkit_bench load WS NAME             read a dataset back into a table
 *   segkit_bench km FILE TIME EVENT GROUP  Kaplan-Meier by group + log-rank (file read not
 *                                          timed; EVENT is an int64 column, 1 = event)
 *   segkit_bench metrics FILE FROM TO [THREADS]  segment metrics of a subscription history
 *                                          by plan and billing interval over FROM..TO
 *                                          (YYYY-MM): movements, the range's retention
 *                                          and LTV per segment (file read not timed)
 *   segkit_bench rfm FILE ASOF [THREADS]   RFM scores and segments of a transactions log as
 *                                          of ASOF (YYYY-MM-DD), table built: "seconds" is
 *                                          the computation from the table in memory,
 *                                          "read_seconds" the CSV read before it
 *   segkit_bench rfm_csv FILE ASOF [THREADS]  the same end to end: segkit_rfm_from_csv,
 *                                          file to scores and table
 *   segkit_bench rule FILE RULE [THREADS]  count the members of a rule over a customers
 *                                          table (id column "id"): best of 5 evaluations,
 *                                          file read and compile not timed
 *   segkit_bench kmeans FILE N D K RESTARTS MAX_ITER THREADS ALG CENTROIDS_OUT
 *                                          k-means (ALG lloyd, hamerly or auto) on a raw
 *                                          float64 N x D matrix (bench/make_matrix.py);
 *                                          read not timed; centroids written as raw
 *                                          float64 for the driver's common inertia
 *   segkit_bench clv N REPEAT SEED         customer value on N customers generated in memory
 *                                          from the BG/NBD process (r 0.25, alpha 4, a 0.8,
 *                                          b 2.5 in weeks; first purchases over 12 weeks,
 *                                          calibration end day 273): summarise, fit BG/NBD,
 *                                          predict P(alive) and purchases in 52 weeks per
 *                                          customer (segkit_clv_predict on
 *                                          SEGKIT_BENCH_THREADS threads, default 1); medians
 *                                          of REPEAT runs of each phase
 *   segkit_bench clv_csv FILE REPEAT CALEND  the same pipeline on a transactions CSV
 *                                          (customer_id,date), read not timed
 *   segkit_bench clv_gen N SEED FILE       write the generator's first N customers as CSV
 *   segkit_bench clv_cdnow FILE REPEAT MODEL [STARTS]  fit bgnbd or paretonbd (default
 *                                          options, or STARTS starts) on the CDNOW summary
 *                                          (ID,frequency,recency,T)
 *   segkit_bench view WS NAME RATES REPEAT  one view of the report module on a workspace:
 *                                          "seconds" the first call on a new handle (it
 *                                          loads what the view needs), "warm" the median of
 *                                          REPEAT calls after it on the same handle (what a
 *                                          server keeping its handle answers)
 *   segkit_bench report WS RATES          the whole HTML report (every view, one handle)
 * Timing covers the operation only (not process start or freeing), like the peers'
 * scripts, which time the read call inside their process. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "segkit/segkit.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const segkit_error *err) {
  char buf[1024];
  segkit_error_format(err, buf, sizeof buf);
  fprintf(stderr, "segkit_bench: %s\n", buf);
  return 1;
}

static int32_t month_arg(const char *s) {
  int32_t days = 0;
  char buf[16];
  snprintf(buf, sizeof buf, "%.7s-01", s);
  if (!segkit_parse_date(buf, strlen(buf), &days)) {
    fprintf(stderr, "segkit_bench: bad month '%s'\n", s);
    exit(2);
  }
  return segkit_month_of_day(days);
}

/* What `segkit metrics --by plan,billing_interval` computes, timed from the loaded table:
 * the MRR pass with the split and the range's period, then LTV per segment. Prints the
 * totals the driver compares with DuckDB's. */
static int bench_metrics(const char *file, const char *from, const char *to, int threads) {
  segkit_error err;
  segkit_read_options ropt;
  segkit_read_options_init(&ropt);
  segkit_read_result *res = NULL;
  if (segkit_csv_read(file, &ropt, &res, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  const segkit_table *t = segkit_read_result_table(res);
  static const segkit_mrr_rate rates[] = {{"USD", 1.0}, {"EUR", 1.08}, {"GBP", 1.27}};
  static const char *const by[] = {"plan", "billing_interval"};
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = rates;
  opt.n_rates = 3;
  opt.by = by;
  opt.n_by = 2;
  opt.from_month = month_arg(from);
  opt.to_month = month_arg(to);
  opt.n_threads = threads;
  double t0 = now();
  segkit_mrr_result *r = NULL;
  if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  size_t ng = segkit_mrr_n_groups(r);
  double ltv_sum = 0.0;
  for (size_t g = 0; g <= ng; g++) {
    segkit_ltv l;
    if (segkit_ltv_compute(r, g == ng ? SEGKIT_MRR_ALL : g, NULL, &l, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    ltv_sum += g == ng ? 0.0 : l.ltv_survival_cents;
  }
  double secs = now() - t0;
  const segkit_mrr_period *p = segkit_mrr_periods(r, SEGKIT_MRR_ALL);
  printf("{\"op\":\"metrics\",\"rows\":%zu,\"seconds\":%.4f,\"groups\":%zu,"
         "\"customers_start\":%lld,\"retained\":%lld,\"churn_events\":%lld,"
         "\"mrr_end\":%.2f,\"ltv_survival_sum\":%.2f}\n",
         segkit_table_n_rows(t), secs, ng, (long long)p->customers_start, (long long)p->retained,
         (long long)p->n_churned, (double)p->end_cents / 100.0, ltv_sum / 100.0);
  segkit_mrr_result_free(r);
  segkit_read_result_free(res);
  return 0;
}

/* The checks the driver compares with DuckDB's: customers, score sums, a key-weighted
 * checksum of the scores and the customers per segment. */
static void print_rfm(const char *op, size_t rows, double secs, double read_secs,
                      const segkit_rfm_result *r, bool fast) {
  size_t n = segkit_rfm_n_customers(r);
  const int64_t *keys = segkit_rfm_keys(r);
  const uint8_t *rs = segkit_rfm_r(r);
  const uint8_t *fs = segkit_rfm_f(r);
  const uint8_t *ms = segkit_rfm_m(r);
  long long sr = 0, sf = 0, sm = 0, check = 0;
  for (size_t i = 0; i < n; i++) {
    sr += rs[i];
    sf += fs[i];
    sm += ms[i];
    check += (long long)keys[i] * (rs[i] * 100 + fs[i] * 10 + ms[i]);
  }
  printf("{\"op\":\"%s\",\"rows\":%zu,\"seconds\":%.4f,\"read_seconds\":%.4f,"
         "\"fast_path\":%s,\"customers\":%zu,\"sum_r\":%lld,\"sum_f\":%lld,\"sum_m\":%lld,"
         "\"check\":%lld,\"segments\":{",
         op, rows, secs, read_secs, fast ? "true" : "false", n, sr, sf, sm, check);
  for (size_t g = 0; g < segkit_rfm_n_segments(r); g++) {
    printf("%s\"%s\":%zu", g ? "," : "", segkit_rfm_segment_name(r, g),
           segkit_rfm_segment_count(r, g));
  }
  printf("}}\n");
}

static int rfm_options(const char *as_of, int threads, segkit_rfm_options *opt) {
  segkit_rfm_options_init(opt);
  opt->n_threads = threads;
  if (!segkit_parse_date(as_of, strlen(as_of), &opt->as_of)) {
    fprintf(stderr, "segkit_bench: bad date '%s'\n", as_of);
    return 2;
  }
  return 0;
}

/* RFM from a transactions table in memory (segkit_bench rfm): the CSV read (read_seconds)
 * and the computation with the output table (seconds) timed apart. */
static int bench_rfm(const char *file, const char *as_of, int threads) {
  segkit_error err;
  segkit_rfm_options opt;
  if (rfm_options(as_of, threads, &opt) != 0) {
    return 2;
  }
  segkit_read_options ropt;
  segkit_read_options_init(&ropt);
  ropt.n_threads = threads;
  segkit_read_result *res = NULL;
  double t0 = now();
  if (segkit_csv_read(file, &ropt, &res, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  double read_secs = now() - t0;
  const segkit_table *t = segkit_read_result_table(res);
  segkit_rfm_result *r = NULL;
  segkit_table *out = NULL;
  t0 = now();
  if (segkit_rfm_compute(t, &opt, &r, &err) != SEGKIT_OK ||
      segkit_rfm_table(r, t, &out, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  double secs = now() - t0;
  print_rfm("rfm", segkit_table_n_rows(t), secs, read_secs, r, false);
  segkit_table_free(out);
  segkit_rfm_result_free(r);
  segkit_read_result_free(res);
  return 0;
}

/* RFM end to end from the CSV file (segkit_bench rfm_csv): segkit_rfm_from_csv, file to
 * scores and output table, alone in its process so its peak memory is its own. */
static int bench_rfm_csv(const char *file, const char *as_of, int threads) {
  segkit_error err;
  segkit_rfm_options opt;
  if (rfm_options(as_of, threads, &opt) != 0) {
    return 2;
  }
  segkit_rfm_result *r = NULL;
  segkit_table *out = NULL;
  bool fast = false;
  double t0 = now();
  if (segkit_rfm_from_csv(file, &opt, &r, &out, &fast, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  double secs = now() - t0;
  print_rfm("rfm_csv", segkit_rfm_rows_counted(r), secs, 0.0, r, fast);
  segkit_table_free(out);
  segkit_rfm_result_free(r);
  return 0;
}

/* Count a rule's members over the customers in FILE, best of five evaluations. */
static int bench_rule(const char *file, const char *text, int threads) {
  segkit_error err;
  segkit_read_options ropt;
  segkit_read_options_init(&ropt);
  segkit_read_result *res = NULL;
  if (segkit_csv_read(file, &ropt, &res, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  const segkit_table *t = segkit_read_result_table(res);
  segkit_rule_env *env = NULL;
  segkit_rule *rule = NULL;
  if (segkit_rule_env_new(t, "id", segkit_now_us(), &env, &err) != SEGKIT_OK ||
      segkit_rule_compile(env, text, &rule, NULL, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  size_t n = segkit_table_n_rows(t);
  uint64_t *bits = calloc((n + 63) / 64 + 1, sizeof *bits);
  size_t count = 0;
  double best = 1e30;
  for (int i = 0; bits != NULL && i < 5; i++) {
    double t0 = now();
    if (segkit_rule_eval(rule, env, threads, bits, &count, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    double secs = now() - t0;
    best = secs < best ? secs : best;
  }
  printf("{\"op\":\"rule\",\"rows\":%zu,\"seconds\":%.5f,\"members\":%zu}\n", n, best,
         count);
  free(bits);
  segkit_rule_free(rule);
  segkit_rule_env_free(env);
  segkit_read_result_free(res);
  return 0;
}

/* k-means on a raw float64 matrix: the fit alone is timed. */
static int bench_kmeans(char **argv) {
  size_t n = strtoull(argv[3], NULL, 10);
  size_t d = strtoull(argv[4], NULL, 10);
  FILE *f = fopen(argv[2], "rb");
  double *x = malloc(n * d * sizeof *x);
  if (!f || !x || fread(x, sizeof *x, n * d, f) != n * d) {
    fprintf(stderr, "segkit_bench: cannot read %zu x %zu doubles from %s\n", n, d, argv[2]);
    return 1;
  }
  fclose(f);
  segkit_cluster_data data = {.x = x, .n = n, .d = d};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_KMEANS;
  opt.k = strtoull(argv[5], NULL, 10);
  opt.restarts = atoi(argv[6]);
  opt.max_iter = atoi(argv[7]);
  opt.n_threads = atoi(argv[8]);
  opt.algorithm = strcmp(argv[9], "lloyd") == 0     ? SEGKIT_KMEANS_LLOYD
                  : strcmp(argv[9], "hamerly") == 0 ? SEGKIT_KMEANS_HAMERLY
                                                    : SEGKIT_KMEANS_AUTO;
  segkit_error err;
  segkit_cluster_model *m = NULL;
  double t0 = now();
  if (segkit_cluster_fit(&data, &opt, &m, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  double secs = now() - t0;
  FILE *out = fopen(argv[10], "wb");
  if (!out || fwrite(segkit_cluster_model_centroids(m), sizeof(double), opt.k * d, out) != opt.k * d) {
    fprintf(stderr, "segkit_bench: cannot write %s\n", argv[10]);
    return 1;
  }
  fclose(out);
  printf("{\"op\":\"kmeans\",\"rows\":%zu,\"seconds\":%.4f,\"inertia\":%.10g,"
         "\"iterations\":%d,\"best_start\":%d,\"algorithm\":%d}\n",
         n, secs, segkit_cluster_model_inertia(m), segkit_cluster_model_iterations(m),
         segkit_cluster_model_best_start(m), (int)segkit_cluster_model_algorithm(m));
  segkit_cluster_model_free(m);
  free(x);
  return 0;
}

/* ==== customer value (bench/run clv) ======================================================= */

/* The generating BG/NBD parameters (weeks) and the calendar of the generated log. */
static const double CLV_TRUE[4] = {0.25, 4.0, 0.8, 2.5};
enum { CLV_FIRST_DAYS = 84, CLV_CAL_END = 273, CLV_CHECK_CUSTOMERS = 2000000 };

/* xoshiro256** seeded per customer through splitmix64, so customer c's history does not
 * depend on how many customers are generated (the CSV's N customers are the first N of
 * the in-memory run). */
typedef struct clv_rng {
  uint64_t s[4];
} clv_rng;

static uint64_t clv_splitmix(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void clv_rng_seed(clv_rng *g, uint64_t seed, uint64_t customer) {
  uint64_t x = seed * UINT64_C(0x2545F4914F6CDD1D) ^ customer;
  for (int i = 0; i < 4; i++) {
    g->s[i] = clv_splitmix(&x);
  }
}

static uint64_t clv_rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static uint64_t clv_next(clv_rng *g) {
  uint64_t *s = g->s;
  uint64_t out = clv_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = clv_rotl(s[3], 45);
  return out;
}

/* Uniform in (0, 1). */
static double clv_unif(clv_rng *g) {
  return ((double)(clv_next(g) >> 11) + 0.5) * 0x1.0p-53;
}

static double clv_normal(clv_rng *g) {
  for (;;) {
    double u = 2.0 * clv_unif(g) - 1.0;
    double v = 2.0 * clv_unif(g) - 1.0;
    double q = u * u + v * v;
    if (q > 0.0 && q < 1.0) {
      return u * sqrt(-2.0 * log(q) / q);
    }
  }
}

/* Gamma(shape, 1): Marsaglia & Tsang (2000); shape < 1 through Gamma(shape + 1) U^(1/shape). */
static double clv_gamma(clv_rng *g, double shape) {
  if (shape < 1.0) {
    return clv_gamma(g, shape + 1.0) * pow(clv_unif(g), 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0;
  double c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double z = clv_normal(g);
    double v = 1.0 + c * z;
    if (v <= 0.0) {
      continue;
    }
    v = v * v * v;
    double u = clv_unif(g);
    if (log(u) < 0.5 * z * z + d - d * v + d * log(v)) {
      return d * v;
    }
  }
}

typedef struct clv_log {
  size_t n, cap;
  int64_t *customer;
  int32_t *day;
} clv_log;

static int clv_push(clv_log *l, int64_t customer, int32_t day) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 1 << 20;
    int64_t *c = realloc(l->customer, cap * sizeof *c);
    if (c == NULL) {
      return -1;
    }
    l->customer = c;
    int32_t *d = realloc(l->day, cap * sizeof *d);
    if (d == NULL) {
      return -1;
    }
    l->day = d;
    l->cap = cap;
  }
  l->customer[l->n] = customer;
  l->day[l->n] = day;
  l->n++;
  return 0;
}

/* The BG/NBD story for customers [0, n): purchase rate lambda ~ Gamma(r, alpha) per week,
 * dropout probability p ~ Beta(a, b) after each repeat purchase; the first purchase at a
 * uniform time in the first 12 weeks; purchases counted up to day CLV_CAL_END (days from
 * base_day). */
static int clv_generate(size_t n, uint64_t seed, int32_t base_day, clv_log *out,
                        double *exact) {
  double r = CLV_TRUE[0], alpha = CLV_TRUE[1], a = CLV_TRUE[2], b = CLV_TRUE[3];
  for (size_t c = 0; c < n; c++) {
    clv_rng g;
    clv_rng_seed(&g, seed, c);
    double lambda = clv_gamma(&g, r) / alpha;
    double ga = clv_gamma(&g, a);
    double p = ga / (ga + clv_gamma(&g, b));
    double t = clv_unif(&g) * CLV_FIRST_DAYS;
    double first = t, last = t, repeats = 0.0;
    if (clv_push(out, (int64_t)c + 1, base_day + (int32_t)floor(t)) != 0) {
      return -1;
    }
    for (;;) {
      t += -log(clv_unif(&g)) / lambda * 7.0;
      if (!(t < CLV_CAL_END + 1.0)) {
        break;
      }
      if (clv_push(out, (int64_t)c + 1, base_day + (int32_t)floor(t)) != 0) {
        return -1;
      }
      repeats += 1.0;
      last = t;
      if (clv_unif(&g) < p) {
        break;
      }
    }
    if (exact != NULL) {
      /* The process's own (x, t_x, T) in continuous weeks, before days merge purchases. */
      exact[c] = repeats;
      exact[n + c] = (last - first) / 7.0;
      exact[2 * n + c] = (CLV_CAL_END + 1.0 - first) / 7.0;
    }
  }
  return 0;
}

/* Reorder the log by day (stable counting sort), as a real transaction log comes: the
 * summary must then do its own grouping by customer. */
static int clv_by_day(clv_log *l, int32_t base_day) {
  enum { DAYS = CLV_CAL_END + 1 };
  size_t start[DAYS + 1] = {0};
  for (size_t i = 0; i < l->n; i++) {
    start[l->day[i] - base_day + 1]++;
  }
  for (int d = 0; d < DAYS; d++) {
    start[d + 1] += start[d];
  }
  int64_t *c = malloc((l->n ? l->n : 1) * sizeof *c);
  int32_t *dd = malloc((l->n ? l->n : 1) * sizeof *dd);
  if (c == NULL || dd == NULL) {
    free(c);
    free(dd);
    return -1;
  }
  for (size_t i = 0; i < l->n; i++) {
    size_t at = start[l->day[i] - base_day]++;
    c[at] = l->customer[i];
    dd[at] = l->day[i];
  }
  free(l->customer);
  free(l->day);
  l->customer = c;
  l->day = dd;
  return 0;
}

static int32_t clv_base_day(void) {
  int32_t day = 0;
  segkit_parse_date("2025-01-01", 10, &day);
  return day;
}

static int clv_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double clv_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, clv_cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double clv_peak_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* A column of the summary as doubles (frequency is int64). */
static double *clv_column(const segkit_table *t, const char *name) {
  const segkit_column *c = segkit_table_column(t, (size_t)segkit_table_column_index(t, name));
  size_t n = segkit_table_n_rows(t);
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (v == NULL) {
    return NULL;
  }
  const double *f = segkit_column_float64(c);
  const int64_t *i64 = segkit_column_int64(c);
  for (size_t i = 0; i < n; i++) {
    v[i] = f ? f[i] : (double)i64[i];
  }
  return v;
}

static int clv_threads = 1;
/* The fit on the generator's exact histories (segkit_bench clv only; NaN otherwise). */
static double clv_exact_params[4] = {NAN, NAN, NAN, NAN};
static double clv_exact_se[4] = {NAN, NAN, NAN, NAN};
static double clv_exact_seconds = NAN;
static size_t clv_exact_customers = 0;

typedef struct clv_phase {
  double summarise, fit, predict;
} clv_phase;

/* One run of the pipeline on a transactions table: summaries, BG/NBD fit, predictions.
 * The last run's model and checks are kept for printing. */
static int clv_pipeline(const segkit_table *tx, const char *customer, const char *date,
                        int32_t cal_end, clv_phase *ph, segkit_clv_model **model_out,
                        size_t *n_customers, double *sum_alive, double *sum_expected) {
  segkit_error err;
  segkit_clv_summary_options so;
  segkit_clv_summary_options_init(&so);
  so.customer = customer;
  so.date = date;
  so.calibration_end = cal_end;
  so.observation_end = cal_end;
  so.days_per_unit = 7.0;
  double t0 = now();
  segkit_table *sum = NULL;
  if (segkit_clv_summarise(tx, &so, &sum, NULL, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  double t1 = now();
  size_t n = segkit_table_n_rows(sum);
  double *f = clv_column(sum, "frequency");
  double *r = clv_column(sum, "recency");
  double *T = clv_column(sum, "T");
  if (!f || !r || !T) {
    fprintf(stderr, "segkit_bench: no memory\n");
    return 1;
  }
  segkit_clv_fit_options fo;
  segkit_clv_fit_options_init(&fo);
  segkit_clv_model *m = NULL;
  if (segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, f, r, T, NULL, n, &fo, &m, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  double t2 = now();
  double *alive = malloc((n ? n : 1) * sizeof *alive);
  double *expected = malloc((n ? n : 1) * sizeof *expected);
  if (!alive || !expected) {
    fprintf(stderr, "segkit_bench: no memory\n");
    return 1;
  }
  segkit_clv_predict_options po;
  segkit_clv_predict_options_init(&po);
  po.horizon = 52.0;
  po.n_threads = clv_threads;
  if (segkit_clv_predict(m, NULL, f, r, T, NULL, n, &po, alive, expected, NULL, NULL, &err) !=
      SEGKIT_OK) {
    return fail(&err);
  }
  double t3 = now();
  *sum_alive = 0.0;
  *sum_expected = 0.0;
  for (size_t i = 0; i < n; i++) {
    *sum_alive += alive[i];
    *sum_expected += expected[i];
  }
  ph->summarise = t1 - t0;
  ph->fit = t2 - t1;
  ph->predict = t3 - t2;
  *n_customers = n;
  segkit_clv_model_free(*model_out);
  *model_out = m;
  free(alive);
  free(expected);
  free(f);
  free(r);
  free(T);
  segkit_table_free(sum);
  return 0;
}

static int clv_run(const char *op, const segkit_table *tx, const char *customer,
                   const char *date, int32_t cal_end, int repeat) {
  double s[64], f[64], p[64], tot[64];
  repeat = repeat < 1 ? 1 : repeat > 64 ? 64 : repeat;
  segkit_clv_model *m = NULL;
  size_t n = 0;
  double sa = 0.0, se = 0.0;
  for (int k = 0; k < repeat; k++) {
    clv_phase ph;
    int rc = clv_pipeline(tx, customer, date, cal_end, &ph, &m, &n, &sa, &se);
    if (rc != 0) {
      return rc;
    }
    s[k] = ph.summarise;
    f[k] = ph.fit;
    p[k] = ph.predict;
    tot[k] = ph.summarise + ph.fit + ph.predict;
    fprintf(stderr, "  run %d: summarise %.3f s, fit %.3f s, predict %.3f s, total %.3f s\n",
            k + 1, ph.summarise, ph.fit, ph.predict, tot[k]);
  }
  printf("{\"op\":\"%s\",\"rows\":%zu,\"customers\":%zu,\"seconds\":%.4f,\"summarise\":%.4f,"
         "\"fit\":%.4f,\"predict\":%.4f,\"params\":[%.9g,%.9g,%.9g,%.9g],"
         "\"log_likelihood\":%.6f,\"iterations\":%d,\"sum_p_alive\":%.6f,"
         "\"sum_expected_52\":%.6f,\"predict_threads\":%d,\"peak_mb\":%.0f",
         op, segkit_table_n_rows(tx), n, clv_median(tot, repeat), clv_median(s, repeat),
         clv_median(f, repeat), clv_median(p, repeat), segkit_clv_model_param(m, 0),
         segkit_clv_model_param(m, 1), segkit_clv_model_param(m, 2),
         segkit_clv_model_param(m, 3), segkit_clv_model_log_likelihood(m),
         segkit_clv_model_iterations(m), sa, se, clv_threads, clv_peak_mb());
  if (!isnan(clv_exact_params[0])) {
    printf(",\"exact_customers\":%zu,\"exact_seconds\":%.3f,\"exact_params\":[%.9g,%.9g,%.9g,%.9g],"
           "\"exact_se\":[%.4g,%.4g,%.4g,%.4g]",
           clv_exact_customers, clv_exact_seconds,
           clv_exact_params[0], clv_exact_params[1], clv_exact_params[2], clv_exact_params[3],
           clv_exact_se[0], clv_exact_se[1], clv_exact_se[2], clv_exact_se[3]);
  }
  printf("}\n");
  segkit_clv_model_free(m);
  return 0;
}

/* segkit_bench clv N REPEAT SEED: generated in memory (generation not timed). */
static int bench_clv_memory(size_t n, int repeat, uint64_t seed) {
  clv_log l = {0};
  int32_t base = clv_base_day();
  double t0 = now();
  double *exact = malloc(3 * (n ? n : 1) * sizeof *exact);
  if (exact == NULL || clv_generate(n, seed, base, &l, exact) != 0 || clv_by_day(&l, base) != 0) {
    fprintf(stderr, "segkit_bench: no memory for the transactions\n");
    return 1;
  }
  segkit_column_arrays cols[2] = {
      {.name = "customer_id", .type = SEGKIT_TYPE_INT64, .data = l.customer},
      {.name = "date", .type = SEGKIT_TYPE_DATE, .data = l.day},
  };
  segkit_error err;
  segkit_table *t = NULL;
  if (segkit_table_from_arrays_take(l.n, 2, cols, &t, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  fprintf(stderr, "  generated %zu customers, %zu transactions in %.2f s (not timed)\n", n,
          segkit_table_n_rows(t), now() - t0);
  /* Recovery check, not timed: the fit on the exact continuous-time histories, which the
   * model describes without the rounding of purchases to days. */
  segkit_clv_fit_options fo;
  segkit_clv_fit_options_init(&fo);
  segkit_clv_model *em = NULL;
  double te = now();
  /* On at most CLV_CHECK_CUSTOMERS customers: every one is a distinct triple there, so the
   * check costs what a fit on that many triples costs. */
  size_t nc = n < CLV_CHECK_CUSTOMERS ? n : CLV_CHECK_CUSTOMERS;
  if (segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, exact, exact + n, exact + 2 * n, NULL, nc, &fo,
                               &em, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  for (int i = 0; i < 4; i++) {
    clv_exact_params[i] = segkit_clv_model_param(em, i);
    clv_exact_se[i] = segkit_clv_model_std_error(em, i);
  }
  clv_exact_seconds = now() - te;
  clv_exact_customers = nc;
  segkit_clv_model_free(em);
  free(exact);
  int rc = clv_run("clv", t, "customer_id", "date", base + CLV_CAL_END, repeat);
  segkit_table_free(t);
  return rc;
}

/* segkit_bench clv_csv FILE REPEAT CALEND: the pipeline on a CSV (read not timed). */
static int bench_clv_csv(const char *file, int repeat, const char *cal_end) {
  int32_t end = 0;
  if (!segkit_parse_date(cal_end, strlen(cal_end), &end)) {
    fprintf(stderr, "segkit_bench: bad date '%s'\n", cal_end);
    return 2;
  }
  segkit_error err;
  segkit_read_options ropt;
  segkit_read_options_init(&ropt);
  segkit_read_result *res = NULL;
  if (segkit_csv_read(file, &ropt, &res, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  int rc = clv_run("clv_csv", segkit_read_result_table(res), "customer_id", "date", end, repeat);
  segkit_read_result_free(res);
  return rc;
}

/* segkit_bench clv_gen N SEED FILE */
static int bench_clv_gen(size_t n, uint64_t seed, const char *file) {
  clv_log l = {0};
  if (clv_generate(n, seed, clv_base_day(), &l, NULL) != 0 ||
      clv_by_day(&l, clv_base_day()) != 0) {
    fprintf(stderr, "segkit_bench: no memory for the transactions\n");
    return 1;
  }
  FILE *f = fopen(file, "w");
  if (f == NULL) {
    fprintf(stderr, "segkit_bench: cannot write %s\n", file);
    return 1;
  }
  fputs("customer_id,date\n", f);
  for (size_t i = 0; i < l.n; i++) {
    char d[16];
    segkit_format_date(l.day[i], d, sizeof d);
    fprintf(f, "%lld,%s\n", (long long)l.customer[i], d);
  }
  int bad = fclose(f) != 0;
  printf("{\"op\":\"clv_gen\",\"customers\":%zu,\"rows\":%zu}\n", n, l.n);
  free(l.customer);
  free(l.day);
  return bad;
}

/* segkit_bench clv_cdnow FILE REPEAT MODEL [STARTS]: the fit alone, default options. */
static int bench_clv_cdnow(const char *file, int repeat, const char *model, int starts) {
  int kind = segkit_clv_kind_parse(model);
  segkit_error err;
  segkit_read_options ropt;
  segkit_read_options_init(&ropt);
  segkit_read_result *res = NULL;
  if (kind < 0 || segkit_csv_read(file, &ropt, &res, &err) != SEGKIT_OK) {
    return kind < 0 ? 2 : fail(&err);
  }
  const segkit_table *t = segkit_read_result_table(res);
  size_t n = segkit_table_n_rows(t);
  double *f = clv_column(t, "frequency"), *r = clv_column(t, "recency"), *T = clv_column(t, "T");
  double secs[64];
  repeat = repeat < 1 ? 1 : repeat > 64 ? 64 : repeat;
  segkit_clv_model *m = NULL;
  for (int k = 0; k < repeat; k++) {
    segkit_clv_model_free(m);
    m = NULL;
    segkit_clv_fit_options fo;
    segkit_clv_fit_options_init(&fo);
    if (starts > 0) {
      fo.starts = starts;
    }
    double t0 = now();
    if (segkit_clv_fit_purchases((segkit_clv_kind)kind, f, r, T, NULL, n, &fo, &m, &err) !=
        SEGKIT_OK) {
      return fail(&err);
    }
    secs[k] = now() - t0;
  }
  printf("{\"op\":\"clv_cdnow\",\"model\":\"%s\",\"starts\":%d,\"rows\":%zu,\"seconds\":%.5f,"
         "\"params\":[%.9g,%.9g,%.9g,%.9g],\"log_likelihood\":%.6f,\"iterations\":%d}\n",
         model, starts > 0 ? starts : 5, n, clv_median(secs, repeat), segkit_clv_model_param(m, 0),
         segkit_clv_model_param(m, 1), segkit_clv_model_param(m, 2),
         segkit_clv_model_param(m, 3), segkit_clv_model_log_likelihood(m),
         segkit_clv_model_iterations(m));
  segkit_clv_model_free(m);
  free(f);
  free(r);
  free(T);
  segkit_read_result_free(res);
  return 0;
}

static int bench_clv(int argc, char **argv) {
  const char *threads = getenv("SEGKIT_BENCH_THREADS");
  clv_threads = threads != NULL ? atoi(threads) : 1;
  if (argc >= 5 && strcmp(argv[1], "clv") == 0) {
    return bench_clv_memory(strtoull(argv[2], NULL, 10), atoi(argv[3]),
                            strtoull(argv[4], NULL, 10));
  }
  if (argc >= 5 && strcmp(argv[1], "clv_csv") == 0) {
    return bench_clv_csv(argv[2], atoi(argv[3]), argv[4]);
  }
  if (argc >= 5 && strcmp(argv[1], "clv_gen") == 0) {
    return bench_clv_gen(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10), argv[4]);
  }
  if (argc >= 5 && strcmp(argv[1], "clv_cdnow") == 0) {
    return bench_clv_cdnow(argv[2], atoi(argv[3]), argv[4], argc >= 6 ? atoi(argv[5]) : 0);
  }
  fprintf(stderr, "usage: segkit_bench clv N REPEAT SEED | clv_csv FILE REPEAT CALEND | "
                  "clv_gen N SEED FILE | clv_cdnow FILE REPEAT MODEL [STARTS]\n");
  return 2;
}

static int cmp_secs(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

static int bench_view(const char *ws, const char *name, const char *rates, int repeat) {
  segkit_error err;
  segkit_view_param p[] = {{"rates", rates}};
  segkit_views *v = NULL;
  double t0 = now();
  if (segkit_views_open(ws, p, 1, &v, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  char *text = NULL;
  if (segkit_view(v, name, NULL, 0, &text, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  double cold = now() - t0;
  size_t bytes = strlen(text);
  bool available = strstr(text, "\"available\":true") != NULL;
  free(text);
  double warm[64];
  int n = repeat < 64 ? repeat : 64;
  for (int i = 0; i < n; i++) {
    double t1 = now();
    if (segkit_view(v, name, NULL, 0, &text, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    warm[i] = now() - t1;
    free(text);
  }
  qsort(warm, (size_t)n, sizeof *warm, cmp_secs);
  printf("{\"op\":\"view\",\"view\":\"%s\",\"seconds\":%.4f,\"warm\":%.4f,\"bytes\":%zu,"
         "\"available\":%s}\n",
         name, cold, n > 0 ? warm[n / 2] : NAN, bytes, available ? "true" : "false");
  segkit_views_close(v);
  return 0;
}

static int bench_report(const char *ws, const char *rates) {
  segkit_error err;
  segkit_view_param p[] = {{"rates", rates}};
  segkit_views *v = NULL;
  double t0 = now();
  char *html = NULL;
  size_t len = 0;
  if (segkit_views_open(ws, p, 1, &v, &err) != SEGKIT_OK ||
      segkit_report_html(v, NULL, &html, &len, &err) != SEGKIT_OK) {
    return fail(&err);
  }
  printf("{\"op\":\"report\",\"seconds\":%.4f,\"bytes\":%zu}\n", now() - t0, len);
  free(html);
  segkit_views_close(v);
  return 0;
}

int main(int argc, char **argv) {
  segkit_error err;
  if (argc >= 6 && strcmp(argv[1], "view") == 0) {
    return bench_view(argv[2], argv[3], argv[4], atoi(argv[5]));
  }
  if (argc >= 4 && strcmp(argv[1], "report") == 0) {
    return bench_report(argv[2], argv[3]);
  }
  if (argc >= 3 && strcmp(argv[1], "read") == 0) {
    segkit_read_options opt;
    segkit_read_options_init(&opt);
    opt.n_threads = argc >= 4 ? atoi(argv[3]) : 0;
    segkit_read_result *res = NULL;
    double t0 = now();
    if (segkit_csv_read(argv[2], &opt, &res, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    double secs = now() - t0;
    const segkit_read_counts *c = segkit_read_result_counts(res);
    printf("{\"op\":\"read\",\"rows\":%lld,\"bytes\":%lld,\"seconds\":%.4f,\"table_bytes\":%zu}\n",
           (long long)c->rows_imported, (long long)c->bytes_read, secs,
           segkit_table_memory_bytes(segkit_read_result_table(res)));
    segkit_read_result_free(res);
    return 0;
  }
  if (argc >= 5 && strcmp(argv[1], "import") == 0) {
    segkit_workspace *ws = NULL;
    double t0 = now();
    if (segkit_workspace_open(argv[3], SEGKIT_WORKSPACE_CREATE, &ws, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    segkit_read_options opt;
    segkit_read_options_init(&opt);
    segkit_read_result *res = NULL;
    if (segkit_csv_read(argv[2], &opt, &res, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    segkit_import_request req = {.dataset = argv[4],
                                 .mode = SEGKIT_IMPORT_REPLACE,
                                 .source = argv[2],
                                 .table = segkit_read_result_table(res),
                                 .counts = segkit_read_result_counts(res),
                                 .actor = "bench"};
    segkit_import_outcome out;
    if (segkit_workspace_import(ws, &req, &out, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    double secs = now() - t0;
    printf("{\"op\":\"import\",\"rows\":%lld,\"seconds\":%.4f}\n", (long long)out.dataset_rows, secs);
    segkit_read_result_free(res);
    segkit_workspace_close(ws);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "load") == 0) {
    segkit_workspace *ws = NULL;
    if (segkit_workspace_open(argv[2], 0, &ws, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    segkit_table *t = NULL;
    double t0 = now();
    if (segkit_workspace_load(ws, argv[3], &t, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    double secs = now() - t0;
    printf("{\"op\":\"load\",\"rows\":%zu,\"seconds\":%.4f}\n", segkit_table_n_rows(t), secs);
    segkit_table_free(t);
    segkit_workspace_close(ws);
    return 0;
  }
  if (argc >= 6 && strcmp(argv[1], "km") == 0) {
    segkit_read_options opt;
    segkit_read_options_init(&opt);
    segkit_read_result *res = NULL;
    if (segkit_csv_read(argv[2], &opt, &res, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    const segkit_table *t = segkit_read_result_table(res);
    const char *by[1] = {argv[5]};
    segkit_surv_columns cols = {argv[3], argv[4], 1, by, 1, NULL};
    double t0 = now();
    segkit_surv_data *d = NULL;
    segkit_km *km = NULL;
    segkit_logrank *lr = NULL;
    if (segkit_surv_data_from_table(t, &cols, &d, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    segkit_surv_input in = segkit_surv_data_input(d);
    if (segkit_km_fit(&in, 0.95, &km, &err) != SEGKIT_OK || segkit_logrank_test(km, &lr, &err) != SEGKIT_OK) {
      return fail(&err);
    }
    double secs = now() - t0;
    printf("{\"op\":\"km\",\"rows\":%zu,\"seconds\":%.4f,\"chi2\":%.6f,\"median0\":%.6g}\n",
           segkit_table_n_rows(t), secs, lr->chi2, segkit_km_group(km, 0)->median);
    segkit_logrank_free(lr);
    segkit_km_free(km);
    segkit_surv_data_free(d);
    segkit_read_result_free(res);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "rule") == 0) {
    return bench_rule(argv[2], argv[3], argc >= 5 ? atoi(argv[4]) : 0);
  }
  if (argc >= 5 && strcmp(argv[1], "metrics") == 0) {
    return bench_metrics(argv[2], argv[3], argv[4], argc >= 6 ? atoi(argv[5]) : 0);
  }
  if (argc >= 4 && strcmp(argv[1], "rfm") == 0) {
    return bench_rfm(argv[2], argv[3], argc >= 5 ? atoi(argv[4]) : 0);
  }
  if (argc >= 4 && strcmp(argv[1], "rfm_csv") == 0) {
    return bench_rfm_csv(argv[2], argv[3], argc >= 5 ? atoi(argv[4]) : 0);
  }
  if (argc >= 11 && strcmp(argv[1], "kmeans") == 0) {
    return bench_kmeans(argv);
  }
  if (argc >= 2 && strncmp(argv[1], "clv", 3) == 0) {
    return bench_clv(argc, argv);
  }
  fprintf(stderr, "usage: segkit_bench read FILE [THREADS] | import FILE WS NAME | load WS NAME"
                  " | km FILE TIME EVENT GROUP | metrics FILE FROM TO [THREADS]"
                  " | rfm FILE ASOF [THREADS] | rfm_csv FILE ASOF [THREADS]"
                  " | kmeans FILE N D K RESTARTS MAX_ITER THREADS ALG CENTROIDS_OUT"
                  " | clv N REPEAT SEED | clv_csv FILE REPEAT CALEND | clv_gen N SEED FILE"
                  " | clv_cdnow FILE REPEAT MODEL [STARTS]\n");
  return 2;
}
