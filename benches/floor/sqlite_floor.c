/* The floor for a tokenstore sqlite: command: one process that opens the
 * database, runs one statement with bound text parameters and prints every
 * row it returns (columns separated by tabs).
 *
 *   sqlite_floor DB SQL [PARAM...]           a query (autocommit)
 *   sqlite_floor --write DB SQL [PARAM...]   PRAGMA synchronous=FULL;
 *                                            BEGIN IMMEDIATE; SQL; COMMIT
 *
 * Built statically by benches/run.sh against Debian's libsqlite3. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "sqlite_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
  exit(1);
}

static void exec(const char *sql) {
  if (sqlite3_exec(db, sql, 0, 0, 0) != SQLITE_OK) die(sql);
}

int main(int argc, char **argv) {
  int write = argc > 1 && strcmp(argv[1], "--write") == 0;
  if (argc < 3 + write) {
    fprintf(stderr, "usage: sqlite_floor [--write] DB SQL [PARAM...]\n");
    return 2;
  }
  const char *path = argv[1 + write], *sql = argv[2 + write];
  int flags = write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path, &db, flags, 0) != SQLITE_OK) die("open");
  if (write) {
    exec("PRAGMA synchronous=FULL");
    exec("BEGIN IMMEDIATE");
  }
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, 0) != SQLITE_OK) die("prepare");
  for (int i = 3 + write; i < argc; i++)
    sqlite3_bind_text(st, i - 2 - write, argv[i], -1, SQLITE_STATIC);
  int rc, rows = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int n = sqlite3_column_count(st);
    for (int c = 0; c < n; c++) {
      const unsigned char *v = sqlite3_column_text(st, c);
      printf("%s%s", c ? "\t" : "", v ? (const char *)v : "");
    }
    putchar('\n');
    rows++;
  }
  if (rc != SQLITE_DONE) die("step");
  sqlite3_finalize(st);
  if (write) {
    exec("COMMIT");
    printf("%d row(s) changed\n", sqlite3_changes(db));
  }
  if (sqlite3_close(db) != SQLITE_OK) die("close");
  return write || rows ? 0 : 3;
}
