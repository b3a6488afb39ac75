/*
 * test_layout.c - unit tests of src/io: the job folder layout (layout.h),
 * file system helpers (fs.h), JSON-lines files (jsonl.h), input file
 * listing (glob.h) and which paths are remote (remote.h), in a fresh
 * temporary folder under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "io/fs.h"
#include "io/glob.h"
#include "io/jsonl.h"
#include "io/layout.h"
#include "io/remote.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Each test gets its own folder; *state holds its path (sp_malloc'd). */
static int setup_tmpdir(void **state)
{
  char tmpl[] = "/tmp/sp_unit_layout_XXXXXX";
  char *dir = mkdtemp(tmpl);

  if (!dir)
    return -1;
  *state = sp_strdup(dir);
  return *state ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
  char *dir = *state;
  sp_error *err = NULL;
  sp_status st = sp_rm_rf(dir, &err);

  sp_error_free(&err);
  if (st == SP_OK && sp_path_exists(dir))
    st = SP_EIO;
  sp_free(dir);
  return st == SP_OK ? 0 : -1;
}

/* dir/name, to free with sp_free. */
static char *join(const char *dir, const char *name)
{
  sp_buf b = SP_BUF_INIT;
  char *s;

  sp_buf_appendf(&b, "%s/%s", dir, name);
  s = sp_buf_detach(&b);
  assert_non_null(s);
  return s;
}

static void write_text(const char *dir, const char *name, const char *text)
{
  char *path = join(dir, name);

  assert_int_equal(sp_write_file_atomic(path, text, strlen(text), NULL),
                   SP_OK);
  sp_free(path);
}

static const char *const subdirs[] = {"data", "staging", "tmp", "log"};

/* Entries of folder path, hidden ones included. */
static int count_entries(const char *path)
{
  struct dirent *de;
  DIR *d = opendir(path);
  int n = 0;

  assert_non_null(d);
  while ((de = readdir(d)))
    n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
  closedir(d);
  return n;
}

static int is_dir(const char *path)
{
  struct stat sb;

  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* ---- layout ------------------------------------------------------------ */

static void test_valid_job_id(void **state)
{
  static const char *const good[] = {"a-1.b_2", "a", "A.B", "x..y", "-x",
                                     "20240101-120000.abc"};
  static const char *const bad[] = {"", ".x", ".", "..", "a/b", "a b",
                                    "a\tb", "/abs", "a\\b", "\xc3\xa9", "a*"};
  char longest[130];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    if (!sp_layout_valid_job_id(good[i]))
      fail_msg("rejected valid job id '%s'", good[i]);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (sp_layout_valid_job_id(bad[i]))
      fail_msg("accepted invalid job id '%s'", bad[i]);
  assert_false(sp_layout_valid_job_id(NULL));
  memset(longest, 'a', sizeof(longest) - 1);
  longest[sizeof(longest) - 1] = '\0';
  assert_false(sp_layout_valid_job_id(longest)); /* 129 characters */
  longest[128] = '\0';
  assert_true(sp_layout_valid_job_id(longest));
}

static void test_layout_open(void **state)
{
  const char *dir = *state;
  char *root = join(dir, "root/nested"), *real = NULL;
  sp_layout l, again;
  sp_buf b = SP_BUF_INIT, want = SP_BUF_INIT;
  sp_error *err = NULL;
  char pid[32];
  size_t i;

  assert_int_equal(sp_layout_open(root, "job-1", &l, &err), SP_OK);
  assert_null(err);
  assert_true(l.created);
  assert_non_null(l.job_dir);
  assert_int_equal(l.job_dir[0], '/');
  assert_int_equal(sp_realpath(root, &real, NULL), SP_OK);
  sp_buf_appendf(&want, "%s/job-1", real);
  assert_string_equal(l.job_dir, want.data);
  assert_true(is_dir(l.job_dir));
  for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
    sp_layout_file(&l, &b, subdirs[i]);
    if (!is_dir(b.data))
      fail_msg("%s was not created", b.data);
    sp_buf_reset(&b);
  }
  /* Nothing is left beside the job folder. */
  assert_int_equal(count_entries(real), 1);
  /* The path helpers. */
  sp_layout_task_out(&l, &b, "0123456789abcdef");
  sp_buf_reset(&want);
  sp_buf_appendf(&want, "%s/job-1/data/0123456789abcdef", real);
  assert_string_equal(b.data, want.data);
  sp_buf_reset(&b);
  sp_layout_attempt_out(&l, &b, "0123456789abcdef", 2);
  sp_buf_reset(&want);
  sp_buf_appendf(&want, "%s/job-1/staging/0123456789abcdef.2", real);
  assert_string_equal(b.data, want.data);

  /* A second opener while the lock is held: refused, naming our pid. */
  assert_int_equal(sp_layout_open(root, "job-1", &again, &err), SP_EEXIST);
  snprintf(pid, sizeof(pid), "(pid %d)", (int)getpid());
  assert_non_null(strstr(sp_error_message(err), "in use by another driver"));
  assert_non_null(strstr(sp_error_message(err), pid));
  sp_error_free(&err);
  assert_null(again.job_dir);
  assert_int_equal(sp_layout_driver_pid(l.job_dir), (int)getpid());
  sp_layout_close(&l, 0);
  assert_null(l.job_dir);
  assert_int_equal(sp_layout_driver_pid(want.data), 0);

  /* Opening it again over the existing tree is fine, and a reopened
   * folder is never discarded. */
  assert_int_equal(sp_layout_open(root, "job-1", &l, &err), SP_OK);
  assert_false(l.created);
  sp_layout_close(&l, 1);
  sp_buf_reset(&b);
  sp_buf_appendf(&b, "%s/job-1", real);
  assert_true(is_dir(b.data));
  /* A folder created and discarded is gone. */
  assert_int_equal(sp_layout_open(root, "job-2", &l, &err), SP_OK);
  sp_layout_close(&l, 1);
  assert_int_equal(count_entries(real), 1);
  /* An invalid job id creates nothing. */
  assert_int_equal(sp_layout_open(root, "../evil", &l, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), "../evil"));
  sp_error_free(&err);
  assert_null(l.job_dir);
  sp_buf_release(&b);
  sp_buf_release(&want);
  sp_free(real);
  sp_free(root);
}

/* An empty folder, or a link to one, becomes the job folder in place: the
 * same folder, its mode kept, never removed on discard; a folder with
 * other entries is refused and left as it was. */
static void test_layout_open_existing(void **state)
{
  const char *dir = *state;
  char *job = join(dir, "empty"), *other = join(dir, "other");
  char *target = join(dir, "target"), *link = join(dir, "linked");
  char *marker = join(target, ".smallpond-job");
  sp_layout l;
  sp_error *err = NULL;
  struct stat before, sb;

  assert_int_equal(mkdir(job, 0700), 0);
  assert_int_equal(stat(job, &before), 0);
  assert_int_equal(sp_layout_open(dir, "empty", &l, &err), SP_OK);
  assert_false(l.created);
  assert_int_equal(stat(job, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0700);
  assert_int_equal(sb.st_ino, before.st_ino);
  sp_layout_close(&l, 1);
  assert_true(is_dir(job));
  assert_int_equal(mkdir(target, 0750), 0);
  assert_int_equal(symlink(target, link), 0);
  assert_int_equal(sp_layout_open(dir, "linked", &l, &err), SP_OK);
  sp_layout_close(&l, 1);
  assert_int_equal(lstat(link, &sb), 0);
  assert_true(S_ISLNK(sb.st_mode));
  assert_true(sp_path_exists(marker));
  assert_int_equal(mkdir(other, 0777), 0);
  write_text(other, "mine.txt", "keep me");
  assert_int_equal(sp_layout_open(dir, "other", &l, &err), SP_EEXIST);
  assert_non_null(strstr(sp_error_message(err), "not a smallpond job"));
  sp_error_free(&err);
  assert_int_equal(count_entries(other), 1);
  sp_free(job);
  sp_free(other);
  sp_free(target);
  sp_free(link);
  sp_free(marker);
}

/* Two drivers open one new job at the same moment, many times over: one
 * wins; the other is told the job is in use, never anything else, and
 * never removes the folder the winner uses (it writes into it after its
 * rival gave up). */
static void test_layout_open_race(void **state)
{
  const char *dir = *state;
  int round, k, both_ok = 0;

  for (round = 0; round < 150; round++) {
    int go[2], codes[2];
    pid_t kids[2];
    char id[32];
    snprintf(id, sizeof(id), "race-%d", round);
    assert_int_equal(pipe(go), 0);
    for (k = 0; k < 2; k++) {
      if ((kids[k] = fork()) == 0) {
        sp_layout l;
        sp_error *err = NULL;
        sp_buf f = SP_BUF_INIT;
        char c;
        int code;
        close(go[1]);
        if (read(go[0], &c, 1) != 0)
          _exit(9);
        if (sp_layout_open(dir, id, &l, &err) != SP_OK) {
          code = strstr(sp_error_message(err), "in use by another driver")
                     ? 1 : 2;
          if (code == 2)
            fprintf(stderr, "%s\n", sp_error_message(err));
          _exit(code);
        }
        /* Nothing ran: the winner discards its folder, as sp_close does,
         * after making sure it is still there. */
        nanosleep(&(struct timespec){0, 2 * 1000 * 1000}, NULL);
        sp_layout_file(&l, &f, "log/driver.log");
        code = sp_write_file_atomic(f.data, "x", 1, NULL) == SP_OK ? 0 : 3;
        sp_layout_close(&l, round % 2);
        _exit(code);
      }
      assert_true(kids[k] > 0);
    }
    close(go[0]);
    close(go[1]); /* both start now */
    for (k = 0; k < 2; k++) {
      int status;
      assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
      assert_true(WIFEXITED(status));
      codes[k] = WEXITSTATUS(status);
      if (codes[k] > 1)
        fail_msg("round %d: a driver failed with code %d", round, codes[k]);
    }
    /* One ran; the other either lost or came after the winner was done. */
    assert_true(codes[0] == 0 || codes[1] == 0);
    both_ok += codes[0] == 0 && codes[1] == 0;
  }
  (void)both_ok;
}

/* ---- fs ---------------------------------------------------------------- */

static void check_split(const char *path, const char *parent,
                        const char *base)
{
  sp_buf p = SP_BUF_INIT, b = SP_BUF_INIT;

  sp_path_split(path, &p, &b);
  if (strcmp(p.data, parent) != 0 || strcmp(b.data, base) != 0)
    fail_msg("split '%s' gave '%s', '%s'; want '%s', '%s'", path, p.data,
             b.data, parent, base);
  sp_buf_release(&p);
  sp_buf_release(&b);
}

static void test_path_split(void **state)
{
  sp_buf p = SP_BUF_INIT, b = SP_BUF_INIT;

  (void)state;
  check_split("a/b/", "a", "b");
  check_split("a/b", "a", "b");
  check_split("b", ".", "b");
  check_split("b/", ".", "b");
  check_split("/b", "/", "b");
  check_split("/b//", "/", "b");
  check_split("/x/y/z.parquet", "/x/y", "z.parquet");
  check_split("./out", ".", "out");
  /* Appends to what the buffers hold. */
  sp_buf_puts(&p, "P:");
  sp_buf_puts(&b, "B:");
  sp_path_split("/data/out", &p, &b);
  assert_string_equal(p.data, "P:/data");
  assert_string_equal(b.data, "B:out");
  sp_buf_release(&p);
  sp_buf_release(&b);
}

static void test_mkdir_p_and_rm_rf(void **state)
{
  const char *dir = *state;
  char *deep = join(dir, "m/n/o/p"), *top = join(dir, "m");
  sp_error *err = NULL;

  assert_int_equal(sp_mkdir_p(deep, &err), SP_OK);
  assert_true(is_dir(deep));
  assert_int_equal(sp_mkdir_p(deep, &err), SP_OK); /* exists: fine */
  write_text(dir, "m/n/file.txt", "x");
  write_text(dir, "m/n/o/p/file.txt", "y");
  assert_int_equal(sp_rm_rf(top, &err), SP_OK);
  assert_false(sp_path_exists(top));
  assert_int_equal(sp_rm_rf(top, &err), SP_OK); /* missing: fine */
  assert_null(err);
  sp_free(deep);
  sp_free(top);
}

/* Moving a folder's entries is all or nothing and never replaces an entry
 * that appeared in the way: nothing is lost, everything goes back. */
static void test_move_entries(void **state)
{
  const char *dir = *state;
  char *from = join(dir, "from"), *to = join(dir, "to");
  char *theirs = join(to, "b.txt");
  sp_error *err = NULL;
  char *text = NULL;

  assert_int_equal(sp_mkdir_p(from, NULL), SP_OK);
  assert_int_equal(sp_mkdir_p(to, NULL), SP_OK);
  write_text(from, "a.txt", "a");
  write_text(from, "b.txt", "b");
  write_text(from, "c.txt", "c");
  write_text(to, "b.txt", "theirs");
  assert_int_equal(sp_move_entries(from, to, &err), SP_EIO);
  assert_non_null(strstr(sp_error_message(err), "b.txt"));
  sp_error_free(&err);
  assert_int_equal(count_entries(from), 3);
  assert_int_equal(count_entries(to), 1);
  assert_int_equal(sp_read_file(theirs, &text, NULL, NULL), SP_OK);
  assert_string_equal(text, "theirs");
  sp_free(text);
  assert_int_equal(unlink(theirs), 0);
  assert_int_equal(sp_move_entries(from, to, &err), SP_OK);
  assert_int_equal(count_entries(from), 0);
  assert_int_equal(count_entries(to), 3);
  sp_free(from);
  sp_free(to);
  sp_free(theirs);
}

static void test_dir_has_entries(void **state)
{
  const char *dir = *state;
  char *missing = join(dir, "missing"), *empty = join(dir, "empty");
  char *full = join(dir, "full"), *file = join(dir, "full/f.txt");
  sp_error *err = NULL;
  int has = -1;

  assert_int_equal(sp_dir_has_entries(missing, &has, &err), SP_OK);
  assert_int_equal(has, 0);
  assert_int_equal(sp_mkdir_p(empty, NULL), SP_OK);
  has = -1;
  assert_int_equal(sp_dir_has_entries(empty, &has, &err), SP_OK);
  assert_int_equal(has, 0);
  assert_int_equal(sp_mkdir_p(full, NULL), SP_OK);
  write_text(dir, "full/f.txt", "data");
  assert_int_equal(sp_dir_has_entries(full, &has, &err), SP_OK);
  assert_int_equal(has, 1);
  assert_null(err);
  /* A regular file is an error naming it. */
  assert_int_not_equal(sp_dir_has_entries(file, &has, &err), SP_OK);
  assert_non_null(err);
  assert_non_null(strstr(sp_error_message(err), file));
  sp_error_free(&err);
  sp_free(missing);
  sp_free(empty);
  sp_free(full);
  sp_free(file);
}

static void test_write_read_roundtrip(void **state)
{
  const char *dir = *state;
  char *path = join(dir, "blob.bin"), *back = NULL, *tmp;
  char data[70000];
  size_t i, len = 0;
  sp_buf tmpname = SP_BUF_INIT;
  sp_error *err = NULL;

  /* Binary content larger than one read block, with NUL bytes. */
  for (i = 0; i < sizeof(data); i++)
    data[i] = (char)((i * 131) % 251);
  assert_int_equal(sp_write_file_atomic(path, data, sizeof(data), &err),
                   SP_OK);
  assert_int_equal(sp_read_file(path, &back, &len, &err), SP_OK);
  assert_int_equal(len, sizeof(data));
  assert_memory_equal(back, data, sizeof(data));
  assert_int_equal(back[len], '\0');
  sp_free(back);
  assert_int_equal(sp_file_size(path, NULL), (int64_t)sizeof(data));

  /* Overwriting replaces the whole content and leaves no temp file. */
  assert_int_equal(sp_write_file_atomic(path, "short", 5, &err), SP_OK);
  assert_int_equal(sp_read_file(path, &back, &len, &err), SP_OK);
  assert_int_equal(len, 5);
  assert_string_equal(back, "short");
  sp_free(back);
  sp_buf_appendf(&tmpname, "%s.tmp.%d", path, (int)getpid());
  assert_false(sp_path_exists(tmpname.data));
  sp_buf_release(&tmpname);

  /* An empty file reads as an empty string; len may be NULL. */
  assert_int_equal(sp_write_file_atomic(path, "", 0, &err), SP_OK);
  assert_int_equal(sp_read_file(path, &back, NULL, &err), SP_OK);
  assert_string_equal(back, "");
  sp_free(back);
  assert_null(err);

  /* A missing file is SP_ENOENT naming the path. */
  tmp = join(dir, "nope.txt");
  assert_int_equal(sp_read_file(tmp, &back, &len, &err), SP_ENOENT);
  assert_non_null(strstr(sp_error_message(err), tmp));
  sp_error_free(&err);
  sp_free(tmp);
  /* Writing into a missing folder fails cleanly. */
  tmp = join(dir, "no/such/dir/f.txt");
  assert_int_equal(sp_write_file_atomic(tmp, "x", 1, &err), SP_EIO);
  sp_error_free(&err);
  sp_free(tmp);
  sp_free(path);
}

/* ---- jsonl ------------------------------------------------------------- */

typedef struct seen_lines {
  json_int_t ids[16];
  size_t n;
  size_t stop_after; /* 0: never stop */
} seen_lines;

static sp_status collect_line(json_t *line, void *arg, sp_error **err)
{
  seen_lines *s = arg;

  (void)err;
  if (s->n >= 16)
    return SP_EINTERNAL;
  s->ids[s->n++] = json_integer_value(json_object_get(line, "id"));
  if (s->stop_after && s->n == s->stop_after)
    return SP_EEXIST;
  return SP_OK;
}

static void append_ids(const char *path, int first, int count)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666), i;

  assert_true(fd >= 0);
  for (i = first; i < first + count; i++) {
    json_t *o = json_pack("{s:i, s:s}", "id", i, "text", "line\nwith newline");
    assert_non_null(o);
    assert_int_equal(sp_jsonl_append(fd, o, path, NULL), SP_OK);
    json_decref(o);
  }
  close(fd);
}

static void test_jsonl_roundtrip(void **state)
{
  const char *dir = *state;
  char *path = join(dir, "state.jsonl"), *text = NULL;
  seen_lines seen = {{0}, 0, 0};
  size_t skipped = 99, len, i, nl = 0;
  sp_error *err = NULL;

  append_ids(path, 1, 3);
  /* One line per object, each ending in '\n'. */
  assert_int_equal(sp_read_file(path, &text, &len, NULL), SP_OK);
  for (i = 0; i < len; i++)
    nl += text[i] == '\n';
  assert_int_equal(nl, 3);
  assert_int_equal(text[len - 1], '\n');
  sp_free(text);
  assert_int_equal(sp_jsonl_load(path, collect_line, &seen, &skipped, &err),
                   SP_OK);
  assert_null(err);
  assert_int_equal(skipped, 0);
  assert_int_equal(seen.n, 3);
  for (i = 0; i < 3; i++)
    assert_int_equal(seen.ids[i], (json_int_t)i + 1);

  /* Appending again keeps what is there. */
  append_ids(path, 4, 2);
  seen.n = 0;
  assert_int_equal(sp_jsonl_load(path, collect_line, &seen, &skipped, &err),
                   SP_OK);
  assert_int_equal(seen.n, 5);
  assert_int_equal(seen.ids[4], 5);

  /* The callback's status stops the load. */
  seen.n = 0;
  seen.stop_after = 2;
  assert_int_equal(sp_jsonl_load(path, collect_line, &seen, &skipped, &err),
                   SP_EEXIST);
  assert_int_equal(seen.n, 2);
  sp_error_free(&err);
  sp_free(path);
}

static void test_jsonl_cut_last_line(void **state)
{
  const char *dir = *state;
  char *path = join(dir, "cut.jsonl");
  seen_lines seen = {{0}, 0, 0};
  size_t skipped = 0;

  /* A crash cut the last line: it has no '\n' (and may even parse). */
  write_text(dir, "cut.jsonl",
             "{\"id\": 1}\n{\"id\": 2}\n\n{\"id\": 3}\n{\"id\": 4}");
  assert_int_equal(sp_jsonl_load(path, collect_line, &seen, &skipped, NULL),
                   SP_OK);
  assert_int_equal(seen.n, 3);
  assert_int_equal(seen.ids[0], 1);
  assert_int_equal(seen.ids[2], 3);
  assert_int_equal(skipped, 1);

  seen.n = 0;
  write_text(dir, "cut.jsonl", "{\"id\": 1}\n{\"id\": 2, \"te");
  assert_int_equal(sp_jsonl_load(path, collect_line, &seen, &skipped, NULL),
                   SP_OK);
  assert_int_equal(seen.n, 1);
  assert_int_equal(skipped, 1);

  /* Garbage lines in the middle are skipped and counted too. */
  seen.n = 0;
  write_text(dir, "cut.jsonl", "{\"id\": 1}\nnot json\n[1,2]\n{\"id\": 2}\n");
  assert_int_equal(sp_jsonl_load(path, collect_line, &seen, &skipped, NULL),
                   SP_OK);
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.ids[1], 2);
  assert_int_equal(skipped, 2);
  sp_free(path);
}

static void test_jsonl_missing_file(void **state)
{
  const char *dir = *state;
  char *path = join(dir, "none.jsonl");
  seen_lines seen = {{0}, 0, 0};
  size_t skipped = 5;

  assert_int_equal(sp_jsonl_load(path, collect_line, &seen, &skipped, NULL),
                   SP_OK);
  assert_int_equal(seen.n, 0);
  assert_int_equal(skipped, 0);
  sp_free(path);
}

/* ---- glob -------------------------------------------------------------- */

static void assert_sorted_unique_absolute(const sp_file_list *l)
{
  size_t i;

  for (i = 0; i < l->len; i++) {
    assert_int_equal(l->items[i].path[0], '/');
    if (i > 0 && strcmp(l->items[i - 1].path, l->items[i].path) >= 0)
      fail_msg("not sorted or duplicated: %s, %s", l->items[i - 1].path,
               l->items[i].path);
  }
}

static void test_list_files(void **state)
{
  const char *dir = *state;
  char *real = NULL, *p1 = join(dir, "in/*.parquet");
  char *p2 = join(dir, "in/a.parquet"), *p3 = join(dir, "in/c?.parquet");
  const char *patterns[3];
  sp_file_list l = {0};
  sp_error *err = NULL;
  char *in = join(dir, "in"), *want;

  assert_int_equal(sp_mkdir_p(in, NULL), SP_OK);
  write_text(dir, "in/c1.parquet", "ccc");
  write_text(dir, "in/b.parquet", "bb");
  write_text(dir, "in/a.parquet", "a");
  write_text(dir, "in/other.txt", "x");
  assert_int_equal(sp_realpath(in, &real, NULL), SP_OK);

  /* Overlapping patterns, given out of order. */
  patterns[0] = p3;
  patterns[1] = p1;
  patterns[2] = p2;
  assert_int_equal(sp_list_files(patterns, 3, 0, &l, &err), SP_OK);
  assert_null(err);
  assert_int_equal(l.len, 3);
  assert_sorted_unique_absolute(&l);
  want = join(real, "a.parquet");
  assert_string_equal(l.items[0].path, want);
  sp_free(want);
  want = join(real, "c1.parquet");
  assert_string_equal(l.items[2].path, want);
  sp_free(want);
  assert_int_equal(l.items[0].size, 1);
  assert_int_equal(l.items[1].size, 2);
  assert_int_equal(l.items[2].size, 3);
  assert_true(l.items[0].mtime_ns > 0);
  sp_file_list_release(&l);
  assert_int_equal(l.len, 0);

  /* The same file twice is listed once. */
  patterns[0] = p2;
  patterns[1] = p2;
  assert_int_equal(sp_list_files(patterns, 2, 0, &l, &err), SP_OK);
  assert_int_equal(l.len, 1);
  sp_file_list_release(&l);

  /* A relative path comes back absolute. */
  {
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(in), 0);
    patterns[0] = "b.parquet";
    assert_int_equal(sp_list_files(patterns, 1, 0, &l, &err), SP_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(l.len, 1);
    want = join(real, "b.parquet");
    assert_string_equal(l.items[0].path, want);
    sp_free(want);
    sp_file_list_release(&l);
  }
  sp_free(real);
  sp_free(in);
  sp_free(p1);
  sp_free(p2);
  sp_free(p3);
}

static void test_list_files_errors(void **state)
{
  const char *dir = *state;
  char *good = join(dir, "in/a.parquet"), *nomatch = join(dir, "in/*.csv");
  char *missing = join(dir, "in/missing.parquet"), *folder = join(dir, "in");
  const char *patterns[2];
  sp_file_list l = {0};
  sp_error *err = NULL;

  assert_int_equal(sp_mkdir_p(folder, NULL), SP_OK);
  write_text(dir, "in/a.parquet", "a");

  /* A glob that matches nothing, after one that matches: nothing leaks. */
  patterns[0] = good;
  patterns[1] = nomatch;
  assert_int_equal(sp_list_files(patterns, 2, 0, &l, &err), SP_ENOENT);
  assert_non_null(strstr(sp_error_message(err), nomatch));
  assert_int_equal(l.len, 0);
  sp_error_free(&err);
  /* A plain path that does not exist. */
  patterns[0] = missing;
  assert_int_equal(sp_list_files(patterns, 1, 0, &l, &err), SP_ENOENT);
  assert_non_null(strstr(sp_error_message(err), missing));
  sp_error_free(&err);
  /* A folder is not an input file. */
  patterns[0] = folder;
  assert_int_equal(sp_list_files(patterns, 1, 0, &l, &err), SP_EINVAL);
  assert_non_null(strstr(sp_error_message(err), folder));
  assert_int_equal(l.len, 0);
  sp_error_free(&err);
  /* No pattern, or an empty one. */
  assert_int_equal(sp_list_files(patterns, 0, 0, &l, &err), SP_EINVAL);
  sp_error_free(&err);
  patterns[0] = "";
  assert_int_equal(sp_list_files(patterns, 1, 0, &l, &err), SP_EINVAL);
  sp_error_free(&err);
  sp_free(good);
  sp_free(nomatch);
  sp_free(missing);
  sp_free(folder);
}

/* glob.h: "An entry that matches nothing fails with SP_ENOENT naming it",
 * also when the pattern's folder does not exist. */
static void test_list_files_glob_in_missing_folder(void **state)
{
  const char *dir = *state;
  char *pattern = join(dir, "no_such_folder/*.parquet");
  const char *patterns[1];
  sp_file_list l = {0};
  sp_error *err = NULL;
  sp_status st;

  patterns[0] = pattern;
  st = sp_list_files(patterns, 1, 0, &l, &err);
  assert_non_null(err);
  assert_non_null(strstr(sp_error_message(err), pattern));
  if (st != SP_ENOENT)
    fail_msg("glob in a missing folder gave status %d (%s), want SP_ENOENT: "
             "%s", (int)st, sp_status_str(st), sp_error_message(err));
  sp_error_free(&err);
  sp_free(pattern);
}

/* glob.h: with recursive, a "**" component matches any number of
 * folders, zero included; hidden entries are skipped; without recursive,
 * "**" is one level, as glob(3) reads it. */
static void test_list_files_recursive(void **state)
{
  const char *dir = *state;
  static const char *const files[] = {
    "r/top.parquet", "r/a/one.parquet", "r/a/b/two.parquet",
    "r/a/b/c/three.parquet", "r/a/note.txt", "r/.hidden/no.parquet",
    "r/a/.dot.parquet", "r/x.parquet/inner.parquet",
  };
  char *below = join(dir, "r/**/*.parquet"), *under_a = join(dir, "r/*/**");
  char *none = join(dir, "r/**/*.csv"), *real = NULL, *base = join(dir, "r");
  const char *patterns[1];
  sp_file_list l = {0};
  sp_error *err = NULL;
  size_t i;

  for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char *path = join(dir, files[i]), *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(sp_mkdir_p(path, NULL), SP_OK);
    *slash = '/';
    write_text(dir, files[i], "x");
    sp_free(path);
  }
  assert_int_equal(sp_realpath(base, &real, NULL), SP_OK);
  patterns[0] = below;
  assert_int_equal(sp_list_files(patterns, 1, 1, &l, &err), SP_OK);
  assert_sorted_unique_absolute(&l);
  {
    static const char *const want[] = {
      "a/b/c/three.parquet", "a/b/two.parquet", "a/one.parquet",
      "top.parquet", "x.parquet/inner.parquet",
    };
    assert_int_equal(l.len, sizeof(want) / sizeof(want[0]));
    for (i = 0; i < l.len; i++) {
      char *w = join(real, want[i]);
      assert_string_equal(l.items[i].path, w);
      sp_free(w);
    }
  }
  sp_file_list_release(&l);
  /* A trailing "**": every file below the folders that * matched. */
  patterns[0] = under_a;
  assert_int_equal(sp_list_files(patterns, 1, 1, &l, &err), SP_OK);
  assert_int_equal(l.len, 5); /* a's four, x.parquet's one */
  sp_file_list_release(&l);
  /* Not recursive: ** is one level, as *. */
  patterns[0] = below;
  assert_int_equal(sp_list_files(patterns, 1, 0, &l, &err), SP_OK);
  assert_int_equal(l.len, 2); /* a/one, x.parquet/inner */
  sp_file_list_release(&l);
  patterns[0] = none;
  assert_int_equal(sp_list_files(patterns, 1, 1, &l, &err), SP_ENOENT);
  assert_non_null(strstr(sp_error_message(err), none));
  sp_error_free(&err);
  sp_free(below);
  sp_free(under_a);
  sp_free(none);
  sp_free(real);
  sp_free(base);
}

/* remote.h: DuckDB's rule, a lower-case scheme prefix with "://". */
static void test_remote_paths(void **state)
{
  static const struct {
    const char *path, *extension;
    int lists;
  } cases[] = {
    {"s3://bucket/x/*.parquet", "httpfs", 1},
    {"s3a://bucket/x.parquet", "httpfs", 1},
    {"s3n://bucket/x.parquet", "httpfs", 1},
    {"r2://bucket/x.parquet", "httpfs", 1},
    {"gs://bucket/x.parquet", "httpfs", 1},
    {"gcs://bucket/x.parquet", "httpfs", 1},
    {"hf://datasets/a/b/*.parquet", "httpfs", 1},
    {"http://host/x.parquet", "httpfs", 0},
    {"https://host/x.parquet?sig=a*b", "httpfs", 0},
    {"az://container/x.parquet", "azure", 1},
    {"azure://container/x.parquet", "azure", 1},
    {"abfss://c@account.dfs.core.windows.net/x.parquet", "azure", 1},
    /* Local: no scheme, another case, one slash, a ':' elsewhere. */
    {"file.parquet", NULL, 0},
    {"./a:b/x.parquet", NULL, 0},
    {"a:b/x.parquet", NULL, 0},
    {"/data/s3://x.parquet", NULL, 0},
    {"S3://bucket/x.parquet", NULL, 0},
    {"Https://host/x.parquet", NULL, 0},
    {"s3:/bucket/x.parquet", NULL, 0},
    {"s3:bucket", NULL, 0},
    {"s3", NULL, 0},
    {"ftp://host/x.parquet", NULL, 0},
    {"file:///tmp/x.parquet", NULL, 0},
    {"", NULL, 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *ext = sp_remote_extension(cases[i].path);
    if (sp_path_is_remote(cases[i].path) != (cases[i].extension != NULL) ||
        (ext == NULL) != (cases[i].extension == NULL) ||
        (ext && strcmp(ext, cases[i].extension) != 0) ||
        sp_remote_lists(cases[i].path) != cases[i].lists)
      fail_msg("%s: remote %d, extension %s, lists %d", cases[i].path,
               sp_path_is_remote(cases[i].path), ext ? ext : "(none)",
               sp_remote_lists(cases[i].path));
  }
  assert_false(sp_path_is_remote(NULL));
}

/* glob.h: local paths only; a local folder whose name has a ':' (or is
 * "s3:") lists as files always did. */
static void test_list_files_local_only(void **state)
{
  const char *dir = *state;
  const char *patterns[2] = {"s3://bucket/x/*.parquet", NULL};
  char cwd[4096], *real = NULL, *want;
  sp_file_list l = {0};
  sp_error *err = NULL;

  assert_int_equal(sp_list_files(patterns, 1, 0, &l, &err), SP_EINTERNAL);
  assert_non_null(strstr(sp_error_message(err), patterns[0]));
  assert_int_equal(l.len, 0);
  sp_error_free(&err);

  want = join(dir, "a:b");
  assert_int_equal(sp_mkdir_p(want, NULL), SP_OK);
  sp_free(want);
  want = join(dir, "s3:/bucket");
  assert_int_equal(sp_mkdir_p(want, NULL), SP_OK);
  sp_free(want);
  write_text(dir, "a:b/x.parquet", "xx");
  write_text(dir, "s3:/bucket/y.parquet", "yyy");
  assert_int_equal(sp_realpath(dir, &real, NULL), SP_OK);
  assert_non_null(getcwd(cwd, sizeof(cwd)));
  assert_int_equal(chdir(dir), 0);
  patterns[0] = "./a:b/*.parquet";
  patterns[1] = "s3:/bucket/y.parquet";
  assert_int_equal(sp_list_files(patterns, 2, 0, &l, &err), SP_OK);
  assert_int_equal(chdir(cwd), 0);
  assert_null(err);
  assert_int_equal(l.len, 2);
  want = join(real, "a:b/x.parquet");
  assert_string_equal(l.items[0].path, want);
  assert_int_equal(l.items[0].size, 2);
  sp_free(want);
  want = join(real, "s3:/bucket/y.parquet");
  assert_string_equal(l.items[1].path, want);
  assert_int_equal(l.items[1].size, 3);
  sp_free(want);
  sp_file_list_release(&l);
  sp_free(real);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_job_id),
    cmocka_unit_test_setup_teardown(test_layout_open, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_layout_open_existing, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_layout_open_race, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test(test_path_split),
    cmocka_unit_test_setup_teardown(test_mkdir_p_and_rm_rf, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_move_entries, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_dir_has_entries, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_write_read_roundtrip, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_jsonl_roundtrip, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_jsonl_cut_last_line, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_jsonl_missing_file, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_list_files, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test(test_remote_paths),
    cmocka_unit_test_setup_teardown(test_list_files_local_only, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_list_files_errors, setup_tmpdir,
                                    teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_list_files_glob_in_missing_folder,
                                    setup_tmpdir, teardown_tmpdir),
    cmocka_unit_test_setup_teardown(test_list_files_recursive, setup_tmpdir,
                                    teardown_tmpdir),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
