"""A deterministic fake OpenAI-compatible server on 127.0.0.1, for tests and benchmarks.

The real ``openai`` SDK (and any HTTP client) talks to it over HTTP::

    with FakeOpenAI(latency=0.3) as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="sk-test")
        ...
        fake.calls  # every request, with its JSON body

Endpoints: ``/v1/chat/completions`` (``json_schema`` structured outputs, ``json_object`` mode,
plain text; usage tokens), ``/v1/responses``, ``/v1/embeddings`` (hashed bag of words; float or
base64), ``/v1/audio/speech`` (real audio whose length grows with the input: mp3 through ffmpeg
by default, wav, pcm, flac...), ``/v1/files`` and ``/v1/batches`` (JSONL upload, create,
retrieve, cancel, output file), ``/v1/models``.

A podcast dialogue request (a schema of ``turns`` whose ``speaker`` is one of two names) is
answered with alternating turns made of the paper block's sentences, as many words as the
request asks for ("about N words"), like an obedient model.

Answers are derived from the paper text: the part of the last user message inside
``<paper ...>...</paper>`` when present, else the whole message. Like a gullible model, the fake
*obeys* "ignore previous instructions" when that phrase appears outside such a delimited block
(it then answers ``HACKED`` instead of JSON), so tests can prove the delimiting works.

Knobs: ``latency`` (seconds per request), ``json_schema_support`` (False rejects
``json_schema`` like many local servers, with ``json_schema_status``: 400, or 500 as
llama-cpp-python's server does; ``json_object`` with a ``schema`` beside it is honoured, as
llama.cpp does), ``usage`` (False: replies carry no token counts, as some servers do),
``context_tokens`` (longer prompts get the real ``context_length_exceeded`` error), ``models``
(others get 404), ``api_key`` (others get 401),
``batch_polls`` (retrievals before a batch completes), ``answer_next(content)`` to script an
exact answer, and faults: ``fail_next(kind, ...)`` for
scripted faults and ``fail_randomly(kind, probability)`` (seeded). Fault kinds: ``429`` (with
Retry-After), ``500`` (OpenAI's wording, a new request id each time), ``500-same`` (the same
body every time, as a server bug answers), ``timeout`` (hang until the client gives up), ``drop`` (close the
connection), ``malformed`` (the model's message is not JSON), ``refusal``, ``401``, ``404``
(model not found), ``context_length``, ``length`` (output cut at max tokens).
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from papercast.sample.server import LocalServer
from support import fake_openai_content as content

FaultKind = Literal[
    "429",
    "500",
    "500-same",
    "timeout",
    "drop",
    "malformed",
    "refusal",
    "401",
    "404",
    "context_length",
    "length",
]
INJECTION = re.compile(r"ignore (all )?(previous|prior|above) instructions", re.IGNORECASE)
PAPER_BLOCK = re.compile(r"<paper\b[^>]*>(.*?)</paper>", re.DOTALL | re.IGNORECASE)


@dataclass
class FakeCall:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    raw: bytes
    status: int = 0
    fault: str | None = None
    at: float = 0.0

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    def text(self) -> str:
        """All message/input text of the request, joined (for assertions)."""
        return _request_text(self.body) if isinstance(self.body, dict) else ""


@dataclass
class Fault:
    kind: FaultKind
    path: str | None = None  # only requests to this path (e.g. "/v1/chat/completions")
    match: str | None = None  # only requests whose raw body contains this text
    retry_after: float = 0.05  # seconds, for 429
    hang: float = 30.0  # seconds, for timeout

    def applies(self, path: str, raw: bytes) -> bool:
        if self.path is not None and path != self.path:
            return False
        return self.match is None or self.match.encode("utf-8") in raw


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Stored:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(payload).encode("utf-8"), headers=headers or {})


def _error(status: int, message: str, kind: str, code: str | None) -> _Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return _json(status, body)


def _message_text(message: Any) -> str:
    value = message.get("content") if isinstance(message, dict) else message
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [p.get("text", "") for p in value if isinstance(p, dict)]
        return "\n".join(str(p) for p in parts)
    return ""


def _request_text(body: dict[str, Any]) -> str:
    if "messages" in body:
        return "\n".join(_message_text(m) for m in body["messages"])
    raw_input = body.get("input")
    texts = []
    if isinstance(raw_input, str):
        texts.append(raw_input)
    elif isinstance(raw_input, list):
        texts.extend(_message_text(m) if isinstance(m, dict) else str(m) for m in raw_input)
    if isinstance(body.get("instructions"), str):
        texts.insert(0, body["instructions"])
    return "\n".join(texts)


def _last_user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if messages is None:
        raw_input = body.get("input")
        messages = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else []
        messages = messages or [m for m in raw_input or [] if isinstance(m, dict)]
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return _message_text(users[-1]) if users else _request_text(body)


def _system_text(body: dict[str, Any]) -> str:
    messages = body.get("messages") or body.get("input") or []
    texts = [
        _message_text(m)
        for m in messages
        if isinstance(m, dict) and m.get("role") in ("system", "developer")
    ]
    if isinstance(body.get("instructions"), str):
        texts.append(body["instructions"])
    return "\n".join(texts)


def _source_and_outside(body: dict[str, Any]) -> tuple[str, str]:
    """(the delimited paper text, the rest of the last user message).

    System prompts may well quote injection phrases (to warn against them); only the user turn
    outside the paper block counts as instructions the gullible fake obeys.
    """
    user = _last_user_text(body)
    blocks = PAPER_BLOCK.findall(user)
    if not blocks:
        return user, user
    text = "\n".join(blocks)
    text = re.sub(r"^(Title|Authors|Categories):.*$", "", text, flags=re.MULTILINE)
    return text, PAPER_BLOCK.sub(" ", user)


class FakeOpenAI(LocalServer):
    """The fake server. Use as a context manager; ``base_url`` ends in ``/v1``."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        seed: int = 0,
        json_schema_support: bool = True,
        json_schema_status: int = 400,
        usage: bool = True,
        context_tokens: int | None = None,
        models: list[str] | None = None,
        api_key: str | None = None,
        batch_polls: int = 0,
        embedding_dimensions: int = 256,
        rendezvous: int = 0,
    ) -> None:
        self.latency = latency
        # the first ``rendezvous`` requests wait for each other before answering (a hang guard
        # of 30 s): a test of concurrency then sees that many in flight at once, by
        # construction, however slowly a busy machine starts the client's threads
        self._rendezvous = threading.Barrier(rendezvous) if rendezvous > 1 else None
        self._arrived = 0
        self.json_schema_support = json_schema_support
        self.json_schema_status = json_schema_status
        self.usage = usage
        self.context_tokens = context_tokens
        self.models = models
        self.api_key = api_key
        self.batch_polls = batch_polls
        self.embedding_dimensions = embedding_dimensions
        self.calls: list[FakeCall] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._faults: list[Fault] = []
        self._random_faults: list[tuple[Fault, float]] = []
        self._answers: list[tuple[str | None, str]] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._files: dict[str, _Stored] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._batch_polls: dict[str, int] = {}
        self._counter = 0
        super().__init__(self._handler_class())

    # --- public API -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def fail_next(
        self,
        kind: FaultKind,
        times: int = 1,
        *,
        path: str | None = None,
        match: str | None = None,
        retry_after: float = 0.05,
        hang: float = 30.0,
    ) -> None:
        """The next ``times`` matching requests fail with ``kind`` (in order, before others)."""
        with self._lock:
            for _ in range(times):
                self._faults.append(Fault(kind, path, match, retry_after, hang))

    def fail_randomly(
        self,
        kind: FaultKind,
        probability: float,
        *,
        path: str | None = None,
        match: str | None = None,
        retry_after: float = 0.05,
        hang: float = 30.0,
    ) -> None:
        """Each matching request fails with ``kind`` with this probability (seeded)."""
        with self._lock:
            self._random_faults.append((Fault(kind, path, match, retry_after, hang), probability))

    def answer_next(self, content: str | dict[str, Any], *, match: str | None = None) -> None:
        """The next completion whose request contains ``match`` answers exactly ``content``."""
        text = content if isinstance(content, str) else json.dumps(content)
        with self._lock:
            self._answers.append((match, text))

    def _forced_answer(self, body: dict[str, Any]) -> str | None:
        raw = json.dumps(body)
        with self._lock:
            for index, (match, text) in enumerate(self._answers):
                if match is None or match in raw:
                    del self._answers[index]
                    return text
        return None

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._random_faults.clear()

    def calls_to(self, path: str) -> list[FakeCall]:
        return [c for c in self.calls if c.path == path]

    @property
    def completion_calls(self) -> list[FakeCall]:
        return [c for c in self.calls if c.path in ("/v1/chat/completions", "/v1/responses")]

    def _stopping(self) -> None:
        self._stop.set()  # wake handlers sleeping out a latency or a hang

    # --- plumbing ---------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                outer._serve(self)

            def do_POST(self) -> None:
                outer._serve(self)

            def do_DELETE(self) -> None:
                outer._serve(self)

        return _Handler

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{prefix}-fake{self._counter:06d}"

    def _pick_fault(self, path: str, raw: bytes) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.applies(path, raw):
                    return self._faults.pop(index)
            for fault, probability in self._random_faults:
                if fault.applies(path, raw) and self._rng.random() < probability:
                    return fault
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        path = handler.path.split("?", 1)[0]
        ctype = handler.headers.get("Content-Type") or ""
        body: Any = None
        if raw and "json" in ctype:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        call = FakeCall(
            method=handler.command,
            path=path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            raw=raw,
            at=time.monotonic(),
        )
        with self._lock:
            self.calls.append(call)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._arrived += 1
            meet = self._rendezvous is not None and self._arrived <= self._rendezvous.parties
        try:
            if meet and self._rendezvous is not None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    self._rendezvous.wait(timeout=30)
            if self.latency:
                self._stop.wait(self.latency)
            fault = self._pick_fault(path, raw)
            call.fault = fault.kind if fault else None
            if fault is not None and fault.kind == "timeout":
                self._stop.wait(fault.hang)
            if fault is not None and fault.kind == "drop":
                call.status = 0
                handler.close_connection = True
                return
            response = self._dispatch(handler.command, path, call, ctype, fault)
            call.status = response.status
            self._send(handler, response)
        finally:
            with self._lock:
                self._in_flight -= 1

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, response: _Response) -> None:
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(response.body)))
            handler.send_header("x-request-id", "req_fake")
            for key, value in response.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _dispatch(
        self, method: str, path: str, call: FakeCall, ctype: str, fault: Fault | None
    ) -> _Response:
        auth = self._check_auth(call, fault)
        if auth is not None:
            return auth
        if fault is not None and fault.kind == "429":
            headers = {
                "Retry-After": str(max(1, round(fault.retry_after))),
                "retry-after-ms": str(int(fault.retry_after * 1000)),
            }
            body = {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
            return _json(429, body, headers)
        if fault is not None and fault.kind == "500":
            return _error(
                500,
                "The server had an error while processing your request. Sorry about that! "
                f"(Please include the request ID {self._next_id('req')} in your message.)",
                "server_error",
                None,
            )
        if fault is not None and fault.kind == "500-same":
            return _error(500, "Internal Server Error", "server_error", None)
        if path == "/v1/files" and method == "POST":
            return self._upload(call, ctype)
        if path.startswith("/v1/files"):
            return self._file(method, path)
        if path.startswith("/v1/batches"):
            return self._batch(method, path, call.body)
        if path.startswith("/v1/models"):
            return self._models(path)
        if method != "POST" or not isinstance(call.body, dict):
            return _error(
                404 if method != "POST" else 400, f"unknown {path}", "invalid_request_error", None
            )
        return self._endpoint(path, call.body, fault)

    def _check_auth(self, call: FakeCall, fault: Fault | None) -> _Response | None:
        given = call.headers.get("authorization", "")
        wrong_key = self.api_key is not None and given != f"Bearer {self.api_key}"
        if (fault is not None and fault.kind == "401") or wrong_key:
            # the worst a server does: echo the key it was given (papercast must redact it)
            key = given.removeprefix("Bearer ")
            return _error(
                401,
                f"Incorrect API key provided: {key}.",
                "invalid_request_error",
                "invalid_api_key",
            )
        return None

    def _endpoint(self, path: str, body: dict[str, Any], fault: Fault | None) -> _Response:
        model = str(body.get("model", ""))
        if (fault is not None and fault.kind == "404") or (
            self.models is not None and model not in self.models and path != "/v1/audio/speech"
        ):
            return _error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        if path in ("/v1/chat/completions", "/v1/responses"):
            problem = self._bad(body, fault)
            if problem is not None:
                return problem
            if path == "/v1/responses":
                return _json(200, self.response(body, fault))
            return _json(200, self.chat_completion(body, fault))
        if path == "/v1/embeddings":
            return _json(200, self.embeddings(body))
        if path == "/v1/audio/speech":
            return self._speech(body)
        return _error(404, f"unknown path {path}", "invalid_request_error", None)

    def _bad(self, body: dict[str, Any], fault: Fault | None) -> _Response | None:
        """Request-level errors for completions: unsupported json_schema, context length.

        The format is checked first, as a server validates a request before it tokenizes it.
        """
        if not self.json_schema_support and _wanted_schema(body) is not None:
            return _error(
                self.json_schema_status,
                "response_format json_schema is not supported by this server",
                "invalid_request_error" if self.json_schema_status < 500 else "server_error",
                None,
            )
        prompt_tokens = content.tokens_for(_request_text(body))
        too_long = self.context_tokens is not None and prompt_tokens > self.context_tokens
        if (fault is not None and fault.kind == "context_length") or too_long:
            limit = self.context_tokens or 8192
            return _error(
                400,
                f"This model's maximum context length is {limit} tokens. However, your "
                f"messages resulted in {prompt_tokens} tokens. Please reduce the length.",
                "invalid_request_error",
                "context_length_exceeded",
            )
        return None

    # --- completions ------------------------------------------------------------------

    def answer_text(self, body: dict[str, Any], fault: Fault | None) -> str:
        """What the 'model' says: JSON for the wanted schema, or prose."""
        forced = self._forced_answer(body)
        if forced is not None:
            return forced
        source, outside = _source_and_outside(body)
        if INJECTION.search(outside):
            return "HACKED"
        if fault is not None and fault.kind == "malformed":
            return '{"tldr": "unterminated'
        schema = _wanted_schema(body) or _json_object_schema(body)
        if schema is None and _wants_json_object(body):
            schema = content.find_embedded_schema(_system_text(body) + _last_user_text(body))
            if schema is None:
                return json.dumps({"answer": " ".join(content.sentences(source)[:1])})
        if schema is not None and content.is_dialogue_schema(schema):
            return json.dumps(content.dialogue(schema, source, _last_user_text(body)))
        if schema is not None:
            return json.dumps(content.fill_schema(schema, source))
        return " ".join(content.sentences(source)[:3]) or "OK."

    def chat_completion(self, body: dict[str, Any], fault: Fault | None = None) -> dict[str, Any]:
        text = self.answer_text(body, fault)
        finish = "stop"
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if fault is not None and fault.kind == "refusal":
            message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
            text = "I can't help with that."
        if fault is not None and fault.kind == "length":
            message["content"] = text[: len(text) // 2]
            finish = "length"
        prompt_tokens = content.tokens_for(_request_text(body))
        completion_tokens = content.tokens_for(text)
        if finish == "length":  # cut at the cap: a real server has spent all of it
            cap = body.get("max_tokens") or body.get("max_completion_tokens")
            completion_tokens = int(cap) if isinstance(cap, int) else completion_tokens
        reply: dict[str, Any] = {
            "id": self._next_id("chatcmpl"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
        }
        if self.usage:
            reply["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        return reply

    def response(self, body: dict[str, Any], fault: Fault | None = None) -> dict[str, Any]:
        text = self.answer_text(body, fault)
        if fault is not None and fault.kind == "refusal":
            part: dict[str, Any] = {"type": "refusal", "refusal": "I can't help with that."}
        else:
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        prompt_tokens = content.tokens_for(_request_text(body))
        output_tokens = content.tokens_for(text)
        return {
            "id": self._next_id("resp"),
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": body.get("model", ""),
            "output": [
                {
                    "type": "message",
                    "id": self._next_id("msg"),
                    "status": "completed",
                    "role": "assistant",
                    "content": [part],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": prompt_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": prompt_tokens + output_tokens,
            },
        }

    # --- embeddings and speech --------------------------------------------------------

    def embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        raw_input = body.get("input", "")
        inputs = [raw_input] if isinstance(raw_input, str) else list(raw_input)
        dims = int(body.get("dimensions") or self.embedding_dimensions)
        data = []
        tokens = 0
        for index, item in enumerate(inputs):
            text = item if isinstance(item, str) else " ".join(str(t) for t in item)
            tokens += content.tokens_for(text)
            vector = content.embed(text, dims)
            value: Any = vector
            if body.get("encoding_format") == "base64":
                import numpy as np

                value = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
            data.append({"object": "embedding", "index": index, "embedding": value})
        return {
            "object": "list",
            "data": data,
            "model": body.get("model", ""),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    def _speech(self, body: dict[str, Any]) -> _Response:
        text = str(body.get("input", ""))
        if not text.strip():
            return _error(400, "input must not be empty", "invalid_request_error", None)
        fmt = str(body.get("response_format") or "mp3")
        if fmt not in content.AUDIO_TYPES:
            return _error(400, f"unsupported response_format {fmt}", "invalid_request_error", None)
        pcm = content.speech_pcm(text, float(body.get("speed") or 1.0))
        return _Response(200, content.encode_audio(pcm, fmt), content.AUDIO_TYPES[fmt])

    # --- files, batches, models -------------------------------------------------------

    def _upload(self, call: FakeCall, ctype: str) -> _Response:
        fields = _parse_multipart(call.raw, ctype)
        upload = fields.get("file")
        if upload is None:
            return _error(400, "missing file", "invalid_request_error", None)
        filename, data = upload
        purpose = fields.get("purpose", ("", b""))[1].decode() or "batch"
        stored = _Stored(self._next_id("file"), filename, purpose, data, int(time.time()))
        with self._lock:
            self._files[stored.id] = stored
        return _json(200, _file_object(stored))

    def _file(self, method: str, path: str) -> _Response:
        parts = path.split("/")  # ['', 'v1', 'files', id, 'content']
        stored = self._files.get(parts[3]) if len(parts) > 3 else None
        if len(parts) == 3:
            return _json(
                200, {"object": "list", "data": [_file_object(f) for f in self._files.values()]}
            )
        if stored is None:
            return _error(404, f"No such File object: {parts[3]}", "invalid_request_error", None)
        if len(parts) > 4 and parts[4] == "content":
            return _Response(200, stored.data, "application/octet-stream")
        if method == "DELETE":
            with self._lock:
                self._files.pop(stored.id, None)
            return _json(200, {"id": stored.id, "object": "file", "deleted": True})
        return _json(200, _file_object(stored))

    def _batch(self, method: str, path: str, body: Any) -> _Response:
        parts = path.split("/")  # ['', 'v1', 'batches', id, 'cancel']
        if len(parts) == 3 and method == "POST":
            return self._create_batch(body if isinstance(body, dict) else {})
        if len(parts) == 3:
            return _json(200, {"object": "list", "data": list(self._batches.values())})
        batch = self._batches.get(parts[3])
        if batch is None:
            return _error(
                404, f"No batch found with id '{parts[3]}'.", "invalid_request_error", None
            )
        if len(parts) > 4 and parts[4] == "cancel":
            batch.update(status="cancelled", cancelled_at=int(time.time()))
            return _json(200, batch)
        self._advance(batch)
        return _json(200, batch)

    def _create_batch(self, body: dict[str, Any]) -> _Response:
        stored = self._files.get(str(body.get("input_file_id")))
        if stored is None:
            return _error(400, "input_file_id not found", "invalid_request_error", None)
        lines = [line for line in stored.data.decode("utf-8").splitlines() if line.strip()]
        batch = {
            "id": self._next_id("batch"),
            "object": "batch",
            "endpoint": body.get("endpoint", "/v1/chat/completions"),
            "errors": None,
            "input_file_id": stored.id,
            "completion_window": body.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": int(time.time()),
            "in_progress_at": None,
            "completed_at": None,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        with self._lock:
            self._batches[str(batch["id"])] = batch
            self._batch_polls[str(batch["id"])] = 0
        return _json(200, batch)

    def _advance(self, batch: dict[str, Any]) -> None:
        if batch["status"] in ("completed", "cancelled", "failed", "expired"):
            return
        with self._lock:
            polls = self._batch_polls[batch["id"]]
            self._batch_polls[batch["id"]] = polls + 1
        if polls < self.batch_polls:
            batch.update(status="in_progress", in_progress_at=int(time.time()))
            return
        self._run_batch(batch)

    def _run_batch(self, batch: dict[str, Any]) -> None:
        stored = self._files[batch["input_file_id"]]
        outputs, errors = [], []
        for line in stored.data.decode("utf-8").splitlines():
            if not line.strip():
                continue
            request = json.loads(line)
            custom_id = request.get("custom_id")
            fault = self._pick_fault("batch:" + str(request.get("url")), line.encode("utf-8"))
            if fault is not None:
                errors.append(
                    {
                        "id": self._next_id("batch_req"),
                        "custom_id": custom_id,
                        "response": {
                            "status_code": 500,
                            "request_id": "req_fake",
                            "body": {"error": {"message": f"fault {fault.kind}"}},
                        },
                        "error": None,
                    }
                )
                continue
            reply = self.chat_completion(request.get("body", {}))
            outputs.append(
                {
                    "id": self._next_id("batch_req"),
                    "custom_id": custom_id,
                    "response": {"status_code": 200, "request_id": "req_fake", "body": reply},
                    "error": None,
                }
            )
        now = int(time.time())
        out = self._store_jsonl(outputs, "batch_output") if outputs else None
        err = self._store_jsonl(errors, "batch_error") if errors else None
        batch.update(
            status="completed",
            completed_at=now,
            in_progress_at=batch["in_progress_at"] or now,
            output_file_id=out,
            error_file_id=err,
            request_counts={
                "total": len(outputs) + len(errors),
                "completed": len(outputs),
                "failed": len(errors),
            },
        )

    def _store_jsonl(self, rows: list[dict[str, Any]], purpose: str) -> str:
        data = "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")
        stored = _Stored(self._next_id("file"), f"{purpose}.jsonl", purpose, data, int(time.time()))
        with self._lock:
            self._files[stored.id] = stored
        return stored.id

    def _models(self, path: str) -> _Response:
        names = self.models or ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "tts-1"]
        parts = path.split("/")
        rows = [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names]
        if len(parts) > 3:
            wanted = "/".join(parts[3:])
            if self.models is not None and wanted not in self.models:
                return _error(
                    404,
                    f"The model `{wanted}` does not exist",
                    "invalid_request_error",
                    "model_not_found",
                )
            return _json(200, {"id": wanted, "object": "model", "created": 0, "owned_by": "fake"})
        return _json(200, {"object": "list", "data": rows})


def _wanted_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else None
    text = body.get("text")
    if isinstance(text, dict):
        tfmt = text.get("format")
        if isinstance(tfmt, dict) and tfmt.get("type") == "json_schema":
            schema = tfmt.get("schema")
            return schema if isinstance(schema, dict) else None
    return None


def _json_object_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema given beside ``json_object`` (llama.cpp's way of constraining JSON mode)."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        schema = fmt.get("schema")
        return schema if isinstance(schema, dict) else None
    return None


def _wants_json_object(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return True
    text = body.get("text")
    return isinstance(text, dict) and (text.get("format") or {}).get("type") == "json_object"


def _file_object(stored: _Stored) -> dict[str, Any]:
    return {
        "id": stored.id,
        "object": "file",
        "bytes": len(stored.data),
        "created_at": stored.created_at,
        "filename": stored.filename,
        "purpose": stored.purpose,
        "status": "processed",
    }


def _parse_multipart(raw: bytes, ctype: str) -> dict[str, tuple[str, bytes]]:
    """{field name: (filename, data)} from a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', ctype)
    if match is None:
        return {}
    boundary = b"--" + match.group(1).encode()
    fields: dict[str, tuple[str, bytes]] = {}
    for part in raw.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if name is not None:
            value = data[:-2] if data.endswith(b"\r\n") else data
            fields[name.group(1)] = (filename.group(1) if filename else "", value)
    return fields
