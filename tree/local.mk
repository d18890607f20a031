# tree/: the pure znode tree (consumers also link proto/libproto.la).
noinst_LTLIBRARIES += tree/libtree.la
tree_libtree_la_SOURCES = \
	tree/tree.h tree/internal.h \
	tree/node.c tree/acl.c tree/watch.c \
	tree/apply.c tree/read.c \
	tree/snapshot.c tree/txn.c
EXTRA_DIST += tree/README.md
