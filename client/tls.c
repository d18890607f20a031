/* TLS through OpenSSL: the context of a handle, one SSL per connection, and
 * the socket I/O both plain and TLS connections go through. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/internal.h"

void core_error(struct coord *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_err, sizeof c->last_err, fmt, ap);
    va_end(ap);
}

/* --- a BIO on the socket that never raises SIGPIPE --- */

static int bio_write(BIO *b, const char *p, int n)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    for (;;) {
        ssize_t r = send(fd, p, (size_t)n, MSG_NOSIGNAL);
        if (r >= 0)
            return (int)r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_write(b);
        return -1;
    }
}

static int bio_read(BIO *b, char *p, int n)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    for (;;) {
        ssize_t r = recv(fd, p, (size_t)n, 0);
        if (r >= 0)
            return (int)r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_read(b);
        return -1;
    }
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* --- the context --- */

/* The first queued OpenSSL error, as text ("" if none). */
static const char *ssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    buf[0] = '\0';
    if (e) {
        const char *r = ERR_reason_error_string(e);
        snprintf(buf, len, "%s", r ? r : "unknown error");
    }
    ERR_clear_error();
    return buf;
}

/* A file OpenSSL is to read: say plainly if it cannot be opened. */
static bool readable(struct coord *c, const char *what, const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        core_error(c, "TLS: cannot read %s %s: %s", what, file,
                   strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

int tls_ctx_new(struct coord *c, const struct coord_options *o)
{
    char why[160];
    if ((o->tls_ca_file && !readable(c, "CA file", o->tls_ca_file)) ||
        (o->tls_cert_file &&
         !readable(c, "certificate file", o->tls_cert_file)) ||
        (o->tls_key_file && !readable(c, "key file", o->tls_key_file)))
        return COORD_EINVAL;
    c->tls_verify_name = !o->tls_skip_name_check;
    c->tls_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                               "coord socket");
    c->tls_ctx = SSL_CTX_new(TLS_client_method());
    if (c->tls_meth == NULL || c->tls_ctx == NULL)
        goto err_nomem;
    BIO_meth_set_write(c->tls_meth, bio_write);
    BIO_meth_set_read(c->tls_meth, bio_read);
    BIO_meth_set_puts(c->tls_meth, bio_puts);
    BIO_meth_set_ctrl(c->tls_meth, bio_ctrl);
    BIO_meth_set_create(c->tls_meth, bio_create);
    SSL_CTX_set_min_proto_version(c->tls_ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(c->tls_ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(c->tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    int ok = o->tls_ca_file
                 ? SSL_CTX_load_verify_locations(c->tls_ctx, o->tls_ca_file,
                                                 NULL)
                 : SSL_CTX_set_default_verify_paths(c->tls_ctx);
    if (ok != 1) {
        core_error(c, "TLS: cannot load CA file %s: %s",
                   o->tls_ca_file ? o->tls_ca_file : "(system default)",
                   ssl_reason(why, sizeof why));
        goto err_inval;
    }
    if (o->tls_cert_file) {
        const char *key = o->tls_key_file ? o->tls_key_file : o->tls_cert_file;
        if (SSL_CTX_use_certificate_chain_file(c->tls_ctx, o->tls_cert_file) !=
            1) {
            core_error(c, "TLS: cannot load certificate %s: %s",
                       o->tls_cert_file, ssl_reason(why, sizeof why));
            goto err_inval;
        }
        if (SSL_CTX_use_PrivateKey_file(c->tls_ctx, key, SSL_FILETYPE_PEM) !=
                1 ||
            SSL_CTX_check_private_key(c->tls_ctx) != 1) {
            core_error(c, "TLS: cannot load private key %s: %s", key,
                       ssl_reason(why, sizeof why));
            goto err_inval;
        }
    } else if (o->tls_key_file) {
        core_error(c, "TLS: a key file without a certificate file");
        goto err_inval;
    }
    return 0;

err_nomem:
    tls_ctx_free(c);
    return COORD_ENOMEM;
err_inval:
    tls_ctx_free(c);
    return COORD_EINVAL;
}

void tls_ctx_free(struct coord *c)
{
    SSL_CTX_free(c->tls_ctx);
    BIO_meth_free(c->tls_meth);
    c->tls_ctx = NULL;
    c->tls_meth = NULL;
}

/* --- a connection --- */

int tls_start(struct coord *c, const struct host *h)
{
    SSL *s = SSL_new(c->tls_ctx);
    BIO *b = BIO_new(c->tls_meth);
    if (s == NULL || b == NULL) {
        SSL_free(s);
        BIO_free(b);
        core_error(c, "TLS: out of memory");
        return COORD_ENOMEM;
    }
    BIO_set_data(b, (void *)(intptr_t)c->fd);
    SSL_set_bio(s, b, b);
    SSL_set_connect_state(s);
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, h->name, ip) == 1 ||
                 inet_pton(AF_INET6, h->name, ip) == 1;
    if (!is_ip)
        SSL_set_tlsext_host_name(s, h->name); /* SNI: names only */
    if (c->tls_verify_name) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(s);
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, h->name)
                       : X509_VERIFY_PARAM_set1_host(vp, h->name, 0);
        if (ok != 1) {
            SSL_free(s);
            core_error(c, "TLS: cannot check the name %s", h->name);
            return COORD_EINVAL;
        }
    }
    c->ssl = s;
    c->tls_want_write = false;
    return 0;
}

void tls_close(struct coord *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    c->tls_want_write = false;
    ERR_clear_error();
}

/* Records why an SSL call failed; `what` says which step. */
static void tls_fail(struct coord *c, const char *what, int ret)
{
    char why[160];
    int e = SSL_get_error(c->ssl, ret);
    long v = SSL_get_verify_result(c->ssl);
    if (v != X509_V_OK) {
        core_error(c, "TLS %s with %s failed: certificate verify failed: %s",
                   what, c->hl.hosts[c->host_next].label,
                   X509_verify_cert_error_string(v));
        ERR_clear_error();
        return;
    }
    ssl_reason(why, sizeof why);
    if (why[0] == '\0')
        snprintf(why, sizeof why, "%s",
                 e == SSL_ERROR_SYSCALL && errno ? strerror(errno)
                 : e == SSL_ERROR_ZERO_RETURN ? "closed by the server"
                                              : "connection closed");
    const char *hint = "";
    if (strstr(why, "certificate required") ||
        (strstr(why, "handshake failure") && SSL_get_certificate(c->ssl) ==
                                                 NULL))
        hint = " (the server requires a client certificate)";
    core_error(c, "TLS %s with %s failed: %s%s", what,
               c->hl.hosts[c->host_next].label, why, hint);
}

int tls_handshake(struct coord *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->tls_want_write = false;
        return 1;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c->tls_want_write = e == SSL_ERROR_WANT_WRITE;
        return 0;
    }
    tls_fail(c, "handshake", r);
    return -1;
}

bool tls_pending(const struct coord *c)
{
    return c->ssl && SSL_pending(c->ssl) > 0;
}

ssize_t conn_recv(struct coord *c, void *p, size_t n)
{
    if (c->ssl == NULL) {
        for (;;) {
            ssize_t r = recv(c->fd, p, n, 0);
            if (r > 0)
                return r;
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return -1;
            core_error(c, "connection to %s %s",
                       c->hl.hosts[c->host_next].label,
                       r == 0 ? "closed by the server" : strerror(errno));
            return 0;
        }
    }
    ERR_clear_error();
    int r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        return -1;
    if (e == SSL_ERROR_WANT_WRITE) {
        c->tls_want_write = true;
        return -1;
    }
    tls_fail(c, "read", r);
    return 0;
}

ssize_t conn_send(struct coord *c, const void *p, size_t n)
{
    if (c->ssl == NULL) {
        for (;;) {
            ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);
            if (r >= 0)
                return r;
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return -1;
            core_error(c, "connection to %s: %s",
                       c->hl.hosts[c->host_next].label, strerror(errno));
            return -2;
        }
    }
    ERR_clear_error();
    c->tls_want_write = false;
    int r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE) {
        c->tls_want_write = true;
        return -1;
    }
    if (e == SSL_ERROR_WANT_READ)
        return -1;
    if (e == SSL_ERROR_SYSCALL) {
        /* A server that refuses us (TLS 1.3: after its handshake, say for
         * a missing client certificate) sends an alert and closes; our
         * write may meet the reset first. The alert still waits in the
         * receive queue: read it, as it says why. */
        char tmp[512];
        int saved = errno;
        ERR_clear_error();
        int r2 = SSL_read(c->ssl, tmp, sizeof tmp);
        if (r2 <= 0 && SSL_get_error(c->ssl, r2) == SSL_ERROR_SSL) {
            tls_fail(c, "read", r2);
            return -2;
        }
        ERR_clear_error();
        errno = saved;
    }
    tls_fail(c, "write", r);
    return -2;
}
