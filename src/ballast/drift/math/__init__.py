"""Pure functions over integers and state; nothing here mutates."""
