"""Editors in the app: the login (password or ``st.login``), the read-only notice, and who is editing.

Viewing needs no login. :func:`sidebar_login` draws, at the foot of the sidebar, either why the app is
read-only, or the editor's name with "Log out", or the login. :func:`current_editor` tells a page who may
write (None: nobody in this session). The rules (hashes, lock-out) are :mod:`geo.auth`; UI only here.
"""

from __future__ import annotations

import streamlit as st

from geo import settings
from geo.auth import EditorConfig, LoginGuard, editor_config
from geo.errors import AfgMapError, AuthError
from geo.source import event_source

_K_EDITOR = "_editor_name"
_K_LOGIN_ERROR = "_editor_login_error"
K_LOGIN_NAME, K_LOGIN_PASSWORD = "login-name", "login-password"


@st.cache_resource(show_spinner=False)
def _guard() -> LoginGuard:
    # One guard per server process: the failure counts and lock-outs hold across sessions.
    return LoginGuard()


def _secrets() -> dict:
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except Exception:  # no secrets.toml anywhere: Streamlit raises its own not-found error
        return {}


def config() -> tuple[EditorConfig, str | None]:
    """The editor configuration, and a message when it cannot be read (then nobody is an editor)."""
    try:
        return editor_config(_secrets()), None
    except AfgMapError as exc:
        return EditorConfig(), f"The editor configuration cannot be used: {exc}"


def _oidc_user() -> str | None:
    cfg, _ = config()
    if not cfg.oidc:
        return None
    try:
        user = st.user
        return cfg.oidc_editor(user.get("email")) if user.is_logged_in else None
    except (AttributeError, KeyError):
        return None


def current_editor() -> str | None:
    """The editor of this session (their name or e-mail), or None."""
    name = st.session_state.get(_K_EDITOR)
    cfg, _ = config()
    if name and name in cfg.passwords:
        return name
    return _oidc_user()


def writable() -> bool:
    """Whether the events can be written at all (a database, not files)."""
    return event_source().writable


def read_only_reason() -> str | None:
    """Why nobody can write in this app, or None when editors can."""
    if not writable():
        return f"Read-only: the events come from files (${settings.EVENTS_ENV}); editing needs the database."
    cfg, problem = config()
    if problem:
        return f"Read-only: {problem}"
    if not cfg.configured:
        return "Read-only: no editor is configured (see the README, Editors)."
    return None


def _login() -> None:
    ss = st.session_state
    name, password = ss.get(K_LOGIN_NAME, ""), ss.get(K_LOGIN_PASSWORD, "")
    ss[K_LOGIN_PASSWORD] = ""
    cfg, _ = config()
    try:
        ss[_K_EDITOR] = _guard().login(name, password, cfg)
        ss.pop(_K_LOGIN_ERROR, None)
    except AuthError as exc:
        ss[_K_LOGIN_ERROR] = str(exc)


def _logout() -> None:
    st.session_state.pop(_K_EDITOR, None)


def sidebar_login() -> None:
    """Draw the editor block at the foot of the sidebar (call inside ``with st.sidebar``)."""
    st.header("Editing")
    reason = read_only_reason()
    if reason:
        st.caption(reason + " Viewing needs no login.")
        return
    editor = current_editor()
    cfg, _ = config()
    if editor:
        st.caption(f"Editing as **{editor}**: you can add, edit, merge and delete events on the Data page.")
        if st.session_state.get(_K_EDITOR):
            st.button("Log out", key="logout", on_click=_logout)
        else:
            st.button("Log out", key="logout", on_click=st.logout)
        return
    st.caption("Viewing needs no login. Editors log in to add, edit, merge or delete events.")
    if cfg.oidc and cfg.emails:
        st.button("Log in with your account", key="oidc-login", on_click=st.login)
    if cfg.passwords:
        with st.expander("Editor login", expanded=bool(st.session_state.get(_K_LOGIN_ERROR))):
            with st.form("login-form", clear_on_submit=False, border=False):
                st.text_input("Name", key=K_LOGIN_NAME, autocomplete="username")
                st.text_input("Password", key=K_LOGIN_PASSWORD, type="password", autocomplete="current-password")
                st.form_submit_button("Log in", on_click=_login)
            error = st.session_state.get(_K_LOGIN_ERROR)
            if error:
                st.error(error)
