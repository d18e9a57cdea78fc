# SPDX-License-Identifier: Apache-2.0
# Shared build rule for a board's demo firmware (include from boards/<board>/CMakeLists.txt).
#
#   cd_add_board_firmware(<name>
#       LINKER_SCRIPT <board .ld that INCLUDEs crashdump_cortex_m.ld>
#       SOURCES <board sources...>
#       FLASH <ram|nvmc|stm32f4>
#       [INCLUDE_DIRS <dirs...>])
#
# Builds <name>.elf from the board's sources and the crashdump package's
# targets, exactly as a user's firmware would link them (docs/integration.md):
# crashdump::crashdump, crashdump::startup, crashdump::build_id,
# crashdump::linker and the flash driver crashdump::flash_<FLASH>, whose
# partition comes from BOARD_DUMP_* in the board's board.h. Then <name>.bin
# (raw image of the loaded segments) and <name>.map, and prints the section
# sizes. The ELF carries a SHA-1 GNU build-id that the firmware reports.

set(CM_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})

function(cd_add_board_firmware name)
    cmake_parse_arguments(PARSE_ARGV 1 FW "" "LINKER_SCRIPT;FLASH" "SOURCES;INCLUDE_DIRS")
    if(NOT FW_LINKER_SCRIPT OR NOT FW_SOURCES OR NOT FW_FLASH)
        message(FATAL_ERROR "cd_add_board_firmware(${name}): LINKER_SCRIPT, SOURCES and FLASH are required")
    endif()
    get_filename_component(script ${FW_LINKER_SCRIPT} ABSOLUTE)

    add_executable(${name} ${FW_SOURCES})
    set(out ${CMAKE_CURRENT_BINARY_DIR})
    set(ld_dir ${CRASHDUMP_PORTS_DIR}/cortex-m)
    set_target_properties(${name} PROPERTIES
        SUFFIX .elf
        RUNTIME_OUTPUT_DIRECTORY ${out}
        LINK_DEPENDS "${script};${ld_dir}/crashdump_cortex_m.ld;${ld_dir}/crashdump_noinit.ld"
    )
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${FW_INCLUDE_DIRS})
    target_link_libraries(${name} PRIVATE crashdump::crashdump crashdump::startup
        crashdump::build_id crashdump::linker crashdump::flash_${FW_FLASH})
    # The board's startup table covers its interrupts (cm_startup.h).
    target_compile_definitions(crashdump_startup PRIVATE CD_IRQ_COUNT=BOARD_IRQ_COUNT
        CD_CONFIG_FILE="board.h")
    target_include_directories(crashdump_startup PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${FW_INCLUDE_DIRS})
    # The flash driver's partition is the board's (board.h).
    target_compile_definitions(crashdump_flash_${FW_FLASH} PRIVATE CD_CONFIG_FILE="board.h"
        CD_DUMP_BASE=BOARD_DUMP_BASE CD_DUMP_SIZE=BOARD_DUMP_SIZE
        CD_DUMP_ERASE_SIZE=BOARD_DUMP_ERASE_SIZE)
    target_include_directories(crashdump_flash_${FW_FLASH} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
        ${FW_INCLUDE_DIRS})
    target_link_options(${name} PRIVATE
        -nostartfiles
        --specs=nano.specs
        --specs=nosys.specs
        -T${script}
        -Wl,--gc-sections
        -Wl,-Map=${out}/${name}.map
    )
    add_custom_command(TARGET ${name} POST_BUILD
        COMMAND ${CMAKE_OBJCOPY} -O binary ${out}/${name}.elf ${out}/${name}.bin
        COMMAND ${CMAKE_SIZE} ${out}/${name}.elf
        BYPRODUCTS ${out}/${name}.bin
        VERBATIM
    )
endfunction()

# cd_add_demo_firmware(LINKER_SCRIPT <script> SOURCES <port, drivers...>
#                      FLASH <driver> [INCLUDE_DIRS <dirs>])
# crashdump-demo for a board: the shared demo app (boards/common/demo) plus the
# board's own port and drivers. The calling folder supplies board.h.
# crashdump-rtos (boards/common/rtos): the threaded test fixture, in test
# builds only (it drives the fault injector), with its threads registered
# with crashdump and the FreeRTOS adapter's hooks. DEFINITIONS: the thread
# settings for the library (CD_THREAD_MAX, CD_THREAD_GUARD_REGION).
function(cd_add_rtos_firmware)
    cmake_parse_arguments(PARSE_ARGV 0 RTOS "" "LINKER_SCRIPT;FLASH"
                          "SOURCES;INCLUDE_DIRS;DEFINITIONS")
    if(NOT CRASHDUMP_FAULT_CMDS)
        return()
    endif()
    set(common ${CM_COMMON_DIR}/..)
    target_compile_definitions(crashdump PUBLIC ${RTOS_DEFINITIONS})
    cd_add_board_firmware(crashdump-rtos
        LINKER_SCRIPT ${RTOS_LINKER_SCRIPT}
        FLASH ${RTOS_FLASH}
        SOURCES ${common}/rtos/rtos_demo.c ${common}/rtos/sched.c ${common}/rtos/sched_switch.S
                ${CMAKE_SOURCE_DIR}/firmware/rtos/freertos/cd_freertos.c ${RTOS_SOURCES}
        INCLUDE_DIRS ${common}/demo ${common}/rtos ${RTOS_INCLUDE_DIRS}
    )
endfunction()

function(cd_add_demo_firmware)
    cmake_parse_arguments(PARSE_ARGV 0 DEMO "" "LINKER_SCRIPT;FLASH" "SOURCES;INCLUDE_DIRS")
    set(common ${CM_COMMON_DIR}/..)
    cd_add_board_firmware(crashdump-demo
        LINKER_SCRIPT ${DEMO_LINKER_SCRIPT}
        SOURCES ${common}/demo/demo.c ${DEMO_SOURCES}
        FLASH ${DEMO_FLASH}
        INCLUDE_DIRS ${common}/demo ${DEMO_INCLUDE_DIRS}
    )
endfunction()
