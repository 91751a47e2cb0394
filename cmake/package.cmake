# `make deb`: fridgebank_VERSION_ARCH.deb with the runtime and conf
# components: the three programs, a man page for each (help2man, from --help and
# --version), the systemd unit and /etc/fridgebank/fridgebank.conf.
# Depends is computed by dpkg-shlibdeps from what the programs link.

find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(descriptions
      "fridgebank-server|serve fridges and a bank, actors behind HTTP"
      "fridgebank-load|load-test a fridgebank server, check what it answers"
      "fridgebank-check|check a history of fridgebank operations is linearizable")
  set(pages)
  foreach(entry IN LISTS descriptions)
    string(REPLACE "|" ";" entry "${entry}")
    list(GET entry 0 program)
    list(GET entry 1 description)
    set(page ${CMAKE_CURRENT_BINARY_DIR}/man/${program}.1.gz)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
      COMMAND ${HELP2MAN} --no-info --no-discard-stderr --name=${description}
              --output=${CMAKE_CURRENT_BINARY_DIR}/man/${program}.1 $<TARGET_FILE:${program}>
      COMMAND gzip -9nf ${CMAKE_CURRENT_BINARY_DIR}/man/${program}.1
      DEPENDS ${program}
      COMMENT "help2man ${program}"
      VERBATIM)
    list(APPEND pages ${page})
  endforeach()
  add_custom_target(man ALL DEPENDS ${pages})
  install(FILES ${pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
else()
  message(STATUS "help2man not found: no man pages (scripts/install-deps installs it)")
endif()

install(FILES packaging/fridgebank.service DESTINATION lib/systemd/system COMPONENT runtime)
# /etc only in the package: `cmake --install --prefix DIR` leaves it alone.
install(FILES packaging/fridgebank.conf DESTINATION /etc/fridgebank COMPONENT conf
        EXCLUDE_FROM_ALL)
install(FILES README.md CHANGELOG.md packaging/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fridgebank)
set(CPACK_PACKAGE_VENDOR fridgebank)
set(CPACK_PACKAGE_CONTACT "fridgebank maintainers <fridgebank@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "fridges and a bank as actors behind HTTP")
set(CPACK_PACKAGE_DESCRIPTION
    "A message-passing service: fridge and bank actors (C++ Actor Framework) behind a\n"
    "Boost.Beast HTTP front end, with a durable SQLite journal, Idempotency-Key,\n"
    "change events and a dashboard; fridgebank-load load-tests it and\n"
    "fridgebank-check checks recorded histories. Runs under systemd as\n"
    "fridgebank.service.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime conf)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_PACKAGE_NAME fridgebank)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/fridgebank")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/conffiles ${CMAKE_CURRENT_SOURCE_DIR}/packaging/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/prerm ${CMAKE_CURRENT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
