/* Test support: real coordd processes on loopback, and loop helpers. */
#ifndef COORD_TESTS_CLIENT_SERVER_H
#define COORD_TESTS_CLIENT_SERVER_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <sys/types.h>

#include "coord.h"

struct srv {
    pid_t pid;
    int port;
    char dir[256];
    /* Optional: more zoo.cfg settings ("key=value", up to 8, NULL-ended)
     * and a second port to wait for (secureClientPort). */
    const char *extra[9];
    int tls_port;
};

/* A port nobody listens on right now. */
int srv_free_port(void);
/* Starts coordd on s->port (picked if 0) in s->dir (made if empty) and
 * waits until it accepts; 0 or -1. */
int srv_start(struct srv *s);
/* Sends sig; for SIGKILL/SIGTERM also reaps it. */
void srv_signal(struct srv *s, int sig);
/* Kills it if running and removes its directory. */
void srv_cleanup(struct srv *s);
/* "127.0.0.1:port" plus suffix (chroot or more hosts), static storage. */
const char *srv_hosts(const struct srv *s, const char *suffix);

/* A handle in event-loop mode on hosts; records state changes. */
struct coord *client_new(const char *hosts, int timeout_ms);
/* Drives c's loop until *flag (if given) or ms pass; true if *flag. */
bool drive(struct coord *c, const int *flag, int ms);
/* Waits for c to reach state (driving it unless in thread mode). */
bool wait_state(struct coord *c, int state, int ms);
/* Number of times state was entered by the last client_new handle. */
int states_seen(int state);
void states_reset(void);

/* Suite data shared by suites started from one server. */
extern struct srv shared_srv;
int shared_start(void);
int shared_stop(void);

/* Suite tables. */
extern CU_TestInfo ops_tests[];
extern CU_TestInfo watch_tests[];
extern CU_TestInfo session_tests[];
extern CU_TestInfo badserver_tests[];
extern CU_TestInfo tls_tests[];
int tls_suite_start(void);
int tls_suite_stop(void);
void session_teardown(void);

#endif
