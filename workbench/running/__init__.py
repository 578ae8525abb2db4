"""Running a lesson: the runner, what a lesson gets from it, callbacks, events, devices and data."""
