/* CUnit assertions that print both values on failure, and suite helpers. */
#ifndef COORD_TESTS_CHECK_H
#define COORD_TESTS_CHECK_H

#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Records a failure with a formatted message (CU_assertImplementation). */
void check_fail(int line, const char *file, int fatal, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define CHECK_EQ_INT_(a, b, fatal)                                             \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            check_fail(__LINE__, __FILE__, fatal, "%s == %s: %lld != %lld",    \
                       #a, #b, a_, b_);                                        \
        else                                                                   \
            CU_PASS(#a " == " #b);                                             \
    } while (0)
#define CHECK_EQ_INT(a, b) CHECK_EQ_INT_(a, b, 0)
#define CHECK_EQ_INT_FATAL(a, b) CHECK_EQ_INT_(a, b, 1)

#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                   \
            check_fail(__LINE__, __FILE__, 0, "%s == %s: \"%s\" != \"%s\"",    \
                       #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");        \
        else                                                                   \
            CU_PASS(#a " == " #b);                                             \
    } while (0)

/* Compares n bytes; prints both as hex on mismatch. */
#define CHECK_EQ_MEM(a, b, n)                                                  \
    check_mem(__LINE__, __FILE__, #a, (a), #b, (b), (n))
void check_mem(int line, const char *file, const char *an, const void *a,
               const char *bn, const void *b, size_t n);

#define CHECK_TRUE(x)                                                          \
    do {                                                                       \
        if (!(x))                                                              \
            check_fail(__LINE__, __FILE__, 0, "%s is false", #x);              \
        else                                                                   \
            CU_PASS(#x);                                                       \
    } while (0)

/* Parses hex text (spaces ignored) into out; returns the byte count. */
size_t check_unhex(const char *hex, unsigned char *out, size_t cap);

/* The seed of this run (--seed N, or COORD_TEST_SEED, or 1). */
unsigned long test_seed(void);

/*
 * Shared main(): registers the suites, runs all or those named on the
 * command line as "suite" or "suite/test", prints the CUnit summary, and exits
 * 0, 1 on a failed assertion, or 99 on a CUnit error.
 */
int check_main(int argc, char **argv, CU_SuiteInfo *suites);

#endif
