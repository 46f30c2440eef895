"""The phases of a response, in the only order it moves: NEW → STARTED → FINISHED."""

NEW = 0
STARTED = 1
FINISHED = 2
NAMES = ("new", "started", "finished")
