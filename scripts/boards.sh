# Sourced by the scripts: the boards CI builds and runs in QEMU.
QEMU_BOARDS=(qemu-mps2-an385 qemu-mps2-an386 qemu-mps2-an500 qemu-mps2-an505 qemu-microbit)
