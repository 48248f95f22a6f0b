# Layering check (docs/ARCHITECTURE.md, docs/node.md): fails the configuration when a module
# links, directly or through another module, a module above it. Runs after every module under
# src/ was added.
#
#   bulwark_forbid_link(FROM TO REASON)   FROM must not reach TO through its link dependencies.

# The bulwark modules `target` links, transitively (names without the bulwark_ prefix).
function(_bulwark_link_closure target out)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue t)
    if(NOT TARGET ${t})
      continue()
    endif()
    get_target_property(aliased ${t} ALIASED_TARGET)
    if(aliased)
      set(t ${aliased})
    endif()
    if(t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(libs ${t} LINK_LIBRARIES)
    get_target_property(ilibs ${t} INTERFACE_LINK_LIBRARIES)
    foreach(l IN LISTS libs ilibs)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" l "${l}")
      if(l MATCHES "^bulwark(::|_)")
        list(APPEND queue ${l})
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(bulwark_forbid_link from to reason)
  if(NOT TARGET bulwark_${from} OR NOT TARGET bulwark_${to})
    return()
  endif()
  _bulwark_link_closure(bulwark_${from} closure)
  if(bulwark_${to} IN_LIST closure)
    message(FATAL_ERROR
      "Layering: bulwark::${from} links bulwark::${to} (directly or through another module); "
      "${reason} (docs/node.md, section 1)")
  endif()
endfunction()

bulwark_forbid_link(audit service "the verifiable-log core is below every service")
bulwark_forbid_link(auditlog service
  "the audit log implements request::AuditSink and must not pull in the service")
bulwark_forbid_link(auditship service "shipping the log needs no service")
bulwark_forbid_link(auditship expr "shipping the log needs no CEL engine")
bulwark_forbid_link(request service "request holds the seams below the service")
bulwark_forbid_link(keyops service "keyops reaches the store through keyops::StoredNamespaces")
bulwark_forbid_link(store keys "the store keeps ciphertext it cannot read")
bulwark_forbid_link(compliance secfile "compliance never decrypts and never edits file bytes")
bulwark_forbid_link(compliance keys "compliance never decrypts")
bulwark_forbid_link(monitor service
  "the monitor reads the audit log and records through request::AuditSink")
bulwark_forbid_link(service lifecycle "secret lifecycle composes the configuration service, not the reverse")
bulwark_forbid_link(store lifecycle "the store keeps lifecycle documents it does not interpret")
bulwark_forbid_link(agent service "the key agent holds key-encryption keys only (docs/agent.md)")
bulwark_forbid_link(agent store "the key agent holds key-encryption keys only (docs/agent.md)")
foreach(_below IN ITEMS core crypto keys agent config request expr audit auditlog auditship store
                       secfile keyops compliance service monitor drift lifecycle change)
  bulwark_forbid_link(${_below} node "node composes the modules below it")
  bulwark_forbid_link(${_below} cli "nothing depends on the CLI")
endforeach()
bulwark_forbid_link(node cli "nothing depends on the CLI")
