"""A 10-class audit for benchmarks/bench_pdf.py: a linear baseline vs an MLP on digits."""

from torch import nn

import auditkit as ak

exp = ak.Experiment(
    "digits-mlp-vs-linear",
    data=ak.datasets.sklearn_dataset("digits", seed=0),
    metrics=["accuracy", "macro_f1"],
    train=ak.TrainConfig(epochs=5, batch_size=64, lr=1e-2),
)


class Lin(nn.Module):
    def __init__(self, info):
        super().__init__()
        self.l = nn.Linear(info.n_features, info.n_classes)

    def forward(self, batch):
        return self.l(batch["features"] / 16)


class MLP(nn.Module):
    def __init__(self, info):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(info.n_features, 64), nn.ReLU(), nn.Linear(64, info.n_classes)
        )

    def forward(self, batch):
        return self.net(batch["features"] / 16)


@exp.variant(baseline=True)
def linear(info):
    return Lin(info)


@exp.variant
def mlp(info):
    return MLP(info)


exp.claim("mlp", over="linear", metric="accuracy", reported=0.03)
