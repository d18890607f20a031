/* coordd's settings: zoo.cfg keys, their defaults, parsing and validation. */
#ifndef COORD_SERVER_CONFIG_H
#define COORD_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

/*
 * The four-letter words, one bit each, for 4lw.commands.whitelist. The order
 * is the order of coord_config_4lw_names[].
 */
enum coord_4lw {
    COORD_4LW_RUOK = 1u << 0,
    COORD_4LW_SRVR = 1u << 1,
    COORD_4LW_STAT = 1u << 2,
    COORD_4LW_MNTR = 1u << 3,
    COORD_4LW_CONF = 1u << 4,
    COORD_4LW_CONS = 1u << 5,
    COORD_4LW_CRST = 1u << 6,
    COORD_4LW_SRST = 1u << 7,
    COORD_4LW_WCHS = 1u << 8,
    COORD_4LW_WCHC = 1u << 9,
    COORD_4LW_WCHP = 1u << 10,
    COORD_4LW_DUMP = 1u << 11,
    COORD_4LW_ENVI = 1u << 12,
    COORD_4LW_ISRO = 1u << 13,
    COORD_4LW_DIRS = 1u << 14,
    COORD_4LW_GTMK = 1u << 15,
    COORD_4LW_STMK = 1u << 16,
    COORD_4LW_HASH = 1u << 17,
    COORD_4LW_ALL = (1u << 18) - 1,
};

/* NULL-terminated list of the known words, bit i is coord_4lw_names[i]. */
extern const char *const coord_config_4lw_names[];

/* One `server.N=host:peerPort:electionPort[:role][;[clientHost:]clientPort]`. */
struct coord_config_server {
    int64_t id;            /* N */
    char *host;            /* without IPv6 brackets */
    int peer_port;         /* quorum port (2888 by convention) */
    int election_port;     /* leader election port (3888 by convention) */
    bool observer;         /* role: participant (false) or observer */
    char *client_host;     /* NULL when not given */
    int client_port;       /* 0 when not given */
};

/* ssl.clientAuth: whether a TLS client must present a certificate. */
enum coord_ssl_auth {
    COORD_SSL_AUTH_NONE, /* not asked for */
    COORD_SSL_AUTH_WANT, /* asked for; verified when given */
    COORD_SSL_AUTH_NEED, /* required and verified (ZooKeeper's default) */
};

/* One `user:password` of sasl.digest.users (SASL DIGEST-MD5). */
struct coord_config_sasl_user {
    char *user;
    char *password;
};

/* A key the parser did not know; main logs `config: unknown key=K line=N`. */
struct coord_config_unknown {
    char *key;
    int line; /* 0 when set through coord_config_set() */
};

/*
 * Every setting, holding ZooKeeper's default unless noted. Strings are owned
 * (malloc'd) and freed by coord_config_free(). Times are milliseconds unless
 * the name says otherwise.
 */
struct coord_config {
    /* timing */
    int tick_time;           /* tickTime, > 0; 2000 */
    int init_limit;          /* initLimit, ticks; 10 */
    int sync_limit;          /* syncLimit, ticks; 5 */
    int min_session_timeout; /* -1 = 2 * tickTime (resolved by _finish) */
    int max_session_timeout; /* -1 = 20 * tickTime (resolved by _finish) */

    /* storage */
    char *data_dir;          /* dataDir; "./coord-data" (coordd's default) */
    char *data_log_dir;      /* dataLogDir; NULL = data_dir */
    long snap_count;         /* snapCount, txns between snapshots; 100000 */
    int snap_retain_count;   /* autopurge.snapRetainCount, >= 3; 3 */
    int purge_interval;      /* autopurge.purgeInterval, hours; 1 (0 = off) */
    bool force_sync;         /* forceSync / zookeeper.forceSync; true */
    long pre_alloc_size_kb;  /* preAllocSize, KiB; 65536 */

    /* client listener */
    int client_port;              /* clientPort, 1..65535; 2181 */
    char *client_port_address;    /* clientPortAddress; "127.0.0.1" */
    int secure_client_port;       /* secureClientPort; 0 = off */
    char *secure_client_port_address; /* NULL = client_port_address */
    int client_port_listen_backlog;   /* clientPortListenBacklog; -1 = OS */
    int max_client_cnxns;         /* maxClientCnxns per client IP; 60, 0 = no limit */
    int connection_throttle_rate; /* new client connections a second; 0 = off */
    int connection_throttle_burst; /* ... and the bucket's size; 100 */

    /* TLS, one section for every TLS listener (secure client port, HTTPS,
     * and the peer links with sslQuorum).
     * PEM files only; a file key left NULL falls back as noted. */
    char *ssl_cert_file;          /* ssl.certFile; NULL = ssl_key_store */
    char *ssl_key_file;           /* ssl.keyFile; NULL = ssl_key_store, then
                                     ssl_cert_file */
    char *ssl_ca_file;            /* ssl.caFile; NULL = ssl_trust_store */
    char *ssl_key_store;          /* ssl.keyStore.location when *.pem */
    char *ssl_trust_store;        /* ssl.trustStore.location when *.pem */
    char *ssl_key_password;       /* ssl.keyStore.password; NULL */
    int ssl_client_auth;          /* ssl.clientAuth: enum coord_ssl_auth; need */
    int ssl_min_protocol;         /* ssl.protocol, minimum: 12 (TLSv1.2), 13 */
    bool ssl_quorum;              /* sslQuorum: peer links over TLS too; false */

    /* REST/JSON gateway and operations endpoints (coord extension) */
    int http_port;                /* httpPort; 0 = off */
    char *http_port_address;      /* httpPortAddress; NULL = client_port_address */
    int https_port;               /* httpsPort: the gateway over TLS; 0 = off */
    char *https_port_address;     /* httpsPortAddress; NULL = http_port_address,
                                     then client_port_address */
    int http_history_size;        /* httpHistorySize, change events kept for
                                     resuming watch streams; 10000 */
    long http_max_queued_bytes;   /* httpMaxQueuedBytes: unsent output a
                                     watch stream may hold; 1 MiB */

    /* protocol and features */
    long jute_maxbuffer;          /* jute.maxbuffer, bytes; 1048575 */
    uint32_t four_letter_words;   /* enum coord_4lw bits; see _finish */
    bool four_letter_words_set;   /* 4lw.commands.whitelist was given */
    bool reconfig_enabled;        /* reconfigEnabled; false */
    bool readonly_enabled;        /* readonlymode.enabled; false */
    bool extended_types_enabled;  /* extendedTypesEnabled (TTL nodes); true */
    bool skip_acl;                /* skipACL; false */
    char *super_digest;           /* "super:BASE64(SHA1)" or NULL */
    /* SASL (opcode 102): DIGEST-MD5 users, in the order given; none = off */
    struct coord_config_sasl_user *sasl_users; /* sasl.digest.users */
    size_t n_sasl_users;
    char *sasl_gssapi_keytab;     /* sasl.gssapi.keytab; NULL = no GSSAPI */
    char *sasl_gssapi_principal;  /* sasl.gssapi.principal: service/host@REALM */
    long container_check_interval_ms;      /* znode.container.checkIntervalMs; 60000 */
    long container_max_per_minute;         /* znode.container.maxPerMinute; 10000 */
    long container_max_never_used_interval_ms; /* ...maxNeverUsedIntervalMs; 0 */

    /* ensemble (parsed now, used by the Zab work later) */
    bool standalone_enabled;      /* standaloneEnabled; true */
    bool quorum_listen_on_all_ips;/* quorumListenOnAllIPs; false */
    bool sync_enabled;            /* syncEnabled (observers log txns); true */
    bool observer;                /* peerType=observer */
    int election_alg;             /* electionAlg; 3 (the only one) */
    int64_t server_id;            /* from dataDir/myid, set by main; 0 */
    struct coord_config_server *servers; /* server.N lines, in file order */
    size_t n_servers;

    /* coord extensions */
    int log_level;                /* logLevel: enum log_level; LOG_INFO */

    /* keys the parser did not know, in the order met */
    struct coord_config_unknown *unknown;
    size_t n_unknown;
    /* other things worth a warning (forceSync=no, a clamped value), each a
     * complete log line such as `config: fsync disabled key=forceSync
     * line=4 ...`; main logs them with log_warn("%s", ...) */
    char **warnings;
    size_t n_warnings;
};

/* Fills cfg with the defaults above. Allocates (the default strings); on
 * COORD_ENOMEM cfg is still safe to pass to coord_config_free(). */
int coord_config_defaults(struct coord_config *cfg);

/* Frees every string and list; cfg must be re-initialised before reuse.
 * NULL does nothing. */
void coord_config_free(struct coord_config *cfg);

/*
 * Reads a zoo.cfg (Java properties syntax: `key=value`, `key value` or
 * `key:value`; `#` and `!` start comment lines) into cfg, which holds the
 * defaults or earlier settings. Later lines override earlier ones. Unknown
 * keys are appended to cfg->unknown, never printed. Also checks the settings
 * that depend on each other (min/max session timeouts).
 *
 * Returns 0, COORD_EIO if the file cannot be read (err says why) or
 * COORD_EINVAL with err like `zoo.cfg:12: tickTime: expected a positive
 * integer, got "abc"` (path as given). err is always NUL-terminated when
 * errlen > 0. On error cfg is partly updated but still freeable.
 */
int coord_config_load(struct coord_config *cfg, const char *path, char *err,
                      size_t errlen);

/*
 * Sets one key as if read from a file (command-line overrides, tests). Same
 * key names and checks as the file; an unknown key is recorded in
 * cfg->unknown with line 0 and still returns 0. COORD_EINVAL with err like
 * `clientPort: expected a port 0..65535, got "x"`, or COORD_ENOMEM.
 */
int coord_config_set(struct coord_config *cfg, const char *key,
                     const char *value, char *err, size_t errlen);

/*
 * Resolves derived values once all settings are in: session timeouts from
 * tickTime, the default whitelist (srvr, plus isro when read-only mode is
 * enabled; srvr is always allowed). Idempotent.
 */
void coord_config_finish(struct coord_config *cfg);

/*
 * Cross-key checks done by coord_config_load (min <= max session timeout
 * once derived). 0 or COORD_EINVAL with a message naming the key.
 */
int coord_config_check(const struct coord_config *cfg, char *err,
                       size_t errlen);

/* Appends the `conf` four-letter word's key=value lines to out. Call after
 * coord_config_finish(). Returns out->err (0 on success). */
int coord_config_write(const struct coord_config *cfg, struct buf *out);

/* strdup through malloc (so allocation-failure tests reach it); NULL on
 * ENOMEM. */
char *coord_config_strdup(const char *s);
/* Frees a server line's strings and leaves it without any. */
void coord_config_server_clear(struct coord_config_server *s);

/*
 * Parses the value of one server.N line,
 * `host:peerPort:electionPort[:participant|:observer][;[clientHost:]clientPort]`
 * (IPv6 hosts in brackets, stored without), into out with out->id = id.
 * The host strings are malloc'd and owned by the caller. 0, or COORD_EINVAL
 * (also on allocation failure) with out holding no strings.
 */
int coord_config_parse_server(int64_t id, const char *value,
                              struct coord_config_server *out);

/* True when the four-letter word may run (after coord_config_finish()). */
bool coord_config_4lw_allowed(const struct coord_config *cfg,
                              const char *word);

/* The bit of a known four-letter word, 0 if unknown. */
uint32_t coord_config_4lw_bit(const char *word);

#endif
