"""The lessons, in the order the course teaches them.

Each built lesson is a package: `__init__.py` declares it (id, parameters, notes) and
imports nothing heavy; its other modules hold the Keras code and are imported when a run
starts. Lessons not built yet are listed all the same, so the catalogue is the course.
"""

import sys

from lessons import cnn, knn, linear, lstm, resnet
from workbench.registry import Lesson

CATALOG: tuple[Lesson, ...] = (
    knn.LESSON,
    linear.LESSON,
    cnn.LESSON,
    resnet.LESSON,
    lstm.LESSON,
)

if "keras" in sys.modules:  # Keras was imported first, so its post-import hook skipped us
    from workbench import register_keras_classes

    register_keras_classes()
