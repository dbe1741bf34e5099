"""The check primitives, by the name rule packs use in `check: {primitive: ...}`."""

from __future__ import annotations

from .base import Primitive
from .core import ParseError, UnusedSuppression
from .calls import CallCheck
from .concurrency import AwaitInLoop
from .errors import ErrorResult, GenericRaise
from .handlers import HandlerParameter, UnvalidatedArguments
from .http_auth import UnauthenticatedHttp
from .output import StdoutWrite
from .secrets import HardcodedSecret
from .strings import FormattedStringSink
from .taint_sinks import TaintedCall

PRIMITIVES: dict[str, type[Primitive]] = {
    cls.NAME: cls for cls in (
        ParseError,
        UnusedSuppression,
        FormattedStringSink,
        TaintedCall,
        HandlerParameter,
        UnvalidatedArguments,
        GenericRaise,
        ErrorResult,
        CallCheck,
        AwaitInLoop,
        StdoutWrite,
        HardcodedSecret,
        UnauthenticatedHttp,
    )
}
