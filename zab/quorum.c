/* Quorum membership as data: majorities of the voting members. */
#include "zab/internal.h"

int quorum_index(const struct zab_membership *m, zab_sid id)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->members[i].id == id)
            return (int)i;
    return -1;
}

bool quorum_is_voter(const struct zab_membership *m, int idx)
{
    return idx >= 0 && (unsigned)idx < m->n &&
           m->members[idx].role == ZAB_VOTER;
}

/* Spec 1.1: a quorum is a strict majority of the voting configuration;
 * observers in the mask are ignored. */
bool quorum_has(const struct zab_membership *m, uint32_t mask)
{
    unsigned voters = 0, in = 0;
    for (unsigned i = 0; i < m->n; i++) {
        if (m->members[i].role != ZAB_VOTER)
            continue;
        voters++;
        if (mask & (1u << i))
            in++;
    }
    return voters > 0 && 2 * in > voters;
}
