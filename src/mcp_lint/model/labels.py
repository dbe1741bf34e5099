"""Named string constants: enum members that compare equal to, print as and serialise as their
value, so data that crosses processes, caches and reports stays plain text."""

from __future__ import annotations

from enum import Enum


class Label(str, Enum):
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)
