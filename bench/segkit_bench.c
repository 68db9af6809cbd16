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
 * Timing covers the operation only (not process start or freeing), like the peers'
 * scripts, which time the read call inside their process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv) {
  segkit_error err;
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
  fprintf(stderr, "usage: segkit_bench read FILE [THREADS] | import FILE WS NAME | load WS NAME"
                  " | km FILE TIME EVENT GROUP | metrics FILE FROM TO [THREADS]"
                  " | rfm FILE ASOF [THREADS] | rfm_csv FILE ASOF [THREADS]"
                  " | kmeans FILE N D K RESTARTS MAX_ITER THREADS ALG CENTROIDS_OUT\n");
  return 2;
}
