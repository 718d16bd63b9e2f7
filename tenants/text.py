"""Checks on text that people type, shared by every surface."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only, within a 64-bit id


def is_id(value: str) -> bool:
    """Is this a well-formed row id (as posted by a checkbox or a hidden field)?"""
    return bool(ID.fullmatch(value or ""))


def is_email(value: str) -> bool:
    """Is this a syntactically valid email address?"""
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
