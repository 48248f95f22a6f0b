# Configures tests/install/subproject (which add_subdirectory's Bulwark) and builds a program
# linking bulwark::core: Bulwark must work as a subproject.
file(REMOVE_RECURSE ${WORK})
set(_launcher "")
find_program(_ccache ccache)
if(_ccache)
  set(_launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${_ccache})
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE}/tests/install/subproject -B ${WORK} -G Ninja
          -DCMAKE_BUILD_TYPE=Release -DBULWARK_SOURCE=${SOURCE} ${_launcher}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring Bulwark as a subproject failed:\n${out}\n${err}")
endif()
if(EXISTS ${WORK}/bulwark/tests OR EXISTS ${WORK}/bulwark/bench)
  message(FATAL_ERROR "a subproject build must not build Bulwark's tests or benchmarks by default")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK} --target uses_bulwark
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building a program on Bulwark as a subproject failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${WORK}/uses_bulwark RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the program built on Bulwark as a subproject failed (${rc})")
endif()
file(REMOVE_RECURSE ${WORK})
