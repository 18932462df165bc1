"""French-aware full-text search of forum posts.

PostgreSQL: a GIN index on to_tsvector('french', search_text) (created by the migration), queried with a
tsquery built from ts_debug('french', …) and Snowball stem chains (see postgres_tsquery), ranked by ts_rank_cd.
SQLite: an FTS5 table `forum_search` holding each post's words reduced to their French stems (Snowball,
the algorithm PostgreSQL's `french` configuration uses), ranked by bm25. Highlights are computed here for
both databases from the same stems, on escaped text, so a post can never inject markup through them.
"""

import re
import unicodedata

import snowballstemmer
from markupsafe import Markup, escape

WORD = re.compile(r"\w+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("french")
FTS_TABLE = "forum_search"


def strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


def stem(word: str) -> str:
    """Stem until stable (Snowball leaves « usagers » at « usager », which itself stems to « usag »), then
    drop accents: what SQLite's FTS5 table stores and matches."""
    return strip_accents(stem_chain(word)[-1])


def stem_chain(word: str) -> list[str]:
    """The word and each successive stem, accents kept: « usagers » → usagers, usager, usag. PostgreSQL's
    `french` configuration stems once, so « usagers » is indexed as usager and « usager » as usag: a query
    must accept every link of the chain to find one from the other."""
    chain = [word.lower()]
    for _ in range(3):
        shorter = _stemmer.stemWord(chain[-1])
        if shorter == chain[-1]:
            break
        chain.append(shorter)
    return chain


def postgres_tsquery(tokens_with_lexemes) -> str | None:
    """A tsquery (for the `simple` configuration) from ts_debug('french', query) rows: every word must match
    (AND), in any form of its chain (OR). Stop words (no lexeme) are left out. Only word-character forms are kept, so
    nothing of the user's text reaches the tsquery syntax."""
    groups = []
    for token, lexemes in tokens_with_lexemes:
        if not lexemes:
            continue
        forms = sorted({form for form in [*lexemes, *stem_chain(token)] if WORD.fullmatch(form)})
        if forms:
            groups.append("(" + " | ".join(f"'{form}'" for form in forms) + ")")
    return " & ".join(groups) or None


def stems(text: str) -> list[str]:
    return [stem(word) for word in WORD.findall(text)]


def fts_match_expression(query: str) -> str | None:
    """Every stem of the query must appear (AND); each quoted, so no FTS5 syntax comes from the user."""
    wanted = dict.fromkeys(stems(query))
    return " ".join(f'"{s}"' for s in wanted if s) or None


def highlight(text: str, query: str, words_around: int = 18) -> Markup:
    """An escaped extract of `text` around the first match, matching words in <mark>."""
    wanted = set(stems(query))
    tokens = re.split(r"(\w+)", text)
    word_positions = [i for i in range(1, len(tokens), 2)]
    hits = [i for i in word_positions if stem(tokens[i]) in wanted]
    if hits:
        first = word_positions.index(hits[0])
        start_word, end_word = max(first - words_around // 3, 0), first + words_around
    else:
        start_word, end_word = 0, words_around
    chosen = word_positions[start_word:end_word + 1]
    if not chosen:
        return Markup("")
    parts = []
    for index in range(chosen[0], chosen[-1] + 1):
        piece = escape(tokens[index])
        parts.append(Markup("<mark>%s</mark>") % piece if index in hits else piece)
    prefix = "… " if start_word > 0 else ""
    suffix = " …" if chosen[-1] < word_positions[-1] else ""
    return Markup(prefix) + Markup("").join(parts) + Markup(suffix)


PG_INDEX = "ix_forum_posts_search_french"


def is_managed_outside_models(name: str | None, type_: str) -> bool:
    """SQLite's FTS5 table (and its shadow tables) and PostgreSQL's expression index are created by the
    migration only: migrations' autogenerate and the drift test leave them alone."""
    return bool(name) and ((type_ == "table" and name.startswith(FTS_TABLE)) or (type_ == "index" and name == PG_INDEX))
