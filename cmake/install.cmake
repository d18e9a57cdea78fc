# SPDX-License-Identifier: Apache-2.0
#
# `cmake --install` of the crashdump package: the firmware sources, headers and
# linker scripts under <prefix>/share/crashdump, and crashdumpConfig.cmake under
# <prefix>/lib/cmake/crashdump, so that find_package(crashdump CONFIG) defines
# the same targets as add_subdirectory (cmake/crashdump.cmake), built from
# source with the consumer's flags. Nothing compiled is installed: a library
# built here would carry this build's -mcpu and float ABI.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_cd_share ${CMAKE_INSTALL_DATADIR}/crashdump)
set(_cd_cmake ${CMAKE_INSTALL_LIBDIR}/cmake/crashdump)

install(DIRECTORY firmware/include firmware/src firmware/ports firmware/rtos
        DESTINATION ${_cd_share}/firmware)
install(DIRECTORY firmware/arch/cortex-m DESTINATION ${_cd_share}/firmware/arch)
install(FILES cmake/crashdump.cmake cmake/arm-none-eabi.cmake DESTINATION ${_cd_share}/cmake)
install(FILES LICENSE VERSION DESTINATION ${_cd_share})

configure_package_config_file(cmake/crashdumpConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/crashdumpConfig.cmake
    INSTALL_DESTINATION ${_cd_cmake}
    PATH_VARS _cd_share)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/crashdumpConfigVersion.cmake
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMinorVersion
    ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/crashdumpConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/crashdumpConfigVersion.cmake
        DESTINATION ${_cd_cmake})
