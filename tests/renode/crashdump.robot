# SPDX-License-Identifier: Apache-2.0
*** Settings ***
Documentation     crashdump end to end in Renode 1.15.3, 1.16.0 and 1.16.1, one board per run:
...               renode-test tests/renode/crashdump.robot --variable BOARD:nrf52840dk
...               (or BOARD:stm32f4-discovery). The real host CLI talks to the demo
...               firmware over the UART's TCP socket, and to Renode's GDB server through
...               pyOCD and crashdump's gdbrsp probe plugin, as tests/e2e does in QEMU.
...               Waits on the UART are in emulated time; the CLI's timeouts are real time.
Resource          ${CURDIR}/crashdump.resource
Test Setup        Start Board

*** Variables ***
# Renode 1.16.1 reads unmapped addresses as 0 instead of raising a bus fault, so
# bad_read/bad_write would not crash there; an undefined instruction traps in any
# emulator. Every kind's injector is the function cd_fault_do_<kind>.
${FAULT}          undef

*** Test Cases ***
Data Sources Survive A Warm Reset
    Crashdump    source    create    persist    --item-size    32    --count    8
    FOR    ${i}    IN RANGE    5
        Crashdump    source    write    persist    --text    record ${i}
    END
    Crashdump    source    read    persist    --max    2
    Crashdump    reset
    Wait For Line On Uart    crashdump-demo boot 2
    ${info}=    Crashdump Json    info
    Should Be Equal As Integers    ${info}[boot_count]    2
    # the two items read before the reset stay consumed, the rest are bit-exact
    ${capture}=    Crashdump Json    source    capture    persist
    ${texts}=    Evaluate    [r["text"] for r in $capture["records"]]
    ${expected}=    Create List    record 2    record 3    record 4
    Lists Should Be Equal    ${texts}    ${expected}

A Crash Is Dumped, Pulled Over Serial And Through GDB, And Decoded
    Crashdump    source    create    before    --item-size    16    --count    4
    FOR    ${i}    IN RANGE    6
        Crashdump    source    write    before    --text    pre-crash ${i}
    END
    Crashdump    fault    ${FAULT}
    Wait For Line On Uart    crashdump-demo boot 2 (last crash
    ${status}=    Crashdump Json    dump    status
    ${valid}=    Evaluate    [s for s in $status["slots"] if s["state"] == "valid"]
    Length Should Be    ${valid}    1

    ${serial}=    Set Variable    ${OUTPUT_DIR}/${BOARD}-serial.cdmp
    ${probe}=    Set Variable    ${OUTPUT_DIR}/${BOARD}-probe.cdmp
    Remove Files    ${serial}    ${serial}.part    ${probe}
    Crashdump    dump    pull    -o    ${serial}
    Crashdump    dump    pull    --probe    gdbrsp:127.0.0.1:${GDB_PORT}    --elf    ${ELF}    -o    ${probe}
    ${serial_bytes}=    Get Binary File    ${serial}
    ${probe_bytes}=    Get Binary File    ${probe}
    Should Be Equal    ${serial_bytes}    ${probe_bytes}
    ...    the dump read through the GDB server differs from the serial pull    values=False

    ${report}=    Decode Json    ${serial}    --elf    ${ELF}
    Log    ${report}[summary]
    # frame 0, or its caller when frame 0 is cd_bugcheck itself
    ${functions}=    Evaluate    [f["function"] for f in $report["backtrace"]][:2]
    Should Contain    ${functions}    cd_fault_do_${FAULT}
    ${texts}=    Texts Of Ring    ${report}    before
    ${expected}=    Create List    pre-crash 2    pre-crash 3    pre-crash 4    pre-crash 5
    Lists Should Be Equal    ${texts}    ${expected}
