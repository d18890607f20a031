# tests/proto: CUnit suites for proto/ (spec test vectors, records, limits, paths).
check_PROGRAMS += tests/proto/test_proto
TESTS += tests/proto/test_proto
tests_proto_test_proto_SOURCES = tests/proto/suites.h tests/proto/main.c \
	tests/proto/test_vectors.c tests/proto/test_records.c \
	tests/proto/test_limits.c tests/proto/test_path.c
tests_proto_test_proto_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_proto_test_proto_LDADD = proto/libproto.la tests/lib/libcheck.la $(CUNIT_LIBS)
