"""Every piece of interface text has an English translation."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_english_catalogue_is_complete():
    with (ROOT / "web/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    source = _source_messages()
    assert "Wachtwoord vergeten?" in source  # the extraction itself works
    assert "Regiocoördinator" in source  # labels marked with N_ are found too
    missing = sorted(source - translated)
    assert missing == [], "untranslated (run `make translations`, then translate): " + repr(missing)
