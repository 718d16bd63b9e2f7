"""tenants.text: the stored form of a name, and the key look-alike names share."""

import pytest

from tenants.errors import Invalid
from tenants.text import clean_name, name_key

# Every look-alike of "Expenses users" an owner created in review round 1 (issue 9, item 4).
LOOK_ALIKES = {
    "no-break space": "Expenses\u00a0users",
    "Cyrillic Е": "\u0415xpenses users",
    "full-width ｕ": "Expenses \uff55sers",
    "double space": "Expenses  users",
    "tab": "Expenses\tusers",
    "ideographic space": "Expenses\u3000users",
    "capitals": "EXPENSES USERS",
    "Greek Ε": "\u0395xpenses users",
    "leading and trailing spaces": "  Expenses users ",
}
INVISIBLE = {
    "zero-width space": "Expenses\u200busers",
    "right-to-left override": "Expenses users\u202e",
    "soft hyphen": "Ex\u00adpenses users",
    "left-to-right isolate": "\u2066Expenses users",
    "NUL": "Expenses\x00users",
}


@pytest.mark.parametrize("look_alike", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_look_alikes_share_the_key(look_alike):
    assert name_key(clean_name(look_alike, field="name", max_length=256)) == name_key(
        "Expenses users"
    )


def test_nfc_and_nfd_spellings_are_stored_alike_and_share_the_key():
    composed, decomposed = "\u00e9xpenses", "e\u0301xpenses"
    assert clean_name(composed, field="name", max_length=10) == clean_name(
        decomposed, field="name", max_length=10
    )
    assert name_key(composed) == name_key(decomposed)
    assert name_key(composed) != name_key("expenses")  # an accent is a different name


@pytest.mark.parametrize("name", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_and_direction_changing_characters_are_refused_naming_the_field(name):
    with pytest.raises(Invalid, match="invisible or control characters") as refused:
        clean_name(name, field="display_name", max_length=256)
    assert refused.value.field == "display_name"


def test_the_stored_form_is_nfkc_with_whitespace_folded():
    assert clean_name(" Expenses\u3000\t\uff55sers\n", field="n", max_length=256) == (
        "Expenses users"
    )


@pytest.mark.parametrize(
    ("name", "message"), [("", "is required"), (" \u3000 ", "is required"), ("x" * 9, "at most 8")]
)
def test_empty_and_long_names_are_refused(name, message):
    with pytest.raises(Invalid, match=message):
        clean_name(name, field="name", max_length=8, label="Name")


def test_different_names_keep_different_keys():
    names = ["Finance", "Finance 2", "Finances", "Marketing", "Lunch club", "Travel bookers"]
    assert len({name_key(name) for name in names}) == len(names)
