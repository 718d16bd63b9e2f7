"""What Django admin's group form posts, for tests that drive it without a browser."""


def inline_management(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def new_group_form(display_name: str, *, group_type="security", policy="closed") -> dict:
    """Django admin's "Add group" form with no owner or member rows."""
    return {
        "display_name": display_name,
        "description": "",
        "group_type": group_type,
        "membership_policy": policy,
        **inline_management("ownerships", 0, 0),
        **inline_management("memberships", 0, 0),
    }
