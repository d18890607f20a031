/*
 * SASL (opcode 102) through Cyrus SASL, as ZooKeeper's server does it with
 * Java's, under the service "zookeeper":
 *
 * - DIGEST-MD5 with the fixed server name and realm "zk-sasl-md5",
 *   passwords from sasl.digest.users (served from memory by an auxprop
 *   plugin of our own, no sasldb file), and on success the identity
 *   sasl:<user>;
 * - GSSAPI (Kerberos) when sasl.gssapi.keytab is set, through Cyrus's
 *   GSSAPI plugin: the acceptor is sasl.gssapi.principal
 *   (service/host@REALM) from that keytab, and on success the identity is
 *   sasl:<the client's full principal>, ZooKeeper's default (neither
 *   zookeeper.kerberos.removeHostFromPrincipal nor removeRealmFromPrincipal).
 *
 * ZooKeeper's client names no mechanism: the server uses the one it is
 * configured for, and the client starts with an empty token for a
 * server-first mechanism (DIGEST-MD5) or its initial response otherwise
 * (GSSAPI). So an empty first token starts DIGEST-MD5 and anything else
 * GSSAPI, each only when configured. ZooKeeper's DIGEST-MD5 ignores an
 * initial response and sends its challenge, which leaves a PLAIN client
 * (kazoo) connected without the identity and without an error; failing at
 * once is clearer.
 */
#include "server/sasl.h"

#include <sasl/prop.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "server/log.h"
#include "server/server.h"

#define COORD_SASL_APP "coordd"
#define COORD_SASL_SERVICE "zookeeper"
/* ZooKeeper's SaslServer host name for DIGEST-MD5, which Java's DIGEST-MD5
 * also offers as the realm; clients (kazoo, the Java client) use it. */
#define COORD_SASL_HOST "zk-sasl-md5"
#define COORD_SASL_AUXPROP "coord-config"

/* An exchange in progress. All of them are also on one list, so that those
 * of connections that closed mid-exchange can be found and freed (conn.c
 * frees a connection without knowing about them). */
struct sasl_state {
    struct sasl_state *next;
    struct server *srv;
    sasl_conn_t *sc;
    bool gssapi; /* the mechanism: GSSAPI, else DIGEST-MD5 */
    bool live;   /* sweep mark */
};

static struct sasl_state *states;
static size_t n_states;
static size_t sweep_at = 64;

static int lib_rc = -1; /* sasl_server_init's result; -1 before */
/* sasl.gssapi.keytab as the library was initialised with (the GSSAPI
 * plugin reads it once, when it loads), or NULL: no GSSAPI. */
static char *gss_keytab;
static bool gss_ready; /* the GSSAPI plugin loaded */
/* The users the auxprop plugin serves: those of the server whose exchange
 * is running (lookups happen inside sasl_server_start/step). */
static const struct coord_config *lookup_cfg;

/* --- the user table ------------------------------------------------------ */

/* The password of user (ulen bytes; Cyrus may have appended our realm as
 * "@zk-sasl-md5"), or NULL. */
static const char *find_password(const struct coord_config *cfg,
                                 const char *user, size_t ulen)
{
    static const char suffix[] = "@" COORD_SASL_HOST;
    size_t slen = sizeof suffix - 1;
    if (cfg == NULL)
        return NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < cfg->n_sasl_users; i++) {
            const struct coord_config_sasl_user *u = &cfg->sasl_users[i];
            if (strlen(u->user) == ulen && memcmp(u->user, user, ulen) == 0)
                return u->password;
        }
        if (ulen <= slen || memcmp(user + ulen - slen, suffix, slen) != 0)
            break;
        ulen -= slen;
    }
    return NULL;
}

/* --- Cyrus callbacks and our auxprop plugin ------------------------------ */

static int aux_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
                      const char *user, unsigned ulen)
{
    (void)glob;
    if (sp == NULL || user == NULL)
        return SASL_BADPARAM;
    /* only the authentication id has a password */
    if (flags & SASL_AUXPROP_AUTHZID)
        return SASL_OK;
    const char *pw = find_password(lookup_cfg, user, ulen);
    if (pw == NULL)
        return SASL_NOUSER;
    const struct propval *want = sp->utils->prop_get(sp->propctx);
    if (want == NULL)
        return SASL_NOMEM;
    for (const struct propval *p = want; p->name != NULL; p++) {
        if (strcmp(p->name, SASL_AUX_PASSWORD) != 0)
            continue;
        if (p->values != NULL) {
            if (!(flags & SASL_AUXPROP_OVERRIDE))
                continue;
            prop_erase(sp->propctx, p->name);
        }
        int rc = sp->utils->prop_set(sp->propctx, p->name, pw,
                                     (unsigned)strlen(pw));
        if (rc != SASL_OK)
            return rc;
    }
    return SASL_OK;
}

static sasl_auxprop_plug_t aux_plug = {
    .auxprop_lookup = aux_lookup,
    .name = COORD_SASL_AUXPROP,
};

static int aux_init(const sasl_utils_t *utils, int max_version,
                    int *out_version, sasl_auxprop_plug_t **plug,
                    const char *name)
{
    (void)utils;
    (void)name;
    if (max_version < SASL_AUXPROP_PLUG_VERSION)
        return SASL_BADVERS;
    *out_version = SASL_AUXPROP_PLUG_VERSION;
    *plug = &aux_plug;
    return SASL_OK;
}

/* Our options win over any SASL configuration file. */
static int get_opt(void *ctx, const char *plugin, const char *option,
                   const char **result, unsigned *len)
{
    (void)ctx;
    (void)plugin;
    const char *v = NULL;
    if (strcmp(option, "mech_list") == 0)
        v = gss_keytab ? "DIGEST-MD5 GSSAPI" : "DIGEST-MD5";
    else if (strcmp(option, "keytab") == 0)
        v = gss_keytab; /* the GSSAPI plugin's acceptor keytab */
    else if (strcmp(option, "auxprop_plugin") == 0)
        v = COORD_SASL_AUXPROP;
    else if (strcmp(option, "pwcheck_method") == 0)
        v = "auxprop";
    else if (strcmp(option, "log_level") == 0)
        v = log_threshold >= LOG_DEBUG ? "3" : "1";
    if (v == NULL)
        return SASL_FAIL;
    *result = v;
    if (len)
        *len = (unsigned)strlen(v);
    return SASL_OK;
}

static int on_log(void *ctx, int level, const char *message)
{
    (void)ctx;
    if (level <= SASL_LOG_ERR)
        log_warn("sasl: library: %s", message ? message : "?");
    else
        log_debug("sasl: library: %s", message ? message : "?");
    return SASL_OK;
}

/* ZooKeeper authorizes whatever authorization id a client asks for and
 * then makes the identity the authentication id: so do we. */
static int allow_authzid(sasl_conn_t *sc, void *ctx, const char *req,
                         unsigned rlen, const char *auth, unsigned alen,
                         const char *realm, unsigned urlen,
                         struct propctx *props)
{
    (void)sc, (void)ctx, (void)req, (void)rlen, (void)auth, (void)alen;
    (void)realm, (void)urlen, (void)props;
    return SASL_OK;
}

#define CB(f) ((int (*)(void))(void (*)(void))(f))

static int lib_init(const struct coord_config *cfg)
{
    static const sasl_callback_t cbs[] = {
        {SASL_CB_GETOPT, CB(get_opt), NULL},
        {SASL_CB_LOG, CB(on_log), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
    };
    if (lib_rc != -1)
        return lib_rc;
    if (cfg->sasl_gssapi_keytab != NULL &&
        (gss_keytab = strdup(cfg->sasl_gssapi_keytab)) == NULL)
        return lib_rc = SASL_NOMEM;
    int rc = sasl_auxprop_add_plugin(COORD_SASL_AUXPROP, aux_init);
    if (rc == SASL_OK)
        rc = sasl_server_init(cbs, COORD_SASL_APP);
    if (rc != SASL_OK)
        log_error("sasl: cannot initialise Cyrus SASL: %s",
                  sasl_errstring(rc, NULL, NULL));
    if (rc == SASL_OK && gss_keytab != NULL) {
        const char **mechs = sasl_global_listmech();
        for (size_t i = 0; mechs && mechs[i]; i++)
            if (strcmp(mechs[i], "GSSAPI") == 0)
                gss_ready = true;
        if (!gss_ready)
            log_error("sasl: GSSAPI is not available: the Cyrus GSSAPI "
                      "plugin (libsasl2-modules-gssapi-mit) is missing or "
                      "cannot read the keytab %s",
                      gss_keytab);
    }
    lib_rc = rc;
    return rc;
}

/* --- exchanges ----------------------------------------------------------- */

static void state_free(struct sasl_state *st)
{
    for (struct sasl_state **pp = &states; *pp; pp = &(*pp)->next) {
        if (*pp == st) {
            *pp = st->next;
            n_states--;
            break;
        }
    }
    sasl_dispose(&st->sc);
    free(st);
}

/* Frees the exchanges of srv whose connection is gone: those no live
 * connection points at. Runs when the list has doubled since the last time,
 * so its cost is spread over the exchanges started. */
static void sweep(struct server *srv)
{
    if (n_states < sweep_at)
        return;
    for (struct sasl_state *st = states; st; st = st->next)
        st->live = st->srv != srv;
    for (struct conn *c = srv->conns; c; c = c->next)
        if (c->sasl)
            c->sasl->live = true;
    for (struct sasl_state **pp = &states; *pp;) {
        struct sasl_state *st = *pp;
        if (st->live) {
            pp = &st->next;
            continue;
        }
        *pp = st->next;
        n_states--;
        sasl_dispose(&st->sc);
        free(st);
    }
    sweep_at = 2 * n_states + 64;
}

/* Splits sasl.gssapi.principal, service/host@REALM (config.c checked the
 * form), into its parts; false if one does not fit. */
static bool split_principal(const char *p, char *svc, size_t svc_len,
                            char *host, size_t host_len, char *realm,
                            size_t realm_len)
{
    const char *slash = p ? strchr(p, '/') : NULL;
    const char *at = p ? strrchr(p, '@') : NULL;
    if (slash == NULL || at == NULL || at < slash)
        return false;
    int n = snprintf(svc, svc_len, "%.*s", (int)(slash - p), p);
    if (n <= 0 || (size_t)n >= svc_len)
        return false;
    n = snprintf(host, host_len, "%.*s", (int)(at - slash - 1), slash + 1);
    if (n <= 0 || (size_t)n >= host_len)
        return false;
    n = snprintf(realm, realm_len, "%s", at + 1);
    return n > 0 && (size_t)n < realm_len;
}

/* A new exchange: DIGEST-MD5 as ZooKeeper names it, or GSSAPI as the
 * acceptor sasl.gssapi.principal. */
static struct sasl_state *state_new(struct conn *c, bool gssapi)
{
    static const sasl_callback_t cbs[] = {
        {SASL_CB_PROXY_POLICY, CB(allow_authzid), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
    };
    /* No security layer: ZooKeeper's traffic is not wrapped after SASL, so
     * DIGEST-MD5 offers qop=auth only. */
    static const sasl_security_properties_t props = {
        .min_ssf = 0,
        .max_ssf = 0,
        .maxbufsize = 0,
        .security_flags = SASL_SEC_NOANONYMOUS,
    };
    const char *service = COORD_SASL_SERVICE, *host = COORD_SASL_HOST;
    const char *user_realm = NULL;
    char svc[128], fqdn[256], realm[256];
    if (gssapi) {
        if (!split_principal(c->srv->cfg->sasl_gssapi_principal, svc,
                             sizeof svc, fqdn, sizeof fqdn, realm,
                             sizeof realm)) {
            log_warn("sasl: sasl.gssapi.principal is not service/host@REALM");
            return NULL;
        }
        /* Cyrus's GSSAPI acquires service@host from the keytab. It gives
         * a client of the default realm without its realm; user_realm puts
         * it back, so the identity is always the full principal. */
        service = svc;
        host = fqdn;
        user_realm = realm;
    }
    sweep(c->srv);
    struct sasl_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    st->gssapi = gssapi;
    /* SASL_SUCCESS_DATA: the last step's data (DIGEST-MD5's rspauth) goes
     * out with the success, as Java's SaslServer has it; kazoo and the Java
     * client send nothing after it. */
    int rc = sasl_server_new(service, host, user_realm, NULL, NULL, cbs,
                             SASL_SUCCESS_DATA, &st->sc);
    if (rc == SASL_OK)
        rc = sasl_setprop(st->sc, SASL_SEC_PROPS, &props);
    if (rc != SASL_OK) {
        log_warn("sasl: cannot start an exchange peer=%s: %s", c->peer_text,
                 sasl_errstring(rc, NULL, NULL));
        if (st->sc)
            sasl_dispose(&st->sc);
        free(st);
        return NULL;
    }
    st->srv = c->srv;
    st->next = states;
    states = st;
    n_states++;
    return st;
}

/* The identity of a finished exchange: the authentication id, for
 * DIGEST-MD5 without the realm Cyrus may have appended, for GSSAPI the
 * client's principal as it is. */
static int add_identity(struct conn *c)
{
    const void *v = NULL;
    if (sasl_getprop(c->sasl->sc, SASL_AUTHUSER, &v) != SASL_OK || v == NULL)
        return COORD_EAUTHFAILED;
    static const char suffix[] = "@" COORD_SASL_HOST;
    size_t slen = sizeof suffix - 1, len = strlen(v);
    char user[512];
    if (!c->sasl->gssapi && len > slen &&
        strcmp((const char *)v + len - slen, suffix) == 0)
        len -= slen;
    if (len == 0 || len >= sizeof user)
        return COORD_EAUTHFAILED;
    memcpy(user, v, len);
    user[len] = '\0';
    if (auth_add_sasl(c, user) != 0)
        return COORD_EAUTHFAILED;
    log_info("sasl: authenticated peer=%s sid=0x%llx id=sasl:%s",
             c->peer_text, (unsigned long long)c->session_id, user);
    return 0;
}

static int fail(struct conn *c, const char *why)
{
    log_info("sasl: authentication failed peer=%s sid=0x%llx why=%s",
             c->peer_text, (unsigned long long)c->session_id, why);
    if (c->sasl) {
        state_free(c->sasl);
        c->sasl = NULL;
    }
    return COORD_EAUTHFAILED;
}

int sasl_step(struct conn *c, struct jute_str body, struct buf *out)
{
    struct jute_r rd;
    jute_r_init(&rd, body.p, body.len > 0 ? (size_t)body.len : 0);
    struct jute_str token = jute_get_buffer(&rd);
    if (!jute_r_done(&rd))
        return fail(c, "malformed request");
    if (token.len < 0)
        token.len = 0;
    const struct coord_config *cfg = c->srv->cfg;
    const char *out_tok = NULL;
    unsigned out_len = 0;
    int rc;
    if (c->sasl == NULL) {
        /* ZooKeeper's SaslServer, once complete, fails any further step */
        if (auth_has_scheme(c, "sasl"))
            return fail(c, "already authenticated (one exchange per "
                           "connection)");
        bool gssapi = token.len > 0;
        if (cfg->n_sasl_users == 0 && cfg->sasl_gssapi_keytab == NULL)
            return fail(c, "no mechanism configured (sasl.digest.users, "
                           "sasl.gssapi.keytab)");
        /* a client-first mechanism (GSSAPI, PLAIN...) */
        if (gssapi && cfg->sasl_gssapi_keytab == NULL)
            return fail(c, "unsupported mechanism (an initial response, "
                           "only DIGEST-MD5 is offered)");
        if (!gssapi && cfg->n_sasl_users == 0)
            return fail(c, "unsupported mechanism (no initial response, "
                           "only GSSAPI is offered)");
        if (lib_init(cfg) != SASL_OK)
            return fail(c, "the SASL library did not initialise");
        if (gssapi && !gss_ready)
            return fail(c, "GSSAPI is not available (see the log at the "
                           "first SASL request)");
        if ((c->sasl = state_new(c, gssapi)) == NULL)
            return fail(c, "cannot start an exchange");
        lookup_cfg = cfg;
        rc = sasl_server_start(c->sasl->sc, gssapi ? "GSSAPI" : "DIGEST-MD5",
                               gssapi ? token.p : NULL,
                               gssapi ? (unsigned)token.len : 0, &out_tok,
                               &out_len);
    } else {
        lookup_cfg = cfg;
        rc = sasl_server_step(c->sasl->sc, token.p, (unsigned)token.len,
                              &out_tok, &out_len);
    }
    lookup_cfg = NULL;
    if (rc != SASL_OK && rc != SASL_CONTINUE) {
        const char *detail = sasl_errdetail(c->sasl->sc);
        char why[256];
        snprintf(why, sizeof why, "\"%s\"",
                 detail ? detail : sasl_errstring(rc, NULL, NULL));
        return fail(c, why);
    }
    if (rc == SASL_OK) {
        int err = add_identity(c);
        if (err != 0)
            return fail(c, "no usable identity");
    }
    jute_put_buffer(out, out_tok, out_tok ? (int32_t)out_len : -1);
    if (out->err)
        return fail(c, "cannot encode the reply");
    if (rc == SASL_OK) {
        state_free(c->sasl);
        c->sasl = NULL;
    }
    return 0;
}
