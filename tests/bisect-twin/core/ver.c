#include "twin.h"
/* data only: the bad rule's flags leave its bytes alone (a candidate that drops out) */
const char core_version[] = "twin 1";
