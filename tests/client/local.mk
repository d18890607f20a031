# tests/client: libcoord against real coordd processes on loopback.
check_PROGRAMS += tests/client/test_client tests/client/example
TESTS += tests/client/test_client tests/client/check-exports.sh
tests_client_test_client_SOURCES = tests/client/server.h tests/client/server.c \
	tests/client/main.c tests/client/test_ops.c tests/client/test_watch.c \
	tests/client/test_session.c tests/client/test_badserver.c \
	tests/client/test_tls.c
tests_client_test_client_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_client_test_client_LDADD = client/libcoord.la tests/lib/libcheck.la \
	$(CUNIT_LIBS) $(PTHREAD_LIBS)
tests_client_example_SOURCES = tests/client/example.c
tests_client_example_LDADD = client/libcoord.la
EXTRA_DIST += tests/client/check-exports.sh
