/* Interop check with the official C client (libzookeeper_mt): connect, create,
 * set, get with a watch, receive the watch, multi, delete, close.
 * Usage: cclient host:port /base   Exits 0 on success; prints the failing step. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int connected;
static int data_events;
static char event_path[512];

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	(void)zh;
	(void)ctx;
	pthread_mutex_lock(&mu);
	if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE)
		connected = 1;
	if (type == ZOO_CHANGED_EVENT) {
		data_events++;
		snprintf(event_path, sizeof event_path, "%s", path);
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Wait (at most ms) until *flag >= want. */
static int wait_for(int *flag, int want, int ms)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mu);
	while (*flag < want)
		if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
			break;
	ok = *flag >= want;
	pthread_mutex_unlock(&mu);
	return ok;
}

#define CHECK(what, cond)                                                  \
	do {                                                                   \
		if (!(cond)) {                                                     \
			fprintf(stderr, "FAIL %s (line %d)\n", what, __LINE__);        \
			return 1;                                                      \
		}                                                                  \
		printf("ok %s\n", what);                                           \
	} while (0)

int main(int argc, char **argv)
{
	char p[256], a[256], b[256], buf[64], got[256];
	int len, rc;
	struct Stat st;
	zhandle_t *zh;

	if (argc != 3) {
		fprintf(stderr, "usage: %s host:port /base\n", argv[0]);
		return 2;
	}
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	zh = zookeeper_init(argv[1], watcher, 10000, NULL, NULL, 0);
	CHECK("init", zh != NULL);
	CHECK("connected", wait_for(&connected, 1, 15000));

	snprintf(p, sizeof p, "%s", argv[2]);
	rc = zoo_create(zh, p, "v0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, got, sizeof got);
	CHECK("create", rc == ZOK && strcmp(got, p) == 0);
	rc = zoo_create(zh, p, "v0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, got, sizeof got);
	CHECK("create again is ZNODEEXISTS", rc == ZNODEEXISTS);

	rc = zoo_set(zh, p, "v1", 2, 0);
	CHECK("set", rc == ZOK);
	rc = zoo_set(zh, p, "v1", 2, 0);
	CHECK("set stale version is ZBADVERSION", rc == ZBADVERSION);

	len = sizeof buf;
	rc = zoo_wget(zh, p, watcher, NULL, buf, &len, &st);
	CHECK("wget", rc == ZOK && len == 2 && memcmp(buf, "v1", 2) == 0 && st.version == 1);
	rc = zoo_set(zh, p, "v2", 2, -1);
	CHECK("set triggers", rc == ZOK);
	CHECK("watch received", wait_for(&data_events, 1, 10000));
	CHECK("watch path", strcmp(event_path, p) == 0);

	{
		zoo_op_t ops[3];
		zoo_op_result_t res[3];
		char path_a[256], path_b[256];

		snprintf(a, sizeof a, "%s/a", p);
		snprintf(b, sizeof b, "%s/b-", p);
		zoo_create_op_init(&ops[0], a, "A", 1, &ZOO_OPEN_ACL_UNSAFE, 0, path_a,
				   sizeof path_a);
		zoo_create_op_init(&ops[1], b, NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
				   ZOO_SEQUENCE, path_b, sizeof path_b);
		zoo_check_op_init(&ops[2], p, 2);
		rc = zoo_multi(zh, 3, ops, res);
		CHECK("multi", rc == ZOK && res[0].err == ZOK && res[1].err == ZOK &&
				       res[2].err == ZOK);
		snprintf(got, sizeof got, "%s/b-0000000001", p);
		CHECK("multi sequential name", strcmp(path_b, got) == 0);

		zoo_check_op_init(&ops[0], p, 99);
		zoo_delete_op_init(&ops[1], a, -1);
		rc = zoo_multi(zh, 2, ops, res);
		CHECK("multi rollback", rc == ZBADVERSION && res[0].err == ZBADVERSION &&
						res[1].err == ZRUNTIMEINCONSISTENCY);
		rc = zoo_exists(zh, a, 0, &st);
		CHECK("rolled back delete left node", rc == ZOK);
		rc = zoo_delete(zh, a, -1);
		CHECK("delete a", rc == ZOK);
		rc = zoo_delete(zh, path_b, -1);
		CHECK("delete b", rc == ZOK);
	}
	rc = zoo_delete(zh, p, 5);
	CHECK("delete bad version", rc == ZBADVERSION);
	rc = zoo_delete(zh, p, 2);
	CHECK("delete", rc == ZOK);
	rc = zoo_exists(zh, p, 0, &st);
	CHECK("gone", rc == ZNONODE);
	rc = zookeeper_close(zh);
	CHECK("close", rc == ZOK);
	printf("ALL OK\n");
	return 0;
}
