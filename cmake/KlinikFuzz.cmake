# libFuzzer targets (fuzz/, README.md "Fuzzing"). They need clang, so fuzz/ is its own CMake
# project, built here as an external project into ${CMAKE_BINARY_DIR}/fuzz; each of its targets
# becomes the ctest fuzz.<name>, which runs it for KLINIK_FUZZ_SECONDS over a copy of
# fuzz/corpus/<name>/. Without a clang that links -fsanitize=fuzzer, KLINIK_FUZZ turns itself off.
include(ExternalProject)

set(KLINIK_FUZZ_SECONDS 10 CACHE STRING "Seconds each fuzz.<name> test fuzzes in ctest")
cmake_host_system_information(RESULT _klinik_cores QUERY NUMBER_OF_LOGICAL_CORES)
math(EXPR _klinik_fuzz_jobs "(${_klinik_cores} + 1) / 2")
set(KLINIK_FUZZ_JOBS ${_klinik_fuzz_jobs} CACHE STRING
    "Parallel compile jobs of the fuzz build (it runs beside the main build's own jobs)")

find_program(KLINIK_FUZZ_CXX NAMES clang++-14 clang++ DOC "clang for the libFuzzer targets")

# Whether this clang links a libFuzzer target with the sanitizers (Debian: libclang-rt-14-dev).
# Probed at each configure until it works (then remembered).
if(KLINIK_FUZZ_CXX AND NOT KLINIK_FUZZ_CXX_WORKS)
  set(_probe ${CMAKE_BINARY_DIR}/CMakeFiles/klinik_fuzz_probe)
  file(WRITE ${_probe}/probe.cc
       "#include <fuzzer/FuzzedDataProvider.h>\n"
       "extern \"C\" int LLVMFuzzerTestOneInput(const unsigned char* d, unsigned long n) {\n"
       "  FuzzedDataProvider p(d, n);\n  return p.ConsumeBool() ? 0 : 0;\n}\n")
  execute_process(COMMAND ${KLINIK_FUZZ_CXX} -fsanitize=fuzzer,address,undefined
                          ${_probe}/probe.cc -o ${_probe}/probe
                  RESULT_VARIABLE _probe_result OUTPUT_QUIET ERROR_VARIABLE _probe_error)
  if(_probe_result EQUAL 0)
    set(KLINIK_FUZZ_CXX_WORKS TRUE CACHE INTERNAL "")
  else()
    set(KLINIK_FUZZ_CXX_WORKS FALSE CACHE INTERNAL "")
    string(REGEX REPLACE "\n.*" "" KLINIK_FUZZ_PROBE_ERROR "${_probe_error}")
  endif()
endif()

if(NOT KLINIK_FUZZ_CXX OR NOT KLINIK_FUZZ_CXX_WORKS)
  message(WARNING "KLINIK_FUZZ: no clang++ that links -fsanitize=fuzzer,address,undefined "
                  "(${KLINIK_FUZZ_CXX}; ${KLINIK_FUZZ_PROBE_ERROR}), so the fuzz.* tests are "
                  "left out. `make deps` installs clang-14 and libclang-rt-14-dev "
                  "(tools/dev/packages/fuzz.txt); or configure with -DKLINIK_FUZZ=OFF.")
  return()
endif()

set(_fuzz_args -DCMAKE_CXX_COMPILER=${KLINIK_FUZZ_CXX})
if(KLINIK_CCACHE)
  list(APPEND _fuzz_args -DCMAKE_CXX_COMPILER_LAUNCHER=${KLINIK_CCACHE})
endif()
ExternalProject_Add(klinik_fuzz
  SOURCE_DIR ${CMAKE_SOURCE_DIR}/fuzz
  BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
  CMAKE_ARGS ${_fuzz_args}
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> -j ${KLINIK_FUZZ_JOBS}
  # fuzz/ compiles service sources this project cannot see as dependencies: always ask its
  # build, which is a no-op when nothing changed.
  BUILD_ALWAYS TRUE
  INSTALL_COMMAND ""
)

file(GLOB _fuzz_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/*_fuzz.cc)
foreach(_source ${_fuzz_sources})
  get_filename_component(_binary ${_source} NAME_WE)
  string(REGEX REPLACE "_fuzz$" "" _name ${_binary})
  if(NOT IS_DIRECTORY ${CMAKE_SOURCE_DIR}/fuzz/corpus/${_name})
    message(FATAL_ERROR "fuzz/${_binary}.cc has no seed corpus fuzz/corpus/${_name}/")
  endif()
  add_test(NAME fuzz.${_name}
           COMMAND bash ${CMAKE_SOURCE_DIR}/fuzz/run_fuzz.sh ${CMAKE_BINARY_DIR}/fuzz/${_binary}
                   ${CMAKE_SOURCE_DIR}/fuzz/corpus/${_name} ${CMAKE_BINARY_DIR}/fuzz-runs/${_name}
                   ${KLINIK_FUZZ_SECONDS})
  set_tests_properties(fuzz.${_name} PROPERTIES LABELS fuzz)
endforeach()
