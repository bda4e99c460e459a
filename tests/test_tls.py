"""The TLS context prepared ahead (veo_desktop.tls) and its use by the runtime's client."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest

from veo_desktop import tls
from veo_desktop.runtime.wiring import open_http


@pytest.fixture(autouse=True)
def _nothing_prepared() -> Iterator[None]:
    for trust_env in (True, False):
        tls.take(trust_env=trust_env)
    yield
    for trust_env in (True, False):
        tls.take(trust_env=trust_env)


def _verifies(context: ssl.SSLContext) -> None:
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


def test_nothing_is_handed_out_unless_prepared() -> None:
    assert tls.take(trust_env=True) is None
    assert tls.take(trust_env=False) is None


def test_a_prepared_context_verifies_with_certifi_and_is_handed_out_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls.prepare()
    context = tls.take(trust_env=True)
    assert context is not None
    _verifies(context)
    expected = ssl.create_default_context(cafile=certifi.where())
    assert context.cert_store_stats() == expected.cert_store_stats()
    assert tls.take(trust_env=True) is None  # once


def test_a_context_prepared_for_the_environment_is_not_handed_to_a_client_without() -> None:
    tls.prepare(trust_env=True)
    assert tls.take(trust_env=False) is None
    assert tls.take(trust_env=True) is not None


def test_the_environment_names_the_authorities_when_trusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "one-ca.pem"
    # one certificate of certifi's bundle: a context that loaded it holds exactly one CA
    text = Path(certifi.where()).read_text(encoding="ascii")
    end = "-----END CERTIFICATE-----"
    bundle.write_text(text[text.index("-----BEGIN CERTIFICATE-----") : text.index(end) + len(end)])
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert tls.default_context(trust_env=True).cert_store_stats()["x509_ca"] == 1
    assert tls.default_context(trust_env=False).cert_store_stats()["x509_ca"] > 1
    tls.prepare(trust_env=True)
    prepared = tls.take(trust_env=True)
    assert prepared is not None
    assert prepared.cert_store_stats()["x509_ca"] == 1


def test_an_unusable_bundle_leaves_it_to_httpx(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    tls.prepare(trust_env=True)
    assert tls.take(trust_env=True) is None


def test_the_runtime_client_uses_the_prepared_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls.prepare(trust_env=True)
    assert tls._prepared is not None
    prepared = tls._prepared[1].result(timeout=30)

    async def contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
        async with open_http(trust_env=True) as first, open_http(trust_env=True) as second:
            return (
                first._transport._pool._ssl_context,  # type: ignore[attr-defined]
                second._transport._pool._ssl_context,  # type: ignore[attr-defined]
            )

    first_context, second_context = asyncio.run(contexts())
    assert first_context is prepared
    _verifies(second_context)
    assert second_context is not prepared  # the second client built its own, as httpx does
