/* check_examples.c: the examples of Python's mmap documentation (mmap.rst) and of the
 * semantics spec, replayed through libmmapc line by line, each Python line quoted above its C.
 *
 * The fork examples run the child's half in a real child process. The child never calls a
 * Check assert (the parent's test would not see it): it reports through its exit status, a
 * distinct code for each step that went wrong, and it ends with _exit. Where the parent and
 * child must take turns, a pipe orders them; the child closes its copy of the write end, so
 * that a parent that fails early ends the child too (EOF) instead of leaving it blocked.
 *
 * Not here: the rules each call follows (the other suites); these tests show that the
 * documented usage works end to end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* Reads one line with mmapc_readline and checks it is exactly the n bytes of want. */
static void assert_readline(mmapc_map *m, const char *want, size_t n)
{
	char *line = NULL;
	size_t cap = 0;
	int64_t got = mmapc_readline(m, &line, &cap);
	ck_assert_int_eq(got, (int64_t)n);
	ck_assert_mem_eq(line, want, n);
	free(line);
}

static void assert_slice(mmapc_map *m, int64_t start, int64_t stop, const char *want)
{
	char buf[64];
	size_t n = strlen(want);
	ck_assert_int_eq(mmapc_getslice(m, start, stop, MMAPC_OMIT, buf, sizeof(buf)), n);
	ck_assert_mem_eq(buf, want, n);
}

static void assert_file_holds(int fd, const char *want)
{
	char buf[64];
	size_t n = strlen(want);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), (ssize_t)n);
	ck_assert_mem_eq(buf, want, n);
}

static pid_t fork_or_fail(void)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	return pid;
}

/* Waits for the child and returns its exit status; fails the test if it did not exit. */
static int child_status(pid_t pid)
{
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "the child did not exit (status %#x)", status);
	return WEXITSTATUS(status);
}

/* Ends a child: frees its map and exits with code. */
static void child_exit(mmapc_map *m, int code)
{
	mmapc_free(m);
	_exit(code);
}

/* Child side of a pipe: blocks until the parent writes a byte; 0, or -1 on EOF. */
static int await_parent(int p[2])
{
	char c;
	close(p[1]);
	int r = read(p[0], &c, 1) == 1 ? 0 : -1;
	close(p[0]);
	return r;
}

static void wake_child(int p[2])
{
	close(p[0]);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	close(p[1]);
}

/* Whether the child's view of m at [0, n) is exactly want. */
static int child_sees(mmapc_map *m, const char *want, size_t n)
{
	char buf[64];
	return n <= sizeof(buf) && mmapc_getslice(m, 0, (int64_t)n, 1, buf, n) == (int64_t)n &&
	       memcmp(buf, want, n) == 0;
}

/* ---- mmap.rst: the hello.txt example ------------------------------------------------------ */

/* The first example of mmap.rst, step by step. */
START_TEST(test_examples_hello_python_doc)
{
	char path[PATH_MAX];
	mmapc_map *mm;

	/* with open("hello.txt", "wb") as f: f.write(b"Hello Python!\n")
	 * with open("hello.txt", "r+b") as f: */
	int f = tmpfile_named("Hello Python!\n", 14, O_RDWR, path);
	/* mm = mmap.mmap(f.fileno(), 0)   # size 0 means whole file */
	ck_assert_int_eq(mmapc_open(&mm, f, 0, MMAPC_ACCESS_DEFAULT, 0, NULL), 0);
	ck_assert_int_eq(mmapc_len(mm), 14);
	/* print(mm.readline())  # prints b"Hello Python!\n" */
	assert_readline(mm, "Hello Python!\n", 14);
	/* print(mm[:5])  # prints b"Hello" */
	assert_slice(mm, MMAPC_OMIT, 5, "Hello");
	/* mm[6:] = b" world!\n"   # new content must have same size */
	ck_assert_int_eq(mmapc_setslice(mm, 6, MMAPC_OMIT, MMAPC_OMIT, " world!\n", 8), 0);
	/* mm.seek(0); print(mm.readline())  # prints b"Hello  world!\n" */
	ck_assert_int_eq(mmapc_seek(mm, 0, SEEK_SET), 0);
	assert_readline(mm, "Hello  world!\n", 14);
	/* mm.close() */
	ck_assert_int_eq(mmapc_close(mm), 0);
	ck_assert_int_eq(mmapc_closed(mm), 1);
	/* The file itself now holds the new text, through f and under its name. */
	assert_file_holds(f, "Hello  world!\n");
	close(f);
	f = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(f, 0);
	assert_file_holds(f, "Hello  world!\n");
	close(f);
	unlink(path);
	mmapc_free(mm);
}
END_TEST

START_TEST(test_examples_hello_slice_assignment_of_other_size_is_erange)
{
	/* "note that new content must have same size": mm[6:] = b" world!" is an IndexError. */
	int f = tmpfile_with("Hello Python!\n", 14, O_RDWR);
	mmapc_map *mm;
	ck_assert_int_eq(mmapc_open(&mm, f, 0, MMAPC_ACCESS_DEFAULT, 0, NULL), 0);
	ck_assert_int_eq(mmapc_setslice(mm, 6, MMAPC_OMIT, MMAPC_OMIT, " world!", 7), -ERANGE);
	ck_assert_int_eq(mmapc_setslice(mm, 6, MMAPC_OMIT, MMAPC_OMIT, " world!\n!", 9), -ERANGE);
	assert_slice(mm, MMAPC_OMIT, MMAPC_OMIT, "Hello Python!\n");
	assert_file_holds(f, "Hello Python!\n");
	mmapc_free(mm);
	close(f);
}
END_TEST

START_TEST(test_examples_close_does_not_close_the_file)
{
	/* mmap.rst, close(): "This will not close the open file." */
	int f = tmpfile_with("Hello Python!\n", 14, O_RDWR);
	mmapc_map *mm;
	ck_assert_int_eq(mmapc_open(&mm, f, 0, MMAPC_ACCESS_DEFAULT, 0, NULL), 0);
	ck_assert_int_eq(mmapc_close(mm), 0);
	ck_assert_int_eq(pwrite(f, "J", 1, 0), 1);
	assert_file_holds(f, "Jello Python!\n");
	mmapc_free(mm);
	close(f);
}
END_TEST

/* ---- mmap.rst: anonymous maps ------------------------------------------------------------- */

START_TEST(test_examples_context_manager_write)
{
	/* with mmap.mmap(-1, 13) as mm: mm.write(b"Hello world!") */
	mmapc_map *mm = anon_map(13);
	ck_assert_int_eq(mmapc_write(mm, "Hello world!", 12), 12);
	ck_assert_int_eq(mmapc_tell(mm), 12);
	assert_slice(mm, MMAPC_OMIT, 12, "Hello world!");
	ck_assert_int_eq(mmapc_getitem(mm, 12), 0);
	/* __exit__ closes the map. */
	ck_assert_int_eq(mmapc_close(mm), 0);
	ck_assert_int_eq(mmapc_closed(mm), 1);
	mmapc_free(mm);
}
END_TEST

/* mmap.rst's parent and child example. The map is 13 bytes and holds no '\n', so the child's
 * readline reads to the end: Python prints b'Hello world!\x00', 13 bytes. */
START_TEST(test_examples_fork_child_reads_parent_write)
{
	/* mm = mmap.mmap(-1, 13); mm.write(b"Hello world!") */
	mmapc_map *mm = anon_map(13);
	ck_assert_int_eq(mmapc_write(mm, "Hello world!", 12), 12);
	/* pid = os.fork() */
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		/* if pid == 0: mm.seek(0); print(mm.readline()); mm.close() */
		char *line = NULL;
		size_t n = 0;
		int code = 0;
		if (mmapc_seek(mm, 0, SEEK_SET) != 0)
			code = 1;
		else if (mmapc_readline(mm, &line, &n) != 13)
			code = 2;
		else if (memcmp(line, "Hello world!\0", 13) != 0)
			code = 3;
		else if (mmapc_close(mm) != 0 || mmapc_closed(mm) != 1)
			code = 4;
		free(line);
		child_exit(mm, code);
	}
	ck_assert_int_eq(child_status(pid), 0);
	/* The child's close is its own: the parent's map is open, its position untouched. */
	ck_assert_int_eq(mmapc_closed(mm), 0);
	ck_assert_int_eq(mmapc_tell(mm), 12);
	assert_slice(mm, 0, 12, "Hello world!");
	mmapc_free(mm);
}
END_TEST

START_TEST(test_examples_fork_parent_sees_child_write)
{
	mmapc_map *mm = anon_map(13);
	pid_t pid = fork_or_fail();
	if (pid == 0)
		child_exit(mm, mmapc_write(mm, "from child", 10) == 10 ? 0 : 1);
	ck_assert_int_eq(child_status(pid), 0);
	assert_slice(mm, 0, 10, "from child");
	ck_assert_int_eq(mmapc_tell(mm), 0); /* the position is not shared */
	mmapc_free(mm);
}
END_TEST

START_TEST(test_examples_fork_child_sees_parent_write_after_fork)
{
	int p[2];
	mmapc_map *mm = anon_map(13);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		if (await_parent(p) < 0)
			child_exit(mm, 1);
		child_exit(mm, child_sees(mm, "from parent", 11) ? 0 : 2);
	}
	ck_assert_int_eq(mmapc_write(mm, "from parent", 11), 11);
	wake_child(p);
	ck_assert_int_eq(child_status(pid), 0);
	mmapc_free(mm);
}
END_TEST

START_TEST(test_examples_fork_copy_map_child_write_not_shared)
{
	/* ACCESS_COPY: copy-on-write, so each process's writes are its own. */
	mmapc_map *mm;
	ck_assert_int_eq(mmapc_open(&mm, -1, 13, MMAPC_ACCESS_COPY, 0, NULL), 0);
	ck_assert_int_eq(mmapc_write(mm, "Hello world!", 12), 12);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		if (mmapc_setslice(mm, 0, 5, 1, "HELLO", 5) != 0)
			child_exit(mm, 1);
		child_exit(mm, child_sees(mm, "HELLO world!", 12) ? 0 : 2);
	}
	ck_assert_int_eq(child_status(pid), 0);
	assert_slice(mm, 0, 12, "Hello world!");
	mmapc_free(mm);
}
END_TEST

START_TEST(test_examples_fork_copy_map_parent_write_not_shared)
{
	int p[2];
	mmapc_map *mm;
	ck_assert_int_eq(mmapc_open(&mm, -1, 13, MMAPC_ACCESS_COPY, 0, NULL), 0);
	ck_assert_int_eq(mmapc_write(mm, "Hello world!", 12), 12);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		if (await_parent(p) < 0)
			child_exit(mm, 1);
		child_exit(mm, child_sees(mm, "Hello world!", 12) ? 0 : 2);
	}
	ck_assert_int_eq(mmapc_setslice(mm, 0, 5, 1, "HELLO", 5), 0);
	wake_child(p);
	ck_assert_int_eq(child_status(pid), 0);
	assert_slice(mm, 0, 12, "HELLO world!");
	mmapc_free(mm);
}
END_TEST

/* Spec section 16 (and examples/fork-demo.c): a shared anonymous map grown by the parent is
 * adopted by the child, which reads the grown pages without SIGBUS and answers in them. */
START_TEST(test_examples_fork_child_adopts_grown_map)
{
	int p[2];
	const int64_t big = 1 << 20, at = big - 4096;
	mmapc_map *mm = anon_map(13);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		if (await_parent(p) < 0)
			child_exit(mm, 1);
		if (mmapc_size(mm) != big || mmapc_resize(mm, big) != 0)
			child_exit(mm, 2);
		if (mmapc_find(mm, "grown", 5, 0, MMAPC_OMIT) != at)
			child_exit(mm, 3);
		child_exit(mm, mmapc_setslice(mm, at + 5, at + 10, 1, "child", 5) == 0 ? 0 : 4);
	}
	ck_assert_int_eq(mmapc_resize(mm, big), 0);
	ck_assert_int_eq(mmapc_setslice(mm, at, at + 5, 1, "grown", 5), 0);
	wake_child(p);
	ck_assert_int_eq(child_status(pid), 0);
	assert_slice(mm, at, at + 10, "grownchild");
	mmapc_free(mm);
}
END_TEST

/* ---- the spec: close (sections 2 and 13) -------------------------------------------------- */

START_TEST(test_examples_close_is_idempotent)
{
	/* m = mmap.mmap(-1, 13); m.close(); m.closed -> True; m.close()  # a no-op */
	mmapc_map *m = anon_map(13);
	ck_assert_int_eq(mmapc_closed(m), 0);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_closed(m), 1);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_closed(m), 1);
	mmapc_free(m);
}
END_TEST

START_TEST(test_examples_closed_map_raises_but_stays_seekable)
{
	/* After close: m.read() -> ValueError, len(m) -> ValueError, m.seekable() -> True, and
	 * m.seek(0, 99) reports "closed", not the bad whence. */
	char buf[4];
	mmapc_map *m = anon_map(13);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_read(m, buf, sizeof(buf)), -EBADF);
	ck_assert_int_eq(mmapc_write(m, "ab", 2), -EBADF);
	ck_assert_int_eq(mmapc_len(m), -EBADF);
	ck_assert_int_eq(mmapc_getitem(m, 0), -EBADF);
	ck_assert_int_eq(mmapc_seek(m, 0, 99), -EBADF);
	ck_assert_int_eq(mmapc_seekable(m), 1);
	mmapc_free(m);
}
END_TEST

START_TEST(test_examples_close_with_exported_buffer_is_ebusy)
{
	/* v = memoryview(m); m.close() -> BufferError, m stays open; v.release(); m.close() */
	void *data;
	size_t len;
	mmapc_map *m = anon_map(13);
	ck_assert_int_eq(mmapc_acquire(m, &data, &len), 0);
	ck_assert_int_eq(mmapc_close(m), -EBUSY);
	ck_assert_int_eq(mmapc_closed(m), 0);
	memcpy(data, "still mapped", 12);
	assert_slice(m, 0, 12, "still mapped");
	ck_assert_int_eq(mmapc_release(m), 0);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_closed(m), 1);
	mmapc_free(m);
}
END_TEST

Suite *examples_suite(void)
{
	Suite *s = suite_create("examples");
	TCase *tc = tcase_new("hello");
	tcase_add_test(tc, test_examples_hello_python_doc);
	tcase_add_test(tc, test_examples_hello_slice_assignment_of_other_size_is_erange);
	tcase_add_test(tc, test_examples_close_does_not_close_the_file);
	suite_add_tcase(s, tc);

	tc = tcase_new("anonymous");
	tcase_add_test(tc, test_examples_context_manager_write);
	tcase_add_test(tc, test_examples_fork_child_reads_parent_write);
	tcase_add_test(tc, test_examples_fork_parent_sees_child_write);
	tcase_add_test(tc, test_examples_fork_child_sees_parent_write_after_fork);
	tcase_add_test(tc, test_examples_fork_copy_map_child_write_not_shared);
	tcase_add_test(tc, test_examples_fork_copy_map_parent_write_not_shared);
	tcase_add_test(tc, test_examples_fork_child_adopts_grown_map);
	suite_add_tcase(s, tc);

	tc = tcase_new("close");
	tcase_add_test(tc, test_examples_close_is_idempotent);
	tcase_add_test(tc, test_examples_closed_map_raises_but_stays_seekable);
	tcase_add_test(tc, test_examples_close_with_exported_buffer_is_ebusy);
	suite_add_tcase(s, tc);
	return s;
}
