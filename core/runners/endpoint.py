"""Replies from any OpenAI-compatible chat server (vLLM, TGI, llama.cpp server, OpenAI itself).

Why threads + httpx: the work is waiting on the network, a thread pool of `concurrency`
workers sharing one httpx.Client (thread-safe, pooled connections) bounds the load on the
server with no event loop to manage.  Transient failures (connection drops, timeouts, 408,
429, 5xx, a malformed 200) are retried with exponential backoff and jitter, honouring
Retry-After; anything else (401, 404 for a wrong model name, 400) stops the run at once as
a user error.  Each reply goes to the caller's callback (the cache) as soon as it arrives.

Deadlines: `timeout` bounds a whole attempt, connect to last byte of the answer, not one silent
read (httpx's own timeouts are per operation, so a server that drips its body a byte a second
used to keep one request going for minutes).  Each phase gets only the time left (the `timeout`
request extension shrinks), the body is read in a loop that checks the clock, and a watchdog
shuts the socket when the deadline passes mid-read.  All attempts for one item, backoff waits
included, stay within `retry_budget` seconds (default 3 x timeout).  Timed-out attempts are
counted and reported (`describe()`: attempts, timeouts, retries).

The API key comes from an environment variable and is never logged or reported: it is scrubbed
from replies (a server that echoes the Authorization header) and from every error message, so it
cannot reach the reply cache, the results or the terminal.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from agent_flan.core.errors import BadInputError
from agent_flan.core.runners import GenerationSettings, OnReply, Request

RETRY_STATUS = frozenset({408, 409, 425, 429})  # plus every 5xx
MAX_BODY_BYTES = 32 * 2**20  # an answer larger than this is not a chat completion
REDACTED = "[REDACTED]"


class EndpointError(RuntimeError):
    """The server kept failing after every retry."""


class _Stopped(Exception):
    """Another request failed for good; this one gives up quietly."""


class _DeadlinePassed(Exception):
    """An attempt's whole-request deadline passed before the answer was complete."""


class _TimeLeft(dict):
    """httpx's `timeout` request extension whose values are the seconds left before `deadline`.

    httpcore reads them when each phase starts (pool wait, connect, send, wait for the headers,
    start of the body), so no phase can run past the deadline even if an earlier one was slow."""

    def __init__(self, deadline: float):
        super().__init__(connect=None, read=None, write=None, pool=None)
        self.deadline = deadline

    def get(self, key, default=None):
        return max(0.001, self.deadline - time.monotonic())  # 0 would switch the socket to non-blocking

    def __getitem__(self, key):
        return self.get(key)


def _shutdown(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked in another thread
    except OSError:
        pass


@dataclass(frozen=True)
class EndpointConfig:
    url: str
    model_name: str
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    max_retries: int = 5
    timeout: float = 120.0  # one whole attempt: connect + send + the complete answer
    backoff_base: float = 1.0  # seconds before the first retry; doubles each time
    backoff_max: float = 30.0
    retry_budget: float | None = None  # all attempts of one item, waits included; None: 3 x timeout
    tool_choice: str | None = None  # sent with the tools (native_tools) when given: auto / required / none

    @property
    def budget(self) -> float:
        return self.retry_budget if self.retry_budget is not None else 3 * self.timeout


def chat_completions_url(url: str) -> str:
    """Accept `http://host:8000`, `.../v1` or the full `.../v1/chat/completions`."""
    base = url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise BadInputError(f"--endpoint {url!r}: expected an http:// or https:// URL")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def public_url(url: str) -> str:
    """The URL without user:password@ or query string, safe to print and to store in results."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def reply_text(data: dict[str, Any]) -> str:
    """The assistant text of a chat completion; structured `tool_calls` are written out as
    Hermes-style `<tool_call>` tags so the detector judges them like any other call."""
    message = data["choices"][0]["message"]
    content = message.get("content") or ""
    if isinstance(content, list):  # multi-part content: keep the text parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    parts = [content]
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                pass  # keep the raw text; the detector will mark the arguments invalid
        parts.append(
            "<tool_call>"
            + json.dumps({"name": function.get("name", ""), "arguments": arguments}, ensure_ascii=False)
            + "</tool_call>"
        )
    if not isinstance(parts[0], str):
        raise TypeError("message content is not text")
    return "\n".join(p for p in parts if p).strip()


def _retry_after(headers) -> float | None:
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class EndpointRunner:
    """POST each request to /v1/chat/completions with bounded concurrency and retries."""

    def __init__(self, config: EndpointConfig, settings: GenerationSettings):
        if config.concurrency < 1:
            raise BadInputError("--concurrency must be at least 1")
        if not config.timeout > 0:
            raise BadInputError(f"--timeout {config.timeout}: must be a positive number of seconds")
        if not config.budget > 0:
            raise BadInputError(f"--retry-budget {config.retry_budget}: must be a positive number of seconds")
        self.config, self.settings = config, settings
        self.url = chat_completions_url(config.url)
        self.model_key = f"endpoint:{config.model_name}"  # not the URL: a restarted server on another port resumes
        self._stop = threading.Event()
        self.requests_sent = 0  # attempts, retries included (reported; tests check it)
        self.timeouts = 0  # attempts that hit their deadline
        self.retries = 0  # attempts after an item's first
        self.failed_items = 0  # items given up on (timeouts or errors after every retry)
        self._count_lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        return {
            "runner": "endpoint",
            "endpoint": public_url(self.url),
            "model_name": self.config.model_name,
            "concurrency": self.config.concurrency,
            "max_retries": self.config.max_retries,
            "timeout_s": self.config.timeout,
            "retry_budget_s": self.config.budget,
            "attempts": self.requests_sent,
            "retries": self.retries,
            "timeouts": self.timeouts,
            "failed_items": self.failed_items,
            "api_key_env": self.config.api_key_env,
            "tool_choice": self.config.tool_choice,
            "api_key_set": bool(os.environ.get(self.config.api_key_env)),
        }

    def _count(self, name: str) -> None:
        with self._count_lock:
            setattr(self, name, getattr(self, name) + 1)

    def scrub(self, text: str) -> str:
        """`text` with the API key replaced by [REDACTED]: nothing the server echoes (e.g. the Authorization
        header) reaches the cache, the results or an error message."""
        key = os.environ.get(self.config.api_key_env)
        if key and len(key) >= 4 and key in text:
            text = text.replace(key, REDACTED)
        return text

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.config.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def payload(self, request: Request) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.config.model_name,
            "messages": request.messages,
            "max_tokens": self.settings.max_new_tokens,
            "temperature": max(self.settings.temperature, 0.0),
        }
        if not self.settings.greedy:
            body.update(top_p=self.settings.top_p, seed=self.settings.seed)
        if self.settings.native_tools and request.tools:
            body["tools"] = [{"type": "function", "function": tool} for tool in request.tools]
            if self.config.tool_choice:
                body["tool_choice"] = self.config.tool_choice
        return body

    def check_native_tools(self, request: Request) -> dict[str, Any]:
        """Does the server read the `tools` field? `request` is sent twice, with its tools and without,
        for one token each; a server that counts the same prompt tokens both times never put the tools
        in the prompt (it ignores the field), and the results must say so. "unknown" when it reports no
        `usage.prompt_tokens` or the probe fails (the run itself then goes on as usual)."""
        import httpx

        tokens: dict[str, Any] = {}
        with httpx.Client(timeout=min(self.config.timeout, 60.0)) as client:
            for label, tools in (("with", request.tools), ("without", None)):
                body = self.payload(Request(request.key, request.item_id, request.messages, tools, request.prompt_hash))
                body["max_tokens"] = 1
                try:
                    response = client.post(self.url, json=body, headers=self._headers())
                    self._count("requests_sent")
                    data = response.json() if response.status_code == 200 else None
                except (httpx.HTTPError, ValueError) as exc:
                    return {"status": "unknown", "reason": self.scrub(f"{type(exc).__name__}: {exc}")[:200]}
                if not isinstance(data, dict):
                    return {"status": "unknown", "reason": f"HTTP {response.status_code} to the probe request"}
                usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
                tokens[label] = usage.get("prompt_tokens")
        with_tools, without = tokens.get("with"), tokens.get("without")
        result: dict[str, Any] = {
            "method": "one request with and one without the tools field (max_tokens 1): usage.prompt_tokens",
            "item": request.item_id,
            "prompt_tokens_with_tools": with_tools,
            "prompt_tokens_without_tools": without,
        }
        if not isinstance(with_tools, int) or not isinstance(without, int):
            return result | {"status": "unknown", "reason": "the server reports no usage.prompt_tokens"}
        if with_tools < without:
            return result | {"status": "unknown", "reason": "fewer prompt tokens with the tools than without"}
        return result | {"status": "ignored" if with_tools == without else "read"}

    def _attempt(self, client, request: Request, seconds: float) -> tuple[int, bytes, Any]:
        """One POST, answer read in full within `seconds` (connect included); (status, body, headers).

        Raises `_DeadlinePassed` when the deadline passes first, httpx.RequestError otherwise."""
        import httpx

        deadline = time.monotonic() + seconds
        watchdog = None
        try:
            with client.stream(
                "POST",
                self.url,
                json=self.payload(request),
                headers=self._headers(),
                extensions={"timeout": _TimeLeft(deadline)},
            ) as response:
                stream = response.extensions.get("network_stream")
                sock = stream.get_extra_info("socket") if stream is not None else None
                if sock is not None:  # a read that blocks past the deadline is cut, not waited out
                    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shutdown, (sock,))
                    watchdog.daemon = True
                    watchdog.start()
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if time.monotonic() > deadline:
                        raise _DeadlinePassed()
                    if len(body) > MAX_BODY_BYTES:
                        raise httpx.DecodingError(f"answer larger than {MAX_BODY_BYTES} bytes")
                if watchdog is not None:
                    watchdog.cancel()
                return response.status_code, bytes(body), response.headers
        except httpx.RequestError:
            if time.monotonic() >= deadline - 0.01:
                raise _DeadlinePassed() from None
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()

    def _one(self, client, request: Request) -> str:
        import httpx

        cfg = self.config
        started = time.monotonic()
        budget_end = started + cfg.budget
        last = "no attempt made"
        attempts = 0
        for attempt in range(cfg.max_retries + 1):
            if self._stop.is_set():
                raise _Stopped()
            left = budget_end - time.monotonic()
            if attempt and left < 0.05:
                break
            seconds = min(cfg.timeout, left)
            wait: float | None = None
            attempts += 1
            self._count("requests_sent")
            if attempt:
                self._count("retries")
            try:
                status, body, headers = self._attempt(client, request, seconds)
            except _DeadlinePassed:
                self._count("timeouts")
                last = (
                    f"timed out: no complete answer within {seconds:.3g} s (the whole request, connect to "
                    "last byte; --timeout)"
                )
            except httpx.RequestError as exc:  # refused, dropped, undecodable
                last = f"{type(exc).__name__}: {exc}"
            else:
                text = body.decode("utf-8", "replace")
                if status == 200:
                    try:
                        return self.scrub(reply_text(json.loads(text)))
                    except (ValueError, KeyError, IndexError, TypeError) as exc:
                        last = f"malformed response ({type(exc).__name__}: {exc}): {text[:200]!r}"
                elif status in RETRY_STATUS or status >= 500:
                    last = f"HTTP {status}: {text[:200]!r}"
                    wait = _retry_after(headers)
                else:
                    hint = {
                        401: " (is the key in $" + cfg.api_key_env + "?)",
                        403: " (check the key's permissions)",
                        404: " (check --endpoint and --model-name)",
                    }.get(status, "")
                    raise BadInputError(
                        self.scrub(
                            f"{public_url(self.url)} answered HTTP {status} for item "
                            f"{request.item_id}{hint}: {text[:300]}"
                        )
                    )
            if attempt == cfg.max_retries:
                break
            delay = min(cfg.backoff_max, cfg.backoff_base * 2**attempt) * (0.5 + random.random() / 2)
            if wait is not None:
                delay = min(cfg.backoff_max, max(delay, wait))
            left = budget_end - time.monotonic()
            if delay >= left:  # no time left for another attempt after the wait
                break
            if self._stop.wait(delay):
                raise _Stopped()
        self._count("failed_items")
        raise EndpointError(
            self.scrub(
                f"item {request.item_id}: {public_url(self.url)} still failing after {attempts} attempt(s) in "
                f"{time.monotonic() - started:.1f} s (retry budget {cfg.budget:g} s, --retry-budget); last error: {last}"
            )
        )

    def generate(self, requests: Sequence[Request], on_reply: OnReply) -> None:
        """Answer every request; on a permanent failure, keep the replies that did arrive, then raise."""
        import httpx

        if not requests:
            return
        self._stop.clear()
        limits = httpx.Limits(
            max_connections=self.config.concurrency, max_keepalive_connections=self.config.concurrency
        )
        failure: BaseException | None = None
        with (
            httpx.Client(timeout=self.config.timeout, limits=limits) as client,
            ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="agent-h") as pool,
        ):
            futures = {pool.submit(self._one, client, request): request for request in requests}
            try:
                for future in as_completed(futures):
                    try:
                        reply = future.result()
                    except (_Stopped, CancelledError):
                        continue
                    except Exception as exc:  # first permanent failure: stop starting new work
                        if failure is None:
                            failure = exc
                            self._stop.set()
                            for other in futures:
                                other.cancel()
                        continue
                    on_reply(futures[future], reply)
            except BaseException:  # Ctrl-C: let running requests end, start no more
                self._stop.set()
                for other in futures:
                    other.cancel()
                raise
        if failure is not None:
            raise failure
