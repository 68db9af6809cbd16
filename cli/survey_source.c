/* Where a survey subcommand's respondents and segments come from. Either the data is named
 * (--dataset NAME or a FILE) with the segments in its column --by, or looked up from
 * another dataset by the respondent id (--segments NAME: labels cluster fit or survey
 * segment stored); or the first argument names a saved segmentation (`survey profile
 * MODEL`), which brings its own dataset, id and segment column ("segment" when it was
 * given names, else "cluster"). */
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "survey_cli.h"

static int join_segments(cli_args *a, const char *segs, segkit_table **t, const char *id,
                         const char *by) {
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  segkit_table *s = NULL;
  segkit_error err;
  if (rc == 0 && segkit_workspace_load(ws, segs, &s, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_workspace_close(ws);
  if (rc == 0 && segkit_table_column_index(s, id) < 0) {
    rc = cli_usage_error("survey", "segments %s have no column '%s' to match respondents by "
                                   "(give --id)", segs, id);
  }
  if (rc == 0 && segkit_table_column_index(s, by) < 0) {
    rc = cli_usage_error("survey", "segments %s have no column '%s'", segs, by);
  }
  segkit_table *joined = NULL;
  const char *cols[] = {by};
  if (rc == 0 && segkit_table_lookup(*t, id, s, id, cols, 1, &joined, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    segkit_table_free(*t);
    *t = joined;
  }
  segkit_table_free(s);
  return rc;
}

/* Is `name` a segmentation saved in the workspace? Fills its dataset, key and the column
 * to read the segments from. */
static bool saved_segmentation(cli_args *a, const char *name, survey_source *src) {
  /* quietly: no workspace (a survey read from a file) means no saved segmentation */
  struct stat st;
  segkit_workspace *ws = NULL;
  segkit_error err;
  if (stat(cli_workspace_path(a), &st) != 0 ||
      segkit_workspace_open(cli_workspace_path(a), SEGKIT_WORKSPACE_READONLY, &ws, &err) !=
          SEGKIT_OK) {
    return false;
  }
  segkit_model_list *l = NULL;
  bool found = false;
  if (segkit_workspace_models(ws, "cluster", name, &l, &err) == SEGKIT_OK && l->n == 1) {
    json_error_t je;
    json_t *doc = json_loads(l->items[0].document, 0, &je);
    const char *ds = json_string_value(json_object_get(doc, "dataset"));
    const char *key = json_string_value(json_object_get(doc, "key"));
    if (ds != NULL && key != NULL) {
      snprintf(src->dataset, sizeof src->dataset, "%s", ds);
      snprintf(src->id, sizeof src->id, "%s", key);
      snprintf(src->segments, sizeof src->segments, "%s", name);
      segkit_table *labels = NULL;
      bool named = segkit_workspace_load(ws, name, &labels, &err) == SEGKIT_OK &&
                   segkit_table_column_index(labels, "segment") >= 0;
      segkit_table_free(labels);
      snprintf(src->by, sizeof src->by, "%s", named ? "segment" : "cluster");
      found = true;
    }
    json_decref(doc);
  }
  segkit_model_list_free(l);
  segkit_workspace_close(ws);
  return found;
}

int survey_open(cli_args *a, survey_source *src, segkit_table **t) {
  memset(src, 0, sizeof *src);
  *t = NULL;
  const char *first = a->n_positional >= 2 ? a->positional[1] : NULL;
  bool model = first != NULL && cli_get(a, "segments") == NULL &&
               saved_segmentation(a, first, src);
  if (model) {
    if (cli_get(a, "dataset") != NULL) {
      snprintf(src->dataset, sizeof src->dataset, "%s", cli_get(a, "dataset"));
    }
    if (cli_get(a, "by") != NULL) {
      snprintf(src->by, sizeof src->by, "%s", cli_get(a, "by"));
    }
  } else {
    if (cli_get(a, "by") == NULL) {
      return cli_usage_error("survey", "give --by SEGMENT (a column, or one of --segments "
                                       "NAME), or a saved segmentation as the first argument");
    }
    snprintf(src->by, sizeof src->by, "%s", cli_get(a, "by"));
    if (cli_get(a, "segments") != NULL) {
      snprintf(src->segments, sizeof src->segments, "%s", cli_get(a, "segments"));
    }
    if (cli_get(a, "dataset") != NULL) {
      snprintf(src->dataset, sizeof src->dataset, "%s", cli_get(a, "dataset"));
    }
    if ((src->dataset[0] == '\0') == (a->n_positional != 2)) {
      return cli_usage_error("survey", "give --dataset NAME or one FILE (or a saved "
                                       "segmentation)");
    }
    src->file = src->dataset[0] == '\0' ? first : NULL;
  }
  int rc = cli_load_named(a, "survey", src->dataset[0] != '\0' ? src->dataset : NULL,
                          src->file, t);
  if (rc == 0 && cli_get(a, "id") != NULL) {
    snprintf(src->id, sizeof src->id, "%s", cli_get(a, "id"));
  } else if (rc == 0 && src->id[0] == '\0') {
    snprintf(src->id, sizeof src->id, "%s",
             segkit_table_n_cols(*t) > 0 ? segkit_column_name(segkit_table_column(*t, 0)) : "");
  }
  if (rc == 0 && src->segments[0] != '\0') {
    rc = join_segments(a, src->segments, t, src->id, src->by);
  }
  if (rc != 0) {
    segkit_table_free(*t);
    *t = NULL;
  }
  return rc;
}

int survey_open_segments(cli_args *a, survey_source *src, segkit_table **t, segkit_codebook **cb,
                         survey_question *seg) {
  memset(seg, 0, sizeof *seg);
  *cb = NULL;
  int rc = survey_open(a, src, t);
  if (rc != 0) {
    return rc;
  }
  *cb = survey_codebook_load(a, src->dataset[0] != '\0' ? src->dataset : NULL);
  return survey_question_from_column(*t, src->by, "survey", *cb, seg);
}
