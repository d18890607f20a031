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

# Allocation-failure torture (STYLE 3.8): every allocation the tree and
# proto make in this program goes through tests/lib/alloc.c.
check_PROGRAMS += tests/tree/test_tree_torture
TESTS += tests/tree/test_tree_torture
tests_tree_test_tree_torture_SOURCES = tests/tree/helpers.h \
	tests/tree/helpers.c tests/tree/test_torture.c \
	tests/lib/alloc.h tests/lib/alloc.c
tests_tree_test_tree_torture_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_tree_test_tree_torture_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
	-Wl,--wrap=strdup,--wrap=strndup
tests_tree_test_tree_torture_LDADD = tree/libtree.la proto/libproto.la \
	tests/lib/libcheck.la $(CUNIT_LIBS)
