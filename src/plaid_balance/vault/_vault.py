"""The Item vault: each linked Item under an alias, its token sealed with AES-256-GCM, in the history DB.

Metadata (alias, institution, accounts, health) is plain and readable without the key, so ``items
list`` works on a machine that cannot decrypt; tokens need the key. Every change is one transaction,
through the vault's repository (``plaid_balance.storage.vault``).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import shlex
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Literal

import msgspec

from plaid_balance._closing import Closing
from plaid_balance._errors import (
    AliasError,
    AmbiguousItemError,
    HistoryError,
    InvalidValue,
    ItemExistsError,
    ItemLostError,
    ItemRemovedError,
    PlaidAPIError,
    RotationInProgressError,
    TokenInDoubtError,
    UnknownItemError,
    VaultCorruptError,
    VaultKeyError,
    VaultStorageError,
    WriteConflict,
)
from plaid_balance._health import Health
from plaid_balance._parse import MAX_REFERENCE_LENGTH, parse_item_reference
from plaid_balance._report import utc_now
from plaid_balance._secret import SecretStr, mask_token
from plaid_balance.history.store import token_fingerprint
from plaid_balance.storage.database import Database, Transaction
from plaid_balance.storage.vault import DoubtRecord, VaultRecord

from ._cipher import Cipher, Undecryptable
from ._doubts import (
    EXCHANGE,
    REFUSED_TOKEN_CODES,
    ROTATION,
    current_owner,
    in_progress,
    lost_reason,
    relink_command,
)
from ._keys import KeyStore

# The stored words of Item health, in order (the type is the core's ``Health``: one vocabulary).
HEALTH_STATES: Final[tuple[str, ...]] = tuple(h.value for h in Health)
MAX_ALIAS_LENGTH: Final = MAX_REFERENCE_LENGTH
_KEY_CHECK: Final = "key_check"


class VaultAccount(msgspec.Struct, frozen=True, kw_only=True):
    """One account of an Item as Link reported it (no balances: those live in the history)."""

    account_id: str
    name: str
    mask: str | None = None
    type: str | None = None
    subtype: str | None = None
    # The account's currency as Plaid reported it when the Item was linked or imported (None in vaults
    # written before it was kept): the watch checks its rules' currencies against it.
    currency: str | None = None


class VaultItem(msgspec.Struct, frozen=True, kw_only=True):
    """An Item in the vault. Holds no token: ``token_hint`` is masked (``access-sandbox-…1a2b``)."""

    item_id: str
    alias: str
    institution_id: str | None
    institution_name: str | None
    environment: str
    accounts: tuple[VaultAccount, ...]
    health: Health
    health_reason: str | None
    health_changed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None
    token_hint: str | None
    # A token rotation was started and its answer may be lost: the next command asks Plaid (settle_rotation).
    in_doubt: bool = False

    @property
    def removed(self) -> bool:
        return self.health is Health.REMOVED

    @property
    def lost(self) -> bool:
        """Plaid rotated the token but the answer was lost: nothing can call Plaid for this Item."""
        return self.health is Health.LOST


_ACCOUNTS = msgspec.json.Encoder()
_ACCOUNTS_DECODER = msgspec.json.Decoder(tuple[VaultAccount, ...])


def normalise_alias(alias: str) -> str:
    """The alias as stored: NFC, trimmed, by the one Item-reference rule (``_parse.parse_item_reference``).
    Raises ``AliasError`` with the rule it breaks."""
    if not isinstance(alias, str):
        raise AliasError("an alias is text")
    try:
        return str(parse_item_reference(alias))
    except InvalidValue as exc:
        raise AliasError(str(exc)) from None


def alias_key(alias: str) -> str:
    """What makes two aliases the same: compatibility-normalised, case-folded."""
    return unicodedata.normalize("NFKC", alias).casefold()


def suggest_alias(institution_name: str | None, *, fallback: str = "bank") -> str:
    """A short alias from an institution name: ``First Platypus Bank`` → ``first-platypus-bank``."""
    words = "".join(c if c.isalnum() else " " for c in (institution_name or "")).lower().split()
    text = "-".join(words)[:MAX_ALIAS_LENGTH].strip("-")
    return text or fallback


def _accounts(accounts: Iterable[VaultAccount | Mapping[str, Any]]) -> tuple[VaultAccount, ...]:
    result = []
    for account in accounts:
        if isinstance(account, VaultAccount):
            result.append(account)
            continue
        account_id = account.get("account_id") or account.get("id")
        if not account_id:
            raise ValueError("each account needs an account_id (or Link's id)")
        result.append(
            VaultAccount(
                account_id=str(account_id),
                name=str(account.get("name") or account_id),
                mask=account.get("mask"),
                type=account.get("type"),
                subtype=account.get("subtype"),
                currency=account.get("currency"),
            )
        )
    return tuple(result)


def _reveal(token: str | SecretStr) -> str:
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    if not isinstance(value, str):
        raise TypeError("an access token is text")
    value = value.strip()
    if not value or any(c.isspace() for c in value):
        raise ValueError(
            "the access token is empty or malformed (it must be one word, like access-sandbox-…)"
        )
    return value


class Vault(Closing):
    """Open with ``Vault.open(db_url)``; use as a context manager or call ``close()``."""

    def __init__(self, database: Database, keys: KeyStore) -> None:
        self.database = database
        self._rows = database.vault
        self.url = database.url
        self._keys = keys
        self._cipher: Cipher | None = None
        self.key_created: str | None = None  # where a new key was kept, when this vault made one

    @classmethod
    def open(
        cls,
        db_url: str | None = None,
        *,
        key: str | bytes | SecretStr | None = None,
        create: bool = True,
        use_keyring: bool = True,
    ) -> Vault:
        """Open the vault in the database at ``db_url`` (a URL or a file path; None: ``PLAID_BALANCE_DB``,
        else the default history database).

        ``key`` overrides where the key is looked up. ``create=False`` (reads) raises
        ``DatabaseNotFound`` when there is no database yet, and creates nothing.
        """
        return cls.on(Database.open(db_url, create=create), key=key, use_keyring=use_keyring)

    @classmethod
    def on(
        cls, database: Database, *, key: str | bytes | SecretStr | None = None, use_keyring: bool = True
    ) -> Vault:
        """The vault in a database already open (the watch's, shared with its history and state):
        ``close()`` closes that database."""
        return cls(database, KeyStore(explicit=key, use_keyring=use_keyring))

    def __repr__(self) -> str:
        return f"Vault({self.url!r})"

    def close(self) -> None:
        self.database.close()

    # --- plumbing --------------------------------------------------------------------------------

    def _run(self, action: str, work: Callable[[Transaction], Any]) -> Any:
        """``work`` in one transaction; database failures become one ``VaultStorageError`` line."""
        for attempt in range(3):
            try:
                with self.database.transaction(action) as tx:
                    return work(tx)
            except WriteConflict as exc:
                # A concurrent writer got there first; the next pass sees its row and decides again.
                if attempt == 2:
                    raise VaultStorageError(
                        f"cannot {action} the vault in {self.url}: {exc.reason}"
                    ) from None
            except HistoryError as exc:
                raise VaultStorageError(f"cannot {action} the vault in {self.url}: {exc.reason}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _cipher_for(self, tx: Transaction, *, create: bool) -> Cipher:
        if self._cipher is not None:
            return self._cipher
        check = self._rows.meta(tx, _KEY_CHECK)
        if check is None and not create:
            raise VaultKeyError(f"the vault in {self.url} holds no tokens yet")
        key = self._keys.load()
        made = None
        if key is None:
            if check is not None:
                raise VaultKeyError(
                    f"the vault in {self.url} is locked: no vault key found (looked in {self._keys.where()})"
                )
            key = self._keys.create()
            made = key.source
        cipher = Cipher(key.material)
        if check is None:
            self._rows.set_meta(tx, _KEY_CHECK, cipher.key_check())
        elif not cipher.matches(check):
            raise VaultKeyError(
                f"the vault key from {key.source} does not open the vault in {self.url} (wrong key)"
            )
        self._cipher = cipher
        self.key_created = made
        return cipher

    def _find(self, tx: Transaction, ref: str, *, lock: bool = False) -> VaultRecord:
        if not isinstance(ref, str) or not ref.strip():
            raise UnknownItemError("no Item named: give an alias or an item_id")
        try:  # a pasted token is refused here without being echoed
            text = str(parse_item_reference(ref))
        except InvalidValue as exc:
            raise UnknownItemError(str(exc)) from None
        named = self._rows.by_alias_key(tx, alias_key(text), lock=lock)
        identified = self._rows.by_item_id(tx, text, lock=lock)
        if named is not None and identified is not None and named.item_id != identified.item_id:
            raise AmbiguousItemError(
                f"{_show(text)} is both the alias of Item {named.item_id} and the id of Item "
                f"{identified.item_id} ({_show(identified.alias)}): rename one"
            )
        row = named or identified
        if row is None:
            aliases = [r.alias for r in self._rows.all(tx)]
            close = difflib.get_close_matches(text, aliases, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(_show(a) for a in close)}?" if close else ""
            listing = "" if close else " (plaid-balance items list shows them)"
            raise UnknownItemError(f"no Item {_show(text)} in the vault{listing}{hint}")
        return row

    def _check_alias_free(self, tx: Transaction, alias: str, item_id: str) -> str:
        key = alias_key(alias)
        holder = self._rows.by_alias_key(tx, key)
        if holder is not None and holder.item_id != item_id:
            state = " (a removed Item: rename it first)" if holder.health is Health.REMOVED else ""
            raise AliasError(f"the alias {_show(alias)} is taken by Item {holder.item_id}{state}")
        other = self._rows.by_item_id(tx, alias)
        if other is not None and other.item_id != item_id:
            raise AliasError(f"the alias {_show(alias)} is the id of another Item")
        return key

    def _item(self, row: VaultRecord) -> VaultItem:
        hint = None
        if row.token_ciphertext is not None and self._cipher is not None:
            try:
                hint = mask_token(self._cipher.open_token(row.token_ciphertext, row.item_id))
            except Undecryptable:
                hint = None
        elif row.token_ciphertext is not None:
            hint = "…"
        try:
            accounts = _ACCOUNTS_DECODER.decode(row.accounts)
        except msgspec.DecodeError:
            raise VaultCorruptError(f"the vault entry {_show(row.alias)} has unreadable accounts") from None
        return VaultItem(
            item_id=row.item_id,
            alias=row.alias,
            institution_id=row.institution_id,
            institution_name=row.institution_name,
            environment=row.environment,
            accounts=accounts,
            health=row.health,
            health_reason=row.health_reason,
            health_changed_at=row.health_changed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            removed_at=row.removed_at,
            token_hint=hint,
        )

    def _open_token(self, tx: Transaction, row: VaultRecord, *, doubted: bool = False) -> SecretStr:
        if row.health is Health.LOST:
            raise ItemLostError(
                f"Item {_show(row.alias)} is lost: {row.health_reason or relink_command(row.alias)}"
            )
        if row.health is Health.REMOVED or row.token_ciphertext is None:
            raise ItemRemovedError(
                f"Item {_show(row.alias)} was removed from Plaid; its access token is gone "
                "(plaid-balance link makes a new Item)"
            )
        if not doubted and self._doubt(tx, row.item_id) is not None:
            raise TokenInDoubtError(
                f"Item {_show(row.alias)}: a token rotation was started and its answer may be lost; "
                f"until Plaid confirms which token works, its token is not used (plaid-balance get "
                f"{_shell(row.alias)} checks)"
            )
        cipher = self._cipher_for(tx, create=False)
        try:
            return SecretStr(cipher.open_token(row.token_ciphertext, row.item_id))
        except Undecryptable:
            raise VaultCorruptError(
                f"the vault entry {_show(row.alias)} is corrupted (it does not decrypt with the right key): "
                f"remove it with plaid-balance items remove --local-only {_show(row.alias)} and link again"
            ) from None

    def _doubt(self, tx: Transaction, item_id: str) -> DoubtRecord | None:
        return self._rows.doubt(tx, ROTATION, item_id)

    def _doubted(self, tx: Transaction) -> set[str]:
        return self._rows.doubted_items(tx, ROTATION)

    def _link(self, tx: Transaction, token: str, item_id: str) -> None:
        self._rows.link_token(tx, token_fingerprint(token), item_id, utc_now())

    # --- reading ---------------------------------------------------------------------------------

    def list(self, *, include_removed: bool = True) -> list[VaultItem]:
        """Every Item, by alias; removed ones too unless ``include_removed=False``."""

        def work(tx: Transaction) -> list[VaultItem]:
            rows = self._rows.all(tx)
            doubted = self._doubted(tx)
            return [
                msgspec.structs.replace(self._item(r), in_doubt=r.item_id in doubted)
                for r in rows
                if include_removed or r.health is not Health.REMOVED
            ]

        return self._run("read", work)  # type: ignore[no-any-return]

    def get(self, ref: str) -> VaultItem:
        """The Item with this alias (any case) or item_id; one clear error if unknown or ambiguous."""

        def work(tx: Transaction) -> VaultItem:
            row = self._find(tx, ref)
            return msgspec.structs.replace(self._item(row), in_doubt=self._doubt(tx, row.item_id) is not None)

        return self._run("read", work)  # type: ignore[no-any-return]

    def access_token(self, ref: str) -> SecretStr:
        """The Item's access token (needs the key). Raises ``ItemRemovedError`` for a removed Item."""
        return self._run("read", lambda tx: self._open_token(tx, self._find(tx, ref)))  # type: ignore[no-any-return]

    def find_by_token(self, access_token: str | SecretStr) -> VaultItem | None:
        """The Item holding this token, by its fingerprint (no key needed), or None."""
        fingerprint = token_fingerprint(_reveal(access_token))

        def work(tx: Transaction) -> VaultItem | None:
            row = self._rows.by_fingerprint(tx, fingerprint)
            return None if row is None else self._item(row)

        return self._run("read", work)  # type: ignore[no-any-return]

    def free_alias(self, wanted: str) -> str:
        """``wanted`` if no Item has it, else ``wanted-2``, ``wanted-3``…"""
        base = normalise_alias(wanted)

        def work(tx: Transaction) -> str:
            rows = self._rows.all(tx)
            taken = {r.alias_key for r in rows} | {r.item_id for r in rows}
            candidate, n = base, 1
            while alias_key(candidate) in taken or candidate in taken:
                n += 1
                suffix = f"-{n}"
                candidate = base[: MAX_ALIAS_LENGTH - len(suffix)] + suffix
            return candidate

        return self._run("read", work)  # type: ignore[no-any-return]

    # --- writing ---------------------------------------------------------------------------------

    def add(
        self,
        alias: str,
        access_token: str | SecretStr,
        *,
        item_id: str,
        institution_id: str | None = None,
        institution_name: str | None = None,
        accounts: Iterable[VaultAccount | Mapping[str, Any]] = (),
        environment: str = "sandbox",
        settles: str | None = None,
    ) -> VaultItem:
        """Store a newly linked Item under ``alias``. The token is encrypted before it is written.

        ``settles`` names the exchange in doubt (``begin_exchange``) this token answers: its record is
        deleted in the same transaction that stores the token.
        """
        name = normalise_alias(alias)
        token = _reveal(access_token)
        if not item_id or not item_id.strip():
            raise ValueError("an Item needs its item_id")
        item_accounts = _accounts(accounts)
        fingerprint = token_fingerprint(token)

        def work(tx: Transaction) -> VaultItem:
            existing = self._rows.by_item_id(tx, item_id)
            if existing is not None:
                raise ItemExistsError(f"Item {item_id} is already in the vault as {_show(existing.alias)}")
            same_token = self._rows.by_fingerprint(tx, fingerprint)
            if same_token is not None:
                raise ItemExistsError(
                    f"this access token is already in the vault as {_show(same_token.alias)}"
                )
            key = self._check_alias_free(tx, name, item_id)
            cipher = self._cipher_for(tx, create=True)
            now = utc_now()
            row = VaultRecord(
                item_id=item_id,
                alias=name,
                alias_key=key,
                institution_id=institution_id,
                institution_name=institution_name,
                environment=environment,
                accounts=_ACCOUNTS.encode(item_accounts).decode("utf-8"),
                token_ciphertext=cipher.seal_token(token, item_id),
                token_fingerprint=fingerprint,
                health=Health.OK,
                health_reason=None,
                health_changed_at=now,
                created_at=now,
                updated_at=now,
                removed_at=None,
            )
            self._rows.insert(tx, row)
            self._link(tx, token, item_id)
            if settles is not None:
                self._end_doubt(tx, settles)
            return self._item(row)

        return self._run("write to", work)  # type: ignore[no-any-return]

    # --- public-token exchanges in doubt (see _doubts) ---------------------------------------------

    def begin_exchange(self, public_token: str, *, environment: str, detail: Mapping[str, Any]) -> str:
        """Commit "exchange in doubt" before ``/item/public_token/exchange``: the public token (sealed) and
        what Link said (``detail``: institution, link_session_id, wanted alias). Returns its id."""
        doubt_id = uuid.uuid4().hex

        def work(tx: Transaction) -> str:
            cipher = self._cipher_for(tx, create=True)
            self._rows.add_doubt(
                tx,
                DoubtRecord(
                    id=doubt_id,
                    kind=EXCHANGE,
                    item_id=None,
                    environment=environment,
                    started_at=utc_now(),
                    owner=current_owner(),
                    detail=json.dumps(dict(detail)),
                    secret_ciphertext=cipher.seal_token(public_token, _exchange_aad(doubt_id)),
                ),
            )
            return doubt_id

        return self._run("write to", work)  # type: ignore[no-any-return]

    def pending_exchanges(self) -> tuple[PendingExchange, ...]:
        """Exchanges whose answer may be lost (oldest first), without their public tokens."""

        def work(tx: Transaction) -> tuple[PendingExchange, ...]:
            return tuple(_pending(row) for row in self._rows.doubts(tx, EXCHANGE))

        return self._run("read", work)  # type: ignore[no-any-return]

    def exchange_public_token(self, doubt_id: str) -> str:
        """The sealed public token of an exchange in doubt (needs the key), to ask Plaid again."""

        def work(tx: Transaction) -> str:
            row = self._rows.doubt_by_id(tx, doubt_id)
            if row is None or row.secret_ciphertext is None:
                raise TokenInDoubtError("that interrupted link was settled meanwhile")
            try:
                return self._cipher_for(tx, create=False).open_token(
                    row.secret_ciphertext, _exchange_aad(doubt_id)
                )
            except Undecryptable:
                raise VaultCorruptError("an interrupted link's record does not decrypt") from None

        return self._run("read", work)  # type: ignore[no-any-return]

    def end_exchange(self, doubt_id: str) -> None:
        """The exchange's outcome is known (and told): forget its record."""
        self._run("write to", lambda tx: self._end_doubt(tx, doubt_id))

    def rename(self, ref: str, new_alias: str) -> VaultItem:
        name = normalise_alias(new_alias)

        def work(tx: Transaction) -> VaultItem:
            row = self._find(tx, ref, lock=True)
            key = self._check_alias_free(tx, name, row.item_id)
            return self._save(tx, row, alias_key=key, alias=name, updated_at=utc_now())

        return self._run("write to", work)  # type: ignore[no-any-return]

    def update(
        self,
        ref: str,
        *,
        accounts: Iterable[VaultAccount | Mapping[str, Any]] | None = None,
        institution_id: str | None = None,
        institution_name: str | None = None,
    ) -> VaultItem:
        """Refresh what Link reported about an Item (after update mode, say); None leaves a field as is."""
        new_accounts = None if accounts is None else _accounts(accounts)

        def work(tx: Transaction) -> VaultItem:
            row = self._find(tx, ref, lock=True)
            changes: dict[str, Any] = {"updated_at": utc_now()}
            if new_accounts is not None:
                changes["accounts"] = _ACCOUNTS.encode(new_accounts).decode("utf-8")
            if institution_id is not None:
                changes["institution_id"] = institution_id
            if institution_name is not None:
                changes["institution_name"] = institution_name
            return self._save(tx, row, **changes)

        return self._run("write to", work)  # type: ignore[no-any-return]

    def replace_token(self, ref: str, new_token: str | SecretStr) -> VaultItem:
        """Swap the Item's token for ``new_token`` in one transaction: the old one until commit, then the new."""
        token = _reveal(new_token)
        return self._run("write to", lambda tx: self._store_token(tx, self._find(tx, ref, lock=True), token))  # type: ignore[no-any-return]

    def _save(self, tx: Transaction, row: VaultRecord, **changes: Any) -> VaultItem:
        """Write ``row`` with ``changes`` applied; the Item as it now is."""
        new = dataclasses.replace(row, **changes)
        self._rows.update(tx, new)
        return self._item(new)

    def _store_token(self, tx: Transaction, row: VaultRecord, token: str) -> VaultItem:
        if row.health is Health.REMOVED:
            raise ItemRemovedError(
                f"Item {_show(row.alias)} was removed from Plaid: it cannot take a new token"
            )
        cipher = self._cipher_for(tx, create=True)
        item = self._save(
            tx,
            row,
            token_ciphertext=cipher.seal_token(token, row.item_id),
            token_fingerprint=token_fingerprint(token),
            updated_at=utc_now(),
        )
        self._link(tx, token, row.item_id)
        return item

    def rotate(
        self,
        ref: str,
        invalidate: Callable[[SecretStr], str | SecretStr],
        *,
        check: Callable[[SecretStr], object] | None = None,
    ) -> VaultItem:
        """Rotate the Item's token: ``invalidate(old)`` calls Plaid's /item/access_token/invalidate once
        (never retried) and returns the new token.

        "Rotation in doubt" is committed before the call and cleared in the transaction that stores the
        new token. If Plaid answers with an error, nothing happened: the doubt is cleared and the error
        raised. If no answer arrives, ``check(old)`` (Plaid's free /item/get) finds out what Plaid did
        (``settle_rotation``) and ``TokenInDoubtError`` says which: ``not_rotated``, ``lost`` or
        ``unknown`` (the doubt stays for the next command). Without ``check`` the doubt stays as well.
        """
        item, old, doubt_id = self._run("write to", lambda tx: self._begin_rotation(tx, ref))
        try:
            new = _reveal(invalidate(old))
        except PlaidAPIError:
            self._run("write to", lambda tx: self._end_doubt(tx, doubt_id))
            raise
        except Exception as exc:
            raise self._unanswered(item, check, exc) from exc
        return self._finish_rotation(item, doubt_id, new)

    def _begin_rotation(self, tx: Transaction, ref: str) -> tuple[VaultItem, SecretStr, str]:
        row = self._find(tx, ref, lock=True)
        doubt = self._doubt(tx, row.item_id)
        if doubt is not None:
            if in_progress(doubt.owner, doubt.started_at):
                raise RotationInProgressError(
                    f"the token of {_show(row.alias)} is being rotated by another process right now"
                )
            raise TokenInDoubtError(
                f"an earlier rotation of {_show(row.alias)} may have happened without its answer: "
                "check it first (plaid-balance items rotate does when it can reach Plaid)"
            )
        old = self._open_token(tx, row)
        doubt_id = uuid.uuid4().hex
        self._rows.add_doubt(
            tx,
            DoubtRecord(
                id=doubt_id,
                kind=ROTATION,
                item_id=row.item_id,
                environment=row.environment,
                started_at=utc_now(),
                owner=current_owner(),
                detail="{}",
                secret_ciphertext=None,
            ),
        )
        return self._item(row), old, doubt_id

    def _end_doubt(self, tx: Transaction, doubt_id: str) -> None:
        self._rows.delete_doubt(tx, doubt_id)

    def _unanswered(
        self, item: VaultItem, check: Callable[[SecretStr], object] | None, cause: Exception
    ) -> TokenInDoubtError:
        what = f"no answer from Plaid to the rotation of {_show(item.alias)} ({cause})"
        if check is None:
            return TokenInDoubtError(f"{what}: the doubt is recorded in the vault")
        try:
            settled = self.settle_rotation(item.item_id, check)
        except TokenInDoubtError as exc:
            return TokenInDoubtError(f"{what}, {exc}")
        if settled.removed:
            return TokenInDoubtError(
                f"{what}; Plaid no longer knows this Item (ITEM_NOT_FOUND): it was removed elsewhere, so there "
                "is nothing to rotate (link the bank again with plaid-balance link)",
                outcome="removed",
            )
        if settled.lost:
            return TokenInDoubtError(
                f"{what}; Plaid now refuses the old token. {settled.health_reason}", outcome="lost"
            )
        return TokenInDoubtError(
            f"{what}; the token was not rotated (the old one still works: checked with Plaid's /item/get), "
            "nothing changed",
            outcome="not_rotated",
        )

    def _finish_rotation(self, item: VaultItem, doubt_id: str, token: str) -> VaultItem:
        def work(tx: Transaction) -> VaultItem:
            row = self._find(tx, item.item_id, lock=True)
            if row.health is Health.LOST:  # someone judged it lost meanwhile; the answer proves otherwise
                row = dataclasses.replace(
                    row, health=Health.OK, health_reason=None, health_changed_at=utc_now()
                )
            stored = self._store_token(tx, row, token)
            self._end_doubt(tx, doubt_id)
            return stored

        last: VaultStorageError | None = None
        for _ in range(3):
            try:
                return self._run("write to", work)  # type: ignore[no-any-return]
            except VaultStorageError as exc:
                if isinstance(exc, VaultKeyError | VaultCorruptError):
                    raise
                last = exc
        assert last is not None
        raise VaultStorageError(
            f"Plaid rotated the token of {_show(item.alias)} but the vault could not store the new one, so "
            f"the Item is lost (the next command marks it so): {last}"
        )

    def settle_rotation(self, ref: str, check: Callable[[SecretStr], object]) -> VaultItem:
        """Find out what an unanswered rotation did and record it; the Item as it now stands.

        ``check(old_token)`` calls Plaid's free /item/get. It returns: the old token works, the rotation
        did not happen, the doubt is cleared. It raises ``PlaidAPIError`` INVALID_ACCESS_TOKEN or
        ITEM_NOT_FOUND: Plaid rotated, the new token is lost, the Item is marked ``lost`` with the
        commands that link the bank again. Anything else (no network, a 5xx) raises ``TokenInDoubtError``
        and the doubt stays for the next command. An Item with no doubt is returned as it is.
        """

        def read(tx: Transaction) -> tuple[VaultItem, DoubtRecord | None, SecretStr | None]:
            row = self._find(tx, ref)
            doubt = self._doubt(tx, row.item_id)
            if doubt is None or row.health is Health.LOST:
                return self._item(row), None, None
            if in_progress(doubt.owner, doubt.started_at):
                raise RotationInProgressError(
                    f"the token of {_show(row.alias)} is being rotated by another process right now; "
                    "try again when it has finished"
                )
            return self._item(row), doubt, self._open_token(tx, row, doubted=True)

        found: tuple[VaultItem, DoubtRecord | None, SecretStr | None] = self._run("read", read)
        item, doubt, old = found
        if doubt is None or old is None:
            return item
        try:
            check(old)
        except PlaidAPIError as exc:
            if exc.error_code not in REFUSED_TOKEN_CODES:
                raise TokenInDoubtError(
                    f"whether it happened cannot be checked now (Plaid's /item/get: {exc}); the doubt stays "
                    "recorded and the next command on this Item checks again"
                ) from None
            verdict: Literal["lost", "removed"] = "removed" if exc.error_code == "ITEM_NOT_FOUND" else "lost"
            return self._run("write to", lambda tx: self._judge(tx, item.item_id, doubt.id, verdict))  # type: ignore[no-any-return]
        except Exception as exc:
            raise TokenInDoubtError(
                f"whether it happened cannot be checked now ({exc}); the doubt stays recorded and the next "
                "command on this Item checks again"
            ) from None
        return self._run("write to", lambda tx: self._judge(tx, item.item_id, doubt.id, "fine"))  # type: ignore[no-any-return]

    def _judge(
        self, tx: Transaction, item_id: str, doubt_id: str, verdict: Literal["fine", "lost", "removed"]
    ) -> VaultItem:
        row = self._find(tx, item_id, lock=True)
        if self._rows.doubt_by_id(tx, doubt_id) is None:
            # the rotation's own process stored its answer meanwhile: that is the truth
            return self._item(row)
        self._rows.delete_doubt(tx, doubt_id)
        if verdict == "fine":
            return self._item(row)
        now = utc_now()
        if verdict == "removed":  # ITEM_NOT_FOUND: the Item itself is gone at Plaid, so nothing is billed
            return self._save(
                tx,
                row,
                token_ciphertext=None,
                token_fingerprint=None,
                health=Health.REMOVED,
                health_reason="Plaid no longer knows this Item (ITEM_NOT_FOUND): it was removed elsewhere",
                health_changed_at=now,
                removed_at=row.removed_at or now,
                updated_at=now,
            )
        return self._save(
            tx,
            row,
            health=Health.LOST,
            health_reason=lost_reason(row.alias, row.item_id),
            health_changed_at=now,
            updated_at=now,
        )

    def set_health(self, ref: str, health: Health | str, reason: str | None = None) -> VaultItem:
        """Record what Plaid last said about the Item (``needs_repair`` after ITEM_LOGIN_REQUIRED, …);
        ``health`` is a ``Health`` or its word."""
        if health not in HEALTH_STATES:
            raise ValueError(f"health is one of {', '.join(HEALTH_STATES)}")
        health = Health(health)
        if health is Health.REMOVED:
            return self.mark_removed(ref, reason)

        def work(tx: Transaction) -> VaultItem:
            row = self._find(tx, ref, lock=True)
            if row.health is Health.REMOVED:
                raise ItemRemovedError(f"Item {_show(row.alias)} was removed from Plaid")
            if row.health is Health.LOST or (row.health, row.health_reason) == (health, reason):
                # A lost Item's old token is dead whatever a webhook says: only a new token ends it.
                return self._item(row)
            now = utc_now()
            return self._save(
                tx, row, health=health, health_reason=reason, health_changed_at=now, updated_at=now
            )

        return self._run("write to", work)  # type: ignore[no-any-return]

    def mark_removed(self, ref: str, reason: str | None = None) -> VaultItem:
        """The Item was removed at Plaid: forget its token, keep the entry (and its history) as removed."""

        def work(tx: Transaction) -> VaultItem:
            row = self._find(tx, ref, lock=True)
            now = utc_now()
            return self._save(
                tx,
                row,
                token_ciphertext=None,
                token_fingerprint=None,
                health=Health.REMOVED,
                health_reason=reason,
                health_changed_at=now,
                removed_at=row.removed_at or now,
                updated_at=now,
            )

        return self._run("write to", work)  # type: ignore[no-any-return]

    def forget(self, ref: str) -> VaultItem:
        """Delete the entry itself (its history stays). For a corrupted entry, or a removed Item."""

        def work(tx: Transaction) -> VaultItem:
            row = self._find(tx, ref, lock=True)
            gone = self._item(row)
            self._rows.delete(tx, row.item_id)
            return gone

        return self._run("write to", work)  # type: ignore[no-any-return]


class PendingExchange(msgspec.Struct, frozen=True, kw_only=True):
    """A public-token exchange whose answer may be lost: what Link said about it, never the token."""

    id: str
    environment: str
    started_at: datetime
    in_progress: bool  # its process may still be waiting for the answer
    institution_id: str | None = None
    institution_name: str | None = None
    link_session_id: str | None = None
    alias: str | None = None


def _pending(row: DoubtRecord) -> PendingExchange:
    try:
        detail = json.loads(row.detail)
    except ValueError:
        detail = {}
    text = {k: v for k, v in detail.items() if isinstance(v, str)} if isinstance(detail, dict) else {}
    return PendingExchange(
        id=row.id,
        environment=row.environment,
        started_at=row.started_at,
        in_progress=in_progress(row.owner, row.started_at),
        institution_id=text.get("institution_id"),
        institution_name=text.get("institution_name"),
        link_session_id=text.get("link_session_id"),
        alias=text.get("alias"),
    )


def _exchange_aad(doubt_id: str) -> str:
    """What a sealed public token is bound to (never a real item_id: those have no slash)."""
    return f"exchange/{doubt_id}"


def _shell(alias: str) -> str:
    return shlex.quote(alias)


def _show(text: str) -> str:
    """An alias or name in a message: quoted, with anything unprintable escaped (it is data, not markup)."""
    return repr(text)


__all__ = [
    "HEALTH_STATES",
    "Health",
    "PendingExchange",
    "Vault",
    "VaultAccount",
    "VaultItem",
    "alias_key",
    "normalise_alias",
    "suggest_alias",
]
