/* Starting and stopping coordd for the client tests; loop helpers. */
#include "tests/client/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct srv shared_srv;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int srv_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool accepting(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int srv_start(struct srv *s)
{
    if (s->port == 0)
        s->port = srv_free_port();
    if (s->dir[0] == '\0') {
        const char *base = getenv("COORD_BUILDDIR");
        snprintf(s->dir, sizeof s->dir, "%s/tests/client/tmp-XXXXXX",
                 base ? base : ".");
        if (mkdtemp(s->dir) == NULL) {
            snprintf(s->dir, sizeof s->dir, "/tmp/coord-client-XXXXXX");
            if (mkdtemp(s->dir) == NULL)
                return -1;
        }
    }
    char bin[512], port[16], log[300];
    const char *bd = getenv("COORD_BUILDDIR");
    snprintf(bin, sizeof bin, "%s/server/coordd", bd ? bd : ".");
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(log, sizeof log, "%s/coordd.log", s->dir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const char *argv[40] = {bin, "-p", port, "-d", s->dir, "-a",
                                "127.0.0.1", "-o", "tickTime=200", "-o",
                                "minSessionTimeout=400", "-o",
                                "maxSessionTimeout=10000", "-o",
                                "extendedTypesEnabled=true"};
        int n = 15;
        for (int i = 0; i < 8 && s->extra[i]; i++) {
            argv[n++] = "-o";
            argv[n++] = s->extra[i];
        }
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    long until = now_ms() + 10000;
    while (now_ms() < until) {
        if (accepting(s->port) && (s->tls_port == 0 || accepting(s->tls_port)))
            return 0;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            return -1;
        }
        usleep(10000);
    }
    return -1;
}

void srv_signal(struct srv *s, int sig)
{
    if (s->pid <= 0)
        return;
    if (sig == SIGKILL || sig == SIGTERM)
        kill(s->pid, SIGCONT);
    kill(s->pid, sig);
    if (sig == SIGKILL || sig == SIGTERM) {
        int st;
        waitpid(s->pid, &st, 0);
        s->pid = 0;
    }
}

void srv_cleanup(struct srv *s)
{
    srv_signal(s, SIGKILL);
    if (s->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", s->dir);
    }
    s->pid = 0;
    s->port = 0;
    s->tls_port = 0;
    s->dir[0] = '\0';
}

const char *srv_hosts(const struct srv *s, const char *suffix)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "127.0.0.1:%d%s", s->port, suffix ? suffix : "");
    return buf;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int seen[8];

static void on_state(struct coord *c, int state, void *ctx)
{
    (void)c;
    (void)ctx;
    pthread_mutex_lock(&mu);
    if (state >= 0 && state < 8)
        seen[state]++;
    pthread_mutex_unlock(&mu);
}

int states_seen(int state)
{
    pthread_mutex_lock(&mu);
    int n = seen[state];
    pthread_mutex_unlock(&mu);
    return n;
}

void states_reset(void)
{
    pthread_mutex_lock(&mu);
    memset(seen, 0, sizeof seen);
    pthread_mutex_unlock(&mu);
}

struct coord *client_new(const char *hosts, int timeout_ms)
{
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = hosts;
    o.session_timeout_ms = timeout_ms;
    o.state_cb = on_state;
    struct coord *c = NULL;
    states_reset();
    if (coord_new(&o, &c) != 0)
        return NULL;
    return c;
}

bool drive(struct coord *c, const int *flag, int ms)
{
    long until = now_ms() + ms;
    while (!(flag && __atomic_load_n(flag, __ATOMIC_SEQ_CST))) {
        long left = until - now_ms();
        if (left <= 0)
            return false;
        int fd = coord_fd(c);
        unsigned want = coord_interest(c);
        int to = coord_timeout_ms(c);
        if (to > left)
            to = (int)left;
        struct pollfd p = {fd, 0, 0};
        if (want & COORD_READ)
            p.events |= POLLIN;
        if (want & COORD_WRITE)
            p.events |= POLLOUT;
        int n = poll(&p, fd >= 0 ? 1 : 0, to);
        unsigned ev = 0;
        if (n > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP)))
            ev |= COORD_READ;
        if (n > 0 && (p.revents & (POLLOUT | POLLERR | POLLHUP)))
            ev |= COORD_WRITE;
        coord_process(c, ev);
    }
    return true;
}

bool wait_state(struct coord *c, int state, int ms)
{
    long until = now_ms() + ms;
    while (coord_state(c) != state) {
        if (now_ms() >= until)
            return false;
        /* In thread mode coord_process refuses: just wait. */
        if (coord_process(c, 0) == COORD_EINVAL)
            usleep(5000);
        else
            drive(c, NULL, 10);
    }
    return true;
}

int shared_start(void)
{
    memset(&shared_srv, 0, sizeof shared_srv);
    return srv_start(&shared_srv) == 0 ? 0 : -1;
}

int shared_stop(void)
{
    srv_cleanup(&shared_srv);
    return 0;
}
