# tests/fuzz: libFuzzer targets and their corpora (STYLE 3.9).
#
# Each target is tests/fuzz/fuzz_<x>.c defining LLVMFuzzerTestOneInput, with
# seed inputs in tests/fuzz/corpus/<x>/. With --enable-fuzzing (clang) it is
# built as the fuzzer tests/fuzz/fuzz_<x>; otherwise tests/fuzz/replay.c
# supplies main() and tests/fuzz/replay_<x> replays the corpus in make check
# (FUZZ_CORPUS names the folder relative to the source tree; the program
# finds the tree through COORD_SRCDIR, which AM_TESTS_ENVIRONMENT exports,
# so VPATH builds and distcheck work). To add a target <x>, append:
#
#   if FUZZING
#   noinst_PROGRAMS += tests/fuzz/fuzz_<x>
#   tests_fuzz_fuzz_<x>_SOURCES = tests/fuzz/fuzz_<x>.c
#   tests_fuzz_fuzz_<x>_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
#   tests_fuzz_fuzz_<x>_LDADD = <the module libraries it needs>
#   else
#   check_PROGRAMS += tests/fuzz/replay_<x>
#   TESTS += tests/fuzz/replay_<x>
#   tests_fuzz_replay_<x>_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_<x>.c
#   tests_fuzz_replay_<x>_CPPFLAGS = $(AM_CPPFLAGS) \
#   	-DFUZZ_CORPUS='"tests/fuzz/corpus/<x>"'
#   tests_fuzz_replay_<x>_LDADD = <the same libraries>
#   endif
#   EXTRA_DIST += tests/fuzz/corpus/<x>/<each file> ...
#
# Every crash ever found becomes a file in the corpus (and in EXTRA_DIST).
# Run a fuzzer with: tests/fuzz/fuzz_<x> -max_total_time=60 <scratch dir>
#   $(srcdir)/tests/fuzz/corpus/<x>   (new inputs go to the scratch dir).
# Replay one input: tests/fuzz/replay_<x> <file-or-dir>...

# --- frame: a client's byte stream (ConnectRequest, then request frames) ---
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_frame
tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_frame_LDADD = proto/libproto.la
else
check_PROGRAMS += tests/fuzz/replay_frame
TESTS += tests/fuzz/replay_frame
tests_fuzz_replay_frame_SOURCES = tests/fuzz/fuzz.h tests/fuzz/replay.c \
	tests/fuzz/fuzz_frame.c
tests_fuzz_replay_frame_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/frame"'
tests_fuzz_replay_frame_LDADD = proto/libproto.la
endif
EXTRA_DIST += \
	tests/fuzz/corpus/frame/acl-element-cut \
	tests/fuzz/corpus/frame/bad-frame-length \
	tests/fuzz/corpus/frame/close-session \
	tests/fuzz/corpus/frame/connect-without-readonly \
	tests/fuzz/corpus/frame/every-op \
	tests/fuzz/corpus/frame/frame-longer-than-input \
	tests/fuzz/corpus/frame/huge-acl-count \
	tests/fuzz/corpus/frame/multi-without-end \
	tests/fuzz/corpus/frame/negative-string-length \
	tests/fuzz/corpus/frame/odd-paths \
	tests/fuzz/corpus/frame/oversized-frame-length \
	tests/fuzz/corpus/frame/session-pipeline \
	tests/fuzz/corpus/frame/truncated-connect \
	tests/fuzz/corpus/frame/tv1-connect \
	tests/fuzz/corpus/frame/tv10-ping \
	tests/fuzz/corpus/frame/tv11-auth \
	tests/fuzz/corpus/frame/tv12-multi \
	tests/fuzz/corpus/frame/tv4-create \
	tests/fuzz/corpus/frame/tv6-getdata \
	tests/fuzz/corpus/frame/unknown-op-bodies

# --- log: a store log segment, recovered, appended to, recovered again ---
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_log
tests_fuzz_fuzz_log_SOURCES = tests/fuzz/fuzz_log.c
tests_fuzz_fuzz_log_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_log_LDADD = server/libstore.la proto/libproto.la \
	$(PTHREAD_LIBS)
else
check_PROGRAMS += tests/fuzz/replay_log
TESTS += tests/fuzz/replay_log
tests_fuzz_replay_log_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_log.c
tests_fuzz_replay_log_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/log"'
tests_fuzz_replay_log_LDADD = server/libstore.la proto/libproto.la \
	$(PTHREAD_LIBS)
endif
EXTRA_DIST += \
	tests/fuzz/corpus/log/flipped-byte-last-record \
	tests/fuzz/corpus/log/flipped-byte-middle-record \
	tests/fuzz/corpus/log/garbage-after-zeros \
	tests/fuzz/corpus/log/header-only \
	tests/fuzz/corpus/log/header-zxid-mismatch \
	tests/fuzz/corpus/log/new-epoch \
	tests/fuzz/corpus/log/torn-header \
	tests/fuzz/corpus/log/torn-last-length-field \
	tests/fuzz/corpus/log/torn-last-record-payload \
	tests/fuzz/corpus/log/valid-five-records \
	tests/fuzz/corpus/log/valid-no-trailing-zeros \
	tests/fuzz/corpus/log/zeroed-length-before-valid-records \
	tests/fuzz/corpus/log/zxid-gap

# --- snapshot: a tree snapshot stream, loaded, saved and loaded again ---
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_snapshot
tests_fuzz_fuzz_snapshot_SOURCES = tests/fuzz/fuzz_snapshot.c
tests_fuzz_fuzz_snapshot_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_snapshot_LDADD = tree/libtree.la proto/libproto.la
else
check_PROGRAMS += tests/fuzz/replay_snapshot
TESTS += tests/fuzz/replay_snapshot
tests_fuzz_replay_snapshot_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_snapshot.c
tests_fuzz_replay_snapshot_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/snapshot"'
tests_fuzz_replay_snapshot_LDADD = tree/libtree.la proto/libproto.la
endif
EXTRA_DIST += \
	tests/fuzz/corpus/snapshot/flipped-byte \
	tests/fuzz/corpus/snapshot/tree-with-acls-sessions \
	tests/fuzz/corpus/snapshot/truncated-half

# --- txn: txn records applied to a tree, reads with arbitrary bodies ---
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_txn
tests_fuzz_fuzz_txn_SOURCES = tests/fuzz/fuzz_txn.c
tests_fuzz_fuzz_txn_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_txn_LDADD = tree/libtree.la proto/libproto.la
else
check_PROGRAMS += tests/fuzz/replay_txn
TESTS += tests/fuzz/replay_txn
tests_fuzz_replay_txn_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_txn.c
tests_fuzz_replay_txn_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/txn"'
tests_fuzz_replay_txn_LDADD = tree/libtree.la proto/libproto.la
endif
EXTRA_DIST += \
	tests/fuzz/corpus/txn/log-records \
	tests/fuzz/corpus/txn/records-and-reads

# --- rest_json: the REST gateway's JSON bodies (create, set, multi, session) ---
# server/rest_json.c is pure (jansson and proto only), so it is compiled in
# here rather than linking all of coordd.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_rest_json
tests_fuzz_fuzz_rest_json_SOURCES = tests/fuzz/fuzz_rest_json.c \
	server/rest_json.c
tests_fuzz_fuzz_rest_json_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_rest_json_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_rest_json_LDADD = proto/libproto.la $(JANSSON_LIBS)
else
check_PROGRAMS += tests/fuzz/replay_rest_json
TESTS += tests/fuzz/replay_rest_json
tests_fuzz_replay_rest_json_SOURCES = tests/fuzz/fuzz.h tests/fuzz/replay.c \
	tests/fuzz/fuzz_rest_json.c server/rest_json.c
tests_fuzz_replay_rest_json_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_replay_rest_json_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/rest_json"'
tests_fuzz_replay_rest_json_LDADD = proto/libproto.la $(JANSSON_LIBS)
endif
EXTRA_DIST += \
	tests/fuzz/corpus/rest_json/b64-utf8 \
	tests/fuzz/corpus/rest_json/create-bad-flags \
	tests/fuzz/corpus/rest_json/create-ephemeral-seq \
	tests/fuzz/corpus/rest_json/create-ttl-acl \
	tests/fuzz/corpus/rest_json/duplicate-key \
	tests/fuzz/corpus/rest_json/multi-all-ops \
	tests/fuzz/corpus/rest_json/multi-array \
	tests/fuzz/corpus/rest_json/multi-bad-op \
	tests/fuzz/corpus/rest_json/session \
	tests/fuzz/corpus/rest_json/session-nested \
	tests/fuzz/corpus/rest_json/set-null \
	tests/fuzz/corpus/rest_json/set-unicode \
	tests/fuzz/corpus/rest_json/truncated-json

# --- rest_http: the gateway's request handling, without sockets ---
# The gateway's own files are compiled in, with stubs in the target for the
# loop, the store and sessions (a write applies to a real tree at once).
REST_HTTP_FUZZ_SOURCES = tests/fuzz/fuzz.h tests/fuzz/fuzz_rest_http.c \
	server/rest.c server/rest_json.c server/rest_admin.c server/auth.c \
	server/log.c
REST_HTTP_FUZZ_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS) \
	$(OPENSSL_CFLAGS)
REST_HTTP_FUZZ_LDADD = server/libconfig.la tree/libtree.la proto/libproto.la \
	$(JANSSON_LIBS) $(MHD_LIBS) $(OPENSSL_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_rest_http
tests_fuzz_fuzz_rest_http_SOURCES = $(REST_HTTP_FUZZ_SOURCES)
tests_fuzz_fuzz_rest_http_CFLAGS = $(REST_HTTP_FUZZ_CFLAGS)
tests_fuzz_fuzz_rest_http_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_rest_http_LDADD = $(REST_HTTP_FUZZ_LDADD)
else
check_PROGRAMS += tests/fuzz/replay_rest_http
TESTS += tests/fuzz/replay_rest_http
tests_fuzz_replay_rest_http_SOURCES = tests/fuzz/replay.c \
	$(REST_HTTP_FUZZ_SOURCES)
tests_fuzz_replay_rest_http_CFLAGS = $(REST_HTTP_FUZZ_CFLAGS)
tests_fuzz_replay_rest_http_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/rest_http"'
tests_fuzz_replay_rest_http_LDADD = $(REST_HTTP_FUZZ_LDADD)
endif
REST_HTTP_CORPUS = \
	tests/fuzz/corpus/rest_http/acl \
	tests/fuzz/corpus/rest_http/bad \
	tests/fuzz/corpus/rest_http/commands \
	tests/fuzz/corpus/rest_http/crud \
	tests/fuzz/corpus/rest_http/data-with-nul \
	tests/fuzz/corpus/rest_http/multi \
	tests/fuzz/corpus/rest_http/recursive \
	tests/fuzz/corpus/rest_http/session-ephemeral \
	tests/fuzz/corpus/rest_http/watch
EXTRA_DIST += $(REST_HTTP_CORPUS)

# --- zab_wire: a Zab peer message; decoded ones re-encode byte for byte ---
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_zab_wire
tests_fuzz_fuzz_zab_wire_SOURCES = tests/fuzz/fuzz_zab_wire.c
tests_fuzz_fuzz_zab_wire_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_zab_wire_LDADD = zab/libzab.la proto/libproto.la
else
check_PROGRAMS += tests/fuzz/replay_zab_wire
TESTS += tests/fuzz/replay_zab_wire
tests_fuzz_replay_zab_wire_SOURCES = tests/fuzz/fuzz.h tests/fuzz/replay.c \
	tests/fuzz/fuzz_zab_wire.c
tests_fuzz_replay_zab_wire_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/zab_wire"'
tests_fuzz_replay_zab_wire_LDADD = zab/libzab.la proto/libproto.la
endif
EXTRA_DIST += \
	tests/fuzz/corpus/zab_wire/ackepoch-minus-one \
	tests/fuzz/corpus/zab_wire/leaderinfo \
	tests/fuzz/corpus/zab_wire/notification \
	tests/fuzz/corpus/zab_wire/proposal \
	tests/fuzz/corpus/zab_wire/proposal-length-lies \
	tests/fuzz/corpus/zab_wire/truncated-header

# --- zab_engine: one engine fed peers' messages, ticks and durability ---
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_zab_engine
tests_fuzz_fuzz_zab_engine_SOURCES = tests/fuzz/fuzz_zab_engine.c
tests_fuzz_fuzz_zab_engine_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_zab_engine_LDADD = zab/libzab.la proto/libproto.la
else
check_PROGRAMS += tests/fuzz/replay_zab_engine
TESTS += tests/fuzz/replay_zab_engine
tests_fuzz_replay_zab_engine_SOURCES = tests/fuzz/fuzz.h tests/fuzz/replay.c \
	tests/fuzz/fuzz_zab_engine.c
tests_fuzz_replay_zab_engine_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/zab_engine"'
tests_fuzz_replay_zab_engine_LDADD = zab/libzab.la proto/libproto.la
endif
EXTRA_DIST += \
	tests/fuzz/corpus/zab_engine/found-336b021c1ec8 \
	tests/fuzz/corpus/zab_engine/found-25c9bd313a6b \
	tests/fuzz/corpus/zab_engine/found-451443b3ea83 \
	tests/fuzz/corpus/zab_engine/found-367bb7767f57 \
	tests/fuzz/corpus/zab_engine/found-ca1e373df055 \
	tests/fuzz/corpus/zab_engine/found-0f379aea031c \
	tests/fuzz/corpus/zab_engine/found-fdaef6f90ffa \
	tests/fuzz/corpus/zab_engine/found-45fd89662598 \
	tests/fuzz/corpus/zab_engine/found-a5f8f27a5046 \
	tests/fuzz/corpus/zab_engine/found-0eac1afa2119 \
	tests/fuzz/corpus/zab_engine/found-6f587653a444 \
	tests/fuzz/corpus/zab_engine/found-03ec2d178092 \
	tests/fuzz/corpus/zab_engine/found-0c96a1150799 \
	tests/fuzz/corpus/zab_engine/found-124388f2cfe1 \
	tests/fuzz/corpus/zab_engine/found-14d015e9550d \
	tests/fuzz/corpus/zab_engine/found-186f855268c4 \
	tests/fuzz/corpus/zab_engine/found-28c31bbe51fd \
	tests/fuzz/corpus/zab_engine/found-2e513f75ce01 \
	tests/fuzz/corpus/zab_engine/found-34e056021d48 \
	tests/fuzz/corpus/zab_engine/found-37a79602ca3e \
	tests/fuzz/corpus/zab_engine/found-45db201bfb22 \
	tests/fuzz/corpus/zab_engine/found-55b8ed39a966 \
	tests/fuzz/corpus/zab_engine/found-6bd04e42d0f7 \
	tests/fuzz/corpus/zab_engine/found-713e50bf5d7e \
	tests/fuzz/corpus/zab_engine/found-770f8cd16d9e \
	tests/fuzz/corpus/zab_engine/found-9683238433de \
	tests/fuzz/corpus/zab_engine/found-9c3f294ac9cc \
	tests/fuzz/corpus/zab_engine/found-9d634225747e \
	tests/fuzz/corpus/zab_engine/found-9f2da77d500f \
	tests/fuzz/corpus/zab_engine/found-ae0a0b84666b \
	tests/fuzz/corpus/zab_engine/found-b10256756fd4 \
	tests/fuzz/corpus/zab_engine/found-bc7a6f384939 \
	tests/fuzz/corpus/zab_engine/found-c778d6f8c580 \
	tests/fuzz/corpus/zab_engine/found-d48816661f9d \
	tests/fuzz/corpus/zab_engine/found-e3b7ea0171c7 \
	tests/fuzz/corpus/zab_engine/found-e72e8f46443f \
	tests/fuzz/corpus/zab_engine/random-0 \
	tests/fuzz/corpus/zab_engine/random-1 \
	tests/fuzz/corpus/zab_engine/random-2 \
	tests/fuzz/corpus/zab_engine/random-3 \
	tests/fuzz/corpus/zab_engine/random-4 \
	tests/fuzz/corpus/zab_engine/random-5

# --- dynconfig: /zookeeper/config text round trips, and reconfig requests ---
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_dynconfig
tests_fuzz_fuzz_dynconfig_SOURCES = tests/fuzz/fuzz_dynconfig.c
tests_fuzz_fuzz_dynconfig_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_dynconfig_LDADD = server/libconfig.la proto/libproto.la
else
check_PROGRAMS += tests/fuzz/replay_dynconfig
TESTS += tests/fuzz/replay_dynconfig
tests_fuzz_replay_dynconfig_SOURCES = tests/fuzz/fuzz.h tests/fuzz/replay.c \
	tests/fuzz/fuzz_dynconfig.c
tests_fuzz_replay_dynconfig_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"tests/fuzz/corpus/dynconfig"'
tests_fuzz_replay_dynconfig_LDADD = server/libconfig.la proto/libproto.la
endif
EXTRA_DIST += \
	tests/fuzz/corpus/dynconfig/bare-id-joiner \
	tests/fuzz/corpus/dynconfig/blank-lines-crlf \
	tests/fuzz/corpus/dynconfig/bulk-and-incremental \
	tests/fuzz/corpus/dynconfig/bulk-new-members \
	tests/fuzz/corpus/dynconfig/clash-ipv6 \
	tests/fuzz/corpus/dynconfig/found-169405152978 \
	tests/fuzz/corpus/dynconfig/ipv6-hosts \
	tests/fuzz/corpus/dynconfig/join-and-leave \
	tests/fuzz/corpus/dynconfig/join-observer-any-client \
	tests/fuzz/corpus/dynconfig/join-participant \
	tests/fuzz/corpus/dynconfig/leave-two \
	tests/fuzz/corpus/dynconfig/leaving-not-a-number \
	tests/fuzz/corpus/dynconfig/malformed-joiners \
	tests/fuzz/corpus/dynconfig/malformed-lines \
	tests/fuzz/corpus/dynconfig/nothing \
	tests/fuzz/corpus/dynconfig/observer-no-client-port \
	tests/fuzz/corpus/dynconfig/remove-every-voter \
	tests/fuzz/corpus/dynconfig/three-ipv4
