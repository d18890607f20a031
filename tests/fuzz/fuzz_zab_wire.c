/* Fuzz target: arbitrary bytes as a Zab peer message; a decoded message
 * must re-encode to the very same bytes. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "zab/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct zab_msg m;
    if (zab_msg_decode(data, size, &m) != 0)
        return 0;
    size_t n = zab_msg_size(&m);
    REQUIRE(n == size);
    uint8_t *out = malloc(n);
    REQUIRE(out != NULL);
    REQUIRE(zab_msg_encode(&m, out) == n);
    REQUIRE(memcmp(out, data, n) == 0);
    free(out);
    return 0;
}
