/* coordd: command line, configuration, and the server's lifetime. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/err.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: coordd [-c FILE] [-p PORT] [-a ADDRESS] [-d DATADIR] "
            "[-l LEVEL] [-o KEY=VALUE]...\n"
            "       coordd --help | --version\n"
            "\n"
            "A coordination service that speaks ZooKeeper's client protocol.\n"
            "With no options it serves 127.0.0.1:2181 with its data in "
            "./coord-data.\n"
            "\n"
            "  -c, --config FILE    read settings from FILE (zoo.cfg syntax)\n"
            "  -p, --port PORT      clientPort (default 2181)\n"
            "  -a, --address ADDR   clientPortAddress (default 127.0.0.1)\n"
            "  -d, --data-dir DIR   dataDir (default ./coord-data)\n"
            "  -l, --log-level LVL  error, warn, info (default) or debug\n"
            "  -o, --set KEY=VALUE  any zoo.cfg key; applied after the file\n"
            "  -h, --help           this text\n"
            "  -V, --version        print the version\n"
            "\n"
            "Settings are described in coordd.conf(5), the server in "
            "coordd(8).\n");
}

/*
 * A snapshot forks, and fork's cost is copying the page tables of the whole
 * heap: ~9 ms for a million znodes with 4 KiB pages, ~2.5 ms with
 * transparent huge pages. glibc only asks for huge pages when the
 * glibc.malloc.hugetlb tunable is set at start-up, so coordd re-executes
 * itself once with it (same PID). COORD_NO_HUGEPAGES=1 turns this off.
 */
static void use_huge_pages(char **argv)
{
    const char *t = getenv("GLIBC_TUNABLES");
    if (getenv("COORD_NO_HUGEPAGES") || (t && strstr(t, "glibc.malloc.hugetlb")))
        return;
    char v[1024];
    if ((size_t)snprintf(v, sizeof v, "%s%sglibc.malloc.hugetlb=1", t ? t : "",
                         t ? ":" : "") >= sizeof v)
        return;
    setenv("GLIBC_TUNABLES", v, 1);
    execv("/proc/self/exe", argv);
    /* No /proc or no exec: carry on with ordinary pages. */
    if (t)
        setenv("GLIBC_TUNABLES", t, 1);
    else
        unsetenv("GLIBC_TUNABLES");
}

static int set_or_die(struct coord_config *cfg, const char *key,
                      const char *value)
{
    char err[512];
    if (coord_config_set(cfg, key, value, err, sizeof err) != 0) {
        fprintf(stderr, "coordd: %s\n", err);
        return -1;
    }
    return 0;
}

/* An ensemble: this server's id from dataDir/myid, and a membership that
 * can form a quorum. 0, or -1 with a message in err. */
static int ensemble_config(struct coord_config *cfg, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/myid", cfg->data_dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen,
                 "%zu server.N lines make an ensemble, but %.300s cannot be read "
                 "(it must hold this server's N): %s",
                 cfg->n_servers, path, strerror(errno));
        return -1;
    }
    char line[64] = "";
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    char *end;
    long long id = ok ? strtoll(line, &end, 10) : -1;
    if (ok == NULL || end == line || (*end != '\0' && *end != '\n') ||
        id <= 0 || id > 255) {
        snprintf(err, errlen, "%.300s must hold a server id from 1 to 255", path);
        return -1;
    }
    cfg->server_id = id;
    const struct coord_config_server *me = NULL;
    size_t voters = 0;
    for (size_t i = 0; i < cfg->n_servers; i++) {
        const struct coord_config_server *a = &cfg->servers[i];
        if (a->id == id)
            me = a;
        if (!a->observer)
            voters++;
        if (a->id <= 0 || a->id > 255) {
            snprintf(err, errlen, "server.%lld: ids go from 1 to 255",
                     (long long)a->id);
            return -1;
        }
        if (a->peer_port == a->election_port) {
            snprintf(err, errlen,
                     "server.%lld: the peer and election ports must differ",
                     (long long)a->id);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            const struct coord_config_server *b = &cfg->servers[j];
            if (strcmp(a->host, b->host) == 0 &&
                (a->peer_port == b->peer_port ||
                 a->peer_port == b->election_port ||
                 a->election_port == b->peer_port ||
                 a->election_port == b->election_port)) {
                snprintf(err, errlen,
                         "server.%lld and server.%lld share a port on %s",
                         (long long)b->id, (long long)a->id, a->host);
                return -1;
            }
        }
    }
    if (cfg->n_servers > 32) {
        snprintf(err, errlen, "at most 32 servers, not %zu", cfg->n_servers);
        return -1;
    }
    if (me == NULL) {
        snprintf(err, errlen,
                 "myid is %lld but no server.%lld line lists this server",
                 id, id);
        return -1;
    }
    if (voters == 0) {
        snprintf(err, errlen,
                 "no participant among the %zu servers: no quorum can form",
                 cfg->n_servers);
        return -1;
    }
    if (cfg->observer != me->observer) {
        snprintf(err, errlen,
                 "peerType=%s but server.%lld is listed as %s",
                 cfg->observer ? "observer" : "participant", id,
                 me->observer ? "observer" : "participant");
        return -1;
    }
    if (me->client_port > 0)
        cfg->client_port = me->client_port;
    if (voters == 2)
        log_warn("config: 2 participants: losing either stops the "
                 "ensemble; 3 tolerate one failure");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"address", required_argument, NULL, 'a'},
        {"data-dir", required_argument, NULL, 'd'},
        {"log-level", required_argument, NULL, 'l'},
        {"set", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    /* First, while argv is still as given: option parsing below writes
     * into it, and the re-executed process must see the original. */
    use_huge_pages(argv);
    const char *file = NULL;
    /* Command-line settings are applied after the file, in order. */
    const char *over_key[64];
    char *over_val[64];
    int n_over = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:p:a:d:l:o:hV", opts, NULL)) != -1) {
        const char *key = NULL;
        switch (ch) {
        case 'c': file = optarg; continue;
        case 'p': key = "clientPort"; break;
        case 'a': key = "clientPortAddress"; break;
        case 'd': key = "dataDir"; break;
        case 'l': key = "logLevel"; break;
        case 'o': {
            char *eq = strchr(optarg, '=');
            if (eq == NULL) {
                fprintf(stderr, "coordd: -o wants KEY=VALUE, got \"%s\"\n",
                        optarg);
                return 2;
            }
            *eq = '\0';
            key = optarg;
            optarg = eq + 1;
            break;
        }
        case 'h': usage(stdout); return 0;
        case 'V': printf("coordd %s\n", PACKAGE_VERSION); return 0;
        default: usage(stderr); return 2;
        }
        if (n_over == 64) {
            fprintf(stderr, "coordd: too many settings on the command line\n");
            return 2;
        }
        over_key[n_over] = key;
        over_val[n_over++] = optarg;
    }
    if (optind < argc) {
        /* zkServer.sh style: the configuration file as the argument */
        if (file == NULL && optind == argc - 1) {
            file = argv[optind];
        } else {
            usage(stderr);
            return 2;
        }
    }

    struct coord_config cfg;
    if (coord_config_defaults(&cfg) != 0) {
        fprintf(stderr, "coordd: out of memory\n");
        return 1;
    }
    char err[512];
    if (file && coord_config_load(&cfg, file, err, sizeof err) != 0) {
        fprintf(stderr, "coordd: %s\n", err);
        coord_config_free(&cfg);
        return 1;
    }
    for (int i = 0; i < n_over; i++)
        if (set_or_die(&cfg, over_key[i], over_val[i]) != 0) {
            coord_config_free(&cfg);
            return 1;
        }
    coord_config_finish(&cfg);
    if (coord_config_check(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "coordd: %s\n", err);
        coord_config_free(&cfg);
        return 1;
    }
    log_set_level((enum log_level)cfg.log_level);
    for (size_t i = 0; i < cfg.n_unknown; i++)
        log_warn("config: unknown key=%s line=%d", cfg.unknown[i].key,
                 cfg.unknown[i].line);
    for (size_t i = 0; i < cfg.n_warnings; i++)
        log_warn("%s", cfg.warnings[i]);
    if (cfg.n_servers > 1 && ensemble_config(&cfg, err, sizeof err) != 0) {
        log_error("config: %s", err);
        coord_config_free(&cfg);
        return 1;
    }

    /* Block the signals the loop reads through a signalfd before any thread
     * exists: threads inherit the mask, and a SIGTERM delivered to the
     * log-writer thread would otherwise kill the process on the spot
     * instead of shutting it down cleanly. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    log_info("coordd: starting version=%s", PACKAGE_VERSION);
    struct server srv;
    int rv = server_init(&srv, &cfg);
    int code = 0;
    if (rv == 0)
        code = server_run(&srv);
    else
        code = 1;
    server_close(&srv);
    log_info("coordd: stopped code=%d", code);
    coord_config_free(&cfg);
    return code;
}
