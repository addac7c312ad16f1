"""Chat and push channels through Apprise: the issue, an empty week's reason, a failure.

Each ``[notify] urls`` entry is one channel (any URL Apprise knows: ``slack://``,
``discord://``, ``tgram://``, ``matrix://``, ``msteams://``, ``ntfy://``, ``mailto://``,
``json://``...). Secrets are written as ``${ENV_VAR}`` and expanded from the environment when
the channels are built; the expanded URL lives only in memory: the store keeps a digest of it,
reports name a channel by its position and service ("channel 2 (slack)"), and Apprise's log
lines are cleaned of the secret values before anything sees them.

A message is fitted to each channel's own limits (Apprise's ``title_maxlen`` and
``body_maxlen`` per service): highlights are dropped from the end, with an "... and N more"
line, rather than cut mid-link. A channel that fails is retried, then reported; it never stops
the others. What was sent is recorded, so a rerun never posts the same notice twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.logs import redact
from papercast.models import ChannelDelivery
from papercast.store.db import Database
from papercast.store.deliveries import DeliveryStore

if TYPE_CHECKING:
    from apprise.plugins.base import NotifyBase

log = logging.getLogger(__name__)

Event = Literal["issue", "empty", "failure"]
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Notice:
    """One message for every channel: a title, lines that may be dropped to fit (``items``,
    best first) and lines that always stay (``head`` before them, ``tail`` after)."""

    event: Event
    issue_id: str
    title: str
    head: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    key: str = ""  # what makes two notices the same (default: the event)
    more: str = "and %(count)s more"  # after the items dropped to fit (translated for readers)

    @property
    def delivery_key(self) -> str:
        return self.key or self.event


@dataclass(frozen=True)
class Channel:
    """One ``[notify] urls`` entry, built by Apprise."""

    index: int
    service: str
    digest: str
    plugin: NotifyBase
    secrets: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"channel {self.index} ({self.service})"


def _scheme(url: str) -> str:
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else "no scheme"


def expand_secrets(url: str, index: int, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """``url`` with every ``${NAME}`` replaced from ``environ``, and the values used."""
    used: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = environ.get(name)
        if not value:
            raise ConfigError(
                f"[notify] urls entry {index} ({_scheme(url)}) uses ${{{name}}}, "
                "which is not set in the environment",
                f"export {name}=... before running papercast",
            )
        used.append(value)
        return value

    return _ENV_REF.sub(substitute, url), used


def build_channels(settings: Settings, environ: Mapping[str, str] | None = None) -> list[Channel]:
    """The configured channels; an entry Apprise cannot parse is a ConfigError naming it by
    position and scheme (never by its text, which may hold a secret)."""
    urls = settings.notify.urls
    if not urls:
        return []
    import apprise

    env = os.environ if environ is None else environ
    asset = apprise.AppriseAsset(
        app_id="papercast",
        app_desc="papercast",
        app_url="https://github.com/papercast/papercast",
        storage_mode="memory",
        secure_logging=True,
    )
    channels = []
    quiet = _Silence()  # Apprise would log the URL it cannot parse: our error names the entry
    apprise_log = logging.getLogger("apprise")
    for index, raw in enumerate(urls, start=1):
        url, secrets = expand_secrets(raw, index, env)
        apprise_log.addFilter(quiet)
        try:
            plugin = apprise.Apprise.instantiate(url, asset=asset, suppress_exceptions=True)
        finally:
            apprise_log.removeFilter(quiet)
        if plugin is None:
            raise ConfigError(
                f"[notify] urls entry {index} ({_scheme(raw)}) is not a URL Apprise can use",
                "check it against the service's page in the Apprise wiki "
                "(github.com/caronc/apprise/wiki); `apprise --details` lists the schemes",
            )
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
        service = _scheme(raw)
        channels.append(Channel(index, service, digest, plugin, tuple(secrets)))
    return channels


# --- fitting a notice to a channel's limits ---------------------------------------------


def _cut(text: str, limit: int) -> str:
    if limit <= 0 or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def fit(notice: Notice, title_maxlen: int, body_maxlen: int) -> tuple[str, str]:
    """(title, body) within the limits; a service without titles gets it as the first line."""
    title = notice.title
    head = list(notice.head)
    if title_maxlen <= 0:
        head.insert(0, title)
        title = ""
    else:
        title = _cut(title, title_maxlen)
    items = list(notice.items)
    dropped = 0

    def compose() -> str:
        more = [f"{ELLIPSIS} " + notice.more % {"count": dropped}] if dropped else []
        return "\n".join(part for part in [*head, *items, *more, *notice.tail])

    body = compose()
    while body_maxlen > 0 and len(body) > body_maxlen and items:
        items.pop()
        dropped += 1
        body = compose()
    return title, _cut(body, body_maxlen)


# --- sending -----------------------------------------------------------------------------


class _Silence(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


class _Scrub(logging.Filter):
    """Apprise's log records, cleaned of this channel's secret values."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _send_once(channel: Channel, notice: Notice) -> tuple[bool, str | None]:
    import apprise

    plugin = channel.plugin
    title, body = fit(notice, int(plugin.title_maxlen), int(plugin.body_maxlen))
    kind = apprise.NotifyType.FAILURE if notice.event == "failure" else apprise.NotifyType.INFO
    apprise_log = logging.getLogger("apprise")
    scrub = _Scrub(channel.secrets)
    apprise_log.addFilter(scrub)
    try:
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            try:
                ok = bool(
                    plugin.notify(
                        body=body,
                        title=title,
                        notify_type=kind,
                        body_format=apprise.NotifyFormat.TEXT,
                    )
                )
            except Exception as exc:  # a plugin bug is this channel's failure, not the run's
                ok = False
                log.warning("%s raised %s", channel.label, type(exc).__name__)
            lines = [ln for ln in captured.getvalue().splitlines() if ln.strip()]
    finally:
        apprise_log.removeFilter(scrub)
    if ok:
        return True, None
    reason = lines[-1].split(" - ", 2)[-1] if lines else "the service refused the message"
    return False, redact(reason, list(channel.secrets))[:300]


def deliver(
    notice: Notice,
    channels: list[Channel],
    *,
    settings: Settings,
    db: Database,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ChannelDelivery]:
    """Send ``notice`` to every channel that has not had it (all of them with ``resend``)."""
    store = DeliveryStore(db)
    results = []
    for channel in channels:
        key = notice.delivery_key
        if not resend and store.was_sent(notice.issue_id, channel.digest, key):
            results.append(
                ChannelDelivery(
                    channel=channel.label, event=notice.event, status="already-sent", attempts=0
                )
            )
            continue
        attempts, error = 0, None
        for attempt in range(settings.notify.retries + 1):
            if attempt:
                sleep(settings.notify.retry_backoff * 2 ** (attempt - 1))
            attempts += 1
            ok, error = _send_once(channel, notice)
            if ok:
                break
            log.warning("%s: %s (attempt %d)", channel.label, error, attempts)
        status = "sent" if error is None else "failed"
        store.record(
            notice.issue_id, channel.digest, key, status=status, attempts=attempts, error=error
        )
        results.append(
            ChannelDelivery(
                channel=channel.label,
                event=notice.event,
                status=status,
                attempts=attempts,
                error=error,
            )
        )
    return results
