# SPDX-License-Identifier: Apache-2.0
# Demo firmware for a QEMU MPS2 board with a CMSDK UART (include from
# boards/<board>/CMakeLists.txt, then call mps2_add_demo(<linker script>)).
# The board folder supplies board.h (constants) and the linker script; the
# port, UART driver, RAM-backed dump partition and demo app are shared.
include(${CMAKE_CURRENT_LIST_DIR}/../cortex-m/cortex-m.cmake)

set(MPS2_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})

# crashdump-rtos on the v7-M and v8-M Mainline boards: the thread guard uses
# MPU region 7 on v7-M (PSPLIM on v8-M).
function(mps2_add_rtos linker_script)
    cd_add_rtos_firmware(
        LINKER_SCRIPT ${linker_script}
        FLASH ram
        SOURCES ${MPS2_COMMON_DIR}/mps2_port.c ${MPS2_COMMON_DIR}/cmsdk_uart.c
        INCLUDE_DIRS ${MPS2_COMMON_DIR}
        DEFINITIONS CD_THREAD_MAX=8 CD_THREAD_GUARD_REGION=7
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
