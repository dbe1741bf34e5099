"""The check primitives, by the name rule packs use in `check: {primitive: ...}`."""

from __future__ import annotations

from .base import Primitive
from .core import ParseError, UnusedSuppression
from .strings import FormattedStringSink
from .taint_sinks import TaintedCall

PRIMITIVES: dict[str, type[Primitive]] = {
    cls.NAME: cls for cls in (
        ParseError,
        UnusedSuppression,
        FormattedStringSink,
        TaintedCall,
    )
}
