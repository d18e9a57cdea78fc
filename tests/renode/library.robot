# SPDX-License-Identifier: Apache-2.0
*** Settings ***
Documentation     crashdump's Robot keyword library (crashdump.robot.CrashdumpLibrary, from the
...               installed package) in Renode 1.15.3, 1.16.0 and 1.16.1, used as a user's suite uses
...               it (docs/renode-ci.md): `Check For Crashes` in every test's teardown, before
...               Renode's own. One board per run:
...               renode-test tests/renode/library.robot --variable BOARD:nrf52840dk
...               crashdump must be importable by the Python that runs renode-test
...               (pip install crashdump, or this checkout). The dumps and reports land in
...               crashdumps/ next to Robot's log (under renode-results/).
Resource          ${CURDIR}/crashdump.resource
Library           crashdump.robot.CrashdumpLibrary    timeout=${CLI_TIMEOUT}
Test Setup        Start Board And Point The Library At It
Test Teardown     Run Keywords    Check For Crashes    AND    Test Teardown

*** Test Cases ***
A Test Without A Crash Passes The Check
    Crashdump    source    create    quiet    --item-size    16    --count    4
    Crashdump    source    write    quiet    --text    all well
    Flash Was Used Like Flash

An Expected Crash Is Pulled, Decoded And Logged
    Expect Crash
    Crashdump    fault    bugcheck
    Wait For Line On Uart    crashdump-demo boot 2 (last crash
    ${crashes}=    Pull Crash Dumps
    Length Should Be    ${crashes}    1
    Should Contain    ${crashes}[0][summary]    bug check
    Should Be Equal    ${crashes}[0][report][header][component]    crashdump-demo
    File Should Exist    ${crashes}[0][file]
    File Should Exist    ${crashes}[0][report_file]
    # decoded against the ELF: the injector is named
    ${functions}=    Evaluate    [f["function"] for f in $crashes[0]["report"]["backtrace"]][:2]
    Should Contain    ${functions}    cd_fault_do_bugcheck
    Flash Was Used Like Flash

An Unexpected Crash Fails The Check With Its Summary
    Crashdump    fault    undef
    Wait For Line On Uart    crashdump-demo boot 2 (last crash
    ${message}=    Run Keyword And Expect Error    unexpected crash:*    Check For Crashes
    Should Contain    ${message}    undefined instruction
    Should Contain    ${message}    cd_fault_do_undef
    # a dump is reported once: the teardown's check finds nothing new
    Flash Was Used Like Flash

A Dump Is Read Through The GDB Server
    Expect Crash
    Crashdump    fault    bugcheck
    Wait For Line On Uart    crashdump-demo boot 2 (last crash
    Set Crashdump Device    probe=gdbrsp:127.0.0.1:${GDB}
    ${crashes}=    Pull Crash Dumps
    Length Should Be    ${crashes}    1
    Should Contain    ${crashes}[0][summary]    bug check
    Device Still Runs
    Flash Was Used Like Flash

*** Keywords ***
Start Board And Point The Library At It
    Start Board
    Set Crashdump Device    port=socket://127.0.0.1:${UART}    elf=${ELF}
