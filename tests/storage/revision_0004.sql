-- A database written by plaid-balance before the storage package (commit 9ba252c, schema revision 0004):
-- two snapshots, the token's fingerprint, a vault entry (key in tests/storage/test_storage.py), the watch's state.
-- Made by: sqlite3 old.db .dump
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE plaid_balance_alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT plaid_balance_alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO plaid_balance_alembic_version VALUES('0004');
CREATE TABLE snapshots (
	id INTEGER NOT NULL, 
	item_id VARCHAR(255) NOT NULL, 
	request_id VARCHAR(255) NOT NULL, 
	institution_id VARCHAR(255), 
	institution_name TEXT, 
	environment VARCHAR(32) NOT NULL, 
	source VARCHAR(16) NOT NULL, 
	complete BOOLEAN NOT NULL, 
	retrieved_at DATETIME NOT NULL, 
	saved_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_snapshots_item_request UNIQUE (item_id, request_id)
);
INSERT INTO snapshots VALUES(1,'item-old','req-old-0','ins_109508','First Platypus Bank','sandbox','realtime',1,'2026-11-20 12:00:00.000000','2026-12-03 18:35:06.011894');
INSERT INTO snapshots VALUES(2,'item-old','req-old-1','ins_109508','First Platypus Bank','sandbox','realtime',1,'2026-11-20 13:00:00.000000','2026-12-03 18:35:06.051921');
CREATE TABLE snapshot_accounts (
	id INTEGER NOT NULL, 
	snapshot_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	account_id VARCHAR(255) NOT NULL, 
	name TEXT NOT NULL, 
	official_name TEXT, 
	type VARCHAR(64) NOT NULL, 
	subtype VARCHAR(64), 
	mask VARCHAR(32), 
	currency VARCHAR(16), 
	current_balance TEXT, 
	available_balance TEXT, 
	credit_limit TEXT, 
	last_updated_datetime DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_snapshot_accounts_account UNIQUE (snapshot_id, account_id), 
	CONSTRAINT fk_snapshot_accounts_snapshot FOREIGN KEY(snapshot_id) REFERENCES snapshots (id) ON DELETE CASCADE
);
INSERT INTO snapshot_accounts VALUES(1,1,0,'acc-chk','Checking <old>',NULL,'depository','checking','0000','USD','1200.10','1100.00',NULL,NULL);
INSERT INTO snapshot_accounts VALUES(2,1,1,'acc-card','Card',NULL,'credit','credit card','3333','USD','0.10',NULL,'5000',NULL);
INSERT INTO snapshot_accounts VALUES(3,2,0,'acc-chk','Checking <old>',NULL,'depository','checking','0000','USD','1201.10','1100.00',NULL,NULL);
INSERT INTO snapshot_accounts VALUES(4,2,1,'acc-card','Card',NULL,'credit','credit card','3333','USD','0.10',NULL,'5000',NULL);
CREATE TABLE item_tokens (
	token_fingerprint VARCHAR(64) NOT NULL, 
	item_id VARCHAR(255) NOT NULL, 
	first_seen DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, 
	PRIMARY KEY (token_fingerprint)
);
INSERT INTO item_tokens VALUES('e9c54fbc5f123a181c4eb4a6ee2d2929909aa96b6ecdb239c801faab46fa1599','item-old','2026-11-20 12:00:00.000000','2026-12-03 18:35:06.207078');
CREATE TABLE vault_items (
	item_id VARCHAR(255) NOT NULL, 
	alias TEXT NOT NULL, 
	alias_key TEXT NOT NULL, 
	institution_id VARCHAR(255), 
	institution_name TEXT, 
	environment VARCHAR(32) NOT NULL, 
	accounts TEXT NOT NULL, 
	token_ciphertext TEXT, 
	token_fingerprint VARCHAR(64), 
	health VARCHAR(32) NOT NULL, 
	health_reason TEXT, 
	health_changed_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	removed_at DATETIME, 
	PRIMARY KEY (item_id), 
	CONSTRAINT uq_vault_items_alias_key UNIQUE (alias_key), 
	CONSTRAINT uq_vault_items_token_fingerprint UNIQUE (token_fingerprint)
);
INSERT INTO vault_items VALUES('item-old','old-bank','old-bank','ins_109508','First Platypus Bank','sandbox','[{"account_id":"acc-chk","name":"Checking <old>","mask":"0000","type":"depository","subtype":null}]','v1.aVd3Aota_Zh9WCKrGDCgsxwXnlU3ELNT3WcKfUOa0idZWEFjrof-wKC3tD9Nilz1uF1XMjInWOmgpKJppRq_DDjnuZlHMmzMXrPjrpyQ9Gz-DiQ=','e9c54fbc5f123a181c4eb4a6ee2d2929909aa96b6ecdb239c801faab46fa1599','ok',NULL,'2026-12-03 18:35:06.206471','2026-12-03 18:35:06.206471','2026-12-03 18:35:06.206471',NULL);
CREATE TABLE vault_meta (
	name VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (name)
);
INSERT INTO vault_meta VALUES('key_check','v1.bTtlEtb5TTjDY8hh3F-BzaSUzQocOVrG7k9h4BgEIW-_5CZpE-iE7qun1FmegBmt5wrelBucQpkAk_mY');
CREATE TABLE watch_items (
	item_id VARCHAR(255) NOT NULL, 
	alias TEXT NOT NULL, 
	health VARCHAR(32) NOT NULL, 
	health_reason TEXT NOT NULL, 
	last_refresh_at DATETIME, 
	last_source VARCHAR(16), 
	last_outcome VARCHAR(64), 
	PRIMARY KEY (item_id)
);
INSERT INTO watch_items VALUES('item-old','old-bank','ok','','2026-11-20 13:00:00.000000','realtime','ok');
CREATE TABLE watch_budget (
	item_id VARCHAR(255) NOT NULL, 
	period VARCHAR(16) NOT NULL, 
	billed INTEGER NOT NULL, 
	saved INTEGER NOT NULL, 
	PRIMARY KEY (item_id, period)
);
INSERT INTO watch_budget VALUES('item-old','D2026-11-20',1,0);
INSERT INTO watch_budget VALUES('item-old','M2026-11',1,0);
CREATE TABLE watch_alerts (
	rule TEXT NOT NULL, 
	subject VARCHAR(255) NOT NULL, 
	label TEXT NOT NULL, 
	firing BOOLEAN NOT NULL, 
	since DATETIME, 
	last_notified DATETIME, 
	detail TEXT NOT NULL, 
	PRIMARY KEY (rule, subject)
);
INSERT INTO watch_alerts VALUES('low','item-old:acc-chk','Low balance',1,'2026-11-20 12:00:00.000000','2026-11-20 12:00:00.000000','below 2000');
CREATE TABLE watch_alert_events (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	rule TEXT NOT NULL, 
	subject VARCHAR(255) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	title TEXT NOT NULL, 
	message TEXT NOT NULL, 
	notify TEXT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO watch_alert_events VALUES(1,'2026-11-20 12:00:00.000000','low','item-old:acc-chk','firing','Low balance','1200.10 USD','log');
CREATE INDEX ix_snapshots_item_retrieved ON snapshots (item_id, retrieved_at);
CREATE INDEX ix_snapshot_accounts_account ON snapshot_accounts (account_id);
CREATE INDEX ix_item_tokens_item_id ON item_tokens (item_id);
CREATE INDEX ix_watch_alert_events_at ON watch_alert_events (at);
COMMIT;
