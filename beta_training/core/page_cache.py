"""Pages rendered once for every anonymous visitor (home, Alpha sessions, MOOC presentation, attestation check),
served before Flask, and dropped at the commit of any write that changes them, whichever process or machine
made it.

- **Opt-in**: a view decorated with `@cached_for_anonymous(Model, …)` lists what it shows (models, tables,
  some columns only). Nothing else is ever cached.
- **Only anonymous visitors**, and only in a state the cache understands: no signed-in user, no remember-me
  cookie, nothing in the session but the CSRF token, the language and Flask-Login's `_fresh` (no flash waiting,
  no ProConnect step under way…); GET or HEAD, status 200, HTML, no cookie set by the response. Everyone else
  goes to Flask as before.
- **Key**: the page's path and query string, and the language (`session["lang"]`, the only way the app
  picks one: Accept-Language is not read). Links are built on BASE_URL, whatever the Host header.
- **The CSRF token** (the footer's language form, the `csrf-token` meta) is per visitor: a stored page holds
  a placeholder in its place (Flask-WTF gives `g.csrf_token` when it is set), and each response gets the
  visitor's own token, signed as Flask-WTF signs it. A visitor without a session gets one, as Flask would
  have made (the same signed cookie, the same attributes).
- **Exact invalidation across processes and machines**: each page has a row in `page_cache_generations`.
  A write to what a page shows (an ORM flush, or a bulk INSERT/UPDATE/DELETE on its tables) bumps the page's
  generation in the same transaction, last, just before the commit (so no other lock is taken while the row is
  held: no deadlock). A copy is kept with the generation read *before* it was rendered; every hit reads the
  row (one primary-key read): a write committed anywhere is seen by the next request everywhere.
- **Time**: a page that depends on the clock (an application window opens, a session becomes past) names a
  function that gives its next such moment; a copy never outlives it, nor PAGE_CACHE_MAX_AGE (a safety net
  for what no flush sees: a hand-made SQL fix, a migration run while old processes still serve).
- **HTTP**: `Cache-Control: private, no-cache`, a weak ETag (the copy, the visitor's token, the hour) and 304
  on `If-None-Match`. Private: the body holds the visitor's CSRF token, no shared cache may give it to someone
  else. `Vary: Cookie` as Flask sends it.

Copies live in each process's memory (an LRU of PAGE_CACHE_MAX_ENTRIES pages): only the generations are
shared, in the database every process already uses.
"""

import hashlib
import logging
import os
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, make_response, request, session
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.http import dump_cookie, parse_cookie, parse_etags
from werkzeug.wsgi import get_host

from beta_training.core.observability import _REQUEST_ID, REQUEST_ID_HEADER
from beta_training.extensions import db

log = logging.getLogger(__name__)

RENDER_KEY = "beta_training.page_cache.render"
# Session keys a cached page may be served with: what an anonymous visitor's session holds. Anything else
# (a user, a flash, a ProConnect step, the remember-me bookkeeping) goes to Flask.
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "lang", "_fresh"})
PENDING_KEY = "beta_training.page_cache.bumps"
MEMO_SECONDS = 60  # how long a verified session cookie or a signed CSRF token is reused
MEMO_SIZE = 4096
UNKNOWN = object()
# Headers of the rendered response that belong to one response, not to the page.
PER_RESPONSE_HEADERS = frozenset({"set-cookie", "content-length", "x-request-id", "etag", "cache-control", "date",
                                  "expires", "last-modified"})


# --- What each page shows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    """A table a page shows. `columns`: an UPDATE of a row counts only if it changes one of them (an INSERT or
    a DELETE always counts); None: any change counts."""

    table: str
    columns: frozenset | None = None


def watch(model_or_table, *columns: str) -> Watch:
    """`watch(CohortApplication, "state", "cohort_id")`: only these columns of its rows matter to the page."""
    table = getattr(model_or_table, "__table__", model_or_table)
    return Watch(table.name, frozenset(columns) if columns else None)


def inserts_and_deletes(model_or_table) -> Watch:
    """Rows appearing or going matter (e.g. a deleted account takes rows away by ON DELETE CASCADE), edits not."""
    table = getattr(model_or_table, "__table__", model_or_table)
    return Watch(table.name, frozenset())


# table name → [(page, Watch)]; filled by the decorators when the view modules are imported, like routes.
_WATCHES: dict[str, list[tuple[str, Watch]]] = {}


@dataclass(frozen=True)
class CachedPage:
    page: str
    watches: tuple
    expires: tuple  # functions of now (aware UTC) → the next moment the page changes by itself, or None


def cached_for_anonymous(*depends_on, expires=()):
    """Serve this view's page to anonymous visitors from the page cache (see the module docstring).
    `depends_on`: models, tables or `watch(...)`s: everything the page shows, so that every write to them
    retires it. `expires`: functions `now → datetime | None` giving the next moment the page changes with the
    clock alone."""
    watches = tuple(item if isinstance(item, Watch) else watch(item) for item in depends_on)

    def decorator(view):
        page = f"{view.__module__}.{view.__name__}"
        for item in watches:
            _WATCHES.setdefault(item.table, []).append((page, item))

        @wraps(view)
        def wrapped(*args, **kwargs):
            render = request.environ.get(RENDER_KEY)
            # Checked again here, by Flask-Login itself: the middleware's look at the cookie decided nothing.
            if render is None or current_user.is_authenticated or "_flashes" in session:
                return view(*args, **kwargs)
            # Flask-WTF's generate_csrf() returns g.<field name> when set: every token of the page (the meta,
            # the language form, any form's hidden field) becomes the placeholder the middleware fills in.
            setattr(g, current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), render.placeholder)
            response = make_response(view(*args, **kwargs))
            render.anonymous = True
            render.expires_at = _expiry(current_app.config["PAGE_CACHE_MAX_AGE"], expires)
            return response

        wrapped.cached_page = CachedPage(page, watches, tuple(expires))
        return wrapped

    return decorator


def _expiry(max_age: float, expires) -> float:
    from beta_training.core.models import utcnow

    now = utcnow()
    moments = [moment for function in expires if (moment := function(now)) is not None]
    deadline = time.time() + max_age
    return min([deadline, *(moment.timestamp() for moment in moments)])


# --- Values kept per process, retired by a generation -------------------------------------------------


def generation_watching(name: str, *depends_on) -> str:
    """A generation of its own (a row of `page_cache_generations`, as a page has) that every write to
    `depends_on` (models, tables or `watch(...)`s) bumps in its own transaction, exactly as for the pages.
    For what signed-in pages read at each request and is the same for everyone (a course's outline): kept
    with `KeptByGeneration`. Called at import time, like the decorator."""
    for item in depends_on:
        item = item if isinstance(item, Watch) else watch(item)
        _WATCHES.setdefault(item.table, []).append((name, item))
    return name


def current_generation(name: str) -> int:
    """The generation, read in the request's own transaction (one primary-key read): whatever is read after
    it in the same transaction is at least that recent."""
    from beta_training.core.models import PageGeneration

    return db.session.scalar(sa.select(PageGeneration.generation).where(PageGeneration.page == name)) or 0


class KeptByGeneration:
    """Values computed from the database, kept in this process (an LRU of `max_entries`) with the generation
    read before they were computed; a value is given again only while that generation is unchanged. Values
    must be plain data, the same for every person, that nobody changes (frozen dataclasses, tuples, numbers):
    they are shared by the threads of the process. Kept per application (app.extensions), so two apps (tests)
    never share them."""

    def __init__(self, name: str, max_entries: int = 256):
        self.name = name
        self.max_entries = max_entries

    def _entries(self) -> OrderedDict:
        kept = current_app.extensions.setdefault("kept_by_generation", {})
        return kept.setdefault(self.name, (threading.Lock(), OrderedDict()))

    def get(self, key, compute, generation: int | None = None):
        """The value for `key`, computed by `compute()` if none is kept at the current generation."""
        generation = current_generation(self.name) if generation is None else generation
        lock, entries = self._entries()
        with lock:
            entry = entries.get(key)
            if entry is not None and entry[0] == generation:
                entries.move_to_end(key)
                return entry[1]
        value = compute()
        with lock:
            entries[key] = (generation, value)
            entries.move_to_end(key)
            while len(entries) > self.max_entries:
                entries.popitem(last=False)
        return value


# --- Bumping the generations in the write's transaction -------------------------------------------------


def _pending(session_) -> set:
    return session_.info.setdefault(PENDING_KEY, set())


def _changed(instance, item: Watch) -> bool:
    if item.columns is None:
        return True
    state = sa.inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in item.columns if name in state.attrs)


def _note_flush(session_, _flush_context, _instances) -> None:
    pending = None
    for instances, always in ((session_.new, True), (session_.deleted, True), (session_.dirty, False)):
        for instance in instances:
            table = getattr(type(instance), "__table__", None)
            for page, item in _WATCHES.get(getattr(table, "name", None), ()):
                if always or (session_.is_modified(instance) and _changed(instance, item)):
                    pending = _pending(session_) if pending is None else pending
                    pending.add(page)


def _updated_columns(execute_state) -> frozenset | None:
    """The names of the columns an UPDATE statement may set (those of its VALUES and of its parameters), or
    None when they cannot be told (then every watch counts it)."""
    statement = execute_state.statement
    keys = [*(getattr(statement, "_values", None) or {}),
            *(key for key, _value in getattr(statement, "_ordered_values", None) or ())]
    parameters = execute_state.parameters
    for row in (parameters if isinstance(parameters, (list, tuple)) else [parameters or {}]):
        if not isinstance(row, dict):
            return None
        keys += list(row)
    names = set()
    for key in keys:
        name = key if isinstance(key, str) else getattr(key, "key", None)
        if not isinstance(name, str):
            return None
        names.add(name)
    return frozenset(names) or None


def _note_statement(execute_state) -> None:
    """A bulk INSERT/UPDATE/DELETE (session.execute(sa.update(Model)…)) bypasses the flush: any INSERT or
    DELETE on a watched table counts, and an UPDATE unless it sets none of the watched columns (SQLite's row
    lock, core.db.lock_for_update, is an UPDATE setting `id` to itself: it changes nothing shown)."""
    if not (execute_state.is_insert or execute_state.is_update or execute_state.is_delete):
        return
    table = getattr(execute_state.statement, "table", None)
    watches = _WATCHES.get(getattr(table, "name", None), ())
    if not watches:
        return
    updated = _updated_columns(execute_state) if execute_state.is_update else None
    pages = {page for page, item in watches
             if updated is None or item.columns is None or updated & item.columns}
    if pages:
        _pending(execute_state.session).update(pages)


def _bump(session_) -> None:
    """Last statement of the transaction: the flush first (it may note more pages), then the counters."""
    session_.flush()
    pages = sorted(session_.info.pop(PENDING_KEY, ()))
    if not pages:
        return
    from beta_training.core.models import PageGeneration

    dialect = session_.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # One statement, rows in a fixed order: two transactions bumping the same pages never wait for each other
    # in opposite orders.
    statement = insert(PageGeneration).values([{"page": page, "generation": 1} for page in pages])
    session_.execute(statement.on_conflict_do_update(
        index_elements=["page"], set_={"generation": PageGeneration.generation + 1}))


def _forget(session_, transaction) -> None:
    """The outermost transaction ended (committed: already bumped; rolled back: nothing to bump). A savepoint
    rolled back keeps what is noted: the rest of the transaction may still commit (one bump too many is harmless,
    one too few is not)."""
    if transaction.parent is None:
        session_.info.pop(PENDING_KEY, None)


def _install_listeners() -> None:
    for name, listener in (("before_flush", _note_flush), ("do_orm_execute", _note_statement),
                           ("before_commit", _bump), ("after_transaction_end", _forget)):
        if not sa.event.contains(Session, name, listener):
            sa.event.listen(Session, name, listener)


# --- The middleware -------------------------------------------------------------------------------------


@dataclass
class Render:
    """Between the middleware and the decorated view, for one request that will be rendered and maybe kept."""

    placeholder: str
    anonymous: bool = False
    expires_at: float = 0.0


@dataclass
class Entry:
    body: bytes
    headers: list
    generation: int
    expires_at: float
    seed: bytes = field(default_factory=lambda: os.urandom(8))  # tells two copies of the same page apart (ETag)


class PageCacheMiddleware:
    """Around Flask's WSGI app (inside WhiteNoise and ProxyFix). See the module docstring."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        config = app.config
        self.stats = {"hits": 0, "stored": 0, "rendered": 0}  # approximate under threads: for people and tests
        self.max_entries = config["PAGE_CACHE_MAX_ENTRIES"]
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        # Random per process: no page text can be written to match it on purpose.
        self.placeholder = f"bt-csrf-{secrets.token_hex(12)}"
        self.placeholder_bytes = self.placeholder.encode()
        self.languages = tuple(config["LANGUAGES"])
        self.default_language = config["BABEL_DEFAULT_LOCALE"]
        self.cookie_name = config["SESSION_COOKIE_NAME"]
        self.remember_cookie_name = config.get("REMEMBER_COOKIE_NAME", "remember_token")
        self.trusted_hosts = config.get("TRUSTED_HOSTS")
        self.session_max_age = int(app.permanent_session_lifetime.total_seconds())
        self.session_serializer = app.session_interface.get_signing_serializer(app)
        # The Set-Cookie of a new session around its value, with the attributes Flask gives it (a new session is
        # not permanent: no expiry), written once.
        interface = app.session_interface
        probe = dump_cookie(self.cookie_name, "VALUE", domain=interface.get_cookie_domain(app),
                            path=interface.get_cookie_path(app), secure=interface.get_cookie_secure(app),
                            httponly=interface.get_cookie_httponly(app), samesite=interface.get_cookie_samesite(app),
                            partitioned=interface.get_cookie_partitioned(app))
        self.cookie_prefix, self.cookie_suffix = probe.split("VALUE", 1)
        self.csrf_serializer = URLSafeTimedSerializer(config.get("WTF_CSRF_SECRET_KEY") or app.secret_key,
                                                      salt="wtf-csrf-token")
        with app.app_context():
            self.engine = _reader_engine(db.engine)
        marker = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self.select = f"SELECT generation FROM page_cache_generations WHERE page = {marker}"
        self.verified = {}  # session cookie → (data, signed at): a returning visitor's cookie is checked once
        self.tokens = {}  # raw CSRF token → (signed token, signed at)
        self.routes = {}  # path → CachedPage or None

    # -- helpers

    def _page_for(self, environ):
        try:
            get_host(environ, self.trusted_hosts)  # Flask answers 400 to another Host: let it
        except SecurityError:
            return None
        path = environ.get("PATH_INFO", "")
        known = self.routes.get(path, UNKNOWN)  # the URL map's answer for this path, kept: routing costs more
        if known is not UNKNOWN:
            return known
        try:
            endpoint, _args = self.app.url_map.bind_to_environ(environ).match(method="GET")
        except HTTPException:
            endpoint = None
        page = getattr(self.app.view_functions.get(endpoint), "cached_page", None)
        if len(self.routes) >= MEMO_SIZE:
            self.routes.clear()
        self.routes[path] = page
        return page

    def _session_of(self, cookies) -> dict | None:
        """The visitor's session if it is an anonymous one the cache may serve ({} without one), else None."""
        if self.remember_cookie_name in cookies:
            return None
        value = cookies.get(self.cookie_name)
        if not value:
            return {}
        data = self._verified(value)
        if data is None:
            return None  # Flask starts a new session and says so; let it
        if not isinstance(data, dict) or not data.keys() <= ANONYMOUS_SESSION_KEYS:
            return None
        if data and not isinstance(data.get("csrf_token"), str):
            return None  # a session without a token: Flask adds one to it and sets the cookie; let it
        return data

    def _generation(self, page: str) -> int:
        """One primary-key read, on the DBAPI connection itself (SQLAlchemy's result machinery would cost more
        than the read). A failure invalidates the connection: the pool replaces it."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self.select, (page,))
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            connection.invalidate()
            raise
        finally:
            connection.close()
        return row[0] if row else 0

    def _verified(self, value: str):
        """The session in this cookie, or None if its signature is wrong or it is too old. A cookie already
        verified is not verified again (two HMACs) until a minute has passed: the same bytes, the same answer."""
        now = time.time()
        known = self.verified.get(value)
        if known is not None and now - known[1] < MEMO_SECONDS:
            return known[0]
        try:
            data = self.session_serializer.loads(value, max_age=self.session_max_age)
        except BadSignature:
            return None
        if len(self.verified) >= MEMO_SIZE:
            self.verified.clear()
        self.verified[value] = (data, now)
        return data

    def _signed(self, raw: str) -> str:
        """The visitor's CSRF token signed as Flask-WTF signs it. Its signature says when it was made, and
        tokens expire after WTF_CSRF_TIME_LIMIT: one signed less than a minute ago serves again."""
        now = time.time()
        known = self.tokens.get(raw)
        if known is not None and now - known[1] < MEMO_SECONDS:
            return known[0]
        token = self.csrf_serializer.dumps(raw)
        if len(self.tokens) >= MEMO_SIZE:
            self.tokens.clear()
        self.tokens[raw] = (token, now)
        return token

    def _get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def _put(self, key, entry: Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def _new_session_cookie(self) -> tuple[str, str]:
        """A session with a CSRF token, as Flask-WTF and Flask would have made it: (raw token, Set-Cookie)."""
        raw = hashlib.sha1(os.urandom(64)).hexdigest()  # as flask_wtf.csrf.generate_csrf
        # Signed by Flask's own session serializer; URL-safe base64 and dots need no quoting in a cookie.
        return raw, self.cookie_prefix + self.session_serializer.dumps({"csrf_token": raw}) + self.cookie_suffix

    # -- WSGI

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        cached_page = self._page_for(environ)
        if cached_page is None:
            return self.wsgi_app(environ, start_response)
        cookies = parse_cookie(environ)
        visitor_session = self._session_of(cookies)
        if visitor_session is None:
            return self.wsgi_app(environ, start_response)
        try:
            generation = self._generation(cached_page.page)
        except Exception:  # the database's own errors (DBAPI) as much as SQLAlchemy's: Flask will say what is wrong
            log.warning("page cache: generation unreadable, page served by Flask", exc_info=True)
            return self.wsgi_app(environ, start_response)
        lang = visitor_session.get("lang")
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
               lang if lang in self.languages else self.default_language)
        entry = self._get(key)
        if entry is not None and (entry.generation != generation or entry.expires_at <= time.time()):
            entry = None
        if entry is None:
            if method == "HEAD":
                return self.wsgi_app(environ, start_response)  # a HEAD has no body to keep
            entry, passed = self._render(environ, key, generation)
            if entry is None:
                return self._pass_on(passed, visitor_session, start_response)
        else:
            self.stats["hits"] += 1
        return self._respond(environ, entry, visitor_session, start_response)

    def _render(self, environ, key, generation):
        """Flask renders the page with the placeholder; kept if it turned out storable. (entry, None) or
        (None, (status, headers, body)) for a response to pass on."""
        render = Render(self.placeholder)
        environ[RENDER_KEY] = render
        captured = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return lambda data: chunks.append(data)

        chunks = []
        app_iter = self.wsgi_app(environ, capture)
        try:
            chunks.extend(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        status, headers = captured
        body = b"".join(chunks)
        self.stats["rendered"] += 1
        names = {name.lower() for name, _value in headers}
        content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
        if (render.anonymous and status.startswith("200 ") and "set-cookie" not in names
                and content_type.startswith("text/html")):
            kept = [(name, value) for name, value in headers if name.lower() not in PER_RESPONSE_HEADERS]
            entry = Entry(body, kept, generation, render.expires_at)
            self._put(key, entry)
            self.stats["stored"] += 1
            return entry, None
        return None, (status, headers, body)

    def _token(self, visitor_session):
        """(signed CSRF token for this visitor, Set-Cookie to send or None)."""
        raw = visitor_session.get("csrf_token")
        cookie = None
        if raw is None:
            raw, cookie = self._new_session_cookie()
        return raw, self._signed(raw), cookie

    def _pass_on(self, passed, visitor_session, start_response):
        status, headers, body = passed
        if self.placeholder_bytes in body:
            raw, token, cookie = self._token(visitor_session)
            body = body.replace(self.placeholder_bytes, token.encode())
            headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
            sets_session = any(name.lower() == "set-cookie" and value.startswith(self.cookie_name + "=")
                               for name, value in headers)
            # Flask's own cookie keeps the visitor's token when she had one (raw came from it). Without one, the
            # decorated views write nothing to the session (the token is the placeholder), so Flask sets none.
            if cookie and not sets_session:
                headers.append(("Set-Cookie", cookie))
        start_response(status, headers)
        return [body]

    def _respond(self, environ, entry: Entry, visitor_session, start_response):
        raw, token, cookie = self._token(visitor_session)
        # Weak: the bytes differ with each token's signing time. The hour: a copy revalidated for ever would
        # keep a token older than WTF_CSRF_TIME_LIMIT.
        hour = int(time.time() // 3600)
        digest = hashlib.blake2b(b"%s|%d|%s|%d" % (entry.seed, entry.generation, raw.encode(), hour),
                                 digest_size=16).hexdigest()
        etag = f'W/"{digest}"'
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        headers = [*entry.headers, ("Cache-Control", "private, no-cache"), ("ETag", etag),
                   (REQUEST_ID_HEADER, request_id)]
        if cookie:
            headers.append(("Set-Cookie", cookie))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(digest):
            kept = [(name, value) for name, value in headers if name.lower() not in ("content-type",)]
            start_response("304 NOT MODIFIED", kept)
            return []
        body = entry.body.replace(self.placeholder_bytes, token.encode())
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _reader_engine(engine: sa.Engine) -> sa.Engine:
    """An engine for the one read of each hit: autocommit (no BEGIN/ROLLBACK round trips) and no ping before
    each checkout (a dead connection fails the read, which falls back to Flask, and is replaced). An in-memory
    SQLite database exists only on the app's own connection: that one, then."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return engine
        reader = sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"check_same_thread": False})
    else:
        # As many kept connections as a gunicorn worker has threads (4) and one: a connection opened and closed
        # per read (an overflow one) would cost a PostgreSQL backend each time.
        reader = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=False, pool_size=5,
                                  max_overflow=5)
    # Closed with the app's own (a test's teardown, a worker after fork): no connection left behind.
    sa.event.listen(engine, "engine_disposed", lambda _engine: reader.dispose())
    return reader


def init_page_cache(app) -> None:
    """Listeners that bump the generations (always: another process may cache what this one writes), and the
    middleware when PAGE_CACHE_ENABLED."""
    _install_listeners()
    if app.config["PAGE_CACHE_ENABLED"]:
        app.page_cache = PageCacheMiddleware(app, app.wsgi_app)
        app.wsgi_app = app.page_cache
    else:
        app.page_cache = None


def page_cache_of(app) -> "PageCacheMiddleware | None":
    return getattr(app, "page_cache", None)


def next_midnight(now: datetime) -> datetime:
    """The next midnight, in Paris or in the server's own time zone (`date.today()`), whichever comes first:
    « upcoming » and « past » pages change then."""
    from beta_training.core.models import PARIS

    moments = []
    for zone in (PARIS, None):
        local = now.astimezone(zone)
        moments.append((local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(UTC))
    return min(moments)


def earliest_after(now: datetime, *columns) -> datetime | None:
    """The first value of these date-time columns still to come (one query): when a window opens or closes."""
    row = db.session.execute(sa.select(*(sa.func.min(sa.case((column > now, column))) for column in columns))).one()
    upcoming = [moment for moment in row if moment is not None]
    return min(upcoming) if upcoming else None
