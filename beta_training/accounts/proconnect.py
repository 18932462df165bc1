"""ProConnect, the State's identity federation: the OpenID Connect client, on Authlib's Flask client.

Authorization code with PKCE (S256); `state` and `nonce` of 64 characters (ProConnect wants at least 32,
Authlib's defaults are shorter); `acr_values` only when configured (any parameter ProConnect does not
document is refused by it). Authlib checks the state against the session, the ID token's signature against
the provider's keys (discovery URL) and its claims (issuer, audience, expiry, nonce). The userinfo answer is
read as JSON, or as a signed JWT (what ProConnect sends), checked by Authlib the same way.

Every failure becomes a ProConnectFailure naming what went wrong; the view turns it into a French page.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.claims import JWTClaims
from email_validator import EmailNotValidError, validate_email
from flask import current_app, session
from joserfc.errors import InvalidClaimError, JoseError, MissingClaimError

from beta_training.core.models import utcnow

log = logging.getLogger(__name__)

EXTENSION = "beta_training.proconnect"
NAME = "proconnect"


def _token() -> str:
    return secrets.token_urlsafe(48)  # 64 characters


class ProConnectFailure(Exception):
    """`kind`: a key of views.PROCONNECT_ERRORS (unavailable, denied, state, code, nonce, invalid, email…)."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Identity:
    """What ProConnect vouches for about the person."""

    sub: str
    email: str
    given_name: str = ""
    usual_name: str = ""
    siret: str | None = None
    uid: str | None = None
    idp_id: str | None = None

    @classmethod
    def from_claims(cls, claims: dict) -> "Identity":
        if not claims.get("sub"):
            raise ProConnectFailure("invalid", "userinfo without sub")
        if not claims.get("email"):
            raise ProConnectFailure("email", "userinfo without email")
        try:  # the account's address, where every email goes: an address, or no account
            validate_email(str(claims["email"]), check_deliverability=False)
        except EmailNotValidError as error:
            raise ProConnectFailure("email", f"userinfo email is not an address: {error}") from error
        siret = str(claims.get("siret") or "").strip() or None
        return cls(
            sub=str(claims["sub"]), email=str(claims["email"]).strip().lower(),
            given_name=str(claims.get("given_name") or "").strip()[:100],
            usual_name=str(claims.get("usual_name") or claims.get("family_name") or "").strip()[:100],
            siret=siret if siret and siret.isdigit() and len(siret) == 14 else None,
            uid=claims.get("uid"), idp_id=claims.get("idp_id"),
        )

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def init_app(app) -> None:
    """Register the client when ProConnect is configured; nothing otherwise (is_enabled() is False)."""
    config = app.config
    if not all(config.get(name) for name in ("PROCONNECT_CLIENT_ID", "PROCONNECT_CLIENT_SECRET",
                                             "PROCONNECT_DISCOVERY_URL")):
        return
    oauth = OAuth(app)
    app.extensions[EXTENSION] = oauth.register(
        NAME,
        client_id=config["PROCONNECT_CLIENT_ID"],
        client_secret=config["PROCONNECT_CLIENT_SECRET"],
        server_metadata_url=config["PROCONNECT_DISCOVERY_URL"],
        client_kwargs={
            "scope": config["PROCONNECT_SCOPES"],
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",  # ProConnect: id and secret in the POST body
            "default_timeout": config["PROCONNECT_TIMEOUT"],
        },
    )


def is_enabled() -> bool:
    return EXTENSION in current_app.extensions


def _client():
    return current_app.extensions[EXTENSION]


def _unreachable(error: Exception, step: str) -> ProConnectFailure:
    log.warning("ProConnect unreachable at %s: %s", step, error)
    return ProConnectFailure("unavailable", f"{step}: {error}")


# A confirmation of identity (before an erasure) must come from an authentication this recent at the provider.
RECENT_AUTHENTICATION = timedelta(minutes=10)


def authorize_redirect(redirect_uri: str, *, reauthenticate: bool = False):
    """The redirect to ProConnect's authorization endpoint; Authlib keeps state, nonce and PKCE verifier in
    the session. `reauthenticate`: the person must identify herself again at the provider (OpenID Connect's
    `prompt=login`, PROCONNECT_REAUTHENTICATION_PROMPT), not merely ride on a ProConnect session of 12 hours."""
    params = {"state": _token(), "nonce": _token()}
    if current_app.config.get("PROCONNECT_ACR_VALUES"):
        params["acr_values"] = current_app.config["PROCONNECT_ACR_VALUES"]
    if reauthenticate and current_app.config.get("PROCONNECT_REAUTHENTICATION_PROMPT"):
        params["prompt"] = current_app.config["PROCONNECT_REAUTHENTICATION_PROMPT"]
    try:
        return _client().authorize_redirect(redirect_uri, **params)
    except (requests.RequestException, ValueError) as error:  # discovery down, or not JSON
        raise _unreachable(error, "discovery") from error


def finish_sign_in() -> tuple[Identity, str, datetime | None]:
    """On the callback: the identity ProConnect vouches for, the ID token (kept for the logout), and when the
    person last identified herself at the provider (the ID token's `auth_time`, if it has one)."""
    client = _client()
    metadata_issuer = None
    try:
        metadata_issuer = client.load_server_metadata().get("issuer")
        token = client.authorize_access_token(
            claims_options={"iss": {"essential": True, "value": metadata_issuer},
                            "aud": {"essential": True, "value": client.client_id}},
        )
    except MismatchingStateError as error:
        raise ProConnectFailure("state", "state unknown to this session") from error
    except OAuthError as error:
        if error.error == "access_denied":
            raise ProConnectFailure("denied", error.description or "") from error
        if error.error == "invalid_grant":  # the code expired (30 s at ProConnect), or was already used
            raise ProConnectFailure("code", f"{error.error}: {error.description}") from error
        raise ProConnectFailure("provider_error", f"{error.error}: {error.description}") from error
    except (requests.RequestException, ValueError) as error:
        raise _unreachable(error, "token") from error
    except InvalidClaimError as error:
        kind = "nonce" if error.claim == "nonce" else "invalid"
        raise ProConnectFailure(kind, f"ID token: {error}") from error
    except MissingClaimError as error:
        kind = "nonce" if error.claim == "nonce" else "invalid"
        raise ProConnectFailure(kind, f"ID token: {error}") from error
    except JoseError as error:  # bad signature, unknown key, malformed token, expired
        raise ProConnectFailure("invalid", f"ID token: {error}") from error
    if not token.get("id_token") or not token.get("userinfo"):
        # Authlib validates the ID token only when the session held a nonce: no ID token, no sign-in.
        raise ProConnectFailure("invalid", "no validated ID token")
    id_claims = token["userinfo"]
    claims = _userinfo(client, token, issuer=metadata_issuer, sub=id_claims["sub"])
    auth_time = id_claims.get("auth_time")
    authenticated_at = datetime.fromtimestamp(auth_time, UTC) if isinstance(auth_time, int | float) else None
    return Identity.from_claims({**claims, "sub": id_claims["sub"]}), token["id_token"], authenticated_at


def _userinfo(client, token: dict, *, issuer: str, sub: str) -> dict:
    """The userinfo answer: JSON, or a JWT signed with the provider's keys (ProConnect), checked by Authlib
    like the ID token (issuer, audience, same `sub`)."""
    endpoint = client.load_server_metadata().get("userinfo_endpoint")
    if not endpoint:
        return dict(token["userinfo"])
    try:
        response = client.get(endpoint, token=token)
        response.raise_for_status()
    except requests.RequestException as error:
        raise _unreachable(error, "userinfo") from error
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "application/jwt":
        options = {"iss": {"essential": True, "value": issuer}, "aud": {"value": client.client_id},
                   "sub": {"essential": True, "value": sub}}
        try:
            claims = client.parse_id_token({"id_token": response.text.strip()}, nonce=None,
                                           claims_options=options, claims_cls=JWTClaims)
        except JoseError as error:
            raise ProConnectFailure("invalid", f"userinfo: {error}") from error
        return dict(claims)
    try:
        claims = response.json()
    except ValueError as error:
        raise ProConnectFailure("invalid", "userinfo: neither JSON nor JWT") from error
    if claims.get("sub") != sub:
        raise ProConnectFailure("invalid", "userinfo: another sub than the ID token's")
    return claims


def logout_redirect(post_logout_redirect_uri: str, id_token: str):
    """The redirect to ProConnect's end-session endpoint; Authlib keeps its `state` in the session."""
    try:
        return _client().logout_redirect(post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token,
                                         state=_token())
    except (requests.RequestException, ValueError, RuntimeError) as error:  # RuntimeError: no end_session_endpoint
        raise _unreachable(error, "end session") from error


def check_logout_return() -> None:
    try:
        _client().validate_logout_response()
    except OAuthError as error:
        raise ProConnectFailure("logout_state", error.description) from error


# --- A signed-in person confirming who she is (before an erasure) -------------------------------------------

CONFIRMED_AT = "proconnect_confirmed_at"


def mark_confirmed(authenticated_at: datetime | None) -> None:
    """The signed-in person has just come back from ProConnect with her account's identity, having identified
    herself there at `authenticated_at`: a ProConnect session older than RECENT_AUTHENTICATION confirms nothing
    (someone else at an unlocked computer). Without `auth_time`, the round trip itself is the proof."""
    now = utcnow()
    if authenticated_at is not None and now - authenticated_at > RECENT_AUTHENTICATION:
        raise ProConnectFailure("stale_authentication", f"auth_time {authenticated_at.isoformat()}")
    session[CONFIRMED_AT] = now.timestamp()


def confirmed_at() -> datetime | None:
    """When the signed-in person last confirmed her identity through ProConnect in this session, if she did."""
    value = session.get(CONFIRMED_AT)
    return datetime.fromtimestamp(value, UTC) if value else None
