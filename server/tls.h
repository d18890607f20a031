/* TLS through OpenSSL: the context every TLS listener shares. */
#ifndef COORD_SERVER_TLS_H
#define COORD_SERVER_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "server/config.h"

/*
 * A context from cfg's ssl.* keys: certificate chain and key, the CA that
 * client certificates must chain to, ssl.clientAuth and ssl.protocol. It
 * serves both ends: SSL_set_accept_state() for the TLS listeners and
 * accepted peer links, SSL_set_connect_state() for dialed peer links (the
 * same certificate is then the client's); peer links set their own verify
 * mode, whatever ssl.clientAuth says.
 * NULL with err like `ssl.certFile: cannot load /x.pem: ...` when a file is
 * missing or does not fit. Connections made from it keep it alive (OpenSSL
 * counts references), so a reload may free the old one at once.
 */
SSL_CTX *tls_ctx_new(const struct coord_config *cfg, char *err,
                     size_t errlen);

/* The subject of the client's verified certificate in RFC 2253 form
 * ("CN=alice,O=Example"), for the x509 scheme. 0, or -1 when the client
 * gave no verified certificate or it does not fit in out. */
int tls_peer_subject(SSL *ssl, char *out, size_t outlen);

/* The reason of the most recent OpenSSL error on this thread, for a log
 * line; "unknown" when the queue is empty. Clears the queue. */
const char *tls_last_error(char *buf, size_t len);

/* After an SSL_read/SSL_write/SSL_do_handshake on ssl returned r <= 0:
 * -1 with errno EAGAIN and *wants set (EPOLLIN or EPOLLOUT) when OpenSSL
 * waits for the socket, 0 when the peer closed cleanly, -1 with another
 * errno on a failure (the reason is in OpenSSL's error queue). */
ssize_t tls_io_status(SSL *ssl, int r, uint32_t *wants);

#endif
