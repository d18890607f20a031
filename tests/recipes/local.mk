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
# One example program per recipe, printed in coord-recipes(3); compiled
# here so the man page's code keeps building.
check_PROGRAMS += tests/recipes/examples/lock tests/recipes/examples/election tests/recipes/examples/counter tests/recipes/examples/barrier \
	tests/recipes/examples/queue tests/recipes/examples/semaphore tests/recipes/examples/group tests/recipes/examples/cache
tests_recipes_examples_lock_LDADD = recipes/libcoord_recipes.la client/libcoord.la
tests_recipes_examples_election_LDADD = recipes/libcoord_recipes.la client/libcoord.la
tests_recipes_examples_counter_LDADD = recipes/libcoord_recipes.la client/libcoord.la
tests_recipes_examples_barrier_LDADD = recipes/libcoord_recipes.la client/libcoord.la
tests_recipes_examples_queue_LDADD = recipes/libcoord_recipes.la client/libcoord.la
tests_recipes_examples_semaphore_LDADD = recipes/libcoord_recipes.la client/libcoord.la
tests_recipes_examples_group_LDADD = recipes/libcoord_recipes.la client/libcoord.la
tests_recipes_examples_cache_LDADD = recipes/libcoord_recipes.la client/libcoord.la
