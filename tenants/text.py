"""Checks on text that people type, shared by every surface."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def is_email(value: str) -> bool:
    """Is this a syntactically valid email address?"""
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
