/* segkit/version.h: the library's version, for programs that check what they linked. */
#ifndef SEGKIT_VERSION_H
#define SEGKIT_VERSION_H

#include "segkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "MAJOR.MINOR.PATCH", a static string. */
SEGKIT_API const char *segkit_version(void);

#ifdef __cplusplus
}
#endif
#endif
