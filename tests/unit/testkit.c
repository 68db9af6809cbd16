/* Helpers shared by the unit tests. */
#include "testkit.h"

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
