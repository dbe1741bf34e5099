"""The check primitives, by the name rule packs use in `check: {primitive: ...}`."""

from __future__ import annotations

from mcp_lint.check.primitives.audit_facts import AuditFacts
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.calls import CallCheck
from mcp_lint.check.primitives.concurrency import AwaitInLoop
from mcp_lint.check.primitives.core import ParseError, UnusedSuppression
from mcp_lint.check.primitives.dependencies import UnboundedDependency
from mcp_lint.check.primitives.errors import ErrorResult, ExceptionLeak, GenericRaise, RetryWithoutBackoff, SwallowedException
from mcp_lint.check.primitives.handlers import HandlerParameter, UnvalidatedArguments
from mcp_lint.check.primitives.http_auth import UnauthenticatedHttp
from mcp_lint.check.primitives.output import StdoutWrite
from mcp_lint.check.primitives.rebinding import DnsRebinding
from mcp_lint.check.primitives.registration import AddToolPositional, DecoratorNotCalled, MissingDescription
from mcp_lint.check.primitives.secrets import HardcodedSecret
from mcp_lint.check.primitives.strings import FormattedStringSink
from mcp_lint.check.primitives.taint_sinks import TaintedCall

PRIMITIVES: dict[str, type[Primitive]] = {
    cls.NAME: cls for cls in (
        ParseError,
        UnusedSuppression,
        FormattedStringSink,
        TaintedCall,
        HardcodedSecret,
        UnauthenticatedHttp,
        DnsRebinding,
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
        AuditFacts,
    )
}
