# Shared build rule for a board's demo firmware (include from boards/<board>/CMakeLists.txt).
#
#   cd_add_board_firmware(<name>
#       LINKER_SCRIPT <board .ld that INCLUDEs cm_sections.ld>
#       SOURCES <board sources...>
#       [INCLUDE_DIRS <dirs...>])
#
# Builds <name>.elf linked against the crashdump library, the shared startup
# (cm_startup.c) and cd_port_build_id() (cm_build_id.c), then <name>.bin (raw
# image of the loaded segments) and <name>.map, and prints the section sizes.
# The ELF carries a SHA-1 GNU build-id that the firmware reports over the wire.

set(CM_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR})

function(cd_add_board_firmware name)
    cmake_parse_arguments(PARSE_ARGV 1 FW "" "LINKER_SCRIPT" "SOURCES;INCLUDE_DIRS")
    if(NOT FW_LINKER_SCRIPT OR NOT FW_SOURCES)
        message(FATAL_ERROR "cd_add_board_firmware(${name}): LINKER_SCRIPT and SOURCES are required")
    endif()
    get_filename_component(script ${FW_LINKER_SCRIPT} ABSOLUTE)

    add_executable(${name}
        ${FW_SOURCES}
        ${CM_COMMON_DIR}/cm_startup.c
        ${CM_COMMON_DIR}/cm_build_id.c
    )
    set(out ${CMAKE_CURRENT_BINARY_DIR})
    set_target_properties(${name} PROPERTIES
        SUFFIX .elf
        RUNTIME_OUTPUT_DIRECTORY ${out}
        LINK_DEPENDS "${script};${CM_COMMON_DIR}/cm_sections.ld"
    )
    target_include_directories(${name} PRIVATE ${CM_COMMON_DIR} ${FW_INCLUDE_DIRS})
    target_link_libraries(${name} PRIVATE crashdump)
    target_link_options(${name} PRIVATE
        -nostartfiles
        --specs=nano.specs
        --specs=nosys.specs
        -T${script}
        -L${CM_COMMON_DIR}
        -Wl,--build-id=sha1
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
#                      [INCLUDE_DIRS <dirs>])
# crashdump-demo for a board: the shared demo app and dump-partition geometry
# (boards/common/demo, boards/common/flash) plus the board's own port and
# drivers. The calling folder supplies board.h.
function(cd_add_demo_firmware)
    cmake_parse_arguments(PARSE_ARGV 0 DEMO "" "LINKER_SCRIPT" "SOURCES;INCLUDE_DIRS")
    set(common ${CM_COMMON_DIR}/..)
    cd_add_board_firmware(crashdump-demo
        LINKER_SCRIPT ${DEMO_LINKER_SCRIPT}
        SOURCES ${common}/demo/demo.c ${common}/flash/flash_part.c ${DEMO_SOURCES}
        INCLUDE_DIRS ${CMAKE_CURRENT_SOURCE_DIR} ${common}/demo ${common}/flash
                     ${DEMO_INCLUDE_DIRS}
    )
endfunction()
