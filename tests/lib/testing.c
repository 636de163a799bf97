#include "lib/testing.h"

#include <stdarg.h>
#include <stdlib.h>

unsigned test_passed, test_failed;

bool test_check(bool ok, const char *file, int line, const char *expr)
{
    if (ok) {
        test_passed++;
        return true;
    }
    test_failed++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
    return false;
}

bool test_check_str(const char *got, const char *want, const char *file, int line,
                    const char *expr)
{
    bool ok = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);

    if (!test_check(ok, file, line, expr))
        fprintf(stderr, "    got:  %s\n    want: %s\n", got ? got : "(null)",
                want ? want : "(null)");
    return ok;
}

bool test_check_int(long long got, long long want, const char *file, int line, const char *expr)
{
    if (!test_check(got == want, file, line, expr)) {
        fprintf(stderr, "    got:  %lld\n    want: %lld\n", got, want);
        return false;
    }
    return true;
}

int test_finish(void)
{
    printf("%u passed, %u failed\n", test_passed, test_failed);
    if (test_passed == 0 && test_failed == 0) {
        fprintf(stderr, "no check ran: a test that asserts nothing is a defect\n");
        return 1;
    }
    return test_failed == 0 ? 0 : 1;
}

void test_abort(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "test aborted: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}
