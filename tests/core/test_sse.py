from __future__ import annotations

import asyncio

import pytest

from oainb._streaming import SSEDecoder


def decode(chunks):
    return [(e.event, e.data) for e in SSEDecoder().iter_bytes(chunks)]


def test_event_and_data_lines():
    assert decode([b'event: a\ndata: {"x": 1}\n\n']) == [("a", '{"x": 1}')]


def test_multi_line_data_is_joined_with_newlines():
    assert decode([b"data: one\ndata: two\n\n"]) == [(None, "one\ntwo")]


def test_comments_and_unknown_fields_are_ignored():
    assert decode([b": keep-alive\nfoo: bar\ndata: x\n\n"]) == [(None, "x")]


@pytest.mark.parametrize("sep", [b"\r\n", b"\r", b"\n"])
def test_all_line_endings(sep):
    body = b"event: a" + sep + b"data: 1" + sep + sep + b"data: 2" + sep + sep
    assert decode([body]) == [("a", "1"), (None, "2")]


def test_events_split_across_chunks_at_any_byte():
    body = b"event: a\r\ndata: hello\r\n\r\ndata: world\r\n\r\n"
    for cut in range(1, len(body)):
        assert decode([body[:cut], body[cut:]]) == [("a", "hello"), (None, "world")], cut


def test_one_byte_at_a_time_with_utf8():
    body = "data: héllo ✓\n\n".encode()
    assert decode([body[i : i + 1] for i in range(len(body))]) == [(None, "héllo ✓")]


def test_final_event_without_trailing_blank_line():
    assert decode([b"data: last"]) == [(None, "last")]


def test_async_wrapper_matches_sync():
    body = [b"event: a\ndata: 1\n", b"\ndata: [DONE]\n\n"]

    async def agen():
        for chunk in body:
            yield chunk

    async def run():
        return [(e.event, e.data) async for e in SSEDecoder().aiter_bytes(agen())]

    assert asyncio.run(run()) == decode(body) == [("a", "1"), (None, "[DONE]")]


def test_id_and_retry_fields():
    events = list(SSEDecoder().iter_bytes([b"id: 7\nretry: 3000\ndata: x\n\n"]))
    assert (events[0].id, events[0].retry) == ("7", 3000)
