#include "transports/libuv/uv_pool.h"
