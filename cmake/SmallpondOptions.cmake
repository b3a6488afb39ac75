# Cluster mode: OFF builds a library with no MPI dependency, local mode
# only.
option(SP_WITH_MPI "Build the MPI transport (mpirun)" ON)
# Warnings and sanitizers.

option(SP_DEVELOPER "Strict warnings as errors (developer and CI builds)" OFF)
option(SP_SANITIZE "Build with AddressSanitizer and UBSan" OFF)

set(SP_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter)
if(SP_DEVELOPER)
  list(APPEND SP_WARNINGS -Werror)
endif()

if(SP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer harnesses (tests/fuzz): everything is built with coverage for
# the fuzzer and ASan + UBSan; only the harnesses link libFuzzer's main.
option(SP_FUZZ "Build the libFuzzer harnesses of tests/fuzz (clang)" OFF)
if(SP_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SP_FUZZ needs clang (-DCMAKE_C_COMPILER=clang); "
                        "this is ${CMAKE_C_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
