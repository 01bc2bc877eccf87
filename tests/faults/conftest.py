from tests.matching.conftest import embedder

__all__ = ["embedder"]
