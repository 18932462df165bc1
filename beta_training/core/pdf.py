"""PDF helpers (fpdf2 core fonts)."""

# Core PDF fonts are Latin-1: typographic characters outside it are replaced by their closest match.
_LATIN1 = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "œ": "oe",
                         "Œ": "OE", "\u202f": " ", "\u00a0": " ", "→": "->"})


def latin1(value: str) -> str:
    """Text the core PDF fonts can print."""
    return (value or "").translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
