"""Does seeing colour help a small CNN classify shapes? An auditkit experiment on images.

Run it with:

    auditkit check examples/vision_shapes/model.py --rules quick

The data are seeded synthetic images (``ak.datasets.shapes``): one filled circle, square
or triangle per 16 x 16 image, labelled by its shape. Colour carries no label
information by design, except that this benchmark plants a *colour shortcut*: in 90% of
the images of every split, class k is painted with its own colour. A model that looks at
colour scores higher on such a test split without learning anything more about shape.

The claim is the kind a paper makes: "a CNN on RGB input beats the same CNN on
grayscale input by 10 points". The audit retrains both on the same seeds, then
re-evaluates them with the colour removed from the test images (grayscale) and with
their tiles shuffled (no global shape). The gain stands at the nominal setting, but it
vanishes once colour is gone: it came from the shortcut, so the claim is FRAGILE, and
rule AK302 (factor isolation) names the shortcut.
"""

from __future__ import annotations

import torch
from torch import nn

import auditkit as ak

exp = ak.Experiment(
    "rgb-vs-gray-cnn",
    data=ak.datasets.shapes(
        n_train=1200,
        n_dev=300,
        n_test=600,
        shortcut=0.9,
        shortcut_splits=("train", "dev", "test"),
        seed=0,
    ),
    metrics=["accuracy", "macro_f1", "mcc"],
    train=ak.TrainConfig(epochs=8, batch_size=64, lr=3e-3),
)


class SmallCNN(nn.Module):
    """Two convolution blocks and a linear head; ``gray=True`` drops colour on the way in."""

    def __init__(self, info: ak.DataInfo, gray: bool = False, width: int = 16) -> None:
        super().__init__()
        channels = info.input_shape[0]
        self.gray = gray
        self.features = nn.Sequential(
            nn.Conv2d(1 if gray else channels, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(2 * width, info.n_classes)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        images = batch["images"]  # (batch, 3, height, width), values in [0, 1]
        if self.gray:
            # ITU-R 601 luminance: the same formula auditkit's colour masking uses, so
            # a grayscale model sees exactly the same input with or without colour
            weights = images.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
            images = (images * weights).sum(dim=1, keepdim=True)
        return self.head(self.features(images).flatten(1))


@exp.variant(baseline=True)
def gray(info: ak.DataInfo) -> nn.Module:
    return SmallCNN(info, gray=True)


@exp.variant
def rgb(info: ak.DataInfo) -> nn.Module:
    return SmallCNN(info)


# "Colour input improves shape classification by 10 points."
exp.claim("rgb", over="gray", metric="accuracy", reported=0.10)
