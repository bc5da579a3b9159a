from __future__ import annotations

import pytest

from assistant.settings import DEV_JWT_SECRET, Settings

STRONG = "x" * 40


def strong(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "profile": "production", "jwt_secret": STRONG + "j", "identity_secret": STRONG + "i",
        "action_token": STRONG + "a", "rasa_token": STRONG + "r", "link_secret": STRONG + "l",
        "admin_password": STRONG + "p", "metrics_token": STRONG + "m",
        "jwt_issuer": "https://shop.example-industrie.de", "jwt_audience": "assistant",
    }
    values.update(overrides)
    return values


def test_development_defaults_are_accepted() -> None:
    settings = Settings(profile="development")
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_index_dir == settings.var_dir / "index"


def test_production_refuses_development_secret() -> None:
    with pytest.raises(ValueError, match="ASSISTANT_JWT_SECRET"):
        Settings(**strong(jwt_secret=DEV_JWT_SECRET))


def test_production_refuses_short_secret() -> None:
    with pytest.raises(ValueError, match="ASSISTANT_ACTION_TOKEN"):
        Settings(**strong(action_token="short"))


def test_production_with_strong_secrets_starts() -> None:
    settings = Settings(**strong())
    assert settings.profile == "production"


def test_production_rs256_needs_a_key_file(tmp_path) -> None:
    with pytest.raises(ValueError, match="PUBLIC_KEY_FILE"):
        Settings(**strong(jwt_algorithm="RS256", jwt_secret=DEV_JWT_SECRET))
    key = tmp_path / "shop.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n")
    settings = Settings(**strong(jwt_algorithm="RS256", jwt_secret=DEV_JWT_SECRET, jwt_public_key_file=key))
    assert settings.jwt_public_key_file == key


def test_environment_variables_are_read(monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_PORT", "8123")
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
    settings = Settings()
    assert settings.port == 8123
    assert settings.resolved_database_url.startswith("postgresql+psycopg://")


def test_invalid_port_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_PORT", "99999")
    with pytest.raises(ValueError):
        Settings()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "shop.example-industrie.de"])
def test_development_refuses_to_bind_beyond_loopback(host: str) -> None:
    """Its secrets are in git: on a reachable address anyone could mint a token for any customer."""
    with pytest.raises(ValueError, match="loopback"):
        Settings(profile="development", host=host)
    assert Settings(**strong(host=host)).host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_development_binds_to_loopback(host: str) -> None:
    assert Settings(profile="development", host=host).host == host


@pytest.mark.parametrize(("missing", "name"), [("metrics_token", "ASSISTANT_METRICS_TOKEN"),
                                               ("jwt_issuer", "ASSISTANT_JWT_ISSUER"),
                                               ("jwt_audience", "ASSISTANT_JWT_AUDIENCE")])
def test_production_requires_a_metrics_token_and_the_jwt_issuer_and_audience(missing: str, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings(**strong(**{missing: None}))
    with pytest.raises(ValueError, match="ASSISTANT_METRICS_TOKEN"):
        Settings(**strong(metrics_token="short"))


def test_the_rasa_token_can_come_from_a_file(tmp_path) -> None:
    path = tmp_path / "rasa.token"
    path.write_text("rasa-token-from-a-file-0123456789\n")
    assert Settings(rasa_token_file=path).rasa_token.get_secret_value() == "rasa-token-from-a-file-0123456789"
    with pytest.raises(ValueError, match="RASA_TOKEN_FILE"):
        Settings(rasa_token_file=tmp_path / "missing")


def test_assistant_serve_refuses_a_public_host_in_development(capsys) -> None:
    from assistant.cli import main

    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_assistant_token_refuses_a_lifetime_the_app_would_refuse(capsys) -> None:
    from assistant.cli import main

    assert main(["token", "--user", "anna.mueller@mueller-maschinenbau.de", "--ttl", "7200"]) == 2
    assert "ASSISTANT_JWT_MAX_LIFETIME_S" in capsys.readouterr().err
    assert main(["token", "--user", "anna.mueller@mueller-maschinenbau.de", "--ttl", "600"]) == 0
