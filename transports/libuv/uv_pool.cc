#include "transports/libuv/uv_pool.h"
// Implementation in progress.
