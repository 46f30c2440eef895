"""The phases of a response, in the only order it moves: NEW → STARTED → FINISHED, or
STARTED → ABORTED when the client goes away before the end."""

NEW = 0
STARTED = 1
FINISHED = 2
ABORTED = 3
NAMES = ("new", "started", "finished", "aborted by the client's disconnect")
