# proto/: the wire format, pure (no sockets, files or globals).
noinst_LTLIBRARIES += proto/libproto.la
proto_libproto_la_SOURCES = \
	proto/err.h proto/err.c \
	proto/buf.h proto/buf.c \
	proto/jute.h proto/jute.c \
	proto/records.h proto/records.c \
	proto/path.h proto/path.c
EXTRA_DIST += proto/README.md
