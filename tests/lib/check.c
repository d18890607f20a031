/* Support for tests/lib/check.h. */
#include "tests/lib/check.h"

#include <CUnit/Basic.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>

static unsigned long seed = 1;

void check_fail(int line, const char *file, int fatal, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* CUnit keeps the pointer; the message must outlive the run. */
    char *copy = strdup(msg);
    CU_assertImplementation(CU_FALSE, (unsigned)line, copy ? copy : "failure",
                            file, "", fatal ? CU_TRUE : CU_FALSE);
}

void check_mem(int line, const char *file, const char *an, const void *a,
               const char *bn, const void *b, size_t n)
{
    if (memcmp(a, b, n) == 0) {
        CU_PASS("memory equal");
        return;
    }
    char msg[900];
    size_t off = (size_t)snprintf(msg, sizeof msg, "%s != %s:\n  ", an, bn);
    const unsigned char *pa = a, *pb = b;
    for (size_t i = 0; i < n && off + 4 < sizeof msg / 2; i++)
        off += (size_t)snprintf(msg + off, sizeof msg - off, "%02x", pa[i]);
    off += (size_t)snprintf(msg + off, sizeof msg - off, "\n  ");
    for (size_t i = 0; i < n && off + 4 < sizeof msg; i++)
        off += (size_t)snprintf(msg + off, sizeof msg - off, "%02x", pb[i]);
    check_fail(line, file, 0, "%s", msg);
}

size_t check_unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (!isxdigit((unsigned char)*p))
            continue;
        int v = isdigit((unsigned char)*p) ? *p - '0'
                                           : (tolower((unsigned char)*p) - 'a' + 10);
        if (hi < 0) {
            hi = v;
        } else {
            if (n < cap)
                out[n] = (unsigned char)(hi << 4 | v);
            n++;
            hi = -1;
        }
    }
    return n;
}

unsigned long test_seed(void)
{
    return seed;
}

int check_main(int argc, char **argv, CU_SuiteInfo *suites)
{
    const char *env = getenv("COORD_TEST_SEED");
    if (env)
        seed = strtoul(env, NULL, 10);
    const char *only[64];
    int n_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoul(argv[++i], NULL, 10);
        else if (n_only < 64)
            only[n_only++] = argv[i];
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 99;
    }
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_ErrorCode rc = CUE_SUCCESS;
    if (n_only == 0) {
        rc = CU_basic_run_tests();
    } else {
        for (int i = 0; i < n_only && rc == CUE_SUCCESS; i++) {
            char name[256];
            snprintf(name, sizeof name, "%s", only[i]);
            char *slash = strchr(name, '/');
            if (slash)
                *slash++ = '\0';
            CU_pSuite s = CU_get_suite(name);
            if (s == NULL) {
                fprintf(stderr, "no suite %s\n", name);
                CU_cleanup_registry();
                return 99;
            }
            if (slash) {
                CU_pTest t = CU_get_test(s, slash);
                if (t == NULL) {
                    fprintf(stderr, "no test %s in %s\n", slash, name);
                    CU_cleanup_registry();
                    return 99;
                }
                rc = CU_basic_run_test(s, t);
            } else {
                rc = CU_basic_run_suite(s);
            }
        }
    }
    unsigned fails = CU_get_number_of_failures();
    if (rc != CUE_SUCCESS)
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
    printf("seed: %lu\n", seed);
    CU_cleanup_registry();
    if (rc != CUE_SUCCESS)
        return 99;
    return fails ? 1 : 0;
}
