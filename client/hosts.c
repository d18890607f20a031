/* Connect strings: "h1:port,[v6]:port/chroot" into shuffled addresses. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "proto/path.h"

uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static int add_addrs(struct hostlist *hl, const char *name, const char *port)
{
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(name, port, &hints, &res) != 0)
        return COORD_EINVAL;
    int rc = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(struct sockaddr_storage))
            continue;
        struct host *grown = realloc(hl->hosts, (hl->n + 1) * sizeof *grown);
        if (grown == NULL) {
            rc = COORD_ENOMEM;
            break;
        }
        hl->hosts = grown;
        memset(&grown[hl->n], 0, sizeof grown[hl->n]);
        memcpy(&grown[hl->n].addr, ai->ai_addr, ai->ai_addrlen);
        grown[hl->n].addrlen = ai->ai_addrlen;
        snprintf(grown[hl->n].name, sizeof grown[hl->n].name, "%s", name);
        snprintf(grown[hl->n].label, sizeof grown[hl->n].label,
                 strchr(name, ':') ? "[%s]:%s" : "%s:%s", name, port);
        hl->n++;
    }
    freeaddrinfo(res);
    return rc;
}

/* One "host:port" or "[v6]:port" item of length n. */
static int parse_item(struct hostlist *hl, const char *s, size_t n)
{
    char name[256], port[16];
    const char *colon;
    size_t nlen;
    if (n == 0 || n >= sizeof name)
        return COORD_EINVAL;
    if (s[0] == '[') {
        const char *end = memchr(s, ']', n);
        if (end == NULL || end + 1 >= s + n || end[1] != ':')
            return COORD_EINVAL;
        nlen = (size_t)(end - s - 1);
        memcpy(name, s + 1, nlen);
        colon = end + 1;
    } else {
        colon = memrchr(s, ':', n);
        if (colon == NULL)
            return COORD_EINVAL;
        nlen = (size_t)(colon - s);
        memcpy(name, s, nlen);
    }
    name[nlen] = '\0';
    size_t plen = (size_t)(s + n - colon - 1);
    if (nlen == 0 || plen == 0 || plen >= sizeof port)
        return COORD_EINVAL;
    memcpy(port, colon + 1, plen);
    port[plen] = '\0';
    if (strspn(port, "0123456789") != plen || atoi(port) < 1 ||
        atoi(port) > 65535)
        return COORD_EINVAL;
    return add_addrs(hl, name, port);
}

int hosts_parse(const char *spec, struct hostlist *out, uint64_t *rng)
{
    memset(out, 0, sizeof *out);
    if (spec == NULL)
        return COORD_EINVAL;
    const char *slash = strchr(spec, '/');
    size_t hlen = slash ? (size_t)(slash - spec) : strlen(spec);
    int rc = 0;
    if (slash && strcmp(slash, "/") != 0) {
        if (coord_path_validate(slash, strlen(slash)) != 0)
            return COORD_EINVAL;
        out->chroot = strdup(slash);
    } else {
        out->chroot = strdup("");
    }
    if (out->chroot == NULL)
        return COORD_ENOMEM;
    out->chroot_len = strlen(out->chroot);
    const char *p = spec, *end = spec + hlen;
    while (p < end && rc == 0) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
        rc = parse_item(out, p, n);
        p += n + 1;
    }
    if (rc == 0 && out->n == 0)
        rc = COORD_EINVAL;
    if (rc != 0) {
        hosts_free(out);
        return rc;
    }
    /* Fisher-Yates, so clients of one ensemble spread over its members. */
    for (size_t i = out->n; i > 1; i--) {
        size_t j = (size_t)(rng_next(rng) % i);
        struct host tmp = out->hosts[i - 1];
        out->hosts[i - 1] = out->hosts[j];
        out->hosts[j] = tmp;
    }
    return 0;
}

void hosts_free(struct hostlist *hl)
{
    free(hl->hosts);
    free(hl->chroot);
    memset(hl, 0, sizeof *hl);
}
