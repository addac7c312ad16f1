"""Polite HTTP GETs with bounded retries: the one transport every fetcher shares.

- Only http(s) URLs, also after redirects.
- Retries transport errors, timeouts, 429 and 5xx with exponential backoff (tenacity),
  honouring ``Retry-After`` (capped); other 4xx fail at once.
- Every other failure (a redirect loop, an invalid URL...) is a SourceError at once: the
  failure of that one input or source, never an unexpected exception.
- ``min_interval`` spaces requests (arXiv asks for one every 3 s).
- Bodies are size-capped, so a hostile server cannot exhaust memory.
- A slow server cannot hold a run: a download that receives less than ``Limits.min_speed``
  over ``stall_seconds`` is given up, and so is one still going after ``deadline`` seconds
  (retries included). Neither is retried: the caller falls back as for any failed download.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception

from papercast import __version__
from papercast.config import DownloadConfig
from papercast.errors import InputError, SourceError

log = logging.getLogger(__name__)

USER_AGENT = f"papercast/{__version__} (+https://github.com/papercast/papercast)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RetryableHTTPError(Exception):
    def __init__(self, url: str, status: int | None, reason: str, retry_after: float | None):
        super().__init__(reason)
        self.url = url
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class ResponseTooLarge(SourceError):
    """The body went past ``max_bytes``: no paper or page of results is that large."""


@dataclass(frozen=True)
class Limits:
    """How slow or long one download may be (``[download]`` in the configuration)."""

    min_speed: float = 0.0  # bytes per second over ``stall_seconds``; 0 = no floor
    stall_seconds: float = 30.0
    deadline: float | None = None  # seconds for the whole download, retries included

    @classmethod
    def from_config(cls, config: DownloadConfig) -> Limits:
        return cls(
            min_speed=config.min_speed_kb * 1024,
            stall_seconds=config.stall_seconds,
            deadline=config.deadline_seconds,
        )


class SlowDownloadError(SourceError):
    """A download under the speed floor or past its deadline: given up, not retried."""


class _Progress:
    """Bytes received over time; raises SlowDownloadError under the floor or past the deadline."""

    def __init__(self, limits: Limits, what: str, deadline_at: float | None) -> None:
        self.limits = limits
        self.what = what
        self.deadline_at = deadline_at
        self.started = time.monotonic()
        self.samples: deque[tuple[float, int]] = deque([(self.started, 0)])

    def update(self, size: int) -> None:
        now = time.monotonic()
        if self.deadline_at is not None and now > self.deadline_at:
            raise _past_deadline(self.what, self.limits)
        floor, window = self.limits.min_speed, self.limits.stall_seconds
        if floor <= 0:
            return
        self.samples.append((now, size))
        while len(self.samples) > 1 and self.samples[1][0] <= now - window:
            self.samples.popleft()
        since, base = self.samples[0]
        if since <= now - window and size - base < floor * (now - since):
            speed = (size - base) / (now - since) / 1024
            raise SlowDownloadError(
                f"{self.what} was given up: {speed:.1f} KB/s over the last {now - since:.0f} s, "
                f"under the floor of {floor / 1024:g} KB/s",
                "the server is too slow right now; run again later, or lower "
                "[download] min_speed_kb",
            )


def _past_deadline(what: str, limits: Limits) -> SlowDownloadError:
    return SlowDownloadError(
        f"{what} was given up after {limits.deadline:g} s ([download] deadline_seconds)",
        "the server is too slow right now; run again later, or raise [download] deadline_seconds",
    )


class HTTPStatusError(Exception):
    """A non-retryable status: the response is kept so callers can read an error body."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def check_url(url: str) -> str:
    """Only http(s) URLs with a host are ever fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"refusing to fetch {url!r}", "only http:// and https:// URLs are fetched")
    return url


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class HttpFetcher:
    """A small, thread-safe wrapper over ``httpx.Client`` with our retry policy."""

    timeout: float = 60.0
    retries: int = 4
    backoff: float = 2.0
    max_backoff: float = 60.0
    max_retry_after: float = 300.0
    min_interval: float = 0.0
    max_bytes: int = 200 * 1024 * 1024
    user_agent: str = USER_AGENT
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def polite(
        cls, *, timeout: float, retries: int, delay: float, limits: Limits | None = None
    ) -> HttpFetcher:
        """For an API that asks for ``delay`` seconds between requests: also the backoff base."""
        return cls(
            timeout=timeout,
            retries=retries,
            backoff=max(delay, 0.0),
            min_interval=delay,
            limits=limits or Limits(),
        )

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=True,
            headers={"User-Agent": self.user_agent, **self.headers},
        )
        self._lock = threading.Lock()
        self._last_request = 0.0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableHTTPError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after)
        return float(min(self.max_backoff, self.backoff * 2 ** (state.attempt_number - 1)))

    def _space_requests(self) -> None:
        if self.min_interval <= 0:
            return
        with self._lock:
            wait = self._last_request + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last_request = time.monotonic()

    def _timeout(self, deadline_at: float | None, what: str) -> float:
        """Seconds one read may wait: the timeout, or less when the deadline is nearer."""
        if deadline_at is None:
            return self.timeout
        left = deadline_at - time.monotonic()
        if left <= 0:
            raise _past_deadline(what, self.limits)
        return min(self.timeout, left)

    def _once(
        self, url: str, params: Mapping[str, Any] | None, what: str, deadline_at: float | None
    ) -> httpx.Response:
        self._space_requests()
        timeout = self._timeout(deadline_at, what)
        self.requests_made += 1
        try:
            with self._client.stream("GET", url, params=params, timeout=timeout) as response:
                final = str(response.url)
                if urlsplit(final).scheme not in ("http", "https"):
                    raise InputError(f"{url} redirected to a non-http URL", "check the link")
                chunks: list[bytes] = []
                size = 0
                progress = _Progress(self.limits, what, deadline_at)
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ResponseTooLarge(
                            f"{url} sent more than {self.max_bytes // (1024 * 1024)} MB",
                            "the response is too large to be a paper or a page of results",
                        )
                    chunks.append(chunk)
                    progress.update(size)
                body = b"".join(chunks)
        except httpx.UnsupportedProtocol as exc:
            raise InputError(
                f"cannot fetch {url}: {exc}", "only http(s) URLs are fetched"
            ) from None
        except (httpx.TimeoutException, httpx.TransportError, httpx.DecodingError) as exc:
            if deadline_at is not None and time.monotonic() >= deadline_at:
                raise _past_deadline(what, self.limits) from None
            raise RetryableHTTPError(url, None, f"{type(exc).__name__}: {exc}", None) from exc
        except httpx.TooManyRedirects:
            raise SourceError(
                f"{url} redirects in a loop (more than {self._client.max_redirects} redirects)",
                "check the link in a browser; the server is misconfigured",
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise SourceError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
        response = httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            content=body,
            request=response.request,
        )
        if response.status_code in RETRY_STATUSES:
            raise RetryableHTTPError(
                url,
                response.status_code,
                f"HTTP {response.status_code}",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 400:
            raise HTTPStatusError(response)
        return response

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        what: str = "",
        source: str = "",
        validate: Callable[[httpx.Response], None] | None = None,
    ) -> httpx.Response:
        """GET with retries; ``validate`` may raise RetryableHTTPError for a bad body."""
        check_url(url)
        deadline = self.limits.deadline
        deadline_at = time.monotonic() + deadline if deadline else None

        tries = 0

        def attempt() -> httpx.Response:
            nonlocal tries
            tries += 1
            response = self._once(url, params, what or url, deadline_at)
            if validate is not None:
                validate(response)
            return response

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= self.retries + 1:
                return True
            # no retry whose wait would end past the deadline
            upcoming = getattr(state, "upcoming_sleep", 0.0) or 0.0
            return deadline_at is not None and time.monotonic() + upcoming >= deadline_at

        retrying = Retrying(
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, RetryableHTTPError)),
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda s: log.warning(
                "%s: %s; retrying (attempt %d of %d)",
                what or url,
                s.outcome.exception() if s.outcome else "",
                s.attempt_number + 1,
                self.retries + 1,
            ),
        )
        try:
            return retrying(attempt)
        except RetryableHTTPError as exc:
            raise SourceError(
                f"{what or url} failed after {tries} tries: {exc.reason}",
                _hint(exc.status),
                source=source,
                status=exc.status,
            ) from None


def _hint(status: int | None) -> str:
    """What to do about a failure that outlasted the retries."""
    if status is None:
        return "check the network connection and the URL (or the proxy), then run again"
    if status == 429:
        return "the server is rate-limiting: run again later, or raise the delay between requests"
    if status >= 500:
        return "the server is having trouble: run again later"
    return "the server kept sending a broken answer: run again later"
