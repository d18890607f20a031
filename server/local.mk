# server/: coordd.

# --- config (zoo.cfg parsing): server/config.[ch] ---
noinst_LTLIBRARIES += server/libconfig.la
server_libconfig_la_SOURCES = server/config.h server/config.c
