"""Who may write: editors, their passwords, and the lock-out after repeated failed logins.

Viewing needs no login. Adding, editing, merging and deleting events need an editor, configured in one
of two ways (both may be used):

- **OIDC** (``st.login``): when Streamlit secrets hold an ``[auth]`` section, people log in with the
  identity provider; those whose e-mail is in ``editor_emails`` (secrets) or ``$AFGMAP_EDITOR_EMAILS``
  are editors.
- **Passwords**: ``[editors]`` in Streamlit secrets (``alice = "scrypt$..."``) or ``$AFGMAP_EDITORS``
  (``alice:scrypt$...,bob:scrypt$...``). Only scrypt hashes are stored (``python -m geo db hash-password
  NAME`` makes one); a login is checked in constant time, and :data:`MAX_FAILURES` failures for a name
  within :data:`FAILURE_WINDOW_S` lock that name out for :data:`LOCKOUT_S`.

With no editor configured the app is read-only and says so. Pure Python (``hashlib.scrypt``, ``hmac``):
no UI here.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping

from geo import settings
from geo.errors import AuthError, InputError

#: scrypt cost parameters: n=2**15, r=8 takes ~0.1 s and 32 MiB per check on this machine's class of CPU.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
#: Salt and derived key lengths (bytes).
SALT_BYTES, KEY_BYTES = 16, 32
#: Failed logins for one name within :data:`FAILURE_WINDOW_S` seconds before it is locked out.
MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60
#: How long a name stays locked out (seconds).
LOCKOUT_S = 15 * 60
#: Editor names: letters, digits, ``._@-``, 1 to 64 characters.
NAME_PATTERN = re.compile(r"^[\w.@-]{1,64}$")

_PREFIX = "scrypt"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES,
                          maxmem=256 * n * r + 1024 * 1024)  # fmt: skip


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """An scrypt hash of ``password``: ``scrypt$N$r$p$SALT$KEY`` (URL-safe base64, no ``:`` or ``,``).

    Examples
    --------
    >>> encoded = hash_password("correct horse")
    >>> encoded.startswith("scrypt$32768$8$1$"), verify_password("correct horse", encoded)
    (True, True)
    >>> verify_password("wrong", encoded)
    False
    """
    if not password:
        raise InputError("password: expected a non-empty password, got ''")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"{_PREFIX}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = str(encoded).strip().split("$")
    if len(parts) != 6 or parts[0] != _PREFIX:
        raise InputError(f"expected an editor hash 'scrypt$N$r$p$SALT$KEY', got {str(encoded)[:12]!r}...")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        return n, r, p, _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise InputError(f"expected an editor hash 'scrypt$N$r$p$SALT$KEY', got {str(encoded)[:12]!r}...") from None


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (compared with :func:`hmac.compare_digest`)."""
    n, r, p, salt, key = _parse_hash(encoded)
    return hmac.compare_digest(_derive(password, salt, n, r, p), key)


@functools.cache
def _dummy_hash() -> str:
    """A hash nobody's password matches: checked for unknown names so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def validate_editor_name(name: str) -> str:
    """The name, if it is a usable editor name (see :data:`NAME_PATTERN`)."""
    if not NAME_PATTERN.match(str(name)):
        raise InputError(f"expected letters, digits or ._@- (1 to 64 characters), got {name!r}", field="name")
    return str(name)


def parse_editors(text: str) -> dict[str, str]:
    """``NAME:HASH`` entries separated by commas, spaces or lines → ``{name: hash}``.

    Examples
    --------
    >>> parse_editors("alice:scrypt$1$2$3$AA$BB, bob:scrypt$1$2$3$CC$DD")
    {'alice': 'scrypt$1$2$3$AA$BB', 'bob': 'scrypt$1$2$3$CC$DD'}
    """
    editors = {}
    for entry in re.split(r"[,\s]+", text.strip()):
        if not entry:
            continue
        name, sep, encoded = entry.partition(":")
        if not sep:
            raise InputError(f"${settings.EDITORS_ENV}: expected NAME:HASH entries, got {entry[:20]!r}")
        _parse_hash(encoded)
        editors[validate_editor_name(name)] = encoded
    return editors


@dataclasses.dataclass(frozen=True)
class EditorConfig:
    """Who may write.

    Attributes
    ----------
    passwords : dict
        Editor name → scrypt hash.
    emails : tuple of str
        E-mail addresses that are editors after an OIDC login (lower case).
    oidc : bool
        Whether ``st.login`` is configured (an ``[auth]`` section in the secrets).
    """

    passwords: dict[str, str] = dataclasses.field(default_factory=dict)
    emails: tuple[str, ...] = ()
    oidc: bool = False

    @property
    def configured(self) -> bool:
        """Whether anyone can become an editor; when not, the app is read-only."""
        return bool(self.passwords) or (self.oidc and bool(self.emails))

    def oidc_editor(self, email: object) -> str | None:
        """The editor name of an OIDC login (its e-mail), or None when that address is no editor."""
        address = str(email or "").strip().lower()
        return address if self.oidc and address and address in self.emails else None


def editor_config(secrets_map: Mapping | None = None, environ: Mapping[str, str] | None = None) -> EditorConfig:
    """Read the editors from Streamlit secrets (``[editors]``, ``editor_emails``, ``[auth]``) and the environment.

    Examples
    --------
    >>> editor_config({}, {}).configured
    False
    >>> cfg = editor_config({"editors": {"alice": hash_password("pw")}}, {})
    >>> sorted(cfg.passwords), cfg.configured
    (['alice'], True)
    """
    secrets_map = secrets_map or {}
    environ = os.environ if environ is None else environ
    passwords: dict[str, str] = {}
    for name, encoded in dict(secrets_map.get("editors") or {}).items():
        _parse_hash(str(encoded))
        passwords[validate_editor_name(name)] = str(encoded)
    passwords.update(parse_editors(environ.get(settings.EDITORS_ENV, "")))
    emails = [str(e) for e in (secrets_map.get("editor_emails") or [])]
    emails += [e for e in re.split(r"[,\s]+", environ.get(settings.EDITOR_EMAILS_ENV, "")) if e]
    return EditorConfig(
        passwords=passwords,
        emails=tuple(sorted({e.strip().lower() for e in emails if e.strip()})),
        oidc="auth" in secrets_map,
    )


class LoginGuard:
    """Checks editor logins and locks a name out after :data:`MAX_FAILURES` failures (thread-safe).

    One guard per server process, shared by all sessions (the app keeps it in ``st.cache_resource``).

    Parameters
    ----------
    clock : callable
        Seconds, monotonic (tests pass their own).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked_for(self, name: str) -> float:
        """Seconds left of ``name``'s lock-out (0 when it may try)."""
        with self._lock:
            return max(0.0, self._locked_until.get(name, 0.0) - self._clock())

    def login(self, name: str, password: str, config: EditorConfig) -> str:
        """Return the editor name when ``password`` is right; otherwise raise :class:`AuthError`.

        Unknown names cost as much as known ones (a dummy hash is checked), and the message never says
        which of the two was wrong.
        """
        name = str(name).strip()
        wait = self.locked_for(name)
        if wait > 0:
            raise AuthError(f"too many failed logins for {name!r}: locked for {int(wait // 60) + 1} more minute(s)")
        encoded = config.passwords.get(name)
        ok = verify_password(password, encoded or _dummy_hash()) and encoded is not None
        with self._lock:
            now = self._clock()
            if ok:
                self._failures.pop(name, None)
                return name
            recent = [t for t in self._failures.get(name, []) if now - t < FAILURE_WINDOW_S] + [now]
            self._failures[name] = recent
            if len(recent) >= MAX_FAILURES:
                self._locked_until[name] = now + LOCKOUT_S
                self._failures.pop(name, None)
                raise AuthError(
                    f"wrong name or password; {MAX_FAILURES} failures: {name!r} is locked for {LOCKOUT_S // 60} minutes"
                )
            left = MAX_FAILURES - len(recent)
        raise AuthError(f"wrong name or password ({left} more tries before a {LOCKOUT_S // 60}-minute lock-out)")
