/* ward.c: Ward's hierarchical clustering (Ward 1963), exact, for up to 20000 rows.
 *
 * Key design choice: the nearest-neighbour chain algorithm (Murtagh 1983; Müllner,
 * "Modern hierarchical, agglomerative clustering algorithms", arXiv:1109.2378, 2011,
 * section 3.3) with distances computed on the fly from cluster centroids and weights,
 * instead of a stored condensed distance matrix updated by Lance-Williams: at n = 20000 the
 * matrix would take 1.6 GB, the centroids take n x d doubles. The cost is O(n^2 d) time
 * (each step of the chain scans the active clusters once), against O(n^2) with the matrix.
 *
 * Distances are scipy's for method='ward': between clusters A and B with weights (row
 * counts when unweighted) wA, wB and centroids cA, cB,
 *     d(A, B) = sqrt(2 wA wB / (wA + wB)) ||cA - cB||,
 * which for two single rows is their Euclidean distance and is what the Lance-Williams
 * update of scipy's _hierarchy.pyx (_ward) produces; d^2 / 2 is the increase of the
 * within-cluster sum of squares caused by the merge. The chain is walked exactly as
 * scipy's nn_chain walks it (start at the lowest active cluster, scan in index order, keep
 * the first strict minimum, prefer the chain's previous element), the merges are sorted
 * by height with a stable sort and renumbered by union-find as scipy's label() does, so
 * the linkage matrix matches scipy's, ties included, up to rounding.
 *
 * Weighted rows: a row of weight w counts as w copies (weights must be > 0); the merge
 * record's fourth column stays the number of rows, as in scipy's form. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "cluster/judge_int.h"

#define WARD_MAX_ROWS 20000

typedef struct ward_state {
  size_t n, d;
  double *cent;     /* n x d: centroid of the cluster held in slot i */
  double *wsum;     /* n: its weight */
  size_t *count;    /* n: its rows */
  size_t *active;   /* ascending slots still holding a cluster */
  size_t n_active;
  size_t *chain;
  double *slot_merges; /* (n - 1) x 4 in chain order, slots as cluster ids */
} ward_state;

static double ward_d2(const ward_state *s, size_t a, size_t b) {
  const double *ca = s->cent + a * s->d;
  const double *cb = s->cent + b * s->d;
  double ss = 0;
  for (size_t j = 0; j < s->d; j++) {
    double t = ca[j] - cb[j];
    ss += t * t;
  }
  double wa = s->wsum[a];
  double wb = s->wsum[b];
  return 2.0 * wa * wb / (wa + wb) * ss;
}

static void ward_state_free(ward_state *s) {
  free(s->cent);
  free(s->wsum);
  free(s->count);
  free(s->active);
  free(s->chain);
  free(s->slot_merges);
}

static bool ward_state_init(ward_state *s, const segkit_cluster_data *data) {
  size_t n = data->n;
  size_t d = data->d;
  memset(s, 0, sizeof *s);
  s->n = n;
  s->d = d;
  s->cent = malloc(n * d * sizeof *s->cent);
  s->wsum = malloc(n * sizeof *s->wsum);
  s->count = malloc(n * sizeof *s->count);
  s->active = malloc(n * sizeof *s->active);
  s->chain = malloc((n + 1) * sizeof *s->chain);
  s->slot_merges = malloc((n > 1 ? n - 1 : 1) * 4 * sizeof *s->slot_merges);
  if (!s->cent || !s->wsum || !s->count || !s->active || !s->chain || !s->slot_merges)
    return false;
  memcpy(s->cent, data->x, n * d * sizeof *s->cent);
  for (size_t i = 0; i < n; i++) {
    s->wsum[i] = data->weights ? data->weights[i] : 1.0;
    s->count[i] = 1;
    s->active[i] = i;
  }
  s->n_active = n;
  return true;
}

/* Slot y takes the union of x and y (x < y, as scipy keeps the larger index); x leaves
 * the active list, which stays ascending so scans visit slots in index order. */
static void ward_merge(ward_state *s, size_t x, size_t y) {
  double wx = s->wsum[x];
  double wy = s->wsum[y];
  double *cx = s->cent + x * s->d;
  double *cy = s->cent + y * s->d;
  for (size_t j = 0; j < s->d; j++)
    cy[j] = (wx * cx[j] + wy * cy[j]) / (wx + wy);
  s->wsum[y] = wx + wy;
  s->count[y] += s->count[x];
  s->wsum[x] = 0;
  s->count[x] = 0;
  size_t lo = 0;
  size_t hi = s->n_active;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->active[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  memmove(s->active + lo, s->active + lo + 1, (s->n_active - lo - 1) * sizeof *s->active);
  s->n_active--;
}

/* The nearest-neighbour chain: n - 1 merges, recorded in the order they happen. */
static void ward_chain(ward_state *s) {
  size_t len = 0;
  for (size_t step = 0; step + 1 < s->n; step++) {
    if (len == 0) {
      s->chain[0] = s->active[0];
      len = 1;
    }
    size_t x;
    size_t y = 0;
    double best;
    for (;;) {
      x = s->chain[len - 1];
      best = INFINITY;
      if (len > 1) {
        y = s->chain[len - 2];
        best = ward_d2(s, x, y);
      }
      for (size_t a = 0; a < s->n_active; a++) {
        size_t i = s->active[a];
        if (i == x)
          continue;
        double dd = ward_d2(s, x, i);
        if (dd < best) {
          best = dd;
          y = i;
        }
      }
      if (len > 1 && y == s->chain[len - 2])
        break;
      s->chain[len++] = y;
    }
    len -= 2;
    if (x > y) {
      size_t t = x;
      x = y;
      y = t;
    }
    double *rec = s->slot_merges + step * 4;
    rec[0] = (double)x;
    rec[1] = (double)y;
    rec[2] = sqrt(best);
    rec[3] = (double)(s->count[x] + s->count[y]);
    ward_merge(s, x, y);
  }
}

/* ---- union-find over slots or scipy cluster ids --------------------------------------- */

static size_t uf_find(size_t *parent, size_t i) {
  size_t root = i;
  while (parent[root] != root)
    root = parent[root];
  while (parent[i] != root) {
    size_t next = parent[i];
    parent[i] = root;
    i = next;
  }
  return root;
}

static int cmp_height(const void *ctx, size_t a, size_t b) {
  const double *m = ctx;
  double ha = m[a * 4 + 2];
  double hb = m[b * 4 + 2];
  return ha < hb ? -1 : ha > hb ? 1 : 0;
}

/* scipy's label(): walk the sorted merges, give the i-th new cluster id n + i, and write
 * each row as (smaller id, larger id, height, rows). */
static bool ward_scipy_form(const double *sorted_slot, size_t n, double *out) {
  size_t *parent = malloc((2 * n) * sizeof *parent);
  if (!parent)
    return false;
  for (size_t i = 0; i < 2 * n; i++)
    parent[i] = i;
  for (size_t i = 0; i + 1 < n; i++) {
    const double *r = sorted_slot + i * 4;
    size_t a = uf_find(parent, (size_t)r[0]);
    size_t b = uf_find(parent, (size_t)r[1]);
    size_t id = n + i;
    parent[a] = id;
    parent[b] = id;
    out[i * 4 + 0] = (double)(a < b ? a : b);
    out[i * 4 + 1] = (double)(a < b ? b : a);
    out[i * 4 + 2] = r[2];
    out[i * 4 + 3] = r[3];
  }
  free(parent);
  return true;
}

/* Labels of the cut into k clusters: the first n - k merges in height order applied to the
 * rows (slot ids, so the result does not depend on the renumbering), clusters numbered by
 * the first row of each. Always exactly k clusters, as R's cutree; scipy's
 * fcluster(criterion='maxclust') can return fewer when heights tie at the cut. */
static bool ward_cut(const double *sorted_slot, size_t n, size_t k, int32_t *labels) {
  size_t *parent = malloc(n * sizeof *parent);
  int32_t *root_label = malloc(n * sizeof *root_label);
  if (!parent || !root_label) {
    free(parent);
    free(root_label);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    parent[i] = i;
    root_label[i] = -1;
  }
  for (size_t i = 0; i + k < n; i++) {
    size_t a = uf_find(parent, (size_t)sorted_slot[i * 4 + 0]);
    size_t b = uf_find(parent, (size_t)sorted_slot[i * 4 + 1]);
    parent[a] = b;
  }
  int32_t next = 0;
  for (size_t i = 0; i < n; i++) {
    size_t r = uf_find(parent, i);
    if (root_label[r] < 0)
      root_label[r] = next++;
    labels[i] = root_label[r];
  }
  free(parent);
  free(root_label);
  return true;
}

/* ---- distinct rows ------------------------------------------------------------------- */

typedef struct row_ctx {
  const double *x;
  size_t d;
} row_ctx;

static int cmp_rows(const void *ctx, size_t a, size_t b) {
  const row_ctx *c = ctx;
  const double *ra = c->x + a * c->d;
  const double *rb = c->x + b * c->d;
  for (size_t j = 0; j < c->d; j++) {
    if (ra[j] < rb[j])
      return -1;
    if (ra[j] > rb[j])
      return 1;
  }
  return 0;
}

static segkit_status count_distinct(const segkit_cluster_data *data, size_t *out,
                                    segkit_error *err) {
  size_t n = data->n;
  size_t *idx = malloc(n * sizeof *idx);
  if (!idx)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "ward: no memory to count distinct rows");
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  row_ctx ctx = {data->x, data->d};
  if (!sk__sort_index(idx, n, cmp_rows, &ctx)) {
    free(idx);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "ward: no memory to count distinct rows");
  }
  size_t distinct = n > 0;
  for (size_t i = 1; i < n; i++)
    if (cmp_rows(&ctx, idx[i - 1], idx[i]) != 0)
      distinct++;
  free(idx);
  *out = distinct;
  return SEGKIT_OK;
}

/* ---- the model ----------------------------------------------------------------------- */

static void ward_centroids_inertia(segkit_cluster_model *m, const segkit_cluster_data *data,
                                   double *wsum) {
  size_t d = m->d;
  memset(m->centroids, 0, m->k * d * sizeof *m->centroids);
  memset(wsum, 0, m->k * sizeof *wsum);
  for (size_t i = 0; i < m->n; i++) {
    double w = data->weights ? data->weights[i] : 1.0;
    double *c = m->centroids + (size_t)m->labels[i] * d;
    const double *row = data->x + i * d;
    for (size_t j = 0; j < d; j++)
      c[j] += w * row[j];
    wsum[m->labels[i]] += w;
  }
  for (size_t c = 0; c < m->k; c++)
    for (size_t j = 0; j < d; j++)
      m->centroids[c * d + j] /= wsum[c];
  double inertia = 0;
  for (size_t i = 0; i < m->n; i++) {
    double w = data->weights ? data->weights[i] : 1.0;
    const double *c = m->centroids + (size_t)m->labels[i] * d;
    const double *row = data->x + i * d;
    double ss = 0;
    for (size_t j = 0; j < d; j++) {
      double t = row[j] - c[j];
      ss += t * t;
    }
    inertia += w * ss;
  }
  m->inertia = inertia;
}

static segkit_status ward_check(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                                segkit_error *err) {
  if (data->n > WARD_MAX_ROWS)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "ward: %zu rows (at most %d; use k-means, or cluster a sample "
                            "and assign the rest)",
                            data->n, WARD_MAX_ROWS);
  if (data->weights)
    for (size_t i = 0; i < data->n; i++)
      if (!(data->weights[i] > 0))
        return segkit_error_set(err, SEGKIT_ERR_USAGE,
                                "ward: row %zu has weight 0 (expected > 0; leave the row out "
                                "instead)",
                                i + 1);
  size_t distinct = 0;
  segkit_status st = count_distinct(data, &distinct, err);
  if (st != SEGKIT_OK)
    return st;
  if (opt->k > distinct)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "ward: k = %zu but only %zu distinct rows",
                            opt->k, distinct);
  return SEGKIT_OK;
}

segkit_status sk__ward_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                           segkit_cluster_model **out, segkit_error *err) {
  segkit_status st = ward_check(data, opt, err);
  if (st != SEGKIT_OK)
    return st;
  size_t n = data->n;
  ward_state s;
  segkit_cluster_model *m = sk__cluster_model_new(SEGKIT_CLUSTER_WARD, opt->k, data->d, 0);
  size_t *order = malloc(n * sizeof *order);
  double *sorted = malloc((n > 1 ? n - 1 : 1) * 4 * sizeof *sorted);
  double *wsum = malloc(opt->k * sizeof *wsum);
  bool ok = ward_state_init(&s, data) && m && order && sorted && wsum;
  if (ok) {
    m->n = n;
    m->labels = malloc(n * sizeof *m->labels);
    m->centroids = malloc(opt->k * data->d * sizeof *m->centroids);
    m->merges = malloc((n > 1 ? n - 1 : 1) * 4 * sizeof *m->merges);
    ok = m->labels && m->centroids && m->merges;
  }
  if (ok) {
    ward_chain(&s);
    for (size_t i = 0; i + 1 < n; i++)
      order[i] = i;
    ok = n < 2 || sk__sort_index(order, n - 1, cmp_height, s.slot_merges);
  }
  if (ok) {
    for (size_t i = 0; i + 1 < n; i++)
      memcpy(sorted + i * 4, s.slot_merges + order[i] * 4, 4 * sizeof *sorted);
    ok = ward_scipy_form(sorted, n, m->merges) && ward_cut(sorted, n, opt->k, m->labels);
  }
  if (ok) {
    ward_centroids_inertia(m, data, wsum);
    ok = sk__cluster_model_tally(m, data->weights);
  }
  ward_state_free(&s);
  free(order);
  free(sorted);
  free(wsum);
  if (!ok) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "ward: no memory for %zu rows", n);
  }
  m->iterations = (int)(n - 1);
  m->converged = true;
  m->best_start = 0;
  *out = m;
  return SEGKIT_OK;
}
