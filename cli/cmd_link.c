/* segkit link: declare which column of a fact dataset holds the customer key of a customers
 * dataset (and its time column), so segment rules can aggregate over the facts; without
 * arguments, list the links. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt link_opts[] = {
    {"time", CLI_OPT_VALUE, "COL", "the fact dataset's time column (date or timestamp), for windows such as 'last 90d'"},
};

/* "transactions.customer_id" -> dataset and column (in buf). */
static bool split_ref(const char *ref, char *buf, size_t size, const char **dataset,
                      const char **column) {
  const char *dot = strchr(ref, '.');
  if (dot == NULL || dot == ref || dot[1] == '\0' || strlen(ref) >= size) {
    return false;
  }
  snprintf(buf, size, "%s", ref);
  buf[dot - ref] = '\0';
  *dataset = buf;
  *column = buf + (dot - ref) + 1;
  return true;
}

static int list_links(cli_args *a, segkit_workspace *ws) {
  segkit_link_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_links(ws, NULL, &l, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  static const char *const headers[] = {"fact", "column", "customers", "key", "time"};
  cli_grid *g = cli_grid_new(5, headers);
  for (size_t i = 0; g != NULL && i < l->n; i++) {
    cli_grid_row(g);
    cli_grid_text(g, l->items[i].fact_dataset);
    cli_grid_text(g, l->items[i].fact_column);
    cli_grid_text(g, l->items[i].customers_dataset);
    cli_grid_text(g, l->items[i].key_column);
    if (l->items[i].time_column != NULL) {
      cli_grid_text(g, l->items[i].time_column);
    } else {
      cli_grid_null(g);
    }
  }
  int rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  cli_grid_free(g);
  segkit_link_list_free(l);
  return rc;
}

static int run_link(cli_args *a) {
  if (a->n_positional != 0 && a->n_positional != 2) {
    return cli_usage_error("link", "expected FACT.COLUMN CUSTOMERS.KEY (or nothing, to list)");
  }
  char fb[256];
  char cb[256];
  const char *fact = NULL;
  const char *fact_col = NULL;
  const char *cust = NULL;
  const char *key = NULL;
  if (a->n_positional == 2 && (!split_ref(a->positional[0], fb, sizeof fb, &fact, &fact_col) ||
                               !split_ref(a->positional[1], cb, sizeof cb, &cust, &key))) {
    return cli_usage_error("link", "expected DATASET.COLUMN twice (e.g. transactions.customer_id "
                                   "customers.id), not '%s' '%s'",
                           a->positional[0], a->positional[1]);
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  if (a->n_positional == 0) {
    rc = list_links(a, ws);
  } else {
    segkit_error err;
    if (segkit_workspace_link(ws, fact, fact_col, cust, key, cli_get(a, "time"), &err) !=
        SEGKIT_OK) {
      rc = cli_report(&err);
    } else if (!a->quiet) {
      printf("linked %s.%s to %s.%s%s%s\n", fact, fact_col, cust, key,
             cli_get(a, "time") != NULL ? ", time column " : "",
             cli_get(a, "time") != NULL ? cli_get(a, "time") : "");
    }
  }
  segkit_workspace_close(ws);
  return rc;
}

const cli_verb cli_verb_link = {
    .name = "link",
    .summary = "link a fact dataset to a customers dataset by key, for segment rules",
    .usage = "segkit link FACT.COLUMN CUSTOMERS.KEY [--time COL] | segkit link",
    .description =
        "Declares that FACT.COLUMN (e.g. transactions.customer_id) holds the key of\n"
        "CUSTOMERS.KEY (customers.customer_id), so segment rules over the customers can use\n"
        "count(transactions where ...), sum(transactions.amount, last 90d) and the like; --time\n"
        "names the fact dataset's time column for windows. One link per fact dataset (a new\n"
        "one replaces it); the datasets and columns must exist. Audited. Without arguments,\n"
        "lists the links.",
    .opts = link_opts,
    .n_opts = sizeof link_opts / sizeof link_opts[0],
    .run = run_link,
};
