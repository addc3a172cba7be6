"""scikit-learn variants: seeding, the bag-of-tokens featuriser, fitting and evaluating."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import auditkit as ak
from auditkit.train.encode import encode
from auditkit.train.loop import perturbed_split, train_and_evaluate
from auditkit.train.outcome import TrainingError
from auditkit.train.sklearn import (
    BagOfTokens,
    fit_and_evaluate,
    framework_of,
    is_estimator,
    seed_estimator,
)
from auditkit.types import TrainConfig


def tokens() -> ak.TokenDataset:
    return ak.datasets.spr(rule="shape_count", n_train=300, n_dev=100, n_test=200, seed=0)


def test_is_estimator_tells_estimators_from_modules() -> None:
    assert is_estimator(LogisticRegression())
    assert is_estimator(make_pipeline(StandardScaler(), LogisticRegression()))
    assert not is_estimator(torch.nn.Linear(2, 2))
    assert not is_estimator(3)


def test_seed_estimator_sets_every_nested_random_state() -> None:
    pipe = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=3, random_state=42))
    names = seed_estimator(pipe, 7)
    assert names == ("randomforestclassifier__random_state",)
    assert pipe.get_params()["randomforestclassifier__random_state"] == 7
    bare = SGDClassifier()
    assert seed_estimator(bare, 3) == ("random_state",) and bare.random_state == 3
    assert seed_estimator(StandardScaler(), 3) == ()


def test_bag_of_tokens_counts_tokens_ngrams_and_factors() -> None:
    bag = BagOfTokens(ngram_range=(1, 2)).fit(["▲r ■b", "■b ■b"])
    names = list(bag.get_feature_names_out())
    assert set(names) == {"▲r", "■b", "▲r ■b", "■b ■b", "shape=▲", "shape=■", "color=r", "color=b"}
    counts = bag.transform(["■b ■b ■b"]).toarray()[0]
    by_name = dict(zip(names, counts, strict=True))
    assert by_name["■b"] == 3 and by_name["■b ■b"] == 2 and by_name["shape=■"] == 3
    assert by_name["▲r"] == 0
    plain = BagOfTokens(factors=False).fit(["▲r ■"])
    assert sorted(plain.get_feature_names_out()) == ["■", "▲r"]


def test_a_bare_classifier_on_tokens_gets_the_featuriser() -> None:
    data = encode(tokens())
    outcome = fit_and_evaluate(
        SGDClassifier(loss="log_loss", max_iter=20, tol=None),
        data,
        init_seed=0,
        order_seed=0,
        metrics=["accuracy", "swa"],
        evaluations=("mask_color", "mask_color@dev"),
        perturbed=perturbed_split,
    )
    # shape_count counts one shape: a bag of tokens learns it well
    assert outcome.test_metrics["accuracy"] is not None and outcome.test_metrics["accuracy"] > 0.8
    assert outcome.curves == () and outcome.best_epoch == 1
    assert len(outcome.test_predictions) == 200
    assert set(outcome.perturbed_metrics) == {"mask_color", "mask_color@dev"}
    assert outcome.dev_metrics["swa"] is not None
    # the dev probe predicts the dev rows, beside the unperturbed dev predictions
    n_dev = len(data.splits["dev"])
    assert len(outcome.perturbed_predictions["mask_color@dev"]) == n_dev
    assert len(outcome.dev_predictions) == n_dev


def test_seeds_reach_the_estimator_and_repeat_exactly() -> None:
    data = encode(tokens())

    def run(init: int, order: int) -> tuple[int, ...]:
        return train_and_evaluate(
            lambda info: SGDClassifier(loss="log_loss", max_iter=5, tol=None),
            data,
            TrainConfig(),
            init_seed=init,
            order_seed=order,
            metrics=["accuracy"],
            device=torch.device("cpu"),
        ).test_predictions

    assert run(0, 0) == run(0, 0)  # determinism
    assert run(0, 0) != run(1, 0)  # random_state from the init seed
    assert run(0, 0) != run(0, 1)  # training-row order from the order seed


def test_images_are_flattened_and_features_passed_as_they_are() -> None:
    images = ak.datasets.shapes(n_train=90, n_dev=30, n_test=30, size=8, seed=0)
    seen: list[tuple[int, ...]] = []

    class Spy(LogisticRegression):  # type: ignore[misc]
        def fit(self, X: np.ndarray, y: np.ndarray) -> Spy:  # noqa: N803 (sklearn's name)
            seen.append(X.shape)
            return super().fit(X, y)  # type: ignore[no-any-return]

    fit_and_evaluate(
        Spy(max_iter=200), encode(images), init_seed=0, order_seed=0, metrics=["accuracy"]
    )
    x, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 2
    fit_and_evaluate(
        Spy(), encode(ak.datasets.features(x, y)), init_seed=0, order_seed=0, metrics=["accuracy"]
    )
    assert seen == [(90, 3 * 8 * 8), (36, 4)]


def test_bad_predictions_are_a_training_error() -> None:
    class Strings(LogisticRegression):  # type: ignore[misc]
        def predict(self, X: np.ndarray) -> np.ndarray:  # noqa: N803 (sklearn's name)
            return np.array(["a"] * len(X))

    class Wide(LogisticRegression):  # type: ignore[misc]
        def predict(self, X: np.ndarray) -> np.ndarray:  # noqa: N803 (sklearn's name)
            return np.zeros((len(X), 2), dtype=int)

    data = encode(ak.datasets.features(np.eye(20), np.arange(20) % 2))
    with pytest.raises(TrainingError, match=r"expected integer class labels 0 \.\. 1"):
        fit_and_evaluate(Strings(), data, init_seed=0, order_seed=0, metrics=["accuracy"])
    with pytest.raises(TrainingError, match=r"one class label per row, shape \(4,\)"):
        fit_and_evaluate(Wide(), data, init_seed=0, order_seed=0, metrics=["accuracy"])


def test_framework_of_calls_the_builder_once() -> None:
    info = encode(tokens()).info
    assert framework_of(lambda i: LogisticRegression(), info) == "sklearn"
    assert framework_of(lambda i: torch.nn.Linear(1, 2), info) == "torch"
    assert framework_of(lambda i: 3, info) is None

    def broken(i: object) -> object:
        raise RuntimeError("user bug")

    assert framework_of(broken, info) is None
    assert isinstance(make_pipeline(BagOfTokens(), LogisticRegression()), Pipeline)
