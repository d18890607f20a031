# tests/integration: kazoo/C-client tests against a real coordd on loopback.
# run.sh finds coordd through $COORD_BUILDDIR (exported by AM_TESTS_ENVIRONMENT);
# COORD_TEST_SERVER=zookeeper runs the same suite against ZooKeeper 3.8.
TESTS += tests/integration/run.sh
EXTRA_DIST += tests/integration/README.md tests/integration/run.sh \
	tests/integration/runner.py tests/integration/harness.py \
	tests/integration/cclient.c tests/integration/test_4lw.py \
	tests/integration/test_acl.py tests/integration/test_badinput.py \
	tests/integration/test_cclient.py tests/integration/test_crud.py \
	tests/integration/test_durability.py tests/integration/test_errors.py \
	tests/integration/test_multi.py tests/integration/test_nodes.py \
	tests/integration/test_recipes.py tests/integration/test_sessions.py \
	tests/integration/test_recovery.py tests/integration/test_watches.py \
	tests/integration/test_rest.py \
	tests/integration/test_cli.py
EXTRA_DIST += tests/integration/test_coordctl.py
EXTRA_DIST += tests/integration/test_tls.py
EXTRA_DIST += tests/integration/test_https.py
EXTRA_DIST += tests/integration/test_hardening.py
EXTRA_DIST += tests/integration/test_coordctl_tls.py
EXTRA_DIST += tests/integration/test_recipes_kazoo.py
EXTRA_DIST += tests/integration/netproxy.py
EXTRA_DIST += tests/integration/ensemble.py
EXTRA_DIST += tests/integration/lincheck.py
EXTRA_DIST += tests/integration/test_lincheck.py
EXTRA_DIST += tests/integration/test_netproxy.py
EXTRA_DIST += tests/integration/test_ensemble_zk.py
EXTRA_DIST += tests/integration/test_ensemble.py
EXTRA_DIST += tests/integration/test_rest_acl.py
EXTRA_DIST += tests/integration/test_rest_admin.py
EXTRA_DIST += tests/integration/test_rest_limits.py
EXTRA_DIST += tests/integration/test_ensemble_tls.py
EXTRA_DIST += tests/integration/test_sasl.py
EXTRA_DIST += tests/integration/test_recipes_ensemble.py
EXTRA_DIST += tests/integration/test_sasl_gssapi.py
EXTRA_DIST += tests/integration/test_reconfig.py
EXTRA_DIST += tests/integration/test_coordctl_reconfig.py
