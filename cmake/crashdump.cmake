# SPDX-License-Identifier: Apache-2.0
#
# The crashdump CMake targets. One file serves the three ways a firmware
# project consumes crashdump: add_subdirectory() and FetchContent (through the
# top-level CMakeLists.txt) and find_package(crashdump CONFIG) after
# `cmake --install` (through crashdumpConfig.cmake). Either way the targets are
# built from source inside the consumer's project, with the consumer's
# toolchain and flags: -mcpu, -mfpu and -mfloat-abi come from there, and FPU
# register capture follows them (__ARM_FP), so nothing here is prebuilt for
# one core.
#
# Public targets (docs/integration.md):
#   crashdump::crashdump      portable core and Cortex-M fault handling
#   crashdump::startup        Cortex-M vector table, Reset_Handler, weak handlers
#   crashdump::linker         -L for INCLUDE crashdump.ld / crashdump_cortex_m.ld
#   crashdump::build_id       cd_port_build_id() from the GNU build-id note
#   crashdump::flash_ram      dump partition in RAM that survives a warm reset
#   crashdump::flash_nvmc     dump partition in nRF51/nRF52 internal flash
#   crashdump::flash_stm32f4  dump partition in STM32F405/407/415/417 flash
#   crashdump::freertos       the FreeRTOS adapter (crashdump/cd_freertos.h)
#
# Variables read when this file is included (plain variables or cache
# entries; none is ever written to the cache):
#   CRASHDUMP_CONFIG_FILE   path of the firmware's crashdump config header
#                           (cd_config.h); relative paths are taken from the
#                           including CMakeLists.txt's folder
#   CRASHDUMP_FAULT_CMDS    ON to build the test-only fault injection
#                           commands; default OFF (release)
#   CRASHDUMP_ARCH_DIR      architecture folder; default firmware/arch/cortex-m
#                           (this project's host unit tests use a stand-in)
include_guard(GLOBAL)

get_filename_component(CRASHDUMP_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
set(CRASHDUMP_FIRMWARE_DIR ${CRASHDUMP_ROOT}/firmware)
set(CRASHDUMP_PORTS_DIR ${CRASHDUMP_FIRMWARE_DIR}/ports)
if(NOT DEFINED CRASHDUMP_FAULT_CMDS)
    set(CRASHDUMP_FAULT_CMDS OFF)
endif()
if(NOT DEFINED CRASHDUMP_ARCH_DIR)
    set(CRASHDUMP_ARCH_DIR ${CRASHDUMP_FIRMWARE_DIR}/arch/cortex-m)
endif()

# Settings every crashdump target compiles with: the public headers and the
# firmware's config header.
add_library(crashdump_config INTERFACE)
add_library(crashdump::config ALIAS crashdump_config)
target_include_directories(crashdump_config INTERFACE ${CRASHDUMP_FIRMWARE_DIR}/include)
if(CRASHDUMP_CONFIG_FILE)
    get_filename_component(_cd_config ${CRASHDUMP_CONFIG_FILE} ABSOLUTE)
    if(NOT EXISTS ${_cd_config})
        message(FATAL_ERROR "CRASHDUMP_CONFIG_FILE: no such file: ${_cd_config}")
    endif()
    get_filename_component(_cd_config_dir ${_cd_config} DIRECTORY)
    target_include_directories(crashdump_config INTERFACE ${_cd_config_dir})
    target_compile_definitions(crashdump_config INTERFACE CD_CONFIG_FILE="${_cd_config}")
endif()

# Unused code and data must be droppable by the consumer's --gc-sections.
set(_cd_private_options -ffunction-sections -fdata-sections)

# ---- the library
add_library(crashdump STATIC
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_crc.c
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_status.c
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_ring.c
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_core.c
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_dump.c
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_frame.c
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_proto.c
    ${CRASHDUMP_FIRMWARE_DIR}/src/cd_thread.c
)
add_library(crashdump::crashdump ALIAS crashdump)
target_link_libraries(crashdump PUBLIC crashdump_config)
target_include_directories(crashdump PRIVATE
    ${CRASHDUMP_FIRMWARE_DIR}/src ${CRASHDUMP_ARCH_DIR} ${CRASHDUMP_PORTS_DIR}/cortex-m)
target_compile_options(crashdump PRIVATE ${_cd_private_options})
target_compile_features(crashdump PUBLIC c_std_11)
# The version INFO reports: the VERSION file, shared with the host package.
file(STRINGS ${CRASHDUMP_ROOT}/VERSION _cd_version LIMIT_COUNT 1)
string(REPLACE "." ";" _cd_version_parts ${_cd_version})
list(GET _cd_version_parts 0 _cd_major)
list(GET _cd_version_parts 1 _cd_minor)
list(GET _cd_version_parts 2 _cd_patch)
target_compile_definitions(crashdump PUBLIC CD_VERSION_MAJOR=${_cd_major}
    CD_VERSION_MINOR=${_cd_minor} CD_VERSION_PATCH=${_cd_patch})
if(CRASHDUMP_FAULT_CMDS)
    target_compile_definitions(crashdump PUBLIC CD_ENABLE_FAULT_CMDS=1)
endif()
# The architecture folder lists its own sources (CD_ARCH_SOURCES); the host
# stand-in has none.
if(EXISTS ${CRASHDUMP_ARCH_DIR}/sources.cmake)
    include(${CRASHDUMP_ARCH_DIR}/sources.cmake)
    target_sources(crashdump PRIVATE ${CD_ARCH_SOURCES})
endif()

# ---- port building blocks (Cortex-M). EXCLUDE_FROM_ALL: only what a
# firmware links is built, so an unused driver needs no configuration.

# Objects, not an archive: nothing references the vector table by name, so a
# static library member holding it would never be pulled into the link.
add_library(crashdump_startup OBJECT EXCLUDE_FROM_ALL
    ${CRASHDUMP_PORTS_DIR}/cortex-m/cm_startup.c)
add_library(crashdump::startup ALIAS crashdump_startup)
target_include_directories(crashdump_startup PUBLIC ${CRASHDUMP_PORTS_DIR}/cortex-m)
target_link_libraries(crashdump_startup PUBLIC crashdump_config)

add_library(crashdump_linker INTERFACE)
add_library(crashdump::linker ALIAS crashdump_linker)
target_link_options(crashdump_linker INTERFACE -L${CRASHDUMP_PORTS_DIR}/cortex-m)

add_library(crashdump_build_id STATIC EXCLUDE_FROM_ALL
    ${CRASHDUMP_PORTS_DIR}/cortex-m/cm_build_id.c)
add_library(crashdump::build_id ALIAS crashdump_build_id)
target_link_libraries(crashdump_build_id PUBLIC crashdump_config)
target_compile_options(crashdump_build_id PRIVATE ${_cd_private_options})
target_link_options(crashdump_build_id INTERFACE -Wl,--build-id=sha1)

# FreeRTOS: the adapter header (included from FreeRTOSConfig.h) and the
# application hooks as bugchecks.
add_library(crashdump_freertos STATIC EXCLUDE_FROM_ALL
    ${CRASHDUMP_FIRMWARE_DIR}/rtos/freertos/cd_freertos.c)
add_library(crashdump::freertos ALIAS crashdump_freertos)
target_include_directories(crashdump_freertos PUBLIC ${CRASHDUMP_FIRMWARE_DIR}/rtos/freertos)
target_link_libraries(crashdump_freertos PUBLIC crashdump)
target_compile_options(crashdump_freertos PRIVATE ${_cd_private_options})

foreach(_cd_driver ram nvmc stm32f4)
    add_library(crashdump_flash_${_cd_driver} STATIC EXCLUDE_FROM_ALL
        ${CRASHDUMP_PORTS_DIR}/flash/flash_part.c
        ${CRASHDUMP_PORTS_DIR}/flash/flash_${_cd_driver}.c)
    add_library(crashdump::flash_${_cd_driver} ALIAS crashdump_flash_${_cd_driver})
    target_include_directories(crashdump_flash_${_cd_driver} PUBLIC ${CRASHDUMP_PORTS_DIR}/flash)
    target_link_libraries(crashdump_flash_${_cd_driver} PUBLIC crashdump_config)
    target_compile_options(crashdump_flash_${_cd_driver} PRIVATE ${_cd_private_options})
endforeach()
