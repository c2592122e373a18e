# The services of services/services.json, the one list of them (README.md, "Adding a service").
# The top-level CMakeLists.txt loads the manifest and adds services/<name> for each entry; each
# services/<name>/CMakeLists.txt declares its targets with klinik_add_service(), so every service
# is built, linked and installed the same way; klinik_add_service_targets() then gives the
# bench and the integration tests the list as the generated header klinik/service_manifest.h.
set(KLINIK_SERVICE_MANIFEST ${CMAKE_SOURCE_DIR}/services/services.json)

# Sets KLINIK_SERVICES (names in start order) and KLINIK_SERVICE_<name>_BINARY in the caller's
# scope. A manifest entry without its folder, and a service folder the manifest does not name,
# stop the configure: either would be a service that is silently not built or not run.
function(klinik_load_service_manifest)
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                                                            ${KLINIK_SERVICE_MANIFEST})
  file(READ ${KLINIK_SERVICE_MANIFEST} json)
  string(JSON count ERROR_VARIABLE error LENGTH "${json}" services)
  if(error OR count EQUAL 0)
    message(FATAL_ERROR "${KLINIK_SERVICE_MANIFEST}: no `services` list (${error})")
  endif()
  set(names "")
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON name ERROR_VARIABLE name_error GET "${json}" services ${i} name)
    string(JSON binary ERROR_VARIABLE binary_error GET "${json}" services ${i} binary)
    if(name_error OR binary_error OR NOT name MATCHES "^[a-z][a-z0-9-]*$"
       OR NOT binary MATCHES "^[a-z][a-z0-9_-]*$")
      message(FATAL_ERROR "${KLINIK_SERVICE_MANIFEST}: service #${i} needs a lower-case `name` "
                          "and `binary` (${name_error}${binary_error})")
    endif()
    if(name IN_LIST names)
      message(FATAL_ERROR "${KLINIK_SERVICE_MANIFEST}: ${name} is listed twice")
    endif()
    if(NOT EXISTS ${CMAKE_SOURCE_DIR}/services/${name}/CMakeLists.txt)
      message(FATAL_ERROR "${KLINIK_SERVICE_MANIFEST} lists ${name}, but services/${name}/CMakeLists.txt does not exist")
    endif()
    list(APPEND names ${name})
    set(KLINIK_SERVICE_${name}_BINARY ${binary} PARENT_SCOPE)
  endforeach()
  file(GLOB folders RELATIVE ${CMAKE_SOURCE_DIR}/services ${CMAKE_SOURCE_DIR}/services/*/CMakeLists.txt)
  foreach(folder ${folders})
    get_filename_component(folder ${folder} DIRECTORY)
    if(NOT folder STREQUAL "common" AND NOT folder IN_LIST names)
      message(FATAL_ERROR "services/${folder} is not in ${KLINIK_SERVICE_MANIFEST}: add it there "
                          "(README.md, \"Adding a service\")")
    endif()
  endforeach()
  set(KLINIK_SERVICES ${names} PARENT_SCOPE)
endfunction()

# klinik_add_service(<name> SOURCES <src/…> [LIBS <targets…>])
# Called from services/<name>/CMakeLists.txt. Declares <name>_lib (dashes as underscores):
# everything but main(), so the unit and component tests link exactly what the binary runs; and
# the binary named in the manifest, built from main.cpp and installed in the `services` component
# that the container image ships (Dockerfile).
function(klinik_add_service name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT name IN_LIST KLINIK_SERVICES)
    message(FATAL_ERROR "klinik_add_service(${name}): ${name} is not in ${KLINIK_SERVICE_MANIFEST}")
  endif()
  if(NOT ARG_SOURCES OR ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "klinik_add_service(${name} SOURCES <files…> [LIBS <targets…>])")
  endif()
  string(REPLACE "-" "_" lib "${name}_lib")
  set(binary ${KLINIK_SERVICE_${name}_BINARY})

  add_library(${lib} STATIC ${ARG_SOURCES})
  target_include_directories(${lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${lib} PUBLIC klinik_common ${ARG_LIBS})
  klinik_strict_warnings(${lib})

  add_executable(${binary} main.cpp)
  target_link_libraries(${binary} PRIVATE ${lib})
  klinik_strict_warnings(${binary})
  install(TARGETS ${binary} RUNTIME DESTINATION bin COMPONENT services)
endfunction()

# After every service was added: checks each declared its binary; adds klinik_services (every
# binary: what the container image builds) and generates klinik/service_manifest.h (INTERFACE
# target klinik_service_manifest) for the C++ harnesses that start all services. The header is
# rewritten only when the list changes, so nothing rebuilds needlessly. Sets
# KLINIK_SERVICE_BINARIES in the caller's scope.
function(klinik_add_service_targets)
  set(entries "")
  set(binaries "")
  foreach(name ${KLINIK_SERVICES})
    set(binary ${KLINIK_SERVICE_${name}_BINARY})
    if(NOT TARGET ${binary})
      message(FATAL_ERROR "services/${name}/CMakeLists.txt must declare its targets with "
                          "klinik_add_service(${name} …)")
    endif()
    string(APPEND entries "    {\"${name}\", \"services/${name}/${binary}\"},\n")
    list(APPEND binaries ${binary})
  endforeach()
  list(LENGTH KLINIK_SERVICES count)
  set(dir ${CMAKE_BINARY_DIR}/generated/service_manifest)
  file(CONFIGURE OUTPUT ${dir}/klinik/service_manifest.h @ONLY CONTENT
"// Generated by cmake/KlinikService.cmake from services/services.json: edit that file instead.
// The services in start order (each after the services it calls), for harnesses that start them.
#pragma once

#include <array>
#include <string_view>

namespace klinik::manifest {

struct ServiceEntry {
  std::string_view name;
  std::string_view binary;  // relative to the build directory (testing::BinaryPath)
};

inline constexpr std::array<ServiceEntry, @count@> kServices = {{
@entries@}};

}  // namespace klinik::manifest
")
  add_custom_target(klinik_services)
  add_dependencies(klinik_services ${binaries})
  add_library(klinik_service_manifest INTERFACE)
  target_include_directories(klinik_service_manifest INTERFACE ${dir})
  set(KLINIK_SERVICE_BINARIES ${binaries} PARENT_SCOPE)
endfunction()
