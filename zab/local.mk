# zab/: the pure Zab engine (consumers also link proto/libproto.la).
noinst_LTLIBRARIES += zab/libzab.la
zab_libzab_la_SOURCES = \
	zab/zab.h zab/wire.h zab/internal.h \
	zab/zab.c zab/wire.c zab/quorum.c zab/election.c \
	zab/discovery.c zab/sync.c zab/broadcast.c
EXTRA_DIST += zab/README.md
