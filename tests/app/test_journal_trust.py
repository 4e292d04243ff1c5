import pytest

from app.journal_trust import JournalKeyChanged, PinnedJournalKeys


def test_first_key_is_pinned_and_a_different_one_is_refused(tmp_path):
    pins = PinnedJournalKeys(tmp_path / "keys.json")
    assert pins.trusted_key("https://wallet.example", "aa" * 32) == "aa" * 32
    assert pins.trusted_key("https://wallet.example", "aa" * 32) == "aa" * 32
    with pytest.raises(JournalKeyChanged) as changed:
        pins.trusted_key("https://wallet.example", "bb" * 32)
    assert changed.value.pinned == "aa" * 32 and "different key" in str(changed.value)
    # pins are per server and survive a restart (a new instance reads the same file)
    assert PinnedJournalKeys(tmp_path / "keys.json").trusted_key("https://other.example", "cc" * 32) == "cc" * 32
    with pytest.raises(JournalKeyChanged):
        PinnedJournalKeys(tmp_path / "keys.json").trusted_key("https://wallet.example", "cc" * 32)
