"""Fuzzing every data route of a live flowboard from its OpenAPI description: never a 5xx."""
from __future__ import annotations

import http.client
import json
import math
import time
from urllib.parse import quote_from_bytes, urlsplit

import numpy as np
import pytest
from dashboard_events import event, histogram, image, new_file, scalar, tensor_scalar, text
from flowlog.dashboard.app import create_app
from graph_samples import neuron_graphdef
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowlog.summaries.media import audio
from flowlog.summaries.plugins import custom_scalars, mesh, pr_curve_raw
from flowlog.summaries.projector import write_embedding

SECRET = "fuzz-secret-contents-7331"
# Strings servers often mishandle: traversal, NUL, huge numbers, markup, odd Unicode.
HOSTILE = ["", ".", "..", "../../etc/passwd", "..%2f..%2fsecret.txt", "/etc/passwd", "\x00",
           "train\x00", "<img src=x onerror=alert(1)>", "NaN", "Infinity", "-1", "1e400",
           "9" * 5000, "0x10", "1_000", "\u0969", "\ud800", "\u202e", " ", "%", "%00", "a/b",
           "train/", "' OR 1=1 --", "{}", "[]", "null", "true"]


@pytest.fixture(scope="module")
def fuzz_logdir(tmp_path_factory):
    """Runs with every kind of data, odd values and nested names; a secret file beside them."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "secret.txt").write_text(SECRET)
    logdir = root / "logs"
    new_file(logdir / "train", [scalar("loss", s, 1.0 / (s + 1)) for s in range(50)]
             + [scalar("odd", 0, math.nan), scalar("odd", 1, math.inf),
                scalar("odd", 2, -math.inf), tensor_scalar("new/style", 3, 2.5, metadata=True),
                histogram("w", 1, [1, 2, 3]), image("img", 1, np.zeros((2, 3, 3), np.uint8)),
                text("note", 1, "# hi\n<b>x</b>"),
                event(1, summary=audio("clip", np.zeros(80), 8000)),
                event(1, summary=pr_curve_raw("pr", *np.ones((6, 3)), num_thresholds=3)),
                event(0, summary=custom_scalars({"c": {"m": ["Margin", ["loss", "odd", "odd"]],
                                                       "l": ["Multiline", ["lo", "("]]}})),
                event(2, summary=mesh("cloud", np.ones((1, 4, 3)), faces=[[[0, 1, 2]]])),
                event(0, graph_def=neuron_graphdef().SerializeToString())])
    write_embedding(str(logdir / "train"), np.eye(4, 3), metadata=list("abcd"),
                    label_img=np.zeros((4, 1, 2, 2)), tag="e")
    new_file(logdir / "nested" / "eval", [scalar("loss", s, 0.5) for s in range(0, 50, 10)])
    new_file(logdir, [scalar("root/tag", 0, 1.0)])
    return logdir


@pytest.fixture(scope="module")
def live(fuzz_logdir, flowboard_server):
    """(host, port, OpenAPI document, known runs and tags) of a flowboard serving the logdir."""
    url = flowboard_server(fuzz_logdir)
    parts = urlsplit(url)
    deadline = time.monotonic() + 60
    while json.loads(_get(parts.hostname, parts.port, "/data/status")[2])["loading"]:
        assert time.monotonic() < deadline, "flowboard did not load the logdir within 60 s"
        time.sleep(0.05)
    doc = json.loads(_get(parts.hostname, parts.port, "/data/openapi.json")[2])
    known = set(json.loads(_get(parts.hostname, parts.port, "/data/runs")[2]))
    known.add("e:00000")  # the embedding's name
    for route in ("scalars", "histograms", "images", "text", "audio", "mesh"):
        tags = json.loads(_get(parts.hostname, parts.port, f"/data/plugin/{route}/tags")[2])
        known |= {t for ts in tags.values() for t in ts}
    ops = json.loads(_get(parts.hostname, parts.port, "/data/plugin/graphs/nodes?run=train")[2])
    known |= set(ops["names"])
    assert {"train", "nested/eval", ".", "loss", "w", "img", "note", "weight"} <= known
    return parts.hostname, parts.port, doc, sorted(known)


def _get(host: str, port: int, target: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET of the raw `target`, sent as is."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


def _media_ok(ctype: str, media: str) -> bool:
    """Whether a Content-Type matches a documented media type such as `image/*`."""
    return media == "*/*" or ctype.startswith(media.rstrip("*"))


def conforms(value, schema: dict) -> bool:
    """Whether `value` matches the JSON-schema subset the OpenAPI document uses."""
    if "anyOf" in schema:
        return any(conforms(value, s) for s in schema["anyOf"])
    kind = schema.get("type")
    checks = {"string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "null": lambda v: v is None, "array": lambda v: isinstance(v, list),
              "object": lambda v: isinstance(v, dict), None: lambda v: True}
    if not checks[kind](value) or ("enum" in schema and value not in schema["enum"]):
        return False
    if kind == "array":
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", math.inf):
            return False
        heads = schema.get("prefixItems", [])
        return (all(conforms(v, s) for v, s in zip(value, heads))
                and all(conforms(v, schema.get("items", {})) for v in value[len(heads):]))
    if kind == "object":
        props = schema.get("properties", {})
        rest = schema.get("additionalProperties", {})
        return (all(k in value for k in schema.get("required", ()))
                and all(conforms(v, props.get(k, rest)) for k, v in value.items()))
    return True


def _values(schema: dict, known: list) -> st.SearchStrategy:
    """Query-string values (raw bytes) for a parameter of `schema`: valid, hostile and random."""
    texts = st.sampled_from(known + HOSTILE) | st.text(max_size=30)
    if schema.get("type") in ("integer", "number"):
        lo, hi = schema.get("minimum", -(2 ** 70)), schema.get("maximum", 2 ** 70)
        texts = (st.integers(lo, hi).map(str) | st.integers().map(str) | texts
                 | st.floats(allow_nan=True).map(repr))
    elif "enum" in schema:
        texts = st.sampled_from(schema["enum"]) | texts
    raw = texts.map(lambda s: s.encode("utf-8", "surrogatepass")) | st.binary(max_size=20)
    return st.lists(raw, min_size=1, max_size=3) if schema.get("type") == "array" else raw


@st.composite
def requests(draw, doc: dict, known: list) -> str:
    """A GET target for one operation of `doc`, parameters drawn from their schemas or left out."""
    path = draw(st.sampled_from(sorted(doc["paths"])))
    pairs = []
    for p in doc["paths"][path]["get"]["parameters"]:
        if draw(st.integers(0, 9)) == 0:  # leave it out, required or not
            continue
        value = draw(_values(p["schema"], known))
        pairs += [(p["name"], v) for v in (value if isinstance(value, list) else [value])]
    if draw(st.booleans()):
        pairs.append((draw(st.sampled_from(["run", "tag", "x", "format", "width"])),
                      draw(_values({}, known))))
    query = "&".join(f"{quote_from_bytes(k.encode())}={quote_from_bytes(v, safe='')}"
                     for k, v in pairs)
    return f"{path}?{query}" if query else path


def test_every_route_is_described(fuzz_logdir):
    """A new route without an OpenAPI entry fails here, so the fuzzer never misses one.

    Only the page and its static files are left out.
    """
    app = create_app(fuzz_logdir, reload_interval=0, start=False)
    routes = {r.rule for r in app.url_map.iter_rules() if not r.endpoint.startswith("pages.")}
    with app.test_client() as client:
        described = set(client.get("/data/openapi.json").get_json()["paths"])
    assert routes == described


def test_documented_responses_match_their_schemas_for_valid_requests(live):
    host, port, doc, _ = live
    valid = {"run": "train", "name": "weight", "tag": "loss"}
    tags = {"histograms": "w", "distributions": "w", "images": "img", "individualImage": "img",
            "text": "note", "audio": "clip", "individualAudio": "clip", "pr_curves": "pr",
            "mesh": "cloud", "projection": "e:00000", "sprite": "e:00000"}
    for path, item in doc["paths"].items():
        names = [p["name"] for p in item["get"]["parameters"] if p["required"]]
        query = {**valid, "tag": tags.get(path.rsplit("/", 1)[1], "loss")}
        target = path + "".join(f"{'&' if i else '?'}{k}={query[k]}" for i, k in enumerate(names))
        status, ctype, body = _get(host, port, target)
        assert status == 200, (target, body[:300])
        media, content = next(iter(item["get"]["responses"]["200"]["content"].items()))
        assert _media_ok(ctype, media), (target, ctype)
        if media == "application/json":
            assert conforms(json.loads(body), content["schema"]), (target, body[:300])
        else:
            assert body


def test_fuzzed_requests_never_get_a_server_error(live):
    host, port, doc, known = live
    seen = set()

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(requests(doc, known))
    def check(target):
        status, ctype, body = _get(host, port, target)
        assert status < 500, (target, body[:300])
        assert SECRET.encode() not in body and b"root:x:" not in body
        seen.add(status)
        path = target.split("?", 1)[0]
        responses = doc["paths"][path]["get"]["responses"]
        assert str(status) in responses, (target, status, body[:300])
        content = responses[str(status)]["content"]
        if ctype.startswith("application/json"):
            assert conforms(json.loads(body), content["application/json"]["schema"]), (
                target, body[:300])
        else:
            assert status == 200 and any(_media_ok(ctype, m) for m in content), (target, ctype)

    check()
    assert {200, 400, 404} <= seen  # the fuzzer reached past the parameter checks


@pytest.mark.parametrize("target", [
    "/static/../../../etc/passwd", "/static/..%2f..%2f..%2fsecret.txt",
    "/static/%2e%2e/%2e%2e/%2e%2e/secret.txt", "/static/..\\..\\..\\secret.txt",
    "/vendor/..%2f..%2f..%2fetc%2fpasswd", "/../../etc/passwd", "//etc/passwd",
    "/static/%00", "/static/x%00.js", "/data/plugin/text/text?run=..%2f..&tag=..%2fsecret.txt"])
def test_raw_traversal_paths_are_refused(live, target):
    """Paths sent byte for byte, as a browser would not, reach the server un-normalised."""
    host, port, _, _ = live
    status, _, body = _get(host, port, target)
    assert status in (400, 404, 308), (target, status)
    assert SECRET.encode() not in body and b"root:x:" not in body


