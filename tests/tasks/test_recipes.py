import pytest
from PIL import Image

from wattprint.tasks.recipes import (
    MASK_PLACEHOLDER,
    cut_prompt,
    first_words,
    mask_last_word,
    resize_study,
    scale_box,
)

WORDS25 = " ".join(f"w{i}" for i in range(1, 26))


def test_first_words_keeps_twenty_and_squashes_spaces():
    assert first_words(WORDS25, 20) == " ".join(f"w{i}" for i in range(1, 21))
    assert first_words("  a\n b\tc  ", 20) == "a b c"
    with pytest.raises(ValueError):
        first_words("a", 0)


def test_mask_last_of_first_twenty_words():
    masked, word = mask_last_word(WORDS25)
    assert masked == " ".join(f"w{i}" for i in range(1, 20)) + " [MASK]"
    assert word == "w20"
    assert MASK_PLACEHOLDER == "[MASK]"


def test_mask_short_text_masks_its_last_word_with_punctuation():
    assert mask_last_word("The cat sat.") == ("The cat [MASK]", "sat.")
    with pytest.raises(ValueError):
        mask_last_word("   ")


def test_cut_prompt_to_fifty_words():
    prompt = " ".join(f"p{i}" for i in range(70))
    assert cut_prompt(prompt).split() == [f"p{i}" for i in range(50)]
    assert cut_prompt("a red fox") == "a red fox"


def _grid(w, h, mode="RGB"):
    img = Image.new("RGB", (w, h))
    for x in range(w):
        for y in range(h):
            img.putpixel((x, y), (x * 10, y * 10, 7))
    return img.convert(mode) if mode != "RGB" else img


def test_resize_is_nearest_neighbour_to_640x480_exact_pixels():
    out = resize_study(_grid(4, 3))  # each source pixel becomes a 160x160 block
    assert out.size == (640, 480) and out.mode == "RGB"
    assert out.getpixel((0, 0)) == (0, 0, 7)
    assert out.getpixel((159, 159)) == (0, 0, 7)
    assert out.getpixel((160, 0)) == (10, 0, 7)
    assert out.getpixel((0, 160)) == (0, 10, 7)
    assert out.getpixel((639, 479)) == (30, 20, 7)
    # nearest neighbour never blends: only source colours appear
    assert {c for _, c in out.getcolors(100)} == {c for _, c in _grid(4, 3).getcolors(100)}


def test_resize_non_integer_scale_and_modes():
    out = resize_study(_grid(3, 3))  # x: 640/3 per source pixel; centre of 212 maps to 0.996 -> 0
    assert out.getpixel((212, 0)) == (0, 0, 7)
    assert out.getpixel((213, 0)) == (10, 0, 7)
    grey = resize_study(Image.new("L", (10, 10), 200))
    assert grey.mode == "RGB" and grey.getpixel((5, 5)) == (200, 200, 200)
    rgba = resize_study(Image.new("RGBA", (8, 6), (1, 2, 3, 4)))
    assert rgba.mode == "RGB" and rgba.getpixel((0, 0)) == (1, 2, 3)


def test_scale_box():
    assert scale_box((10, 20, 30, 40), (320, 240)) == (20, 40, 60, 80)
    assert scale_box((0, 0, 64, 48), (64, 48)) == (0, 0, 640, 480)
