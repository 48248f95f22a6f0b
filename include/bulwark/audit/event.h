// Moved to bulwark/auditlog/event.h (the durable log has its own folder since issue #13). Kept so
// that code written against the old path keeps compiling; include the new path in new code.
#ifndef BULWARK_AUDIT_EVENT_H_
#define BULWARK_AUDIT_EVENT_H_

#include "bulwark/auditlog/event.h"

#endif  // BULWARK_AUDIT_EVENT_H_
