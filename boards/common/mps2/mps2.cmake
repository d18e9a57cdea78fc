# SPDX-License-Identifier: Apache-2.0
# Demo firmware for a QEMU MPS2 board with a CMSDK UART (include from
# boards/<board>/CMakeLists.txt, then call mps2_add_demo(<linker script>)).
# The board folder supplies board.h (constants) and the linker script; the
# port, UART driver, RAM-backed dump partition and demo app are shared.
include(${CMAKE_CURRENT_LIST_DIR}/../cortex-m/cortex-m.cmake)

set(MPS2_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})

# crashdump-rtos (boards/common/rtos): the threaded test fixture, in test
# builds only (it drives the fault injector). Built for the v7-M and v8-M
# Mainline boards; its threads are registered with crashdump, and the
# thread guard uses MPU region 7 on v7-M.
function(mps2_add_rtos linker_script)
    if(NOT CRASHDUMP_FAULT_CMDS)
        return()
    endif()
    set(rtos ${MPS2_COMMON_DIR}/../rtos)
    target_compile_definitions(crashdump PUBLIC CD_THREAD_MAX=8 CD_THREAD_GUARD_REGION=7)
    cd_add_board_firmware(crashdump-rtos
        LINKER_SCRIPT ${linker_script}
        FLASH ram
        SOURCES ${rtos}/rtos_demo.c ${rtos}/sched.c ${rtos}/sched_switch.S
                ${MPS2_COMMON_DIR}/mps2_port.c ${MPS2_COMMON_DIR}/cmsdk_uart.c
                ${CMAKE_SOURCE_DIR}/firmware/rtos/freertos/cd_freertos.c
        INCLUDE_DIRS ${MPS2_COMMON_DIR} ${MPS2_COMMON_DIR}/../demo ${rtos}
    )
endfunction()

function(mps2_add_demo linker_script)
    cd_add_demo_firmware(
        LINKER_SCRIPT ${linker_script}
        FLASH ram
        SOURCES
            ${MPS2_COMMON_DIR}/mps2_port.c
            ${MPS2_COMMON_DIR}/cmsdk_uart.c
        INCLUDE_DIRS ${MPS2_COMMON_DIR}
    )
endfunction()
