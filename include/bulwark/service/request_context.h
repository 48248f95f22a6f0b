// Who is asking: moved to bulwark/request/context.h. These aliases keep code written against
// service:: compiling.
#ifndef BULWARK_SERVICE_REQUEST_CONTEXT_H_
#define BULWARK_SERVICE_REQUEST_CONTEXT_H_

#include "bulwark/request/context.h"

namespace bulwark::service {

using request::LocalCliContext;
using request::LocalUserContext;
using request::Principal;
using request::RequestContext;

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_REQUEST_CONTEXT_H_
