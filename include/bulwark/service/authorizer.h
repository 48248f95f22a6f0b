// The authorization seam of the service pipeline: moved to bulwark/request/authorizer.h (below
// the audit log and every service). These aliases keep code written against service:: compiling.
#ifndef BULWARK_SERVICE_AUTHORIZER_H_
#define BULWARK_SERVICE_AUTHORIZER_H_

#include "bulwark/request/action.h"
#include "bulwark/request/authorizer.h"
#include "bulwark/service/request_context.h"

namespace bulwark::service {

using request::Action;
using request::ActionName;
using request::Authorizer;
using request::Decision;
using request::NewLocalAuthorizer;
using request::Resource;
using request::ResourceKind;

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_AUTHORIZER_H_
