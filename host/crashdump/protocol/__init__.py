# SPDX-License-Identifier: Apache-2.0
"""The device protocol (docs/protocol.md): wire formats (wire.py), status codes,
source GUIDs, framing, the serial transport (the only module importing
pyserial), the client with one method per device operation, the DUMP_STATUS
reply (slots.py), and results rendered as text and JSON (render.py)."""
