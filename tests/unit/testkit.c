/* Helpers shared by the unit tests. */
#include "testkit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mkdtemp and nftw are XSI; declare what we use rather than widen the feature macros. */
char *mkdtemp(char *template_path);

char *tu_path_join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  if (p != NULL) {
    snprintf(p, n, "%s/%s", a, b);
  }
  return p;
}

char *tu_mkdtemp(void) {
  const char *base = getenv("TMPDIR");
  if (base == NULL || base[0] == '\0') {
    base = "/tmp";
  }
  char *tmpl = tu_path_join(base, "segkit-test-XXXXXX");
  if (tmpl == NULL || mkdtemp(tmpl) == NULL) {
    free(tmpl);
    return NULL;
  }
  return tmpl;
}

void tu_rmtree(const char *path) {
  if (path == NULL || strstr(path, "segkit-test-") == NULL) {
    return; /* refuse to delete anything we did not make */
  }
  size_t n = strlen(path) + 16;
  char *cmd = malloc(n);
  if (cmd == NULL) {
    return;
  }
  snprintf(cmd, n, "rm -rf '%s'", path);
  int rc = system(cmd);
  (void)rc;
  free(cmd);
}

char *tu_write_file(const char *dir, const char *name, const void *data, size_t size) {
  char *path = tu_path_join(dir, name);
  if (path == NULL) {
    return NULL;
  }
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    free(path);
    return NULL;
  }
  size_t w = fwrite(data, 1, size, f);
  fclose(f);
  if (w != size) {
    free(path);
    return NULL;
  }
  return path;
}

char *tu_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  size_t cap = 4096;
  size_t len = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    size_t r = fread(buf + len, 1, cap - len - 1, f);
    len += r;
    if (r == 0) {
      break;
    }
    if (len + 1 == cap) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf != NULL) {
    buf[len] = '\0';
    if (size != NULL) {
      *size = len;
    }
  }
  return buf;
}

static int tokens_differ(const char *a, const char *b, double rel, double abs_tol) {
  if (strcmp(a, b) == 0) {
    return 0;
  }
  char *ea = NULL;
  char *eb = NULL;
  double x = strtod(a, &ea);
  double y = strtod(b, &eb);
  if (ea == a || eb == b || *ea != '\0' || *eb != '\0') {
    return 1;
  }
  return !(fabs(x - y) <= rel * fabs(x) + abs_tol);
}

long tu_compare_tokens(const char *committed, const char *fresh, double rel, double abs_tol,
                       char *why, size_t why_size) {
  size_t na = 0;
  size_t nb = 0;
  char *a = tu_read_file(committed, &na);
  char *b = tu_read_file(fresh, &nb);
  long tokens = 0;
  if (a == NULL || b == NULL) {
    snprintf(why, why_size, "cannot read %s", a == NULL ? committed : fresh);
    tokens = -1;
  }
  char *sa = NULL;
  char *sb = NULL;
  char *ta = tokens == 0 ? strtok_r(a, " \n", &sa) : NULL;
  char *tb = tokens == 0 ? strtok_r(b, " \n", &sb) : NULL;
  while (ta != NULL && tb != NULL) {
    if (tokens_differ(ta, tb, rel, abs_tol)) {
      snprintf(why, why_size, "token %ld: committed %s, now %s", tokens + 1, ta, tb);
      tokens = -1;
      break;
    }
    ta = strtok_r(NULL, " \n", &sa);
    tb = strtok_r(NULL, " \n", &sb);
    tokens++;
  }
  if (tokens >= 0 && (ta != NULL || tb != NULL)) {
    snprintf(why, why_size, "after %ld tokens one file ends: %s has more", tokens,
             ta != NULL ? committed : fresh);
    tokens = -1;
  }
  free(a);
  free(b);
  return tokens;
}
