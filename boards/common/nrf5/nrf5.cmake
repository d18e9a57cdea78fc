# Demo firmware for an nRF5 board with the legacy UART and the NVMC (include
# from boards/<board>/CMakeLists.txt, then call nrf5_add_demo(<linker script>)).
# The board folder supplies board.h (constants) and the linker script.
include(${CMAKE_CURRENT_LIST_DIR}/../cortex-m/cortex-m.cmake)

set(NRF5_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})
set(BOARDS_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR}/..)

function(nrf5_add_demo linker_script)
    cd_add_board_firmware(crashdump-demo
        LINKER_SCRIPT ${linker_script}
        SOURCES
            ${BOARDS_COMMON_DIR}/demo/demo.c
            ${NRF5_COMMON_DIR}/nrf5_port.c
            ${NRF5_COMMON_DIR}/nrf5_uart.c
            ${BOARDS_COMMON_DIR}/flash/flash_nvmc.c
            ${BOARDS_COMMON_DIR}/flash/flash_part.c
        INCLUDE_DIRS
            ${CMAKE_CURRENT_SOURCE_DIR}
            ${NRF5_COMMON_DIR}
            ${BOARDS_COMMON_DIR}/demo
            ${BOARDS_COMMON_DIR}/flash
    )
endfunction()
