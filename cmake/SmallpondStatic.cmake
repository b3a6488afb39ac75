# The installed static library, libsmallpond.a, holds one object in which
# only the public API (SP_API, default visibility) is global. The library's
# own functions share the sp_ prefix and are hidden in the shared library;
# in a plain archive they would still be global and clash with a program's
# own sp_ names. So the objects are linked into one relocatable object
# (ld -r) and objcopy --localize-hidden makes every hidden symbol local.
# The tests, which call internal functions, link smallpond_internal: the
# same objects in a plain archive, never installed.

if(NOT CMAKE_OBJCOPY)
  find_program(CMAKE_OBJCOPY NAMES objcopy llvm-objcopy REQUIRED)
endif()
if(NOT CMAKE_LINKER)
  find_program(CMAKE_LINKER NAMES ld ld.lld REQUIRED)
endif()

set(sp_public_o "${PROJECT_BINARY_DIR}/CMakeFiles/smallpond_public.o")
add_custom_command(
  OUTPUT "${sp_public_o}"
  COMMAND "${CMAKE_LINKER}" -r -o "${sp_public_o}.all"
          "$<TARGET_OBJECTS:smallpond_obj>"
  COMMAND "${CMAKE_OBJCOPY}" --localize-hidden "${sp_public_o}.all"
          "${sp_public_o}"
  DEPENDS smallpond_obj "$<TARGET_OBJECTS:smallpond_obj>"
  COMMENT "One object with only the public API global (libsmallpond.a)"
  COMMAND_EXPAND_LISTS VERBATIM)
set_source_files_properties("${sp_public_o}" PROPERTIES
                            EXTERNAL_OBJECT TRUE GENERATED TRUE)

add_library(smallpond_static STATIC "${sp_public_o}")
set_target_properties(smallpond_static PROPERTIES
                      OUTPUT_NAME smallpond LINKER_LANGUAGE C)
target_include_directories(smallpond_static PUBLIC
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
  "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
target_link_libraries(smallpond_static PUBLIC duckdb PkgConfig::JANSSON
                      ${SP_MPI_LIB})

add_library(smallpond_internal STATIC $<TARGET_OBJECTS:smallpond_obj>)
target_include_directories(smallpond_internal PUBLIC
                           "${PROJECT_SOURCE_DIR}/include")
target_link_libraries(smallpond_internal PUBLIC duckdb PkgConfig::JANSSON
                      ${SP_MPI_LIB})
