# SPDX-License-Identifier: Apache-2.0
# Cortex-M architecture sources of the crashdump library, as CD_ARCH_SOURCES
# (included by cmake/crashdump.cmake, which adds them to the crashdump target).
set(CD_ARCH_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cd_fault_entry.S
    ${CMAKE_CURRENT_LIST_DIR}/cd_fault.c
)
if(CRASHDUMP_FAULT_CMDS)
    list(APPEND CD_ARCH_SOURCES
        ${CMAKE_CURRENT_LIST_DIR}/cd_fault_inject.c
        ${CMAKE_CURRENT_LIST_DIR}/cd_fault_inject_s.S
    )
endif()
# The assembly keeps its call-frame information (.cfi_* directives into
# .debug_frame) but no other debug info: GNU as 2.40 records each Thumb
# function's DWARF start address with the Thumb bit set, one byte too high, so
# GDB would name a PC at a function's first instruction after the function
# before it. Without DWARF for these files, GDB and the decoder take names
# from the ELF symbol table, which is right.
set_source_files_properties(
    ${CMAKE_CURRENT_LIST_DIR}/cd_fault_entry.S
    ${CMAKE_CURRENT_LIST_DIR}/cd_fault_inject_s.S
    PROPERTIES COMPILE_OPTIONS "-g0")
