"""The course layer: guided paths, the claims their runs check, exercises and their checker."""
