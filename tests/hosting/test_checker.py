"""Image URLs are checked the way APIXO fetches them, against real local HTTP servers."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.fixtures.s3 import ImageServer
from tests.imaging import samples
from veo_desktop.hosting import UrlCheck, UrlChecker

PNG = samples.encode(samples.two_tone(64, 36), "PNG")
JPEG = samples.encode(samples.two_tone(64, 36), "JPEG")


def check(url: str, **kwargs: float) -> UrlCheck:
    async def run() -> UrlCheck:
        async with UrlChecker(**kwargs) as checker:  # type: ignore[arg-type]
            return await checker.check(url)

    return asyncio.run(run())


def test_a_good_png_passes_with_its_type_and_size(image_server: ImageServer) -> None:
    url = image_server.add("/cat.png", body=PNG, content_type="image/png")

    result = check(url)

    assert result.ok, result.message
    assert result.content_type == "image/png"
    assert result.size == len(PNG)
    assert result.message.startswith("A PNG image of")
    assert [seen.method for seen in image_server.requests_for("/cat.png")] == ["HEAD"]


def test_jpeg_with_charset_and_odd_alias(image_server: ImageServer) -> None:
    url = image_server.add("/a.jpg", body=JPEG, content_type="image/jpg; charset=binary")
    result = check(url)
    assert result.ok
    assert result.content_type == "image/jpg"
    assert "JPEG image" in result.message


def test_webp_passes_with_a_word_of_caution(image_server: ImageServer) -> None:
    url = image_server.add("/w.webp", body=b"RIFF....WEBPVP8 ", content_type="image/webp")
    result = check(url)
    assert result.ok
    assert "APIXO recommends JPEG or PNG" in result.message


def test_a_web_page_is_not_an_image(image_server: ImageServer) -> None:
    url = image_server.add(
        "/gallery", body=b"<html></html>", content_type="text/html; charset=utf-8"
    )
    result = check(url)
    assert not result.ok
    assert result.message == "That address serves a web page (text/html), not an image."


def test_other_types_are_named(image_server: ImageServer) -> None:
    url = image_server.add("/anim.gif", body=b"GIF89a", content_type="image/gif")
    result = check(url)
    assert not result.ok
    assert result.message == (
        "That address serves a GIF image (image/gif), not a JPEG, PNG or WebP image."
    )
    url = image_server.add("/blob", body=b"x", content_type=None)
    assert "does not say what the file is" in check(url).message


def test_404_says_the_image_is_not_there(image_server: ImageServer) -> None:
    result = check(image_server.url("/missing.png"))
    assert not result.ok
    assert result.message == "The server answered 404: the image is not there."


def test_403_says_the_image_is_not_public(image_server: ImageServer) -> None:
    url = image_server.add("/private.png", body=PNG, status=403, content_type="application/xml")
    result = check(url)
    assert not result.ok
    assert result.message.startswith("The server answered 403: the image is not public")


def test_a_refused_head_falls_back_to_a_one_byte_ranged_get(image_server: ImageServer) -> None:
    # Like a presigned S3 link: signed for GET, so HEAD is refused.
    url = image_server.add("/signed.png", body=PNG, content_type="image/png", head_status=403)

    result = check(url)

    assert result.ok, result.message
    assert result.size == len(PNG)
    seen = image_server.requests_for("/signed.png")
    assert [s.method for s in seen] == ["HEAD", "GET"]
    assert seen[1].headers["Range"] == "bytes=0-0"


def test_a_server_that_ignores_range_is_still_checked_without_reading_the_body(
    image_server: ImageServer,
) -> None:
    url = image_server.add(
        "/norange.png",
        body=PNG[:100],
        content_type="image/png",
        head_status=405,
        ranges=False,
        advertised_size=3_000_000,
    )
    result = check(url)
    assert result.ok, result.message
    assert result.size == 3_000_000


@pytest.mark.parametrize("head_status", [None, 405])
def test_a_huge_file_is_refused_from_its_headers(
    image_server: ImageServer, head_status: int | None
) -> None:
    url = image_server.add(
        "/huge.jpg",
        body=JPEG,
        content_type="image/jpeg",
        advertised_size=14_200_000,
        head_status=head_status,
    )
    result = check(url)
    assert not result.ok
    assert result.message == "The image is 14.2 MB; APIXO accepts at most 10 MB."
    assert result.size == 14_200_000


def test_a_slow_server_times_out_with_a_plain_message(image_server: ImageServer) -> None:
    url = image_server.add("/slow.png", body=PNG, content_type="image/png", delay=30)
    started = time.monotonic()
    result = check(url, timeout=0.5)
    assert time.monotonic() - started < 5
    assert not result.ok
    assert result.message.startswith("No answer within 0.5 s")


def test_plain_http_is_refused_without_a_request() -> None:
    result = check("http://images.example.com/cat.png")
    assert not result.ok
    assert "must use https://" in result.message


def test_redirects_are_followed_but_only_to_https(image_server: ImageServer) -> None:
    image_server.add("/real.png", body=PNG, content_type="image/png")
    hop = image_server.add("/hop", status=302, location="/real.png", content_type=None)
    assert check(hop).ok

    bad = image_server.add(
        "/downgrade", status=301, location="http://cdn.example.com/x.png", content_type=None
    )
    result = check(bad)
    assert not result.ok
    assert result.message == (
        "The address redirects to http://cdn.example.com/x.png, which is not https; "
        "APIXO only fetches https addresses."
    )


def test_a_redirect_loop_gives_up(image_server: ImageServer) -> None:
    loop = image_server.add("/loop", status=302, location="/loop", content_type=None)
    result = check(loop)
    assert not result.ok
    assert "redirects more than 5 times" in result.message


def test_nothing_listening(dead_endpoint: str) -> None:
    result = check(dead_endpoint + "/x.png")
    assert not result.ok
    assert result.message.endswith("refused the connection: nothing is serving images there.")


def test_server_errors_say_to_try_later(image_server: ImageServer) -> None:
    url = image_server.add("/oops.png", status=503, content_type="text/plain", body=b"busy")
    assert check(url).message == (
        "The server answered 503: it has a problem right now. Try again later."
    )


def test_check_many_checks_each_url_once_in_parallel(image_server: ImageServer) -> None:
    good = image_server.add("/g.png", body=PNG, content_type="image/png")
    missing = image_server.url("/nope.png")

    async def run() -> list[UrlCheck]:
        async with UrlChecker() as checker:
            return await checker.check_many([good, missing, good])

    results = asyncio.run(run())
    assert [r.ok for r in results] == [True, False, True]
    assert len(image_server.requests_for("/g.png")) == 1
