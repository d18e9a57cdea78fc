# SPDX-License-Identifier: Apache-2.0
*** Settings ***
Documentation     A user's firmware (a thermostat with crashdump built in) in Renode's
...               STM32F746G-Discovery, its crash dumps checked after every test:
...
...               renode-test examples/renode-ci/thermostat.robot --variable ELF:build/thermostat/thermostat.elf
...
...               crashdump must be importable by the Python that runs renode-test
...               (pip install crashdump). Every test ends with Check For Crashes: a crash
...               nobody expected fails the test with its decoded summary, and the report and
...               dump are linked from the log. Give --variable PROBE:gdbrsp:127.0.0.1:4333 to
...               read the dumps from flash through Renode's GDB server instead of USART6.
Library           crashdump.robot.CrashdumpLibrary    elf=${ELF}
...               port=socket://127.0.0.1:${UART_PORT}    probe=${PROBE}
Test Setup        Start Thermostat
# Renode's own Test Teardown (logs, snapshot, Reset Emulation) after the check
Test Teardown     Run Keywords    Check For Crashes    AND    Test Teardown

*** Variables ***
${ELF}            ${CURDIR}/../../build/thermostat/thermostat.elf
${UART_PORT}      4456
${GDB_PORT}       4333
${PROBE}          ${NONE}

*** Keywords ***
Start Thermostat
    Execute Command    $elf=@${ELF}
    Execute Command    $uart_port=${UART_PORT}
    Execute Command    $gdb_port=${GDB_PORT}
    Execute Command    include @${CURDIR}/thermostat.resc
    Create Terminal Tester    sysbus.usart1
    Start Emulation
    Wait For Line On Uart    thermostat ready

*** Test Cases ***
Holds The Set Point
    Write Line To Uart    set 21.5
    Wait For Line On Uart    set point 21.5

Survives A Lost Sensor
    # Had the firmware crashed here, the test would fail with, for example,
    # "unexpected crash: BusFault: precise bus fault at 0x00000004 in sensor_read()"
    Write Line To Uart    sensor unplug
    Wait For Line On Uart    sensor lost, heating off

A Hang Ends In A Watchdog Dump
    # The firmware's watchdog early warning writes a dump before the reset:
    # this test wants that crash, so the check at teardown expects it.
    Expect Crash
    Write Line To Uart    debug hang
    Wait For Line On Uart    thermostat ready    timeout=10

A Failed Assert Names Its File And Line
    Write Line To Uart    debug assert
    Wait For Line On Uart    thermostat ready
    ${crashes}=    Pull Crash Dumps
    Length Should Be    ${crashes}    1
    Should Contain    ${crashes}[0][summary]    assertion failed at
    Should Be Equal    ${crashes}[0][report][header][component]    thermostat
