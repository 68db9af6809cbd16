/* Byte sources for the readers: a regular file read with pread, or a caller's buffer.
 *
 * Both are read at arbitrary offsets by any number of threads at once (pread has no shared
 * file position), which is what lets each reader thread stream its own region of the
 * input. A memory source is copied chunk by chunk like a file rather than parsed in
 * place, so buffer reads (tests, fuzzing) exercise exactly the block logic file reads use.
 * Pipes and devices are refused: the readers read twice (type inference, then the data)
 * and split the input by offset, which needs a seekable file of known size. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"

static void describe_errno(int e, char *buf, size_t size) {
  if (strerror_r(e, buf, size) != 0) {
    buf[0] = '\0';
  }
}

segkit_status sk__source_open_file(sk__source *s, const char *path, segkit_error *err) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->name = path;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    char why[128];
    describe_errno(e, why, sizeof why);
    return segkit_error_set_at(err, e == ENOENT ? SEGKIT_ERR_NOT_FOUND : SEGKIT_ERR_IO, path,
                               0, 0, NULL, "cannot open the file: %s", why);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    char why[128];
    describe_errno(e, why, sizeof why);
    close(fd);
    return segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL,
                               "cannot read the file's size: %s", why);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL,
                               "is a directory (expected a data file)");
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return segkit_error_set_at(err, SEGKIT_ERR_IO, path, 0, 0, NULL,
                               "is not a regular file (pipes and devices cannot be read "
                               "twice; save the data to a file first)");
  }
  s->fd = fd;
  s->size = (uint64_t)st.st_size;
  return SEGKIT_OK;
}

void sk__source_open_memory(sk__source *s, const void *data, size_t size, const char *name) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->mem = data;
  s->size = data != NULL ? size : 0;
  s->name = name;
}

void sk__source_close(sk__source *s) {
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

segkit_status sk__source_read(const sk__source *s, uint64_t off, void *dst, size_t n,
                              size_t *got, segkit_error *err) {
  *got = 0;
  if (off >= s->size || n == 0) {
    return SEGKIT_OK;
  }
  if (n > s->size - off) {
    n = (size_t)(s->size - off);
  }
  if (s->fd < 0) {
    memcpy(dst, s->mem + off, n);
    *got = n;
    return SEGKIT_OK;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t k = pread(s->fd, (uint8_t *)dst + done, n - done, (off_t)(off + done));
    if (k < 0) {
      if (errno == EINTR) {
        continue;
      }
      int e = errno;
      char why[128];
      describe_errno(e, why, sizeof why);
      return segkit_error_set_at(err, SEGKIT_ERR_IO, s->name, 0, 0, NULL,
                                 "read failed at byte %llu: %s", (unsigned long long)(off + done),
                                 why);
    }
    if (k == 0) {
      break; /* the file shrank while we read it: what is there is all there is */
    }
    done += (size_t)k;
  }
  *got = done;
  if (s->progress != NULL) {
    sk__progress_add(s->progress, done);
  }
  return SEGKIT_OK;
}

enum { PROGRESS_STEP = 16u << 20 };

void sk__progress_init(sk__progress *p, const segkit_read_options *opt, uint64_t total) {
  p->fn = opt->progress;
  p->ctx = opt->progress_ctx;
  p->total = total;
  atomic_init(&p->done, 0);
  atomic_init(&p->next_report, PROGRESS_STEP);
  atomic_flag_clear(&p->busy);
}

void sk__progress_add(sk__progress *p, uint64_t bytes) {
  uint64_t done = atomic_fetch_add(&p->done, bytes) + bytes;
  if (done < atomic_load(&p->next_report) || atomic_flag_test_and_set(&p->busy)) {
    return; /* not yet, or another thread is reporting */
  }
  atomic_store(&p->next_report, done + PROGRESS_STEP);
  p->fn(p->ctx, done, p->total);
  atomic_flag_clear(&p->busy);
}
