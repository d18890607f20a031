# tests/sim: the deterministic simulator (a second driver of zab/).
noinst_LTLIBRARIES += tests/sim/libsim.la
tests_sim_libsim_la_SOURCES = tests/sim/sim.h tests/sim/sim.c
