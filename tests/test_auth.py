"""Editors: scrypt hashes, the configuration from secrets and environment, the lock-out."""

from __future__ import annotations

import pytest

from geo import settings
from geo.auth import (
    FAILURE_WINDOW_S,
    LOCKOUT_S,
    MAX_FAILURES,
    LoginGuard,
    editor_config,
    hash_password,
    parse_editors,
    verify_password,
)
from geo.errors import AuthError, InputError

ALICE = hash_password("alice's long password")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_hash_is_salted_and_verifies_only_its_password():
    again = hash_password("alice's long password")
    assert again != ALICE  # a new salt each time
    assert verify_password("alice's long password", ALICE) and verify_password("alice's long password", again)
    assert not verify_password("alice's long passwort", ALICE)
    assert "alice" not in ALICE and ":" not in ALICE and "," not in ALICE


def test_bad_hashes_and_names_are_refused_with_the_reason():
    with pytest.raises(InputError, match="expected an editor hash"):
        verify_password("x", "md5$abc")
    with pytest.raises(InputError, match="NAME:HASH"):
        parse_editors("alice")
    with pytest.raises(InputError, match="field 'name'"):
        parse_editors(f"al ice:{ALICE}".replace(" ", "<"))
    with pytest.raises(InputError, match="non-empty password"):
        hash_password("")


def test_config_reads_secrets_and_environment():
    env = {settings.EDITORS_ENV: f"bob:{ALICE}", settings.EDITOR_EMAILS_ENV: "Carol@Example.org, dan@example.org"}
    cfg = editor_config({"editors": {"alice": ALICE}, "auth": {"client_id": "x"}}, env)
    assert sorted(cfg.passwords) == ["alice", "bob"] and cfg.configured
    assert cfg.emails == ("carol@example.org", "dan@example.org")
    assert cfg.oidc_editor("CAROL@example.org") == "carol@example.org"
    assert cfg.oidc_editor("mallory@example.org") is None
    # Addresses without an [auth] section make nobody an editor (no OIDC login exists).
    assert not editor_config({}, {settings.EDITOR_EMAILS_ENV: "carol@example.org"}).configured
    assert not editor_config({}, {}).configured


def test_login_succeeds_and_failures_lock_the_name_out():
    clock = Clock()
    guard = LoginGuard(clock)
    cfg = editor_config({"editors": {"alice": ALICE}}, {})
    assert guard.login("alice", "alice's long password", cfg) == "alice"
    for attempt in range(1, MAX_FAILURES):
        with pytest.raises(AuthError, match=f"{MAX_FAILURES - attempt} more tries"):
            guard.login("alice", "guess", cfg)
    with pytest.raises(AuthError, match="is locked for 15 minutes"):
        guard.login("alice", "guess", cfg)
    with pytest.raises(AuthError, match="too many failed logins"):
        guard.login("alice", "alice's long password", cfg)  # the right password waits too
    clock.now += LOCKOUT_S + 1
    assert guard.login("alice", "alice's long password", cfg) == "alice"


def test_unknown_names_fail_like_wrong_passwords_and_old_failures_expire():
    clock = Clock()
    guard = LoginGuard(clock)
    cfg = editor_config({"editors": {"alice": ALICE}}, {})
    with pytest.raises(AuthError, match="wrong name or password") as unknown:
        guard.login("mallory", "x", cfg)
    with pytest.raises(AuthError, match="wrong name or password") as wrong:
        guard.login("alice", "x", cfg)
    assert str(unknown.value) == str(wrong.value)
    for _ in range(MAX_FAILURES - 2):
        with pytest.raises(AuthError):
            guard.login("alice", "x", cfg)
    clock.now += FAILURE_WINDOW_S + 1  # the failures so far are forgotten
    with pytest.raises(AuthError, match=f"{MAX_FAILURES - 1} more tries"):
        guard.login("alice", "x", cfg)
