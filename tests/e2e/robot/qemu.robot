# SPDX-License-Identifier: Apache-2.0
*** Settings ***
Documentation     crashdump.robot.CrashdumpLibrary in a real Robot run, against the demo
...               firmware in QEMU (Renode is not needed): tests/e2e/test_robot_library.py
...               starts QEMU, runs this suite and checks each test's status and message.
...               Some tests here fail on purpose.
Library           OperatingSystem
Library           Process
Library           crashdump.robot.CrashdumpLibrary    elf=${ELF}
...               port=socket://127.0.0.1:${UART_PORT}    erase=True
Test Teardown     Check For Crashes

*** Variables ***
${ELF}            given with --variable
${UART_PORT}      given with --variable
${GDB_PORT}       given with --variable
${PYTHON}         python3

*** Keywords ***
Crashdump
    [Documentation]    Runs the crashdump CLI against the device; fails unless it exits 0.
    [Arguments]    @{args}
    ${result}=    Run Process    ${PYTHON}    -m    crashdump
    ...    --port    socket://127.0.0.1:${UART_PORT}    @{args}    timeout=60s    on_timeout=kill
    Should Be Equal As Integers    ${result.rc}    0    ${result.stderr}    values=False

*** Test Cases ***
A Device That Does Not Crash Passes
    Crashdump    info

An Unexpected Crash Fails The Test With Its Summary
    Crashdump    fault    bad_read

An Expected Crash Passes
    Expect Crash
    Crashdump    fault    undef

A Test Can Pull And Inspect Its Dumps
    Crashdump    fault    bugcheck
    ${crashes}=    Pull Crash Dumps
    Length Should Be    ${crashes}    1
    Should Be Equal    ${crashes}[0][report][header][reason]    bugcheck
    File Should Exist    ${crashes}[0][file]

An Expected Crash That Left No Dump Fails
    Expect Crash

Dumps Come Through The GDB Server Too
    Set Crashdump Device    probe=gdbrsp:127.0.0.1:${GDB_PORT}
    Crashdump    fault    div0
