"""Which depths each ResNet family has, checked without building anything (no Keras).

CIFAR design (section 4.2 of He et al.): 3 stages of n blocks plus the first conv and the
classifier, 6n+2 layers with basic blocks (2 convs each), 9n+2 with bottlenecks (3 each).
ImageNet design (Table 1): the five depths the paper names, with the blocks it names.
"""

from __future__ import annotations

from workbench.authoring import BadInput

LAYERS_PER_BLOCK = {"basic": 2, "bottleneck": 3}
CIFAR_EXAMPLES = {"basic": (20, 32, 44, 56, 110), "bottleneck": (29, 47, 56, 110, 164)}
# depth: (block, blocks in each of the 4 stages)
IMAGENET_STAGES = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def cifar_blocks_per_stage(depth: int, block: str) -> int:
    per_block = LAYERS_PER_BLOCK[block]
    n, rest = divmod(depth - 2, 3 * per_block)
    if rest or n < 1:
        raise BadInput(f"depth {depth} does not fit the CIFAR ResNet with {block} blocks: depth must "
                       f"be {3 * per_block}n+2 ({', '.join(map(str, CIFAR_EXAMPLES[block]))}, ...)")
    return n


def imagenet_stages(depth: int, block: str = "auto") -> tuple[str, tuple[int, ...]]:
    if depth not in IMAGENET_STAGES:
        raise BadInput(f"depth {depth} is not an ImageNet ResNet: choose one of "
                       f"{', '.join(map(str, IMAGENET_STAGES))}")
    paper_block, stages = IMAGENET_STAGES[depth]
    if block not in ("auto", paper_block):
        raise BadInput(f"the ImageNet ResNet-{depth} uses {paper_block} blocks, not {block} "
                       "(bottlenecks from 50 layers up)")
    return paper_block, stages


def resolve_block(family: str, depth: int, block: str) -> str:
    """The block a (family, depth, block) request builds, or BadInput saying what fits."""
    if family == "imagenet":
        return imagenet_stages(depth, block)[0]
    chosen = "basic" if block == "auto" else block
    cifar_blocks_per_stage(depth, chosen)
    return chosen
