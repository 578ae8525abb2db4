"""The guided path: what the app's Path tab and `workbench path hello` lead through.

A path is a tuple `STEPS` in the package's path.py; the workbench finds it by that name.
An experiment's claims are functions of the run's metrics, checked on the learner's run.
"""

from workbench.authoring import Compare, compares, Experiment, Predict, Read

STEPS = (
    Read("What a hidden layer adds", section="Two-layer network"),
    Predict("One hidden unit", question="With a single hidden ReLU unit, how well can the network "
            "tell the ten digits apart?",
            answers=("about as well as with 32", "far worse: one number cannot separate ten classes"),
            correct=1, reason="Every image is squeezed into one number before the scores: ten "
            "classes along one line, most of them overlapping.", settled_by=3),
    Experiment("A bottleneck of one unit", params={"hidden": 1, "epochs": 3},
               claims=(compares("test_accuracy", "<", 0.6, "one hidden unit classifies under 60% "
                                "of the test images right",
                                "a lucky seed can spread the classes further along the line"),)),
    Experiment("Thirty-two units", params={"hidden": 32, "epochs": 3},
               claims=(compares("test_accuracy", ">", 0.85, "32 hidden units get more than 85% right",
                                "3 epochs may be too few with a small learning rate: try more"),)),
    Compare("One unit against thirty-two", steps=(3, 4), metrics=("test_accuracy",),
            point="Width is capacity: the same data, the same epochs."),
)

