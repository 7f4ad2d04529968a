"""Lookup keys: eight characters a person can read aloud and type from paper, unpredictable and evenly drawn."""

from __future__ import annotations

from collections import Counter

from motcua.dossiers import codes


def test_lookup_keys_use_only_unambiguous_characters_evenly():
    keys = [codes.new_lookup_key() for _ in range(20_000)]
    assert all(len(key) == 8 for key in keys)
    assert set("".join(keys)) == set(codes._KEY_ALPHABET)  # every character appears, no 0/O/1/I/L
    assert len(set(keys)) == len(keys)  # 31^8 possible keys: a repeat in 20,000 would mean a broken draw
    # Each position is uniform: 20,000 draws over 31 characters, about 645 each; a biased or fixed position would
    # put some character far from it (the bounds are more than 6 standard deviations, 24.9, from the mean).
    for position in range(8):
        counts = Counter(key[position] for key in keys)
        assert min(counts.values()) > 480 and max(counts.values()) < 810, (position, counts)
