/* Segments evaluated from a workspace (segkit/segeval.h): the key chosen, linked facts
 * loaded only when the rule names them, in_segment() of stored segments (cycles and depth
 * refused), every table handed back to the caller's loader, and the rule check the
 * dashboard's builder calls, the segments that depend on one, and replacing or dropping a
 * segment at a version. Expected members counted by hand from the six customers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "segkit/segeval.h"
#include "testkit.h"

typedef struct fixture {
  char *dir;
  char *path;
  segkit_workspace *ws;
} fixture;

static void import(segkit_workspace *ws, const char *name, const segkit_table *t) {
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = t};
  segkit_import_outcome oc;
  segkit_error err;
  if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    fail_msg("import %s: %s", name, err.message);
  }
}

/* customers(customer_id, plan): 1 pro, 2 free, 3 pro, 4 team, 5 pro, 6 free;
 * orders(customer_id, amount): 1 x2, 2 x1, 3 x3, 6 x2. */
static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_mkdtemp();
  f->path = tu_path_join(f->dir, "ws.segkit");
  assert_int_equal(segkit_workspace_open(f->path, SEGKIT_WORKSPACE_CREATE, &f->ws, NULL),
                   SEGKIT_OK);
  const char *cn[] = {"customer_id", "plan"};
  segkit_type ct[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};
  const char *plans[] = {"pro", "free", "pro", "team", "pro", "free"};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(2, cn, ct, &b, NULL), SEGKIT_OK);
  for (int i = 0; i < 6; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), i + 1);
    segkit_column_append_string(segkit_table_builder_column(b, 1), plans[i], strlen(plans[i]));
  }
  segkit_table *c = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &c, NULL), SEGKIT_OK);
  const char *on[] = {"customer_id", "amount"};
  segkit_type ot[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64};
  const int64_t who[] = {1, 1, 2, 3, 3, 3, 6, 6};
  assert_int_equal(segkit_table_builder_new(2, on, ot, &b, NULL), SEGKIT_OK);
  for (int i = 0; i < 8; i++) {
    segkit_column_append_int64(segkit_table_builder_column(b, 0), who[i]);
    segkit_column_append_int64(segkit_table_builder_column(b, 1), 10 * (i + 1));
  }
  segkit_table *o = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &o, NULL), SEGKIT_OK);
  import(f->ws, "customers", c);
  import(f->ws, "orders", o);
  segkit_table_free(c);
  segkit_table_free(o);
  segkit_error err;
  assert_int_equal(
      segkit_workspace_link(f->ws, "orders", "customer_id", "customers", "customer_id", NULL, &err),
      SEGKIT_OK);
  static const char *const segs[][2] = {
      {"pro", "plan == \"pro\""},
      {"buyers", "count(orders) >= 2"},
      {"pro-buyers", "in_segment(\"pro\") and in_segment(\"buyers\")"},
      {"loop-a", "in_segment(\"loop-b\")"},
      {"loop-b", "in_segment(\"loop-a\")"},
      {"orphan", "in_segment(\"gone\")"},
  };
  for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++) {
    assert_int_equal(segkit_workspace_segment_save(f->ws, segs[i][0], "customers", segs[i][1], NULL,
                                                   NULL, false, &err),
                     SEGKIT_OK);
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  segkit_workspace_close(f->ws);
  tu_rmtree(f->dir);
  free(f->path);
  free(f->dir);
  free(f);
  return 0;
}

/* A loader that counts what it lends and what comes back, and which datasets it loaded. */
typedef struct counting {
  int lent;
  int returned;
  char loaded[256];
} counting;

static segkit_status count_acquire(void *ctx, segkit_workspace *ws, const char *name,
                                   const segkit_table **out, segkit_error *err) {
  counting *c = ctx;
  segkit_table *t = NULL;
  segkit_status s = segkit_workspace_load(ws, name, &t, err);
  if (s == SEGKIT_OK) {
    c->lent++;
    strncat(c->loaded, name, sizeof c->loaded - strlen(c->loaded) - 2);
    strcat(c->loaded, " ");
    *out = t;
  }
  return s;
}

static void count_release(void *ctx, const segkit_table *t) {
  counting *c = ctx;
  c->returned++;
  segkit_table_free((segkit_table *)t);
}

static size_t count_of(segkit_workspace *ws, const char *name, counting *c) {
  segkit_segeval_options opt;
  segkit_segeval_options_init(&opt);
  segkit_segeval_loader loader = {count_acquire, count_release, c};
  opt.loader = &loader;
  segkit_segeval *ev = NULL;
  segkit_error err;
  if (segkit_segeval_segment(ws, name, &opt, &ev, NULL, &err) != SEGKIT_OK) {
    fail_msg("%s: %s", name, err.message);
  }
  size_t n = segkit_segeval_count(ev);
  assert_int_equal(segkit_segeval_n_rows(ev), 6);
  assert_string_equal(segkit_segeval_key(ev), "customer_id");
  segkit_segeval_free(ev);
  return n;
}

static void segeval_counts_and_loads_only_named_facts(void **state) {
  fixture *f = *state;
  counting c;
  memset(&c, 0, sizeof c);
  assert_int_equal(count_of(f->ws, "pro", &c), 3);
  assert_string_equal(c.loaded, "customers ");
  memset(&c, 0, sizeof c);
  assert_int_equal(count_of(f->ws, "buyers", &c), 3); /* 1, 3, 6 */
  assert_string_equal(c.loaded, "customers orders ");
  /* pro and buyers: 1 and 3; the referenced segments borrow the customers, and only
   * "buyers" loads orders. */
  memset(&c, 0, sizeof c);
  assert_int_equal(count_of(f->ws, "pro-buyers", &c), 2);
  assert_string_equal(c.loaded, "customers orders ");
  assert_int_equal(c.lent, c.returned);
}

static void segeval_refuses_cycles_and_missing_refs(void **state) {
  fixture *f = *state;
  segkit_segeval *ev = NULL;
  segkit_error err;
  assert_int_equal(segkit_segeval_segment(f->ws, "loop-a", NULL, &ev, NULL, &err), SEGKIT_ERR_TYPE);
  assert_non_null(strstr(err.message, "refers to itself through in_segment()"));
  assert_int_equal(segkit_segeval_segment(f->ws, "orphan", NULL, &ev, NULL, &err), SEGKIT_ERR_TYPE);
  assert_string_equal(err.message, "in_segment(\"gone\"): there is no segment named 'gone'");
  assert_int_equal(segkit_segeval_segment(f->ws, "nope", NULL, &ev, NULL, &err),
                   SEGKIT_ERR_NOT_FOUND);
  segkit_segeval_options opt;
  segkit_segeval_options_init(&opt);
  opt.max_depth = 1;
  assert_int_equal(segkit_segeval_segment(f->ws, "pro-buyers", &opt, &ev, NULL, &err),
                   SEGKIT_ERR_LIMIT);
  opt.max_depth = 2;
  assert_int_equal(segkit_segeval_segment(f->ws, "pro-buyers", &opt, &ev, NULL, &err), SEGKIT_OK);
  segkit_segeval_free(ev);
}

static void segeval_check_valid_and_wrong_rules(void **state) {
  fixture *f = *state;
  segkit_rule_check *c = NULL;
  segkit_error err;
  assert_int_equal(segkit_segeval_check(f->ws, NULL, "plan != \"free\"", NULL, &c, &err),
                   SEGKIT_OK);
  assert_true(c->valid);
  assert_string_equal(c->dataset, "customers");
  assert_int_equal(c->count, 4);
  assert_int_equal(c->of, 6);
  segkit_rule_check_free(c);
  /* "plna" starts at column 10 of line 2 and is 4 long. */
  assert_int_equal(
      segkit_segeval_check(f->ws, "customers", "true and\n         plna == 1", NULL, &c, &err),
      SEGKIT_OK);
  assert_false(c->valid);
  assert_int_equal(c->n_problems, 1);
  assert_int_equal(c->problems[0].line, 2);
  assert_int_equal(c->problems[0].column, 10);
  assert_int_equal(c->problems[0].length, 4);
  assert_string_equal(c->problems[0].message, "unknown field 'plna' (did you mean 'plan'?)");
  segkit_rule_check_free(c);
  assert_int_equal(segkit_segeval_check(f->ws, NULL, "in_segment(\"gone\")", NULL, &c, &err),
                   SEGKIT_OK);
  assert_false(c->valid);
  assert_int_equal(c->problems[0].line, 0);
  segkit_rule_check_free(c);
  assert_int_equal(segkit_segeval_check(f->ws, "nope", "true", NULL, &c, &err),
                   SEGKIT_ERR_NOT_FOUND);
}

static void segeval_context_json(void **state) {
  (void)state;
  char *text = NULL;
  assert_int_equal(segkit_segeval_context("subs", "USD=1", NULL, &text, NULL), SEGKIT_OK);
  assert_string_equal(text, "{\"rates\":\"USD=1\",\"subscriptions\":\"subs\"}");
  free(text);
  assert_int_equal(segkit_segeval_context(NULL, NULL, NULL, &text, NULL), SEGKIT_OK);
  assert_null(text);
}

static void names_are(const segkit_segment_list *l, const char *expected) {
  char got[256] = "";
  for (size_t i = 0; i < l->n; i++) {
    strcat(got, i > 0 ? " " : "");
    strcat(got, l->items[i].name);
  }
  assert_string_equal(got, expected);
}

/* pro-buyers names pro and buyers; loop-a and loop-b name each other; orphan names a
 * segment that does not exist; "mention" and "commented" name pro only in a string and a
 * comment; "top" names pro-buyers. */
static void segeval_dependents_direct_then_through(void **state) {
  fixture *f = *state;
  segkit_error err;
  assert_int_equal(segkit_workspace_segment_save(f->ws, "top", "customers",
                                                 "in_segment( \"pro-buyers\" ) or false", NULL,
                                                 NULL, false, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_segment_save(f->ws, "mention", "customers",
                                                 "plan != \"in_segment(\\\"pro\\\")\"", NULL, NULL,
                                                 false, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_segment_save(f->ws, "commented", "customers",
                                                 "true # in_segment(\"pro\")", NULL, NULL, false,
                                                 &err),
                   SEGKIT_OK);
  segkit_segment_list *l = NULL;
  size_t direct = 99;
  assert_int_equal(segkit_segeval_dependents(f->ws, "pro", &l, &direct, &err), SEGKIT_OK);
  names_are(l, "pro-buyers top");
  assert_int_equal(direct, 1);
  assert_string_equal(l->items[1].rule, "in_segment( \"pro-buyers\" ) or false");
  segkit_segment_list_free(l);
  /* A cycle ends the walk; the segment itself is never its own dependent. */
  assert_int_equal(segkit_segeval_dependents(f->ws, "loop-a", &l, &direct, &err), SEGKIT_OK);
  names_are(l, "loop-b");
  assert_int_equal(direct, 1);
  segkit_segment_list_free(l);
  /* A name with no segment: who names it all the same. */
  assert_int_equal(segkit_segeval_dependents(f->ws, "gone", &l, NULL, &err), SEGKIT_OK);
  names_are(l, "orphan");
  segkit_segment_list_free(l);
  assert_int_equal(segkit_segeval_dependents(f->ws, "top", &l, &direct, &err), SEGKIT_OK);
  assert_int_equal(l->n, 0);
  assert_int_equal(direct, 0);
  segkit_segment_list_free(l);
}

static void rule_text_uses_segment_reads_tokens(void **state) {
  (void)state;
  bool uses = true;
  assert_int_equal(segkit_rule_text_uses_segment("in_segment(\"a\")", "a", &uses, NULL), SEGKIT_OK);
  assert_true(uses);
  assert_int_equal(segkit_rule_text_uses_segment("in_segment(\"ab\")", "a", &uses, NULL),
                   SEGKIT_OK);
  assert_false(uses);
  assert_int_equal(
      segkit_rule_text_uses_segment("x == \"in_segment(\\\"a\\\")\"", "a", &uses, NULL), SEGKIT_OK);
  assert_false(uses);
  assert_int_equal(segkit_rule_text_uses_segment(
                       "true # in_segment(\"a\")\nand\n in_segment (\n\"a\")", "a", &uses, NULL),
                   SEGKIT_OK);
  assert_true(uses);
  segkit_error err;
  assert_int_equal(segkit_rule_text_uses_segment("x == 'a'", "a", &uses, &err), SEGKIT_ERR_PARSE);
  assert_false(uses);
}

/* The version of a segment (updated_at) guards a replace and a drop. */
static void segment_replace_and_drop_at_a_version(void **state) {
  fixture *f = *state;
  segkit_error err;
  segkit_segment_list *l = NULL;
  assert_int_equal(segkit_workspace_segments(f->ws, "buyers", &l, &err), SEGKIT_OK);
  int64_t v1 = l->items[0].updated_at_us;
  segkit_segment_list_free(l);
  int64_t current = 0;
  assert_int_equal(segkit_workspace_segment_replace_at(f->ws, "buyers", "customers",
                                                       "count(orders) >= 3", "three", NULL, v1,
                                                       &current, &err),
                   SEGKIT_OK);
  assert_int_equal(current, v1);
  assert_int_equal(segkit_workspace_segments(f->ws, "buyers", &l, &err), SEGKIT_OK);
  int64_t v2 = l->items[0].updated_at_us;
  assert_true(v2 > v1);
  assert_string_equal(l->items[0].description, "three");
  segkit_segment_list_free(l);
  /* Stale: nothing changes, the current version is told. */
  assert_int_equal(segkit_workspace_segment_replace_at(f->ws, "buyers", "customers", "false", NULL,
                                                       NULL, v1, &current, &err),
                   SEGKIT_ERR_EXISTS);
  assert_string_equal(err.field, "version");
  assert_int_equal(current, v2);
  assert_int_equal(segkit_workspace_segment_drop_at(f->ws, "buyers", v1, &current, &err),
                   SEGKIT_ERR_EXISTS);
  assert_int_equal(segkit_workspace_segments(f->ws, "buyers", &l, &err), SEGKIT_OK);
  assert_string_equal(l->items[0].rule, "count(orders) >= 3");
  segkit_segment_list_free(l);
  /* Two replaces in a row still get two versions. */
  assert_int_equal(
      segkit_workspace_segment_save(f->ws, "buyers", "customers", "true", NULL, NULL, true, &err),
      SEGKIT_OK);
  assert_int_equal(
      segkit_workspace_segment_save(f->ws, "buyers", "customers", "true", NULL, NULL, true, &err),
      SEGKIT_OK);
  assert_int_equal(segkit_workspace_segments(f->ws, "buyers", &l, &err), SEGKIT_OK);
  int64_t v4 = l->items[0].updated_at_us;
  assert_true(v4 >= v2 + 2);
  segkit_segment_list_free(l);
  assert_int_equal(segkit_workspace_segment_drop_at(f->ws, "buyers", v4, NULL, &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_segment_drop_at(f->ws, "buyers", v4, NULL, &err),
                   SEGKIT_ERR_NOT_FOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(segeval_counts_and_loads_only_named_facts, setup, teardown),
      cmocka_unit_test_setup_teardown(segeval_refuses_cycles_and_missing_refs, setup, teardown),
      cmocka_unit_test_setup_teardown(segeval_check_valid_and_wrong_rules, setup, teardown),
      cmocka_unit_test(segeval_context_json),
      cmocka_unit_test_setup_teardown(segeval_dependents_direct_then_through, setup, teardown),
      cmocka_unit_test(rule_text_uses_segment_reads_tokens),
      cmocka_unit_test_setup_teardown(segment_replace_and_drop_at_a_version, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
