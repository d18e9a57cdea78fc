# SPDX-License-Identifier: Apache-2.0
# Demo firmware for an nRF5 board with the legacy UART and the NVMC (include
# from boards/<board>/CMakeLists.txt, then call nrf5_add_demo(<linker script>)).
# The board folder supplies board.h (constants) and the linker script.
include(${CMAKE_CURRENT_LIST_DIR}/../cortex-m/cortex-m.cmake)

set(NRF5_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})

function(nrf5_add_demo linker_script)
    cd_add_demo_firmware(
        LINKER_SCRIPT ${linker_script}
        FLASH nvmc
        SOURCES
            ${NRF5_COMMON_DIR}/nrf5_port.c
            ${NRF5_COMMON_DIR}/nrf5_uart.c
        INCLUDE_DIRS ${NRF5_COMMON_DIR}
    )
endfunction()

# crashdump-rtos (boards/common/rtos): the threaded test fixture, in test
# builds only (it drives the fault injector). No stack guard on ARMv6-M: the
# scheduler's switch-time stack check calls the stack-overflow hook.
function(nrf5_add_rtos linker_script)
    if(NOT CRASHDUMP_FAULT_CMDS)
        return()
    endif()
    set(rtos ${NRF5_COMMON_DIR}/../rtos)
    target_compile_definitions(crashdump PUBLIC CD_THREAD_MAX=8)
    cd_add_board_firmware(crashdump-rtos
        LINKER_SCRIPT ${linker_script}
        FLASH nvmc
        SOURCES ${rtos}/rtos_demo.c ${rtos}/sched.c ${rtos}/sched_switch.S
                ${NRF5_COMMON_DIR}/nrf5_port.c ${NRF5_COMMON_DIR}/nrf5_uart.c
                ${CMAKE_SOURCE_DIR}/firmware/rtos/freertos/cd_freertos.c
        INCLUDE_DIRS ${NRF5_COMMON_DIR} ${NRF5_COMMON_DIR}/../demo ${rtos}
    )
endfunction()
