/* Recipe test support: the suite's coordd, handles, ending a session. */
#include <stdlib.h>
#include <time.h>

#include "tests/recipes/recipes.h"

struct srv rsrv;

int rsrv_start(void)
{
    return srv_start(&rsrv) == 0 ? 0 : -1;
}

int rsrv_stop(void)
{
    srv_cleanup(&rsrv);
    return 0;
}

long rnow_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct coord *rclient(int timeout_ms)
{
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = srv_hosts(&rsrv, NULL);
    o.session_timeout_ms = timeout_ms;
    struct coord *c = NULL;
    if (coord_new(&o, &c) != 0)
        return NULL;
    if (coord_start_thread(c) != 0 || !wait_state(c, COORD_CONNECTED, 5000)) {
        coord_free(c);
        return NULL;
    }
    return c;
}

void expire_session(struct coord *c)
{
    unsigned char pw[16];
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = srv_hosts(&rsrv, NULL);
    o.session_timeout_ms = coord_session_timeout(c);
    o.session_id = coord_session_id(c, pw);
    o.session_passwd = pw;
    struct coord *twin = NULL;
    if (coord_new(&o, &twin) != 0)
        return;
    if (coord_start_thread(twin) == 0)
        wait_state(twin, COORD_CONNECTED, 5000);
    coord_free(twin); /* closeSession */
}
