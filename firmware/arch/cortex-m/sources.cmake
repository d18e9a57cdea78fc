# Cortex-M architecture sources of the crashdump library (included by
# firmware/CMakeLists.txt, which adds CD_ARCH_SOURCES to the crashdump target).
set(CD_ARCH_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cd_fault_entry.S
    ${CMAKE_CURRENT_LIST_DIR}/cd_fault.c
)
if(CD_FAULT_CMDS)
    list(APPEND CD_ARCH_SOURCES
        ${CMAKE_CURRENT_LIST_DIR}/cd_fault_inject.c
        ${CMAKE_CURRENT_LIST_DIR}/cd_fault_inject_s.S
    )
endif()
# cm_regs.h (core register definitions shared with the boards).
target_include_directories(crashdump PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../../boards/common/cortex-m)
