"""The check primitives, by the name rule packs use in `check: {primitive: ...}`."""

from __future__ import annotations

from .base import Primitive
from .calls import CallCheck
from .concurrency import AwaitInLoop
from .core import ParseError, UnusedSuppression
from .dependencies import UnboundedDependency
from .errors import ErrorResult, ExceptionLeak, GenericRaise, RetryWithoutBackoff, SwallowedException
from .handlers import HandlerParameter, UnvalidatedArguments
from .http_auth import UnauthenticatedHttp
from .output import StdoutWrite
from .registration import AddToolPositional, DecoratorNotCalled, MissingDescription
from .secrets import HardcodedSecret
from .strings import FormattedStringSink
from .taint_sinks import TaintedCall

PRIMITIVES: dict[str, type[Primitive]] = {
    cls.NAME: cls for cls in (
        ParseError,
        UnusedSuppression,
        FormattedStringSink,
        TaintedCall,
        HardcodedSecret,
        UnauthenticatedHttp,
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

# `audit-facts`, the primitive of `mcp-lint audit`, lives with the audit and adds itself to
# this table when imported; importing it last lets either module be imported first.
from ..audit import facts as _audit_facts  # noqa: E402,F401
