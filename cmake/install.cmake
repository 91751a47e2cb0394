# `cmake --install BUILD [--prefix DIR]`: the server, the embeddable
# libraries (protocol and actors) with their headers, and a package config
# so another project can `find_package(fridgebank REQUIRED)`. Two
# components: `runtime` (the programs, their man pages, the systemd unit and
# the configuration file; what `make deb` packages, cmake/package.cmake) and
# `dev` (libraries, headers, CMake package).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FRIDGEBANK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/fridgebank)

install(TARGETS fridgebank_protocol fridgebank_actors EXPORT fridgebankTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(TARGETS fridgebank-server fridgebank-load fridgebank-check
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(DIRECTORY protocol/include/ actors/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev)
install(EXPORT fridgebankTargets NAMESPACE fridgebank:: DESTINATION ${FRIDGEBANK_CMAKE_DIR}
        COMPONENT dev)

configure_package_config_file(cmake/fridgebankConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/fridgebankConfig.cmake
                              INSTALL_DESTINATION ${FRIDGEBANK_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/fridgebankConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/fridgebankConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/fridgebankConfigVersion.cmake cmake/FindCAF.cmake
        DESTINATION ${FRIDGEBANK_CMAKE_DIR} COMPONENT dev)
