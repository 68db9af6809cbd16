/* Segments as workspace objects: links checked against the datasets' columns, segments
 * saved, listed, replaced and dropped (with their snapshots), snapshots of int64 and string
 * keys stored as sorted blobs and read back, every change in the audit log, and a damaged
 * snapshot blob refused rather than trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/workspace.h"
#include "testkit.h"

typedef struct fixture {
  char *dir;
  char *path;
  segkit_workspace *ws;
} fixture;

/* customers(id int64, name string) and events(customer int64, ts int64) */
static segkit_table *two_col(const char *a, segkit_type ta, const char *b, segkit_type tb,
                             size_t n, const int64_t *ia, const char *const *sb,
                             const int64_t *ib) {
  const char *names[] = {a, b};
  segkit_type types[] = {ta, tb};
  segkit_table_builder *bld = NULL;
  assert_int_equal(segkit_table_builder_new(2, names, types, &bld, NULL), SEGKIT_OK);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(bld, 0), ia[i]),
                     SEGKIT_OK);
    segkit_column_builder *c = segkit_table_builder_column(bld, 1);
    if (sb != NULL) {
      assert_int_equal(segkit_column_append_string(c, sb[i], strlen(sb[i])), SEGKIT_OK);
    } else {
      assert_int_equal(segkit_column_append_int64(c, ib[i]), SEGKIT_OK);
    }
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(bld, &t, NULL), SEGKIT_OK);
  return t;
}

static void import(segkit_workspace *ws, const char *name, const segkit_table *t) {
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = t};
  segkit_import_outcome oc;
  segkit_error err;
  if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    fail_msg("import %s: %s", name, err.message);
  }
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_mkdtemp();
  f->path = tu_path_join(f->dir, "ws.segkit");
  assert_int_equal(segkit_workspace_open(f->path, SEGKIT_WORKSPACE_CREATE, &f->ws, NULL),
                   SEGKIT_OK);
  const int64_t ids[] = {30, 10, 20, 40};
  const char *names[] = {"d", "b", "c", "a"};
  segkit_table *c = two_col("id", SEGKIT_TYPE_INT64, "name", SEGKIT_TYPE_STRING, 4, ids, names,
                            NULL);
  const int64_t ec[] = {10, 10, 30};
  const int64_t ts[] = {1, 2, 3};
  segkit_table *e = two_col("customer", SEGKIT_TYPE_INT64, "ts", SEGKIT_TYPE_INT64, 3, ec,
                            NULL, ts);
  import(f->ws, "customers", c);
  import(f->ws, "events", e);
  segkit_table_free(c);
  segkit_table_free(e);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  segkit_workspace_close(f->ws);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f->path);
  free(f);
  return 0;
}

static int64_t audit_count(fixture *f, const char *action) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit WHERE action = ?", -1,
                                      &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static void links_are_checked_and_listed(void **state) {
  fixture *f = *state;
  segkit_error err;
  assert_int_equal(segkit_workspace_link(f->ws, "events", "customer", "customers", "id", "ts",
                                         &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_link(f->ws, "events", "custmer", "customers", "id", NULL,
                                         &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "dataset 'events' has no column 'custmer'"));
  assert_int_equal(segkit_workspace_link(f->ws, "events", "customer", "clients", "id", NULL,
                                         &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(segkit_workspace_link(f->ws, "events", "customer", "customers", "id",
                                         "when", &err),
                   SEGKIT_ERR_NOT_FOUND);
  segkit_link_list *l = NULL;
  assert_int_equal(segkit_workspace_links(f->ws, "customers", &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 1);
  assert_string_equal(l->items[0].fact_dataset, "events");
  assert_string_equal(l->items[0].fact_column, "customer");
  assert_string_equal(l->items[0].key_column, "id");
  assert_string_equal(l->items[0].time_column, "ts");
  segkit_link_list_free(l);
  /* replacing the link keeps one, now without a time column */
  assert_int_equal(segkit_workspace_link(f->ws, "events", "customer", "customers", "id", NULL,
                                         &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_links(f->ws, NULL, &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 1);
  assert_null(l->items[0].time_column);
  segkit_link_list_free(l);
  assert_int_equal(segkit_workspace_links(f->ws, "nobody", &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 0);
  segkit_link_list_free(l);
  assert_int_equal(audit_count(f, "link"), 2);
}

static void segments_saved_listed_dropped(void **state) {
  fixture *f = *state;
  segkit_error err;
  assert_int_equal(segkit_workspace_segment_save(f->ws, "vip", "customers", "id > 15", "big",
                                                 "{\"rates\": \"USD=1\"}", false, &err),
                   SEGKIT_OK);
  segkit_segment_list *one = NULL;
  assert_int_equal(segkit_workspace_segments(f->ws, "vip", &one, &err), SEGKIT_OK);
  assert_string_equal(one->items[0].context, "{\"rates\": \"USD=1\"}");
  assert_string_equal(one->items[0].description, "big");
  segkit_segment_list_free(one);
  assert_int_equal(segkit_workspace_segment_save(f->ws, "vip", "customers", "id > 25", NULL, NULL, false, &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "a segment named 'vip' exists"));
  assert_int_equal(segkit_workspace_segment_save(f->ws, "vip", "customers", "id > 25", NULL, NULL, true, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_segment_save(f->ws, "bad name", "customers", "1", NULL, NULL, false, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_workspace_segment_save(f->ws, "x", "nosuch", "1", NULL, NULL, false, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(segkit_workspace_segment_save(f->ws, "all", "customers", "true", NULL, NULL, false, &err),
                   SEGKIT_OK);
  segkit_segment_list *l = NULL;
  assert_int_equal(segkit_workspace_segments(f->ws, NULL, &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 2);
  assert_string_equal(l->items[0].name, "all");
  assert_string_equal(l->items[1].rule, "id > 25");
  assert_null(l->items[1].description);
  assert_null(l->items[1].context); /* replaced without one */
  assert_true(l->items[1].updated_at_us >= l->items[1].created_at_us);
  segkit_segment_list_free(l);
  assert_int_equal(segkit_workspace_segments(f->ws, "vpi", &l, &err), SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "no segment named 'vpi'"));
  assert_int_equal(segkit_workspace_segment_drop(f->ws, "all", &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_segment_drop(f->ws, "all", &err), SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(audit_count(f, "segment_add"), 2);
  assert_int_equal(audit_count(f, "segment_replace"), 1);
  assert_int_equal(audit_count(f, "segment_drop"), 1);
}

static void snapshots_round_trip(void **state) {
  fixture *f = *state;
  segkit_error err;
  segkit_table *c = NULL;
  assert_int_equal(segkit_workspace_load(f->ws, "customers", &c, &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_segment_save(f->ws, "vip", "customers", "id > 15", NULL, NULL, false, &err),
                   SEGKIT_OK);
  /* rows 0 (30), 2 (20), 3 (40): stored sorted 20, 30, 40 */
  uint64_t bits[1] = {0xD};
  int64_t id1 = 0;
  assert_int_equal(segkit_workspace_snapshot_save(f->ws, "vip", "id > 15",
                                                  segkit_table_column(c, 0), bits, 1000, &id1,
                                                  &err),
                   SEGKIT_OK);
  /* names of rows 1 (b) and 3 (a): sorted a, b */
  uint64_t bits2[1] = {0xA};
  int64_t id2 = 0;
  assert_int_equal(segkit_workspace_snapshot_save(f->ws, "vip", "name in (\"a\", \"b\")",
                                                  segkit_table_column(c, 1), bits2, 2000, &id2,
                                                  &err),
                   SEGKIT_OK);
  segkit_snapshot_list *l = NULL;
  assert_int_equal(segkit_workspace_snapshots(f->ws, "vip", &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 2);
  assert_int_equal(l->items[0].id, id1);
  assert_int_equal(l->items[0].n_members, 3);
  assert_int_equal(l->items[0].n_total, 4);
  assert_int_equal(l->items[1].taken_at_us, 2000);
  segkit_snapshot_list_free(l);
  segkit_table *m = NULL;
  assert_int_equal(segkit_workspace_snapshot_members(f->ws, id1, &m, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(m), 3);
  const int64_t *v = segkit_column_int64(segkit_table_column(m, 0));
  assert_int_equal(v[0], 20);
  assert_int_equal(v[1], 30);
  assert_int_equal(v[2], 40);
  segkit_table_free(m);
  assert_int_equal(segkit_workspace_snapshot_members(f->ws, id2, &m, &err), SEGKIT_OK);
  const segkit_column *s = segkit_table_column(m, 0);
  assert_string_equal(segkit_column_dict_value(s, segkit_column_codes(s)[0], NULL), "a");
  assert_string_equal(segkit_column_dict_value(s, segkit_column_codes(s)[1], NULL), "b");
  segkit_table_free(m);
  assert_int_equal(segkit_workspace_snapshot_members(f->ws, 999, &m, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(audit_count(f, "snapshot"), 2);

  /* A blob whose size does not match its count is refused, not trusted. */
  segkit_workspace_close(f->ws);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "UPDATE segment_snapshots SET n_members = 7 WHERE key_type "
                                    "= 'int64'",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(segkit_workspace_open(f->path, 0, &f->ws, NULL), SEGKIT_OK);
  assert_int_equal(segkit_workspace_snapshot_members(f->ws, id1, &m, &err), SEGKIT_ERR_STORE);
  assert_non_null(strstr(err.message, "damaged"));

  /* dropping the segment drops its snapshots */
  assert_int_equal(segkit_workspace_segment_drop(f->ws, "vip", &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_snapshots(f->ws, "vip", &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 0);
  segkit_snapshot_list_free(l);
  segkit_table_free(c);
}

/* Models: saved, listed by kind and name, replaced only when asked, checked for a JSON
 * object and a known dataset, dropped; every change audited. */
static void models_saved_listed_dropped(void **state) {
  fixture *f = *state;
  const int64_t ids[] = {1, 2};
  const char *names[] = {"a", "b"};
  segkit_table *c = two_col("id", SEGKIT_TYPE_INT64, "name", SEGKIT_TYPE_STRING, 2, ids, names,
                            NULL);
  import(f->ws, "customers", c);
  segkit_error err;
  assert_int_equal(segkit_workspace_model_save(f->ws, "behaviour", "cluster", "customers",
                                               "{\"method\": \"kmeans\", \"k\": 3}", false,
                                               &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_model_save(f->ws, "value", "clv", NULL, "{}", false, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_model_save(f->ws, "behaviour", "cluster", "customers", "{}",
                                               false, &err),
                   SEGKIT_ERR_EXISTS);
  assert_int_equal(segkit_workspace_model_save(f->ws, "x", "cluster", "customers", "[1, 2]",
                                               false, &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "JSON object"));
  assert_int_equal(segkit_workspace_model_save(f->ws, "x", "cluster", "customers", "{\"a\":",
                                               false, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_workspace_model_save(f->ws, "x", "cluster", "nosuch", "{}", false,
                                               &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(segkit_workspace_model_save(f->ws, "bad name", "cluster", NULL, "{}", false,
                                               &err),
                   SEGKIT_ERR_USAGE);

  segkit_model_list *l = NULL;
  assert_int_equal(segkit_workspace_models(f->ws, NULL, NULL, &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 2);
  assert_string_equal(l->items[0].name, "behaviour");
  assert_string_equal(l->items[0].kind, "cluster");
  assert_string_equal(l->items[0].dataset, "customers");
  assert_string_equal(l->items[0].document, "{\"method\": \"kmeans\", \"k\": 3}");
  assert_null(l->items[1].dataset);
  segkit_model_list_free(l);
  assert_int_equal(segkit_workspace_models(f->ws, "cluster", NULL, &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 1);
  segkit_model_list_free(l);
  assert_int_equal(segkit_workspace_models(f->ws, "cluster", "value", &l, &err),
                   SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "no cluster model named 'value'"));

  assert_int_equal(segkit_workspace_model_save(f->ws, "behaviour", "cluster", "customers",
                                               "{\"k\": 4}", true, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_workspace_models(f->ws, NULL, "behaviour", &l, &err), SEGKIT_OK);
  assert_string_equal(l->items[0].document, "{\"k\": 4}");
  assert_true(l->items[0].updated_at_us >= l->items[0].created_at_us);
  segkit_model_list_free(l);

  assert_int_equal(segkit_workspace_model_drop(f->ws, "behaviour", &err), SEGKIT_OK);
  assert_int_equal(segkit_workspace_model_drop(f->ws, "behaviour", &err), SEGKIT_ERR_NOT_FOUND);
  assert_int_equal(audit_count(f, "model_add"), 2);
  assert_int_equal(audit_count(f, "model_replace"), 1);
  assert_int_equal(audit_count(f, "model_drop"), 1);
  segkit_table_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(models_saved_listed_dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(links_are_checked_and_listed, setup, teardown),
      cmocka_unit_test_setup_teardown(segments_saved_listed_dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(snapshots_round_trip, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
