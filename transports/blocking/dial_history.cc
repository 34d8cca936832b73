#include "transports/blocking/dial_history.h"
// Implementation in progress.
