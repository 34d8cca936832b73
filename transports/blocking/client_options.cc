#include "transports/blocking/client_options.h"
// Implementation in progress.
