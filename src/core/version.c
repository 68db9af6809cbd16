/* The library version, set by CMake from the project version so there is one source. */
#include "segkit/version.h"

const char *segkit_version(void) { return SEGKIT_VERSION; }
