/*
 * Minimal unit-test support.  Each test binary runs its cases with
 * test_run() and prints one line per case, which tests/run-tests.py counts:
 *   ok NAME
 *   FAIL NAME: file:line: what
 *   skip NAME: reason
 * main() ends with "return test_summary();" (exit 1 if anything failed).
 */
#ifndef TESTS_UNIT_TEST_H
#define TESTS_UNIT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int test_case_failed;
static int test_total_failed;
static int test_total_passed;
static char test_first_failure[512];

static inline void test_fail_at(const char *file, int line, const char *what)
{
    if (!test_case_failed) {
        snprintf(test_first_failure, sizeof(test_first_failure), "%s:%d: %s", file, line, what);
    }
    test_case_failed = 1;
}

#define CHECK(cond)                                      \
    do {                                                 \
        if (!(cond)) {                                   \
            test_fail_at(__FILE__, __LINE__, #cond);     \
        }                                                \
    } while (0)

#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                 \
        if (a_ != b_) {                                                                  \
            char msg_[256];                                                              \
            snprintf(msg_, sizeof(msg_), "%s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")", #a, \
                     #b, a_, b_);                                                        \
            test_fail_at(__FILE__, __LINE__, msg_);                                      \
        }                                                                                \
    } while (0)

static inline void test_run(const char *name, void (*fn)(void))
{
    test_case_failed = 0;
    fn();
    if (test_case_failed) {
        printf("FAIL %s: %s\n", name, test_first_failure);
        test_total_failed++;
    } else {
        printf("ok %s\n", name);
        test_total_passed++;
    }
    fflush(stdout);
}

static inline void test_skip(const char *name, const char *reason)
{
    printf("skip %s: %s\n", name, reason);
    fflush(stdout);
}

static inline int test_summary(void)
{
    return test_total_failed ? 1 : 0;
}

#endif
