"""Reading the items file: formats, detection, per-line errors, and never a token in a message."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from plaid_balance.batch import (
    BatchItem,
    InputError,
    ItemEntry,
    ItemsFileError,
    open_items,
    parse_items,
)

TOKEN = "access-sandbox-0f5c6a1e-secret-value"


def entries(lines: list[str], name: str = "-") -> list[ItemEntry]:
    return list(parse_items(lines, name=name))


def read_file(path: Path) -> list[ItemEntry]:
    async def main() -> list[ItemEntry]:
        async with await open_items(path) as reader:
            return [e async for e in reader]

    return asyncio.run(main())


def test_csv_with_header_labels_and_line_numbers() -> None:
    got = entries(["access_token,label", f"{TOKEN},Alice", "", f"{TOKEN}2, Bob "], name="x.csv")
    assert got == [BatchItem(TOKEN, "Alice", 2), BatchItem(TOKEN + "2", "Bob", 4)]


def test_csv_column_order_and_extra_columns() -> None:
    got = entries(["label,owner,ACCESS_TOKEN", f"A,me,{TOKEN}"])
    assert got == [BatchItem(TOKEN, "A", 2)]


def test_csv_without_label_column() -> None:
    assert entries(["access_token", TOKEN]) == [BatchItem(TOKEN, None, 2)]


def test_jsonl_detected_by_content() -> None:
    got = entries([f'{{"access_token": "{TOKEN}", "label": "x"}}', f'{{"access_token": "{TOKEN}"}}'])
    assert got == [BatchItem(TOKEN, "x", 1), BatchItem(TOKEN, None, 2)]


def test_bom_is_ignored() -> None:
    assert entries(["\ufeffaccess_token,label", f"{TOKEN},a"]) == [BatchItem(TOKEN, "a", 2)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"access_token": ', "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"label": "no token"}', "no access_token"),
        ('{"access_token": 7}', "must be a string"),
        ('{"access_token": ""}', "empty"),
        (f'{{"access_token": "{TOKEN} x"}}', "one word"),
        (f'{{"access_token": "{TOKEN}", "label": {{"a": 1}}}}', "label must be a string"),
    ],
)
def test_malformed_jsonl_lines_name_the_line_not_the_token(line: str, expected: str) -> None:
    got = entries([f'{{"access_token": "{TOKEN}"}}', line])
    assert isinstance(got[1], InputError)
    assert got[1].line == 2
    assert got[1].message.startswith("line 2: ")
    assert expected in got[1].message
    assert TOKEN not in got[1].message


@pytest.mark.parametrize(
    ("line", "expected"),
    [('"unterminated,x', "malformed CSV"), (",label", "empty"), (f"{TOKEN} x,y", "one word")],
)
def test_malformed_csv_lines(line: str, expected: str) -> None:
    got = entries(["access_token,label", line])
    assert len(got) == 1 and isinstance(got[0], InputError)
    assert got[0].line == 2 and expected in got[0].message and TOKEN not in got[0].message


def test_missing_column_in_a_row() -> None:
    got = entries(["label,access_token", "only-label"])
    assert isinstance(got[0], InputError) and "no access_token column" in got[0].message
    assert got[0].label == "only-label"


@pytest.mark.parametrize(
    "lines",
    [[TOKEN, TOKEN], ["token,label", f"{TOKEN},x"], ["access_token,access_token", "a,b"], [], ["", "  "]],
)
def test_not_an_items_file_is_a_usage_error(lines: list[str]) -> None:
    with pytest.raises(ItemsFileError) as info:
        entries(lines)
    assert TOKEN not in str(info.value)


def test_forced_jsonl_on_csv_is_a_usage_error() -> None:
    with pytest.raises(ItemsFileError):
        list(parse_items(["access_token,label"], input_format="jsonl"))


def test_open_items_reads_csv_and_jsonl_files(tmp_path: Path) -> None:
    csv_file = tmp_path / "items.csv"
    csv_file.write_bytes(f"access_token,label\r\n{TOKEN},a\r\n\r\n{TOKEN}3,b\r\n".encode())
    assert read_file(csv_file) == [BatchItem(TOKEN, "a", 2), BatchItem(TOKEN + "3", "b", 4)]
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(f'\n{{"access_token": "{TOKEN}"}}\nnot json\n')
    got = read_file(jsonl)
    assert got[0] == BatchItem(TOKEN, None, 2)
    assert isinstance(got[1], InputError) and got[1].line == 3


def test_open_items_errors(tmp_path: Path) -> None:
    with pytest.raises(ItemsFileError, match="cannot read"):
        read_file(tmp_path / "missing.csv")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe garbage\n")
    with pytest.raises(ItemsFileError, match="line 1"):
        read_file(bad)
    utf = tmp_path / "utf.csv"
    utf.write_bytes(b"access_token,label\n\xff,x\n")
    got = read_file(utf)
    assert isinstance(got[0], InputError) and "UTF-8" in got[0].message


def test_count_unread_after_a_partial_read(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("access_token\n" + "".join(f"tok{i}\n" for i in range(10)) + "\n")

    async def main() -> int | None:
        async with await open_items(path) as reader:
            seen = 0
            async for _ in reader:
                seen += 1
                if seen == 4:
                    break
            return reader.count_unread()

    assert asyncio.run(main()) == 6
