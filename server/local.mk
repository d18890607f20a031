# server/: coordd.

# --- store: the fsync'd log and snapshots (server/store.[ch], crc32c) ---
# A convenience library of its own so tests/server/test_store and the
# log fuzz target link the store without the rest of coordd.
noinst_LTLIBRARIES += server/libstore.la
server_libstore_la_SOURCES = server/store.h server/store.c \
	server/crc32c.h server/crc32c.c server/log.h server/log.c
server_libstore_la_CFLAGS = $(AM_CFLAGS)
server_libstore_la_LIBADD = $(PTHREAD_LIBS)
# --- end store ---

# --- config (zoo.cfg parsing): server/config.[ch] ---
noinst_LTLIBRARIES += server/libconfig.la
server_libconfig_la_SOURCES = server/config.h server/config.c
