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
server_libconfig_la_SOURCES = server/config.h server/config.c \
	server/dynconfig.h server/dynconfig.c

# --- coordd: the daemon ---
noinst_LTLIBRARIES += server/libserver.la
server_libserver_la_SOURCES = server/server.h server/server.c \
	server/conn.c server/session.c server/auth.c server/fourlw.c \
	server/sasl.h server/sasl.c \
	server/tls.h server/tls.c \
	server/rest.h server/rest.c server/rest_json.c \
	server/rest_tls.c server/rest_admin.c server/ensemble.h server/ensemble.c
server_libserver_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(MHD_CFLAGS) \
	$(JANSSON_CFLAGS) $(SASL_CFLAGS)
server_libserver_la_LIBADD = server/libstore.la server/libconfig.la \
	zab/libzab.la tree/libtree.la proto/libproto.la $(OPENSSL_LIBS) $(MHD_LIBS) \
	$(JANSSON_LIBS) $(SASL_LIBS) $(PTHREAD_LIBS)

sbin_PROGRAMS += server/coordd
server_coordd_SOURCES = server/main.c
server_coordd_LDADD = server/libserver.la
EXTRA_DIST += server/README.md
