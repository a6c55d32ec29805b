"""The import screen: upload, check, confirm."""

import html
import io
import re

from domain.reference import load_reference_data
from models import Organisation
from tests import factories

CSV = b"naam,soort,regio\nJGZ Zuid-Limburg,jgz,VR24\nCJG Heerlen,cjg,VR24\n"


def test_upload_check_and_confirm(client):
    load_reference_data()
    admin = factories.user(("beheerder",))
    client.post("/inloggen", data={"email": admin.email, "password": factories.PASSWORD})
    page = client.post(
        "/beheer/import",
        data={"kind": "organisations", "file": (io.BytesIO(CSV), "orgs.csv")},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nieuw: 2" in text
    assert Organisation.select().count() == 0
    token = re.search(r'name="token" value="([0-9a-f]{32})"', text).group(1)
    done = client.post(
        "/beheer/import", data={"kind": "organisations", "token": token}, follow_redirects=True
    )
    assert "Import voltooid: 2 nieuw" in done.get_data(as_text=True)
    assert Organisation.select().count() == 2
    # The kept file is gone: confirming twice does nothing.
    again = client.post(
        "/beheer/import", data={"kind": "organisations", "token": token}, follow_redirects=True
    )
    assert "niet meer beschikbaar" in again.get_data(as_text=True)


def test_upload_with_errors_offers_no_import(client):
    load_reference_data()
    admin = factories.user(("beheerder",))
    client.post("/inloggen", data={"email": admin.email, "password": factories.PASSWORD})
    bad = b"naam,soort,regio\nX,bakker,VR24\n"
    page = client.post(
        "/beheer/import",
        data={"kind": "organisations", "file": (io.BytesIO(bad), "orgs.csv")},
        content_type="multipart/form-data",
    )
    text = html.unescape(page.get_data(as_text=True))
    assert "kolom 'soort': onbekende soort 'bakker'" in text
    assert 'name="token"' not in text
