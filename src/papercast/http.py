"""Polite HTTP GETs with bounded retries: the one transport every fetcher shares.

- Only http(s) URLs, also after redirects.
- Retries transport errors, timeouts, 429 and 5xx with exponential backoff (tenacity),
  honouring ``Retry-After`` (capped); other 4xx fail at once.
- Every other failure (a redirect loop, an invalid URL...) is a SourceError at once: the
  failure of that one input or source, never an unexpected exception.
- ``min_interval`` spaces requests (arXiv asks for one every 3 s).
- Bodies are size-capped, so a hostile server cannot exhaust memory.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from papercast import __version__
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

    @classmethod
    def polite(cls, *, timeout: float, retries: int, delay: float) -> HttpFetcher:
        """For an API that asks for ``delay`` seconds between requests: also the backoff base."""
        return cls(timeout=timeout, retries=retries, backoff=max(delay, 0.0), min_interval=delay)

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

    def _once(self, url: str, params: Mapping[str, Any] | None) -> httpx.Response:
        self._space_requests()
        self.requests_made += 1
        try:
            with self._client.stream("GET", url, params=params) as response:
                final = str(response.url)
                if urlsplit(final).scheme not in ("http", "https"):
                    raise InputError(f"{url} redirected to a non-http URL", "check the link")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ResponseTooLarge(
                            f"{url} sent more than {self.max_bytes // (1024 * 1024)} MB",
                            "the response is too large to be a paper or a page of results",
                        )
                    chunks.append(chunk)
                body = b"".join(chunks)
        except httpx.UnsupportedProtocol as exc:
            raise InputError(
                f"cannot fetch {url}: {exc}", "only http(s) URLs are fetched"
            ) from None
        except (httpx.TimeoutException, httpx.TransportError, httpx.DecodingError) as exc:
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

        def attempt() -> httpx.Response:
            response = self._once(url, params)
            if validate is not None:
                validate(response)
            return response

        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
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
                f"{what or url} failed after {self.retries + 1} tries: {exc.reason}",
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
