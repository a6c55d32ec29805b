"""The one Beheer blueprint (`admin`, under /beheer) on which every admin module
registers its routes."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/beheer")
