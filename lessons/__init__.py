"""The lessons, in the order the course teaches them.

Each built lesson is a package: `__init__.py` declares it (id, parameters, notes) and
imports nothing heavy; its other modules hold the Keras code and are imported when a run
starts. Lessons not built yet are listed all the same, so the catalogue is the course.
"""

from lessons import knn, linear, lstm
from workbench.registry import Lesson

CATALOG: tuple[Lesson, ...] = (
    knn.LESSON,
    linear.LESSON,
    Lesson("cnn", "CNN classics",
           "LeNet, AlexNet, ZFNet, VGG, NiN, GoogLeNet: shapes, parameters and MACs layer by layer."),
    Lesson("resnet", "Residual networks",
           "Basic and bottleneck blocks; why plain deep nets degrade and shortcuts do not."),
    lstm.LESSON,
)
