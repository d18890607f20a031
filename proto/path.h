/* Znode path validation: ZooKeeper's "full path check". */
#ifndef COORD_PROTO_PATH_H
#define COORD_PROTO_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Full path check (wire spec 7.3): starts with '/', no trailing '/' except
 * the root, no empty, "." or ".." component, no NUL, no code point in
 * U+0001-U+001F, U+007F-U+009F, U+D800-U+F8FF, U+FFF0-U+FFFF or >= U+10000,
 * and valid UTF-8. Returns 0 or COORD_EBADARGUMENTS.
 */
int coord_path_validate(const char *p, size_t len);

/* Simple check used first by create/delete: contains a '/' and no NUL. */
bool coord_path_simple_ok(const char *p, size_t len);

/* Length of the parent's path ("/a/b" -> 2, "/a" -> 1, "/" -> 0). */
size_t coord_path_parent_len(const char *p, size_t len);

#endif
