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
