/* Runs a fuzz target over saved inputs, so make check replays every corpus. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

/*
 * Reads a whole file into a block of exactly its size (so ASan flags any
 * read past the input, as libFuzzer would) and feeds it to the target.
 */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *data = malloc(cap);
    while (data != NULL) {
        n += fread(data + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *grown = realloc(data, cap * 2);
        if (grown == NULL) {
            free(data);
            data = NULL;
            break;
        }
        data = grown;
        cap *= 2;
    }
    int failed = data == NULL || ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "%s: read failed\n", path);
        free(data);
        return -1;
    }
    uint8_t *exact = malloc(n ? n : 1);
    if (exact == NULL) {
        free(data);
        return -1;
    }
    memcpy(exact, data, n);
    free(data);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

/* Replays a file, or every regular file in a directory (not recursively). */
static int replay_path(const char *path, unsigned *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        perror(path);
        return -1;
    }
    int rv = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (full == NULL) {
            rv = -1;
            break;
        }
        snprintf(full, len, "%s/%s", path, e->d_name);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            (*count)++;
            if (replay_file(full) != 0)
                rv = -1;
        }
        free(full);
    }
    closedir(d);
    return rv;
}

/*
 * Usage: replay_<x> [file-or-dir ...]. Without arguments it replays the
 * corpus named at build time (FUZZ_CORPUS, relative to the source tree,
 * which make check exports as COORD_SRCDIR). A crash aborts; an empty
 * corpus is an error, so a wrong path cannot pass silently.
 */
int main(int argc, char **argv)
{
    unsigned count = 0;
    int rv = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (replay_path(argv[i], &count) != 0)
                rv = 1;
    } else {
#ifdef FUZZ_CORPUS
        const char *top = getenv("COORD_SRCDIR");
        size_t len = strlen(top ? top : ".") + strlen(FUZZ_CORPUS) + 2;
        char *dir = malloc(len);
        if (dir == NULL)
            return 99;
        snprintf(dir, len, "%s/%s", top ? top : ".", FUZZ_CORPUS);
        if (replay_path(dir, &count) != 0)
            rv = 1;
        free(dir);
#else
        fprintf(stderr, "usage: %s file-or-dir...\n", argv[0]);
        return 99;
#endif
    }
    printf("replayed %u inputs\n", count);
    if (count == 0)
        return 1;
    return rv;
}
