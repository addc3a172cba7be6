"""SPR token grammar: a shape glyph followed by an optional colour letter, e.g. ``▲r``."""

from __future__ import annotations

#: shape glyphs used by SPR_BENCH, in a fixed order
SHAPES: tuple[str, ...] = ("▲", "■", "●", "◆")
#: colour letters used by SPR_BENCH, in a fixed order
COLORS: tuple[str, ...] = ("r", "g", "b", "y")
#: factor names carried by every token, in the order ``parse_token`` returns them
FACTORS: tuple[str, ...] = ("shape", "color")


class TokenFormatError(ValueError):
    """A token that does not follow the shape-plus-optional-colour grammar."""


def parse_token(token: str) -> tuple[str, str | None]:
    """Split one token into its factors.

    Parameters
    ----------
    token
        A token such as ``"▲r"`` (shape and colour) or ``"▲"`` (shape only).

    Returns
    -------
    tuple of (shape, colour or None)

    Raises
    ------
    TokenFormatError
        If the token is empty, longer than two characters, or uses a glyph or colour
        letter outside ``SHAPES`` / ``COLORS``.
    """
    if not token or len(token) > 2:
        raise TokenFormatError(
            f"token {token!r} must be a shape glyph ({' '.join(SHAPES)}) followed by an "
            f"optional colour letter ({' '.join(COLORS)})"
        )
    shape = token[0]
    if shape not in SHAPES:
        raise TokenFormatError(
            f"token {token!r} starts with {shape!r}, which is not a shape glyph; expected one "
            f"of {' '.join(SHAPES)}"
        )
    if len(token) == 1:
        return shape, None
    color = token[1]
    if color not in COLORS:
        raise TokenFormatError(
            f"token {token!r} ends with {color!r}, which is not a colour letter; expected one "
            f"of {' '.join(COLORS)} or none"
        )
    return shape, color


def split_sequence(sequence: str) -> list[str]:
    """Split a sequence string into tokens (separated by single spaces, as in SPR_BENCH)."""
    return sequence.split()


def shape_variety(sequence: str) -> int:
    """Number of distinct shapes in ``sequence`` (first character of each token)."""
    return len({tok[0] for tok in sequence.split() if tok})


def color_variety(sequence: str) -> int:
    """Number of distinct colours in ``sequence`` (second character of tokens that have one)."""
    return len({tok[1] for tok in sequence.split() if len(tok) > 1})
