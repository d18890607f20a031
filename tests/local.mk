# tests/: shared CUnit support; each suite adds itself below or in its own file.
noinst_LTLIBRARIES += tests/lib/libcheck.la
tests_lib_libcheck_la_SOURCES = tests/lib/check.h tests/lib/check.c
tests_lib_libcheck_la_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_lib_libcheck_la_LIBADD = $(CUNIT_LIBS)

include tests/proto/local.mk
include tests/tree/local.mk
include tests/zab/local.mk
include tests/server/local.mk
include tests/client/local.mk
include tests/fuzz/local.mk
include tests/integration/local.mk
include tests/bench/local.mk

# Layering: lower folders never include upper ones or do I/O.
TESTS += tests/check-layering.sh
EXTRA_DIST += tests/check-layering.sh
include tests/recipes/local.mk
