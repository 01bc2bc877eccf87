"""Test data factories: synthetic young people, never real ones, from the one builder the seed also uses."""

from __future__ import annotations

from infra.seed.synthetic import profile_create as profile_payload

__all__ = ["profile_payload"]
