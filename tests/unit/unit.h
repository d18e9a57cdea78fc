/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal unit-test harness for the host-native C tests: each test file defines
 * TEST(name) functions and lists them in main() with RUN(name).
 * A failed CHECK reports file:line and the expression, and the test continues;
 * the process exits 1 if any check failed and prints "N passed, N failed".
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_tests_passed, unit_tests_failed;

#define TEST(name) static void name(void)

#define CHECK(expr)                                                                  \
    do {                                                                             \
        if (!(expr)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
            unit_failed_checks++;                                                    \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                                     \
    do {                                                                                   \
        long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);                      \
        if (unit_a_ != unit_b_) {                                                          \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", __FILE__, \
                    __LINE__, #a, #b, unit_a_, unit_b_);                                   \
            unit_failed_checks++;                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

#define RUN(name)                                                     \
    do {                                                              \
        int unit_before_ = unit_failed_checks;                        \
        name();                                                       \
        if (unit_failed_checks == unit_before_) {                     \
            unit_tests_passed++;                                      \
        } else {                                                      \
            unit_tests_failed++;                                      \
            fprintf(stderr, "FAIL %s\n", #name);                      \
        }                                                             \
    } while (0)

#define UNIT_END()                                                              \
    (printf("%d passed, %d failed\n", unit_tests_passed, unit_tests_failed),   \
     unit_tests_failed ? 1 : 0)

#endif /* UNIT_H */
