# client/: libcoord, the shared C client library (coordctl comes later).
# Only the functions of include/coord.h are exported: proto's own coord_get_*
# and coord_put_* would match a '^coord_' regex, so the list is explicit and
# tests/client/check-exports.sh keeps it equal to the header.
lib_LTLIBRARIES += client/libcoord.la
client_libcoord_la_SOURCES = client/internal.h client/core.c client/hosts.c \
	client/path.c client/watch.c client/ops.c client/txn.c client/sync.c \
	client/thread.c client/tls.c
client_libcoord_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
client_libcoord_la_LIBADD = proto/libproto.la $(OPENSSL_LIBS) $(PTHREAD_LIBS)
client_libcoord_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-export-symbols $(srcdir)/client/libcoord.sym
EXTRA_client_libcoord_la_DEPENDENCIES = $(srcdir)/client/libcoord.sym
include_HEADERS = include/coord.h include/coord_err.h
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libcoord.pc
EXTRA_DIST += client/README.md client/libcoord.sym libcoord.pc.in

# coordctl: the command-line shell, on libcoord's public API only.
bin_PROGRAMS += client/coordctl
client_coordctl_SOURCES = client/coordctl.c
client_coordctl_CFLAGS = $(AM_CFLAGS) $(LIBEDIT_CFLAGS) $(JANSSON_CFLAGS)
client_coordctl_LDADD = client/libcoord.la $(LIBEDIT_LIBS) $(JANSSON_LIBS) \
	$(PTHREAD_LIBS)
