# make install / cmake --install: the libraries (libsmallpond.so with its
# SONAME, libsmallpond.a), smallpond.h, the smallpond tool, smallpond.pc,
# the CMake package (find_package(smallpond) -> smallpond::smallpond), the
# man pages made from the tool's --help, and a bundled libduckdb beside
# the library (never a system one). DESTDIR is honoured (cmake --install
# does).
include(CMakePackageConfigHelpers)

install(TARGETS smallpond EXPORT smallpondTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS smallpond_static ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS smallpond_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES "${PROJECT_SOURCE_DIR}/include/smallpond.h"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The DuckDB the build fetched (not one the system has) goes beside the
# library, which finds it by its runpath ($ORIGIN).
if(SP_DUCKDB_BUNDLED)
  install(FILES "${SP_DUCKDB_LIBRARY}" DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()

# pkg-config: relocatable (the prefix is found from where the .pc file
# is, as many folders up as it is deep). A static link needs DuckDB: the
# bundled copy in our libdir, a system one by its own pkg-config module
# when it has one, else by its folder.
string(REPLACE ";" " " SP_PC_MPI_LIBS "${MPI_C_LIBRARIES}")
string(REPLACE "/" ";" sp_pc_parts "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
set(sp_pc_up)
foreach(part ${sp_pc_parts})
  list(APPEND sp_pc_up "..")
endforeach()
string(REPLACE ";" "/" SP_PC_UP "${sp_pc_up}")
set(SP_PC_REQUIRES "jansson")
if(SP_DUCKDB_BUNDLED)
  set(SP_PC_DUCKDB_LIBS "-L\${libdir} -lduckdb")
elseif(SP_DUCKDB_PC_MODULE)
  set(SP_PC_REQUIRES "jansson ${SP_DUCKDB_PC_MODULE}")
  set(SP_PC_DUCKDB_LIBS "")
else()
  get_filename_component(sp_dir "${SP_DUCKDB_LIBRARY}" DIRECTORY)
  set(SP_PC_DUCKDB_LIBS "-L${sp_dir} -lduckdb")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/smallpond.pc.in"
               "${PROJECT_BINARY_DIR}/smallpond.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/smallpond.pc"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(sp_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/smallpond)
install(EXPORT smallpondTargets NAMESPACE smallpond::
        DESTINATION ${sp_cmake_dir})
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/smallpondConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/smallpondConfig.cmake"
  INSTALL_DESTINATION ${sp_cmake_dir})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/smallpondConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/smallpondConfig.cmake"
              "${PROJECT_BINARY_DIR}/smallpondConfigVersion.cmake"
        DESTINATION ${sp_cmake_dir})

# Man pages, from the same text as --help.
set(sp_man_dir "${PROJECT_BINARY_DIR}/man")
set(sp_man_pages)
foreach(page smallpond smallpond-run smallpond-sql smallpond-status
             smallpond-jobs smallpond-gc smallpond-gensort
             smallpond-valsort)
  list(APPEND sp_man_pages "${sp_man_dir}/${page}.1")
endforeach()
add_custom_command(
  OUTPUT ${sp_man_pages}
  COMMAND "${CMAKE_COMMAND}" -DTOOL=$<TARGET_FILE:smallpond_cli>
          -DOUT=${sp_man_dir} -DVERSION=${PROJECT_VERSION}
          -P "${PROJECT_SOURCE_DIR}/cmake/SmallpondManPages.cmake"
  DEPENDS smallpond_cli "${PROJECT_SOURCE_DIR}/cmake/SmallpondManPages.cmake"
  COMMENT "Man pages from smallpond --help")
add_custom_target(smallpond_man ALL DEPENDS ${sp_man_pages})
install(FILES ${sp_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
