/* Error codes: the project's one table lives in include/coord_err.h. */
#ifndef COORD_PROTO_ERR_H
#define COORD_PROTO_ERR_H

#include "coord_err.h"

#endif
