/* segkit lifecycle: the lifecycle stage of every customer of a subscription history at the
 * end of a month — onboarding, growth, mature, churned, reactivated (docs/segments.md) —
 * printed as counts per stage (every customer's row with --rows) and, with --as NAME,
 * stored as a dataset that segment rules can use once linked. The history is read from its
 * earliest start whatever --from says, since the first paid day and past churns decide the
 * stage. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/family.h"

static const cli_opt lifecycle_opts[] = {
    {"reactivated-months", CLI_OPT_VALUE, "N", "a customer stays 'reactivated' this many months after coming back (default 1: only the month it came back)"},
    {"as", CLI_OPT_VALUE, "NAME", "store the per-customer table as this dataset (replacing it)"},
    {"rows", CLI_OPT_FLAG, NULL, "print every customer's row instead of the counts"},
};

typedef struct lifecycle_run {
  cli_args *args;
  int reactivated_months;
} lifecycle_run;

static int stages(void *ctx, const segkit_table *t, const segkit_mrr_result *r,
                  const segkit_mrr_columns *columns) {
  lifecycle_run *run = ctx;
  segkit_lifecycle_options opt;
  segkit_lifecycle_options_init(&opt);
  opt.reactivated_months = run->reactivated_months;
  segkit_table *out = NULL;
  size_t counts[SEGKIT_LIFECYCLE_COUNT] = {0};
  segkit_error err;
  if (segkit_lifecycle_compute(r, t, columns, &opt, &out, counts, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  const char *names[SEGKIT_LIFECYCLE_COUNT];
  for (int s = 0; s < SEGKIT_LIFECYCLE_COUNT; s++) {
    names[s] = segkit_lifecycle_stage_name((segkit_lifecycle_stage)s);
  }
  int rc = cli_family_finish(run->args, "lifecycle", out, names, counts, SEGKIT_LIFECYCLE_COUNT,
                             NULL, NULL);
  segkit_table_free(out);
  return rc;
}

static int run_lifecycle(cli_args *a) {
  if (a->n_positional > 1) {
    return cli_usage_error("lifecycle", "expected at most one FILE (or --dataset NAME)");
  }
  if (cli_get(a, "by") != NULL || cli_get(a, "segment") != NULL) {
    return cli_usage_error("lifecycle", "lifecycle does not split by --by or --segment; store it "
                                        "with --as and use it in rules, or see metrics --by "
                                        "tenure_stage");
  }
  int64_t months = 1;
  if (!cli_get_int(a, "reactivated-months", 1, 1200, &months)) {
    return CLI_EXIT_USAGE;
  }
  lifecycle_run run = {.args = a, .reactivated_months = (int)months};
  cli_mrr_request req = {.keep_customers = true, .from_earliest = true, .then = stages,
                         .ctx = &run};
  segkit_table *t = NULL;
  segkit_mrr_result *r = NULL;
  int rc = cli_mrr_compute(a, "lifecycle", &req, &t, &r);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  return rc;
}

const cli_verb cli_verb_lifecycle = {
    .name = "lifecycle",
    .summary = "lifecycle stage of every customer: onboarding, growth, mature, churned, reactivated",
    .usage = "segkit lifecycle (--dataset NAME | FILE) [--to YYYY-MM] [--as NAME] [--rows]",
    .description =
        "The stage of each customer of a subscription history at the end of month --to (default:\n"
        "the latest month): churned (no MRR now, MRR before), reactivated (paying again after a\n"
        "month without, within --reactivated-months), else by tenure from the first paid day:\n"
        "onboarding (0-29 days), growth (30-179), mature (180+). Customers not yet paid are left\n"
        "out. Definitions: docs/segments.md. --as NAME stores customer, stage, tenure_days,\n"
        "mrr_cents, first_paid as a dataset for rules:\n"
        "  segkit link stages.customer_id customers.customer_id\n"
        "  segkit segment add growing 'exists(stages where stage == \"growth\")' ...\n"
        "JSON: {\"family\": \"lifecycle\", \"customers\", \"labels\": [{\"label\", \"customers\"}],\n"
        "\"dataset\"}.",
    .opts = lifecycle_opts,
    .n_opts = sizeof lifecycle_opts / sizeof lifecycle_opts[0],
    .more_opts = cli_subscription_opts,
    .n_more_opts = CLI_N_SUBSCRIPTION_OPTS,
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_lifecycle,
};
