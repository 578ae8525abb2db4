"""The workbench's own lessons, one package each.

Each lesson's `__init__.py` declares it (a `workbench.registry.Lesson`: id, course
position, settings, notes) and imports nothing heavy; its other modules hold the Keras
code and are imported when a run starts. The catalogue finds them through the
`workbench.lessons` entry points in pyproject.toml, as it finds any installed plug-in.
"""

# As the design promises, `import lessons` (like `import workbench`) is enough for plain
# `keras.models.load_model` to read the lessons' models: workbench hooks Keras' import.
import workbench  # noqa: E402,F401
