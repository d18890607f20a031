/* test_config: zoo.cfg parsing, defaults, errors and the conf output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/err.h"
#include "server/config.h"
#include "server/log.h"
#include "tests/lib/check.h"

/* Written in the current directory, which is the build tree under make. */
#define CFG_PATH "test_config.zoo.cfg"

static struct coord_config cfg;
static char err[256];

static void setup(void)
{
    CHECK_EQ_INT_FATAL(coord_config_defaults(&cfg), 0);
    err[0] = '\0';
}

static void teardown(void)
{
    coord_config_free(&cfg);
    unlink(CFG_PATH);
}

/* Writes text as the config file and loads it into cfg. */
static int load(const char *text)
{
    FILE *f = fopen(CFG_PATH, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    return coord_config_load(&cfg, CFG_PATH, err, sizeof err);
}

/* Loads text, expects COORD_EINVAL and the message CFG_PATH ":" msg. */
static void expect_error(const char *text, const char *msg)
{
    char want[256];
    snprintf(want, sizeof want, "%s:%s", CFG_PATH, msg);
    CHECK_EQ_INT(load(text), COORD_EINVAL);
    CHECK_EQ_STR(err, want);
}

static int set(const char *key, const char *value)
{
    return coord_config_set(&cfg, key, value, err, sizeof err);
}

/* --- defaults --- */

static void defaults_are_zookeepers_except_where_safety_differs(void)
{
    CHECK_EQ_INT(cfg.tick_time, 2000);
    CHECK_EQ_INT(cfg.init_limit, 10);
    CHECK_EQ_INT(cfg.sync_limit, 5);
    CHECK_EQ_STR(cfg.data_dir, "./coord-data");
    CU_ASSERT_PTR_NULL(cfg.data_log_dir);
    CHECK_EQ_INT(cfg.client_port, 2181);
    CHECK_EQ_STR(cfg.client_port_address, "127.0.0.1");
    CHECK_EQ_INT(cfg.secure_client_port, 0);
    CHECK_EQ_INT(cfg.max_client_cnxns, 60);
    CHECK_EQ_INT(cfg.snap_count, 100000);
    CHECK_EQ_INT(cfg.snap_retain_count, 3);
    CHECK_EQ_INT(cfg.purge_interval, 1);
    CHECK_EQ_INT(cfg.jute_maxbuffer, 1048575);
    CHECK_TRUE(!cfg.reconfig_enabled);
    CHECK_TRUE(!cfg.readonly_enabled);
    CHECK_TRUE(cfg.extended_types_enabled);
    CHECK_TRUE(!cfg.skip_acl);
    CHECK_TRUE(cfg.force_sync);
    CHECK_EQ_INT(cfg.pre_alloc_size_kb, 65536);
    CHECK_EQ_INT(cfg.container_check_interval_ms, 60000);
    CHECK_EQ_INT(cfg.container_max_per_minute, 10000);
    CHECK_EQ_INT(cfg.container_max_never_used_interval_ms, 0);
    CHECK_TRUE(cfg.standalone_enabled);
    CHECK_EQ_INT(cfg.log_level, LOG_INFO);
    CU_ASSERT_PTR_NULL(cfg.super_digest);
    CHECK_EQ_INT(cfg.n_servers, 0);
    CHECK_EQ_INT(cfg.n_unknown, 0);
}

static void session_timeouts_derive_from_tick_time(void)
{
    CHECK_EQ_INT(cfg.min_session_timeout, -1);
    CHECK_EQ_INT(set("tickTime", "3000"), 0);
    coord_config_finish(&cfg);
    CHECK_EQ_INT(cfg.min_session_timeout, 6000);
    CHECK_EQ_INT(cfg.max_session_timeout, 60000);
    coord_config_finish(&cfg); /* idempotent */
    CHECK_EQ_INT(cfg.min_session_timeout, 6000);
}

static void an_explicit_session_timeout_is_kept(void)
{
    CHECK_EQ_INT(load("tickTime=1000\nmaxSessionTimeout=90000\n"), 0);
    coord_config_finish(&cfg);
    CHECK_EQ_INT(cfg.min_session_timeout, 2000);
    CHECK_EQ_INT(cfg.max_session_timeout, 90000);
}

static void conf_output_lists_the_listener_and_timeouts(void)
{
    struct buf b;
    buf_init(&b, 4096);
    coord_config_finish(&cfg);
    CHECK_EQ_INT(coord_config_write(&cfg, &b), 0);
    CHECK_EQ_INT(buf_append(&b, "", 1), 0);
    CHECK_EQ_STR((const char *)b.base,
                 "clientPort=2181\n"
                 "dataDir=./coord-data\n"
                 "dataLogDir=./coord-data\n"
                 "tickTime=2000\n"
                 "maxClientCnxns=60\n"
                 "minSessionTimeout=4000\n"
                 "maxSessionTimeout=40000\n"
                 "clientPortListenBacklog=-1\n"
                 "serverId=0\n");
    buf_reset(&b);
    CHECK_EQ_INT(set("secureClientPort", "2281"), 0);
    CHECK_EQ_INT(set("dataLogDir", "/var/log/coord"), 0);
    CHECK_EQ_INT(coord_config_write(&cfg, &b), 0);
    CHECK_EQ_INT(buf_append(&b, "", 1), 0);
    CHECK_TRUE(strstr((const char *)b.base, "secureClientPort=2281\n") != NULL);
    CHECK_TRUE(strstr((const char *)b.base, "dataLogDir=/var/log/coord\n") !=
               NULL);
    buf_close(&b);
}

static CU_TestInfo defaults_tests[] = {
    {"defaults are ZooKeeper's except where safety differs",
     defaults_are_zookeepers_except_where_safety_differs},
    {"session timeouts derive from tickTime",
     session_timeouts_derive_from_tick_time},
    {"an explicit session timeout is kept", an_explicit_session_timeout_is_kept},
    {"conf output lists the listener and timeouts",
     conf_output_lists_the_listener_and_timeouts},
    CU_TEST_INFO_NULL,
};

/* --- parsing files --- */

static void a_typical_zookeeper_zoo_cfg_parses(void)
{
    CHECK_EQ_INT(load("# The number of milliseconds of each tick\n"
                      "tickTime=2000\n"
                      "initLimit=10\n"
                      "syncLimit=5\n"
                      "dataDir=/var/lib/zookeeper\n"
                      "dataLogDir=/var/lib/zookeeper-log\n"
                      "clientPort=2182\n"
                      "clientPortAddress=0.0.0.0\n"
                      "maxClientCnxns=100\n"
                      "minSessionTimeout=3000\n"
                      "maxSessionTimeout=30000\n"
                      "snapCount=50000\n"
                      "autopurge.snapRetainCount=5\n"
                      "autopurge.purgeInterval=24\n"
                      "4lw.commands.whitelist=ruok, srvr, mntr\n"
                      "jute.maxbuffer=0x400000\n"
                      "reconfigEnabled=false\n"
                      "readonlymode.enabled=true\n"
                      "standaloneEnabled=true\n"
                      "admin.enableServer=false\n"
                      "admin.serverPort=8080\n"
                      "metricsProvider.className=org.apache.zookeeper."
                      "metrics.prometheus.PrometheusMetricsProvider\n"
                      "metricsProvider.httpPort=7000\n"
                      "server.1=localhost:2888:3888\n"),
                 0);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_INT(cfg.tick_time, 2000);
    CHECK_EQ_STR(cfg.data_dir, "/var/lib/zookeeper");
    CHECK_EQ_STR(cfg.data_log_dir, "/var/lib/zookeeper-log");
    CHECK_EQ_INT(cfg.client_port, 2182);
    CHECK_EQ_STR(cfg.client_port_address, "0.0.0.0");
    CHECK_EQ_INT(cfg.max_client_cnxns, 100);
    CHECK_EQ_INT(cfg.min_session_timeout, 3000);
    CHECK_EQ_INT(cfg.max_session_timeout, 30000);
    CHECK_EQ_INT(cfg.snap_count, 50000);
    CHECK_EQ_INT(cfg.snap_retain_count, 5);
    CHECK_EQ_INT(cfg.purge_interval, 24);
    CHECK_EQ_INT(cfg.jute_maxbuffer, 0x400000);
    CHECK_TRUE(cfg.readonly_enabled);
    CHECK_EQ_INT(cfg.n_servers, 1);
    CHECK_EQ_INT(cfg.n_unknown, 0);
    CHECK_EQ_INT(cfg.n_warnings, 0);
}

static void all_three_separators_and_comments_are_understood(void)
{
    CHECK_EQ_INT(load("! a comment\n"
                      "   # an indented comment\n"
                      "\n"
                      "  tickTime = 1500  \r\n"
                      "clientPort:2190\n"
                      "dataDir /tmp/zk data\n"
                      "maxClientCnxns\t=\t7\n"),
                 0);
    CHECK_EQ_INT(cfg.tick_time, 1500);
    CHECK_EQ_INT(cfg.client_port, 2190);
    CHECK_EQ_STR(cfg.data_dir, "/tmp/zk data");
    CHECK_EQ_INT(cfg.max_client_cnxns, 7);
}

static void a_later_line_overrides_an_earlier_one(void)
{
    CHECK_EQ_INT(load("clientPort=2183\nclientPort=2184\n"), 0);
    CHECK_EQ_INT(cfg.client_port, 2184);
}

static void a_continued_line_is_joined_and_later_lines_keep_their_number(void)
{
    CHECK_EQ_INT(load("dataDir=/var/lib/\\\n    coord\n"
                      "tickTime=x\n"),
                 COORD_EINVAL);
    CHECK_EQ_STR(cfg.data_dir, "/var/lib/coord");
    CHECK_TRUE(strstr(err, ":3: tickTime:") != NULL);
    coord_config_free(&cfg);
    coord_config_defaults(&cfg);
    CHECK_EQ_INT(load("tickTime=100\\"), 0); /* a dangling backslash at EOF */
    CHECK_EQ_INT(cfg.tick_time, 100);
}

static void system_property_spellings_are_accepted(void)
{
    CHECK_EQ_INT(load("zookeeper.jute.maxbuffer=4096\n"
                      "zookeeper.extendedTypesEnabled=false\n"
                      "zookeeper.skipACL=yes\n"
                      "zookeeper.DigestAuthenticationProvider.superDigest="
                      "super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"),
                 0);
    CHECK_EQ_INT(cfg.jute_maxbuffer, 4096);
    CHECK_TRUE(!cfg.extended_types_enabled);
    CHECK_TRUE(cfg.skip_acl);
    CHECK_EQ_STR(cfg.super_digest, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
    CHECK_EQ_INT(cfg.n_unknown, 0);
}

static void container_and_log_level_settings_are_read(void)
{
    CHECK_EQ_INT(load("znode.container.checkIntervalMs=1000\n"
                      "znode.container.maxPerMinute=50\n"
                      "znode.container.maxNeverUsedIntervalMs=5000\n"
                      "logLevel=debug\n"
                      "preAllocSize=1024\n"),
                 0);
    CHECK_EQ_INT(cfg.container_check_interval_ms, 1000);
    CHECK_EQ_INT(cfg.container_max_per_minute, 50);
    CHECK_EQ_INT(cfg.container_max_never_used_interval_ms, 5000);
    CHECK_EQ_INT(cfg.log_level, LOG_DEBUG);
    CHECK_EQ_INT(cfg.pre_alloc_size_kb, 1024);
}

static void unknown_keys_are_returned_with_their_line(void)
{
    CHECK_EQ_INT(load("tickTime=2000\nfrobnicate=1\n\nticktime=3\n"), 0);
    CHECK_EQ_INT_FATAL(cfg.n_unknown, 2);
    CHECK_EQ_STR(cfg.unknown[0].key, "frobnicate");
    CHECK_EQ_INT(cfg.unknown[0].line, 2);
    CHECK_EQ_STR(cfg.unknown[1].key, "ticktime");
    CHECK_EQ_INT(cfg.unknown[1].line, 4);
    CHECK_EQ_INT(set("nosuch", "1"), 0);
    CHECK_EQ_INT_FATAL(cfg.n_unknown, 3);
    CHECK_EQ_INT(cfg.unknown[2].line, 0);
}

static void common_foreign_keys_are_ignored_without_a_warning(void)
{
    CHECK_EQ_INT(load("admin.serverPort=8080\n"
                      "metricsProvider.exportJvmInfo=true\n"
                      "ssl.keyStore.location=/x\n"
                      "group.1=1:2:3\n"
                      "weight.1=1\n"
                      "peerType=observer\n"
                      "electionAlg=3\n"
                      "quorumListenOnAllIPs=true\n"
                      "syncEnabled=false\n"
                      "secureClientPortAddress=0.0.0.0\n"
                      "clientPortListenBacklog=128\n"
                      "dynamicConfigFile=/x/zoo.cfg.dynamic\n"
                      "localSessionsEnabled=true\n"),
                 0);
    CHECK_EQ_INT(cfg.n_unknown, 0);
    CHECK_TRUE(cfg.observer);
    CHECK_TRUE(cfg.quorum_listen_on_all_ips);
    CHECK_TRUE(!cfg.sync_enabled);
    CHECK_EQ_STR(cfg.secure_client_port_address, "0.0.0.0");
    CHECK_EQ_INT(cfg.client_port_listen_backlog, 128);
}

static void disabling_fsync_leaves_a_warning(void)
{
    CHECK_EQ_INT(load("tickTime=2000\nforceSync=no\n"), 0);
    CHECK_TRUE(!cfg.force_sync);
    CHECK_EQ_INT_FATAL(cfg.n_warnings, 1);
    CHECK_TRUE(strstr(cfg.warnings[0], "key=forceSync line=2") != NULL);
}

static void a_retain_count_below_three_is_raised_with_a_warning(void)
{
    CHECK_EQ_INT(load("autopurge.snapRetainCount=1\n"), 0);
    CHECK_EQ_INT(cfg.snap_retain_count, 3);
    CHECK_EQ_INT_FATAL(cfg.n_warnings, 1);
    CHECK_TRUE(strstr(cfg.warnings[0],
                      "key=autopurge.snapRetainCount value=1 line=1") != NULL);
}

static void a_missing_file_is_an_io_error_naming_it(void)
{
    CHECK_EQ_INT(coord_config_load(&cfg, "no/such/zoo.cfg", err, sizeof err),
                 COORD_EIO);
    CHECK_EQ_STR(err, "no/such/zoo.cfg: No such file or directory");
}

static CU_TestInfo parse_tests[] = {
    {"a typical ZooKeeper zoo.cfg parses", a_typical_zookeeper_zoo_cfg_parses},
    {"all three separators and comments are understood",
     all_three_separators_and_comments_are_understood},
    {"a later line overrides an earlier one",
     a_later_line_overrides_an_earlier_one},
    {"a continued line is joined and later lines keep their number",
     a_continued_line_is_joined_and_later_lines_keep_their_number},
    {"system property spellings are accepted",
     system_property_spellings_are_accepted},
    {"container and logLevel settings are read",
     container_and_log_level_settings_are_read},
    {"unknown keys are returned with their line",
     unknown_keys_are_returned_with_their_line},
    {"common foreign keys are ignored without a warning",
     common_foreign_keys_are_ignored_without_a_warning},
    {"disabling fsync leaves a warning", disabling_fsync_leaves_a_warning},
    {"a retain count below three is raised with a warning",
     a_retain_count_below_three_is_raised_with_a_warning},
    {"a missing file is an i/o error naming it",
     a_missing_file_is_an_io_error_naming_it},
    CU_TEST_INFO_NULL,
};

/* --- errors --- */

static void a_non_numeric_tick_time_names_key_and_line(void)
{
    expect_error("# zoo.cfg\n\ntickTime=abc\n",
                 "3: tickTime: expected a positive integer, got \"abc\"");
}

static void a_zero_tick_time_is_refused(void)
{
    expect_error("tickTime=0\n",
                 "1: tickTime: expected a positive integer, got \"0\"");
}

static void ports_out_of_range_are_refused(void)
{
    expect_error("clientPort=-1\n", "1: clientPort: expected a port number "
                                    "from 1 to 65535, got \"-1\"");
    coord_config_free(&cfg);
    coord_config_defaults(&cfg);
    expect_error("tickTime=2000\nclientPort=65536\n",
                 "2: clientPort: expected a port number from 1 to 65535, "
                 "got \"65536\"");
    coord_config_free(&cfg);
    coord_config_defaults(&cfg);
    expect_error("secureClientPort=70000\n",
                 "1: secureClientPort: expected a port number from 0 to "
                 "65535, got \"70000\"");
}

static void trailing_garbage_after_a_number_is_refused(void)
{
    expect_error("maxClientCnxns=60x\n", "1: maxClientCnxns: expected a "
                                         "non-negative integer, got \"60x\"");
}

static void min_above_max_session_timeout_blames_the_later_line(void)
{
    expect_error("maxSessionTimeout=5000\nminSessionTimeout=6000\n",
                 "2: minSessionTimeout: 6000 is larger than "
                 "maxSessionTimeout 5000");
    coord_config_free(&cfg);
    coord_config_defaults(&cfg);
    /* the derived minimum (2 * 2000) is above an explicit maximum */
    expect_error("tickTime=2000\n\nmaxSessionTimeout=3000\n",
                 "3: maxSessionTimeout: 3000 is smaller than "
                 "minSessionTimeout 4000");
}

static void a_bad_boolean_names_its_key(void)
{
    expect_error("reconfigEnabled=maybe\n",
                 "1: reconfigEnabled: expected true or false (yes or no), "
                 "got \"maybe\"");
}

static void an_empty_data_dir_is_refused(void)
{
    expect_error("dataDir=\n",
                 "1: dataDir: expected a value, got an empty string");
}

static void a_bad_log_level_and_peer_type_are_refused(void)
{
    expect_error("logLevel=loud\n", "1: logLevel: expected error, warn, info "
                                    "or debug, got \"loud\"");
    coord_config_free(&cfg);
    coord_config_defaults(&cfg);
    expect_error("peerType=voter\n", "1: peerType: expected participant or "
                                     "observer, got \"voter\"");
}

static void command_line_errors_have_no_file_prefix(void)
{
    CHECK_EQ_INT(set("clientPort", "http"), COORD_EINVAL);
    CHECK_EQ_STR(err, "clientPort: expected a port number from 1 to 65535, "
                      "got \"http\"");
    CHECK_EQ_INT(set("clientPort", "2182"), 0);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_INT(cfg.client_port, 2182);
}

static void a_min_above_max_set_from_the_command_line_is_caught(void)
{
    CHECK_EQ_INT(set("minSessionTimeout", "50000"), 0);
    CHECK_EQ_INT(coord_config_check(&cfg, err, sizeof err), COORD_EINVAL);
    CHECK_EQ_STR(err, "maxSessionTimeout: 40000 is smaller than "
                      "minSessionTimeout 50000");
}

static CU_TestInfo error_tests[] = {
    {"a non-numeric tickTime names key and line",
     a_non_numeric_tick_time_names_key_and_line},
    {"a zero tickTime is refused", a_zero_tick_time_is_refused},
    {"ports out of range are refused", ports_out_of_range_are_refused},
    {"trailing garbage after a number is refused",
     trailing_garbage_after_a_number_is_refused},
    {"min above max session timeout blames the later line",
     min_above_max_session_timeout_blames_the_later_line},
    {"a bad boolean names its key", a_bad_boolean_names_its_key},
    {"an empty dataDir is refused", an_empty_data_dir_is_refused},
    {"a bad logLevel and peerType are refused",
     a_bad_log_level_and_peer_type_are_refused},
    {"command-line errors have no file prefix",
     command_line_errors_have_no_file_prefix},
    {"a min above max set from the command line is caught",
     a_min_above_max_set_from_the_command_line_is_caught},
    CU_TEST_INFO_NULL,
};

/* --- four-letter word whitelist --- */

static void only_srvr_is_allowed_by_default(void)
{
    coord_config_finish(&cfg);
    CHECK_TRUE(coord_config_4lw_allowed(&cfg, "srvr"));
    CHECK_TRUE(!coord_config_4lw_allowed(&cfg, "ruok"));
    CHECK_TRUE(!coord_config_4lw_allowed(&cfg, "isro"));
    CHECK_TRUE(!coord_config_4lw_allowed(&cfg, "nope"));
}

static void read_only_mode_adds_isro_to_the_default(void)
{
    CHECK_EQ_INT(set("readonlymode.enabled", "true"), 0);
    coord_config_finish(&cfg);
    CHECK_TRUE(coord_config_4lw_allowed(&cfg, "isro"));
    CHECK_TRUE(coord_config_4lw_allowed(&cfg, "srvr"));
}

static void a_whitelist_allows_exactly_its_words_and_srvr(void)
{
    CHECK_EQ_INT(load("4lw.commands.whitelist= ruok,,mntr ,conf\n"
                      "readonlymode.enabled=true\n"),
                 0);
    coord_config_finish(&cfg);
    CHECK_EQ_INT(cfg.four_letter_words, COORD_4LW_RUOK | COORD_4LW_MNTR |
                                            COORD_4LW_CONF | COORD_4LW_SRVR);
    CHECK_TRUE(!coord_config_4lw_allowed(&cfg, "isro"));
}

static void a_star_allows_every_word(void)
{
    CHECK_EQ_INT(set("4lw.commands.whitelist", "*"), 0);
    coord_config_finish(&cfg);
    for (size_t i = 0; coord_config_4lw_names[i] != NULL; i++)
        CHECK_TRUE(coord_config_4lw_allowed(&cfg, coord_config_4lw_names[i]));
}

static void an_unknown_word_in_the_whitelist_is_refused(void)
{
    CHECK_EQ_INT(load("4lw.commands.whitelist=ruok, kill\n"), COORD_EINVAL);
    CHECK_TRUE(strstr(err, CFG_PATH ":1: 4lw.commands.whitelist: unknown "
                               "four-letter word \"kill\"") == err);
}

static CU_TestInfo whitelist_tests[] = {
    {"only srvr is allowed by default", only_srvr_is_allowed_by_default},
    {"read-only mode adds isro to the default",
     read_only_mode_adds_isro_to_the_default},
    {"a whitelist allows exactly its words and srvr",
     a_whitelist_allows_exactly_its_words_and_srvr},
    {"a star allows every word", a_star_allows_every_word},
    {"an unknown word in the whitelist is refused",
     an_unknown_word_in_the_whitelist_is_refused},
    CU_TEST_INFO_NULL,
};

/* --- server.N --- */

static void server_lines_give_id_host_ports_and_role(void)
{
    CHECK_EQ_INT(load("server.1=zk1.example.com:2888:3888\n"
                      "server.2=10.0.0.2:2889:3889:participant\n"
                      "server.3=[::1]:2890:3890:observer;2183\n"
                      "server.4=zk4:2888:3888;0.0.0.0:2184\n"
                      "server.5=zk5:2888:3888:observer;[fe80::1]:2185\n"),
                 0);
    CHECK_EQ_INT_FATAL(cfg.n_servers, 5);
    struct coord_config_server *s = cfg.servers;
    CHECK_EQ_INT(s[0].id, 1);
    CHECK_EQ_STR(s[0].host, "zk1.example.com");
    CHECK_EQ_INT(s[0].peer_port, 2888);
    CHECK_EQ_INT(s[0].election_port, 3888);
    CHECK_TRUE(!s[0].observer);
    CU_ASSERT_PTR_NULL(s[0].client_host);
    CHECK_EQ_INT(s[0].client_port, 0);
    CHECK_EQ_STR(s[1].host, "10.0.0.2");
    CHECK_TRUE(!s[1].observer);
    CHECK_EQ_STR(s[2].host, "::1");
    CHECK_TRUE(s[2].observer);
    CU_ASSERT_PTR_NULL(s[2].client_host);
    CHECK_EQ_INT(s[2].client_port, 2183);
    CHECK_EQ_STR(s[3].client_host, "0.0.0.0");
    CHECK_EQ_INT(s[3].client_port, 2184);
    CHECK_TRUE(s[4].observer);
    CHECK_EQ_STR(s[4].client_host, "fe80::1");
    CHECK_EQ_INT(s[4].client_port, 2185);
}

static void a_repeated_server_line_replaces_the_first(void)
{
    CHECK_EQ_INT(load("server.1=a:1:2\nserver.1=b:3:4\n"), 0);
    CHECK_EQ_INT_FATAL(cfg.n_servers, 1);
    CHECK_EQ_STR(cfg.servers[0].host, "b");
}

static void malformed_server_lines_are_refused(void)
{
    static const char *const bad[] = {
        "server.1=host\n",          "server.1=host:2888\n",
        "server.1=host:2888:x\n",   "server.1=host:0:3888\n",
        "server.1=host:2888:3888:voter\n",
        "server.1=host:2888:3888;\n",
        "server.1=host:2888:3888;h:99999\n",
        "server.1=:2888:3888\n",    "server.1=[::1:2888:3888\n",
        "server.1=a:1:2|b:1:2\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        coord_config_free(&cfg);
        coord_config_defaults(&cfg);
        CHECK_EQ_INT(load(bad[i]), COORD_EINVAL);
        CHECK_TRUE(strstr(err, CFG_PATH ":1: server.1: ") == err);
    }
}

static void a_server_number_must_be_an_integer(void)
{
    expect_error("\nserver.x=a:1:2\n",
                 "2: server.x: expected server.N with N a non-negative "
                 "integer");
}

static CU_TestInfo server_tests[] = {
    {"server lines give id, host, ports and role",
     server_lines_give_id_host_ports_and_role},
    {"a repeated server line replaces the first",
     a_repeated_server_line_replaces_the_first},
    {"malformed server lines are refused", malformed_server_lines_are_refused},
    {"a server number must be an integer", a_server_number_must_be_an_integer},
    CU_TEST_INFO_NULL,
};

/* --- superDigest --- */

static void a_valid_super_digest_is_kept(void)
{
    CHECK_EQ_INT(set("DigestAuthenticationProvider.superDigest",
                     "super:D/InIHSb7yEEbrWz8b9l71RjZJU="),
                 0);
    CHECK_EQ_STR(cfg.super_digest, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
}

static void a_super_digest_must_be_user_colon_base64_sha1(void)
{
    static const char *const bad[] = {
        "D/InIHSb7yEEbrWz8b9l71RjZJU=",       /* no user */
        ":D/InIHSb7yEEbrWz8b9l71RjZJU=",      /* empty user */
        "super:secret",                       /* a password, not a digest */
        "super:D/InIHSb7yEEbrWz8b9l71RjZJU",  /* padding missing */
        "super:D/InIHSb7yEEbrWz8b9l71RjZJ*=", /* not base64 */
        "super:D/InIHSb7yEEbrWz8b9l71RjZJV=", /* non-zero padding bits */
        "super:D/InIHSb7yEEbrWz8b9l71RjZJUA=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(set("DigestAuthenticationProvider.superDigest", bad[i]),
                     COORD_EINVAL);
        CHECK_TRUE(strstr(err, "DigestAuthenticationProvider.superDigest: "
                               "expected user:BASE64") == err);
    }
    CU_ASSERT_PTR_NULL(cfg.super_digest);
}

static CU_TestInfo digest_tests[] = {
    {"a valid superDigest is kept", a_valid_super_digest_is_kept},
    {"a superDigest must be user:base64(sha1)",
     a_super_digest_must_be_user_colon_base64_sha1},
    CU_TEST_INFO_NULL,
};

/* --- sasl.digest.users --- */

static void sasl_users_are_parsed_in_order(void)
{
    CHECK_EQ_INT(set("sasl.digest.users", "bob:s3cret, alice:a:b:c ,carol:x"),
                 0);
    CHECK_EQ_INT((int)cfg.n_sasl_users, 3);
    CHECK_EQ_STR(cfg.sasl_users[0].user, "bob");
    CHECK_EQ_STR(cfg.sasl_users[0].password, "s3cret");
    CHECK_EQ_STR(cfg.sasl_users[1].user, "alice");
    CHECK_EQ_STR(cfg.sasl_users[1].password, "a:b:c");
    CHECK_EQ_STR(cfg.sasl_users[2].user, "carol");
    CHECK_EQ_STR(cfg.sasl_users[2].password, "x");
    /* a later setting replaces the list */
    CHECK_EQ_INT(set("sasl.digest.users", "dave:pw"), 0);
    CHECK_EQ_INT((int)cfg.n_sasl_users, 1);
    CHECK_EQ_STR(cfg.sasl_users[0].user, "dave");
}

static void malformed_sasl_users_are_refused_without_the_password(void)
{
    static const char *const bad[] = {
        "", "bob", "bob:", ":pw", "bob:pw,", "bob:pw,,alice:x", " , ",
        "bob:hunter2,alice",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(set("sasl.digest.users", bad[i]), COORD_EINVAL);
        CHECK_TRUE(strstr(err, "sasl.digest.users: entry ") == err);
        CHECK_TRUE(strstr(err, "hunter2") == NULL);
    }
    CHECK_EQ_INT(set("sasl.digest.users", "bob:hunter2,bob:other"),
                 COORD_EINVAL);
    CHECK_EQ_STR(err, "sasl.digest.users: entry 2: user \"bob\" given twice");
    CHECK_EQ_INT((int)cfg.n_sasl_users, 0);
    CU_ASSERT_PTR_NULL(cfg.sasl_users);
}

static void gssapi_keys_are_parsed(void)
{
    CHECK_EQ_INT(set("sasl.gssapi.keytab", "/etc/zk.keytab"), 0);
    CHECK_EQ_STR(cfg.sasl_gssapi_keytab, "/etc/zk.keytab");
    CHECK_EQ_INT(set("sasl.gssapi.principal", "zookeeper/zk1.example@EX.ORG"),
                 0);
    CHECK_EQ_STR(cfg.sasl_gssapi_principal, "zookeeper/zk1.example@EX.ORG");
    CHECK_EQ_INT((int)cfg.n_warnings, 0);
    CHECK_EQ_INT((int)cfg.n_unknown, 0);
    const char *bad[] = {"zookeeper", "zookeeper@EX.ORG", "/h@R", "z/@R",
                         "z/h@", "z/h", "z/h/i@R"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_EQ_INT(set("sasl.gssapi.principal", bad[i]), COORD_EINVAL);
}

static CU_TestInfo sasl_tests[] = {
    {"sasl users are parsed in order", sasl_users_are_parsed_in_order},
    {"malformed sasl users are refused without the password",
     malformed_sasl_users_are_refused_without_the_password},
    {"gssapi keys are parsed", gssapi_keys_are_parsed},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"defaults", NULL, NULL, setup, teardown, defaults_tests},
    {"parse", NULL, NULL, setup, teardown, parse_tests},
    {"errors", NULL, NULL, setup, teardown, error_tests},
    {"whitelist", NULL, NULL, setup, teardown, whitelist_tests},
    {"servers", NULL, NULL, setup, teardown, server_tests},
    {"superDigest", NULL, NULL, setup, teardown, digest_tests},
    {"sasl", NULL, NULL, setup, teardown, sasl_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, suites);
}
