"""The DSFR main menu: one entry per domain page the current user may use (the top floor knows them all).

Learners get a few entries; the back office (trainers, course leads) and the administration are DSFR sub-menus,
so that the menu of an admin stays on one line at 1280 px instead of twelve entries on two.
"""

from dataclasses import dataclass, replace

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from beta_training.forum.queries import unread_thread_count


# Frozen: the menus are kept per process and shared by every page (see _built_menu); a page's own marks (its
# current entry, the badge) are on copies of the entries they change.
@dataclass(frozen=True)
class NavLink:
    label: str
    endpoint: str
    # The pages this entry stands for: paths it is a prefix of (its own page's by default), and other endpoints.
    paths: tuple = ()
    endpoints: tuple = ()
    badge: int | None = None
    url: str = ""
    active: bool = False
    # The forums' entry: its badge is the person's count of unread threads, taken on each page.
    counts_unread: bool = False


@dataclass(frozen=True)
class NavMenu:
    """A DSFR sub-menu: a button that opens its list of links (fr-nav__btn + fr-collapse fr-menu)."""

    label: str
    id: str
    links: tuple = ()

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


def _entries(authenticated: bool, trainer: bool, course_staff: bool, admin: bool, outbox_page: bool) -> list:
    """The menu for what the person may use: it depends on these alone (never on who she is)."""
    entries = [
        NavLink(_l("Accueil"), "site.home"),
        NavLink(_l("Formation Alpha"), "cohorts.list_cohorts", paths=("/alpha/",)),
        NavLink(_l("MOOC"), "courses.list_courses", paths=("/mooc/",)),
    ]
    if not authenticated:
        return entries
    entries.append(NavLink(_l("Forums"), "forum.list_forums", paths=("/forum/",), counts_unread=True))
    entries.append(NavMenu(_l("Mon espace"), "menu-mon-espace", (
        NavLink(_l("Mes candidatures"), "cohorts.list_my_applications",
                paths=("/alpha/mes-candidatures", "/alpha/candidatures/")),
        NavLink(_l("Mes fiches produit"), "sheets.list_sheets", paths=("/fiches/",)),
        NavLink(_l("Mes dossiers d’appel à intrapreneurs"), "calls.list_my_dossiers",
                paths=("/appels/mes-dossiers", "/appels/dossiers/")),
        NavLink(_l("Mes produits"), "products.list_products", paths=("/produits/",)),
        NavLink(_l("Mon compte"), "accounts.show_account", paths=("/compte/",)),
        NavLink(_l("Mes données"), "privacy.my_data", paths=("/compte/mes-donnees",)),
    )))
    back_office = []
    if trainer:
        back_office.append(NavLink(_l("Gérer les sessions Alpha"), "cohorts.manage_cohorts", paths=("/alpha/gestion/",)))
        back_office.append(NavLink(_l("Appels à intrapreneurs"), "calls.list_calls", paths=("/appels/",)))
        back_office.append(NavLink(_l("Produits par phase"), "products.impact", paths=("/produits/impact",)))
    if course_staff:
        back_office += [
            NavLink(_l("Gérer les MOOC"), "courses.manage_courses", paths=("/mooc/gestion/",)),
            NavLink(_l("Relire les fiches"), "sheets.review_queue", paths=("/fiches/relecture",),
                    endpoints=("sheets.review_sheet",)),
            NavLink(_l("Impact des fiches"), "sheets.impact", paths=("/fiches/impact",)),
            NavLink(_l("Comptes supprimés"), "privacy.list_erasures", paths=("/gestion/effacements",)),
        ]
    if back_office:
        entries.append(NavMenu(_l("Gestion"), "menu-gestion", tuple(back_office)))
    if admin:
        admin_links = [
            NavLink(_l("Utilisateurs"), "accounts.list_users", paths=("/admin/utilisateurs",)),
            NavLink(_l("Tâches en échec"), "core.list_failed_jobs", paths=("/admin/taches",)),
        ]
        if outbox_page:
            admin_links.append(NavLink(_l("Courriels envoyés"), "core.list_outbox", paths=("/admin/courriels",)))
        entries.append(NavMenu(_l("Administration"), "menu-administration", tuple(admin_links)))
    return entries


def _access() -> tuple:
    """Everything `_entries` reads, as the key of the built menus: the role gates of the current user, the
    configuration (a test may switch the outbox page on), the path the application is mounted on."""
    user = current_user
    authenticated = user.is_authenticated
    return (request.script_root, authenticated,
            authenticated and user.has_any_role("trainer"),
            authenticated and user.has_any_role("trainer", "course_lead"),
            authenticated and user.is_admin,
            bool(current_app.config["MAIL_OUTBOX_PAGE"]))


MAX_MENUS = 100


def _built_menu(access: tuple) -> tuple:
    """The menu for `access`, its URLs built, once per process and per access (a handful: anonymous, learner,
    trainer, course lead, admin): it holds no one's data, and its entries cannot be changed (frozen)."""
    menus = current_app.extensions.setdefault("site.navigation", {})
    menu = menus.get(access)
    if menu is None:
        menu = tuple(_with_urls(entry) for entry in _entries(*access[1:]))
        if len(menus) < MAX_MENUS:  # bounded, whatever mounting paths the proxies may say
            menus[access] = menu
    return menu


def _with_urls(entry):
    if isinstance(entry, NavMenu):
        return replace(entry, links=tuple(replace(link, url=url_for(link.endpoint)) for link in entry.links))
    return replace(entry, url=url_for(entry.endpoint))


def _links(entries) -> list:
    return [link for entry in entries for link in (entry.links if isinstance(entry, NavMenu) else (entry,))]


def main_navigation() -> list:
    """Entries (NavLink) and sub-menus (NavMenu) of the DSFR main menu for the current user; at most one link is
    the current page: the one for this endpoint, else the one whose section is the longest prefix of the path.
    The kept menu with copies of the entries this page changes (its current one, the badge's), others shared."""
    menu = _built_menu(_access())
    links = _links(menu)
    endpoint, path = request.endpoint or "", request.path
    current = next((link for link in links if endpoint == link.endpoint or endpoint in link.endpoints), None)
    if current is None:
        sections = [(len(prefix), link) for link in links for prefix in link.paths if path.startswith(prefix)]
        current = max(sections, key=lambda pair: pair[0])[1] if sections else None
    changed = {id(link): replace(link, badge=unread_thread_count(current_user)) for link in links if link.counts_unread}
    if current is not None:
        changed[id(current)] = replace(changed.get(id(current), current), active=True)
    return [_changed(entry, changed) for entry in menu]


def _changed(entry, changed: dict):
    if isinstance(entry, NavMenu):
        if any(id(link) in changed for link in entry.links):
            return replace(entry, links=tuple(changed.get(id(link), link) for link in entry.links))
        return entry
    return changed.get(id(entry), entry)


def init_navigation(app) -> None:
    app.jinja_env.globals["main_navigation"] = main_navigation
