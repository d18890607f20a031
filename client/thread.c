/* Thread mode: the library's own loop thread, and the event-loop driver. */
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "client/internal.h"

/* One wait-and-process round; the mutex is released while waiting only
 * in thread mode (event-loop mode has one thread by contract). */
static void round_once(struct coord *c, int extra_fd, int max_ms, bool unlock)
{
    struct pollfd p[2];
    int n = 0;
    int fd = coord_fd(c);
    unsigned want = coord_interest(c);
    int to = coord_timeout_ms(c);
    if (max_ms >= 0 && to > max_ms)
        to = max_ms;
    if (fd >= 0) {
        p[n].fd = fd;
        p[n].events = (short)((want & COORD_READ ? POLLIN : 0) |
                              (want & COORD_WRITE ? POLLOUT : 0));
        p[n++].revents = 0;
    }
    if (extra_fd >= 0) {
        p[n].fd = extra_fd;
        p[n].events = POLLIN;
        p[n++].revents = 0;
    }
    if (unlock)
        core_unlock(c);
    int rc = poll(p, (nfds_t)n, to);
    if (unlock)
        core_lock(c);
    unsigned ev = 0;
    if (rc > 0 && fd >= 0 && fd == c->fd) {
        if (p[0].revents & (POLLIN | POLLERR | POLLHUP))
            ev |= COORD_READ;
        if (p[0].revents & (POLLOUT | POLLERR | POLLHUP))
            ev |= COORD_WRITE;
    }
    if (extra_fd >= 0) {
        char drain[64];
        while (read(extra_fd, drain, sizeof drain) > 0)
            ;
    }
    core_process_locked(c, ev);
}

int core_drive(struct coord *c, bool *done, int64_t deadline)
{
    while (!*done) {
        int64_t left = deadline - coord_now_ms();
        if (left <= 0)
            return COORD_EOPERATIONTIMEOUT;
        round_once(c, -1, left > 60000 ? 60000 : (int)left, false);
    }
    return 0;
}

static void *loop_main(void *arg)
{
    struct coord *c = arg;
    core_lock(c);
    while (!c->thread_stop)
        round_once(c, c->wake[0], -1, true);
    core_unlock(c);
    return NULL;
}

int coord_start_thread(struct coord *c)
{
    core_lock(c);
    int rc = 0;
    if (c->thread_on || c->in_cb) {
        rc = COORD_EINVAL;
        goto out_unlock;
    }
    if (pipe2(c->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        rc = COORD_EIO;
        goto out_unlock;
    }
    c->thread_stop = false;
    c->thread_on = true;
    if (pthread_create(&c->thread, NULL, loop_main, c) != 0) {
        c->thread_on = false;
        rc = COORD_ENOMEM;
        goto err_close_pipe;
    }
    core_unlock(c);
    return 0;

err_close_pipe:
    close(c->wake[0]);
    close(c->wake[1]);
    c->wake[0] = c->wake[1] = -1;
out_unlock:
    core_unlock(c);
    return rc;
}

int coord_stop_thread(struct coord *c)
{
    core_lock(c);
    if (!c->thread_on || pthread_equal(pthread_self(), c->thread)) {
        core_unlock(c);
        return COORD_EINVAL;
    }
    c->thread_stop = true;
    core_wake(c);
    core_unlock(c);
    pthread_join(c->thread, NULL);
    core_lock(c);
    c->thread_on = false;
    close(c->wake[0]);
    close(c->wake[1]);
    c->wake[0] = c->wake[1] = -1;
    core_unlock(c);
    return 0;
}
