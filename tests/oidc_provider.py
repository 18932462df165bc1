"""A real OpenID Connect provider on loopback, for the ProConnect tests: oidc-provider-mock (a Flask app built
on Authlib's server: discovery, JWKS, authorization form, token, userinfo, end session), served by a thread.

Switches make it behave as ProConnect does, or as a provider gone wrong:
- `userinfo_as_jwt`: userinfo answers a JWT signed with the provider's key (application/jwt), as ProConnect;
- `nonce_override`: the ID token carries this nonce instead of the one asked for (a replayed token);
- `tamper_id_token`: the ID token's signature is altered on its way (it no longer matches the keys);
- `auth_time`: the ID token says the person identified herself at this time (a Unix timestamp; the mock gives
  no `auth_time`), re-signed with the provider's key;
- `end_session_requests`: what the browser sent to the end-session endpoint;
- `authorize_requests`: the query of each authorization request (the page, and the answer posted on it).
"""

import json
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit

import oidc_provider_mock
import requests
from flask import request
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "beta-training-test"
CLIENT_SECRET = "secret-de-test-du-fournisseur"
# The mock only gives the standard claims of the scopes it knows (`given_name` comes with `profile`); the
# others (usual_name, siret, uid, idp_id) it always gives.
SCOPES = "openid email profile given_name usual_name siret uid idp_id"


class LoopbackProvider:
    def __init__(self):
        self.app = oidc_provider_mock.app(require_nonce=True)
        self.userinfo_as_jwt = False
        self.nonce_override: str | None = None
        self.tamper_id_token = False
        self.userinfo_sub: str | None = None  # userinfo answers about someone else than the ID token
        self.auth_time: int | None = None
        self.end_session_requests: list[dict] = []
        self.authorize_requests: list[dict] = []
        self.url = ""
        self._lock = threading.Lock()
        inner = self.app.wsgi_app
        self.app.wsgi_app = lambda environ, start_response: inner(self._rewrite(environ), start_response)
        self.app.after_request(self._after)

    def reset(self):
        self.userinfo_as_jwt = False
        self.nonce_override = None
        self.tamper_id_token = False
        self.userinfo_sub = None
        self.auth_time = None
        with self._lock:
            self.end_session_requests.clear()
            self.authorize_requests.clear()

    # --- What the tests configure the app with ---

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    @property
    def settings(self) -> dict:
        return {"PROCONNECT_CLIENT_ID": CLIENT_ID, "PROCONNECT_CLIENT_SECRET": CLIENT_SECRET,
                "PROCONNECT_DISCOVERY_URL": self.discovery_url, "PROCONNECT_SCOPES": SCOPES,
                "PROCONNECT_TIMEOUT": 10.0}

    def set_user(self, sub: str, **claims) -> None:
        """The claims the provider gives for `sub` (its PUT /users/<sub> endpoint)."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def agent(self, sub: str, email: str, given_name="Agnès", usual_name="Durand", siret="13002526500013",
              idp_id="fia1") -> str:
        self.set_user(sub, email=email, given_name=given_name, usual_name=usual_name, siret=siret,
                      uid=f"uid-{sub}", idp_id=idp_id)
        return sub

    def authorize(self, authorize_url: str, sub: str | None = None, deny: bool = False) -> str:
        """What a person does on the provider's page (sign in as `sub`, or refuse): the URL it sends her back to."""
        data = {"action": "deny"} if deny else {"sub": sub}
        response = requests.post(authorize_url, data=data, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), response.text[:500]
        return response.headers["Location"]

    # --- How it departs from the mock ---

    def _rewrite(self, environ):
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize" and self.nonce_override:
            query = [(k, self.nonce_override if k == "nonce" else v)
                     for k, v in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)]
            environ["QUERY_STRING"] = urlencode(query)
        if path == "/oauth2/authorize":  # the page (GET), or the person's answer on it (POST, same query)
            with self._lock:
                self.authorize_requests.append(dict(parse_qsl(environ.get("QUERY_STRING", ""))))
        if path == "/oauth2/end_session":
            with self._lock:
                self.end_session_requests.append(dict(parse_qsl(environ.get("QUERY_STRING", ""))))
        return environ

    def _after(self, response):
        if request.path == "/oauth2/token" and self.tamper_id_token and response.status_code == 200:
            body = response.get_json()
            header, payload, signature = body["id_token"].split(".")
            flipped = ("A" if signature[5] != "A" else "B")
            body["id_token"] = ".".join([header, payload, signature[:5] + flipped + signature[6:]])
            response.set_data(json.dumps(body))
            return response
        if request.path == "/oauth2/token" and self.auth_time is not None and response.status_code == 200:
            body = response.get_json()
            claims = {**jwt.decode(body["id_token"], self._key()).claims, "auth_time": self.auth_time}
            body["id_token"] = self._sign(claims)
            response.set_data(json.dumps(body))
            return response
        if request.path == "/userinfo" and self.userinfo_sub and response.status_code == 200:
            response.set_data(json.dumps({**response.get_json(), "sub": self.userinfo_sub}))
        return self._sign_userinfo(response)

    def _sign_userinfo(self, response):
        if request.path != "/userinfo" or not self.userinfo_as_jwt or response.status_code != 200:
            return response
        claims = {**response.get_json(), "iss": request.host_url.rstrip("/"), "aud": CLIENT_ID}
        response.set_data(self._sign(claims))
        response.headers["Content-Type"] = "application/jwt"
        return response

    @staticmethod
    def _key() -> RSAKey:
        from oidc_provider_mock._storage import storage  # the mock's key: the one its JWKS publishes

        return RSAKey.import_key(storage.jwk.as_dict(is_private=True))

    def _sign(self, claims: dict) -> str:
        key = self._key()
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def query_of(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query))


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def main() -> None:
    """`python -m tests.oidc_provider --port 5901`: the same provider for a developer's `make run-proconnect`
    (any `sub` typed on its page signs in; the settings it prints are those the Makefile gives the app)."""
    import argparse

    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=5901)
    port = parser.parse_args().port
    provider = LoopbackProvider()
    provider.url = f"http://127.0.0.1:{port}"
    for name, value in provider.settings.items():
        print(f"{name}={value}", flush=True)
    run_simple("127.0.0.1", port, provider.app, threaded=True)


if __name__ == "__main__":
    main()
