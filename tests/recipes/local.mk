# tests/recipes: the recipes against real coordd processes on loopback,
# several sessions and processes contending, and kazoo on the same paths.
check_PROGRAMS += tests/recipes/test_recipes tests/recipes/recipe_tool
TESTS += tests/recipes/test_recipes tests/recipes/check-exports.sh \
	tests/recipes/test_kazoo.py
tests_recipes_test_recipes_SOURCES = tests/recipes/recipes.h \
	tests/recipes/support.c tests/recipes/main.c tests/recipes/test_lock.c \
	tests/recipes/test_election.c tests/recipes/test_prims.c \
	tests/recipes/test_cache.c \
	tests/client/server.h tests/client/server.c
tests_recipes_test_recipes_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_recipes_test_recipes_LDADD = recipes/libcoord_recipes.la \
	client/libcoord.la tests/lib/libcheck.la $(CUNIT_LIBS) $(PTHREAD_LIBS)
tests_recipes_recipe_tool_SOURCES = tests/recipes/recipe_tool.c
tests_recipes_recipe_tool_LDADD = recipes/libcoord_recipes.la client/libcoord.la
EXTRA_DIST += tests/recipes/check-exports.sh tests/recipes/test_kazoo.py
