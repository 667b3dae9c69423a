"""``ltr bench``, ``ltr import``."""

COMMANDS = []
