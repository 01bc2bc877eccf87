"""A search's words come again and again: the query embedder keeps the last texts' vectors, so the model runs once
per distinct text, and a text it no longer keeps is embedded again."""

from __future__ import annotations

import numpy as np
import pytest

from services.matching.embedder import RememberingEmbedder, remembering
from tests.matching.helpers import HashingEmbedder

pytestmark = pytest.mark.unit


def test_each_text_is_embedded_once_while_kept_and_the_vectors_are_the_models() -> None:
    model = HashingEmbedder()
    queries = RememberingEmbedder(model, size=3)
    first = queries.embed(["care work", "kitchen", "care work"])
    assert model.texts == ["care work", "kitchen"]
    again = queries.embed(["kitchen", "retail jobs", "care work"])
    assert model.texts == ["care work", "kitchen", "retail jobs"]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    assert np.allclose(again, HashingEmbedder().embed(["kitchen", "retail jobs", "care work"]))
    queries.embed(["garden"])  # a fourth text: the one used longest ago ("kitchen") is let go
    queries.embed(["care work", "kitchen"])
    assert model.texts[3:] == ["garden", "kitchen"]
    assert queries.embed([]).shape == (0, model.dim)


def test_a_size_of_none_means_the_model_itself() -> None:
    model = HashingEmbedder()
    assert remembering(model, 0) is model
    assert isinstance(remembering(model, 10), RememberingEmbedder)
