// Moved to bulwark/request/shared_list.h; this alias keeps code written against service::
// compiling.
#ifndef BULWARK_SERVICE_SHARED_LIST_H_
#define BULWARK_SERVICE_SHARED_LIST_H_

#include "bulwark/request/shared_list.h"

namespace bulwark::service {

using request::SharedList;

}  // namespace bulwark::service

#endif  // BULWARK_SERVICE_SHARED_LIST_H_
