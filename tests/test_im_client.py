"""The IM client: auth file parsing, secrets, the header, typed errors."""

from __future__ import annotations

import logging

import pytest
from im_server import im_server, needs_im  # noqa: F401

from primage_tosca.im.auth import AuthError, Secret, load_auth, parse_auth_text
from primage_tosca.im.client import IMAuthError, IMBadRequest, IMClient, IMNotFound, IMUnreachable
from primage_tosca.im.local import free_port


def test_auth_file_format(tmp_path):
    (tmp_path / "key.pem").write_text("-----BEGIN KEY-----\nabc\n-----END KEY-----\n")
    text = ("# comment\n\n"
            "id = im; type = InfrastructureManager; username = u; password = 'pa;ss'\n"
            'id = os; type = OpenStack; host = h:5000; username = x; password = "p=w"; tenant = t\n'
            "id = s; type = SSH; username = root; private_key = file(key.pem)\n")
    creds = parse_auth_text(text, tmp_path)
    assert [c.id for c in creds] == ["im", "os", "s"]
    assert isinstance(creds[0].values["password"], Secret) and creds[0].values["password"].reveal() == "pa;ss"
    assert creds[1].values["password"].reveal() == "p=w" and creds[1].values["tenant"] == "t"
    assert creds[2].values["private_key"].reveal().startswith("-----BEGIN KEY-----\nabc")
    header = load_auth.__globals__["Auth"](creds).header()
    assert header.count("\\n") >= 2 and "\n" not in header  # lines joined by backslash-n, no real newline
    assert "\\\\n" in header  # the key's newlines, escaped
    assert "pa;ss" in header


def test_auth_json_and_errors(tmp_path):
    creds = parse_auth_text('[{"id": "im", "type": "InfrastructureManager", "token": "T0K"}]')
    assert creds[0].values["token"].reveal() == "T0K" and "T0K" not in repr(creds)
    with pytest.raises(AuthError, match="line 1"):
        parse_auth_text("id = im; password = x\n")
    with pytest.raises(AuthError, match="cannot read"):
        load_auth(tmp_path / "missing.dat")


def test_token_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIMAGE_TOSCA_IM_TOKEN", "eyJ-secret-token")
    auth = load_auth(None)
    im = auth.im_credential()
    assert im is not None and im.values["token"].reveal() == "eyJ-secret-token"
    assert "eyJ" not in repr(auth) and "eyJ" not in auth.describe() and "token = ***" in auth.describe()
    assert "eyJ-secret-token" in auth.header()


def test_secret_never_formats():
    secret = Secret("hunter2")
    assert str(secret) == "***" and f"{secret}" == "***" and "hunter2" not in repr(secret)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


def test_connection_refused_names_the_url(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    client = IMClient(url, load_auth(None, token="t"), retries=1, backoff=0.01)
    with pytest.raises(IMUnreachable, match=url.replace(".", r"\.")):
        client.list()


@needs_im
def test_real_server_errors(im_server, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    client = IMClient(im_server.url, im_server.auth())
    assert client.version() == "2.0.0"
    with pytest.raises(IMBadRequest, match="Line 2"):
        client.create("system x ( cpu.count >= 1 \ndeploy y 1")
    with pytest.raises(IMNotFound, match="gone"):
        client.state("00000000-0000-0000-0000-000000000000")
    infra = client.create("system x ( cpu.count >= 1 )\ncontextualize ()\ndeploy x 1\n", wait=True)
    other = IMClient(im_server.url, load_auth(im_server.other_user_auth()))
    with pytest.raises(IMAuthError) as refused:
        other.state(infra)
    assert refused.value.status == 403 and "username = mallory" in str(refused.value)
    assert "other-secret" not in str(refused.value)
    assert infra not in other.list()
    client.destroy(infra)
    password = im_server.auth().im_credential().values["password"].reveal()
    assert password not in caplog.text
