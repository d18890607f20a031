# tests/bench: coord-bench, the load generator behind run-bench.sh. Built by
# make all (noinst); never run by make check.
noinst_PROGRAMS += tests/bench/coord-bench
tests_bench_coord_bench_SOURCES = tests/bench/coord-bench.c
tests_bench_coord_bench_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
tests_bench_coord_bench_LDADD = proto/libproto.la $(PTHREAD_LIBS) -ldl
EXTRA_DIST += tests/bench/run-bench.sh tests/bench/README.md \
	tests/bench/rest-bench.sh
EXTRA_DIST += tests/bench/run-bench-ensemble.sh
