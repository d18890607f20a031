# tests/tree: CUnit suites for the znode tree.
check_PROGRAMS += tests/tree/test_tree
TESTS += tests/tree/test_tree
tests_tree_test_tree_SOURCES = tests/tree/helpers.h tests/tree/helpers.c \
	tests/tree/main.c tests/tree/test_nodes.c tests/tree/test_watch.c \
	tests/tree/test_watch_acl.c tests/tree/test_acl.c \
	tests/tree/test_multi.c tests/tree/test_snapshot.c
tests_tree_test_tree_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_tree_test_tree_LDADD = tree/libtree.la proto/libproto.la \
	tests/lib/libcheck.la $(CUNIT_LIBS)
