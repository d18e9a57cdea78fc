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

# crashdump-rtos; extra arguments are thread settings for the library. On
# ARMv6-M there is no stack guard: the scheduler's switch-time stack check
# calls the stack-overflow hook. An ARMv7-M part passes
# CD_THREAD_GUARD_REGION=7 for the MPU guard.
function(nrf5_add_rtos linker_script)
    cd_add_rtos_firmware(
        LINKER_SCRIPT ${linker_script}
        FLASH nvmc
        SOURCES ${NRF5_COMMON_DIR}/nrf5_port.c ${NRF5_COMMON_DIR}/nrf5_uart.c
        INCLUDE_DIRS ${NRF5_COMMON_DIR}
        DEFINITIONS CD_THREAD_MAX=8 ${ARGN}
    )
endfunction()
