// Moved to bulwark/auditlog/event_store.h (the durable log has its own folder since issue #13). Kept so
// that code written against the old path keeps compiling; include the new path in new code.
#ifndef BULWARK_AUDIT_EVENT_STORE_H_
#define BULWARK_AUDIT_EVENT_STORE_H_

#include "bulwark/auditlog/event_store.h"

#endif  // BULWARK_AUDIT_EVENT_STORE_H_
