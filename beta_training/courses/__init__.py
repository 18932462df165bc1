"""The MOOC: courses, runs with their windows, modules and sequences; items and progress come with issue #4."""
