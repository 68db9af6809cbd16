/* segkit insights --growth: which stored segments grew or shrank since a snapshot. Every
 * segment (or those named) is evaluated now and compared with its latest snapshot (taken
 * on or before --since, when given): members then and now, who entered and who left, and
 * the share of the customers each time; the largest relative changes first.
 *
 * No test is made: a segment's members are all of its customers, not a sample of them, so
 * a change in their number is a count, not an estimate with an error. The diff is the
 * segeval module's (segkit_member_keys_diff), the one segkit segment diff uses. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "segkit/datetime.h"
#include "segkit/segeval.h"

typedef struct change {
  const char *segment;        /* borrowed from the segment list */
  int64_t snapshot;           /* 0: no snapshot to compare with */
  int64_t taken_at_us;
  int64_t total_then, total_now;
  segkit_member_diff d;
} change;

static double pct_change(const change *c) {
  return c->d.n_from > 0 ? 100.0 * ((double)c->d.n_to - (double)c->d.n_from) / (double)c->d.n_from
                         : NAN;
}

static int cmp_change(const void *a, const void *b) {
  const change *x = a;
  const change *y = b;
  if ((x->snapshot == 0) != (y->snapshot == 0)) {
    return x->snapshot == 0 ? 1 : -1;
  }
  double dx = fabs(pct_change(x)), dy = fabs(pct_change(y));
  dx = isnan(dx) ? INFINITY : dx; /* from nothing: the largest change */
  dy = isnan(dy) ? INFINITY : dy;
  if (dx != dy) {
    return dx > dy ? -1 : 1;
  }
  return strcmp(x->segment, y->segment);
}

/* Whether `name` is in the comma-separated list (NULL or "all": every segment). */
static bool wanted(const char *list, const char *name) {
  if (list == NULL || strcmp(list, "all") == 0) {
    return true;
  }
  size_t n = strlen(name);
  for (const char *p = list; p != NULL && *p != '\0';) {
    const char *comma = strchr(p, ',');
    size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) {
      return true;
    }
    p = comma != NULL ? comma + 1 : NULL;
  }
  return false;
}

/* The snapshot to compare with: the latest, or the latest taken before the end of day
 * `since` (INT32_MIN: no bound). */
static const segkit_snapshot_info *pick(const segkit_snapshot_list *l, int32_t since) {
  const segkit_snapshot_info *best = NULL;
  int64_t bound = since == INT32_MIN ? INT64_MAX : ((int64_t)since + 1) * 86400 * INT64_C(1000000);
  for (size_t i = 0; i < l->n; i++) {
    if (l->items[i].taken_at_us < bound &&
        (best == NULL || l->items[i].taken_at_us >= best->taken_at_us)) {
      best = &l->items[i];
    }
  }
  return best;
}

static int compare_one(segkit_workspace *ws, const segkit_segment_info *seg, int32_t since,
                       change *c) {
  memset(c, 0, sizeof *c);
  c->segment = seg->name;
  segkit_snapshot_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_snapshots(ws, seg->name, &l, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  const segkit_snapshot_info *snap = pick(l, since);
  if (snap == NULL) {
    segkit_snapshot_list_free(l);
    return 0;
  }
  c->snapshot = snap->id;
  c->taken_at_us = snap->taken_at_us;
  c->total_then = snap->n_total;
  segkit_snapshot_list_free(l);
  segkit_segeval_options opt;
  segkit_segeval_options_init(&opt);
  segkit_segeval *ev = NULL;
  segkit_rule_diag diag;
  segkit_member_keys *then = NULL, *now = NULL;
  segkit_status s = segkit_segeval_segment(ws, seg->name, &opt, &ev, &diag, &err);
  if (s == SEGKIT_OK) {
    c->total_now = (int64_t)segkit_segeval_n_rows(ev);
    s = segkit_member_keys_of(segkit_segeval_key_column(ev), segkit_segeval_bits(ev), &now, &err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_member_keys_of_snapshot(ws, c->snapshot, &then, &err);
  }
  if (s == SEGKIT_OK) {
    s = segkit_member_keys_diff(then, now, &c->d, &err);
  }
  segkit_member_keys_free(then);
  segkit_member_keys_free(now);
  segkit_segeval_free(ev);
  return s == SEGKIT_OK ? 0 : cli_report(&err);
}

static void print_text(const change *c, size_t n, const char *since) {
  printf("segments against their %s (every member counted, so a change is a count, not an "
         "estimate):\n",
         since != NULL ? "latest snapshot on or before the --since day" : "latest snapshot");
  size_t missing = 0;
  for (size_t i = 0; i < n; i++) {
    if (c[i].snapshot == 0) {
      missing++;
      continue;
    }
    char when[40];
    segkit_format_timestamp(c[i].taken_at_us, when, sizeof when);
    const segkit_member_diff *d = &c[i].d;
    double pct = pct_change(&c[i]);
    if (d->n_to == d->n_from && d->n_entered == 0) {
      printf("- %s is unchanged: %zu members at snapshot %lld (%s) and now\n", c[i].segment,
             d->n_to, (long long)c[i].snapshot, when);
      continue;
    }
    char how[48];
    if (isnan(pct)) {
      snprintf(how, sizeof how, "%s", "grew from nothing");
    } else {
      snprintf(how, sizeof how, "%s %.1f%%", d->n_to >= d->n_from ? "grew" : "shrank",
               fabs(pct));
    }
    printf("- %s %s: %zu members at snapshot %lld (%s), %zu now (%zu entered, %zu left); "
           "%.1f%% of customers then, %.1f%% now\n",
           c[i].segment, how, d->n_from, (long long)c[i].snapshot, when, d->n_to,
           d->n_entered, d->n_left,
           c[i].total_then > 0 ? 100.0 * (double)d->n_from / (double)c[i].total_then : 0.0,
           c[i].total_now > 0 ? 100.0 * (double)d->n_to / (double)c[i].total_now : 0.0);
  }
  if (missing > 0) {
    printf("no snapshot to compare with (segkit segment snapshot NAME):");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      if (c[i].snapshot == 0) {
        printf("%s %s", k++ > 0 ? "," : "", c[i].segment);
      }
    }
    printf("\n");
  }
}

static void print_json(const change *c, size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "segment", json_string(c[i].segment));
    if (c[i].snapshot == 0) {
      json_object_set_new(o, "snapshot", json_null());
    } else {
      char when[40];
      segkit_format_timestamp(c[i].taken_at_us, when, sizeof when);
      json_object_set_new(o, "snapshot", json_integer(c[i].snapshot));
      json_object_set_new(o, "taken_at", json_string(when));
      json_object_set_new(o, "members_then", json_integer((json_int_t)c[i].d.n_from));
      json_object_set_new(o, "members_now", json_integer((json_int_t)c[i].d.n_to));
      json_object_set_new(o, "entered", json_integer((json_int_t)c[i].d.n_entered));
      json_object_set_new(o, "left", json_integer((json_int_t)c[i].d.n_left));
      json_object_set_new(o, "change_pct", cli_json_number(pct_change(&c[i])));
      json_object_set_new(o, "customers_then", json_integer(c[i].total_then));
      json_object_set_new(o, "customers_now", json_integer(c[i].total_now));
    }
    json_array_append_new(list, o);
  }
  json_t *root = json_pack("{s:o}", "segments", list);
  json_dumpf(root, stdout, CLI_JSON_FLAGS);
  printf("\n");
  json_decref(root);
}

int cli_insights_growth(cli_args *a) {
  const char *which = cli_get(a, "growth");
  const char *since_s = cli_get(a, "since");
  int32_t since = INT32_MIN;
  if (since_s != NULL && !segkit_parse_date(since_s, strlen(since_s), &since)) {
    return cli_usage_error("insights", "--since must be a date YYYY-MM-DD, not '%s'", since_s);
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_segment_list *segs = NULL;
  segkit_error err;
  if (segkit_workspace_segments(ws, NULL, &segs, &err) != SEGKIT_OK) {
    segkit_workspace_close(ws);
    return cli_report(&err);
  }
  change *c = calloc(segs->n + 1, sizeof *c);
  size_t n = 0;
  if (c == NULL) {
    fprintf(stderr, "segkit: out of memory\n");
    rc = CLI_EXIT_ENV;
  }
  for (size_t i = 0; rc == 0 && i < segs->n; i++) {
    if (wanted(which, segs->items[i].name)) {
      rc = compare_one(ws, &segs->items[i], since, &c[n++]);
    }
  }
  /* a named segment that does not exist is an error, not an empty answer */
  for (const char *p = which; rc == 0 && p != NULL && strcmp(which, "all") != 0 && *p != '\0';) {
    const char *comma = strchr(p, ',');
    size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
    bool found = false;
    for (size_t i = 0; i < segs->n && !found; i++) {
      found = strlen(segs->items[i].name) == len && strncmp(segs->items[i].name, p, len) == 0;
    }
    if (!found) {
      rc = cli_usage_error("insights", "--growth: no segment '%.*s' (segkit segment list)",
                           (int)len, p);
    }
    p = comma != NULL ? comma + 1 : NULL;
  }
  if (rc == 0) {
    qsort(c, n, sizeof *c, cmp_change);
    if (a->format == CLI_FORMAT_JSON) {
      print_json(c, n);
    } else if (n == 0) {
      printf("no stored segments (segkit segment add NAME RULE)\n");
    } else {
      print_text(c, n, since_s);
    }
  }
  for (size_t i = 0; c != NULL && i < n; i++) {
    segkit_member_diff_free(&c[i].d);
  }
  free(c);
  segkit_segment_list_free(segs);
  segkit_workspace_close(ws);
  return rc;
}
