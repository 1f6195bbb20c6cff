"""Twin of Drift protocol v2 (drift-labs/protocol-v2 @ 7c265f81090e62b2cf176df030f421045373a85e)."""
