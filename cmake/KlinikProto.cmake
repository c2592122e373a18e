# Generates C++ messages and gRPC stubs for a set of .proto files into one static library.
# Generated headers are included relative to the build root: #include "klinik/v1/x.pb.h".
function(klinik_proto_library target)
  cmake_parse_arguments(ARG "" "IMPORT_DIR" "PROTOS" ${ARGN})
  add_library(${target} STATIC ${ARG_PROTOS})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  set(out ${CMAKE_BINARY_DIR}/generated)
  file(MAKE_DIRECTORY ${out})
  target_include_directories(${target} SYSTEM PUBLIC ${out})
  protobuf_generate(TARGET ${target} LANGUAGE cpp IMPORT_DIRS ${ARG_IMPORT_DIR}
                    PROTOC_OUT_DIR ${out})
  protobuf_generate(TARGET ${target} LANGUAGE grpc IMPORT_DIRS ${ARG_IMPORT_DIR}
                    PROTOC_OUT_DIR ${out}
                    GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
                    PLUGIN protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
endfunction()
