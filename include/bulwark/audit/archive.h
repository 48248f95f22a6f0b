// Moved to bulwark/auditlog/archive.h (the durable log has its own folder since issue #13). Kept so
// that code written against the old path keeps compiling; include the new path in new code.
#ifndef BULWARK_AUDIT_ARCHIVE_H_
#define BULWARK_AUDIT_ARCHIVE_H_

#include "bulwark/auditlog/archive.h"

#endif  // BULWARK_AUDIT_ARCHIVE_H_
