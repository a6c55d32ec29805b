"""Admin screens (beheer), only for the beheerder: one module per area, all on
the one `admin` blueprint."""

# Importing the area modules registers their routes on the blueprint.
from web.admin import (  # noqa: F401
    audit,
    bulk_import,
    gemeenten,
    indicators,
    organisations,
    overview,
    regions,
    runs,
    users,
)
from web.admin.blueprint import bp

__all__ = ["bp"]
