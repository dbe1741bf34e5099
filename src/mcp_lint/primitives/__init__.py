"""The check primitives, by the name rule packs use in `check: {primitive: ...}`."""

from __future__ import annotations

from .base import Primitive
from .core import ParseError, UnusedSuppression
from .calls import CallCheck
from .concurrency import AwaitInLoop
from .dependencies import UnboundedDependency
from .errors import ErrorResult, GenericRaise
from .handlers import HandlerParameter, UnvalidatedArguments
from .output import StdoutWrite
from .errors import ExceptionLeak, RetryWithoutBackoff, SwallowedException
from .registration import AddToolPositional, DecoratorNotCalled, MissingDescription
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
        MissingDescription,
        AddToolPositional,
        DecoratorNotCalled,
        GenericRaise,
        ErrorResult,
        SwallowedException,
        ExceptionLeak,
        RetryWithoutBackoff,
        CallCheck,
        AwaitInLoop,
        StdoutWrite,
        UnboundedDependency,
    )
}
