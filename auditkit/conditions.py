"""Conditions: the settings a rule changes from nominal, typed from the plan to the report.

A run is trained and evaluated under a :class:`Condition`: ``nominal`` (the experiment as
declared), or a perturbation that a rule plans, such as a batch size (``batch_size=512``),
a seed held fixed (``init-only``), shuffled splits (``shuffle_train_test``) or a random
re-split (``random re-split``). A condition has a key, a value when it is a setting, and
a label, the words a report shows.

Conditions keep one stable text form, ``str(condition)`` (``"batch_size=512"``), that
:meth:`Condition.parse` reads back: the run store (``.auditkit/store.sqlite``) and
audit.json hold that text, so that stores and reports written before conditions were typed
still resume and render.

Examples
--------
>>> c = Condition("batch_size", "512")
>>> str(c), c.words, c.where
('batch_size=512', 'batch size 512', 'at batch size 512')
>>> Condition.parse("batch_size=512") == c
True
>>> Condition.parse("shuffle_train_test").where
'under shuffle train test'
>>> NOMINAL.is_nominal
True

A trained model is also re-evaluated, without retraining, under each
:class:`Evaluation` its run lists: a test-time perturbation of the test split, or of the
dev split (text form ``"permute_color@dev"``).

>>> e = Evaluation.parse("permute_color@dev")
>>> e.perturbation, e.split, str(e)
('permute_color', 'dev', 'permute_color@dev')

A run retrained on perturbed data names a :class:`Transform` (text form ``"resplit:3"``):

>>> t = Transform.parse("resplit:3")
>>> t.name, t.argument, str(t)
('resplit', '3', 'resplit:3')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition: a key, the value it is set to (None: no value), and a label.

    Parameters
    ----------
    key
        What the condition changes, e.g. ``"batch_size"``, or its name when it has no
        value, e.g. ``"shuffle_train_test"``; never holds ``=``.
    value
        The value of a setting, as text (``"512"``); None for a named condition.
    label
        The words a report shows; empty for the words derived from key and value. Not
        part of the condition's identity (equality, hashing, text form).
    """

    key: str
    value: str | None = None
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.key or "=" in self.key:
            raise ValueError(f"Condition(key={self.key!r}): must be non-empty, without '='")

    def __str__(self) -> str:
        """The stable text form: ``key=value``, or ``key`` without a value."""
        return self.key if self.value is None else f"{self.key}={self.value}"

    @classmethod
    def parse(cls, text: str) -> Condition:
        """The condition whose text form is ``text`` (the inverse of ``str``).

        Raises
        ------
        ValueError
            An empty text, or one that starts with ``=``.
        """
        key, sep, value = text.partition("=")
        return cls(key, value if sep else None)

    @classmethod
    def setting(cls, key: str, value: object, label: str = "") -> Condition:
        """A setting's condition, its value written as ``str`` writes it (512 -> "512")."""
        return cls(key, str(value), label)

    @property
    def is_nominal(self) -> bool:
        """Whether this is the experiment as declared."""
        return self == NOMINAL

    @property
    def words(self) -> str:
        """The condition in words: ``batch_size=512`` -> ``batch size 512``."""
        if self.label:
            return self.label
        key = self.key.replace("_", " ")
        return key if self.value is None else f"{key} {self.value}"

    @property
    def where(self) -> str:
        """Where a gain was measured: ``at batch size 512``, ``under shuffle train test``."""
        return f"{'under' if self.value is None else 'at'} {self.words}"


#: the experiment as declared: no perturbation
NOMINAL = Condition("nominal")


#: the text form's mark of an evaluation on the dev split (``"permute_color@dev"``)
DEV_SUFFIX = "@dev"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A test-time perturbation a trained model is evaluated under, on test or on dev.

    Parameters
    ----------
    perturbation
        The perturbation's name, e.g. ``"shuffle"`` or ``"permute_color"``.
    split
        The split perturbed and scored: ``"test"``, or ``"dev"`` for a probe that must not
        read test.
    """

    perturbation: str
    split: Literal["test", "dev"] = "test"

    def __post_init__(self) -> None:
        if not self.perturbation or self.perturbation.endswith(DEV_SUFFIX):
            raise ValueError(
                f"Evaluation(perturbation={self.perturbation!r}): must be a perturbation's "
                f"name, without {DEV_SUFFIX!r}"
            )

    def __str__(self) -> str:
        """The stable text form: the name, with ``@dev`` for the dev split."""
        return self.perturbation + (DEV_SUFFIX if self.split == "dev" else "")

    @classmethod
    def parse(cls, text: str) -> Evaluation:
        """The evaluation whose text form is ``text`` (the inverse of ``str``)."""
        if text.endswith(DEV_SUFFIX):
            return cls(text.removesuffix(DEV_SUFFIX), "dev")
        return cls(text)


#: the text form's separator of a transform's name and its argument (``"resplit:3"``)
TRANSFORM_SEP = ":"


@dataclass(frozen=True, slots=True)
class Transform:
    """A perturbation of the data a run is retrained and tested on.

    Parameters
    ----------
    name
        The perturbation: a test-time perturbation of the data's kind applied to every
        split (``"shuffle"``, ``"mask_color"``), ``"resplit"`` (pool the rows and re-split
        at random), or, in script mode, ``"file"`` (a perturbation of the data files).
    argument
        What the perturbation needs besides its name: the re-split seed (``"3"``), a file
        perturbation's parameters (``"flip_test_labels:share=0.5:seed=0"``); None for none.

    Its stable text form, ``str(transform)`` (``"resplit:3"``), is what the run store holds
    and what :meth:`parse` reads back.
    """

    name: str
    argument: str | None = None

    def __post_init__(self) -> None:
        if not self.name or TRANSFORM_SEP in self.name:
            raise ValueError(
                f"Transform(name={self.name!r}): must be non-empty, without {TRANSFORM_SEP!r}"
            )

    def __str__(self) -> str:
        """The stable text form: ``name``, or ``name:argument``."""
        return self.name if self.argument is None else f"{self.name}{TRANSFORM_SEP}{self.argument}"

    @classmethod
    def parse(cls, text: str) -> Transform:
        """The transform whose text form is ``text`` (the inverse of ``str``).

        Raises
        ------
        ValueError
            An empty text, or one that starts with ``:``.
        """
        name, sep, argument = text.partition(TRANSFORM_SEP)
        return cls(name, argument if sep else None)

    @classmethod
    def resplit(cls, seed: int) -> Transform:
        """A random re-split of the pooled rows, seeded by ``seed``."""
        return cls("resplit", str(seed))
