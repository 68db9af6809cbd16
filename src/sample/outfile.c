/* Output files of the generator. Key design choices: bytes go out in 1 MiB blocks (stdio's
 * own buffering is turned off, so each fwrite is one large write), and a file is written
 * under NAME.tmp and renamed only when complete, so a failed or interrupted run never
 * leaves a truncated file under the final name. Every error names the final path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sample/sample_int.h"

#define BLOCK_BYTES ((size_t)1 << 20)

static char *join(const char *dir, const char *name, const char *suffix) {
  size_t a = strlen(dir);
  size_t b = strlen(name);
  size_t c = strlen(suffix);
  char *p = malloc(a + b + c + 2);
  if (p == NULL) {
    return NULL;
  }
  memcpy(p, dir, a);
  size_t n = a;
  if (n > 0 && p[n - 1] != '/') {
    p[n++] = '/';
  }
  memcpy(p + n, name, b);
  memcpy(p + n + b, suffix, c + 1);
  return p;
}

static void release(sk__outfile *f) {
  free(f->path);
  free(f->tmp_path);
  free(f->block);
  memset(f, 0, sizeof *f);
}

segkit_status sk__outfile_open(sk__outfile *f, const char *dir, const char *name,
                               segkit_error *err) {
  memset(f, 0, sizeof *f);
  f->path = join(dir, name, "");
  f->tmp_path = join(dir, name, ".tmp");
  f->block = malloc(BLOCK_BYTES);
  if (f->path == NULL || f->tmp_path == NULL || f->block == NULL) {
    release(f);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the output buffer of %s",
                            name);
  }
  f->fp = fopen(f->tmp_path, "wb");
  if (f->fp == NULL) {
    int e = errno;
    segkit_error_set_at(err, SEGKIT_ERR_IO, f->path, 0, 0, NULL, "cannot create %s: %s",
                        f->tmp_path, strerror(e));
    release(f);
    return SEGKIT_ERR_IO;
  }
  setvbuf(f->fp, NULL, _IONBF, 0);
  return SEGKIT_OK;
}

static segkit_status write_raw(sk__outfile *f, const char *data, size_t n, segkit_error *err) {
  if (n == 0) {
    return SEGKIT_OK;
  }
  if (fwrite(data, 1, n, f->fp) != n) {
    int e = errno;
    return segkit_error_set_at(err, SEGKIT_ERR_IO, f->path, 0, 0, NULL, "write failed: %s",
                               strerror(e));
  }
  return SEGKIT_OK;
}

segkit_status sk__outfile_write(sk__outfile *f, const char *data, size_t n, segkit_error *err) {
  if (n == 0) {
    return SEGKIT_OK; /* data may be NULL: an empty buffer never allocated */
  }
  f->bytes += (int64_t)n;
  size_t room = BLOCK_BYTES - f->len;
  if (n < room) {
    memcpy(f->block + f->len, data, n);
    f->len += n;
    return SEGKIT_OK;
  }
  /* Fill and flush the block, then write whole blocks straight from the caller's data. */
  memcpy(f->block + f->len, data, room);
  data += room;
  n -= room;
  segkit_status st = write_raw(f, f->block, BLOCK_BYTES, err);
  f->len = 0;
  while (st == SEGKIT_OK && n >= BLOCK_BYTES) {
    st = write_raw(f, data, BLOCK_BYTES, err);
    data += BLOCK_BYTES;
    n -= BLOCK_BYTES;
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  memcpy(f->block, data, n);
  f->len = n;
  return SEGKIT_OK;
}

segkit_status sk__outfile_close(sk__outfile *f, segkit_error *err) {
  if (f->fp == NULL) {
    return SEGKIT_OK;
  }
  segkit_status st = write_raw(f, f->block, f->len, err);
  f->len = 0;
  int rc = fclose(f->fp);
  f->fp = NULL;
  if (st == SEGKIT_OK && rc != 0) {
    int e = errno;
    st = segkit_error_set_at(err, SEGKIT_ERR_IO, f->path, 0, 0, NULL, "close failed: %s",
                             strerror(e));
  }
  return st;
}

segkit_status sk__outfile_commit(sk__outfile *f, segkit_error *err) {
  segkit_status st = sk__outfile_close(f, err);
  if (st == SEGKIT_OK && rename(f->tmp_path, f->path) != 0) {
    int e = errno;
    st = segkit_error_set_at(err, SEGKIT_ERR_IO, f->path, 0, 0, NULL,
                             "cannot rename %s into place: %s", f->tmp_path, strerror(e));
  }
  if (st != SEGKIT_OK) {
    unlink(f->tmp_path);
  }
  release(f);
  return st;
}

void sk__outfile_discard(sk__outfile *f) {
  if (f->fp != NULL) {
    fclose(f->fp);
    f->fp = NULL;
  }
  if (f->tmp_path != NULL) {
    unlink(f->tmp_path);
  }
  release(f);
}
