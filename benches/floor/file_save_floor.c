/* The floor for a tokenstore file: write: one process that takes the
 * store's lock, reads the whole CSV, rewrites it into a temporary file
 * beside it, fsyncs that file, renames it over the store and fsyncs the
 * folder, as every atomic file write must.
 *
 *   file_save_floor FILE MATCH_COL MATCH_VALUE SET_COL SET_VALUE
 *       an upsert: the first row whose field MATCH_COL (0-based) equals
 *       MATCH_VALUE gets SET_VALUE in field SET_COL (plain comma-separated
 *       rows without quotes, as the benchmark's tokens are)
 *   file_save_floor --copy SRC FILE
 *       a new store: FILE gets SRC's bytes (the CSV tokenstore would write)
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) die(path);
  char *buf = malloc(st.st_size + 1);
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, st.st_size - got);
    if (r <= 0) die("read");
    got += r;
  }
  close(fd);
  *len = got;
  return buf;
}

static void put(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) die("write");
    p += w;
    n -= w;
  }
}

/* Field `col` of the line at p (ending at end): its start, its length. */
static const char *field(const char *p, const char *end, int col, size_t *n) {
  for (; col > 0; col--) {
    const char *c = memchr(p, ',', end - p);
    if (!c) return 0;
    p = c + 1;
  }
  const char *c = memchr(p, ',', end - p);
  *n = (c ? c : end) - p;
  return p;
}

int main(int argc, char **argv) {
  int copy = argc == 4 && strcmp(argv[1], "--copy") == 0;
  if (!copy && argc != 6) {
    fprintf(stderr, "usage: file_save_floor FILE MATCH_COL MATCH_VALUE SET_COL SET_VALUE\n"
                    "       file_save_floor --copy SRC FILE\n");
    return 2;
  }
  const char *path = copy ? argv[3] : argv[1];
  char lock[4096], tmp[4096], dir[4096];
  snprintf(lock, sizeof lock, "%s.lock", path);
  snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
  snprintf(dir, sizeof dir, "%s", path);
  int lk = open(lock, O_RDWR | O_CREAT, 0600);
  if (lk < 0 || flock(lk, LOCK_EX) < 0) die(lock);

  size_t len;
  char *buf = slurp(copy ? argv[2] : path, &len);
  int out = mkstemp(tmp);
  if (out < 0) die(tmp);
  if (copy) {
    put(out, buf, len);
  } else {
    int mcol = atoi(argv[2]), scol = atoi(argv[4]);
    const char *want = argv[3], *set = argv[5];
    size_t wlen = strlen(want);
    const char *p = memchr(buf, '\n', len), *end = buf + len; /* skip the header */
    p = p ? p + 1 : end;
    while (p < end) {
      const char *nl = memchr(p, '\n', end - p);
      const char *eol = nl ? nl : end;
      size_t n;
      const char *f = field(p, eol, mcol, &n);
      if (f && n == wlen && memcmp(f, want, n) == 0 && (f = field(p, eol, scol, &n))) {
        put(out, buf, f - buf);                 /* everything before the value */
        put(out, set, strlen(set));             /* the new value */
        put(out, f + n, end - (f + n));         /* the rest of the file */
        goto written;
      }
      p = eol + 1;
    }
    fprintf(stderr, "file_save_floor: no row with %s\n", want);
    unlink(tmp);
    return 3;
  }
written:
  if (fsync(out) < 0 || close(out) < 0) die("fsync");
  if (rename(tmp, path) < 0) die("rename");
  int d = open(dirname(dir), O_RDONLY | O_DIRECTORY);
  if (d < 0 || fsync(d) < 0) die("fsync folder");
  return 0;
}
