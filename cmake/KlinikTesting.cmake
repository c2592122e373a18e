# Test helpers. Real Apache Kafka and PostgreSQL are started ONCE per ctest run as ctest
# fixtures (tests/infra/*.sh) and shared by every suite that names them in NEEDS; a test binary
# run by hand starts its own (see services/common/testing/test_infra.h).
find_package(GTest REQUIRED)
include(GoogleTest)

set(KLINIK_TEST_STATE_DIR ${CMAKE_BINARY_DIR}/test-infra)
set(KLINIK_INFRA_DIR ${CMAKE_SOURCE_DIR}/tests/infra)
# grpcurl (what operators use against grpc reflection); `make deps` installs it with Go.
find_program(KLINIK_GRPCURL grpcurl HINTS $ENV{HOME}/.cache/klinikdesa/bin)

add_test(NAME infra.kafka.start COMMAND bash ${KLINIK_INFRA_DIR}/kafka.sh start ${KLINIK_TEST_STATE_DIR}/kafka)
add_test(NAME infra.kafka.stop COMMAND bash ${KLINIK_INFRA_DIR}/kafka.sh stop ${KLINIK_TEST_STATE_DIR}/kafka)
set_tests_properties(infra.kafka.start PROPERTIES FIXTURES_SETUP infra TIMEOUT 300)
set_tests_properties(infra.kafka.stop PROPERTIES FIXTURES_CLEANUP infra)

add_test(NAME infra.postgres.start COMMAND bash ${KLINIK_INFRA_DIR}/postgres.sh start ${KLINIK_TEST_STATE_DIR}/postgres)
add_test(NAME infra.postgres.stop COMMAND bash ${KLINIK_INFRA_DIR}/postgres.sh stop ${KLINIK_TEST_STATE_DIR}/postgres)
set_tests_properties(infra.postgres.start PROPERTIES FIXTURES_SETUP infra TIMEOUT 120)
set_tests_properties(infra.postgres.stop PROPERTIES FIXTURES_CLEANUP infra)

# klinik_add_gtest(<name> SOURCES <files…> LIBS <targets…> [NEEDS kafka postgres] [TIMEOUT s] [SERIAL])
# NEEDS (any value) makes the suite require the `infra` fixture: Kafka and PostgreSQL together.
# Builds one GoogleTest binary and registers each of its tests with ctest.
function(klinik_add_gtest name)
  cmake_parse_arguments(ARG "SERIAL" "TIMEOUT" "SOURCES;LIBS;NEEDS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} klinik_testing GTest::gtest GTest::gmock GTest::gtest_main)
  klinik_strict_warnings(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # gtest_discover_tests splits list-valued PROPERTIES, so each property gets one value: the
  # state folder (the rest is compiled into klinik_testing) and the single `infra` fixture.
  set(props ENVIRONMENT "KLINIK_TEST_STATE_DIR=${KLINIK_TEST_STATE_DIR}")
  if(ARG_NEEDS)
    list(APPEND props FIXTURES_REQUIRED infra)
  endif()
  if(ARG_SERIAL)
    # Nothing else runs meanwhile (whole-system tests: other suites' services would also
    # consume the shared klinik.* topics and answer this suite's events).
    list(APPEND props RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30 TEST_PREFIX "${name}."
                       PROPERTIES ${props} TIMEOUT ${ARG_TIMEOUT})
endfunction()
