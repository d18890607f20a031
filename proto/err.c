/* Messages and names for the error table in err.h. */
#include "proto/err.h"

#include <stddef.h>

const char *coord_strerror(int code)
{
    switch (code) {
#define COORD_ERR_MSG(name, c, msg)                                            \
    case c:                                                                    \
        return msg;
        COORD_ERRORS(COORD_ERR_MSG)
#undef COORD_ERR_MSG
    }
    return "unknown error";
}

const char *coord_errname(int code)
{
    switch (code) {
#define COORD_ERR_NAME(name, c, msg)                                           \
    case c:                                                                    \
        return #name;
        COORD_ERRORS(COORD_ERR_NAME)
#undef COORD_ERR_NAME
    }
    return NULL;
}

const char *coord_err_zkname(int code)
{
    switch (code) {
    case 0: return "OK";
    case -1: return "SystemError";
    case -2: return "RuntimeInconsistency";
    case -3: return "DataInconsistency";
    case -4: return "ConnectionLoss";
    case -5: return "MarshallingError";
    case -6: return "Unimplemented";
    case -7: return "OperationTimeout";
    case -8: return "BadArguments";
    case -12: return "UnknownSession";
    case -13: return "NewConfigNoQuorum";
    case -14: return "ReconfigInProgress";
    case -100: return "APIError";
    case -101: return "NoNode";
    case -102: return "NoAuth";
    case -103: return "BadVersion";
    case -108: return "NoChildrenForEphemerals";
    case -110: return "NodeExists";
    case -111: return "NotEmpty";
    case -112: return "SessionExpired";
    case -113: return "InvalidCallback";
    case -114: return "InvalidACL";
    case -115: return "AuthFailed";
    case -118: return "SessionMoved";
    case -119: return "NotReadOnly";
    case -120: return "EphemeralOnLocalSession";
    case -121: return "NoWatcher";
    case -122: return "RequestTimeout";
    case -123: return "ReconfigDisabled";
    case -124: return "SessionClosedRequireSasl";
    case -125: return "QuotaExceeded";
    case -127: return "Throttled";
    }
    return "Unknown";
}
