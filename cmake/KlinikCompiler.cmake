# Compiler settings: ccache when present, strict warnings on project code, optional sanitizers.
find_program(KLINIK_CCACHE ccache)
if(KLINIK_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${KLINIK_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${KLINIK_CCACHE})
endif()

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# Warnings apply to our own targets only (generated protobuf code is built without -Werror).
function(klinik_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()

if(KLINIK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
