"""``ltr eval``, ``ltr score``, ``ltr track``."""

COMMANDS = []
