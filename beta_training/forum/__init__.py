"""Forum per course run and per Alpha session: built in issue #6."""
