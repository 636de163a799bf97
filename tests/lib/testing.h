/* A small check library for vmrelay's C tests.
 *
 * A failed CHECK prints the file, line and both values and counts the
 * failure, then the test goes on so one run shows every broken case.
 * test_finish() prints "N passed, N failed" and returns the exit code. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern unsigned test_passed, test_failed;

bool test_check(bool ok, const char *file, int line, const char *expr);
bool test_check_str(const char *got, const char *want, const char *file, int line,
                    const char *expr);
bool test_check_int(long long got, long long want, const char *file, int line, const char *expr);
int test_finish(void);

/* Stops the test at once with a reason (a peer that cannot be reached). */
_Noreturn void test_abort(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond) test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_STR(got, want) test_check_str((got), (want), __FILE__, __LINE__, #got)
#define CHECK_INT(got, want) test_check_int((long long)(got), (long long)(want), __FILE__, \
                                            __LINE__, #got)
