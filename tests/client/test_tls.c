/* TLS: libcoord against coordd's secureClientPort, with a test PKI that the
 * openssl command makes at suite start (a CA, a server certificate for
 * IP 127.0.0.1, a client certificate for alice, and a second CA the server
 * never heard of). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/client/server.h"
#include "tests/lib/check.h"

static char pki[256];
static struct srv need; /* ssl.clientAuth=need (the default) */
static char opt_port[40], opt_cert[300], opt_key[300], opt_ca[300];

static const char *pem(const char *name, const char *ext)
{
    static char buf[4][300];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s.%s", pki, name, ext);
    return buf[i];
}

static int make_pki(void)
{
    const char *base = getenv("COORD_BUILDDIR");
    snprintf(pki, sizeof pki, "%s/tests/client/pki-XXXXXX", base ? base : ".");
    if (mkdtemp(pki) == NULL) {
        snprintf(pki, sizeof pki, "/tmp/coord-pki-XXXXXX");
        if (mkdtemp(pki) == NULL)
            return -1;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && exec >openssl.log 2>&1 && set -e && "
             "key() { openssl genpkey -algorithm EC -pkeyopt "
             "ec_paramgen_curve:P-256 -out $1.key; } && "
             "leaf() { key $1 && openssl req -new -key $1.key -out $1.csr "
             "-subj \"$2\" && printf '%%s\\n' \"$3\" > $1.ext && "
             "openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key "
             "-set_serial $4 -days 2 -extfile $1.ext -out $1.pem; } && "
             "key ca && openssl req -x509 -new -key ca.key -out ca.pem "
             "-days 2 -subj /CN=coord-test-ca && "
             "key other && openssl req -x509 -new -key other.key "
             "-out other.pem -days 2 -subj /CN=other-ca && "
             "leaf server /CN=coord-test-server "
             "'subjectAltName=IP:127.0.0.1' 1001 && "
             "leaf alice /O=coord-test/CN=alice "
             "'extendedKeyUsage=clientAuth' 2001",
             pki);
    return system(cmd) == 0 ? 0 : -1;
}

static int start_tls_server(struct srv *s, const char *client_auth)
{
    s->tls_port = srv_free_port();
    snprintf(opt_port, sizeof opt_port, "secureClientPort=%d", s->tls_port);
    snprintf(opt_cert, sizeof opt_cert, "ssl.certFile=%s", pem("server", "pem"));
    snprintf(opt_key, sizeof opt_key, "ssl.keyFile=%s", pem("server", "key"));
    snprintf(opt_ca, sizeof opt_ca, "ssl.caFile=%s", pem("ca", "pem"));
    int i = 0;
    s->extra[i++] = opt_port;
    s->extra[i++] = opt_cert;
    s->extra[i++] = opt_key;
    s->extra[i++] = opt_ca;
    s->extra[i++] = client_auth;
    s->extra[i] = NULL;
    return srv_start(s);
}

int tls_suite_start(void)
{
    memset(&need, 0, sizeof need);
    if (make_pki() != 0) {
        fprintf(stderr, "tls: cannot make the test PKI in %s\n", pki);
        return -1;
    }
    return start_tls_server(&need, NULL) == 0 ? 0 : -1;
}

int tls_suite_stop(void)
{
    srv_cleanup(&need);
    if (pki[0] && getenv("COORD_TEST_KEEP") == NULL) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", pki);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", pki);
    }
    return 0;
}

static char hosts_buf[256];
static const char *tls_hosts(const char *host, int port)
{
    snprintf(hosts_buf, sizeof hosts_buf, "%s:%d", host, port);
    return hosts_buf;
}

/* A TLS handle in event-loop mode; who NULL = no client certificate. */
static struct coord *tls_client(const char *hosts, const char *ca,
                                const char *who, bool skip_name)
{
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = hosts;
    o.session_timeout_ms = 4000;
    o.tls_ca_file = pem(ca, "pem");
    if (who) {
        o.tls_cert_file = pem(who, "pem");
        o.tls_key_file = pem(who, "key");
    }
    o.tls_skip_name_check = skip_name;
    struct coord *c = NULL;
    int rc = coord_new(&o, &c);
    CHECK_EQ_INT(rc, 0);
    return c;
}

/* The handle never connects, and its last error contains `want`. */
static void assert_refused(struct coord *c, const char *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(!wait_state(c, COORD_CONNECTED, 1500));
    char err[400];
    int n = coord_last_error(c, err, sizeof err);
    CU_ASSERT(n > 0);
    if (strstr(err, want) == NULL) {
        fprintf(stderr, "\nlast error \"%s\" lacks \"%s\"\n", err, want);
        CU_FAIL("unexpected error text");
    }
    coord_free(c);
}

static void crud_and_whoami_over_tls(void)
{
    struct coord *c = tls_client(tls_hosts("127.0.0.1", need.tls_port), "ca",
                                 "alice", false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_FATAL(wait_state(c, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_create_sync(c, "/tls", "one", 3, NULL, 0, 0, NULL,
                                   NULL), 0);
    char *data = NULL;
    int32_t len = 0;
    CHECK_EQ_INT(coord_get_sync(c, "/tls", NULL, NULL, &data, &len, NULL), 0);
    CHECK_EQ_INT(len, 3);
    if (data)
        CHECK_EQ_STR(data, "one");
    free(data);
    CHECK_EQ_INT(coord_set_sync(c, "/tls", "two", 3, 0, NULL), 0);
    struct coord_client_info *ids = NULL;
    int32_t n = 0;
    CHECK_EQ_INT(coord_whoami_sync(c, &ids, &n), 0);
    bool found = false;
    for (int32_t i = 0; i < n; i++)
        if (strcmp(ids[i].scheme, "x509") == 0 &&
            strcmp(ids[i].user, "CN=alice,O=coord-test") == 0)
            found = true;
    CU_ASSERT(found);
    free(ids);
    CHECK_EQ_INT(coord_delete_sync(c, "/tls", 1), 0);
    CHECK_EQ_INT(coord_exists_sync(c, "/tls", NULL, NULL, NULL), COORD_ENONODE);
    char err[8];
    CHECK_EQ_INT(coord_last_error(c, err, sizeof err), 0);
    coord_free(c);
}

static void thread_mode_and_large_values(void)
{
    struct coord *c = tls_client(tls_hosts("127.0.0.1", need.tls_port), "ca",
                                 "alice", false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CHECK_EQ_INT_FATAL(coord_start_thread(c), 0);
    CU_ASSERT_FATAL(wait_state(c, COORD_CONNECTED, 5000));
    /* Many TLS records each way: partial writes, several records a read. */
    size_t big = 700 * 1024;
    char *blob = malloc(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
    for (size_t i = 0; i < big; i++)
        blob[i] = (char)('a' + i % 26);
    CHECK_EQ_INT(coord_create_sync(c, "/tls-big", blob, (int32_t)big, NULL, 0,
                                   0, NULL, NULL), 0);
    for (int round = 0; round < 3; round++) {
        char *data = NULL;
        int32_t len = 0;
        CHECK_EQ_INT(coord_get_sync(c, "/tls-big", NULL, NULL, &data, &len,
                                    NULL), 0);
        CHECK_EQ_INT(len, (int32_t)big);
        CU_ASSERT(data && memcmp(data, blob, big) == 0);
        free(data);
    }
    CHECK_EQ_INT(coord_delete_sync(c, "/tls-big", -1), 0);
    free(blob);
    coord_free(c);
}

static void client_without_certificate_is_refused(void)
{
    assert_refused(tls_client(tls_hosts("127.0.0.1", need.tls_port), "ca",
                              NULL, false),
                   "client certificate");
}

static void wrong_ca_fails_verification(void)
{
    assert_refused(tls_client(tls_hosts("127.0.0.1", need.tls_port), "other",
                              "alice", false),
                   "certificate verify failed");
}

/* The certificate names IP 127.0.0.1, not "localhost". */
static void name_is_checked_unless_skipped(void)
{
    assert_refused(tls_client(tls_hosts("localhost", need.tls_port), "ca",
                              "alice", false),
                   "hostname mismatch");
    struct coord *c = tls_client(tls_hosts("localhost", need.tls_port), "ca",
                                 "alice", true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(wait_state(c, COORD_CONNECTED, 5000));
    coord_free(c);
}

static void plain_client_on_tls_port_fails(void)
{
    struct coord *c = client_new(tls_hosts("127.0.0.1", need.tls_port), 4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(!wait_state(c, COORD_CONNECTED, 1000));
    coord_free(c);
}

static void bad_files_fail_at_new(void)
{
    struct coord_options o;
    char why[300] = "";
    coord_options_init(&o);
    o.hosts = "127.0.0.1:1";
    o.tls_ca_file = pem("missing", "pem");
    o.tls_error = why;
    o.tls_error_len = sizeof why;
    struct coord *c = NULL;
    CHECK_EQ_INT(coord_new(&o, &c), COORD_EINVAL);
    CU_ASSERT(strstr(why, "missing.pem") != NULL);
    o.tls_ca_file = pem("ca", "pem");
    o.tls_cert_file = pem("alice", "pem");
    o.tls_key_file = pem("server", "key"); /* not alice's key */
    why[0] = '\0';
    CHECK_EQ_INT(coord_new(&o, &c), COORD_EINVAL);
    CU_ASSERT(strstr(why, "private key") != NULL);
    o.tls_key_file = NULL;
    o.tls_cert_file = NULL;
    o.tls = true;
    CHECK_EQ_INT(coord_new(&o, &c), 0);
    coord_free(c);
}

/* A dead host first, then a restart of the server within the session
 * timeout: the session resumes over TLS and ephemerals survive. */
static void reconnect_across_hosts_over_tls(void)
{
    struct srv s;
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT_FATAL(start_tls_server(&s, NULL), 0);
    char hosts[256];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%d,127.0.0.1:%d",
             srv_free_port(), s.tls_port);
    struct coord *c = tls_client(hosts, "ca", "alice", false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CHECK_EQ_INT_FATAL(coord_start_thread(c), 0);
    CU_ASSERT_FATAL(wait_state(c, COORD_CONNECTED, 5000));
    int64_t sid = coord_session_id(c, NULL);
    CHECK_EQ_INT(coord_create_sync(c, "/tls-eph", NULL, -1, NULL,
                                   COORD_EPHEMERAL, 0, NULL, NULL), 0);
    srv_signal(&s, SIGKILL);
    CU_ASSERT(wait_state(c, COORD_SUSPENDED, 5000));
    /* Same ports, directory and settings. */
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    CU_ASSERT(wait_state(c, COORD_CONNECTED, 8000));
    CHECK_EQ_INT(coord_session_id(c, NULL), sid);
    CHECK_EQ_INT(coord_exists_sync(c, "/tls-eph", NULL, NULL, NULL), 0);
    coord_free(c);
    srv_cleanup(&s);
}

CU_TestInfo tls_tests[] = {
    {"crud and whoAmI over TLS", crud_and_whoami_over_tls},
    {"thread mode and large values", thread_mode_and_large_values},
    {"no client certificate: refused", client_without_certificate_is_refused},
    {"wrong CA: verification fails", wrong_ca_fails_verification},
    {"peer name checked unless skipped", name_is_checked_unless_skipped},
    {"plain client on the TLS port", plain_client_on_tls_port_fails},
    {"bad files fail at coord_new", bad_files_fail_at_new},
    {"reconnect across hosts over TLS", reconnect_across_hosts_over_tls},
    CU_TEST_INFO_NULL,
};
