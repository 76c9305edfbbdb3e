"""The audio routes over clips written by torch's writer, tensorboardX's, ours and TF2's layout."""
from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from dashboard_events import loaded_client
from flowlog.dashboard.audio import sniffed_type
from media_logs import RATE, SECONDS, WRITERS, every_writer, tf2_audio, tone

from flowlog.events.typed_readers import decode_wav

TAG = "voice/tone"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    logdir = every_writer(tmp_path_factory.mktemp("audio"), histogram_steps=1)
    tf2_audio(logdir)
    return loaded_client(logdir)


def clip(client, run, tag=TAG, index=0, sample=0, **headers):
    return client.get("/data/plugin/audio/individualAudio",
                      query_string={"run": run, "tag": tag, "index": index, "sample": sample},
                      headers=headers)


def test_tags_name_every_writer_and_the_most_clips_of_a_step(client):
    tags = client.get("/data/plugin/audio/tags").json
    for run in WRITERS:
        assert tags[run] == {TAG: {"displayName": TAG, "description": "", "samples": 1}}
    assert tags["tf2"]["speech"]["samples"] == 3
    listing = client.get("/data/plugins_listing").json
    assert listing["audio"]["enabled"]


@pytest.mark.parametrize("run", list(WRITERS))
def test_each_writers_clips_are_listed_by_step_and_served_as_written(client, run):
    entries = client.get("/data/plugin/audio/audio", query_string={"run": run, "tag": TAG}).json
    assert [(e["step"], e["index"], e["samples"], e["labels"], e["content_type"])
            for e in entries] == [(s, s, 1, [""], "audio/wav") for s in range(len(SECONDS))]
    for step, seconds in enumerate(SECONDS):
        r = clip(client, run, index=step)
        assert r.status_code == 200 and r.mimetype == "audio/wav"
        samples, rate = decode_wav(r.data)
        assert rate == RATE and samples.shape == (round(seconds * RATE), 1)
        # 16-bit PCM: within one step of 1/32767 of the samples logged
        np.testing.assert_allclose(samples[:, 0], tone(seconds, 220 * (step + 1)), atol=1e-4)


def test_tf2_audio_tensors_give_several_clips_with_their_labels(client):
    entries = client.get("/data/plugin/audio/audio", query_string={"run": "tf2", "tag": "speech"}).json
    assert [e["labels"] for e in entries] == [
        [f"**clip {k}** of step {s}" for k in range(3)] for s in range(2)]
    for k in range(3):
        r = clip(client, "tf2", "speech", index=1, sample=k)
        with wave.open(io.BytesIO(r.data)) as w:
            assert w.getnframes() / w.getframerate() == 0.25 * (k + 1)
        assert r.mimetype == "audio/wav"


def test_a_player_can_ask_for_a_byte_range(client):
    whole = clip(client, "torch", index=2).data
    r = clip(client, "torch", index=2, Range="bytes=100-199")
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert r.data == whole[100:200]


@pytest.mark.parametrize("query, status, message", [
    ({"run": "torch", "tag": TAG, "index": 3}, 404, "no audio clip 3/0"),
    ({"run": "torch", "tag": TAG, "sample": 1}, 404, "no audio clip 0/1"),
    ({"run": "tf2", "tag": "speech", "index": -1}, 404, "no audio clip -1/0"),
    ({"run": "torch", "tag": TAG, "index": "x"}, 400, "index must be an integer, got 'x'"),
    ({"run": "torch", "tag": "nope"}, 404, "unknown audio tag 'nope' in run 'torch'"),
    ({"run": "nope", "tag": TAG}, 404, "unknown run 'nope'"),
    ({"tag": TAG}, 400, "missing query parameter 'run'"),
])
def test_bad_clip_requests_name_the_value(client, query, status, message):
    r = client.get("/data/plugin/audio/individualAudio", query_string=query)
    assert r.status_code == status
    assert message in r.json["error"]


def test_content_type_comes_from_the_bytes():
    wav = io.BytesIO()
    with wave.open(wav, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(100)
        w.writeframes(b"\0\0" * 10)
    assert sniffed_type(wav.getvalue(), "application/x-anything") == "audio/wav"
    assert sniffed_type(b"OggS\0\2", "audio/wav") == "audio/ogg"
    assert sniffed_type(b"garbage", "audio/x-custom") == "audio/x-custom"
    assert sniffed_type(b"<html>", "text/html") == "application/octet-stream"
