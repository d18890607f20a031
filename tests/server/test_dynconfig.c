/* test_dynconfig: /zookeeper/config text, and reconfig requests applied. */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "server/config.h"
#include "server/dynconfig.h"
#include "tests/lib/alloc.h"
#include "tests/lib/check.h"

/* Three participants on loopback, as a test ensemble runs. */
#define THREE                                                                  \
    "server.1=127.0.0.1:22888:23888:participant;127.0.0.1:22181\n"            \
    "server.2=127.0.0.1:22889:23889:participant;127.0.0.1:22182\n"            \
    "server.3=127.0.0.1:22890:23890:participant;127.0.0.1:22183\n"

static struct dyncfg cur, next;
static struct buf text;
static char err[256];

static void setup(void)
{
    buf_init(&text, 1 << 16);
    err[0] = '\0';
    CHECK_EQ_INT_FATAL(dyncfg_parse(THREE, strlen(THREE), &cur, NULL, err,
                                    sizeof err),
                       0);
}

static void teardown(void)
{
    dyncfg_free(&cur);
    dyncfg_free(&next);
    buf_close(&text);
}

/* The canonical text of c, NUL-terminated, valid until the next call. */
static const char *fmt(const struct dyncfg *c)
{
    buf_reset(&text);
    if (dyncfg_format(c, &text) != 0 || buf_append(&text, "", 1) != 0)
        return "(format failed)";
    return (const char *)text.base;
}

static int parse(const char *s, uint64_t *version)
{
    dyncfg_free(&next);
    return dyncfg_parse(s, strlen(s), &next, version, err, sizeof err);
}

static int apply(const char *joining, const char *leaving,
                 const char *new_members)
{
    dyncfg_free(&next);
    return dyncfg_apply(&cur, joining, leaving, new_members, &next, err,
                        sizeof err);
}

/* Parses s, expects the canonical text want, and parses that back equal. */
static void round_trip(const char *s, const char *want)
{
    struct dyncfg again = {0};
    CHECK_EQ_INT(parse(s, NULL), 0);
    CHECK_EQ_STR(fmt(&next), want);
    CHECK_EQ_INT(dyncfg_parse(want, strlen(want), &again, NULL, err,
                              sizeof err),
                 0);
    CHECK_TRUE(dyncfg_equal(&next, &again));
    dyncfg_free(&again);
}

/* --- parse and format --- */

static void ipv4_participants_round_trip(void)
{
    round_trip(THREE, THREE);
    CHECK_EQ_INT(next.n, 3);
    CHECK_EQ_INT(dyncfg_voters(&next), 3);
}

/* ZooKeeper 3.8 wrote [0:0:0:0:0:0:0:1] for [::1] and 10.1.2.3 for
 * [::ffff:10.1.2.3] (Java's InetAddress spelling), in brackets. */
static void ipv6_hosts_are_written_in_java_spelling_in_brackets(void)
{
    round_trip("server.1=[::1]:2888:3888:participant;[::1]:2181\n"
               "server.2=[FE80::2]:2888:3888;2182\n"
               "server.3=[::ffff:10.1.2.3]:2888:3888;[::ffff:10.1.2.3]:2181\n"
               "server.4=[2001:db8:0:0:0:0:0:4]:2888:3888;[::]:2181\n",
               "server.1=[0:0:0:0:0:0:0:1]:2888:3888:participant;"
               "[0:0:0:0:0:0:0:1]:2181\n"
               "server.2=[fe80:0:0:0:0:0:0:2]:2888:3888:participant;"
               "0.0.0.0:2182\n"
               "server.3=10.1.2.3:2888:3888:participant;10.1.2.3:2181\n"
               "server.4=[2001:db8:0:0:0:0:0:4]:2888:3888:participant;"
               "[0:0:0:0:0:0:0:0]:2181\n");
    const struct coord_config_server *s = dyncfg_find(&next, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CHECK_EQ_STR(s->host, "0:0:0:0:0:0:0:1");
    CHECK_EQ_STR(s->client_host, "0:0:0:0:0:0:0:1");
    /* host names keep the case they were given */
    CHECK_EQ_INT(parse("server.1=ZK1.Example:1:2;zk1:3\n", NULL), 0);
    CHECK_EQ_STR(fmt(&next), "server.1=ZK1.Example:1:2:participant;zk1:3\n");
}

static void observer_role_and_missing_client_port_round_trip(void)
{
    round_trip("server.7=zk7.example.com:2888:3888:observer\n"
               "server.2=zk2.example.com:2888:3888\n",
               "server.2=zk2.example.com:2888:3888:participant\n"
               "server.7=zk7.example.com:2888:3888:observer\n");
    const struct coord_config_server *s = dyncfg_find(&next, 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CHECK_TRUE(s->observer);
    CHECK_EQ_INT(s->client_port, 0);
    CU_ASSERT_PTR_NULL(s->client_host);
    CU_ASSERT_PTR_NULL(dyncfg_find(&next, 3));
}

static void a_client_port_without_host_is_written_as_any_address(void)
{
    round_trip("server.1=10.0.0.1:2888:3888:participant;2181\n",
               "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n");
    CHECK_EQ_STR(next.s[0].client_host, "0.0.0.0");
}

/* An empty buffer's base is NULL: that is the empty text. */
static void a_null_text_of_length_zero_is_empty(void)
{
    uint64_t v = 1;
    dyncfg_free(&next);
    CHECK_EQ_INT(dyncfg_parse(NULL, 0, &next, &v, err, sizeof err), 0);
    CHECK_EQ_INT(next.n, 0);
    CHECK_EQ_INT(v, 0);
}

static void the_version_line_is_returned_not_kept(void)
{
    uint64_t v = 1;
    CHECK_EQ_INT(parse(THREE "version=100000003\n", &v), 0);
    CHECK_EQ_INT(v, 0x100000003ULL);
    CHECK_EQ_STR(fmt(&next), THREE);
    CHECK_EQ_INT(parse(THREE, &v), 0);
    CHECK_EQ_INT(v, 0);
    /* as ZooKeeper writes it: no newline after the version */
    CHECK_EQ_INT(parse("version=a\n\n  server.1=h:1:2;3  \r\n", &v), 0);
    CHECK_EQ_INT(v, 10);
    CHECK_EQ_STR(fmt(&next), "server.1=h:1:2:participant;0.0.0.0:3\n");
    CHECK_EQ_INT(parse("", &v), 0);
    CHECK_EQ_INT(next.n, 0);
}

static void bad_lines_are_refused_with_a_reason(void)
{
    static const char *const bad[] = {
        "server.1\n",
        "clientPort=2181\n",
        "server.x=h:1:2\n",
        "server.-1=h:1:2\n",
        "server.1=h:1\n",
        "server.1=h:1:1\n",
        "server.1=h:1:2:voter\n",
        "server.1=h:1:2;0\n",
        "version=xyz\n",
        "version=1\nversion=2\n",
        "# a comment\n",
        /* hosts that would not read back from the text we write */
        "server.1=[ h]:1:2\n",
        "server.1=[[h]:1:2\n",
        "server.1=[h\tx]:1:2\n",
        "server.1=h:1:2;[a b]:3\n",
        "server.1=h,x:1:2\n",
        "server.1=h=x:1:2\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        CHECK_EQ_INT(parse(bad[i], NULL), COORD_EBADARGUMENTS);
        CHECK_TRUE(err[0] != '\0');
        CHECK_EQ_INT(next.n, 0);
    }
    CHECK_EQ_INT(parse("server.1=h:1:2\nserver.2=h:3\n", NULL),
                 COORD_EBADARGUMENTS);
    CHECK_TRUE(strstr(err, "server.2") != NULL);
}

static void a_zoo_cfg_gives_the_same_membership(void)
{
    struct coord_config cfg;
    char cerr[256];
    CHECK_EQ_INT_FATAL(coord_config_defaults(&cfg), 0);
    CHECK_EQ_INT(coord_config_set(&cfg, "server.3",
                                  "127.0.0.1:22890:23890;127.0.0.1:22183",
                                  cerr, sizeof cerr),
                 0);
    CHECK_EQ_INT(coord_config_set(&cfg, "server.1",
                                  "127.0.0.1:22888:23888;127.0.0.1:22181",
                                  cerr, sizeof cerr),
                 0);
    CHECK_EQ_INT(coord_config_set(&cfg, "server.2",
                                  "127.0.0.1:22889:23889:participant;"
                                  "127.0.0.1:22182",
                                  cerr, sizeof cerr),
                 0);
    CHECK_EQ_INT(dyncfg_from_config(&cfg, &next), 0);
    CHECK_TRUE(dyncfg_equal(&next, &cur));
    CHECK_EQ_STR(fmt(&next), THREE);
    coord_config_free(&cfg);
}

static void equality_notices_every_field(void)
{
    CHECK_EQ_INT(parse(THREE, NULL), 0);
    CHECK_TRUE(dyncfg_equal(&cur, &next));
    next.s[1].observer = true;
    CHECK_TRUE(!dyncfg_equal(&cur, &next));
    next.s[1].observer = false;
    next.s[2].client_port++;
    CHECK_TRUE(!dyncfg_equal(&cur, &next));
    next.s[2].client_port--;
    next.s[0].host[0] = 'x';
    CHECK_TRUE(!dyncfg_equal(&cur, &next));
}

static CU_TestInfo text_tests[] = {
    {"IPv4 participants round trip", ipv4_participants_round_trip},
    {"IPv6 hosts are written in Java's spelling, in brackets",
     ipv6_hosts_are_written_in_java_spelling_in_brackets},
    {"observer role and missing client port round trip",
     observer_role_and_missing_client_port_round_trip},
    {"a client port without host is written as the any address",
     a_client_port_without_host_is_written_as_any_address},
    {"a NULL text of length zero is empty",
     a_null_text_of_length_zero_is_empty},
    {"the version line is returned, not kept",
     the_version_line_is_returned_not_kept},
    {"bad lines are refused with a reason",
     bad_lines_are_refused_with_a_reason},
    {"a zoo.cfg gives the same membership",
     a_zoo_cfg_gives_the_same_membership},
    {"equality notices every field", equality_notices_every_field},
    CU_TEST_INFO_NULL,
};

/* --- reconfig --- */

static void a_participant_joins(void)
{
    CHECK_EQ_INT(apply("server.4=127.0.0.1:22891:23891:participant;"
                       "127.0.0.1:22184",
                       NULL, NULL),
                 0);
    CHECK_EQ_STR(fmt(&next),
                 THREE "server.4=127.0.0.1:22891:23891:participant;"
                       "127.0.0.1:22184\n");
    CHECK_EQ_INT(dyncfg_voters(&next), 4);
    CHECK_EQ_INT(cur.n, 3); /* cur is left alone */
}

static void an_observer_joins_and_does_not_vote(void)
{
    CHECK_EQ_INT(apply("server.5=127.0.0.1:22892:23892:observer;22185", "",
                       ""),
                 0);
    CHECK_EQ_INT(next.n, 4);
    CHECK_EQ_INT(dyncfg_voters(&next), 3);
    CHECK_EQ_STR(fmt(&next),
                 THREE "server.5=127.0.0.1:22892:23892:observer;"
                       "0.0.0.0:22185\n");
}

static void a_server_leaves(void)
{
    CHECK_EQ_INT(apply(NULL, "3", NULL), 0);
    CHECK_EQ_INT(next.n, 2);
    CU_ASSERT_PTR_NULL(dyncfg_find(&next, 3));
    CU_ASSERT_PTR_NOT_NULL(dyncfg_find(&next, 2));
}

static void an_unknown_leaving_id_is_ignored(void)
{
    CHECK_EQ_INT(apply(NULL, "9", NULL), 0);
    CHECK_TRUE(dyncfg_equal(&next, &cur));
    CHECK_EQ_INT(apply(NULL, "2,9", NULL), 0);
    CHECK_EQ_INT(next.n, 2);
}

static void a_participant_becomes_an_observer_by_joining_again(void)
{
    CHECK_EQ_INT(apply("server.2=127.0.0.1:22889:23889:observer;"
                       "127.0.0.1:22182",
                       NULL, NULL),
                 0);
    CHECK_EQ_INT(next.n, 3);
    CHECK_TRUE(dyncfg_find(&next, 2)->observer);
    CHECK_EQ_INT(dyncfg_voters(&next), 2);
    /* its own addresses are no clash with itself */
    CHECK_EQ_INT(err[0], '\0');
}

static void bare_ids_and_server_keys_both_name_a_joiner(void)
{
    CHECK_EQ_INT(apply("4=10.0.0.4:2888:3888;2181,"
                       "server.5=10.0.0.5:2888:3888:observer;2181",
                       NULL, NULL),
                 0);
    CHECK_EQ_INT(next.n, 5);
    CHECK_EQ_STR(dyncfg_find(&next, 4)->host, "10.0.0.4");
    CHECK_TRUE(dyncfg_find(&next, 5)->observer);
}

static void blanks_around_entries_are_ignored(void)
{
    CHECK_EQ_INT(apply(" server.4 = 10.0.0.4:2888:3888:participant;2181 , ",
                       " 1 ,  3 ", NULL),
                 0);
    CHECK_EQ_STR(fmt(&next),
                 "server.2=127.0.0.1:22889:23889:participant;"
                 "127.0.0.1:22182\n"
                 "server.4=10.0.0.4:2888:3888:participant;0.0.0.0:2181\n");
}

static void leavers_go_before_joiners(void)
{
    /* server.4 takes over server.3's addresses in the same request */
    CHECK_EQ_INT(apply("server.4=127.0.0.1:22890:23890;127.0.0.1:22183", "3",
                       NULL),
                 0);
    CHECK_EQ_INT(next.n, 3);
    CU_ASSERT_PTR_NULL(dyncfg_find(&next, 3));
    CHECK_EQ_INT(dyncfg_find(&next, 4)->peer_port, 22890);
}

static void bulk_new_members_replace_the_list(void)
{
    CHECK_EQ_INT(apply(NULL, NULL,
                       "server.1=10.0.0.1:2888:3888:participant;2181,"
                       "server.2=10.0.0.2:2888:3888;2181\n"
                       "version=100000000\n"
                       " server.9 = 10.0.0.9:2888:3888:observer"),
                 0);
    CHECK_EQ_STR(fmt(&next),
                 "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n"
                 "server.2=10.0.0.2:2888:3888:participant;0.0.0.0:2181\n"
                 "server.9=10.0.0.9:2888:3888:observer\n");
}

static void bulk_entries_need_server_keys(void)
{
    /* ZooKeeper parses the list as properties: "Unrecognised parameter" */
    CHECK_EQ_INT(apply(NULL, NULL, "1=10.0.0.1:2888:3888;2181"),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(apply(NULL, NULL, "server.1=10.0.0.1:2888"),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(next.n, 0);
}

/* ZooKeeper reads newMembers first and then ignores joining and leaving. */
static void new_members_win_over_joining_and_leaving(void)
{
    CHECK_EQ_INT(apply(NULL, "3", "server.1=10.0.0.1:2888:3888;2181"), 0);
    CHECK_EQ_STR(fmt(&next),
                 "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n");
    CHECK_EQ_INT(apply("server.4=10.0.0.4:2888:3888;2181", "1,2",
                       "server.1=10.0.0.1:2888:3888;2181,"
                       "server.2=10.0.0.2:2888:3888;2181"),
                 0);
    CHECK_EQ_INT(next.n, 2);
    CU_ASSERT_PTR_NULL(dyncfg_find(&next, 4));
    CHECK_EQ_STR(dyncfg_find(&next, 1)->host, "10.0.0.1");
    /* even joining and leaving that are malformed are not looked at */
    CHECK_EQ_INT(apply("server.4", "two", "server.1=10.0.0.1:2888:3888;2181"),
                 0);
    CHECK_EQ_INT(next.n, 1);
    /* but new members of their own are still checked */
    CHECK_EQ_INT(apply("server.4=10.0.0.4:2888:3888;2181", NULL,
                       "server.1=10.0.0.1:2888"),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(next.n, 0);
}

/* ZooKeeper accepts it as a reconfig that changes nothing but the version. */
static void a_request_with_nothing_keeps_the_membership(void)
{
    CHECK_EQ_INT(apply(NULL, NULL, NULL), 0);
    CHECK_TRUE(dyncfg_equal(&next, &cur));
    CHECK_EQ_STR(fmt(&next), THREE);
    CHECK_EQ_INT(err[0], '\0');
    CHECK_EQ_INT(apply("", " ", "\n"), 0);
    CHECK_TRUE(dyncfg_equal(&next, &cur));
    CHECK_TRUE(next.s != cur.s); /* a copy, not cur's storage */
    CHECK_TRUE(next.s[0].host != cur.s[0].host);
}

static void a_joiner_without_a_client_port_is_refused(void)
{
    CHECK_EQ_INT(apply("server.4=10.0.0.4:2888:3888:participant", NULL, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_TRUE(strstr(err, "3 ports") != NULL);
    CHECK_EQ_INT(next.n, 0);
}

static void malformed_joiners_are_refused(void)
{
    static const char *const joiners[] = {
        "server.4",
        "server.4=",
        "=10.0.0.4:2888:3888;2181",
        "server.x=10.0.0.4:2888:3888;2181",
        "server.4=10.0.0.4:2888:3888;2181=x",
        "server.4=10.0.0.4:2888;2181",
        "server.4=10.0.0.4:2888:2888;2181",
    };
    for (size_t i = 0; i < sizeof joiners / sizeof *joiners; i++)
        CHECK_EQ_INT(apply(joiners[i], NULL, NULL), COORD_EBADARGUMENTS);
    /* a line break in a host would split the line when written (found by
     * fuzz_dynconfig) */
    CHECK_EQ_INT(apply("server.4=[fd00\n::4]:2888:3888;2181", NULL, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_TRUE(strstr(err, "host") != NULL);
    CHECK_EQ_INT(apply(NULL, NULL, "server.4=10.0.0.4:2888:3888;[a\rb]:2181"),
                 COORD_EBADARGUMENTS);
}

/* Long.parseLong's NumberFormatException is MarshallingError in ZooKeeper. */
static void a_leaving_id_that_is_no_number_is_a_marshalling_error(void)
{
    static const char *const leavers[] = {
        "two", "1;2", "1 2", "0x3", "3.0", "-", "+",
        "9223372036854775808", "-9223372036854775809",
    };
    for (size_t i = 0; i < sizeof leavers / sizeof *leavers; i++) {
        err[0] = '\0';
        CHECK_EQ_INT(apply(NULL, leavers[i], NULL), COORD_EMARSHALLING);
        CHECK_TRUE(strstr(err, "leaving") != NULL);
        CHECK_EQ_INT(next.n, 0);
    }
    /* checked before any joiner */
    CHECK_EQ_INT(apply("server.4", "1,x", NULL), COORD_EMARSHALLING);
    /* a sign is a number to Java: +3 leaves, -1 and the extremes are
     * unknown ids */
    CHECK_EQ_INT(apply(NULL, "+3,-1,9223372036854775807,"
                             "-9223372036854775808",
                       NULL),
                 0);
    CHECK_EQ_INT(next.n, 2);
    CU_ASSERT_PTR_NULL(dyncfg_find(&next, 3));
}

static void a_joiner_clashing_with_another_server_is_refused(void)
{
    /* its peer port is server.2's election port */
    CHECK_EQ_INT(apply("server.4=127.0.0.1:23889:23999;127.0.0.1:22184", NULL,
                       NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_STR(err, "127.0.0.1:23889 of server.4 conflicts with server.2");
    /* its client address is server.1's */
    CHECK_EQ_INT(apply("server.4=127.0.0.1:22999:23999;127.0.0.1:22181", NULL,
                       NULL),
                 COORD_EBADARGUMENTS);
    /* two joiners of one request clash with each other */
    CHECK_EQ_INT(apply("server.4=10.0.0.4:2888:3888;2181,"
                       "server.5=10.0.0.4:2888:3889;2181",
                       NULL, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_TRUE(strstr(err, "server.5") != NULL);
    /* one IPv6 address spelled two ways */
    CHECK_EQ_INT(apply("server.4=[fd00::4]:2888:3888;2181,"
                       "server.5=[fd00:0::4]:2889:3889;[fd00:0:0:0:0:0:0:4]:"
                       "2888",
                       NULL, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_STR(err, "[fd00:0:0:0:0:0:0:4]:2888 of server.5 conflicts with "
                      "server.4");
    CHECK_EQ_INT(next.n, 0);
}

static void the_any_address_never_clashes(void)
{
    CHECK_EQ_INT(apply(NULL, NULL,
                       "server.1=10.0.0.1:2888:3888;2181,"
                       "server.2=10.0.0.2:2888:3888;2181"),
                 0);
    dyncfg_free(&cur);
    cur = next;
    next = (struct dyncfg){0};
    CHECK_EQ_INT(apply("server.3=10.0.0.3:2888:3888;0.0.0.0:2181", NULL, NULL),
                 0);
    CHECK_EQ_INT(next.n, 3);
}

static void removing_every_participant_is_refused(void)
{
    CHECK_EQ_INT(apply(NULL, "1,2,3", NULL), COORD_EBADARGUMENTS);
    CHECK_TRUE(strstr(err, "participant") != NULL);
    CHECK_EQ_INT(apply("server.4=10.0.0.4:2888:3888:observer;2181", "1,2,3",
                       NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(apply(NULL, NULL, "server.4=10.0.0.4:2888:3888:observer"),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(apply(NULL, NULL, "version=1"), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(next.n, 0);
    /* one participant is enough here; standaloneEnabled is the caller's */
    CHECK_EQ_INT(apply(NULL, "1,2", NULL), 0);
    CHECK_EQ_INT(dyncfg_voters(&next), 1);
}

static CU_TestInfo apply_tests[] = {
    {"a participant joins", a_participant_joins},
    {"an observer joins and does not vote",
     an_observer_joins_and_does_not_vote},
    {"a server leaves", a_server_leaves},
    {"an unknown leaving id is ignored", an_unknown_leaving_id_is_ignored},
    {"a participant becomes an observer by joining again",
     a_participant_becomes_an_observer_by_joining_again},
    {"bare ids and server keys both name a joiner",
     bare_ids_and_server_keys_both_name_a_joiner},
    {"blanks around entries are ignored", blanks_around_entries_are_ignored},
    {"leavers go before joiners", leavers_go_before_joiners},
    {"bulk new members replace the list", bulk_new_members_replace_the_list},
    {"bulk entries need server keys", bulk_entries_need_server_keys},
    {"new members win over joining and leaving",
     new_members_win_over_joining_and_leaving},
    {"a request with nothing keeps the membership",
     a_request_with_nothing_keeps_the_membership},
    {"a joiner without a client port is refused",
     a_joiner_without_a_client_port_is_refused},
    {"malformed joiners are refused", malformed_joiners_are_refused},
    {"a leaving id that is no number is a marshalling error",
     a_leaving_id_that_is_no_number_is_a_marshalling_error},
    {"a joiner clashing with another server is refused",
     a_joiner_clashing_with_another_server_is_refused},
    {"the any address never clashes", the_any_address_never_clashes},
    {"removing every participant is refused",
     removing_every_participant_is_refused},
    CU_TEST_INFO_NULL,
};

/* --- allocation failures --- */

/* One of everything: parse, incremental and bulk apply, format, copy. */
static int scenario(void)
{
    struct coord_config cfg;
    struct dyncfg a = {0}, b = {0};
    int rc = coord_config_defaults(&cfg);
    if (rc == 0)
        rc = coord_config_set(&cfg, "server.1", "[::1]:1:2;[::1]:3", err,
                              sizeof err);
    if (rc == 0)
        rc = dyncfg_from_config(&cfg, &a);
    coord_config_free(&cfg);
    dyncfg_free(&a);
    if (rc == 0)
        rc = parse(THREE "version=1\n", NULL);
    if (rc == 0)
        rc = dyncfg_apply(&next, "server.4=10.0.0.4:1:2;3,5=10.0.0.5:1:2;3",
                          "1", NULL, &a, err, sizeof err);
    if (rc == 0)
        rc = dyncfg_apply(&a, NULL, NULL,
                          "server.1=h:1:2;3\nserver.2=[::2]:1:2:observer",
                          &b, err, sizeof err);
    if (rc == 0)
        rc = dyncfg_format(&b, &text);
    dyncfg_free(&a);
    dyncfg_free(&b);
    dyncfg_free(&next);
    buf_reset(&text);
    return rc;
}

/*
 * Fails each allocation in turn: nothing leaks, and the only failures are
 * out of memory (or bad arguments, which is how the shared server-line
 * parser in config.c reports its own allocation failures).
 */
static void each_failed_allocation_is_reported_and_leaks_nothing(void)
{
    buf_close(&text); /* its storage would count as live */
    long live = alloc_live();
    unsigned long n;
    for (n = 1; n < 1000; n++) {
        alloc_fail_nth(n);
        int rc = scenario();
        bool hit = alloc_fault_hit();
        alloc_disarm();
        buf_close(&text);
        CHECK_EQ_INT(alloc_live(), live);
        if (!hit) {
            CHECK_EQ_INT(rc, 0);
            break;
        }
        CHECK_TRUE(rc == COORD_ENOMEM || rc == COORD_EBADARGUMENTS ||
                   rc == COORD_EINVAL);
    }
    CHECK_TRUE(n > 20 && n < 1000);
}

static CU_TestInfo torture_tests[] = {
    {"each failed allocation is reported and leaks nothing",
     each_failed_allocation_is_reported_and_leaks_nothing},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"text", NULL, NULL, setup, teardown, text_tests},
    {"apply", NULL, NULL, setup, teardown, apply_tests},
    {"torture", NULL, NULL, setup, teardown, torture_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, suites);
}
