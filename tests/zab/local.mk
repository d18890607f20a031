# tests/zab: CUnit suites for the Zab engine, over tests/sim.
include tests/sim/local.mk

check_PROGRAMS += tests/zab/test_zab
TESTS += tests/zab/test_zab
tests_zab_test_zab_SOURCES = tests/zab/suites.h tests/zab/main.c \
	tests/zab/test_wire.c tests/zab/test_scenarios.c \
	tests/zab/test_random.c tests/zab/test_reconfig.c
tests_zab_test_zab_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_zab_test_zab_LDADD = tests/sim/libsim.la zab/libzab.la \
	proto/libproto.la tests/lib/libcheck.la $(CUNIT_LIBS)
