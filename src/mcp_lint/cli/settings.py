"""Settings and rule selection for the commands: which configuration file governs a path, the
command line's overrides on top of it, and the rules it enables (with unknown codes in the
configuration reported at their file and line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mcp_lint.model.errors import ConfigError, UsageError
from mcp_lint.model.rules import Rule
from mcp_lint.model.settings import Settings
from mcp_lint.packs.registry import Registry, SelectorError, load_registry
from mcp_lint.source.config import find_config, load_settings, locate


@dataclass
class Scope:
    """The files one configuration governs, with the rules it selects."""

    settings: Settings
    registry: Registry
    rules: list[Rule]
    files: list[Path] = field(default_factory=list)


def _overrides(opts) -> dict:
    return dict(select=opts.select, extend_select=opts.extend_select, ignore=opts.ignore,
                rule_packs=opts.rule_packs, force_exclude=opts.force_exclude, extend_exclude=opts.extend_exclude,
                min_confidence=getattr(opts, "min_confidence", None))


def config_file_for(config: Path | None, paths: list[str]) -> Path | None:
    """`--config`, else the nearest pyproject.toml with a [tool.mcp-lint] table above the first
    path (else above the working directory)."""
    if config is not None:
        if not config.is_file():
            raise UsageError(f"--config: no such file: {config}")
        return config
    start = Path(paths[0]) if paths else Path(".")
    return find_config(start if start.exists() else Path(".")) or find_config(Path("."))


def base_settings(opts, paths: list[str]) -> Settings:
    return load_settings(config_file_for(opts.config, paths), Path.cwd(), **_overrides(opts))


def settings_from(config: Path | None, opts) -> Settings:
    return load_settings(config, Path.cwd(), **_overrides(opts))


def plain_settings(config: Path | None, paths: list[str], rule_packs: list[str] = ()) -> Settings:
    """The settings commands other than `check` read: the same file, fewer overrides."""
    return load_settings(config_file_for(config, paths), Path.cwd(), rule_packs=list(rule_packs))


def scope_for(settings: Settings, opts=None):
    from mcp_lint.check.fix_options import configure as configure_fixes

    registry = load_registry(settings.rule_packs)
    return Scope(settings, registry, configure_fixes(select(registry, settings), settings))


def select(registry: Registry, settings: Settings) -> list[Rule]:
    _check_config_codes(registry, settings)
    try:
        return registry.select_layers(settings.selection_layers())
    except SelectorError as exc:
        raise UsageError(f"--{exc}") from None


def _check_config_codes(registry: Registry, settings: Settings) -> None:
    """Unknown rule selectors and severity codes in the configuration: name file and line."""
    path = settings.config_file
    shown = str(path) if path is not None else None
    for key, values in (("select", settings.select or ()), ("extend-select", settings.extend_select),
                        ("ignore", settings.ignore)):
        for value in values:
            try:
                registry.check_selectors([value], key)
            except SelectorError:
                raise ConfigError(shown, locate(path, key, value=value),
                                  f"[tool.mcp-lint] {key}: unknown rule selector '{value}'") from None
    for code in settings.severity:
        if registry.get(code) is None:
            raise ConfigError(shown, locate(path, "severity", sub=code),
                              f"[tool.mcp-lint.severity] unknown rule '{code}'")
    for pattern, codes in settings.per_file_ignores:
        for code in codes:
            try:
                registry.check_selectors([code], "per-file-ignores")
            except SelectorError:
                raise ConfigError(shown, locate(path, "per-file-ignores", sub=pattern),
                                  f"[tool.mcp-lint.per-file-ignores] '{pattern}': unknown rule selector "
                                  f"'{code}'") from None


def show_settings(scopes) -> int:
    """`--show-settings`: each configuration in use, where it came from, what it resolves to."""
    import dataclasses

    for scope in scopes:
        s = scope.settings
        print(f"Settings from: {s.config_file if s.config_file is not None else '(defaults: no configuration file)'}")
        print(f"  files governed: {len(scope.files)}")
        for f in dataclasses.fields(s):
            value = getattr(s, f.name)
            if isinstance(value, dict):
                value = {k: getattr(v, "value", v) for k, v in value.items()}
            elif isinstance(value, tuple):
                value = [str(v) for v in value] if value and isinstance(value[0], Path) else list(value)
            print(f"  {f.name.replace('_', '-')} = {value}")
        print(f"  enabled rules ({len(scope.rules)}): {', '.join(r.id for r in scope.rules)}")
        print(f"  rule packs: {', '.join(p.path for p in scope.registry.packs)}")
    return 0
