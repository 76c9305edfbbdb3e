"""Our GIF, PNG and WAV codecs against Pillow and the wave module, both ways."""

import io

import numpy as np
import pytest
from PIL import Image

from flowlog.codecs.gif import decode_gif, encode_gif
from flowlog.codecs.png import decode_png, encode_png
from flowlog.events.typed_readers import decode_wav
from flowlog.summaries.media import wav_bytes

RNG = np.random.default_rng(0)


def _pillow_frames(data):
    gif = Image.open(io.BytesIO(data))
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("RGB")))
    return np.stack(frames), gif.info


@pytest.mark.parametrize("shape", [(1, 1, 1, 3), (3, 5, 7, 3), (4, 33, 20, 1), (2, 70, 90, 4)])
def test_gif_with_few_colours_is_exact_for_pillow_and_us(shape):
    frames = (RNG.integers(0, 5, size=shape) * 60).astype(np.uint8)
    data = encode_gif(frames, fps=10)
    rgb = frames[..., :3] if shape[3] >= 3 else np.repeat(frames, 3, axis=3)
    theirs, info = _pillow_frames(data)
    np.testing.assert_array_equal(theirs, rgb)
    assert (info["duration"], info["loop"]) == (100, 0)
    np.testing.assert_array_equal(decode_gif(data), rgb)


def test_gif_long_enough_to_fill_the_code_table():
    frames = RNG.integers(0, 256, size=(2, 200, 200, 1)).astype(np.uint8)  # 256 grey levels
    data = encode_gif(frames)
    np.testing.assert_array_equal(_pillow_frames(data)[0][..., 0], frames[..., 0])
    np.testing.assert_array_equal(decode_gif(data)[..., 0], frames[..., 0])


def test_gif_with_many_colours_takes_the_nearest_of_a_fixed_palette():
    frames = RNG.integers(0, 256, size=(2, 16, 16, 3)).astype(np.uint8)
    theirs, _ = _pillow_frames(encode_gif(frames))
    assert np.abs(theirs.astype(int) - frames).max() <= 26  # half a step of 6 or 7 levels


def test_pillow_gifs_decode_with_their_frame_layout():
    frames = (RNG.integers(0, 4, size=(4, 12, 15, 3)) * 80).astype(np.uint8)
    frames[1:, :6] = frames[0, :6]  # unchanged areas: Pillow stores smaller frames
    out = io.BytesIO()
    images = [Image.fromarray(f) for f in frames]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    np.testing.assert_array_equal(decode_gif(out.getvalue()), frames)


@pytest.mark.parametrize("mode,channels", [("L", 1), ("LA", 2), ("RGB", 3), ("RGBA", 4)])
def test_png_decodes_pillows_filters_and_our_own(mode, channels):
    pixels = np.cumsum(RNG.integers(0, 9, size=(19, 23, channels)), axis=1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode).save(out, "PNG")
    np.testing.assert_array_equal(decode_png(out.getvalue()), pixels)
    np.testing.assert_array_equal(decode_png(encode_png(pixels)), pixels)


@pytest.mark.parametrize("colours", [2, 4, 16, 200])
def test_png_palette_images_decode_to_rgb(colours):
    img = Image.fromarray(RNG.integers(0, 256, size=(9, 11, 3)).astype(np.uint8)).quantize(colours)
    out = io.BytesIO()
    img.save(out, "PNG")
    np.testing.assert_array_equal(decode_png(out.getvalue()), np.asarray(img.convert("RGB")))


def test_png_and_gif_refuse_other_bytes():
    with pytest.raises(ValueError, match="not a PNG"):
        decode_png(b"GIF89a")
    with pytest.raises(ValueError, match="not a GIF"):
        decode_gif(b"\x89PNG")
    with pytest.raises(ValueError, match="uint8 frames"):
        encode_gif(np.zeros((2, 2, 2), np.uint8))


def test_wav_round_trip_in_16_bits():
    samples = np.stack([np.linspace(-1, 1, 101), np.linspace(1, -1, 101)], axis=1)
    decoded, rate = decode_wav(wav_bytes(samples, 8000))
    assert rate == 8000 and decoded.shape == (101, 2)
    np.testing.assert_allclose(decoded, samples, atol=1 / 32767)
