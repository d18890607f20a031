/* ACLs: fix-up (wire spec 10.3), checks (10.5) and getACL masking. */
#include "tests/tree/helpers.h"

#include <stdio.h>
#include <string.h>

#define BOB "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="

static int create_acl(const char *path, struct coord_acl *acl, int32_t n)
{
    return create_op(COORD_OP_CREATE, path, "", 0, -1, acl, n, NULL);
}

/* getACL into an array of "perms scheme:id" strings joined by ','. */
static int get_acl(const char *path, char *out, size_t cap)
{
    struct buf b, r;
    buf_init(&b, 1024);
    buf_init(&r, 1 << 16);
    struct coord_path_req req = {jute_cstr(path)};
    coord_put_path_req(&b, &req);
    int rc = read_op(COORD_OP_GETACL, &b, &r);
    out[0] = 0;
    if (rc == 0) {
        struct jute_r rd;
        jute_r_init(&rd, r.base, r.len);
        int32_t n = jute_get_int(&rd);
        size_t off = 0;
        for (int32_t i = 0; i < n; i++) {
            struct coord_acl a;
            coord_get_acl(&rd, &a);
            off += (size_t)snprintf(out + off, cap - off, "%s%d %.*s:%.*s",
                                    i ? "," : "", a.perms, a.id.scheme.len,
                                    a.id.scheme.p, a.id.id.len, a.id.id.p);
        }
        struct coord_stat st;
        coord_get_stat(&rd, &st);
        CHECK_TRUE(jute_r_done(&rd));
    }
    buf_close(&b);
    buf_close(&r);
    return rc;
}

static void invalid_acl_lists_are_rejected(void)
{
    struct coord_acl a;
    a = acl_of(31, "world", "someone");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "world", NULL);
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EMARSHALLING);
    a = acl_of(31, "foo", "bar");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "digest", "nocolon");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "digest", "user:");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "digest", "a:b:c");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "ip", "notanip");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "ip", "10.0.0.1/33");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "ip", "1.2.3");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "ip", "1:2:3");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "super", "");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, NULL, "x");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    a = acl_of(31, "auth", "");
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    const char *ip_only[] = {"ip:127.0.0.1"};
    ids_set(ip_only, 1);
    CHECK_EQ_INT(create_acl("/a", &a, 1), COORD_EINVALIDACL);
    CHECK_EQ_INT(stat_of("/a", &(struct coord_stat){0}), COORD_ENONODE);
}

static void valid_schemes_are_accepted(void)
{
    struct coord_acl a[] = {
        acl_of(31, "digest", BOB),
        acl_of(1, "ip", "10.0.0.0/8"),
        acl_of(1, "ip", "::1"),
        acl_of(1, "ip", "fe80::/10"),
        acl_of(1, "ip", "::ffff:1.2.3.4"),
        acl_of(1, "ip", "1:2:3:4:5:6:7:8/128"),
        acl_of(1, "x509", "CN=me"),
        acl_of(1, "sasl", "me@REALM"),
        acl_of(0, "world", "anyone"),
    };
    CHECK_EQ_INT(create_acl("/ok", a, 9), 0);
}

static void auth_expands_to_the_callers_authenticated_ids(void)
{
    const char *ids[] = {"ip:127.0.0.1", "digest:" BOB, "sasl:me"};
    ids_set(ids, 3);
    struct coord_acl a[] = {acl_of(31, "auth", NULL), acl_of(31, "auth", "")};
    CHECK_EQ_INT(create_acl("/mine", a, 1), 0);
    char out[512];
    CHECK_EQ_INT(get_acl("/mine", out, sizeof out), 0);
    CHECK_EQ_STR(out, "31 digest:" BOB ",31 sasl:me");
    ids_set(NULL, 0);
    CHECK_EQ_INT(get_data_w("/mine", false, NULL, 0, NULL), COORD_ENOAUTH);
}

static void duplicates_are_removed(void)
{
    struct coord_acl a[] = {acl_of(31, "world", "anyone"),
                            acl_of(31, "world", "anyone"),
                            acl_of(1, "world", "anyone")};
    CHECK_EQ_INT(create_acl("/dup", a, 3), 0);
    char out[512];
    CHECK_EQ_INT(get_acl("/dup", out, sizeof out), 0);
    CHECK_EQ_STR(out, "31 world:anyone,1 world:anyone");
}

static void digest_acl_admits_only_the_matching_identity(void)
{
    struct coord_acl a = acl_of(COORD_PERM_READ | COORD_PERM_ADMIN, "digest",
                                BOB);
    CHECK_EQ_INT(create_acl("/sec", &a, 1), 0);
    CHECK_EQ_INT(get_data_w("/sec", false, NULL, 0, NULL), COORD_ENOAUTH);
    char kids[8];
    CHECK_EQ_INT(children_w("/sec", false, kids, sizeof kids), COORD_ENOAUTH);
    CHECK_EQ_INT(exists_w("/sec", true), COORD_ENOAUTH);
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 0); /* no watch on -102 */
    const char *bob[] = {"digest:" BOB};
    ids_set(bob, 1);
    CHECK_EQ_INT(get_data_w("/sec", false, NULL, 0, NULL), 0);
    const char *other[] = {"digest:bob:wrong"};
    ids_set(other, 1);
    CHECK_EQ_INT(get_data_w("/sec", false, NULL, 0, NULL), COORD_ENOAUTH);
}

static void sasl_ids_must_parse_as_kerberos_names(void)
{
    static const char *const good[] = {
        "bob", "", "a/b/c", "zk/host@EXAMPLE.COM", "me@REALM", "@R", "a/@",
    };
    static const char *const bad[] = {
        "a@b@c", "a/b/c@R", "a@R/x", "@@",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct coord_acl a = acl_of(31, "sasl", good[i]);
        char path[32];
        snprintf(path, sizeof path, "/good%zu", i);
        CHECK_EQ_INT(create_acl(path, &a, 1), 0);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct coord_acl a = acl_of(31, "sasl", bad[i]);
        CHECK_EQ_INT(create_acl("/bad", &a, 1), COORD_EINVALIDACL);
    }
}

static void sasl_acl_matches_exactly_or_sasl_super(void)
{
    struct coord_acl a = acl_of(COORD_PERM_READ, "sasl", "bob");
    CHECK_EQ_INT(create_acl("/s", &a, 1), 0);
    CHECK_EQ_INT(get_data_w("/s", false, NULL, 0, NULL), COORD_ENOAUTH);
    const char *bob[] = {"ip:127.0.0.1", "sasl:bob"};
    ids_set(bob, 2);
    CHECK_EQ_INT(get_data_w("/s", false, NULL, 0, NULL), 0);
    static const char *const others[] = {"sasl:bo", "sasl:bobby",
                                         "sasl:Bob", "sasl:bob@REALM",
                                         "digest:bob", "x509:bob"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        ids_set(&others[i], 1);
        CHECK_EQ_INT(get_data_w("/s", false, NULL, 0, NULL), COORD_ENOAUTH);
    }
    /* as ZooKeeper's SASLAuthenticationProvider.matches */
    const char *super[] = {"sasl:super"};
    ids_set(super, 1);
    CHECK_EQ_INT(get_data_w("/s", false, NULL, 0, NULL), 0);
    /* ... but only for sasl entries */
    struct coord_acl d = acl_of(COORD_PERM_READ, "digest", BOB);
    CHECK_EQ_INT(create_acl("/d", &d, 1), 0);
    CHECK_EQ_INT(get_data_w("/d", false, NULL, 0, NULL), COORD_ENOAUTH);
    ids_set(NULL, 0);
}

static void ip_acl_matches_by_prefix(void)
{
    struct coord_acl a[] = {acl_of(COORD_PERM_READ, "ip", "10.0.0.0/8"),
                            acl_of(COORD_PERM_READ, "ip", "fe80::/16")};
    CHECK_EQ_INT(create_acl("/net", a, 2), 0);
    const char *in[] = {"ip:10.200.3.4"};
    const char *out4[] = {"ip:11.0.0.1"};
    const char *in6[] = {"ip:fe80::1"};
    const char *out6[] = {"ip:fe81::1"};
    const char *mapped[] = {"ip:::ffff:10.0.0.1"};
    ids_set(in, 1);
    CHECK_EQ_INT(get_data_w("/net", false, NULL, 0, NULL), 0);
    ids_set(out4, 1);
    CHECK_EQ_INT(get_data_w("/net", false, NULL, 0, NULL), COORD_ENOAUTH);
    ids_set(in6, 1);
    CHECK_EQ_INT(get_data_w("/net", false, NULL, 0, NULL), 0);
    ids_set(out6, 1);
    CHECK_EQ_INT(get_data_w("/net", false, NULL, 0, NULL), COORD_ENOAUTH);
    ids_set(mapped, 1); /* IPv4 never matches IPv6 */
    CHECK_EQ_INT(get_data_w("/net", false, NULL, 0, NULL), COORD_ENOAUTH);
}

static void super_bypasses_every_check(void)
{
    struct coord_acl a = acl_of(0, "digest", BOB);
    CHECK_EQ_INT(create_acl("/locked", &a, 1), 0);
    CHECK_EQ_INT(set("/locked", "x", -1), COORD_ENOAUTH);
    cur_super = true;
    CHECK_EQ_INT(set("/locked", "x", -1), 0);
    CHECK_EQ_INT(get_data_w("/locked", false, NULL, 0, NULL), 0);
    cur_super = false;
    const char *sup[] = {"super:"};
    ids_set(sup, 1);
    CHECK_EQ_INT(create("/locked/kid", "", 0), 0);
    CHECK_EQ_INT(del("/locked/kid", -1), 0);
}

static void get_acl_masks_digests_without_admin(void)
{
    struct coord_acl a[] = {acl_of(COORD_PERM_READ, "world", "anyone"),
                            acl_of(COORD_PERM_ALL, "digest", BOB)};
    CHECK_EQ_INT(create_acl("/m", a, 2), 0);
    char out[512];
    CHECK_EQ_INT(get_acl("/m", out, sizeof out), 0);
    CHECK_EQ_STR(out, "1 world:anyone,31 digest:bob:x");
    const char *bob[] = {"digest:" BOB};
    ids_set(bob, 1);
    CHECK_EQ_INT(get_acl("/m", out, sizeof out), 0);
    CHECK_EQ_STR(out, "1 world:anyone,31 digest:" BOB);
    /* neither READ nor ADMIN */
    struct coord_acl w = acl_of(COORD_PERM_WRITE, "world", "anyone");
    CHECK_EQ_INT(create_acl("/w", &w, 1), 0);
    CHECK_EQ_INT(get_acl("/w", out, sizeof out), COORD_ENOAUTH);
    CHECK_EQ_INT(get_acl("/nope", out, sizeof out), COORD_ENONODE);
}

/* Wire spec 7.2 worked examples. */
static void write_checks_come_in_zookeeper_order(void)
{
    struct coord_acl ro = acl_of(COORD_PERM_READ, "world", "anyone");
    CHECK_EQ_INT(create_acl("/sec", &ro, 1), 0);
    CHECK_EQ_INT(del("/sec/nothere", -1), COORD_ENOAUTH);
    CHECK_EQ_INT(set("/sec", "x", 42), COORD_ENOAUTH);
    CHECK_EQ_INT(create("/sec/x", "", 0), COORD_ENOAUTH);
    struct coord_acl bad = acl_of(31, "foo", "bar");
    CHECK_EQ_INT(setacl("/nothere", &bad, 1, -1), COORD_EINVALIDACL);
    CHECK_EQ_INT(setacl("/nothere", &ro, 1, -1), COORD_ENONODE);
    CHECK_EQ_INT(setacl("/sec", &ro, 1, -1), COORD_ENOAUTH);
    CHECK_EQ_INT(setacl("/sec/", &ro, 1, -1), COORD_EBADARGUMENTS);
}

static void set_acl_bumps_aversion_and_fires_nothing(void)
{
    CHECK_EQ_INT(create("/s", "", 0), 0);
    int64_t cz = last_zxid_used();
    CHECK_EQ_INT(get_data_w("/s", true, NULL, 0, NULL), 0);
    struct coord_acl a = acl_of(COORD_PERM_ALL, "ip", "127.0.0.1");
    CHECK_EQ_INT(setacl("/s", &a, 1, 3), COORD_EBADVERSION);
    CHECK_EQ_INT(setacl("/s", &a, 1, 0), 0);
    struct coord_stat st;
    cur_super = true;
    CHECK_EQ_INT(stat_of("/s", &st), 0);
    CHECK_EQ_INT(st.aversion, 1);
    CHECK_EQ_INT(st.mzxid, cz);
    CHECK_EQ_INT(st.version, 0);
    CHECK_EQ_INT(nev, 0);
}

static void perms_zero_grants_nothing(void)
{
    struct coord_acl a = acl_of(0, "world", "anyone");
    CHECK_EQ_INT(create_acl("/z", &a, 1), 0);
    CHECK_EQ_INT(get_data_w("/z", false, NULL, 0, NULL), COORD_ENOAUTH);
    CHECK_EQ_INT(exists_w("/z", false), COORD_ENOAUTH);
}

/* Session 0 is "no session" (the gateway's sessionless writes): it is not
 * a way around ACLs and cannot own ephemerals; only super bypasses. */
static void session_zero_is_acl_checked_and_owns_no_ephemerals(void)
{
    struct coord_acl a = acl_of(31, "digest", BOB);
    CHECK_EQ_INT(create_acl("/sec", &a, 1), 0);
    const char *ip_only[] = {"ip:127.0.0.1"};
    ids_set(ip_only, 1);
    cur_sid = 0;
    CHECK_EQ_INT(create("/sec/x", "", 0), COORD_ENOAUTH);
    CHECK_EQ_INT(set("/sec", "v", -1), COORD_ENOAUTH);
    CHECK_EQ_INT(create("/open", "", 0), 0);
    CHECK_EQ_INT(create("/eph", "", COORD_EPHEMERAL), COORD_ESESSIONEXPIRED);
    CHECK_EQ_INT(create("/eph-", "", COORD_EPHEMERAL_SEQUENTIAL),
                 COORD_ESESSIONEXPIRED);
    const char *bob[] = {"digest:" BOB};
    ids_set(bob, 1);
    CHECK_EQ_INT(create("/sec/x", "", 0), 0);
    ids_set(ip_only, 1);
    cur_super = true;
    CHECK_EQ_INT(create("/sec/y", "", 0), 0);
    cur_super = false;
    cur_sid = TEST_SID;
}

/* The leader's reconfig txn (tree.h): err != 0 changes nothing; else
 * /zookeeper/config gets the text and its version line, Stat version -1,
 * and its data watchers fire. tree_config_set is the same outside a txn,
 * never going back; tree_check_perm is the leader's ACL check. */
static void reconfig_txn_sets_the_config_node(void)
{
    static const char text[] = "server.1=h:1:2:participant;0.0.0.0:3\n";
    struct tree_caller plain = {.session_id = TEST_SID};
    struct tree_caller su = {.session_id = TEST_SID, .super = true};
    CHECK_EQ_INT(tree_check_perm(t, "/zookeeper/config", 17,
                                 COORD_PERM_WRITE, &plain), COORD_ENOAUTH);
    CHECK_EQ_INT(tree_check_perm(t, "/zookeeper/config", 17,
                                 COORD_PERM_READ, &plain), 0);
    CHECK_EQ_INT(tree_check_perm(t, "/zookeeper/config", 17,
                                 COORD_PERM_WRITE, &su), 0);
    CHECK_EQ_INT(tree_check_perm(t, "/nope", 5, COORD_PERM_READ, &su),
                 COORD_ENONODE);

    CHECK_EQ_INT(tree_config_set(t, text, sizeof text - 1, 0, 5), 0);
    char out[256];
    int32_t len;
    CHECK_EQ_INT(get_data_w("/zookeeper/config", true, out, sizeof out,
                            &len), 0);
    CHECK_EQ_STR(out, "server.1=h:1:2:participant;0.0.0.0:3\nversion=0");

    struct buf body, reply;
    buf_init(&body, 1024);
    buf_init(&reply, 4096);
    jute_put_int(&body, COORD_ENEWCONFIGNOQUORUM);
    int before = nev;
    CHECK_EQ_INT(apply_txn_at(0x100000007, COORD_OP_RECONFIG, &body, &reply),
                 COORD_ENEWCONFIGNOQUORUM);
    CHECK_EQ_INT(nev, before);
    CHECK_EQ_INT(get_data_w("/zookeeper/config", false, out, sizeof out,
                            &len), 0);
    CHECK_EQ_STR(out, "server.1=h:1:2:participant;0.0.0.0:3\nversion=0");

    buf_reset(&body);
    jute_put_int(&body, 0);
    buf_append(&body, "server.2=g:4:5:observer\n", 24);
    CHECK_EQ_INT(apply_txn_at(0x100000009, COORD_OP_RECONFIG, &body, &reply),
                 0);
    CHECK_EQ_INT(nev, before + 1);
    CHECK_EQ_STR(evs[before].path, "/zookeeper/config");
    struct jute_r r;
    jute_r_init(&r, reply.base, reply.len);
    struct jute_str data = jute_get_buffer(&r);
    struct coord_stat st;
    coord_get_stat(&r, &st);
    CHECK_TRUE(jstr_is(data, "server.2=g:4:5:observer\nversion=100000009"));
    CHECK_EQ_INT(st.version, -1);
    CHECK_EQ_INT(st.mzxid, 0x100000009);
    CHECK_EQ_INT(st.aversion, -1);
    /* an older configuration never replaces a newer one */
    CHECK_EQ_INT(tree_config_set(t, text, sizeof text - 1, 0x100000008, 9),
                 0);
    CHECK_EQ_INT(get_data_w("/zookeeper/config", false, out, sizeof out,
                            &len), 0);
    CHECK_EQ_STR(out, "server.2=g:4:5:observer\nversion=100000009");
    buf_close(&body);
    buf_close(&reply);
}

static CU_TestInfo tests[] = {
    {"reconfig txn sets the config node", reconfig_txn_sets_the_config_node},
    {"sasl ids must parse as kerberos names",
     sasl_ids_must_parse_as_kerberos_names},
    {"sasl acl matches exactly or sasl:super",
     sasl_acl_matches_exactly_or_sasl_super},
    {"invalid acl lists are rejected", invalid_acl_lists_are_rejected},
    {"valid schemes are accepted", valid_schemes_are_accepted},
    {"auth expands to the callers authenticated ids",
     auth_expands_to_the_callers_authenticated_ids},
    {"duplicates are removed", duplicates_are_removed},
    {"digest acl admits only the matching identity",
     digest_acl_admits_only_the_matching_identity},
    {"ip acl matches by prefix", ip_acl_matches_by_prefix},
    {"super bypasses every check", super_bypasses_every_check},
    {"get acl masks digests without admin",
     get_acl_masks_digests_without_admin},
    {"write checks come in zookeeper order",
     write_checks_come_in_zookeeper_order},
    {"set acl bumps aversion and fires nothing",
     set_acl_bumps_aversion_and_fires_nothing},
    {"perms zero grants nothing", perms_zero_grants_nothing},
    {"session zero is acl checked and owns no ephemerals",
     session_zero_is_acl_checked_and_owns_no_ephemerals},
    CU_TEST_INFO_NULL,
};

CU_TestInfo *test_acl_tests = tests;
