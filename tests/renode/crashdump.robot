# SPDX-License-Identifier: Apache-2.0
*** Settings ***
Documentation     crashdump end to end in Renode 1.15.3, 1.16.0 and 1.16.1, one board per run:
...               renode-test tests/renode/crashdump.robot --variable BOARD:nrf52840dk
...               (or BOARD:stm32f4-discovery). The real host CLI talks to the demo
...               firmware over the UART's TCP socket, and to Renode's GDB server through
...               pyOCD and crashdump's gdbrsp probe plugin, as tests/e2e does in QEMU.
...               Waits on the UART are in emulated time; the CLI's timeouts are real time.
...               Pulled dumps are kept in ${DUMP_DIR} (under renode-results/).
Resource          ${CURDIR}/crashdump.resource
Test Setup        Start Board

*** Variables ***
# The fault kinds that trap in Renode (each injector is cd_fault_do_<kind>):
# undef, bad_branch (INVSTATE), bugcheck, nmi and watchdog (a dump from an
# interrupt handler). The others cannot be raised in Renode 1.15.3-1.16.1:
# - bad_read, bad_write, triage_unmapped, nested: Renode reads unmapped
#   addresses as 0 and drops writes to them (a warning in its log), no bus fault;
# - stack_overflow: the demo's stack grows down to 0x20000000, below which
#   nothing is mapped, so the runaway recursion never faults. A thread's
#   overflow in the RTOS fixture does fault (the rtos-tagged tests): Renode
#   models the ARMv7-M MPU. NVIC.cs takes MPU_CTRL (mpuControlRegister:
#   renode-infrastructure 9736cf57 line 682 in 1.15.3, 7edd96dc line 1010 in
#   1.16.0, add012af line 1135 in 1.16.1) and tlib checks every access against
#   the regions and pends MemManage (arch/arm/helper.c get_phys_addr_mpu and
#   ARMV7M_EXCP_MEM: 4b9687eb lines 1558/988, 3073bbde 1992/1249, d50c868f
#   2016/1273).
# - div0 and unaligned: tlib, Renode's CPU core, returns 0 for a divide by zero
#   (arch/arm/helper.c, HELPER(sdiv)/HELPER(udiv): `if(den == 0) return 0;`, tlib
#   4b9687eb in 1.15.3, 3073bbde in 1.16.0, d50c868f in 1.16.1) and never raises
#   the DIVBYZERO or UNALIGNED usage faults it defines (arch/arm/cpu.h lines
#   90-91), whatever CCR.DIV_0_TRP and UNALIGN_TRP say.
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
    Flash Was Used Like Flash

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

    ${serial}=    Pulled Over Serial And Through GDB    crash

    ${report}=    Decode Json    ${serial}    --elf    ${ELF}
    Log    ${report}[summary]
    # frame 0, or its caller when frame 0 is cd_bugcheck itself
    ${functions}=    Evaluate    [f["function"] for f in $report["backtrace"]][:2]
    Should Contain    ${functions}    cd_fault_do_${FAULT}
    ${texts}=    Texts Of Ring    ${report}    before
    ${expected}=    Create List    pre-crash 2    pre-crash 3    pre-crash 4    pre-crash 5
    Lists Should Be Equal    ${texts}    ${expected}
    Flash Was Used Like Flash

A Probe Pull By Board Without The ELF Finds The Same Dump
    Crashdump    fault    bugcheck
    Wait For Line On Uart    crashdump-demo boot 2 (last crash
    Pulled Over Serial And Through GDB    board    by_board=${BOARD}
    Flash Was Used Like Flash

An Undefined Instruction Is Dumped And Decoded
    Fault Is Dumped And Decoded    undef    undefined instruction

A Branch Without The Thumb Bit Is Dumped And Decoded
    # Renode 1.16.0 and later raise INVSTATE (tlib arch/arm/helper.c); 1.15.3's
    # tlib (4b9687eb) defines the fault but never raises it, and a BX to an
    # even address there is an undefined instruction (run on 1.15.3 locally).
    Fault Is Dumped And Decoded    bad_branch    invalid state|undefined instruction

A Bug Check Is Dumped And Decoded
    Fault Is Dumped And Decoded    bugcheck    bug check

An NMI Handler's Crash Is Dumped And Decoded
    Fault Is Dumped And Decoded    nmi    nmi

A Watchdog Warning From An Interrupt Is Dumped And Decoded
    Fault Is Dumped And Decoded    watchdog    watchdog

Crashes In A Row Keep The First And The Newest Dump
    # the slot policy (2 slots on the STM32F4, 3 on the nRF52840): four
    # crashes, the first and the newest kept, every other one counted as dropped
    FOR    ${boot}    IN RANGE    2    6
        Crashdump    fault    bugcheck
        Wait For Line On Uart    crashdump-demo boot ${boot} (last crash
    END
    ${status}=    Crashdump Json    dump    status
    ${counts}=    Evaluate    sorted(s["crash_count"] for s in $status["slots"] if s["state"] == "valid")
    Should Be Equal As Integers    ${counts}[0]    1
    Should Be Equal As Integers    ${counts}[-1]    4
    ${kept}=    Get Length    ${counts}
    Should Be Equal As Integers    ${status}[crashes_dropped]    ${{4 - $kept}}
    Crashdump    dump    pull    -o    ${DUMP_DIR}/in-a-row.cdmp
    Flash Was Used Like Flash

Pyocd Commander Reads Memory Through The GDB Server
    ${base}=    Set Variable    ${FLASH_BASES}[${BOARD}]
    ${out}=    Pyocd Commander    -c    read32 ${base} 8
    # (no Robot variable inside the comprehension's condition: before Python
    # 3.12 a comprehension's own scope cannot see Robot's $variables there)
    ${prefix}=    Evaluate    "%08x:" % int($base, 0)
    ${lines}=    Evaluate    [line for line in $out.splitlines()]
    ${lines}=    Evaluate    list(filter(lambda line, p=$prefix: line.startswith(p), $lines))
    ${words}=    Evaluate    [int(w, 16) for line in $lines for w in line.split()[1:3]]
    # what Renode's own bus holds there: the initial SP and the reset vector
    ${sp}=    Execute Command    sysbus ReadDoubleWord ${base}
    ${pc}=    Execute Command    sysbus ReadDoubleWord ${{hex(int($base, 0) + 4)}}
    ${expected}=    Evaluate    [int($sp.strip(), 16), int($pc.strip(), 16)]
    Lists Should Be Equal    ${words}    ${expected}
    Device Still Runs
    # halted and asked to stay so, it stays halted (Renode keeps a CPU that the
    # GDB server paused paused when the client goes); then resumed, it runs
    Pyocd Commander    -O    resume_on_disconnect\=false    -c    halt
    ${paused}=    Execute Command    cpu IsPaused
    Should Contain    ${paused}    True    values=False
    Pyocd Commander    -c    go
    ${paused}=    Execute Command    cpu IsPaused
    Should Contain    ${paused}    False    values=False
    Device Still Runs
    Flash Was Used Like Flash

A Fault In An RTOS Thread Is Dumped And Decoded
    [Tags]    rtos
    [Documentation]    The threaded fixture (a PendSV scheduler with the FreeRTOS
    ...                adapter's hooks): the worker thread runs an undefined
    ...                instruction; the dump names that thread and holds every thread
    ...                with a backtrace to its entry function.
    [Setup]    Start Board    ${RTOS_ELF}    banner=${EMPTY}
    # the worker's command record: where 1 (in the worker thread), kind 3 (undef)
    ${report}=    RTOS Crash Is Dumped And Decoded    0103    undef
    Should Be Equal    ${report}[context]    thread 'worker'
    Should Match Regexp    ${report}[summary]    undefined instruction
    ${functions}=    Evaluate    [f["function"] for f in $report["backtrace"]]
    Should Contain    ${functions}    worker_thread
    ${threads}=    Evaluate    [t["name"] for t in $report["threads"]]
    Should Be Equal    ${threads}[0]    worker
    FOR    ${name}    IN    proto    fpu    idle
        Should Contain    ${threads}    ${name}
    END
    # the others' backtraces, from their saved contexts, reach their entry functions
    ${entries}=    Evaluate    {t["name"]: [f["function"] for f in t["backtrace"]] for t in $report["threads"]}
    Should Contain    ${entries}[proto]    proto_thread
    Should Contain    ${entries}[fpu]    fpu_thread

A Thread Stack Overflow Hits The MPU Guard And Is Dumped
    [Tags]    rtos
    [Documentation]    The worker writes down its stack past the bottom: the MPU
    ...                guard (region 7; tlib models the ARMv7-M MPU) faults at the
    ...                first write below it, and the dump says so and names the thread.
    [Setup]    Start Board    ${RTOS_ELF}    banner=${EMPTY}
    # where 4: the worker overruns its own stack
    ${report}=    RTOS Crash Is Dumped And Decoded    0400    overrun
    Should Match Regexp    ${report}[summary]
    ...    ^MemManage: stack overflow \\(hit the stack guard at 0x[0-9a-f]+\\) in overrun\\(\\), thread 'worker'$
    Should Be Equal    ${report}[context]    thread 'worker'

*** Keywords ***
Fault Is Dumped And Decoded
    [Arguments]    ${kind}    ${cause}
    [Documentation]    Injects KIND, waits for the reboot that follows the dump, pulls the
    ...                dump over serial and through the GDB server and decodes it:
    ...                the cause and the injector's function must be named.
    Crashdump    fault    ${kind}
    Wait For Line On Uart    crashdump-demo boot 2 (last crash
    ${serial}=    Pulled Over Serial And Through GDB    ${kind}
    ${report}=    Decode Json    ${serial}    --elf    ${ELF}
    Log    ${report}[summary]
    ${said}=    Evaluate    (" ".join($report["causes"]) + " " + $report["summary"]).lower()
    Should Match Regexp    ${said}    ${cause}
    ${functions}=    Evaluate    [f["function"] for f in $report["backtrace"]][:2]
    Should Contain    ${functions}    cd_fault_do_${kind}
    Flash Was Used Like Flash

RTOS Crash Is Dumped And Decoded
    [Arguments]    ${record}    ${name}
    [Documentation]    Has the RTOS fixture's worker thread obey RECORD (hex, written
    ...                to its "ctl" data source), waits for the reboot after the
    ...                crash, pulls the dump over serial and through the GDB server
    ...                (the same bytes), and returns the decoded report.
    ${info}=    Crashdump Json    info
    Should Be Equal    ${info}[name]    crashdump-rtos
    Crashdump    source    create    ctl    --item-size    8    --count    4
    Crashdump    source    write    ctl    ${record}
    Wait For Boot    2
    ${status}=    Crashdump Json    dump    status
    Should Be Equal As Integers    ${status}[last_crash][result]    0
    ${serial}=    Pulled Over Serial And Through GDB    rtos-${name}    firmware_elf=${RTOS_ELF}
    ...    firmware=crashdump-rtos
    ${report}=    Decode Json    ${serial}    --elf    ${RTOS_ELF}
    Log    ${report}[summary]
    Flash Was Used Like Flash
    RETURN    ${report}

Pulled Over Serial And Through GDB
    [Arguments]    ${stem}    ${firmware_elf}=${ELF}    ${by_board}=${EMPTY}    ${firmware}=crashdump-demo
    [Documentation]    Pulls the device's dump over serial into ${DUMP_DIR}/STEM-serial.cdmp,
    ...                then through Renode's GDB server (pyOCD and the gdbrsp probe,
    ...                the partition from FIRMWARE_ELF's locator, or BY_BOARD's when
    ...                given; argument names differ from ${ELF} and ${BOARD}, which
    ...                Robot would otherwise hide, its names being case-blind)
    ...                into STEM-probe.cdmp. The probe must leave the target running
    ...                and FIRMWARE answering, and both files must hold the same
    ...                bytes. Prints both pull times. Returns the serial file.
    ${serial}=    Set Variable    ${DUMP_DIR}/${stem}-serial.cdmp
    ${probe}=    Set Variable    ${DUMP_DIR}/${stem}-probe.cdmp
    Remove Files    ${serial}    ${serial}.part    ${probe}
    ${t0}=    Evaluate    time.monotonic()    modules=time
    Crashdump    dump    pull    -o    ${serial}
    ${t1}=    Evaluate    time.monotonic()    modules=time
    IF    $by_board
        ${pull}=    Crashdump Json    dump    pull    --probe    gdbrsp:127.0.0.1:${GDB}    --board    ${by_board}    -o    ${probe}
    ELSE
        ${pull}=    Crashdump Json    dump    pull    --probe    gdbrsp:127.0.0.1:${GDB}    --elf    ${firmware_elf}    -o    ${probe}
    END
    ${t2}=    Evaluate    time.monotonic()    modules=time
    Should Be Equal    ${pull}[target_state]    running
    # a figure, not a check: the same dump pulled both ways (each time
    # includes starting the CLI)
    ${size}=    Get File Size    ${serial}
    Log To Console    \n${BOARD} ${stem}: ${size}-byte dump pulled over serial in ${{round($t1 - $t0, 1)}} s, through the GDB server in ${{round($t2 - $t1, 1)}} s
    Device Still Runs    ${firmware}
    ${serial_bytes}=    Get Binary File    ${serial}
    ${probe_bytes}=    Get Binary File    ${probe}
    Should Be Equal    ${serial_bytes}    ${probe_bytes}
    ...    the dump read through the GDB server differs from the serial pull    values=False
    RETURN    ${serial}
