"""Ids no row can hold, control characters, hostile uploads and caching: the
answer is a 404 or a message at the field, never a 500."""

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models import Answer, Gemeente, Organisation, User
from tests import hostile, journey
from tests.web.test_assessment_pages import login

BAD_IDS = ["0", "-1", str(2**63), str(10**30), "abc", "%C2%B2"]


@pytest.fixture
def chain(app):
    return journey.build()


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _fill(rule, bad_argument: str, bad: str) -> str:
    """The rule's path with `bad` in one argument and harmless values elsewhere."""

    def value(match) -> str:
        converter, name = match.group(1) or "default", match.group(2)
        if name == bad_argument:
            return bad
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip(" )'\"")
        return "1" if converter.startswith("int") else "x"

    return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", value, rule.rule)


def test_every_route_answers_404_for_ids_it_cannot_hold(app, chain):
    """Walks the whole URL map as it is at test time: routes other parts of the
    application add later are covered without changing this test."""
    client = login(app.test_client(), chain["admin"])
    tried, failures = set(), []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.arguments:
            continue
        for argument in sorted(rule.arguments):
            converter = type(rule._converters[argument]).__name__
            for bad in BAD_IDS:
                path = _fill(rule, argument, bad)
                for method in _methods(rule):
                    status = client.open(path, method=method).status_code
                    tried.add(rule.rule)
                    numeric = converter in ("IdConverter", "IntegerConverter")
                    # A token or other text argument: unknown text is not found either.
                    if status != 404 and (numeric or status >= 500):
                        failures.append(f"{method} {path} ({converter}): {status}")
    assert failures == []
    with_arguments = {r.rule for r in app.url_map.iter_rules() if r.arguments}
    assert tried == with_arguments - {"/static/<path:filename>"}


def test_new_organisation_form_is_not_reachable_through_id_0(client, chain):
    login(client, chain["admin"])
    assert client.get("/beheer/organisaties/0").status_code == 404
    assert client.post("/beheer/organisaties/0", data={"name": "Nieuw"}).status_code == 404
    assert Organisation.select().where(Organisation.name == "Nieuw").count() == 0


def test_posted_ids_no_row_can_hold_are_refused_without_500(client, chain):
    login(client, chain["admin"])
    region = chain["region"]
    huge = str(2**63)
    cases = [
        ("/beheer/gemeenten/nieuw", {"code": "GM9999", "name": "X", "region": huge}),
        ("/beheer/organisaties/nieuw", {"name": "X", "kind": "jgz", "region": str(10**30)}),
        (
            "/beheer/organisaties/nieuw",
            {"name": "X", "kind": "jgz", "region": str(region.id), "gemeenten": [huge, "²", "-1"]},
        ),
        (
            f"/beheer/gebruikers/{chain['manager'].id}/rollen",
            {"role": "manager", "organisation": huge},
        ),
        (
            f"/beheer/gebruikers/{chain['manager'].id}/rollen",
            {"role": "regiocoordinator", "region": "²"},
        ),
    ]
    for path, data in cases:
        response = client.post(path, data=data)
        assert response.status_code < 500, (path, data, response.status_code)


def test_assessment_form_with_hostile_numbers(client, chain):
    login(client, chain["manager"])
    url = f"/zelfevaluaties/{chain['assessment'].id}"
    for data in (
        {"version": str(2**63)},
        {"version": "²"},
        {"version": "0", "esc-0-agreement": str(10**30), "esc-0-times": "1"},
        {"version": "0", "esc-0-agreement": "²", "esc-0-times": "1"},
        {"version": "0", "esc-rows": "abc"},
        {"version": "0", "esc-rows": str(10**30)},
    ):
        response = client.post(url, data=data)
        assert response.status_code in (200, 302, 400, 409), (data, response.status_code)
        auto = client.post(url + "/automatisch-opslaan", data=data)
        assert auto.status_code in (200, 400, 409), (data, auto.status_code)
    # A huge number of escalation rows is not rendered: the page stays its usual size.
    page = client.post(url, data={"version": "x", "esc-rows": "100000"}).get_data(as_text=True)
    assert page.count('name="esc-') < 2000


def test_gemeente_code_is_gm_and_four_digits(client, chain):
    login(client, chain["admin"])
    region = chain["region"]
    for code in ("GM" + "1" * 30, "GM12", "GM１２３４", "XX1234"):
        response = client.post(
            "/beheer/gemeenten/nieuw", data={"code": code, "name": "Nieuw", "region": region.id}
        )
        assert "GM0935" in response.get_data(as_text=True), code
    assert Gemeente.select().where(Gemeente.name == "Nieuw").count() == 0
    client.post(
        "/beheer/gemeenten/nieuw", data={"code": "gm4321", "name": "Nieuw", "region": region.id}
    )
    assert Gemeente.get(Gemeente.name == "Nieuw").code == "GM4321"


def test_control_characters_are_refused_at_the_field(client, chain):
    login(client, chain["admin"])
    org = chain["jgz"]
    response = client.post(
        f"/beheer/organisaties/{org.id}",
        data={"name": "JGZ \x07\x1b", "kind": "jgz", "region": org.region_id},
    )
    assert "onzichtbaar stuurteken" in response.get_data(as_text=True)
    assert Organisation.get_by_id(org.id).name == org.name
    response = client.post("/beheer/gebruikers/nieuw", data={"email": "a@b.nl", "name": "A\x00B"})
    assert "onzichtbaar stuurteken" in response.get_data(as_text=True)
    assert User.select().where(User.email == "a@b.nl").count() == 0
    response = client.post("/beheer/regios/nieuw", data={"code": "VR99", "name": "Regio\x1b[31m"})
    assert "onzichtbaar stuurteken" in response.get_data(as_text=True)


def test_control_characters_in_the_assessment_form(client, chain):
    login(client, chain["manager"])
    url = f"/zelfevaluaties/{chain['assessment'].id}/thema/1"
    page = client.get(url).get_data(as_text=True)
    key = re.search(r'name="(a\d+)-explanation"', page).group(1)
    version = re.search(r'name="version" id="version" value="(\d+)"', page).group(1)
    response = client.post(
        url, data={"version": version, f"{key}-score": "3", f"{key}-explanation": "ok\x00\x08"}
    )
    assert response.status_code == 400
    assert "onzichtbaar stuurteken" in response.get_data(as_text=True)
    # The score is kept; the explanation with the control characters is not.
    assert Answer.select().where(Answer.explanation.is_null(False)).count() == 0
    assert Answer.get().score == 3
    # Tabs and line breaks (as browsers post them, CR LF) are text, not control characters.
    response = client.post(
        url,
        data={
            "version": str(int(version) + 1),
            f"{key}-score": "3",
            f"{key}-explanation": "a\tb\r\nc",
        },
    )
    assert response.status_code == 302
    assert Answer.get(Answer.explanation.is_null(False)).explanation == "a\tb\nc"


def test_import_refuses_control_characters_and_hostile_files(client, chain):
    login(client, chain["admin"])
    csv_data = "naam,soort,regio\nJGZ\x00Nul,jgz,{}\n".format(chain["region"].code).encode()
    page = client.post(
        "/beheer/import",
        data={"kind": "organisations", "file": (io.BytesIO(csv_data), "orgs.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "stuurteken" in page
    assert "JGZ\ufffdNul" in page  # the row shows where the character is
    assert 'name="token"' not in page  # nothing offered for import
    bare_cr = b"naam,soort,regio\rJGZ\r\rx,y\r\n"
    response = client.post(
        "/beheer/import",
        data={"kind": "organisations", "file": (io.BytesIO(bare_cr), "orgs.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400  # read, and its rows with problems shown
    bomb = client.post(
        "/beheer/import",
        data={"kind": "organisations", "file": (io.BytesIO(hostile.declared_huge()), "b.xlsx")},
        content_type="multipart/form-data",
    )
    assert bomb.status_code == 400
    assert "de grens is 10000" in bomb.get_data(as_text=True)


def test_monitor_exports_with_a_stored_control_character_and_one_charset(client, chain):
    Organisation.update(name="JGZ \x07\x1b Test").where(
        Organisation.id == chain["jgz"].id
    ).execute()
    login(client, chain["coordinator"])
    cycle_id = chain["cycle"].id
    xlsx = client.get(f"/rondes/{cycle_id}/voortgang?formaat=xlsx")
    assert xlsx.status_code == 200
    names = [c.value for c in load_workbook(io.BytesIO(xlsx.data)).active["A"]]
    assert "JGZ  Test" in names
    response = client.get(f"/rondes/{cycle_id}/voortgang?formaat=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert any(row[0].startswith("JGZ") for row in rows[1:])


def test_authenticated_pages_and_exports_are_not_stored(app, chain):
    client = login(app.test_client(), chain["admin"])
    paths = [
        "/",
        f"/zelfevaluaties/{chain['assessment'].id}",
        "/resultaten",
        "/rapporten",
        f"/rondes/{chain['cycle'].id}/voortgang?formaat=csv",
        f"/rondes/{chain['cycle'].id}/voortgang?formaat=xlsx",
        "/account",
    ]
    # Every page without arguments, too.
    paths += [
        r.rule
        for r in app.url_map.iter_rules()
        if not r.arguments and "GET" in r.methods and r.endpoint != "static"
    ]
    for path in paths:
        response = client.get(path)
        response.close()  # a file response (the favicon) holds its file open until closed
        assert response.status_code < 500, path
        assert response.headers.get("Cache-Control") == "no-store", path
    static = client.get("/static/style.css")
    assert static.headers.get("Cache-Control") != "no-store"
    static.close()


def test_fuzzed_posts_never_answer_500(app, chain):
    """Arbitrary fields and values posted to the assessment form, its autosave
    and an admin form: a page or a message, never a server error."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    manager = login(app.test_client(), chain["manager"])
    admin = login(app.test_client(), chain["admin"])
    form_url = f"/zelfevaluaties/{chain['assessment'].id}"
    keys = st.one_of(
        st.sampled_from(["version", "action", "esc-rows", "name", "kind", "region", "gemeenten"]),
        st.builds(lambda n, f: f"a{n}-{f}", st.integers(0, 10**20), st.sampled_from(
            ["score", "reason", "writing", "evaluated", "explanation", "partner", "action",
             "owner", "due", "status", "confirm"])),
        st.builds(lambda n, f: f"esc-{n}-{f}", st.integers(0, 10**20),
                  st.sampled_from(["agreement", "times", "step", "resolved"])),
        st.text(max_size=20),
    )  # fmt: skip
    values = st.one_of(
        st.text(max_size=40),
        st.sampled_from(["0", "-1", str(2**63), str(10**30), "²", "nvt", "ja", "2026-13-45"]),
    )

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.dictionaries(keys, values, max_size=12))
    def post(data):
        for client, url in (
            (manager, form_url),
            (manager, form_url + "/automatisch-opslaan"),
            (admin, f"/beheer/organisaties/{chain['jgz'].id}"),
        ):
            status = client.post(url, data=data).status_code
            assert status < 500, (url, data, status)

    post()


def test_login_and_reset_with_text_no_column_can_hold(client):
    for email in ("x" * 300 + "@example.nl", "a\x00b@example.nl", "\x1b[31m@x.nl"):
        assert client.post("/inloggen", data={"email": email, "password": "x"}).status_code == 401
        assert client.post("/wachtwoord-vergeten", data={"email": email}).status_code == 302


def test_hostile_query_strings_never_answer_500(app, chain):
    """Every page without arguments, with every filter name the views read set
    to a NUL, a date past 9999-12-31, a huge number and text."""
    client = login(app.test_client(), chain["admin"])
    names = ["q", "regio", "soort", "actief", "rol", "wie", "actie", "van", "tot", "taak",
             "pagina", "formaat", "kind", "ronde", "next"]  # fmt: skip
    paths = [
        r.rule
        for r in app.url_map.iter_rules()
        if not r.arguments and "GET" in r.methods and r.endpoint != "static"
    ] + [f"/rondes/{chain['cycle'].id}/voortgang"]
    failures = []
    for value in ("\x00", "9999-12-31", str(10**30), "²", "' OR 1=1 --"):
        query = "&".join(f"{name}={value}" for name in names)
        for path in paths:
            status = client.get(f"{path}?{query}").status_code
            if status >= 500:
                failures.append(f"{path}?{query!r}: {status}")
    assert failures == []


def _multipart(payload: bytes) -> bytes:
    """An import post built by hand: the test client would spool a large body
    to a temporary file of its own and leave it to the garbage collector."""
    return (
        b'--B\r\nContent-Disposition: form-data; name="kind"\r\n\r\norganisations\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="groot.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + payload + b"\r\n--B--\r\n"
    )


def test_an_upload_past_the_request_limit_gets_a_message(app, chain):
    client = login(app.test_client(), chain["admin"])
    for size, status in ((app.config["MAX_CONTENT_LENGTH"] + 1, 413), (6 * 1024 * 1024, 400)):
        response = client.post(
            "/beheer/import",
            data=_multipart(b"naam,soort,regio\n" + b"x" * size),
            content_type="multipart/form-data; boundary=B",
        )
        assert response.status_code == status
        page = response.get_data(as_text=True)
        # On the import page itself, at the file field.
        assert "de grens is 5 MB" in page.split('id="file-error"')[1].split("</span>")[0]
        assert '<a href="#file">' in page


MARKUP = "<b id=\"x\">vet</b> & 'q' </textarea><script>alert(1)</script>"


def test_markup_anywhere_on_the_form_is_shown_as_text(client, chain):
    """Answers, the framework's texts, partner names and posted values come
    back escaped, on the form as stored and as posted with an error."""
    from models import Agreement, Theme

    Agreement.update(
        title=Agreement.title.concat(MARKUP),
        goal=Agreement.goal.concat(MARKUP),
        guidance=Agreement.guidance.concat(MARKUP),
    ).execute()
    Theme.update(title=Theme.title.concat(MARKUP)).execute()
    Organisation.update(name=MARKUP).where(Organisation.id == chain["team"].id).execute()
    login(client, chain["manager"])
    # The theme page with partner organisations to rate.
    for number in range(1, 30):
        url = f"/zelfevaluaties/{chain['assessment'].id}/thema/{number}"
        page = client.get(url).get_data(as_text=True)
        if re.search(r'name="a\d+-partner-\d+"', page):
            break
    names = sorted(set(re.findall(r'name="(a\d+-(?:reason|explanation|action|owner))"', page)))
    partners = sorted(set(re.findall(r'name="(a\d+-partner-\d+)"', page)))
    assert names
    assert partners
    data = {name: MARKUP for name in names}
    # A reason is kept only with n.v.t.
    data.update({name.split("-")[0] + "-score": "nvt" for name in names})
    data.update(version="0", action="save")
    assert client.post(url, data=data).status_code == 302
    stored = client.get(url).get_data(as_text=True)
    data.update({names[0].split("-")[0] + "-score": "9"}, version="1")
    posted = client.post(url, data=data)
    assert posted.status_code == 400
    escaped = "&lt;b id=&#34;x&#34;&gt;vet&lt;/b&gt; &amp; &#39;q&#39; &lt;/textarea&gt;"
    for html in (page, stored, posted.get_data(as_text=True)):
        assert "<script>alert" not in html
        assert '<b id="x">' not in html
        assert "</textarea><script>" not in html
    assert stored.count(escaped) >= len(names) + 3 + len(partners)
    assert posted.get_data(as_text=True).count(escaped) >= len(names)


@pytest.mark.parametrize("shape", sorted(hostile.ELEMENT_BOMBS))
def test_element_bombs_are_refused_at_the_import_page_and_nothing_is_written(app, chain, shape):
    from models import AuditEvent

    client = login(app.test_client(), chain["admin"])
    before = (Organisation.select().count(), User.select().count(), AuditEvent.select().count())
    for kind in ("organisations", "users"):
        body = (
            (
                f'--B\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
                '--B\r\nContent-Disposition: form-data; name="file"; filename="b.xlsx"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + hostile.element_bomb(shape)
            + b"\r\n--B--\r\n"
        )
        response = client.post(
            "/beheer/import", data=body, content_type="multipart/form-data; boundary=B"
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Het Excel-bestand zit niet gewoon in elkaar" in page
        assert "de grens is" in page
        assert 'name="token"' not in page  # nothing kept for a confirmation
    after = (Organisation.select().count(), User.select().count(), AuditEvent.select().count())
    assert after == before
    kept = Path(app.instance_path) / "imports"
    assert not kept.is_dir() or list(kept.iterdir()) == []
