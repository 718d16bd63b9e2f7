"""Checks on text that people type, shared by every surface.

Names that people read and pick from a list (groups now, applications next) go through two
functions: `clean_name()` gives the form that is stored and shown, `name_key()` the form that
is compared. Two names with the same key look the same to a person and may not coexist: store
the key in a column with a unique constraint (see groups.Group.name_key).
"""

import json
import re
import unicodedata
from functools import cache
from importlib.resources import files

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tenants.errors import Invalid, Taken

ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only, within a 64-bit id
MAX_ID = 2**63 - 1  # a database id: anything larger can't name a row

# Control (incl. NUL, tab-like controls left after whitespace folding), format (zero-width
# space, soft hyphen, the bidi embeddings, overrides and isolates such as U+202E) and lone
# surrogates. Whitespace of every kind was folded to one space before this check.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
UNNAMED = {"\x00": "NUL"}


def is_id(value: str) -> bool:
    """Is this a well-formed row id (as posted by a checkbox or a hidden field)?"""
    return bool(ID.fullmatch(value or ""))


def json_int(digits: str) -> int:
    """`json.loads(..., parse_int=json_int)`: a JSON integer, or (longer than any 64-bit id,
    which Python would refuse to read past 4,300 digits) a stand-in `unstorable()` reports."""
    return int(digits) if len(digits) <= 20 else MAX_ID + 1


def unstorable(value, where: tuple = ()) -> tuple[tuple, str] | None:
    """Where parsed JSON holds what a database can't store, and what it is: (a path of keys
    and indexes, a reason), or None. Text with NUL (PostgreSQL) or a lone surrogate (UTF-8),
    or an integer beyond a 64-bit id. The API's and SCIM's body parsers check with it."""
    if isinstance(value, str):
        if "\x00" in value:
            return where, "can't contain NUL characters"
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            return where, "can't contain lone surrogates (text that isn't Unicode)"
    elif isinstance(value, dict):
        for key, item in value.items():
            found = unstorable(key, (*where, key)) or unstorable(item, (*where, key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable(item, (*where, index))
            if found:
                return found
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID:
        return where, f"is a number too large to store (at most {MAX_ID})"
    return None


def is_email(value: str) -> bool:
    """Is this a syntactically valid email address?"""
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def clean_name(value: str | None, *, field: str, max_length: int, label: str = "Name") -> str:
    """The form of a name that is stored and shown; `Invalid(field=field)` if it can't be one.

    NFKC (full-width letters and compatibility spaces become plain ones; NFC and NFD spellings
    of "é" become one), every run of whitespace (tab, no-break or ideographic space, new line)
    one space, trimmed. Refused: empty, longer than `max_length`, or holding an invisible or
    direction-changing character (zero-width space, soft hyphen, right-to-left override, NUL).
    Callers check uniqueness with `name_key()`.
    """
    name = " ".join(unicodedata.normalize("NFKC", value or "").split())
    for char in name:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            described = unicodedata.name(char, UNNAMED.get(char, "a control character"))
            raise Invalid(
                f"{label} can't contain invisible or control characters "
                f"(it has U+{ord(char):04X} {described}).",
                field=field,
            )
    return check_size(name, field=field, label=label, max_length=max_length, required=True)


def name_taken(name: str, existing: str | None, *, noun: str, field: str) -> Taken:
    """The Conflict for a name that is taken, or (`existing` differs) looks like a taken one."""
    if existing is None or existing == name:
        message = f"A{'n' if noun[0] in 'aeiou' else ''} {noun} named “{name}” already exists "
        message += "in your organisation."
    else:
        message = (
            f"“{name}” looks the same as “{existing}”, a{'n' if noun[0] in 'aeiou' else ''} "
            f"{noun} that already exists in your organisation. Choose a name people can tell apart."
        )
    return Taken(message, field=field)


def unique_name_key(rows, name: str, *, name_field: str, noun: str, field: str) -> str:
    """`name_key(name)`, unless one of `rows` (the tenant's others) has it: then a Conflict
    naming the existing look-alike. The unique constraint on the key catches races."""
    key = name_key(name)
    existing = rows.filter(name_key=key).values_list(name_field, flat=True).first()
    if existing is not None:
        raise name_taken(name, existing, noun=noun, field=field)
    return key


def clean_text(
    value: str | None, *, field: str, label: str, max_length: int, required: bool
) -> str:
    """Strip a text input and check it; an Invalid refusal names the field and the limit."""
    value = (value or "").strip()
    if "\x00" in value:
        raise Invalid(f"{label} can't contain NUL characters.", field=field)
    return check_size(value, field=field, label=label, max_length=max_length, required=required)


def check_size(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    """`value` unchanged, or Invalid naming the field: empty when required, or too long."""
    if required and not value:
        raise Invalid(f"{label} is required.", field=field)
    if len(value) > max_length:
        raise Invalid(
            f"{label} can be at most {max_length:,} characters (it has {len(value):,}).",
            field=field,
        )
    return value


def name_key(value: str) -> str:
    """What two names are compared by: equal keys mean the names look alike to a person.

    NFKC, whitespace folded; each non-ASCII letter that looks like an ASCII one becomes that
    letter (Cyrillic "Е" and Greek "Ε" become "E", Cyrillic "Н" becomes "H"); case folded;
    then every character becomes the representative of its look-alike class (the "skeleton"
    of UTS #39: "0" and "O", "1" and "l"). The look-alike classes come from Unicode's
    confusables data. Meant for a `clean_name()` result, but safe on any text.
    """
    folded = " ".join(unicodedata.normalize("NFKC", value or "").split())
    to_ascii, skeleton = _look_alikes()
    latin = "".join(to_ascii.get(c, c) for c in unicodedata.normalize("NFD", folded))
    decomposed = unicodedata.normalize("NFD", latin.casefold())
    key = "".join(
        skeleton.get(char, char)
        for char in decomposed
        if unicodedata.category(char) not in REFUSED_CATEGORIES
    )
    return unicodedata.normalize("NFC", key)


@cache
def _look_alikes() -> tuple[dict[str, str], dict[str, str]]:
    """Two maps over the look-alike classes of Unicode's confusables data (as shipped by the
    confusable-homoglyphs package; a class joins every character with those it looks like):

    - non-ASCII → the ASCII member of its class, of the same case when there is one;
    - every member → the class's representative (ASCII when it has one, else the lowest).
    """
    data = json.loads(
        files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    )
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        parent.setdefault(char, char)
        while parent[char] != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for source, glyphs in data.items():
        source = source.replace("\u200e", "")
        for glyph in glyphs:
            target = glyph["c"].replace("\u200e", "")
            if len(source) == 1 and len(target) == 1:
                parent[root(source)] = root(target)
    classes: dict[str, list[str]] = {}
    for char in list(parent):
        classes.setdefault(root(char), []).append(char)
    to_ascii: dict[str, str] = {}
    skeleton: dict[str, str] = {}
    for members in classes.values():
        ascii_members = sorted(m for m in members if m.isascii())
        representative = ascii_members[0] if ascii_members else min(members)
        for char in members:
            if char != representative:
                skeleton[char] = representative
            if ascii_members and not char.isascii():
                same_case = [
                    m for m in ascii_members if m.isalpha() and m.isupper() == char.isupper()
                ]
                to_ascii[char] = (same_case or ascii_members)[0]
    return to_ascii, skeleton
