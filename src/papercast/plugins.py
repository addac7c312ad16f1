"""One registry pattern for every kind of provider: sources, rankers, summary backends, TTS engines.

A ``Registry`` maps names to factories: the built-in ones, then any installed package's entry
points in the kind's group, so a plugin is chosen by name exactly like a built-in::

    # a plugin's pyproject.toml
    [project.entry-points."papercast.llm_backends"]
    mybackend = "mypackage:make_backend"      # (settings, prompts) -> SummaryBackend

    # papercast.toml
    [llm]
    backend = "mybackend"

=======================  ===========================  ====================================
kind                     entry-point group            factory
=======================  ===========================  ====================================
``[llm] backend``        ``papercast.llm_backends``   ``(settings, prompts) -> SummaryBackend``
``[rank] backend``       ``papercast.rankers``        ``(settings, db, run_id) -> Ranker``
``[audio] engine``       ``papercast.tts_engines``    ``(settings) -> TTSEngine``
source (``--source``)    (built-in only)              ``(settings) -> list[Source]``
=======================  ===========================  ====================================

Sources take no plugins: each reads its own settings section, and unknown sections are
configuration errors. A built-in wins over a plugin of the same name. Every registry fails the
same way: ``unknown [llm] backend 'x'`` with the names to choose from. The configuration checks
a name when it loads (``choice``), so a typo is an error before any work starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, ParamSpec, TypeVar

from papercast.errors import ConfigError

P = ParamSpec("P")
T = TypeVar("T")

LLM_BACKENDS = "papercast.llm_backends"
RANKERS = "papercast.rankers"
TTS_ENGINES = "papercast.tts_engines"


def plugin_names(group: str | None) -> list[str]:
    """Names registered by installed packages in ``group`` (none are imported)."""
    if group is None:
        return []
    return sorted({entry.name for entry in entry_points(group=group)})


def unknown(setting: str, name: str, choices: Iterable[str]) -> ConfigError:
    """The one error for a name no registry knows."""
    return ConfigError(f"unknown {setting} {name!r}", f"choose one of: {', '.join(choices)}")


@dataclass(frozen=True)
class Choice:
    """A setting that names a provider: the built-ins (and extra words like ``auto``) plus the
    plugins in ``group``. Used as pydantic metadata (``Annotated[str, Choice(...)]``)."""

    setting: str
    builtins: tuple[str, ...]
    group: str | None = None

    def names(self) -> list[str]:
        return [*self.builtins, *(n for n in plugin_names(self.group) if n not in self.builtins)]

    def check(self, name: str) -> str:
        if name in self.builtins or name in plugin_names(self.group):
            return name
        raise unknown(self.setting, name, self.names())

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self._validate, handler(source))

    def _validate(self, value: str) -> str:
        try:
            return self.check(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None


class Registry(Generic[P, T]):
    """Factories by name: built-ins first, then the entry points of ``choice.group``."""

    def __init__(self, choice: Choice, builtins: Mapping[str, Callable[P, T]]) -> None:
        self.choice = choice
        self.builtins = dict(builtins)

    def names(self) -> list[str]:
        return [
            *self.builtins,
            *(n for n in plugin_names(self.choice.group) if n not in self.builtins),
        ]

    def factory(self, name: str) -> Callable[P, T]:
        if name in self.builtins:
            return self.builtins[name]
        if self.choice.group is not None:
            for entry in entry_points(group=self.choice.group, name=name):
                loaded: Callable[P, T] = entry.load()
                return loaded
        raise unknown(self.choice.setting, name, self.names())

    def create(self, name: str, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.factory(name)(*args, **kwargs)
