/* Znode path checks, with the code point rules ZooKeeper's Java server applies. */
#include "proto/path.h"

#include <stdint.h>
#include <string.h>

#include "proto/err.h"

/*
 * Decodes one UTF-8 sequence at p[0..left). Returns its length, or 0 for
 * anything ZooKeeper would turn into U+FFFD: a stray continuation byte, a
 * truncated sequence, an overlong form. Lead bytes F0-F7 start code points
 * >= U+10000, which the path rules reject anyway, so they are refused here
 * with the invalid ones.
 */
static size_t utf8_next(const unsigned char *p, size_t left, uint32_t *cp)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC0 && c < 0xE0) {
        n = 2, v = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c < 0xF0) {
        n = 3, v = c & 0x0Fu, min = 0x800;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0u) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3Fu);
    }
    if (v < min)
        return 0;
    *cp = v;
    return n;
}

/* Spec 7.3 rule 6 (and rule 5, NUL). */
static bool cp_allowed(uint32_t cp)
{
    if (cp <= 0x1F)
        return false;
    if (cp >= 0x7F && cp <= 0x9F)
        return false;
    if (cp >= 0xD800 && cp <= 0xF8FF)
        return false;
    if (cp >= 0xFFF0)
        return false;
    return true;
}

int coord_path_validate(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p;
    if (s == NULL || len == 0 || s[0] != '/')
        return COORD_EBADARGUMENTS;
    if (len == 1)
        return 0;
    if (s[len - 1] == '/')
        return COORD_EBADARGUMENTS;

    size_t comp = 1; /* start of the current component */
    size_t i = 1;
    while (i <= len) {
        if (i == len || s[i] == '/') {
            size_t n = i - comp;
            if (n == 0)
                return COORD_EBADARGUMENTS;
            if (s[comp] == '.' && (n == 1 || (n == 2 && s[comp + 1] == '.')))
                return COORD_EBADARGUMENTS;
            comp = i + 1;
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0 || !cp_allowed(cp))
            return COORD_EBADARGUMENTS;
        i += n;
    }
    return 0;
}

bool coord_path_simple_ok(const char *p, size_t len)
{
    if (p == NULL)
        return false;
    return memchr(p, '/', len) != NULL && memchr(p, '\0', len) == NULL;
}

size_t coord_path_parent_len(const char *p, size_t len)
{
    size_t i = len;
    while (i > 0 && p[i - 1] != '/')
        i--;
    if (i == 0)
        return 0; /* no '/' at all */
    size_t slash = i - 1;
    if (slash == 0)
        return len > 1 ? 1 : 0;
    return slash;
}
