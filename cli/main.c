/* segkit command line: `segkit VERB [options]`. Dispatches to the verb table; prints the
 * overview for `segkit`, `segkit help` and `segkit --help`, a verb's help for
 * `segkit help VERB` and `segkit VERB --help`. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"

static const cli_verb *const verbs[] = {
    &cli_verb_demo,     &cli_verb_init,       &cli_verb_import, &cli_verb_datasets,
    &cli_verb_describe, &cli_verb_quarantine, &cli_verb_audit,  &cli_verb_drop,
    &cli_verb_generate, &cli_verb_survival, &cli_verb_mrr, &cli_verb_metrics, &cli_verb_cohorts,
    &cli_verb_revenue,
    &cli_verb_import_stripe, &cli_verb_link, &cli_verb_segment,
    &cli_verb_family, &cli_verb_lifecycle, &cli_verb_tiers, &cli_verb_cluster, &cli_verb_clv, &cli_verb_survey, &cli_verb_insights, &cli_verb_serve, &cli_verb_key, &cli_verb_report,
};
static const size_t n_verbs = sizeof verbs / sizeof verbs[0];

const cli_verb *cli_find_verb(const char *name) {
  for (size_t i = 0; i < n_verbs; i++) {
    if (strcmp(verbs[i]->name, name) == 0) {
      return verbs[i];
    }
  }
  return NULL;
}

void cli_print_overview(FILE *f) {
  fprintf(f, "segkit %s: customer and market segmentation\n\n", segkit_version());
  fprintf(f, "usage: segkit VERB [options]\n\nverbs:\n");
  for (size_t i = 0; i < n_verbs; i++) {
    fprintf(f, "  %-14s %s\n", verbs[i]->name, verbs[i]->summary);
  }
  fprintf(f, "  %-14s %s\n", "help", "help on a verb: segkit help VERB");
  fprintf(f, "  %-14s %s\n", "version", "print the version");
  fprintf(f,
          "\nglobal options (every verb): --workspace PATH (or SEGKIT_WORKSPACE; default\n"
          "./segkit.db), --format table|csv|json, --threads N, --quiet, --help\n"
          "exit codes: 0 ok, 2 usage, 3 data, 4 environment, 5 internal\n");
}

static const char *program_name = "segkit";

const char *cli_program_name(void) { return program_name; }

int main(int argc, char **argv) {
  /* GSL's default handler aborts the process on any error (even an allocation failure
   * inside an optimiser); segkit checks every GSL status itself and reports it. */
  gsl_set_error_handler_off();
  if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
    program_name = argv[0];
  }
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    cli_print_overview(stdout);
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  const char *name = argv[1];
  if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
    printf("segkit %s\n", segkit_version());
    return CLI_EXIT_OK;
  }
  if (strcmp(name, "help") == 0) {
    if (argc < 3) {
      cli_print_overview(stdout);
      return CLI_EXIT_OK;
    }
    const cli_verb *v = cli_find_verb(argv[2]);
    if (v == NULL) {
      fprintf(stderr, "segkit: no verb named '%s' (see `segkit help`)\n", argv[2]);
      return CLI_EXIT_USAGE;
    }
    cli_print_verb_help(v, stdout);
    return CLI_EXIT_OK;
  }
  const cli_verb *verb = cli_find_verb(name);
  if (verb == NULL) {
    fprintf(stderr, "segkit: no verb named '%s' (see `segkit help`)\n", name);
    return CLI_EXIT_USAGE;
  }
  cli_args args;
  int rc = cli_parse(verb, argc - 2, argv + 2, &args);
  if (rc != 0) {
    return rc;
  }
  if (args.help) {
    cli_print_verb_help(verb, stdout);
    return CLI_EXIT_OK;
  }
  return verb->run(&args);
}
