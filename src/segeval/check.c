/* Checking a rule as it is typed (the dashboard's builder, POST /api/v1/rules/check): the
 * rule is compiled and, when it compiles, run, and the answer is either its count or its
 * problems with their positions.
 *
 * A wrong rule is an answer, not an error: the status is SEGKIT_OK so a caller can tell
 * "your rule is wrong here" (show it under the text) from "the request could not be served"
 * (no such dataset, the workspace unreadable). Problems drop the "rule:LINE:COL: " prefix of
 * the compiler's message, since line and column come as numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segeval/segeval_int.h"

void segkit_rule_check_free(segkit_rule_check *check) {
  if (check == NULL) {
    return;
  }
  for (size_t i = 0; i < check->n_problems; i++) {
    free(check->problems[i].message);
  }
  free(check->problems);
  free(check->dataset);
  free(check);
}

/* The dataset a check runs over when none is named: "customers", else the one customers
 * dataset of the links, else the only dataset. */
static segkit_status default_dataset(segkit_workspace *ws, char **out, segkit_error *err) {
  segkit_dataset_list *all = NULL;
  segkit_link_list *links = NULL;
  segkit_status s = segkit_workspace_list_datasets(ws, &all, err);
  if (s == SEGKIT_OK) {
    s = segkit_workspace_links(ws, NULL, &links, err);
  }
  const char *pick = NULL;
  for (size_t i = 0; s == SEGKIT_OK && i < all->n; i++) {
    if (strcmp(all->items[i].name, "customers") == 0) {
      pick = all->items[i].name;
    }
  }
  bool one_target = s == SEGKIT_OK && links->n > 0;
  for (size_t i = 1; one_target && i < links->n; i++) {
    one_target = strcmp(links->items[i].customers_dataset, links->items[0].customers_dataset) == 0;
  }
  if (pick == NULL && one_target) {
    pick = links->items[0].customers_dataset;
  }
  if (pick == NULL && s == SEGKIT_OK && all->n == 1) {
    pick = all->items[0].name;
  }
  if (s == SEGKIT_OK && pick == NULL) {
    s = segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "dataset",
                            "name the dataset the rule runs over (there is no 'customers' "
                            "dataset to default to)");
  }
  if (s == SEGKIT_OK) {
    *out = strdup(pick);
    if (*out == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  }
  segkit_link_list_free(links);
  segkit_dataset_list_free(all);
  return s;
}

/* The message without a leading "rule:L:C: ". */
static const char *strip_position(const char *message) {
  int line = 0;
  int column = 0;
  int used = 0;
  if (sscanf(message, "rule:%d:%d: %n", &line, &column, &used) == 2 && used > 0) {
    return message + used;
  }
  return message;
}

static segkit_status add_problem(segkit_rule_check *c, const segkit_error *e,
                                 const segkit_rule_diag *diag, segkit_error *err) {
  segkit_rule_problem *grown = realloc(c->problems, (c->n_problems + 1) * sizeof *grown);
  if (grown == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  c->problems = grown;
  segkit_rule_problem *p = &c->problems[c->n_problems];
  memset(p, 0, sizeof *p);
  p->message = strdup(strip_position(e->message));
  if (p->message == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  if (diag->line > 0) {
    p->line = diag->line;
    p->column = diag->column;
    p->length = diag->length > 0 ? diag->length : 1;
  }
  c->n_problems++;
  return SEGKIT_OK;
}

static bool is_rule_fault(segkit_status s) {
  return s == SEGKIT_ERR_PARSE || s == SEGKIT_ERR_TYPE || s == SEGKIT_ERR_LIMIT;
}

segkit_status segkit_segeval_check(segkit_workspace *ws, const char *dataset, const char *rule,
                                   const segkit_segeval_options *opt, segkit_rule_check **out,
                                   segkit_error *err) {
  segkit_rule_check *c = calloc(1, sizeof *c);
  if (c == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
  }
  segkit_status s = SEGKIT_OK;
  if (dataset != NULL) {
    c->dataset = strdup(dataset);
    if (c->dataset == NULL) {
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory");
    }
  } else {
    s = default_dataset(ws, &c->dataset, err);
  }
  segkit_segeval *ev = NULL;
  if (s == SEGKIT_OK) {
    s = segkit_segeval_open(ws, c->dataset, rule, opt, &ev, err);
  }
  if (s == SEGKIT_OK) {
    segkit_rule_diag diag;
    segkit_error rule_err;
    segkit_error_clear(&rule_err);
    segkit_status r = segkit_segeval_run(ev, NULL, rule, &diag, &rule_err);
    if (r == SEGKIT_OK) {
      c->valid = true;
      c->count = (int64_t)segkit_segeval_count(ev);
      c->of = (int64_t)segkit_segeval_n_rows(ev);
    } else if (is_rule_fault(r)) {
      s = add_problem(c, &rule_err, &diag, err);
    } else {
      if (err != NULL) {
        *err = rule_err;
      }
      s = r;
    }
  }
  segkit_segeval_free(ev);
  if (s != SEGKIT_OK) {
    segkit_rule_check_free(c);
    return s;
  }
  *out = c;
  return SEGKIT_OK;
}
