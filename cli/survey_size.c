/* segkit survey size --by SEGMENT: how big each segment is in the market, from the survey.
 *
 * For each segment: its (weighted) share of respondents with the logit interval of R's
 * svyciprop, and with --population N the market sizes a plan is made of:
 *   TAM  the people (or companies) in the segment: share x N;
 *   SAM  those the business can serve (--serviceable RULE, a rule over the survey's
 *        columns in the segment rule language, e.g. 'region in (1, 2) and company_size >=
 *        2'): the share of respondents both in the segment and serviceable, x N;
 *   SOM  those it can reach: SAM x --reachable P (a planning assumption, not estimated
 *        from the survey: its interval is SAM's scaled by P);
 * each with its interval, and with --value V (a year's value per customer) the same in
 * money. Key design choice: SAM is estimated as one share (segment and serviceable
 * together), not as share x serviceable share, so its interval is the honest one of a
 * single proportion instead of a product of two estimates. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/segment.h"
#include "segkit/survey.h"
#include "survey_cli.h"

static bool get_positive(cli_args *a, const char *flag, double max, double *out) {
  const char *s = cli_get(a, flag);
  if (s == NULL) {
    return true;
  }
  char *end = NULL;
  *out = strtod(s, &end);
  if (end == s || *end != '\0' || !(*out > 0) || !(*out <= max)) {
    cli_usage_error("survey", "--%s must be a number > 0%s", flag, max < 2 ? " and <= 1" : "");
    return false;
  }
  return true;
}

/* Codes for SAM: the segment where the serviceable rule holds, else an extra level. */
static int serviceable_codes(cli_args *a, const segkit_table *t, const survey_question *q,
                             int32_t **out, size_t *n_serviceable) {
  const char *id = cli_get(a, "id");
  if (id == NULL) {
    id = segkit_table_n_cols(t) > 0 ? segkit_column_name(segkit_table_column(t, 0)) : "";
  }
  segkit_rule_env *env = NULL;
  segkit_rule *rule = NULL;
  segkit_error err;
  segkit_rule_diag diag;
  size_t n = segkit_table_n_rows(t);
  uint64_t *bits = calloc((n + 63) / 64 + 1, sizeof *bits);
  int32_t *codes = malloc((n + 1) * sizeof *codes);
  int rc = bits == NULL || codes == NULL ? CLI_EXIT_ENV : 0;
  if (rc == 0 && segkit_rule_env_new(t, id, segkit_now_us(), &env, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0 &&
      segkit_rule_compile(env, cli_get(a, "serviceable"), &rule, &diag, &err) != SEGKIT_OK) {
    fprintf(stderr, "segkit survey: --serviceable: %s\n%s\n", err.message, diag.excerpt);
    rc = CLI_EXIT_USAGE;
  }
  size_t count = 0;
  if (rc == 0 && segkit_rule_eval(rule, env, a->threads, bits, &count, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    bool in = (bits[i / 64] >> (i % 64)) & 1;
    codes[i] = q->codes[i] < 0 ? -1 : in ? q->codes[i] : (int32_t)q->n_levels;
  }
  segkit_rule_free(rule);
  segkit_rule_env_free(env);
  free(bits);
  if (rc != 0) {
    free(codes);
    return rc;
  }
  *out = codes;
  *n_serviceable = count;
  return 0;
}

typedef struct sizes {
  double population, value, reachable;
  bool has_value, has_sam, has_som;
} sizes;

static json_t *measure_json(double share, double lo, double hi, const sizes *z, double scale) {
  double count = share * z->population * scale;
  json_t *o = json_pack("{s:f, s:o, s:o}", "count", count, "lower",
                        cli_json_number(lo * z->population * scale), "upper",
                        cli_json_number(hi * z->population * scale));
  if (z->has_value) {
    json_object_set_new(o, "value", json_real(count * z->value));
    json_object_set_new(o, "value_lower", cli_json_number(lo * z->population * scale * z->value));
    json_object_set_new(o, "value_upper", cli_json_number(hi * z->population * scale * z->value));
  }
  return o;
}

static void range_cell(cli_grid *g, double lo, double hi) {
  char cell[96];
  if (isfinite(lo) && isfinite(hi)) {
    snprintf(cell, sizeof cell, "%.0f - %.0f", lo, hi);
    cli_grid_text(g, cell);
  } else {
    cli_grid_null(g);
  }
}

static int print_sizes(cli_args *a, const survey_question *q, const segkit_shares *sh,
                       const segkit_shares *sam, const sizes *z, double level, bool weighted) {
  if (a->format == CLI_FORMAT_JSON) {
    json_t *segs = json_array();
    for (uint32_t k = 0; k < q->n_levels; k++) {
      const segkit_share *s = segkit_shares_at(sh, k);
      json_t *o =
          json_pack("{s:s, s:f, s:o, s:o, s:o, s:f, s:I, s:b}", "segment", q->labels[k], "share",
                    s->share, "se", cli_json_number(s->se), "lower", cli_json_number(s->lower),
                    "upper", cli_json_number(s->upper), "base", s->base, "respondents",
                    (json_int_t)s->base_unweighted, "degenerate", s->degenerate);
      if (z->population > 0) {
        json_object_set_new(o, "tam", measure_json(s->share, s->lower, s->upper, z, 1.0));
        /* kept for scripts written against the first version of this output */
        json_object_set_new(o, "projected", json_real(s->projected));
        json_object_set_new(o, "projected_lower", cli_json_number(s->projected_lower));
        json_object_set_new(o, "projected_upper", cli_json_number(s->projected_upper));
      }
      if (sam != NULL) {
        const segkit_share *v = segkit_shares_at(sam, k);
        json_object_set_new(o, "sam_share", json_real(v->share));
        json_object_set_new(o, "sam", measure_json(v->share, v->lower, v->upper, z, 1.0));
        if (z->has_som) {
          json_object_set_new(o, "som", measure_json(v->share, v->lower, v->upper, z,
                                                     z->reachable));
        }
      }
      json_array_append_new(segs, o);
    }
    json_t *root = json_pack("{s:s, s:b, s:f, s:o, s:o, s:o, s:I, s:s, s:o}", "by", q->name,
                             "weighted", weighted, "level", level, "population",
                             z->population > 0 ? json_real(z->population) : json_null(),
                             "value", z->has_value ? json_real(z->value) : json_null(),
                             "reachable", z->has_som ? json_real(z->reachable) : json_null(),
                             "respondents", (json_int_t)segkit_shares_n_used(sh), "interval",
                             "logit", "segments", segs);
    if (sam != NULL) {
      json_object_set_new(root, "serviceable", json_string(cli_get(a, "serviceable")));
    }
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
    return 0;
  }
  char ci_name[32];
  snprintf(ci_name, sizeof ci_name, "%.0f%%_interval", level * 100);
  const char *headers[16];
  size_t nh = 0;
  headers[nh++] = q->name;
  headers[nh++] = "respondents";
  headers[nh++] = "share_pct";
  headers[nh++] = ci_name;
  if (z->population > 0) {
    headers[nh++] = "tam";
    headers[nh++] = "tam_interval";
  }
  if (sam != NULL) {
    headers[nh++] = "sam";
    headers[nh++] = "sam_interval";
  }
  if (z->has_som) {
    headers[nh++] = "som";
    headers[nh++] = "som_interval";
  }
  if (z->has_value) {
    headers[nh++] = sam != NULL ? (z->has_som ? "som_value" : "sam_value") : "tam_value";
  }
  cli_grid *g = cli_grid_new(nh, headers);
  char cell[96];
  for (uint32_t k = 0; g != NULL && k < q->n_levels; k++) {
    const segkit_share *s = segkit_shares_at(sh, k);
    cli_grid_row(g);
    cli_grid_text(g, q->labels[k]);
    cli_grid_int(g, (int64_t)s->base_unweighted);
    cli_grid_real(g, 100 * s->share, 2);
    snprintf(cell, sizeof cell, "%.2f - %.2f", 100 * s->lower, 100 * s->upper);
    cli_grid_text(g, cell);
    double last = s->share * z->population;
    if (z->population > 0) {
      cli_grid_real(g, s->share * z->population, 0);
      range_cell(g, s->lower * z->population, s->upper * z->population);
    }
    if (sam != NULL) {
      const segkit_share *v = segkit_shares_at(sam, k);
      cli_grid_real(g, v->share * z->population, 0);
      range_cell(g, v->lower * z->population, v->upper * z->population);
      last = v->share * z->population;
      if (z->has_som) {
        cli_grid_real(g, last * z->reachable, 0);
        range_cell(g, v->lower * z->population * z->reachable,
                   v->upper * z->population * z->reachable);
        last *= z->reachable;
      }
    }
    if (z->has_value) {
      cli_grid_real(g, last * z->value, 0);
    }
  }
  int rc = g != NULL && cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
    printf("%s shares of %zu respondents; logit intervals (R's svyciprop)", weighted ? "weighted"
                                                                                    : "unweighted",
           segkit_shares_n_used(sh));
    if (z->population > 0) {
      printf("; TAM = share x %.0f", z->population);
    }
    if (sam != NULL) {
      printf("; SAM = share in the segment and serviceable x %.0f", z->population);
    }
    if (z->has_som) {
      printf("; SOM = SAM x %g reachable (an assumption: its interval is SAM's)", z->reachable);
    }
    printf("\n");
  }
  return rc;
}

int survey_size(cli_args *a) {
  sizes z = {0};
  double level = 0.95;
  if (!get_positive(a, "population", INFINITY, &z.population) ||
      !get_positive(a, "value", INFINITY, &z.value) ||
      !get_positive(a, "reachable", 1.0, &z.reachable) || !cli_get_level(a, "survey", &level)) {
    return CLI_EXIT_USAGE;
  }
  z.has_value = cli_get(a, "value") != NULL;
  z.has_sam = cli_get(a, "serviceable") != NULL;
  z.has_som = cli_get(a, "reachable") != NULL;
  if ((z.has_value || z.has_sam) && !(z.population > 0)) {
    return cli_usage_error("survey", "--value and --serviceable need --population N");
  }
  if (z.has_som && !z.has_sam) {
    return cli_usage_error("survey", "--reachable applies to the serviceable market: give "
                                     "--serviceable RULE");
  }
  survey_source src;
  segkit_table *t = NULL;
  segkit_codebook *cb = NULL;
  survey_question q;
  int rc = survey_open_segments(a, &src, &t, &cb, &q);
  if (t == NULL) {
    return rc;
  }
  double *w = NULL;
  if (rc == 0) {
    rc = survey_weights_from_args(a, t, "survey", &w);
  }
  segkit_shares *sh = NULL;
  segkit_shares *sam = NULL;
  int32_t *sam_codes = NULL;
  size_t n_serviceable = 0;
  segkit_error err;
  if (rc == 0) {
    segkit_shares_input in = {.n = q.n, .codes = q.codes, .n_levels = q.n_levels,
                              .weights = w, .level = level, .population_total = z.population};
    if (segkit_shares_new(&in, &sh, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0 && z.has_sam) {
    rc = serviceable_codes(a, t, &q, &sam_codes, &n_serviceable);
  }
  if (rc == 0 && z.has_sam) {
    segkit_shares_input in = {.n = q.n, .codes = sam_codes, .n_levels = q.n_levels + 1,
                              .weights = w, .level = level, .population_total = z.population};
    if (segkit_shares_new(&in, &sam, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  if (rc == 0) {
    rc = print_sizes(a, &q, sh, sam, &z, level, w != NULL);
  }
  if (rc == 0 && z.has_sam && a->format == CLI_FORMAT_TABLE && !a->quiet) {
    printf("serviceable: %zu of %zu respondents match '%s'\n", n_serviceable, q.n,
           cli_get(a, "serviceable"));
  }
  free(sam_codes);
  segkit_shares_free(sam);
  segkit_shares_free(sh);
  segkit_codebook_free(cb);
  free(w);
  survey_question_free(&q);
  segkit_table_free(t);
  return rc;
}
