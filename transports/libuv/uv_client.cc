#include "transports/libuv/uv_client.h"
// Implementation in progress.
