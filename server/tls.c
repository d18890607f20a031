/* TLS through OpenSSL: the context from the ssl.* keys, and the client
 * certificate's subject for the x509 scheme. */
#include "server/tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include <openssl/err.h>
#include <openssl/x509.h>

const char *tls_last_error(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        snprintf(buf, len, "unknown");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

/* ssl.keyStore.password for an encrypted key; never a terminal prompt. */
static int key_password(char *buf, int size, int rwflag, void *userdata)
{
    (void)rwflag;
    const char *pw = userdata;
    if (pw == NULL || size <= 0)
        return 0;
    size_t n = strlen(pw);
    if (n > (size_t)size)
        return 0;
    memcpy(buf, pw, n);
    return (int)n;
}

static SSL_CTX *fail(SSL_CTX *ctx, char *err, size_t errlen, const char *key,
                     const char *path)
{
    char why[256];
    tls_last_error(why, sizeof why);
    snprintf(err, errlen, "%s: cannot load %s: %s", key, path, why);
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *tls_ctx_new(const struct coord_config *cfg, char *err, size_t errlen)
{
    const char *cert = cfg->ssl_cert_file ? cfg->ssl_cert_file
                                          : cfg->ssl_key_store;
    const char *key = cfg->ssl_key_file     ? cfg->ssl_key_file
                      : cfg->ssl_key_store ? cfg->ssl_key_store
                                           : cert;
    const char *ca = cfg->ssl_ca_file ? cfg->ssl_ca_file : cfg->ssl_trust_store;
    if (cert == NULL) {
        snprintf(err, errlen, "ssl.certFile: a TLS listener needs a "
                              "certificate (ssl.certFile and ssl.keyFile)");
        return NULL;
    }
    if (ca == NULL && cfg->ssl_client_auth != COORD_SSL_AUTH_NONE) {
        snprintf(err, errlen, "ssl.caFile: needed to verify client "
                              "certificates (or set ssl.clientAuth=none)");
        return NULL;
    }
    ERR_clear_error();
    /* Either end: ensemble.c dials peers with it (sslQuorum), presenting
     * the same certificate and verifying theirs against the same CA. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx == NULL) {
        char why[256];
        snprintf(err, errlen, "ssl: cannot create a context: %s",
                 tls_last_error(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, cfg->ssl_min_protocol >= 13
                                           ? TLS1_3_VERSION
                                           : TLS1_2_VERSION);
    /* conn.c retries a write from a buffer that may have grown or moved */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    long opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    opts |= SSL_OP_IGNORE_UNEXPECTED_EOF; /* a hang-up is just a close */
#endif
    SSL_CTX_set_options(ctx, opts);
    /* resumed sessions must carry the client's verified identity */
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"coordd", 6);
    SSL_CTX_set_default_passwd_cb(ctx, key_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, cfg->ssl_key_password);

    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return fail(ctx, err, errlen,
                    cfg->ssl_cert_file ? "ssl.certFile"
                                       : "ssl.keyStore.location",
                    cert);
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
        return fail(ctx, err, errlen,
                    cfg->ssl_key_file ? "ssl.keyFile" : "ssl.keyStore.location",
                    key);
    /* The userdata pointer would dangle once cfg is freed or reloaded. */
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    if (ca != NULL) {
        const char *ca_key =
            cfg->ssl_ca_file ? "ssl.caFile" : "ssl.trustStore.location";
        if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
            return fail(ctx, err, errlen, ca_key, ca);
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
        if (names == NULL)
            return fail(ctx, err, errlen, ca_key, ca);
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    int mode = SSL_VERIFY_NONE;
    if (cfg->ssl_client_auth == COORD_SSL_AUTH_WANT)
        mode = SSL_VERIFY_PEER;
    else if (cfg->ssl_client_auth == COORD_SSL_AUTH_NEED)
        mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, NULL);
    return ctx;
}

int tls_peer_subject(SSL *ssl, char *out, size_t outlen)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    X509 *cert = SSL_get1_peer_certificate(ssl);
#else
    X509 *cert = SSL_get_peer_certificate(ssl);
#endif
    if (cert == NULL)
        return -1;
    int rv = -1;
    BIO *bio = NULL;
    if (SSL_get_verify_result(ssl) != X509_V_OK)
        goto done;
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL ||
        X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                           XN_FLAG_RFC2253) < 0)
        goto done;
    char *p;
    long n = BIO_get_mem_data(bio, &p);
    if (n <= 0 || (size_t)n >= outlen || memchr(p, '\0', (size_t)n) != NULL)
        goto done;
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    rv = 0;
done:
    BIO_free(bio);
    X509_free(cert);
    return rv;
}

ssize_t tls_io_status(SSL *ssl, int r, uint32_t *wants)
{
    int e = SSL_get_error(ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        *wants = EPOLLIN;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        *wants = EPOLLOUT;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        if (e != SSL_ERROR_SYSCALL || errno == 0 || errno == EAGAIN)
            errno = EPROTO;
        return -1;
    }
}
