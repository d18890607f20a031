/* The suites of tests/proto/test_proto and the helpers they share. */
#ifndef COORD_TESTS_PROTO_SUITES_H
#define COORD_TESTS_PROTO_SUITES_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/jute.h"

extern CU_TestInfo vectors_tests[];
extern CU_TestInfo records_tests[];
extern CU_TestInfo limits_tests[];
extern CU_TestInfo path_tests[];

/* Per-test fixtures of the records suite. */
void records_setup(void);
void records_teardown(void);

/*
 * Copies n bytes into a fresh heap block of exactly n bytes, so a decoder
 * that reads one byte too far trips ASan. Blocks live until
 * proto_free_blocks(), which every suite's teardown calls.
 */
const uint8_t *proto_block(const void *p, size_t n);
/* The same for hex text; *n receives the byte count. */
const uint8_t *proto_unhex(const char *hex, size_t *n);
void proto_free_blocks(void);

/* A jute_vec over an already-encoded vector in b (count first). */
struct jute_vec proto_vec_of(const struct buf *b);

/* Compares a jute_str with a C string (NULL: the null string). */
#define CHECK_EQ_JSTR(s, cstr) CHECK_TRUE(jute_str_eq((s), jute_cstr(cstr)))

#endif
