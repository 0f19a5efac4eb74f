"""forms.posted: a form body without escapes is split by hand (the scan page's, issue 18); it must read every body
exactly as the framework's parser and forms.values do, and leave every other body to them."""

from __future__ import annotations

import pytest
from litestar import Litestar, post
from litestar.datastructures import FormMultiDict
from litestar.testing import AsyncTestClient

from servicebank.web import forms

BODIES = [b"", b"csrf_token=ab12&latitude=31.2&longitude=121.47", b"latitude=&longitude=", b"a=1&a=2&b",
          b"team_ids=3", b"weekday=1&weekday=5", b"&&x=1&&", b"a=b=c", b"name=%E5%BC%A0+%E4%B8%89&q=a%26b",
          b"x=1+2", "名=值".encode()]


@post("/echo", opt={"exclude_from_auth": True})
async def _echo(request: object) -> dict:
    return await forms.posted(request)  # type: ignore[arg-type]


@pytest.mark.parametrize("body", BODIES)
async def test_posted_reads_a_body_as_the_frameworks_parser_does(body: bytes) -> None:
    from litestar._parsers import parse_url_encoded_form_data

    expected = forms.values(FormMultiDict.from_form_data(parse_url_encoded_form_data(body)))
    async with AsyncTestClient(Litestar([_echo])) as client:
        answer = await client.post("/echo", content=body,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.json() == expected


def test_split_keeps_repeated_fields_blank_values_and_list_fields_as_lists() -> None:
    assert forms._split("a=1&a=2&b&team_ids=3") == {"a": ["1", "2"], "b": "", "team_ids": ["3"]}
