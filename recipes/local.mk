# recipes/: libcoord_recipes, built only on libcoord's public API (coord.h).
# Only the coord_ functions of include/coord_recipes.h are exported; the
# shared helpers of recipes/internal.h stay inside the library.
lib_LTLIBRARIES += recipes/libcoord_recipes.la
recipes_libcoord_recipes_la_SOURCES = recipes/internal.h recipes/common.c \
	recipes/lock.c recipes/election.c recipes/counter.c recipes/barrier.c \
	recipes/queue.c recipes/semaphore.c recipes/group.c recipes/cache.c
recipes_libcoord_recipes_la_CFLAGS = $(AM_CFLAGS)
recipes_libcoord_recipes_la_LIBADD = client/libcoord.la $(PTHREAD_LIBS)
recipes_libcoord_recipes_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-export-symbols-regex '^coord_'
include_HEADERS += include/coord_recipes.h
EXTRA_DIST += recipes/README.md
