/* libFuzzer target for the two JSON readers of the clustering module: a saved model
 * (segkit_cluster_model_from_json) and a saved preprocessing (segkit_prep_from_json), the
 * documents `segkit cluster assign` reads back from a workspace anyone may have edited.
 *
 * Each input is offered to both. Besides the sanitizers, the target checks their promises:
 * a load either succeeds or fails with its error code; a loaded document written again and
 * read again gives the same text (a fixed point after one round); a loaded model assigns
 * a few rows of the right shape without failing, every label in 0..k-1. A broken promise
 * aborts.
 *
 * Corpus: tests/fuzz/corpus/cluster_json (a model of each method and a preprocessing). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/cluster.h"

static void check_model(const char *text) {
  segkit_cluster_model *m = NULL;
  segkit_error err;
  segkit_status st = segkit_cluster_model_from_json(text, &m, &err);
  if (st != SEGKIT_OK) {
    if (m != NULL || err.code != st) {
      abort();
    }
    return;
  }
  char *again = NULL;
  if (segkit_cluster_model_to_json(m, &again, &err) != SEGKIT_OK) {
    abort();
  }
  segkit_cluster_model *m2 = NULL;
  char *third = NULL;
  if (segkit_cluster_model_from_json(again, &m2, &err) != SEGKIT_OK ||
      segkit_cluster_model_to_json(m2, &third, &err) != SEGKIT_OK || strcmp(again, third) != 0) {
    abort();
  }
  size_t d = segkit_cluster_model_d(m);
  size_t nc = segkit_cluster_model_n_cat(m);
  size_t k = segkit_cluster_model_k(m);
  enum { ROWS = 3 };
  if (d <= 64 && nc <= 64) {
    double x[ROWS * 64];
    int32_t cat[ROWS * 64];
    for (size_t i = 0; i < ROWS * 64; i++) {
      x[i] = (double)(i % 7) - 3.0;
      cat[i] = 0;
    }
    segkit_cluster_data data = {.x = d ? x : NULL, .n = ROWS, .d = d, .cat = nc ? cat : NULL,
                                .n_cat = nc, .levels = segkit_cluster_model_levels(m)};
    int32_t labels[ROWS];
    if (segkit_cluster_assign(m, &data, labels, &err) == SEGKIT_OK) {
      for (size_t i = 0; i < ROWS; i++) {
        if (labels[i] < 0 || (size_t)labels[i] >= k) {
          abort();
        }
      }
    }
  }
  free(again);
  free(third);
  segkit_cluster_model_free(m2);
  segkit_cluster_model_free(m);
}

static void check_prep(const char *text) {
  segkit_prep *p = NULL;
  segkit_error err;
  segkit_status st = segkit_prep_from_json(text, &p, &err);
  if (st != SEGKIT_OK) {
    if (p != NULL || err.code != st) {
      abort();
    }
    return;
  }
  char *again = NULL;
  segkit_prep *p2 = NULL;
  char *third = NULL;
  if (segkit_prep_to_json(p, &again, &err) != SEGKIT_OK ||
      segkit_prep_from_json(again, &p2, &err) != SEGKIT_OK ||
      segkit_prep_to_json(p2, &third, &err) != SEGKIT_OK || strcmp(again, third) != 0) {
    abort();
  }
  free(again);
  free(third);
  segkit_prep_free(p2);
  segkit_prep_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) {
    return 0;
  }
  memcpy(text, data, size);
  text[size] = '\0';
  check_model(text);
  check_prep(text);
  free(text);
  return 0;
}
