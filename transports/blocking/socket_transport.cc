#include "transports/blocking/socket_transport.h"
// Implementation in progress.
