"""Lesson 3: the classic CNNs, LeNet to GoogLeNet, taken apart layer by layer and trained."""

from dataclasses import dataclass

from lessons.cnn.presets import PRESETS
from lessons.common import OPTIMIZERS
from lessons.cnn.key_results import HIGHLIGHTS
from workbench.authoring import Architecture, knob, Lesson, Settings


def _arch(name: str, builder: str, summary: str, input_shape=(224, 224, 3), classes=1000):
    return Architecture(name, f"lessons.cnn.{builder}", summary, input_shape, classes,
                        selected_by=(("arch", name),) if name in PRESETS else ())


ARCHITECTURES = (
    _arch("lenet", "classic:lenet", "LeNet-5 (1998): conv-pool-conv-pool, C5, F6 on 32x32 digits",
          (32, 32, 1), 10),
    _arch("alexnet", "classic:alexnet", "AlexNet (2012) as the lecture lists it: 5 conv, 3 FC, LRN",
          (227, 227, 3)),
    _arch("zfnet", "classic:zfnet", "ZFNet (2013): AlexNet with conv1 7x7/2 and 512/1024/512 filters"),
    _arch("vgg11", "vgg:vgg11", "VGG configuration A: 8 conv (3x3) + 3 FC"),
    _arch("vgg13", "vgg:vgg13", "VGG configuration B: 10 conv + 3 FC"),
    _arch("vgg16c", "vgg:vgg16c", "VGG configuration C: VGG16 with a 1x1 third conv in blocks 3-5"),
    _arch("vgg16", "vgg:vgg16", "VGG configuration D: 13 conv + 3 FC, the usual VGG16"),
    _arch("vgg19", "vgg:vgg19", "VGG configuration E: 16 conv + 3 FC"),
    _arch("nin", "nin:nin", "Network in Network (2013): mlpconv blocks, global average pooling"),
    _arch("googlenet", "googlenet:googlenet", "GoogLeNet (2014): 9 Inception modules, 22 layers"),
    _arch("inception_naive", "googlenet:inception_naive",
          "one Inception module on 28x28x256, no bottlenecks (lecture example)", (28, 28, 256), 0),
    _arch("inception_reduced", "googlenet:inception_reduced",
          "the same module with 64-filter 1x1 bottlenecks", (28, 28, 256), 0),
)


@dataclass(frozen=True)
class CnnSettings(Settings):
    presets = ("arch", PRESETS)  # what width, input_size and epochs = 0 mean
    arch: str = knob("lenet", "which network to train ('workbench anatomy ARCH' takes any of them "
                     "apart at full size)", choices=tuple(PRESETS))
    width: float = knob(0.0, "multiply every filter and unit count by this (0 = the "
                        "architecture's preset, sized for a 2-core CPU)", low=0.0, high=4.0, preset=True)
    input_size: int = knob(0, "resize images to this many pixels square (0 = the architecture's "
                           "preset)", low=0, high=512, preset=True)
    epochs: int = knob(0, "passes over the training split (0 = the architecture's preset)",
                       low=0, high=10_000, preset=True)
    batch_size: int = knob(64, "images per gradient step", low=1, high=65_536)
    learning_rate: float = knob(0.001, "step size of the optimizer", above=0.0)
    optimizer: str = knob("adam", "sgd, sgd_momentum (0.9) or adam", choices=OPTIMIZERS)
    augment: bool = knob(True, "shift each training image by up to a tenth of its size, afresh "
                         "every epoch")
    auxiliary: bool = knob(True, "GoogLeNet only: train with the two auxiliary classifiers (their "
                           "losses weighted 0.3; they are not saved)")
    save_filters: bool = knob(False, "also save the first layer's filters as a PNG")

    def saves(self) -> tuple[str, ...]:
        return (self.arch,)


LESSON = Lesson(
    id="cnn",
    title="CNN classics",
    summary="LeNet, AlexNet, ZFNet, VGG, NiN, GoogLeNet: shapes, parameters and MACs layer by layer.",
    position=9,  # section 9, CNN case studies
    settings=CnnSettings,
    keras_modules=("lessons.cnn.layers",),
    architectures=ARCHITECTURES,
    highlights=HIGHLIGHTS,
)
