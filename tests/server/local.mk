# tests/server

# --- config: tests/server/test_config ---
check_PROGRAMS += tests/server/test_config
TESTS += tests/server/test_config
tests_server_test_config_SOURCES = tests/server/test_config.c
tests_server_test_config_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_server_test_config_LDADD = server/libconfig.la proto/libproto.la \
	tests/lib/libcheck.la $(CUNIT_LIBS)

# --- dynconfig: tests/server/test_dynconfig (/zookeeper/config, reconfig) ---
check_PROGRAMS += tests/server/test_dynconfig
TESTS += tests/server/test_dynconfig
tests_server_test_dynconfig_SOURCES = tests/server/test_dynconfig.c \
	tests/lib/alloc.h tests/lib/alloc.c
tests_server_test_dynconfig_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_server_test_dynconfig_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
	-Wl,--wrap=strdup,--wrap=strndup
tests_server_test_dynconfig_LDADD = server/libconfig.la proto/libproto.la \
	tests/lib/libcheck.la $(CUNIT_LIBS)

# --- store: tests/server/test_store (log, group commit, snapshots) ---
check_PROGRAMS += tests/server/test_store
TESTS += tests/server/test_store
tests_server_test_store_SOURCES = tests/server/test_store.c
tests_server_test_store_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_server_test_store_LDADD = server/libstore.la proto/libproto.la \
	tests/lib/libcheck.la $(CUNIT_LIBS) $(PTHREAD_LIBS)
# --- end store ---
