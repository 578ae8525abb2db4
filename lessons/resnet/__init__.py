"""Lesson 4: residual networks, and why a plain deep net trains worse than a shallow one."""

from dataclasses import dataclass

from lessons.resnet.depths import CIFAR_EXAMPLES, IMAGENET_STAGES, resolve_block
from lessons.resnet.schedules import SCHEDULES
from lessons.resnet.key_results import HIGHLIGHTS
from workbench.authoring import Architecture, CurvePlot, knob, Lesson, Settings


def _architectures():
    designs = [("cifar", depth, "cifar_resnet", "CIFAR design (6n+2, 16/32/64 filters)",
                (32, 32, 3), 10) for depth in CIFAR_EXAMPLES["basic"]]
    designs += [("imagenet", depth, "imagenet_resnet", f"ImageNet design ({block} blocks)",
                 (224, 224, 3), 1000) for depth, (block, _) in IMAGENET_STAGES.items()]
    for family, depth, builder, design, shape, classes in designs:
        for kind, shortcut in (("resnet", True), ("plain", False)):
            yield Architecture(
                f"{kind}{depth}", f"lessons.resnet.networks:{builder}",
                f"{'ResNet' if shortcut else 'plain twin'}-{depth}, {design}", shape, classes,
                options=(("depth", depth), ("shortcut", shortcut)),
                selected_by=(("family", family), ("depth", depth), ("block", "auto"),
                             ("shortcut", shortcut)))


@dataclass(frozen=True)
class ResnetSettings(Settings):
    presets = ("schedule", SCHEDULES)  # what width, epochs, batch_size, learning_rate = 0 mean
    family: str = knob("cifar", "cifar (6n+2 layers, 16/32/64 filters) or imagenet (18/34/50/101/152)",
                       choices=("cifar", "imagenet"))
    depth: int = knob(20, "layers with weights: 6n+2 for cifar (9n+2 with bottlenecks), or 18, 34, "
                      "50, 101, 152 for imagenet", low=8, high=1202)
    block: str = knob("auto", "basic (two 3x3 convs), bottleneck (1x1, 3x3, 1x1) or auto (basic "
                      "for cifar; the paper's choice for imagenet)",
                      choices=("auto", "basic", "bottleneck"))
    shortcut: bool = knob(True, "add the identity shortcuts (false: the plain net)")
    compare: bool = knob(True, "train the plain and the residual twin side by side, same data, "
                         "seed and starting weights")
    schedule: str = knob("quick", "quick (Adam, small shifts; minutes on a CPU) or paper (He et al. "
                         "on CIFAR: SGD momentum 0.9, weight decay 1e-4, learning rate 0.1 divided "
                         "by 10 at 50% and 75% of training, 4-pixel shifts and flips)",
                         choices=tuple(SCHEDULES))
    width: float = knob(0.0, "multiply every filter count by this (0 = the schedule's: 0.5 quick, "
                        "1 paper)", low=0.0, high=4.0, preset=True)
    epochs: int = knob(0, "passes over the training split (0 = the schedule's: 12 quick, 182 "
                       "paper, i.e. 64k steps of 128 on CIFAR-10's 45k training images)",
                       low=0, high=10_000, preset=True)
    batch_size: int = knob(0, "images per gradient step (0 = the schedule's: 64 quick, 128 paper)",
                           low=0, high=65_536, preset=True)
    learning_rate: float = knob(0.0, "step size (0 = the schedule's: Adam 0.001 quick, SGD 0.1 "
                                "paper)", low=0.0, preset=True)

    def check(self) -> None:
        resolve_block(self.family, self.depth, self.block)

    def twins(self) -> tuple[str, ...]:
        """The networks a run trains: "plain" and "residual", or the one `shortcut` names."""
        if self.compare:
            return ("plain", "residual")
        return ("residual",) if self.shortcut else ("plain",)

    def variant(self, twin: str) -> str:
        """20, 20-plain, 29-bottleneck, 50-imagenet: `resnet-<variant>.h5`, one per network."""
        name = str(self.depth)
        if self.family == "imagenet":
            name += "-imagenet"
        elif resolve_block("cifar", self.depth, self.block) == "bottleneck":
            name += "-bottleneck"
        return name + ("-plain" if twin == "plain" else "")

    def saves(self) -> tuple[str, ...]:
        # The residual net is the run's result: it goes first (and takes --out).
        return tuple(self.variant(twin) for twin in sorted(self.twins(), key=lambda t: t != "residual"))


LESSON = Lesson(
    id="resnet",
    title="Residual networks",
    summary="Basic and bottleneck blocks; why plain deep nets degrade and shortcuts do not.",
    position=9.5,  # section 9 again: ResNet closes the case studies
    settings=ResnetSettings,
    architectures=tuple(_architectures()),
    more_curves=(CurvePlot("gradient norm at the first convolution", ("grad_norm_first_conv",),
                           log_y=True),),
    highlights=HIGHLIGHTS,
)
