#include "transports/blocking/blocking_client.h"
// Implementation in progress.
