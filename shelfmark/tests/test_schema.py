"""The OpenAPI schema, the docs pages and the /api/ root."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

DOCUMENTED_PATHS = {
    "/api/v1/books/",
    "/api/v1/books/{id}/",
    "/api/v1/authors/",
    "/api/v1/authors/{id}/",
    "/api/v1/subjects/",
    "/api/v1/subjects/{id}/",
    "/api/v1/copies/",
    "/api/v1/copies/{id}/",
    "/api/v1/tokens/",
    "/api/v1/tokens/{id}/",
    "/api/v1/patron-categories/",
    "/api/v1/patron-categories/{id}/",
    "/api/v1/patrons/",
    "/api/v1/patrons/{id}/",
    "/api/v1/circulation/checkout/",
    "/api/v1/circulation/checkin/",
    "/api/v1/loans/",
    "/api/v1/loans/{id}/",
    "/api/v1/loans/{id}/renew/",
    "/api/v1/holds/",
    "/api/v1/holds/{id}/",
    "/api/v1/holds/{id}/cancel/",
    "/api/v1/me/",
}
# Links on the API root that answer only a signed-in account.
SIGN_IN_FIRST = {
    "tokens",
    "patron-categories",
    "patrons",
    "loans",
    "holds",
    "me",
    "export",
    "stocktakes",
    "fines",
}
ASSET_ATTRIBUTE = re.compile(r"""<(script|link)\b[^>]*?\b(src|href)=["']([^"']*)["']""", re.I)


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"

    # --fail-on-warn turns any drf-spectacular warning (an unguessable type, a name clash)
    # into a non-zero exit, which call_command raises as SystemExit.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    document = yaml.safe_load(target.read_text())
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Shelfmark API"
    assert set(document["paths"]) >= DOCUMENTED_PATHS


def test_the_served_schema_is_openapi_3_with_every_resource(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= DOCUMENTED_PATHS


def test_the_schema_documents_only_the_versioned_api(schema):
    paths = set(schema["paths"])

    assert paths >= DOCUMENTED_PATHS
    assert all(path.startswith("/api/v1/") for path in paths), paths
    assert not paths & {"/api/", "/api/schema/", "/api/docs/", "/api/redoc/", "/healthz"}


def test_the_schema_offers_api_tokens_as_bearer_auth(schema):
    scheme = schema["components"]["securitySchemes"]["apiToken"]

    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert {"apiToken": []} in schema["paths"]["/api/v1/books/"]["post"]["security"]


def test_the_schema_shows_the_token_key_only_in_the_create_response(schema):
    tokens = schema["paths"]["/api/v1/tokens/"]
    created = tokens["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    listed = tokens["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    components = schema["components"]["schemas"]

    created_fields = components[created["$ref"].rsplit("/", 1)[1]]["properties"]
    page = components[listed["$ref"].rsplit("/", 1)[1]]["properties"]  # paginated, like all lists
    listed_fields = components[page["results"]["items"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert "key" in created_fields
    assert "key" not in listed_fields
    # Tokens are listed, issued and revoked; never read back or edited one by one.
    assert set(tokens) == {"get", "post"}
    assert set(schema["paths"]["/api/v1/tokens/{id}/"]) == {"delete"}


def test_the_schema_documents_the_pagination_limits(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/books/"]["get"]["parameters"]}

    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert set(parameters["ordering"]["schema"]["enum"]) == {
        "relevance",  # a search's default
        "-relevance",
        "title",
        "-title",
        "year",
        "-year",
        "created",
        "-created",
        "updated",
        "-updated",
    }
    assert "cursor" in parameters


def test_the_schema_documents_the_corrected_query_of_the_book_list(schema):
    ok = schema["paths"]["/api/v1/books/"]["get"]["responses"]["200"]["content"]
    page = ok["application/json"]["schema"]
    if "$ref" in page:
        page = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert page["properties"]["corrected_query"]["nullable"] is True
    assert "literal" in {p["name"] for p in schema["paths"]["/api/v1/books/"]["get"]["parameters"]}


@pytest.mark.parametrize(
    ("path", "marker"), [("/api/docs/", "swagger-ui"), ("/api/redoc/", "redoc")]
)
def test_the_docs_pages_load_only_local_assets(client, path, marker):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert marker in html
    texts = [html]

    assets = [url for _, _, url in ASSET_ATTRIBUTE.findall(html)]
    scripts = [url for tag, _, url in ASSET_ATTRIBUTE.findall(html) if tag.lower() == "script"]
    assert scripts, "the page should load its JavaScript bundle"
    for url in assets:
        if url == f"{path}?script=":
            # Swagger UI's init script, served by the page's own view (no inline code, for the
            # Content-Security-Policy): it names the schema.
            script = client.get(url)
            assert script.status_code == 200
            assert script["Content-Type"].startswith("application/javascript")
            texts.append(script.content.decode())
            continue
        assert url.startswith("/static/"), f"{path} loads {url} from outside the site"
        # ...and the file is really there to serve.
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
    assert any("/api/schema/" in text for text in texts)
    for text in texts:
        assert "cdn." not in text
        assert "https://" not in text
        assert "http://" not in text.replace("http://testserver", "")


def test_the_api_root_links_every_resource_and_the_docs(client):
    response = client.get("/api/")

    assert response.status_code == 200
    assert (
        response.json().items()
        >= {
            "books": "http://testserver/api/v1/books/",
            "authors": "http://testserver/api/v1/authors/",
            "subjects": "http://testserver/api/v1/subjects/",
            "copies": "http://testserver/api/v1/copies/",
            "tokens": "http://testserver/api/v1/tokens/",
            "patron-categories": "http://testserver/api/v1/patron-categories/",
            "patrons": "http://testserver/api/v1/patrons/",
            "loans": "http://testserver/api/v1/loans/",
            "holds": "http://testserver/api/v1/holds/",
            "me": "http://testserver/api/v1/me/",
            "schema": "http://testserver/api/schema/",
            "docs": "http://testserver/api/docs/",
            "redoc": "http://testserver/api/redoc/",
        }.items()
    )


def test_every_link_on_the_api_root_answers(client):
    links = client.get("/api/").json()

    for name, url in links.items():
        response = client.get(url)
        # Tokens and circulation are personal: the link is there, the list needs a login.
        expected = 401 if name in SIGN_IN_FIRST else 200
        assert response.status_code == expected, (name, url, response.status_code)


def test_the_api_root_is_browsable_in_a_browser(client):
    response = client.get("/api/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/api/v1/books/" in response.content


def test_the_schema_documents_the_limits_the_filters_enforce(schema):
    def parameters(path: str) -> dict:
        return {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}

    books, copies = parameters("/api/v1/books/"), parameters("/api/v1/copies/")

    assert books["year_min"] == {"type": "integer", "minimum": -3000, "maximum": 2100}
    assert books["year_max"] == books["year_min"]
    assert (books["q"]["maxLength"], books["author"]["maxLength"]) == (200, 255)
    assert (books["subject"]["maxLength"], books["language"]["maxLength"]) == (255, 3)
    assert copies["barcode"]["maxLength"] == 64
    assert copies["book"]["type"] == "integer"
    assert copies["book"]["minimum"] == 1


def test_the_docs_link_the_library_protocols(schema):
    """What apps serve beside the REST API (AppConfig.api_beside) is in its introduction."""
    description = schema["info"]["description"]

    assert description.startswith("The REST API of a small library's Shelfmark.")
    assert "[SRU 1.2 and 2.0](/sru)" in description
    assert "[OAI-PMH 2.0](/oai?verb=Identify)" in description
